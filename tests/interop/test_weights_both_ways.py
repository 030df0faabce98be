"""PyTorch weights both ways: a torch model's state dict, as .pt or .safetensors, loads into the
equivalent chainrule model and gives the same outputs; chainrule's files load into torch with
``safetensors.torch.load_file`` + ``load_state_dict`` (README, "PyTorch weights, both ways")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import chainrule
import chainrule.nn as cnn
from tests.optional import needs_torch, torch

pytestmark = needs_torch


def mlp(nn):
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                         nn.Linear(16, 3))


def cnn_model(nn):
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8 * 5 * 5, 10))


ARCHITECTURES = {"mlp": (mlp, (5, 8)), "cnn": (cnn_model, (5, 1, 14, 14))}


def trained_torch_model(build, shape):
    """A torch model whose buffers moved too (BatchNorm's running statistics), in eval mode."""
    torch.manual_seed(0)
    model = build(torch.nn)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, *shape[1:]))
    return model.eval()


def outputs(torch_model, chainrule_model, shape):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(x)).numpy()
    with chainrule.no_grad():
        ours = chainrule_model(chainrule.tensor(x)).numpy()
    return ours, theirs


def save_torch_state(model, path):
    if path.suffix == ".pt":
        torch.save(model.state_dict(), path)
    else:
        st_torch = pytest.importorskip("safetensors.torch")
        st_torch.save_file(model.state_dict(), str(path))


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_a_torch_state_dict_loads_into_the_chainrule_model_with_the_same_outputs(tmp_path, name,
                                                                                   suffix):
    build, shape = ARCHITECTURES[name]
    theirs = trained_torch_model(build, shape)
    path = tmp_path / f"model{suffix}"
    save_torch_state(theirs, path)
    ours = build(cnn)
    ours.load_state_dict(chainrule.load(path))
    ours.eval()
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    got, expected = outputs(theirs, ours, shape)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_chainrule_files_load_into_torch_with_the_same_outputs(tmp_path, name):
    st_torch = pytest.importorskip("safetensors.torch")
    build, shape = ARCHITECTURES[name]
    chainrule.manual_seed(3)
    ours = build(cnn)
    ours.train()
    with chainrule.no_grad():
        ours(chainrule.randn(8, *shape[1:]))  # move BatchNorm's running statistics
    ours.eval()
    path = tmp_path / "model.safetensors"
    chainrule.save(ours.state_dict(), path)
    theirs = build(torch.nn)
    theirs.load_state_dict(st_torch.load_file(str(path)))
    theirs.eval()
    got, expected = outputs(theirs, ours, shape)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_mismatched_keys_are_named_when_loading_a_torch_state_dict(tmp_path):
    torch.save(torch.nn.Linear(8, 16).state_dict(), tmp_path / "linear.pt")
    with pytest.raises(RuntimeError, match="(?s)missing key '0.weight'.*unexpected key 'weight'"):
        mlp(cnn).load_state_dict(chainrule.load(tmp_path / "linear.pt"))


def test_the_readme_snippet_runs_and_gives_the_same_outputs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("safetensors.torch")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## PyTorch weights, both ways", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    torch_model, model, x = namespace["torch_model"], namespace["model"], namespace["x"]
    ours, theirs = outputs(torch_model, model, tuple(x.shape))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert (tmp_path / "weights.pt").is_file() and (tmp_path / "weights.safetensors").is_file()

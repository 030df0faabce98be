"""ONNX import: files written by PyTorch's exporter and by chainrule load as trainable modules
that give ONNX Runtime's outputs; unknown operators are listed all at once."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
import chainrule.functional as F
from chainrule import nn
from chainrule.onnx import UnsupportedOperatorError, export, load
from tests.optional import needs_onnx, needs_onnxruntime, needs_torch, torch

pytestmark = [needs_onnx, needs_onnxruntime]
TOL = dict(rtol=1e-5, atol=1e-5)


def _run(path, x):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _torch_models():
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 32), torch.nn.ReLU(),
                              torch.nn.Dropout(0.2), torch.nn.Linear(32, 16), torch.nn.GELU(),
                              torch.nn.LayerNorm(16), torch.nn.Linear(16, 10))
    cnn = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                              torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(4, 8, 3, padding=1), torch.nn.SiLU(),
                              torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                              torch.nn.Linear(8, 10), torch.nn.LogSoftmax(dim=1))
    return {"mlp": mlp, "cnn": cnn}


def _fine_tune(model, x, steps=30):
    """Cross-entropy on fixed labels, Adam; the losses. Every parameter gets a gradient."""
    labels = chainrule.tensor(np.arange(len(x)) % 10)
    optimizer = chainrule.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(chainrule.tensor(x)), labels)
        loss.backward()
        assert all(p.grad is not None for p in model.parameters())
        optimizer.step()
        losses.append(loss.item())
    return losses


# The dynamo exporter (torch's default) needs onnxscript, which the test extra does not carry;
# the TorchScript exporter (dynamo=False) still works and warns that it is deprecated.
@needs_torch
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_pytorch_export_loads_and_fine_tunes(kind, tmp_path):
    model = _torch_models()[kind].eval()
    with torch.no_grad():  # non-trivial running statistics
        for layer in model:
            if isinstance(layer, torch.nn.BatchNorm2d):
                layer.running_mean.uniform_(-0.5, 0.5)
                layer.running_var.uniform_(0.5, 2.0)
    path = tmp_path / f"{kind}.onnx"
    example = torch.randn(2, 1, 8, 8)
    torch.onnx.export(model, (example,), str(path), dynamo=False, opset_version=17,
                      input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    ours = load(path)
    rng = np.random.default_rng(0)
    for batch in (3, 6):
        x = rng.standard_normal((batch, 1, 8, 8)).astype(np.float32)
        with chainrule.no_grad():
            got = ours(chainrule.tensor(x)).numpy()
        np.testing.assert_allclose(got, _run(path, x), **TOL)
        np.testing.assert_allclose(got, model(torch.from_numpy(x)).detach().numpy(), **TOL)
    assert all(p.requires_grad for p in ours.parameters()) and len(list(ours.parameters()))
    ours.train()
    losses = _fine_tune(ours, rng.standard_normal((20, 1, 8, 8)).astype(np.float32))
    assert losses[-1] < 0.8 * losses[0]


def test_chainrule_export_fine_tunes_after_load(tmp_path):
    chainrule.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.GroupNorm(2, 4), nn.ReLU(),
                          nn.AvgPool2d(2), nn.Flatten(), nn.Linear(64, 10))
    path = tmp_path / "m.onnx"
    export(model, np.zeros((2, 1, 8, 8), np.float32), path)
    ours = load(path)
    before = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    np.testing.assert_array_equal(before["0.weight"], model[0].weight.detach().numpy())
    x = np.random.default_rng(1).standard_normal((20, 1, 8, 8)).astype(np.float32)
    losses = _fine_tune(ours, x)
    assert losses[-1] < 0.8 * losses[0]
    assert not np.array_equal(ours.state_dict()["5.weight"].numpy(), before["5.weight"])


def test_unknown_operators_are_listed_at_once(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Relu", ["x"], ["a"], name="ok"),
             helper.make_node("TopK", ["a", "k"], ["b", "i"], name="top"),
             helper.make_node("Einsum", ["b"], ["c"], equation="ij->ji", name="sum1"),
             helper.make_node("Einsum", ["c"], ["d"], equation="ij->ji", name="sum2"),
             helper.make_node("Fused", ["d"], ["y"], domain="com.example", name="mine")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [onnx.numpy_helper.from_array(np.array([2], np.int64), "k")])
    path = tmp_path / "unknown.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                       helper.make_opsetid("com.example", 1)]),
              str(path))
    with pytest.raises(UnsupportedOperatorError) as info:
        load(path)
    message = str(info.value)
    assert "4 nodes" in message and "com.example::Fused (nodes 'mine')" in message
    assert "Einsum (nodes 'sum1', 'sum2')" in message and "TopK (nodes 'top')" in message
    assert "Relu" not in message


def test_lone_erf_is_reported(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Erf", ["x"], ["y"], name="e")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    path = tmp_path / "erf.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(UnsupportedOperatorError, match="Erf node 'e' is not part of a GELU"):
        load(path)


def test_wrong_number_of_inputs(tmp_path):
    path = tmp_path / "m.onnx"
    export(nn.Linear(3, 2), np.zeros((2, 3), np.float32), path)
    with pytest.raises(TypeError, match=r"takes 1 inputs \(input\), got 2"):
        load(path)(chainrule.zeros(2, 3), chainrule.zeros(2, 3))


def test_old_opsets_are_refused(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Softmax", ["x"], ["y"], axis=1)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    path = tmp_path / "old.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)]), str(path))
    with pytest.raises(UnsupportedOperatorError, match="opset 11 is not supported"):
        load(path)


def test_loaded_model_gradients_match_the_original(tmp_path):
    """The imported graph differentiates like the model it came from (float64): the
    parameter gradients agree, and gradcheck passes on the input."""
    chainrule.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.GroupNorm(2, 4), nn.GELU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 3), nn.LogSoftmax(1))
    model.double().eval()
    path = tmp_path / "m.onnx"
    export(model, np.zeros((2, 2, 4, 4)), path)
    ours = load(path)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 4, 4))
    v = chainrule.tensor(rng.standard_normal((3, 3)))
    for net in (model, ours):
        (net(chainrule.tensor(x)) * v).sum().backward()
    theirs = dict(model.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), theirs[name].grad.numpy(), rtol=1e-10,
                                   atol=1e-12)
    assert chainrule.gradcheck(ours, [chainrule.tensor(x, requires_grad=True)])

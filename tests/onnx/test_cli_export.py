"""``chainrule export MODEL OUTPUT.onnx`` on model files like those ``chainrule train``
writes, and the Fashion-MNIST CNN's test accuracy under ONNX Runtime."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule
from chainrule import cli, io, nn
from chainrule.data.datasets import load_fashion_mnist
from chainrule.data.datasets.fashion_mnist import DEFAULT_DIR
from chainrule.models import build_model
from chainrule.onnx import export
from tests.optional import needs_onnx, needs_onnxruntime

pytestmark = [needs_onnx, needs_onnxruntime]


def _session(path):
    import onnxruntime

    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _model_file(path, spec, input_shape, classes=3):
    chainrule.manual_seed(0)
    net = build_model(spec, input_shape, classes)
    io.save(net, str(path), metadata={
        "model": spec, "input_shape": json.dumps(list(input_shape)),
        "num_classes": str(classes), "class_names": json.dumps([f"c{i}" for i in
                                                                range(classes)])})
    return net.eval()


@pytest.mark.parametrize("spec", ["mlp:16-8", "cnn", "linear"])
def test_export_command_writes_an_equivalent_onnx_file(spec, tmp_path, capsys):
    net = _model_file(tmp_path / "model.safetensors", spec, (8, 8))
    out = tmp_path / "model.onnx"
    assert cli.main(["export", str(tmp_path / "model.safetensors"), str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    x = np.random.default_rng(0).random((4, 8, 8), dtype=np.float32)
    x = x[:, None] if spec == "cnn" else x
    with chainrule.no_grad():
        expected = net(chainrule.tensor(x)).numpy()
    (got,) = _session(out).run(None, {"input": x})
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_export_command_reports_a_missing_file(tmp_path, capsys):
    status = cli.main(["export", str(tmp_path / "absent.safetensors"), str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert status == 2 and "absent.safetensors" in err and "Traceback" not in err
    assert not (tmp_path / "m.onnx").exists()


def _tiny_cnn() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.1), nn.Linear(392, 10))


@pytest.mark.real_data
@pytest.mark.skipif(not DEFAULT_DIR.is_dir(),
                    reason=f"{DEFAULT_DIR} is absent (apt-get install dataset-fashion-mnist "
                           "to run this)")
def test_fashion_mnist_cnn_accuracy_is_the_same_under_onnxruntime(tmp_path):
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    chainrule.manual_seed(0)
    model = _tiny_cnn()
    optimizer = chainrule.optim.Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    for _ in range(100):
        batch = rng.integers(0, len(x_train), 32)
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(chainrule.tensor(x_train[batch, None])),
                                           chainrule.tensor(y_train[batch]))
        loss.backward()
        optimizer.step()
    model.eval()
    with chainrule.no_grad():
        ours = np.concatenate([model(chainrule.tensor(x_test[i:i + 2000, None])).numpy()
                               for i in range(0, len(x_test), 2000)])
    path = tmp_path / "cnn.onnx"
    export(model, x_test[:2, None], path)
    (theirs,) = _session(path).run(None, {"input": x_test[:, None]})
    accuracy = np.mean(ours.argmax(1) == y_test)
    assert accuracy > 0.7  # it learned something, so the comparison means something
    assert np.mean(theirs.argmax(1) == y_test) == accuracy
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-4)

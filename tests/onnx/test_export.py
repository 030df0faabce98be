"""ONNX export: every supported layer, and the models of ``chainrule train``, against ONNX
Runtime on two batch sizes, re-imported with ``chainrule.onnx.load``; unsupported ops."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
import chainrule.functional as F
from chainrule import nn
from chainrule.models import build_model
from chainrule.onnx import UnsupportedOperatorError, export, load
from tests.optional import needs_onnx, needs_onnxruntime

pytestmark = [needs_onnx, needs_onnxruntime]
TOL = dict(rtol=1e-5, atol=1e-5)


class Functional(nn.Module):
    """Ops met outside any known layer: arithmetic, cat, reshape, permute, matmul, reductions."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))

    def forward(self, x):
        y = F.relu(x) + x.sigmoid() * 2.0 - x.exp() / 3.0
        z = chainrule.cat([y, x - 1.0], dim=1)  # (N, 8)
        z = z.reshape(z.shape[0], 2, 4).permute(0, 2, 1)  # (N, 4, 2)
        z = z.tanh().sum(dim=2) @ self.w  # (N, 3)
        return F.log_softmax(z - z.mean(dim=1, keepdim=True), dim=1)


class Branches(nn.Module):
    """Two layers on one input, joined (a graph, not a chain)."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(5, 3), nn.Linear(5, 3)
        self.act = nn.ELU()

    def forward(self, x):
        return self.act(self.a(x)) * self.b(x) + self.a(x)


def _bn(layer):
    layer.running_mean.data[...] = np.linspace(-0.5, 0.5, layer.num_features)
    layer.running_var.data[...] = np.linspace(0.5, 2.0, layer.num_features)
    return layer


CASES = {
    "linear": (lambda: nn.Linear(6, 4), (6,)),
    "linear_no_bias": (lambda: nn.Linear(6, 4, bias=False), (6,)),
    "linear_3d": (lambda: nn.Linear(6, 4, bias=False), (3, 6)),
    "conv1d": (lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), (3, 10)),
    "conv2d": (lambda: nn.Conv2d(3, 4, 3, padding=1), (3, 7, 7)),
    "conv2d_groups": (lambda: nn.Conv2d(4, 6, 3, dilation=2, groups=2, padding=2), (4, 7, 7)),
    "conv2d_reflect": (lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
                       (2, 6, 6)),
    "conv1d_replicate": (lambda: nn.Conv1d(2, 3, 3, padding=2, padding_mode="replicate"),
                         (2, 6)),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1,
                                                    output_padding=1), (3, 5, 5)),
    "maxpool2d": (lambda: nn.MaxPool2d(2), (2, 8, 8)),
    "maxpool2d_padded": (lambda: nn.MaxPool2d(3, 2, padding=1), (2, 7, 7)),
    "maxpool1d": (lambda: nn.MaxPool1d(2), (3, 8)),
    "avgpool2d": (lambda: nn.AvgPool2d(2), (2, 8, 8)),
    "avgpool2d_padded": (lambda: nn.AvgPool2d(3, 2, padding=1), (2, 7, 7)),
    "avgpool1d": (lambda: nn.AvgPool1d(2), (3, 8)),
    "adaptive_avgpool_global": (lambda: nn.AdaptiveAvgPool2d(1), (3, 5, 6)),
    "adaptive_avgpool_2x2": (lambda: nn.AdaptiveAvgPool2d(2), (3, 8, 6)),
    "adaptive_avgpool1d": (lambda: nn.AdaptiveAvgPool1d(1), (3, 8)),
    "batchnorm2d": (lambda: _bn(nn.BatchNorm2d(3)), (3, 4, 4)),
    "batchnorm1d": (lambda: _bn(nn.BatchNorm1d(5)), (5,)),
    "layernorm": (lambda: nn.LayerNorm(6), (6,)),
    "layernorm_2d": (lambda: nn.LayerNorm((4, 6)), (4, 6)),
    "layernorm_plain": (lambda: nn.LayerNorm(6, elementwise_affine=False), (6,)),
    "batchnorm_plain": (lambda: _bn(nn.BatchNorm1d(5, affine=False)), (5,)),
    "groupnorm_plain": (lambda: nn.GroupNorm(3, 6, affine=False), (6, 4)),
    "conv2d_no_bias": (lambda: nn.Conv2d(2, 3, 2, stride=2, bias=False), (2, 6, 6)),
    "groupnorm": (lambda: nn.GroupNorm(2, 4), (4, 3, 3)),
    "dropout": (lambda: nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 2)), (4,)),
    "flatten": (lambda: nn.Flatten(), (3, 4, 5)),
    "flatten_partial": (lambda: nn.Flatten(2), (3, 4, 5)),
    "relu": (lambda: nn.ReLU(), (7,)),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), (7,)),
    "sigmoid": (lambda: nn.Sigmoid(), (7,)),
    "tanh": (lambda: nn.Tanh(), (7,)),
    "gelu": (lambda: nn.GELU(), (7,)),
    "gelu_tanh": (lambda: nn.GELU("tanh"), (7,)),
    "silu": (lambda: nn.SiLU(), (7,)),
    "elu": (lambda: nn.ELU(0.7), (7,)),
    "celu": (lambda: nn.CELU(1.3), (7,)),
    "selu": (lambda: nn.SELU(), (7,)),
    "softplus": (lambda: nn.Softplus(), (7,)),
    "softplus_beta": (lambda: nn.Softplus(beta=2.0), (7,)),
    "hardtanh": (lambda: nn.Hardtanh(-0.5, 0.5), (7,)),
    "relu6": (lambda: nn.ReLU6(), (7,)),
    "mish": (lambda: nn.Mish(), (7,)),
    "softsign": (lambda: nn.Softsign(), (7,)),
    "hardswish": (lambda: nn.Hardswish(), (7,)),
    "hardsigmoid": (lambda: nn.Hardsigmoid(), (7,)),
    "prelu": (lambda: nn.PReLU(3, init=0.1), (3, 4, 4)),
    "softmax": (lambda: nn.Softmax(dim=1), (7,)),
    "log_softmax": (lambda: nn.LogSoftmax(dim=-1), (3, 7)),
    "functional": (Functional, (4,)),
    "branches": (Branches, (5,)),
}


def _inputs(shape, batch, rng):
    return (rng.standard_normal((batch, *shape)) * 3).astype(np.float32)


def _ours(model, x):
    with chainrule.no_grad():
        return model(chainrule.tensor(x)).numpy()


def check_round_trip(model, shape, path, batches=(3, 5), make=_inputs):
    """Export, check, compare with ONNX Runtime on two batch sizes, re-import, compare."""
    import onnx
    import onnxruntime

    rng = np.random.default_rng(0)
    model.eval()
    export(model, make(shape, 2, rng), path)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    reloaded = load(path)
    for batch in batches:
        x = make(shape, batch, rng)
        expected = _ours(model, x)
        (got,) = session.run(None, {"input": x})
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, **TOL)
        np.testing.assert_allclose(_ours(reloaded, x), got, **TOL)
    return reloaded


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_exports_and_reimports(case, tmp_path):
    chainrule.manual_seed(1)
    factory, shape = CASES[case]
    check_round_trip(factory(), shape, tmp_path / f"{case}.onnx")


def test_embedding_takes_integer_indices(tmp_path):
    chainrule.manual_seed(2)
    model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2))

    def indices(shape, batch, rng):
        return rng.integers(0, 10, (batch, *shape)).astype(np.int64)

    check_round_trip(model, (3,), tmp_path / "embedding.onnx", make=indices)


@pytest.mark.parametrize("spec", ["mlp", "cnn"])
def test_train_models_export(spec, tmp_path):
    """The Fashion-MNIST MLP and CNN of ``chainrule train`` (random weights)."""
    chainrule.manual_seed(3)
    model = build_model(spec, (1, 28, 28) if spec == "cnn" else (28, 28), 10)
    for layer in model:
        if isinstance(layer, nn.BatchNorm2d):
            _bn(layer)
    shape = (1, 28, 28) if spec == "cnn" else (28, 28)
    reloaded = check_round_trip(model, shape, tmp_path / f"{spec}.onnx", batches=(1, 4))
    assert set(reloaded.state_dict()) == {k for k in model.state_dict()
                                          if not k.endswith("num_batches_tracked")}
    assert {n for n, _ in reloaded.named_parameters()} == {n for n, _ in
                                                           model.named_parameters()}


def test_dynamic_axes_and_names(tmp_path):
    import onnx

    path = tmp_path / "named.onnx"
    export(nn.Linear(3, 2), np.zeros((4, 3), np.float32), path, input_names=["x"],
           output_names=["y"], dynamic_axes={})
    graph = onnx.load(path).graph
    assert [i.name for i in graph.input] == ["x"] and [o.name for o in graph.output] == ["y"]
    assert [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim] == [4, 3]
    export(nn.Linear(3, 2), np.zeros((4, 3), np.float32), path)
    dims = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 3


def test_export_restores_training_mode(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    export(model, np.zeros((2, 3), np.float32), tmp_path / "m.onnx")
    assert model.training and model[1].training


class Flipper(nn.Module):
    def forward(self, x):
        return x.flip(1)


def test_unsupported_op_names_op_and_module(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), Flipper())
    with pytest.raises(UnsupportedOperatorError, match=r"Flip .*'1' \(Flipper\)"):
        export(model, np.zeros((2, 3), np.float32), tmp_path / "m.onnx")
    assert isinstance(UnsupportedOperatorError("x"), RuntimeError)


def test_bad_arguments(tmp_path):
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="opset_version must be 17"):
        export(nn.Linear(3, 2), x, tmp_path / "m.onnx", opset_version=13)
    with pytest.raises(ValueError, match=r"dynamic_axes names \['z'\]"):
        export(nn.Linear(3, 2), x, tmp_path / "m.onnx", dynamic_axes={"z": [0]})
    circular = nn.Conv1d(3, 2, 3, padding=1, padding_mode="circular")
    with pytest.raises(UnsupportedOperatorError, match="'circular' needs opset_version 19"):
        export(circular, np.zeros((2, 3, 5), np.float32), tmp_path / "m.onnx")


def test_float64_model_and_float64_example(tmp_path):
    import onnx

    path = tmp_path / "m.onnx"
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    export(model, np.zeros((2, 3), np.float64), path)  # the example is cast to float32
    assert onnx.load(path).graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    check_round_trip(model.double(), (3,), path,
                     make=lambda shape, n, rng: rng.standard_normal((n, *shape)))
    elem = onnx.load(path).graph.input[0].type.tensor_type.elem_type
    assert elem == onnx.TensorProto.DOUBLE


def test_deep_chain_and_file_object(tmp_path):
    """1200 layers, more than Python's recursion limit; written to a file object."""
    import io

    import onnx
    import onnxruntime

    model = nn.Sequential(nn.Linear(3, 3), *[nn.Tanh() for _ in range(1200)])
    buffer = io.BytesIO()
    export(model, np.zeros((2, 3), np.float32), buffer)
    proto = onnx.load_from_string(buffer.getvalue())
    assert sum(node.op_type == "Tanh" for node in proto.graph.node) == 1200
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    session = onnxruntime.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], _ours(model, x), **TOL)


def test_circular_padding_at_opset_19(tmp_path):
    import onnxruntime

    chainrule.manual_seed(5)
    model = nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular")
    path = tmp_path / "circular.onnx"
    export(model, np.zeros((2, 2, 5, 5), np.float32), path, opset_version=19)
    x = np.random.default_rng(0).standard_normal((3, 2, 5, 5)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], _ours(model, x), **TOL)
    np.testing.assert_allclose(_ours(load(path), x), _ours(model, x), **TOL)


class TwoHeads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body, self.head = nn.Linear(4, 3), nn.Linear(3, 2)

    def forward(self, x):
        h = F.relu(self.body(x))
        return self.head(h), F.softmax(h, dim=1)


def test_several_outputs(tmp_path):
    import onnxruntime

    chainrule.manual_seed(6)
    model = TwoHeads()
    path = tmp_path / "two.onnx"
    export(model, np.zeros((2, 4), np.float32), path, output_names=["logits", "probs"])
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["logits", "probs"]
    with chainrule.no_grad():
        expected = [t.numpy() for t in model(chainrule.tensor(x))]
        reloaded = [t.numpy() for t in load(path)(chainrule.tensor(x))]
    for got, again, want in zip(session.run(None, {"input": x}), reloaded, expected):
        np.testing.assert_allclose(got, want, **TOL)
        np.testing.assert_allclose(again, want, **TOL)

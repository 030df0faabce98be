"""Every supported layer as PyTorch's exporter writes it (opset 17) loads with
``chainrule.onnx.load`` and gives PyTorch's outputs, on a batch size other than the traced one.

The dynamo exporter (torch's default) needs onnxscript, which the test extra does not carry;
the TorchScript exporter (``dynamo=False``) still works and warns that it is deprecated.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule.onnx import load
from tests.optional import needs_onnx, needs_torch, torch

pytestmark = [needs_onnx, needs_torch, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def _cases() -> dict:
    T = torch.nn

    class View(T.Module):
        def forward(self, x):  # Shape -> Gather -> Unsqueeze -> Concat -> Reshape
            return x.view(x.size(0), -1) * 2 + 1

    class CatPermute(T.Module):
        def forward(self, x):
            return torch.cat([x, x.permute(0, 2, 1)], dim=1).mean(dim=2)

    return {
        "linear": (T.Linear(6, 4), (6,)), "conv1d": (T.Conv1d(3, 4, 3, 2, 1), (3, 10)),
        "conv2d": (T.Conv2d(3, 4, 3, padding=1), (3, 7, 7)),
        "conv2d_groups": (T.Conv2d(4, 4, 3, padding=2, groups=2, dilation=2), (4, 7, 7)),
        "conv_transpose2d": (T.ConvTranspose2d(3, 2, 3, 2, 1, output_padding=1), (3, 5, 5)),
        "maxpool2d": (T.MaxPool2d(3, 2, padding=1), (2, 7, 7)),
        "avgpool2d": (T.AvgPool2d(3, 2, padding=1), (2, 7, 7)),
        "avgpool2d_exclude_pad": (T.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 7, 7)),
        "adaptive_avgpool_global": (T.AdaptiveAvgPool2d(1), (3, 5, 5)),
        "adaptive_avgpool_2x2": (T.AdaptiveAvgPool2d(2), (3, 8, 8)),
        "batchnorm2d": (T.BatchNorm2d(3), (3, 4, 4)), "batchnorm1d": (T.BatchNorm1d(5), (5,)),
        "layernorm": (T.LayerNorm(6), (6,)), "groupnorm": (T.GroupNorm(2, 4), (4, 3, 3)),
        "flatten": (T.Flatten(), (3, 4)), "dropout": (T.Dropout(0.3), (5,)),
        "relu": (T.ReLU(), (5,)), "leaky_relu": (T.LeakyReLU(0.2), (5,)),
        "sigmoid": (T.Sigmoid(), (5,)), "tanh": (T.Tanh(), (5,)), "gelu": (T.GELU(), (5,)),
        "gelu_tanh": (T.GELU("tanh"), (5,)), "silu": (T.SiLU(), (5,)), "elu": (T.ELU(0.7), (5,)),
        "softplus": (T.Softplus(), (5,)), "softplus_beta": (T.Softplus(beta=2), (5,)),
        "hardtanh": (T.Hardtanh(-0.5, 0.5), (5,)), "relu6": (T.ReLU6(), (5,)),
        "softmax": (T.Softmax(dim=1), (5,)), "log_softmax": (T.LogSoftmax(dim=1), (5,)),
        "prelu": (T.PReLU(3), (3, 4, 4)), "hardswish": (T.Hardswish(), (5,)),
        "hardsigmoid": (T.Hardsigmoid(), (5,)), "mish": (T.Mish(), (5,)),
        "softsign": (T.Softsign(), (5,)), "selu": (T.SELU(), (5,)), "celu": (T.CELU(1.3), (5,)),
        "view": (View(), (3, 4)), "cat_permute": (CatPermute(), (3, 3)),
    }


NAMES = ["linear", "conv1d", "conv2d", "conv2d_groups", "conv_transpose2d", "maxpool2d",
         "avgpool2d", "avgpool2d_exclude_pad", "adaptive_avgpool_global",
         "adaptive_avgpool_2x2", "batchnorm2d", "batchnorm1d", "layernorm", "groupnorm",
         "flatten", "dropout", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "gelu_tanh",
         "silu", "elu", "softplus", "softplus_beta", "hardtanh", "relu6", "softmax",
         "log_softmax", "prelu", "hardswish", "hardsigmoid", "mish", "softsign", "selu", "celu",
         "view", "cat_permute"]


def _export(model, example, path):
    torch.onnx.export(model, (example,), str(path), dynamo=False, opset_version=17,
                      input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    return load(path)


@pytest.mark.parametrize("name", NAMES)
def test_pytorch_layer_loads_with_pytorch_outputs(name, tmp_path):
    torch.manual_seed(0)
    model, shape = _cases()[name]
    model.eval()
    if isinstance(model, torch.nn.modules.batchnorm._BatchNorm):
        with torch.no_grad():
            model.running_mean.uniform_(-0.5, 0.5)
            model.running_var.uniform_(0.5, 2.0)
    ours = _export(model, torch.randn(2, *shape), tmp_path / f"{name}.onnx")
    x = (np.random.default_rng(0).standard_normal((3, *shape)) * 3).astype(np.float32)
    with chainrule.no_grad():
        got = ours(chainrule.tensor(x)).numpy()
    np.testing.assert_allclose(got, model(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_pytorch_embedding_loads(tmp_path):
    torch.manual_seed(0)
    T = torch.nn
    model = T.Sequential(T.Embedding(10, 4), T.Flatten(), T.Linear(12, 2))
    ours = _export(model, torch.randint(0, 10, (2, 3)), tmp_path / "embedding.onnx")
    x = np.random.default_rng(0).integers(0, 10, (4, 3))
    with chainrule.no_grad():
        got = ours(chainrule.tensor(x)).numpy()
    np.testing.assert_allclose(got, model(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)

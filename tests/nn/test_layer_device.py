"""Every layer that takes PyTorch's ``device=`` argument takes it here: the CPU (as a string or
a ``chainrule.device``) builds the layer, any other device raises ``DeviceError`` naming the
layer, never silently builds a CPU layer for a script that asked for a GPU."""

from __future__ import annotations

import inspect

import pytest

import chainrule as cr
from chainrule.device import DeviceError

nn = cr.nn

# layer name -> a constructor of the smallest such layer, given device=
LAYERS = {
    "BatchNorm1d": lambda d: nn.BatchNorm1d(3, device=d),
    "BatchNorm2d": lambda d: nn.BatchNorm2d(3, device=d),
    "BatchNorm3d": lambda d: nn.BatchNorm3d(3, device=d),
    "Bilinear": lambda d: nn.Bilinear(2, 3, 4, device=d),
    "Conv1d": lambda d: nn.Conv1d(1, 2, 3, device=d),
    "Conv2d": lambda d: nn.Conv2d(1, 2, 3, device=d),
    "ConvTranspose1d": lambda d: nn.ConvTranspose1d(1, 2, 3, device=d),
    "ConvTranspose2d": lambda d: nn.ConvTranspose2d(1, 2, 3, device=d),
    "Conv3d": lambda d: nn.Conv3d(1, 2, 3, device=d),
    "ConvTranspose3d": lambda d: nn.ConvTranspose3d(1, 2, 3, device=d),
    "Embedding": lambda d: nn.Embedding(5, 3, device=d),
    "EmbeddingBag": lambda d: nn.EmbeddingBag(5, 3, device=d),
    "GRU": lambda d: nn.GRU(3, 4, device=d),
    "GRUCell": lambda d: nn.GRUCell(3, 4, device=d),
    "GroupNorm": lambda d: nn.GroupNorm(2, 4, device=d),
    "InstanceNorm1d": lambda d: nn.InstanceNorm1d(3, device=d),
    "InstanceNorm2d": lambda d: nn.InstanceNorm2d(3, device=d),
    "InstanceNorm3d": lambda d: nn.InstanceNorm3d(3, device=d),
    "LSTM": lambda d: nn.LSTM(3, 4, device=d),
    "LSTMCell": lambda d: nn.LSTMCell(3, 4, device=d),
    "LayerNorm": lambda d: nn.LayerNorm(3, device=d),
    "LazyLinear": lambda d: nn.LazyLinear(4, device=d),
    **{name: (lambda d, name=name: getattr(nn, name)(2, 3, device=d))
       for name in ("LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
                    "LazyConvTranspose2d", "LazyConvTranspose3d")},
    **{name: (lambda d, name=name: getattr(nn, name)(device=d))
       for name in ("LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
                    "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d")},
    "Linear": lambda d: nn.Linear(3, 4, device=d),
    "AdaptiveLogSoftmaxWithLoss": lambda d: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4], device=d),
    "MultiheadAttention": lambda d: nn.MultiheadAttention(4, 2, device=d),
    "PReLU": lambda d: nn.PReLU(device=d),
    "RNN": lambda d: nn.RNN(3, 4, device=d),
    "RNNCell": lambda d: nn.RNNCell(3, 4, device=d),
    "RNNCellBase": lambda d: nn.RNNCellBase(3, 4, True, 2, device=d),
    "RMSNorm": lambda d: nn.RMSNorm(3, device=d),
    "SyncBatchNorm": lambda d: nn.SyncBatchNorm(3, device=d),
    "Transformer": lambda d: nn.Transformer(4, 2, 1, 1, 8, device=d),
    "TransformerDecoderLayer": lambda d: nn.TransformerDecoderLayer(4, 2, 8, device=d),
    "TransformerEncoderLayer": lambda d: nn.TransformerEncoderLayer(4, 2, 8, device=d),
}


@pytest.mark.parametrize("name", LAYERS)
def test_the_cpu_builds_the_layer(name):
    for where in ("cpu", cr.device("cpu"), None):
        layer = LAYERS[name](where)
        assert type(layer).__name__ == name
        assert all(p.device == cr.device("cpu") for p in layer.parameters())


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("where", ["cuda", "cuda:1", "mps"])
def test_another_device_is_refused_by_name(name, where):
    with pytest.raises(DeviceError, match=f"^{name}: .*'{where}'"):
        LAYERS[name](where)


def test_the_mask_helper_checks_its_device_too():
    assert nn.Transformer.generate_square_subsequent_mask(3, device="cpu").shape == (3, 3)
    with pytest.raises(DeviceError, match="generate_square_subsequent_mask"):
        nn.Transformer.generate_square_subsequent_mask(3, device="cuda")


def test_every_torch_layer_with_a_device_argument_is_in_the_table():
    torch = pytest.importorskip("torch")
    with_device = {name for name in dir(torch.nn) if isinstance(getattr(torch.nn, name), type)
                   and hasattr(nn, name) and not name.startswith("_") and name != "RNNBase"
                   and "device" in inspect.signature(getattr(torch.nn, name).__init__).parameters}
    with_device |= {"RNN", "GRU", "LSTM"}  # torch passes their arguments on through *args
    assert with_device == set(LAYERS)


@pytest.mark.parametrize("name", LAYERS)
def test_device_and_dtype_take_torchs_positions(name):
    """A script that passes arguments by position reaches the same parameters: the names
    both frameworks accept by position come in the same order (device, then dtype)."""
    torch = pytest.importorskip("torch")
    theirs = positional(getattr(torch.nn, name).__init__)
    ours = positional(getattr(nn, name).__init__)
    assert [p for p in ours if p in theirs] == [p for p in theirs if p in ours]
    if "device" in theirs:  # RNN, GRU, LSTM take *args in torch
        assert ours.index("dtype") == ours.index("device") + 1


def positional(function) -> list[str]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in inspect.signature(function).parameters.values() if p.kind in kinds]

"""The 3-D layers and functions (Conv3d, ConvTranspose3d, MaxPool3d, AvgPool3d,
AdaptiveAvgPool3d, AdaptiveMaxPool3d, BatchNorm3d): values and gradients against PyTorch
(float64, weights copied in), against an explicit NumPy loop for conv3d, PyTorch's repr and
state_dict keys, dtypes, unbatched input, and the errors for bad input. The finite-difference
checks are the rows of tests/ops/spec_rows_3d.py."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F
from tests.optional import needs_torch, torch


def arrays(seed, *shapes, integers=False):
    rng = np.random.default_rng(seed)
    if integers:  # few distinct values: many ties in every pooling window
        return [rng.integers(-2, 3, s).astype(np.float64) for s in shapes]
    return [rng.standard_normal(s) for s in shapes]


def compare_with_torch(ours, theirs, inputs, seed=0):
    """Forward values (and indices, for a tuple), then the gradient of every input for one
    random upstream gradient."""
    mine = [cr.tensor(a, requires_grad=True) for a in inputs]
    ref = [torch.tensor(a, requires_grad=True) for a in inputs]
    y, t = ours(*mine), theirs(*ref)
    if isinstance(y, tuple):
        assert y[1].dtype == cr.int64 and not y[1].requires_grad
        np.testing.assert_array_equal(y[1].numpy(), t[1].numpy())
        y, t = y[0], t[0]
    assert y.shape == tuple(t.shape)
    np.testing.assert_allclose(y.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = np.random.default_rng(seed + 1).standard_normal(y.shape)
    y.backward(cr.tensor(upstream))
    t.backward(torch.tensor(upstream))
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- convolutions

CONV_CASES = [  # (input, weight, keyword arguments)
    ((2, 4, 5, 6, 7), (6, 2, 3, 2, 3), dict(stride=(2, 1, 2), padding=1, dilation=(1, 2, 1),
                                            groups=2)),
    ((1, 3, 4, 5, 5), (2, 3, 2, 2, 3), dict(padding="same", dilation=(2, 1, 1))),
    ((1, 3, 4, 5, 5), (2, 3, 2, 2, 3), dict(padding="valid")),
    ((2, 3, 3, 4, 5), (3, 1, 1, 2, 2), dict(groups=3, stride=2)),  # depthwise
    ((3, 4, 5, 5), (2, 3, 2, 2, 3), dict()),  # unbatched
]


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note about its speed
@pytest.mark.parametrize(("x", "w", "kwargs"), CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv3d_matches_torch(x, w, kwargs, bias):
    shapes = (x, w, (w[0],)) if bias else (x, w)
    compare_with_torch(lambda *t: F.conv3d(*t, **kwargs),
                       lambda *t: torch.nn.functional.conv3d(*t, **kwargs), arrays(0, *shapes))


def test_conv3d_matches_a_loop_over_output_voxels():
    x, w, b = arrays(3, (2, 4, 4, 5, 3), (4, 2, 2, 3, 2), (4,))
    got = F.conv3d(cr.tensor(x), cr.tensor(w), cr.tensor(b), stride=(1, 2, 1), padding=(1, 0, 1),
                   groups=2).numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0), (1, 1)))
    expected = np.zeros(got.shape)
    for n, o, i, j, k in np.ndindex(*got.shape):
        group = o // 2
        window = xp[n, 2 * group:2 * group + 2, i:i + 2, 2 * j:2 * j + 3, k:k + 2]
        expected[n, o, i, j, k] = np.sum(window * w[o]) + b[o]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


TRANSPOSED_CASES = [
    ((2, 4, 3, 4, 5), (4, 3, 3, 2, 3), dict(stride=(2, 1, 3), padding=(1, 0, 1),
                                            output_padding=(1, 0, 2), groups=2,
                                            dilation=(1, 2, 1))),
    ((1, 2, 3, 3, 3), (2, 3, 2, 2, 2), dict()),
    ((2, 3, 3, 3), (2, 3, 2, 2, 2), dict(stride=2, dilation=2, output_padding=1)),  # unbatched
    ((1, 2, 2, 3, 2), (2, 2, 3, 3, 3), dict(stride=3, padding=2)),
]


@needs_torch
@pytest.mark.parametrize(("x", "w", "kwargs"), TRANSPOSED_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose3d_matches_torch(x, w, kwargs, bias):
    groups = kwargs.get("groups", 1)
    shapes = (x, w, (w[1] * groups,)) if bias else (x, w)
    compare_with_torch(lambda *t: F.conv_transpose3d(*t, **kwargs),
                       lambda *t: torch.nn.functional.conv_transpose3d(*t, **kwargs),
                       arrays(1, *shapes))


def test_conv_transpose3d_is_the_adjoint_of_conv3d():
    """<conv3d(x, w), y> = <x, conv_transpose3d(y, w)>: the defining property, for any x, y."""
    x, w, y = arrays(4, (2, 2, 5, 4, 6), (3, 2, 2, 3, 2), (2, 3, 3, 2, 2))
    kwargs = dict(stride=2, padding=(1, 1, 0), dilation=(1, 1, 2))
    forward = F.conv3d(cr.tensor(x), cr.tensor(w), **kwargs).numpy()
    assert forward.shape == y.shape
    back = F.conv_transpose3d(cr.tensor(y), cr.tensor(w), output_padding=1, **kwargs).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(forward * y), np.sum(x * back), rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv3d_layer_matches_torch_with_its_weights(padding_mode):
    ours = nn.Conv3d(4, 6, (3, 2, 3), stride=(1, 2, 1), padding=(1, 1, 1), groups=2,
                     padding_mode=padding_mode, dtype=cr.float64)
    theirs = torch.nn.Conv3d(4, 6, (3, 2, 3), stride=(1, 2, 1), padding=(1, 1, 1), groups=2,
                             padding_mode=padding_mode, dtype=torch.float64)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    x = arrays(5, (2, 4, 4, 5, 5))[0]
    compare_with_torch(ours, theirs, [x])
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-10)


@needs_torch
def test_conv_transpose3d_layer_matches_torch_with_its_weights_and_output_size():
    ours = nn.ConvTranspose3d(4, 2, 3, stride=2, padding=1, groups=2, dtype=cr.float64)
    theirs = torch.nn.ConvTranspose3d(4, 2, 3, stride=2, padding=1, groups=2,
                                      dtype=torch.float64)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    assert repr(ours) == repr(theirs)
    assert ours.weight.shape == (4, 1, 3, 3, 3)
    x = arrays(6, (1, 4, 3, 2, 3))[0]
    compare_with_torch(lambda t: ours(t, output_size=(6, 4, 5)),
                       lambda t: theirs(t, output_size=(6, 4, 5)), [x])
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10)


@needs_torch
@pytest.mark.parametrize("text", [
    "Conv3d(2, 4, 3)", "Conv3d(4, 6, (1, 2, 3), stride=(2, 1, 1), groups=2, dilation=2)",
    "Conv3d(2, 4, 3, padding=1, bias=False, padding_mode='circular')",
    "ConvTranspose3d(2, 4, (1, 2, 3), stride=2, output_padding=1)",
    "MaxPool3d(2)", "MaxPool3d((1, 2, 3), stride=1, padding=(0, 1, 1), ceil_mode=True)",
    "AvgPool3d(2)", "AvgPool3d(3, 2, 1, count_include_pad=False)",
    "AdaptiveAvgPool3d((1, None, 2))", "AdaptiveMaxPool3d(2)", "BatchNorm3d(3)",
    "BatchNorm3d(3, affine=False, track_running_stats=False)",
])
def test_reprs_and_state_dict_keys_are_torchs(text):
    ours, theirs = eval("nn." + text), eval("torch.nn." + text)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == tuple(value.shape)


def test_conv3d_keeps_float32_and_takes_an_unbatched_volume():
    conv = nn.Conv3d(2, 3, 2)
    x = cr.randn(2, 4, 4, 4)
    y = conv(x)
    assert y.dtype == cr.float32 and y.shape == (3, 3, 3, 3)
    np.testing.assert_allclose(y.detach().numpy(), conv(x.unsqueeze(0))[0].detach().numpy())


def test_conv3d_takes_a_non_contiguous_input():
    x = arrays(7, (2, 3, 5, 4, 6))[0]
    w = cr.tensor(arrays(8, (2, 3, 2, 2, 2))[0])
    view = cr.tensor(x).permute(0, 1, 4, 3, 2)  # strides no longer C order
    expected = F.conv3d(cr.tensor(np.ascontiguousarray(x.transpose(0, 1, 4, 3, 2))), w)
    np.testing.assert_allclose(F.conv3d(view, w).numpy(), expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: F.conv3d(cr.randn(2, 3, 4, 4), cr.randn(2, 3, 2, 2)), "5 dimensions"),
    (lambda: F.conv3d(cr.randn(1, 2, 3, 4, 4, 4), cr.randn(2, 2, 1, 1, 1)), "5-D input"),
    (lambda: F.conv3d(cr.randn(1, 4, 3, 3, 3), cr.randn(2, 3, 1, 1, 1)), "C=3 channels"),
    (lambda: F.conv3d(cr.randn(1, 4, 3, 3, 3), cr.randn(3, 2, 1, 1, 1), groups=2),
     "divisible by groups"),
    (lambda: F.conv3d(cr.randn(1, 2, 2, 3, 3), cr.randn(1, 2, 3, 3, 3)), "smaller than the kernel"),
    (lambda: F.conv3d(cr.randn(1, 2, 4, 4, 4), cr.randn(1, 2, 3, 3, 3), stride=2,
                      padding="same"), "strided"),
    (lambda: F.conv3d(cr.randn(1, 2, 4, 4, 4), cr.randn(1, 2, 1, 1, 1), stride=(1, 1)),
     "stride"),
    (lambda: F.conv_transpose3d(cr.randn(1, 2, 2, 2, 2), cr.randn(2, 1, 2, 2, 2), stride=2,
                                output_padding=2), "output_padding"),
    (lambda: F.conv_transpose3d(cr.randn(1, 2, 1, 1, 1), cr.randn(2, 1, 1, 1, 1), padding=1),
     "empty"),
    (lambda: nn.Conv3d(3, 4, 3, groups=2), "divisible by groups"),
    (lambda: nn.ConvTranspose3d(2, 2, 3, padding="same"), "padding must be an int"),
])
def test_bad_convolution_arguments_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_conv3d_refuses_mixed_dtypes_by_name():
    with pytest.raises(TypeError, match="conv3d: the input is float64 but the weight is float32"):
        F.conv3d(cr.randn(1, 2, 3, 3, 3, dtype=cr.float64), cr.randn(1, 2, 1, 1, 1))


# ---------------------------------------------------------------- pools

MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=(3, 2, 3), stride=(2, 1, 2), padding=(1, 1, 0), dilation=(1, 2, 1),
         ceil_mode=True),
    dict(kernel_size=3, stride=2, ceil_mode=True, return_indices=True),
    dict(kernel_size=(2, 3, 2), stride=1, padding=(1, 1, 0), return_indices=True),
]


@needs_torch
@pytest.mark.parametrize("kwargs", MAX_CASES)
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("shape", [(2, 3, 5, 6, 7), (3, 4, 5, 6)])
def test_max_pool3d_matches_torch_also_on_ties_and_indices(kwargs, ties, shape):
    compare_with_torch(lambda x: F.max_pool3d(x, **kwargs),
                       lambda x: torch.nn.functional.max_pool3d(x, **kwargs),
                       arrays(2, shape, integers=ties))


AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=(3, 2, 3), stride=(2, 1, 2), padding=(1, 1, 0), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=5),
    dict(kernel_size=(1, 3, 2), stride=(1, 2, 1), padding=(0, 1, 1), count_include_pad=False),
]


@needs_torch
@pytest.mark.parametrize("kwargs", AVG_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 5, 6, 7), (3, 4, 5, 6)])
def test_avg_pool3d_matches_torch(kwargs, shape):
    compare_with_torch(lambda x: F.avg_pool3d(x, **kwargs),
                       lambda x: torch.nn.functional.avg_pool3d(x, **kwargs), arrays(3, shape))


@needs_torch
@pytest.mark.parametrize("size", [1, (2, 3, 4), (None, 4, 3), (3, 7, 2), (4, 1, 5)])
@pytest.mark.parametrize("ties", [False, True])
def test_adaptive_pools3d_match_torch(size, ties):
    x = arrays(4, (2, 3, 5, 6, 7), integers=ties)
    compare_with_torch(lambda t: F.adaptive_avg_pool3d(t, size),
                       lambda t: torch.nn.functional.adaptive_avg_pool3d(t, size), x)
    compare_with_torch(lambda t: F.adaptive_max_pool3d(t, size, return_indices=True),
                       lambda t: torch.nn.functional.adaptive_max_pool3d(t, size, True), x)


@needs_torch
def test_pool_layers_match_torch_on_an_unbatched_volume():
    x = arrays(5, (3, 4, 6, 5))
    for text in ("MaxPool3d(2, stride=1, padding=1)", "AvgPool3d((2, 3, 2), ceil_mode=True)",
                 "AdaptiveAvgPool3d((2, None, 3))", "AdaptiveMaxPool3d(2, return_indices=True)",
                 "MaxPool3d(3, 2, return_indices=True)"):
        compare_with_torch(eval("nn." + text), eval("torch.nn." + text), x)


def test_pools_keep_float32_and_record_no_graph_for_indices():
    x = cr.randn(1, 2, 4, 4, 4, requires_grad=True)
    for y in (F.max_pool3d(x, 2), F.avg_pool3d(x, 2), F.adaptive_avg_pool3d(x, 3),
              F.adaptive_max_pool3d(x, 3)):
        assert y.dtype == cr.float32 and y.requires_grad
    _, indices = F.max_pool3d(x, 2, return_indices=True)
    assert indices.dtype == cr.int64 and not indices.requires_grad


def test_avg_pool3d_of_ones_is_one_where_only_real_voxels_count():
    y = F.avg_pool3d(cr.ones(1, 1, 3, 4, 5), 3, stride=2, padding=1, count_include_pad=False,
                     ceil_mode=True)
    np.testing.assert_allclose(y.numpy(), 1.0)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: F.max_pool3d(cr.randn(2, 4, 4, 4, 4, 4), 2), "5-D input"),
    (lambda: F.max_pool3d(cr.randn(1, 1, 4, 4, 4), 2, padding=2), "at most half"),
    (lambda: F.max_pool3d(cr.randn(1, 1, 1, 4, 4), 2), "too small"),
    (lambda: F.avg_pool3d(cr.randn(1, 1, 4, 4, 4), (2, 2)), "kernel_size"),
    (lambda: F.avg_pool3d(cr.randn(1, 1, 4, 4, 4), 2, divisor_override=0), "divisor_override"),
    (lambda: F.adaptive_avg_pool3d(cr.randn(1, 1, 4, 4, 4), (2, 2)), "output_size"),
    (lambda: F.adaptive_max_pool3d(cr.randn(1, 4, 4, 4), 0), "output_size"),
])
def test_bad_pool_arguments_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- batch norm


@needs_torch
def test_batch_norm3d_matches_torch_in_training_and_eval():
    ours = nn.BatchNorm3d(3, momentum=None, dtype=cr.float64)
    theirs = torch.nn.BatchNorm3d(3, momentum=None, dtype=torch.float64)
    with torch.no_grad():
        ours.weight.data[:] = theirs.weight.data[:] = torch.tensor([0.5, 2.0, -1.0])
    for seed in (0, 1):
        compare_with_torch(ours, theirs, arrays(seed, (2, 3, 3, 4, 2)), seed)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-10)
    ours.eval()
    theirs.eval()
    compare_with_torch(ours, theirs, arrays(2, (1, 3, 2, 2, 2)))


def test_batch_norm3d_refuses_other_ranks_and_channel_counts():
    with pytest.raises(ValueError, match=r"5-D \(N, C, D, H, W\)"):
        nn.BatchNorm3d(3)(cr.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="C=3 channels"):
        nn.BatchNorm3d(3)(cr.randn(2, 4, 2, 2, 2))

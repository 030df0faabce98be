"""BatchNorm1d/2d, LayerNorm, GroupNorm: NumPy-formula references, the fused ops against their
composites, gradcheck, running statistics, PyTorch parity, dtypes and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn
from chainrule.ops.norm import BatchNorm, Normalize

SHAPES_1D = [(6, 3), (4, 3, 5)]
SHAPE_2D = (3, 3, 4, 2)


def reference_norm(x, axes, eps=1e-5):
    """(x − mean)/√(biased var + eps) over ``axes``, written straight from the definition."""
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def channel(v, ndim):
    """A (C,) vector as (1, C, 1, …) for an (N, C, *) input."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def batch_axes(ndim):  # every axis but the channel axis 1
    return (0,) + tuple(range(2, ndim))


def randomize(module, rng):
    """Give the affine parameters random values (the ones/zeros init would hide mistakes)."""
    for p in module.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    return module


@pytest.mark.parametrize("cls", [nn.BatchNorm1d, nn.BatchNorm2d])
def test_batch_norm_defaults_buffers_and_state_dict_keys(cls):
    bn = cls(5)
    assert bn.weight.shape == (5,) and bn.bias.shape == (5,)
    for t, value in ((bn.weight, 1), (bn.bias, 0), (bn.running_mean, 0), (bn.running_var, 1)):
        np.testing.assert_array_equal(t.data, np.full(5, value))
    assert bn.num_batches_tracked.item() == 0 and bn.num_batches_tracked.dtype == cr.int64
    assert bn.weight.dtype == bn.running_mean.dtype == bn.running_var.dtype == cr.float32
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    no_stats = cls(5, affine=False, track_running_stats=False)
    assert no_stats.weight is None and no_stats.running_mean is None
    assert list(no_stats.state_dict()) == []
    assert list(cls(5, bias=False).state_dict())[:2] == ["weight", "running_mean"]


@pytest.mark.parametrize("name,args,kwargs", [
    ("BatchNorm1d", (4,), {}), ("BatchNorm2d", (4,), {"momentum": None, "affine": False}),
    ("BatchNorm1d", (4,), {"track_running_stats": False, "bias": False}),
    ("LayerNorm", ((3, 4),), {"bias": False}), ("LayerNorm", (6,), {"elementwise_affine": False}),
    ("GroupNorm", (2, 6), {}),
    ("RMSNorm", (6,), {}), ("RMSNorm", ((3, 4),), {"eps": 1e-3, "elementwise_affine": False}),
])
def test_state_dict_keys_and_reprs_equal_torchs(name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("layer,shape", [
    (nn.BatchNorm1d(3), (4, 3)), (nn.BatchNorm1d(3), (4, 3, 7)), (nn.BatchNorm2d(3), (2, 3, 5, 6)),
    (nn.LayerNorm((5, 6)), (2, 3, 5, 6)), (nn.LayerNorm(6), (6,)), (nn.GroupNorm(3, 6), (2, 6)),
    (nn.GroupNorm(3, 6), (2, 6, 4, 4)),
])
def test_output_shape_equals_input_shape(layer, shape):
    assert layer(cr.randn(*shape)).shape == shape


# ------------------------------------------------------------ values against NumPy formulas


@pytest.mark.parametrize("shape", SHAPES_1D + [SHAPE_2D])
def test_batch_norm_training_matches_the_formula_and_updates_running_stats(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 2.0 + 3.0
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    rm, rv = rng.standard_normal(shape[1]), rng.uniform(0.5, 2.0, shape[1])
    running_mean, running_var = cr.tensor(rm), cr.tensor(rv)
    y = F.batch_norm(cr.tensor(x), running_mean, running_var, cr.tensor(w), cr.tensor(b),
                     training=True, momentum=0.3, eps=1e-3)
    axes = batch_axes(len(shape))
    expected = reference_norm(x, axes, 1e-3) * channel(w, x.ndim) + channel(b, x.ndim)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)
    unbiased = x.var(axis=axes, ddof=1)
    np.testing.assert_allclose(running_mean.numpy(), 0.7 * rm + 0.3 * x.mean(axis=axes))
    np.testing.assert_allclose(running_var.numpy(), 0.7 * rv + 0.3 * unbiased)


@pytest.mark.parametrize("shape", SHAPES_1D + [SHAPE_2D])
def test_batch_norm_eval_uses_the_running_stats_and_leaves_them(shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    rm, rv = rng.standard_normal(shape[1]), rng.uniform(0.5, 2.0, shape[1])
    running_mean, running_var = cr.tensor(rm), cr.tensor(rv)
    y = F.batch_norm(cr.tensor(x), running_mean, running_var, cr.tensor(w), cr.tensor(b))
    expected = ((x - channel(rm, x.ndim)) / np.sqrt(channel(rv, x.ndim) + 1e-5)
                * channel(w, x.ndim) + channel(b, x.ndim))
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(running_mean.numpy(), rm)
    np.testing.assert_array_equal(running_var.numpy(), rv)


def test_momentum_none_is_the_cumulative_average_of_the_batch_statistics():
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm1d(3, momentum=None).double()
    batches = [rng.standard_normal((5, 3)) * (k + 1) + k for k in range(4)]
    for batch in batches:
        bn(cr.tensor(batch))
    assert bn.num_batches_tracked.item() == 4
    # k-th batch weight 1/k: after the first batch the initial (0, 1) is forgotten entirely.
    np.testing.assert_allclose(bn.running_mean.numpy(),
                               np.mean([b.mean(axis=0) for b in batches], axis=0))
    np.testing.assert_allclose(bn.running_var.numpy(),
                               np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0))


def test_track_running_stats_false_uses_batch_statistics_in_eval_too():
    rng = np.random.default_rng(3)
    bn = randomize(nn.BatchNorm2d(3, track_running_stats=False).double(), rng)
    assert bn.running_mean is None and bn.running_var is None and bn.num_batches_tracked is None
    x = cr.tensor(rng.standard_normal(SHAPE_2D))
    train_out = bn(x).detach().numpy()
    eval_out = bn.eval()(x).detach().numpy()
    np.testing.assert_array_equal(train_out, eval_out)
    expected = (reference_norm(x.numpy(), (0, 2, 3)) * channel(bn.weight.data, 4)
                + channel(bn.bias.data, 4))
    np.testing.assert_allclose(eval_out, expected, rtol=1e-12, atol=1e-12)


def test_eval_mode_module_does_not_touch_the_buffers():
    bn = nn.BatchNorm1d(3).eval()
    bn(cr.randn(4, 3) * 5 + 2)
    assert bn.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3))
    bn(cr.randn(1, 3))  # a batch of one is fine in eval (and with 2+ positions in training)
    bn.train()
    bn(cr.randn(4, 3))
    bn(cr.randn(1, 3, 2))
    assert bn.num_batches_tracked.item() == 2
    bn.reset_running_stats()
    assert bn.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3))


def test_layer_norm_and_group_norm_match_the_formula():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 6, 3, 4))
    w, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    y = F.layer_norm(cr.tensor(x), (3, 4), cr.tensor(w), cr.tensor(b), eps=1e-4)
    np.testing.assert_allclose(y.numpy(), reference_norm(x, (2, 3), 1e-4) * w + b, atol=1e-12)
    gw, gb = rng.standard_normal(6), rng.standard_normal(6)
    y = F.group_norm(cr.tensor(x), 3, cr.tensor(gw), cr.tensor(gb))
    grouped = reference_norm(x.reshape(2, 3, 2, 3, 4), (2, 3, 4)).reshape(x.shape)
    np.testing.assert_allclose(y.numpy(), grouped * channel(gw, 4) + channel(gb, 4), atol=1e-12)


def test_float32_stays_float32_through_values_gradients_and_running_stats():
    layers = [(nn.BatchNorm1d(3), (4, 3, 5)), (nn.BatchNorm2d(3), SHAPE_2D),
              (nn.LayerNorm(5), (4, 3, 5)), (nn.GroupNorm(1, 3), (4, 3, 5))]
    for layer, shape in layers:
        for mode in (True, False):
            layer.train(mode)
            x = cr.randn(*shape, requires_grad=True)
            y = layer(x)
            (y * y).sum().backward()
            assert y.dtype == x.grad.dtype == cr.float32, (layer, mode)
            assert all(p.grad.dtype == cr.float32 for p in layer.parameters())
            assert all(buf.dtype != cr.float64 for buf in layer.buffers())


# ------------------------------------------------------------ the fused ops and their composites


def _fused_and_composite_grads(fused, composite, inputs, upstream):
    results = []
    for fn in (fused, composite):
        for t in inputs:
            t.grad = None
        y = fn(*inputs)
        y.backward(upstream)
        results.append((y.detach().numpy(), [t.grad.numpy().copy() for t in inputs]))
    return results


@pytest.mark.parametrize("shape", SHAPES_1D + [SHAPE_2D])
def test_fused_batch_norm_matches_its_composite(shape):
    rng = np.random.default_rng(5)
    x = cr.tensor(rng.standard_normal(shape) * 3 + 1, requires_grad=True)
    w = cr.tensor(rng.standard_normal(shape[1]), requires_grad=True)
    b = cr.tensor(rng.standard_normal(shape[1]), requires_grad=True)
    axes, view = batch_axes(len(shape)), (1, -1) + (1,) * (len(shape) - 2)

    def composite(x, w, b):
        mean = x.mean(axes, keepdim=True)
        var = x.var(axes, unbiased=False, keepdim=True)
        return (x - mean) * (var + 1e-5).rsqrt() * w.reshape(view) + b.reshape(view)

    (fy, fg), (cy, cg) = _fused_and_composite_grads(
        lambda x, w, b: BatchNorm.apply(x, w, b, eps=1e-5), composite, [x, w, b],
        rng.standard_normal(shape))
    np.testing.assert_allclose(fy, cy, rtol=1e-12, atol=1e-12)
    for got, want in zip(fg, cg):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("axes", [(1,), (1, 2), (0, 2)])
def test_fused_normalize_matches_its_composite(axes):
    rng = np.random.default_rng(6)
    x = cr.tensor(rng.standard_normal((3, 4, 5)) - 2, requires_grad=True)

    def composite(x):
        centered = x - x.mean(axes, keepdim=True)
        return centered * (x.var(axes, unbiased=False, keepdim=True) + 1e-5).rsqrt()

    (fy, fg), (cy, cg) = _fused_and_composite_grads(
        lambda x: Normalize.apply(x, axes=axes, eps=1e-5), composite, [x],
        rng.standard_normal((3, 4, 5)))
    np.testing.assert_allclose(fy, cy, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fg[0], cg[0], rtol=1e-10, atol=1e-12)


def test_fused_batch_norm_is_one_graph_node():
    x = cr.randn(4, 3, requires_grad=True)
    y = F.batch_norm(x, None, None, nn.Parameter(cr.ones(3)), nn.Parameter(cr.zeros(3)),
                     training=True)
    assert y.grad_fn.fn is BatchNorm and all(p.is_leaf for p in y.grad_fn.parents)


# ------------------------------------------------------------ gradcheck (float64)


def _params(rng, c, affine):
    return [cr.tensor(rng.standard_normal(c), requires_grad=True) for _ in range(2 * affine)]


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", SHAPES_1D + [(2, 2, 3, 2)])
def test_batch_norm_gradcheck(shape, affine, training):
    rng = np.random.default_rng(7)
    x = cr.tensor(rng.standard_normal(shape), requires_grad=True)
    params = _params(rng, shape[1], affine)
    running_mean = cr.tensor(rng.standard_normal(shape[1]))
    running_var = cr.tensor(rng.uniform(0.5, 2.0, shape[1]))

    def run(x, *wb):
        w, b = wb if wb else (None, None)
        return F.batch_norm(x, running_mean, running_var, w, b, training=training)

    assert cr.gradcheck(run, [x, *params])


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_and_group_norm_gradcheck(affine):
    rng = np.random.default_rng(8)
    x = cr.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    ln_params = _params(rng, 3, affine)
    assert cr.gradcheck(lambda x, *wb: F.layer_norm(x, (3,), *wb), [x, *ln_params])
    ln2_params = [cr.tensor(rng.standard_normal((4, 3)), requires_grad=True)] if affine else []
    assert cr.gradcheck(lambda x, *w: F.layer_norm(x, (4, 3), *w), [x, *ln2_params])
    gn_params = _params(rng, 4, affine)
    assert cr.gradcheck(lambda x, *wb: F.group_norm(x, 2, *wb), [x, *gn_params])


# ------------------------------------------------------------ parity with PyTorch


def _copy_to_torch(ours, theirs, torch):
    with torch.no_grad():
        for name, value in ours.state_dict().items():
            theirs.state_dict()[name].copy_(torch.from_numpy(np.array(value.numpy())))


def _step_and_compare(ours, theirs, x, upstream, torch):
    cx = cr.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    y, ty = ours(cx), theirs(tx)
    y.backward(upstream)
    ty.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-7, atol=1e-10)
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-7, atol=1e-10,
                                   err_msg=name)
    for name, value in theirs.state_dict().items():  # running stats and num_batches_tracked
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), value.numpy(), rtol=1e-7,
                                   atol=1e-12, err_msg=name)


BATCH_NORM_CASES = [
    ("BatchNorm1d", (8, 4), {}),
    ("BatchNorm1d", (5, 4, 6), {"momentum": None}),
    ("BatchNorm2d", (3, 4, 5, 5), {"momentum": 0.25, "eps": 1e-3}),
    ("BatchNorm2d", (3, 4, 2, 3), {"affine": False}),
    ("BatchNorm1d", (6, 4, 3), {"track_running_stats": False, "bias": False}),
]


@pytest.mark.parametrize("name,shape,kwargs", BATCH_NORM_CASES)
def test_batch_norm_matches_torch_over_training_steps_then_eval(name, shape, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    ours = randomize(getattr(nn, name)(shape[1], **kwargs).double(), rng)
    theirs = getattr(torch.nn, name)(shape[1], **kwargs).double()
    _copy_to_torch(ours, theirs, torch)
    for step in range(4):
        x = rng.standard_normal(shape) * (step + 1) + step
        _step_and_compare(ours, theirs, x, rng.standard_normal(shape), torch)
    ours.eval()
    theirs.eval()
    _step_and_compare(ours, theirs, rng.standard_normal(shape), rng.standard_normal(shape),
                      torch)


@pytest.mark.parametrize("layer,shape", [
    (("LayerNorm", (6,), {}), (4, 6)),
    (("LayerNorm", ((3, 4),), {"bias": False, "eps": 1e-3}), (2, 5, 3, 4)),
    (("GroupNorm", (2, 6), {}), (3, 6, 4, 2)),
    (("GroupNorm", (3, 3), {"eps": 1e-2}), (4, 3)),
    (("GroupNorm", (1, 4), {"affine": False}), (2, 4, 5)),
    (("RMSNorm", (6,), {}), (4, 6)),
    (("RMSNorm", ((3, 4),), {"eps": 1e-3}), (2, 5, 3, 4)),
    (("RMSNorm", (5,), {"elementwise_affine": False}), (3, 5)),
])
def test_layer_and_group_norm_match_torch(layer, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    name, args, kwargs = layer
    ours = randomize(getattr(nn, name)(*args, **kwargs).double(), rng)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    _copy_to_torch(ours, theirs, torch)
    for mode in (True, False):
        ours.train(mode)
        theirs.train(mode)
        ours.zero_grad()
        theirs.zero_grad()
        _step_and_compare(ours, theirs, rng.standard_normal(shape) * 2 - 1,
                          rng.standard_normal(shape), torch)


def test_state_dict_round_trip_carries_the_running_stats():
    bn = nn.BatchNorm2d(3)
    for _ in range(3):
        bn(cr.randn(4, 3, 2, 2) * 3 + 1)
    fresh = nn.BatchNorm2d(3)
    fresh.load_state_dict(bn.state_dict())
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key].numpy(), value.numpy())
    x = cr.randn(2, 3, 2, 2)
    np.testing.assert_array_equal(fresh.eval()(x).detach().numpy(),
                                  bn.eval()(x).detach().numpy())


# ------------------------------------------------------------ errors

ERRORS = [  # (exception, message pattern, call): layer or function, layout, expected, shape
    (ValueError, r"BatchNorm1d\(3.*2-D \(N, C\) or 3-D \(N, C, L\).*\(2, 3, 4, 5\)",
     lambda: nn.BatchNorm1d(3)(cr.randn(2, 3, 4, 5))),
    (ValueError, r"4-D \(N, C, H, W\).*\(2, 3, 4\)", lambda: nn.BatchNorm2d(3)(cr.randn(2, 3, 4))),
    (ValueError, r"BatchNorm2d\(3.*\(N, C, H, W\) with C=3.*\(2, 4, 5, 5\)",
     lambda: nn.BatchNorm2d(3)(cr.randn(2, 4, 5, 5))),
    (ValueError, r"\(N, C, L\) with C=3.*\(2, 5, 4", lambda: nn.BatchNorm1d(3)(cr.randn(2, 5, 4))),
    (ValueError, r"running_mean has shape \(4,\).*\(N, C, \*\) has C=3",
     lambda: F.batch_norm(cr.randn(2, 3), cr.zeros(4), cr.ones(4), training=True)),
    (ValueError, r"Expected more than 1 value per channel when training, got input size \(1, 3\)",
     lambda: nn.BatchNorm1d(3)(cr.randn(1, 3))),
    (ValueError, "must be given in evaluation mode",
     lambda: F.batch_norm(cr.randn(4, 3), None, None, training=False)),
    (TypeError, "momentum", lambda: F.batch_norm(cr.randn(4, 3), cr.zeros(3), cr.ones(3),
                                                 training=True, momentum=None)),
    (ValueError, "eps", lambda: F.batch_norm(cr.randn(4, 3), None, None, training=True, eps=0.0)),
    (TypeError, "float32 but a parameter is float64",
     lambda: F.layer_norm(cr.randn(2, 3), (3,), cr.ones(3, dtype=cr.float64))),
    (TypeError, "floating-point", lambda: F.group_norm(cr.tensor([[1, 2]]), 1)),
    (ValueError, r"LayerNorm\(\(4,\).*\(\*, 4\).*\(2, 5", lambda: nn.LayerNorm(4)(cr.randn(2, 5))),
    (ValueError, r"normalized_shape=\(3, 4\).*\(\*, 3, 4\)",
     lambda: F.layer_norm(cr.randn(2, 4, 3), (3, 4))),
    (ValueError, r"num_channels \(6\) must be divisible by num_groups \(4\)",
     lambda: nn.GroupNorm(4, 6)),
    (ValueError, r"C=6.*divisible by num_groups=4", lambda: F.group_norm(cr.randn(2, 6, 3), 4)),
    (ValueError, r"GroupNorm\(2, 4.*\(N, C, \*\) with C=4.*\(2, 6, 3\)",
     lambda: nn.GroupNorm(2, 4)(cr.randn(2, 6, 3))),
]


@pytest.mark.parametrize("error,pattern,call", ERRORS)
def test_errors_name_the_layer_the_layout_the_expectation_and_the_shape(error, pattern, call):
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rms_norm_default_eps_is_the_dtypes_machine_epsilon_as_in_torch(dtype):
    """Inputs of magnitude 1e-4 have a mean square near float32's ε (1.2e-7): the default eps
    moves the result there, so a wrong default shows."""
    torch = pytest.importorskip("torch")
    x = (np.random.default_rng(3).standard_normal((4, 6)) * 1e-4).astype(dtype)
    ours = F.rms_norm(cr.tensor(x), (6,)).numpy()
    theirs = torch.nn.functional.rms_norm(torch.tensor(x), [6]).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5 if dtype == "float32" else 1e-12)
    mean_square = (x.astype(np.float64) ** 2).mean(axis=1, keepdims=True)
    np.testing.assert_allclose(ours, x / np.sqrt(mean_square + np.finfo(dtype).eps), rtol=1e-5)


@pytest.mark.parametrize("error,pattern,make", [
    (ValueError, r"rms_norm: normalized_shape=\(4,\).*\(2, 5\)",
     lambda: F.rms_norm(cr.randn(2, 5), (4,))),
    (ValueError, r"rms_norm: weight has shape \(3,\)",
     lambda: F.rms_norm(cr.randn(2, 4), (4,), cr.ones(3))),
    (TypeError, "rms_norm needs a floating-point input",
     lambda: F.rms_norm(cr.tensor([[1, 2]]), (2,))),
    (TypeError, "rms_norm: the input is float32 but a parameter is float64",
     lambda: F.rms_norm(cr.randn(2, 3), (3,), cr.ones(3, dtype=cr.float64))),
])
def test_rms_norm_errors_name_the_problem(error, pattern, make):
    with pytest.raises(error, match=pattern):
        make()

"""The routes that skip graph building when nothing is recorded (issue 15, part 3) give what
the recording route gives: ``F.linear`` computing on the arrays directly, the cheap
``UnrecordedContext`` of ``apply``, and the ``no_grad`` block's own bookkeeping."""

from __future__ import annotations

import threading
import tracemalloc

import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd, grad_mode, nn
from chainrule import functional as F

DTYPES = [np.float32, np.float64]


def _operands(dtype, x_shape, bias: bool, transposed_x: bool = False):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(x_shape[::-1] if transposed_x else x_shape).astype(dtype)
    if transposed_x:
        x = x.T  # a non-contiguous input
    w = rng.standard_normal((5, x_shape[-1])).astype(dtype)
    b = rng.standard_normal(5).astype(dtype) if bias else None
    return x, w, b


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape, transposed", [((3, 4), False), ((4,), False),
                                                 ((2, 3, 4), False), ((4, 3), True)])
def test_linear_without_graph_equals_the_recorded_forward_bit_for_bit(dtype, bias, x_shape,
                                                                       transposed):
    if transposed:
        x_shape = (3, 4)
    x, w, b = _operands(dtype, x_shape, bias, transposed)
    recorded = F.linear(cr.tensor(x), cr.tensor(w, requires_grad=True),
                        None if b is None else cr.tensor(b, requires_grad=True))
    assert recorded.grad_fn is not None
    weight = cr.tensor(w, requires_grad=True)
    with cr.no_grad():
        plain = F.linear(cr.from_numpy(x), weight, None if b is None else cr.tensor(b))
    assert plain.grad_fn is None and not plain.requires_grad and plain.is_leaf
    assert plain.dtype == recorded.dtype and plain.shape == recorded.shape
    np.testing.assert_array_equal(plain.numpy(), recorded.detach().numpy())


def test_linear_without_graph_keeps_special_values():
    x = np.array([[np.inf, 0.0, -0.0], [np.nan, 1.0, -1.0]], np.float32)
    w = np.array([[1.0, 0.0, 0.0], [0.0, -0.0, 2.0]], np.float32)
    b = np.array([-np.inf, 0.5], np.float32)
    with np.errstate(all="ignore"):
        recorded = F.linear(cr.tensor(x, requires_grad=True), cr.tensor(w), cr.tensor(b))
        with cr.no_grad():
            plain = F.linear(cr.tensor(x), cr.tensor(w), cr.tensor(b))
    np.testing.assert_array_equal(plain.numpy(), recorded.detach().numpy())


def test_linear_with_grad_on_but_nothing_requiring_grad_records_nothing():
    x, w, b = _operands(np.float32, (3, 4), True)
    out = F.linear(cr.tensor(x), cr.tensor(w), cr.tensor(b))
    assert out.grad_fn is None and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), x @ w.T + b)


def test_linear_accepts_arrays_as_before():
    x, w, b = _operands(np.float64, (3, 4), True)
    with cr.no_grad():
        out = F.linear(x, cr.tensor(w), cr.tensor(b))
    np.testing.assert_array_equal(out.numpy(), x @ w.T + b)
    assert isinstance(out, cr.Tensor)


def test_linear_checks_run_before_either_route():
    layer = nn.Linear(4, 3)
    with cr.no_grad():
        with pytest.raises(ValueError, match="in_features=4"):
            layer(cr.randn(2, 5))
        with pytest.raises(TypeError, match="float64.*float32"):
            layer(cr.randn(1, 4, dtype=cr.float64))


def test_output_without_graph_has_its_own_version_counter():
    x = cr.randn(2, 4)
    layer = nn.Linear(4, 3)
    before = (x._version, layer.weight._version, layer.bias._version)
    with cr.no_grad():
        y = layer(x)
        y.add_(1.0)
    assert (x._version, layer.weight._version, layer.bias._version) == before
    assert y._version == 1


def test_model_outputs_in_no_grad_and_inference_mode_have_no_graph():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).eval()
    x = cr.randn(3, 4)
    recorded = model(x)
    assert recorded.requires_grad and recorded.grad_fn is not None
    for mode in (cr.no_grad, cr.inference_mode):
        with mode():
            out = model(x)
        assert not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.numpy(), recorded.detach().numpy())


def test_forward_of_an_unrecorded_op_sees_an_empty_context():
    seen = []

    class Probe(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append((isinstance(ctx, autograd.Context), ctx.needs_input_grad, ctx.parents,
                         ctx.trace, ctx.fn))
            ctx.save_for_backward(x)
            ctx.setting = 3
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * 2

    x = cr.ones(2, requires_grad=True)
    with cr.no_grad():
        Probe.apply(x)
    Probe.apply(cr.ones(2))  # grad mode on, no input requires grad
    with cr.detect_anomaly(), cr.no_grad():
        Probe.apply(x)
    assert seen == [(True, (), (), None, Probe)] * 3
    y = Probe.apply(x)  # and the recording route still records
    assert y.grad_fn.needs_input_grad == (True,) and y.grad_fn.setting == 3


def test_unrecorded_contexts_share_nothing():
    first, second = autograd.UnrecordedContext(None), autograd.UnrecordedContext(None)
    first.save_for_backward(np.ones(1))
    first.setting = 1
    assert second.saved == () and not hasattr(second, "setting")


def test_no_grad_blocks_restore_every_mode_and_the_shared_flag():
    with cr.detect_anomaly():
        with cr.no_grad():
            assert not cr.is_grad_enabled() and cr.autograd.is_anomaly_enabled()
            with cr.enable_grad():
                assert cr.is_grad_enabled()
            with cr.inference_mode():
                assert cr.is_inference_mode_enabled()
            assert not cr.is_inference_mode_enabled() and not cr.is_grad_enabled()
        assert cr.is_grad_enabled() and not grad_mode.all_default
    assert grad_mode.all_default
    with pytest.raises(KeyError):
        with cr.no_grad():
            raise KeyError
    assert cr.is_grad_enabled() and grad_mode.all_default


def test_no_grad_blocks_in_many_threads_leave_the_shared_flag_right():
    def worker():
        for _ in range(500):
            with cr.no_grad():
                with cr.inference_mode():
                    pass

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert grad_mode.all_default and grad_mode._threads_off_default == 0


def test_bare_no_grad_decorator_still_works():
    @cr.no_grad
    def double(t):
        return t * 2

    out = double(cr.ones(2, requires_grad=True))
    assert not out.requires_grad and cr.is_grad_enabled()


def inference_peak(fused: bool) -> int:
    """The tracemalloc peak, in bytes, of a batch-1024 forward of a 784-512-256-10 ReLU MLP in
    no_grad, with nn.Sequential's fused layer + ReLU on or off (the plain loop)."""
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10)).eval()
    x = cr.from_numpy(np.random.default_rng(0).random((1024, 784), dtype=np.float32))
    cr.kernels.use_fast(fused, "fuse_relu")
    try:
        with cr.no_grad():
            model(x)  # warm up
            tracemalloc.start()
            try:
                out = model(x)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    finally:
        cr.kernels.use_fast(True, "fuse_relu")
    assert out.shape == (1024, 10)
    return peak


def test_inference_allocates_nothing_beyond_its_outputs():
    """Layer by layer, the peak is the two largest consecutive outputs (the first layer's
    result and its ReLU's) plus a little bookkeeping; with the fused pairs the ReLU writes over
    the product, so the peak is the first product and the second layer's."""
    first, second, slack = 1024 * 512 * 4, 1024 * 256 * 4, 64 * 1024
    plain = inference_peak(False)
    assert 2 * first <= plain < 2 * first + slack
    fused = inference_peak(True)
    assert first + second <= fused < first + second + slack


def test_linear_reads_parameters_assigned_after_construction():
    layer = nn.Linear(3, 2)
    x = cr.randn(4, 3)
    layer.weight = nn.Parameter(cr.ones(2, 3))
    layer.bias = None
    np.testing.assert_allclose(layer(x).detach().numpy(), x.numpy() @ np.ones((3, 2)),
                               rtol=1e-6)
    layer.register_parameter("bias", nn.Parameter(cr.full((2,), 5.0)))
    with cr.no_grad():
        np.testing.assert_allclose(layer(x).numpy(), x.numpy() @ np.ones((3, 2)) + 5.0,
                                   rtol=1e-6)


def test_a_gradient_hook_registered_after_the_first_step_is_honoured():
    layer = nn.Linear(3, 2)
    x = cr.randn(4, 3)
    layer(x).sum().backward()
    first = layer.weight.grad.numpy().copy()
    layer.zero_grad()
    seen = []
    layer.weight.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
    with cr.no_grad():
        layer(x)  # an unrecorded call in between changes nothing
    layer(x).sum().backward()
    np.testing.assert_array_equal(seen[0], first)
    np.testing.assert_array_equal(layer.weight.grad.numpy(), 2 * first)


@pytest.mark.parametrize("name", ["weight", "bias"])
def test_linear_with_a_deleted_parameter_raises_attribute_error_naming_it(name):
    layer = nn.Linear(3, 2)
    delattr(layer, name)
    with pytest.raises(AttributeError, match=name):
        layer(cr.randn(4, 3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, transposed", [((3, 4), False), ((5, 4), True), ((7,), False),
                                               ((64, 32, 32, 8), False)])
def test_relu_without_graph_equals_the_recorded_forward_bit_for_bit(dtype, shape, transposed):
    rng = np.random.default_rng(3)
    data = rng.standard_normal(shape[::-1] if transposed else shape).astype(dtype)
    data = data.T if transposed else data  # a non-contiguous input
    flat = data.reshape(-1) if data.flags.c_contiguous else None
    if flat is not None:
        flat[:4] = [np.nan, -0.0, np.inf, -np.inf]
    recorded = F.relu(cr.tensor(data, requires_grad=True))
    assert recorded.grad_fn is not None
    with cr.no_grad():
        unrecorded = F.relu(cr.tensor(data, requires_grad=True))
    plain = F.relu(cr.tensor(data))
    for out in (unrecorded, plain):
        assert out.grad_fn is None and not out.requires_grad
        np.testing.assert_array_equal(out.numpy(), recorded.detach().numpy())
        assert np.array_equal(np.signbit(out.numpy()), np.signbit(recorded.detach().numpy()))
        assert out.numpy().dtype == dtype

"""The backward engine: graph reuse, accumulation, grad modes, freeing, errors, custom ops."""

from __future__ import annotations

import gc
import inspect
import warnings
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import Function


def leaf(values, dtype=cr.float64):
    return cr.tensor(values, dtype=dtype, requires_grad=True)


def test_reused_tensor_gets_the_sum_of_its_paths():
    a = leaf([1.0, -2.0])
    b = a + a
    c = b + b  # c = 4a
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 4.0])


def test_diamond_graph_accumulates_both_branches():
    x = leaf([0.5, 1.5])
    y = x * x + x.exp()  # dy/dx = 2x + eˣ
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.data + np.exp(x.data))


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = leaf([1.0, 2.0, 3.0])
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0, 5.0])
    x.grad = None
    (x * 7).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 7.0, 7.0])


def test_micro_batches_of_loss_over_k_equal_one_big_batch():
    """R-GRAD-6: k micro-batches of loss/k give the gradient of one batch of k·size."""
    rng = np.random.default_rng(0)
    data = rng.standard_normal((12, 3))
    w = leaf(rng.standard_normal(3))
    ((cr.tensor(data) @ w).tanh().mean()).backward()
    whole = w.grad.numpy().copy()
    w.grad = None
    for chunk in np.split(data, 4):
        ((cr.tensor(chunk) @ w).tanh().mean() / 4).backward()
    np.testing.assert_allclose(w.grad.numpy(), whole, atol=1e-12, rtol=0)


def test_broadcast_operand_gradient_is_reduced_to_its_shape():
    w = leaf(np.ones((1, 3)))
    x = cr.tensor(np.arange(6.0).reshape(2, 3), dtype=cr.float64)
    (x * w).sum().backward()
    assert w.grad.shape == (1, 3)
    np.testing.assert_array_equal(w.grad.numpy(), [[3.0, 5.0, 7.0]])


def test_no_grad_builds_no_graph_as_context_and_decorator():
    x = leaf([1.0])
    with cr.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @cr.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert cr.is_grad_enabled()


def test_enable_grad_inside_no_grad_and_modes_restore_after_errors():
    x = leaf([1.0])
    with cr.no_grad():
        with cr.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    with pytest.raises(ZeroDivisionError):
        with cr.no_grad():
            1 / 0
    assert cr.is_grad_enabled()


def test_retain_graph_allows_a_second_backward():
    x = leaf([2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [8.0])


def test_second_backward_through_a_freed_graph_raises_clearly():
    x = leaf([2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_saved_arrays_are_released_after_backward():
    """R-MEM-1: once backward has run, nothing keeps the forward's saved arrays alive."""
    x = leaf(np.ones(1000))
    hidden = x.exp()
    probe = weakref.ref(hidden.data)
    loss = (hidden * hidden).sum()
    del hidden
    gc.collect()
    assert probe() is not None  # still needed by the graph
    loss.backward()
    gc.collect()
    assert probe() is None


def test_a_chain_of_100_000_ops_needs_no_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0])


def test_backward_on_a_non_scalar_without_gradient_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"scalar output.*\(2,\)"):
        (x * 2).backward()


def test_backward_with_an_explicit_gradient_of_the_output_shape():
    x = leaf([1.0, 2.0])
    (x * 3).backward(gradient=cr.tensor([1.0, 10.0], dtype=cr.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 30.0])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (x * 3).backward(gradient=np.ones(3))


def test_backward_on_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.tensor([1.0, 2.0]).sum().backward()


def test_autograd_grad_returns_gradients_without_touching_dot_grad():
    x = leaf([1.0, 2.0])
    y = leaf([3.0, 4.0])
    gx, gy = cr.autograd.grad((x * y).sum(), [x, y])
    np.testing.assert_array_equal(gx.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gy.numpy(), [1.0, 2.0])
    assert x.grad is None and y.grad is None


def test_autograd_grad_reports_unused_inputs():
    x, unused = leaf([1.0]), leaf([1.0])
    with pytest.raises(RuntimeError, match="not used"):
        cr.autograd.grad((x * 2).sum(), [x, unused])
    assert cr.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)[1] is None


def test_gradient_of_a_non_leaf_with_retain_grad():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), 2 * h.data)
    np.testing.assert_array_equal(x.grad.numpy(), 18 * x.data)


class Cube(Function):
    """y = x³;  dL/dx = dL/dy · 3x²."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * 3 * x**2


def test_custom_function_apply_and_gradcheck():
    x = leaf([0.5, -1.5, 2.0])
    assert cr.gradcheck(Cube.apply, (x,))
    y = Cube.apply(x)
    assert y.grad_fn.fn is Cube
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.data**2)


def test_needs_input_grad_tells_which_inputs_need_a_gradient():
    seen = []

    class Record(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad_out):
            seen.append(ctx.needs_input_grad)
            return grad_out, None

    Record.apply(leaf([1.0]), cr.tensor([2.0], dtype=cr.float64)).sum().backward()
    assert seen == [(True, False)]


def test_a_backward_returning_the_wrong_number_of_gradients_is_named():
    class TwoIn(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out

    with pytest.raises(RuntimeError, match="TwoIn.backward returned 1 gradients for 2"):
        TwoIn.apply(leaf([1.0]), leaf([1.0])).sum().backward()


def test_a_backward_returning_a_wrong_shape_is_named_with_both_shapes():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out[:1]

    with pytest.raises(RuntimeError, match=r"BadShape.*\(1,\).*\(3,\)"):
        BadShape.apply(leaf([1.0, 2.0, 3.0])).sum().backward()


def test_in_place_change_of_a_saved_input_is_detected():
    w = leaf([1.0, 2.0])
    y = (w * w).sum()
    with cr.no_grad():
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


class Scaled(cr.autograd.Function):
    """y = s·x with s a setting; backward reads no value of x, only the setting."""
    unread_inputs = (0,)

    @staticmethod
    def forward(ctx, x, scale=2.0):
        ctx.scale = scale
        return x * scale

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * ctx.scale


def test_an_input_whose_values_backward_never_reads_may_change_in_place_afterwards():
    w = leaf([1.0, 2.0])
    y = Scaled.apply(w).sum() + (w * 3).sum()
    with cr.no_grad():
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="an input of Mul"):  # Mul reads w: still refused
        y.backward(retain_graph=True)
    w.grad = None  # (the refused pass had reached Scaled first)
    z = Scaled.apply(w).sum()
    with cr.no_grad():
        w.mul_(5.0)
    z.backward()  # Scaled does not read w
    assert w.grad.tolist() == [2.0, 2.0]


def test_in_place_change_of_a_leaf_that_requires_grad_is_refused_in_grad_mode():
    w = leaf([1.0])
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1.0)


def test_detect_anomaly_names_the_function_that_produced_nan():
    x = leaf([0.0])
    with cr.detect_anomaly():
        y = x.sqrt() * 0.0  # d sqrt/dx at 0 is inf; inf · 0 = nan
        with np.errstate(all="ignore"), pytest.raises(RuntimeError, match="Sqrt"):
            y.sum().backward()


def test_detect_anomaly_names_where_the_failing_op_was_created():
    """R-NUM-5: the error points at the forward line that made the op, as PyTorch's does."""
    x = leaf([0.0])
    with cr.detect_anomaly():
        root, line = x.sqrt(), inspect.currentframe().f_lineno
        y = root * 0.0
        with np.errstate(all="ignore"), pytest.raises(RuntimeError) as raised:
            y.sum().backward()
    message = str(raised.value)
    assert "Sqrt" in message and "NaN" in message
    assert f'{__file__}", line {line}, in test_detect_anomaly' in message


def test_detect_anomaly_lets_legitimate_infinities_through():
    x = leaf([0.0, 4.0])
    with cr.detect_anomaly(), np.errstate(divide="ignore"):
        x.sqrt().sum().backward()  # d√x/dx = 1/(2√x): +inf at 0, a true value
    np.testing.assert_array_equal(x.grad.numpy(), [np.inf, 0.25])


def test_detect_anomaly_without_check_nan_records_but_does_not_raise():
    x = leaf([0.0])
    with cr.detect_anomaly(check_nan=False):
        y = x.sqrt() * 0.0
        assert y.grad_fn.trace is not None
        with np.errstate(all="ignore"):
            y.sum().backward()
    assert np.isnan(x.grad.item())


def test_creation_stacks_are_recorded_only_in_anomaly_mode():
    x = leaf([1.0])
    assert (x * 2).grad_fn.trace is None
    with cr.detect_anomaly():
        assert (x * 2).grad_fn.trace is not None
    assert (x * 2).grad_fn.trace is None


def test_detect_anomaly_flags_what_torch_flags():
    torch = pytest.importorskip("torch")
    for values, flagged in (([0.0], False), ([-1.0], True)):  # inf passes; NaN raises
        ours, theirs = leaf(values), torch.tensor(values, dtype=torch.float64, requires_grad=True)
        results = []
        for mode, x in ((cr.detect_anomaly, ours), (torch.autograd.detect_anomaly, theirs)):
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # torch warns that anomaly mode is slow
                try:
                    with mode():
                        x.sqrt().sum().backward()
                    results.append(False)
                except RuntimeError:
                    results.append(True)
        assert results == [flagged, flagged], values


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "pow", "maximum", "matmul"])
def test_a_parameter_on_the_left_passes_the_gradient_to_a_tensor_on_the_right(op):
    w = cr.nn.Parameter(cr.tensor([1.5, 2.0], dtype=cr.float64))
    x = leaf([0.5, 3.0])
    out = getattr(w, op)(x * 1.0) if op == "maximum" else getattr(w, f"__{op}__")(x * 1.0)
    out.sum().backward()
    assert x.grad is not None and w.grad is not None
    wx, xx = leaf(w.detach().numpy()), leaf([0.5, 3.0])
    reference = getattr(wx, op)(xx) if op == "maximum" else getattr(wx, f"__{op}__")(xx)
    reference.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xx.grad.numpy())
    np.testing.assert_allclose(w.grad.numpy(), wx.grad.numpy())


def test_a_parameter_times_an_array_makes_no_new_parameter():
    w = cr.nn.Parameter(cr.ones(2))
    out = w * np.array([2.0, 3.0], dtype=np.float32)
    assert [type(p) for p in out.grad_fn.parents] == [cr.nn.Parameter, cr.Tensor]
    assert not out.grad_fn.parents[1].requires_grad


def test_float32_gradients_reach_a_float32_leaf_through_float64_ops():
    w = cr.ones(3, requires_grad=True)
    (w * cr.tensor([1.0, 2.0, 3.0], dtype=cr.float64)).sum().backward()
    assert w.grad.dtype == cr.float32
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0, 3.0])


def test_leaf_gradients_are_writable_and_not_shared_between_leaves():
    a, b = leaf([1.0]), leaf([1.0])
    (a + b).sum().backward()
    a.grad.data[0] = 100.0  # must not leak into b.grad
    assert b.grad.item() == 1.0
    s = leaf([1.0, 2.0])
    s.sum().backward()  # the reduction's gradient is a broadcast: stored as a real array
    assert s.grad.data.flags.writeable


def assert_own_memory(*arrays):
    for i, first in enumerate(arrays):
        for second in arrays[i + 1:]:
            assert not np.shares_memory(first, second)


def test_backward_with_inputs_gives_each_leaf_its_own_gradient_array():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward(inputs=[a, b])  # Add hands one array to both inputs
    assert_own_memory(a.grad.data, b.grad.data)
    a.grad.mul_(0.0)
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_a_gradient_that_is_a_view_of_another_leafs_gradient_is_copied():
    c, d = leaf([1.0, 2.0]), leaf([[1.0, 2.0]])
    (c + d.reshape(2)).sum().backward()  # d's gradient is Reshape's view of c's
    assert_own_memory(c.grad.data, d.grad.data)
    c.grad.mul_(0.0)
    np.testing.assert_array_equal(d.grad.numpy(), [[1.0, 1.0]])


def test_a_leaf_gradient_is_not_the_callers_gradient_array():
    seed = np.array([1.0, 10.0])
    x = leaf([1.0, 2.0])
    x.backward(gradient=seed)
    seed[:] = 0.0
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 10.0])


def test_backward_never_writes_into_the_callers_gradient_array():
    rng = np.random.default_rng(0)
    x = leaf(rng.standard_normal((2, 3, 5, 5)))
    conv = cr.nn.Conv2d(3, 4, 3, padding=1).double()
    out = cr.nn.functional.max_pool2d(cr.relu(conv(x) + x.sum(1, keepdim=True)), 2)
    seed = rng.standard_normal(out.shape)
    kept = seed.copy()
    out.backward(gradient=seed)
    np.testing.assert_array_equal(seed, kept)
    assert seed.flags.writeable
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()


def test_assigning_a_gradient_of_another_dtype_or_shape_is_refused():
    w = cr.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="float64.*float32"):
        w.grad = np.ones(2)
    with pytest.raises(ValueError, match=r"\(3,\)"):
        w.grad = np.ones(3, dtype=np.float32)


def test_the_mean_of_an_empty_tensor_is_nan_without_a_warning():
    assert np.isnan(cr.zeros(0).mean().item())
    assert np.all(np.isnan(cr.zeros(3, 0).mean(dim=1).numpy()))


def test_ragged_nested_lists_get_a_clear_error():
    with pytest.raises(ValueError, match="rectangular"):
        cr.tensor([[1.0, 2.0], [3.0]])

"""Edge cases of the pointwise API against PyTorch: special values (±0, ±∞, NaN, the poles),
the conventions of each gradient there, dtype results for integer, bool and mixed inputs,
the errors PyTorch raises, and the two bug fixes (sign and min of bool tensors). The smooth
cases are in the op table (``tests/ops/spec_rows_pointwise.py``)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.methods.pointwise import IntegerDivisionByZero
from tests.optional import needs_torch, torch

pytestmark = needs_torch

INF, NAN = float("inf"), float("nan")
DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64,
          "int64": np.int64, "int32": np.int32, "int8": np.int8, "uint8": np.uint8,
          "bool": np.bool_}


def pair(values, dtype="float32", requires_grad=False):
    """The same values as a chainrule and a torch tensor."""
    array = np.asarray(values, dtype=DTYPES[dtype])
    ours = cr.tensor(array, requires_grad=requires_grad)
    theirs = torch.tensor(array, requires_grad=requires_grad)
    return ours, theirs


def assert_same(ours, theirs, rtol=1e-6, atol=0.0):
    """Shape, dtype and values (NaN equal to NaN, signed zeros and infinities exact)."""
    assert ours.shape == tuple(theirs.shape)
    assert str(theirs.dtype) == f"torch.{ours.dtype.name}"
    want = theirs.detach().numpy()
    got = ours.detach().numpy()
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if got.dtype.kind == "f":
        finite = np.isfinite(want)
        assert np.array_equal(np.signbit(got[~finite & ~np.isnan(want)]),
                              np.signbit(want[~finite & ~np.isnan(want)]))


def grads(fn, *values, dtype="float64"):
    """fn's value and input gradients (upstream ones) in chainrule and in torch."""
    ours_in = [cr.tensor(np.asarray(v, DTYPES[dtype]), requires_grad=True) for v in values]
    theirs_in = [torch.tensor(np.asarray(v, DTYPES[dtype]), requires_grad=True)
                 for v in values]
    ours, theirs = fn(cr, *ours_in), fn(torch, *theirs_in)
    ours.backward(cr.ones_like(ours))
    theirs.backward(torch.ones_like(theirs))
    return ours, theirs, ours_in, theirs_in


def assert_same_grads(fn, *values, dtype="float64"):
    ours, theirs, ours_in, theirs_in = grads(fn, *values, dtype=dtype)
    assert_same(ours, theirs)
    for x, t in zip(ours_in, theirs_in):
        assert_same(x.grad, t.grad)


# ---------------------------------------------------------------- arithmetic forms


def test_top_level_arithmetic_is_the_operators_graph():
    rng = np.random.default_rng(0)
    a0, b0 = rng.standard_normal((3, 4)), rng.uniform(0.5, 2.0, (4,))
    pairs = [
        (lambda a, b: cr.add(a, b, alpha=3), lambda a, b: a + b * 3),
        (lambda a, b: cr.sub(a, b, alpha=2), lambda a, b: a - b * 2),
        (lambda a, b: cr.subtract(a, b), lambda a, b: a - b),
        (lambda a, b: cr.multiply(a, b), lambda a, b: a * b),
        (lambda a, b: cr.divide(a, b), lambda a, b: a / b),
        (lambda a, b: cr.true_divide(a, b), lambda a, b: a / b),
    ]
    for function, operator in pairs:
        results = []
        for form in (function, operator):
            a, b = cr.tensor(a0, requires_grad=True), cr.tensor(b0, requires_grad=True)
            y = form(a, b)
            y.backward(cr.ones_like(y))
            results.append((y.detach().numpy(), a.grad.numpy(), b.grad.numpy()))
        for got, want in zip(*results):
            np.testing.assert_array_equal(got, want)


def test_number_first_forms():
    x, t = pair([1.5, -2.0])
    assert_same(cr.add(2, x), torch.add(2, t))
    assert_same(cr.sub(2, x, alpha=3), torch.sub(2, t, alpha=3))
    assert_same(cr.mul(3, x), torch.mul(3, t))
    assert_same(cr.div(3, x), torch.div(3, t))
    assert_same(cr.xlogy(2, x.abs()), torch.xlogy(2, t.abs()))
    assert_same(cr.float_power(2, x), torch.float_power(2, t))


@pytest.mark.parametrize(("dtype", "other", "alpha"), [
    ("int64", 2, 3), ("int64", 2, -1), ("float32", 2, 0.5), ("bool", True, 2),
    ("bool", True, 0), ("int8", 3, 2), ("float16", 1.5, 2),
])
def test_alpha_results_as_torch(dtype, other, alpha):
    x, t = pair([1, 0, 1], dtype)
    assert_same(cr.add(x, other, alpha=alpha), torch.add(t, other, alpha=alpha))
    assert_same(x.add(x, alpha=alpha), t.add(t, alpha=alpha))
    if dtype != "bool":
        assert_same(cr.sub(x, other, alpha=alpha), torch.sub(t, other, alpha=alpha))


@pytest.mark.parametrize(("dtype", "alpha"), [("int64", 0.5), ("float32", True), ("int64", True)])
def test_alpha_refused_as_torch(dtype, alpha):
    x, t = pair([1, 2], dtype)
    with pytest.raises(RuntimeError):
        torch.add(t, t, alpha=alpha)
    with pytest.raises(TypeError, match="alpha"):
        cr.add(x, x, alpha=alpha)
    with pytest.raises(TypeError, match="alpha"):
        x.sub(x, alpha=alpha)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@pytest.mark.parametrize(("dtype_a", "dtype_b"), [
    ("int64", "int64"), ("int32", "int64"), ("int8", "int8"), ("uint8", "uint8"),
    ("float32", "float32"), ("float32", "float64"), ("int64", "float32"), ("float64", "int32"),
])
def test_rounded_division_dtypes_and_values(mode, dtype_a, dtype_b):
    a, ta = pair([7, -7, 6, -6, 5, 0], dtype_a) if dtype_a != "uint8" else pair(
        [7, 250, 6, 1, 5, 0], dtype_a)
    b, tb = pair([2, 2, -4, -3, 5, 3], dtype_b) if dtype_b != "uint8" else pair(
        [2, 3, 4, 7, 5, 3], dtype_b)
    assert_same(cr.div(a, b, rounding_mode=mode), torch.div(ta, tb, rounding_mode=mode))
    assert_same(a.div(b, rounding_mode=mode), ta.div(tb, rounding_mode=mode))
    if mode == "floor":
        assert_same(cr.floor_divide(a, b), torch.floor_divide(ta, tb))
        assert_same(a // b, ta // tb)


def test_rounded_division_with_scalars_and_by_zero():
    x, t = pair([1.0, -1.0, 0.0, 7.5, -7.5])
    for mode in ("trunc", "floor"):
        for divisor in (0.0, -0.0, 2, -2.5):
            assert_same(cr.div(x, divisor, rounding_mode=mode),
                        torch.div(t, divisor, rounding_mode=mode))
    i, ti = pair([7, -7, 3], "int64")
    assert_same(cr.div(i, 2.5, rounding_mode="floor"), torch.div(ti, 2.5, rounding_mode="floor"))
    assert_same(cr.div(i, 2), torch.div(ti, 2))  # true division: a float result


def test_integer_division_by_zero_raises_as_torch():
    i, ti = pair([7, -7, 3], "int64")
    zero, tzero = pair([1, 0, 1], "int64")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        torch.div(ti, tzero, rounding_mode="floor")
    for call in (lambda: cr.div(i, zero, rounding_mode="trunc"), lambda: cr.floor_divide(i, 0),
                 lambda: i // zero, lambda: 5 // zero):
        with pytest.raises(IntegerDivisionByZero, match="division by zero") as info:
            call()
        assert isinstance(info.value, ZeroDivisionError) and isinstance(info.value, RuntimeError)


def test_rounded_division_refusals():
    x = cr.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="rounding_mode"):
        cr.div(x, 2, rounding_mode="round")
    b, tb = pair([True, False], "bool")
    with pytest.raises(NotImplementedError):
        torch.div(tb, tb, rounding_mode="floor")
    for call in (lambda: cr.div(b, b, rounding_mode="trunc"), lambda: cr.floor_divide(b, b),
                 lambda: b // b):
        with pytest.raises(TypeError, match="bool"):
            call()
    with pytest.raises(ValueError, match="cannot be broadcast"):
        cr.floor_divide(cr.ones(2), cr.ones(3))


def test_rounded_division_records_no_graph():
    x = cr.tensor([1.5, -2.5], requires_grad=True)
    for y in (cr.div(x, 2, rounding_mode="trunc"), x.div(2, rounding_mode="floor"),
              cr.floor_divide(x, 2), x.floor_divide(x)):
        assert not y.requires_grad and y.is_leaf


def test_absolute_positive_clone():
    i, ti = pair([-3, 0, 4], "int64")
    assert_same(cr.absolute(i), torch.absolute(ti))
    assert_same(i.absolute(), ti.absolute())
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    assert cr.positive(x) is x and x.positive() is x
    b, tb = pair([True], "bool")
    with pytest.raises(RuntimeError):
        torch.positive(tb)
    for call in (lambda: cr.positive(b), lambda: cr.absolute(b)):
        with pytest.raises(TypeError, match="bool"):
            call()
    y = cr.clone(x, memory_format=None)
    assert y.data is not x.data and np.array_equal(y.data, x.data)
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1), (-1, 0)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_all_any_as_torch(dim, keepdim):
    rng = np.random.default_rng(1)
    values = rng.choice([0.0, 1.0, -2.0], (3, 4), p=[0.2, 0.4, 0.4])
    x, t = pair(values)
    kwargs = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    assert_same(cr.all(x, **kwargs), torch.all(t, **kwargs))
    assert_same(cr.any(x, **kwargs), torch.any(t, **kwargs))


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_all_any_of_uint8_give_uint8_as_torch(dim):
    x, t = pair([[0, 3, 1], [2, 4, 0]], "uint8")
    kwargs = {} if dim is None else {"dim": dim}
    for name in ("all", "any"):
        ours, theirs = getattr(cr, name)(x, **kwargs), getattr(torch, name)(t, **kwargs)
        assert ours.dtype == cr.uint8
        assert_same(ours, theirs)


def test_all_any_of_empty_and_zero_dim_tensors():
    for values in ([], 0.0, 3.0):
        x, t = pair(values)
        assert_same(cr.all(x), torch.all(t))
        assert_same(cr.any(x), torch.any(t))
    with pytest.raises(IndexError):
        cr.all(cr.ones(2, 3), 2)


# ---------------------------------------------------------------- special functions


@pytest.mark.parametrize("dtype", ["int64", "bool", "uint8"])
def test_erf_family_of_integers_gives_floats(dtype):
    x, t = pair([0, 1, 1], dtype)
    for name in ("erf", "erfc", "erfinv"):
        assert_same(getattr(cr, name)(x), getattr(torch, name)(t))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_erf_family_special_values(dtype):
    x, t = pair([0.0, -0.0, 1.0, -1.0, 1.5, -1.5, INF, -INF, NAN, 6.0, -30.0], dtype)
    for name in ("erf", "erfc", "erfinv"):
        assert_same(getattr(cr, name)(x), getattr(torch, name)(t), rtol=2e-3 if
                    dtype == "float16" else 1e-6)


def test_erfinv_inverts_erf_to_float64_accuracy():
    x = np.concatenate([np.linspace(-0.999999, 0.999999, 20001), 1 - np.logspace(-15, -2, 200),
                        np.logspace(-300, -3, 200)])
    ours = cr.erfinv(cr.tensor(x)).numpy()
    theirs = torch.erfinv(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    np.testing.assert_allclose(cr.erf(cr.tensor(ours)).numpy(), x, rtol=1e-14, atol=1e-16)


def test_erf_family_gradients_at_the_edges():
    assert_same_grads(lambda m, x: m.erfinv(x), [0.0, 1.0, -1.0, 0.999, -0.5])
    assert_same_grads(lambda m, x: m.erf(x), [0.0, 5.0, -30.0])
    assert_same_grads(lambda m, x: m.erfc(x), [0.0, 5.0, -30.0])


def test_logit_values_and_gradients_as_torch():
    points = [0.0, 1e-3, 0.2, 0.5, 0.8, 0.999, 1.0, -0.5, 1.5]
    assert_same_grads(lambda m, x: m.logit(x), points)
    assert_same_grads(lambda m, x: m.logit(x, eps=0.2), points)  # 0 outside, bounds included
    assert_same_grads(lambda m, x: m.logit(x, 0.2), points, dtype="float32")
    i, ti = pair([0, 1], "int64")
    assert_same(cr.logit(i), torch.logit(ti))


def test_frac():
    x, t = pair([1.75, -1.75, 0.0, -0.0, 3.0, INF, -INF, NAN])
    assert_same(cr.frac(x), torch.frac(t))
    i, ti = pair([3], "int64")
    with pytest.raises(NotImplementedError):
        torch.frac(ti)
    with pytest.raises(TypeError, match="frac"):
        cr.frac(i)


def test_nan_to_num_as_torch():
    for dtype in ("float16", "float32", "float64"):
        x, t = pair([NAN, INF, -INF, 1.5, -0.0], dtype)
        assert_same(cr.nan_to_num(x), torch.nan_to_num(t))
        assert_same(x.nan_to_num(1.0, 2.0, -3.0), t.nan_to_num(1.0, 2.0, -3.0))
        assert_same(cr.nan_to_num(x, posinf=7.0), torch.nan_to_num(t, posinf=7.0))
    for dtype in ("int64", "bool"):
        x, t = pair([1, 0], dtype)
        y = cr.nan_to_num(x)
        assert_same(y, torch.nan_to_num(t))
        assert y.data is not x.data
    assert_same_grads(lambda m, x: m.nan_to_num(x), [NAN, INF, -INF, 2.0])


def test_sgn_is_sign():
    x, t = pair([-2.0, 0.0, -0.0, 3.0, INF, NAN])
    assert_same(cr.sgn(x), torch.sgn(t))
    i, ti = pair([-2, 0, 5], "int64")
    assert_same(i.sgn(), ti.sgn())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sign_of_nan_is_zero_as_torch(dtype):
    x, t = pair([NAN, -NAN, -INF, -0.0, 0.0, 2.5], dtype)
    ours = cr.sign(x)
    assert not np.isnan(ours.numpy()).any()
    assert_same(ours, torch.sign(t))
    y, u = pair([NAN, 1.0], dtype)
    y.sign_()
    u.sign_()
    assert_same(y, u)


FLOAT_BOUNDS = [{"max": 1.5}, {"min": 0.5}, {"min": -1.0, "max": 2}, {"max": np.float64(1.5)}]


@pytest.mark.parametrize("dtype, bounds", [(d, b) for d in ("int64", "uint8", "bool")
                                           for b in FLOAT_BOUNDS]
                         + [("int64", {"min": 1, "max": 2}), ("uint8", {"max": 2})])
def test_clamp_of_integers_gives_the_default_float_only_for_a_float_bound(dtype, bounds):
    x, t = pair([0, 1, 3], dtype)
    ours = cr.clamp(x, **bounds)
    assert ours.dtype == (cr.float32 if bounds in FLOAT_BOUNDS else DTYPES[dtype])
    assert_same(ours, torch.clamp(t, **bounds))


# ---------------------------------------------------------------- binary


def test_hypot_does_not_overflow_and_is_nan_at_the_origin():
    x, t = pair([1e200, 3.0, 0.0, INF, NAN], "float64")
    y, u = pair([1e200, 4.0, 0.0, NAN, 1.0], "float64")
    assert_same(cr.hypot(x, y), torch.hypot(t, u))
    big, tbig = pair([3e30, 1e-30])
    assert_same(cr.hypot(big, big), torch.hypot(tbig, tbig))
    assert_same_grads(lambda m, a, b: m.hypot(a, b), [0.0, 3.0, -1.0], [0.0, 4.0, 2.0])


def test_xlogy_conventions():
    xs = [0.0, 0.0, 0.0, 0.0, 2.0, 2.0, -1.0, 0.0]
    ys = [0.0, 1.0, -1.0, NAN, 0.0, INF, 3.0, INF]
    x, t = pair(xs, "float64")
    y, u = pair(ys, "float64")
    assert_same(cr.xlogy(x, y), torch.xlogy(t, u))
    assert_same_grads(lambda m, a, b: m.xlogy(a, b), xs, ys)
    i, ti = pair([0, 2, 3], "int64")
    assert_same(cr.xlogy(i, i), torch.xlogy(ti, ti))
    assert_same(cr.xlogy(x, 2), torch.xlogy(t, 2))


def test_logaddexp_is_stable():
    xs = [1000.0, -1000.0, -INF, INF, 0.0, 1000.0]
    ys = [1000.0, -1000.0, -INF, INF, -INF, -INF]
    for dtype in ("float32", "float64"):
        x, t = pair(xs, dtype)
        y, u = pair(ys, dtype)
        assert_same(cr.logaddexp(x, y), torch.logaddexp(t, u))
    assert_same_grads(lambda m, a, b: m.logaddexp(a, b), xs, ys)


def test_copysign_signed_zeros_and_gradient():
    xs = [0.0, -0.0, 2.0, -2.0, 3.0, INF]
    ys = [-1.0, 1.0, -0.0, 0.0, NAN, -2.0]
    x, t = pair(xs)
    y, u = pair(ys)
    assert_same(cr.copysign(x, y), torch.copysign(t, u))
    assert_same_grads(lambda m, a, b: m.copysign(a, b), xs[:4], ys[:4])
    for dtype in ("int64", "bool"):
        i, ti = pair([1, 0, 1], dtype)
        assert_same(cr.copysign(i, -1), torch.copysign(ti, -1))
        assert_same(cr.copysign(i, i), torch.copysign(ti, ti))


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_ignore_nan_and_give_ties_to_the_first(name):
    xs = [1.0, 1.0, NAN, 2.0, NAN, -0.5]
    ys = [1.0, NAN, 1.0, NAN, NAN, 0.5]
    assert_same_grads(lambda m, a, b: getattr(m, name)(a, b), xs, ys)
    for dtype in ("int64", "bool", "uint8"):
        i, ti = pair([1, 0, 1], dtype)
        j, tj = pair([0, 0, 1], dtype)
        assert_same(getattr(cr, name)(i, j), getattr(torch, name)(ti, tj))


def test_float_power_is_float64_and_keeps_gradient_dtypes():
    i, ti = pair([2, 3, -2], "int64")
    assert_same(cr.float_power(i, 2), torch.float_power(ti, 2))
    assert_same(cr.float_power(i, i), torch.float_power(ti, ti))
    x = cr.tensor([1.5, 2.0], requires_grad=True)
    e = cr.tensor([2.0, 0.5], requires_grad=True)
    y = cr.float_power(x, e)
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32 and e.grad.dtype == np.float32
    assert_same_grads(lambda m, a, b: m.float_power(a, b), [2.0, 0.0, 1.5], [3.0, 2.0, -1.0],
                      dtype="float32")


@pytest.mark.parametrize(("dtype", "bound"), [
    ("int64", 0.5), ("int64", 2), ("bool", 0), ("float32", 1), ("int32", 1.5), ("uint8", 3),
])
def test_clamp_min_max_dtypes(dtype, bound):
    x, t = pair([0, 1, 5], dtype)
    assert_same(cr.clamp_min(x, bound), torch.clamp_min(t, bound))
    assert_same(x.clamp_max(bound), t.clamp_max(bound))


def test_clamp_min_max_tensor_bounds_and_ties():
    assert_same_grads(lambda m, x, lo: m.clamp_min(x, lo), [0.5, 0.2, 1.0], [0.5, 0.5, 0.5])
    assert_same_grads(lambda m, x, hi: m.clamp_max(x, hi), [0.5, 0.2, 1.0], [0.5, 0.5, 0.5])
    x, t = pair([1.0, 2.0])
    lo, tlo = pair([1.5, 1.5], "float64")
    assert_same(cr.clamp_min(x, lo), torch.clamp_min(t, tlo))


def test_lerp_weights_and_refusals():
    assert_same_grads(lambda m, a, b, w: m.lerp(a, b, w), [1.0, 2.0], [3.0, 5.0], [0.25, 1.5])
    a, ta = pair([[1.0], [2.0]])
    b, tb = pair([3.0, 4.0, 5.0])
    assert_same(cr.lerp(a, b, 0.75), torch.lerp(ta, tb, 0.75))
    i = cr.tensor([1, 2])
    for call in (lambda: cr.lerp(i, i, 0.5), lambda: cr.lerp(cr.ones(2), i, 0.5),
                 lambda: cr.lerp(cr.ones(2), 1.0, 0.5)):
        with pytest.raises(TypeError, match="lerp"):
            call()


def test_addcmul_addcdiv_dtypes_and_refusals():
    i, ti = pair([1, -2, 3], "int64")
    f, tf = pair([0.5, 1.5, -2.0])
    assert_same(cr.addcmul(i, i, i, value=2), torch.addcmul(ti, ti, ti, value=2))
    assert_same(cr.addcmul(f, i, i), torch.addcmul(tf, ti, ti))
    assert_same(cr.addcdiv(f, f, f, value=2), torch.addcdiv(tf, tf, tf, value=2))
    with pytest.raises(RuntimeError):
        torch.addcdiv(tf, ti, ti)
    with pytest.raises(TypeError, match="integral"):
        cr.addcdiv(f, i, i)
    with pytest.raises(TypeError, match="value"):
        cr.addcmul(i, i, i, value=0.5)  # PyTorch silently drops the fraction
    assert_same_grads(lambda m, a, b, c: m.addcdiv(a, b, c, value=-3), [1.0], [3.0], [4.0])


# ---------------------------------------------------------------- logical and bitwise


@pytest.mark.parametrize(("dtype_a", "dtype_b"), [
    ("float32", "int64"), ("bool", "int64"), ("float32", "bool"), ("uint8", "float64"),
])
def test_logical_ops_take_any_dtype(dtype_a, dtype_b):
    a, ta = pair([[0, 1, 2]], dtype_a)
    b, tb = pair([[1], [0]], dtype_b)
    for name in ("logical_and", "logical_or", "logical_xor"):
        assert_same(getattr(cr, name)(a, b), getattr(torch, name)(ta, tb))
    assert_same(cr.logical_not(a), torch.logical_not(ta))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        cr.logical_and(cr.ones(2), cr.ones(3))


@pytest.mark.parametrize(("dtype_a", "dtype_b"), [
    ("int64", "int64"), ("uint8", "int8"), ("int32", "int64"), ("bool", "bool"),
    ("bool", "int64"), ("int8", "uint8"),
])
def test_bitwise_dtypes_as_torch(dtype_a, dtype_b):
    a, ta = pair([1, 0, 7, 5], dtype_a)
    b, tb = pair([3, 1, 0, 1], dtype_b)
    for name, op in (("bitwise_and", "__and__"), ("bitwise_or", "__or__"),
                     ("bitwise_xor", "__xor__")):
        assert_same(getattr(cr, name)(a, b), getattr(torch, name)(ta, tb))
        assert_same(getattr(a, op)(b), getattr(ta, op)(tb))
    assert_same(cr.bitwise_not(a), torch.bitwise_not(ta))
    assert_same(~a, ~ta)


@pytest.mark.parametrize(("dtype", "scalar"), [
    ("int32", 3), ("uint8", 300), ("uint8", -1), ("int8", 5), ("bool", True), ("bool", 1),
])
def test_bitwise_with_python_scalars(dtype, scalar):
    a, ta = pair([1, 0, 1], dtype)
    assert_same(cr.bitwise_and(a, scalar), torch.bitwise_and(ta, scalar))
    assert_same(cr.bitwise_xor(a, scalar), torch.bitwise_xor(ta, scalar))
    assert_same(scalar | a, scalar | ta)
    assert_same(cr.bitwise_and(scalar, a), torch.bitwise_and(scalar, ta))


def test_bitwise_refuses_floats():
    f, tf = pair([1.0, 2.0])
    i = cr.tensor([1, 2])
    with pytest.raises(NotImplementedError):
        torch.bitwise_and(tf, tf)
    for call in (lambda: cr.bitwise_and(f, f), lambda: cr.bitwise_or(i, 2.0), lambda: f & i,
                 lambda: ~f, lambda: cr.bitwise_not(f), lambda: i ^ f):
        with pytest.raises(TypeError, match="integer or bool"):
            call()


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "int8", "uint8",
                                   "bool"])
def test_signbit_and_isreal(dtype):
    values = {"f": [-0.0, 0.0, -1.5, 2.0, -INF, INF, NAN, -NAN], "i": [-3, 0, 4],
              "u": [0, 255], "b": [True, False]}[np.dtype(DTYPES[dtype]).kind]
    x, t = pair(values, dtype)
    assert_same(cr.signbit(x), torch.signbit(t))
    assert_same(x.isreal(), t.isreal())


def test_logical_and_bitwise_record_no_graph():
    x = cr.tensor([1.0, -0.0], requires_grad=True)
    for y in (cr.logical_and(x, x), x.logical_not(), cr.signbit(x), cr.isreal(x)):
        assert not y.requires_grad and y.is_leaf


# ---------------------------------------------------------------- the bug fixes


def test_sign_of_bool_is_the_input():
    b, tb = pair([True, False, True], "bool")
    for ours in (cr.sign(b), b.sign(), cr.functional.sign(b)):
        assert_same(ours, torch.sign(tb))
        assert ours.data is not b.data
    zero_d, tzero_d = pair(False, "bool")
    assert_same(cr.sign(zero_d), torch.sign(tzero_d))


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int64"])
def test_min_of_bool_and_integer_tensors(dtype):
    values = {"bool": [[True, False], [True, True]], "uint8": [[0, 5], [255, 3]],
              "int8": [[-128, 5], [127, 3]], "int64": [[4, -5], [6, 3]]}[dtype]
    x, t = pair(values, dtype)
    assert_same(cr.min(x), torch.min(t))
    assert_same(x.min(), t.min())
    assert_same(x.amin(0), t.amin(0))
    assert_same(x.amin(-1, keepdim=True), t.amin(-1, keepdim=True))
    values_d, indices_d = x.min(1)
    assert_same(values_d, t.min(1).values)
    assert_same(indices_d, t.min(1).indices)
    assert_same(cr.max(x), torch.max(t))


def test_min_of_an_empty_bool_tensor_is_refused():
    with pytest.raises(ValueError, match="empty"):
        cr.tensor(np.zeros(0, dtype=bool)).min()


def test_min_of_floats_keeps_its_gradient():
    x = cr.tensor([3.0, 1.0, 1.0, 2.0], requires_grad=True)
    x.min().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.5, 0.0])

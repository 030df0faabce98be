"""Op table rows for the pointwise API: the top-level arithmetic forms (add/sub with alpha,
mul, div with rounding modes, floor_divide, absolute, positive, clone, all, any), the error
function family, lerp, addcmul/addcdiv, clamp_min/clamp_max, logit, hypot, xlogy, logaddexp,
float_power, frac, copysign, sgn, nan_to_num, fmax/fmin, and the logical and bitwise
operations. They are part of the op table (``op_specs.SPECS``) and go through all its checks.

The references are written independently: NumPy where it has the function, ``math.erf``
(vectorised) for erf/erfc, and bisection on ``math.erf`` for erfinv.
"""

from __future__ import annotations

import math

import numpy as np

import chainrule as cr
from tests.ops.spec_types import (
    ANY,
    BINARY,
    NONZERO,
    POSITIVE,
    UNARY,
    Choice,
    Fractional,
    Integers,
    Lattice,
    M,
    Mask,
    OpSpec,
    S,
    Uniform,
    binary,
    unary,
)

DIVISORS = Choice((-2.0, -1.0, 1.0, 2.0))
UNIT = Uniform(-0.9, 0.9)
NO_TIES = (Lattice(), Lattice(offset=0.25))  # two lattices a quarter step apart never tie
TERNARY = (
    ((S, M), (S, M), (S, M)),
    ((), (), ()),
    ((S, 1), (1, M), (M,)),
    ((M,), (S, M), (S, 1)),
)
BIG_TERNARY = ((64, 32), (64, 32), (32,))

_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def np_erf(x):
    return _erf(x).astype(x.dtype)


def np_erfc(x):
    return _erfc(x).astype(x.dtype)


def np_erfinv(x):
    """erfinv by bisection on math.erf over [−6, 6] (100 halvings: below float64's spacing)."""
    target = x.astype(np.float64)
    lo, hi = np.full(x.shape, -6.0), np.full(x.shape, 6.0)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        below = _erf(mid) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return (0.5 * (lo + hi)).astype(x.dtype)


def np_xlogy(x, y):
    return np.where(x == 0, np.zeros((), x.dtype), x * np.log(y))


def np_logit(x, eps=None):
    z = x if eps is None else np.clip(x, eps, 1 - eps)
    return np.log(z) - np.log1p(-z)


def np_trunc_div(a, b):
    return np.trunc(a / b)


# ---------------------------------------------------------------- arithmetic forms

ARITHMETIC_FORMS = [
    binary("add_alpha", lambda a, b: cr.add(a, b, alpha=2.5), lambda a, b: a + 2.5 * b,
           torch_op=lambda t, a, b: t.add(a, b, alpha=2.5)),
    binary("add_alpha_method", lambda a, b: a.add(b, alpha=-2), lambda a, b: a - 2 * b),
    unary("add_number_first", lambda x: cr.add(1.5, x), lambda x: 1.5 + x,
          torch_op=lambda t, x: t.add(1.5, x)),
    binary("sub_alpha", lambda a, b: cr.sub(a, b, alpha=0.5), lambda a, b: a - 0.5 * b,
           torch_op=lambda t, a, b: t.sub(a, b, alpha=0.5)),
    binary("subtract", lambda a, b: cr.subtract(a, b), np.subtract,
           torch_op=lambda t, a, b: t.subtract(a, b), cases=BINARY[2:4]),
    binary("mul_function", lambda a, b: cr.mul(a, b), np.multiply,
           torch_op=lambda t, a, b: t.mul(a, b)),
    binary("multiply_method", lambda a, b: a.multiply(b), np.multiply, cases=BINARY[2:4]),
    binary("div_function", lambda a, b: cr.div(a, b), np.divide,
           torch_op=lambda t, a, b: t.div(a, b), domain=(ANY, NONZERO)),
    binary("divide", lambda a, b: cr.divide(a, b), np.divide,
           torch_op=lambda t, a, b: t.divide(a, b), domain=(ANY, NONZERO), cases=BINARY[2:4]),
    binary("true_divide", lambda a, b: cr.true_divide(a, b), np.divide,
           torch_op=lambda t, a, b: t.true_divide(a, b), domain=(ANY, NONZERO),
           cases=BINARY[2:4]),
    binary("div_trunc", lambda a, b: cr.div(a, b, rounding_mode="trunc"), np_trunc_div,
           torch_op=lambda t, a, b: t.div(a, b, rounding_mode="trunc"),
           domain=(Fractional(), DIVISORS), grad=False),
    binary("div_floor", lambda a, b: a.div(b, rounding_mode="floor"), np.floor_divide,
           domain=(Fractional(), DIVISORS), grad=False),
    binary("floor_divide", lambda a, b: cr.floor_divide(a, b), np.floor_divide,
           torch_op=lambda t, a, b: t.floor_divide(a, b), domain=(Fractional(), DIVISORS),
           grad=False),
    binary("div_trunc_int", lambda a, b: cr.div(a, b, rounding_mode="trunc"),
           lambda a, b: (np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))).astype(a.dtype),
           torch_op=lambda t, a, b: t.div(a, b, rounding_mode="trunc"),
           domain=(Integers(-9, 10), Choice((-3, -2, 2, 3))), grad=False),
    binary("floor_divide_int", lambda a, b: cr.floor_divide(a, b), np.floor_divide,
           torch_op=lambda t, a, b: t.floor_divide(a, b),
           domain=(Integers(-9, 10), Choice((-3, -2, 2, 3))), grad=False),
    unary("absolute", lambda x: cr.absolute(x), np.abs, torch_op=lambda t, x: t.absolute(x),
          domain=NONZERO),
    unary("positive", lambda x: cr.positive(x), lambda x: x,
          torch_op=lambda t, x: t.positive(x)),
    unary("clone_function", lambda x: cr.clone(x, memory_format=None), np.copy,
          torch_op=lambda t, x: t.clone(x)),
    OpSpec("all_function", lambda x: cr.all(x, 1), lambda x: np.all(x, axis=1),
           torch_op=lambda t, x: t.all(x, 1), cases=(((S, M),), ((2, 3, 4),)),
           domain=Choice((0.0, 1.0, 2.0)), grad=False),
    OpSpec("any_function", lambda x: cr.any(x, dim=-1, keepdim=True),
           lambda x: np.any(x, axis=-1, keepdims=True),
           torch_op=lambda t, x: t.any(x, dim=-1, keepdim=True),
           cases=(((S, M),), ((2, 3, 4),)), domain=Choice((0.0, 0.0, 0.0, 1.5)), grad=False),
]

# ---------------------------------------------------------------- elementwise math

SPECIAL = [
    unary("erf", lambda x: cr.erf(x), np_erf, torch_op=lambda t, x: t.erf(x),
          domain=Uniform(-3.0, 3.0)),
    unary("erfc", lambda x: x.erfc(), np_erfc, domain=Uniform(-2.0, 5.0)),
    unary("erfinv", lambda x: cr.erfinv(x), np_erfinv, torch_op=lambda t, x: t.erfinv(x),
          domain=UNIT),
    unary("logit", lambda x: cr.logit(x), np_logit, torch_op=lambda t, x: t.logit(x),
          domain=Uniform(0.05, 0.95)),
    unary("logit_eps", lambda x: x.logit(eps=0.2), lambda x: np_logit(x, 0.2),
          domain=Uniform(0.02, 0.98, avoid=(0.2, 0.8), margin=0.05)),
    unary("frac", lambda x: cr.frac(x), lambda x: x - np.trunc(x),
          torch_op=lambda t, x: t.frac(x), domain=Fractional()),
    # NOTE: torch's sgn gradient is a ZeroTensor, which cannot become a NumPy array; adding
    # 0·x makes it an ordinary zero gradient (the same value).
    unary("sgn", lambda x: cr.sgn(x), np.sign, torch_op=lambda t, x: t.sgn(x) + 0 * x,
          domain=Lattice(offset=0.25)),
    unary("nan_to_num", lambda x: cr.nan_to_num(x, nan=1.0), lambda x: np.nan_to_num(x, nan=1.0),
          torch_op=lambda t, x: t.nan_to_num(x, nan=1.0)),
    unary("float_power_scalar", lambda x: x.float_power(2.5),
          lambda x: np.power(x.astype(np.float64), 2.5), domain=POSITIVE),
    binary("float_power", lambda a, b: cr.float_power(a, b),
           lambda a, b: np.power(a.astype(np.float64), b.astype(np.float64)),
           torch_op=lambda t, a, b: t.float_power(a, b), domain=(POSITIVE, ANY)),
    binary("hypot", lambda a, b: cr.hypot(a, b), np.hypot, torch_op=lambda t, a, b: t.hypot(a, b),
           domain=NONZERO),
    binary("xlogy", lambda a, b: cr.xlogy(a, b), np_xlogy, torch_op=lambda t, a, b: t.xlogy(a, b),
           domain=(ANY, POSITIVE)),
    binary("logaddexp", lambda a, b: cr.logaddexp(a, b), np.logaddexp,
           torch_op=lambda t, a, b: t.logaddexp(a, b)),
    binary("copysign", lambda a, b: cr.copysign(a, b), np.copysign,
           torch_op=lambda t, a, b: t.copysign(a, b), domain=NONZERO),
    binary("fmax", lambda a, b: cr.fmax(a, b), np.fmax, torch_op=lambda t, a, b: t.fmax(a, b),
           domain=NO_TIES),
    binary("fmin", lambda a, b: a.fmin(b), np.fmin, domain=NO_TIES),
    unary("clamp_min_function", lambda x: cr.clamp_min(x, -0.5), lambda x: np.maximum(x, -0.5),
          torch_op=lambda t, x: t.clamp_min(x, -0.5), domain=Uniform(avoid=(-0.5,))),
    unary("clamp_max_method", lambda x: x.clamp_max(0.5), lambda x: np.minimum(x, 0.5),
          domain=Uniform(avoid=(0.5,))),
    binary("clamp_min_tensor", lambda a, b: cr.clamp_min(a, b), np.maximum,
           torch_op=lambda t, a, b: t.clamp_min(a, b), domain=NO_TIES),
    binary("clamp_max_tensor", lambda a, b: cr.clamp_max(a, b), np.minimum,
           torch_op=lambda t, a, b: t.clamp_max(a, b), domain=NO_TIES),
    binary("lerp_scalar_weight", lambda a, b: cr.lerp(a, b, 0.3), lambda a, b: a + 0.3 * (b - a),
           torch_op=lambda t, a, b: t.lerp(a, b, 0.3)),
    OpSpec("lerp", lambda a, b, w: cr.lerp(a, b, w), lambda a, b, w: a + w * (b - a),
           torch_op=lambda t, a, b, w: t.lerp(a, b, w), cases=TERNARY, big=BIG_TERNARY),
    OpSpec("addcmul", lambda a, b, c: cr.addcmul(a, b, c, value=0.5),
           lambda a, b, c: a + 0.5 * b * c,
           torch_op=lambda t, a, b, c: t.addcmul(a, b, c, value=0.5), cases=TERNARY,
           big=BIG_TERNARY),
    OpSpec("addcdiv", lambda a, b, c: a.addcdiv(b, c, value=-2), lambda a, b, c: a - 2 * b / c,
           torch_op=lambda t, a, b, c: t.addcdiv(a, b, c, value=-2), cases=TERNARY,
           domain=(ANY, ANY, NONZERO), big=BIG_TERNARY),
]

# ---------------------------------------------------------------- logical and bitwise

SMALL_INTS = Integers(-8, 8)
TRUTHS = Choice((-1.5, 0.0, 0.0, 2.0))

LOGICAL = [
    binary("logical_and", lambda a, b: cr.logical_and(a, b), np.logical_and,
           torch_op=lambda t, a, b: t.logical_and(a, b), domain=TRUTHS, grad=False),
    binary("logical_or", lambda a, b: a.logical_or(b), np.logical_or, domain=TRUTHS,
           grad=False),
    binary("logical_xor", lambda a, b: cr.logical_xor(a, b), np.logical_xor,
           torch_op=lambda t, a, b: t.logical_xor(a, b), domain=TRUTHS, grad=False),
    unary("logical_not", lambda x: cr.logical_not(x), np.logical_not,
          torch_op=lambda t, x: t.logical_not(x), domain=TRUTHS, grad=False),
    binary("logical_and_mask", lambda a, b: cr.logical_and(a, b), np.logical_and,
           torch_op=lambda t, a, b: t.logical_and(a, b), domain=(Mask(), SMALL_INTS),
           grad=False),
    binary("bitwise_and", lambda a, b: cr.bitwise_and(a, b), np.bitwise_and,
           torch_op=lambda t, a, b: t.bitwise_and(a, b), domain=SMALL_INTS, grad=False),
    binary("bitwise_or", lambda a, b: a | b, np.bitwise_or, domain=SMALL_INTS, grad=False),
    binary("bitwise_xor", lambda a, b: cr.bitwise_xor(a, b), np.bitwise_xor,
           torch_op=lambda t, a, b: t.bitwise_xor(a, b), domain=SMALL_INTS, grad=False),
    binary("bitwise_xor_mask", lambda a, b: a ^ b, np.logical_xor, domain=Mask(), grad=False),
    unary("bitwise_not", lambda x: cr.bitwise_not(x), np.invert,
          torch_op=lambda t, x: t.bitwise_not(x), domain=SMALL_INTS, grad=False),
    unary("bitwise_not_mask", lambda x: ~x, np.logical_not, domain=Mask(), grad=False),
    unary("bitwise_and_scalar", lambda x: cr.bitwise_and(x, 6), lambda x: x & 6,
          torch_op=lambda t, x: t.bitwise_and(x, 6), domain=SMALL_INTS, grad=False),
    unary("signbit", lambda x: cr.signbit(x), np.signbit, torch_op=lambda t, x: t.signbit(x),
          domain=ANY, grad=False),
    unary("signbit_int", lambda x: x.signbit(), lambda x: x < 0, domain=SMALL_INTS, grad=False),
    unary("isreal", lambda x: cr.isreal(x), lambda x: np.ones(x.shape, dtype=bool),
          torch_op=lambda t, x: t.isreal(x), grad=False),
    # the two bugs: sign and min of bool tensors
    unary("sign_bool", lambda x: cr.sign(x), lambda x: np.sign(x.astype(np.int64)) > 0,
          torch_op=lambda t, x: t.sign(x), domain=Mask(), grad=False),
    OpSpec("min_bool", lambda x: cr.min(x), np.min, torch_op=lambda t, x: t.min(x),
           cases=UNARY, domain=Mask(), grad=False),
    OpSpec("amin_bool_dim", lambda x: x.amin(1), lambda x: np.min(x, axis=1),
           torch_op=lambda t, x: t.amin(x, 1), cases=(((S, M),),), domain=Mask(), grad=False),
]

POINTWISE: list[OpSpec] = ARITHMETIC_FORMS + SPECIAL + LOGICAL

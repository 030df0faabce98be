"""Op table rows: arithmetic, matmul, comparisons, elementwise functions, softmax family."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from tests.ops.spec_types import (
    ANY,
    BINARY,
    NONZERO,
    POSITIVE,
    REDUCE_DIM,
    SMOOTH_AT_0,
    UNARY,
    Choice,
    Fractional,
    Lattice,
    M,
    Mask,
    OpSpec,
    S,
    Uniform,
    binary,
    np_logsumexp,
    np_sigmoid,
    np_softmax,
    unary,
)

# ---------------------------------------------------------------- arithmetic

ARITHMETIC = [
    binary("add", lambda a, b: a + b, np.add),
    binary("sub", lambda a, b: a - b, np.subtract),
    binary("mul", lambda a, b: a * b, np.multiply),
    binary("div", lambda a, b: a / b, np.divide, domain=(ANY, NONZERO)),
    unary("add_scalar", lambda x: x + 2.5, lambda x: x + 2.5),
    unary("radd_scalar", lambda x: 2.5 + x, lambda x: 2.5 + x),
    unary("sub_scalar", lambda x: x - 1.5, lambda x: x - 1.5),
    unary("rsub_scalar", lambda x: 1.5 - x, lambda x: 1.5 - x),
    unary("mul_scalar", lambda x: x * -1.5, lambda x: x * -1.5),
    unary("rmul_scalar", lambda x: 3 * x, lambda x: 3 * x),
    unary("div_scalar", lambda x: x / 4.0, lambda x: x / 4.0),
    unary("rdiv_scalar", lambda x: 2.0 / x, lambda x: 2.0 / x, domain=NONZERO),
    binary("floordiv", lambda a, b: a // b, np.floor_divide,
           domain=(Fractional(), Choice((-2.0, -1.0, 1.0, 2.0))), grad=False),
    unary("floordiv_scalar", lambda x: x // 2.0, lambda x: x // 2.0, domain=Fractional(),
          grad=False),
    binary("mod", lambda a, b: a % b, np.remainder,
           domain=(Fractional(), Choice((-2.0, -1.0, 1.0, 2.0)))),
    unary("mod_scalar", lambda x: x % 2.0, lambda x: np.remainder(x, 2.0), domain=Fractional()),
    binary("pow", lambda a, b: a**b, np.power, domain=(Uniform(0.5, 2.0), ANY)),
    unary("pow_scalar_2", lambda x: x**2, lambda x: x * x),
    unary("pow_scalar_3", lambda x: x**3, lambda x: x * x * x),
    unary("pow_scalar_frac", lambda x: x**2.5, lambda x: x * x * np.sqrt(x),
          domain=Uniform(0.5, 2.0)),
    unary("pow_scalar_neg", lambda x: x**-1.5, lambda x: 1 / (x * np.sqrt(x)),
          domain=Uniform(0.5, 2.0)),
    unary("pow_function", lambda x: cr.pow(x, 3), lambda x: x * x * x,
          torch_op=lambda torch, x: torch.pow(x, 3)),
    unary("rpow_scalar", lambda x: 2.0**x, lambda x: np.exp2(x)),
    unary("neg", lambda x: -x, np.negative),
]

MATMUL = [
    OpSpec(
        "matmul", lambda a, b: a @ b, np.matmul,
        cases=(
            ((S, 4), (4, 3)),
            ((4,), (4,)),
            ((4,), (4, 3)),
            ((S, 4), (4,)),
            ((2, S, 4), (2, 4, 3)),
            ((2, S, 4), (4, 3)),
            ((2, 1, S, 4), (3, 4, 2)),
            ((4,), (2, 4, 3)),
            ((2, S, 4), (4,)),
        ),
        big=((64, 32), (32, 16)),
    ),
    OpSpec("matmul_method", lambda a, b: a.matmul(b), np.matmul, cases=(((S, 4), (4, 3)),),
           big=((64, 32), (32, 16))),
]

COMPARISONS = [
    binary(name, op, ref, domain=Lattice(), grad=False)
    for name, op, ref in [
        ("eq", lambda a, b: a == b, np.equal),
        ("ne", lambda a, b: a != b, np.not_equal),
        ("lt", lambda a, b: a < b, np.less),
        ("le", lambda a, b: a <= b, np.less_equal),
        ("gt", lambda a, b: a > b, np.greater),
        ("ge", lambda a, b: a >= b, np.greater_equal),
    ]
] + [unary("gt_scalar", lambda x: x > 0.5, lambda x: x > 0.5, domain=Lattice(), grad=False)]

# ---------------------------------------------------------------- elementwise functions

ELEMENTWISE = [
    unary("exp", lambda x: x.exp(), np.exp),
    unary("log", lambda x: x.log(), np.log, domain=POSITIVE),
    unary("log1p", lambda x: x.log1p(), np.log1p, domain=Uniform(-0.75, 2.0)),
    unary("sqrt", lambda x: x.sqrt(), np.sqrt, domain=POSITIVE),
    unary("rsqrt", lambda x: x.rsqrt(), lambda x: 1 / np.sqrt(x), domain=POSITIVE),
    unary("abs", lambda x: x.abs(), np.abs, domain=SMOOTH_AT_0),
    unary("abs_builtin", lambda x: abs(x), np.abs, domain=SMOOTH_AT_0),
    unary("sign", lambda x: x.sign(), np.sign, domain=Lattice(offset=0.25)),  # never at 0
    unary("sin", lambda x: x.sin(), np.sin),
    unary("cos", lambda x: x.cos(), np.cos),
    unary("tanh", lambda x: x.tanh(), np.tanh),
    unary("sigmoid", lambda x: x.sigmoid(), np_sigmoid),
    unary("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), domain=SMOOTH_AT_0),
    unary("softplus", lambda x: cr.functional.softplus(x), lambda x: np.log1p(np.exp(x)),
          torch_op=lambda torch, x: torch.nn.functional.softplus(x)),
    unary("clamp", lambda x: x.clamp(-0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
          domain=Uniform(avoid=(-0.5, 0.5))),
    unary("clamp_min", lambda x: x.clamp(min=-0.5), lambda x: np.maximum(x, -0.5),
          domain=Uniform(avoid=(-0.5,))),
    unary("clamp_max", lambda x: x.clamp(max=0.5), lambda x: np.minimum(x, 0.5),
          domain=Uniform(avoid=(0.5,))),
    unary("clip", lambda x: x.clip(-1.0, 1.0), lambda x: np.clip(x, -1.0, 1.0),
          domain=Uniform(avoid=(-1.0, 1.0))),
    OpSpec(
        "clamp_tensor_bounds", lambda x, lo, hi: x.clamp(lo, hi), lambda x, lo, hi:
        np.minimum(np.maximum(x, lo), hi),
        torch_op=lambda torch, x, lo, hi: torch.clamp(x, lo, hi),
        cases=(((S, M), (S, M), (S, M)), ((S, M), (M,), (S, 1)), ((), (), ())),
        domain=(Lattice(), Lattice(0.25, hi=-0.25), Lattice(0.25, lo=0.25)),
        big=((64, 32), (32,), (64, 1)),
    ),
    binary("maximum", lambda a, b: a.maximum(b), np.maximum,
           domain=(Lattice(), Lattice(offset=0.25))),
    binary("minimum", lambda a, b: a.minimum(b), np.minimum,
           domain=(Lattice(), Lattice(offset=0.25))),
    binary("maximum_function", lambda a, b: cr.maximum(a, b), np.maximum,
           torch_op=lambda torch, a, b: torch.maximum(a, b),
           domain=(Lattice(), Lattice(offset=0.25)), cases=BINARY[2:4]),
    unary("maximum_scalar", lambda x: x.maximum(0.5), lambda x: np.maximum(x, 0.5),
          torch_op=None, domain=Uniform(avoid=(0.5,))),
    OpSpec(
        "where", lambda c, a, b: cr.where(c, a, b), np.where,
        torch_op=lambda torch, c, a, b: torch.where(c, a, b),
        cases=(
            ((S, M), (S, M), (S, M)),
            ((), (), ()),
            ((S,), (S,), (S,)),
            ((S, 1), (1, M), (M,)),
            ((M,), (S, M), (S, 1)),
        ),
        domain=(Mask(), ANY, ANY),
        big=((64, 32), (64, 32), (32,)),
    ),
    OpSpec(
        "where_scalar_other", lambda c, a: cr.where(c, a, 0.0),
        lambda c, a: np.where(c, a, np.zeros((), a.dtype)),
        torch_op=lambda torch, c, a: torch.where(c, a, 0.0),
        cases=(((S, M), (S, M)), ((S, M), (M,)), ((), ())),
        domain=(Mask(), ANY),
    ),
    OpSpec(
        "where_method", lambda c, a, b: a.where(c, b), np.where,
        cases=(((S, M), (S, M), (S, M)), ((S, M), (M,), (S, 1))),
        domain=(Mask(), ANY, ANY),
    ),
]

# ---------------------------------------------------------------- softmax family

SOFTMAX = [
    unary("softmax", lambda x: x.softmax(-1), lambda x: np_softmax(x, -1),
          cases=UNARY + (((2, 3, 4),),)),
    unary("softmax_dim0", lambda x: x.softmax(dim=0), lambda x: np_softmax(x, 0),
          cases=REDUCE_DIM),
    unary("softmax_function", lambda x: cr.softmax(x, 1), lambda x: np_softmax(x, 1),
          torch_op=lambda torch, x: torch.softmax(x, 1), cases=REDUCE_DIM),
    unary("log_softmax", lambda x: x.log_softmax(-1), lambda x: np.log(np_softmax(x, -1)),
          cases=UNARY + (((2, 3, 4),),)),
    unary("log_softmax_dim0", lambda x: x.log_softmax(0), lambda x: np.log(np_softmax(x, 0)),
          cases=REDUCE_DIM),
    unary("logsumexp", lambda x: x.logsumexp(-1), lambda x: np_logsumexp(x, -1),
          cases=UNARY + (((2, 3, 4),),)),
    unary("logsumexp_dim0_keepdim", lambda x: x.logsumexp(0, keepdim=True),
          lambda x: np_logsumexp(x, 0, keepdims=True), cases=REDUCE_DIM),
    unary("logsumexp_dims", lambda x: x.logsumexp((0, -1)), lambda x: np_logsumexp(x, (0, -1)),
          cases=REDUCE_DIM),
    unary("logsumexp_axis_alias", lambda x: x.logsumexp(axis=-1, keepdims=True),
          lambda x: np_logsumexp(x, -1, keepdims=True), cases=REDUCE_DIM),
]

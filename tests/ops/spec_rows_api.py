"""Op table rows for the wider PyTorch API: trigonometric and hyperbolic functions, logarithms
in other bases, fmod/remainder, rounding, closeness tests, mm/bmm/dot/outer/addmm, einsum,
the top-level forms of methods (``chainrule.std``, ``chainrule.flatten`` ...), meshgrid, and
in-place methods applied to a graph tensor (``(x * 1).exp_()``)."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from tests.ops.spec_types import (
    ANY,
    BINARY,
    DISTINCT,
    INF,
    NONZERO,
    POSITIVE,
    REDUCE_DIM,
    SMOOTH_AT_0,
    UNARY,
    Choice,
    Fractional,
    Lattice,
    M,
    OpSpec,
    S,
    Uniform,
    binary,
    np_norm,
    np_sigmoid,
    unary,
)

UNIT = Uniform(-0.9, 0.9)
DIVISORS = Choice((-2.0, -1.0, 1.0, 2.0))
MATMUL_BIG = ((64, 32), (32, 16))

# ---------------------------------------------------------------- elementwise math

TRIG = [
    unary("tan", lambda x: x.tan(), np.tan, domain=Uniform(-1.2, 1.2)),
    unary("asin", lambda x: x.asin(), np.arcsin, domain=UNIT),
    unary("acos", lambda x: x.acos(), np.arccos, domain=UNIT),
    unary("atan", lambda x: x.atan(), np.arctan),
    unary("sinh", lambda x: x.sinh(), np.sinh),
    unary("cosh", lambda x: x.cosh(), np.cosh),
    unary("asinh", lambda x: x.asinh(), np.arcsinh),
    unary("acosh", lambda x: x.acosh(), np.arccosh, domain=Uniform(1.2, 3.0)),
    unary("atanh", lambda x: x.atanh(), np.arctanh, domain=UNIT),
    # NOTE: atan2 jumps by 2π across a = 0 for b < 0, so a stays away from 0.
    binary("atan2", lambda a, b: a.atan2(b), np.arctan2, domain=(NONZERO, ANY)),
    unary("sinh_function", lambda x: cr.sinh(x), np.sinh, torch_op=lambda t, x: t.sinh(x)),
    unary("cosh_function", lambda x: cr.cosh(x), np.cosh, torch_op=lambda t, x: t.cosh(x)),
    unary("tan_function", lambda x: cr.tan(x), np.tan, torch_op=lambda t, x: t.tan(x),
          domain=Uniform(-1.2, 1.2)),
    binary("atan2_function", lambda a, b: cr.atan2(a, b), np.arctan2,
           torch_op=lambda t, a, b: t.atan2(a, b), domain=(NONZERO, ANY), cases=BINARY[2:4]),
]

LOGS = [
    unary("expm1", lambda x: x.expm1(), np.expm1),
    unary("exp2", lambda x: x.exp2(), np.exp2),
    unary("log2", lambda x: x.log2(), np.log2, domain=POSITIVE),
    unary("log10", lambda x: x.log10(), np.log10, domain=POSITIVE),
    unary("expm1_function", lambda x: cr.expm1(x), np.expm1, torch_op=lambda t, x: t.expm1(x)),
    unary("log2_function", lambda x: cr.log2(x), np.log2, torch_op=lambda t, x: t.log2(x),
          domain=POSITIVE),
    unary("neg_function", lambda x: cr.neg(x), np.negative, torch_op=lambda t, x: t.neg(x)),
    unary("reciprocal_function", lambda x: cr.reciprocal(x), np.reciprocal,
          torch_op=lambda t, x: t.reciprocal(x), domain=NONZERO),
    unary("square_function", lambda x: cr.square(x), np.square,
          torch_op=lambda t, x: t.square(x)),
]

REMAINDERS = [
    binary("fmod", lambda a, b: a.fmod(b), np.fmod, domain=(Fractional(), DIVISORS)),
    binary("remainder", lambda a, b: a.remainder(b), np.remainder,
           domain=(Fractional(), DIVISORS)),
    unary("fmod_scalar", lambda x: x.fmod(2.0), lambda x: np.fmod(x, 2.0), domain=Fractional()),
    binary("fmod_function", lambda a, b: cr.fmod(a, b), np.fmod,
           torch_op=lambda t, a, b: t.fmod(a, b), domain=(Fractional(), DIVISORS),
           cases=BINARY[2:4]),
    binary("remainder_function", lambda a, b: cr.remainder(a, b), np.remainder,
           torch_op=lambda t, a, b: t.remainder(a, b), domain=(Fractional(), DIVISORS),
           cases=BINARY[2:4]),
]

ROUNDING = [
    unary(name, op, ref, torch_op=torch_op, domain=Fractional(), grad=False)
    for name, op, ref, torch_op in [
        ("trunc", lambda x: x.trunc(), np.trunc, "same"),
        ("trunc_function", lambda x: cr.trunc(x), np.trunc, lambda t, x: t.trunc(x)),
        ("floor_function", lambda x: cr.floor(x), np.floor, lambda t, x: t.floor(x)),
        ("ceil_function", lambda x: cr.ceil(x), np.ceil, lambda t, x: t.ceil(x)),
        ("round_function", lambda x: cr.round(x), np.round, lambda t, x: t.round(x)),
        ("round_decimals", lambda x: cr.round(x * 10, decimals=-1),
         lambda x: np.round(x * 10, -1), lambda t, x: t.round(x * 10, decimals=-1)),
    ]
]

# ---------------------------------------------------------------- comparisons and tests

_SPECIAL = Choice((-INF, -1.0, 0.5, float("nan"), INF))

COMPARISON_FUNCTIONS = [
    binary(name, op, ref, torch_op=torch_op, domain=Lattice(), grad=False)
    for name, op, ref, torch_op in [
        ("eq_function", lambda a, b: cr.eq(a, b), np.equal, lambda t, a, b: t.eq(a, b)),
        ("ne_function", lambda a, b: cr.ne(a, b), np.not_equal, lambda t, a, b: t.ne(a, b)),
        ("lt_function", lambda a, b: cr.lt(a, b), np.less, lambda t, a, b: t.lt(a, b)),
        ("le_function", lambda a, b: cr.le(a, b), np.less_equal, lambda t, a, b: t.le(a, b)),
        ("gt_function", lambda a, b: cr.gt(a, b), np.greater, lambda t, a, b: t.gt(a, b)),
        ("ge_function", lambda a, b: cr.ge(a, b), np.greater_equal,
         lambda t, a, b: t.ge(a, b)),
        ("greater_function", lambda a, b: cr.greater(a, b), np.greater,
         lambda t, a, b: t.greater(a, b)),
        ("less_equal_method", lambda a, b: a.less_equal(b), np.less_equal, "same"),
        ("isclose", lambda a, b: a.isclose(b), np.isclose, "same"),
        ("isclose_function", lambda a, b: cr.isclose(a, b, rtol=0.0, atol=0.3),
         lambda a, b: np.isclose(a, b, rtol=0.0, atol=0.3),
         lambda t, a, b: t.isclose(a, b, rtol=0.0, atol=0.3)),
    ]
] + [
    unary(name, op, ref, torch_op=torch_op, domain=_SPECIAL, grad=False)
    for name, op, ref, torch_op in [
        ("isinf", lambda x: x.isinf(), np.isinf, "same"),
        ("isinf_function", lambda x: cr.isinf(x), np.isinf, lambda t, x: t.isinf(x)),
        ("isnan_function", lambda x: cr.isnan(x), np.isnan, lambda t, x: t.isnan(x)),
        ("isfinite_function", lambda x: cr.isfinite(x), np.isfinite,
         lambda t, x: t.isfinite(x)),
        ("isclose_nan", lambda x: x.isclose(x, equal_nan=True),
         lambda x: np.isclose(x, x, equal_nan=True), "same"),
    ]
]

# ---------------------------------------------------------------- products


def _einsum(equation, ref=None, name=None, **kw) -> OpSpec:
    """A row computing ``einsum(equation, ...)`` in chainrule, torch and NumPy."""
    return OpSpec(
        name or f"einsum[{equation}]",
        lambda *xs: cr.einsum(equation, *xs),
        ref or (lambda *xs: np.einsum(equation, *xs)),
        torch_op=lambda t, *xs: t.einsum(equation, *xs),
        **kw,
    )


PRODUCTS = [
    OpSpec("mm", lambda a, b: a.mm(b), np.matmul, cases=(((S, 4), (4, 3)),), big=MATMUL_BIG),
    OpSpec("mm_function", lambda a, b: cr.mm(a, b), np.matmul,
           torch_op=lambda t, a, b: t.mm(a, b), cases=(((S, 4), (4, 3)),), big=MATMUL_BIG),
    OpSpec("bmm", lambda a, b: a.bmm(b), np.matmul, cases=(((2, S, 4), (2, 4, 3)),),
           big=((4, 16, 8), (4, 8, 6))),
    OpSpec("bmm_function", lambda a, b: cr.bmm(a, b), np.matmul,
           torch_op=lambda t, a, b: t.bmm(a, b), cases=(((3, S, 4), (3, 4, 2)),),
           big=((4, 16, 8), (4, 8, 6))),
    OpSpec("dot", lambda a, b: a.dot(b), np.dot, cases=(((S,), (S,)),), big=((64,), (64,))),
    OpSpec("dot_function", lambda a, b: cr.dot(a, b), np.dot,
           torch_op=lambda t, a, b: t.dot(a, b), cases=(((M,), (M,)),), big=((64,), (64,))),
    OpSpec("outer", lambda a, b: a.outer(b), np.outer, cases=(((S,), (M,)),),
           big=((64,), (32,))),
    OpSpec("outer_function", lambda a, b: cr.outer(a, b), np.outer,
           torch_op=lambda t, a, b: t.outer(a, b), cases=(((S,), (3,)),), big=((64,), (32,))),
    OpSpec("ger_function", lambda a, b: cr.ger(a, b), np.outer,
           torch_op=lambda t, a, b: t.outer(a, b), cases=(((S,), (3,)),), big=((64,), (32,))),
    OpSpec("addmm", lambda c, a, b: c.addmm(a, b), lambda c, a, b: c + a @ b,
           cases=(((S, 3), (S, 4), (4, 3)), ((3,), (S, 4), (4, 3)), ((), (S, 4), (4, 3))),
           big=((64, 16), (64, 32), (32, 16))),
    OpSpec("addmm_scaled", lambda c, a, b: cr.addmm(c, a, b, beta=0.5, alpha=-2.0),
           lambda c, a, b: 0.5 * c + -2.0 * (a @ b),
           torch_op=lambda t, c, a, b: t.addmm(c, a, b, beta=0.5, alpha=-2.0),
           cases=(((S, 3), (S, 4), (4, 3)), ((S, 1), (S, 4), (4, 3))),
           big=((64, 16), (64, 32), (32, 16))),
    OpSpec("addmm_beta0", lambda c, a, b: cr.addmm(c, a, b, beta=0),
           lambda c, a, b: a @ b + 0 * c,
           torch_op=lambda t, c, a, b: t.addmm(c, a, b, beta=0),
           cases=(((S, 3), (S, 4), (4, 3)),), big=((64, 16), (64, 32), (32, 16))),
    _einsum("ij,jk->ik", cases=(((S, 4), (4, 3)),), big=MATMUL_BIG),
    _einsum("ij,jk", cases=(((S, 4), (4, 3)),), big=MATMUL_BIG),
    _einsum("bij,bjk->bik", cases=(((2, S, 4), (2, 4, 3)),), big=((4, 16, 8), (4, 8, 6))),
    _einsum("ii->", cases=(((S, S),),), big=((32, 32),)),
    _einsum("ii->i", cases=(((S, S),),), big=((32, 32),)),
    _einsum("bii->bi", cases=(((3, S, S),),), big=((4, 16, 16),)),
    _einsum("i,j->ij", cases=(((S,), (M,)),), big=((64,), (32,))),
    _einsum("ij->ji", cases=(((S, M),),)),
    _einsum("ij->i", cases=(((S, M),), ((1, M),))),
    _einsum("ij->", cases=(((S, M),),)),
    _einsum("i,i->", cases=(((S,), (S,)),), big=((64,), (64,))),
    _einsum("...ij,...jk->...ik", cases=(((2, S, 4), (4, 3)), ((S, 4), (2, 3, 4, 2))),
            big=((4, 16, 8), (8, 6))),
    _einsum("...i->...", cases=(((2, S, 4),), ((S,),))),
    _einsum("ij,jk,kl->il", cases=(((S, 4), (4, 3), (3, 2)),),
            big=((32, 16), (16, 8), (8, 4))),
    _einsum("ij,ij->ij", cases=(((S, M), (S, M)),)),
    _einsum("ij,jk->ik", name="einsum_size1_broadcast", cases=(((S, 1), (4, 3)),),
            big=((64, 1), (32, 16)),
            ref=lambda a, b: np.broadcast_to(a, (a.shape[0], b.shape[0])) @ b),
    OpSpec("einsum_list", lambda a, b: cr.einsum("ij,j->i", [a, b]),
           lambda a, b: a @ b, torch_op=lambda t, a, b: t.einsum("ij,j->i", [a, b]),
           cases=(((S, M), (M,)),), big=((64, 32), (32,))),
]

# ---------------------------------------------------------------- top-level reductions

REDUCTION_FUNCTIONS = [
    OpSpec("std_function", lambda x: cr.std(x, 1), lambda x: np.std(x, axis=1, ddof=1),
           torch_op=lambda t, x: t.std(x, 1), cases=REDUCE_DIM),
    OpSpec("std_unbiased_positional", lambda x: cr.std(x, False),
           lambda x: np.std(x), torch_op=lambda t, x: t.std(x, False), cases=(((S, M),),)),
    OpSpec("var_function_correction", lambda x: cr.var(x, 0, keepdim=True, correction=0),
           lambda x: np.var(x, axis=0, keepdims=True),
           torch_op=lambda t, x: t.var(x, 0, keepdim=True, correction=0), cases=REDUCE_DIM),
    OpSpec("prod_function", lambda x: cr.prod(x, 1), lambda x: np.prod(x, axis=1),
           torch_op=lambda t, x: t.prod(x, 1), cases=REDUCE_DIM, domain=NONZERO),
    OpSpec("norm_function", lambda x: cr.norm(x), lambda x: np.sqrt(np.sum(x * x)),
           torch_op=lambda t, x: t.norm(x), cases=UNARY[1:], domain=SMOOTH_AT_0),
    OpSpec("norm_function_p1_dim", lambda x: cr.norm(x, 1, dim=1),
           lambda x: np_norm(x, 1, axis=1), torch_op=lambda t, x: t.norm(x, 1, dim=1),
           cases=REDUCE_DIM, domain=DISTINCT),
]

# ---------------------------------------------------------------- top-level shape forms


def _meshgrid_ref(indexing):
    return lambda a, b: tuple(np.meshgrid(a, b, indexing=indexing))


SHAPE_FUNCTIONS = [
    OpSpec("flatten_function", lambda x: cr.flatten(x, 1), lambda x: x.reshape(2, -1),
           torch_op=lambda t, x: t.flatten(x, 1), cases=(((2, 3, 4),),)),
    OpSpec("unsqueeze_function", lambda x: cr.unsqueeze(x, 1), lambda x: x[:, None],
           torch_op=lambda t, x: t.unsqueeze(x, 1), cases=(((S, M),),)),
    OpSpec("squeeze_function", lambda x: cr.squeeze(x), lambda x: np.squeeze(x),
           torch_op=lambda t, x: t.squeeze(x), cases=(((S, 1, M),),)),
    OpSpec("reshape_function", lambda x: cr.reshape(x, (M, S)), lambda x: x.reshape(M, S),
           torch_op=lambda t, x: t.reshape(x, (M, S)), cases=(((S, M),),), big=((S, M),)),
    OpSpec("transpose_function", lambda x: cr.transpose(x, 0, 2),
           lambda x: np.swapaxes(x, 0, 2), torch_op=lambda t, x: t.transpose(x, 0, 2),
           cases=(((2, 3, 4),),), big=((4, 8, 6),)),
    OpSpec("swapaxes_function", lambda x: cr.swapaxes(x, 0, 1), lambda x: np.swapaxes(x, 0, 1),
           torch_op=lambda t, x: t.swapaxes(x, 0, 1), cases=(((S, M),),)),
    OpSpec("swapdims_method", lambda x: x.swapdims(-1, 0), lambda x: np.swapaxes(x, -1, 0),
           cases=(((2, 3, 4),),)),
    OpSpec("permute_function", lambda x: cr.permute(x, (2, 0, 1)),
           lambda x: np.transpose(x, (2, 0, 1)), torch_op=lambda t, x: t.permute(x, (2, 0, 1)),
           cases=(((2, 3, 4),),), big=((4, 8, 6),)),
    OpSpec("movedim", lambda x: x.movedim((0, 1), (2, 0)),
           lambda x: np.moveaxis(x, (0, 1), (2, 0)), cases=(((2, 3, 4, 5),),),
           big=((4, 6, 8, 2),)),
    OpSpec("movedim_function", lambda x: cr.movedim(x, 0, -1), lambda x: np.moveaxis(x, 0, -1),
           torch_op=lambda t, x: t.movedim(x, 0, -1), cases=(((2, 3, 4),),)),
    OpSpec("t", lambda x: x.t(), lambda x: x.T, cases=(((S, M),), ((S,),), ((),))),
    OpSpec("t_function", lambda x: cr.t(x), lambda x: x.T, torch_op=lambda t, x: t.t(x),
           cases=(((S, M),),)),
    OpSpec("ravel", lambda x: x.ravel(), np.ravel, cases=(((S, M),),)),
    OpSpec("contiguous_of_transpose", lambda x: x.T.contiguous(), lambda x: x.T.copy(),
           cases=(((S, M),),)),
    OpSpec("split_function", lambda x: cr.split(x, 2, 1), lambda x: tuple(
           np.split(x, [2, 4], axis=1)), torch_op=lambda t, x: t.split(x, 2, 1),
           cases=(((S, S),),)),
    OpSpec("chunk_function", lambda x: cr.chunk(x, 2), lambda x: tuple(np.split(x, [3])),
           torch_op=lambda t, x: t.chunk(x, 2), cases=(((S, M),),)),
    OpSpec("meshgrid", lambda a, b: cr.meshgrid(a, b), _meshgrid_ref("ij"),
           torch_op=lambda t, a, b: t.meshgrid(a, b, indexing="ij"),
           cases=(((S,), (3,)),), big=((32,), (16,))),
    OpSpec("meshgrid_xy", lambda a, b: cr.meshgrid([a, b], indexing="xy"),
           _meshgrid_ref("xy"), torch_op=lambda t, a, b: t.meshgrid([a, b], indexing="xy"),
           cases=(((S,), (3,)),), big=((32,), (16,))),
]

# ---------------------------------------------------------------- in-place on a graph tensor


def _inplace(name, op, ref, domain=ANY, cases=UNARY, **kw) -> OpSpec:
    """``op`` applied in place to ``x * 1`` (a tensor of the graph, not a leaf)."""
    return OpSpec(f"inplace_{name}", op, ref, "same", cases, domain, **kw)


INPLACE = [
    _inplace("exp_", lambda x: (x * 1).exp_(), np.exp),
    _inplace("log_", lambda x: (x * 1).log_(), np.log, POSITIVE),
    _inplace("sqrt_", lambda x: (x * 1).sqrt_(), np.sqrt, POSITIVE),
    _inplace("abs_", lambda x: (x * 1).abs_(), np.abs, SMOOTH_AT_0),
    _inplace("neg_", lambda x: (x * 1).neg_(), np.negative),
    _inplace("pow_", lambda x: (x * 1).pow_(3), lambda x: x**3),
    _inplace("relu_", lambda x: (x * 1).relu_(), lambda x: np.maximum(x, 0), SMOOTH_AT_0),
    _inplace("sigmoid_", lambda x: (x * 1).sigmoid_(), np_sigmoid),
    _inplace("tanh_", lambda x: (x * 1).tanh_(), np.tanh),
    _inplace("reciprocal_", lambda x: (x * 1).reciprocal_(), np.reciprocal, NONZERO),
    _inplace("square_", lambda x: (x * 1).square_(), np.square),
    _inplace("clamp_min_", lambda x: (x * 1).clamp_min_(0.5), lambda x: np.maximum(x, 0.5),
             Uniform(avoid=(0.5,))),
    _inplace("clamp_max_", lambda x: (x * 1).clamp_max_(0.5), lambda x: np.minimum(x, 0.5),
             Uniform(avoid=(0.5,))),
    _inplace("addcmul_", lambda x, a, b: (x * 1).addcmul_(a, b, value=0.5),
             lambda x, a, b: x + 0.5 * a * b, cases=(((S, M), (S, M), (M,)),),
             big=((64, 32), (64, 32), (32,))),
    _inplace("addcdiv_", lambda x, a, b: (x * 1).addcdiv_(a, b, value=2.0),
             lambda x, a, b: x + 2.0 * a / b, (ANY, ANY, NONZERO),
             cases=(((S, M), (S, M), (S, M)),), big=((64, 32), (64, 32), (64, 32))),
    _inplace("lerp_", lambda x, e: (x * 1).lerp_(e, 0.25), lambda x, e: x + 0.25 * (e - x),
             cases=(((S, M), (S, M)), ((S, M), (M,))), big=((64, 32), (64, 32))),
    _inplace("fmod_", lambda a, b: (a * 1).fmod_(b), np.fmod, (Fractional(), DIVISORS),
             cases=(((S, M), (S, M)),), big=((64, 32), (64, 32))),
    _inplace("unsqueeze_", lambda x: (x * 1).unsqueeze_(0), lambda x: x[None],
             cases=(((S, M),),)),
    _inplace("transpose_", lambda x: (x * 1).transpose_(0, 1), lambda x: x.T,
             cases=(((S, M),),)),
]

API = (TRIG + LOGS + REMAINDERS + ROUNDING + COMPARISON_FUNCTIONS + PRODUCTS
       + REDUCTION_FUNCTIONS + SHAPE_FUNCTIONS + INPLACE)

"""The op table: one ``OpSpec`` row per Tensor operation (an OpInfo-like registry).

Every test in ``tests/ops`` is driven by ``SPECS``. A row gives:

* ``op``: the chainrule call, on tensors only (constant arguments such as a dim or an index are
  part of the row, written in a lambda);
* ``ref``: the same computation written independently in NumPy, on arrays;
* ``torch_op``: ``SAME`` when ``op`` works unchanged on torch tensors (it uses only methods and
  operators both libraries share), a callable ``torch_op(torch, *tensors)`` when torch spells it
  differently, or None when torch has no such op;
* ``cases``: the input shapes, one tuple of shapes per case;
* ``domain``: a sampler per input (or one for all) that draws inside the op's domain, away
  from its kinks and poles by a margin (RELIABILITY.md R-GRAD-4);
* ``big``: the larger shapes of the random-direction VJP check (R-GRAD-2);
* ``grad``: False for ops with no gradient (comparisons, argmax, floor division, sign).

Adding an op: add a row here (see STYLE.md, "New primitive op").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import chainrule as cr

Shape = tuple[int, ...]
SAME = "same"
S, M = 5, 10
INF = float("inf")

# ---------------------------------------------------------------- samplers (input domains)


@dataclass(frozen=True)
class Uniform:
    """U(lo, hi), redrawing every value closer than ``margin`` to a point of ``avoid``."""

    lo: float = -2.0
    hi: float = 2.0
    avoid: tuple[float, ...] = ()
    margin: float = 0.1

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        x = np.asarray(rng.uniform(self.lo, self.hi, shape))
        for _ in range(1000):
            bad = self._near_avoided(x)
            if not bad.any():
                return x
            x = np.where(bad, rng.uniform(self.lo, self.hi, shape), x)
        raise RuntimeError(f"{self}: could not sample away from the avoided points")

    def _near_avoided(self, x: np.ndarray) -> np.ndarray:
        near = np.zeros(x.shape, dtype=bool)
        for point in self.avoid:
            near |= np.abs(x - point) < self.margin
        return near


@dataclass(frozen=True)
class Distinct:
    """Values in [−hi, hi] whose magnitudes are all different and none near 0.

    [0, hi] is cut into n equal slots, one magnitude is drawn in the middle 40% of each slot,
    and each gets a random sign and a random position. Any two values, and any two magnitudes,
    are then at least 0.6 slot apart, and every value is at least 0.3 slot from 0: max, min,
    argmax, abs and the p-norms (∞ included) have no kink within reach of a finite difference.
    """

    hi: float = 2.0

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        n = math.prod(shape)
        width = self.hi / n
        magnitudes = width * (rng.permutation(n) + rng.uniform(0.3, 0.7, n))
        signs = rng.choice((-1.0, 1.0), n)
        return (signs * magnitudes).reshape(shape)


@dataclass(frozen=True)
class Lattice:
    """Values offset + k·step inside [lo, hi]. One lattice ties often (comparisons, kinks at
    ties); two lattices whose offsets differ by step/2 never tie (maximum, minimum)."""

    offset: float = 0.0
    step: float = 0.5
    lo: float = -2.0
    hi: float = 2.0

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        first = math.ceil((self.lo - self.offset) / self.step)
        last = math.floor((self.hi - self.offset) / self.step)
        return self.offset + self.step * np.asarray(rng.integers(first, last + 1, shape))


@dataclass(frozen=True)
class Fractional:
    """n + f, n an integer in [lo, hi), f in [0.2, 0.8]. Divided by ±1 or ±2, such a value is
    at least 0.1 away from an integer, so floor division and remainder are smooth there."""

    lo: int = -3
    hi: int = 3

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        whole = rng.integers(self.lo, self.hi, shape)
        return np.asarray(whole + rng.uniform(0.2, 0.8, shape))


@dataclass(frozen=True)
class Choice:
    """Values drawn from a fixed set."""

    values: tuple[float, ...]

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        return np.asarray(rng.choice(self.values, shape))


@dataclass(frozen=True)
class Mask:
    """A boolean array (a condition or a mask); it never needs a gradient."""

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        return np.asarray(rng.random(shape) < 0.5)


@dataclass(frozen=True)
class Integers:
    """int64 values in [lo, hi) (indices); they never need a gradient."""

    lo: int
    hi: int

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        return np.asarray(rng.integers(self.lo, self.hi, shape), dtype=np.int64)


ANY = Uniform()
POSITIVE = Uniform(0.25, 2.0)
NONZERO = Uniform(avoid=(0.0,), margin=0.5)
SMOOTH_AT_0 = Uniform(avoid=(0.0,))
DISTINCT = Distinct()

# ---------------------------------------------------------------- the row type


@dataclass(frozen=True)
class OpSpec:
    """One operation: how chainrule, NumPy and torch compute it, and where to test it."""

    name: str
    op: Callable[..., Any]
    ref: Callable[..., Any]
    torch_op: Callable[..., Any] | str | None = SAME
    cases: tuple[tuple[Shape, ...], ...] = ()
    domain: Any = ANY
    big: tuple[Shape, ...] | None = None
    grad: bool = True
    gradcheck_eps: float = 1e-6

    @property
    def arity(self) -> int:
        return len(self.cases[0])

    def sampler(self, position: int) -> Callable[[np.random.Generator, Shape], np.ndarray]:
        return self.domain[position] if isinstance(self.domain, tuple) else self.domain

    def sample(self, shapes: tuple[Shape, ...], seed: int = 0) -> list[np.ndarray]:
        """One array per input, drawn inside the domain (float64, bool or int64)."""
        rng = np.random.default_rng(seed)
        return [np.asarray(self.sampler(i)(rng, shape)) for i, shape in enumerate(shapes)]

    def big_shapes(self) -> tuple[Shape, ...]:
        """Shapes for the VJP check: ``big``, or (64, 32) for every input."""
        return self.big if self.big is not None else ((64, 32),) * self.arity

    def torch_call(self, torch: Any) -> Callable[..., Any] | None:
        """The torch function of this row, or None when torch lacks the op."""
        if self.torch_op is None:
            return None
        if self.torch_op == SAME:
            return self.op
        return lambda *xs: self.torch_op(torch, *xs)


# ---------------------------------------------------------------- shared shapes

UNARY = (((),), ((S,),), ((S, M),))
BINARY = (
    ((), ()),
    ((S,), (S,)),
    ((S, M), (S, M)),
    ((S, 1), (1, M)),
    ((M,), (S, M)),
    ((S, M), ()),
)
BIG_BINARY = ((64, 32), (64, 1))
REDUCE_ALL = (((),), ((S,),), ((S, M),), ((2, 3, 4),))
REDUCE_DIM = (((S, M),), ((2, 3, 4),))
REDUCE_VECTORS = (((S,),), ((S, M),), ((2, 3, 4),))


def case_id(shapes: tuple[Shape, ...]) -> str:
    """A readable test id for one case: '5x10,1x10', '0d' for a scalar."""
    return ",".join("x".join(map(str, s)) if s else "0d" for s in shapes)


def unary(name, op, ref, torch_op=SAME, domain=ANY, cases=UNARY, **kw) -> OpSpec:
    return OpSpec(name, op, ref, torch_op, cases, domain, **kw)


def binary(name, op, ref, torch_op=SAME, domain=ANY, cases=BINARY, **kw) -> OpSpec:
    kw.setdefault("big", BIG_BINARY)
    return OpSpec(name, op, ref, torch_op, cases, domain, **kw)


def reduction(name, op, ref, cases=REDUCE_DIM, domain=ANY, torch_op=SAME, **kw) -> OpSpec:
    return OpSpec(name, op, ref, torch_op, cases, domain, **kw)


# ---------------------------------------------------------------- NumPy references


def np_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_logsumexp(x, axis, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def np_norm(x, p, axis=None, keepdims=False):
    if p == INF:
        return np.max(np.abs(x), axis=axis, keepdims=keepdims)
    return np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1 / p)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_max_dim(x, axis, keepdims=False, arg=np.argmax, red=np.max):
    """(values, indices) along ``axis``, as max(dim) returns them."""
    return red(x, axis=axis, keepdims=keepdims), arg(x, axis=axis, keepdims=keepdims)


def np_gather(x, axis, index):
    """out[i][j] = x[index[i][j]][j] (axis 0) or x[i][index[i][j]] (axis 1): PyTorch's gather,
    where ``index`` may be smaller than ``x`` along the other axes."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[axis] = index
    return x[tuple(grids)]


def np_split(x, sizes, axis):
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


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
    unary("sign", lambda x: x.sign(), np.sign, domain=Lattice(), grad=False),
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

# ---------------------------------------------------------------- reductions

SUM_MEAN = [
    reduction("sum", lambda x: x.sum(), np.sum, cases=REDUCE_ALL),
    reduction("sum_dim0", lambda x: x.sum(0), lambda x: np.sum(x, 0), cases=UNARY),
    reduction("sum_dim1", lambda x: x.sum(dim=1), lambda x: np.sum(x, 1)),
    reduction("sum_dim_neg_keepdim", lambda x: x.sum(-1, keepdim=True),
              lambda x: np.sum(x, -1, keepdims=True), cases=UNARY),
    reduction("sum_dims", lambda x: x.sum(dim=(0, -1)), lambda x: np.sum(x, (0, -1))),
    reduction("sum_axis_alias", lambda x: x.sum(axis=1, keepdims=True),
              lambda x: np.sum(x, 1, keepdims=True)),
    reduction("sum_function", lambda x: cr.sum(x, 1), lambda x: np.sum(x, 1),
              torch_op=lambda torch, x: torch.sum(x, 1)),
    reduction("mean", lambda x: x.mean(), np.mean, cases=REDUCE_ALL),
    reduction("mean_dim1", lambda x: x.mean(1), lambda x: np.mean(x, 1)),
    reduction("mean_dims_keepdim", lambda x: x.mean(dim=(0, -1), keepdim=True),
              lambda x: np.mean(x, (0, -1), keepdims=True)),
    reduction("mean_axis_alias", lambda x: x.mean(axis=0, keepdims=True),
              lambda x: np.mean(x, 0, keepdims=True)),
]

VAR_STD = [
    reduction("var", lambda x: x.var(), lambda x: np.var(x, ddof=1), cases=REDUCE_VECTORS),
    reduction("var_dim1", lambda x: x.var(1), lambda x: np.var(x, 1, ddof=1)),
    reduction("var_unbiased_false", lambda x: x.var(1, unbiased=False),
              lambda x: np.var(x, 1, ddof=0)),
    reduction("var_correction0", lambda x: x.var(dim=-1, correction=0),
              lambda x: np.var(x, -1, ddof=0)),
    reduction("var_correction2", lambda x: x.var(dim=-1, correction=2),
              lambda x: np.var(x, -1, ddof=2)),
    reduction("var_dims_keepdim", lambda x: x.var(dim=(0, -1), keepdim=True),
              lambda x: np.var(x, (0, -1), ddof=1, keepdims=True)),
    reduction("var_axis_alias", lambda x: x.var(axis=1, keepdims=True),
              lambda x: np.var(x, 1, ddof=1, keepdims=True)),
    reduction("std", lambda x: x.std(), lambda x: np.std(x, ddof=1), cases=REDUCE_VECTORS),
    reduction("std_dim1", lambda x: x.std(1), lambda x: np.std(x, 1, ddof=1)),
    reduction("std_unbiased_false", lambda x: x.std(0, unbiased=False),
              lambda x: np.std(x, 0, ddof=0)),
    reduction("std_correction0", lambda x: x.std(dim=-1, correction=0),
              lambda x: np.std(x, -1, ddof=0)),
    reduction("std_dims_keepdim", lambda x: x.std(dim=(0, -1), keepdim=True),
              lambda x: np.std(x, (0, -1), ddof=1, keepdims=True)),
    reduction("std_axis_alias", lambda x: x.std(axis=0, keepdims=True),
              lambda x: np.std(x, 0, ddof=1, keepdims=True)),
]

NONZERO_SMALL = Uniform(-1.5, 1.5, avoid=(0.0,), margin=0.4)
PROD = [
    reduction("prod", lambda x: x.prod(), np.prod, cases=REDUCE_ALL, domain=NONZERO_SMALL),
    reduction("prod_dim1", lambda x: x.prod(1), lambda x: np.prod(x, 1), domain=NONZERO_SMALL),
    reduction("prod_dim0_keepdim", lambda x: x.prod(dim=0, keepdim=True),
              lambda x: np.prod(x, 0, keepdims=True), domain=NONZERO_SMALL),
    reduction("prod_axis_alias", lambda x: x.prod(axis=-1, keepdims=True),
              lambda x: np.prod(x, -1, keepdims=True), domain=NONZERO_SMALL),
    reduction("prod_dims", lambda x: x.prod(dim=(0, -1)), lambda x: np.prod(x, (0, -1)),
              domain=NONZERO_SMALL, torch_op=None),
]


def _min_dim(x, axis, keepdims=False):
    return np_max_dim(x, axis, keepdims, arg=np.argmin, red=np.min)


MAX_MIN = [
    reduction("amax", lambda x: x.amax(), np.max, cases=REDUCE_ALL, domain=DISTINCT),
    reduction("amax_dim1", lambda x: x.amax(1), lambda x: np.max(x, 1), domain=DISTINCT),
    reduction("amax_dims_keepdim", lambda x: x.amax(dim=(0, -1), keepdim=True),
              lambda x: np.max(x, (0, -1), keepdims=True), domain=DISTINCT),
    reduction("amax_axis_alias", lambda x: x.amax(axis=0, keepdims=True),
              lambda x: np.max(x, 0, keepdims=True), domain=DISTINCT),
    reduction("amin", lambda x: x.amin(), np.min, cases=REDUCE_ALL, domain=DISTINCT),
    reduction("amin_dim1", lambda x: x.amin(1), lambda x: np.min(x, 1), domain=DISTINCT),
    reduction("amin_dims_keepdim", lambda x: x.amin(dim=(0, -1), keepdim=True),
              lambda x: np.min(x, (0, -1), keepdims=True), domain=DISTINCT),
    reduction("max", lambda x: x.max(), np.max, cases=REDUCE_ALL, domain=DISTINCT),
    reduction("min", lambda x: x.min(), np.min, cases=REDUCE_ALL, domain=DISTINCT),
    reduction("max_dim", lambda x: x.max(dim=1), lambda x: np_max_dim(x, 1), domain=DISTINCT),
    reduction("max_dim0", lambda x: x.max(0), lambda x: np_max_dim(x, 0), domain=DISTINCT,
              cases=UNARY),
    reduction("max_dim_keepdim", lambda x: x.max(-1, keepdim=True),
              lambda x: np_max_dim(x, -1, keepdims=True), domain=DISTINCT),
    reduction("max_axis_alias", lambda x: x.max(axis=1, keepdims=True),
              lambda x: np_max_dim(x, 1, keepdims=True), domain=DISTINCT),
    reduction("min_dim", lambda x: x.min(dim=1), lambda x: _min_dim(x, 1), domain=DISTINCT),
    reduction("min_dim_keepdim", lambda x: x.min(0, keepdim=True),
              lambda x: _min_dim(x, 0, keepdims=True), domain=DISTINCT),
    reduction("min_axis_alias", lambda x: x.min(axis=-1, keepdims=True),
              lambda x: _min_dim(x, -1, keepdims=True), domain=DISTINCT),
    reduction("amin_axis_alias", lambda x: x.amin(axis=1), lambda x: np.min(x, 1),
              domain=DISTINCT),
    reduction("max_elementwise", lambda a, b: a.max(b), np.maximum,
              cases=BINARY[2:4], domain=(Lattice(), Lattice(offset=0.25))),
    reduction("min_elementwise", lambda a, b: a.min(b), np.minimum,
              cases=BINARY[2:4], domain=(Lattice(), Lattice(offset=0.25))),
    reduction("argmax", lambda x: x.argmax(), np.argmax, cases=REDUCE_ALL, domain=DISTINCT,
              grad=False),
    reduction("argmax_dim1", lambda x: x.argmax(1), lambda x: np.argmax(x, 1),
              domain=DISTINCT, grad=False),
    reduction("argmax_keepdim", lambda x: x.argmax(dim=0, keepdim=True),
              lambda x: np.argmax(x, 0, keepdims=True), domain=DISTINCT, grad=False),
    reduction("argmax_axis_alias", lambda x: x.argmax(axis=1, keepdims=True),
              lambda x: np.argmax(x, 1, keepdims=True), domain=DISTINCT, grad=False),
    reduction("argmin", lambda x: x.argmin(), np.argmin, cases=REDUCE_ALL, domain=DISTINCT,
              grad=False),
    reduction("argmin_axis_alias", lambda x: x.argmin(axis=0), lambda x: np.argmin(x, 0),
              domain=DISTINCT, grad=False),
    reduction("argmin_dim1", lambda x: x.argmin(-1), lambda x: np.argmin(x, -1),
              domain=DISTINCT, grad=False),
]

NORMS = [
    reduction("norm", lambda x: x.norm(), lambda x: np_norm(x, 2), cases=REDUCE_ALL,
              domain=DISTINCT),
    reduction("norm_p1", lambda x: x.norm(p=1), lambda x: np_norm(x, 1), cases=REDUCE_ALL,
              domain=DISTINCT),
    reduction("norm_pinf", lambda x: x.norm(p=INF), lambda x: np_norm(x, INF),
              cases=REDUCE_ALL, domain=DISTINCT),
    reduction("norm_p3", lambda x: x.norm(p=3), lambda x: np_norm(x, 3), cases=REDUCE_ALL,
              domain=DISTINCT),
    reduction("norm_dim1", lambda x: x.norm(dim=1), lambda x: np_norm(x, 2, 1),
              domain=DISTINCT),
    reduction("norm_p1_dim_keepdim", lambda x: x.norm(p=1, dim=0, keepdim=True),
              lambda x: np_norm(x, 1, 0, keepdims=True), domain=DISTINCT),
    reduction("norm_pinf_dim", lambda x: x.norm(p=INF, dim=-1),
              lambda x: np_norm(x, INF, -1), domain=DISTINCT),
    reduction("norm_p3_dims", lambda x: x.norm(p=3, dim=(0, -1)),
              lambda x: np_norm(x, 3, (0, -1)), domain=DISTINCT),
    # torch's norm has no NumPy aliases; chainrule's reductions all take them.
    reduction("norm_axis_alias", lambda x: x.norm(p=1, axis=1, keepdims=True),
              lambda x: np_norm(x, 1, 1, keepdims=True), domain=DISTINCT,
              torch_op=lambda torch, x: x.norm(p=1, dim=1, keepdim=True)),
]

# ---------------------------------------------------------------- shape ops

RESHAPE = [
    unary("reshape", lambda x: x.reshape(2, 25), lambda x: x.reshape(2, 25),
          cases=(((S, M),),), big=((S, M),)),
    unary("reshape_infer", lambda x: x.reshape(-1, 5), lambda x: x.reshape(-1, 5),
          cases=(((S, M),), ((S,),)), big=((64, 30),)),
    unary("reshape_tuple", lambda x: x.reshape((M, S)), lambda x: x.reshape(M, S),
          cases=(((S, M),), ((2, 25),)), big=((2, 25),)),
    unary("reshape_0d", lambda x: x.reshape(1, 1), lambda x: x.reshape(1, 1), cases=(((),),),
          big=((),)),
    unary("view", lambda x: x.view(S, 2, S), lambda x: x.reshape(S, 2, S),
          cases=(((S, M),),), big=((S, M),)),
    unary("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1),
          cases=UNARY + (((2, 3, 4),),)),
    unary("flatten_start1", lambda x: x.flatten(1), lambda x: x.reshape(2, -1),
          cases=(((2, 3, 4),),), big=((2, 32, 16),)),
    unary("unflatten", lambda x: x.unflatten(1, (2, 5)), lambda x: x.reshape(S, 2, 5),
          cases=(((S, M),),), big=((S, M),)),
    unary("unflatten_infer", lambda x: x.unflatten(-1, (-1, 2)), lambda x: x.reshape(S, 5, 2),
          cases=(((S, M),),), big=((S, M),)),
    unary("squeeze", lambda x: x.squeeze(), lambda x: np.squeeze(x),
          cases=(((S, 1, 3, 1),), ((1,),), ((),)), big=((64, 1, 32, 1),)),
    unary("squeeze_dim", lambda x: x.squeeze(1), lambda x: np.squeeze(x, 1),
          cases=(((S, 1, 3, 1),),), big=((64, 1, 32),)),
    unary("squeeze_dims", lambda x: x.squeeze((1, 3)), lambda x: np.squeeze(x, (1, 3)),
          cases=(((S, 1, 3, 1),),), big=((64, 1, 32, 1),)),
    unary("squeeze_not_one", lambda x: x.squeeze(0), lambda x: x, cases=(((S, M),),)),
    unary("unsqueeze", lambda x: x.unsqueeze(0), lambda x: x[None], cases=UNARY),
    unary("unsqueeze_neg", lambda x: x.unsqueeze(-1), lambda x: x[..., None], cases=UNARY),
    unary("unsqueeze_mid", lambda x: x.unsqueeze(1), lambda x: x[:, None], cases=UNARY[2:]),
]

PERMUTE = [
    unary("transpose", lambda x: x.transpose(0, 1), lambda x: x.T, cases=UNARY[2:]),
    unary("transpose_3d", lambda x: x.transpose(0, -1), lambda x: np.swapaxes(x, 0, 2),
          cases=(((2, 3, 4),),), big=((8, 16, 32),)),
    unary("permute", lambda x: x.permute(2, 0, 1), lambda x: np.transpose(x, (2, 0, 1)),
          cases=(((2, 3, 4),),), big=((8, 16, 32),)),
    unary("permute_tuple", lambda x: x.permute((1, 0)), lambda x: x.T, cases=UNARY[2:]),
    unary("T", lambda x: x.T, lambda x: x.T, cases=UNARY[2:]),
    unary("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2),
          cases=REDUCE_DIM, big=((4, 64, 32),)),
    unary("flip", lambda x: x.flip(0), lambda x: np.flip(x, 0), cases=UNARY[1:]),
    unary("flip_dims", lambda x: x.flip((0, -1)), lambda x: np.flip(x, (0, -1)),
          cases=(((S, M),), ((2, 3, 4),))),
]

EXPAND = [
    unary("expand", lambda x: x.expand(S, 4), lambda x: np.broadcast_to(x, (S, 4)),
          cases=(((S, 1),), ((1, 4),), ((4,),), ((),)), big=((S, 1),)),
    unary("expand_keep", lambda x: x.expand(-1, 4), lambda x: np.broadcast_to(x, (S, 4)),
          cases=(((S, 1),),), big=((S, 1),)),
    unary("expand_new_dims", lambda x: x.expand(2, S, 4), lambda x: np.broadcast_to(x, (2, S, 4)),
          cases=(((S, 1),), ((4,),)), big=((S, 4),)),
    unary("broadcast_to", lambda x: x.broadcast_to((2, S, M)),
          lambda x: np.broadcast_to(x, (2, S, M)),
          cases=(((S, 1),), ((M,),), ((),), ((S, M),)), big=((S, 1),)),
    unary("repeat", lambda x: x.repeat(2, 3), lambda x: np.tile(x, (2, 3)),
          cases=(((S, M),), ((M,),)), big=((64, 32),)),
    unary("repeat_new_dims", lambda x: x.repeat(2, 1, 3), lambda x: np.tile(x, (2, 1, 3)),
          cases=(((S, M),), ((M,),), ((),)), big=((64, 32),)),
]


JOIN_SPLIT = [
    OpSpec("cat", lambda a, b: cr.cat([a, b], dim=1), lambda a, b: np.concatenate([a, b], 1),
           lambda torch, a, b: torch.cat([a, b], dim=1),
           cases=(((S, 3), (S, 4)), ((2, 3, 4), (2, 1, 4))), big=((64, 32), (64, 16))),
    OpSpec("cat_dim0", lambda a, b: cr.cat((a, b)), lambda a, b: np.concatenate([a, b]),
           lambda torch, a, b: torch.cat((a, b)),
           cases=(((S,), (3,)), ((2, M), (S, M))), big=((64, 32), (16, 32))),
    OpSpec("cat_three_neg_dim", lambda a, b, c: cr.cat([a, b, c], -1),
           lambda a, b, c: np.concatenate([a, b, c], -1),
           lambda torch, a, b, c: torch.cat([a, b, c], -1),
           cases=(((S, 2), (S, 1), (S, 3)),), big=((64, 32), (64, 1), (64, 8))),
    OpSpec("stack", lambda a, b, c: cr.stack([a, b, c]), lambda a, b, c: np.stack([a, b, c]),
           lambda torch, a, b, c: torch.stack([a, b, c]),
           cases=(((S,), (S,), (S,)), ((), (), ()), ((S, M), (S, M), (S, M)))),
    OpSpec("stack_dim1", lambda a, b: cr.stack([a, b], dim=1), lambda a, b: np.stack([a, b], 1),
           lambda torch, a, b: torch.stack([a, b], dim=1),
           cases=(((S, M), (S, M)), ((S,), (S,)))),
    OpSpec("stack_neg_dim", lambda a, b: cr.stack([a, b], -1), lambda a, b: np.stack([a, b], -1),
           lambda torch, a, b: torch.stack([a, b], -1), cases=(((S, M), (S, M)),)),
    unary("split", lambda x: x.split(2), lambda x: np_split(x, [2, 2, 1], 0),
          cases=(((S, M),), ((S,),)), big=((S, 32),)),
    unary("split_sizes", lambda x: x.split([3, 7], dim=1), lambda x: np_split(x, [3, 7], 1),
          cases=(((S, M),),), big=((64, M),)),
    unary("chunk", lambda x: x.chunk(3, dim=1), lambda x: np_split(x, [4, 4, 2], 1),
          cases=(((S, M),),), big=((64, M),)),
    unary("chunk_dim0", lambda x: x.chunk(2), lambda x: np_split(x, [3, 2], 0),
          cases=(((S,),), ((S, M),)), big=((S, 32),)),
    unary("pad", lambda x: cr.pad(x, (1, 2)), lambda x: np.pad(x, [(0, 0)] * (x.ndim - 1)
          + [(1, 2)]), lambda torch, x: torch.nn.functional.pad(x, (1, 2)), cases=UNARY[1:]),
    unary("pad_value_2d", lambda x: cr.pad(x, (1, 1, 2, 0), value=1.5),
          lambda x: np.pad(x, [(2, 0), (1, 1)], constant_values=1.5),
          lambda torch, x: torch.nn.functional.pad(x, (1, 1, 2, 0), value=1.5),
          cases=UNARY[2:]),
]

INDEXING = [
    unary("getitem_int", lambda x: x[1], lambda x: x[1], cases=UNARY[1:]),
    unary("getitem_neg_int", lambda x: x[-1, 2], lambda x: x[-1, 2], cases=UNARY[2:]),
    unary("getitem_slices", lambda x: x[1:4, ::3], lambda x: x[1:4, ::3], cases=UNARY[2:]),
    unary("getitem_neg_slice", lambda x: x[:, -3:], lambda x: x[:, -3:], cases=UNARY[2:]),
    unary("getitem_none", lambda x: x[None, :, 1], lambda x: x[None, :, 1], cases=UNARY[2:]),
    unary("getitem_ellipsis", lambda x: x[..., 2], lambda x: x[..., 2],
          cases=UNARY[1:] + (((2, 3, 4),),)),
    unary("getitem_ellipsis_none", lambda x: x[1, ..., None], lambda x: x[1, ..., None],
          cases=UNARY[1:]),
    unary("getitem_0d_ellipsis", lambda x: x[...], lambda x: x[...], cases=UNARY),
    unary("getitem_0d_none", lambda x: x[None], lambda x: x[None], cases=UNARY),
    unary("getitem_repeated_ints", lambda x: x[[0, 0, 1]], lambda x: x[[0, 0, 1]],
          cases=UNARY[1:]),
    unary("getitem_int_array_2d", lambda x: x[np.array([[0, 1], [2, 0]])],
          lambda x: x[np.array([[0, 1], [2, 0]])], cases=UNARY[1:]),
    unary("getitem_paired_arrays", lambda x: x[[0, 2, 0], [1, 1, 1]],
          lambda x: x[[0, 2, 0], [1, 1, 1]], cases=UNARY[2:]),
    unary("getitem_array_and_slice", lambda x: x[[0, 2, 2], 1:3], lambda x: x[[0, 2, 2], 1:3],
          cases=UNARY[2:]),
    unary("getitem_slice_and_array", lambda x: x[:, [1, 1, 3]], lambda x: x[:, [1, 1, 3]],
          cases=UNARY[2:]),
    OpSpec("getitem_mask", lambda x, m: x[m], lambda x, m: x[m],
           cases=(((S, M), (S, M)), ((S,), (S,)), ((S, M), (S,))),
           domain=(ANY, Mask())),
    OpSpec("getitem_int_tensor", lambda x, i: x[i], lambda x, i: x[i],
           cases=(((S, M), (7,)), ((S,), (3, 2))), domain=(ANY, Integers(0, S)),
           big=((64, 32), (7,))),
    OpSpec("gather", lambda x, i: x.gather(1, i), lambda x, i: np_gather(x, 1, i),
           cases=(((S, M), (S, 4)), ((S, M), (3, 2))), domain=(ANY, Integers(0, 4)),
           big=((64, 32), (64, 8))),
    OpSpec("gather_dim0", lambda x, i: x.gather(0, i), lambda x, i: np_gather(x, 0, i),
           cases=(((S, M), (7, M)),), domain=(ANY, Integers(0, S)), big=((64, 32), (7, 32))),
]

CONVERSION = [
    unary("clone", lambda x: x.clone(), np.copy, cases=UNARY),
    unary("detach", lambda x: x.detach(), np.copy, cases=UNARY, grad=False),
    unary("double", lambda x: x.double(), lambda x: x.astype(np.float64), cases=UNARY),
    unary("to_float64", lambda x: x.to(cr.float64), lambda x: x.astype(np.float64),
          torch_op=lambda torch, x: x.to(torch.float64), cases=UNARY),
    # float32 output: the central difference needs a step far above float32 rounding.
    unary("float", lambda x: x.float(), lambda x: x.astype(np.float32), cases=UNARY,
          gradcheck_eps=1e-3),
    unary("to_float32", lambda x: x.to(cr.float32), lambda x: x.astype(np.float32),
          torch_op=lambda torch, x: x.to(torch.float32), cases=UNARY, gradcheck_eps=1e-3),
]

SPECS: list[OpSpec] = (
    ARITHMETIC + MATMUL + COMPARISONS + ELEMENTWISE + SOFTMAX + SUM_MEAN + VAR_STD + PROD
    + MAX_MIN + NORMS + RESHAPE + PERMUTE + EXPAND + JOIN_SPLIT + INDEXING + CONVERSION
)
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}
DIFFERENTIABLE = [spec for spec in SPECS if spec.grad]


def all_cases(specs: list[OpSpec]) -> list[Any]:
    """pytest params (spec, shapes), one per case of each spec, with readable ids."""
    import pytest

    return [
        pytest.param(spec, shapes, id=f"{spec.name}[{case_id(shapes)}]")
        for spec in specs
        for shapes in spec.cases
    ]


def noncontiguous_case(spec: OpSpec) -> tuple[Shape, ...] | None:
    """The first case with an input of ≥ 2 dimensions, all larger than 1 (so that its
    Fortran-ordered or strided copy is really not C-contiguous), or None."""
    for shapes in spec.cases:
        if any(len(s) >= 2 and min(s) > 1 for s in shapes):
            return shapes
    return None


def fortran(array: np.ndarray) -> np.ndarray:
    """The same values, stored column-major (a transposed layout) when ≥ 2-D."""
    return np.asfortranarray(array) if array.ndim >= 2 else array


def strided(array: np.ndarray) -> np.ndarray:
    """The same values as a strided view (every other element of a wider array) when ≥ 1-D."""
    if array.ndim == 0:
        return array
    wide = np.repeat(array, 2, axis=-1)
    return wide[..., ::2]


def to_chainrule(arrays: list[np.ndarray], dtype: Any, requires_grad: bool = True) -> list:
    """chainrule tensors sharing the arrays' memory (layout kept); float ones cast to ``dtype``
    first and marked requires_grad."""
    tensors = []
    for a in arrays:
        if a.dtype.kind == "f":
            a = a if a.dtype == dtype else a.astype(dtype)
            tensors.append(cr.from_numpy(a).requires_grad_(requires_grad))
        else:
            tensors.append(cr.from_numpy(a))
    return tensors


def as_outputs(result: Any) -> list:
    """An op's result as a list of outputs (max(dim), split and chunk return several)."""
    return list(result) if isinstance(result, (tuple, list)) else [result]

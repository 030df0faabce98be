"""The machinery of the op table: input samplers (domains), the ``OpSpec`` row type, shared
shapes, independent NumPy references, and helpers that turn samples into chainrule tensors."""


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
    gradcheck_atol: float | None = None  # None: gradcheck's default
    gradcheck_rtol: float | None = None

    @property
    def arity(self) -> int:
        return len(self.cases[0])

    def sampler(self, position: int) -> Callable[[np.random.Generator, Shape], np.ndarray]:
        return self.domain[position] if isinstance(self.domain, tuple) else self.domain

    def sample(self, shapes: tuple[Shape, ...], seed: int = 0) -> list[np.ndarray]:
        """One array per input, drawn inside the domain (float64, bool or int64)."""
        rng = np.random.default_rng(seed)
        return [np.asarray(self.sampler(i)(rng, shape)) for i, shape in enumerate(shapes)]

    def gradcheck_options(self) -> dict[str, float | None]:
        """The eps, atol and rtol of this row's gradchecks (None: gradcheck's default)."""
        return {"eps": self.gradcheck_eps, "atol": self.gradcheck_atol,
                "rtol": self.gradcheck_rtol}

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


def strided_rows(array: np.ndarray) -> np.ndarray:
    """The same values as a view of every other row (along axis 0) of a taller array: not
    contiguous whenever the first dimension is larger than 1, size-1 dimensions or not."""
    if array.ndim == 0:
        return array
    return np.repeat(array, 2, axis=0)[::2]


def strided_rows_case(spec: OpSpec) -> tuple[Shape, ...] | None:
    """The first case with an input whose first dimension is larger than 1, or None."""
    for shapes in spec.cases:
        if any(len(s) >= 1 and s[0] > 1 for s in shapes):
            return shapes
    return None


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

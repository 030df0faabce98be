"""Top-level products and distances with PyTorch's names: ``tensordot``, ``kron``, ``cross``,
``cdist``, ``dist``, ``baddbmm``, ``cartesian_prod``, ``combinations``, ``det`` and ``inverse``.

All but ``det`` and ``inverse`` are compositions of differentiable ops (permute, reshape,
matmul, broadcasting products, norms, indexing); those two are Functions of
``ops.structure``. Tensor method forms are in ``methods.structure``.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from .. import dtypes
from ..ops import structure as ops
from .linalg import bmm
from .math import as_operand, broadcast_shape, broadcasts_to, matmul
from .reduce import normalize_dim, refuse_out
from .shape import stack
from .shape_functions import meshgrid

# ---------------------------------------------------------------- products


def tensordot(a: Any, b: Any, dims: Any = 2, out: Any = None) -> Any:
    """``torch.tensordot``: the sum of products over pairs of dimensions of ``a`` and ``b``.

    Args:
        dims: an int n (the last n dimensions of ``a`` with the first n of ``b``), or two
            lists of dimensions ``([a dims], [b dims])`` paired in order.
        out: not supported (``reduce.refuse_out``): must be None.

    The result has ``a``'s remaining dimensions, then ``b``'s. Both must have one dtype."""
    refuse_out("tensordot", out)
    if a.dtype != b.dtype:
        raise TypeError(f"tensordot: both inputs should have the same dtype, got {a.dtype} "
                        f"and {b.dtype}")
    left, right = _contracted(a, b, dims)
    for i, j in zip(left, right):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"tensordot: contracted dimensions need the same size: "
                               f"dimension {i} of {tuple(a.shape)} and {j} of "
                               f"{tuple(b.shape)}")
    free_a = [d for d in range(a.ndim) if d not in left]
    free_b = [d for d in range(b.ndim) if d not in right]
    k = int(np.prod([a.shape[d] for d in left]))
    lhs = a.permute(free_a + left).reshape(-1, k)
    rhs = b.permute(right + free_b).reshape(k, -1)
    shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return matmul(lhs, rhs).reshape(shape)


def _contracted(a: Any, b: Any, dims: Any) -> tuple[list[int], list[int]]:
    if isinstance(dims, (int, np.integer)):
        n = int(dims)
        if n < 0 or n > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot: dims must be in [0, {min(a.ndim, b.ndim)}], got "
                               f"{n}")
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    if hasattr(dims, "data"):
        dims = dims.data.tolist()
    left, right = ([d] if isinstance(d, (int, np.integer)) else list(d) for d in dims)
    if len(left) != len(right):
        raise RuntimeError(f"tensordot: both dim lists should have the same length, got "
                           f"{left} and {right}")
    return [normalize_dim(d, a.ndim) for d in left], [normalize_dim(d, b.ndim) for d in right]


def kron(input: Any, other: Any) -> Any:
    """``torch.kron``: the Kronecker product; shapes are padded with leading 1s to one length
    and the result has size aᵢ·bᵢ in each dimension."""
    other = as_operand(input, other)[0]
    n = max(input.ndim, other.ndim)
    a_shape = (1,) * (n - input.ndim) + tuple(input.shape)
    b_shape = (1,) * (n - other.ndim) + tuple(other.shape)
    a = input.reshape([s for size in a_shape for s in (size, 1)])
    b = other.reshape([s for size in b_shape for s in (1, size)])
    return (a * b).reshape([p * q for p, q in zip(a_shape, b_shape)])


def cross(input: Any, other: Any, dim: int | None = None) -> Any:
    """``torch.cross``: the cross product of 3-vectors along ``dim`` (the first dimension of
    size 3 when None); the inputs have the same number of dimensions and broadcast."""
    other = as_operand(input, other)[0]
    if input.ndim != other.ndim:
        raise RuntimeError(f"cross: inputs must have the same number of dimensions, got "
                           f"shapes {tuple(input.shape)} and {tuple(other.shape)}")
    shape = broadcast_shape("cross", tuple(input.shape), tuple(other.shape))
    if dim is None:
        sizes = [d for d, n in enumerate(shape) if n == 3]
        if not sizes:
            raise RuntimeError(f"cross: no dimension of size 3 in the inputs {tuple(shape)}")
        axis = sizes[0]
    else:
        axis = normalize_dim(dim, len(shape))
    if input.shape[axis] != 3 or other.shape[axis] != 3:
        raise RuntimeError(f"cross: inputs dimension {axis} must have length 3, got "
                           f"{input.shape[axis]} and {other.shape[axis]}")
    a, b = input.broadcast_to(shape), other.broadcast_to(shape)
    lead = (slice(None),) * axis
    x = [a[lead + (i,)] for i in range(3)]
    y = [b[lead + (i,)] for i in range(3)]
    parts = [x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]]
    return stack(parts, axis)


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``torch.baddbmm``: β·input + α·(batch1 @ batch2) for batches (b, n, m) @ (b, m, p);
    ``input`` broadcasts to (b, n, p). With β = 0, ``input`` is ignored (its NaN and inf do
    not reach the result), as in PyTorch."""
    product = bmm(batch1, batch2)
    if not broadcasts_to(tuple(input.shape), product.shape):
        raise RuntimeError(f"baddbmm: input of shape {tuple(input.shape)} does not broadcast "
                           f"to the shape {product.shape} of batch1 @ batch2")
    product = product if alpha == 1 else product * alpha
    if beta == 0:
        return product
    return product + (input if beta == 1 else input * beta)


# ---------------------------------------------------------------- distances


def dist(input: Any, other: Any, p: float = 2) -> Any:
    """``torch.dist``: the p-norm of ``input − other`` (broadcast) over all elements: p ≥ 1,
    inf, −inf, or 0 (the number of non-zero differences)."""
    difference = input - as_operand(input, other)[0]
    return _norm(difference, p, None, "dist")


def cdist(x1: Any, x2: Any, p: float = 2.0, compute_mode: Any = None) -> Any:
    """``torch.cdist``: the p-norm distance between each row of ``x1`` (…, P, M) and each row
    of ``x2`` (…, R, M), shape (…, P, R), batch dimensions broadcast.

    Args:
        p: 2 (default), 1, any p ≥ 1, inf, or 0 (the number of differing coordinates).
        compute_mode: accepted; the distances are always computed directly (PyTorch's
            matrix-product shortcut for p = 2 is less exact).

    The gradient of a zero distance is 0, as in PyTorch."""
    for name, x in (("x1", x1), ("x2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist: {name} must have at least 2 dimensions, got shape "
                               f"{tuple(x.shape)}")
        if not dtypes.is_floating(x.dtype):
            raise TypeError(f"cdist only supports floating-point dtypes, {name} is {x.dtype}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: x1 and x2 must have the same number of columns, got "
                           f"{x1.shape[-1]} and {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    difference = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, R, M)
    return _norm(difference, p, -1, "cdist")


def _norm(x: Any, p: float, dim: Any, name: str) -> Any:
    if p == 0:
        nonzero = np.asarray(np.count_nonzero(x.data, axis=dim))  # an int for axis=None
        return x._const(nonzero.astype(x._float().dtype))
    if p != float("inf") and p != float("-inf") and p < 1:
        raise NotImplementedError(f"{name}: p must be 0, >= 1, inf or -inf here, got {p}")
    return x.norm(p, dim)


# ---------------------------------------------------------------- combinatorics


def cartesian_prod(*tensors: Any) -> Any:
    """``torch.cartesian_prod``: every combination of one element from each 1-D tensor, as
    the rows of a (count, len(tensors)) tensor (one tensor in: itself)."""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod: expects 1-D tensors, got shape "
                               f"{tuple(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Any, r: int = 2, with_replacement: bool = False) -> Any:
    """``torch.combinations``: the length-``r`` combinations of the 1-D ``input``'s elements
    (with repeats when ``with_replacement``), in lexicographic order of positions, as the rows
    of a (count, r) tensor; differentiable (an index)."""
    if input.ndim != 1:
        raise RuntimeError(f"combinations: expects a 1-D tensor, got shape "
                           f"{tuple(input.shape)}")
    if int(r) < 0:
        raise RuntimeError(f"combinations: r must be non-negative, got {r}")
    if int(r) == 0:
        return input[np.zeros(0, dtype=np.int64)]
    choose = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    index = np.array(list(choose(range(input.shape[0]), int(r))), dtype=np.int64)
    return input[index.reshape(-1, int(r))]


# ---------------------------------------------------------------- determinants and inverses


def _square(name: str, a: Any) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, got shape "
                           f"{tuple(a.shape)}")
    if not dtypes.is_floating(a.dtype):
        raise TypeError(f"{name}: expected a floating-point tensor, got {a.dtype}")


def det(A: Any) -> Any:  # noqa: N803 - PyTorch's argument name
    """``torch.det``: the determinant of each square matrix of A (…, n, n) -> (…);
    differentiable, exactly also at singular matrices."""
    _square("det", A)
    return A._apply(ops.Det)


def inverse(A: Any) -> Any:  # noqa: N803 - PyTorch's argument name
    """``torch.inverse``: the inverse of each square matrix of A (…, n, n); a singular matrix
    is a RuntimeError."""
    _square("inverse", A)
    try:
        return A._apply(ops.Inverse)
    except np.linalg.LinAlgError:
        raise RuntimeError(f"inverse: the input of shape {tuple(A.shape)} holds a singular "
                           "matrix, which has no inverse") from None

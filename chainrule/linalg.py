"""``chainrule.linalg``: PyTorch's ``torch.linalg`` names that chainrule covers:
``det``, ``inv``, ``cross``, ``norm``, ``vector_norm``, ``matrix_norm``; the decompositions
``cholesky``, ``cholesky_ex``, ``qr``, ``eigh``, ``eigvalsh``, ``svd``, ``svdvals``;
``lu``, ``lu_factor``, ``lu_factor_ex``, ``lu_solve``; ``solve``, ``solve_ex``,
``solve_triangular``, ``lstsq``, ``tensorsolve``; ``inv_ex``, ``tensorinv``; ``slogdet``, ``pinv``,
``matrix_power``, ``matrix_rank``, ``matrix_exp``, ``cond``; ``multi_dot``, ``matmul``,
``vecdot``, ``diagonal``, ``vander``; and ``LinAlgError``.

Each is a top-level function (``chainrule.det``, ``chainrule.inverse``, ``chainrule.cross``), a
function of ``methods.decompositions`` or ``methods.matrix_functions`` (Functions with
hand-derived backward passes in ``ops.decompositions``, ``ops.solvers``, ``ops.lu`` and
``ops.matrix_functions``), or a composition of those with reductions that have their own
derivatives (the singular-value norms ord 2, −2 and 'nuc'; ``cond``).
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from .methods.decompositions import (
    LinAlgError,
    check_matrix,
    cholesky,
    cholesky_ex,
    eigh,
    eigvalsh,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from .methods.math import matmul, where
from .methods.matrix_functions import (
    lstsq,
    matrix_exp,
    matrix_power,
    matrix_rank,
    multi_dot,
    pinv,
    solve_triangular,
    vander,
    vecdot,
)
from .methods.products import cross as _cross
from .methods.products import det
from .methods.products import inverse as inv
from .methods.reduce import normalize_dim
from .methods.structure_functions import diagonal as _diagonal
from .ops import lu as lu_ops

__all__ = ["cross", "det", "inv", "matrix_norm", "norm", "vector_norm"]
__all__ += ["LinAlgError", "cholesky", "eigh", "eigvalsh", "qr", "slogdet", "solve",
            "solve_ex", "svd", "svdvals"]
__all__ += ["cholesky_ex"]
__all__ += ["cond", "diagonal", "lstsq", "matmul", "matrix_exp", "matrix_power", "matrix_rank",
            "multi_dot", "pinv", "solve_triangular", "vander", "vecdot"]
__all__ += ["inv_ex", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "tensorinv", "tensorsolve"]

SolveExResult = namedtuple("linalg_solve_ex", ["result", "info"])
LUFactorResult = namedtuple("linalg_lu_factor", ["LU", "pivots"])
LUFactorExResult = namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
LUResult = namedtuple("linalg_lu", ["P", "L", "U"])
InvExResult = namedtuple("linalg_inv_ex", ["inverse", "info"])

INF = float("inf")


def cross(input: Any, other: Any, *, dim: int = -1) -> Any:
    """``torch.linalg.cross``: the cross product of 3-vectors along ``dim`` (default the
    last); the inputs have the same number of dimensions and broadcast."""
    return _cross(input, other, dim)


def vector_norm(x: Any, ord: float = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None) -> Any:
    """``torch.linalg.vector_norm``: the ``ord``-norm of ``x`` over ``dim`` (every element
    when None): ord ≥ 1, inf or −inf; ``dtype`` converts ``x`` first."""
    x = x if dtype is None else x.to(dtype)
    return x.norm(ord, dim, keepdim)


def matrix_norm(A: Any, ord: Any = "fro", dim: tuple = (-2, -1), keepdim: bool = False, *,  # noqa: A002, N803
                dtype: Any = None) -> Any:
    """``torch.linalg.matrix_norm``: a matrix norm over the two dimensions ``dim``: 'fro'
    (Frobenius), 1 / −1 (largest / smallest absolute column sum), inf / −inf (the same for
    rows)."""
    A = A if dtype is None else A.to(dtype)  # noqa: N806
    if A.ndim < 2:
        raise RuntimeError(f"matrix_norm: expected a tensor with 2 or more dimensions, got "
                           f"shape {tuple(A.shape)}")
    rows, cols = (normalize_dim(d, A.ndim) for d in dim)
    if ord == "fro":
        return A.norm(2, (rows, cols), keepdim)
    if ord in (2, -2, "nuc"):
        return _singular_value_norm(A, ord, rows, cols, keepdim)
    if ord in (1, -1, INF, -INF):
        summed, extreme = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = A.abs().sum(summed, keepdim=True)
        out = sums.amax(extreme, keepdim=True) if ord > 0 else sums.amin(extreme, keepdim=True)
        return out if keepdim else out.squeeze((rows, cols))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord!r} not supported; use 'fro', 'nuc', "
                       "2, -2, 1, -1, inf or -inf")


def _singular_value_norm(A: Any, ord: Any, rows: int, cols: int, keepdim: bool) -> Any:  # noqa: A002, N803
    """The largest (2) or smallest (−2) singular value, or their sum ('nuc')."""
    s = svdvals(A.movedim((rows, cols), (-2, -1)))
    out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
    if keepdim:
        for d in sorted((rows, cols)):
            out = out.unsqueeze(d)
    return out


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: A002, N803
         dtype: Any = None) -> Any:
    """``torch.linalg.norm``: with ``ord`` None, the 2-norm of every element (or over ``dim``);
    else a vector norm when ``dim`` is an int (or ``A`` is 1-D) and a matrix norm when ``dim``
    is a pair (or ``A`` is 2-D)."""
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(dim, (int,)) or (dim is None and A.ndim == 1):
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    if dim is None and A.ndim != 2:
        raise RuntimeError(f"linalg.norm: with ord={ord!r} and dim=None, A must be 1-D or 2-D, "
                           f"got shape {tuple(A.shape)}")
    return matrix_norm(A, ord, (-2, -1) if dim is None else tuple(dim), keepdim, dtype=dtype)


def solve_ex(A: Any, B: Any, *, left: bool = True, check_errors: bool = False) -> Any:  # noqa: N803
    """``torch.linalg.solve_ex``: (result, info) of ``solve``; info is 0 for each solved
    system. A singular A raises ``LinAlgError`` whatever ``check_errors`` (no partial
    results are returned)."""
    result = solve(A, B, left=left)
    info = result._const(np.zeros(tuple(A.shape[:-2]), dtype=np.int32))
    return SolveExResult(result, info)


def diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:  # noqa: N803
    """``torch.linalg.diagonal``: ``torch.diagonal`` with the last two dimensions as default."""
    return _diagonal(A, offset, dim1, dim2)


def cond(A: Any, p: Any = None) -> Any:  # noqa: N803
    """``torch.linalg.cond``: the condition number ‖A‖·‖A⁻¹‖ in the norm ``p`` ('fro', 'nuc',
    ±1, ±inf: square A), or σ₁/σₖ (p None or 2) and σₖ/σ₁ (p = −2) for any A (…, m, n)."""
    if p is None or p in (2, -2):
        s = svdvals(A)
        ratio = s[..., 0] / s[..., -1]
        return ratio if p != -2 else 1 / ratio
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={p!r}): A must be batches of square matrices, "
                           f"got shape {tuple(A.shape)}")
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


# ---------------------------------------------------------------- LU factorization


def _no_pivoting(name: str, pivot: bool) -> None:
    if not pivot:
        raise RuntimeError(f"{name}: LU without pivoting (pivot=False) is not implemented on "
                           "the CPU, as in PyTorch; use pivot=True")


def _first_zero_pivot(info: np.ndarray) -> tuple[str, int]:
    """("(Batch element b): " for a batch, else "", i): the first matrix whose U has an
    exactly zero diagonal entry, and that entry's 1-based index (its ``info``)."""
    flat = info.reshape(-1)
    index = int(np.flatnonzero(flat)[0])
    return (f"(Batch element {index}): " if info.ndim else ""), int(flat[index])


def _zero_pivot(name: str, info: np.ndarray) -> str:
    """The error text for the first matrix whose U has an exactly zero diagonal entry."""
    where_, i = _first_zero_pivot(info)
    return (f"{name}: {where_}U[{i},{i}] is zero, so lu_solve with this factor would divide "
            "by zero; linalg.lu_factor_ex(A) or linalg.lu(A) factor it without this check")


def _factor(name: str, A: Any, pivot: bool) -> tuple[Any, np.ndarray, np.ndarray]:  # noqa: N803
    """(the differentiable packed LU, pivots, info) of A, after ``name``'s checks."""
    _no_pivoting(name, pivot)
    check_matrix(name, A)
    lu, pivots, info = lu_ops.lu_factor(A.data)
    return A._apply(lu_ops.LUFactor, factor=(lu, pivots)), pivots, info


def lu_factor_ex(A: Any, *, pivot: bool = True, check_errors: bool = False) -> Any:  # noqa: N803
    """``torch.linalg.lu_factor_ex``: (LU, pivots, info) of A = P L U, A (…, m, n), k =
    min(m, n): L (unit diagonal not stored) and U packed in LU (…, m, n); pivots (…, k) int32,
    1-based row interchanges; info (…) int32, the 1-based index of U's first zero diagonal
    entry (0 where none). A singular A is no error unless ``check_errors``. LU is
    differentiable where U's leading k×k block is invertible.

    Example:
        >>> import chainrule
        >>> from chainrule import linalg
        >>> LU, pivots, info = linalg.lu_factor_ex(chainrule.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> pivots.tolist(), info.item()
        ([2, 2], 0)
    """
    packed, pivots, info = _factor("linalg.lu_factor_ex", A, pivot)
    if check_errors and info.any():
        raise LinAlgError(_zero_pivot("linalg.lu_factor_ex", info))
    return LUFactorExResult(packed, A._const(pivots), A._const(info))


def lu_factor(A: Any, *, pivot: bool = True) -> Any:  # noqa: N803
    """``torch.linalg.lu_factor``: (LU, pivots) of ``lu_factor_ex``; a matrix with a zero
    diagonal entry of U (a singular square A) raises ``RuntimeError``, as in PyTorch.

    Example:
        >>> import chainrule
        >>> from chainrule import linalg
        >>> LU, pivots = linalg.lu_factor(chainrule.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> LU.tolist(), pivots.tolist()
        ([[3.0, 4.0], [0.3333333432674408, 0.6666666269302368]], [2, 2])
    """
    packed, pivots, info = _factor("linalg.lu_factor", A, pivot)
    if info.any():
        raise RuntimeError(_zero_pivot("linalg.lu_factor", info))
    return LUFactorResult(packed, A._const(pivots))


def _unpack(packed: Any, pivots: np.ndarray) -> Any:
    """(P, L, U) from the packed factor, by differentiable triangles and slices."""
    m, n = packed.shape[-2:]
    k = min(m, n)
    eye = packed._const(np.eye(m, k, dtype=packed.data.dtype))
    lower = packed[..., :, :k].tril(-1) + eye
    upper = packed[..., :k, :].triu()
    p = packed._const(lu_ops.permutation_matrix(pivots, m, packed.data.dtype))
    return LUResult(p, lower, upper)


def lu(A: Any, *, pivot: bool = True) -> Any:  # noqa: N803
    """``torch.linalg.lu``: (P, L, U) with A = P L U for A (…, m, n), k = min(m, n): P
    (…, m, m) a permutation, L (…, m, k) unit lower triangular, U (…, k, n) upper
    triangular. Singular matrices are factored too. L and U are differentiable where U's
    leading k×k block is invertible.

    Example:
        >>> import chainrule
        >>> from chainrule import linalg
        >>> P, L, U = linalg.lu(chainrule.tensor([[1.0, 2.0], [2.0, 4.0]]))
        >>> (P @ L @ U).tolist(), U.tolist()
        ([[1.0, 2.0], [2.0, 4.0]], [[2.0, 4.0], [0.0, 0.0]])
    """
    packed, pivots, _ = _factor("linalg.lu", A, pivot)
    return _unpack(packed, pivots)


def _check_lu_solve(LU: Any, pivots: Any, B: Any, left: bool) -> None:  # noqa: N803
    check_matrix("linalg.lu_solve", LU, square=True)
    if B.ndim < 2:
        raise RuntimeError(f"linalg.lu_solve: The input tensor B must have at least 2 "
                           f"dimensions, got shape {tuple(B.shape)}")
    if LU.dtype != B.dtype:
        raise TypeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but found "
                        f"LU of type {LU.dtype} and B of type {B.dtype} instead")
    if pivots.data.dtype != np.int32:
        raise TypeError(f"linalg.lu_solve: pivots should be an int32 tensor, got "
                        f"{pivots.data.dtype}")
    if tuple(pivots.shape) != tuple(LU.shape[:-1]):
        raise RuntimeError(f"linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the "
                           f"same, but got LU {tuple(LU.shape)} and pivots "
                           f"{tuple(pivots.shape)}")
    n, rows = LU.shape[-1], B.shape[-2] if left else B.shape[-1]
    if rows != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{equation} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")


def lu_solve(LU: Any, pivots: Any, B: Any, *, left: bool = True,  # noqa: N803
             adjoint: bool = False) -> Any:
    """``torch.linalg.lu_solve``: X with A X = B from A's ``lu_factor`` (Aᴴ X = B when
    ``adjoint``; X A = B, X Aᴴ = B when ``left=False``); B (…, n, k) (…, k, n for
    ``left=False``), batch dimensions broadcast. Two triangular solves and a permutation,
    each differentiable, so X is differentiable in LU and B.

    Example:
        >>> import chainrule
        >>> from chainrule import linalg
        >>> A = chainrule.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> X = linalg.lu_solve(*linalg.lu_factor(A), chainrule.tensor([[5.0], [6.0]]))
        >>> X.round(decimals=4).tolist()
        [[-4.0], [4.5]]
    """
    _check_lu_solve(LU, pivots, B, left)
    if not left:
        return lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT
    n = LU.shape[-1]
    p = LU._const(lu_ops.permutation_matrix(pivots.data, n, LU.data.dtype))
    if adjoint:  # Aᵀ = Uᵀ Lᵀ Pᵀ
        z = solve_triangular(LU.mT, B, upper=False)
        return p @ solve_triangular(LU.mT, z, upper=True, unitriangular=True)
    y = solve_triangular(LU, p.mT @ B, upper=False, unitriangular=True)
    return solve_triangular(LU, y, upper=True)


# ---------------------------------------------------------------- inverses of matrices and tensors


def inv_ex(A: Any, *, check_errors: bool = False) -> Any:  # noqa: N803
    """``torch.linalg.inv_ex``: (inverse, info) of each square A (…, n, n), info the 1-based
    index of the first zero diagonal entry of A's LU factor U (0 where A is invertible).
    Where info > 0 the inverse is NaN (PyTorch leaves LAPACK's partial result, infinities
    and NaNs) and passes no gradient; with ``check_errors`` a singular A raises
    ``LinAlgError``."""
    check_matrix("linalg.inv_ex", A, square=True)
    info = lu_ops.lu_factor(A.data)[2]
    if check_errors and info.any():
        where_, i = _first_zero_pivot(info)
        raise LinAlgError(f"linalg.inv_ex: {where_}The diagonal element {i} of U is "
                          "zero: the matrix is singular and has no inverse")
    failed = A._const((info > 0)[..., None, None])
    eye = A._const(np.eye(A.shape[-1], dtype=A.data.dtype))
    inverse = inv(where(failed, eye, A))
    return InvExResult(where(failed, float("nan"), inverse), A._const(info))


def _check_products(name: str, shape: tuple, split: int) -> tuple[int, int]:
    rows, cols = math.prod(shape[:split]), math.prod(shape[split:])
    if rows != cols:
        raise RuntimeError(f"{name}: the product of A's first {split} dimensions {shape[:split]} "
                           f"must equal that of the rest {shape[split:]}, but {rows} != {cols}")
    return rows, cols


def tensorinv(A: Any, ind: int = 2) -> Any:  # noqa: N803
    """``torch.linalg.tensorinv``: the inverse of A for ``tensordot(·, ·, ind)``: A with
    shape (a₁…a_ind, b₁…) reshaped to a square matrix, inverted, and returned with shape
    (b₁…, a₁…a_ind)."""
    if ind <= 0:
        raise RuntimeError(f"linalg.tensorinv: Expected a strictly positive integer for 'ind', "
                           f"but got {ind}")
    shape = tuple(A.shape)
    rows, _ = _check_products("linalg.tensorinv", shape, ind)
    return inv(A.reshape(rows, rows)).reshape(shape[ind:] + shape[:ind])


def tensorsolve(A: Any, B: Any, dims: Any = None) -> Any:  # noqa: N803
    """``torch.linalg.tensorsolve``: X with ``tensordot(A, X, X.ndim) = B``: A's dimensions
    ``dims`` are first moved to the end; then A (B's shape…, X's shape…) is reshaped to a
    square matrix and solved against B flattened."""
    if dims is not None:
        dims = tuple(dims)
        A = A.movedim(dims, tuple(range(A.ndim - len(dims), A.ndim)))  # noqa: N806
    shape = tuple(A.shape)
    rows, _ = _check_products("linalg.tensorsolve", shape, B.ndim)
    return solve(A.reshape(rows, rows), B.reshape(rows)).reshape(shape[B.ndim:])

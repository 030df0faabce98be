"""More of ``torch.linalg`` on tensors: ``pinv``, ``lstsq``, ``matrix_power``, ``matrix_rank``,
``multi_dot``, ``vecdot``, ``solve_triangular``, ``matrix_exp`` and ``vander``.

``pinv`` and ``matrix_exp`` are Functions of ``ops.matrix_functions``; the rest are
compositions of differentiable ops (matmul, solve, svdvals, triangles, products), so their
gradients are exact where those are. ``chainrule.linalg`` gives them PyTorch's signatures.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from ..ops import matrix_functions as ops
from .decompositions import check_matrix, solve
from .math import matmul
from .products import inverse
from .shape import stack

LstsqResult = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


def _tolerance(name: str, s: np.ndarray, shape: tuple, atol: Any, rtol: Any) -> np.ndarray:
    """max(atol, rtol·σ₁) per matrix (PyTorch's rule): rtol defaults to ε·max(m, n) when
    neither is given, to 0 when only atol is."""
    if rtol is None:
        rtol = np.finfo(s.dtype).eps * max(shape[-2:]) if atol is None or atol == 0 else 0.0
    sigma_max = s.max(-1) if s.shape[-1] else np.zeros(s.shape[:-1], dtype=s.dtype)
    return np.maximum(0.0 if atol is None else float(atol), float(rtol) * sigma_max)


def pinv(A: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Any:  # noqa: N803
    """``torch.linalg.pinv``: the Moore–Penrose pseudo-inverse of each A (…, m, n) ->
    (…, n, m); singular values at or below max(atol, rtol·σ₁) count as zero. ``hermitian``
    is accepted (the SVD serves either way)."""
    check_matrix("linalg.pinv", A)
    s = np.linalg.svd(A.data, compute_uv=False) if A.data.size else np.zeros(A.shape[:-2] + (0,))
    tol = _tolerance("linalg.pinv", s, tuple(A.shape), atol, rtol)
    return A._apply(ops.PseudoInverse, tol=tol)


def lstsq(A: Any, B: Any, rcond: Any = None, *, driver: Any = None) -> Any:  # noqa: N803
    """``torch.linalg.lstsq``: the least-squares solution X = A⁺ B of A X ≈ B, with PyTorch's
    fields: residuals (squared column norms of A X − B; for tall full-rank A and the drivers
    'gels', 'gelsd', 'gelss'), rank (all drivers but 'gels'), singular_values ('gelsd',
    'gelss'); the others are empty. ``driver`` None is 'gelsy', as on PyTorch's CPU."""
    driver = "gelsy" if driver is None else driver
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of "
                           f"(gels, gelsy, gelsd, gelss), got {driver!r}")
    check_matrix("linalg.lstsq", A)
    vector = B.ndim == A.ndim - 1
    matrix = B.unsqueeze(-1) if vector else B
    if matrix.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2), "
                           f"got shapes {tuple(A.shape)} and {tuple(B.shape)}")
    s = np.linalg.svd(A.data, compute_uv=False)
    rtol = np.finfo(s.dtype).eps * max(A.shape[-2:]) if rcond is None else rcond
    tol = _tolerance("linalg.lstsq", s, tuple(A.shape), None, rtol)
    x = matmul(A._apply(ops.PseudoInverse, tol=tol), matrix)
    rank = (s > tol[..., None]).sum(-1)
    empty = A._const(np.zeros(0, dtype=A.data.dtype))
    m, n = A.shape[-2:]
    full_rank = bool(np.all(rank == min(m, n)))
    residuals = ((matmul(A, x) - matrix) ** 2).sum(-2) \
        if driver != "gelsy" and m > n and full_rank else empty
    return LstsqResult(x.squeeze(-1) if vector else x,
                       residuals,  # (…, 1) for a vector B, as in PyTorch
                       A._const(rank.astype(np.int64)) if driver != "gels" else
                       A._const(np.zeros(0, dtype=np.int64)),
                       A._const(s) if driver in ("gelsd", "gelss") else empty)


def matrix_power(A: Any, n: int) -> Any:  # noqa: N803
    """``torch.linalg.matrix_power``: Aⁿ of each square A (…, m, m) for an integer n, by
    repeated squaring; n < 0 is (A⁻¹)^|n|, n = 0 the identity."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"linalg.matrix_power: n must be an int, not {type(n).__name__}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, got "
                           f"shape {tuple(A.shape)}")
    if n == 0:
        eye = np.broadcast_to(np.eye(A.shape[-1], dtype=A.data.dtype), A.shape)
        return A._const(eye.copy())
    base = inverse(A) if n < 0 else A
    result, n = None, abs(int(n))
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def matrix_rank(A: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False,  # noqa: N803
                tol: Any = None) -> Any:
    """``torch.linalg.matrix_rank``: the number of singular values of each A above
    max(atol, rtol·σ₁) (int64, no gradient); ``tol`` is PyTorch's old name of ``atol``."""
    check_matrix("linalg.matrix_rank", A)
    atol = tol if atol is None else atol
    s = np.linalg.svd(A.data, compute_uv=False) if A.data.size else np.zeros(A.shape[:-2] + (0,))
    cutoff = _tolerance("linalg.matrix_rank", s, tuple(A.shape), atol, rtol)
    return A._const(np.asarray((s > cutoff[..., None]).sum(-1), dtype=np.int64))


def multi_dot(tensors: Any) -> Any:
    """``torch.linalg.multi_dot``: the product of two or more matrices; the first may be a
    row vector (1-D) and the last a column vector (1-D), their dimension then dropped."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        allowed = (1, 2) if i in (0, len(tensors) - 1) else (2,)
        if t.ndim not in allowed:
            raise RuntimeError(f"multi_dot(): tensor {i} must be "
                               f"{' or '.join(f'{d}D' for d in allowed)} but got {t.ndim}D")
    result = tensors[0]
    for t in tensors[1:]:
        result = matmul(result, t)
    return result


def vecdot(x: Any, y: Any, *, dim: int = -1) -> Any:
    """``torch.linalg.vecdot``: Σ xᵢ yᵢ along ``dim`` after broadcasting (real tensors)."""
    return (x * y).sum(dim)


def solve_triangular(A: Any, B: Any, *, upper: bool, left: bool = True,  # noqa: N803
                     unitriangular: bool = False) -> Any:
    """``torch.linalg.solve_triangular``: X with T X = B (X T = B when ``left=False``), T the
    upper or lower triangle of A (its diagonal taken as ones when ``unitriangular``); the
    rest of A is not read, and gets a zero gradient."""
    check_matrix("linalg.solve_triangular", A, square=True)
    if B.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    triangle = A.triu(1 if unitriangular else 0) if upper else A.tril(-1 if unitriangular else 0)
    if unitriangular:
        triangle = triangle + A._const(np.eye(A.shape[-1], dtype=A.data.dtype))
    return solve(triangle, B, left=left)


def matrix_exp(A: Any) -> Any:  # noqa: N803
    """``torch.linalg.matrix_exp``: e^A of each square A (…, n, n)."""
    check_matrix("linalg.matrix_exp", A, square=True)
    return A._apply(ops.MatrixExp)


def vander(x: Any, N: Any = None) -> Any:  # noqa: N803
    """``torch.linalg.vander``: the Vandermonde matrices (…, n, N) of x (…, n), columns
    x⁰, x¹, …, x^(N−1) (increasing powers; N defaults to n), built by repeated products."""
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension")
    n = x.shape[-1] if N is None else int(N)
    if n < 1:
        raise RuntimeError(f"N must be greater than 1, got {n}")
    columns = [x * 0 + 1]
    while len(columns) < n:
        columns.append(columns[-1] * x)
    return stack(columns, -1)

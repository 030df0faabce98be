"""``chainrule.linalg``: PyTorch's ``torch.linalg`` names that chainrule covers:
``det``, ``inv``, ``cross``, ``norm``, ``vector_norm``, ``matrix_norm``; the decompositions
``cholesky``, ``cholesky_ex``, ``qr``, ``eigh``, ``eigvalsh``, ``svd``, ``svdvals``;
``solve``, ``solve_ex``, ``solve_triangular``, ``lstsq``; ``slogdet``, ``pinv``,
``matrix_power``, ``matrix_rank``, ``matrix_exp``, ``cond``; ``multi_dot``, ``matmul``,
``vecdot``, ``diagonal``, ``vander``; and ``LinAlgError``.

Each is a top-level function (``chainrule.det``, ``chainrule.inverse``, ``chainrule.cross``), a
function of ``methods.decompositions`` or ``methods.matrix_functions`` (Functions with
hand-derived backward passes in ``ops.decompositions``, ``ops.solvers`` and
``ops.matrix_functions``), or a composition of those with reductions that have their own
derivatives (the singular-value norms ord 2, −2 and 'nuc'; ``cond``).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .methods.decompositions import (
    LinAlgError,
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
from .methods.math import matmul
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

__all__ = ["cross", "det", "inv", "matrix_norm", "norm", "vector_norm"]
__all__ += ["LinAlgError", "cholesky", "eigh", "eigvalsh", "qr", "slogdet", "solve",
            "solve_ex", "svd", "svdvals"]
__all__ += ["cholesky_ex"]
__all__ += ["cond", "diagonal", "lstsq", "matmul", "matrix_exp", "matrix_power", "matrix_rank",
            "multi_dot", "pinv", "solve_triangular", "vander", "vecdot"]

SolveExResult = namedtuple("linalg_solve_ex", ["result", "info"])

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

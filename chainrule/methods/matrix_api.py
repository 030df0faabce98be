"""PyTorch's older top-level matrix functions, beside ``torch.linalg``: ``cholesky``, ``qr``
(``some=``), ``svd`` (returning V, not Vᴴ), ``pinverse``, ``cholesky_solve``,
``cholesky_inverse``, ``triangular_solve``, ``matrix_power`` and ``matrix_exp``.

Each is a composition of the ``torch.linalg`` functions in ``methods.decompositions`` and
``methods.matrix_functions`` with matmul and transposes, whose gradients are derived there;
``cholesky_solve`` and ``cholesky_inverse`` differentiate through A = L Lᵀ formed in full, as
PyTorch does (the gradient is not restricted to L's triangle).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from . import decompositions as dec
from .decompositions import logdet, slogdet
from .matrix_functions import matrix_exp, matrix_power, pinv, solve_triangular
from .products import inverse

__all__ = ["cholesky", "cholesky_inverse", "cholesky_solve", "logdet", "matrix_exp",
           "matrix_power", "pinverse", "qr", "slogdet", "svd", "triangular_solve"]

QR = namedtuple("qr", ["Q", "R"])
SVD = namedtuple("svd", ["U", "S", "V"])
TriangularSolve = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


def cholesky(input: Any, upper: bool = False) -> Any:
    """``torch.cholesky``: ``torch.linalg.cholesky(input, upper=upper)``."""
    return dec.cholesky(input, upper=upper)


def qr(input: Any, some: bool = True) -> Any:
    """``torch.qr``: (Q, R), reduced when ``some`` else complete."""
    return QR(*dec.qr(input, "reduced" if some else "complete"))


def svd(input: Any, some: bool = True, compute_uv: bool = True) -> Any:
    """``torch.svd``: (U, S, V) with input = U diag(S) Vᵀ (V, not Vᴴ); reduced when ``some``.
    Without ``compute_uv``, U (m×m) and V (n×n) are zeros and only S is computed."""
    if not compute_uv:
        m, n = input.shape[-2:]
        batch = tuple(input.shape[:-2])
        zeros = [input._const(np.zeros(batch + (k, k), dtype=input.data.dtype)) for k in (m, n)]
        return SVD(zeros[0], dec.svdvals(input), zeros[1])
    u, s, vh = dec.svd(input, full_matrices=not some)
    return SVD(u, s, vh.mT)


def pinverse(input: Any, rcond: float = 1e-15) -> Any:
    """``torch.pinverse``: ``torch.linalg.pinv(input, rtol=rcond)``."""
    return pinv(input, rtol=rcond)


def _from_factor(factor: Any, upper: bool) -> Any:
    """A = L Lᵀ from a lower factor, or Uᵀ U from an upper one, formed in full."""
    return factor.mT @ factor if upper else factor @ factor.mT


def cholesky_solve(B: Any, L: Any, upper: bool = False) -> Any:  # noqa: N803
    """``torch.cholesky_solve``: X with A X = B, where A = L Lᵀ (Uᵀ U when ``upper``) is
    given by its Cholesky factor."""
    dec.check_matrix("cholesky_solve", L, square=True)
    if B.ndim < 2:
        raise RuntimeError(f"cholesky_solve: B should have at least 2 dimensions, got shape "
                           f"{tuple(B.shape)}")
    return dec.solve(_from_factor(L, upper), B)


def cholesky_inverse(L: Any, upper: bool = False) -> Any:  # noqa: N803
    """``torch.cholesky_inverse``: A⁻¹ where A = L Lᵀ (Uᵀ U when ``upper``)."""
    dec.check_matrix("cholesky_inverse", L, square=True)
    return inverse(_from_factor(L, upper))


def triangular_solve(b: Any, A: Any, upper: bool = True, transpose: bool = False,  # noqa: N803
                     unitriangular: bool = False) -> Any:
    """``torch.triangular_solve``: (X, a copy of A) with T X = b (Tᵀ X = b when
    ``transpose``), T the upper or lower triangle of A."""
    if transpose:
        x = solve_triangular(A.mT, b, upper=not upper, unitriangular=unitriangular)
    else:
        x = solve_triangular(A, b, upper=upper, unitriangular=unitriangular)
    return TriangularSolve(x, A.clone())

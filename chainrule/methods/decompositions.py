"""Matrix decompositions, solves and log-determinants on tensors with PyTorch's names and
result tuples: ``cholesky``, ``cholesky_ex``, ``qr``, ``eigh``, ``eigvalsh``, ``svd``,
``svdvals``, ``solve``, ``slogdet``, ``logdet``, and ``LinAlgError`` (PyTorch's
``torch.linalg.LinAlgError``).

Each is a Function of ``ops.decompositions`` or ``ops.solvers``, or a composition of those with
differentiable slices, reshapes and broadcasts. A decomposition with several factors gets them
from its Function packed into one array and cuts them out here (``_unpacked``). The public
``torch.linalg`` signatures are in ``chainrule.linalg``.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from .. import dtypes
from ..ops import decompositions as dec
from ..ops import solvers
from .math import where

QRResult = namedtuple("linalg_qr", ["Q", "R"])
EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("linalg_svd", ["U", "S", "Vh"])
SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
CholeskyExResult = namedtuple("linalg_cholesky_ex", ["L", "info"])


class LinAlgError(RuntimeError):
    """A linear-algebra routine could not finish: a singular matrix where an invertible one is
    needed, or a matrix that is not positive-definite (PyTorch's ``torch.linalg.LinAlgError``,
    also a ``RuntimeError``)."""


def check_matrix(name: str, A: Any, square: bool = False) -> None:  # noqa: N803
    """Refuse what is not a (batch of) floating-point matrices, square when ``square``."""
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions, got "
                           f"shape {tuple(A.shape)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if not dtypes.is_floating(A.dtype):
        raise TypeError(f"{name}: expected a floating-point tensor, got {A.dtype}")


def _unpacked(packed: Any, batch: tuple[int, ...], shapes: list[tuple[int, ...]]) -> list:
    """The factors cut out of a decomposition's packed output (``ops.decompositions.pack``)."""
    pieces, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        pieces.append(packed[..., start:start + size].reshape(batch + shape))
        start += size
    return pieces


# ---------------------------------------------------------------- decompositions


def cholesky(A: Any, *, upper: bool = False) -> Any:  # noqa: N803
    """``torch.linalg.cholesky``: L lower triangular with A = L Lᵀ (U = Lᵀ when ``upper``)
    for each symmetric positive-definite A (…, n, n); only A's lower triangle is read. A
    matrix that is not positive-definite raises ``LinAlgError``."""
    check_matrix("linalg.cholesky", A, square=True)
    try:
        lower = A._apply(dec.Cholesky)
    except np.linalg.LinAlgError:
        raise LinAlgError(_not_positive_definite(A.data)) from None
    return lower.mT if upper else lower


def _failing_minors(a: np.ndarray) -> np.ndarray:
    """LAPACK's info per matrix: the order of the first leading minor that is not positive-
    definite, 0 where the whole matrix is."""
    info = np.zeros(a.shape[:-2], dtype=np.int32)
    for index in np.ndindex(a.shape[:-2]):
        try:
            np.linalg.cholesky(a[index])
            continue
        except np.linalg.LinAlgError:
            pass
        for order in range(1, a.shape[-1] + 1):
            try:
                np.linalg.cholesky(a[index][:order, :order])
            except np.linalg.LinAlgError:
                info[index] = order
                break
    return info


def _not_positive_definite(a: np.ndarray, name: str = "linalg.cholesky") -> str:
    """PyTorch's message: the first batch element that fails and its first failing minor."""
    info = _failing_minors(a).reshape(-1)
    index = int(np.flatnonzero(info)[0]) if info.any() else 0
    where = f"(Batch element {index}): " if a.ndim > 2 else ""
    return (f"{name}: {where}The factorization could not be completed because the input is "
            f"not positive-definite (the leading minor of order {info[index]} is not "
            "positive-definite).")


def cholesky_ex(A: Any, *, upper: bool = False, check_errors: bool = False) -> Any:  # noqa: N803
    """``torch.linalg.cholesky_ex``: (L, info) with info the order of the first leading minor
    of each matrix that is not positive-definite (0 where it is). Where info > 0, L is NaN
    (PyTorch leaves LAPACK's partial factor there, which means nothing) and passes no
    gradient; with ``check_errors`` a failure raises ``LinAlgError`` instead."""
    check_matrix("linalg.cholesky_ex", A, square=True)
    try:
        factor = cholesky(A, upper=upper)
        return CholeskyExResult(factor, A._const(np.zeros(A.shape[:-2], dtype=np.int32)))
    except LinAlgError:
        info = _failing_minors(A.data)
    if check_errors:
        raise LinAlgError(_not_positive_definite(A.data, "linalg.cholesky_ex"))
    failed = A._const((info > 0)[..., None, None])
    eye = A._const(np.eye(A.shape[-1], dtype=A.data.dtype))
    factor = cholesky(where(failed, eye, A), upper=upper)
    return CholeskyExResult(where(failed, float("nan"), factor), A._const(info))


def qr(A: Any, mode: str = "reduced") -> Any:  # noqa: N803
    """``torch.linalg.qr``: A = Q R with Q orthonormal columns and R upper triangular.

    ``mode``: 'reduced' (Q m×k, R k×n, k = min(m, n)), 'complete' (Q m×m, R m×n) or 'r' (R
    only; Q is empty and A gets no gradient)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode {mode!r} but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    check_matrix("linalg.qr", A)
    batch, (m, n) = tuple(A.shape[:-2]), tuple(A.shape[-2:])
    k = min(m, n)
    packed = A._apply(dec.QR, mode=mode)
    q_shape, r_shape = {"reduced": ((m, k), (k, n)), "complete": ((m, m), (m, n)),
                        "r": ((0,), (k, n))}[mode]
    if mode == "r":
        return QRResult(*_unpacked(packed, (), [(0,)]),
                        *_unpacked(packed, batch, [r_shape]))
    return QRResult(*_unpacked(packed, batch, [q_shape, r_shape]))


def _check_uplo(uplo: str) -> str:
    if uplo not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")
    return uplo.upper()


def eigh(A: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """``torch.linalg.eigh``: (eigenvalues ascending, eigenvectors as columns) of each
    symmetric A (…, n, n), read from its lower ('L') or upper ('U') triangle. The gradient
    is undefined at repeated eigenvalues."""
    check_matrix("linalg.eigh", A, square=True)
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    packed = A._apply(dec.Eigh, uplo=_check_uplo(UPLO))
    return EighResult(*_unpacked(packed, batch, [(n,), (n, n)]))


def eigvalsh(A: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """``torch.linalg.eigvalsh``: the ascending eigenvalues of each symmetric A (…, n, n)."""
    check_matrix("linalg.eigvalsh", A, square=True)
    return A._apply(dec.Eigvalsh, uplo=_check_uplo(UPLO))


def svd(A: Any, full_matrices: bool = True, *, driver: Any = None) -> Any:  # noqa: N803
    """``torch.linalg.svd``: A = U diag(S) Vh with S descending; U (m×k), Vh (k×n) for
    ``full_matrices=False``, else U (m×m), Vh (n×n). The gradient is undefined at repeated
    singular values (and at a zero one when U or Vh are used); ``driver`` is accepted and
    ignored (it only selects a CUDA algorithm in PyTorch)."""
    check_matrix("linalg.svd", A)
    batch, (m, n) = tuple(A.shape[:-2]), tuple(A.shape[-2:])
    k = min(m, n)
    packed = A._apply(dec.SVD, full_matrices=bool(full_matrices))
    u_cols, vh_rows = (m, n) if full_matrices else (k, k)
    return SVDResult(*_unpacked(packed, batch, [(m, u_cols), (k,), (vh_rows, n)]))


def svdvals(A: Any, *, driver: Any = None) -> Any:  # noqa: N803
    """``torch.linalg.svdvals``: the descending singular values of A (…, m, n) -> (…, k);
    differentiable also at repeated singular values."""
    check_matrix("linalg.svdvals", A)
    return A._apply(dec.SVDVals)


# ---------------------------------------------------------------- solves and log-determinants


def solve(A: Any, B: Any, *, left: bool = True) -> Any:  # noqa: N803
    """``torch.linalg.solve``: X with A X = B (X A = B when ``left=False``) for square A
    (…, n, n). B is a vector (…, n) when it is 1-D or has A's batch shape without the last
    dimension, else matrices (…, n, k); batch dimensions broadcast. A singular A raises
    ``LinAlgError``."""
    check_matrix("linalg.solve", A, square=True)
    if A.dtype != B.dtype:
        raise TypeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                        f"of type {A.dtype} and B of type {B.dtype} instead")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if not left and vector:  # a vector is a column, which X A = B never fits (as PyTorch)
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"XA = B ({A.shape[-2]}x{A.shape[-1]} and {B.shape[-1]}x1)")
    if not left:
        return solve(A.mT, B.mT).mT
    matrix = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if matrix.ndim < 2 or matrix.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({A.shape[-2]}x{n} and {'x'.join(map(str, B.shape))})")
    batch = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(matrix.shape[:-2]))
    a = A if tuple(A.shape[:-2]) == batch else A.broadcast_to(batch + (n, n))
    if tuple(matrix.shape[:-2]) != batch:
        matrix = matrix.broadcast_to(batch + tuple(matrix.shape[-2:]))
    try:
        x = a._apply(solvers.Solve, matrix)
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.solve: The solver failed because the input matrix is "
                          "singular.") from None
    return x.squeeze(-1) if vector else x


def slogdet(A: Any) -> Any:  # noqa: N803
    """``torch.linalg.slogdet`` (and ``torch.slogdet``): (sign, ln |det A|) of each square A
    (…, n, n); the sign gets no gradient, and a singular A gives (0, −inf)."""
    check_matrix("linalg.slogdet", A, square=True)
    sign = np.asarray(np.linalg.slogdet(A.data)[0], dtype=A.dtype)
    return SlogdetResult(A._const(sign), A._apply(solvers.LogAbsDet))


def logdet(A: Any) -> Any:  # noqa: N803
    """``torch.logdet``: ln det A of each square A (…, n, n): NaN where det A < 0, −inf where
    it is 0 (ln |det A| + ln sign, the sign a constant)."""
    check_matrix("logdet", A, square=True)
    sign, logabsdet = slogdet(A)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_sign = np.log(sign.data)
    return logabsdet + A._const(log_sign)

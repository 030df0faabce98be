"""The LU factorization with partial pivoting, A = P L U, of (batches of) matrices A (…, m, n),
k = min(m, n): L (m×k) unit lower triangular, U (k×n) upper triangular, P a permutation.

``lu_factor`` is Gaussian elimination on arrays, LAPACK's ``getrf`` conventions: L and U packed
into one m×n array (L's unit diagonal not stored), the row interchanges as 1-based int32
``pivots`` (row i was swapped with row pivots[i] − 1, in order), and ``info``, the 1-based
index of the first exactly-zero pivot U[i, i] (0 where there is none). ``LUFactor`` is the node
that differentiates the packed factor. Xᵀ is the transpose of the last two dimensions.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function


def _t(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def lu_factor(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(LU packed, pivots, info) of each matrix of ``a`` (…, m, n), in ``a``'s dtype.

    Column j: the row of largest |value| at or below the diagonal (the first on ties) becomes
    the pivot row, the entries below the pivot become L's multipliers, and the trailing block
    gets the rank-1 update. One Python step per column, each over the whole batch. A zero
    pivot (its whole sub-column is zero) is left in place and recorded in info.
    """
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    k = min(m, n)
    size = math.prod(batch)
    lu = np.array(a, copy=True).reshape(size, m, n)
    pivots = np.empty((size, k), dtype=np.int32)
    info = np.zeros(size, dtype=np.int32)
    every = np.arange(size)
    for j in range(k):
        p = j + np.argmax(np.abs(lu[:, j:, j]), axis=-1)
        pivots[:, j] = p + 1
        row_p = lu[every, p].copy()
        lu[every, p] = lu[:, j]
        lu[:, j] = row_p
        pivot = lu[:, j, j]
        zero = pivot == 0
        info[(info == 0) & zero] = j + 1
        lu[:, j + 1:, j] /= np.where(zero, 1, pivot)[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:]
    return lu.reshape(a.shape), pivots.reshape(batch + (k,)), info.reshape(batch)


def permutation(pivots: np.ndarray, m: int) -> np.ndarray:
    """perm (…, m) with (Pᵀ A)[i] = A[perm[i]]: the row interchanges of ``pivots`` (1-based)
    applied in order to 0, 1, …, m − 1."""
    batch = pivots.shape[:-1]
    perm = np.broadcast_to(np.arange(m), batch + (m,)).copy()
    for i in range(pivots.shape[-1]):
        target = (pivots[..., i, None] - 1).astype(np.intp)
        at_target = np.take_along_axis(perm, target, axis=-1)
        np.put_along_axis(perm, target, perm[..., i, None], axis=-1)
        perm[..., i] = at_target[..., 0]
    return perm


def permutation_matrix(pivots: np.ndarray, m: int, dtype: np.dtype) -> np.ndarray:
    """P (…, m, m) with A = P L U: P[perm[i], i] = 1 (``permutation``)."""
    return _t(np.eye(m, dtype=dtype)[permutation(pivots, m)])


def _square_backward(lower, upper, grad_l, grad_u):
    """dL/d(Pᵀ A) for square Pᵀ A = L U, given M_L = Lᵀ L̄ and M_U = Ū Uᵀ already formed
    (``grad_l``, ``grad_u``): L⁻ᵀ (tril(M_L, −1) + triu(M_U)) U⁻ᵀ."""
    inner = np.tril(grad_l, -1) + np.triu(grad_u)
    left = np.linalg.solve(_t(lower), inner)
    return _t(np.linalg.solve(upper, _t(left)))


class LUFactor(Function):
    """The packed LU factor of A = P L U, A (…, m, n), k = min(m, n): L̲U = tril(L, −1) + U on
    an m×n array. The factorization (``lu_factor``, with the pivots, a second output that is
    an integer array) is computed by the caller and handed in as ``factor``, so that it runs
    once; forward records the node.

    Backward. The packed gradient G splits into L̄ = tril(G, −1)[:, :k] and Ū = triu(G)[:k].
    P is locally constant (the pivots do not change under a small dA), so work with Pᵀ A and
    multiply by P at the end. Square (k = m = n): dA = dL U + L dU gives
    L⁻¹ dA U⁻¹ = L⁻¹dL + dU U⁻¹, strictly lower plus upper, so
    L⁻¹dL = tril(L⁻¹ dA U⁻¹, −1) and dU U⁻¹ = triu(L⁻¹ dA U⁻¹). With ⟨X, Y⟩ = tr(XᵀY) and
    tril/triu self-adjoint,
        dL/dA = P L⁻ᵀ (tril(Lᵀ L̄, −1) + triu(Ū Uᵀ)) U⁻ᵀ.
    Wide (m < n): U = [U₁ | U₂], Pᵀ A = [L U₁ | L U₂]; U₂ = L⁻¹ Pᵀ A₂ adds
    dU₂ = −L⁻¹ dL U₂ + L⁻¹ Pᵀ dA₂, so L̄ gains −L⁻ᵀ Ū₂ U₂ᵀ and
        dL/dA₁ = the square case on (L, U₁) with Lᵀ L̄ − Ū₂ U₂ᵀ,   dL/dA₂ = P L⁻ᵀ Ū₂.
    Tall (m > n): L = [L₁; L₂], Pᵀ A = [L₁ U; L₂ U]; L₂ = A₂' U⁻¹ adds
    dL₂ = dA₂' U⁻¹ − L₂ dU U⁻¹, so Ū gains −L₂ᵀ L̄₂ U⁻ᵀ and
        dL/dA₁' = the square case on (L₁, U) with Ū Uᵀ − L₂ᵀ L̄₂,   dL/dA₂' = L̄₂ U⁻ᵀ,
    stacked and multiplied by P. The derivative needs U₁ (the k×k block) invertible.

    Saves: the packed factor and the permutation.
    """

    @staticmethod
    def forward(ctx, a, factor):
        lu, pivots = factor
        ctx.save_for_backward(lu, permutation(pivots, a.shape[-2]))
        return lu

    @staticmethod
    def backward(ctx, grad_out):
        lu, perm = ctx.saved
        m, n = lu.shape[-2:]
        k = min(m, n)
        lower = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
        upper = np.triu(lu[..., :k, :])
        grad_l, grad_u = np.tril(grad_out[..., :, :k], -1), np.triu(grad_out[..., :k, :])
        grad_permuted = _rectangular_backward(lower, upper, grad_l, grad_u)
        grad_a = np.empty_like(grad_permuted)
        np.put_along_axis(grad_a, perm[..., None], grad_permuted, axis=-2)
        return grad_a


def _rectangular_backward(lower, upper, grad_l, grad_u):
    """dL/d(Pᵀ A) from L (m×k), U (k×n), L̄, Ū: the three cases of ``LUFactor``."""
    m, k = lower.shape[-2:]
    n = upper.shape[-1]
    l1, u1 = lower[..., :k, :], upper[..., :, :k]
    m_l = _t(l1) @ grad_l[..., :k, :]
    m_u = grad_u[..., :, :k] @ _t(u1)
    if n > k:
        u2, grad_u2 = upper[..., :, k:], grad_u[..., :, k:]
        square = _square_backward(l1, u1, m_l - grad_u2 @ _t(u2), m_u)
        return np.concatenate([square, np.linalg.solve(_t(l1), grad_u2)], axis=-1)
    if m > k:
        l2, grad_l2 = lower[..., k:, :], grad_l[..., k:, :]
        square = _square_backward(l1, u1, m_l, m_u - _t(l2) @ grad_l2)
        return np.concatenate([square, _t(np.linalg.solve(u1, _t(grad_l2)))], axis=-2)
    return _square_backward(l1, u1, m_l, m_u)

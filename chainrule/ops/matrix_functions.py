"""Functions of whole matrices with hand-derived backward passes: ``PseudoInverse`` (the
Moore–Penrose inverse A⁺) and ``MatrixExp`` (e^A, by scaling and squaring with the [13/13]
Padé approximant). Xᵀ is the transpose of the last two dimensions."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def _t(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


class PseudoInverse(Function):
    """P = A⁺ of each A (…, m, n) -> (…, n, m), from the SVD: singular values at or below
    ``tol`` (…) count as zero (their reciprocal is dropped).

    Backward (Golub & Pereyra), valid where the rank does not change:
        dP = −P dA P + P Pᵀ dAᵀ (I − A P) + (I − P A) dAᵀ Pᵀ P,
    so, with ⟨X, Y⟩ = tr(XᵀY) and tr(M dAᵀ) = ⟨M, dA⟩,
        dL/dA = −Pᵀ G Pᵀ + (I − A P) Gᵀ P Pᵀ + Pᵀ P Gᵀ (I − P A).

    Saves: A and P.
    """

    @staticmethod
    def forward(ctx, a, tol):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        keep = s > np.asarray(tol)[..., None]
        inverse_s = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
        p = (_t(vh) * inverse_s[..., None, :]) @ _t(u)
        ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx, grad_out):
        a, p = ctx.saved
        p_t, g_t = _t(p), _t(grad_out)
        residual_rows = np.eye(a.shape[-2], dtype=a.dtype) - a @ p  # I − A P  (m, m)
        residual_cols = np.eye(a.shape[-1], dtype=a.dtype) - p @ a  # I − P A  (n, n)
        return (-(p_t @ grad_out @ p_t) + residual_rows @ g_t @ (p @ p_t)
                + (p_t @ p) @ g_t @ residual_cols)


# Padé [13/13] coefficients b_k of e^x ≈ q(x)⁻¹ p(x), and θ₁₃, the largest 1-norm for which
# the approximant is accurate to double precision (Higham, "The scaling and squaring method
# for the matrix exponential revisited", 2005).
PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
          129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
          40840800.0, 960960.0, 16380.0, 182.0, 1.0)
THETA13 = 5.371920351148152


def expm(a: np.ndarray) -> np.ndarray:
    """e^A of each square A (…, n, n): A/2ˢ with ‖A/2ˢ‖₁ ≤ θ₁₃, the Padé approximant
    r = (V − U)⁻¹ (V + U) (U the odd part, V the even part of the numerator), then r squared
    s times; s is chosen per matrix, and each is squared only its own s times."""
    norm = np.abs(a).sum(-2).max(-1) if a.size else np.zeros(a.shape[:-2])
    with np.errstate(divide="ignore"):
        s = np.maximum(0, np.ceil(np.log2(norm / THETA13))).astype(int)
    x = a / (2.0 ** s)[..., None, None]
    r = _pade13(x)
    for step in range(int(s.max()) if s.size else 0):
        r = np.where((step < s)[..., None, None], r @ r, r)
    return r.astype(a.dtype, copy=False)


def _pade13(x: np.ndarray) -> np.ndarray:
    b = PADE13
    eye = np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2
             + b[1] * eye)
    v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 \
        + b[0] * eye
    return np.linalg.solve(v - u, v + u)


class MatrixExp(Function):
    """Y = e^A = Σ Aᵏ/k! of each square A (…, n, n), by ``expm``.

    Backward: the derivative of e^A in a direction E is the Fréchet derivative
        L(A, E) = ∫₀¹ e^{sA} E e^{(1−s)A} ds,
    which is the upper-right block of exp([[A, E], [0, A]]) (the block-triangular identity).
    Its adjoint for ⟨X, Y⟩ = tr(XᵀY) is L(Aᵀ, ·), so
        dL/dA = L(Aᵀ, G) = the upper-right n×n block of exp([[Aᵀ, G], [0, Aᵀ]]).
    That 2n×2n exponential is exact up to the approximant's rounding, like the forward.

    Saves: A.
    """

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return expm(a)

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved
        n = a.shape[-1]
        block = np.zeros(a.shape[:-2] + (2 * n, 2 * n), dtype=a.dtype)
        block[..., :n, :n] = block[..., n:, n:] = _t(a)
        block[..., :n, n:] = grad_out
        return expm(block)[..., :n, n:]

"""Matrix decompositions of (batches of) matrices, NumPy's LAPACK primitives with hand-derived
backward passes: ``Cholesky``, ``QR``, ``Eigh``, ``Eigvalsh``, ``SVD`` and ``SVDVals``.

A Function returns one array, so the decompositions with several factors return them packed:
each factor flattened over its matrix dimensions and concatenated along one last axis
(``pack``); the caller cuts the factors out again with differentiable slices and reshapes
(``unpack`` gives backward the factors' gradients back the same way). Throughout, Xᵀ is the
transpose of the last two dimensions and ``sym(X) = (X + Xᵀ)/2``.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def _t(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def pack(*factors: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
    """The factors, each flattened after the ``batch`` dimensions, joined along the last axis."""
    flat = [f.reshape(batch + (-1,)) for f in factors]
    return np.concatenate(flat, axis=-1)


def unpack(packed: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    """``pack`` undone: the pieces of ``packed`` with the trailing ``shapes``."""
    batch = packed.shape[:-1]
    sizes = np.cumsum([int(np.prod(s)) for s in shapes])[:-1]
    return [p.reshape(batch + s) for p, s in zip(np.split(packed, sizes, axis=-1), shapes)]


def _off_diagonal_reciprocal(d: np.ndarray) -> np.ndarray:
    """F with F_ij = 1 / (d_j − d_i) off the diagonal and 0 on it (inf where d_i = d_j)."""
    diagonal = np.eye(d.shape[-1], dtype=bool)
    diff = np.where(diagonal, 1.0, d[..., None, :] - d[..., :, None])
    with np.errstate(divide="ignore"):
        return np.where(diagonal, 0.0, 1.0 / diff)


def _skew_over_gaps(f: np.ndarray, x: np.ndarray) -> np.ndarray:
    """F ∘ (X − Xᵀ): NaN where a gap is 0 (a repeated value), silently, as in PyTorch: the
    derivative is undefined there."""
    with np.errstate(invalid="ignore"):
        return f * (x - _t(x))


class Cholesky(Function):
    """A = L Lᵀ, L lower triangular with a positive diagonal, for each symmetric positive-
    definite A (…, n, n); only A's lower triangle is read.

    Backward: from dA = dL Lᵀ + L dLᵀ, L⁻¹ dA L⁻ᵀ = L⁻¹dL + (L⁻¹dL)ᵀ with L⁻¹dL lower
    triangular, so dL = L Φ(L⁻¹ dA L⁻ᵀ), where Φ(X) keeps the lower triangle and halves the
    diagonal. Φ is self-adjoint for ⟨X, Y⟩ = tr(XᵀY), hence with G = dL/dL:
        dL/dA = L⁻ᵀ Φ(Lᵀ G) L⁻¹,
    returned symmetrised (sym), the gradient for a symmetric A, as PyTorch does.

    Saves: L.
    """

    @staticmethod
    def forward(ctx, a):
        lower = np.linalg.cholesky(a)
        ctx.save_for_backward(lower)
        return lower

    @staticmethod
    def backward(ctx, grad_out):
        (lower,) = ctx.saved
        phi = np.tril(_t(lower) @ grad_out)
        phi = phi - 0.5 * np.tril(np.triu(phi))
        lower_inv = np.linalg.inv(lower)
        grad = _t(lower_inv) @ phi @ lower_inv
        return 0.5 * (grad + _t(grad))


def _qr_square_backward(q, r, grad_q, grad_r):
    """dL/dA of A = QR with A (…, m, n), m ≥ n (Q m×n, R n×n), by the identity
        dL/dA = (G_Q + Q copyltu(M)) R⁻ᵀ,   M = R G_Rᵀ − G_Qᵀ Q,
    copyltu(M) = tril(M, −1) + tril(M, −1)ᵀ + diag(M) (the lower triangle mirrored)."""
    m = r @ _t(grad_r) - _t(grad_q) @ q
    lower = np.tril(m, -1)
    copyltu = lower + _t(lower) + m * np.eye(m.shape[-1])
    b = grad_q + q @ copyltu
    return _t(np.linalg.solve(r, _t(b)))


class QR(Function):
    """A = Q R for A (…, m, n), k = min(m, n), ``mode`` 'reduced' (Q m×k, R k×n), 'complete'
    (Q m×m, R m×n) or 'r' (R only, Q empty); Q and R come packed (see ``pack``).

    Backward, for m ≥ n (Q m×n): dA = dQ R + Q dR with QᵀdQ skew-symmetric and dR upper
    triangular gives
        dL/dA = (G_Q + Q copyltu(M)) R⁻ᵀ,   M = R G_Rᵀ − G_Qᵀ Q,
    copyltu(M) mirroring M's lower triangle into its upper one. For m < n, A = [X | Y] with X
    square: R = [U | V], X = Q U, Y = Q V, so Y's use of Q adds Y G_Vᵀ to G_Q:
        dL/dX = the square case with G_Q + Y G_Vᵀ and G_U,   dL/dY = Q G_V.
    The derivative needs R invertible (A of full rank). With 'complete' and m > n, Q's last
    m − n columns are not determined by A: no derivative, as in PyTorch; 'r' neither (Q is not
    returned).

    Saves: Q and R (reduced), and A's trailing m < n columns, through Q R.
    """

    @staticmethod
    def forward(ctx, a, mode):
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        ctx.save_for_backward(q, r)
        ctx.mode = mode
        if mode == "r":
            q = np.zeros(a.shape[:-2] + (0,), dtype=a.dtype)
        return pack(q, r, batch=a.shape[:-2])

    @staticmethod
    def backward(ctx, grad_out):
        q, r = ctx.saved
        (m, k), n = q.shape[-2:], r.shape[-1]
        if ctx.mode == "r" or (ctx.mode == "complete" and m > n):
            raise RuntimeError("linalg.qr: not differentiable with mode='r' (Q is not computed) "
                               "nor with mode='complete' and more rows than columns; use "
                               "mode='reduced'")
        grad_q, grad_r = unpack(grad_out, [(m, k), (k, n)])
        if m >= n:
            return _qr_square_backward(q, r, grad_q, grad_r)
        u, v, grad_u, grad_v = r[..., :m], r[..., m:], grad_r[..., :m], grad_r[..., m:]
        y = q @ v
        grad_x = _qr_square_backward(q, u, grad_q + y @ _t(grad_v), grad_u)
        return np.concatenate([grad_x, q @ grad_v], axis=-1)


class Eigh(Function):
    """A = V diag(λ) Vᵀ of each symmetric A (…, n, n), λ ascending, read from the triangle
    ``uplo`` ('L' or 'U'); λ and V come packed.

    Backward: from VᵀV = I, VᵀdV is skew-symmetric, and Vᵀ dA V = diag(dλ) + Vᵀ dV diag(λ)
    − diag(λ) Vᵀ dV, so dλ_i = (Vᵀ dA V)_ii and (Vᵀ dV)_ij = (Vᵀ dA V)_ij / (λ_j − λ_i).
    Hence, with F_ij = 1/(λ_j − λ_i) (0 on the diagonal),
        dL/dA = V (diag(G_λ) + F ∘ (Vᵀ G_V − G_Vᵀ V)/2) Vᵀ,
    symmetric, as PyTorch returns it. A repeated eigenvalue makes F infinite: the derivative
    of the eigenvectors is then undefined (PyTorch says the same); use well-separated spectra.
    When the eigenvectors get no gradient, only V diag(G_λ) Vᵀ is formed and stays finite.

    Saves: λ and V.
    """

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return pack(w, v, batch=a.shape[:-2])

    @staticmethod
    def backward(ctx, grad_out):
        w, v = ctx.saved
        n = w.shape[-1]
        grad_w, grad_v = unpack(grad_out, [(n,), (n, n)])
        inner = grad_w[..., None, :] * np.eye(n, dtype=w.dtype)
        if np.any(grad_v):
            inner = inner + _skew_over_gaps(_off_diagonal_reciprocal(w), _t(v) @ grad_v) / 2
        return v @ inner @ _t(v)


class Eigvalsh(Function):
    """λ, the ascending eigenvalues of each symmetric A (…, n, n), read from ``uplo``.

    Backward: dλ_i = v_iᵀ dA v_i (see ``Eigh``), so dL/dA = V diag(G) Vᵀ, defined also at
    repeated eigenvalues (any orthonormal basis of an eigenspace gives the same sum).

    Saves: V.
    """

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        ctx.save_for_backward(v)
        return w

    @staticmethod
    def backward(ctx, grad_out):
        (v,) = ctx.saved
        return (v * grad_out[..., None, :]) @ _t(v)


class SVD(Function):
    """A = U diag(S) Vᴴ for A (…, m, n), k = min(m, n), S descending; U (m×k, or m×m when
    ``full_matrices``), S (k) and Vᴴ (k×n, or n×n) come packed.

    Backward (real A; V = (Vᴴ)ᵀ, G_V = G_Vᴴᵀ): with F_ij = 1/(s_j² − s_i²) (0 on the diagonal),
        J = F ∘ (Uᵀ G_U − G_Uᵀ U),   K = F ∘ (Vᵀ G_V − G_Vᵀ V),
        dL/dA = U (J S + diag(G_S) + S K) Vᵀ
                + (I − U Uᵀ) G_U S⁻¹ Vᵀ + U S⁻¹ G_Vᵀ (I − V Vᵀ),
    from dA = dU S Vᵀ + U dS Vᵀ + U S dVᵀ with UᵀdU, VᵀdV skew-symmetric on the first k
    columns (the last two terms are the parts of dU, dV outside span(U), span(V); they vanish
    for square A). With ``full_matrices`` only the first k columns of U and rows of Vᴴ are
    determined by A; the others get no gradient, as in PyTorch. Repeated singular values (or a
    zero one, when U or V get a gradient) make the derivative undefined, as PyTorch documents.
    When U and Vᴴ get no gradient, only U diag(G_S) Vᵀ is formed (see ``SVDVals``).

    Saves: U, S, Vᴴ (the first k columns / rows).
    """

    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        k = s.shape[-1]
        ctx.save_for_backward(u[..., :k], s, vh[..., :k, :])
        ctx.full = full_matrices
        return pack(u, s, vh, batch=a.shape[:-2])

    @staticmethod
    def backward(ctx, grad_out):
        u, s, vh = ctx.saved
        (m, k), n = u.shape[-2:], vh.shape[-1]
        cols_u, rows_vh = (m, n) if ctx.full else (k, k)
        grad_u, grad_s, grad_vh = unpack(grad_out, [(m, cols_u), (k,), (rows_vh, n)])
        grad_u, grad_v = grad_u[..., :k], _t(grad_vh[..., :k, :])
        v = _t(vh)
        inner = grad_s[..., None, :] * np.eye(k, dtype=s.dtype)
        if np.any(grad_u) or np.any(grad_v):
            inner = inner + _svd_vector_terms(u, s, v, grad_u, grad_v)
        return u @ inner @ vh + _svd_outside_span(u, s, v, grad_u, grad_v)


def _svd_vector_terms(u, s, v, grad_u, grad_v):
    """J S + S K of ``SVD``'s backward: the singular vectors' share of Uᵀ (dL/dA) V."""
    f = _off_diagonal_reciprocal(s * s)
    j = _skew_over_gaps(f, _t(u) @ grad_u)
    kk = _skew_over_gaps(f, _t(v) @ grad_v)
    return j * s[..., None, :] + s[..., :, None] * kk


def _svd_outside_span(u, s, v, grad_u, grad_v):
    """(I − U Uᵀ) G_U S⁻¹ Vᵀ + U S⁻¹ G_Vᵀ (I − V Vᵀ), each only where it is not 0 (m > k,
    n > k); inf or NaN at a zero singular value, silently, as in PyTorch."""
    (m, k), n = u.shape[-2:], v.shape[-2]
    grad = np.zeros(u.shape[:-1] + (n,), dtype=u.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        if m > k:
            grad = grad + (grad_u - u @ (_t(u) @ grad_u)) / s[..., None, :] @ _t(v)
        if n > k:
            grad = grad + u @ _t((grad_v - v @ (_t(v) @ grad_v)) / s[..., None, :])
    return grad


class SVDVals(Function):
    """S, the descending singular values of A (…, m, n).

    Backward: ds_i = u_iᵀ dA v_i (from dA = dU S Vᵀ + U dS Vᵀ + U S dVᵀ and the skew-symmetry
    of UᵀdU, VᵀdV), so dL/dA = U diag(G) Vᵀ over the first k = min(m, n) singular vectors;
    finite at repeated singular values (unique wherever they are distinct and non-zero).

    Saves: U and Vᴴ (reduced).
    """

    @staticmethod
    def forward(ctx, a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, vh)
        return s

    @staticmethod
    def backward(ctx, grad_out):
        u, vh = ctx.saved
        return (u * grad_out[..., None, :]) @ vh

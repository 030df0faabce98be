"""Op table rows for ``torch.linalg``'s decompositions, solves and log-determinants.

Each row runs the chainrule call against an independent NumPy reference (written here with
loops, or with a different LAPACK routine than the one chainrule calls), its gradient against
finite differences in float64 and its values and gradient against torch
(``tests/test_linalg_table.py`` runs the checks of the main table over these rows).

Factors that are defined only up to signs (Q of QR, eigenvectors, singular vectors) are
compared after fixing the signs the same way in every library (``fix_qr``, ``fix_columns``),
a composition with a constant sign, so the gradient checks see a well-defined function.
Symmetric inputs are made by the row itself (``sym``, ``spd``) so that finite differences in
every entry agree with the symmetric gradient PyTorch and chainrule return.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import chainrule as cr
from tests.ops.spec_types import ANY, OpSpec, Shape

SQUARE = (((3, 3),), ((2, 4, 4),), ((1, 1),))
BIG_SQUARE = ((4, 6, 6),)
RECTANGULAR = (((5, 3),), ((2, 3, 5),), ((4, 4),))


@dataclass(frozen=True)
class WellConditioned:
    """I + U(−0.3, 0.3) in the last two dimensions (square): invertible, well-conditioned."""

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        return np.eye(shape[-1]) + rng.uniform(-0.3, 0.3, shape)


@dataclass(frozen=True)
class SeparatedSpectrum:
    """Matrices (square or not) with well-separated, non-zero singular values (and, square and
    symmetrised, well-separated eigenvalues): Q₁ diag(d) Q₂ with random orthogonal Q₁, Q₂ and
    d = 1, 2, 3 ... in a random order, with random signs."""

    def __call__(self, rng: np.random.Generator, shape: Shape) -> np.ndarray:
        m, n = shape[-2:]
        k = min(m, n)
        out = np.empty(shape)
        for index in np.ndindex(shape[:-2]):
            q1 = np.linalg.qr(rng.standard_normal((m, m)))[0]
            q2 = np.linalg.qr(rng.standard_normal((n, n)))[0]
            d = (rng.permutation(k) + 1.0) * rng.choice((-1.0, 1.0), k)
            middle = np.zeros((m, n))
            middle[range(k), range(k)] = d
            out[index] = q1 @ middle @ (q1.T if m == n else q2)
        return out


WELL = WellConditioned()
SEPARATED = SeparatedSpectrum()

# ---------------------------------------------------------------- compositions shared by libraries


def sym(x):
    return (x + x.mT) / 2


def spd(lib, x):
    """x xᵀ + n I: symmetric positive-definite, from any square x (either library)."""
    n = x.shape[-1]
    return x @ x.mT + n * lib.eye(n, dtype=x.dtype)


def fix_qr(factors):
    """Q and R with R's diagonal made positive (each column of Q and row of R flipped)."""
    q, r = factors
    d = r.diagonal(0, -2, -1).sign()
    return q * d.unsqueeze(-2), r * d.unsqueeze(-1)


def fix_columns(v, like=None):
    """v with each column's sign flipped so that its first entry is positive (that of
    ``like``'s column when given)."""
    d = (v if like is None else like)[..., :1, :].sign()
    return v * d


def fix_svd(factors):
    u, s, vh = factors
    d = u[..., :1, :].sign()
    return u * d, s, vh * d.mT


def fix_eigh(factors):
    values, vectors = factors
    return values, fix_columns(vectors)


# ---------------------------------------------------------------- NumPy references


def np_spd(x):
    return x @ np.swapaxes(x, -1, -2) + x.shape[-1] * np.eye(x.shape[-1])


def np_cholesky(a):
    """Cholesky–Banachiewicz, entry by entry, of each matrix of the batch."""
    out = np.zeros_like(a)
    for index in np.ndindex(a.shape[:-2]):
        m, lower = a[index], out[index]
        for i in range(m.shape[0]):
            for j in range(i + 1):
                s = m[i, j] - lower[i, :j] @ lower[j, :j]
                lower[i, j] = np.sqrt(s) if i == j else s / lower[j, j]
    return out


def np_gram_schmidt(a):
    """Q R with R's diagonal positive, by modified Gram–Schmidt on the first min(m, n)
    columns; R's trailing columns (m < n) are Qᵀ A."""
    m, n = a.shape[-2:]
    k = min(m, n)
    qs, rs = np.zeros(a.shape[:-2] + (m, k)), np.zeros(a.shape[:-2] + (k, n))
    for index in np.ndindex(a.shape[:-2]):
        q = a[index][:, :k].astype(np.float64).copy()
        for j in range(k):
            for i in range(j):
                q[:, j] -= (q[:, i] @ q[:, j]) * q[:, i]
            q[:, j] /= np.linalg.norm(q[:, j])
        qs[index], rs[index] = q, np.triu(q.T @ a[index])
    return qs.astype(a.dtype), rs.astype(a.dtype)


def np_eigh(a):
    """Eigenvalues ascending and eigenvectors (first entries positive) of sym(a), from the
    general (non-symmetric) eigensolver."""
    s = (a + np.swapaxes(a, -1, -2)) / 2
    w, v = np.linalg.eig(s)
    order = np.argsort(w.real, axis=-1)
    w = np.take_along_axis(w.real, order, -1)
    v = np.take_along_axis(v.real, order[..., None, :], -1)
    v = v / np.linalg.norm(v, axis=-2, keepdims=True)
    return w.astype(a.dtype), (v * np.sign(v[..., :1, :])).astype(a.dtype)


def np_svd(a):
    """U, S, Vh (reduced, U's first row positive) from the eigenvectors of A Aᵀ: S = √λ
    descending, V = Aᵀ U / S."""
    k = min(a.shape[-2:])
    w, u = np_eigh(a @ np.swapaxes(a, -1, -2))
    w, u = w[..., ::-1][..., :k], u[..., ::-1][..., :k]
    s = np.sqrt(w)
    vh = np.swapaxes(np.swapaxes(a, -1, -2) @ u / s[..., None, :], -1, -2)
    return u, s, vh


def np_solve(a, b):
    """Cramer's rule, for each right-hand side column."""
    det = np.linalg.det(a)
    out = np.empty(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:])
    for j in range(a.shape[-1]):
        replaced = np.broadcast_to(a, out.shape[:-2] + a.shape[-2:]).copy()
        for c in range(b.shape[-1]):
            replaced[..., :, j] = b[..., :, c]
            out[..., j, c] = np.linalg.det(replaced) / det
    return out.astype(a.dtype)


def np_logabsdet(a):
    """ln |Π pivots| from a hand-written LU with partial pivoting."""
    out = np.zeros(a.shape[:-2])
    for index in np.ndindex(a.shape[:-2]):
        m = a[index].astype(np.float64).copy()
        total = 0.0
        for j in range(m.shape[0]):
            p = j + np.argmax(np.abs(m[j:, j]))
            m[[j, p]] = m[[p, j]]
            total += np.log(abs(m[j, j]))
            m[j + 1:] -= np.outer(m[j + 1:, j] / m[j, j], m[j])
        out[index] = total
    return out.astype(a.dtype)


# ---------------------------------------------------------------- rows


def _row(name, call, ref, cases, domain, big, **kw):
    """A row whose ``call(lib, *tensors)`` runs unchanged on chainrule and on torch."""
    return OpSpec(name, lambda *xs: call(cr, *xs), ref, lambda t, *xs: call(t, *xs), cases,
                  domain, big, **kw)


LINALG = [
    _row("linalg_cholesky", lambda lib, x: lib.linalg.cholesky(spd(lib, x)),
         lambda x: np_cholesky(np_spd(x)), SQUARE, WELL, BIG_SQUARE),
    _row("linalg_cholesky_upper", lambda lib, x: lib.linalg.cholesky(spd(lib, x), upper=True),
         lambda x: np.swapaxes(np_cholesky(np_spd(x)), -1, -2), (((3, 3),),), WELL, ((6, 6),)),
    _row("linalg_qr", lambda lib, x: fix_qr(lib.linalg.qr(x)), np_gram_schmidt, RECTANGULAR,
         SEPARATED, ((3, 8, 5),)),
    _row("linalg_qr_complete_wide", lambda lib, x: fix_qr(lib.linalg.qr(x, mode="complete")),
         np_gram_schmidt, (((3, 5),),), SEPARATED, ((5, 8),)),
    _row("linalg_eigh", lambda lib, x: fix_eigh(lib.linalg.eigh(sym(x))), np_eigh, SQUARE,
         SEPARATED, BIG_SQUARE),
    _row("linalg_eigh_upper", lambda lib, x: fix_eigh(lib.linalg.eigh(x.triu() + x.triu(1).mT,
                                                                      UPLO="U")),
         lambda x: np_eigh(np.triu(x) + np.swapaxes(np.triu(x, 1), -1, -2)), (((4, 4),),),
         SEPARATED, ((6, 6),)),
    _row("linalg_eigvalsh", lambda lib, x: lib.linalg.eigvalsh(sym(x)),
         lambda x: np_eigh(x)[0], SQUARE, SEPARATED, BIG_SQUARE),
    _row("linalg_svd", lambda lib, x: fix_svd(lib.linalg.svd(x, full_matrices=False)), np_svd,
         RECTANGULAR, SEPARATED, ((3, 8, 5),)),
    _row("linalg_svdvals", lambda lib, x: lib.linalg.svdvals(x), lambda x: np_svd(x)[1],
         RECTANGULAR, SEPARATED, ((3, 8, 5),)),
    _row("linalg_solve", lambda lib, a, b: lib.linalg.solve(a, b), np_solve,
         (((3, 3), (3, 2)), ((2, 3, 3), (3, 4)), ((1, 1), (1, 1))), (WELL, ANY),
         ((2, 6, 6), (6, 3))),
    _row("linalg_slogdet", lambda lib, x: lib.linalg.slogdet(x).logabsdet, np_logabsdet,
         SQUARE, WELL, BIG_SQUARE),
    _row("logdet", lambda lib, x: lib.logdet(spd(lib, x)), lambda x: np_logabsdet(np_spd(x)),
         SQUARE, WELL, BIG_SQUARE),
] + [
    _row(f"linalg_matrix_norm_{name}", lambda lib, x, o=o: lib.linalg.matrix_norm(x, o),
         lambda x, ref=ref: ref(np_svd(x)[1]), RECTANGULAR, SEPARATED, ((3, 8, 5),))
    for name, o, ref in (("2", 2, lambda s: s.max(-1)), ("minus2", -2, lambda s: s.min(-1)),
                         ("nuc", "nuc", lambda s: s.sum(-1)))
]

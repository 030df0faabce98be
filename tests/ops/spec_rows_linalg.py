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


def np_pinv(a):
    """(AᵀA)⁻¹Aᵀ for tall, Aᵀ(AAᵀ)⁻¹ for wide full-rank A: the normal equations."""
    a_t = np.swapaxes(a, -1, -2)
    if a.shape[-2] >= a.shape[-1]:
        return np.linalg.inv(a_t @ a) @ a_t
    return a_t @ np.linalg.inv(a @ a_t)


def np_lstsq(a, b):
    """LAPACK's gelsd (a divide-and-conquer SVD solver), matrix by matrix."""
    out = np.empty(a.shape[:-2] + (a.shape[-1], b.shape[-1]))
    for index in np.ndindex(a.shape[:-2]):
        out[index] = np.linalg.lstsq(a[index], b[index], rcond=None)[0]
    return out


def np_matrix_power(a, n):
    base = np.linalg.inv(a) if n < 0 else a
    out = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
    for _ in range(abs(n)):
        out = out @ base
    return out


def np_solve_triangular(a, b, upper, unit=False):
    """Substitution, row by row (backward for upper, forward for lower)."""
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        t = t - t * np.eye(a.shape[-1]) + np.eye(a.shape[-1])
    x = np.zeros(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:])
    n = a.shape[-1]
    for i in (range(n - 1, -1, -1) if upper else range(n)):
        rest = t[..., i, :, None] * x
        x[..., i, :] = (b[..., i, :] - rest.sum(-2)) / t[..., i, i, None]
    return x


def np_vander(x, n):
    """NumPy's vander (1-D only) row by row, increasing powers."""
    rows = [np.vander(r, n, increasing=True) for r in x.reshape(-1, x.shape[-1])]
    return np.stack(rows).reshape(x.shape + (n,))


def np_expm(a):
    """A/2¹⁰, a 30-term Taylor series, squared 10 times."""
    x = a / 2.0 ** 10
    term = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
    total = term.copy()
    for k in range(1, 30):
        term = term @ x / k
        total = total + term
    for _ in range(10):
        total = total @ total
    return total


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

MATRIX_FUNCTIONS = [
    _row("linalg_pinv", lambda lib, x: lib.linalg.pinv(x), np_pinv, RECTANGULAR, SEPARATED,
         ((3, 8, 5),)),
    _row("linalg_lstsq", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, np_lstsq,
         (((5, 3), (5, 2)), ((2, 4, 4), (2, 4, 1))), (SEPARATED, ANY), ((3, 8, 5), (3, 8, 2))),
] + [
    _row(f"linalg_matrix_power_{n}".replace("-", "minus"),
         lambda lib, x, n=n: lib.linalg.matrix_power(x, n),
         lambda x, n=n: np_matrix_power(x, n), SQUARE, WELL, BIG_SQUARE)
    for n in (1, 2, 5, -1, -3)
] + [
    _row("linalg_multi_dot", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]),
         lambda a, b, c: np.linalg.multi_dot([a, b, c]),
         (((3,), (3, 4), (4, 2)), ((2, 3), (3, 4), (4,)), ((3,), (3, 2), (2,))), ANY,
         ((16, 8), (8, 12), (12, 4))),
    _row("linalg_matmul", lambda lib, a, b: lib.linalg.matmul(a, b), np.matmul,
         (((2, 3), (3, 4)), ((2, 2, 3), (3,))), ANY, ((16, 8), (8, 12))),
    _row("linalg_vecdot", lambda lib, a, b: lib.linalg.vecdot(a, b),
         lambda a, b: np.sum(a * b, -1), (((4,), (4,)), ((2, 3), (3,)), ((2, 1, 3), (4, 3))),
         ANY, ((64, 32), (64, 32))),
    _row("linalg_vecdot_dim0", lambda lib, a, b: lib.linalg.vecdot(a, b, dim=0),
         lambda a, b: np.sum(a * b, 0), (((3, 2), (3, 2)),), ANY, ((64, 32), (64, 32))),
    _row("linalg_diagonal", lambda lib, x: lib.linalg.diagonal(x, offset=1),
         lambda x: np.diagonal(x, 1, -2, -1), (((3, 4),), ((2, 3, 3),)), ANY, ((8, 16, 16),)),
    _row("linalg_solve_triangular_upper", lambda lib, a, b: lib.linalg.solve_triangular(
        a, b, upper=True), lambda a, b: np_solve_triangular(a, b, True),
        (((3, 3), (3, 2)), ((2, 4, 4), (4, 1))), (WELL, ANY), ((2, 6, 6), (6, 3))),
    _row("linalg_solve_triangular_lower_right_unit", lambda lib, a, b: lib.linalg.solve_triangular(
        a, b, upper=False, left=False, unitriangular=True),
        lambda a, b: np.swapaxes(np_solve_triangular(np.swapaxes(a, -1, -2),
                                                     np.swapaxes(b, -1, -2), True, True), -1, -2),
        (((3, 3), (2, 3)),), (ANY, ANY), ((6, 6), (3, 6))),
    _row("linalg_cond", lambda lib, x: lib.linalg.cond(x), np.linalg.cond, RECTANGULAR,
         SEPARATED, ((3, 8, 5),)),
] + [
    _row(f"linalg_cond_{name}", lambda lib, x, p=p: lib.linalg.cond(x, p),
         lambda x, p=p: np.linalg.cond(x, p), SQUARE, SEPARATED, BIG_SQUARE)
    for name, p in (("nuc", "nuc"), ("minus2", -2))
] + [
    # NOTE: torch 2.13's own backward of cond(A, p) fails for these p (an in-place write in
    # its graph), so torch's side is the definition ‖A‖·‖A⁻¹‖, which torch differentiates;
    # tests/test_linalg.py compares the values with torch.linalg.cond itself.
    OpSpec(f"linalg_cond_{name}", lambda x, p=p: cr.linalg.cond(x, p),
           lambda x, p=p: np.linalg.cond(x, p),
           lambda t, x, p=p: t.linalg.matrix_norm(x, p) * t.linalg.matrix_norm(t.linalg.inv(x), p),
           SQUARE, SEPARATED, BIG_SQUARE)
    for name, p in (("fro", "fro"), ("1", 1), ("inf", np.inf))
] + [
    _row("linalg_matrix_exp", lambda lib, x: lib.linalg.matrix_exp(x), np_expm, SQUARE, ANY,
         BIG_SQUARE),
    _row("linalg_vander", lambda lib, x: lib.linalg.vander(x), lambda x: np_vander(x, x.shape[-1]),
         (((4,),), ((2, 3),)), ANY, ((8, 6),)),
    _row("linalg_vander_n", lambda lib, x: lib.linalg.vander(x, N=5),
         lambda x: np_vander(x, 5), (((3,),), ((2, 2),)), ANY, ((8, 6),)),
]


def fix_old_svd(factors):
    """torch.svd's (U, S, V) with U's first row made positive (V's columns flipped alike)."""
    u, s, v = factors
    d = u[..., :1, :].sign()
    return u * d, s, v * d


def np_spd_factor(x):
    return np_cholesky(np_spd(x))


TOP_LEVEL = [
    _row("cholesky", lambda lib, x: lib.cholesky(spd(lib, x)), lambda x: np_cholesky(np_spd(x)),
         SQUARE, WELL, BIG_SQUARE),
    _row("cholesky_upper", lambda lib, x: lib.cholesky(spd(lib, x), True),
         lambda x: np.swapaxes(np_cholesky(np_spd(x)), -1, -2), (((3, 3),),), WELL, ((6, 6),)),
    _row("qr", lambda lib, x: fix_qr(lib.qr(x)), np_gram_schmidt, RECTANGULAR, SEPARATED,
         ((3, 8, 5),)),
    _row("svd", lambda lib, x: fix_old_svd(lib.svd(x)),
         lambda x: (lambda u, s, vh: (u, s, np.swapaxes(vh, -1, -2)))(*np_svd(x)), RECTANGULAR,
         SEPARATED, ((3, 8, 5),)),
    _row("pinverse", lambda lib, x: lib.pinverse(x), np_pinv, RECTANGULAR, SEPARATED,
         ((3, 8, 5),)),
    _row("cholesky_solve", lambda lib, b, x: lib.cholesky_solve(b, lib.linalg.cholesky(
        spd(lib, x))), lambda b, x: np_solve(np_spd(x), b), (((3, 2), (3, 3)),
                                                           ((2, 4, 1), (2, 4, 4))),
         (ANY, WELL), ((6, 3), (6, 6))),
    _row("cholesky_solve_upper_factor", lambda lib, b, u: lib.cholesky_solve(
        b, u.triu() + 3 * lib.eye(3, dtype=u.dtype), upper=True),
        lambda b, u: np_solve(np.swapaxes(np.triu(u) + 3 * np.eye(3), -1, -2)
                              @ (np.triu(u) + 3 * np.eye(3)), b),
        (((3, 2), (3, 3)),), ANY, ((3, 8), (3, 3))),
    _row("cholesky_inverse", lambda lib, x: lib.cholesky_inverse(x.tril() + 3 * lib.eye(
        x.shape[-1], dtype=x.dtype)), lambda x: np.linalg.inv(
            (np.tril(x) + 3 * np.eye(x.shape[-1])) @ np.swapaxes(np.tril(x) + 3 * np.eye(
                x.shape[-1]), -1, -2)), SQUARE, ANY, BIG_SQUARE),
    _row("triangular_solve", lambda lib, b, a: lib.triangular_solve(b, a),
         lambda b, a: (np_solve_triangular(a, b, True), a), (((3, 2), (3, 3)),
                                                              ((2, 4, 1), (2, 4, 4))),
         (ANY, WELL), ((6, 3), (6, 6))),
    _row("triangular_solve_lower_transposed_unit", lambda lib, b, a: lib.triangular_solve(
        b, a, upper=False, transpose=True, unitriangular=True),
        lambda b, a: (np_solve_triangular(np.swapaxes(a, -1, -2), b, True, True), a),
        (((3, 2), (3, 3)),), ANY, ((6, 3), (6, 6))),
    _row("matrix_power", lambda lib, x: lib.matrix_power(x, -2),
         lambda x: np_matrix_power(x, -2), SQUARE, WELL, BIG_SQUARE),
    _row("matrix_exp", lambda lib, x: lib.matrix_exp(x), np_expm, SQUARE, ANY, BIG_SQUARE),
]

METHODS = [
    _row("cholesky_method", lambda lib, x: spd(lib, x).cholesky(),
         lambda x: np_cholesky(np_spd(x)), (((3, 3),),), WELL, ((6, 6),)),
    _row("qr_method", lambda lib, x: fix_qr(x.qr()), np_gram_schmidt, (((5, 3),),), SEPARATED,
         ((8, 5),)),
    _row("svd_method", lambda lib, x: fix_old_svd(x.svd()),
         lambda x: (lambda u, s, vh: (u, s, np.swapaxes(vh, -1, -2)))(*np_svd(x)),
         (((5, 3),),), SEPARATED, ((8, 5),)),
    _row("slogdet_method", lambda lib, x: x.slogdet()[1], np_logabsdet, (((3, 3),),), WELL,
         ((6, 6),)),
    _row("logdet_method", lambda lib, x: spd(lib, x).logdet(), lambda x: np_logabsdet(
        np_spd(x)), (((3, 3),),), WELL, ((6, 6),)),
    _row("pinverse_method", lambda lib, x: x.pinverse(), np_pinv, (((5, 3),),), SEPARATED,
         ((8, 5),)),
    _row("matrix_power_method", lambda lib, x: x.matrix_power(3),
         lambda x: np_matrix_power(x, 3), (((3, 3),),), WELL, ((6, 6),)),
    _row("matrix_exp_method", lambda lib, x: x.matrix_exp(), np_expm, (((3, 3),),), ANY,
         ((6, 6),)),
    _row("cholesky_solve_method", lambda lib, b, x: b.cholesky_solve(spd(lib, x).cholesky()),
         lambda b, x: np_solve(np_spd(x), b), (((3, 2), (3, 3)),), (ANY, WELL),
         ((6, 3), (6, 6))),
    _row("cholesky_inverse_method", lambda lib, x: spd(lib, x).cholesky().cholesky_inverse(),
         lambda x: np.linalg.inv(np_spd(x)), (((3, 3),),), WELL, ((6, 6),)),
    _row("triangular_solve_method", lambda lib, b, a: b.triangular_solve(a, upper=False),
         lambda b, a: (np_solve_triangular(a, b, False), a), (((3, 2), (3, 3)),), (ANY, WELL),
         ((6, 3), (6, 6))),
]

"""Draws from the standard gamma distribution Gamma(α, 1) with the implicit
reparameterisation gradient d x / d α, which Gamma, Chi2, Beta, Dirichlet and StudentT
differentiate their ``rsample`` through.

Derivation. A draw x of Gamma(α, 1) satisfies F(x; α) = u for its CDF
F(x; α) = P(α, x) = γ(α, x)/Γ(α) (the regularised lower incomplete gamma function) and
some uniform u that does not depend on α. Differentiating F(x(α); α) = u in α:

    f(x)·dx/dα + ∂P/∂α = 0   ⇒   dx/dα = −(∂P/∂α)(α, x) / f(x; α),
    f(x; α) = x^(α−1) e^(−x) / Γ(α), the density.

∂P/∂α has no closed form; it is computed to float64 precision from two expansions, each
differentiated term by term, with the prefactor x^α e^(−x)/Γ(·) cancelling against f:

* x < α + 1, the series P = e^(−x) x^α/Γ(α + 1) · S, S = Σₙ tₙ, t₀ = 1,
  tₙ = tₙ₋₁·x/(α + n). With hₙ = dlog tₙ/dα = −Σ_{k≤n} 1/(α + k) and
  d log(x^α/Γ(α + 1))/dα = log x − ψ(α + 1), and f = e^(−x) x^α/Γ(α + 1) · α/x:
      dx/dα = −(x/α)·((log x − ψ(α + 1))·S + Σₙ tₙhₙ).
* x ≥ α + 1, the continued fraction Q = 1 − P = e^(−x) x^α/Γ(α) · K with
  K = 1/(b₀ + a₁/(b₁ + a₂/(b₂ + …))), bₙ = x + 2n + 1 − α, aₙ = −n(n − α). Its
  convergents Aₙ/Bₙ (Aₙ = bₙAₙ₋₁ + aₙAₙ₋₂, likewise B) are differentiated alongside them
  (dbₙ/dα = −1, daₙ/dα = n), K = B/A, dK = (dB·A − B·dA)/A², and with f = e^(−x) x^α/Γ(α)/x:
      dx/dα = x·((log x − ψ(α))·K + dK).

Both loops stop when the next term changes neither sum relative to float64 precision.
The number of terms grows like √α (about 10·√α + 40), so very large α are slow, never
inexact; past 10⁶ terms a RuntimeError says so.
"""

from __future__ import annotations

import numpy as np

from ..grad_mode import is_grad_enabled
from ..ops.special_math import digamma
from ..tensor import Tensor
from .utils import generator, with_derivative

_MAX_TERMS = 1_000_000
_TOL = 2e-15


def standard_gamma(concentration: Tensor) -> Tensor:
    """A draw of Gamma(α, 1) per entry of ``concentration`` (α, any shape), differentiable
    in α by the implicit gradient above; the draw is at least the dtype's tiny."""
    dtype = concentration.dtype
    alpha = concentration.data.astype(np.float64)
    x = np.maximum(generator().standard_gamma(alpha), np.finfo(dtype).tiny)
    if not (concentration.requires_grad and is_grad_enabled()):
        return Tensor(x.astype(dtype), dtype=dtype)
    return with_derivative(x, standard_gamma_grad(x, alpha), concentration)


def standard_gamma_grad(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """dx/dα = −(∂P/∂α)(α, x)/f(x; α) for draws x of Gamma(α, 1) (float64 arrays)."""
    x, alpha = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(alpha, np.float64))
    out = np.empty(x.shape)
    lower = x < alpha + 1
    out[lower] = _by_series(x[lower], alpha[lower])
    out[~lower] = _by_continued_fraction(x[~lower], alpha[~lower])
    return out


def _by_series(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """−(x/α)·((log x − ψ(α + 1))·S + Σ tₙhₙ) for x < α + 1."""
    term, h = np.ones_like(x), np.zeros_like(x)
    total, d_total = np.ones_like(x), np.zeros_like(x)
    for n in range(1, _MAX_TERMS):
        h = h - 1 / (alpha + n)
        term = term * x / (alpha + n)
        total, d_total = total + term, d_total + term * h
        if np.all(term * (1 - h) <= _TOL * (total + np.abs(d_total))):
            return -(x / alpha) * ((np.log(x) - digamma(alpha + 1)) * total + d_total)
    raise RuntimeError("Gamma rsample: the gradient series did not converge in "
                       f"{_MAX_TERMS} terms (concentration up to {alpha.max():g})")


def _by_continued_fraction(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """x·((log x − ψ(α))·K + dK) for x ≥ α + 1."""
    a_prev, a_cur, b_prev, b_cur = np.ones_like(x), x + 1 - alpha, np.zeros_like(x), \
        np.ones_like(x)
    da_prev, da_cur, db_prev, db_cur = np.zeros_like(x), -np.ones_like(x), \
        np.zeros_like(x), np.zeros_like(x)
    k, dk = b_cur / a_cur, (db_cur * a_cur - b_cur * da_cur) / a_cur ** 2
    done = np.zeros(x.shape, bool)
    for n in range(1, _MAX_TERMS):
        an, bn = -n * (n - alpha), x + 2 * n + 1 - alpha
        a_next = bn * a_cur + an * a_prev
        b_next = bn * b_cur + an * b_prev
        da_next = -a_cur + bn * da_cur + n * a_prev + an * da_prev
        db_next = -b_cur + bn * db_cur + n * b_prev + an * db_prev
        scale = 1 / np.abs(a_next)  # the recurrences are linear: rescale against overflow
        a_prev, a_cur, b_prev, b_cur = a_cur * scale, a_next * scale, b_cur * scale, \
            b_next * scale
        da_prev, da_cur, db_prev, db_cur = da_cur * scale, da_next * scale, \
            db_cur * scale, db_next * scale
        k_next = b_cur / a_cur
        dk_next = (db_cur * a_cur - b_cur * da_cur) / a_cur ** 2
        # NOTE: each entry stops at its own first step below the tolerance (rounding keeps
        # the steps of some entries from shrinking further), and keeps that value.
        step = np.maximum(np.abs(k_next - k) / np.abs(k_next),
                          np.abs(dk_next - dk) / (np.abs(dk_next) + np.abs(k_next)))
        k, dk = np.where(done, k, k_next), np.where(done, dk, dk_next)
        done = done | (step <= _TOL)
        if done.all():
            return x * ((np.log(x) - digamma(alpha)) * k + dk)
    raise RuntimeError("Gamma rsample: the gradient continued fraction did not converge in "
                       f"{_MAX_TERMS} terms (concentration up to {alpha.max():g})")

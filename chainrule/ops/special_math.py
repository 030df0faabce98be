"""Special functions on NumPy arrays, which NumPy lacks: log-gamma, digamma, polygamma, the
Hurwitz zeta function, the modified Bessel functions I₀ and I₁ (plain and scaled), erfcx and
the normal quantile ndtri. The Functions of ``ops.special`` rest on them.

Each takes a float64 array and returns float64 (the callers round once to the input's dtype).
How they are computed:

* Gamma family, for x ≥ 0: shift x up to z ≥ 13 by the recurrences Γ(x + 1) = xΓ(x) and
  ψ(x + 1) = ψ(x) + 1/x, then sum Stirling's series
      ln Γ(z) = (z − ½)(ln z − 1) − ½ + ln √(2π) + Σₖ B₂ₖ / (2k(2k − 1) z^(2k−1)),
      ψ(z)    = ln z − 1/(2z) − Σₖ B₂ₖ / (2k z^(2k)),
  to k = 8 (the next term is below 1e-19 for z ≥ 13). Near the zeros of ln Γ at 1 and 2 the
  Taylor series ln Γ(1 + e) = −γe + Σₖ₌₂ (−1)ᵏ ζ(k) eᵏ / k (|e| ≤ 0.2, 26 terms) keeps the
  relative accuracy. For x < 0 the reflection formulas
      ln|Γ(x)| = ln π − ln|sin πx| − ln Γ(1 − x),   ψ(x) = ψ(1 − x) − π cot πx,
  with sin πx and cos πx reduced exactly to |r| ≤ ½ first (x − 2·round(x/2) is exact).
* Hurwitz zeta ζ(s, q) = Σₖ (q + k)^(−s), s > 1, q ≥ 0: the first terms summed until
  a = q + N ≥ s + 12, the rest by Euler–Maclaurin,
      Σₖ (a + k)^(−s) = a^(1−s)/(s − 1) + a^(−s)/2 + Σⱼ B₂ⱼ/(2j)! · s(s+1)…(s+2j−2) a^(−s−2j+1),
  to j = 10 (error ≈ (s / 2πa)^22, below 1e-16). Polygamma is then
  ψ⁽ⁿ⁾(x) = (−1)ⁿ⁺¹ n! ζ(n + 1, x) for x ≥ 0 and, for x < 0, the n-th derivative of the
  digamma reflection: ψ⁽ⁿ⁾(x) = (−1)ⁿ ψ⁽ⁿ⁾(1 − x) − πⁿ⁺¹ Pₙ(cot πx), where
  dⁿ/dxⁿ cot πx = πⁿ Pₙ(cot πx), P₀(c) = c and Pₖ₊₁(c) = −(1 + c²) Pₖ'(c).
* I₀ and I₁: the power series Σₖ (x/2)^(2k+ν) / (k!(k+ν)!) (positive terms: no cancellation)
  for |x| ≤ 25, Hankel's asymptotic expansion
      I_ν(x) e^(−x) √(2πx) ≈ Σₖ (−1)ᵏ Πⱼ₌₁ᵏ (4ν² − (2j − 1)²) / (k! 8ᵏ xᵏ)
  (30 terms) beyond; the unscaled forms multiply by e^(x/2) twice so that they overflow only
  where the function does.
* erfcx(x) = e^(x²) erfc(x): for x > 2 the continued-fraction interpolant of
  ``ops.activation`` without its e^(−x²) factor; else e^(x²)·erfc(x) directly.
* ndtri(p): the rational start of Abramowitz & Stegun 26.2.23 (error < 4.5e-4), then three
  Halley steps on Φ(y) = q, q = min(p, 1 − p) (1 − p is exact for p ≥ ½), whose ratio
  (Φ(y) − q)/φ(y) = √(π/2) erfcx(−y/√2) − q e^(y²/2) √(2π) never divides by an underflowed φ.

Accuracy, measured against mpmath (40 digits) in tests/test_special.py: relative error below
1e-12 in float64 (about 1e-15 absolute near the zeros of ln Γ and ψ, where the relative
error is unbounded; results in the subnormal range keep fewer digits), so float32 results are
within one unit in the last place of the correctly rounded value.

Reference: https://dlmf.nist.gov/5.11 (Stirling), https://dlmf.nist.gov/25.11 (Hurwitz zeta),
https://dlmf.nist.gov/10.40 (Hankel's expansion).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import activation

_SHIFT = 13.0  # lgamma/digamma: the recurrence lifts x to this before Stirling's series
_LN_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LN_PI = math.log(math.pi)
_EULER_GAMMA = 0.5772156649015329
_BESSEL_SPLIT = 25.0  # series below, Hankel's expansion above


@functools.cache
def bernoulli(count: int) -> tuple[float, ...]:
    """B₂, B₄, …, B₂count, by the Akiyama–Tanigawa algorithm in exact fractions."""
    from fractions import Fraction  # here: only the first call needs it

    row, numbers = [], []
    for m in range(2 * count + 1):
        row.append(Fraction(1, m + 1))
        for j in range(m, 0, -1):
            row[j - 1] = j * (row[j - 1] - row[j])
        numbers.append(row[0])
    return tuple(float(numbers[2 * k]) for k in range(1, count + 1))


def sinpi(x: np.ndarray) -> np.ndarray:
    """sin(πx), exactly 0 at integers: x is reduced to r ∈ [−½, ½] without rounding."""
    r = x - 2.0 * np.round(0.5 * x)
    r = np.where(np.abs(r) > 0.5, np.sign(r) - r, r)
    return np.sin(np.pi * r)


def cospi(x: np.ndarray) -> np.ndarray:
    """cos(πx) = sin(π(½ − |r|)), exactly 0 at half-integers."""
    r = x - 2.0 * np.round(0.5 * x)
    return sinpi(0.5 - np.abs(r))


def _shift_up(z: np.ndarray, term) -> tuple[np.ndarray, np.ndarray]:
    """z lifted by whole steps to ≥ 13, and the sum of term(zᵢ) over the steps taken."""
    total = np.zeros_like(z)
    for _ in range(int(_SHIFT) + 1):
        step = z < _SHIFT
        if not step.any():
            break
        total = total + np.where(step, term(z), 0.0)
        z = z + step
    return z, total


@functools.cache
def _taylor_near_one() -> tuple[float, ...]:
    """Coefficients c₁, c₂, … of ln Γ(1 + e) = Σ cₖ eᵏ: c₁ = −γ, cₖ = (−1)ᵏ ζ(k)/k."""
    zetas = [float(hurwitz_zeta(np.array(float(k)), np.array(1.0))) for k in range(2, 28)]
    return (-_EULER_GAMMA,) + tuple((-1) ** k * zeta / k for k, zeta in enumerate(zetas, 2))


def _lgamma_near_one(e: np.ndarray) -> np.ndarray:
    acc = np.zeros_like(e)
    for c in _taylor_near_one()[::-1]:
        acc = (acc + c) * e
    return acc


def _lgamma_nonnegative(z: np.ndarray) -> np.ndarray:
    lifted, log_product = _shift_up(z, np.log)
    inverse = 1.0 / lifted
    square = inverse * inverse
    series = np.zeros_like(z)
    for k, b in reversed(list(enumerate(bernoulli(8), 1))):
        series = series * square + b / (2 * k * (2 * k - 1))
    out = (lifted - 0.5) * (np.log(lifted) - 1.0) - 0.5 + _LN_SQRT_2PI + series * inverse
    out = out - log_product
    near_one, near_two = np.abs(z - 1.0) <= 0.2, np.abs(z - 2.0) <= 0.2
    if near_one.any() or near_two.any():
        e = np.where(near_two, z - 2.0, z - 1.0)
        taylor = _lgamma_near_one(e) + np.where(near_two, np.log1p(e), 0.0)
        out = np.where(near_one | near_two, taylor, out)
    return out


def lgamma(x: np.ndarray) -> np.ndarray:
    """ln|Γ(x)| (float64): +∞ at 0, the negative integers and ±∞; NaN at NaN."""
    with np.errstate(all="ignore"):
        negative = x < 0
        out = _lgamma_nonnegative(np.where(negative, 1.0 - x, x))
        if negative.any():
            reflected = _LN_PI - np.log(np.abs(sinpi(x))) - out
            out = np.where(negative, np.where(np.isinf(x), np.inf, reflected), out)
    return out


def _digamma_nonnegative(z: np.ndarray) -> np.ndarray:
    lifted, reciprocals = _shift_up(z, np.reciprocal)
    square = 1.0 / (lifted * lifted)
    series = np.zeros_like(z)
    for k, b in reversed(list(enumerate(bernoulli(8), 1))):
        series = series * square + b / (2 * k)
    return np.log(lifted) - 0.5 / lifted - series * square - reciprocals


def digamma(x: np.ndarray) -> np.ndarray:
    """ψ(x) = Γ'(x)/Γ(x) (float64): −∞ at +0, +∞ at −0 and +∞, NaN at the negative integers,
    −∞ and NaN (PyTorch's values)."""
    with np.errstate(all="ignore"):
        negative = x < 0
        out = _digamma_nonnegative(np.where(negative, 1.0 - x, x))
        if negative.any():
            reflected = out - np.pi * cospi(x) / sinpi(x)
            pole = negative & (x == np.floor(x))
            out = np.where(pole, np.nan, np.where(negative, reflected, out))
    return out


def hurwitz_zeta(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """ζ(s, q) = Σₖ₌₀ (q + k)^(−s) for s > 1 and q ≥ 0 (float64 arrays that broadcast);
    +∞ at q = 0. The caller handles s ≤ 1 and q < 0."""
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    target = s + 12.0
    total = np.zeros(s.shape)
    with np.errstate(all="ignore"):
        while True:
            step = q < target
            if not step.any():
                break
            total = total + np.where(step, q ** -s, 0.0)
            q = q + step
        tail = q ** (1.0 - s) / (s - 1.0) + 0.5 * q ** -s
        factor = s * q ** (-s - 1.0)
        for j, b in enumerate(bernoulli(10), 1):
            tail = tail + b / math.factorial(2 * j) * factor
            factor = factor * (s + 2 * j - 1) * (s + 2 * j) / (q * q)
        return total + np.where(np.isinf(q), 0.0, tail)


@functools.cache
def _cot_derivative(n: int) -> np.ndarray:
    """Coefficients (lowest first) of Pₙ with dⁿ/dxⁿ cot(πx) = πⁿ Pₙ(cot πx)."""
    from numpy.polynomial import polynomial  # here: only polygamma at x < 0 needs it

    p = np.array([0.0, 1.0])
    for _ in range(n):
        p = -polynomial.polymul([1.0, 0.0, 1.0], polynomial.polyder(p))
    return p


def polygamma(n: int, x: np.ndarray) -> np.ndarray:
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma, for n ≥ 1 (float64). At 0 and the negative
    integers (−1)ⁿ⁺¹·∞; 0 at +∞; NaN at −∞ and NaN."""
    sign = (-1.0) ** (n + 1)
    with np.errstate(all="ignore"):
        negative = x < 0
        z = np.where(negative, 1.0 - x, x)
        out = sign * math.factorial(n) * hurwitz_zeta(float(n + 1), z)
        if negative.any():
            cot = cospi(x) / sinpi(x)
            pole_part = np.pi ** (n + 1) * np.polynomial.polynomial.polyval(cot, _cot_derivative(n))
            reflected = (-1.0) ** n * out - pole_part
            out = np.where(negative, reflected, out)
        pole = (x <= 0) & (x == np.floor(x))
        out = np.where(pole, sign * np.inf, out)
    return np.where(np.isneginf(x), np.nan, out)


def _bessel_series(x: np.ndarray, nu: int) -> np.ndarray:
    """I_ν(x) for 0 ≤ x ≤ 25 by the power series (all terms positive)."""
    quarter = 0.25 * x * x
    term = (0.5 * x) ** nu / math.factorial(nu)
    total = term.copy()
    for k in range(1, 90):
        term = term * quarter / (k * (k + nu))
        total = total + term
        if np.all(term <= 1e-17 * total):  # converged everywhere (all terms are positive)
            break
    return total


def _bessel_hankel(x: np.ndarray, nu: int) -> np.ndarray:
    """I_ν(x)·e^(−x) for x > 25 by Hankel's expansion (30 terms)."""
    term, total = np.ones_like(x), np.ones_like(x)
    for k in range(1, 31):
        term = -term * (4 * nu * nu - (2 * k - 1) ** 2) / (8.0 * k * x)
        total = total + term
    return total / np.sqrt(2.0 * np.pi * x)


def bessel_i(x: np.ndarray, nu: int, scaled: bool) -> np.ndarray:
    """I_ν(x) (ν = 0 or 1), or e^(−|x|)·I_ν(x) when ``scaled`` (float64). I₀ is even and
    I₁ odd; both are finite for finite x until I overflows (|x| > 713.98)."""
    a = np.abs(x)
    with np.errstate(all="ignore"):
        small = a <= _BESSEL_SPLIT
        low = _bessel_series(np.where(small, a, 0.0), nu)
        high = _bessel_hankel(np.where(small, 2 * _BESSEL_SPLIT, a), nu)
        if scaled:
            out = np.where(small, low * np.exp(-a), high)
        else:
            half = np.exp(0.5 * np.where(small, 0.0, a))
            out = np.where(small, low, high * half * half)
        out = np.where(np.isinf(a), 0.0 if scaled else np.inf, out)
    return np.copysign(out, x) if nu == 1 else out


def erfcx(x: np.ndarray) -> np.ndarray:
    """e^(x²)·erfc(x) (float64): overflows to +∞ below about −26.6; → 0 like 1/(x√π) as
    x → +∞."""
    _, large_series = activation._series(True)  # NOTE: the continued-fraction coefficients
    with np.errstate(all="ignore"):
        big = x > 2.0
        u = 2.0 / np.where(big, x, 4.0)
        tail = activation._horner(u, large_series) * u / (2.0 * math.sqrt(math.pi))
        near = np.exp(np.where(big, 0.0, x * x)) * activation.erfc(np.where(big, 0.0, x))
        return np.where(big, np.where(np.isinf(x), 0.0, tail), near)


def ndtri(p: np.ndarray) -> np.ndarray:
    """Φ⁻¹(p), the standard normal quantile (float64): ∓∞ at 0 and 1, NaN outside [0, 1]."""
    with np.errstate(all="ignore"):
        upper = p > 0.5
        q = np.where(upper, 1.0 - p, p)
        t = np.sqrt(-2.0 * np.log(q))
        y = -(t - (2.515517 + t * (0.802853 + t * 0.010328))
              / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))))
        for _ in range(3):
            ratio = (math.sqrt(math.pi / 2.0) * erfcx(-y / math.sqrt(2.0))
                     - np.exp(np.log(q) + 0.5 * y * y + _LN_SQRT_2PI))
            y = y - ratio / (1.0 + 0.5 * y * ratio)
        y = np.where(q == 0, -np.inf, np.where(q == 0.5, 0.0, y))
        y = np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, y)
    return np.where(upper, -y, y)


def log_ndtr(x: np.ndarray) -> np.ndarray:
    """ln Φ(x) (float64): for x < −1 from erfcx, ln(½ erfcx(−x/√2)) − x²/2, which stays
    finite far into the left tail; elsewhere log1p(−Φ(−x)), accurate where Φ(x) ≈ 1."""
    with np.errstate(all="ignore"):
        left = x < -1.0
        far = np.log(0.5 * erfcx(-np.where(left, x, -2.0) / math.sqrt(2.0))) - 0.5 * x * x
        near = np.log1p(-activation.normal_cdf(-np.where(left, 0.0, x)))
        return np.where(left, far, near)


def zeta(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The Hurwitz zeta function ζ(s, q) with PyTorch's domain (float64 arrays that
    broadcast): +∞ at s = 1 and at q ∈ {0, −1, …}; NaN for s < 1, and for q < 0 unless s is
    an integer, where ζ(s, q) = (−1)ˢ ψ⁽ˢ⁻¹⁾(q) / (s − 1)! (the polygamma relation)."""
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    with np.errstate(all="ignore"):
        out = hurwitz_zeta(np.where(s > 1, s, 2.0), np.where(q >= 0, q, 1.0))
        whole = (s == np.floor(s)) & (s > 1) & np.isfinite(s)
        for order in np.unique(s[(q < 0) & whole]):
            n = int(order) - 1
            chosen = (q < 0) & (s == order)
            value = (-1.0) ** (n + 1) * polygamma(n, q[chosen]) / math.factorial(n)
            out[chosen] = value
        out = np.where((q < 0) & ~whole, np.nan, out)
        out = np.where((q <= 0) & (q == np.floor(q)), np.inf, out)
        out = np.where(s == 1, np.inf, np.where(s < 1, np.nan, out))
        return np.where(np.isnan(s) | np.isnan(q), np.nan, out)


def _gamma_series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(a, x) = e^(−x) x^a / Γ(a + 1) · Σₙ xⁿ / ((a + 1)…(a + n)), for x < a + 1 (the terms
    fall geometrically; summed until they stop changing the sum, at most 5000 of them)."""
    term = np.ones_like(a)
    total = np.ones_like(a)
    for n in range(1, 5001):
        term = term * x / (a + n)
        total = total + term
        if np.all(term <= 1e-17 * total):
            break
    return np.exp(a * np.log(x) - x - lgamma(a + 1.0)) * total


def _gamma_fraction(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Q(a, x) = e^(−x) x^a / Γ(a) · 1/(x + 1 − a − 1(1 − a)/(x + 3 − a − 2(2 − a)/(…))), for
    x ≥ a + 1, by the modified Lentz method (at most 5000 levels)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = np.full_like(a, 1.0 / tiny)
    d = 1.0 / b
    h = d.copy()
    for i in range(1, 5001):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = 1.0 / np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        h = h * (d * c)
        if np.all(np.abs(d * c - 1.0) <= 1e-16):
            break
    return np.exp(a * np.log(x) - x - lgamma(a)) * h


def gammainc(a: np.ndarray, x: np.ndarray, upper: bool) -> np.ndarray:
    """The regularized incomplete gamma function P(a, x) = γ(a, x)/Γ(a), or Q = 1 − P when
    ``upper`` (float64 arrays that broadcast), each from whichever of the series and the
    continued fraction converges fast there, and the other as 1 minus it. PyTorch's domain:
    NaN for a < 0, x < 0 and a = x = 0; P = 1 at a = 0 or x = +∞; P = 0 at x = 0 or a = +∞."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    with np.errstate(all="ignore"):
        regular = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
        safe_a, safe_x = np.where(regular, a, 1.0), np.where(regular, x, 1.0)
        use_series = safe_x < safe_a + 1.0
        lower = _gamma_series(np.where(use_series, safe_a, 1.0), np.where(use_series, safe_x, 0.5))
        high = _gamma_fraction(np.where(use_series, 1.0, safe_a),
                               np.where(use_series, 2.0, safe_x))
        p = np.where(use_series, lower, 1.0 - high)
        q = np.where(use_series, 1.0 - lower, high)
        out = q if upper else p
        one_at = ((a == 0) & (x > 0)) | (np.isposinf(x) & (a >= 0))
        zero_at = ((x == 0) & (a > 0)) | (np.isposinf(a) & (x >= 0) & np.isfinite(x))
        out = np.where(one_at, 0.0 if upper else 1.0, out)
        out = np.where(zero_at, 1.0 if upper else 0.0, out)
        invalid = (a < 0) | (x < 0) | ((a == 0) & (x == 0)) | np.isnan(a) | np.isnan(x)
        return np.where(invalid, np.nan, out)

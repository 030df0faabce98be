"""Op table rows for the special functions (``chainrule.lgamma`` ... and ``chainrule.special``).
They are part of the op table (``op_specs.SPECS``) and go through all its checks.

The references are written independently of ``ops/special_math.py``: ``math.lgamma``,
``math.erfc``, ``np.sinc`` and ``np.i0`` where they exist; digamma and polygamma as the
direct sum of 1/(x + k)ⁿ⁺¹ over k < 2000 with a three-term integral tail; I₀ and I₁ by the
trapezoidal rule on (1/π) ∫₀^π e^(x cos t) cos(νt) dt (exact to rounding for this periodic
integrand); ndtri by bisection on the normal CDF.
"""

from __future__ import annotations

import math

import numpy as np

import chainrule as cr
from tests.ops.spec_types import (
    ANY,
    BINARY,
    POSITIVE,
    Uniform,
    binary,
    unary,
)

_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])
TERMS = 2000


def np_lgamma(x):
    return _lgamma(x).astype(x.dtype)


def np_polygamma(n, x):
    """ψ⁽ⁿ⁾(x): −γ-free forms, summed directly over k < 2000, then the tail at a = x + 2000
    from Euler–Maclaurin's first three terms (error below 1e-16 there)."""
    wide = np.asarray(x, np.float64)[..., None]
    a = wide[..., 0] + TERMS
    k = np.arange(TERMS)
    if n == 0:
        tail = np.log(a) - 0.5 / a - 1.0 / (12.0 * a * a)
        return (tail - np.sum(1.0 / (wide + k), axis=-1)).astype(x.dtype)
    s = n + 1
    zeta = (np.sum((wide + k) ** -float(s), axis=-1) + a ** (1.0 - s) / (s - 1)
            + 0.5 * a ** -float(s) + s * a ** (-s - 1.0) / 12.0)
    return ((-1) ** (n + 1) * math.factorial(n) * zeta).astype(x.dtype)


def np_mvlgamma(x, p):
    terms = [_lgamma(x + (1 - j) / 2) for j in range(1, p + 1)]
    return (p * (p - 1) / 4 * math.log(math.pi) + sum(terms)).astype(x.dtype)


def np_bessel(x, nu, scaled=False):
    t = np.linspace(0.0, np.pi, 401)
    wide = np.asarray(x, np.float64)[..., None]
    shift = np.abs(wide) if scaled else 0.0
    f = np.exp(wide * np.cos(t) - shift) * np.cos(nu * t)
    integral = (f[..., 1:-1].sum(-1) + 0.5 * (f[..., 0] + f[..., -1])) * (t[1] - t[0])
    return (integral / np.pi).astype(x.dtype)


def np_ndtr(x):
    return (0.5 * _erfc(-np.asarray(x, np.float64) / math.sqrt(2.0))).astype(x.dtype)


def np_ndtri(p):
    lo, hi = np.full(p.shape, -40.0), np.full(p.shape, 40.0)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        below = np_ndtr(mid) < p
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return (0.5 * (lo + hi)).astype(p.dtype)


def np_erfcx(x):
    wide = np.asarray(x, np.float64)
    return (np.exp(wide * wide) * _erfc(wide)).astype(x.dtype)


AWAY_FROM_POLES = Uniform(-3.0, 4.0, avoid=(0.0, -1.0, -2.0, -3.0), margin=0.15)
OFF_ZERO = Uniform(-3.0, 3.0, avoid=(0.0,), margin=0.05)
UNIT = Uniform(0.02, 0.98)

SPECIAL_FUNCTIONS = [
    unary("lgamma", lambda x: cr.lgamma(x), np_lgamma, torch_op=lambda t, x: t.lgamma(x),
          domain=AWAY_FROM_POLES),
    unary("lgamma_method", lambda x: x.lgamma(), np_lgamma, domain=Uniform(0.1, 30.0)),
    unary("digamma", lambda x: cr.digamma(x), lambda x: np_polygamma(0, x),
          torch_op=lambda t, x: t.digamma(x), domain=AWAY_FROM_POLES),
    unary("polygamma_1", lambda x: cr.polygamma(1, x), lambda x: np_polygamma(1, x),
          torch_op=lambda t, x: t.polygamma(1, x), domain=AWAY_FROM_POLES),
    unary("polygamma_3_method", lambda x: x.polygamma(3), lambda x: np_polygamma(3, x),
          torch_op=lambda t, x: x.polygamma(3), domain=Uniform(0.5, 4.0)),
    unary("mvlgamma", lambda x: cr.mvlgamma(x, 3), lambda x: np_mvlgamma(x, 3),
          torch_op=lambda t, x: t.mvlgamma(x, 3), domain=Uniform(1.2, 5.0)),
    unary("sinc", lambda x: cr.sinc(x), lambda x: np.sinc(x).astype(x.dtype),
          torch_op=lambda t, x: t.sinc(x), domain=Uniform(-3.0, 3.0)),
    unary("deg2rad", lambda x: cr.deg2rad(x), np.deg2rad, torch_op=lambda t, x: t.deg2rad(x)),
    unary("rad2deg", lambda x: x.rad2deg(), np.rad2deg),
    unary("i0", lambda x: cr.i0(x), lambda x: np.i0(x).astype(x.dtype),
          torch_op=lambda t, x: t.i0(x), domain=Uniform(-6.0, 6.0)),
    unary("special_i0e", lambda x: cr.special.i0e(x), lambda x: np_bessel(x, 0, True),
          torch_op=lambda t, x: t.special.i0e(x), domain=OFF_ZERO),
    unary("special_i1", lambda x: cr.special.i1(x), lambda x: np_bessel(x, 1),
          torch_op=lambda t, x: t.special.i1(x), domain=Uniform(-6.0, 6.0)),
    unary("special_i1e", lambda x: cr.special.i1e(x), lambda x: np_bessel(x, 1, True),
          torch_op=lambda t, x: t.special.i1e(x), domain=OFF_ZERO),
    unary("special_erfcx", lambda x: cr.special.erfcx(x), np_erfcx,
          torch_op=lambda t, x: t.special.erfcx(x), domain=Uniform(-2.0, 5.0)),
    unary("special_ndtr", lambda x: cr.special.ndtr(x), np_ndtr,
          torch_op=lambda t, x: t.special.ndtr(x), domain=Uniform(-4.0, 4.0)),
    unary("special_ndtri", lambda x: cr.special.ndtri(x), np_ndtri,
          torch_op=lambda t, x: t.special.ndtri(x), domain=UNIT),
    unary("special_log_ndtr", lambda x: cr.special.log_ndtr(x),
          lambda x: np.log(np_ndtr(x).astype(np.float64)).astype(x.dtype),
          torch_op=lambda t, x: t.special.log_ndtr(x), domain=Uniform(-5.0, 3.0)),
    unary("special_entr", lambda x: cr.special.entr(x), lambda x: -x * np.log(x),
          torch_op=lambda t, x: t.special.entr(x), domain=POSITIVE),
    unary("special_gammaln", lambda x: cr.special.gammaln(x), np_lgamma,
          torch_op=lambda t, x: t.special.gammaln(x), domain=Uniform(0.2, 6.0)),
    unary("special_multigammaln", lambda x: cr.special.multigammaln(x, 2),
          lambda x: np_mvlgamma(x, 2), torch_op=lambda t, x: t.special.multigammaln(x, 2),
          domain=Uniform(0.7, 5.0)),
    binary("special_xlog1py", lambda a, b: cr.special.xlog1py(a, b),
           lambda a, b: a * np.log1p(b), torch_op=lambda t, a, b: t.special.xlog1py(a, b),
           domain=(ANY, Uniform(-0.9, 2.0))),
    unary("special_xlog1py_number_first", lambda x: cr.special.xlog1py(2.5, x),
          lambda x: 2.5 * np.log1p(x), torch_op=lambda t, x: t.special.xlog1py(2.5, x),
          domain=Uniform(-0.9, 2.0)),
    # P(3, x) = 1 − e^(−x)(1 + x + x²/2) and Q(2, x) = e^(−x)(1 + x): closed forms
    unary("special_gammainc", lambda x: cr.special.gammainc(3.0, x),
          lambda x: 1 - np.exp(-x) * (1 + x + x * x / 2),
          torch_op=lambda t, x: t.special.gammainc(t.full_like(x, 3.0), x), domain=POSITIVE),
    unary("special_gammaincc", lambda x: cr.special.gammaincc(2.0, x),
          lambda x: np.exp(-x) * (1 + x),
          torch_op=lambda t, x: t.special.gammaincc(t.full_like(x, 2.0), x),
          domain=Uniform(0.2, 6.0)),
    binary("special_zeta", lambda a, b: cr.special.zeta(a, b),
           lambda a, b: _zeta(a, b),
           torch_op=lambda t, a, b: t.special.zeta(a, b),
           domain=(Uniform(1.5, 6.0), Uniform(0.3, 4.0)), grad=False, cases=BINARY[:4]),
]


def _zeta(s, q):
    """ζ(s, q): the direct sum over k < 2000 and the Euler–Maclaurin tail, as above."""
    wide_s, wide_q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    k = np.arange(TERMS)
    a = wide_q + TERMS
    total = np.sum((wide_q[..., None] + k) ** -wide_s[..., None], axis=-1)
    tail = (a ** (1.0 - wide_s) / (wide_s - 1) + 0.5 * a ** -wide_s
            + wide_s * a ** (-wide_s - 1) / 12)
    return (total + tail).astype(np.result_type(s, q))


SPECIAL_ROWS = SPECIAL_FUNCTIONS

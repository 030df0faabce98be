"""KL(p ‖ q) between two different families among the univariate ones and Normal, Uniform
and Bernoulli: the closed forms PyTorch registers, and +inf where q's support misses part
of p's. They register when ``chainrule.distributions`` imports this module."""

from __future__ import annotations

import math

from ..tensor import Tensor
from ._univariate import infinite_like, replaced
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .exponential import Exponential
from .gamma import Gamma
from .gumbel import EULER_GAMMA, Gumbel
from .kl import register_kl
from .laplace import Laplace
from .normal import Normal
from .poisson import Poisson
from .uniform import Uniform

_INF = float("inf")


@register_kl(Exponential, Beta)
@register_kl(Exponential, Uniform)
def _kl_exponential_infinity(p: Exponential, q: object) -> Tensor:
    return infinite_like(p.rate)


@register_kl(Gamma, Beta)
@register_kl(Gamma, Uniform)
def _kl_gamma_infinity(p: Gamma, q: object) -> Tensor:
    return infinite_like(p.concentration)


@register_kl(Gumbel, Beta)
@register_kl(Gumbel, Exponential)
@register_kl(Gumbel, Gamma)
@register_kl(Gumbel, Uniform)
@register_kl(Laplace, Beta)
@register_kl(Laplace, Exponential)
@register_kl(Laplace, Gamma)
@register_kl(Laplace, Uniform)
@register_kl(Normal, Beta)
@register_kl(Normal, Exponential)
@register_kl(Normal, Gamma)
@register_kl(Normal, Uniform)
def _kl_real_line_infinity(p: Gumbel | Laplace | Normal, q: object) -> Tensor:
    """p's support is the whole real line, q's is bounded on at least one side: +inf."""
    return infinite_like(p.loc)


@register_kl(Poisson, Bernoulli)
@register_kl(Poisson, Binomial)
def _kl_poisson_infinity(p: Poisson, q: object) -> Tensor:
    return infinite_like(p.rate)


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p: Bernoulli, q: Poisson) -> Tensor:
    """−H(p) − (p·log λ − λ)."""
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p: Beta, q: Exponential) -> Tensor:
    """−H(p) − log λ + λ·E[x]."""
    mean = p.concentration1 / (p.concentration1 + p.concentration0)
    return -p.entropy() - q.rate.log() + q.rate * mean


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p: Beta, q: Gamma) -> Tensor:
    """−H(p) + log Γ(α) − α·log β − (α − 1)·E[log x] + β·E[x]."""
    total = p.concentration1 + p.concentration0
    t2 = q.concentration.lgamma() - q.concentration * q.rate.log()
    t3 = (q.concentration - 1) * (p.concentration1.digamma() - total.digamma())
    t4 = q.rate * p.concentration1 / total
    return -p.entropy() + t2 - t3 + t4


@register_kl(Beta, Normal)
def _kl_beta_normal(p: Beta, q: Normal) -> Tensor:
    """−H(p) + ½log(2πσ²) + (E[x²]/2 − μE[x] + μ²/2)/σ²."""
    total = p.concentration1 + p.concentration0
    mean = p.concentration1 / total
    var_normal = q.scale ** 2
    t2 = 0.5 * (var_normal * 2 * math.pi).log()
    t3 = (mean * (1 - mean) / (total + 1) + mean ** 2) * 0.5
    return -p.entropy() + t2 + (t3 - q.loc * mean + q.loc ** 2 * 0.5) / var_normal


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p: Beta, q: Uniform) -> Tensor:
    """−H(p) + log(high − low) where [0, 1] ⊆ [low, high], inf elsewhere."""
    result = -p.entropy() + (q.high - q.low).log()
    return replaced(result, (q.low.data > 0) | (q.high.data < 1), _INF)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p: Exponential, q: Gamma) -> Tensor:
    """−α·log r + r + log Γ(α) + αγ − (1 + γ),  r = β/λ."""
    ratio = q.rate / p.rate
    return -q.concentration * ratio.log() + ratio + q.concentration.lgamma() \
        + q.concentration * EULER_GAMMA - (1 + EULER_GAMMA)


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p: Exponential, q: Gumbel) -> Tensor:
    """log(λβ) − 1 − μ/β + e^(μ/β)·λβ/(λβ + 1) + 1/(λβ)."""
    scale_rate = p.rate * q.scale
    loc_scale = q.loc / q.scale
    t2 = loc_scale.exp() * scale_rate / (scale_rate + 1)
    return scale_rate.log() - 1 - loc_scale + t2 + scale_rate.reciprocal()


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p: Exponential, q: Normal) -> Tensor:
    """½log(2πλ²σ²) − 1 + (1/λ² − μ/λ + μ²/2)/σ²."""
    var_normal, rate_sqr = q.scale ** 2, p.rate ** 2
    t1 = 0.5 * (rate_sqr * var_normal * 2 * math.pi).log()
    t2 = rate_sqr.reciprocal() - q.loc / p.rate + q.loc ** 2 * 0.5
    return t1 - 1 + t2 / var_normal


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p: Gamma, q: Exponential) -> Tensor:
    """−H(p) − log λ + λα/β."""
    return -p.entropy() - q.rate.log() + q.rate * p.concentration / p.rate


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p: Gamma, q: Gumbel) -> Tensor:
    """(α − 1)ψ(α) − log Γ(α) − α + log(ββ_G) + α/(ββ_G) + e^(μ/β_G)(1 + 1/(ββ_G))^(−α)
    − μ/β_G, with β_G, μ the Gumbel's scale and loc."""
    alpha = p.concentration
    prod = p.rate * q.scale
    loc_scale = q.loc / q.scale
    t1 = (alpha - 1) * alpha.digamma() - alpha.lgamma() - alpha
    t2 = prod.log() + alpha / prod
    t3 = loc_scale.exp() * (1 + prod.reciprocal()) ** (-alpha) - loc_scale
    return t1 + t2 + t3


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p: Gamma, q: Normal) -> Tensor:
    """½log(2πβ²σ²) − α − log Γ(α) + (α − 1)ψ(α) + ((α² + α)/(2β²) − μα/β + μ²/2)/σ²."""
    alpha, var_normal, beta_sqr = p.concentration, q.scale ** 2, p.rate ** 2
    t1 = 0.5 * (beta_sqr * var_normal * 2 * math.pi).log() - alpha - alpha.lgamma()
    t2 = 0.5 * (alpha ** 2 + alpha) / beta_sqr - q.loc * alpha / p.rate \
        + 0.5 * q.loc ** 2
    return t1 + (alpha - 1) * alpha.digamma() + t2 / var_normal


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p: Gumbel, q: Normal) -> Tensor:
    """−log(r/√(2π)) + (πr/2)²/3 + ((μ_G + β_Gγ − μ)/σ)²/2 − (γ + 1),  r = β_G/σ."""
    ratio = p.scale / q.scale
    t1 = (ratio / math.sqrt(2 * math.pi)).log()
    t2 = (math.pi * ratio * 0.5) ** 2 / 3
    t3 = ((p.loc + p.scale * EULER_GAMMA - q.loc) / q.scale) ** 2 * 0.5
    return -t1 + t2 + t3 - (EULER_GAMMA + 1)


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p: Laplace, q: Normal) -> Tensor:
    """−½log(2b²/(πσ²)) + b²/σ² + (μₗ − μ)²/(2σ²) − 1."""
    var_normal = q.scale ** 2
    ratio = p.scale ** 2 / var_normal
    t1 = 0.5 * (2 * ratio / math.pi).log()
    t2 = 0.5 * p.loc ** 2 - p.loc * q.loc + 0.5 * q.loc ** 2
    return -t1 + ratio + t2 / var_normal - 1


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p: Normal, q: Gumbel) -> Tensor:
    """−log(σ/β) + (μ − μ_G)/β + exp((μ_G − μ)/β + σ²/(2β²)) − ½(1 + log 2π)."""
    mean_scale = p.loc / q.scale
    var_scale_sqr = (p.scale / q.scale) ** 2
    loc_scale = q.loc / q.scale
    t3 = (-mean_scale + 0.5 * var_scale_sqr + loc_scale).exp()
    return -var_scale_sqr.log() * 0.5 + mean_scale - loc_scale + t3 \
        - 0.5 * (1 + math.log(2 * math.pi))


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p: Normal, q: Laplace) -> Tensor:
    """−log(σ/b) + (σ√(2/π)·e^(−d²/(2σ²)) + d·erf(d/(σ√2)))/b − ½(1 + log(π/2)),
    d = μ − μ_L."""
    loc_diff = p.loc - q.loc
    scale_ratio = p.scale / q.scale
    z = loc_diff / p.scale
    t2 = math.sqrt(2 / math.pi) * p.scale * (-0.5 * z ** 2).exp()
    t3 = loc_diff * (math.sqrt(0.5) * z).erf()
    return -scale_ratio.log() + (t2 + t3) / q.scale - 0.5 * (1 + math.log(0.5 * math.pi))


def _x_log_x(t: Tensor) -> Tensor:
    """t·log t, as PyTorch writes it (NaN at 0)."""
    return t * t.log()


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p: Uniform, q: Beta) -> Tensor:
    """−log w − (a − 1)·E[log x] − (b − 1)·E[log(1 − x)] + log B(a, b), w = high − low;
    inf where [low, high] ⊄ [0, 1]."""
    width = p.high - p.low
    t2 = (q.concentration1 - 1) * (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    t3 = (q.concentration0 - 1) * (_x_log_x(1 - p.high) - _x_log_x(1 - p.low) + width) \
        / width
    t4 = q.concentration1.lgamma() + q.concentration0.lgamma() \
        - (q.concentration1 + q.concentration0).lgamma()
    result = t3 + t4 - width.log() - t2
    return replaced(result, (p.high.data > 1) | (p.low.data < 0), _INF)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p: Uniform, q: Exponential) -> Tensor:
    """λ(high + low)/2 − log((high − low)λ); inf where low < 0."""
    result = q.rate * (p.high + p.low) / 2 - ((p.high - p.low) * q.rate).log()
    return replaced(result, p.low.data < 0, _INF)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p: Uniform, q: Gamma) -> Tensor:
    """−log w + log Γ(α) − α·log β + (1 − α)·E[log x] + β·E[x]; inf where low < 0."""
    width = p.high - p.low
    t2 = q.concentration.lgamma() - q.concentration * q.rate.log()
    t3 = (1 - q.concentration) * (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    t4 = q.rate * (p.high + p.low) / 2
    result = -width.log() + t2 + t3 + t4
    return replaced(result, p.low.data < 0, _INF)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p: Uniform, q: Gumbel) -> Tensor:
    """log(β/w) + (zₕ + zₗ)/2 − (β/w)·(e^(−zₕ) − e^(−zₗ)),  z = (bound − μ)/β."""
    common = q.scale / (p.high - p.low)
    high_z, low_z = (p.high - q.loc) / q.scale, (p.low - q.loc) / q.scale
    t1 = common.log() + 0.5 * (high_z + low_z)
    return t1 - common * ((-high_z).exp() - (-low_z).exp())


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p: Uniform, q: Normal) -> Tensor:
    """log(√(2π)σ/w) + (w²/12 + ((high + low)/2 − μ)²)/(2σ²)."""
    width = p.high - p.low
    t1 = (math.sqrt(math.pi * 2) * q.scale / width).log()
    t3 = ((p.high + p.low - 2 * q.loc) / 2) ** 2
    return t1 + 0.5 * (width ** 2 / 12 + t3) / q.scale ** 2

"""KL divergence KL(p ‖ q) = E_p[log p − log q] between two distributions, in closed form
for the pairs registered here (torch.distributions.kl)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..methods.math import where
from ..tensor import Tensor
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .normal import Normal
from .uniform import Uniform

_KL: dict[tuple[type, type], Callable] = {}


def register_kl(type_p: type, type_q: type) -> Callable:
    """Decorator registering ``fn(p, q)`` as KL(p ‖ q) for p of ``type_p``, q of ``type_q``."""
    if not (issubclass(type_p, Distribution) and issubclass(type_q, Distribution)):
        raise TypeError("register_kl expects two subclasses of Distribution")

    def decorator(fn: Callable) -> Callable:
        _KL[type_p, type_q] = fn
        return fn

    return decorator


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """torch.distributions.kl_divergence(p, q): KL(p ‖ q), batched over batch_shape.

    Args:
        p, q: distributions of a registered pair of types (Normal–Normal,
            Categorical–Categorical, Bernoulli–Bernoulli, Uniform–Uniform, or subclasses).

    Raises:
        NotImplementedError: for any other pair, as in PyTorch.
    """
    for type_p in type(p).__mro__:
        for type_q in type(q).__mro__:
            if (type_p, type_q) in _KL:
                return _KL[type_p, type_q](p, q)
    raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} "
                              f"and q type {type(q).__name__}")


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    """½·(σₚ²/σ_q² + (μₚ − μ_q)²/σ_q² − 1 − log(σₚ²/σ_q²))."""
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    """Σₖ pₖ (log pₖ − log qₖ); a term is inf where q = 0 < p, and 0 where p = 0."""
    t = p.probs * (p.logits - q.logits)
    t = _replace(_replace(t, q.probs.data == 0, np.inf), p.probs.data == 0, 0.0)
    return t.sum(-1)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    """p·(log p − log q) + (1 − p)·(log(1 − p) − log(1 − q)), from the logits."""
    t1 = p.probs * ((-q.logits).softplus() - (-p.logits).softplus())
    t1 = _replace(_replace(t1, q.probs.data == 0, np.inf), p.probs.data == 0, 0.0)
    t2 = (1 - p.probs) * (q.logits.softplus() - p.logits.softplus())
    t2 = _replace(_replace(t2, q.probs.data == 1, np.inf), p.probs.data == 1, 0.0)
    return t1 + t2


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    """log((b_q − a_q)/(bₚ − aₚ)) where [aₚ, bₚ] ⊆ [a_q, b_q], inf elsewhere."""
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return _replace(result, (q.low.data > p.low.data) | (q.high.data < p.high.data), np.inf)


def _replace(t: Tensor, mask: Any, value: float) -> Tensor:
    shape = np.broadcast_shapes(t.shape, np.shape(mask))
    t = t if t.shape == shape else t.expand(*shape)
    return where(np.broadcast_to(mask, shape), value, t)

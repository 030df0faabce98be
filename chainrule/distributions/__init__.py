"""Probability distributions with PyTorch's names (``torch.distributions``), layer L5:
sampling from chainrule's seeded generator, and log-probabilities, entropies, CDFs and
reparameterised samples that gradients flow through to the parameters, as policy-gradient
and variational scripts need.
"""

from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "Uniform", "constraints",
           "kl_divergence", "register_kl"]

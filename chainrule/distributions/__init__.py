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

# multivariate and structured distributions
# isort: split
from .independent import Independent
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough

# univariate families
# isort: split
from . import kl_cross, kl_univariate  # noqa: F401  (importing them registers their KL pairs)
from .beta import Beta
from .binomial import Binomial
from .cauchy import Cauchy, HalfCauchy
from .dirichlet import Dirichlet
from .exponential import Exponential
from .gamma import Chi2, Gamma
from .geometric import Geometric
from .gumbel import Gumbel
from .half_normal import HalfNormal
from .laplace import Laplace
from .poisson import Poisson
from .student_t import StudentT

# transforms and transformed distributions
# isort: split
from . import transforms
from .log_normal import LogNormal
from .logistic_normal import LogisticNormal
from .relaxed import RelaxedBernoulli, RelaxedOneHotCategorical
from .transformed_distribution import TransformedDistribution
from .transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    CumulativeDistributionTransform,
    ExpTransform,
    IndependentTransform,
    PowerTransform,
    ReshapeTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
    identity_transform,
)

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "Uniform", "constraints",
           "kl_divergence", "register_kl"]
__all__ += ["Independent", "MixtureSameFamily", "Multinomial", "MultivariateNormal",
            "OneHotCategorical",
            "OneHotCategoricalStraightThrough"]  # multivariate and structured distributions
__all__ += ["Beta", "Binomial", "Cauchy", "Chi2", "Dirichlet", "Exponential", "Gamma",
            "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "Laplace", "Poisson",
            "StudentT"]  # univariate families
__all__ += ["AbsTransform", "AffineTransform", "ComposeTransform",
            "CumulativeDistributionTransform", "ExpTransform", "IndependentTransform",
            "LogNormal", "LogisticNormal", "PowerTransform", "RelaxedBernoulli",
            "RelaxedOneHotCategorical", "ReshapeTransform", "SigmoidTransform",
            "SoftmaxTransform", "SoftplusTransform", "StickBreakingTransform", "TanhTransform",
            "Transform", "TransformedDistribution", "identity_transform",
            "transforms"]  # transforms and transformed distributions

"""Student's t-distribution with location and scale."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from ._univariate import expanded, replaced
from .distribution import Distribution
from .gamma import Chi2
from .utils import broadcast_all, generator


class StudentT(Distribution):
    """torch.distributions.StudentT(df, loc=0., scale=1.): a batch of Student's t
    distributions.

    density  p(x) = Γ((ν + 1)/2) / (Γ(ν/2)·√(νπ)·σ) · (1 + y²/ν)^(−(ν + 1)/2),
    y = (x − μ)/σ,  ν = df, μ = loc, σ = scale.

    Args:
        df: the degrees of freedom ν > 0.
        loc: μ (default 0).
        scale: σ > 0 (default 1).
        validate_args: check that ν, σ > 0 and that values are real (default True).

    The mean is μ for ν > 1 (NaN otherwise), the variance σ²ν/(ν − 2) for ν > 2, inf for
    1 < ν ≤ 2 and NaN for ν ≤ 1. ``rsample`` is μ + σ·X/√(Z/ν) with X ~ N(0, 1) and
    Z ~ χ²(ν), differentiable in μ, σ and ν (through Z's implicit gamma gradient).

    Example:
        >>> from chainrule.distributions import StudentT
        >>> StudentT(4.0, 1.0, 2.0).variance.item()
        8.0
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0,
                 validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df, validate_args=False)
        super().__init__(self.df.shape, (), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> StudentT:
        """This distribution over a larger batch_shape (the parameters broadcast to it)."""
        new = expanded(self, batch_shape, ("df", "loc", "scale"))
        new._chi2 = self._chi2.expand(batch_shape)
        return new

    @property
    def mean(self) -> Tensor:
        return replaced(self.loc, self.df.data <= 1, np.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        df = self.df.data
        safe_df = replaced(self.df, df <= 2, 3.0)  # keeps the masked-out gradients finite
        variance = self.scale ** 2 * safe_df / (safe_df - 2)
        variance = replaced(variance, (df <= 2) & (df > 1), np.inf)
        return replaced(variance, df <= 1, np.nan)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """μ + σ·X/√(Z/ν), of shape sample_shape + batch_shape (differentiable)."""
        shape = self._extended_shape(sample_shape)
        dtype = self.df.dtype
        x = Tensor(generator().standard_normal(shape).astype(dtype), dtype=dtype)
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * x * (z / self.df).rsqrt()

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape sample_shape + batch_shape, with no gradient."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def log_prob(self, value: Any) -> Tensor:
        """−(ν + 1)/2 · log1p(y²/ν) − log σ − ½log ν − ½log π − log Γ(ν/2) + log Γ((ν+1)/2)."""
        value = self._value(value)
        y = (value - self.loc) / self.scale
        df = self.df
        normalizer = self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi) \
            + (0.5 * df).lgamma() - (0.5 * (df + 1.0)).lgamma()
        return -0.5 * (df + 1.0) * (y ** 2 / df).log1p() - normalizer

    def entropy(self) -> Tensor:
        """log σ + (ν + 1)/2·(ψ((ν + 1)/2) − ψ(ν/2)) + ½log ν + log B(ν/2, ½)."""
        df = self.df
        log_beta = (0.5 * df).lgamma() + math.lgamma(0.5) - (0.5 * (df + 1)).lgamma()
        return self.scale.log() + 0.5 * (df + 1) * ((0.5 * (df + 1)).digamma()
                                                    - (0.5 * df).digamma()) \
            + 0.5 * df.log() + log_beta

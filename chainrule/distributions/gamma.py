"""The gamma distribution, and the chi-squared distribution as its special case."""

from __future__ import annotations

from typing import Any

from ..grad_mode import no_grad
from ..special import gammainc
from ..tensor import Tensor
from . import constraints
from ._univariate import expanded, nonnegative
from .distribution import Distribution
from .standard_gamma import standard_gamma
from .utils import as_tensor, broadcast_all


class Gamma(Distribution):
    """torch.distributions.Gamma(concentration, rate): a batch of gamma distributions.

    density  p(x) = βᵅ x^(α−1) e^(−βx) / Γ(α) for x ≥ 0,  α = concentration, β = rate;
    CDF F(x) = P(α, βx), the regularised lower incomplete gamma function.

    Args:
        concentration: the shape α > 0 (a number or a Tensor).
        rate: β > 0, the inverse scale (a number or a Tensor).
        validate_args: check that α, β > 0 and that values are non-negative (default True).

    ``rsample`` is x/β for x ~ Gamma(α, 1) drawn by NumPy's gamma sampler, differentiable
    in β and, by implicit reparameterisation, in α (dx/dα = −(∂P/∂α)/f, computed exactly:
    see ``standard_gamma``). ``cdf`` has a gradient in x and β only (none in α, as in
    PyTorch: asking for it raises).

    Example:
        >>> from chainrule.distributions import Gamma
        >>> Gamma(3.0, 2.0).mean.item()
        1.5
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = nonnegative
    has_rsample = True

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, (), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gamma:
        """This distribution over a larger batch_shape (the parameters broadcast to it)."""
        return expanded(self, batch_shape, ("concentration", "rate"))

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        """(α − 1)/β, or 0 when α < 1."""
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate ** 2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """x/β, x ~ Gamma(α, 1), of shape sample_shape + batch_shape (differentiable)."""
        shape = self._extended_shape(sample_shape)
        alpha, rate = self.concentration, self.rate
        if alpha.shape != shape:
            alpha, rate = alpha.expand(*shape), rate.expand(*shape)
        return standard_gamma(alpha) / rate

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape sample_shape + batch_shape, with no gradient."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def log_prob(self, value: Any) -> Tensor:
        """α·log β + (α − 1)·log x − βx − log Γ(α)  (0·log 0 = 0)."""
        value = self._value(as_tensor(value, self.rate.dtype))
        alpha = self.concentration
        return alpha.xlogy(self.rate) + (alpha - 1).xlogy(value) - self.rate * value \
            - alpha.lgamma()

    def cdf(self, value: Any) -> Tensor:
        """P(α, βx)."""
        value = self._value(value)
        return gammainc(self.concentration, self.rate * value)

    def entropy(self) -> Tensor:
        """α − log β + log Γ(α) + (1 − α)·ψ(α)."""
        alpha = self.concentration
        return alpha - self.rate.log() + alpha.lgamma() + (1.0 - alpha) * alpha.digamma()


class Chi2(Gamma):
    """torch.distributions.Chi2(df): the chi-squared distribution with ``df`` degrees of
    freedom, Gamma(α = df/2, β = ½).

    Args:
        df: the degrees of freedom k > 0 (a number or a Tensor).
        validate_args: check that df > 0 and that values are non-negative (default True).

    Example:
        >>> from chainrule.distributions import Chi2
        >>> Chi2(4.0).mean.item()
        4.0
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df: Any, validate_args: bool | None = None) -> None:
        half = 0.5 * as_tensor(df) if not isinstance(df, (int, float)) else 0.5 * df
        super().__init__(half, 0.5, validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Chi2:
        """This distribution over a larger batch_shape (the parameters broadcast to it)."""
        return expanded(self, batch_shape, ("concentration", "rate"))

    @property
    def df(self) -> Tensor:
        return self.concentration * 2

"""The multinomial distribution: the counts of each of K categories in n categorical
draws."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..methods.math import where
from ..tensor import Tensor
from . import constraints
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution
from .one_hot_categorical import expanded_over_categorical
from .utils import broadcast_all, checked_sample_shape, generator


class Multinomial(Distribution):
    """torch.distributions.Multinomial(total_count=1, probs=None, logits=None): a batch of
    distributions of the counts x ∈ ℕᴷ, Σₖxₖ = n, of K categories in n independent draws.

    mass  P(x) = n!/(Πₖ xₖ!) · Πₖ pₖ^xₖ,  p = probs (normalised) = softmax(logits).

    Args:
        total_count: n, one int for the whole batch (as in PyTorch).
        probs: non-negative weights (..., K), normalised along the last dimension.
        logits: unnormalised log-probabilities (..., K).
        validate_args: check the parameter, and log_prob's values against the support
            (non-negative counts summing to at most n, PyTorch's check).

    ``log_prob`` is log Γ(Σxₖ + 1) − Σₖ log Γ(xₖ + 1) + Σₖ xₖ log pₖ, differentiable in the
    parameter and in x; it does not need total_count, so a value of any sum is scored.
    ``sample`` draws the counts directly from chainrule's generator; ``entropy`` sums over
    the binomial marginals, as PyTorch does.

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import Multinomial
        >>> d = Multinomial(10, probs=chainrule.tensor([0.5, 0.5]))
        >>> d.sample((4,)).sum(-1).tolist()
        [10.0, 10.0, 10.0, 10.0]
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count: int = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if not isinstance(total_count, (int, np.integer)) or isinstance(total_count, bool):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = int(total_count)
        self._categorical = Categorical(probs, logits, validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args)

    def _given_params(self) -> tuple[str, ...]:
        return ()  # the Categorical inside checked the parameter


    def expand(self, batch_shape: Any, _instance: Any = None) -> Multinomial:
        """This distribution over a larger batch_shape (probs and logits broadcast)."""
        return expanded_over_categorical(self, batch_shape)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.multinomial(self.total_count)

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Counts of shape sample_shape + batch_shape + (K,), summing to n, in the dtype of
        probs."""
        shape = checked_sample_shape(sample_shape) + self._batch_shape
        probs = self.probs.data.astype(np.float64)
        probs = probs / probs.sum(-1, keepdims=True)
        counts = generator().multinomial(self.total_count, probs, size=shape)
        return Tensor(counts.astype(self.probs.dtype), dtype=self.probs.dtype)

    def log_prob(self, value: Any) -> Tensor:
        """log Γ(Σxₖ + 1) − Σₖ log Γ(xₖ + 1) + Σₖ xₖ ℓₖ, ℓ = log p; a term with xₖ = 0 is
        0 even where ℓₖ = −inf."""
        value = self._value(value)
        logits, value = broadcast_all(self.logits, value)
        empty = (value.data == 0) & (logits.data == -np.inf)
        if empty.any():
            logits = where(empty, 0.0, logits)
        return (value.sum(-1) + 1).lgamma() - (value + 1).lgamma().sum(-1) \
            + (logits * value).sum(-1)

    def entropy(self) -> Tensor:
        """n·H(p) − log n! + Σₖ Σ_{j=1..n} Binomial(n, pₖ)(j)·log j!."""
        n = self.total_count
        dtype = self.probs.dtype
        log_n_factorial = float(Tensor(np.array(n + 1.0)).lgamma().item())
        binomial = Binomial(n, probs=self.probs, validate_args=False)
        support = Tensor(np.arange(1.0, n + 1, dtype=dtype).reshape(
            (-1,) + (1,) * len(self.param_shape)), dtype=dtype)
        binomial_probs = binomial.log_prob(support).exp()
        weights = (support + 1).lgamma()
        return n * self._categorical.entropy() - log_n_factorial \
            + (binomial_probs * weights).sum((0, -1))

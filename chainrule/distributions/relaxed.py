"""Relaxed (Concrete / Gumbel-softmax) distributions: continuous, reparameterisable
stand-ins for the Bernoulli and the one-hot categorical, at a temperature λ > 0.

Reference: Maddison et al., The Concrete Distribution (2017), https://arxiv.org/abs/1611.00712;
Jang et al., Categorical Reparametrization with Gumbel-Softmax (2017).
"""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .one_hot_categorical import expand_categorical
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform, SigmoidTransform
from .utils import as_tensor, broadcast_all, clamp_probs, generator, probs_to_logits


def _uniform(shape: tuple[int, ...], dtype: Any) -> Tensor:
    """Uniform draws clamped to [eps, 1 − eps] of ``dtype`` (PyTorch's ``clamp_probs``)."""
    return clamp_probs(Tensor(generator().random(shape).astype(dtype), dtype=dtype))


def _temperature(temperature: Any, dtype: Any) -> Tensor:
    return temperature if isinstance(temperature, Tensor) else as_tensor(temperature, dtype)


class _RelaxedSampler(Distribution):
    """``sample`` is ``rsample`` without a graph (PyTorch's default ``sample``)."""

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape).detach()


class LogitRelaxedBernoulli(_RelaxedSampler):
    """torch.distributions.relaxed_bernoulli.LogitRelaxedBernoulli(temperature, probs=None,
    logits=None): the logit of a RelaxedBernoulli draw, X = (logit u + logit p)/λ with
    u ~ U(0, 1).

    density  log p(x) = log λ + d − 2·log(1 + eᵈ),  d = logit p − λx.

    Args:
        temperature: λ > 0 (a Tensor or a number; not broadcast into batch_shape).
        probs: the probability p of 1 (exactly one of probs and logits).
        logits: its log-odds log p − log(1 − p).
        validate_args: check the given parameter and log_prob's values.

    As in PyTorch, ``has_rsample`` is False here (``RelaxedBernoulli`` sets it), though
    ``rsample`` is differentiable in the parameters and λ.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        (param,) = broadcast_all(given)
        self._param_name = "probs" if probs is not None else "logits"
        if probs is not None:
            self.probs, self.logits = param, probs_to_logits(param, is_binary=True)
        else:
            self.logits, self.probs = param, param.sigmoid()
        self.temperature = _temperature(temperature, param.dtype)
        batch_shape = () if isinstance(given, Number) else tuple(param.shape)
        super().__init__(batch_shape, (), validate_args)

    def _given_params(self) -> tuple[str, ...]:
        return (self._param_name,)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LogitRelaxedBernoulli:
        """This distribution over a larger batch_shape (probs and logits expanded)."""
        shape = tuple(int(n) for n in batch_shape)
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.probs, new.logits = self.probs.expand(*shape), self.logits.expand(*shape)
        new._batch_shape = shape
        return new

    @property
    def param_shape(self) -> tuple[int, ...]:
        return tuple(getattr(self, self._param_name).shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """(logit u + logit p)/λ, u ~ U(0, 1), both clamped to [eps, 1 − eps]."""
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(*shape))
        u = _uniform(shape, probs.dtype)
        return (u.log() - (-u).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value: Any) -> Tensor:
        """log λ + d − 2·softplus(d), d = logit p − λx (softplus: no overflow of eᵈ)."""
        logits, value = broadcast_all(self.logits, self._value(value))
        diff = logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.softplus()


class RelaxedBernoulli(TransformedDistribution):
    """torch.distributions.RelaxedBernoulli(temperature, probs=None, logits=None): the
    Concrete relaxation of Bernoulli(p) at temperature λ, on (0, 1): Y = σ(X) with
    X ~ LogitRelaxedBernoulli(λ, p).

    Args:
        temperature: λ > 0 (a Tensor or a number).
        probs: the probability p of 1 (exactly one of probs and logits).
        logits: its log-odds.
        validate_args: check the given parameter and log_prob's values.

    ``rsample`` is differentiable in p (or the logits) and λ; as λ → 0 the draws approach
    Bernoulli(p) draws. log_prob is the logit's log density minus log σ'(x).

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import RelaxedBernoulli
        >>> d = RelaxedBernoulli(chainrule.tensor(0.5), probs=chainrule.tensor([0.1, 0.9]))
        >>> d.rsample((3,)).shape
        (3, 2)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True
    base_dist: LogitRelaxedBernoulli

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        base_dist = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base_dist, SigmoidTransform(), validate_args=validate_args)

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs


class ExpRelaxedCategorical(_RelaxedSampler):
    """torch.distributions.relaxed_categorical.ExpRelaxedCategorical(temperature,
    probs=None, logits=None): the log of a RelaxedOneHotCategorical draw,
    X = log softmax((log p + g)/λ), g standard Gumbel draws.

    density  log p(x) = log Γ(K) + (K − 1)·log λ + Σₖ (sₖ − logsumexp(s)),
    s = log p − λx, over the K categories.

    Args:
        temperature: λ > 0 (a Tensor or a number).
        probs: non-negative weights (..., K), normalised (exactly one of probs and logits).
        logits: unnormalised log-probabilities (..., K).
        validate_args: check the given parameter and log_prob's values.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector  # the true support is a submanifold of it
    has_rsample = True

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits)
        self.temperature = _temperature(temperature, self._categorical.logits.dtype)
        super().__init__(self._categorical.batch_shape,
                         self._categorical.param_shape[-1:], validate_args)

    def _given_params(self) -> tuple[str, ...]:
        return ()  # the inner Categorical validated the given parameter

    def expand(self, batch_shape: Any, _instance: Any = None) -> ExpRelaxedCategorical:
        """This distribution over a larger batch_shape (the categorical expanded)."""
        shape = tuple(int(n) for n in batch_shape)
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._categorical = expand_categorical(self._categorical, shape)
        new._batch_shape = shape
        return new

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self._categorical.param_shape

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """s − logsumexp(s), s = (log p + g)/λ, g = −log(−log u), u ~ U(0, 1)."""
        u = _uniform(self._extended_shape(sample_shape), self.logits.dtype)
        scores = (self.logits - (-u.log()).log()) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value: Any) -> Tensor:
        """log Γ(K) + (K − 1)·log λ + Σₖ log softmax(log p − λx)ₖ."""
        k = self._categorical._num_events
        logits, value = broadcast_all(self.logits, self._value(value))
        log_scale = math.lgamma(k) + (k - 1) * self.temperature.log()
        score = logits - value * self.temperature
        return (score - score.logsumexp(-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(TransformedDistribution):
    """torch.distributions.RelaxedOneHotCategorical(temperature, probs=None, logits=None):
    the Concrete (Gumbel-softmax) relaxation of OneHotCategorical(p) at temperature λ, on
    the simplex: Y = softmax((log p + g)/λ), g standard Gumbel draws; as λ → 0 the draws
    approach one-hot vectors.

    Args:
        temperature: λ > 0 (a Tensor or a number).
        probs: non-negative weights (..., K) (exactly one of probs and logits).
        logits: unnormalised log-probabilities (..., K).
        validate_args: check the given parameter and that log_prob's values lie on the
            simplex.

    ``rsample`` is differentiable in the logits (or probs) and λ. Built as PyTorch builds it:
    ExpRelaxedCategorical transformed by ``ExpTransform``, so log_prob(y) is the log draw's
    density minus Σₖ log yₖ.

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import RelaxedOneHotCategorical
        >>> d = RelaxedOneHotCategorical(chainrule.tensor(0.5), logits=chainrule.zeros(2, 3))
        >>> d.batch_shape, d.event_shape, d.rsample().shape
        ((2,), (3,), (2, 3))
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True
    base_dist: ExpRelaxedCategorical

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        base_dist = ExpRelaxedCategorical(temperature, probs, logits,
                                          validate_args=validate_args)
        super().__init__(base_dist, ExpTransform(), validate_args=validate_args)

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs

"""The multivariate normal distribution N(μ, Σ), parametrised by Σ, its inverse or its
Cholesky factor; and its KL divergence."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..grad_mode import no_grad
from ..linalg import cholesky, solve_triangular
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .kl import register_kl
from .utils import as_tensor, generator

_LOG_2PI = math.log(2 * math.pi)
_MATRICES = ("covariance_matrix", "precision_matrix", "scale_tril")


def batch_mahalanobis(scale_tril: Tensor, diff: Tensor) -> Tensor:
    """‖L⁻¹ d‖² for L (…, n, n) lower triangular and d (…, n), batches broadcast: the squared
    Mahalanobis distance dᵀ Σ⁻¹ d where Σ = L Lᵀ (a triangular solve, no inverse formed)."""
    solved = solve_triangular(scale_tril, diff.unsqueeze(-1), upper=False)
    return (solved ** 2).sum((-2, -1))


def half_log_det(scale_tril: Tensor) -> Tensor:
    """½ log det Σ = Σᵢ log Lᵢᵢ for Σ = L Lᵀ."""
    return scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


def precision_to_scale_tril(precision: Tensor) -> Tensor:
    """L lower triangular with L Lᵀ = P⁻¹, without inverting P.

    With J the exchange matrix (``flip`` of both matrix dims), J P J = F Fᵀ (Cholesky), so
    P = U Uᵀ with U = J F J upper triangular, and P⁻¹ = U⁻ᵀ U⁻¹: L = (Uᵀ)⁻¹, Uᵀ = flip(F)ᵀ
    being lower triangular, found by one triangular solve against the identity.
    """
    factor = cholesky(precision.flip((-2, -1)))
    lower_inverse = factor.flip((-2, -1)).mT
    eye = Tensor(np.eye(precision.shape[-1], dtype=precision.dtype), dtype=precision.dtype)
    return solve_triangular(lower_inverse, eye, upper=False)


def _batch_shape(matrix: Tensor, name: str, loc: Tensor) -> tuple[int, ...]:
    if matrix.ndim < 2:
        what = "scale_tril matrix" if name == "scale_tril" else name
        raise ValueError(f"{what} must be at least two-dimensional, with optional leading "
                         "batch dimensions")
    if matrix.shape[-1] != matrix.shape[-2] or matrix.shape[-1] != loc.shape[-1]:
        raise ValueError(f"{name} of shape {tuple(matrix.shape)} must hold square matrices "
                         f"of the size of loc's last dimension ({loc.shape[-1]})")
    try:
        return np.broadcast_shapes(matrix.shape[:-2], loc.shape[:-1])
    except ValueError:
        raise RuntimeError(f"Shape mismatch: the batch shapes of loc {tuple(loc.shape)} and "
                           f"{name} {tuple(matrix.shape)} cannot be broadcast to a single "
                           "shape") from None


class MultivariateNormal(Distribution):
    """torch.distributions.MultivariateNormal(loc, covariance_matrix=None,
    precision_matrix=None, scale_tril=None): a batch of normal distributions on ℝⁿ.

    density  p(x) = exp(−½ (x − μ)ᵀ Σ⁻¹ (x − μ)) / √((2π)ⁿ det Σ),  μ = loc.

    Args:
        loc: the mean μ (…, n).
        covariance_matrix: Σ (…, n, n), symmetric positive-definite.
        precision_matrix: Σ⁻¹ (…, n, n), symmetric positive-definite.
        scale_tril: L (…, n, n), lower triangular with a positive diagonal, Σ = L Lᵀ.
        validate_args: check loc and the given matrix, and log_prob's values.

    Exactly one of the three matrices is given; the batch shapes of loc and the matrix
    broadcast. Everything is computed from the Cholesky factor L (of Σ, or from the
    precision matrix by ``precision_to_scale_tril``): log_prob by a triangular solve,
    ``½ log det Σ = Σ log Lᵢᵢ``, and ``rsample`` as μ + L ε, ε ~ N(0, I), so gradients reach
    loc and the given matrix. A loc whose last size differs from the matrices' raises
    ValueError here (PyTorch accepts it and fails on first use).

    Example:
        >>> import chainrule
        >>> from chainrule.distributions import MultivariateNormal
        >>> d = MultivariateNormal(chainrule.zeros(2), covariance_matrix=chainrule.eye(2))
        >>> d.batch_shape, d.event_shape, d.sample((5,)).shape
        ((), (2,), (5, 2))
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Any, covariance_matrix: Any = None, precision_matrix: Any = None,
                 scale_tril: Any = None, validate_args: bool | None = None) -> None:
        loc = as_tensor(loc)
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = {name: value for name, value in zip(
            _MATRICES, (covariance_matrix, precision_matrix, scale_tril)) if value is not None}
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        (self._matrix_name, matrix), = given.items()
        matrix = as_tensor(matrix)
        batch_shape = _batch_shape(matrix, self._matrix_name, loc)
        self._matrix = matrix.expand(*batch_shape, -1, -1)
        self.loc = loc.expand(*batch_shape, -1)
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args)
        if self._matrix_name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif self._matrix_name == "covariance_matrix":
            self._unbroadcasted_scale_tril = cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = precision_to_scale_tril(matrix)

    def _given_params(self) -> tuple[str, ...]:
        return ("loc", self._matrix_name)

    def expand(self, batch_shape: Any, _instance: Any = None) -> MultivariateNormal:
        """This distribution over a larger batch_shape (loc and the matrices broadcast)."""
        shape = tuple(int(n) for n in batch_shape)
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.loc = self.loc.expand(*shape, *self.event_shape)
        new._matrix = self._matrix.expand(*shape, *self.event_shape * 2)
        new._batch_shape = shape
        return new

    # ------------------------------------------------------------------ the matrices

    def _full(self, matrix: Tensor) -> Tensor:
        return matrix.expand(*self._batch_shape, *self._event_shape * 2)

    @property
    def scale_tril(self) -> Tensor:
        """L, lower triangular with Σ = L Lᵀ (batch_shape + (n, n))."""
        if self._matrix_name == "scale_tril":
            return self._matrix
        return self._full(self._unbroadcasted_scale_tril)

    @property
    def covariance_matrix(self) -> Tensor:
        """Σ = L Lᵀ (batch_shape + (n, n))."""
        if self._matrix_name == "covariance_matrix":
            return self._matrix
        lower = self._unbroadcasted_scale_tril
        return self._full(lower @ lower.mT)

    @property
    def precision_matrix(self) -> Tensor:
        """Σ⁻¹ = (L Lᵀ)⁻¹ (batch_shape + (n, n)), by ``cholesky_inverse`` as in PyTorch (so
        a gradient reaches every entry of a given scale_tril, as PyTorch's does)."""
        if self._matrix_name == "precision_matrix":
            return self._matrix
        return self._full(self._unbroadcasted_scale_tril.cholesky_inverse())

    # ------------------------------------------------------------------ moments

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        """The diagonal of Σ: Σⱼ Lᵢⱼ² (batch_shape + (n,))."""
        variance = (self._unbroadcasted_scale_tril ** 2).sum(-1)
        return variance.expand(*self._batch_shape, *self._event_shape)

    # ------------------------------------------------------------------ the interface

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """μ + L ε, ε ~ N(0, I) of shape sample_shape + batch_shape + (n,) (differentiable)."""
        shape = self._extended_shape(sample_shape)
        noise = generator().standard_normal(shape).astype(self.loc.dtype, copy=False)
        eps = Tensor(noise, dtype=self.loc.dtype).unsqueeze(-1)
        return self.loc + (self._unbroadcasted_scale_tril @ eps).squeeze(-1)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape sample_shape + batch_shape + (n,), with no gradient."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def log_prob(self, value: Any) -> Tensor:
        """−½ (n log 2π + ‖L⁻¹(x − μ)‖²) − Σᵢ log Lᵢᵢ."""
        value = self._value(value)
        n = self._event_shape[0]
        mahalanobis = batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return -0.5 * (n * _LOG_2PI + mahalanobis) - half_log_det(self._unbroadcasted_scale_tril)

    def entropy(self) -> Tensor:
        """½ n (1 + log 2π) + Σᵢ log Lᵢᵢ (batch_shape)."""
        n = self._event_shape[0]
        entropy = 0.5 * n * (1.0 + _LOG_2PI) + half_log_det(self._unbroadcasted_scale_tril)
        return entropy.expand(*self._batch_shape) if self._batch_shape else entropy


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    """½ (tr(Σ_q⁻¹ Σₚ) + (μ_q − μₚ)ᵀ Σ_q⁻¹ (μ_q − μₚ) − n + log det Σ_q − log det Σₚ), with
    tr(Σ_q⁻¹ Σₚ) = ‖L_q⁻¹ Lₚ‖²_F (one triangular solve)."""
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different "
                         "event shapes cannot be computed")
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    n = p.event_shape[0]
    batch = np.broadcast_shapes(lp.shape[:-2], lq.shape[:-2])
    ratio = solve_triangular(lq.expand(*batch, n, n), lp.expand(*batch, n, n), upper=False)
    trace = (ratio ** 2).sum((-2, -1))
    mahalanobis = batch_mahalanobis(lq, q.loc - p.loc)
    return half_log_det(lq) - half_log_det(lp) + 0.5 * (trace + mahalanobis - n)

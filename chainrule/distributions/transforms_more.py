"""The transforms that change the event's shape: ``ReshapeTransform``, and those onto the
probability simplex (``SoftmaxTransform``, ``StickBreakingTransform``); and the clamped
sigmoid that ``SigmoidTransform`` uses too. ``chainrule.distributions.transforms``
re-exports them."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..methods.math import where
from ..methods.shape import cat
from ..tensor import Tensor
from . import constraints
from ._transform import Transform


def torch_softplus(x: Tensor) -> Tensor:
    """log(1 + eˣ), and x itself where x > 20 (``torch.nn.functional.softplus``'s default
    threshold, which PyTorch's transforms use; the two differ there by under e⁻²⁰)."""
    return where(x > 20, x, x.softplus())


def clipped_sigmoid(x: Tensor) -> Tensor:
    """σ(x) clamped to [tiny, 1 − eps] of x's dtype, so that logit and log of it are finite
    (PyTorch's ``_clipped_sigmoid``)."""
    finfo = np.finfo(x.dtype)
    return x.sigmoid().clamp(min=float(finfo.tiny), max=float(1 - finfo.eps))


class SoftmaxTransform(Transform):
    """y = softmax(x) = eˣ/Σeˣ along the last dimension; the pseudo-inverse is x = log y.

    Not bijective (adding a constant to x leaves y unchanged), so it has no log-Jacobian.
    """

    domain = constraints.real_vector
    codomain = constraints.simplex

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SoftmaxTransform)

    def _call(self, x: Tensor) -> Tensor:
        return x.softmax(-1)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def forward_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        return _vector_shape(shape)

    def inverse_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        return _vector_shape(shape)


class StickBreakingTransform(Transform):
    """A bijection from R^K onto the open simplex in R^(K+1), by breaking a stick:

        zᵢ = σ(xᵢ − log(K + 1 − i)),  yᵢ = zᵢ·Πⱼ₍ⱼ<ᵢ₎(1 − zⱼ)  (i = 1…K),  y_(K+1) = Πⱼ(1 − zⱼ);

    the offsets log(K + 1 − i) map x = 0 to the centre of the simplex. The inverse is
    xᵢ = log yᵢ − log(1 − Σⱼ₍ⱼ≤ᵢ₎ yⱼ) + log(K + 1 − i), the remainder clamped to ≥ tiny.
    log|det J| = Σᵢ (−x̃ᵢ + log σ(x̃ᵢ) + log yᵢ), x̃ᵢ = xᵢ − log(K + 1 − i) (J is triangular,
    with dyᵢ/dxᵢ = yᵢ·(1 − zᵢ) and 1 − σ(x̃) = e^(−x̃)·σ(x̃)).
    """

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StickBreakingTransform)

    def _call(self, x: Tensor) -> Tensor:
        z = clipped_sigmoid(x - _log_offsets(x.shape[-1], x.dtype))
        remaining = (1 - z).cumprod(-1)
        one = _ones_like_last(z)
        return cat([z, one], -1) * cat([one, remaining], -1)

    def _inverse(self, y: Tensor) -> Tensor:
        y_crop = y[..., :-1]
        remainder = (1 - y_crop.cumsum(-1)).clamp(min=float(np.finfo(y.dtype).tiny))
        return y_crop.log() - remainder.log() + _log_offsets(y.shape[-1] - 1, y.dtype)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        shifted = x - _log_offsets(x.shape[-1], x.dtype)
        log_sigmoid = -(-shifted).softplus()
        return (-shifted + log_sigmoid + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        shape = _vector_shape(shape)
        return shape[:-1] + (shape[-1] + 1,)

    def inverse_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        shape = _vector_shape(shape)
        return shape[:-1] + (shape[-1] - 1,)


def _ones_like_last(x: Tensor) -> Tensor:
    """Ones of x's shape with a last dimension of 1 (no graph)."""
    return Tensor(np.ones(tuple(x.shape[:-1]) + (1,), dtype=x.dtype), dtype=x.dtype)


def _log_offsets(k: int, dtype: np.dtype) -> Tensor:
    """log(K + 1 − i) for i = 1…K: log K, …, log 1."""
    return Tensor(np.log(np.arange(k, 0, -1, dtype=dtype)), dtype=dtype)


def _vector_shape(shape: Sequence[int]) -> tuple[int, ...]:
    shape = tuple(shape)
    if len(shape) < 1:
        raise ValueError("Too few dimensions on input")
    return shape


class ReshapeTransform(Transform):
    """torch.distributions.transforms.ReshapeTransform(in_shape, out_shape, cache_size=0):
    reshapes the rightmost ``in_shape`` dimensions to ``out_shape`` (the same number of
    elements); log|det J| = 0, one per batch element."""

    bijective = True

    def __init__(self, in_shape: Sequence[int], out_shape: Sequence[int],
                 cache_size: int = 0) -> None:
        self.in_shape = tuple(int(n) for n in in_shape)
        self.out_shape = tuple(int(n) for n in out_shape)
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size=cache_size)

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.out_shape))

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return ReshapeTransform(self.in_shape, self.out_shape, cache_size=cache_size)

    def _call(self, x: Tensor) -> Tensor:
        return x.reshape(tuple(x.shape[:x.dim() - len(self.in_shape)]) + self.out_shape)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.reshape(tuple(y.shape[:y.dim() - len(self.out_shape)]) + self.in_shape)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return x.new_zeros(tuple(x.shape[:x.dim() - len(self.in_shape)]))

    def forward_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        return _replaced_tail(tuple(shape), self.in_shape, self.out_shape)

    def inverse_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        return _replaced_tail(tuple(shape), self.out_shape, self.in_shape)


def _replaced_tail(shape: tuple[int, ...], tail: tuple[int, ...],
                   new_tail: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with its last dimensions, which must be ``tail``, replaced by ``new_tail``."""
    if len(shape) < len(tail):
        raise ValueError("Too few dimensions on input")
    cut = len(shape) - len(tail)
    if shape[cut:] != tail:
        raise ValueError(f"Shape mismatch: expected {shape[cut:]} but got {tail}")
    return shape[:cut] + new_tail

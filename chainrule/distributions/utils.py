"""Helpers the distributions share: turning parameters into broadcast Tensors, the
probability ↔ logit maps, shapes, and the standard normal CDF and its inverse as
differentiable Tensor functions."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import dtypes, random
from ..methods.math import where
from ..ops.activation import normal_cdf
from ..tensor import Tensor

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def as_tensor(value: Any, dtype: Any = None) -> Tensor:
    """``value`` itself if it is a Tensor, else a Tensor of it (floats in ``dtype``)."""
    if isinstance(value, Tensor):
        return value
    array = np.asarray(value)
    if dtype is None:
        dtype = dtypes.infer(value) if array.dtype.kind != "f" or isinstance(value, float) \
            else array.dtype
    return Tensor(array, dtype=dtype)


def broadcast_all(*values: Any) -> list[Tensor]:
    """Numbers, arrays and Tensors as Tensors of one broadcast shape (PyTorch's
    ``broadcast_all``): numbers take the floating dtype of the Tensors among them (float32
    when there is none); Tensors keep theirs and their graphs."""
    floats = [v.dtype for v in values if isinstance(v, Tensor) and v.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else dtypes.infer(0.0)
    tensors = [as_tensor(v, dtype if not isinstance(v, np.ndarray) else None) for v in values]
    tensors = [t if t.dtype.kind == "f" else t.to(dtype) for t in tensors]
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return [t if t.shape == shape else t.expand(*shape) for t in tensors]


def checked_sample_shape(sample_shape: Any) -> tuple[int, ...]:
    """``sample_shape`` as a tuple of non-negative ints (a tuple, list or torch-style Size)."""
    if isinstance(sample_shape, (int, np.integer)) or not isinstance(sample_shape, Sequence):
        raise TypeError(f"sample_shape must be a tuple of ints such as (5,), got "
                        f"{sample_shape!r}")
    shape = tuple(sample_shape)
    if not all(isinstance(n, (int, np.integer)) and n >= 0 for n in shape):
        raise ValueError(f"sample_shape must hold non-negative ints, got {shape}")
    return tuple(int(n) for n in shape)


def generator() -> np.random.Generator:
    """The package generator, looked up at each draw (``manual_seed`` replaces it)."""
    return random.resolve(None)


def eps_of(dtype: np.dtype) -> float:
    return float(np.finfo(dtype).eps)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities clamped to [eps, 1 − eps] of their dtype, so their logits are finite."""
    eps = eps_of(probs.dtype)
    return probs.clamp(eps, 1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log p (categorical) or log p − log(1 − p) (binary), from clamped probabilities."""
    clamped = clamp_probs(probs)
    return clamped.log() - (-clamped).log1p() if is_binary else clamped.log()


def with_derivative(value: np.ndarray, derivative: np.ndarray, x: Tensor) -> Tensor:
    """A Tensor equal to ``value`` whose gradient with respect to ``x`` is ``derivative``
    (elementwise): value + derivative·(x − x.detach()).

    NOTE: x − x.detach() is exactly 0, so the value is exact, and its derivative with respect
    to x is 1, so backward gives G·derivative. chainrule's backward is once-differentiable,
    so no second derivative of this form is ever taken. Where x is ±inf (x − x would be NaN)
    the gradient is 0, and an infinite derivative is taken as the largest float, so that
    0·derivative stays 0.
    """
    dtype = x.dtype
    out = Tensor(value.astype(dtype, copy=False), dtype=dtype)
    if not x.requires_grad:
        return out
    finite = np.isfinite(x.data)
    if not finite.all():
        x = where(finite, x, 0.0)
    largest = float(np.finfo(dtype).max)
    slope = np.clip(derivative, -largest, largest).astype(dtype)
    return out + Tensor(slope, dtype=dtype) * (x - x.detach())


def standard_normal_cdf(z: Tensor) -> Tensor:
    """Φ(z) = ½·erfc(−z/√2), differentiable: dΦ/dz = φ(z) = e^(−z²/2)/√(2π)."""
    x = z.data.astype(np.float64)
    return with_derivative(normal_cdf(x), np.exp(-0.5 * x * x) * _INV_SQRT_2PI, z)


def standard_normal_icdf(p: Tensor) -> Tensor:
    """Φ⁻¹(p), differentiable: dΦ⁻¹/dp = 1/φ(Φ⁻¹(p)).

    Computed on the lower half q = min(p, 1 − p) (then reflected, Φ⁻¹(1 − q) = −Φ⁻¹(q)):
    a start from the tail asymptote or from Φ's tangent at 0 (which lies right of the root,
    Φ being convex for x < 0), then Newton steps on Φ(x) − q, with Φ from erfc, accurate
    relative to q in the tail.
    """
    prob = p.data.astype(np.float64)
    q = np.minimum(prob, 1.0 - prob)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -2.0 * np.log(q)  # tail: q ≈ φ(x)/|x| gives x² ≈ t − log(2πt)
        x = np.where(q < 0.02, -np.sqrt(t - np.log(2 * math.pi * t)),
                     (q - 0.5) * math.sqrt(2 * math.pi))  # centre: Φ's tangent at 0
        for _ in range(8):
            pdf = np.exp(-0.5 * x * x) * _INV_SQRT_2PI
            step = (normal_cdf(x) - q) / pdf
            x = np.where(np.isfinite(step), x - step, x)
        x = np.where(q == 0, -np.inf, x)
        x = np.where(np.isnan(q), np.nan, np.where(prob > 0.5, -x, x))
        derivative = 1.0 / (np.exp(-0.5 * x * x) * _INV_SQRT_2PI)
    return with_derivative(x, derivative, p)

"""Resampling: ``pixel_shuffle``, ``pixel_unshuffle``, and the interpolating modes of
``interpolate`` ('linear', 'bilinear', 'trilinear', 'bicubic'), whose checks live in
``pool.interpolate``.

All are compositions of Tensor operations (reshape, permute, matmul), so none has a backward
of its own: pixel (un)shuffle moves elements, and linear resampling along one axis is the
product with a constant matrix M (out × in) holding the interpolation weights of each
output position (two taps, or four for cubic), so dL/dX = G·M along that axis.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from ..ops.grid_sample import cubic_coefficients
from ..tensor import Tensor


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange (*, C·r², H, W) into (*, C, H·r, W·r): out[…, c, h·r + i, w·r + j] =
    in[…, c·r² + i·r + j, h, w], with r = ``upscale_factor`` (sub-pixel convolution).

    Args:
        input: a tensor with at least 3 dimensions.
        upscale_factor: r, a positive int.

    Example:
        >>> import chainrule
        >>> pixel_shuffle(chainrule.arange(4.0).reshape(1, 4, 1, 1), 2).tolist()
        [[[[0.0, 1.0], [2.0, 3.0]]]]
    """
    r = _factor("pixel_shuffle", input, upscale_factor, "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """The inverse of ``pixel_shuffle``: (*, C, H·r, W·r) into (*, C·r², H, W), with
    out[…, c·r² + i·r + j, h, w] = in[…, c, h·r + i, w·r + j].

    Args:
        input: a tensor with at least 3 dimensions, H·r and W·r divisible by r.
        downscale_factor: r, a positive int.

    Example:
        >>> import chainrule
        >>> pixel_unshuffle(chainrule.arange(4.0).reshape(1, 1, 2, 2), 2).flatten().tolist()
        [0.0, 1.0, 2.0, 3.0]
    """
    r = _factor("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    *lead, c, h, w = input.shape
    for name, size in (("height", h), ("width", w)):
        if size % r:
            axis = -2 if name == "height" else -1
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({axis})={size} is not "
                               f"divisible by {r}")
    k = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def _factor(name: str, input: Tensor, factor: Any, argument: str) -> int:
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor < 1:
        raise ValueError(f"{name}: {argument} must be a positive int, got {factor!r}")
    if input.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    return int(factor)


def source_positions(size: int, out: int, scale: float | None, align_corners: bool,
                     real: Any, clamp: bool) -> np.ndarray:
    """PyTorch's source position x of each output position o along one axis:

        x = o·(I − 1)/(O − 1)                      with align_corners (0 when O = 1)
        x = (o + ½)·r − ½, r = 1/scale (scale_factor given) or I/O, otherwise; linear
            modes clamp it at 0 (``clamp``), bicubic does not.
    """
    o = np.arange(out, dtype=real)
    if align_corners:
        step = real(size - 1) / real(out - 1) if out > 1 else real(0)
        return o * step
    ratio = real(1.0 / scale) if scale else real(size) / real(out)
    source = (o + real(0.5)) * ratio - real(0.5)
    return np.maximum(source, real(0)) if clamp else source


def _real(dtype: Any) -> Any:
    """PyTorch's CPU kernels compute positions in float32 for float32 input."""
    return np.float64 if dtype == dtypes.float64 else np.float32


def linear_weights(size: int, out: int, scale: float | None, align_corners: bool,
                   dtype: Any) -> np.ndarray:
    """The (out, size) matrix M of linear interpolation along one axis, PyTorch's rule: with
    x = ``source_positions`` (clamped at 0), i₀ = ⌊x⌋, i₁ = min(i₀ + 1, I − 1), λ = x − i₀,
    M[o, i₀] += 1 − λ and M[o, i₁] += λ.
    """
    real = _real(dtype)
    source = source_positions(size, out, scale, align_corners, real, clamp=True)
    low = np.minimum(np.floor(source).astype(np.int64), size - 1)
    high = np.minimum(low + 1, size - 1)
    lam = (source - low).astype(real)
    matrix = np.zeros((out, size), dtype=real)
    np.add.at(matrix, (np.arange(out), low), real(1) - lam)
    np.add.at(matrix, (np.arange(out), high), lam)
    return matrix


def cubic_weights(size: int, out: int, scale: float | None, align_corners: bool,
                  dtype: Any) -> np.ndarray:
    """The (out, size) matrix of cubic convolution (Keys, A = −0.75), PyTorch's bicubic rule:
    with x = ``source_positions`` (not clamped), i = ⌊x⌋ and t = x − i, the taps i − 1 … i + 2
    (each clamped into [0, I − 1]) get the weights
        k(1 + t), k(t), k(1 − t), k(2 − t),
        k(s) = (A + 2)s³ − (A + 3)s² + 1 for s ≤ 1,  A·s³ − 5A·s² + 8A·s − 4A for 1 < s < 2.
    """
    real = _real(dtype)
    source = source_positions(size, out, scale, align_corners, real, clamp=False)
    low = np.floor(source)
    weights, _ = cubic_coefficients((source - low).astype(real))
    matrix = np.zeros((out, size), dtype=real)
    for offset, weight in zip((-1, 0, 1, 2), weights):
        taps = np.clip(low.astype(np.int64) + offset, 0, size - 1)
        np.add.at(matrix, (np.arange(out), taps), weight)
    return matrix


def resample(input: Tensor, out: tuple[int, ...], scales: tuple, align_corners: bool,
             cubic: bool = False) -> Tensor:
    """Separable linear (or cubic) interpolation of the trailing ``len(out)`` axes."""
    first = input.ndim - len(out)
    weights = cubic_weights if cubic else linear_weights
    x = input
    for axis, (size, o, scale) in enumerate(zip(input.shape[first:], out, scales), first):
        if size == o and (align_corners or scale is None or scale == 1):  # the identity
            continue
        matrix = weights(size, o, scale, align_corners, input.dtype)
        m_t = Tensor._const(np.ascontiguousarray(matrix.T.astype(input.dtype)))
        x = (x.transpose(axis, -1) @ m_t).transpose(axis, -1)
    return x


__all__ = ["pixel_shuffle", "pixel_unshuffle"]

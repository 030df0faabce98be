"""Resampling: ``pixel_shuffle``, ``pixel_unshuffle``, and the linear modes of ``interpolate``
('linear', 'bilinear', 'trilinear'), whose checks live in ``pool.interpolate``.

All are compositions of Tensor operations (reshape, permute, matmul), so none has a backward
of its own: pixel (un)shuffle moves elements, and linear resampling along one axis is the
product with a constant matrix M (out × in) holding the two interpolation weights of each
output position, whose gradient is Gᵀ's product with M.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
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


def linear_weights(size: int, out: int, scale: float | None, align_corners: bool,
                   dtype: Any) -> np.ndarray:
    """The (out, size) matrix M of linear interpolation along one axis, PyTorch's rule:

    source position  x = o·(I − 1)/(O − 1)                   (align_corners; 0 when O = 1)
                     x = max((o + ½)·r − ½, 0), r = 1/scale  (scale_factor given) or I/O
    then i₀ = ⌊x⌋, i₁ = min(i₀ + 1, I − 1), λ = x − i₀, and M[o, i₀] += 1 − λ, M[o, i₁] += λ.
    Computed in float32 for float32 input, as PyTorch's CPU kernel does.
    """
    real = np.float64 if dtype == dtypes.float64 else np.float32
    o = np.arange(out, dtype=real)
    if align_corners:
        step = real(size - 1) / real(out - 1) if out > 1 else real(0)
        source = o * step
    else:
        ratio = real(1.0 / scale) if scale else real(size) / real(out)
        source = np.maximum((o + real(0.5)) * ratio - real(0.5), real(0))
    low = np.minimum(np.floor(source).astype(np.int64), size - 1)
    high = np.minimum(low + 1, size - 1)
    lam = (source - low).astype(real)
    matrix = np.zeros((out, size), dtype=real)
    np.add.at(matrix, (np.arange(out), low), real(1) - lam)
    np.add.at(matrix, (np.arange(out), high), lam)
    return matrix


def linear_resample(input: Tensor, out: tuple[int, ...], scales: tuple, align_corners: bool,
                    ) -> Tensor:
    """Separable linear interpolation of the trailing ``len(out)`` axes of ``input``."""
    first = input.ndim - len(out)
    x = input
    for axis, (size, o, scale) in enumerate(zip(input.shape[first:], out, scales), first):
        if size == o and (align_corners or scale is None or scale == 1):  # the identity
            continue
        matrix = linear_weights(size, o, scale, align_corners, input.dtype)
        m_t = Tensor._const(np.ascontiguousarray(matrix.T.astype(input.dtype)))
        x = (x.transpose(axis, -1) @ m_t).transpose(axis, -1)
    return x


__all__ = ["pixel_shuffle", "pixel_unshuffle"]

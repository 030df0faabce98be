"""Spatial transformers with PyTorch's signatures: ``affine_grid`` (the sampling points of an
affine map, a composite: a constant base grid times θᵀ) and ``grid_sample`` (reading an image
or a volume at those points: ``ops.grid_sample``, where the derivation is).

Coordinates are normalised: −1 and 1 are the left/top and right/bottom of the image (the
centres of the corner pixels with ``align_corners=True``, their outer edges otherwise).
``align_corners=None`` means False, PyTorch's default (without its warning).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes
from ..ops.grid_sample import GridSample
from ..tensor import Tensor

_MODES = ("bilinear", "nearest", "bicubic")
_PADDING_MODES = ("zeros", "border", "reflection")


def _positions(steps: int, align_corners: bool) -> np.ndarray:
    """Normalised centres of ``steps`` pixels: linspace(−1, 1), shrunk by (steps − 1)/steps
    unless ``align_corners`` (then they are (2i + 1)/steps − 1); one pixel sits at 0."""
    if steps == 1:
        return np.zeros(1)
    line = np.linspace(-1.0, 1.0, steps)
    return line if align_corners else line * (steps - 1) / steps


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of a batch of affine maps, for ``grid_sample``.

    grid[n, i, j] = θ[n] · (x_j, y_i, 1), with (x_j, y_i) the normalised centre of output
    pixel (i, j); likewise (x, y, z, 1) for volumes.

    Args:
        theta: (N, 2, 3) for images, (N, 3, 4) for volumes; a floating tensor.
        size: the output's size (N, C, H, W) or (N, C, D, H, W).
        align_corners: as in ``grid_sample``; None means False.

    Shape:
        (N, H, W, 2) or (N, D, H, W, 3); the last axis is (x, y[, z]).

    Example:
        >>> import chainrule
        >>> identity = chainrule.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> affine_grid(identity, (1, 1, 2, 2), align_corners=True).tolist()
        [[[[-1.0, -1.0], [1.0, -1.0]], [[-1.0, 1.0], [1.0, 1.0]]]]
    """
    if not dtypes.is_floating(theta.dtype):
        raise TypeError(f"affine_grid: theta must be a floating tensor, got {theta.dtype}")
    size = tuple(size)
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid: only 4-D (N, C, H, W) and 5-D (N, C, D, H, W) "
                                  f"sizes are supported, got size {size}")
    dims = len(size) - 2
    if tuple(theta.shape) != (size[0], dims, dims + 1):
        raise ValueError(f"affine_grid: for a {len(size)}-D size {size} theta must have shape "
                         f"({size[0]}, {dims}, {dims + 1}), got {tuple(theta.shape)}")
    if any(not isinstance(s, (int, np.integer)) or s <= 0 for s in size):
        raise ValueError(f"affine_grid: expected a size of positive ints, got {size}")
    axes = [_positions(s, bool(align_corners)) for s in reversed(size[2:])]  # x, y[, z]
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]  # (D,) H, W each; x first
    base = np.stack([*mesh, np.ones_like(mesh[0])], axis=-1).reshape(-1, dims + 1)
    base = Tensor._const(base.astype(theta.dtype))
    grid = base @ theta.transpose(1, 2)  # (N, P, dims + 1) @ ... -> (N, P, dims)
    return grid.reshape(size[0], *size[2:], dims)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Read ``input`` at the points of ``grid``: output[n, :, i, j] is the image n at the
    normalised position grid[n, i, j] = (x, y), interpolated; likewise for volumes.

    Args:
        input: (N, C, H, W) or (N, C, D, H, W), a floating tensor.
        grid: (N, Ho, Wo, 2) or (N, Do, Ho, Wo, 3) of input's dtype; (x, y[, z]) in [−1, 1]
            spans the image.
        mode: 'bilinear' (the four neighbouring pixels; for volumes the eight, trilinear),
            'nearest', or 'bicubic' (cubic convolution, A = −0.75, over the 4 × 4 pixels
            around the point, as ``interpolate``; images only: a volume raises RuntimeError).
        padding_mode: what points outside read: 'zeros', 'border' (the nearest edge pixel) or
            'reflection' (the image mirrored at its edges); bicubic pads each of its 16 taps.
        align_corners: −1 and 1 are the centres of the corner pixels (True) or their outer
            edges (False; the default, also for None).

    Shape:
        (N, C, Ho, Wo) or (N, C, Do, Ho, Wo). Differentiable with respect to input and grid
        (nearest mode: the grid's gradient is 0).

    Example:
        >>> import chainrule
        >>> image = chainrule.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> centre = chainrule.zeros(1, 1, 1, 2)
        >>> grid_sample(image, centre, align_corners=True).tolist()
        [[[[2.5]]]]
    """
    _check_sample(input, grid, mode, padding_mode)
    return GridSample.apply(input, grid, mode=mode, padding_mode=padding_mode,
                            align_corners=bool(align_corners))


def _check_sample(input: Tensor, grid: Tensor, mode: str, padding_mode: str) -> None:
    if mode not in _MODES:
        raise ValueError(f"grid_sample: expected mode to be 'bilinear', 'nearest' or "
                         f"'bicubic', but got: {mode!r}")
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"grid_sample: expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: {padding_mode!r}")
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise ValueError(f"grid_sample: expected a 4-D input (N, C, H, W) with a 4-D grid "
                         f"(N, Ho, Wo, 2), or a 5-D input (N, C, D, H, W) with a 5-D grid "
                         f"(N, Do, Ho, Wo, 3); got input {tuple(input.shape)} and grid "
                         f"{tuple(grid.shape)}")
    if mode == "bicubic" and input.ndim == 5:  # PyTorch's exception type and words
        raise RuntimeError(f"grid_sample: bicubic interpolation only supports 4D input "
                           f"(N, C, H, W), got a 5-D input {tuple(input.shape)}; use "
                           f"mode='bilinear' (trilinear) or 'nearest' for volumes")
    dims = input.ndim - 2
    if grid.shape[-1] != dims or grid.shape[0] != input.shape[0]:
        raise ValueError(f"grid_sample: the grid must have shape (N, *out, {dims}) with the "
                         f"input's N={input.shape[0]}, got grid {tuple(grid.shape)}")
    if not dtypes.is_floating(input.dtype) or input.dtype != grid.dtype:
        raise TypeError(f"grid_sample: input and grid must have the same floating dtype, got "
                        f"{input.dtype} and {grid.dtype}")
    if min(input.shape[2:]) == 0:
        raise ValueError(f"grid_sample: the input's spatial size must be non-empty, got "
                         f"{tuple(input.shape)}")


__all__ = ["affine_grid", "grid_sample"]

"""``chainrule.vision.utils``: ``make_grid`` and ``save_image``, as torchvision's."""

from __future__ import annotations

import math
import os
from typing import Any, BinaryIO, Sequence

import numpy as np

from ..tensor import Tensor, _wrap
from .png import write_png


def make_grid(tensor: Tensor | Sequence[Tensor], nrow: int = 8, padding: int = 2,
              normalize: bool = False, value_range: tuple[float, float] | None = None,
              scale_each: bool = False, pad_value: float = 0) -> Tensor:
    """``torchvision.utils.make_grid``: images (B, C, H, W) laid out in a grid (C, H', W').

    Rows of ``nrow`` images, each framed by ``padding`` pixels of ``pad_value``:
    H' = ceil(B / nrow)·(H + padding) + padding and W' = min(nrow, B)·(W + padding) +
    padding. One-channel images are repeated into 3 channels; a single image (B = 1) is
    returned as it is (C, H, W), unpadded, as torchvision does.

    Args:
        tensor: a Tensor (B, C, H, W), (C, H, W) or (H, W), or a list of (C, H, W) Tensors.
        nrow: images per row.
        padding: pixels between and around the images.
        normalize: shift and scale to [0, 1] by the minimum and maximum (or ``value_range``).
        value_range: (min, max) to scale by instead, after clamping to it.
        scale_each: with ``normalize``, scale each image by its own minimum and maximum.
        pad_value: the value of the padding pixels.

    Example:
        >>> import chainrule
        >>> make_grid(chainrule.zeros(5, 3, 4, 4), nrow=2).shape
        (3, 20, 14)
    """
    x = _batch(tensor)
    if normalize:
        x = _normalize(x, value_range, scale_each)
    if x.shape[0] == 1:
        return _wrap(x[0], None)
    count, channels, h, w = x.shape
    columns = min(nrow, count)
    rows = math.ceil(count / columns)
    step_h, step_w = h + padding, w + padding
    grid = np.full((channels, rows * step_h + padding, columns * step_w + padding), pad_value,
                   dtype=x.dtype)
    for k in range(count):
        top, left = (k // columns) * step_h + padding, (k % columns) * step_w + padding
        grid[:, top:top + h, left:left + w] = x[k]
    return _wrap(grid, None)


def _batch(tensor: Any) -> np.ndarray:
    """The images as an array (B, C, H, W), one channel repeated into three."""
    if isinstance(tensor, (list, tuple)):
        if not tensor or not all(isinstance(t, Tensor) for t in tensor):
            raise TypeError("make_grid: expected a Tensor or a non-empty list of Tensors")
        x = np.stack([t.data for t in tensor])
    elif isinstance(tensor, Tensor):
        x = tensor.data
    else:
        raise TypeError(f"make_grid: expected a Tensor or a list of Tensors, got "
                        f"{type(tensor).__name__}")
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 3:
        x = (np.concatenate([x, x, x]) if x.shape[0] == 1 else x)[None]
    if x.ndim != 4:
        raise ValueError(f"make_grid: expected images (B, C, H, W), got shape {x.shape}")
    return np.concatenate([x, x, x], axis=1) if x.shape[1] == 1 else x


def _normalize(x: np.ndarray, value_range: Any, scale_each: bool) -> np.ndarray:
    x = x.astype(np.result_type(x.dtype, np.float32), copy=True)
    if value_range is not None and (not isinstance(value_range, (tuple, list))
                                    or len(value_range) != 2):
        raise TypeError(f"make_grid: value_range must be a tuple (min, max), got "
                        f"{value_range!r}")

    def scale(img: np.ndarray) -> np.ndarray:
        low, high = value_range if value_range is not None else (img.min(), img.max())
        clamped = np.clip(img, low, high)
        return (clamped - low) / max(high - low, 1e-5)

    if scale_each:
        return np.stack([scale(img) for img in x]).astype(x.dtype)
    return scale(x).astype(x.dtype)


def save_image(tensor: Tensor | Sequence[Tensor], fp: str | os.PathLike | BinaryIO,
               format: str | None = None, **kwargs: Any) -> None:
    """``torchvision.utils.save_image(tensor, fp, format=None, **kwargs)``: write
    ``make_grid(tensor, **kwargs)`` as a PNG image.

    Pixels in [0, 1] become bytes as ``clamp(x·255 + 0.5, 0, 255)`` truncated. The file is
    written by matplotlib when it is installed, else by chainrule's own PNG writer.

    Args:
        tensor: as ``make_grid``.
        fp: a file name or a binary file object.
        format: only ``"png"`` (or None) is supported; torchvision accepts PIL's formats.
        **kwargs: ``make_grid``'s arguments.
    """
    if format is not None and format.lower() != "png":
        raise ValueError(f"save_image: format {format!r} is not supported; chainrule writes "
                         "PNG only")
    grid = make_grid(tensor, **kwargs).data
    grid = grid[None] if grid.ndim == 2 else grid
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    try:
        from matplotlib import image
    except ImportError:
        write_png(fp, pixels)
        return
    image.imsave(fp, pixels[:, :, 0] if pixels.shape[2] == 1 else pixels, format="png",
                 **({"cmap": "gray", "vmin": 0, "vmax": 255} if pixels.shape[2] == 1 else {}))


__all__ = ["make_grid", "save_image"]

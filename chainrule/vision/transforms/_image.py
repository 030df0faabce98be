"""Array helpers of the transforms: every image is handled as an array (..., H, W).

An image reaches a transform either as a Tensor (..., H, W), torchvision's tensor layout, or
as a NumPy array H×W or H×W×C, which stands for the PIL image torchvision's data sets give
(chainrule has no PIL). ``split`` turns either into an array (..., H, W) and a function that
turns a result back into the caller's kind and layout, so each transform is written once.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ...tensor import Tensor, _wrap

Restore = Callable[[np.ndarray], Any]


def split(img: Any, who: str) -> tuple[np.ndarray, Restore]:
    """``img`` as an array (..., H, W), and how to give a result back in ``img``'s kind."""
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise ValueError(f"{who}: expected a tensor image (..., H, W), got shape "
                             f"{tuple(img.shape)}")
        return img.data, lambda out: _wrap(out, None)
    if isinstance(img, np.ndarray):
        if img.ndim == 2:
            return img, lambda out: out
        if img.ndim == 3:
            return np.moveaxis(img, -1, 0), lambda out: np.ascontiguousarray(
                np.moveaxis(out, 0, -1))
        raise ValueError(f"{who}: expected an array image H×W or H×W×C, got shape {img.shape}")
    raise TypeError(f"{who}: expected a Tensor (..., H, W) or a NumPy array H×W(×C), got "
                    f"{type(img).__name__} (chainrule has no PIL images)")


def pair(size: Any, who: str, name: str = "size") -> tuple[int, int]:
    """``(h, w)`` from an int or a sequence of one or two ints."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) in (1, 2) and all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in size):
        return int(size[0]), int(size[-1])
    raise ValueError(f"{who}: {name} must be an int or a sequence of one or two ints, "
                     f"got {size!r}")


def cast_like(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Float results back to ``like``'s dtype; integer images are rounded and clipped."""
    if np.issubdtype(like.dtype, np.integer):
        info = np.iinfo(like.dtype)
        return np.clip(np.round(values), info.min, info.max).astype(like.dtype)
    return values.astype(like.dtype, copy=False)


def pad(a: np.ndarray, left: int, top: int, right: int, bottom: int, fill: float = 0,
        mode: str = "constant") -> np.ndarray:
    """``a`` (..., H, W) padded on its last two axes (np.pad's modes: constant, edge,
    reflect, symmetric)."""
    widths = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
    if mode == "constant":
        return np.pad(a, widths, mode="constant", constant_values=fill)
    return np.pad(a, widths, mode=mode)


def resize_nearest(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """Output pixel i takes input pixel floor(i · in/out), as PyTorch's ``nearest`` mode."""
    rows = np.minimum((np.arange(h) * (a.shape[-2] / h)).astype(np.int64), a.shape[-2] - 1)
    cols = np.minimum((np.arange(w) * (a.shape[-1] / w)).astype(np.int64), a.shape[-1] - 1)
    return a[..., rows[:, None], cols[None, :]]


def _bilinear_axis(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices i0, i1 and weight t of output positions along one axis, with pixel
    centres aligned (align_corners=False): x = (i + 0.5)·in/out − 0.5, clamped at 0."""
    x = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0)
    i0 = np.minimum(np.floor(x).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, x - i0


def resize_bilinear(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear resize of the last two axes, computed in float64 (no antialiasing)."""
    r0, r1, tr = _bilinear_axis(a.shape[-2], h)
    c0, c1, tc = _bilinear_axis(a.shape[-1], w)
    x = a.astype(np.float64)
    rows = x[..., r0, :] * (1 - tr)[:, None] + x[..., r1, :] * tr[:, None]
    return rows[..., c0] * (1 - tc) + rows[..., c1] * tc


def sample(a: np.ndarray, ys: np.ndarray, xs: np.ndarray, bilinear: bool,
           fill: float) -> np.ndarray:
    """``a`` (..., H, W) read at the (fractional) source positions ``ys``, ``xs`` (both
    (H', W')); positions outside the image read ``fill``."""
    h, w = a.shape[-2:]
    x = a.astype(np.float64)
    if not bilinear:
        r, c = np.floor(ys + 0.5).astype(np.int64), np.floor(xs + 0.5).astype(np.int64)
        inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
        out = x[..., np.clip(r, 0, h - 1), np.clip(c, 0, w - 1)]
        return np.where(inside, out, fill)
    r0, c0 = np.floor(ys).astype(np.int64), np.floor(xs).astype(np.int64)
    ty, tx = ys - r0, xs - c0
    out = np.zeros(a.shape[:-2] + ys.shape)
    for dr, wr in ((0, 1 - ty), (1, ty)):
        for dc, wc in ((0, 1 - tx), (1, tx)):
            r, c = r0 + dr, c0 + dc
            inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
            value = np.where(inside, x[..., np.clip(r, 0, h - 1), np.clip(c, 0, w - 1)], fill)
            out += wr * wc * value
    return out


def rotate(a: np.ndarray, degrees: float, bilinear: bool, fill: float,
           center: tuple[float, float] | None = None) -> np.ndarray:
    """``a`` (..., H, W) turned counter-clockwise by ``degrees`` about ``center`` (x, y in
    index coordinates, pixel j at j; default the image centre), same size; uncovered pixels
    get ``fill``.

    Each output pixel (x, y) reads the input at the inverse rotation of its offset from the
    centre (y points down, so a counter-clockwise turn on screen is):
        x_src = cx + dx·cos θ − dy·sin θ,   y_src = cy + dx·sin θ + dy·cos θ.
    """
    h, w = a.shape[-2:]
    cx, cy = ((w - 1) / 2, (h - 1) / 2) if center is None else center
    theta = np.deg2rad(degrees)
    dy, dx = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")
    xs = cx + dx * np.cos(theta) - dy * np.sin(theta)
    ys = cy + dx * np.sin(theta) + dy * np.cos(theta)
    return sample(a, ys, xs, bilinear, fill)

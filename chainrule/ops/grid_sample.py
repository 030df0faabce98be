"""Sampling (N, C, H, W) images at arbitrary points: ``GridSample2d``, the Function behind
``functional.grid_sample``, differentiable with respect to the image and the points.

A grid point (gx, gy) in [−1, 1]² becomes a pixel position (ix, iy) in two steps, each a
function of one coordinate with a derivative the backward pass needs:

1. unnormalise: ix = (gx + 1)/2 · (W − 1) with ``align_corners`` (−1 and 1 are the centres
   of the corner pixels), else ix = ((gx + 1)·W − 1)/2 (−1 and 1 are the outer edges of the
   corner pixels); dix/dgx = (W − 1)/2 or W/2.
2. the padding mode: 'zeros' leaves ix alone (reads outside the image are 0); 'border'
   clamps ix into [0, W − 1] (derivative 0 where it clamps, also at the ends, as PyTorch);
   'reflection' folds ix back into the image, mirroring at the corner pixels' centres
   (align_corners) or at the image's outer edges (then also clamps); each fold flips the
   derivative's sign.

So dix/dgx = scale · m(ix), with m ∈ {−1, 0, 1} the product of the clamp's and folds' slopes.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def _clip(coord: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """coord clamped into [0, size − 1], and the slope: 1 strictly inside, else 0."""
    inside = (coord > 0) & (coord < size - 1)
    return np.clip(coord, 0, size - 1), inside.astype(coord.dtype)


def _reflect(coord: np.ndarray, twice_low: int, twice_high: int) -> tuple[np.ndarray,
                                                                         np.ndarray]:
    """coord folded into [low, high] by mirroring at low and high, and the slope (±1)."""
    if twice_low == twice_high:
        return np.zeros_like(coord), np.zeros_like(coord)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    slope = np.where(coord < low, -1.0, 1.0).astype(coord.dtype)
    distance = np.abs(coord - low)
    extra, flips = np.fmod(distance, span), np.floor(distance / span)
    even = flips % 2 == 0
    folded = np.where(even, extra + low, span - extra + low)
    return folded.astype(coord.dtype), np.where(even, slope, -slope)


def source_index(grid: np.ndarray, size: int, padding_mode: str,
                 align_corners: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pixel positions of normalised coordinates, and d(position)/d(coordinate)."""
    if align_corners:
        scale = (size - 1) / 2
        coord = (grid + 1) * scale
    else:
        scale = size / 2
        coord = ((grid + 1) * size - 1) / 2
    slope = np.full_like(grid, scale)
    if padding_mode == "border":
        coord, clamp = _clip(coord, size)
        slope = slope * clamp
    elif padding_mode == "reflection":
        twice = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        coord, fold = _reflect(coord, *twice)
        slope = slope * fold
        if not align_corners:
            coord, clamp = _clip(coord, size)
            slope = slope * clamp
    return coord, slope


def _taps(x: np.ndarray, rows: np.ndarray, cols: np.ndarray):
    """Whether each (row, col) lies in the image, and x there ((N, Ho, Wo, C); 0 outside)."""
    n, _, h, w = x.shape
    valid = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    batch = np.arange(n).reshape(-1, 1, 1)
    values = x[batch, :, np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1)]
    return valid, values * valid[..., None]


def _corners(ix: np.ndarray, iy: np.ndarray):
    """The four neighbours (row, col, weight, d weight/d ix, d weight/d iy) of bilinear
    interpolation: weights (1 − tx or tx)·(1 − ty or ty), tx = ix − ⌊ix⌋."""
    x0, y0 = np.floor(ix), np.floor(iy)
    tx, ty = ix - x0, iy - y0
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    for dy in (0, 1):
        wy = ty if dy else 1 - ty
        for dx in (0, 1):
            wx = tx if dx else 1 - tx
            yield y0 + dy, x0 + dx, wx * wy, (1 if dx else -1) * wy, (1 if dy else -1) * wx


class GridSample2d(Function):
    """Y[n, c, i, j] = X[n, c] read at the pixel position (ix, iy) of grid[n, i, j] (module
    docstring), X: (N, C, H, W), grid: (N, Ho, Wo, 2), Y: (N, C, Ho, Wo).

    Bilinear: Y = Σ_k w_k · X[n, c, y_k, x_k] over the four neighbours k of (ix, iy), with
    w = (1 − tx)(1 − ty), tx(1 − ty), (1 − tx)ty, tx·ty, tx = ix − ⌊ix⌋, ty = iy − ⌊iy⌋;
    taps outside the image read 0. Nearest: Y = X[n, c, round(iy), round(ix)] (round half to
    even, as PyTorch's nearbyint).

    Backward, with G = dL/dY:
        dL/dX[n, c, y_k, x_k] += w_k · G[n, c, i, j]   (summed where points share a pixel)
        dL/dix = Σ_c G · Σ_k X_k · ∂w_k/∂ix,  ∂w/∂ix = ±(1 − ty or ty), likewise iy
        dL/dgrid[..., 0] = dL/dix · dix/dgx,   dL/dgrid[..., 1] = dL/diy · diy/dgy
    (the slopes of the module docstring). Nearest mode is piecewise constant in the grid:
    its grid gradient is 0, as in PyTorch.
    Saves: X and the grid (positions and weights are recomputed in backward).
    """

    @staticmethod
    def forward(ctx, x, grid, *, mode, padding_mode, align_corners):
        ctx.save_for_backward(x, grid)
        ctx.mode, ctx.padding_mode, ctx.align_corners = mode, padding_mode, align_corners
        ix, _ = source_index(grid[..., 0], x.shape[3], padding_mode, align_corners)
        iy, _ = source_index(grid[..., 1], x.shape[2], padding_mode, align_corners)
        if mode == "nearest":
            _, y = _taps(x, np.rint(iy).astype(np.int64), np.rint(ix).astype(np.int64))
        else:
            y = np.zeros(grid.shape[:3] + x.shape[1:2], dtype=x.dtype)
            for rows, cols, weight, _, _ in _corners(ix, iy):
                y += _taps(x, rows, cols)[1] * weight[..., None]
        return np.ascontiguousarray(y.transpose(0, 3, 1, 2))

    @staticmethod
    def backward(ctx, grad_out):
        x, grid = ctx.saved
        g = grad_out.transpose(0, 2, 3, 1)  # (N, Ho, Wo, C), the layout of the taps
        ix, slope_x = source_index(grid[..., 0], x.shape[3], ctx.padding_mode,
                                   ctx.align_corners)
        iy, slope_y = source_index(grid[..., 1], x.shape[2], ctx.padding_mode,
                                   ctx.align_corners)
        grad_x = np.zeros((x.shape[0],) + x.shape[2:] + x.shape[1:2], dtype=x.dtype)
        batch = np.broadcast_to(np.arange(x.shape[0]).reshape(-1, 1, 1), ix.shape)
        if ctx.mode == "nearest":
            taps = [(np.rint(iy).astype(np.int64), np.rint(ix).astype(np.int64),
                     np.ones_like(ix), None, None)]
        else:
            taps = list(_corners(ix, iy))
        grad_ix, grad_iy = np.zeros_like(ix), np.zeros_like(iy)
        for rows, cols, weight, weight_dx, weight_dy in taps:
            valid, values = _taps(x, rows, cols)
            if ctx.needs_input_grad[0]:
                np.add.at(grad_x, (batch[valid], rows[valid], cols[valid]),
                          (g * weight[..., None])[valid])
            if weight_dx is not None:
                upstream = np.sum(g * values, axis=-1)  # Σ_c G · X_k
                grad_ix += upstream * weight_dx
                grad_iy += upstream * weight_dy
        grad_grid = np.stack([grad_ix * slope_x, grad_iy * slope_y], axis=-1)
        return (grad_x.transpose(0, 3, 1, 2) if ctx.needs_input_grad[0] else None,
                grad_grid.astype(grid.dtype) if ctx.needs_input_grad[1] else None)

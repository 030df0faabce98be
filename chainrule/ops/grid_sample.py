"""Sampling (N, C, H, W) images and (N, C, D, H, W) volumes at arbitrary points:
``GridSample``, the Function behind ``functional.grid_sample``, differentiable with respect to
the image and the points.

A grid point (gx, gy) in [−1, 1]² becomes a pixel position (ix, iy) in two steps (each axis
alike, and z too for volumes), each a function of one coordinate with a derivative the
backward pass needs:

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

import itertools

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
        with np.errstate(invalid="ignore"):  # ±inf and NaN fold to NaN, mapped to 0 below
            coord, fold = _reflect(coord, *twice)
        slope = slope * fold
        if not align_corners:
            coord, clamp = _clip(coord, size)
            slope = slope * clamp
    if padding_mode != "zeros":  # a NaN coordinate reads the first pixel, as in PyTorch
        lost = np.isnan(coord)
        coord, slope = np.where(lost, 0, coord), np.where(lost, 0, slope)
    return coord, slope


def _to_int(position: np.ndarray) -> np.ndarray:
    """Integer positions; a non-finite or huge one becomes −2, outside any image."""
    return np.where(np.abs(position) < 2.0 ** 62, position, -2).astype(np.int64)


def _positions(x: np.ndarray, grid: np.ndarray, padding_mode: str, align_corners: bool):
    """Per spatial axis of x, in x's order ((D,) H, W), the positions of the grid points and
    their slopes; the grid's last axis lists the coordinates the other way round (x, y[, z])."""
    dims = grid.shape[-1]
    return [source_index(grid[..., dims - 1 - axis], x.shape[2 + axis], padding_mode,
                         align_corners) for axis in range(dims)]


def _taps(x: np.ndarray, coords: list[np.ndarray]):
    """Whether each integer position (one array per spatial axis) lies in x, and x there
    ((N, *out, C); 0 outside)."""
    n, sizes = x.shape[0], x.shape[2:]
    valid = np.ones(coords[0].shape, dtype=bool)
    for c, size in zip(coords, sizes):
        valid &= (c >= 0) & (c < size)
    batch = np.arange(n).reshape((-1,) + (1,) * (coords[0].ndim - 1))
    clipped = [np.clip(c, 0, size - 1) for c, size in zip(coords, sizes)]
    values = x[(batch, slice(None), *clipped)]
    return valid, values * valid[..., None]


def _corners(positions: list[np.ndarray]):
    """The 2^dims neighbours of (multi)linear interpolation, each as (integer positions,
    weight, [∂weight/∂position per axis]): weight = Π_axis (1 − t or t), t = p − ⌊p⌋, and
    ∂weight/∂p_a = ±Π_{axis ≠ a} (1 − t or t)."""
    low = [np.floor(p) for p in positions]
    with np.errstate(invalid="ignore"):  # ±inf: a NaN weight, a NaN output, as in PyTorch
        frac = [p - f for p, f in zip(positions, low)]
    low = [_to_int(f) for f in low]
    for corner in itertools.product((0, 1), repeat=len(positions)):
        factors = [t if up else 1 - t for t, up in zip(frac, corner)]
        weight = np.prod(factors, axis=0)
        slopes = [(1 if up else -1) * np.prod(factors[:a] + factors[a + 1:], axis=0)
                  for a, up in enumerate(corner)]
        yield [f + up for f, up in zip(low, corner)], weight, slopes


def _neighbours(mode: str, positions: list[np.ndarray]):
    if mode == "nearest":  # round half to even, as PyTorch's nearbyint
        return [([_to_int(np.rint(p)) for p in positions], 1.0, None)]
    return _corners(positions)


class GridSample(Function):
    """Y[n, c, o] = X[n, c] read at the position p of grid[n, o] (module docstring), for
    images X: (N, C, H, W), grid: (N, Ho, Wo, 2), Y: (N, C, Ho, Wo), and likewise volumes
    X: (N, C, D, H, W), grid: (N, Do, Ho, Wo, 3), Y: (N, C, Do, Ho, Wo).

    Bilinear (trilinear for volumes): Y = Σ_k w_k · X[n, c, q_k] over the 2^dims neighbours
    q_k of p, w_k = Π_axis (1 − t or t), t = p − ⌊p⌋ per axis; taps outside X read 0.
    Nearest: Y = X[n, c, round(p)] (round half to even, as PyTorch's nearbyint).

    Backward, with G = dL/dY:
        dL/dX[n, c, q_k] += w_k · G[n, c, o]   (summed where points share a pixel)
        dL/dp_a = Σ_c G · Σ_k X_k · ∂w_k/∂p_a,  ∂w/∂p_a = ±Π of the other axes' factors
        dL/dgrid[..., a] = dL/dp_a · dp_a/dg_a   (the slopes of the module docstring)
    Nearest mode is piecewise constant in the grid: its grid gradient is 0, as in PyTorch.
    Saves: X and the grid (positions and weights are recomputed in backward).
    """

    @staticmethod
    def forward(ctx, x, grid, *, mode, padding_mode, align_corners):
        ctx.save_for_backward(x, grid)
        ctx.mode, ctx.padding_mode, ctx.align_corners = mode, padding_mode, align_corners
        positions = [p for p, _ in _positions(x, grid, padding_mode, align_corners)]
        y = np.zeros(grid.shape[:-1] + x.shape[1:2], dtype=x.dtype)
        for coords, weight, _ in _neighbours(mode, positions):
            y += _taps(x, coords)[1] * np.asarray(weight, dtype=x.dtype)[..., None]
        return np.ascontiguousarray(np.moveaxis(y, -1, 1))

    @staticmethod
    def backward(ctx, grad_out):
        x, grid = ctx.saved
        g = np.moveaxis(grad_out, 1, -1)  # (N, *out, C), the layout of the taps
        located = _positions(x, grid, ctx.padding_mode, ctx.align_corners)
        positions = [p for p, _ in located]
        grad_x = np.zeros((x.shape[0],) + x.shape[2:] + x.shape[1:2], dtype=x.dtype)
        batch = np.broadcast_to(np.arange(x.shape[0]).reshape((-1,) + (1,) * (grid.ndim - 2)),
                                grid.shape[:-1])
        grad_p = [np.zeros_like(p) for p in positions]
        for coords, weight, slopes in _neighbours(ctx.mode, positions):
            valid, values = _taps(x, coords)
            if ctx.needs_input_grad[0]:
                np.add.at(grad_x, (batch[valid], *(c[valid] for c in coords)),
                          (g * np.asarray(weight, dtype=x.dtype)[..., None])[valid])
            if slopes is not None:
                upstream = np.sum(g * values, axis=-1)  # Σ_c G · X_k
                for total, slope in zip(grad_p, slopes):
                    total += upstream * slope
        # the grid lists (x, y[, z]): the reverse of the spatial axes
        grad_grid = np.stack([total * slope for total, (_, slope) in
                              zip(grad_p, located)][::-1], axis=-1)
        return (np.moveaxis(grad_x, -1, 1) if ctx.needs_input_grad[0] else None,
                grad_grid.astype(grid.dtype) if ctx.needs_input_grad[1] else None)

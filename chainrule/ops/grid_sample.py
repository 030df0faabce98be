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

NOTE: bicubic mode, as PyTorch, skips step 2 for the point: it pads each of its 16 taps
instead (the integer pixel ⌊ix⌋ + k, k = −1 … 2, clamped or folded as above), so there
dix/dgx = scale and the padding moves only which pixel a tap reads.
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


def _unnormalise(grid: np.ndarray, size: int, align_corners: bool) -> tuple[np.ndarray,
                                                                              float]:
    """Step 1 of the module docstring: pixel positions, and d(position)/d(coordinate)."""
    if align_corners:
        scale = (size - 1) / 2
        return (grid + 1) * scale, scale
    return ((grid + 1) * size - 1) / 2, size / 2


def _pad(coord: np.ndarray, size: int, padding_mode: str,
         align_corners: bool) -> tuple[np.ndarray, np.ndarray | float]:
    """Step 2 of the module docstring: coord moved by the padding mode, and its slope."""
    slope: np.ndarray | float = 1.0
    if padding_mode == "border":
        coord, slope = _clip(coord, size)
    elif padding_mode == "reflection":
        twice = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        with np.errstate(invalid="ignore"):  # ±inf and NaN fold to NaN, mapped to 0 below
            coord, slope = _reflect(coord, *twice)
        if not align_corners:
            coord, clamp = _clip(coord, size)
            slope = slope * clamp
    if padding_mode != "zeros":  # a NaN coordinate reads the first pixel, as in PyTorch
        lost = np.isnan(coord)
        coord, slope = np.where(lost, 0, coord), np.where(lost, 0, slope)
    return coord, slope


def source_index(grid: np.ndarray, size: int, padding_mode: str,
                 align_corners: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pixel positions of normalised coordinates, and d(position)/d(coordinate)."""
    coord, scale = _unnormalise(grid, size, align_corners)
    coord, slope = _pad(coord, size, padding_mode, align_corners)
    return coord, np.broadcast_to(scale * slope, coord.shape).astype(grid.dtype)


def _to_int(position: np.ndarray) -> np.ndarray:
    """Integer positions; a non-finite or huge one becomes −2, outside any image."""
    return np.where(np.abs(position) < 2.0 ** 62, position, -2).astype(np.int64)


def _positions(x: np.ndarray, grid: np.ndarray, mode: str, padding_mode: str,
               align_corners: bool):
    """Per spatial axis of x, in x's order ((D,) H, W), the positions of the grid points and
    their slopes; the grid's last axis lists the coordinates the other way round (x, y[, z]).
    Bicubic points are only unnormalised: its taps are padded (``_cubic_axis``)."""
    dims = grid.shape[-1]
    point_padding = "zeros" if mode == "bicubic" else padding_mode
    return [source_index(grid[..., dims - 1 - axis], x.shape[2 + axis], point_padding,
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


def _products(axes: list[list[tuple]]):
    """The taps of a separable interpolation, from each axis's list of (integer positions,
    factor, ∂factor/∂position): every combination of one entry per axis, as (integer
    positions, weight, [∂weight/∂position per axis]), weight = Π_axis factor and
    ∂weight/∂p_a = ∂factor_a/∂p_a · Π_{axis ≠ a} factor."""
    for combination in itertools.product(*axes):
        coords, factors, slopes = zip(*combination)
        weight = np.prod(factors, axis=0)
        yield list(coords), weight, [slope * np.prod(factors[:a] + factors[a + 1:], axis=0)
                                     for a, slope in enumerate(slopes)]


def _linear_axis(position: np.ndarray) -> list[tuple]:
    """Linear interpolation's two taps on one axis: ⌊p⌋ with 1 − t, ⌊p⌋ + 1 with t, t = p − ⌊p⌋
    (∂/∂p: −1 and 1)."""
    low = np.floor(position)
    with np.errstate(invalid="ignore"):  # ±inf: a NaN weight, a NaN output, as in PyTorch
        t = position - low
    low = _to_int(low)
    return [(low, 1 - t, -1.0), (low + 1, t, 1.0)]


CUBIC_A = -0.75  # PyTorch's (and OpenCV's) cubic convolution coefficient, as interpolate's


def cubic_coefficients(t: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The weights of cubic convolution (Keys, A = −0.75) at the taps ⌊p⌋ − 1 … ⌊p⌋ + 2 of a
    point p = ⌊p⌋ + t, k(1 + t), k(t), k(1 − t), k(2 − t), where
        k(s) = (A + 2)s³ − (A + 3)s² + 1      for s ≤ 1,  k'(s) = 3(A + 2)s² − 2(A + 3)s,
        k(s) = A·s³ − 5A·s² + 8A·s − 4A       for 1 < s < 2,  k'(s) = 3A·s² − 10A·s + 8A;
    and their derivatives with respect to t: k'(1 + t), k'(t), −k'(1 − t), −k'(2 − t)."""
    a = CUBIC_A
    near, far = [t, 1 - t], [t + 1, 2 - t]
    weights = [((a * s - 5 * a) * s + 8 * a) * s - 4 * a for s in far]
    weights[1:1] = [((a + 2) * s - (a + 3)) * s * s + 1 for s in near]
    slopes = [(3 * a * s - 10 * a) * s + 8 * a for s in far]
    slopes[1:1] = [(3 * (a + 2) * s - 2 * (a + 3)) * s for s in near]
    return weights, [slopes[0], slopes[1], -slopes[2], -slopes[3]]


def _cubic_axis(position: np.ndarray, size: int, padding_mode: str,
                align_corners: bool) -> list[tuple]:
    """Cubic convolution's four taps on one axis: the pixels ⌊p⌋ − 1 … ⌊p⌋ + 2, each moved by
    the padding mode (as PyTorch pads taps, not the point), with their weights and slopes."""
    low = np.floor(position)
    with np.errstate(invalid="ignore"):  # ±inf: a NaN weight, a NaN output, as in PyTorch
        weights, slopes = cubic_coefficients(position - low)
    taps = [_to_int(_pad(low + offset, size, padding_mode, align_corners)[0])
            for offset in (-1, 0, 1, 2)]
    return list(zip(taps, weights, slopes))


def _neighbours(mode: str, positions: list[np.ndarray], sizes: tuple[int, ...],
                padding_mode: str, align_corners: bool):
    """The taps (integer positions, weight, [∂weight/∂position per axis]) of each mode."""
    if mode == "nearest":  # round half to even, as PyTorch's nearbyint
        return [([_to_int(np.rint(p)) for p in positions], 1.0, None)]
    if mode == "bicubic":
        return _products([_cubic_axis(p, size, padding_mode, align_corners)
                          for p, size in zip(positions, sizes)])
    return _products([_linear_axis(p) for p in positions])


def _located_taps(x: np.ndarray, grid: np.ndarray, mode: str, padding_mode: str,
                  align_corners: bool):
    """The points' positions with their slopes (``_positions``), and their taps."""
    located = _positions(x, grid, mode, padding_mode, align_corners)
    positions = [p for p, _ in located]
    return located, _neighbours(mode, positions, x.shape[2:], padding_mode, align_corners)


class GridSample(Function):
    """Y[n, c, o] = X[n, c] read at the position p of grid[n, o] (module docstring), for
    images X: (N, C, H, W), grid: (N, Ho, Wo, 2), Y: (N, C, Ho, Wo), and likewise volumes
    X: (N, C, D, H, W), grid: (N, Do, Ho, Wo, 3), Y: (N, C, Do, Ho, Wo).

    Every interpolating mode is separable: Y = Σ_k w_k · X[n, c, q_k] over taps q_k near p,
    with w_k = Π_axis f_k,axis(p_axis), one factor per axis; taps outside X read 0.
    Bilinear (trilinear for volumes): the 2^dims neighbours ⌊p⌋ and ⌊p⌋ + 1 per axis, with
    factors 1 − t and t, t = p − ⌊p⌋ (∂f/∂p = −1 and 1).
    Bicubic (images only): the 4 × 4 taps ⌊p⌋ − 1 … ⌊p⌋ + 2 per axis, each moved into the
    image by the padding mode (module docstring), with the cubic convolution factors
    k(1 + t), k(t), k(1 − t), k(2 − t) and ∂f/∂p = ∂f/∂t (``cubic_coefficients``); p itself is
    only unnormalised, so dp/dg = scale.
    Nearest: Y = X[n, c, round(p)] (round half to even, as PyTorch's nearbyint).

    Backward, with G = dL/dY (⌊p⌋ and the padded taps are locally constant in p; the
    interpolant is continuous where ⌊p⌋ jumps, and bicubic's also has a continuous slope):
        dL/dX[n, c, q_k] += w_k · G[n, c, o]   (summed where taps share a pixel: points near
                                                each other, or bicubic's padded taps)
        dL/dp_a = Σ_c G · Σ_k X_k · ∂w_k/∂p_a,  ∂w_k/∂p_a = ∂f_k,a/∂p_a · Π_{axis ≠ a} f_k,axis
        dL/dgrid[..., a] = dL/dp_a · dp_a/dg_a   (the slopes of the module docstring)
    Nearest mode is piecewise constant in the grid: its grid gradient is 0, as in PyTorch.
    Saves: X and the grid (positions and weights are recomputed in backward).
    """

    @staticmethod
    def forward(ctx, x, grid, *, mode, padding_mode, align_corners):
        ctx.save_for_backward(x, grid)
        ctx.mode, ctx.padding_mode, ctx.align_corners = mode, padding_mode, align_corners
        _, taps = _located_taps(x, grid, mode, padding_mode, align_corners)
        y = np.zeros(grid.shape[:-1] + x.shape[1:2], dtype=x.dtype)
        for coords, weight, _ in taps:
            y += _taps(x, coords)[1] * np.asarray(weight, dtype=x.dtype)[..., None]
        return np.ascontiguousarray(np.moveaxis(y, -1, 1))

    @staticmethod
    def backward(ctx, grad_out):
        x, grid = ctx.saved
        g = np.moveaxis(grad_out, 1, -1)  # (N, *out, C), the layout of the taps
        located, taps = _located_taps(x, grid, ctx.mode, ctx.padding_mode, ctx.align_corners)
        grad_x = np.zeros((x.shape[0],) + x.shape[2:] + x.shape[1:2], dtype=x.dtype)
        batch = np.broadcast_to(np.arange(x.shape[0]).reshape((-1,) + (1,) * (grid.ndim - 2)),
                                grid.shape[:-1])
        grad_p = [np.zeros_like(p) for p, _ in located]
        for coords, weight, slopes in taps:
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

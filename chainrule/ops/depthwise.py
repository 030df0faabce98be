"""The direct path of ``DepthwiseConv2d`` for stride 1 (any kernel, padding, dilation), on
NumPy arrays, beside the general offset-by-offset path in ``conv.py`` (the reference it is
tested against: tests/ops/test_depthwise_direct.py).

Layout: the padded input of each (image, channel) pair is kept as one flat row of Hp·Wp
numbers, NCHW order. With stride 1, the output pixel (i, j) read by kernel offset (a, b)
sits at flat position (i + a·dh)·Wp + j + b·dw, so for a fixed offset the whole output,
computed on an (Ho, Wp) grid (Wp − Wo columns per row are discarded at the end), is ONE
contiguous slice of each row, starting at a·dh·Wp + b·dw:
    Y_grid[n, c, p] = Σ_t W[c, t] · Xflat[n, c, offset_t + p],   p < Ho·Wp
Each offset is then one multiply and one add over long contiguous runs, a block of images at
a time so that the block stays in cache, and:
    dL/dW[c, t] = Σ_{n, p} Xflat[n, c, offset_t + p] · G_grid[n, c, p]   (a batched dot)
    dL/dXflat[n, c, offset_t + p] += W[c, t] · G_grid[n, c, p]
with G_grid zero in the discarded columns, so the reads there contribute nothing. The
accumulation runs over the offsets in scan order, as on the general path; a channel
multiplier m > 1 repeats each input channel m times first (output channel c·m + k reads
input channel c), and its input gradient sums the m copies.
"""

from __future__ import annotations

import numpy as np

from .im2col import image_blocks

BLOCK_BYTES = 1 << 19  # images per block: as many as fit in this much of the padded input


def flat_geometry(shape, kernel, padding, dilation):
    """(Hp, Wp, Ho, Wo, offsets) of a stride-1 window over (N, C, H, W) padded by
    (top, bottom, left, right)."""
    hp = shape[2] + padding[0] + padding[1]
    wp = shape[3] + padding[2] + padding[3]
    ho, wo = hp - dilation[0] * (kernel[0] - 1), wp - dilation[1] * (kernel[1] - 1)
    offsets = [a * dilation[0] * wp + b * dilation[1]
               for a in range(kernel[0]) for b in range(kernel[1])]
    return hp, wp, ho, wo, offsets


def flat_padded(x: np.ndarray, padding, hp: int, wp: int, tail: int) -> np.ndarray:
    """(N, C, Hp·Wp + tail) rows: x zero-padded, flattened per (image, channel), and ``tail``
    zeros after each row (the last offsets' slices read up to Wp − Wo past Hp·Wp)."""
    n, c, h, w = x.shape
    flat = np.zeros((n, c, hp * wp + tail), dtype=x.dtype)
    image = flat[:, :, :hp * wp].reshape(n, c, hp, wp)
    image[:, :, padding[0]:padding[0] + h, padding[2]:padding[2] + w] = x
    return flat


def blocks(count: int, row_bytes: int) -> list[slice]:
    """Slices of ``count`` images, each block at most BLOCK_BYTES (at least one image)."""
    return image_blocks(count, row_bytes, BLOCK_BYTES)


def forward(xflat: np.ndarray, taps: np.ndarray, offsets, length: int) -> np.ndarray:
    """Y_grid (N, C, length) = Σ_t taps[t] · Xflat[:, :, offsets[t]:][..., :length], taps
    (T, 1, C, 1); summed over t in order."""
    n, c, _ = xflat.shape
    y = np.empty((n, c, length), dtype=xflat.dtype)
    scratch = None
    for block in blocks(n, xflat[0].nbytes):
        rows, out = xflat[block], y[block]
        np.multiply(rows[:, :, offsets[0]:offsets[0] + length], taps[0], out=out)
        if scratch is None:
            scratch = np.empty_like(out)
        tmp = scratch[:out.shape[0]]
        for t in range(1, len(offsets)):
            np.multiply(rows[:, :, offsets[t]:offsets[t] + length], taps[t], out=tmp)
            out += tmp
    return y


def grad_input(grid: np.ndarray, taps: np.ndarray, offsets, row: int) -> np.ndarray:
    """dL/dXflat (N, C, row): taps[t] · G_grid added at offsets[t], over t in order."""
    n, c, length = grid.shape
    grad = np.zeros((n, c, row), dtype=grid.dtype)
    parts = blocks(n, row * c * grid.itemsize)
    scratch = np.empty((parts[0].stop - parts[0].start, c, length), dtype=grid.dtype)
    for block in parts:
        g, out = grid[block], grad[block]
        tmp = scratch[:g.shape[0]]
        for t, offset in enumerate(offsets):
            np.multiply(g, taps[t], out=tmp)
            out[:, :, offset:offset + length] += tmp
    return grad


def grad_taps(xflat: np.ndarray, grid: np.ndarray, offsets) -> np.ndarray:
    """dL/dtaps (T, C): Σ_{n, p} Xflat[n, c, offsets[t] + p] · G_grid[n, c, p], one batched
    dot product per (n, c) row and offset."""
    length = grid.shape[2]
    rows = grid[:, :, None, :]
    return np.stack([np.matmul(rows, xflat[:, :, offset:offset + length, None])
                     .sum(axis=(0, 2, 3)) for offset in offsets])


def on_grid(grad_out: np.ndarray, wp: int) -> np.ndarray:
    """G (N, C, Ho, Wo) placed on the (Ho, Wp) grid, zero in the discarded columns, as
    (N, C, Ho·Wp)."""
    n, c, ho, wo = grad_out.shape
    grid = np.zeros((n, c, ho, wp), dtype=grad_out.dtype)
    grid[..., :wo] = grad_out
    return grid.reshape(n, c, ho * wp)

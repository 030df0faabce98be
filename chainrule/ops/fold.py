"""Sliding blocks as columns and back: ``Unfold`` (im2col in PyTorch's layout) and ``Fold``
(col2im, the sum of overlapping blocks), on (N, C, H, W) arrays.

Geometry per spatial dimension (see ``im2col``): with padding p on both sides, kernel k,
stride s and dilation d, the L = Lh·Lw block positions are O = ⌊(I + 2p − d(k − 1) − 1)/s⌋ + 1
per dimension, and kernel offset t of block o reads padded position o·s + t·d. Columns are
laid out (N, C·kh·kw, L), the channel slowest, then the kernel row, then the kernel column;
blocks in row-major order.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .im2col import tap


def unfold_values(x: np.ndarray, kernel, dilation, padding, stride, blocks) -> np.ndarray:
    """(N, C, H, W) -> (N, C·kh·kw, Lh·Lw): every block of the zero-padded input."""
    n, c = x.shape[:2]
    (ph, pw), (lh, lw) = padding, blocks
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((n, c, kernel[0], kernel[1], lh, lw), dtype=x.dtype)
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            cols[:, :, a, b] = padded[:, :, tap(a, dilation[0], stride[0], lh),
                                      tap(b, dilation[1], stride[1], lw)]
    return cols.reshape(n, c * kernel[0] * kernel[1], lh * lw)


def fold_values(cols: np.ndarray, size, kernel, dilation, padding, stride,
                blocks) -> np.ndarray:
    """(N, C·kh·kw, Lh·Lw) -> (N, C, H, W): each column entry added at the position that
    ``unfold_values`` reads it from; entries that fall in the padding are dropped."""
    n = cols.shape[0]
    c = cols.shape[1] // (kernel[0] * kernel[1])
    (ph, pw), (lh, lw) = padding, blocks
    blocks6 = cols.reshape(n, c, kernel[0], kernel[1], lh, lw)
    padded = np.zeros((n, c, size[0] + 2 * ph, size[1] + 2 * pw), dtype=cols.dtype)
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            padded[:, :, tap(a, dilation[0], stride[0], lh),
                   tap(b, dilation[1], stride[1], lw)] += blocks6[:, :, a, b]
    return padded[:, :, ph:ph + size[0], pw:pw + size[1]]


class Unfold(Function):
    """Y = U X: the columns of every sliding block, Y[n, (c, a, b), (i, j)] =
    Xpad[n, c, i·sh + a·dh, j·sw + b·dw] (PyTorch's ``unfold``; ``geometry`` holds kernel,
    dilation, padding, stride and the block counts).

    Backward. U is a 0/1 selection (each output reads one padded input position; positions
    in the padding are constants), so dL/dX = Uᵀ G: every column entry of G is added back at
    the position it was read from, overlapping blocks summing, padding dropped. That is
    ``fold`` of G (``fold_values``).

    Saves: the input's spatial size and the geometry (no arrays).
    """

    @staticmethod
    def forward(ctx, x, geometry):
        ctx.size, ctx.geometry = x.shape[2:], geometry
        return unfold_values(x, *geometry)

    @staticmethod
    def backward(ctx, grad_out):
        return fold_values(grad_out, ctx.size, *ctx.geometry)


class Fold(Function):
    """Y = Uᵀ X: columns (N, C·kh·kw, L) summed into an image (N, C, H, W) of ``size``, each
    entry added at the position ``Unfold`` would read it from (PyTorch's ``fold``).

    Backward. Y is linear in X with matrix Uᵀ, so dL/dX = (Uᵀ)ᵀ G = U G: the columns of G's
    blocks, i.e. ``unfold`` of G (``unfold_values``).

    Saves: the geometry (no arrays).
    """

    @staticmethod
    def forward(ctx, cols, size, geometry):
        ctx.geometry = geometry
        return fold_values(cols, size, *geometry)

    @staticmethod
    def backward(ctx, grad_out):
        return unfold_values(grad_out, *ctx.geometry)

"""Convolutions as GEMMs over strided windows: Conv2d and its adjoint ConvTranspose2d.

Both are fused Functions (a composite of pad, window gather, reshape and matmul would build
the (N·Ho·Wo, kh·kw·C) column matrix several times over and keep every intermediate). The
window helpers and the memory layout (channels-last columns, NCHW views of NHWC results)
are described in ``im2col.py``. Conv1d is Conv2d with a height-1 image, done in functional.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .im2col import col2im, im2col, nhwc_to_nchw, output_size, to_channels_last


def weight_matrix(weight: np.ndarray, groups: int, transposed: bool = False) -> np.ndarray:
    """A conv weight as per-group GEMM operands.

    Conv2d (O, C/g, kh, kw) -> (g, kh·kw·C/g, O/g), rows in the (kh, kw, c) order of the
    columns. ConvTranspose2d (C, O/g, kh, kw) -> (g, C/g, kh·kw·O/g).
    """
    first, second, kh, kw = weight.shape
    split = weight.reshape(groups, first // groups, second, kh, kw)
    if transposed:
        return split.transpose(0, 1, 3, 4, 2).reshape(groups, first // groups, -1)
    return split.transpose(0, 3, 4, 2, 1).reshape(groups, kh * kw * second, first // groups)


def weight_from_matrix(matrix: np.ndarray, shape: tuple[int, ...], groups: int,
                       transposed: bool = False) -> np.ndarray:
    """The inverse of ``weight_matrix``: a gradient in GEMM layout back to the weight's."""
    first, second, kh, kw = shape
    if transposed:
        split = matrix.reshape(groups, first // groups, kh, kw, second).transpose(0, 1, 4, 2, 3)
    else:
        split = matrix.reshape(groups, kh, kw, second, first // groups).transpose(0, 4, 3, 1, 2)
    return split.reshape(shape)


def grouped_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(g, P, K) @ (g, K, M) -> (P, g·M): the groups' products side by side in each row."""
    groups, rows, cols = a.shape[0], a.shape[1], b.shape[2]
    result = np.empty((rows, groups, cols), dtype=np.result_type(a, b))
    np.matmul(a, b, out=result.transpose(1, 0, 2))
    return result.reshape(rows, groups * cols)


def as_group_rows(grad: np.ndarray, groups: int) -> np.ndarray:
    """(N, C, H, W) -> (g, N·H·W, C/g) view (a copy only if not channels-last in memory)."""
    n, c, h, w = grad.shape
    return grad.transpose(0, 2, 3, 1).reshape(n * h * w, groups, c // groups).transpose(1, 0, 2)


def column_sums(grad: np.ndarray) -> np.ndarray:
    """1ᵀ G over the rows of (g, P, O/g) -> (O,), as a BLAS matrix-vector product (one pass,
    several times faster than ``sum(axis=1)`` across rows)."""
    return np.matmul(np.ones(grad.shape[1], dtype=grad.dtype), grad).reshape(-1)


def tap_weights(wm: np.ndarray, taps: int, transposed: bool = False) -> np.ndarray:
    """The GEMM-layout weight as one (in, out) matrix per kernel offset and group:
    (taps, g, O/g, C/g) from Conv2d's (g, K, O/g), for G̃ W̃ᵀ split by offset;
    (taps, g, C/g, O/g) from ConvTranspose2d's (g, C/g, K). A view, no copy."""
    g, first, second = wm.shape
    if transposed:
        return wm.reshape(g, first, taps, second // taps).transpose(2, 0, 1, 3)
    return wm.reshape(g, taps, first // taps, second).transpose(1, 0, 3, 2)


class Conv2d(Function):
    """Y = X ⋆ W + b: 2-D cross-correlation, X: (N, C, H, W), W: (O, C/g, kh, kw), b: (O,),
    Y: (N, O, Ho, Wo), with stride, zero padding (top, bottom, left, right), dilation, and
    g groups (group k's outputs see only group k's C/g input channels).

    Forward, per group, with X̃ = im2col(pad(X)): (P, K), P = N·Ho·Wo, K = kh·kw·C/g, and
    W̃ = W as (K, O/g):
        Y[n, o, i, j] = Σ_{c, a, b} W[o, c, a, b] · Xpad[n, c, i·sh + a·dh, j·sw + b·dw] + b[o]
        Ỹ = X̃ W̃ + 1bᵀ        (P, K) @ (K, O/g) -> (P, O/g), Ỹ is Y channels-last
    Backward, from dL = ⟨G̃, dỸ⟩ with G̃ = dL/dY as (P, O/g):
        dL/dW̃ = X̃ᵀ G̃        (K, P) @ (P, O/g) -> (K, O/g), reshaped to W's layout
        dL/dX̃ = G̃ W̃ᵀ        (P, O/g) @ (O/g, K) -> (P, K)
        dL/dX = crop(col2im(dL/dX̃)): each column entry goes back to the input pixel it
                 was read from, summed where windows overlap, padding cut off
        dL/db = 1ᵀ G̃          column sums -> (O,)
    Saves X̃ (so backward does not redo the window gather) and W̃.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, dilation, groups):
        n, _, h, w = x.shape
        kernel = weight.shape[2:]
        out = (output_size(h, kernel[0], stride[0], padding[0], padding[1], dilation[0]),
               output_size(w, kernel[1], stride[1], padding[2], padding[3], dilation[1]))
        xh = to_channels_last(x, padding)
        cols = im2col(xh, kernel, stride, dilation, out, groups)
        wm = weight_matrix(weight, groups)
        y = grouped_matmul(cols, wm)
        if bias is not None:
            y += bias
        ctx.save_for_backward(cols, wm)
        ctx.geometry = (x.shape, xh.shape, weight.shape, stride, padding, dilation, out, groups)
        return nhwc_to_nchw(y, n, *out)

    @staticmethod
    def backward(ctx, grad_out):
        cols, wm = ctx.saved
        x_shape, padded, w_shape, stride, padding, dilation, out, groups = ctx.geometry
        grad = as_group_rows(grad_out, groups)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_xh = col2im(grad, tap_weights(wm, w_shape[2] * w_shape[3]), padded,
                             w_shape[2:], stride, dilation, out)
            top, left = padding[0], padding[2]
            grad_x = grad_xh[:, top:top + x_shape[2], left:left + x_shape[3]].transpose(0, 3, 1, 2)
        if ctx.needs_input_grad[1]:
            grad_w = weight_from_matrix(np.matmul(cols.transpose(0, 2, 1), grad), w_shape, groups)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            grad_b = column_sums(grad)
        return (grad_x, grad_w, grad_b)[: len(ctx.needs_input_grad)]


class ConvTranspose2d(Function):
    """Y = X ⋆ᵀ W + b: the transposed convolution (the gradient of Conv2d with respect to its
    input, used as a layer), X: (N, C, H, W), W: (C, O/g, kh, kw), b: (O,), Y: (N, O, Ho, Wo)
    with Ho = (H − 1)·sh − 2·ph + dh·(kh − 1) + output_padding_h + 1 (likewise Wo).

    Forward, per group, with X̃ = X channels-last (P, C/g), P = N·H·W, W̃ = W as (C/g, K),
    K = kh·kw·O/g: every input pixel scatters its weighted kernel into the output canvas,
        Z̃ = X̃ W̃               (P, C/g) @ (C/g, K) -> (P, K)
        Y = crop(col2im(Z̃)) + b   (the canvas is cropped by the padding; output_padding
                                  extends it at the bottom/right)
    Backward, G = dL/dY: the adjoint of crop is zero padding, and of col2im is im2col:
        G̃ = im2col(pad(G))    (P, K)      (windows at the input pixels' positions)
        dL/dX̃ = G̃ W̃ᵀ          (P, K) @ (K, C/g) -> (P, C/g), i.e. a Conv2d of G
        dL/dW̃ = X̃ᵀ G̃          (C/g, P) @ (P, K) -> (C/g, K), reshaped to W's layout
        dL/db = Σ_{n,i,j} G[n, :, i, j]
    Saves X̃ and W̃.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, output_padding, dilation,
                groups):
        n, _, h, w = x.shape
        xm = as_group_rows(x, groups)
        wm = weight_matrix(weight, groups, transposed=True)
        full, (ho, wo) = transposed_size((h, w), weight.shape[2:], stride, padding,
                                         output_padding, dilation)
        canvas = (n, max(full[0], padding[0] + ho), max(full[1], padding[1] + wo),
                  weight.shape[1] * groups)
        z = col2im(xm, tap_weights(wm, weight.shape[2] * weight.shape[3], True), canvas,
                   weight.shape[2:], stride, dilation, (h, w))
        y = z[:, padding[0]:padding[0] + ho, padding[1]:padding[1] + wo]
        y = y + bias if bias is not None else y
        ctx.save_for_backward(xm, wm)
        ctx.geometry = (x.shape, canvas, weight.shape, stride, padding, dilation, groups)
        return y.transpose(0, 3, 1, 2)

    @staticmethod
    def backward(ctx, grad_out):
        xm, wm = ctx.saved
        x_shape, canvas, w_shape, stride, padding, dilation, groups = ctx.geometry
        ho, wo = grad_out.shape[2:]
        pads = (padding[0], canvas[1] - padding[0] - ho, padding[1], canvas[2] - padding[1] - wo)
        gcols = im2col(to_channels_last(grad_out, pads), w_shape[2:], stride, dilation,
                       x_shape[2:], groups)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = nhwc_to_nchw(grouped_matmul(gcols, wm.transpose(0, 2, 1)), x_shape[0],
                                  *x_shape[2:])
        if ctx.needs_input_grad[1]:
            grad_w = weight_from_matrix(np.matmul(xm.transpose(0, 2, 1), gcols), w_shape,
                                        groups, transposed=True)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            grad_b = grad_out.sum(axis=(0, 2, 3))
        return (grad_x, grad_w, grad_b)[: len(ctx.needs_input_grad)]


def transposed_size(size, kernel, stride, padding, output_padding, dilation):
    """(full canvas size, output size) per spatial dimension of a transposed convolution:
    full = (I − 1)·s + d·(k − 1) + 1 and out = full − 2·p + output_padding."""
    full = [(i - 1) * s + d * (k - 1) + 1 for i, k, s, d in zip(size, kernel, stride, dilation)]
    out = [f - 2 * p + op for f, p, op in zip(full, padding, output_padding)]
    return full, out

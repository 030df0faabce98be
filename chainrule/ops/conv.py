"""Convolutions as GEMMs over strided windows: Conv2d, DepthwiseConv2d and the adjoint
ConvTranspose2d.

All are fused Functions (a composite of pad, window gather, reshape and matmul would build
the (N·Ho·Wo, kh·kw·C) column matrix several times over and keep every intermediate). The
window helpers and the memory layout (channels-last columns, NCHW views of NHWC results)
are described in ``im2col.py``. Depthwise convolutions (one input channel per group) would
be C one-column GEMMs, so they loop over the kernel offsets instead. Conv1d is Conv2d with a
height-1 image, done in functional.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ..autograd import Function
from ..kernels import over_batch
from . import depthwise
from .im2col import (
    COLUMN_BLOCK_BYTES,
    col2im,
    columns_of,
    im2col,
    image_blocks,
    kernel_offsets,
    nhwc_to_nchw,
    output_size,
    to_channels_last,
    windows,
)
from .unary import ReluAfter
from .workspace import WORKSPACE


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


def grouped_matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """(g, P, K) @ (g, K, M) -> (P, g·M): the groups' products side by side in each row
    (written into ``out``, a C-contiguous (P, g·M) array, when given)."""
    groups, rows, cols = a.shape[0], a.shape[1], b.shape[2]
    if out is None:
        out = np.empty((rows, groups * cols), dtype=np.result_type(a, b))
    np.matmul(a, b, out=out.reshape(rows, groups, cols).transpose(1, 0, 2))
    return out


# A 1×1 convolution with stride 1 and no padding reads each pixel once: its column matrix
# is the channels-last input itself, so it skips im2col and col2im (switch for the tests).
DIRECT_POINTWISE = True


def is_pointwise(kernel, stride, padding) -> bool:
    return tuple(kernel) == (1, 1) and tuple(stride) == (1, 1) and not any(padding)


def pointwise_backward(ctx, xh, wm, grad):
    """Conv2d.backward for a 1×1 window: dL/dX̃ = G̃ W̃ᵀ is dL/dX channels-last, and
    dL/dW̃ = X̃ᵀ G̃ with X̃ = X channels-last."""
    x_shape, _, w_shape, *_, groups = ctx.geometry
    grad_x = grad_w = grad_b = None
    if ctx.needs_input_grad[0]:
        grad_x = nhwc_to_nchw(grouped_matmul(grad, wm.transpose(0, 2, 1)), x_shape[0],
                              *x_shape[2:])
    if ctx.needs_input_grad[1]:
        cols = as_group_rows(xh.transpose(0, 3, 1, 2), groups)
        grad_w = weight_from_matrix(np.matmul(cols.transpose(0, 2, 1), grad), w_shape, groups)
    if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
        grad_b = column_sums(grad)
    return (grad_x, grad_w, grad_b)[: len(ctx.needs_input_grad)]


def column_blocks(shape, out, kernel, itemsize: int, images: slice | None = None):
    """(image slice, row slice of Ỹ) per block of the images ``images`` (all when None) of
    an (N, C, H, W) input whose columns fit ``COLUMN_BLOCK_BYTES``: an image has Ho·Wo rows
    of kh·kw·C numbers."""
    images = slice(0, shape[0]) if images is None else images
    per_image = out[0] * out[1]
    image_bytes = per_image * kernel[0] * kernel[1] * shape[1] * itemsize
    blocks = image_blocks(images.stop - images.start, image_bytes, COLUMN_BLOCK_BYTES)
    return [(slice(images.start + b.start, images.start + b.stop),
             slice((images.start + b.start) * per_image, (images.start + b.stop) * per_image))
            for b in blocks]


# Whether Conv2d splits its batch over chainrule's threads (each thread then runs its own
# GEMMs) or runs whole-batch with the GEMMs threaded by BLAS alone (benchmarks/README.md).
SPLIT_CONVOLUTIONS = True


def column_bytes(shape, out, kernel, itemsize: int, channels_out: int) -> int:
    """The bytes a pass over the whole column matrix X̃ and Ỹ (or G̃) moves, the size of the
    work for ``over_batch`` (0, never split, when ``SPLIT_CONVOLUTIONS`` is off)."""
    if not SPLIT_CONVOLUTIONS:
        return 0
    return shape[0] * out[0] * out[1] * (kernel[0] * kernel[1] * shape[1] + channels_out) \
        * itemsize


def conv_forward_images(y, view, wm, bias, groups, geometry, images: slice) -> None:
    """Ỹ's rows of the images ``images``: X̃ W̃ + 1bᵀ, a block of columns at a time."""
    blocks = column_blocks(*geometry, images)
    buffer = column_buffer(view, blocks)
    for block, rows in blocks:
        grouped_matmul(columns_of(view[block], groups, buffer), wm, out=y[rows])
    if bias is not None:
        out = geometry[1]
        per_image = out[0] * out[1]
        y[images.start * per_image:images.stop * per_image] += bias


def weight_grad_images(view, grad, wm_shape, groups, geometry, images: slice) -> np.ndarray:
    """Σ over the images ``images`` of X̃ᵀ G̃ (K, O/g) per group, a block of columns at a time."""
    total = np.zeros(wm_shape, dtype=grad.dtype)
    blocks = column_blocks(*geometry, images)
    buffer = column_buffer(view, blocks)
    for block, rows in blocks:
        cols = columns_of(view[block], groups, buffer)
        total += np.matmul(cols.transpose(0, 2, 1), grad[:, rows])
    return total


def column_buffer(view: np.ndarray, blocks) -> np.ndarray:
    """One flat array that holds the columns of the largest of ``blocks`` (reused by each):
    this thread's ``WORKSPACE`` scratch, kept from call to call."""
    images = max((block.stop - block.start for block, _ in blocks), default=0)
    per_image = int(np.prod(view.shape[1:]))
    return WORKSPACE.get("conv2d.columns", (images * per_image,), view.dtype)


def blocked_col2im(grad, weights, image, kernel, stride, dilation, out, images: slice) -> None:
    """``col2im`` of the images ``images`` into ``image`` (N, Hp, Wp, C), zeroed first, a
    block of whole images at a time (images of about ``COLUMN_BLOCK_BYTES`` together):
    windows never cross images, so the blocks are independent, and each stays in cache
    while its kh·kw products are added in. The same sums in the same order (BLAS may
    round a product of fewer rows differently: tests/ops/test_conv_blocks.py)."""
    per_image, image_bytes = out[0] * out[1], image.itemsize * int(np.prod(image.shape[1:]))
    image[images] = 0
    for block in image_blocks(images.stop - images.start, image_bytes, COLUMN_BLOCK_BYTES):
        block = slice(images.start + block.start, images.start + block.stop)
        rows = grad[:, block.start * per_image:block.stop * per_image]
        col2im(rows, weights, image[block].shape, kernel, stride, dilation, out,
               image=image[block])


def backward_images(grad, xh, wm, grad_xh, need_w: bool, need_b: bool, geometry,
                    images: slice):
    """One chunk of ``Conv2d.backward``, for the images ``images``: their dL/dX written into
    ``grad_xh`` (skipped when None), and their partial sums (dL/dW̃, dL/db), each None
    when not needed. One hand-off to the threads for the three gradients."""
    x_shape, _, w_shape, stride, _, dilation, out, groups = geometry
    kernel, per_image = w_shape[2:], out[0] * out[1]
    if grad_xh is not None:
        blocked_col2im(grad, tap_weights(wm, kernel), grad_xh, kernel, stride, dilation, out,
                       images)
    grad_wm = grad_b = None
    if need_w:
        grad_wm = weight_grad_images(windows(xh, kernel, stride, dilation, out), grad,
                                     wm.shape, groups, (x_shape, out, kernel, xh.itemsize),
                                     images)
    if need_b:
        grad_b = column_sums(grad[:, images.start * per_image:images.stop * per_image])
    return grad_wm, grad_b


def sum_in_chunk_order(partials: list[tuple]) -> list:
    """The sums of per-chunk tuples of partial sums (None entries stay None), each added in
    chunk order into the first chunk's arrays: the same bits on every run."""
    totals = list(partials[0])
    for more in partials[1:]:
        for i, part in enumerate(more):
            if part is not None:
                totals[i] += part
    return totals


def as_group_rows(grad: np.ndarray, groups: int) -> np.ndarray:
    """(N, C, H, W) -> (g, N·H·W, C/g) view (a copy only if not channels-last in memory)."""
    n, c, h, w = grad.shape
    return grad.transpose(0, 2, 3, 1).reshape(n * h * w, groups, c // groups).transpose(1, 0, 2)


def crop_to_nchw(image: np.ndarray, top: int, left: int, size) -> np.ndarray:
    """The (N, C, h, w) view of a channels-last (N, Hp, Wp, C) image cut at (top, left)."""
    return image[:, top:top + size[0], left:left + size[1]].transpose(0, 3, 1, 2)


def column_sums(grad: np.ndarray) -> np.ndarray:
    """1ᵀ G over the rows of (g, P, O/g) -> (O,), as a BLAS matrix-vector product (one pass,
    several times faster than ``sum(axis=1)`` across rows)."""
    return np.matmul(np.ones(grad.shape[1], dtype=grad.dtype), grad).reshape(-1)


def tap_weights(wm: np.ndarray, kernel, transposed: bool = False) -> np.ndarray:
    """The GEMM-layout weight as one (in, out) matrix per kernel offset and group:
    (taps, g, O/g, C/g) from Conv2d's (g, K, O/g), for G̃ W̃ᵀ split by offset;
    (taps, g, C/g, O/g) from ConvTranspose2d's (g, C/g, K). A view, no copy."""
    g, first, second = wm.shape
    taps = kernel[0] * kernel[1]
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
                 was read from, summed where windows overlap, padding cut off (col2im
                 forms G̃ W̃ᵀ one kernel offset at a time, (P, O/g) @ (O/g, C/g) each)
        dL/db = 1ᵀ G̃          column sums -> (O,)
    X̃ is built a block of images at a time (``im2col.COLUMN_BLOCK_BYTES``) and dropped after
    its block's GEMM, Ỹ and dL/dW̃ are accumulated block by block, and backward rebuilds the
    blocks of X̃ from the padded input: the memory rule is that X̃ is never kept, nor whole
    (blocks of it stay in cache between the copy and the GEMM, which pays for the rebuild).
    Images are independent, so the batch is split over chainrule's threads
    (``kernels.over_batch``): each chunk's rows of Ỹ and dL/dX, and its partial dL/dW̃ and
    dL/db, added in chunk order (backward hands the three gradients over in one call).
    Saves pad(X) channels-last (the size of X plus its border) and W̃.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, dilation, groups):
        n, _, h, w = x.shape
        kernel = weight.shape[2:]
        out = (output_size(h, kernel[0], stride[0], padding[0], padding[1], dilation[0]),
               output_size(w, kernel[1], stride[1], padding[2], padding[3], dilation[1]))
        xh = to_channels_last(x, padding)
        wm = weight_matrix(weight, groups)
        ctx.pointwise = DIRECT_POINTWISE and is_pointwise(kernel, stride, padding)
        if ctx.pointwise:  # X̃ is X channels-last itself: no copy, one GEMM each way
            y = grouped_matmul(as_group_rows(xh.transpose(0, 3, 1, 2), groups), wm)
            if bias is not None:
                y += bias
            ctx.save_for_backward(xh, wm)
            ctx.geometry = (x.shape, xh.shape, weight.shape, stride, padding, dilation, out,
                            groups)
            return nhwc_to_nchw(y, n, *out)
        y = WORKSPACE.spare("conv2d.output", (n * out[0] * out[1], weight.shape[0]),
                            np.result_type(x, weight))
        view = windows(xh, kernel, stride, dilation, out)
        geometry = (x.shape, out, kernel, x.itemsize)
        over_batch(partial(conv_forward_images, y, view, wm, bias, groups, geometry), n,
                   column_bytes(*geometry, weight.shape[0]))
        ctx.save_for_backward(xh, wm)
        ctx.geometry = (x.shape, xh.shape, weight.shape, stride, padding, dilation, out, groups)
        return nhwc_to_nchw(y, n, *out)

    @staticmethod
    def backward(ctx, grad_out):
        xh, wm = ctx.saved[:2]  # (Conv2dReLU saves its output after them)
        x_shape, padded, w_shape, stride, padding, dilation, out, groups = ctx.geometry
        grad, grad_x, grad_w, grad_b = as_group_rows(grad_out, groups), None, None, None
        if ctx.pointwise:
            return pointwise_backward(ctx, xh, wm, grad)
        geometry = (x_shape, out, w_shape[2:], xh.itemsize)
        need = tuple(ctx.needs_input_grad) + (False,)
        # A fresh canvas, not a WORKSPACE array: one kept from the last step would be alive at
        # the next forward's peak (measured with the max-pool canvases: +6 MB of the CNN
        # step's peak RSS growth).
        grad_xh = np.empty(padded, dtype=grad.dtype) if need[0] else None
        chunk = partial(backward_images, grad, xh, wm, grad_xh, need[1], need[2], ctx.geometry)
        partials = over_batch(chunk, x_shape[0], column_bytes(*geometry, w_shape[0]))
        grad_wm, grad_b = sum_in_chunk_order(partials)
        if need[0]:
            grad_x = crop_to_nchw(grad_xh, padding[0], padding[2], x_shape[2:])
        if need[1]:
            grad_w = weight_from_matrix(grad_wm, w_shape, groups)
        return (grad_x, grad_w, grad_b)[: len(ctx.needs_input_grad)]


class Conv2dReLU(ReluAfter):
    """Y = max(conv2d(X, W, b), 0): ``Conv2d`` and ``Relu`` as one graph node (``ReluAfter``,
    where the derivation is), for a Conv2d layer directly followed by a ReLU in
    ``nn.Sequential`` (its fast path, ``nn.fusion``). Saves what Conv2d saves, and Y."""

    layer = Conv2d


class DepthwiseConv2d(Function):
    """Conv2d with one input channel per group (groups = C, O = C·m): each channel c is
    convolved with its own m kernels. X: (N, C, H, W), W: (C·m, 1, kh, kw), b: (C·m,).

    A per-group GEMM would be C products with one-column operands, so this Function loops
    over the kh·kw kernel offsets instead, each a vectorised product over the whole output
    (channels-last, Y as (N, Ho, Wo, m, C); Xt = the padded input's slice that offset t
    reads, (N, Ho, Wo, C); Wt[o, c] = W[c·m + o, 0, a, b]):
        Y[..., o, c] = Σ_t Xt[..., c] · Wt[o, c] + b[c·m + o]
    Backward, G = dL/dY as (N, Ho, Wo, m, C):
        dL/dWt[o, c] = Σ_{n,i,j} Xt[n, i, j, c] · G[n, i, j, o, c]     -> (m, C) per offset
        dL/dXt[..., c] = Σ_o G[..., o, c] · Wt[o, c], added at the pixels offset t read
                         (windows overlap), then the padding is cut off
        dL/db = Σ_{n,i,j} G
    Saves the padded channels-last input (not a kh·kw times larger column matrix) and Wt.

    Stride 1 (the common case) takes the direct path of ``depthwise.py`` instead (the same
    sums over the offsets, on flat NCHW rows; switch: ``DIRECT_DEPTHWISE``), which saves
    the padded input as flat rows and the weight as (kh·kw, 1, C·m, 1) taps.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, dilation):
        ctx.direct = DIRECT_DEPTHWISE and tuple(stride) == (1, 1)
        if ctx.direct:
            return direct_forward(ctx, x, weight, bias, padding, dilation)
        n, c, h, w = x.shape
        out = (output_size(h, weight.shape[2], stride[0], padding[0], padding[1], dilation[0]),
               output_size(w, weight.shape[3], stride[1], padding[2], padding[3], dilation[1]))
        xh = to_channels_last(x, padding)
        wt = weight.reshape(c, -1, weight.shape[2] * weight.shape[3]).transpose(2, 1, 0)
        taps = kernel_offsets(weight.shape[2:], stride, dilation, out)
        y = xh[:, taps[0][0], taps[0][1], None, :] * wt[0]  # (N, Ho, Wo, m, C)
        for t, (rows, cols) in enumerate(taps[1:], 1):
            y += xh[:, rows, cols, None, :] * wt[t]
        if bias is not None:
            y += bias.reshape(c, -1).T
        ctx.save_for_backward(xh, wt)
        ctx.geometry = (x.shape, weight.shape, padding, taps)
        return y.transpose(0, 1, 2, 4, 3).reshape(n, *out, -1).transpose(0, 3, 1, 2)

    @staticmethod
    def backward(ctx, grad_out):
        if ctx.direct:
            return direct_backward(ctx, grad_out)
        xh, wt = ctx.saved
        x_shape, w_shape, padding, taps = ctx.geometry
        n, _, ho, wo = grad_out.shape
        grad = grad_out.transpose(0, 2, 3, 1).reshape(n, ho, wo, x_shape[1], -1).swapaxes(3, 4)
        grad_x = grad_w = grad_b = None  # grad: G as (N, Ho, Wo, m, C)
        if ctx.needs_input_grad[0]:
            grad_x = crop_to_nchw(depthwise_col2im(grad, wt, xh, taps), padding[0], padding[2],
                                  x_shape[2:])
        if ctx.needs_input_grad[1]:
            grad_w = np.stack([np.einsum("nijc,nijoc->co", xh[:, rows, cols], grad)
                               for rows, cols in taps], axis=-1).reshape(w_shape)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            grad_b = grad.sum(axis=(0, 1, 2)).T.reshape(-1)
        return (grad_x, grad_w, grad_b)[: len(ctx.needs_input_grad)]


DIRECT_DEPTHWISE = True


def direct_forward(ctx, x, weight, bias, padding, dilation):
    """DepthwiseConv2d.forward for stride 1 by the direct path (``depthwise.py``)."""
    n, c, h, w = x.shape
    out_channels = weight.shape[0]
    hp, wp, ho, wo, offsets = depthwise.flat_geometry(x.shape, weight.shape[2:], padding,
                                                      dilation)
    source = np.repeat(x, out_channels // c, axis=1) if out_channels > c else x
    xflat = depthwise.flat_padded(source, padding, hp, wp, wp - wo)
    taps = np.ascontiguousarray(weight.reshape(out_channels, -1).T)[:, None, :, None]
    grid = depthwise.forward(xflat, taps, offsets, ho * wp).reshape(n, out_channels, ho, wp)
    ctx.save_for_backward(xflat, taps)
    ctx.geometry = (x.shape, weight.shape, padding, offsets, (hp, wp, ho, wo))
    y = grid[..., :wo]
    return np.ascontiguousarray(y) if bias is None else y + bias.reshape(-1, 1, 1)


def direct_backward(ctx, grad_out):
    """DepthwiseConv2d.backward for stride 1 by the direct path (``depthwise.py``)."""
    xflat, taps = ctx.saved
    x_shape, w_shape, padding, offsets, (hp, wp, ho, wo) = ctx.geometry
    grid = depthwise.on_grid(grad_out, wp)
    grad_x = grad_w = grad_b = None
    if ctx.needs_input_grad[0]:
        flat = depthwise.grad_input(grid, taps, offsets, xflat.shape[2])
        image = flat[:, :, :hp * wp].reshape(*flat.shape[:2], hp, wp)
        n, c, h, w = x_shape
        grad_x = image[:, :, padding[0]:padding[0] + h, padding[2]:padding[2] + w]
        if w_shape[0] > c:  # each input channel fed m output channels: sum the m copies
            grad_x = grad_x.reshape(n, c, w_shape[0] // c, h, w).sum(axis=2)
    if ctx.needs_input_grad[1]:
        grad_w = depthwise.grad_taps(xflat, grid, offsets).T.reshape(w_shape)
    if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
        grad_b = grad_out.sum(axis=(0, 2, 3))
    return (grad_x, grad_w, grad_b)[: len(ctx.needs_input_grad)]


def depthwise_col2im(grad: np.ndarray, wt: np.ndarray, like: np.ndarray, taps) -> np.ndarray:
    """dL/dXpad of DepthwiseConv2d: Σ_o G[..., o, c]·Wt[o, c] added where offset t read."""
    grad_xh = np.zeros_like(like)
    for t, (rows, cols) in enumerate(taps):
        grad_xh[:, rows, cols] += np.einsum("nijoc,oc->nijc", grad, wt[t])
    return grad_xh


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
        z = col2im(xm, tap_weights(wm, weight.shape[2:], True), canvas,
                   weight.shape[2:], stride, dilation, (h, w))
        y = crop_to_nchw(z, padding[0], padding[1], (ho, wo))
        ctx.save_for_backward(xm, wm)
        ctx.geometry = (x.shape, canvas, weight.shape, stride, padding, dilation, groups)
        return y if bias is None else y + bias.reshape(-1, 1, 1)

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

"""Pooling and nearest-neighbour resampling on (N, C, H, W) arrays.

Window pools (max, average) loop over the kh·kw kernel offsets; each offset reads one strided
slice of the padded input, xp[:, :, a·d :: s, b·d :: s] cut to (Ho, Wo), so every step is a
vectorised operation over all N·C·Ho·Wo outputs and the input is never copied into windows.
With stride = kernel this is the classic reshape (N, C, H/k, k, W/k, k) trick, one offset at
a time. Slices keep the input's memory order (an NCHW view of channels-last data stays
channels-last), and so do the outputs. 1-D pools are these with H = 1 (see functional).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..kernels import over_batch
from .im2col import in_layout_of, is_channels_last, kernel_offsets
from .workspace import WORKSPACE


def pool_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int,
                     ceil_mode: bool) -> int:
    """PyTorch's pooling output size: ⌊(I + 2p − d(k − 1) − 1)/s⌋ + 1, rounded up instead
    when ``ceil_mode``, except that a last window starting past I + p is dropped."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def zeros_in_layout(like: np.ndarray, shape: tuple[int, ...],
                    fill: float | None = 0.0, dtype=None, reuse: str = "") -> np.ndarray:
    """An (N, C, H, W) array filled with ``fill`` (uninitialised if None), channels-last in
    memory if ``like`` is, of ``like``'s dtype unless ``dtype`` is given. With a ``reuse``
    name, the memory is a ``WORKSPACE.spare`` array of that name: one of an earlier call
    that nothing refers to any more, written again instead of a fresh array faulted in."""
    n, c, h, w = shape
    channels_last = is_channels_last(like)
    memory = (n, h, w, c) if channels_last else shape
    dtype = dtype or like.dtype
    array = WORKSPACE.spare(reuse, memory, dtype) if reuse else np.empty(memory, dtype)
    if fill is not None:
        array.fill(fill)
    return array.transpose(0, 3, 1, 2) if channels_last else array


def padded_input(x: np.ndarray, padding, kernel, stride, dilation, out, fill: float):
    """x padded with ``fill`` by (top, left) and at the bottom/right to the extent the windows
    read (the padding, or a ceil_mode overhang); x itself when nothing is added."""
    n, c, h, w = x.shape
    top, left = padding
    need = [(o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(out, stride, dilation, kernel)]
    if top == left == 0 and need[0] <= h and need[1] <= w:
        return x
    canvas = zeros_in_layout(x, (n, c, max(need[0], top + h), max(need[1], left + w)), fill)
    canvas[:, :, top:top + h, left:left + w] = x
    return canvas


def max_and_argmax(xp: np.ndarray, taps, out: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Window maxima y and the scan-order kernel offset of each (first) maximum (uint8 for
    up to 256 offsets), written into ``out`` = (y, argmax) when given.

    Offsets are visited in scan order and only a strictly larger value takes over, so
    the first maximum wins ties, as in PyTorch. Since the offset number only grows, the
    argmax update is argmax = max(argmax, t·[v > y]): two cheap uint8 passes, no masking.
    """
    code = np.min_scalar_type(len(taps) - 1).type
    first = xp[:, :, taps[0][0], taps[0][1]]
    if out is None:
        out = (zeros_in_layout(first, first.shape, None),
               zeros_in_layout(first, first.shape, None, code))
    y, argmax = out
    if len(taps) == 1:
        np.copyto(y, first)
        argmax.fill(0)
        return y, argmax
    # The first two offsets at once (a strided copy of the first would cost as much):
    # argmax = [v₁ > v₀], y = max(v₀, v₁), as the loop below would leave them.
    second = xp[:, :, taps[1][0], taps[1][1]]
    np.greater(second, first, out=argmax)
    np.maximum(first, second, out=y)
    for t, (rows, cols) in enumerate(taps[2:], 2):
        value = xp[:, :, rows, cols]
        better = np.greater(value, y).view(np.uint8)
        np.maximum(argmax, better * code(t), out=argmax)
        np.maximum(y, value, out=y)  # NaN propagates, as in PyTorch
    return y, argmax


def max_pool_indices(x: np.ndarray, kernel, stride, padding, dilation, out) -> np.ndarray:
    """Positions h·W + w in the unpadded input of each window's first maximum (PyTorch's
    ``return_indices``), int64, shaped like the output."""
    xp = padded_input(x, padding, kernel, stride, dilation, out, -np.inf)
    _, argmax = max_and_argmax(xp, kernel_offsets(kernel, stride, dilation, out))
    a, b = np.divmod(argmax.astype(np.int64), kernel[1])
    rows = np.arange(out[0])[:, None] * stride[0] - padding[0] + a * dilation[0]
    cols = np.arange(out[1]) * stride[1] - padding[1] + b * dilation[1]
    return rows * x.shape[3] + cols


class MaxPool2d(Function):
    """Y[n, c, i, j] = max over the window at (i, j) of Xpad, padded with −∞.

    Windows: rows i·s − p + a·d for a < kh (likewise columns), Y: (N, C, Ho, Wo).
    Backward: the window's maximum is the only element its output depends on, so
        dL/dX[n, c, h, w] = Σ over windows whose argmax is (h, w) of G[n, c, i, j]
    (a sum where windows overlap). Ties go to the first maximum in scan order (row by row),
    as in PyTorch. Saves the argmax's kernel offset per output (uint8 when kh·kw ≤ 256).
    NOTE: a NaN in a window makes the output NaN, as in PyTorch, but its gradient goes to
    the largest value before the NaN, where PyTorch's goes to the (last) NaN.
    """

    @staticmethod
    def forward(ctx, x, *, kernel, stride, padding, dilation, ceil_mode):
        out = tuple(pool_output_size(*args, ceil_mode) for args in
                    zip(x.shape[2:], kernel, stride, padding, dilation))
        xp = padded_input(x, padding, kernel, stride, dilation, out, -np.inf)
        taps = kernel_offsets(kernel, stride, dilation, out)
        y = zeros_in_layout(x, x.shape[:2] + out, None, reuse="max_pool.output")
        argmax = zeros_in_layout(x, x.shape[:2] + out, None, np.min_scalar_type(len(taps) - 1),
                                 "max_pool.argmax")
        over_batch(lambda images: max_and_argmax(xp[images], taps, (y[images], argmax[images])),
                   len(x), xp.nbytes)
        ctx.save_for_backward(argmax)
        ctx.geometry = (x.shape, xp.shape, padding, taps, overlapping(kernel, stride, dilation),
                        tiles(xp.shape, kernel, stride, dilation, out))
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (argmax,) = ctx.saved
        shape, padded, (top, left), taps, overlap, tiled = ctx.geometry
        grad_out = in_layout_of(argmax, grad_out)
        grad = zeros_in_layout(grad_out, padded, None)
        over_batch(lambda images: max_pool_grad(grad[images], grad_out[images], argmax[images],
                                                taps, overlap, tiled),
                   len(grad), grad.nbytes + grad_out.nbytes)
        return grad[:, :, top:top + shape[2], left:left + shape[3]]


def max_pool_grad(grad, grad_out, argmax, taps, overlap: bool, tiled: bool) -> None:
    """MaxPool2d's dL/dXpad into ``grad`` (uninitialised): G at each window's argmax."""
    if not tiled:
        grad.fill(0.0)
    for t, (rows, cols) in enumerate(taps):
        hit = argmax == t
        if overlap:
            grad[:, :, rows, cols] += grad_out * hit
        else:  # each input pixel is in one window at most: write, don't add
            np.multiply(grad_out, hit, out=grad[:, :, rows, cols])


def tiles(padded, kernel, stride, dilation, out) -> bool:
    """Whether the windows tile the padded input exactly (each pixel in exactly one), so
    that backward writes every gradient element and needs no zero fill."""
    return stride == kernel and dilation == (1, 1) and \
        padded[2:] == (out[0] * kernel[0], out[1] * kernel[1])


def overlapping(kernel, stride, dilation) -> bool:
    """Whether two windows can share an input pixel (some stride shorter than the reach)."""
    return any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))


def avg_divisor(size, kernel, stride, padding, out, count_include_pad):
    """PyTorch's divisor along one dimension: the window clipped to the padded input when
    counting padding, else clipped to the input itself."""
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


class AvgPool2d(Function):
    """Y[n, c, i, j] = (Σ over the window at (i, j) of Xpad) / D[i, j], zero padding.

    D is the window size (kh·kw, less where a ceil_mode window hangs over the end; without
    count_include_pad only the real pixels count; or divisor_override). Backward: each input
    pixel in a window receives that window's G/D:
        dL/dX[n, c, h, w] = Σ over windows containing (h, w) of G[n, c, i, j] / D[i, j]
    Saves D, an (Ho, Wo) array.
    """

    @staticmethod
    def forward(ctx, x, *, kernel, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
        out = tuple(pool_output_size(*args, 1, ceil_mode) for args in
                    zip(x.shape[2:], kernel, stride, padding))
        xp = padded_input(x, padding, kernel, stride, (1, 1), out, 0.0)
        taps = kernel_offsets(kernel, stride, (1, 1), out)
        total = np.copy(xp[:, :, taps[0][0], taps[0][1]], order="K")
        for rows, cols in taps[1:]:
            total += xp[:, :, rows, cols]
        divisor = divisors(x, kernel, stride, padding, out, count_include_pad,
                           divisor_override)
        ctx.save_for_backward(divisor)
        ctx.geometry = (x.shape, xp.shape, padding, taps, tiles(xp.shape, kernel, stride,
                                                                (1, 1), out))
        return np.divide(total, divisor, out=total)

    @staticmethod
    def backward(ctx, grad_out):
        (divisor,) = ctx.saved
        shape, padded, (top, left), taps, tiled = ctx.geometry
        share = grad_out / divisor
        grad = zeros_in_layout(grad_out, padded, None if tiled else 0.0)
        for rows, cols in taps:
            if tiled:
                grad[:, :, rows, cols] = share
            else:
                grad[:, :, rows, cols] += share
        return grad[:, :, top:top + shape[2], left:left + shape[3]]


def divisors(x, kernel, stride, padding, out, count_include_pad, divisor_override):
    """The (Ho, Wo) divisors D of an average pool, in x's dtype."""
    if divisor_override:
        return np.asarray(divisor_override, dtype=x.dtype)
    per_dim = [avg_divisor(*args, count_include_pad)
               for args in zip(x.shape[2:], kernel, stride, padding, out)]
    return np.outer(*per_dim).astype(x.dtype)


def adaptive_bins(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows: bin i covers [⌊i·I/O⌋, ⌈(i + 1)·I/O⌉)."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def bin_means(x: np.ndarray, axis: int, bins) -> np.ndarray:
    """Means of ``x`` over each bin [start, end) along ``axis`` (one vectorised mean per bin)."""
    moved = np.moveaxis(x, axis, -1)
    means = [moved[..., s:e].sum(axis=-1) / int(e - s) for s, e in zip(*bins)]  # int: NEP 50
    return np.moveaxis(np.stack(means, axis=-1), -1, axis)


def bin_means_grad(grad_out: np.ndarray, axis: int, bins, size: int) -> np.ndarray:
    """The adjoint of ``bin_means``: each bin's gradient spread evenly over its elements."""
    moved = np.moveaxis(grad_out, axis, -1)
    grad = np.zeros(moved.shape[:-1] + (size,), dtype=grad_out.dtype)
    for i, (s, e) in enumerate(zip(*bins)):
        grad[..., s:e] += moved[..., i:i + 1] / int(e - s)
    return np.moveaxis(grad, -1, axis)


class AdaptiveAvgPool2d(Function):
    """Y[n, c, i, j] = mean of X over rows [⌊i·H/Ho⌋, ⌈(i+1)·H/Ho⌉) × the like columns.

    The mean over a rectangle is the mean over its columns of the means over its rows, so
    the pool is two 1-D passes, one vectorised mean per output row and per output column
    (Ho + Wo steps, not Ho·Wo). Backward runs the adjoint passes in reverse order: each bin's
    gradient, divided by the bin's length, is added to every element of the bin.
    Saves nothing but the bins.
    """

    @staticmethod
    def forward(ctx, x, *, out):
        bins = [adaptive_bins(size, o) for size, o in zip(x.shape[2:], out)]
        ctx.geometry = (x.shape, bins)
        return bin_means(bin_means(x, 2, bins[0]), 3, bins[1])

    @staticmethod
    def backward(ctx, grad_out):
        shape, bins = ctx.geometry
        return bin_means_grad(bin_means_grad(grad_out, 3, bins[1], shape[3]), 2, bins[0],
                              shape[2])


def bin_members(size: int, out: int) -> np.ndarray:
    """(out, longest bin) indices of each adaptive bin's elements, the last one repeated to
    fill short bins (a repeat never changes a maximum nor, being later, its first position)."""
    starts, ends = adaptive_bins(size, out)
    steps = np.arange(int((ends - starts).max()))
    return np.minimum(starts[:, None] + steps, ends[:, None] - 1)


def adaptive_max_forward(x: np.ndarray, out) -> tuple[np.ndarray, np.ndarray]:
    """(y, indices): adaptive-window maxima and their flat positions h·W + w in each image."""
    rows, cols = bin_members(x.shape[2], out[0]), bin_members(x.shape[3], out[1])
    y = indices = None
    for a in range(rows.shape[1]):
        for b in range(cols.shape[1]):
            value = x[:, :, rows[:, a, None], cols[:, b]]
            flat = rows[:, a, None] * x.shape[3] + cols[:, b]
            if y is None:
                y, indices = value, np.broadcast_to(flat, value.shape).copy()
                continue
            np.copyto(indices, flat, where=value > y)
            np.maximum(y, value, out=y)
    return y, indices


class AdaptiveMaxPool2d(Function):
    """Y[n, c, i, j] = max of X over the adaptive bin (i, j) (bins as in AdaptiveAvgPool2d).

    Backward: dL/dX[n, c, h, w] = Σ over bins whose argmax is (h, w) of G[n, c, i, j];
    bins may overlap, so the sum is a ``np.bincount`` over flat positions. Ties: first
    maximum in scan order. Saves the argmax flat positions h·W + w (PyTorch's indices).
    """

    @staticmethod
    def forward(ctx, x, *, out):
        y, indices = adaptive_max_forward(x, out)
        ctx.save_for_backward(indices)
        ctx.shape = x.shape
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (indices,) = ctx.saved
        n, c, h, w = ctx.shape
        image = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
        grad = np.bincount((indices + image).ravel(), weights=grad_out.ravel(),
                           minlength=n * c * h * w)
        return grad.reshape(ctx.shape).astype(grad_out.dtype, copy=False)


def segment_sum(grad: np.ndarray, index: np.ndarray, size: int, axis: int) -> np.ndarray:
    """The adjoint of ``np.take(x, index, axis)`` for a non-decreasing ``index``: each
    input position receives the sum of the outputs that copied it (``np.add.reduceat``)."""
    moved = np.moveaxis(grad, axis, -1)
    used, first = np.unique(index, return_index=True)
    result = np.zeros(moved.shape[:-1] + (size,), dtype=grad.dtype)
    result[..., used] = np.add.reduceat(moved, first, axis=-1)
    return np.moveaxis(result, -1, axis)


class UpsampleNearest(Function):
    """Nearest-neighbour resampling of the trailing spatial axes: along each,
    Y[..., o, ...] = X[..., src[o], ...] with src[o] = min(⌊o·scale⌋, I − 1) (PyTorch's rule,
    computed by the caller). Backward: dL/dX[i] = Σ_{o: src[o] = i} G[o], per axis in reverse
    order (src is non-decreasing, so each sum is a contiguous segment). Saves the indices.
    """

    @staticmethod
    def forward(ctx, x, *, indices):
        first = x.ndim - len(indices)
        ctx.geometry = (x.shape, first, indices)
        for axis, index in enumerate(indices, first):
            x = np.take(x, index, axis=axis)
        return x

    @staticmethod
    def backward(ctx, grad_out):
        shape, first, indices = ctx.geometry
        for axis, index in reversed(list(enumerate(indices, first))):
            grad_out = segment_sum(grad_out, index, shape[axis], axis)
        return grad_out

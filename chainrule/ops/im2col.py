"""Sliding windows of images as matrices (im2col) and back (col2im), on NumPy arrays.

The convolution Functions in ``conv.py`` and the pooling Functions in ``pool.py`` share these
helpers. The geometry, per spatial dimension, for an input of size I, padding (lo, hi),
kernel k, stride s and dilation d:

    O = ⌊(I + lo + hi − d·(k − 1) − 1) / s⌋ + 1
    output position o, kernel offset t  reads padded input row  o·s + t·d.

Layout. Convolutions work channels-last: a padded image is an (N, Hp, Wp, C) array, so the
columns of one output pixel, (kh, kw, C) in that order, are runs of kw·C contiguous numbers
and the product with the weight is one large GEMM, columns (N·Ho·Wo, kh·kw·C) times
weight (kh·kw·C, C_out), whose result (N·Ho·Wo, C_out) already is the output in NHWC order.
The output is handed back as an NCHW *view* of that memory (``nhwc_to_nchw``): the next ReLU
keeps the layout (NumPy ufuncs follow their input's memory order), and the next convolution's
own channels-last copy then is a plain contiguous copy. For inputs with very few channels
(the first layer of an image model, C = 1) the columns are stored transposed, (kh·kw·C,
N·Ho·Wo), because then each copied run is a whole output row instead of kw·C numbers; BLAS
takes either layout through its transpose flags, so only the copy changes.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..kernels import over_batch
from .workspace import WORKSPACE

# Below this many channels per group, columns are stored (K, P) instead of (P, K): see above.
FEW_CHANNELS = 4


def output_size(size: int, kernel: int, stride: int, pad_lo: int, pad_hi: int,
                dilation: int) -> int:
    """Number of window positions along one dimension (the formula in the module docstring)."""
    return (size + pad_lo + pad_hi - dilation * (kernel - 1) - 1) // stride + 1


def tap(offset: int, dilation: int, stride: int, count: int) -> slice:
    """The padded-input rows read by kernel offset ``offset`` at output positions 0 … count−1:
    offset·d, offset·d + s, …, offset·d + (count − 1)·s."""
    start = offset * dilation
    return slice(start, start + (count - 1) * stride + 1, stride)


def kernel_offsets(kernel, stride, dilation, out) -> list[tuple[slice, slice]]:
    """(rows, cols) slices of the padded image read by each kernel offset, in scan order."""
    return [(tap(a, dilation[0], stride[0], out[0]), tap(b, dilation[1], stride[1], out[1]))
            for a in range(kernel[0]) for b in range(kernel[1])]


def to_channels_last(x: np.ndarray, pads: tuple[int, int, int, int]) -> np.ndarray:
    """(N, C, H, W) -> zero-padded, C-contiguous (N, H + top + bottom, W + left + right, C).

    ``pads`` is (top, bottom, left, right). Without padding this is a no-op when ``x`` is
    already channels-last in memory (an NCHW view of NHWC data, as convolutions return).
    """
    top, bottom, left, right = pads
    nhwc = x.transpose(0, 2, 3, 1)
    if not (top or bottom or left or right):
        return np.ascontiguousarray(nhwc)
    n, h, w, c = nhwc.shape
    padded = WORKSPACE.spare("padded_channels_last", (n, h + top + bottom, w + left + right, c),
                             x.dtype)
    over_batch(lambda images: pad_images(padded[images], nhwc[images], top, left), n,
               2 * x.nbytes)
    return padded


def pad_images(padded: np.ndarray, images: np.ndarray, top: int, left: int) -> None:
    """Write ``images`` (n, h, w, C) into ``padded`` (n, Hp, Wp, C, uninitialised) at
    (top, left) and zeros around them: each chunk zeroes only its own border, on its own
    thread (no whole-canvas fill first)."""
    h, w = images.shape[1:3]
    padded[:, :top] = 0
    padded[:, top + h:] = 0
    padded[:, top:top + h, :left] = 0
    padded[:, top:top + h, left + w:] = 0
    np.copyto(padded[:, top:top + h, left:left + w], images)


def is_channels_last(array: np.ndarray) -> bool:
    """Whether an (N, C, H, W) array is an NCHW view of channels-last memory."""
    return array.strides[1] < array.strides[3]


def in_layout_of(like: np.ndarray, array: np.ndarray) -> np.ndarray:
    """``array`` (N, C, H, W), copied into ``like``'s memory layout (channels-last or not)
    when the two differ: elementwise work on operands of mixed layouts runs several times
    slower than on matching ones. The values are unchanged."""
    if like.ndim != 4 or is_channels_last(like) == is_channels_last(array):
        return array
    n, c, h, w = array.shape
    if is_channels_last(like):
        copy = np.empty((n, h, w, c), dtype=array.dtype)
        over_batch(lambda images: np.copyto(copy[images], array[images].transpose(0, 2, 3, 1)),
                   n, 2 * array.nbytes)
        return copy.transpose(0, 3, 1, 2)
    copy = np.empty(array.shape, dtype=array.dtype)
    over_batch(lambda images: np.copyto(copy[images], array[images]), n, 2 * array.nbytes)
    return copy


def nhwc_to_nchw(y: np.ndarray, n: int, height: int, width: int) -> np.ndarray:
    """(N·H·W, C) rows -> an (N, C, H, W) view of the same memory (no copy)."""
    return y.reshape(n, height, width, y.shape[-1]).transpose(0, 3, 1, 2)


def windows(xh: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
            dilation: tuple[int, int], out: tuple[int, int]) -> np.ndarray:
    """Read-only view (N, Ho, Wo, kh, kw, C) of a channels-last image: [n, i, j, a, b, c] =
    xh[n, i·sh + a·dh, j·sw + b·dw, c]. Costs nothing: only strides change."""
    s_n, s_h, s_w, s_c = xh.strides
    shape = (xh.shape[0], out[0], out[1], kernel[0], kernel[1], xh.shape[3])
    strides = (s_n, s_h * stride[0], s_w * stride[1], s_h * dilation[0], s_w * dilation[1], s_c)
    return as_strided(xh, shape, strides, writeable=False)


def im2col(xh: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int], out: tuple[int, int], groups: int) -> np.ndarray:
    """Columns (groups, N·Ho·Wo, kh·kw·C/groups) of a channels-last image, one copy.

    Row p = (n, i, j) of group g holds the window of output pixel (i, j) of image n over
    that group's channels, flattened in (kh, kw, c) order. Stored (P, K) per group, or
    (K, P) with a transposed view returned when there are few channels (module docstring).
    """
    return columns_of(windows(xh, kernel, stride, dilation, out), groups)


def columns_of(view: np.ndarray, groups: int, buffer: np.ndarray | None = None) -> np.ndarray:
    """``im2col`` of a ``windows`` view (or of a block of its images, ``view[a:b]``), copied
    into the start of ``buffer`` (a flat array at least that large, reused from block to
    block) when given."""
    n, ho, wo, kh, kw, c = view.shape
    view = view.reshape(n, ho, wo, kh, kw, groups, c // groups)  # a view: splits one axis
    rows, depth = n * ho * wo, kh * kw * (c // groups)
    if c // groups < FEW_CHANNELS:
        cols = copy_into(view.transpose(5, 3, 4, 6, 0, 1, 2), buffer)
        return cols.reshape(groups, depth, rows).transpose(0, 2, 1)
    return copy_into(view.transpose(5, 0, 1, 2, 3, 4, 6), buffer).reshape(groups, rows, depth)


def copy_into(array: np.ndarray, buffer: np.ndarray | None) -> np.ndarray:
    """A C-contiguous copy of ``array``, in the start of ``buffer`` when given."""
    if buffer is None:
        return np.ascontiguousarray(array)
    copy = buffer[:array.size].reshape(array.shape)
    np.copyto(copy, array)
    return copy


# Convolutions build their column matrix a block of whole images at a time, each block about
# this many bytes: small enough to stay in cache between the copy that builds it and the GEMM
# that reads it, and never the whole (N·Ho·Wo, kh·kw·C) matrix at once (the memory rule:
# the columns are not kept for backward, which rebuilds them block by block).
COLUMN_BLOCK_BYTES = 1 << 20


def image_blocks(count: int, image_bytes: int, budget: int) -> list[slice]:
    """Consecutive slices of ``count`` images, each at most ``budget`` bytes at
    ``image_bytes`` per image (and at least one image)."""
    step = max(1, budget // max(image_bytes, 1))
    return [slice(start, min(start + step, count)) for start in range(0, count, step)]


def col2im(rows: np.ndarray, weights: np.ndarray, padded: tuple[int, int, int, int],
           kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
           out: tuple[int, int], image: np.ndarray | None = None) -> np.ndarray:
    """The adjoint of ``im2col``, applied to a product: col2im(rows @ W) for W split by
    kernel offset. ``rows`` is (groups, N·Ho·Wo, M), ``weights`` (kh·kw, groups, M, C/groups);
    the result is the (N, Hp, Wp, C) image ``padded`` (added into ``image``, a C-contiguous
    array of that shape, when given).

    Offset (a, b)'s block, rows @ weights[a·kw + b] (one (N·Ho·Wo, C) product per group), is
    added at the pixels that offset reads. Windows overlap, so the blocks are summed: one
    vectorised add per offset over all N·Ho·Wo·C positions (no ``np.add.at``), whole rows
    of Wo·C numbers at a time with stride 1. Multiplying offset by offset keeps each block
    cache-sized and never builds the (N·Ho·Wo, kh·kw·C) column matrix.
    """
    n, hp, wp, c = padded
    groups = rows.shape[0]
    if image is None:
        image = np.zeros(padded, dtype=rows.dtype)
    image = image.reshape(n, hp, wp, groups, c // groups)
    for a in range(kernel[0]):
        image_rows = tap(a, dilation[0], stride[0], out[0])
        for b in range(kernel[1]):
            block = np.empty((rows.shape[1], groups, c // groups), dtype=image.dtype)
            np.matmul(rows, weights[a * kernel[1] + b], out=block.transpose(1, 0, 2))
            image[:, image_rows, tap(b, dilation[1], stride[1], out[1])] += \
                block.reshape(n, out[0], out[1], groups, c // groups)
    return image.reshape(padded)

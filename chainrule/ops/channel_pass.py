"""Batch norm's elementwise passes over (N, C, *) arrays with per-channel coefficients.

Four maps, each a plain reference beside a fast path to the same result (switch:
``FAST_CHANNEL_PASSES``):

* ``normalize_affine``: Y = (X − μ)·a + b, per channel (μ, a, b: (C,)).
* ``scale_shift``: Y = X·a + b, per channel.
* ``weighted_sum``: Y = X·a + G·b + c, per channel.
* ``input_grad``: dL/dX = ((X − μ)·slope + G − ḡ)·scale, per channel (batch norm's backward).

The reference broadcasts the (C,) values as (1, C, 1, …): NumPy then runs one inner loop per
(image, channel) row of Π(*) values, whose fixed cost dominates for small images. The fast
path views each image's memory as one row of L = C·Π(*) values (``image_rows``; NCHW or
channels-last), spreads each coefficient once into a row of L values in the same memory order
(``spread``), and runs the same ufuncs, in the same order, one contiguous loop per image: the
same operations on the same values, so the results are bitwise the reference's. It works a
block of images at a time (``PASS_BLOCK_BYTES``), so the later ufuncs of a pass find the
block in cache, and splits the batch over chainrule's threads (``over_batch``).
"""

from __future__ import annotations

import numpy as np

from ..kernels import over_batch
from .im2col import image_blocks
from .workspace import WORKSPACE

FAST_CHANNEL_PASSES = True
PASS_BLOCK_BYTES = 1 << 20  # a block of images per step of a pass, in bytes
REUSE_BYTES = 1 << 20  # forward outputs this large are reused between calls


def image_rows(*arrays: np.ndarray) -> list[np.ndarray] | None:
    """(N, L) views of the arrays' memory, one row per image, when all have one shape and a
    float dtype and are all NCHW-contiguous or all channels-last; else None (or when the
    fast path is off)."""
    first = arrays[0]
    if (not FAST_CHANNEL_PASSES or first.ndim < 3 or first.size == 0
            or first.dtype not in (np.float32, np.float64)):
        return None
    last = not first.flags.c_contiguous
    rows = []
    for a in arrays:
        memory = np.moveaxis(a, 1, -1) if last else a
        if a.shape != first.shape or a.dtype != first.dtype or not memory.flags.c_contiguous:
            return None
        rows.append(memory.reshape(len(a), -1))
    return rows


def output_like(x: np.ndarray, name: str) -> np.ndarray:
    """An uninitialised array shaped and laid out like X (NCHW or channels-last), for batch
    norm's forward output. On the fast path, one of ``REUSE_BYTES`` or more is taken from
    ``WORKSPACE.spare``: an earlier call's array that nothing refers to any more (the
    reference count tells), so its pages are not faulted in afresh every call. A caller
    that keeps the result, or a view of it, keeps it from being reused. (dL/dX is not
    reused: holding it between steps raised a CNN step's peak memory, benchmarks/README.md.)"""
    if not FAST_CHANNEL_PASSES or x.nbytes < REUSE_BYTES or x.ndim < 3:
        return np.empty_like(x)
    if x.flags.c_contiguous:
        return WORKSPACE.spare(name, x.shape, x.dtype)
    memory = np.moveaxis(x, 1, -1)
    if memory.flags.c_contiguous:
        return np.moveaxis(WORKSPACE.spare(name, memory.shape, x.dtype), -1, 1)
    return np.empty_like(x)


def spread(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Per-channel ``values`` (C,) as one image row of ``like`` (L,), in its memory order."""
    values = np.asarray(values, dtype=like.dtype).reshape(-1)
    positions = like[0, 0].size
    if like.flags.c_contiguous:
        return np.repeat(values, positions)
    return np.tile(values, positions)


def as_images(rows: np.ndarray, like: np.ndarray) -> np.ndarray:
    """(n, L) rows in ``like``'s memory order as an (n, C, *) view."""
    if like.flags.c_contiguous:
        return rows.reshape((len(rows),) + like.shape[1:])
    return np.moveaxis(rows.reshape((len(rows),) + like.shape[2:] + like.shape[1:2]), -1, 1)


def blocks_of(images: slice, like: np.ndarray, budget: int) -> list[slice]:
    """The chunk ``images`` of ``like``'s batch as consecutive blocks of at most ``budget``
    bytes (at least one image each)."""
    return [slice(images.start + b.start, images.start + b.stop)
            for b in image_blocks(images.stop - images.start, like[0].nbytes, budget)]


def channel_shape(x: np.ndarray) -> tuple[int, ...]:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def normalize_affine(x: np.ndarray, mean, scale, shift) -> np.ndarray:
    """Y = (X − μ)·a + b per channel: a new array in X's memory layout. The reference body
    broadcasts the (C,) values (``mean``, ``scale``, ``shift``) over (N, C, *)."""
    y = output_like(x, "batch_norm.y")
    rows = image_rows(x, y)
    if rows is None:
        mean, scale, shift = (np.reshape(v, channel_shape(x)) for v in (mean, scale, shift))
        rows = [x, y]
    else:
        mean, scale, shift = (spread(v, x) for v in (mean, scale, shift))
    x_rows, y_rows = rows

    def affine(images: slice) -> None:
        for block in blocks_of(images, x, PASS_BLOCK_BYTES):
            out = y_rows[block]
            np.subtract(x_rows[block], mean, out=out)
            out *= scale
            out += shift

    over_batch(affine, len(x), 2 * x.nbytes)
    return y


def scale_shift(x: np.ndarray, scale, shift) -> np.ndarray:
    """Y = X·a + b per channel: a new array in X's memory layout (a, b: (C,) values,
    broadcast in the reference body)."""
    y = output_like(x, "batch_norm.y")
    rows = image_rows(x, y)
    if rows is None:
        rows, (scale, shift) = [x, y], (np.reshape(v, channel_shape(x)) for v in (scale, shift))
    else:
        scale, shift = (spread(v, x) for v in (scale, shift))
    x_rows, y_rows = rows

    def affine(images: slice) -> None:
        for block in blocks_of(images, x, PASS_BLOCK_BYTES):
            out = y_rows[block]
            np.multiply(x_rows[block], scale, out=out)
            out += shift

    over_batch(affine, len(x), 2 * x.nbytes)
    return y


def input_grad(x: np.ndarray, mean, grad_out: np.ndarray, slope, mean_grad,
               scale) -> np.ndarray:
    """dL/dX = ((X − μ)·slope + G − ḡ)·scale per channel, a new array in X's memory layout
    (``grad_out`` G in the same layout; the (C,) values broadcast in the reference body)."""
    grad_x = np.empty_like(x)
    rows = image_rows(x, grad_out, grad_x)
    values = (mean, slope, mean_grad, scale)
    if rows is None:
        rows, values = [x, grad_out, grad_x], [np.reshape(v, channel_shape(x)) for v in values]
    else:
        values = [spread(v, x) for v in values]
    x_rows, g_rows, out_rows = rows
    mean, slope, mean_grad, scale = values

    def grad(images: slice) -> None:
        for block in blocks_of(images, x, PASS_BLOCK_BYTES):
            out = out_rows[block]
            np.subtract(x_rows[block], mean, out=out)
            out *= slope
            out += g_rows[block]
            out -= mean_grad
            out *= scale

    over_batch(grad, len(x), 3 * x.nbytes)
    return grad_x


def weighted_sum(x: np.ndarray, a, g: np.ndarray, b, c) -> np.ndarray:
    """Y = X·a + G·b + c per channel: a new array in X's memory layout (G in the same layout;
    a, b, c: (C,) values, broadcast in the reference body). The fast path forms G·b a block
    of images at a time in a scratch block."""
    y = np.empty_like(x)
    rows = image_rows(x, g, y)
    values = (a, b, c)
    if rows is None:
        rows, values = [x, g, y], [np.reshape(v, channel_shape(x)) for v in values]
    else:
        values = [spread(v, x) for v in values]
    x_rows, g_rows, y_rows = rows
    a, b, c = values

    def combine(images: slice) -> None:
        for block in blocks_of(images, x, PASS_BLOCK_BYTES):
            out = y_rows[block]
            np.multiply(x_rows[block], a, out=out)
            out += c
            out += np.multiply(g_rows[block], b)

    over_batch(combine, len(x), 3 * x.nbytes)
    return y

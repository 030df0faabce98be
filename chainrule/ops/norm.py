"""Normalisation: the fused batch-norm Function and a "normalise over these axes" Function.

Both rest on one derivation. For values X₁ … X_m that share a mean and a variance,

    μ = (1/m) Σ Xᵢ,   σ² = (1/m) Σ (Xᵢ − μ)²,   s = 1/√(σ² + ε),   X̂ᵢ = (Xᵢ − μ)·s.

From ∂μ/∂Xⱼ = 1/m and ∂σ²/∂Xⱼ = 2(Xⱼ − μ)/m (the terms in Σ(Xₖ − μ) = 0 cancel) comes
∂s/∂Xⱼ = −s³(Xⱼ − μ)/m, hence the Jacobian of the normalisation

    ∂X̂ᵢ/∂Xⱼ = s·(δᵢⱼ − 1/m − X̂ᵢX̂ⱼ/m),

and for an upstream gradient D = dL/dX̂ (a vector-Jacobian product; the Jacobian is symmetric)

    dL/dX = (s/m)·(m·D − Σ D − X̂·Σ(D ⊙ X̂)).

Numerics: the variance is computed in two passes (the mean first, then the mean of squared
deviations), never as E[X²] − E[X]², which cancels catastrophically when |μ| ≫ σ. The
variance is the biased one (divide by m), as PyTorch normalises with it.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..autograd import Function
from ..kernels import over_batch
from .channel_pass import (
    PASS_BLOCK_BYTES,
    as_images,
    blocks_of,
    image_rows,
    input_grad,
    normalize_affine,
    scale_shift,
    spread,
    weighted_sum,
)
from .im2col import in_layout_of
from .unary import ReluAfter


def moments(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(mean, biased variance) of ``x`` over ``axes``, both with kept dims, in x's dtype.

    Two passes (mean, then mean of squared deviations), so no cancellation.

    Example:
        >>> import numpy as np
        >>> mean, var = moments(np.array([[1.0, 3.0], [5.0, 7.0]]), (1,))
        >>> mean.ravel().tolist(), var.ravel().tolist()
        ([2.0, 6.0], [1.0, 1.0])
    """
    mean = np.mean(x, axis=axes, keepdims=True)
    centered = x - mean
    return mean, np.mean(centered * centered, axis=axes, keepdims=True)


def batch_axes(ndim: int) -> tuple[int, ...]:
    """The axes that batch norm reduces over for an (N, C, *) input: all but the channel axis."""
    return (0,) + tuple(range(2, ndim))


# Per-channel sums Σ_R a and Σ_R a ⊙ b over R = (N, *) of (N, C, *) arrays. The reference is
# the plain NumPy reduction; the fast path turns each into BLAS products over a view of the
# array's own memory: rows (N, C, M) for (N, C, *)-contiguous data (one dot product per
# (n, c) row, then a sum over n), or (P, C) for channels-last data (1ᵀA, and a per-column dot
# product). Both sum in another order than the reference, so they agree with it to rounding
# (tests/ops/test_channel_stats.py states the bound); switch: ``FAST_CHANNEL_STATS``.
FAST_CHANNEL_STATS = True


def channel_sums_reference(a: np.ndarray) -> np.ndarray:
    """Σ_R a per channel, (C,), by NumPy's reduction."""
    return np.sum(a, axis=batch_axes(a.ndim))


def channel_dots_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Σ_R a ⊙ b per channel, (C,), by NumPy's reduction."""
    return np.sum(a * b, axis=batch_axes(a.ndim))


def channel_rows(a: np.ndarray) -> np.ndarray | None:
    """A view of an (N, C, *) array as (N, C, M) rows or as channels-last (P, C) columns, or
    None when its memory is neither (or the dtype is not float32/float64)."""
    if a.ndim < 3 or a.dtype not in (np.float32, np.float64) or a.size == 0:
        return None
    if a.flags.c_contiguous:
        return a.reshape(a.shape[0], a.shape[1], -1)
    last = np.moveaxis(a, 1, -1)
    if last.flags.c_contiguous:
        return last.reshape(-1, a.shape[1])
    return None


def channel_sums(a: np.ndarray) -> np.ndarray:
    """Σ_R a per channel, (C,) (fast path beside ``channel_sums_reference``)."""
    rows = channel_rows(a) if FAST_CHANNEL_STATS else None
    if rows is None:
        return channel_sums_reference(a)
    if rows.ndim == 2:
        return np.matmul(np.ones(rows.shape[0], a.dtype), rows)
    return np.matmul(rows, np.ones(rows.shape[2], a.dtype)).sum(axis=0)


def channel_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Σ_R a ⊙ b per channel, (C,) (fast path beside ``channel_dots_reference``)."""
    rows_a = channel_rows(a) if FAST_CHANNEL_STATS and a.dtype == b.dtype else None
    rows_b = channel_rows(b) if rows_a is not None else None
    if rows_b is None or rows_a.shape != rows_b.shape:
        return channel_dots_reference(a, b)
    if rows_a.ndim == 2:
        return np.einsum("pc,pc->c", rows_a, rows_b)
    return np.matmul(rows_a[:, :, None, :], rows_b[:, :, :, None]).sum(axis=(0, 2, 3))


# Uncentred sums (Σ X², Σ G ⊙ X: one BLAS product each over the array's own memory, no
# X − μ formed) give the centred ones by Σ(X − μ)² = Σ X² − m·μ² and Σ G ⊙ (X − μ) =
# Σ G ⊙ X − μ·Σ G, the same in exact arithmetic; likewise the folded maps X·a + (β − μ·a)
# and X·(slope·a) + G·a − (μ·slope + ḡ)·a. In floating point the subtraction cancels, and
# the rounding error, relative to the centred form's, grows by a factor of about 1 + μ²/σ²
# for the variance and 1 + |μ|/σ for the others (linear in X). Each is used only where that
# factor is at most 17 in every channel (about 4 of float32's 24 bits): |μ| ≤ 4σ for the
# variance (``VARIANCE_OFFSET_LIMIT``), |μ| ≤ 16σ for the rest (``OFFSET_LIMIT``). A large
# offset, such as X = 10⁴ + noise, takes the centred route (tests/ops/test_channel_pass.py).
VARIANCE_OFFSET_LIMIT = 4.0
OFFSET_LIMIT = 16.0


def small_offsets(mean: np.ndarray, var: np.ndarray, limit: float = OFFSET_LIMIT) -> bool:
    """Whether |μ| ≤ limit·σ (μ² ≤ limit²·``var``) in every channel; False for NaN, or with
    the fast path off."""
    bound = limit * limit * var.reshape(-1)
    return FAST_CHANNEL_STATS and bool(np.all(np.square(mean.reshape(-1)) <= bound))


STATS_BLOCK_BYTES = 1 << 20  # channel_moments: images per block of deviations, in bytes


def channel_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, biased variance) per channel of an (N, C, *) array, with kept dims: exactly
    ``moments(x, batch_axes(x.ndim))`` in exact arithmetic, summed with ``channel_sums`` /
    ``channel_dots``: σ² = Σ X²/m − μ² where |μ| ≤ 4σ (``VARIANCE_OFFSET_LIMIT``), else
    two passes (the mean, then the mean of squared deviations). The deviations X − μ are
    formed a block of images at a time (``STATS_BLOCK_BYTES``), so no x-sized temporary is
    made and each block is still in cache for its dot product. Each pass sums a chunk of
    images per thread (``over_batch``), the chunks' sums added in chunk order."""
    m = x.size // max(x.shape[1], 1)
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if channel_rows(x) is None or not FAST_CHANNEL_STATS:
        return moments(x, batch_axes(x.ndim))
    mean = (in_order_sum(over_batch(lambda images: channel_sums(x[images]), len(x), x.nbytes))
            / m).astype(x.dtype, copy=False).reshape(shape)
    squares = in_order_sum(over_batch(lambda images: channel_dots(x[images], x[images]),
                                      len(x), x.nbytes))
    var = (squares / m - np.square(mean.reshape(-1))).astype(x.dtype, copy=False)
    if small_offsets(mean, var, VARIANCE_OFFSET_LIMIT):
        return mean, var.reshape(shape)
    centered = mean_subtractor(x, mean)

    def squares(images: slice) -> np.ndarray:
        total = np.zeros(x.shape[1], dtype=x.dtype)
        for block in blocks_of(images, x, STATS_BLOCK_BYTES):
            deviations = centered(block)
            total += channel_dots(deviations, deviations)
        return total

    total = in_order_sum(over_batch(squares, len(x), x.nbytes))
    return mean, (total / m).astype(x.dtype, copy=False).reshape(shape)


def mean_subtractor(x: np.ndarray, mean: np.ndarray) -> Callable[[slice], np.ndarray]:
    """A function of a block of images giving X − μ for those images of X (a new array);
    by one contiguous loop per image (``channel_pass.image_rows``) where X's memory allows:
    the same values either way."""
    rows = image_rows(x)
    if rows is None:
        return lambda block: x[block] - mean
    centre = spread(mean, x)
    return lambda block: as_images(rows[0][block] - centre, x)


def centered_sums(x: np.ndarray, mean: np.ndarray, inv_std: np.ndarray,
                  grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Σ_R G, Σ_R G ⊙ (X − μ)) per channel, each (C,), for G = ``grad_out`` in X's layout.
    Where the offsets are small (``small_offsets`` with σ² + ε = 1/s², s = ``inv_std``), as
    Σ_R G ⊙ X − μ·Σ_R G; else X − μ is formed a block of images at a time
    (``PASS_BLOCK_BYTES``), never x-sized. Each chunk of images (``over_batch``) sums its
    blocks in order, the chunks added in order."""
    if small_offsets(mean, 1.0 / np.square(inv_std)):
        partials = over_batch(lambda images: (channel_sums(grad_out[images]),
                                              channel_dots(grad_out[images], x[images])),
                              len(x), 2 * x.nbytes)
        sum_g = in_order_sum([p[0] for p in partials])
        return sum_g, in_order_sum([p[1] for p in partials]) - mean.reshape(-1) * sum_g
    centered = mean_subtractor(x, mean)

    def sums(images: slice) -> tuple[np.ndarray, np.ndarray]:
        sum_g = np.zeros(x.shape[1], dtype=x.dtype)
        sum_gx = np.zeros(x.shape[1], dtype=x.dtype)
        for block in blocks_of(images, x, PASS_BLOCK_BYTES):
            sum_g += channel_sums(grad_out[block])
            sum_gx += channel_dots(grad_out[block], centered(block))
        return sum_g, sum_gx

    partials = over_batch(sums, len(x), 2 * x.nbytes)
    return (in_order_sum([p[0] for p in partials]), in_order_sum([p[1] for p in partials]))


def in_order_sum(partials: list[np.ndarray]) -> np.ndarray:
    """The chunks' partial sums added left to right (the same bits on every run)."""
    total = partials[0]
    for more in partials[1:]:
        total = total + more
    return total


def batch_normalize(x, mean, inv_std, gamma, beta) -> np.ndarray:
    """Y = (X − μ)·a + β per channel, a = γs: a new array in X's layout. Where the offsets are
    small (``small_offsets``), as Y = X·a + (β − μ·a), one pass fewer; its rounding error,
    relative to |γ|, grows with |μ|·s ≤ OFFSET_LIMIT."""
    scale = gamma * inv_std
    if small_offsets(mean, 1.0 / np.square(inv_std)):
        return scale_shift(x, scale, beta - mean * scale)
    return normalize_affine(x, mean, scale, beta)


def batch_norm_input_grad(x, mean, inv_std, grad_out, slope, mean_grad, scale) -> np.ndarray:
    """dL/dX = ((X − μ)·slope + G − ḡ)·scale per channel: a new array in X's layout. Where
    the offsets are small (``small_offsets``), as X·(slope·scale) + G·scale − (μ·slope + ḡ)·scale,
    one pass fewer; its rounding error grows with |μ|·s ≤ OFFSET_LIMIT."""
    if small_offsets(mean, 1.0 / np.square(inv_std)):
        return weighted_sum(x, slope * scale, grad_out, scale, -(mean * slope + mean_grad) * scale)
    return input_grad(x, mean, grad_out, slope, mean_grad, scale)


class BatchNorm(Function):
    """Batch normalisation in training mode, fused: Y = γ ⊙ X̂ + β with batch statistics.

    Shapes: X, Y: (N, C, *); γ (weight), β (bias): (C,), used as (1, C, 1, …). Per channel c
    the statistics run over R = (N, *), m = N·Π(*) values:
        μ = mean_R X,   σ² = mean_R (X − μ)²,   s = 1/√(σ² + ε),   X̂ = (X − μ)·s.
    Forward computes Y = (X − μ)·(γs) + β (one new array).

    Backward, G = dL/dY: (N, C, *). From Y = γX̂ + β:
        dL/dβ = Σ_R G                   (C,)
        dL/dγ = Σ_R G ⊙ X̂ = s·Σ_R G ⊙ (X − μ)      (C,)
        dL/dX̂ = γ ⊙ G, and through the statistics (module docstring, D = γG with γ constant
        over R, so Σ_R D = γ Σ_R G and Σ_R D ⊙ X̂ = γ Σ_R G ⊙ X̂):
        dL/dX = (γ·s/m) ⊙ (m·G − Σ_R G − X̂ ⊙ Σ_R G ⊙ X̂)       (N, C, *)
              = (γ·s) ⊙ (G − Σ_R G/m − (X − μ) ⊙ s²·Σ_R G ⊙ (X − μ)/m)
    The two sums of dL/dX are dL/dβ and dL/dγ/s, computed once and used twice; backward
    works in place on one new array, X − μ.

    Fused because the composite (mean, sub, mul, mean, add, rsqrt, mul, mul, add …) records
    about ten nodes and keeps several x-sized intermediates; this one keeps X (the input,
    alive anyway while its producer's graph is) and per-channel μ, s, γ.

    Params: ``eps``; ``stats``: optionally (μ, σ²) with kept dims, as ``moments(X, R)``
    computes them, passed by callers that also need them (the running-statistics update),
    so they are not computed twice.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, eps=1e-5, stats=None):
        mean, var = channel_moments(x) if stats is None else stats
        inv_std = 1.0 / np.sqrt(var + eps)
        gamma = weight.reshape(inv_std.shape)
        y = batch_normalize(x, mean, inv_std, gamma, bias.reshape(inv_std.shape))
        ctx.save_for_backward(x, mean, inv_std, gamma)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        x, mean, inv_std, gamma = ctx.saved[:4]  # (BatchNormReLU saves its output after them)
        grad_out = in_layout_of(x, grad_out)
        sum_g, sum_g_centered = centered_sums(x, mean, inv_std, grad_out)
        grad_beta = sum_g.reshape(inv_std.shape)
        grad_gamma = sum_g_centered.reshape(inv_std.shape) * inv_std
        grad_x = None
        if ctx.needs_input_grad[0]:
            m = x.size // inv_std.size
            # ((X − μ) ⊙ (−s²Σ G(X − μ)/m) + G − ΣG/m) ⊙ γs
            coefficients = (-(inv_std * grad_gamma) / m, grad_beta / m, gamma * inv_std)
            grad_x = batch_norm_input_grad(x, mean, inv_std, grad_out, *coefficients)
        grad_w = grad_gamma.reshape(-1) if ctx.needs_input_grad[1] else None
        grad_b = grad_beta.reshape(-1) if ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b


class BatchNormReLU(ReluAfter):
    """Y = max(batch_norm(X), 0): ``BatchNorm`` and ``Relu`` as one graph node (``ReluAfter``,
    where the derivation is), for a batch norm layer directly followed by a ReLU in
    ``nn.Sequential`` (its fast path, ``nn.fusion``). BatchNorm's backward never reads its
    output, so overwriting it is safe. Saves what BatchNorm saves, and Y."""

    layer = BatchNorm


class Normalize(Function):
    """X̂ = (X − μ)/√(σ² + ε), the statistics taken over ``axes`` (layer norm, group norm).

    Shapes: X, X̂: any shape (…); μ, σ², s: X's shape with ``axes`` kept as size 1; m the
    number of values over ``axes``. μ = mean X, σ² = mean (X − μ)², s = 1/√(σ² + ε).

    Backward, G = dL/dX̂ (X's shape); the module docstring's formula with D = G:
        dL/dX = (s/m) ⊙ (m·G − Σ_axes G − X̂ ⊙ Σ_axes G ⊙ X̂)      (X's shape)

    Fused for the same reasons as ``BatchNorm``; the elementwise affine map that usually
    follows (γX̂ + β, with γ and β broadcast) is an ordinary composite.
    Saves X̂ and s.
    """

    @staticmethod
    def forward(ctx, x, axes, eps=1e-5):
        mean, var = moments(x, axes)
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mean) * inv_std
        ctx.save_for_backward(x_hat, inv_std)
        ctx.axes = axes
        return x_hat

    @staticmethod
    def backward(ctx, grad_out):
        x_hat, inv_std = ctx.saved
        m = x_hat.size // inv_std.size
        sum_g = np.sum(grad_out, axis=ctx.axes, keepdims=True)
        sum_gx = np.sum(grad_out * x_hat, axis=ctx.axes, keepdims=True)
        return (inv_std / m) * (m * grad_out - sum_g - x_hat * sum_gx)

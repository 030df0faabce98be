"""The direct path of ``DepthwiseConv2d`` for stride 1 (any kernel, padding, dilation), on
NumPy arrays, beside the general offset-by-offset path in ``conv.py`` (the reference it is
tested against: tests/ops/test_depthwise_direct.py).

Per channel c, with the input X (H × W) zero-padded by (top, left, …), kernel W (kh × kw) and
dilation (dh, dw), output column j reads input column j + b·dw − left:
    Y[i, j] = Σ_{a,b} W[a, b] · X[i + a·dh − top, j + b·dw − left]
Along a row this is a product with a band matrix: cut the rows into T tiles of B output columns
(T·B ≥ the padded width Wp), give input tile t the input columns it reads, t·B + f … t·B + f +
K − 1, and then, for each kernel row a,
    Y_tile[i] = Σ_a X_tile[i + a·dh] @ Ba,   Ba[k, l] = W[a, b] where k = l + b·dw − left − f
(K × B, zero elsewhere): C batched GEMMs per kernel row instead of kh·kw elementwise passes.
Two tilings (``tiling``):
* narrow images (Wp ≤ ROWS_UP_TO): one tile, the whole unpadded row (f = 0, K = W, B = Wp);
  the band leaves the padding out, and an image is one contiguous block of its canvas, so
  laying it out is one long copy per image;
* wider ones: T ≈ Wp / TILE tiles of the padded row with their E = (kw − 1)·dw halo columns
  (f = −left, K = B + E): each output then costs K = B + E multiply-adds per kernel row
  (kw of them nonzero), where a whole row would cost W; the halo columns are copied twice.

Layout. Channel-major canvases, (C, rows, T, K): image n's rows are rows n·Hp … n·Hp + Hp − 1
of its channel (Hp the padded height, the padding rows zero), so the tiles of all images form
one matrix per channel and kernel row a is the same matrix started a·dh·T tile rows later.
Output rows i ≥ Ho of each image (and columns j ≥ Wo) are computed from the zeros and
discarded. The zero image after the last keeps every shifted matrix inside the array.

Backward, with G = dL/dY on the same row grid (zero in the discarded rows and columns) and
tiled likewise (tile t holds G's columns t·B + g … t·B + g + Kg − 1: the whole row, g = 0,
or the tile with the E columns before it, g = −E), for the padded input P:
    dL/dP_tile[i] = Σ_a G_tile[i − a·dh] @ B'a,   B'a[k, u] = W[a, b] where k = u − b·dw − g
    dL/dW[a, b] = Σ_{i,j} X[i + a·dh − top, j + b·dw − left] · G[i, j]
                = Σ_l Ma[l + b·dw − left − f, l],   Ma = Σ_{i, tiles} X_tile[i + a·dh]ᵀ @ Gy
with Gy the tile's own B columns of G (one GEMM per kernel row). G's canvas starts with
(kh − 1)·dh zero rows so that row i − a·dh exists.

The sums run in another order than the reference's (GEMMs, zero products included), so the
results agree to rounding, not bit for bit. A zero times an infinity is NaN, so a non-finite
value would spread NaN over its whole tile row: results that are not all finite are computed
again by the plain route (``plain_*``: one multiply and add per offset, in scan order, as on the
general path). Memory: the canvases and the GEMM scratch come from ``WORKSPACE`` (reused while
nothing else holds them: a fresh array of this size costs its page faults on every call).

Threads. Every channel's canvas rows, GEMMs and weight gradient are its own, so the layouts, the
banded sums and dL/dW run a contiguous block of channels per thread (``kernels.over_batch``
over the channel axis; its conditions decide whether to split). A channel's GEMMs are the same
calls whichever block it is in, so the results are the same bits split or whole.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..kernels import over_batch
from .workspace import WORKSPACE

BANDED = True  # False: every call takes the plain route (the switch the tests compare with)
ROWS_UP_TO = 32  # padded widths up to this take whole rows, wider ones tiles
TILE = 16  # output columns per tile, about
# Each GEMM call gets few enough rows that M·N·K stays under ONE_THREAD, below which OpenBLAS
# runs a GEMM on one thread (its default threshold): these products take microseconds, and
# with a second thread each one waits for it to wake (several times slower on a loaded
# machine, benchmarks/README.md); threads belong to a split of the batch instead.
ONE_THREAD = 1 << 18


class Tiling(NamedTuple):
    """T tiles of B output columns; input tile t holds columns t·B + f … t·B + f + K − 1 of X,
    G's tile t columns t·B + g … t·B + g + Kg − 1 of G."""

    tiles: int
    width: int
    span: int  # K
    first: int  # f
    grad_span: int  # Kg
    grad_first: int  # g


def tiling(w: int, left: int, right: int, halo: int) -> Tiling:
    """The tiling of rows of ``w`` input columns padded by (left, right), halo E."""
    wpad = w + left + right
    if wpad <= ROWS_UP_TO:
        return Tiling(1, wpad, w, 0, wpad - halo, 0)
    tiles = round(wpad / TILE)
    width = math.ceil(wpad / tiles)
    return Tiling(tiles, width, width + halo, -left, width + halo, -halo)


class Geometry(NamedTuple):
    """The stride-1 window over an (N, C, H, W) input and the canvases' tiling."""

    shape: tuple  # (N, C, H, W) of the input, C the output channels
    kernel: tuple  # (kh, kw)
    dilation: tuple  # (dh, dw)
    padding: tuple  # (top, bottom, left, right)
    hp: int  # padded height: rows per image on the canvases
    wpad: int  # padded width
    ho: int
    wo: int
    tile: Tiling

    @property
    def lead(self) -> int:
        """(kh − 1)·dh: the zero rows before G's canvas."""
        return (self.kernel[0] - 1) * self.dilation[0]

    @property
    def rows(self) -> int:
        """Tile rows of the output: N·Hp·T."""
        return self.shape[0] * self.hp * self.tile.tiles


def flat_geometry(shape, kernel, padding, dilation):
    """(Hp, T·B, Ho, Wo, geometry) of a stride-1 window over (N, C, H, W) padded by
    (top, bottom, left, right): T·B is the width of the output and input-gradient canvases."""
    hp = shape[2] + padding[0] + padding[1]
    wpad = shape[3] + padding[2] + padding[3]
    halo = dilation[1] * (kernel[1] - 1)
    ho, wo = hp - dilation[0] * (kernel[0] - 1), wpad - halo
    tile = tiling(shape[3], padding[2], padding[3], halo)
    geometry = Geometry(tuple(shape), tuple(kernel), tuple(dilation), tuple(padding), hp, wpad,
                        ho, wo, tile)
    return hp, tile.tiles * tile.width, ho, wo, geometry


def flat_padded(x: np.ndarray, padding, hp: int, wp: int, tail: int) -> np.ndarray:
    """The input canvas (C, (N + 1)·Hp, T, K) of x (N, C, H, W), one zero image after the last
    (``wp`` = T·B and ``tail`` = T·B − Wo as ``flat_geometry`` gives them)."""
    n, c, h, w = x.shape
    top, _, left, right = padding
    tile = tiling(w, left, right, w + left + right - (wp - tail))
    canvas = WORKSPACE.spare("depthwise.input", (c, (n + 1) * hp, tile.tiles, tile.span),
                             x.dtype)
    canvas[:, n * hp:] = 0
    image = canvas[:, :n * hp].reshape(c, n, hp, tile.tiles, tile.span)
    image[:, :, :top] = 0
    image[:, :, top + h:] = 0
    source = x.transpose(1, 0, 2, 3)
    over_batch(lambda cs: place(image[cs, :, top:top + h], source[cs], tile.first, tile.width),
               c, 2 * x.nbytes)
    return canvas


def place(tiled: np.ndarray, source: np.ndarray, first: int, width: int) -> None:
    """Write ``source`` (..., w) into ``tiled`` (..., T, K), tile t holding source columns
    t·B + f … t·B + f + K − 1 (B = ``width``, f = ``first``), zero outside the source."""
    span, w = tiled.shape[-1], source.shape[-1]
    for t in range(tiled.shape[-2]):
        lo, hi = max(0, t * width + first), min(w, t * width + first + span)
        tile = tiled[..., t, :]
        if lo >= hi:
            tile[...] = 0
            continue
        start, stop = lo - t * width - first, hi - t * width - first
        if start:
            tile[..., :start] = 0
        if stop < span:
            tile[..., stop:] = 0
        tile[..., start:stop] = source[..., lo:hi]


def weights(taps: np.ndarray, kernel) -> np.ndarray:
    """W (C, kh, kw) from the taps (kh·kw, 1, C, 1) that ``conv.py`` passes."""
    return taps[:, 0, :, 0].T.reshape(-1, *kernel)


def bands(w: np.ndarray, size: int, width: int, start: int, step: int) -> np.ndarray:
    """Band matrices (C, kh, size, width): [c, a, start + step·b + l, l] = W[c, a, b] where
    that row exists, zero elsewhere."""
    band = np.zeros((w.shape[0], w.shape[1], size, width), dtype=w.dtype)
    for b in range(w.shape[2]):
        cols = np.arange(width)
        rows = cols + start + step * b
        keep = (rows >= 0) & (rows < size)
        band[:, :, rows[keep], cols[keep]] = w[:, :, b, None]
    return band


def banded_sum(source: np.ndarray, shifts, band: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out[:, s] = Σ_a source[:, s + shifts[a]] @ band[:, a] (C batched GEMMs per a), a chunk
    of rows at a time, a block of channels per thread; ``source`` (C, rows, K), ``band``
    (C, kh, K, B), ``out`` (C, S, B)."""
    c, count, width = out.shape
    step = max(1, ONE_THREAD // (source.shape[2] * width) - 1)
    scratch = WORKSPACE.get("depthwise.product", (c, min(step, count), width), out.dtype)

    def channels(cs: slice) -> None:
        for start in range(0, count, step):
            stop = min(start + step, count)
            part, product = out[cs, start:stop], scratch[cs, :stop - start]
            np.matmul(source[cs, start + shifts[0]:stop + shifts[0]], band[cs, 0], out=part)
            for a in range(1, len(shifts)):
                np.matmul(source[cs, start + shifts[a]:stop + shifts[a]], band[cs, a],
                          out=product)
                part += product

    over_batch(channels, c, source.nbytes + 2 * out.nbytes)
    return out


def all_finite(a: np.ndarray) -> bool:
    """Whether an array holds no NaN or infinity: its sum is finite (a sum that overflows
    counts as not finite, which only sends the call to the plain route)."""
    return bool(np.isfinite(np.sum(a)))


def forward(xflat: np.ndarray, taps: np.ndarray, geometry: Geometry, length: int) -> np.ndarray:
    """Y on the row grid, as (N, C, Ho·T·B) (a view of channel-major memory; ``length`` =
    Ho·T·B): per kernel row a, the input tiles a·dh rows on times the band Ba."""
    g, tile = geometry, geometry.tile
    n, c = g.shape[0], xflat.shape[0]
    y = WORKSPACE.spare("depthwise.output", (c, n, g.hp, tile.tiles * tile.width),
                        xflat.dtype)
    w = weights(taps, g.kernel)
    if BANDED:
        band = bands(w, tile.span, tile.width, -g.padding[2] - tile.first, g.dilation[1])
        banded_sum(xflat.reshape(c, -1, tile.span),
                   [a * g.dilation[0] * tile.tiles for a in range(g.kernel[0])], band,
                   y.reshape(c, g.rows, tile.width))
    if not (BANDED and all_finite(y)):
        y[:, :, :g.ho, :g.wo] = plain_forward(untiled(xflat, g), w, g)
    return y[:, :, :g.ho].reshape(c, n, length).transpose(1, 0, 2)


class Upstream:
    """dL/dY of one backward pass; its canvas (C, lead + N·Hp, T, Kg) is built on first use
    (``on_grid`` is not given the geometry, ``grad_input`` and ``grad_taps`` are) and shared
    by both."""

    def __init__(self, grad_out: np.ndarray) -> None:
        self.grad_out = grad_out
        self._canvas = None

    def canvas(self, g: Geometry) -> np.ndarray:
        if self._canvas is None:
            n, c, ho, _ = self.grad_out.shape
            tile = g.tile
            canvas = WORKSPACE.get("depthwise.upstream",
                                   (c, g.lead + n * g.hp, tile.tiles, tile.grad_span),
                                   self.grad_out.dtype)
            canvas[:, :g.lead] = 0
            image = canvas[:, g.lead:].reshape(c, n, g.hp, tile.tiles, tile.grad_span)
            image[:, :, ho:] = 0
            source = self.grad_out.transpose(1, 0, 2, 3)
            over_batch(lambda cs: place(image[cs, :, :ho], source[cs], tile.grad_first,
                                        tile.width), c, 2 * source.nbytes)
            self._canvas = canvas
        return self._canvas


def on_grid(grad_out: np.ndarray, wp: int) -> Upstream:
    """G, to be laid out on the row grid by ``grad_input`` and ``grad_taps``."""
    return Upstream(grad_out)


def grad_input(grid: Upstream, taps: np.ndarray, geometry: Geometry, row: int) -> np.ndarray:
    """dL/dP on the row grid, as (N, C, Hp·T·B) (a view of channel-major memory): per kernel
    row a, G's tiles a·dh rows back times the band B'a. (``row`` is not needed.)"""
    g, tile = geometry, geometry.tile
    n, c = g.shape[0], taps.shape[2]
    grad = WORKSPACE.spare("depthwise.grad_input", (c, n, g.hp, tile.tiles * tile.width),
                           taps.dtype)
    w = weights(taps, g.kernel)
    if BANDED:
        band = bands(w, tile.grad_span, tile.width, -tile.grad_first, -g.dilation[1])
        banded_sum(grid.canvas(g).reshape(c, -1, tile.grad_span),
                   [(g.lead - a * g.dilation[0]) * tile.tiles for a in range(g.kernel[0])],
                   band, grad.reshape(c, g.rows, tile.width))
    if not (BANDED and all_finite(grad)):
        grad[..., :g.wpad] = plain_grad_input(grid.grad_out.transpose(1, 0, 2, 3), w, g)
    return grad.reshape(c, n, g.hp * tile.tiles * tile.width).transpose(1, 0, 2)


def grad_taps(xflat: np.ndarray, grid: Upstream, geometry: Geometry) -> np.ndarray:
    """dL/dtaps (kh·kw, C), by ``banded_grad_taps`` (the plain route if that is not finite)."""
    g = geometry
    grad = banded_grad_taps(xflat, grid.canvas(g), g) if BANDED else None
    if grad is None or not np.isfinite(grad).all():
        grad = plain_grad_taps(untiled(xflat, g), grid.grad_out.transpose(1, 0, 2, 3), g)
    return grad.reshape(grad.shape[0], -1).T


def banded_grad_taps(xflat: np.ndarray, upstream: np.ndarray, g: Geometry) -> np.ndarray:
    """dL/dW (C, kh, kw): per kernel row a, Ma = Σ (input tiles a·dh rows on)ᵀ @ Gy (a chunk
    of rows at a time), then dL/dW[a, b] = Σ_l Ma[l + b·dw − left − f, l]; a block of
    channels per thread."""
    tile = g.tile
    c, span = xflat.shape[0], tile.span
    own = min(tile.width, tile.grad_span + tile.grad_first)  # Gy's columns
    gy = upstream[:, g.lead:, :, -tile.grad_first:-tile.grad_first + own]
    gy = gy.reshape(c, g.rows, own)
    source = xflat.reshape(c, -1, span)
    step = max(1, ONE_THREAD // (span * own) - 1)
    grad = np.empty((c, *g.kernel), dtype=xflat.dtype)

    def channels(cs: slice) -> None:
        for a in range(g.kernel[0]):
            shift = a * g.dilation[0] * tile.tiles
            m = np.zeros((cs.stop - cs.start, span, own), dtype=xflat.dtype)
            for start in range(0, g.rows, step):
                stop = min(start + step, g.rows)
                m += np.matmul(source[cs, start + shift:stop + shift].transpose(0, 2, 1),
                               gy[cs, start:stop])
            for b in range(g.kernel[1]):
                cols = np.arange(own)
                rows = cols + b * g.dilation[1] - g.padding[2] - tile.first
                keep = (rows >= 0) & (rows < span)
                # contiguous first: the sum of a strided selection runs in an order that
                # depends on the number of channels, and so on the block
                grad[cs, a, b] = np.ascontiguousarray(m[:, rows[keep], cols[keep]]).sum(axis=1)

    over_batch(channels, c, xflat.nbytes + gy.nbytes)
    return grad


def untiled(xflat: np.ndarray, g: Geometry) -> np.ndarray:
    """The padded input (C, N, Hp, Wp) from its canvas."""
    c, n, tile = xflat.shape[0], g.shape[0], g.tile
    tiles = xflat[:, :n * g.hp].reshape(c, n, g.hp, tile.tiles, tile.span)
    padded = np.zeros((c, n, g.hp, g.wpad), dtype=xflat.dtype)
    for t in range(tile.tiles):
        origin = t * tile.width + tile.first + g.padding[2]  # padded column of the tile's first
        lo, hi = max(origin, 0), min(origin + tile.span, g.wpad)
        padded[..., lo:hi] = tiles[..., t, lo - origin:hi - origin]
    return padded


def windows(g: Geometry):
    """(a, b, rows, cols) of each kernel offset in scan order: the padded input it reads."""
    (kh, kw), (dh, dw) = g.kernel, g.dilation
    return [(a, b, slice(a * dh, a * dh + g.ho), slice(b * dw, b * dw + g.wo))
            for a in range(kh) for b in range(kw)]


def plain_forward(padded: np.ndarray, w: np.ndarray, g: Geometry) -> np.ndarray:
    """Y (C, N, Ho, Wo) = Σ_{a,b} W[:, a, b] · P[:, :, a·dh + i, b·dw + j], one multiply and
    one add per offset in scan order (the general path's order)."""
    y = None
    for a, b, rows, cols in windows(g):
        term = padded[:, :, rows, cols] * w[:, a, b, None, None, None]
        y = term if y is None else y.__iadd__(term)
    return y


def plain_grad_input(grad: np.ndarray, w: np.ndarray, g: Geometry) -> np.ndarray:
    """dL/dP (C, N, Hp, Wp): W[:, a, b] · G added where offset (a, b) read, in scan order."""
    c, n = grad.shape[:2]
    out = np.zeros((c, n, g.hp, g.wpad), dtype=grad.dtype)
    for a, b, rows, cols in windows(g):
        out[:, :, rows, cols] += grad * w[:, a, b, None, None, None]
    return out


def plain_grad_taps(padded: np.ndarray, grad: np.ndarray, g: Geometry) -> np.ndarray:
    """dL/dW (C, kh, kw) = Σ_{n,i,j} P[:, n, a·dh + i, b·dw + j] · G[:, n, i, j]."""
    out = np.empty((grad.shape[0], *g.kernel), dtype=grad.dtype)
    for a, b, rows, cols in windows(g):
        out[:, a, b] = np.einsum("cnij,cnij->c", padded[:, :, rows, cols], grad)
    return out

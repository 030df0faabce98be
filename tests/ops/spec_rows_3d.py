"""Gradient-check rows for the 3-D convolutions and pools (and, as they come, the other
functions of the nn-3d family), gathered into ``spec_rows_functional.FUNCTIONAL``. Their
values and gradients are compared with torch in tests/nn/test_3d.py; pooling windows see
all-distinct values, so the maxima have no ties within a finite difference."""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.functional as F
from tests.ops.spec_types import ANY, DISTINCT, POSITIVE, OpSpec, Uniform


def row(name, op, *cases, domain=ANY) -> OpSpec:
    """A gradient-check row: ``cases`` are tuples of input shapes."""
    return OpSpec(name, op, None, None, tuple(cases), domain)


ROWS_3D = [
    row("conv3d", F.conv3d, ((1, 2, 3, 4, 3), (3, 2, 2, 2, 2), (3,))),
    row("conv3d[stride_padding_dilation_groups]",
        lambda x, w: F.conv3d(x, w, None, stride=(2, 1, 1), padding=(1, 0, 1),
                              dilation=(1, 2, 1), groups=2),
        ((2, 4, 3, 4, 3), (2, 2, 2, 2, 2))),
    row("conv3d[same_unbatched]", lambda x, w, b: F.conv3d(x, w, b, padding="same"),
        ((2, 3, 3, 2), (2, 2, 2, 3, 2), (2,))),
    row("conv_transpose3d", F.conv_transpose3d, ((1, 2, 2, 3, 2), (2, 3, 2, 2, 2), (3,))),
    row("conv_transpose3d[stride_padding_output_padding_groups]",
        lambda x, w, b: F.conv_transpose3d(x, w, b, stride=(2, 1, 2), padding=(1, 0, 0),
                                           output_padding=(1, 0, 1), groups=2),
        ((1, 4, 2, 2, 2), (4, 1, 3, 2, 2), (2,))),
    row("max_pool3d", lambda x: F.max_pool3d(x, 2), ((1, 2, 4, 4, 3),), domain=DISTINCT),
    row("max_pool3d[overlap_padding_dilation_ceil]",
        lambda x: F.max_pool3d(x, (3, 2, 2), stride=(2, 1, 2), padding=(1, 1, 0),
                               dilation=(1, 1, 2), ceil_mode=True),
        ((1, 2, 4, 3, 5),), domain=DISTINCT),
    row("max_pool3d[indices]", lambda x: F.max_pool3d(x, 2, return_indices=True),
        ((2, 2, 2, 4),), domain=DISTINCT),
    row("avg_pool3d", lambda x: F.avg_pool3d(x, 2), ((1, 2, 4, 4, 3),)),
    row("avg_pool3d[padding_ceil_exclude_pad]",
        lambda x: F.avg_pool3d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False),
        ((1, 2, 4, 3, 4),)),
    row("avg_pool3d[divisor_override]", lambda x: F.avg_pool3d(x, 2, 1, divisor_override=3),
        ((1, 1, 3, 3, 3),)),
    row("adaptive_avg_pool3d", lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2)),
        ((1, 2, 3, 5, 4),)),
    row("adaptive_max_pool3d", lambda x: F.adaptive_max_pool3d(x, (2, 2, 3)),
        ((1, 2, 3, 4, 5),), domain=DISTINCT),
]

# max_unpool3d's indices are those a max pool of kernel 2 over a (4, 4, 4) volume could give:
# one position d·16 + h·4 + w inside each 2×2×2 window; lp_pool3d sees positive inputs.
UNPOOL_3D = np.array([[[[[17, 6], [28, 11]], [[37, 50], [41, 63]]]]])
ROWS_3D += [
    row("max_pool3d_with_indices",
        lambda x: F.max_pool3d_with_indices(x, 2, 1, 1, ceil_mode=True), ((1, 2, 2, 3, 3),),
        domain=DISTINCT),
    row("adaptive_max_pool3d_with_indices",
        lambda x: F.adaptive_max_pool3d_with_indices(x, (2, 1, 2)), ((2, 3, 4, 3),),
        domain=DISTINCT),
    row("max_unpool3d", lambda x: F.max_unpool3d(x, cr.tensor(UNPOOL_3D), 2),
        ((1, 1, 2, 2, 2),)),
    row("max_unpool3d[unbatched_output_size]",
        lambda x: F.max_unpool3d(x, cr.tensor(UNPOOL_3D[0]), 2, output_size=(5, 4, 5)),
        ((1, 2, 2, 2),)),
    row("lp_pool3d", lambda x: F.lp_pool3d(x, 2, (2, 1, 2), 1), ((1, 2, 3, 2, 3),),
        domain=POSITIVE),
    row("lp_pool3d[ceil_unbatched]", lambda x: F.lp_pool3d(x, 1.5, 2, ceil_mode=True),
        ((2, 3, 3, 3),), domain=POSITIVE),
]

# grid_sample on a (3, 4) image (and a (3, 3, 4) volume, z like y): grid values keep 0.02
# away from the kinks, where a pixel position is an integer (bilinear), a half-integer
# (nearest), or an edge of the image (border's clamp, reflection's folds). Positions:
# align_corners ix = 1.5(gx + 1), iy = gy + 1; otherwise ix = 2(gx + 1) − ½, iy = 1.5(gy + 1) − ½.
ALIGNED = Uniform(-1.3, 1.3, avoid=(-4 / 3, -1, -1 / 3, 0, 1 / 3, 1, 4 / 3), margin=0.02)
UNALIGNED = Uniform(-1.3, 1.3, avoid=tuple(k / 4 for k in range(-5, 6)) +
                    tuple(k / 3 for k in range(-4, 5)), margin=0.02)
IMAGE, POINTS = (2, 2, 3, 4), (2, 3, 5, 2)

ROWS_3D += [
    row("affine_grid", lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=False),
        ((2, 2, 3),)),
    row("affine_grid[3d_align_corners]",
        lambda t: F.affine_grid(t, (1, 2, 2, 3, 4), align_corners=True), ((1, 3, 4),)),
    row("grid_sample", lambda x, g: F.grid_sample(x, g, align_corners=False),
        (IMAGE, POINTS), domain=(ANY, UNALIGNED)),
    row("grid_sample[border_align_corners]",
        lambda x, g: F.grid_sample(x, g, padding_mode="border", align_corners=True),
        (IMAGE, POINTS), domain=(ANY, ALIGNED)),
    row("grid_sample[reflection]",
        lambda x, g: F.grid_sample(x, g, padding_mode="reflection", align_corners=False),
        (IMAGE, POINTS), domain=(ANY, UNALIGNED)),
    row("grid_sample[reflection_align_corners]",
        lambda x, g: F.grid_sample(x, g, padding_mode="reflection", align_corners=True),
        (IMAGE, POINTS), domain=(ANY, ALIGNED)),
    row("grid_sample[volume_reflection_align_corners]",
        lambda x, g: F.grid_sample(x, g, padding_mode="reflection", align_corners=True),
        ((1, 2, 3, 3, 4), (1, 2, 2, 3, 3)), domain=(ANY, ALIGNED)),
    row("grid_sample[nearest]",
        lambda x, g: F.grid_sample(x, g, mode="nearest", align_corners=False),
        (IMAGE, POINTS), domain=(ANY, UNALIGNED)),
]

# bicubic grid_sample: cubic convolution has a continuous slope, so the only kinks (of the
# second derivative) are at integer positions, which ALIGNED and UNALIGNED avoid; its padding
# moves the taps, not the point, and adds none. Taps reach two pixels past the image; a
# one-row image (iy = 0 with align_corners, else gy/2) is the degenerate case.
ONE_ROW = (2, 2, 1, 4)


def bicubic(padding_mode, align_corners):
    return lambda x, g: F.grid_sample(x, g, "bicubic", padding_mode, align_corners)


ROWS_3D += [
    row(f"grid_sample[bicubic_{padding_mode}{'_align_corners' if align_corners else ''}]",
        bicubic(padding_mode, align_corners), (IMAGE, POINTS), (ONE_ROW, POINTS),
        domain=(ANY, ALIGNED if align_corners else UNALIGNED))
    for padding_mode in ("zeros", "border", "reflection") for align_corners in (False, True)
]

# embedding_bag: bags [1, 2, 4, 1], [], [5, 3, 0] of a flat input (bag 2 also holds a padding
# entry, index 2, when padding_idx=2); the gradients are those of the weight and the
# per-sample weights.
BAG_INPUT, BAG_OFFSETS = np.array([1, 2, 4, 1, 5, 3, 2, 0]), np.array([0, 4, 4])


def bag(weight, mode, **kwargs):
    return F.embedding_bag(cr.tensor(BAG_INPUT), weight, cr.tensor(BAG_OFFSETS), mode=mode,
                           **kwargs)


ROWS_3D += [
    row("embedding_bag", lambda w: bag(w, "mean"), ((6, 3),)),
    row("embedding_bag[sum_per_sample_weights_padding]",
        lambda w, s: bag(w, "sum", per_sample_weights=s, padding_idx=2), ((6, 3), (8,))),
    row("embedding_bag[max_2d]",
        lambda w: F.embedding_bag(cr.tensor(np.array([[0, 3, 5], [2, 2, 1]])), w, mode="max"),
        ((6, 3),), domain=DISTINCT),
]

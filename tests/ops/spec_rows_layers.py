"""Gradient-check rows for the functions behind the added layers (padding modes, instance
norm, pixel shuffle, unfold/fold, the linear interpolation modes and the deprecated upsample
names, bilinear, conv_transpose1d, the 1-D and 2-D ``*_with_indices`` max pools), gathered
into ``spec_rows_functional.FUNCTIONAL``. Their values are tested against NumPy references
and torch in tests/nn (test_padding, test_instance_norm, test_interpolate, test_fold,
test_layers_more, test_pooling_more)."""

from __future__ import annotations

import warnings

import numpy as np

import chainrule as cr
import chainrule.functional as F
from tests.ops.spec_types import ANY, DISTINCT, POSITIVE, OpSpec


def row(name, op, *cases, domain=None) -> OpSpec:
    """A gradient-check row: ``cases`` are tuples of input shapes."""
    return OpSpec(name, op, None, None, tuple(cases), ANY if domain is None else domain)


RUNNING_MEAN, RUNNING_VAR = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, 2.0])


def quietly(name, *args, **kwargs):
    """F.<name>(*args, **kwargs) without the deprecation warning the upsample names give."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return getattr(F, name)(*args, **kwargs)


LAYER_ROWS = [
    row("pad[reflect]", lambda x: F.pad(x, (2, 1), mode="reflect"), ((2, 3, 4),)),
    row("pad[replicate_2d]", lambda x: F.pad(x, (1, 2, 2, 0), mode="replicate"),
        ((1, 2, 3, 3),)),
    row("pad[circular_3d]", lambda x: F.pad(x, (1, 1, 0, 2, 1, 0), mode="circular"),
        ((1, 2, 2, 3, 2),)),
    row("instance_norm", lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
        ((2, 3, 4), (3,), (3,)), ((2, 3, 2, 3), (3,), (3,))),
    row("instance_norm[running_stats]",
        lambda x: F.instance_norm(x, cr.tensor(RUNNING_MEAN), cr.tensor(RUNNING_VAR),
                                  use_input_stats=False), ((2, 3, 4),),
        domain=POSITIVE),
    row("local_response_norm", lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.75),
        ((2, 5, 3),), ((1, 4, 2, 2),)),
    row("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), ((1, 8, 2, 3),)),
    row("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2), ((1, 2, 4, 2),)),
    row("unfold", lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=2),
        ((1, 2, 4, 5),)),
    row("fold", lambda x: F.fold(x, (4, 5), 2, stride=(1, 2)), ((1, 8, 6),)),
    row("interpolate[linear]", lambda x: F.interpolate(x, scale_factor=1.5, mode="linear"),
        ((1, 2, 4),)),
    row("interpolate[bilinear_align_corners]",
        lambda x: F.interpolate(x, size=(3, 5), mode="bilinear", align_corners=True),
        ((1, 2, 2, 3),)),
    row("interpolate[trilinear]", lambda x: F.interpolate(x, scale_factor=0.7, mode="trilinear"),
        ((1, 1, 3, 3, 4),)),
    row("interpolate[bicubic]", lambda x: F.interpolate(x, scale_factor=1.5, mode="bicubic"),
        ((1, 2, 3, 3),)),
    row("bilinear", F.bilinear, ((4, 3), (4, 2), (5, 3, 2), (5,))),
    row("conv_transpose1d", F.conv_transpose1d, ((1, 2, 4), (2, 3, 3), (3,))),
    row("conv_transpose1d[stride_groups]",
        lambda x, w: F.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1, groups=2),
        ((2, 4, 3), (4, 1, 3))),
]
LAYER_ROWS += [
    row("upsample", lambda x: quietly("upsample", x, scale_factor=1.5, mode="bilinear"),
        ((1, 2, 2, 3),)),
    row("upsample_nearest", lambda x: quietly("upsample_nearest", x, size=(3, 5)),
        ((1, 2, 2, 3),)),
    row("upsample_bilinear", lambda x: quietly("upsample_bilinear", x, scale_factor=2),
        ((1, 2, 2, 3),)),
    row("max_pool1d_with_indices", lambda x: F.max_pool1d_with_indices(x, 3, 2, 1),
        ((2, 2, 7),), domain=DISTINCT),
    row("max_pool2d_with_indices", lambda x: F.max_pool2d_with_indices(x, 2, ceil_mode=True),
        ((1, 2, 3, 5),), domain=DISTINCT),
    row("adaptive_max_pool1d_with_indices",
        lambda x: F.adaptive_max_pool1d_with_indices(x, 3), ((2, 2, 7),), domain=DISTINCT),
    row("adaptive_max_pool2d_with_indices",
        lambda x: F.adaptive_max_pool2d_with_indices(x, (2, 3)), ((1, 2, 5, 4),),
        domain=DISTINCT),
]

# Fractional max pooling with its random window offsets fixed (``_random_samples``, one per
# image, channel and dimension): then a deterministic max over overlapping windows.
FRACTIONAL_2D = cr.tensor(np.array([[[0.3, 0.8], [0.9, 0.1]]]))
FRACTIONAL_3D = cr.tensor(np.array([[[0.3, 0.8, 0.5], [0.9, 0.1, 0.6]]]))
LAYER_ROWS += [
    row("fractional_max_pool2d",
        lambda x: F.fractional_max_pool2d(x, 2, (3, 2), _random_samples=FRACTIONAL_2D),
        ((1, 2, 5, 4),), domain=DISTINCT),
    row("fractional_max_pool2d_with_indices",
        lambda x: F.fractional_max_pool2d_with_indices(x, (2, 1), output_ratio=0.5,
                                                       _random_samples=FRACTIONAL_2D),
        ((1, 2, 6, 5),), domain=DISTINCT),
    row("fractional_max_pool3d",
        lambda x: F.fractional_max_pool3d(x, 2, (2, 2, 2), _random_samples=FRACTIONAL_3D),
        ((1, 2, 4, 4, 4),), domain=DISTINCT),
    row("fractional_max_pool3d_with_indices",
        lambda x: F.fractional_max_pool3d_with_indices(x, (1, 2, 2), (2, 2, 2),
                                                       _random_samples=FRACTIONAL_3D),
        ((1, 2, 3, 4, 4),), domain=DISTINCT),
]

"""chainrule.vision.transforms.functional against NumPy slicing and the transform classes."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule.vision import transforms as T
from chainrule.vision.transforms import functional as TF


def image(h=6, w=5, c=None):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (h, w) if c is None else (h, w, c), dtype=np.uint8)


def test_flips_mirror_images_and_tensors():
    np.testing.assert_array_equal(TF.hflip(image(c=3)), image(c=3)[:, ::-1])
    np.testing.assert_array_equal(TF.vflip(chainrule.tensor(image()[None])).numpy(),
                                  image()[None, ::-1])


def test_crop_reads_the_window_and_zeros_outside():
    a = image(6, 5)
    np.testing.assert_array_equal(TF.crop(a, 1, 2, 3, 2), a[1:4, 2:4])
    out = TF.crop(a, -1, 3, 3, 4)
    expected = np.zeros((3, 4), np.uint8)
    expected[1:, :2] = a[0:2, 3:5]
    np.testing.assert_array_equal(out, expected)


def test_rotate_by_90_is_rot90_and_refuses_expand():
    np.testing.assert_array_equal(TF.rotate(image(5, 5), 90), np.rot90(image(5, 5)))
    np.testing.assert_array_equal(TF.rotate(image(5, 5), -90, interpolation="bilinear"),
                                  np.rot90(image(5, 5), -1))
    with pytest.raises(ValueError, match="expand=True"):
        TF.rotate(image(), 10, expand=True)


def test_the_functions_agree_with_the_classes():
    a, t = image(7, 9, 3), chainrule.rand(2, 7, 9)
    np.testing.assert_array_equal(TF.resize(a, 4), T.Resize(4)(a))
    np.testing.assert_array_equal(TF.center_crop(t, 3).numpy(), T.CenterCrop(3)(t).numpy())
    np.testing.assert_array_equal(TF.pad(a, (1, 2), 5), T.Pad((1, 2), 5)(a))
    x = TF.to_tensor(a)
    np.testing.assert_array_equal(TF.normalize(x, (0.5,) * 3, (0.25,) * 3).numpy(),
                                  (x.numpy() - 0.5) / 0.25)

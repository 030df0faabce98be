"""chainrule.vision.transforms against NumPy references written here (and PyTorch's
interpolate where torch is installed)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule.vision import transforms as T
from tests.optional import needs_torch, torch


def image(h=6, w=5, c=None, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w) if c is None else (h, w, c), dtype=np.uint8)


def test_to_tensor_scales_bytes_and_puts_channels_first():
    grey, rgb = image(), image(c=3)
    out = T.ToTensor()(grey)
    assert out.shape == (1, 6, 5) and out.dtype == chainrule.float32
    np.testing.assert_allclose(out.numpy()[0], grey / 255.0, rtol=1e-6)
    out = T.ToTensor()(rgb)
    assert out.shape == (3, 6, 5)
    np.testing.assert_allclose(out.numpy()[2], rgb[:, :, 2] / 255.0, rtol=1e-6)
    floats = np.linspace(0, 3, 30).reshape(6, 5)
    np.testing.assert_array_equal(T.ToTensor()(floats).numpy()[0], floats)


def test_to_tensor_refuses_tensors_and_wrong_ranks():
    with pytest.raises(TypeError, match="NumPy array"):
        T.ToTensor()(chainrule.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="2 or 3 dimensional"):
        T.ToTensor()(np.zeros((1, 2, 2, 3), np.uint8))


def test_normalize_per_channel_and_in_place():
    x = chainrule.tensor(np.random.default_rng(1).random((3, 4, 4), dtype=np.float32))
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    expected = (x.numpy() - np.array(mean, np.float32)[:, None, None]) / np.array(
        std, np.float32)[:, None, None]
    np.testing.assert_allclose(T.Normalize(mean, std)(x).numpy(), expected, rtol=1e-6)
    same = T.Normalize(mean, std, inplace=True)(x)
    assert same is x
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)


def test_normalize_errors_name_the_problem():
    with pytest.raises(ValueError, match="zero"):
        T.Normalize((0.5,), (0.0,))(chainrule.zeros(1, 2, 2))
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize((0.5,), (0.5,))(chainrule.zeros(1, 2, 2, dtype=chainrule.int64))
    with pytest.raises(TypeError, match="should be a Tensor"):
        T.Normalize((0.5,), (0.5,))(np.zeros((1, 2, 2)))


def test_compose_and_lambda_apply_in_order():
    t = T.Compose([T.Lambda(lambda a: a + 1), T.Lambda(lambda a: a * 10)])
    assert t(2) == 30
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)


def test_resize_int_keeps_the_aspect_ratio_of_the_smaller_edge():
    assert T.Resize(14)(np.zeros((28, 56), np.uint8)).shape == (14, 28)
    assert T.Resize(10)(chainrule.zeros(3, 30, 20)).shape == (3, 15, 10)
    assert T.Resize(10, max_size=12)(np.zeros((20, 40), np.uint8)).shape == (6, 12)
    assert T.Resize((7, 3))(image(c=3)).shape == (7, 3, 3)


def bilinear_reference(a, h, w):
    """Pixel by pixel: output centre (i + ½)·in/out − ½, clamped at 0, between neighbours."""
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            y = max((i + 0.5) * a.shape[0] / h - 0.5, 0)
            x = max((j + 0.5) * a.shape[1] / w - 0.5, 0)
            y0, x0 = int(y), int(x)
            y1, x1 = min(y0 + 1, a.shape[0] - 1), min(x0 + 1, a.shape[1] - 1)
            dy, dx = y - y0, x - x0
            out[i, j] = ((1 - dy) * ((1 - dx) * a[y0, x0] + dx * a[y0, x1])
                         + dy * ((1 - dx) * a[y1, x0] + dx * a[y1, x1]))
    return out


@pytest.mark.parametrize("size", [(9, 7), (3, 2), (6, 5)])
def test_resize_bilinear_matches_a_pixel_loop(size):
    a = np.random.default_rng(2).random((6, 5))
    out = T.Resize(size)(chainrule.tensor(a[None]))
    np.testing.assert_allclose(out.numpy()[0], bilinear_reference(a, *size), rtol=1e-12)
    as_bytes = T.Resize(size)(image())
    assert as_bytes.dtype == np.uint8  # rounded to the nearest byte (ties either way)
    np.testing.assert_allclose(as_bytes, bilinear_reference(image().astype(float), *size),
                               atol=0.5 + 1e-9)


@needs_torch
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_resize_matches_torch_interpolate_when_enlarging(mode):
    a = np.random.default_rng(3).random((2, 3, 5, 4)).astype(np.float32)
    ours = T.Resize((11, 9), interpolation=mode)(chainrule.tensor(a))
    kwargs = {"align_corners": False} if mode == "bilinear" else {}
    theirs = torch.nn.functional.interpolate(torch.tensor(a), size=(11, 9), mode=mode, **kwargs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_resize_refuses_an_unknown_interpolation():
    with pytest.raises(ValueError, match="interpolation 'bicubic'"):
        T.Resize(4, interpolation="bicubic")


def test_center_crop_takes_the_rounded_centre_and_pads_small_images():
    a = image(7, 8)
    np.testing.assert_array_equal(T.CenterCrop((3, 4))(a), a[2:5, 2:6])
    np.testing.assert_array_equal(T.CenterCrop(2)(image(5, 5)), image(5, 5)[2:4, 2:4])
    big = T.CenterCrop((9, 8))(chainrule.tensor(a[None]))
    expected = np.zeros((1, 9, 8), np.uint8)
    expected[0, 1:8] = a
    np.testing.assert_array_equal(big.numpy(), expected)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_matches_numpy_for_every_mode_and_form(mode):
    a = image(c=3)
    np.testing.assert_array_equal(T.Pad((1, 2, 3, 4), padding_mode=mode)(a),
                                  np.pad(a, ((2, 4), (1, 3), (0, 0)), mode=mode))
    np.testing.assert_array_equal(T.Pad((1, 2), fill=7)(image()),
                                  np.pad(image(), ((2, 2), (1, 1)), constant_values=7))
    with pytest.raises(ValueError, match="padding_mode 'wrap'"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match="1, 2 or 4 ints"):
        T.Pad((1, 2, 3))


def windows(a, h, w):
    return [a[..., i:i + h, j:j + w] for i in range(a.shape[-2] - h + 1)
            for j in range(a.shape[-1] - w + 1)]


def test_random_crop_is_a_window_of_the_padded_image_and_reproducible():
    a = image(6, 6)
    crop = T.RandomCrop(5, padding=2, fill=9)
    chainrule.manual_seed(4)
    first = [crop(a) for _ in range(5)]
    chainrule.manual_seed(4)
    again = [crop(a) for _ in range(5)]
    padded = np.pad(a, 2, constant_values=9)
    for out, repeat in zip(first, again):
        np.testing.assert_array_equal(out, repeat)
        assert any(np.array_equal(out, w) for w in windows(padded, 5, 5))
    assert len({out.tobytes() for out in first}) > 1


def test_random_crop_pads_if_needed_or_says_the_image_is_too_small():
    assert T.RandomCrop((8, 7), pad_if_needed=True)(image(6, 5)).shape == (8, 7)
    with pytest.raises(ValueError, match=r"crop size \(8, 7\) is larger than the input image"):
        T.RandomCrop((8, 7))(image(6, 5))


def test_flips_follow_p_and_the_seed():
    a = chainrule.tensor(image()[None])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(a).numpy(), a.numpy()[..., ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(image(c=3)), image(c=3)[::-1])
    assert T.RandomHorizontalFlip(0.0)(a) is a
    chainrule.manual_seed(5)
    first = [T.RandomHorizontalFlip()(a).numpy()[0, 0, 0] for _ in range(20)]
    chainrule.manual_seed(5)
    assert first == [T.RandomHorizontalFlip()(a).numpy()[0, 0, 0] for _ in range(20)]
    assert len(set(first)) == 2


@pytest.mark.parametrize("size", [6, 7])
def test_rotation_by_90_degrees_is_rot90(size):
    a = image(size, size)
    turned = T.RandomRotation((90, 90))(a)
    np.testing.assert_array_equal(turned, np.rot90(a))
    bilinear = T.RandomRotation((90, 90), interpolation=T.InterpolationMode.BILINEAR)
    np.testing.assert_array_equal(bilinear(a), np.rot90(a))


def test_rotation_about_a_given_centre_uses_torchvisions_pixel_coordinates():
    a = image(5, 5)
    # (W/2, H/2) is the default centre; about (0.5, 0.5), the centre of pixel (0, 0), a
    # half turn sends pixel (i, j) to (−i, −j): only pixel (0, 0) stays inside
    np.testing.assert_array_equal(T.RandomRotation((90, 90), center=(2.5, 2.5))(a),
                                  np.rot90(a))
    turned = T.RandomRotation((180, 180), center=(0.5, 0.5), fill=7)(a)
    expected = np.full((5, 5), 7, np.uint8)
    expected[0, 0] = a[0, 0]
    np.testing.assert_array_equal(turned, expected)


def test_rotation_fills_the_corners_and_is_reproducible():
    a = chainrule.ones(1, 9, 9)
    out = T.RandomRotation((45, 45), fill=-1)(a).numpy()[0]
    assert out[0, 0] == -1 and out[4, 4] == 1
    rotate = T.RandomRotation(30, interpolation="bilinear")
    chainrule.manual_seed(6)
    first = rotate(chainrule.tensor(image()[None] / 255.0))
    chainrule.manual_seed(6)
    np.testing.assert_array_equal(first.numpy(),
                                  rotate(chainrule.tensor(image()[None] / 255.0)).numpy())
    with pytest.raises(ValueError, match="non-negative"):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="expand=True"):
        T.RandomRotation(3, expand=True)


def test_bad_images_and_pil_names_raise_clear_errors():
    with pytest.raises(TypeError, match="no PIL"):
        T.CenterCrop(2)([[1, 2]])
    with pytest.raises(ValueError, match="H×W or H×W×C"):
        T.CenterCrop(2)(np.zeros((1, 2, 3, 4)))
    with pytest.raises(AttributeError, match="ToPILImage: chainrule has no PIL"):
        T.ToPILImage()  # noqa: B018

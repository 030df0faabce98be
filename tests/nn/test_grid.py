"""affine_grid and grid_sample: values and gradients (with respect to the image, the grid and
θ) against PyTorch in float64 for every mode, padding mode and align_corners (bicubic also in
float32 and at points exactly on pixel centres and edges), properties that need no reference
(the identity map reproduces the image; an integer shift moves it; bicubic weights sum to 1),
dtypes, empty batches and the errors for bad input. The finite-difference checks are the rows
of tests/ops/spec_rows_3d.py."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn import functional as F
from tests.nn.test_3d import compare_with_torch
from tests.optional import needs_torch, torch

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


@needs_torch
@pytest.mark.filterwarnings("ignore:Default grid_sample and affine_grid")
@pytest.mark.filterwarnings("ignore:Since version 1.3.0, affine_grid")
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 3, 2, 3, 4), (2, 3, 1, 1, 2)])
@pytest.mark.parametrize("align_corners", [True, False, None])
def test_affine_grid_matches_torch(size, align_corners):
    dims = len(size) - 2
    theta = np.random.default_rng(0).standard_normal((2, dims, dims + 1))
    compare_with_torch(lambda t: F.affine_grid(t, size, align_corners),
                       lambda t: torch.nn.functional.affine_grid(t, size, align_corners),
                       [theta])


@needs_torch
@pytest.mark.filterwarnings("ignore:Default grid_sample and affine_grid")
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False, None])
@pytest.mark.parametrize(("image", "spread"), [((2, 3, 4, 5), 1.6), ((2, 2, 1, 3), 4.0),
                                               ((1, 2, 5, 1), 3.0), ((1, 1, 1, 1), 2.0)])
def test_grid_sample_matches_torch(mode, padding_mode, align_corners, image, spread):
    """Grid points reach far outside the image (spread > 1), so every padding rule is used
    (bicubic's taps reach two pixels further); the images of one row, one column and one
    pixel are the degenerate cases of reflection."""
    rng = np.random.default_rng(1)
    x, grid = rng.standard_normal(image), rng.uniform(-spread, spread, (image[0], 3, 6, 2))
    compare_with_torch(
        lambda a, b: F.grid_sample(a, b, mode, padding_mode, align_corners),
        lambda a, b: torch.nn.functional.grid_sample(a, b, mode, padding_mode, align_corners),
        [x, grid])


@needs_torch
@pytest.mark.filterwarnings("ignore:Default grid_sample and affine_grid")
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_grid_sample_of_volumes_matches_torch(mode, padding_mode, align_corners):
    rng = np.random.default_rng(7)
    x, grid = rng.standard_normal((2, 2, 3, 4, 5)), rng.uniform(-1.5, 1.5, (2, 2, 3, 4, 3))
    compare_with_torch(
        lambda a, b: F.grid_sample(a, b, mode, padding_mode, align_corners),
        lambda a, b: torch.nn.functional.grid_sample(a, b, mode, padding_mode, align_corners),
        [x, grid])


def pixel_lattice(size, align_corners):
    """Normalised coordinates of every pixel centre and every pixel edge of an axis of
    ``size`` pixels, from two pixels before the first to two after the last: the points where
    bicubic's taps change (centres) and halfway between them."""
    positions = np.arange(-4, 2 * size + 3) / 2  # in pixels: centres at integers
    if align_corners:
        return 2 * positions / (size - 1) - 1 if size > 1 else np.linspace(-1.5, 1.5, 5)
    return (2 * positions + 1) / size - 1


@needs_torch
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("image", [(1, 2, 3, 5), (1, 1, 1, 4)])
def test_bicubic_matches_torch_on_pixel_centres_and_edges(padding_mode, align_corners, image):
    """Where t = p − ⌊p⌋ is 0 the taps jump by one pixel (and rounding may put p on either
    side): values and gradients must not."""
    xs, ys = (pixel_lattice(size, align_corners) for size in image[:1:-1])
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)[None]  # (1, len(ys), len(xs), 2)
    x = np.random.default_rng(8).standard_normal(image)
    compare_with_torch(
        lambda a, b: F.grid_sample(a, b, "bicubic", padding_mode, align_corners),
        lambda a, b: torch.nn.functional.grid_sample(a, b, "bicubic", padding_mode,
                                                     align_corners), [x, grid])


@needs_torch
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_bicubic_in_float32_matches_torch_and_stays_float32(padding_mode, align_corners):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    grid = rng.uniform(-1.6, 1.6, (2, 3, 6, 2)).astype(np.float32)
    upstream = rng.standard_normal((2, 3, 3, 6)).astype(np.float32)
    mine = [cr.tensor(a, requires_grad=True) for a in (x, grid)]
    ref = [torch.tensor(a, requires_grad=True) for a in (x, grid)]
    y = F.grid_sample(*mine, "bicubic", padding_mode, align_corners)
    t = torch.nn.functional.grid_sample(*ref, "bicubic", padding_mode, align_corners)
    y.backward(cr.tensor(upstream))
    t.backward(torch.tensor(upstream))
    assert y.dtype == mine[0].grad.dtype == mine[1].grad.dtype == cr.float32
    for a, b in [(y.detach(), t.detach()), *((m.grad, r.grad) for m, r in zip(mine, ref))]:
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("align_corners", [True, False])
def test_bicubic_weights_sum_to_one_so_a_constant_image_stays_constant(align_corners):
    """Cubic convolution is a partition of unity for any A: with border padding every point,
    inside or far outside, reads the constant, and moving it changes nothing."""
    grid = cr.tensor(np.random.default_rng(10).uniform(-3, 3, (2, 4, 3, 2)), requires_grad=True)
    image = cr.full((2, 3, 4, 5), 2.5, dtype=cr.float64)
    y = F.grid_sample(image, grid, "bicubic", "border", align_corners)
    np.testing.assert_allclose(y.detach().numpy(), 2.5, rtol=1e-14)
    y.backward(cr.tensor(np.random.default_rng(11).standard_normal(y.shape)))
    np.testing.assert_allclose(grid.grad.numpy(), 0.0, atol=1e-13)


@needs_torch
def test_a_spatial_transformer_matches_torch_end_to_end():
    """θ -> affine_grid -> grid_sample, differentiated with respect to θ and the image."""
    rng = np.random.default_rng(2)
    theta = IDENTITY + 0.3 * rng.standard_normal((2, 2, 3))
    x = rng.standard_normal((2, 3, 5, 6))
    compare_with_torch(
        lambda t, a: F.grid_sample(a, F.affine_grid(t, (2, 3, 4, 7), False),
                                   padding_mode="border", align_corners=False),
        lambda t, a: torch.nn.functional.grid_sample(
            a, torch.nn.functional.affine_grid(t, (2, 3, 4, 7), False),
            padding_mode="border", align_corners=False), [theta, x])


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize(("mode", "shape"), [
    ("bilinear", (2, 3, 4, 5)), ("bilinear", (2, 3, 2, 4, 5)), ("nearest", (2, 3, 4, 5)),
    ("nearest", (2, 3, 2, 4, 5)), ("bicubic", (2, 3, 4, 5))])
def test_the_identity_map_reproduces_the_image(align_corners, mode, shape):
    x = np.random.default_rng(3).standard_normal(shape)
    dims = len(shape) - 2
    theta = cr.tensor(np.stack([np.eye(dims, dims + 1)] * 2))
    grid = F.affine_grid(theta, shape, align_corners)
    y = F.grid_sample(cr.tensor(x), grid, mode, align_corners=align_corners)
    np.testing.assert_allclose(y.numpy(), x, rtol=1e-12, atol=1e-12)


def test_a_one_pixel_shift_moves_the_image_and_reads_zeros_past_the_edge():
    """With align_corners, a shift of 2/(W − 1) in x is one pixel: y[..., j] = x[..., j + 1]."""
    x = np.random.default_rng(4).standard_normal((1, 2, 3, 5))
    shift = IDENTITY + np.array([[0.0, 0.0, 2 / 4], [0.0, 0.0, 0.0]])
    grid = F.affine_grid(cr.tensor(shift[None]), (1, 2, 3, 5), align_corners=True)
    y = F.grid_sample(cr.tensor(x), grid, align_corners=True).numpy()
    np.testing.assert_allclose(y[..., :-1], x[..., 1:], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y[..., -1], 0.0, atol=1e-12)


def test_float32_stays_float32_and_the_gradient_reaches_the_grid():
    x = cr.randn(1, 2, 3, 4, requires_grad=True)
    grid = (cr.rand(1, 2, 2, 2) * 1.8 - 0.9).requires_grad_()
    y = F.grid_sample(x, grid, align_corners=False)
    assert y.dtype == cr.float32 and y.shape == (1, 2, 2, 2)
    y.sum().backward()
    assert x.grad.dtype == grid.grad.dtype == cr.float32
    assert np.abs(grid.grad.numpy()).sum() > 0
    theta = cr.tensor(IDENTITY[None], dtype=cr.float32)
    assert F.affine_grid(theta, (1, 1, 2, 2), False).dtype == cr.float32


def test_nearest_mode_gives_the_grid_no_gradient():
    grid = cr.tensor(np.random.default_rng(5).uniform(-1, 1, (1, 2, 3, 2)), requires_grad=True)
    F.grid_sample(cr.randn(1, 1, 4, 4, dtype=cr.float64), grid, "nearest",
                  align_corners=False).sum().backward()
    np.testing.assert_array_equal(grid.grad.numpy(), 0.0)


def test_non_contiguous_inputs_and_an_empty_batch():
    rng = np.random.default_rng(6)
    x, grid = rng.standard_normal((2, 5, 4, 3)), rng.uniform(-1, 1, (2, 2, 3, 2))
    view = cr.tensor(x).permute(0, 3, 2, 1)  # (2, 3, 4, 5), not C-ordered
    expected = F.grid_sample(cr.tensor(np.ascontiguousarray(x.transpose(0, 3, 2, 1))),
                             cr.tensor(grid), align_corners=True)
    np.testing.assert_allclose(F.grid_sample(view, cr.tensor(grid), align_corners=True).numpy(),
                               expected.numpy(), rtol=1e-12)
    assert F.grid_sample(cr.randn(0, 1, 3, 4), cr.randn(0, 2, 2, 2)).shape == (0, 1, 2, 2)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: F.grid_sample(cr.randn(1, 1, 3, 3), cr.randn(1, 2, 2, 2), mode="cubic"),
     ValueError, "expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'cubic'"),
    (lambda: F.grid_sample(cr.randn(1, 1, 3, 3), cr.randn(1, 2, 2, 2), padding_mode="wrap"),
     ValueError, "padding_mode"),
    (lambda: F.grid_sample(cr.randn(1, 1, 2, 3, 3), cr.randn(1, 2, 2, 2, 3), mode="bicubic"),
     RuntimeError, r"bicubic interpolation only supports 4D input \(N, C, H, W\), got a 5-D"),
    (lambda: F.grid_sample(cr.randn(1, 1, 2, 3, 3), cr.randn(1, 2, 2, 2, 2)),
     ValueError, r"\(N, \*out, 3\)"),
    (lambda: F.grid_sample(cr.randn(1, 1, 2, 3, 3), cr.randn(1, 2, 2, 2)), ValueError, "5-D"),
    (lambda: F.grid_sample(cr.randn(1, 1, 3, 3), cr.randn(1, 2, 2, 3)), ValueError, "grid"),
    (lambda: F.grid_sample(cr.randn(2, 1, 3, 3), cr.randn(1, 2, 2, 2)), ValueError, "N=2"),
    (lambda: F.grid_sample(cr.randn(1, 3, 3), cr.randn(1, 2, 2, 2)), ValueError, "4-D"),
    (lambda: F.grid_sample(cr.randn(1, 1, 3, 3, dtype=cr.float64), cr.randn(1, 2, 2, 2)),
     TypeError, "same floating dtype"),
    (lambda: F.affine_grid(cr.tensor([[[1, 0, 0], [0, 1, 0]]]), (1, 1, 2, 2)),
     TypeError, "floating"),
    (lambda: F.affine_grid(cr.randn(2, 2, 3), (3, 1, 2, 2)), ValueError, r"\(3, 2, 3\)"),
    (lambda: F.affine_grid(cr.randn(1, 2, 3), (1, 1, 2, 2, 2)), ValueError, r"\(1, 3, 4\)"),
    (lambda: F.affine_grid(cr.randn(1, 2, 3), (1, 2)), NotImplementedError, "4-D"),
    (lambda: F.affine_grid(cr.randn(1, 2, 3), (1, 1, 0, 2)), ValueError, "positive"),
])
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@needs_torch
@pytest.mark.parametrize(("mode", "shapes"), [("bicubic", ((1, 1, 2, 3, 3), (1, 2, 2, 2, 3))),
                                              ("cubic", ((1, 1, 3, 3), (1, 2, 2, 2)))])
def test_refused_modes_raise_what_torch_raises(mode, shapes):
    """A bicubic volume and an unknown mode: the same exception types as PyTorch."""
    x, grid = (np.zeros(shape) for shape in shapes)
    with pytest.raises(Exception) as theirs:
        torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(grid), mode,
                                        align_corners=False)
    with pytest.raises(theirs.type):
        F.grid_sample(cr.tensor(x), cr.tensor(grid), mode, align_corners=False)


@needs_torch
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_non_finite_grid_points_read_what_torch_reads_without_warnings(mode, padding_mode,
                                                                       align_corners):
    """NaN and ±inf: PyTorch's values (NaN for bilinear zeros padding and for bicubic, 0 for
    nearest, the first or last pixel when clamped or reflected); a huge coordinate reads 0
    with zeros padding (its reflection is left out: where the fold of 10³⁰ lands is rounding,
    and PyTorch's kernel rounds otherwise). The suite turns any NumPy RuntimeWarning into an
    error, so the backward pass must not warn either."""
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    far = 1e30 if padding_mode != "reflection" else 7.3
    grid = np.array([[[[np.nan, 0.0], [np.inf, 0.0], [-np.inf, 0.3], [far, -0.2]]]])
    mine = cr.tensor(grid, requires_grad=True)
    y = F.grid_sample(cr.tensor(x), mine, mode, padding_mode, align_corners)
    t = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(grid), mode,
                                        padding_mode, align_corners)
    np.testing.assert_allclose(y.detach().numpy(), t.numpy(), rtol=1e-12)
    y.sum().backward()
    assert mine.grad.shape == grid.shape

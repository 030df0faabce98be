"""F.unfold / F.fold and nn.Unfold / nn.Fold: values against loop references, the adjoint
relation <unfold(x), c> = <x, fold(c)>, gradchecks, torch parity, errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn
from tests.optional import needs_torch, torch

GEOMETRIES = [  # (H, W), kernel, dilation, padding, stride
    ((4, 5), (2, 2), (1, 1), (0, 0), (1, 1)),
    ((5, 6), (3, 2), (1, 2), (1, 0), (2, 1)),
    ((6, 6), (2, 3), (2, 1), (1, 2), (2, 3)),
]


def blocks(size, k, d, p, s):
    return tuple((i + 2 * pp - dd * (kk - 1) - 1) // ss + 1
                 for i, kk, dd, pp, ss in zip(size, k, d, p, s))


def unfold_reference(x, k, d, p, s):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    lh, lw = blocks((h, w), k, d, p, s)
    out = np.zeros((n, c * k[0] * k[1], lh * lw))
    for ch in range(c):
        for a in range(k[0]):
            for b in range(k[1]):
                row = (ch * k[0] + a) * k[1] + b
                for i in range(lh):
                    for j in range(lw):
                        out[:, row, i * lw + j] = xp[:, ch, i * s[0] + a * d[0],
                                                     j * s[1] + b * d[1]]
    return out


def fold_reference(cols, size, k, d, p, s):
    n = cols.shape[0]
    c = cols.shape[1] // (k[0] * k[1])
    lh, lw = blocks(size, k, d, p, s)
    out = np.zeros((n, c, size[0] + 2 * p[0], size[1] + 2 * p[1]))
    for ch in range(c):
        for a in range(k[0]):
            for b in range(k[1]):
                row = (ch * k[0] + a) * k[1] + b
                for i in range(lh):
                    for j in range(lw):
                        out[:, ch, i * s[0] + a * d[0], j * s[1] + b * d[1]] += \
                            cols[:, row, i * lw + j]
    return out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]


@pytest.mark.parametrize(("size", "k", "d", "p", "s"), GEOMETRIES)
def test_unfold_and_fold_match_loops(size, k, d, p, s):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3) + size)
    cols = F.unfold(cr.tensor(x), k, d, p, s)
    np.testing.assert_array_equal(cols.numpy(), unfold_reference(x, k, d, p, s))
    c = rng.standard_normal(cols.shape)
    image = F.fold(cr.tensor(c), size, k, d, p, s)
    np.testing.assert_allclose(image.numpy(), fold_reference(c, size, k, d, p, s), rtol=1e-12,
                               atol=1e-12)
    # fold is unfold's adjoint: <unfold(x), c> = <x, fold(c)>
    np.testing.assert_allclose(np.sum(cols.numpy() * c), np.sum(x * image.numpy()),
                               rtol=1e-12)


@pytest.mark.parametrize(("size", "k", "d", "p", "s"), GEOMETRIES)
def test_gradcheck(size, k, d, p, s):
    rng = np.random.default_rng(1)
    x = cr.tensor(rng.standard_normal((1, 2) + size), requires_grad=True)
    assert cr.gradcheck(lambda t: F.unfold(t, k, d, p, s), [x])
    cols_shape = (1, 2 * k[0] * k[1], int(np.prod(blocks(size, k, d, p, s))))
    c = cr.tensor(rng.standard_normal(cols_shape), requires_grad=True)
    assert cr.gradcheck(lambda t: F.fold(t, size, k, d, p, s), [c])


def test_unbatched_inputs_and_modules():
    x = cr.randn(3, 4, 4)
    cols = nn.Unfold(2, stride=2)(x)
    assert cols.shape == (12, 4)
    np.testing.assert_array_equal(nn.Fold((4, 4), 2, stride=2)(cols).numpy(), x.numpy())
    assert repr(nn.Fold((4, 4), 2)) == \
        "Fold(output_size=(4, 4), kernel_size=2, dilation=1, padding=0, stride=1)"
    assert repr(nn.Unfold(2)) == "Unfold(kernel_size=2, dilation=1, padding=0, stride=1)"
    assert list(nn.Unfold(2).state_dict()) == []


def test_fold_counts_overlaps():
    """fold(unfold(ones)) holds, at each pixel, the number of blocks that cover it."""
    ones = cr.ones(1, 1, 3, 4)
    counts = F.fold(F.unfold(ones, 2), (3, 4), 2).numpy()[0, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 2, 1], [2, 4, 4, 2], [1, 2, 2, 1]])


def test_errors():
    with pytest.raises(RuntimeError, match=r"unfold: expected a 3-D .* \(2, 3, 4, 4, 4\)"):
        F.unfold(cr.randn(2, 3, 4, 4, 4), 2)
    with pytest.raises(RuntimeError, match="array of sliding blocks as \\(0, 0\\)"):
        F.unfold(cr.randn(3, 4, 4), 5)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(cr.randn(2, 13, 9), (4, 4), 2)
    with pytest.raises(RuntimeError, match=r"3 \* 3 = 9, but got input.size\(2\)=8"):
        F.fold(cr.randn(2, 12, 8), (4, 4), 2)
    with pytest.raises(RuntimeError, match="fold: expected a 2-D"):
        F.fold(cr.randn(12), (4, 4), 2)
    with pytest.raises(ValueError, match="kernel_size must be"):
        F.unfold(cr.randn(1, 1, 4, 4), 0)


@needs_torch
@pytest.mark.parametrize(("size", "k", "d", "p", "s"), GEOMETRIES)
def test_torch_parity(size, k, d, p, s):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3) + size)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = F.unfold(ours, k, d, p, s)
    ty = torch.nn.functional.unfold(theirs, k, d, p, s)
    g = rng.standard_normal(ty.shape)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
    c = rng.standard_normal(ty.shape)
    cc, tc = cr.tensor(c, requires_grad=True), torch.tensor(c, requires_grad=True)
    z, tz = F.fold(cc, size, k, d, p, s), torch.nn.functional.fold(tc, size, k, d, p, s)
    gz = rng.standard_normal(tz.shape)
    z.backward(cr.tensor(gz))
    tz.backward(torch.tensor(gz))
    np.testing.assert_allclose(z.detach().numpy(), tz.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(cc.grad.numpy(), tc.grad.numpy())
    assert repr(nn.Fold(size, k, d, p, s)) == repr(torch.nn.Fold(size, k, d, p, s))

"""normalize, cosine_similarity and pairwise_distance (functional and as modules), and one_hot:
values against NumPy references written here, float64 gradchecks, zero vectors, parity with
PyTorch (float64, values and gradients, broadcasting and norms below eps included), module ↔
functional equality, and the errors with their messages.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
import chainrule.nn as nn
from tests.optional import needs_torch, torch

RNG = np.random.default_rng(0)
PS = [1, 2, 3, 0.5, float("inf")]


def _norm(x, p, axis, keepdims=False):
    if p == float("inf"):
        return np.abs(x).max(axis=axis, keepdims=keepdims)
    return (np.abs(x) ** p).sum(axis=axis, keepdims=keepdims) ** (1 / p)


def _torch_parity(ours_fn, theirs_fn, *arrays, grads=None):
    """Equal values, and equal gradients for a random upstream gradient (float64)."""
    grads = [True] * len(arrays) if grads is None else grads
    results, upstream = [], None
    for make, fn in ((cr.tensor, ours_fn), (torch.tensor, theirs_fn)):
        inputs = [make(a, requires_grad=g) for a, g in zip(arrays, grads)]
        out = fn(*inputs)
        if upstream is None:
            upstream = np.random.default_rng(1).standard_normal(tuple(out.shape))
        out.backward(make(upstream))
        results.append((out.detach().numpy(), [i.grad.numpy() for i, g in zip(inputs, grads)
                                               if g]))
    (mine, my_grads), (theirs, their_grads) = results
    assert mine.shape == theirs.shape
    np.testing.assert_allclose(mine, theirs, rtol=1e-7, atol=1e-12)
    for a, b in zip(my_grads, their_grads):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


# ---------------------------------------------------------------- normalize


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_normalize_matches_numpy(p, dim):
    x = RNG.standard_normal((3, 4, 2)) * 10
    want = x / np.maximum(_norm(x, p, dim, True), 1e-12)
    np.testing.assert_allclose(F.normalize(cr.tensor(x), p, dim).numpy(), want, rtol=1e-12)


def test_normalize_zero_vector_and_eps():
    x = cr.tensor([[0.0, 0.0], [3.0, 4.0], [3e-7, 4e-7]], dtype=cr.float64, requires_grad=True)
    y = F.normalize(x, eps=1e-6)
    np.testing.assert_allclose(y.detach().numpy(), [[0, 0], [0.6, 0.8], [0.3, 0.4]], rtol=1e-12)
    y.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(x.grad.numpy()[2], [1e6, 1e6])  # below eps: x / eps


@pytest.mark.parametrize("p", [1, 2, 3, float("inf")])
def test_normalize_gradcheck(p):
    x = cr.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    assert cr.gradcheck(lambda t: F.normalize(t, p, dim=1), (x,))


@needs_torch
@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_normalize_torch_parity(p, dim):
    x = RNG.standard_normal((3, 4, 2))
    x[0, 0] = 0.0 if p >= 1 else x[0, 0]  # a zero vector along some dims
    _torch_parity(lambda t: F.normalize(t, p, dim), lambda t: torch.nn.functional.normalize(
        t, p, dim), x)


# ---------------------------------------------------------------- cosine_similarity


def _cosine(x1, x2, axis, eps=1e-8):
    x1, x2 = np.broadcast_arrays(x1, x2)
    n1 = np.maximum(np.sqrt((x1 * x1).sum(axis)), eps)
    n2 = np.maximum(np.sqrt((x2 * x2).sum(axis)), eps)
    return (x1 * x2).sum(axis) / (n1 * n2)


@pytest.mark.parametrize(("shape1", "shape2", "dim"), [
    ((4, 5), (4, 5), 1), ((2, 1, 5), (3, 5), -1), ((5,), (5,), 0), ((3, 4, 2), (3, 4, 2), 1)])
def test_cosine_similarity_matches_numpy_and_gradcheck(shape1, shape2, dim):
    x1, x2 = RNG.standard_normal(shape1), RNG.standard_normal(shape2)
    got = F.cosine_similarity(cr.tensor(x1), cr.tensor(x2), dim)
    np.testing.assert_allclose(got.numpy(), _cosine(x1, x2, dim), rtol=1e-12)
    a, b = cr.tensor(x1, requires_grad=True), cr.tensor(x2, requires_grad=True)
    assert cr.gradcheck(lambda u, v: F.cosine_similarity(u, v, dim), (a, b))


def test_cosine_similarity_zero_vector_is_zero_with_finite_gradient():
    x1 = cr.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], dtype=cr.float64, requires_grad=True)
    x2 = cr.tensor([[1.0, 1.0, 1.0], [2.0, 4.0, 6.0]], dtype=cr.float64, requires_grad=True)
    y = F.cosine_similarity(x1, x2)
    np.testing.assert_allclose(y.detach().numpy(), [0.0, 1.0], atol=1e-15)
    y.sum().backward()
    assert np.all(np.isfinite(x1.grad.numpy())) and np.all(np.isfinite(x2.grad.numpy()))


@needs_torch
@pytest.mark.parametrize(("shape1", "shape2", "dim"), [
    ((4, 5), (4, 5), 1), ((2, 1, 5), (3, 5), -1), ((5,), (5,), 0), ((4, 3), (1, 3), 0)])
def test_cosine_similarity_torch_parity(shape1, shape2, dim):
    x1, x2 = RNG.standard_normal(shape1), RNG.standard_normal(shape2)
    _torch_parity(lambda a, b: F.cosine_similarity(a, b, dim),
                  lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim), x1, x2)


@needs_torch
def test_cosine_similarity_torch_parity_below_eps():
    """Norms below eps: the clamp is outside autograd in both (gradients through the norm)."""
    x1 = np.array([[1e-9, -2e-9, 0.5e-9], [0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    x2 = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0], [3e-10, 1e-10, 0.0]])
    _torch_parity(lambda a, b: F.cosine_similarity(a, b, eps=1e-8),
                  lambda a, b: torch.nn.functional.cosine_similarity(a, b, eps=1e-8), x1, x2)


# ---------------------------------------------------------------- pairwise_distance


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_numpy(p, keepdim):
    x1, x2 = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    want = _norm(x1 - x2 + 1e-6, p, -1, keepdim)
    got = F.pairwise_distance(cr.tensor(x1), cr.tensor(x2), p, keepdim=keepdim)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, float("inf")])
def test_pairwise_distance_gradcheck(p):
    a = cr.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    b = cr.tensor(RNG.standard_normal((4,)), requires_grad=True)
    assert cr.gradcheck(lambda u, v: F.pairwise_distance(u, v, p), (a, b))


@needs_torch
@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize(("shape1", "shape2", "keepdim"), [
    ((4, 3), (4, 3), False), ((4, 3), (3,), True), ((5,), (5,), False), ((2, 4, 3), (4, 3), False)])
def test_pairwise_distance_torch_parity(p, shape1, shape2, keepdim):
    x1, x2 = RNG.standard_normal(shape1), RNG.standard_normal(shape2)
    _torch_parity(lambda a, b: F.pairwise_distance(a, b, p, 1e-6, keepdim),
                  lambda a, b: torch.nn.functional.pairwise_distance(a, b, p, 1e-6, keepdim),
                  x1, x2)


def test_pairwise_distance_of_equal_points_is_eps_norm():
    x = cr.tensor(np.ones((2, 4)))
    np.testing.assert_allclose(F.pairwise_distance(x, x).numpy(), [2e-6, 2e-6], rtol=1e-9)


# ---------------------------------------------------------------- modules and errors


def test_modules_equal_functionals():
    x1, x2 = cr.tensor(RNG.standard_normal((3, 4))), cr.tensor(RNG.standard_normal((3, 4)))
    np.testing.assert_array_equal(nn.CosineSimilarity(0, 1e-3)(x1, x2).numpy(),
                                  F.cosine_similarity(x1, x2, 0, 1e-3).numpy())
    np.testing.assert_array_equal(nn.PairwiseDistance(3, 1e-2, True)(x1, x2).numpy(),
                                  F.pairwise_distance(x1, x2, 3, 1e-2, True).numpy())
    layer = nn.PairwiseDistance()
    assert (layer.norm, layer.eps, layer.keepdim) == (2.0, 1e-6, False)
    assert repr(nn.CosineSimilarity()) == "CosineSimilarity()"


def test_errors_name_the_problem():
    x = cr.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="pairwise_distance: p must be positive"):
        F.pairwise_distance(x, x, p=0)
    with pytest.raises(ValueError, match="normalize: p must be positive"):
        F.normalize(x, p=-1)
    with pytest.raises(ValueError, match=r"cosine_similarity: shapes \(2, 3\) and \(3, 3\) "
                                         "cannot be broadcast"):
        F.cosine_similarity(x, cr.tensor(np.ones((3, 3))))
    with pytest.raises(ValueError, match="pairwise_distance: shapes"):
        F.pairwise_distance(x, cr.tensor(np.ones(4)))
    with pytest.raises(IndexError, match="dimension 2 is out of range"):
        F.cosine_similarity(x, x, dim=2)
    with pytest.raises(IndexError, match="dimension 3 is out of range"):
        F.normalize(x, dim=3)
    with pytest.raises(TypeError, match="normalize: out= is not supported"):
        F.normalize(x, out=x)


@needs_torch
def test_signatures_match_torch():
    for name in ("CosineSimilarity", "PairwiseDistance"):
        ours = inspect.signature(getattr(nn, name)).parameters
        theirs = inspect.signature(getattr(torch.nn, name)).parameters
        assert [(p, ours[p].default) for p in ours] == [(p, theirs[p].default) for p in theirs]
    ours = inspect.signature(F.normalize).parameters
    theirs = inspect.signature(torch.nn.functional.normalize).parameters
    assert [(p, ours[p].default) for p in ours] == [(p, theirs[p].default) for p in theirs]


# ---------------------------------------------------------------- one_hot


def test_one_hot_values_shape_and_dtype():
    labels = np.array([[0, 3], [2, 2]])
    got = F.one_hot(cr.tensor(labels))
    assert got.dtype == cr.int64 and got.shape == (2, 2, 4)
    np.testing.assert_array_equal(got.numpy(), np.eye(4, dtype=np.int64)[labels])
    np.testing.assert_array_equal(F.one_hot(cr.tensor(labels), 6).numpy(),
                                  np.eye(6, dtype=np.int64)[labels])
    np.testing.assert_array_equal(F.one_hot(cr.tensor(2), 3).numpy(), [0, 0, 1])
    assert F.one_hot(cr.tensor(np.zeros(0, np.int64)), 3).shape == (0, 3)


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="class values must be non-negative, got -1"):
        F.one_hot(cr.tensor([0, -1]))
    with pytest.raises(RuntimeError, match=r"class values must be smaller than num_classes "
                                           r"\(3\), got 3"):
        F.one_hot(cr.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="one_hot: the input must be an int64"):
        F.one_hot(cr.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="can not infer the number of classes from an empty"):
        F.one_hot(cr.tensor(np.zeros(0, np.int64)))


@needs_torch
def test_one_hot_matches_torch():
    labels = RNG.integers(0, 5, (3, 4))
    for classes in (-1, 5, 7):
        ours = F.one_hot(cr.tensor(labels), classes).numpy()
        theirs = torch.nn.functional.one_hot(torch.tensor(labels), classes).numpy()
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == theirs.dtype

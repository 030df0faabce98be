"""Toy 2-D generators: shapes, dtypes, balance, reproducibility and each one's geometry."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data.datasets import make_circles, make_moons, make_spirals, make_xor

GENERATORS = {
    "spirals": lambda n, g: make_spirals(n, 3, generator=g),
    "moons": lambda n, g: make_moons(n, noise=0.1, generator=g),
    "circles": lambda n, g: make_circles(n, noise=0.05, generator=g),
    "xor": lambda n, g: make_xor(n, generator=g),
}


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("n", [1, 7, 100, 301])
def test_shapes_dtypes_and_balance(name, n):
    X, y = GENERATORS[name](n, np.random.default_rng(0))
    assert X.shape == (n, 2) and X.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=3 if name == "spirals" else 2)
    assert counts.sum() == n and counts.max() - counts.min() <= 1
    assert np.isfinite(X).all()


@pytest.mark.parametrize("name", GENERATORS)
def test_reproducible_from_a_generator_or_the_package_seed(name):
    make = GENERATORS[name]
    a, b, c = (make(60, np.random.default_rng(s)) for s in (4, 4, 5))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    cr.manual_seed(4)
    d = make(60, None)
    cr.manual_seed(4)
    e = make(60, None)
    assert np.array_equal(d[0], e[0]) and np.array_equal(d[1], e[1])


def test_generators_never_touch_numpy_global_random_state():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    for make in GENERATORS.values():
        make(50, None)
    assert np.array_equal(np.random.get_state()[1], before)


def test_spirals_follow_cs231n():
    X, y = make_spirals(300, 3, noise=0.2, generator=np.random.default_rng(0))
    assert np.bincount(y).tolist() == [100, 100, 100]
    assert y.tolist() == [0] * 100 + [1] * 100 + [2] * 100
    radii = np.hypot(X[:, 0].astype(np.float64), X[:, 1].astype(np.float64))
    assert radii.min() >= 0 and radii.max() <= 1 + 1e-6
    for j in range(3):  # r = linspace(0, 1, N) whatever the angle noise
        np.testing.assert_allclose(radii[y == j], np.linspace(0, 1, 100), atol=1e-6)
    X0, _ = make_spirals(6, 2, noise=0.0)
    t = np.linspace(0, 4, 3)
    expected = np.linspace(0, 1, 3)[:, None] * np.stack([np.sin(t), np.cos(t)], 1)
    np.testing.assert_allclose(X0[:3], expected, atol=1e-7)


def test_moons_and_circles_without_noise_by_hand():
    X, y = make_moons(4, shuffle=False)
    np.testing.assert_allclose(X, [[1, 0], [-1, 0], [0, 0.5], [2, 0.5]], atol=1e-7)
    assert y.tolist() == [0, 0, 1, 1]
    X, y = make_circles(4, factor=0.5, shuffle=False)
    np.testing.assert_allclose(X, [[1, 0], [-1, 0], [0.5, 0], [-0.5, 0]], atol=1e-7)
    assert y.tolist() == [0, 0, 1, 1]


def test_circles_radii_and_shuffled_labels_stay_with_their_points():
    X, y = make_circles(200, factor=0.3, generator=np.random.default_rng(1))
    radii = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radii[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radii[y == 1], 0.3, atol=1e-6)
    assert y[:100].tolist() != [0] * 100  # shuffled by default
    with pytest.raises(ValueError, match="factor"):
        make_circles(10, factor=1.0)


def test_xor_labels_are_the_xor_of_the_signs():
    X, y = make_xor(400, noise=0.1, generator=np.random.default_rng(2))
    np.testing.assert_array_equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64))


@pytest.mark.parametrize("call", [lambda: make_moons(0), lambda: make_xor(10, noise=-1.0),
                                  lambda: make_spirals(10, 0), lambda: make_circles(2.5)])
def test_bad_arguments(call):
    with pytest.raises(ValueError):
        call()

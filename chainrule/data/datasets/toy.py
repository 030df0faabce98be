"""Two-dimensional toy classification sets: spirals, moons, circles and XOR.

Each generator returns ``(X, y)``: X float32 of shape (n_samples, 2), y int64 of shape
(n_samples,). Randomness comes from ``generator`` (a ``np.random.Generator``) or, when it is
None, from the package generator, so ``chainrule.manual_seed(s)`` makes the data reproducible.
The points are computed in float64 and rounded to float32 once at the end.
"""

from __future__ import annotations

import numpy as np

from ...random import resolve


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2,
                 generator: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n neural-network case study's data).

    Class j holds N_j points with radius r = linspace(0, 1, N_j) and angle
    t = linspace(4j, 4(j + 1), N_j) + noise · ε, ε ~ N(0, 1); the point is (r sin t, r cos t),
    so every point lies within the unit disc. The n_samples points are shared out as evenly
    as possible, the first ``n_samples % n_classes`` classes taking one more (300 and 3 classes
    give 100 per class, as in CS231n). The classes come in order, not shuffled.

    Args:
        n_samples: total number of points.
        n_classes: number of spiral arms (classes).
        noise: standard deviation of the Gaussian noise added to the angle, in radians.
        generator: source of the noise (default: the package generator).

    Returns:
        ``(X, y)``, float32 (n_samples, 2) and int64 (n_samples,).

    Reference: https://cs231n.github.io/neural-networks-case-study/

    Example:
        >>> X, y = make_spirals(generator=np.random.default_rng(0))
        >>> X.shape, X.dtype, np.bincount(y).tolist()
        ((300, 2), dtype('float32'), [100, 100, 100])
    """
    _check(n_samples, noise)
    if n_classes < 1:
        raise ValueError(f"make_spirals: n_classes must be at least 1, got {n_classes}")
    rng = resolve(generator)
    points, labels = [], []
    for j, count in enumerate(_share(n_samples, n_classes)):
        r = np.linspace(0.0, 1.0, count)
        t = np.linspace(4.0 * j, 4.0 * (j + 1), count) + rng.standard_normal(count) * noise
        points.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        labels.append(np.full(count, j))
    return _finish(np.concatenate(points), np.concatenate(labels))


def make_moons(n_samples: int = 100, noise: float | None = None,
               generator: np.random.Generator | None = None, *,
               shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as ``sklearn.datasets.make_moons``.

    Class 0, n_samples // 2 points: (cos θ, sin θ), θ = linspace(0, π). Class 1, the rest:
    (1 − cos θ, 0.5 − sin θ). The points are shuffled, then Gaussian noise of standard
    deviation ``noise`` is added to each coordinate.

    Args:
        n_samples: total number of points.
        noise: standard deviation of the noise (None: no noise).
        generator: source of the shuffle and the noise (default: the package generator).
        shuffle: shuffle the points (otherwise class 0 comes first).

    Returns:
        ``(X, y)``, float32 (n_samples, 2) and int64 (n_samples,).

    Example:
        >>> X, y = make_moons(100, noise=0.1, generator=np.random.default_rng(0))
        >>> X.shape, np.bincount(y).tolist()
        ((100, 2), [50, 50])
    """
    _check(n_samples, noise)
    n_out = n_samples // 2
    outer = np.linspace(0.0, np.pi, n_out)
    inner = np.linspace(0.0, np.pi, n_samples - n_out)
    x = np.concatenate([np.cos(outer), 1.0 - np.cos(inner)])
    y = np.concatenate([np.sin(outer), 0.5 - np.sin(inner)])
    return _shuffle_and_noise(np.stack([x, y], axis=1), _two_classes(n_samples), noise,
                              resolve(generator), shuffle)


def make_circles(n_samples: int = 100, noise: float | None = None, factor: float = 0.8,
                 generator: np.random.Generator | None = None, *,
                 shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A large circle (class 0) around a smaller one (class 1), as
    ``sklearn.datasets.make_circles``.

    Class 0, n_samples // 2 points evenly spaced on the unit circle; class 1, the rest, on the
    circle of radius ``factor``. The points are shuffled, then Gaussian noise of standard
    deviation ``noise`` is added to each coordinate.

    Args:
        n_samples: total number of points.
        noise: standard deviation of the noise (None: no noise).
        factor: radius of the inner circle, in [0, 1).
        generator: source of the shuffle and the noise (default: the package generator).
        shuffle: shuffle the points (otherwise class 0 comes first).

    Returns:
        ``(X, y)``, float32 (n_samples, 2) and int64 (n_samples,).

    Example:
        >>> X, y = make_circles(6, factor=0.5, shuffle=False)
        >>> np.round(np.hypot(X[:, 0], X[:, 1]), 3).tolist(), y.tolist()
        ([1.0, 1.0, 1.0, 0.5, 0.5, 0.5], [0, 0, 0, 1, 1, 1])
    """
    _check(n_samples, noise)
    if not 0 <= factor < 1:
        raise ValueError(f"make_circles: factor must be in [0, 1), got {factor}")
    n_out = n_samples // 2
    outer = np.linspace(0.0, 2 * np.pi, n_out, endpoint=False)
    inner = np.linspace(0.0, 2 * np.pi, n_samples - n_out, endpoint=False)
    x = np.concatenate([np.cos(outer), factor * np.cos(inner)])
    y = np.concatenate([np.sin(outer), factor * np.sin(inner)])
    return _shuffle_and_noise(np.stack([x, y], axis=1), _two_classes(n_samples), noise,
                              resolve(generator), shuffle)


def make_xor(n_samples: int = 200, noise: float = 0.2,
             generator: np.random.Generator | None = None, *,
             shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian blobs at the corners (±1, ±1), labelled by XOR of the coordinates' signs.

    The blobs at (−1, −1) and (1, 1) are class 0, those at (−1, 1) and (1, −1) class 1, so no
    line separates the classes. The points are shared out among the blobs as evenly as
    possible, then shuffled.

    Args:
        n_samples: total number of points.
        noise: standard deviation of each blob (0: every point on its corner).
        generator: source of the noise and the shuffle (default: the package generator).
        shuffle: shuffle the points (otherwise blob by blob).

    Returns:
        ``(X, y)``, float32 (n_samples, 2) and int64 (n_samples,).

    Example:
        >>> X, y = make_xor(8, noise=0.0, shuffle=False)
        >>> X[:2].tolist(), y.tolist()
        ([[-1.0, -1.0], [-1.0, -1.0]], [0, 0, 1, 1, 1, 1, 0, 0])
    """
    _check(n_samples, noise)
    rng = resolve(generator)
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    counts = _share(n_samples, 4)
    centres = np.repeat(corners, counts, axis=0)
    labels = np.repeat([0, 1, 1, 0], counts)
    points = centres + rng.standard_normal(centres.shape) * noise
    if shuffle:
        order = rng.permutation(n_samples)
        points, labels = points[order], labels[order]
    return _finish(points, labels)


def _share(n: int, parts: int) -> list[int]:
    """``n`` split into ``parts`` counts differing by at most one, larger ones first."""
    return [n // parts + (i < n % parts) for i in range(parts)]


def _two_classes(n_samples: int) -> np.ndarray:
    n_out = n_samples // 2
    return np.concatenate([np.zeros(n_out, np.int64), np.ones(n_samples - n_out, np.int64)])


def _shuffle_and_noise(points: np.ndarray, labels: np.ndarray, noise: float | None,
                       rng: np.random.Generator, shuffle: bool) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's order: shuffle first, then add the noise."""
    if shuffle:
        order = rng.permutation(len(labels))
        points, labels = points[order], labels[order]
    if noise is not None:
        points = points + rng.normal(scale=noise, size=points.shape)
    return _finish(points, labels)


def _finish(points: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return points.astype(np.float32), labels.astype(np.int64)


def _check(n_samples: int, noise: float | None) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
            or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    if noise is not None and not noise >= 0:
        raise ValueError(f"noise must be non-negative, got {noise!r}")

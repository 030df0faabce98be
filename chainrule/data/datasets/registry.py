"""Data sets by name or file, for the command line and quick experiments.

``load_dataset(name)`` returns a ``DatasetSplits``: train and test arrays, the shape of one
input, the number of classes and their names. Names: "fashion-mnist", "spirals", "moons",
"circles", "xor"; or a path to a ``.npz`` file (arrays ``x_train``, ``y_train``, ``x_test``,
``y_test``, or ``x`` and ``y``, of which the last 20% are held out) or a ``.csv`` file (numeric,
one sample per row, the class index in the last column, an optional header row).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from .fashion_mnist import CLASSES as FASHION_CLASSES
from .fashion_mnist import load_fashion_mnist
from .files import read_csv, read_npz
from .toy import make_circles, make_moons, make_spirals, make_xor

_TOY = {"spirals": make_spirals, "moons": make_moons, "circles": make_circles,
        "xor": make_xor}
NAMES = ("fashion-mnist", *_TOY)


@dataclass
class DatasetSplits:
    """Train and test arrays of a classification data set, with its description."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    class_names: list[str] = field(default_factory=list)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def load_dataset(name: str, seed: int = 0, test_fraction: float = 0.2) -> DatasetSplits:
    """A data set by name (see the module docstring) or from a ``.npz``/``.csv`` path."""
    if name in ("fashion-mnist", "fashion_mnist", "fashionmnist"):
        (x, y), (xt, yt) = load_fashion_mnist()
        return DatasetSplits(x, y, xt, yt, "fashion-mnist", list(FASHION_CLASSES))
    if name in _TOY:
        x, y = _TOY[name](1000, generator=np.random.default_rng(seed))
        return _split(x, y, name, test_fraction, seed, name)
    if name.endswith((".npz", ".csv")):
        if not os.path.isfile(name):
            raise FileNotFoundError(f"data file {name!r} does not exist")
        return _from_npz(name, test_fraction, seed) if name.endswith(".npz") else \
            _from_csv(name, test_fraction, seed)
    raise ValueError(f"unknown data set {name!r}: use one of {', '.join(NAMES)}, or a path to "
                     "a .npz or .csv file")


def _split(x: np.ndarray, y: np.ndarray, name: str, fraction: float, seed: int,
           source: str) -> DatasetSplits:
    _check_pair(x, y, "", source)
    order = np.random.default_rng(seed).permutation(len(x))
    cut = len(x) - int(round(len(x) * fraction))
    train, test = order[:cut], order[cut:]
    return _checked(DatasetSplits(x[train], y[train], x[test], y[test], name), source)


def _from_npz(path: str, fraction: float, seed: int) -> DatasetSplits:
    arrays = read_npz(path)
    if {"x_train", "y_train", "x_test", "y_test"} <= set(arrays):
        splits = DatasetSplits(arrays["x_train"], arrays["y_train"], arrays["x_test"],
                               arrays["y_test"], os.path.basename(path))
        return _checked(splits, path)
    if {"x", "y"} <= set(arrays):
        return _split(arrays["x"], arrays["y"], os.path.basename(path), fraction, seed, path)
    raise ValueError(f"{path}: expected arrays x_train, y_train, x_test, y_test (or x and y), "
                     f"found {sorted(arrays)}")


def _from_csv(path: str, fraction: float, seed: int) -> DatasetSplits:
    table = read_csv(path)
    if table.shape[1] < 2:
        raise ValueError(f"{path}: needs feature columns and a label column")
    return _split(table[:, :-1], table[:, -1], os.path.basename(path), fraction, seed, path)


def _checked(splits: DatasetSplits, source: str) -> DatasetSplits:
    """float32 inputs, int64 labels in [0, C), matching lengths; class names filled in."""
    for part in ("train", "test"):
        _check_pair(getattr(splits, f"x_{part}"), getattr(splits, f"y_{part}"), part, source)
    if splits.x_train.shape[1:] != splits.x_test.shape[1:]:
        raise ValueError(f"{source}: train inputs of shape {splits.x_train.shape[1:]} but test "
                         f"inputs of shape {splits.x_test.shape[1:]}")
    count = _class_count(np.concatenate([splits.y_train, splits.y_test]), source)
    splits.x_train = splits.x_train.astype(np.float32)
    splits.x_test = splits.x_test.astype(np.float32)
    splits.y_train = splits.y_train.astype(np.int64)
    splits.y_test = splits.y_test.astype(np.int64)
    splits.class_names = splits.class_names or [str(c) for c in range(count)]
    return splits


def _check_pair(x: np.ndarray, y: np.ndarray, part: str, source: str) -> None:
    """Numeric, finite inputs (N, features...) and N labels, N ≥ 1."""
    what = f"{part} " if part else ""
    if x.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        raise ValueError(f"{source}: inputs and labels must be numbers, got {x.dtype} and "
                         f"{y.dtype}")
    if x.ndim < 2 or y.ndim != 1:
        raise ValueError(f"{source}: expected {what}inputs of shape (samples, features...) and "
                         f"labels of shape (samples,), got {x.shape} and {y.shape}")
    if len(x) != len(y):
        raise ValueError(f"{source}: {len(x)} {what}inputs but {len(y)} labels")
    if len(x) == 0 or x[0].size == 0:
        raise ValueError(f"{source}: no {what}samples (or no features) in the data")
    bad = np.flatnonzero(~np.isfinite(x).reshape(len(x), -1).all(axis=1))
    if len(bad):
        raise ValueError(f"{source}: {len(bad)} {what}samples hold NaN or infinite values "
                         f"(the first is sample {bad[0]}); remove or fill them")


def _class_count(labels: np.ndarray, source: str) -> int:
    """The number of classes, max label + 1, refused when most of those classes never occur
    (one stray label of 10⁹ would otherwise build a 10⁹-class output layer)."""
    if not np.all(np.isfinite(labels)) or np.any(labels < 0) or np.any(np.mod(labels, 1) != 0):
        raise ValueError(f"{source}: labels must be non-negative class indices 0, 1, 2, ...")
    present = np.unique(labels)
    count = int(present[-1]) + 1
    if count > 2 * len(present):
        shown = ", ".join(f"{v:g}" for v in present[:5]) + (", ..." if len(present) > 5 else "")
        raise ValueError(f"{source}: the largest label is {present[-1]:g} but only "
                         f"{len(present)} distinct labels occur ({shown}); labels are class "
                         f"indices, so this would build a {count:,}-class output layer. "
                         f"Renumber the classes 0 to {len(present) - 1}")
    return count

"""Data sets by name or file, for the command line and quick experiments.

``load_dataset(name)`` returns a ``DatasetSplits``: train and test arrays, the shape of one
input, the number of classes and their names. Names: "fashion-mnist", "spirals", "moons",
"circles", "xor"; or a path to a ``.npz`` file (arrays ``x_train``, ``y_train``, ``x_test``,
``y_test``, or ``x`` and ``y``, of which the last 20% are held out) or a ``.csv`` file (numeric,
one sample per row, the class index in the last column, an optional header row).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field

import numpy as np

from .fashion_mnist import CLASSES as FASHION_CLASSES
from .fashion_mnist import load_fashion_mnist
from .toy import make_circles, make_moons, make_spirals, make_xor

_TOY = {"spirals": make_spirals, "moons": make_moons, "circles": make_circles,
        "xor": make_xor}
NAMES = ("fashion-mnist", *_TOY)
MAX_NPZ_BYTES = 4 * 1024**3  # decompressed: an .npz holding more is refused (zip bombs)


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
        return _split(x, y, name, test_fraction, seed)
    if name.endswith((".npz", ".csv")):
        if not os.path.isfile(name):
            raise FileNotFoundError(f"data file {name!r} does not exist")
        return _from_npz(name, test_fraction, seed) if name.endswith(".npz") else \
            _from_csv(name, test_fraction, seed)
    raise ValueError(f"unknown data set {name!r}: use one of {', '.join(NAMES)}, or a path to "
                     "a .npz or .csv file")


def _split(x: np.ndarray, y: np.ndarray, name: str, fraction: float,
           seed: int) -> DatasetSplits:
    order = np.random.default_rng(seed).permutation(len(x))
    cut = len(x) - int(round(len(x) * fraction))
    train, test = order[:cut], order[cut:]
    return _checked(DatasetSplits(x[train], y[train], x[test], y[test], name), name)


def read_npz(path: str, max_bytes: int = MAX_NPZ_BYTES) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file, never unpickling, and refusing an archive whose members
    declare more than ``max_bytes`` once decompressed (checked before anything is read)."""
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise ValueError(f"{path}: not a valid .npz (zip) file") from None
    if declared > max_bytes:
        raise ValueError(f"{path}: decompresses to {declared:,} bytes, more than the "
                         f"{max_bytes:,} allowed")
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def _from_npz(path: str, fraction: float, seed: int) -> DatasetSplits:
    arrays = read_npz(path)
    if {"x_train", "y_train", "x_test", "y_test"} <= set(arrays):
        splits = DatasetSplits(arrays["x_train"], arrays["y_train"], arrays["x_test"],
                               arrays["y_test"], os.path.basename(path))
        return _checked(splits, path)
    if {"x", "y"} <= set(arrays):
        return _split(arrays["x"], arrays["y"], os.path.basename(path), fraction, seed)
    raise ValueError(f"{path}: expected arrays x_train, y_train, x_test, y_test (or x and y), "
                     f"found {sorted(arrays)}")


def _from_csv(path: str, fraction: float, seed: int) -> DatasetSplits:
    with open(path) as handle:
        first = handle.readline()
    skip = 0 if _is_numeric_row(first) else 1
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2)
    except ValueError as err:
        raise ValueError(f"{path}: not a numeric CSV table ({err})") from None
    if table.shape[1] < 2:
        raise ValueError(f"{path}: needs feature columns and a label column")
    return _split(table[:, :-1], table[:, -1], os.path.basename(path), fraction, seed)


def _is_numeric_row(line: str) -> bool:
    try:
        [float(cell) for cell in line.strip().split(",") if cell]
    except ValueError:
        return False
    return True


def _checked(splits: DatasetSplits, source: str) -> DatasetSplits:
    """float32 inputs, int64 labels in [0, C), matching lengths; class names filled in."""
    for part in ("train", "test"):
        x, y = getattr(splits, f"x_{part}"), getattr(splits, f"y_{part}")
        if len(x) != len(y):
            raise ValueError(f"{source}: {len(x)} {part} inputs but {len(y)} labels")
        if not np.all(np.mod(y, 1) == 0) or (len(y) and y.min() < 0):
            raise ValueError(f"{source}: labels must be non-negative class indices")
    splits.x_train = splits.x_train.astype(np.float32)
    splits.x_test = splits.x_test.astype(np.float32)
    splits.y_train = splits.y_train.astype(np.int64)
    splits.y_test = splits.y_test.astype(np.int64)
    count = int(max(splits.y_train.max(initial=0), splits.y_test.max(initial=0))) + 1
    splits.class_names = splits.class_names or [str(c) for c in range(count)]
    return splits

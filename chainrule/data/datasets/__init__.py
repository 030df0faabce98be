"""Data sets read from local files (never downloaded) and generated toy sets."""

from __future__ import annotations

from .fashion_mnist import CLASSES, FashionMNIST, load_fashion_mnist
from .registry import DatasetSplits, load_dataset
from .toy import make_circles, make_moons, make_spirals, make_xor

__all__ = [
    "CLASSES", "DatasetSplits", "FashionMNIST", "load_dataset", "load_fashion_mnist",
    "make_circles", "make_moons", "make_spirals", "make_xor",
]

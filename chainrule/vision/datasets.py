"""``chainrule.vision.datasets``: ``FashionMNIST`` and ``MNIST`` with torchvision's arguments.

``dataset[i]`` is ``(image, target)``: the image is what ``transform`` receives, a uint8 NumPy
array of 28×28 pixels where torchvision gives a PIL image (chainrule has no PIL; every
transform of ``chainrule.vision.transforms`` accepts such arrays, ``ToTensor`` makes the float
Tensor 1×28×28 in [0, 1]); the target is a Python int.

Nothing is downloaded at run time. Fashion-MNIST is read where ``chainrule.data`` finds it:
in ``root`` (or ``root/FashionMNIST/raw``), else where ``apt-get install
dataset-fashion-mnist`` puts it (see ``chainrule.data.datasets.fashion_mnist``). MNIST is read
from the IDX files, gzipped or not, under ``root/MNIST/raw/`` (torchvision's layout). When
the files are missing, both raise ``DatasetNotFoundError`` (a RuntimeError, as torchvision's,
and a FileNotFoundError) saying how to get them; ``download=True`` changes nothing but the
wording.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..creation import from_numpy
from ..data.dataset import Dataset
from ..data.datasets import fashion_mnist
from ..data.datasets.idx import read_idx

_FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_MNIST_CLASSES = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
                  "6 - six", "7 - seven", "8 - eight", "9 - nine"]


class DatasetNotFoundError(RuntimeError, FileNotFoundError):
    """The files of a data set are not where chainrule looks; the message says how to get
    them (chainrule never downloads)."""


class _VisionDataset(Dataset):
    """The shared part of the two data sets: uint8 images, int targets, transforms."""

    classes: list[str] = []

    def __init__(self, root: str | os.PathLike | None, train: bool,
                 transform: Callable[[Any], Any] | None,
                 target_transform: Callable[[Any], Any] | None) -> None:
        self.root = None if root is None else os.path.expanduser(os.fspath(root))
        self.train = train
        self.transform, self.target_transform = transform, target_transform

    def _set(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.data = from_numpy(np.ascontiguousarray(images))
        self.targets = from_numpy(labels.astype(np.int64))

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = np.array(self.data.data[index])  # a copy, as torchvision makes a new image
        target = int(self.targets.data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self) -> int:
        return len(self.targets.data)

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}\n    Split: {split}")


class FashionMNIST(_VisionDataset):
    """``torchvision.datasets.FashionMNIST(root, train=True, transform=None,
    target_transform=None, download=False)``.

    Args:
        root: a folder holding the four IDX files, or with them under ``FashionMNIST/raw``;
            when they are not there, the installed data set (see the module docstring).
        train: the 60,000 training images if True, else the 10,000 test images.
        transform: applied to each image, a uint8 array 28×28 (torchvision: a PIL image).
        target_transform: applied to each target, an int.
        download: chainrule never downloads; without the files, the error says how to get
            them.

    Attributes:
        data: uint8 Tensor (N, 28, 28); targets: int64 Tensor (N,); classes: the 10 names.
    """

    classes = list(fashion_mnist.CLASSES)

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 download: bool = False) -> None:
        super().__init__(root, train, transform, target_transform)
        folder = self._find(root, train, download)
        self._set(*fashion_mnist.read_split(folder, train))

    @staticmethod
    def _find(root: Any, train: bool, download: bool) -> Path:
        tried = []
        for candidate in ([root] if root is not None else []) + [None]:
            try:
                return fashion_mnist.find_directory(candidate, (train,))
            except FileNotFoundError as err:
                tried.append(str(err))
        raise DatasetNotFoundError(
            ("download=True: chainrule never downloads. " if download else "") +
            "Fashion-MNIST not found. Install it with `apt-get install dataset-fashion-mnist` "
            f"(into {fashion_mnist.DEFAULT_DIR}), or put the four IDX files "
            f"({', '.join(n + '.gz' for n in _FILES[True] + _FILES[False])}) in "
            f"{root if root is not None else 'a folder'}/FashionMNIST/raw/. "
            f"Details: {' | '.join(tried)}")


class MNIST(_VisionDataset):
    """``torchvision.datasets.MNIST(root, train=True, transform=None, target_transform=None,
    download=False)``, read from the IDX files under ``root/MNIST/raw/``.

    Args:
        root: the folder that holds ``MNIST/raw/`` (torchvision's layout).
        train: the training split (``train-*``) if True, else the test split (``t10k-*``).
        transform: applied to each image, a uint8 array H×W (torchvision: a PIL image).
        target_transform: applied to each target, an int.
        download: chainrule never downloads; without the files, the error says where to
            put them.

    Attributes:
        data: uint8 Tensor (N, H, W); targets: int64 Tensor (N,); classes: ``"0 - zero"``…
    """

    classes = list(_MNIST_CLASSES)

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 download: bool = False) -> None:
        super().__init__(root, train, transform, target_transform)
        raw = Path(self.root) / "MNIST" / "raw"
        files = [_locate(raw, name) for name in _FILES[train]]
        if None in files:
            names = ", ".join(f"{n}.gz" for n in _FILES[True] + _FILES[False])
            raise DatasetNotFoundError(
                ("download=True: chainrule never downloads. " if download else "") +
                f"MNIST not found: {raw} does not hold {_FILES[train][files.index(None)]}"
                f"(.gz). Put the four MNIST IDX files ({names}, gzipped or not) in {raw}/.")
        images, labels = read_idx(files[0], 3), read_idx(files[1], 1)
        if len(images) != len(labels):
            raise ValueError(f"{files[0]} holds {len(images)} images but {files[1]} holds "
                             f"{len(labels)} labels")
        if labels.size and labels.max() > 9:
            raise ValueError(f"{files[1]}: label {labels.max()} is outside 0…9")
        self._set(images, labels)


def _locate(directory: Path, name: str) -> Path | None:
    for candidate in (directory / (name + ".gz"), directory / name):
        if candidate.is_file():
            return candidate
    return None


__all__ = ["DatasetNotFoundError", "FashionMNIST", "MNIST"]

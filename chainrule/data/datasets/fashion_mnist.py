"""Fashion-MNIST from local IDX files: ``load_fashion_mnist`` (arrays) and ``FashionMNIST``
(a Dataset).

70,000 grey 28×28 images of clothing in 10 classes (``CLASSES``), 60,000 for training and
10,000 for testing. Nothing is ever downloaded and nothing is cached on disk. The four files

    train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz
    t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz

(gzipped or not) are looked for in, by precedence: ``root=``, else the environment variable
``FASHION_MNIST_DIR``, else ``$CHAINRULE_DATA/fashion-mnist``, else
``/usr/share/datasets/fashion-mnist``, where ``apt-get install dataset-fashion-mnist`` puts
them. In each, the sub-folder ``FashionMNIST/raw`` (torchvision's layout) is tried as well.
Reference: Xiao, Rasul and Vollgraf, 2017, https://github.com/zalandoresearch/fashion-mnist
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ...creation import from_numpy
from ...tensor import Tensor, _wrap
from ..dataset import BatchFetcher, Dataset
from .idx import read_idx

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]
DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
_SPLITS = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
           False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_SIDE = 28


def load_fashion_mnist(root: str | os.PathLike | None = None, flatten: bool = False
                       ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST as NumPy arrays: ``((x_train, y_train), (x_test, y_test))``.

    Args:
        root: the folder holding the four files (default: see the module docstring).
        flatten: give each image as a row of 784 values instead of a 28×28 array.

    Returns:
        Images as float32 in [0, 1] (the bytes divided by 255) and labels as int64 in 0…9.

    Shape:
        x_train: (60000, 28, 28), or (60000, 784) with ``flatten=True``; y_train: (60000,).
        x_test: (10000, 28, 28), or (10000, 784); y_test: (10000,).

    Raises:
        FileNotFoundError: the files are not there; the message names the folders searched
            and how to install the files.
        ValueError: a corrupt or truncated file, named in the message.

    Example (with the data set installed; tests/data/test_fashion_mnist.py checks it)::

        (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
        x_train.shape, x_train.dtype, CLASSES[y_train[0]]
        # ((60000, 28, 28), dtype('float32'), 'Ankle boot')
    """
    directory = find_directory(root, (True, False))
    splits = []
    for train in (True, False):
        images, labels = read_split(directory, train)
        images = images.reshape(len(images), -1) if flatten else images
        splits.append((to_float(images), labels.astype(np.int64)))
    return splits[0], splits[1]


class FashionMNIST(Dataset):
    """The Fashion-MNIST training or test set, as ``torchvision.datasets.FashionMNIST``.

    ``dataset[i]`` is ``(image, label)``: the image a float32 Tensor of shape (1, 28, 28) in
    [0, 1] (what torchvision gives after ``ToTensor()``), the label a Python int in 0…9.

    Args:
        root: the folder holding the files (default: see the module docstring).
        train: the 60,000 training images if True, else the 10,000 test images.
        transform: applied to each image Tensor (torchvision passes a PIL image instead).
        target_transform: applied to each label.
        download: accepted for torchvision compatibility; chainrule never downloads.

    Attributes:
        data: the images as a uint8 Tensor (N, 28, 28); targets: the labels, int64 (N,).
        classes: the 10 class names, ``CLASSES``.

    Raises:
        FileNotFoundError, ValueError: as ``load_fashion_mnist``.

    Example (with the data set installed; tests/data/test_fashion_mnist.py checks it)::

        from chainrule.data import DataLoader
        test_set = FashionMNIST(train=False)
        images, labels = next(iter(DataLoader(test_set, batch_size=64)))
        images.shape, labels.dtype
        # ((64, 1, 28, 28), dtype('int64'))
    """

    classes = CLASSES

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable[[Tensor], Any] | None = None,
                 target_transform: Callable[[int], Any] | None = None,
                 download: bool = False) -> None:
        self.root = find_directory(root, (train,))
        self.train = train
        self.transform, self.target_transform = transform, target_transform
        images, labels = read_split(self.root, train)
        self.data, self.targets = from_numpy(images), from_numpy(labels.astype(np.int64))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = _wrap(to_float(self.data.data[index][None]), None)
        label = int(self.targets.data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def __len__(self) -> int:
        return len(self.targets.data)

    def _batch_fetcher(self) -> BatchFetcher | None:
        custom = type(self).__getitem__ is not FashionMNIST.__getitem__
        if custom or self.transform is not None or self.target_transform is not None:
            return None
        images, labels = self.data.data, self.targets.data
        return lambda idx: (_wrap(to_float(images[idx][:, None]), None), _wrap(labels[idx], None))

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"FashionMNIST({split}, {len(self)} images, root={str(self.root)!r})"


def to_float(images: np.ndarray) -> np.ndarray:
    """uint8 pixels as float32 in [0, 1]: ``x / 255``, rounded once (as torchvision)."""
    return np.divide(images, np.float32(255), dtype=np.float32)


def read_split(directory: Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """The raw uint8 images (N, 28, 28) and uint8 labels (N,) of one split, checked."""
    image_file, label_file = (_locate(directory, name) for name in _SPLITS[train])
    images, labels = read_idx(image_file, 3), read_idx(label_file, 1)
    if images.shape[1:] != (_SIDE, _SIDE):
        raise ValueError(f"{image_file}: images of {images.shape[1:]} pixels; Fashion-MNIST "
                         f"images are {_SIDE}×{_SIDE}")
    if len(images) != len(labels):
        raise ValueError(f"{image_file} holds {len(images)} images but {label_file} holds "
                         f"{len(labels)} labels")
    if labels.size and labels.max() >= len(CLASSES):
        raise ValueError(f"{label_file}: label {labels.max()} is outside 0…{len(CLASSES) - 1}")
    return images, labels


def find_directory(root: str | os.PathLike | None, splits: tuple[bool, ...]) -> Path:
    """The first candidate folder that holds the files of ``splits``, or FileNotFoundError."""
    base = _base_directory(root)
    names = [name for train in splits for name in _SPLITS[train]]
    candidates = [base, base / "FashionMNIST" / "raw"]
    for directory in candidates:
        if all(_locate(directory, name) is not None for name in names):
            return directory
    missing = [n + ".gz" for n in names if _locate(base, n) is None]
    searched = " and ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"Fashion-MNIST files not found: searched {searched}, missing {', '.join(missing)}. "
        "Install them with `apt-get install dataset-fashion-mnist` (into "
        f"{DEFAULT_DIR}), or pass root= (or set FASHION_MNIST_DIR to) a folder holding them; "
        "chainrule never downloads."
    )


def _base_directory(root: str | os.PathLike | None) -> Path:
    if root is not None:
        return Path(root).expanduser()
    if os.environ.get("FASHION_MNIST_DIR"):
        return Path(os.environ["FASHION_MNIST_DIR"]).expanduser()
    if os.environ.get("CHAINRULE_DATA"):
        return Path(os.environ["CHAINRULE_DATA"]).expanduser() / "fashion-mnist"
    return DEFAULT_DIR


def _locate(directory: Path, name: str) -> Path | None:
    """``directory/name.gz``, else ``directory/name``, else None."""
    for candidate in (directory / (name + ".gz"), directory / name):
        if candidate.is_file():
            return candidate
    return None

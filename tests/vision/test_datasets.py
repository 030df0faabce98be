"""chainrule.vision.datasets: MNIST from small IDX files written here, Fashion-MNIST against
chainrule.data's loader (the installed files where present), and the errors for missing
files."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

import chainrule
from chainrule.data import DataLoader
from chainrule.data.datasets import fashion_mnist, load_fashion_mnist
from chainrule.vision import datasets, transforms

REAL = pytest.mark.skipif(
    not fashion_mnist.DEFAULT_DIR.is_dir(),
    reason=f"{fashion_mnist.DEFAULT_DIR} is absent (apt-get install dataset-fashion-mnist to "
           "run these)")
NAMES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def write_idx(folder, train, images, labels, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    payloads = (struct.pack(">IIII", 0x803, *images.shape) + images.tobytes(),
                struct.pack(">II", 0x801, len(labels)) + labels.tobytes())
    for name, payload in zip(NAMES[train], payloads):
        if compress:
            (folder / (name + ".gz")).write_bytes(gzip.compress(payload))
        else:
            (folder / name).write_bytes(payload)


@pytest.fixture
def mnist_root(tmp_path):
    rng = np.random.default_rng(0)
    data = {}
    for train, n, compress in ((True, 5, True), (False, 3, False)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        write_idx(tmp_path / "MNIST" / "raw", train, images, labels, compress)
        data[train] = images, labels
    return tmp_path, data


@pytest.mark.parametrize("train", [True, False])
def test_mnist_reads_torchvisions_layout_gzipped_or_not(mnist_root, train):
    root, data = mnist_root
    images, labels = data[train]
    ds = datasets.MNIST(str(root), train=train)
    assert len(ds) == len(labels)
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.targets.numpy(), labels.astype(np.int64))
    image, target = ds[1]
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.shape == (28, 28)
    np.testing.assert_array_equal(image, images[1])
    assert type(target) is int and target == labels[1]
    assert ds.classes[3] == "3 - three" and ds.class_to_idx["3 - three"] == 3


def test_mnist_applies_the_transforms(mnist_root):
    root, data = mnist_root
    ds = datasets.MNIST(root, transform=transforms.ToTensor(),
                        target_transform=lambda t: t + 100)
    image, target = ds[2]
    assert image.shape == (1, 28, 28)
    np.testing.assert_allclose(image.numpy()[0], data[True][0][2] / 255.0, rtol=1e-6)
    assert target == int(data[True][1][2]) + 100
    images, targets = next(iter(DataLoader(ds, batch_size=4)))
    assert images.shape == (4, 1, 28, 28) and targets.tolist() == [
        int(t) + 100 for t in data[True][1][:4]]


@pytest.mark.parametrize("download", [False, True])
def test_missing_mnist_says_where_to_put_the_files(tmp_path, download):
    with pytest.raises(RuntimeError, match="MNIST/raw") as info:
        datasets.MNIST(tmp_path, download=download)
    message = str(info.value)
    assert "train-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert ("never downloads" in message) == download
    assert isinstance(info.value, FileNotFoundError)


def test_mnist_with_mismatched_files_names_them(tmp_path):
    write_idx(tmp_path / "MNIST" / "raw", True, np.zeros((3, 28, 28), np.uint8),
              np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="3 images but .* 2 labels"):
        datasets.MNIST(tmp_path)


def test_fashion_mnist_reads_a_root_with_torchvisions_layout(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)
    labels = np.array([9, 0, 3, 3], np.uint8)
    write_idx(tmp_path / "FashionMNIST" / "raw", False, images, labels)
    ds = datasets.FashionMNIST(tmp_path, train=False)
    np.testing.assert_array_equal(ds.data.numpy(), images)
    assert [ds[i][1] for i in range(4)] == [9, 0, 3, 3]
    assert ds.classes[9] == "Ankle boot"


def test_fashion_mnist_download_without_files_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "DEFAULT_DIR", tmp_path / "none")
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    with pytest.raises(RuntimeError, match="apt-get install dataset-fashion-mnist") as info:
        datasets.FashionMNIST(tmp_path / "data", download=True)
    assert "never downloads" in str(info.value) and "FashionMNIST/raw" in str(info.value)


@REAL
@pytest.mark.real_data
def test_real_fashion_mnist_agrees_with_the_data_package():
    (_, _), (x_test, y_test) = load_fashion_mnist()
    ds = datasets.FashionMNIST("./no-such-folder", train=False, download=True,
                               transform=transforms.ToTensor())
    assert len(ds) == len(y_test) == 10000
    np.testing.assert_array_equal(ds.targets.numpy(), y_test)
    for i in (0, 4321, 9999):
        image, target = ds[i]
        np.testing.assert_array_equal(image.numpy()[0], x_test[i])
        assert target == y_test[i]
    assert isinstance(ds.data, chainrule.Tensor) and ds.data.dtype == chainrule.uint8

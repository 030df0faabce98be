"""Fashion-MNIST: the real files when installed, and small IDX files written here byte by byte
(round trip, corrupt and missing files)."""

from __future__ import annotations

import gzip
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import DataLoader, default_collate
from chainrule.data.datasets import CLASSES, FashionMNIST, load_fashion_mnist
from chainrule.data.datasets.fashion_mnist import DEFAULT_DIR

REAL = pytest.mark.skipif(
    not DEFAULT_DIR.is_dir(),
    reason=f"{DEFAULT_DIR} is absent (apt-get install dataset-fashion-mnist to run these)",
)
NAMES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def idx_images(images: np.ndarray, magic: int = 0x803) -> bytes:
    return struct.pack(">IIII", magic, *images.shape) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray, magic: int = 0x801) -> bytes:
    return struct.pack(">II", magic, len(labels)) + labels.astype(np.uint8).tobytes()


def write_split(directory: Path, split: str, images: np.ndarray, labels: np.ndarray,
                compress: bool = True) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, payload in zip(NAMES[split], (idx_images(images), idx_labels(labels))):
        if compress:
            (directory / (name + ".gz")).write_bytes(gzip.compress(payload))
        else:
            (directory / name).write_bytes(payload)


@pytest.fixture
def fake(tmp_path):
    """A Fashion-MNIST folder with 7 training and 3 test images of random bytes."""
    rng = np.random.default_rng(0)
    data = {}
    for split, n in (("train", 7), ("test", 3)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        images[0, 0, :2] = (0, 255)  # both ends of the range
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        write_split(tmp_path, split, images, labels)
        data[split] = images, labels
    return tmp_path, data


def test_round_trip_of_small_idx_files(fake):
    root, data = fake
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(root)
    for (x, y), split in (((x_train, y_train), "train"), ((x_test, y_test), "test")):
        images, labels = data[split]
        assert x.shape == images.shape and x.dtype == np.float32
        assert y.dtype == np.int64 and y.tolist() == labels.tolist()
        np.testing.assert_array_equal(x, images.astype(np.float32) / np.float32(255))
    assert x_train[0, 0, 0] == 0.0 and x_train[0, 0, 1] == 1.0
    (flat, _), _ = load_fashion_mnist(root, flatten=True)
    assert flat.shape == (7, 784)
    np.testing.assert_array_equal(flat, x_train.reshape(7, 784))


def test_dataset_items_and_fast_batches(fake):
    root, data = fake
    test_set = FashionMNIST(root, train=False)
    images, labels = data["test"]
    assert len(test_set) == 3 and test_set.classes == CLASSES
    image, label = test_set[2]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    assert label == int(labels[2]) and isinstance(label, int)
    np.testing.assert_array_equal(image.numpy()[0], images[2] / np.float32(255))
    fast, = DataLoader(test_set, batch_size=3)
    slow = default_collate([test_set[i] for i in range(3)])
    for a, b in zip(fast, slow):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_transforms_are_applied(fake):
    root, data = fake
    ds = FashionMNIST(root, train=True, transform=lambda x: x.reshape(784),
                      target_transform=lambda y: y + 100)
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.shape == (4, 784) and y.tolist() == (data["train"][1][:4] + 100).tolist()


def test_uncompressed_files_torchvision_layout_and_environment(tmp_path, monkeypatch):
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    raw = tmp_path / "FashionMNIST" / "raw"
    write_split(raw, "train", images, np.array([3, 4]), compress=False)
    assert FashionMNIST(tmp_path)[1][1] == 4
    monkeypatch.setenv("FASHION_MNIST_DIR", str(raw))
    assert len(FashionMNIST()) == 2


def test_missing_directory_names_it_and_the_fix(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as err:
        load_fashion_mnist(missing)
    message = str(err.value)
    assert str(missing) in message and "apt-get install dataset-fashion-mnist" in message
    assert "root=" in message and "t10k-labels-idx1-ubyte.gz" in message


def test_missing_test_files_do_not_stop_the_training_set(tmp_path):
    write_split(tmp_path, "train", np.zeros((1, 28, 28)), np.zeros(1))
    assert len(FashionMNIST(tmp_path, train=True)) == 1
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte.gz"):
        FashionMNIST(tmp_path, train=False)


def _corrupt(fake, name: str, payload: bytes) -> Path:
    root, _ = fake
    path = root / (name + ".gz")
    path.write_bytes(payload)
    return path


@pytest.mark.parametrize("case, match", [
    ("truncated gzip", "truncated"),
    ("truncated data", r"shape \(7, 28, 28\).*truncated"),
    ("extra data", "holds 5489"),
    ("wrong magic", "magic number 0x00000801, expected 0x00000803"),
    ("not gzip", "not a valid gzip file"),
    ("short header", "header"),
])
def test_corrupt_image_file_names_the_file(fake, case, match):
    root, data = fake
    good = idx_images(data["train"][0])
    payload = {
        "truncated gzip": gzip.compress(good)[:-100],
        "truncated data": gzip.compress(good[:-5]),
        "extra data": gzip.compress(good + b"\0"),
        "wrong magic": gzip.compress(idx_images(data["train"][0], magic=0x801)),
        "not gzip": b"this is not a gzip file at all",
        "short header": gzip.compress(good[:10]),
    }[case]
    path = _corrupt(fake, "train-images-idx3-ubyte", payload)
    with pytest.raises(ValueError, match=match) as err:
        load_fashion_mnist(root)
    assert str(path) in str(err.value)


def test_inconsistent_labels_name_the_file(fake):
    root, data = fake
    path = _corrupt(fake, "t10k-labels-idx1-ubyte", gzip.compress(idx_labels(np.arange(2))))
    with pytest.raises(ValueError, match="3 images but .* 2 labels") as err:
        load_fashion_mnist(root)
    assert str(path) in str(err.value)
    _corrupt(fake, "t10k-labels-idx1-ubyte", gzip.compress(idx_labels(np.array([1, 2, 10]))))
    with pytest.raises(ValueError, match="label 10 is outside"):
        load_fashion_mnist(root)


def test_images_of_another_size_are_rejected(tmp_path):
    write_split(tmp_path, "train", np.zeros((2, 8, 8)), np.zeros(2))
    with pytest.raises(ValueError, match=r"\(8, 8\) pixels"):
        FashionMNIST(tmp_path)


@pytest.fixture(scope="module")
def real():
    start = time.perf_counter()
    splits = load_fashion_mnist()
    return splits, time.perf_counter() - start


@REAL
def test_real_files_shapes_dtypes_range_and_class_counts(real):
    ((x_train, y_train), (x_test, y_test)), seconds = real
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    for x in (x_train, x_test):
        assert x.min() == 0.0 and x.max() == 1.0
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert CLASSES[y_train[0]] == "Ankle boot"  # the published first training label, 9
    assert seconds < 10, f"loading took {seconds:.1f} s; expected well under 2 s"


@REAL
def test_real_dataset_agrees_with_the_arrays(real):
    ((_, _), (x_test, y_test)), _ = real
    test_set = FashionMNIST(train=False)
    images, labels = next(iter(DataLoader(test_set, batch_size=100)))
    assert images.shape == (100, 1, 28, 28) and labels.dtype == np.int64
    np.testing.assert_array_equal(images.numpy()[:, 0], x_test[:100])
    np.testing.assert_array_equal(labels.numpy(), y_test[:100])

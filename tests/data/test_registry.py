"""load_dataset by name and from files; the .npz reader refuses zip bombs and pickles."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from chainrule.data.datasets import load_dataset
from chainrule.data.datasets.registry import read_npz


def test_toy_sets_split_into_train_and_test_with_class_names():
    splits = load_dataset("moons", seed=1)
    assert splits.x_train.shape == (800, 2) and splits.x_test.shape == (200, 2)
    assert splits.x_train.dtype == np.float32 and splits.y_train.dtype == np.int64
    assert splits.class_names == ["0", "1"] and splits.input_shape == (2,)


def test_npz_with_explicit_splits_and_bad_labels(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x_train=np.zeros((4, 3)), y_train=[0, 1, 2, 1], x_test=np.ones((2, 3)),
             y_test=[2, 0])
    splits = load_dataset(str(path))
    assert splits.num_classes == 3 and splits.x_test.shape == (2, 3)
    np.savez(path, x=np.zeros((4, 3)), y=[0.5, 1, 2, 1])
    with pytest.raises(ValueError, match="class indices"):
        load_dataset(str(path))


def test_an_npz_that_would_decompress_past_the_cap_is_refused(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, x=np.zeros(10**6))  # 8 MB of zeros in a tiny archive
    with pytest.raises(ValueError, match="decompresses to 8,000,128 bytes"):
        read_npz(str(path), max_bytes=10**6)
    assert read_npz(str(path))["x"].shape == (10**6,)


def test_an_npz_holding_a_pickled_object_is_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        read_npz(str(path))


def test_a_file_that_is_not_a_zip_is_named(tmp_path):
    path = tmp_path / "fake.npz"
    path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="fake.npz: not a valid"):
        read_npz(str(path))
    assert zipfile.is_zipfile(path) is False

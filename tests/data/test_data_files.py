"""chainrule.data.datasets.files: .npy/.npz/.csv read back exactly, and every bad file ends in
one ValueError naming it."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.data.datasets.files import read_csv, read_npy, read_npz


@pytest.mark.parametrize("array", [
    np.arange(12, dtype=np.float32).reshape(3, 4), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    np.array(2.5), np.zeros((0, 3), np.int16), np.arange(5, dtype=">i4"),
])
def test_npy_and_npz_round_trip(tmp_path, array):
    np.save(tmp_path / "a.npy", array)
    np.savez_compressed(tmp_path / "a.npz", x=array, y=np.arange(3))
    for got in (read_npy(str(tmp_path / "a.npy")), read_npz(str(tmp_path / "a.npz"))["x"]):
        assert got.dtype == array.dtype and got.shape == array.shape
        assert np.array_equal(got, array)


def test_a_csv_header_row_is_skipped(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,2.5\n3,-4\n")
    assert read_csv(str(tmp_path / "t.csv")).tolist() == [[1.0, 2.5], [3.0, -4.0]]


@pytest.mark.parametrize("name, content", [
    ("t.npy", b"\x93NUMPY\x01\x00garbage"), ("t.npy", b"not an array"),
    ("t.npz", b"PK\x03\x04 broken"), ("t.csv", b"1,2\n3\n"), ("t.csv", b"\xff\xfe\x00\x01"),
    ("t.csv", b""),
])
def test_bad_files_are_one_value_error_naming_the_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    reader = {"npy": read_npy, "npz": read_npz, "csv": read_csv}[name[-3:]]
    with pytest.raises(ValueError, match=name):
        reader(str(path))


def test_a_truncated_npy_is_refused_before_reading(tmp_path):
    np.save(tmp_path / "t.npy", np.arange(100.0))
    data = (tmp_path / "t.npy").read_bytes()
    (tmp_path / "t.npy").write_bytes(data[:-8])
    with pytest.raises(ValueError, match=r"claims shape \(100,\)"):
        read_npy(str(tmp_path / "t.npy"))

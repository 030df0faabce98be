"""Hostile model files: headers whose offsets add up but whose shapes no array can have, huge
integers, many keys, files of other formats. Each ends in ModelFileError, in time linear in
the header."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule import io
from chainrule.io import ModelFileError

from .test_io import assert_loads_as_written

ITEMSIZE = {"F16": 2, "F32": 4, "F64": 8, "I8": 1, "I16": 2, "I32": 4, "I64": 8, "U8": 1,
            "BOOL": 1}
FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])


def write_header(path, text: str, body: bytes = b"") -> None:
    raw = text.encode()
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + body)


def product(numbers) -> int:
    total = 1
    for n in numbers:
        total *= n
    return total


def size_of(dims: list, itemsize: int) -> int:
    """Bytes of a shape given as ints and digit strings; 0 where it is not worth computing
    (more than 4,300 digits, or a product of thousands of digits): the file is invalid then
    anyway."""
    if 0 in dims:
        return 0
    if sum(len(str(d)) for d in dims) > 20_000 or any(len(str(d)) > 4300 for d in dims):
        return 0
    size = product(int(d) for d in dims) * itemsize
    return size if size.bit_length() < 14_000 else 0  # str() refuses past 4,300 digits


# Dimensions as JSON number tokens: small, zero, past int64, and integers of thousands of
# digits (some past the 4,300 digits that int() accepts).
DIMENSION = st.one_of(
    st.integers(0, 3),
    st.just(0),
    st.integers(2**31, 2**64 + 1),
    st.integers(10, 5000).map(lambda digits: "9" * digits),
)


@st.composite
def consistent_headers(draw) -> tuple[str, int]:
    """A header whose data_offsets match its shapes and dtypes exactly, and the body size
    they imply: only the shapes (and the sizes of the numbers) are hostile."""
    entries, position = [], 0
    for i in range(draw(st.integers(1, 3))):
        dtype = draw(st.sampled_from(sorted(ITEMSIZE)))
        dims = draw(st.lists(DIMENSION, max_size=draw(st.sampled_from([4, 64, 70, 200]))))
        end = position + size_of(dims, ITEMSIZE[dtype])
        tokens = ",".join(str(d) for d in dims)
        entries.append(f'"t{i}":{{"dtype":"{dtype}","shape":[{tokens}],'
                       f'"data_offsets":[{position},{end}]}}')
        position = end
    return "{" + ",".join(entries) + "}", position


@FUZZ
@given(header=consistent_headers())
def test_extreme_shapes_raise_model_file_error_or_load(tmp_path, header):
    text, body_size = header
    path = tmp_path / "extreme.safetensors"
    write_header(path, text, b"\0" * body_size if body_size <= 4096 else b"")
    assert_loads_as_written(path)


@pytest.mark.parametrize(("shape", "problem"), [
    ([0, 2**62], "larger than any array"),
    ([2**63, 0], "larger than any array"),
    ([0] + [2**40] * 63, "larger than any array"),
    ([1] * 65, "65 dimensions"),
    ([0] * 65, "65 dimensions"),
])
def test_zero_size_shapes_numpy_cannot_make_are_named(tmp_path, shape, problem):
    path = tmp_path / "shape.safetensors"
    write_header(path, json.dumps({"t": {"dtype": "F32", "shape": shape,
                                         "data_offsets": [0, 4 * product(shape)]}}))
    with pytest.raises(ModelFileError, match=problem):
        io.load_file(path)


def test_the_largest_zero_size_shape_numpy_can_make_loads(tmp_path):
    limit = np.iinfo(np.intp).max // 8
    path = tmp_path / "edge.safetensors"
    write_header(path, json.dumps({"t": {"dtype": "F64", "shape": [0, limit],
                                         "data_offsets": [0, 0]}}))
    assert io.load_file(path)[0]["t"].shape == (0, limit)


@pytest.mark.parametrize("where", ["shape", "data_offsets"])
def test_integers_past_4300_digits_are_a_model_file_error(tmp_path, where):
    huge = "9" * 5000
    shape, offsets = ("[1]", f"[0,{huge}]") if where == "data_offsets" else (f"[{huge}]", "[0,4]")
    path = tmp_path / "digits.safetensors"
    write_header(path, f'{{"t":{{"dtype":"F32","shape":{shape},"data_offsets":{offsets}}}}}')
    with pytest.raises(ModelFileError, match="digits.safetensors.*not valid JSON"):
        io.load_file(path)


@FUZZ
@given(blob=st.binary(min_size=8, max_size=64))
def test_headers_of_random_json_values_raise_model_file_error_or_load(tmp_path, blob):
    path = tmp_path / "random.safetensors"
    path.write_bytes((len(blob) - 8).to_bytes(8, "little") + b"{" + blob[1:])
    assert_loads_as_written(path)


def many_keys(count: int, duplicate: bool) -> str:
    entries = [f'"t{i}":{{"dtype":"U8","shape":[1],"data_offsets":[{i},{i + 1}]}}'
               for i in range(count)]
    if duplicate:
        entries.append(entries[-1])
    return "{" + ",".join(entries) + "}"


def seconds_to_load(path) -> float:
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        try:
            io.load_file(path)
        except ModelFileError:
            pass
        best = min(best, time.perf_counter() - start)
    return best


def test_a_duplicate_among_40k_keys_is_found_in_linear_time(tmp_path):
    """40,000 keys (a 2.5 MB header) with the duplicate last took 78 s (110 s on a busy
    machine) with a quadratic search; a linear one takes about half a second. The bound
    leaves room for a machine shared with other jobs."""
    path = tmp_path / "many.safetensors"
    write_header(path, many_keys(40_000, duplicate=True), b"\0" * 40_000)
    with pytest.raises(ModelFileError, match="duplicate key 't39999'"):
        io.load_file(path)
    assert seconds_to_load(path) < 5.0


def test_40k_distinct_keys_load(tmp_path):
    path = tmp_path / "many.safetensors"
    write_header(path, many_keys(40_000, duplicate=False), bytes(range(256)) * 156 + b"\0" * 64)
    arrays, _ = io.load_file(path)
    assert len(arrays) == 40_000 and arrays["t257"][0] == 1


@pytest.mark.parametrize(("start", "what"), [
    (b"PK\x03\x04\x14\x00\x00\x00", "ZIP archive"),
    (b"\x80\x02\x8a\x0alz\xfc", "Python pickle"),
    (b"\x80\x04\x95\x00\x00\x00\x00\x00", "Python pickle"),
    (b"\x93NUMPY\x01\x00", "NumPy .npy"),
    (b"\x89HDF\r\n\x1a\n", "HDF5"),
])
def test_files_of_other_formats_are_named(tmp_path, start, what):
    path = tmp_path / "model.pt"
    path.write_bytes(start + b"\x00" * 200)
    with pytest.raises(ModelFileError, match=f"model.pt: this looks like an? {what}"):
        io.load_file(path)


def test_a_real_pytorch_file_is_called_a_zip_archive(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "weights.pt"
    torch.save({"w": torch.zeros(3)}, path)
    with pytest.raises(ModelFileError, match="ZIP archive .*PyTorch"):
        io.load_file(path)

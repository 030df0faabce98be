"""Model files: round trips, interop with the safetensors library, hostile files, atomic writes."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import io, nn
from chainrule.io import ModelFileError


def write_raw(path, header: bytes | dict, body: bytes = b"", length: int | None = None):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    size = len(text) if length is None else length
    path.write_bytes(size.to_bytes(8, "little") + text + body)
    return path


def valid_file(tmp_path):
    path = tmp_path / "ok.safetensors"
    io.save_file({"w": np.arange(6, dtype=np.float32).reshape(2, 3),
                  "b": np.array([1, 2], dtype=np.int64)}, path, {"epoch": "3"})
    return path


def test_round_trip_keeps_values_dtypes_shapes_and_metadata(tmp_path):
    arrays = {"f32": np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32),
              "f64": np.linspace(0, 1, 5), "i64": np.arange(4), "i32": np.arange(3, dtype=np.int32),
              "u8": np.arange(3, dtype=np.uint8), "flag": np.array([True, False]),
              "empty": np.zeros((0, 3), np.float32), "scalar": np.array(2.5)}
    path = tmp_path / "all.safetensors"
    io.save_file(arrays, path, {"note": "x"})
    loaded, metadata = io.load_file(path)
    assert metadata == {"note": "x"}
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        np.testing.assert_array_equal(loaded[name], array)
        assert loaded[name].flags.writeable


def test_module_save_and_load_state_dict(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    path = tmp_path / "model.safetensors"
    cr.save(model, path)
    other = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    other.load_state_dict(cr.load(path))
    x = cr.randn(2, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())


def test_torchs_save_and_load_arguments_are_taken(tmp_path):
    """torch.save(obj, f, pickle_module, pickle_protocol, _use_new_zipfile_serialization=...)
    and torch.load(f=..., pickle_module=..., encoding=...) as old scripts write them: the
    same file, the same values (nothing is pickled either way)."""
    state = {"w": cr.tensor(np.arange(6.0).reshape(2, 3)), "step": 3}
    plain, legacy = tmp_path / "plain.pt", tmp_path / "legacy.pt"
    cr.save(state, plain)
    cr.save(state, f=legacy, pickle_module=pickle, pickle_protocol=2,
            _use_new_zipfile_serialization=False, _disable_byteorder_record=True)
    assert legacy.read_bytes() == plain.read_bytes()
    loaded = cr.load(f=legacy, map_location="cpu", pickle_module=pickle, encoding="latin1")
    np.testing.assert_array_equal(loaded["w"].numpy(), state["w"].numpy())
    assert loaded["step"] == 3
    cr.save(state, plain, metadata={"note": "kept"})  # chainrule's own keyword
    assert io.load_metadata(plain)["note"] == "kept"


def test_a_misplaced_argument_in_pickle_modules_place_is_refused(tmp_path):
    """metadata given by position lands where torch has pickle_module, which is ignored: it
    must fail, not vanish."""
    with pytest.raises(TypeError, match="pass metadata= by keyword"):
        cr.save({"w": cr.ones(2)}, tmp_path / "a.st", {"note": "lost?"})
    assert not (tmp_path / "a.st").exists()
    cr.save({"w": cr.ones(2)}, tmp_path / "a.st")
    with pytest.raises(TypeError, match="pickle_module must be a module like pickle"):
        cr.load(tmp_path / "a.st", None, "pickle")


def test_module_save_keeps_its_metadata(tmp_path):
    path = tmp_path / "layer.safetensors"
    nn.Linear(2, 1).save(path, {"note": "demo"})
    assert io.load_metadata(path) == {"note": "demo"}


def test_files_interoperate_with_the_safetensors_library(tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    ours = tmp_path / "ours.safetensors"
    data = {"a": np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32),
            "b": np.arange(7, dtype=np.int64)}
    io.save_file(data, ours, {"k": "v"})
    for name, array in st_numpy.load_file(str(ours)).items():
        np.testing.assert_array_equal(array, data[name])
    theirs = tmp_path / "theirs.safetensors"
    st_numpy.save_file({"x": np.eye(3), "y": np.zeros(0, np.int32)}, str(theirs),
                       metadata={"m": "1"})
    loaded, metadata = io.load_file(theirs)
    np.testing.assert_array_equal(loaded["x"], np.eye(3))
    assert loaded["y"].shape == (0,) and metadata == {"m": "1"}


def test_torch_reads_our_files(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    model = nn.Linear(3, 2)
    path = tmp_path / "m.safetensors"
    cr.save(model, path)
    layer = torch.nn.Linear(3, 2)
    layer.load_state_dict(st_torch.load_file(str(path)))
    np.testing.assert_array_equal(layer.weight.detach().numpy(), model.weight.data)


@pytest.mark.parametrize("case", [
    "huge_header", "header_past_end", "overlap", "gap", "out_of_range", "truncated",
    "unknown_dtype", "negative_shape", "bool_shape", "wrong_size", "duplicate_key",
    "not_json", "not_object", "bad_metadata", "extra_field", "nan_constant", "tiny",
])
def test_malformed_files_raise_model_file_error(tmp_path, case):
    path = tmp_path / f"{case}.safetensors"
    entry = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    body = b"\0" * 8
    if case == "huge_header":
        write_raw(path, b"{}", length=2**62)
    elif case == "header_past_end":
        write_raw(path, b"{}", length=1000)
    elif case == "overlap":
        write_raw(path, {"a": entry, "b": {**entry, "data_offsets": [4, 12]}}, b"\0" * 12)
    elif case == "gap":
        write_raw(path, {"a": {**entry, "data_offsets": [4, 12]}}, b"\0" * 12)
    elif case == "out_of_range":
        write_raw(path, {"a": {**entry, "shape": [4], "data_offsets": [0, 16]}}, body)
    elif case == "truncated":
        write_raw(path, {"a": entry}, b"\0" * 5)
    elif case == "unknown_dtype":
        write_raw(path, {"a": {**entry, "dtype": "C64"}}, body)
    elif case == "negative_shape":
        write_raw(path, {"a": {**entry, "shape": [-2]}}, body)
    elif case == "bool_shape":
        write_raw(path, {"a": {**entry, "shape": [True, 2]}}, body)
    elif case == "wrong_size":
        write_raw(path, {"a": {**entry, "shape": [3]}}, body)
    elif case == "duplicate_key":
        text = b'{"a":' + json.dumps(entry).encode() + b',"a":' + json.dumps(entry).encode() + b"}"
        write_raw(path, text, body)
    elif case == "not_json":
        write_raw(path, b"{not json", body)
    elif case == "not_object":
        write_raw(path, b"[1, 2]", body)
    elif case == "bad_metadata":
        write_raw(path, {"a": entry, "__metadata__": {"k": 1}}, body)
    elif case == "extra_field":
        write_raw(path, {"a": {**entry, "code": "import os"}}, body)
    elif case == "nan_constant":
        write_raw(path, b'{"a": NaN}', body)
    elif case == "tiny":
        path.write_bytes(b"\1\2")
    with pytest.raises(ModelFileError, match=case + ".safetensors"):
        io.load_file(path)


class Exploit:
    def __reduce__(self):
        return (os.mkdir, ("PWNED_BY_PICKLE",))


def test_a_pickle_payload_is_rejected_and_never_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps({"weight": Exploit()}))
    with pytest.raises(ModelFileError):
        io.load_file(path)
    assert not (tmp_path / "PWNED_BY_PICKLE").exists()


def test_a_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.safetensors"):
        io.load_file(tmp_path / "nowhere.safetensors")


def read_independently(path) -> dict[str, np.ndarray]:
    """What a file holds, read by the format's definition alone: the oracle for files that
    load."""
    raw = path.read_bytes()
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + length])
    body = raw[8 + length:]
    dtypes = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I8": "i1", "I16": "<i2", "I32": "<i4",
              "I64": "<i8", "U8": "u1", "BOOL": "?"}
    return {name: np.frombuffer(body[entry["data_offsets"][0]:entry["data_offsets"][1]],
                                dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
            for name, entry in header.items() if name != "__metadata__"}


def assert_loads_as_written(path) -> None:
    """``path`` either raises ModelFileError naming it, or loads exactly what it holds."""
    try:
        arrays, _ = io.load_file(path)
    except ModelFileError as err:
        assert path.name in str(err)
        return
    expected = read_independently(path)
    assert sorted(arrays) == sorted(expected)
    for name, array in arrays.items():
        assert array.dtype == expected[name].dtype.newbyteorder("=")
        np.testing.assert_array_equal(array, expected[name])


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_files_fail_with_model_file_error_or_load_what_they_hold(tmp_path, data):
    original = valid_file(tmp_path).read_bytes()
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(mutated) - 1))
        mutated[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(mutated)))
    path = tmp_path / "fuzz.safetensors"
    path.write_bytes(bytes(mutated[:cut]))
    assert_loads_as_written(path)


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=200))
def test_random_bytes_fail_with_model_file_error_or_load_what_they_hold(tmp_path, blob):
    path = tmp_path / "random.safetensors"
    path.write_bytes(blob)
    assert_loads_as_written(path)


def test_the_oracle_accepts_a_valid_file_and_catches_a_wrong_reading(tmp_path, monkeypatch):
    path = valid_file(tmp_path)
    assert_loads_as_written(path)
    real = io.load_file

    def off_by_one(p):
        arrays, metadata = real(p)
        return {name: a + 1 for name, a in arrays.items()}, metadata

    monkeypatch.setattr(io, "load_file", off_by_one)
    with pytest.raises(AssertionError):
        assert_loads_as_written(path)


def test_an_interrupted_write_leaves_the_previous_file_and_no_temp_file(tmp_path):
    path = tmp_path / "model.safetensors"
    io.save_file({"w": np.ones(3, np.float32)}, path)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with io.atomic_write(path) as handle:
            handle.write(b"partial bytes")
            raise Boom
    loaded, _ = io.load_file(path)
    np.testing.assert_array_equal(loaded["w"], np.ones(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]


def test_saving_rejects_unsupported_dtypes_and_reserved_names(tmp_path):
    with pytest.raises(TypeError, match="complex"):
        io.save_file({"c": np.zeros(2, np.complex64)}, tmp_path / "c.safetensors")
    with pytest.raises(ValueError, match="__metadata__"):
        io.save_file({"__metadata__": np.zeros(2)}, tmp_path / "m.safetensors")
    assert not any(tmp_path.iterdir())


def test_load_metadata_reads_only_the_header(tmp_path):
    assert io.load_metadata(valid_file(tmp_path)) == {"epoch": "3"}


def test_module_save_and_load_conveniences(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model.save(tmp_path / "m.safetensors", metadata={"note": "x"})
    other = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert other.load(tmp_path / "m.safetensors") is other
    for a, b in zip(model.parameters(), other.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    wrong = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    with pytest.raises(RuntimeError, match="0.weight"):
        wrong.load(tmp_path / "m.safetensors")

"""PyTorch .pt files read without PyTorch: files built here, opcode by opcode, so that these
run without torch (tests/interop/test_pt_torch.py reads files that torch writes)."""

from __future__ import annotations

import math
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule
from chainrule.interop.torch import load_pt
from chainrule.io import ModelFileError
from tests.optional import needs_torch, torch

from .ptfiles import (
    dictionary,
    floats,
    glob,
    integer,
    ordered_dict,
    pickle_of,
    real,
    tensor,
    text,
    tup,
    write_archive,
)

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def strided(values, offset, size, stride):
    """The elements a view selects, by the index formula: element [i, j, ...] is
    values[offset + i * stride[0] + j * stride[1] + ...]."""
    out = np.empty(size, dtype=np.float32)
    for index in np.ndindex(*size):
        out[index] = values[offset + sum(i * s for i, s in zip(index, stride))]
    return out


def test_a_state_dict_with_shared_storage_and_strided_views_loads_with_the_right_values(tmp_path):
    values = np.arange(12, dtype=np.float32) * 1.5 - 4
    views = {"weight": (0, (3, 4), (4, 1)), "weight_t": (0, (4, 3), (1, 4)),
             "tail": (5, (2, 3), (3, 1)), "column": (2, (3,), (4,)), "expanded": (7, (2, 3),
                                                                                (0, 1))}
    body = ordered_dict(*[(text(name), tensor("0", 12, *view)) for name, view in views.items()])
    path = write_archive(tmp_path / "model.pt", pickle_of(body), {"0": floats(values)})
    loaded = chainrule.load(path)
    assert list(loaded) == list(views)
    for name, view in views.items():
        assert isinstance(loaded[name], chainrule.Tensor) and loaded[name].dtype == np.float32
        np.testing.assert_array_equal(loaded[name].numpy(), strided(values, *view))
    assert not loaded["weight"].requires_grad


def test_checkpoint_values_of_every_kind_come_back(tmp_path):
    body = dictionary(
        (text("epoch"), integer(7)), (text("big"), integer(-2**70)),
        (text("lr"), real(0.125)), (text("name"), text("adam ü")),
        (text("flags"), b"]" + b"(" + b"\x88\x89N" + b"e"),
        (text("pair"), integer(1) + integer(2) + b"\x86"),
        (text("empty"), b")"), (integer(3), dictionary()),
        (text("device"), glob("torch", "device") + text("cuda") + integer(1) + b"\x86R"),
        (text("size"), glob("torch", "Size") + tup(integer(2), integer(3)) + b"\x85R"),
    )
    path = write_archive(tmp_path / "ckpt.pt", pickle_of(body))
    assert load_pt(path) == {"epoch": 7, "big": -2**70, "lr": 0.125, "name": "adam ü",
                             "flags": [True, False, None], "pair": (1, 2), "empty": (), 3: {},
                             "device": chainrule.device("cuda", 1), "size": (2, 3)}


def test_memo_references_give_the_same_object_and_parameters_keep_requires_grad(tmp_path):
    weight = tensor("0", 2, 0, (2,), (1,))
    parameter = glob("torch._utils", "_rebuild_parameter") + b"(" + weight + b"\x88" + \
        glob("collections", "OrderedDict") + b")RtR"
    body = b"]q\x00(" + parameter + b"q\x01" + b"h\x01" + b"e"
    path = write_archive(tmp_path / "p.pt", pickle_of(body), {"0": floats([1.0, 2.0])})
    first, second = load_pt(path)
    assert first is second and first.requires_grad
    np.testing.assert_array_equal(first.detach().numpy(), [1.0, 2.0])


@pytest.mark.parametrize(("kind", "dtype", "expected"), [
    ("HalfStorage", np.float16, np.float16),
    ("DoubleStorage", np.float64, np.float64),
    ("LongStorage", np.int64, np.int64),
    ("IntStorage", np.int32, np.int32),
    ("ShortStorage", np.int16, np.int16),
    ("CharStorage", np.int8, np.int8),
    ("ByteStorage", np.uint8, np.uint8),
    ("BoolStorage", np.bool_, np.bool_),
])
@pytest.mark.parametrize("byteorder", ["little", "big"])
def test_storage_types_and_byte_orders(tmp_path, kind, dtype, expected, byteorder):
    values = np.array([0, 1, 5, 1, 0, 3]).astype(dtype)
    raw = values.astype(np.dtype(dtype).newbyteorder("<" if byteorder == "little" else ">"))
    body = dictionary((text("t"), tensor("0", 6, 0, (2, 3), (3, 1), kind)))
    path = write_archive(tmp_path / "t.pt", pickle_of(body), {"0": raw.tobytes()},
                         byteorder=byteorder.encode())
    loaded = load_pt(path)["t"]
    assert loaded.dtype == expected
    np.testing.assert_array_equal(loaded.numpy(), values.reshape(2, 3))


def test_bfloat16_loads_as_float32_exactly(tmp_path):
    values = np.array([1.0, -2.5, 3.140625, 2.0**100, -0.0], dtype=np.float32)  # exact in bf16
    raw = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    body = dictionary((text("t"), tensor("0", 5, 0, (5,), (1,), "BFloat16Storage")))
    loaded = load_pt(write_archive(tmp_path / "b.pt", pickle_of(body), {"0": raw}))["t"]
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded.numpy(), values)


def test_a_file_is_recognised_by_its_content_not_its_name(tmp_path):
    body = dictionary((text("w"), tensor("0", 2, 0, (2,), (1,))))
    pt = write_archive(tmp_path / "weights.safetensors", pickle_of(body), {"0": floats([3, 4])})
    np.testing.assert_array_equal(chainrule.load(pt)["w"].numpy(), [3, 4])
    safetensors = tmp_path / "weights.pt"
    chainrule.save({"w": chainrule.tensor([5.0, 6.0])}, safetensors)
    np.testing.assert_array_equal(chainrule.load(safetensors)["w"].numpy(), [5, 6])


def test_load_accepts_torch_load_options_for_pt_files(tmp_path):
    body = dictionary((text("w"), tensor("0", 1, 0, (), ())))
    path = write_archive(tmp_path / "w.pt", pickle_of(body), {"0": floats([2.5])})
    loaded = chainrule.load(path, map_location="cpu", weights_only=True)
    assert loaded["w"].shape == () and loaded["w"].item() == 2.5


# ------------------------------------------------------------------ the stdlib as an oracle

KEYS = st.one_of(st.text(max_size=8), st.integers(-2**40, 2**40))
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2**80, 2**80),
                   st.floats(allow_nan=False), st.text(max_size=20), st.binary(max_size=20))
DATA = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.tuples(inner, inner),
    st.lists(inner, max_size=3).map(tuple), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=30)


@SETTINGS
@given(DATA, st.integers(2, 5))
def test_plain_data_pickled_by_the_standard_library_loads_as_pickle_loads_it(tmp_path, value,
                                                                             protocol):
    """pickle (tests may use it) writes the data with protocols 2 to 5; the reader written
    here must give back what pickle.loads gives."""
    raw = pickle.dumps(value, protocol=protocol)
    path = write_archive(tmp_path / "data.pt", raw)
    loaded = load_pt(path)
    assert loaded == pickle.loads(raw)
    assert _types(loaded) == _types(value)


def _types(value):
    if isinstance(value, dict):
        return ("dict", [(_types(k), _types(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_types(v) for v in value])
    return type(value).__name__


def test_nan_and_infinities_survive(tmp_path):
    raw = pickle.dumps([math.nan, math.inf, -math.inf], protocol=2)
    loaded = load_pt(write_archive(tmp_path / "f.pt", raw))
    assert math.isnan(loaded[0]) and loaded[1:] == [math.inf, -math.inf]


# ------------------------------------------------------------------ archives that are not torch's


def test_an_npz_archive_is_named_as_not_a_torch_file(tmp_path):
    path = tmp_path / "arrays.pt"
    with open(path, "wb") as handle:
        np.savez(handle, a=np.zeros(3))
    with pytest.raises(ModelFileError, match=r"arrays.pt: a ZIP archive with no <folder>/data.pkl"):
        chainrule.load(path)


def test_a_legacy_torch_file_is_refused_by_name(tmp_path):
    path = tmp_path / "old.pt"
    path.write_bytes(pickle.dumps({"w": 1}, protocol=2))
    with pytest.raises(ModelFileError, match="old.pt: a legacy PyTorch file"):
        load_pt(path)


@pytest.mark.parametrize(("change", "message"), [
    ({"version": b"9\n"}, r"archive/version says '9'; this reader knows format versions 1 to 3"),
    ({"version": None}, "no archive/version entry"),
    ({"byteorder": b"middle"}, "byteorder says 'middle'"),
    ({"compression": zipfile.ZIP_DEFLATED}, "is compressed"),
])
def test_archive_records_are_checked(tmp_path, change, message):
    body = dictionary((text("w"), tensor("0", 1, 0, (1,), (1,))))
    path = write_archive(tmp_path / "x.pt", pickle_of(body), {"0": floats([1])}, **change)
    with pytest.raises(ModelFileError, match=message):
        load_pt(path)


def test_an_entry_outside_the_archive_folder_is_named(tmp_path):
    path = write_archive(tmp_path / "x.pt", pickle_of(dictionary()))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("elsewhere/data/0", b"1234")
    with pytest.raises(ModelFileError, match="'elsewhere/data/0' is outside"):
        load_pt(path)


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        load_pt(tmp_path / "nope.pt")


@needs_torch
def test_torch_reads_the_hand_built_files_as_chainrule_does(tmp_path):
    """The files built here are real torch files: torch.load gives the same values."""
    values = np.arange(12, dtype=np.float32) * 0.5
    body = ordered_dict((text("w"), tensor("0", 12, 1, (3, 2), (1, 4))),
                        (text("b"), tensor("0", 12, 0, (4,), (3,), requires_grad=True)),
                        (text("n"), tensor("1", 2, 0, (2,), (1,), "LongStorage")))
    path = write_archive(tmp_path / "hand.pt", pickle_of(body),
                         {"0": floats(values), "1": np.array([5, -6], "<i8").tobytes()})
    theirs, ours = torch.load(path, weights_only=True), load_pt(path)
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        np.testing.assert_array_equal(ours[key].detach().numpy(), value.detach().numpy())
        assert ours[key].requires_grad == value.requires_grad

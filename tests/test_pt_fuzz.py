"""Fuzzing the PyTorch .pt reader: mutated real files (written by the pinned torch, and built
by hand so that this runs without torch), mutated pickles and random opcode sequences. Every
outcome is a load or a ModelFileError: no other exception, no crash (docs/reliability.md
R-SEC-9)."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule
from chainrule.io import ModelFileError
from tests.interop.ptfiles import (
    dictionary,
    entry,
    floats,
    glob,
    integer,
    ordered_dict,
    pickle_of,
    real,
    rewrite_entry,
    storage,
    tensor,
    text,
    tup,
    write_archive,
)
from tests.optional import needs_torch, torch

FUZZ = settings(max_examples=250, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def hand_built(path):
    """A checkpoint-like archive: shared storage, strided views, nested plain data."""
    body = dictionary(
        (text("model"), ordered_dict((text("w"), tensor("0", 6, 0, (2, 3), (3, 1))),
                                     (text("wt"), tensor("0", 6, 0, (3, 2), (1, 3))),
                                     (text("b"), tensor("1", 2, 0, (2,), (1,), "LongStorage")))),
        (text("epoch"), integer(4)), (text("lr"), real(0.5)),
        (text("groups"), b"](" + dictionary((text("params"), b"](" + integer(0) + b"e"))
         + b"e"), (text("pair"), tup(text("a"), b"N")))
    return write_archive(path, pickle_of(body), {
        "0": floats(np.arange(6)), "1": np.array([7, 8], "<i8").tobytes()})


def torch_written(path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(5, 3)).sum().backward()
    optimizer.step()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 1,
                "view": torch.arange(12.0).reshape(3, 4)[:, 1::2]}, path)
    return path


BASES = [pytest.param(hand_built, id="hand-built"),
         pytest.param(torch_written, id="torch-written", marks=needs_torch)]


_BASE_BYTES: dict = {}


def base_file(base, path):
    """The base file at ``path``, written once per session (hypothesis calls this per example)."""
    if base not in _BASE_BYTES:
        _BASE_BYTES[base] = base(path).read_bytes()
    path.write_bytes(_BASE_BYTES[base])
    return path


def loads_or_refuses(path):
    """The one invariant: a load, or ModelFileError; anything else propagates and fails."""
    try:
        chainrule.load(path)
    except ModelFileError:
        pass


MUTATION = st.tuples(st.sampled_from(["flip", "truncate", "insert", "delete", "set"]),
                     st.floats(0, 1), st.binary(min_size=1, max_size=8))


def mutate(data: bytes, mutations) -> bytes:
    for kind, where, payload in mutations:
        at = min(int(where * len(data)), max(len(data) - 1, 0))
        if kind == "flip" and data:
            data = data[:at] + bytes([data[at] ^ (1 << (payload[0] % 8))]) + data[at + 1:]
        elif kind == "truncate":
            data = data[:at]
        elif kind == "insert":
            data = data[:at] + payload + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + len(payload):]
        elif kind == "set" and data:
            data = data[:at] + payload[:1] + data[at + 1:]
    return data


@pytest.mark.parametrize("base", BASES)
def test_the_unmutated_bases_load(tmp_path, base):
    loaded = chainrule.load(base(tmp_path / "base.pt"))
    assert isinstance(loaded, dict) and "model" in loaded


@pytest.mark.parametrize("base", BASES)
@FUZZ
@given(mutations=st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_pickles_load_or_raise_model_file_error(tmp_path, base, mutations):
    source = base_file(base, tmp_path / "base.pt")
    pickled = entry(source, "/data.pkl")
    target = rewrite_entry(source, tmp_path / "mutated.pt", "/data.pkl", mutate(pickled, mutations))
    loads_or_refuses(target)


@pytest.mark.parametrize("base", BASES)
@FUZZ
@given(mutations=st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_archives_load_or_raise_model_file_error(tmp_path, base, mutations):
    source = base_file(base, tmp_path / "base.pt")
    target = tmp_path / "mutated.pt"
    target.write_bytes(mutate(source.read_bytes(), mutations))
    loads_or_refuses(target)


@pytest.mark.parametrize("base", BASES)
@FUZZ
@given(mutations=st.lists(MUTATION, min_size=1, max_size=3),
       record=st.sampled_from(["/data/0", "/byteorder", "/version"]))
def test_mutated_records_load_or_raise_model_file_error(tmp_path, base, mutations, record):
    source = base_file(base, tmp_path / "base.pt")
    with zipfile.ZipFile(source) as archive:
        if not any(n.endswith(record) for n in archive.namelist()):
            return
    target = rewrite_entry(source, tmp_path / "mutated.pt", record,
                           mutate(entry(source, record), mutations))
    loads_or_refuses(target)


# Snippets that torch.save's pickles are made of, with arguments, to reach deep into the
# interpreter more often than random bytes do.
SNIPPETS = st.one_of(
    st.sampled_from([b"}", b"]", b")", b"(", b"t", b"\x85", b"\x86", b"\x87", b"s", b"u", b"a",
                     b"e", b"N", b"\x88", b"\x89", b"R", b"b", b"Q", b"0", b"1", b"l", b"d",
                     b"\x94", b"\x93", b"h\x00", b"h\x01", b"q\x00", b"q\x01", b"j\x00\x00\x00\x00",
                     glob("collections", "OrderedDict"), glob("torch._utils",
                                                              "_rebuild_tensor_v2"),
                     glob("torch._utils", "_rebuild_parameter"), glob("torch", "FloatStorage"),
                     glob("torch", "device"), glob("torch", "Size"), glob("torch", "float32"),
                     glob("torch._utils", "_rebuild_tensor_v3"), glob("os", "system"),
                     text("storage"), text("0"), text("cpu"), storage("0", 6),
                     tensor("0", 6, 0, (2, 3), (3, 1))]),
    st.integers(-2**70, 2**70).map(integer),
    st.floats(allow_nan=True).map(real),
    st.text(max_size=5).map(text),
)


@FUZZ
@given(st.lists(SNIPPETS, max_size=30))
def test_random_opcode_sequences_load_or_raise_model_file_error(tmp_path, snippets):
    path = write_archive(tmp_path / "soup.pt", pickle_of(b"".join(snippets)),
                         {"0": floats(np.arange(6))})
    loads_or_refuses(path)


@FUZZ
@given(st.binary(max_size=200))
def test_random_pickle_bytes_load_or_raise_model_file_error(tmp_path, raw):
    loads_or_refuses(write_archive(tmp_path / "random.pt", b"\x80\x02" + raw))


def test_the_invariant_can_fail():
    """loads_or_refuses lets any other exception through."""
    with pytest.raises(FileNotFoundError):
        loads_or_refuses("/nonexistent/file.pt")

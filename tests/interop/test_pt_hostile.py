"""Hostile .pt files are refused with ModelFileError, without running anything the file names
and without allocating what the file claims (docs/reliability.md R-SEC-9)."""

from __future__ import annotations

import os
import pickle
import tracemalloc

import numpy as np
import pytest

import chainrule
from chainrule.interop.torch import load_pt
from chainrule.io import ModelFileError

from .ptfiles import (
    dictionary,
    floats,
    glob,
    integer,
    ordered_dict,
    pickle_of,
    storage,
    tensor,
    text,
    tup,
    write_archive,
)


class Payload:
    """Unpickling this runs a shell command (as any pickle loader that trusts globals would)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [2, 4])
def test_a_reduce_payload_calling_os_system_is_refused_and_never_executed(tmp_path, protocol):
    marker = tmp_path / "pwned"
    raw = pickle.dumps({"weight": [1.0, 2.0], "x": Payload(marker)}, protocol=protocol)
    path = write_archive(tmp_path / "evil.pt", raw)
    with pytest.raises(ModelFileError, match=r"evil.pt: archive/data.pkl: byte \d+ "
                       r"\((STACK_)?GLOBAL\): global posix.system is not allowed"):
        chainrule.load(path)
    assert not marker.exists()
    # the same bytes really do run the command when the standard library unpickles them
    pickle.loads(raw)
    assert marker.exists()


@pytest.mark.parametrize(("module", "name"), [
    ("builtins", "eval"), ("__builtin__", "getattr"), ("os", "system"),
    ("torch.storage", "_load_from_bytes"), ("torch", "load"), ("torch._utils", "_rebuild_qtensor"),
    ("collections", "defaultdict"), ("numpy.core.multiarray", "_reconstruct"),
])
def test_every_global_outside_the_table_is_refused_by_name(tmp_path, module, name):
    path = write_archive(tmp_path / "g.pt", pickle_of(glob(module, name) + b")R"))
    with pytest.raises(ModelFileError, match=f"global {module}.{name} is not allowed"):
        load_pt(path)


@pytest.mark.parametrize(("body", "message"), [
    # REDUCE may call only the table's functions: not a storage type, a string, a tuple
    (glob("torch", "FloatStorage") + b")R", "REDUCE may call only the rebuild functions"),
    (text("os.system") + tup(text("ls")) + b"R", "REDUCE may call only"),
    # SETITEM(S) on what is not a dict (the shape of CVE-2026-24747), APPEND(S) on a non-list
    (b"]" + text("k") + text("v") + b"s", r"\(SETITEM\): expected a dict to add to, found list"),
    (tup(integer(1)) + b"(" + text("k") + text("v") + b"u",
     "expected a dict to add to, found tuple"),
    (b"}" + integer(1) + b"a", r"\(APPEND\): expected a list to add to, found dict"),
    (tensor("0", 2, 0, (2,), (1,)) + b"(" + integer(1) + b"e",
     "expected a list to add to, found Tensor"),
    # BUILD applies state only to an OrderedDict's attributes
    (tensor("0", 2, 0, (2,), (1,)) + dictionary((text("data"), integer(0))) + b"b",
     "BUILD of a Tensor with a dict is not allowed"),
    (b"}" + b"]" + b"b", "BUILD of a dict with a list is not allowed"),
    # opcodes that build arbitrary objects, or that torch never writes
    (b"i" + b"os\nsystem\n", r"unknown or unsupported opcode b'i'"),
    (glob("os", "system") + b")\x81", None),
    (b"(" + b"o", r"unknown or unsupported opcode b'o'"),
    (b"\x82\x01", r"unknown or unsupported opcode b'\\x82'"),
    (b"P0\n", r"unknown or unsupported opcode b'P'"),
    (b"S'x'\n", r"unknown or unsupported opcode b'S'"),
    # persistent ids other than torch's storages
    (text("file:/etc/passwd") + b"Q", "a persistent id must be"),
    (tup(text("storage"), text("FloatStorage"), text("0"), text("cpu"), integer(2)) + b"Q",
     "is not a storage type"),
    # values the file chooses are type-checked before they are compared (a Tensor's == is
    # elementwise): found by tests/test_pt_fuzz.py's kind of mutation
    (tup(tensor("0", 2, 0, (2,), (1,)), integer(1), integer(2), integer(3), integer(4)) + b"Q",
     "a persistent id must be"),
    (glob("_codecs", "encode") + tup(text("x"), tensor("0", 2, 0, (2,), (1,))) + b"R",
     r"_codecs.encode is allowed only as encode\(text, 'latin1'\)"),
    # malformed stacks and memos
    (b"s", "the stack is empty"), (b"t", "no MARK"), (b"h\x05", "memo index 5 was never stored"),
    (b"}(" + b"]" + text("v") + b"u", "a dict key must be a string"),
    (b"}" + b"]" + integer(1) + b"s", "a dict key must be a string, a number"),
    (b"N" * 2, "2 values on the stack"),
])
def test_refused_pickles_are_named_by_opcode(tmp_path, body, message):
    path = write_archive(tmp_path / "bad.pt", pickle_of(body), {"0": floats([1, 2])})
    with pytest.raises(ModelFileError, match=message or "global os.system is not allowed"):
        load_pt(path)


@pytest.mark.parametrize(("view", "message"), [
    ((10, (2,), (1,)), r"offset 10, size \(2,\) and stride \(1,\) read element 11 of a storage "
                       "of 4"),
    ((0, (3,), (2,)), r"read element 4 of a storage of 4"),
    ((3, (2, 2), (0, 1)), r"read element 4 of a storage of 4"),
    ((0, (2,), (1, 1)), r"do not describe a tensor"),
    ((-1, (2,), (1,)), "storage offset -1 is not a non-negative integer"),
    ((0, (-2,), (1,)), r"size \(-2,\) is not a tuple of non-negative integers"),
    ((0, (2**62, 2**62), (0, 0)), "larger than any array can be"),
    ((0, (2**20, 2**20), (0, 0)), "more than this file's tensors may expand to"),
    ((0, (1,) * 65, (0,) * 65), "at most 64 dimensions"),
])
def test_views_outside_their_storage_or_too_large_are_refused_without_allocating(tmp_path, view,
                                                                                 message):
    body = dictionary((text("w"), tensor("0", 4, *view)))
    path = write_archive(tmp_path / "v.pt", pickle_of(body), {"0": floats([1, 2, 3, 4])})
    with pytest.raises(ModelFileError, match=f"tensor on storage 0: .*{message}"):
        load_pt(path)
    assert _peak_bytes(_ignore_error(load_pt), path) < 10 * 2**20


def test_a_huge_claimed_storage_size_is_refused_before_anything_is_allocated(tmp_path):
    body = dictionary((text("w"), tensor("0", 2**40, 0, (2**40,), (1,))))
    path = write_archive(tmp_path / "huge.pt", pickle_of(body), {"0": floats([1, 2, 3, 4])})
    with pytest.raises(ModelFileError, match=r"storage 0 claims 1099511627776 elements of "
                       r"float32, more than the file's \d+ bytes can hold"):
        load_pt(path)
    assert _peak_bytes(_ignore_error(load_pt), path) < 10 * 2**20


def test_huge_lengths_in_the_pickle_are_truncation_not_allocation(tmp_path):
    for body in (b"X\xff\xff\xff\x7f", b"\x8d" + (2**62).to_bytes(8, "little"),
                 b"\x8b\xff\xff\xff\x7f", b"\x95" + (2**62).to_bytes(8, "little")):
        path = write_archive(tmp_path / "len.pt", pickle_of(body))
        with pytest.raises(ModelFileError, match="truncated|longer than the rest"):
            load_pt(path)
        assert _peak_bytes(_ignore_error(load_pt), path) < 10 * 2**20


def test_a_storage_claimed_twice_with_different_types_is_refused(tmp_path):
    body = b"(" + tensor("0", 4, 0, (4,), (1,)) + tensor("0", 2, 0, (2,), (1,), "DoubleStorage") \
        + b"l"
    path = write_archive(tmp_path / "twice.pt", pickle_of(body), {"0": floats([1, 2, 3, 4])})
    with pytest.raises(ModelFileError, match="storage 0 is claimed as 16 bytes of float32 and "
                       "as 16 bytes of float64"):
        load_pt(path)


def test_a_missing_storage_entry_and_a_truncated_pickle_are_named(tmp_path):
    body = dictionary((text("w"), tensor("7", 2, 0, (2,), (1,))))
    path = write_archive(tmp_path / "m.pt", pickle_of(body), {"0": floats([1, 2])})
    with pytest.raises(ModelFileError, match="no entry 'archive/data/7'"):
        load_pt(path)
    path = write_archive(tmp_path / "t.pt", pickle_of(body)[:-9], {"7": floats([1, 2])})
    with pytest.raises(ModelFileError, match="truncated|stack|MARK"):
        load_pt(path)


def test_backward_hooks_and_tensor_metadata_are_refused(tmp_path):
    hooks = dictionary((integer(0), text("hook")))
    body = glob("torch._utils", "_rebuild_tensor_v2") + b"(" + storage("0", 2) + integer(0) + \
        tup(integer(2)) + tup(integer(1)) + b"\x89" + hooks + b"tR"
    path = write_archive(tmp_path / "h.pt", pickle_of(body), {"0": floats([1, 2])})
    with pytest.raises(ModelFileError, match="backward hooks are not data"):
        load_pt(path)


def test_tuples_nested_too_deep_are_refused_and_deep_lists_do_not_crash(tmp_path):
    deep_tuple = b")" + b"\x85" * 5000
    path = write_archive(tmp_path / "d.pt", pickle_of(deep_tuple))
    with pytest.raises(ModelFileError, match="tuples nest more than 1000 deep"):
        load_pt(path)
    deep_list = b"]" * 100_000 + b"a" * 99_999
    loaded = load_pt(write_archive(tmp_path / "l.pt", pickle_of(deep_list)))
    depth = 0
    while loaded:
        loaded, depth = loaded[0], depth + 1
    assert depth == 99_999


def test_complex_tensors_are_refused_by_dtype(tmp_path):
    body = dictionary((text("z"), tensor("0", 1, 0, (1,), (1,), "ComplexFloatStorage")))
    path = write_archive(tmp_path / "z.pt", pickle_of(body), {"0": floats([1, 2])})
    with pytest.raises(ModelFileError, match="complex64 tensors are not supported"):
        load_pt(path)


def _peak_bytes(fn, *args):
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _ignore_error(fn):
    def call(*args):
        try:
            fn(*args)
        except ModelFileError:
            pass
    return call


def test_peak_measure_sees_an_allocation():
    """The memory checks above can fail: a real 40 MB allocation is seen."""
    assert _peak_bytes(lambda: np.ones(5 * 2**20)) > 40 * 10**6


@pytest.mark.parametrize("wrap", [
    lambda value: ordered_dict((text("fc.bias"), tensor("0", 4, 0, (4,), (1,))),
                               (text("fc.weight"), value)),
    lambda value: b"}" + text("fc.weight") + value + b"s",
    lambda value: dictionary((text("model"), dictionary((text("fc.weight"), value)))),
    lambda value: dictionary((text("fc.weight"), glob("torch._utils", "_rebuild_parameter")
                              + b"(" + value + b"\x88" + b"}" + b"tR")),
])
def test_a_bad_tensor_is_named_by_its_key(tmp_path, wrap):
    body = wrap(tensor("0", 4, 3, (2,), (1,)))
    path = write_archive(tmp_path / "k.pt", pickle_of(body), {"0": floats([1, 2, 3, 4])})
    with pytest.raises(ModelFileError, match=r"\(the value of key 'fc.weight'\): tensor on "
                       "storage 0: offset 3"):
        load_pt(path)


def test_error_messages_about_deeply_nested_values_stay_short(tmp_path):
    deep = b"]" * 50_000 + b"a" * 49_999
    body = tup(deep, integer(1), integer(2), integer(3), integer(4)) + b"Q"
    path = write_archive(tmp_path / "deep.pt", pickle_of(body))
    with pytest.raises(ModelFileError, match="a persistent id must be") as error:
        load_pt(path)
    assert len(str(error.value)) < 400


def test_a_claimed_size_that_the_file_could_hold_must_match_its_entry(tmp_path):
    body = dictionary((text("w"), tensor("0", 8, 0, (8,), (1,))))
    path = write_archive(tmp_path / "m.pt", pickle_of(body), {"0": floats([1, 2, 3, 4])})
    with pytest.raises(ModelFileError, match="entry 'archive/data/0' has 16 bytes but the "
                       "pickle says 32"):
        load_pt(path)


@pytest.mark.parametrize("body", [
    tensor("0", 4, 10**5000, (2,), (1,)),
    tensor("0", 10**5000, 0, (2,), (1,)),
    tensor("0", 4, 0, (10**5000,), (1,)),
    tensor("0", 4, 0, (2,), (10**5000,)),
    tup(integer(10**5000), integer(1), integer(2), integer(3), integer(4)) + b"Q",
    b"}" + integer(10**5000) + tensor("0", 4, 9, (2,), (1,)) + b"s",
])
def test_integers_of_thousands_of_digits_are_named_without_converting_them(tmp_path, body):
    path = write_archive(tmp_path / "i.pt", pickle_of(body), {"0": floats([1, 2, 3, 4])})
    with pytest.raises(ModelFileError):
        load_pt(path)

"""PyTorch ``.pt`` / ``.pth`` files read without PyTorch, and safely (layer L3).

``load_pt(path)`` reads the ZIP format that ``torch.save`` has written since PyTorch 1.6
(``pt_archive``): the pickle ``<folder>/data.pkl`` describes the saved object, and each tensor's
storage is the raw bytes of an entry ``<folder>/data/<key>``. State dicts and checkpoint dicts
come back with chainrule Tensors in place of torch tensors: dicts (an ``OrderedDict`` becomes a
dict, and its ``_metadata`` attribute is dropped), lists, tuples, strings, bytes, ints, floats,
bools, None, ``torch.device`` (a chainrule ``device``) and ``torch.Size`` (a tuple).

**What makes this safe.** The pickle is run by an interpreter written here (``unpickler``), not
by Python's ``pickle`` module, which the package never imports:

1. A GLOBAL is resolved only through ``REBUILDS``, a fixed table of functions written in this
   module (``torch._utils._rebuild_tensor_v2`` ...), the storage types by name
   (``torch.FloatStorage`` ... : markers that carry a dtype, not classes) and the dtypes of
   ``_rebuild_tensor_v3`` (``torch.uint16`` ...). Every other name is refused: no module is ever
   imported or looked up, whatever the file says, so there is no object from outside the table
   for a file to reach through attributes, ``__reduce__`` or ``__setstate__``.
2. REDUCE calls only those table functions; each checks its arguments (types, counts, sizes)
   and builds plain data. BUILD applies state only to a dict made by ``OrderedDict``, and only
   attributes (which are dropped). Every other opcode is refused.
3. Each opcode checks its operands' types: SETITEM(S) only on dicts made here, APPEND(S) only
   on lists made here. The objects are ordinary Python and NumPy objects, so even a mistake ends
   in an exception, never in memory corruption.
4. Storages: the element count a pickle claims for a storage, times its item size, must equal
   the size of the entry in the archive, which must be stored uncompressed and lie within the
   file, before the entry is read; the same key must always be claimed with the same dtype and
   count. Every tensor's size and stride are checked to stay inside its storage before a view
   is taken, and the bytes all tensors expand to are capped (``MAX_EXPANSION``) before anything
   is copied: nothing is allocated because a file claims a size.
5. There is one load path. A legacy (pre-1.6, non-ZIP) torch file or any other format is
   refused, never handed to another loader.

Every refusal and every malformed record raises ``ModelFileError`` naming the file and the
offending entry (the pickle's byte and opcode, or the storage's entry).

**PyTorch's ``weights_only`` loader** is also an opcode interpreter with an allow-list of
globals, but what it builds are torch's native objects: it passes storages, sizes and
SETITEM calls on to C++ code. It has been bypassed twice. CVE-2025-32434 (PyTorch 2.5.1 and
earlier, fixed in 2.6.0): a crafted file ran code under ``torch.load(..., weights_only=True)``.
CVE-2026-24747 (before 2.10.0): the restricted unpickler applied SETITEM/SETITEMS to objects
that are not dicts, and accepted storages whose declared element count did not match the bytes
in the archive, which corrupted memory and could lead to code execution. This design has
neither: SETITEM(S) refuse anything but a dict made here (point 3); a declared storage size must
equal its entry's size, and every view is bounds-checked in Python integers before NumPy sees
it (point 4); no native code is handed a size or an object the file chose unchecked, nothing
outside the table can be reached, and there is no other loading path to steer a file to
(points 1, 2, 5).

**Dtypes.** float16/32/64, int8/16/32/64, uint8 and bool load as themselves. chainrule has no
bfloat16: **bfloat16 loads as float32** (exactly: every bfloat16 is a float32), and float8
(``e4m3fn``, ``e5m2``) loads as float32 too. uint16 and uint32 load as int32 and int64
(exactly); uint64 as int64 when every value fits, else refused. Complex and quantized tensors
are refused with a ModelFileError naming the dtype.

**Parameters.** A saved ``nn.Parameter`` comes back as a Tensor whose ``requires_grad`` is as
saved (chainrule's ``nn.Parameter`` lives in a higher layer; ``load_state_dict`` copies the
values into the model's own parameters, which is what a state dict is for).

**Shared storages and views.** Each tensor is a copy of what its view selects, so two tensors
that shared a storage in PyTorch come back with the right values but no longer share memory,
and a non-contiguous tensor comes back with its values in C order.
"""

from __future__ import annotations

import os
import reprlib
from typing import Any

import numpy as np

from ..device import device as _device
from ..io import ModelFileError
from ..tensor import Tensor
from . import unpickler
from .pt_archive import Archive
from .unpickler import PickleError, Rebuild

MAX_DIMS = 64
MAX_EXPANSION = 16  # tensors may expand to at most this many times the file's bytes ...
EXPANSION_SLACK = 64 * 1024 * 1024  # ... plus this much (for small files of expanded views)
_MAX_ARRAY_BYTES = np.iinfo(np.intp).max

# torch's name for a dtype -> (NumPy dtype of the stored bytes, how to make it chainrule's)
_CONVERT = {"float16": "f2", "float32": "f4", "float64": "f8", "int8": "i1", "int16": "i2",
            "int32": "i4", "int64": "i8", "uint8": "u1", "bool": "?", "bfloat16": "u2",
            "uint16": "u2", "uint32": "u4", "uint64": "u8", "float8_e4m3fn": "u1",
            "float8_e5m2": "u1", "complex64": "c8", "complex128": "c16"}
_STORAGE_TYPES = {"DoubleStorage": "float64", "FloatStorage": "float32",
                  "HalfStorage": "float16", "BFloat16Storage": "bfloat16",
                  "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16",
                  "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
                  "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128"}


class _StorageType:
    """What ``torch.FloatStorage`` (or ``UntypedStorage``: dtype None) resolves to."""

    __slots__ = ("dtype",)

    def __init__(self, dtype: str | None) -> None:
        self.dtype = dtype


class _DType:
    """What ``torch.float32`` ... resolves to (an argument of ``_rebuild_tensor_v3``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Storage:
    """One storage of the archive: its entry key, dtype (None: raw bytes) and byte size."""

    __slots__ = ("key", "dtype", "nbytes")

    def __init__(self, key: str, dtype: str | None, nbytes: int) -> None:
        self.key, self.dtype, self.nbytes = key, dtype, nbytes


# --------------------------------------------------------------------- the reader


class _Reader:
    """The callbacks of one load: storages by key, the allocation budget, the rebuilds."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.storages: dict[str, _Storage] = {}
        self.raw: dict[str, bytes] = {}
        self.budget = MAX_EXPANSION * archive.size + EXPANSION_SLACK
        self.globals = self._table()

    def _table(self) -> dict[tuple[str, str], Any]:
        table: dict[tuple[str, str], Any] = {
            ("torch._utils", "_rebuild_tensor_v2"): Rebuild("_rebuild_tensor_v2",
                                                            self.rebuild_tensor_v2),
            ("torch._utils", "_rebuild_tensor_v3"): Rebuild("_rebuild_tensor_v3",
                                                            self.rebuild_tensor_v3),
            ("torch._utils", "_rebuild_parameter"): Rebuild("_rebuild_parameter",
                                                            _rebuild_parameter),
            ("torch._utils", "_rebuild_parameter_with_state"): Rebuild(
                "_rebuild_parameter_with_state", _rebuild_parameter_with_state),
            ("collections", "OrderedDict"): Rebuild("OrderedDict", _ordered_dict),
            ("torch", "device"): Rebuild("device", _make_device),
            ("torch", "Size"): Rebuild("Size", _size),
            ("_codecs", "encode"): Rebuild("_codecs.encode", _encode),
            ("__builtin__", "bytes"): Rebuild("bytes", _empty_bytes),  # b"" in protocol 2
            ("torch", "UntypedStorage"): _StorageType(None),
            ("torch.storage", "UntypedStorage"): _StorageType(None),
        }
        for name, dtype in _STORAGE_TYPES.items():
            table["torch", name] = _StorageType(dtype)
        for name in _CONVERT:
            table["torch", name] = _DType(name)
        return table

    def find_global(self, module: str, name: str) -> Any:
        try:
            return self.globals[module, name]
        except KeyError:
            raise PickleError(f"global {module}.{name} is not allowed: this reader builds only "
                              "tensors, containers and numbers (nothing is imported or "
                              "called)") from None

    def persistent_load(self, pid: Any) -> _Storage:
        # NOTE: type checks before ==: a Tensor's == is elementwise, and the file chooses pid[0]
        if not (type(pid) is tuple and len(pid) == 5 and type(pid[0]) is str
                and pid[0] == "storage"):
            raise PickleError(f"a persistent id must be ('storage', type, key, location, "
                              f"numel), not {_short(pid)}")
        _, kind, key, location, numel = pid
        if not isinstance(kind, _StorageType):
            raise PickleError(f"storage {_short(key)}: {_short(kind)} is not a storage type")
        if not (isinstance(key, str) and key.isdigit() and len(key) <= 20):
            raise PickleError(f"storage key {_short(key)} is not a decimal number")
        if not isinstance(location, str):
            raise PickleError(f"storage {key}: location {_short(location)} is not a string")
        if not _is_count(numel):
            raise PickleError(f"storage {key}: element count {_short(numel)} is not a "
                              "non-negative integer")
        nbytes = numel * (1 if kind.dtype is None else np.dtype(_CONVERT[kind.dtype]).itemsize)
        if nbytes > self.archive.size:
            raise PickleError(f"storage {key} claims {_short(numel)} elements of "
                              f"{kind.dtype or 'bytes'}, more than the file's "
                              f"{self.archive.size} bytes can hold")
        storage = self.storages.setdefault(key, _Storage(key, kind.dtype, nbytes))
        if (storage.dtype, storage.nbytes) != (kind.dtype, nbytes):
            raise PickleError(f"storage {key} is claimed as {storage.nbytes} bytes of "
                              f"{storage.dtype} and as {nbytes} bytes of {kind.dtype}")
        self.bytes_of(storage)  # check the size against the entry now, not at first use
        return storage

    def bytes_of(self, storage: _Storage) -> bytes:
        if storage.key not in self.raw:
            self.raw[storage.key] = self.archive.read(f"data/{storage.key}",
                                                      expected=storage.nbytes)
        return self.raw[storage.key]

    def build(self, obj: Any, state: Any) -> None:
        if type(obj) is dict and type(state) is dict and all(type(k) is str for k in state):
            return  # OrderedDict's attributes (its _metadata): dropped
        raise PickleError(f"BUILD of a {type(obj).__name__} with a {type(state).__name__} is "
                          "not allowed")

    # ----------------------------------------------------------------- tensors

    def rebuild_tensor_v2(self, storage: Any, offset: Any, size: Any, stride: Any,
                          requires_grad: Any, hooks: Any, metadata: Any = None) -> Tensor:
        if not isinstance(storage, _Storage) or storage.dtype is None:
            raise PickleError(f"expected a typed storage, not {_short(storage)}")
        return self.tensor(storage, storage.dtype, offset, size, stride, requires_grad, hooks,
                           metadata)

    def rebuild_tensor_v3(self, storage: Any, offset: Any, size: Any, stride: Any,
                          requires_grad: Any, hooks: Any, dtype: Any,
                          metadata: Any = None) -> Tensor:
        if not isinstance(storage, _Storage) or not isinstance(dtype, _DType):
            raise PickleError(f"expected a storage and a dtype, not {_short(storage)} and "
                              f"{_short(dtype)}")
        if storage.dtype is not None and storage.dtype != dtype.name:
            raise PickleError(f"storage {storage.key} holds {storage.dtype}, not {dtype.name}")
        return self.tensor(storage, dtype.name, offset, size, stride, requires_grad, hooks,
                           metadata)

    def tensor(self, storage: _Storage, dtype: str, offset: Any, size: Any, stride: Any,
               requires_grad: Any, hooks: Any, metadata: Any) -> Tensor:
        where = f"tensor on storage {storage.key}"
        _check_extras(where, requires_grad, hooks, metadata)
        stored = np.dtype(_CONVERT[dtype]).newbyteorder(
            "<" if self.archive.byteorder == "little" else ">")
        if storage.nbytes % stored.itemsize:
            raise PickleError(f"{where}: {storage.nbytes} bytes are not a whole number of "
                              f"{dtype} elements")
        numel = storage.nbytes // stored.itemsize
        shape, strides = _checked_geometry(where, offset, size, stride, numel, stored.itemsize)
        count = _product(shape)
        if count * stored.itemsize > self.budget:
            raise PickleError(f"{where}: shape {shape} needs {count * stored.itemsize} bytes, "
                              f"more than this file's tensors may expand to "
                              f"({MAX_EXPANSION}x its size + 64 MiB)")
        self.budget -= count * stored.itemsize
        flat = np.frombuffer(self.bytes_of(storage), dtype=stored, count=numel)
        view = np.lib.stride_tricks.as_strided(flat[offset:], shape=shape,
                                               strides=[s * stored.itemsize for s in strides],
                                               writeable=False)
        array = _to_chainrule(where, dtype, np.array(view, dtype=stored.newbyteorder("=")))
        result = Tensor(array, dtype=array.dtype)
        if requires_grad:
            if array.dtype.kind != "f":
                raise PickleError(f"{where}: a {dtype} tensor cannot require gradients")
            result.requires_grad_(True)
        return result


def _check_extras(where: str, requires_grad: Any, hooks: Any, metadata: Any) -> None:
    if type(requires_grad) is not bool:
        raise PickleError(f"{where}: requires_grad is {_short(requires_grad)}, not a bool")
    if not _is_empty(hooks):
        raise PickleError(f"{where}: backward hooks are not data and are not loaded")
    if not _is_empty(metadata):
        raise PickleError(f"{where}: tensor metadata {_short(metadata)} is not supported")


def _checked_geometry(where: str, offset: Any, size: Any, stride: Any, numel: int,
                      itemsize: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Check that the view (offset, size, stride) stays inside ``numel`` elements, in Python
    integers, and that NumPy can make an array of that shape."""
    if not _is_count(offset):
        raise PickleError(f"{where}: storage offset {_short(offset)} is not a non-negative "
                          "integer")
    for name, value in (("size", size), ("stride", stride)):
        if type(value) is not tuple or not all(map(_is_count, value)):
            raise PickleError(f"{where}: {name} {_short(value)} is not a tuple of non-negative "
                              "integers")
    if len(size) != len(stride) or len(size) > MAX_DIMS:
        raise PickleError(f"{where}: size {_short(size)} and stride {_short(stride)} do not "
                          f"describe a tensor of at most {MAX_DIMS} dimensions")
    total = itemsize
    for n in size:
        total *= n or 1
        if total > _MAX_ARRAY_BYTES:
            raise PickleError(f"{where}: size {_short(size)} is larger than any array can be")
    if 0 in size:
        return size, stride
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if offset >= numel or last >= numel:
        raise PickleError(f"{where}: offset {_short(offset)}, size {_short(size)} and stride "
                          f"{_short(stride)} read element {_short(max(offset, last))} of a "
                          f"storage of {numel}")
    return size, stride


def _to_chainrule(where: str, dtype: str, array: np.ndarray) -> np.ndarray:
    if dtype == "bfloat16":
        return (array.astype(np.uint32) << 16).view(np.float32)
    if dtype in _FLOAT8:
        return _FLOAT8[dtype][array]
    if dtype == "uint16":
        return array.astype(np.int32)
    if dtype == "uint32":
        return array.astype(np.int64)
    if dtype == "uint64":
        if array.size and array.max() > np.iinfo(np.int64).max:
            raise PickleError(f"{where}: uint64 values past int64's range (chainrule has no "
                              "uint64)")
        return array.astype(np.int64)
    if dtype == "bool":
        return array.view(np.uint8) != 0  # any nonzero byte is True, as in torch
    if array.dtype.kind == "c":
        raise PickleError(f"{where}: {dtype} tensors are not supported (chainrule has no "
                          "complex dtypes)")
    return array


def _float8_table(exponent_bits: int, mantissa_bits: int, finite_only: bool) -> np.ndarray:
    """float32 value of each of the 256 bit patterns of a float8 format (sign, exponent with
    bias 2^(e-1) - 1, mantissa; subnormals at exponent 0). ``finite_only`` (e4m3fn): no
    infinities, and only all-ones exponent and mantissa is NaN; otherwise (e5m2) IEEE rules."""
    bias = 2 ** (exponent_bits - 1) - 1
    top = 2 ** exponent_bits - 1
    values = np.empty(256, np.float32)
    for bits in range(256):
        sign = -1.0 if bits & 0x80 else 1.0
        exponent = (bits >> mantissa_bits) & top
        mantissa = bits & (2 ** mantissa_bits - 1)
        if finite_only and exponent == top and mantissa == 2 ** mantissa_bits - 1:
            value = float("nan")
        elif not finite_only and exponent == top:
            value = sign * float("inf") if mantissa == 0 else float("nan")
        elif exponent == 0:
            value = sign * mantissa / 2 ** mantissa_bits * 2.0 ** (1 - bias)
        else:
            value = sign * (1 + mantissa / 2 ** mantissa_bits) * 2.0 ** (exponent - bias)
        values[bits] = value
    return values


_FLOAT8 = {"float8_e4m3fn": _float8_table(4, 3, True), "float8_e5m2": _float8_table(5, 2, False)}


# --------------------------------------------------------------------- the other rebuilds


def _rebuild_parameter(data: Any, requires_grad: Any, hooks: Any) -> Tensor:
    if not isinstance(data, Tensor):
        raise PickleError(f"a Parameter of {_short(data)}, not of a tensor")
    _check_extras("Parameter", requires_grad, hooks, None)
    if requires_grad and data.dtype.kind != "f":
        raise PickleError(f"a {data.dtype} Parameter cannot require gradients")
    data.requires_grad = requires_grad
    return data


def _rebuild_parameter_with_state(data: Any, requires_grad: Any, hooks: Any,
                                  state: Any) -> Tensor:
    if not _is_empty(state):
        raise PickleError("a Parameter with Python attributes is not supported")
    return _rebuild_parameter(data, requires_grad, hooks)


def _ordered_dict(*args: Any) -> dict:
    if args:
        raise PickleError("OrderedDict is rebuilt from no arguments and SETITEMS")
    return {}


def _make_device(*args: Any) -> Any:
    if not (1 <= len(args) <= 2 and type(args[0]) is str
            and (len(args) == 1 or args[1] is None or _is_count(args[1]))):
        raise PickleError(f"device{_short(args)} is not a device")
    try:
        return _device(*args)
    except (RuntimeError, TypeError, ValueError) as err:
        raise PickleError(f"device{_short(args)}: {err}") from None


def _size(*args: Any) -> tuple:
    if len(args) != 1 or type(args[0]) is not tuple or not all(map(_is_count, args[0])):
        raise PickleError(f"Size{_short(args)} is not a tuple of sizes")
    return args[0]


def _encode(*args: Any) -> bytes:
    if len(args) != 2 or type(args[0]) is not str or type(args[1]) is not str \
            or args[1] not in ("latin1", "latin-1"):
        raise PickleError("_codecs.encode is allowed only as encode(text, 'latin1'), how "
                          "protocol 2 writes bytes")
    try:
        return args[0].encode("latin-1")
    except UnicodeEncodeError:
        raise PickleError("bytes written as text with characters past U+00FF") from None


def _empty_bytes(*args: Any) -> bytes:
    if args:
        raise PickleError("bytes is allowed only as bytes(), how protocol 2 writes b''")
    return b""


def _is_empty(value: Any) -> bool:
    """None or an empty dict (what torch writes for no hooks, no metadata, no state)."""
    return value is None or (type(value) is dict and not value)


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _product(numbers: tuple[int, ...]) -> int:
    total = 1
    for n in numbers:
        total *= n
    return total


class _ShortRepr(reprlib.Repr):
    """reprlib with bounded depth and length (file values may nest 100,000 deep), and no
    decimal conversion of huge integers (str() refuses past 4,300 digits)."""

    def repr_int(self, x: int, level: int) -> str:
        return super().repr_int(x, level) if x.bit_length() <= 256 else \
            f"<an integer of {x.bit_length()} bits>"


_SHORT = _ShortRepr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxtuple, _SHORT.maxlist = 3, 60, 8, 8
_SHORT.maxdict, _SHORT.maxlong, _SHORT.maxother = 4, 40, 40


def _short(value: Any) -> str:
    """A short repr of a value from the file, for error messages."""
    return _SHORT.repr(value)


# --------------------------------------------------------------------- public


def is_pt_archive(path: str | os.PathLike) -> bool:
    """Whether the file starts like a ZIP archive (``torch.save``'s format since 1.6)."""
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def load_pt(path: str | os.PathLike) -> Any:
    """torch.load(f, weights_only=True) for a file that ``torch.save`` wrote, without PyTorch.

    Reads state dicts and checkpoints (see the module docstring for what comes back, and why it
    is safe to load a file from anywhere).

    Args:
        path: the ``.pt`` / ``.pth`` file (PyTorch's ZIP format, written by PyTorch 1.6 or
            later).

    Raises:
        ModelFileError: a legacy (non-ZIP) torch file, a ZIP archive that is not a torch file,
            a global outside the table, a malformed pickle or storage record, a dtype chainrule
            cannot hold; the message names the file and the entry.
        FileNotFoundError: no file at ``path``.

    """
    name = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no model file at {name!r}")
    if not is_pt_archive(path):
        with open(path, "rb") as handle:
            start = handle.read(2)
        what = ("a legacy PyTorch file (saved before 1.6 or with "
                "_use_new_zipfile_serialization=False) or another pickle; only the ZIP format "
                "is read: re-save it with a current torch.save"
                if start[:1] == b"\x80" else "not a PyTorch ZIP archive")
        raise ModelFileError(f"{name}: {what}")
    with Archive(path) as archive:
        data = archive.pickle()
        reader = _Reader(archive)
        try:
            return unpickler.run(data, reader.find_global, reader.persistent_load,
                                 reader.build)
        except PickleError as err:
            raise ModelFileError(f"{name}: {archive.prefix}data.pkl: {err}") from None

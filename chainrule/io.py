"""Model files in the safetensors layout: safe to load from anywhere (layer L3: it needs only
the Tensor, so `Module.save`/`Module.load` can use it).

A file is an 8-byte little-endian header length n, n bytes of JSON, then the raw
little-endian, C-order bytes of every tensor:

    {"layer.weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}, ...,
     "__metadata__": {"key": "value"}}

Files written here load in the ``safetensors`` library and PyTorch's loaders, and theirs load
here. Loading never unpickles, evaluates or imports anything named by the file, and the whole
header is validated before the body is read: header size, JSON shape, no duplicate keys,
dtypes from an allow-list, non-negative integer shapes that NumPy can make (at most 64
dimensions, Π of the nonzero ones · itemsize within an intp, even when another one is 0),
``end − begin = Π shape · itemsize`` (Python integers, so no overflow), offsets contiguous and
covering the body exactly. Every problem raises ``ModelFileError`` (a ``ValueError``) naming
the file and what is wrong (and what the file looks like, if it is a ZIP archive, a pickle
...), in time linear in the header's length.

``save``/``load`` also keep whole checkpoints (nested dicts, lists and tuples of tensors,
numbers, strings, None): each tensor is an entry, and the structure is one JSON string in
``__metadata__["chainrule.structure"]``, checked on load as strictly as the header
(``io_structure``). A flat dict of tensors is written as a plain safetensors file.

Writes are atomic (see ``atomic_file.atomic_write``): a temporary file in the same directory,
flushed and fsynced, then renamed over the target, so a crash mid-write leaves the previous
file intact.
"""

from __future__ import annotations

import json
import os
import reprlib
from typing import Any, Mapping

import numpy as np

from .atomic_file import atomic_write
from .io_structure import (
    STRUCTURE_KEY,
    StructureError,
    check_load_options,
    check_path,
    decode,
    encode,
    is_flat_state,
)
from .tensor import Tensor

MAX_HEADER_BYTES = 100 * 1024 * 1024
MAX_DIMS = 64  # NumPy's limit on the number of dimensions
_MAX_ARRAY_BYTES = np.iinfo(np.intp).max  # NumPy's limit on Π(nonzero dims) · itemsize
_TO_CODE = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32",
            np.dtype(np.float64): "F64", np.dtype(np.int8): "I8", np.dtype(np.int16): "I16",
            np.dtype(np.int32): "I32", np.dtype(np.int64): "I64", np.dtype(np.uint8): "U8",
            np.dtype(np.bool_): "BOOL"}
_FROM_CODE = {code: dtype.newbyteorder("<") for dtype, code in _TO_CODE.items()}


class ModelFileError(ValueError):
    """A model file is malformed, truncated, too large or not a safetensors file."""


# ------------------------------------------------------------------ writing


def save_file(tensors: Mapping[str, Any], path: str | os.PathLike,
              metadata: Mapping[str, str] | None = None) -> None:
    """Write named arrays or tensors to ``path`` atomically (safetensors layout)."""
    arrays = {name: np.asarray(_array(value), order="C") for name, value in tensors.items()}
    header, offset = {}, 0
    for name, array in arrays.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"tensor names must be strings other than '__metadata__': {name!r}")
        if array.dtype not in _TO_CODE:
            raise TypeError(f"cannot save {name!r}: dtype {array.dtype} is not supported")
        header[name] = {"dtype": _TO_CODE[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    if metadata:
        header["__metadata__"] = _checked_metadata(metadata)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)  # align the body to 8 bytes, as safetensors does
    with atomic_write(path) as handle:
        handle.write(len(text).to_bytes(8, "little"))
        handle.write(text)
        for array in arrays.values():
            handle.write(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())


def save(obj: Any, f: str | os.PathLike, pickle_module: Any = None, pickle_protocol: Any = None,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False,
         *, metadata: Mapping[str, str] | None = None) -> None:
    """torch.save(obj, f): save a state_dict, a tensor or a whole checkpoint to ``path``.

    A dict of str → array or tensor that requires no grad (a ``state_dict()``) is written as
    a plain safetensors file.
    Anything else built of tensors, NumPy arrays and scalars, numbers (int, float incl. inf
    and nan, bool), strings, None, and dicts (str or int keys), lists and tuples of them (an
    optimizer's or a scheduler's ``state_dict()``, a checkpoint dict) is written in the same
    layout, every tensor an entry and the structure as JSON in the metadata (see
    ``io_structure``). Differs from PyTorch: nothing is pickled, so a Module, an optimizer or a
    function inside ``obj`` raises a TypeError naming where it sits (save its ``state_dict()``
    instead); a Module (or anything with ``state_dict()``) passed as ``obj`` itself has its
    ``state_dict()`` saved; shared tensors are written once per place they appear; a dict
    subclass (OrderedDict, Counter) or a namedtuple loads as a dict or a tuple; ``f`` is a
    path, not an open file.

    Args:
        obj: what to save.
        f: the path of the file to write (atomically).
        pickle_module, pickle_protocol, _use_new_zipfile_serialization,
        _disable_byteorder_record: accepted for PyTorch scripts and ignored: nothing is
            pickled, and the file is always chainrule's safetensors layout.
        metadata: (keyword) extra str → str entries for ``__metadata__``.

    Example:
        >>> import chainrule, tempfile, os
        >>> model = chainrule.nn.Linear(3, 2)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
        >>> chainrule.save(model, path, metadata={"note": "demo"})
        >>> sorted(chainrule.load(path))
        ['bias', 'weight']
    """
    check_path("save", f)
    _check_pickle_module("save", pickle_module, "dump")
    state = obj.state_dict() if callable(getattr(obj, "state_dict", None)) else obj
    if metadata and STRUCTURE_KEY in metadata:
        raise ValueError(f"save: the metadata key {STRUCTURE_KEY!r} is reserved for the "
                         "structure of the saved object")
    if is_flat_state(state, _TO_CODE):
        save_file(state, f, metadata)
        return
    arrays, structure = encode(state, _TO_CODE)
    save_file(arrays, f, {**(metadata or {}), STRUCTURE_KEY: structure})


def _check_pickle_module(caller: str, pickle_module: Any, needs: str) -> None:
    """``pickle_module`` is ignored (nothing is pickled), but it must still look like one: a
    dict or a string in its place is a misplaced argument (such as metadata given by
    position), which would otherwise vanish without a word."""
    if pickle_module is not None and not callable(getattr(pickle_module, needs, None)):
        raise TypeError(f"{caller}: pickle_module must be a module like pickle (it is ignored: "
                        f"nothing is pickled), got a {type(pickle_module).__name__}"
                        + ("; pass metadata= by keyword" if caller == "save" else ""))


# ------------------------------------------------------------------ reading


def load(f: str | os.PathLike, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args: Any) -> Any:
    """torch.load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
    **pickle_load_args): read what ``save`` wrote.

    A plain safetensors file gives a dict of name → Tensor (for ``load_state_dict``); a file
    with a saved structure gives that object back, with chainrule Tensors, NumPy arrays and
    scalars where they were. The structure is checked as strictly as the header; every
    problem is a ``ModelFileError`` naming the file.

    A file that ``torch.save`` wrote (a ZIP archive, whatever its name ends with) is read by
    ``chainrule.interop.torch.load_pt``, which builds only tensors and plain data and never
    runs code named by the file (see there).

    Args:
        f: the path of the file to read.
        map_location: accepted for PyTorch scripts (``'cpu'``, a device, a dict or a
            callable, as torch takes); chainrule computes on the CPU, so every tensor is
            loaded there whatever it says.
        weights_only: accepted for PyTorch scripts; loading never runs anything a file names
            (a ``.pt`` file's pickle is read by an interpreter for data only), so True, False
            and None all load the same data in the same safe way.
        mmap: accepted for PyTorch scripts; the file is always read into memory.
        pickle_module, pickle_load_args (such as ``encoding='latin1'``): accepted for PyTorch
            scripts and ignored: no file is unpickled by Python's pickle.
    """
    path = f
    check_path("load", path)
    _check_pickle_module("load", pickle_module, "load")
    check_load_options(map_location, weights_only, mmap)
    _require_file(path)
    with open(path, "rb") as handle:
        is_zip = handle.read(4) == b"PK\x03\x04"
    if is_zip:
        from .interop.torch import load_pt  # same layer; imported here to avoid a cycle

        return load_pt(path)
    arrays, metadata = load_file(path)
    structure = metadata.get(STRUCTURE_KEY)
    if structure is None:
        return {name: Tensor(array, dtype=array.dtype) for name, array in arrays.items()}
    try:
        return decode(structure, arrays)
    except StructureError as err:
        raise ModelFileError(f"{path}: {err}") from None


def load_metadata(path: str | os.PathLike) -> dict[str, str]:
    """Only the ``__metadata__`` of a model file (the body is not read)."""
    _require_file(path)
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        return read_header(handle, size, str(path))[1]


def load_file(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read and validate a model file: (name → array, metadata)."""
    _require_file(path)
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        entries, metadata, body_start = read_header(handle, size, str(path))
        body = handle.read(size - body_start)
    if len(body) != size - body_start:
        raise ModelFileError(f"{path}: the file changed while it was being read")
    arrays = {}
    for name, (dtype, shape, begin, _) in entries.items():
        flat = np.frombuffer(body, dtype=dtype, count=_count(shape), offset=begin)
        arrays[name] = flat.reshape(shape).astype(dtype.newbyteorder("="))  # a writable copy
    return arrays, metadata


def _require_file(path: str | os.PathLike) -> None:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no model file at {os.fspath(path)!r}")


def read_header(handle: Any, size: int, name: str) -> tuple[dict, dict[str, str], int]:
    """Validate the header of an open file of ``size`` bytes, in time linear in its length.

    Returns:
        (name → (dtype, shape, begin, end), metadata, offset where the body starts).
    """
    if size < 8:
        raise ModelFileError(f"{name}: {size} bytes is too short for a safetensors file")
    prefix = handle.read(8)
    length = int.from_bytes(prefix, "little")
    if length > MAX_HEADER_BYTES or length > size - 8:
        _reject_foreign(prefix, name)
        raise ModelFileError(f"{name}: header length {length} exceeds "
                             f"{'the file size' if length <= MAX_HEADER_BYTES else '100 MB'}")
    raw = handle.read(length)
    if not raw.lstrip(b" ").startswith(b"{"):
        _reject_foreign(prefix, name)
        raise ModelFileError(f"{name}: the header is not a JSON object (not a safetensors file)")
    header = _parse_json(raw, name)
    metadata = _checked_metadata(header.pop("__metadata__", {}), name)
    entries = {key: _checked_entry(key, value, name) for key, value in header.items()}
    _check_offsets(entries, size - 8 - length, name)
    return entries, metadata, 8 + length


# Signatures of files that people mistake for safetensors files, and what to call them.
_FOREIGN = [
    (b"PK\x03\x04", "a ZIP archive (a PyTorch .pt file, or a NumPy .npz?)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (a Keras .h5 model?)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
] + [(bytes([0x80, protocol]), "a Python pickle (a legacy PyTorch file?); pickles are never "
      "loaded, as loading one can run any code") for protocol in range(2, 6)]


def _reject_foreign(prefix: bytes, name: str) -> None:
    """Raise a ModelFileError saying what the file is if its first bytes say it."""
    for signature, what in _FOREIGN:
        if prefix.startswith(signature):
            raise ModelFileError(f"{name}: this looks like {what}, not a safetensors file")


def _parse_json(raw: bytes, name: str) -> dict:
    def no_duplicates(pairs: list) -> dict:
        header = dict(pairs)
        if len(header) != len(pairs):
            seen: set[str] = set()
            duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
            raise ModelFileError(f"{name}: duplicate key {_short(duplicate)} in the header")
        return header

    def no_constants(token: str) -> Any:
        raise ModelFileError(f"{name}: the header contains {token}, which JSON does not allow")

    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates,
                            parse_constant=no_constants)
    except ModelFileError:
        raise
    # NOTE: ValueError also covers integers of more than 4,300 digits, which int() refuses.
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ModelFileError(f"{name}: the header is not valid JSON ({_short(str(err))})") \
            from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{name}: the header is not a JSON object")
    return header


def _checked_metadata(metadata: Any, name: str = "metadata") -> dict[str, str]:
    if not isinstance(metadata, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ModelFileError(f"{name}: __metadata__ must map strings to strings")
    return dict(metadata)


def _checked_entry(key: str, entry: Any, name: str) -> tuple:
    where = f"{name}: entry {_short(key)}"
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise ModelFileError(f"{where} must have exactly dtype, shape and data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or dtype not in _FROM_CODE:
        raise ModelFileError(f"{where} has unsupported dtype {_short(dtype)}")
    if isinstance(shape, list) and len(shape) > MAX_DIMS:
        raise ModelFileError(f"{where} has {len(shape)} dimensions; NumPy allows {MAX_DIMS}")
    if not isinstance(shape, list) or not all(_is_count(n) for n in shape):
        raise ModelFileError(f"{where} has an invalid shape {_short(shape)}")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_count, offsets)):
        raise ModelFileError(f"{where} has invalid data_offsets {_short(offsets)}")
    itemsize = _FROM_CODE[dtype].itemsize
    if not _fits_in_an_array(shape, itemsize):
        raise ModelFileError(f"{where} has shape {_short(shape)}, larger than any array can be "
                             "(even one with a zero dimension)")
    begin, end = offsets
    expected = _count(shape) * itemsize  # Python ints: cannot overflow
    if begin > end or end - begin != expected:
        raise ModelFileError(f"{where} spans bytes [{_short(begin)}, {_short(end)}) but shape "
                             f"{_short(shape)} of {dtype} needs {expected} bytes")
    return _FROM_CODE[dtype], tuple(shape), begin, end


def _check_offsets(entries: dict, body_size: int, name: str) -> None:
    position = 0
    for key, (_, _, begin, end) in sorted(entries.items(), key=lambda item: item[1][2:]):
        if begin != position:
            problem = "overlaps the previous tensor" if begin < position else "leaves a gap"
            raise ModelFileError(f"{name}: entry {_short(key)} starts at byte {_short(begin)} "
                                 f"and {problem}")
        position = end
    if position != body_size:
        raise ModelFileError(f"{name}: the tensors cover {position} bytes but the body has "
                             f"{body_size} (truncated or padded file)")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _count(shape: Any) -> int:
    total = 1
    for n in shape:
        total *= n
    return total


def _fits_in_an_array(shape: list[int], itemsize: int) -> bool:
    """Whether NumPy can make an array of this shape: Π(nonzero dims) · itemsize must fit in
    an intp, even when another dimension is 0. One dimension at a time, stopping once past
    the limit, so that a shape of huge integers costs no more than reading them."""
    total = itemsize
    for n in shape:
        if n != 0:
            total *= n
            if total > _MAX_ARRAY_BYTES:
                return False
    return True


_SHORT = reprlib.Repr()  # (its keyword arguments are Python 3.12+)
_SHORT.maxstring, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxlong = 60, 8, 4, 40


def _short(value: Any) -> str:
    """``repr(value)`` cut to a readable length, for error messages about hostile files."""
    return _SHORT.repr(value)


def _array(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)

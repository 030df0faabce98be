"""Model files in the safetensors layout: safe to load from anywhere (layer L3: it needs only
the Tensor, so `Module.save`/`Module.load` can use it).

A file is an 8-byte little-endian header length n, n bytes of JSON, then the raw
little-endian, C-order bytes of every tensor:

    {"layer.weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}, ...,
     "__metadata__": {"key": "value"}}

Files written here load in the ``safetensors`` library and PyTorch's loaders, and theirs load
here. Loading never unpickles, evaluates or imports anything named by the file, and the whole
header is validated before the body is read: header size, JSON shape, no duplicate keys,
dtypes from an allow-list, non-negative integer shapes, ``end − begin = Π shape · itemsize``
(Python integers, so no overflow), offsets contiguous and covering the body exactly. Every
problem raises ``ModelFileError`` (a ``ValueError``) naming the file and what is wrong.
Writes are atomic: a temporary file in the same directory, flushed and fsynced, then renamed
over the target, so a crash mid-write leaves the previous file intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .tensor import Tensor

MAX_HEADER_BYTES = 100 * 1024 * 1024
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


class atomic_write:
    """Context manager yielding a binary file that replaces ``path`` only when closed cleanly.

    The data goes to a temporary file in the same directory, which is flushed, fsynced and
    renamed over ``path``; on an exception the temporary file is removed and ``path`` is
    untouched. A writer killed outright cannot clean up: its hidden temporary file
    (``.NAME.*.tmp``) is removed by the next write to the same path.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)  # left by a writer that was killed mid-write
        fd, self.temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                         suffix=".tmp")
        self.handle = os.fdopen(fd, "wb")
        return self.handle

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                self.handle.flush()
                os.fsync(self.handle.fileno())
            self.handle.close()
            if kind is None:
                os.replace(self.temp, self.path)
        finally:
            if os.path.exists(self.temp):
                os.unlink(self.temp)


def save(obj: Any, path: str | os.PathLike, metadata: Mapping[str, str] | None = None) -> None:
    """Save a Module's ``state_dict()`` or a dict of tensors/arrays to ``path``.

    Example:
        >>> import chainrule, tempfile, os
        >>> model = chainrule.nn.Linear(3, 2)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
        >>> chainrule.save(model, path, metadata={"note": "demo"})
        >>> sorted(chainrule.load(path))
        ['bias', 'weight']
    """
    state = obj.state_dict() if hasattr(obj, "state_dict") else obj
    if not isinstance(state, Mapping):
        raise TypeError(f"save expects a Module or a dict of tensors, got {type(obj).__name__}")
    save_file(state, path, metadata)


# ------------------------------------------------------------------ reading


def load(path: str | os.PathLike) -> dict[str, Tensor]:
    """Read a model file into a dict of tensors (for ``Module.load_state_dict``)."""
    arrays, _ = load_file(path)
    return {name: Tensor(array, dtype=array.dtype) for name, array in arrays.items()}


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
    """Validate the header of an open file of ``size`` bytes.

    Returns:
        (name → (dtype, shape, begin, end), metadata, offset where the body starts).
    """
    if size < 8:
        raise ModelFileError(f"{name}: {size} bytes is too short for a safetensors file")
    length = int.from_bytes(handle.read(8), "little")
    if length > MAX_HEADER_BYTES or length > size - 8:
        raise ModelFileError(f"{name}: header length {length} exceeds "
                             f"{'the file size' if length <= MAX_HEADER_BYTES else '100 MB'}")
    raw = handle.read(length)
    header = _parse_json(raw, name)
    metadata = _checked_metadata(header.pop("__metadata__", {}), name)
    entries = {key: _checked_entry(key, value, name) for key, value in header.items()}
    _check_offsets(entries, size - 8 - length, name)
    return entries, metadata, 8 + length


def _parse_json(raw: bytes, name: str) -> dict:
    def no_duplicates(pairs: list) -> dict:
        keys = [key for key, _ in pairs]
        if len(keys) != len(set(keys)):
            duplicate = next(k for k in keys if keys.count(k) > 1)
            raise ModelFileError(f"{name}: duplicate key {duplicate!r} in the header")
        return dict(pairs)

    def no_constants(token: str) -> Any:
        raise ModelFileError(f"{name}: the header contains {token}, which JSON does not allow")

    if not raw.lstrip(b" ").startswith(b"{"):
        raise ModelFileError(f"{name}: the header is not a JSON object (not a safetensors file)")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates,
                            parse_constant=no_constants)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ModelFileError(f"{name}: the header is not valid JSON ({err})") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{name}: the header is not a JSON object")
    return header


def _checked_metadata(metadata: Any, name: str = "metadata") -> dict[str, str]:
    if not isinstance(metadata, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ModelFileError(f"{name}: __metadata__ must map strings to strings")
    return dict(metadata)


def _checked_entry(key: str, entry: Any, name: str) -> tuple:
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise ModelFileError(f"{name}: entry {key!r} must have exactly dtype, shape and "
                             "data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or dtype not in _FROM_CODE:
        raise ModelFileError(f"{name}: entry {key!r} has unsupported dtype {dtype!r}")
    if not isinstance(shape, list) or not all(_is_count(n) for n in shape):
        raise ModelFileError(f"{name}: entry {key!r} has an invalid shape {shape!r}")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_count, offsets)):
        raise ModelFileError(f"{name}: entry {key!r} has invalid data_offsets {offsets!r}")
    begin, end = offsets
    expected = _count(shape) * _FROM_CODE[dtype].itemsize  # Python ints: cannot overflow
    if begin > end or end - begin != expected:
        raise ModelFileError(f"{name}: entry {key!r} spans bytes [{begin}, {end}) but shape "
                             f"{shape} of {dtype} needs {expected} bytes")
    return _FROM_CODE[dtype], tuple(shape), begin, end


def _check_offsets(entries: dict, body_size: int, name: str) -> None:
    position = 0
    for key, (_, _, begin, end) in sorted(entries.items(), key=lambda item: item[1][2:]):
        if begin != position:
            problem = "overlaps the previous tensor" if begin < position else "leaves a gap"
            raise ModelFileError(f"{name}: entry {key!r} starts at byte {begin} and {problem}")
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


def _array(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)

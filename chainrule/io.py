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
Writes are atomic (see ``atomic_write``): a temporary file in the same directory, flushed and
fsynced, then renamed over the target, so a crash mid-write leaves the previous file intact.
"""

from __future__ import annotations

import json
import os
import re
import reprlib
import secrets
import stat
from pathlib import Path
from typing import Any, Mapping

import numpy as np

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

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


class atomic_write:
    """Context manager yielding a binary file that replaces ``path`` only when closed cleanly.

    The data goes to a new hidden file ``.NAME.<16 hex digits>.tmp`` in the same directory,
    which is flushed, fsynced and renamed over ``path``; on an exception that file is removed
    and ``path`` is untouched. Writers to one path never touch each other's files, so
    concurrent saves each succeed and the last rename wins. The file gets the mode of the file
    it replaces, or else the umask's (as ``open`` gives). Through a symlink, the link's target
    is replaced, as NumPy and PyTorch write through links.

    A writer killed outright leaves its file behind. Each writer holds a lock
    (``fcntl.flock``) on its file until the rename; the next write to the same path removes
    the files of that name pattern that nobody holds, and nothing else (where there is no
    ``fcntl``, nothing is removed).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def __enter__(self):
        self.path = Path(os.path.realpath(self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(self.path)
        self.handle, self.temp = _create_temp(self.path)
        return self.handle

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                self._commit()
        finally:
            try:
                self.handle.close()  # can raise too: flushing the buffer onto a full disk
            finally:
                if os.path.exists(self.temp):
                    os.unlink(self.temp)

    def _commit(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        if fcntl is None:
            self.handle.close()  # Windows renames no open file; with fcntl, the file stays
            # open and locked until renamed, or _remove_abandoned could take it for abandoned
        os.replace(self.temp, self.path)


def _temp_pattern(path: Path) -> re.Pattern:
    return re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{16}}\.tmp")


def _create_temp(path: Path) -> tuple[Any, Path]:
    """A new, locked temporary file beside ``path``, with the mode ``path`` should get."""
    mode = stat.S_IMODE(os.stat(path).st_mode) if path.is_file() else None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temp, flags, 0o666)  # 0o666 & ~umask, as open() gives
        try:
            if mode is not None:
                os.chmod(temp, mode)
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            if fcntl is None or _same_file(fd, temp):
                return os.fdopen(fd, "wb"), temp
        except BaseException:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise
        os.close(fd)  # removed as abandoned before the lock was taken: try another name


def _remove_abandoned(path: Path) -> None:
    """Remove the temporary files of ``path`` whose writer is gone (nobody holds its lock)."""
    if fcntl is None:
        return
    pattern = _temp_pattern(path)
    with os.scandir(path.parent) as entries:
        names = [entry.name for entry in entries if pattern.fullmatch(entry.name)]
    for name in names:
        temp = path.with_name(name)
        try:
            fd = os.open(temp, os.O_RDONLY | os.O_NONBLOCK)  # NONBLOCK: a FIFO cannot hang us
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if stat.S_ISREG(os.fstat(fd).st_mode) and _same_file(fd, temp):
                os.unlink(temp)
        except OSError:
            pass  # a live writer holds it, or another writer removed it first
        finally:
            os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


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

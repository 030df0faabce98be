"""Hand-built PyTorch files for the tests: pickle bytes assembled opcode by opcode and ZIP
archives in torch.save's layout, so that the structure and hostile-file tests run without
torch. The opcodes are those ``pickletools`` shows in files that torch.save writes."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np

PROTO2 = b"\x80\x02"
STOP = b"."


def glob(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()


def text(value: str) -> bytes:
    raw = value.encode()
    return b"X" + len(raw).to_bytes(4, "little") + raw


def integer(value: int) -> bytes:
    if -2**31 <= value < 2**31:
        return b"J" + value.to_bytes(4, "little", signed=True)
    raw = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
    if len(raw) < 256:
        return b"\x8a" + bytes([len(raw)]) + raw  # LONG1
    return b"\x8b" + len(raw).to_bytes(4, "little") + raw  # LONG4


def real(value: float) -> bytes:
    return b"G" + struct.pack(">d", value)


def tup(*parts: bytes) -> bytes:
    return b"(" + b"".join(parts) + b"t"


def dictionary(*pairs: tuple[bytes, bytes]) -> bytes:
    return b"}(" + b"".join(k + v for k, v in pairs) + b"u"


def ordered_dict(*pairs: tuple[bytes, bytes]) -> bytes:
    return glob("collections", "OrderedDict") + b")R(" + b"".join(k + v for k, v in pairs) + b"u"


def storage(key: str, numel: int, kind: str = "FloatStorage") -> bytes:
    return tup(text("storage"), glob("torch", kind), text(key), text("cpu"), integer(numel)) + b"Q"


def tensor(key: str, numel: int, offset: int, size: tuple, stride: tuple,
           kind: str = "FloatStorage", requires_grad: bool = False) -> bytes:
    """_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())."""
    return glob("torch._utils", "_rebuild_tensor_v2") + b"(" + storage(key, numel, kind) + \
        integer(offset) + tup(*map(integer, size)) + tup(*map(integer, stride)) + \
        (b"\x88" if requires_grad else b"\x89") + glob("collections", "OrderedDict") + b")R" + \
        b"tR"


def pickle_of(body: bytes) -> bytes:
    return PROTO2 + body + STOP


def write_archive(path: Path, data_pkl: bytes, storages: dict[str, bytes] | None = None,
                  prefix: str = "archive", byteorder: bytes | None = b"little",
                  version: bytes | None = b"3\n",
                  compression: int = zipfile.ZIP_STORED) -> Path:
    """A ZIP archive in torch.save's layout: <prefix>/data.pkl, <prefix>/data/<key>, ..."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr(f"{prefix}/data.pkl", data_pkl)
        if byteorder is not None:
            archive.writestr(f"{prefix}/byteorder", byteorder)
        for key, raw in (storages or {}).items():
            archive.writestr(f"{prefix}/data/{key}", raw)
        if version is not None:
            archive.writestr(f"{prefix}/version", version)
    return path


def floats(values, byteorder: str = "<") -> bytes:
    return np.asarray(values, dtype=np.dtype("f4").newbyteorder(byteorder)).tobytes()


def rewrite_entry(source: Path, target: Path, suffix: str, data: bytes) -> Path:
    """A copy of the archive ``source`` with the entry ending in ``suffix`` replaced (a valid
    ZIP with correct CRCs, so that only the entry's content is wrong)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            content = data if info.filename.endswith(suffix) else old.read(info)
            new.writestr(info.filename, content)
    return target


def entry(source: Path, suffix: str) -> bytes:
    with zipfile.ZipFile(source) as archive:
        name = next(n for n in archive.namelist() if n.endswith(suffix))
        return archive.read(name)

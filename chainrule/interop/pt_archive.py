"""The ZIP container that ``torch.save`` writes (layer L3), read with the standard library's
``zipfile`` and checked before anything is decompressed or allocated.

Layout: every entry sits under one top folder (its name is free, usually the file's stem):

    archive/data.pkl          the pickle of the saved object
    archive/data/<key>        the raw bytes of storage <key>
    archive/byteorder         "little" or "big" (absent in older files: little)
    archive/version           the format version, a decimal integer (also .data/version)
    archive/...               other records (.format_version, .storage_alignment, ...), unread

Every entry read here must be stored uncompressed (``torch.save`` never compresses), so an
entry's size is the number of bytes it occupies in the file, and it is checked against the
file's size and against what the pickle says before it is read. Every problem raises
``ModelFileError`` naming the file and the entry.
"""

from __future__ import annotations

import os
import struct
import zipfile
from typing import Any

from ..io import ModelFileError

MAX_VERSION = 3  # the newest format version this reader knows
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
               struct.error, NotImplementedError, OverflowError, KeyError, IndexError,
               RuntimeError)


class Archive:
    """An open ``torch.save`` archive: ``with Archive(path) as archive: archive.pickle()``."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.name = os.fspath(path)
        self.size = os.path.getsize(path)
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except _ZIP_ERRORS as err:
            raise ModelFileError(f"{self.name}: not a readable ZIP archive ({err})") from None
        self.entries: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.filename in self.entries:
                self.close()
                raise ModelFileError(f"{self.name}: the entry {info.filename!r} appears twice")
            self.entries[info.filename] = info
        try:
            self.prefix = self._find_prefix()
            self.byteorder = self._byteorder()
            self.version = self._version()
        except ModelFileError:
            self.close()
            raise

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.zip.close()

    def _find_prefix(self) -> str:
        pickles = [name for name in self.entries
                   if name.endswith("/data.pkl") and name.count("/") == 1]
        if len(pickles) != 1:
            what = "no" if not pickles else f"{len(pickles)}"
            raise ModelFileError(f"{self.name}: a ZIP archive with {what} <folder>/data.pkl "
                                 "entries, not a PyTorch file written by torch.save (an .npz?)")
        prefix = pickles[0][: -len("data.pkl")]
        stray = next((name for name in self.entries if not name.startswith(prefix)), None)
        if stray is not None:
            raise ModelFileError(f"{self.name}: the entry {stray!r} is outside the archive's "
                                 f"folder {prefix!r}")
        return prefix

    def _byteorder(self) -> str:
        if self.prefix + "byteorder" not in self.entries:
            return "little"
        text = self.read("byteorder", limit=16).decode("ascii", "replace").strip()
        if text not in ("little", "big"):
            raise ModelFileError(f"{self.name}: entry {self.prefix}byteorder says {text!r}, "
                                 "not 'little' or 'big'")
        return text

    def _version(self) -> int:
        name = next((n for n in ("version", ".data/version")
                     if self.prefix + n in self.entries), None)
        if name is None:
            raise ModelFileError(f"{self.name}: no {self.prefix}version entry")
        text = self.read(name, limit=16).decode("ascii", "replace").strip()
        if not text.isdigit() or not 1 <= int(text) <= MAX_VERSION:
            raise ModelFileError(f"{self.name}: entry {self.prefix}{name} says {text!r}; this "
                                 f"reader knows format versions 1 to {MAX_VERSION}")
        return int(text)

    def info(self, record: str) -> zipfile.ZipInfo:
        """The entry ``<folder>/<record>``, checked to be stored, unencrypted and in the file."""
        name = self.prefix + record
        info = self.entries.get(name)
        if info is None:
            raise ModelFileError(f"{self.name}: no entry {name!r}")
        if info.flag_bits & 0x1:
            raise ModelFileError(f"{self.name}: entry {name!r} is encrypted")
        if info.compress_type != zipfile.ZIP_STORED:
            raise ModelFileError(f"{self.name}: entry {name!r} is compressed (method "
                                 f"{info.compress_type}); torch.save stores entries "
                                 "uncompressed, and this reader reads only those")
        if info.file_size != info.compress_size or info.file_size > self.size:
            raise ModelFileError(f"{self.name}: entry {name!r} claims {info.file_size} bytes "
                                 f"in a file of {self.size}")
        return info

    def read(self, record: str, limit: int | None = None, expected: int | None = None) -> bytes:
        """The bytes of ``<folder>/<record>``; at most ``limit`` bytes, or exactly
        ``expected``, both checked before reading."""
        info = self.info(record)
        if limit is not None and info.file_size > limit:
            raise ModelFileError(f"{self.name}: entry {info.filename!r} has {info.file_size} "
                                 f"bytes; at most {limit} expected")
        if expected is not None and info.file_size != expected:
            raise ModelFileError(f"{self.name}: entry {info.filename!r} has {info.file_size} "
                                 f"bytes but the pickle says {expected}")
        try:
            data = self.zip.read(info)
        except _ZIP_ERRORS as err:
            raise ModelFileError(f"{self.name}: entry {info.filename!r} cannot be read "
                                 f"({err})") from None
        if len(data) != info.file_size:
            raise ModelFileError(f"{self.name}: entry {info.filename!r} is truncated")
        return data

    def pickle(self) -> bytes:
        return self.read("data.pkl")

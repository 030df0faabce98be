"""Reading arrays from ``.npy``, ``.npz`` and ``.csv`` files, safely (RELIABILITY R-SEC-4/6).

Every malformed file ends in a ``ValueError`` that names the file and what is wrong, never
in another exception. Nothing is unpickled, and no array is allocated at a size that a file
only claims: the shape in a ``.npy`` header is checked against the bytes that follow it
before anything is read, and an ``.npz`` archive's members are checked the same way after
their declared total is capped (zip bombs).
"""

from __future__ import annotations

import os
import warnings
import zipfile
import zlib
from typing import IO

import numpy as np

MAX_NPZ_BYTES = 4 * 1024**3  # decompressed: an .npz holding more is refused (zip bombs)
_READ_ERRORS = (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error)


def read_npy(path: str) -> np.ndarray:
    """The array of a ``.npy`` file, its header checked against the file size first."""
    try:
        with open(path, "rb") as handle:
            return _read_array(handle, os.fstat(handle.fileno()).st_size)
    except _READ_ERRORS as err:
        raise ValueError(f"{path}: {_describe(err)}") from None


def read_npz(path: str, max_bytes: int = MAX_NPZ_BYTES) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file, by name (without ``.npy``), each member checked."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.endswith(".npy")]
            declared = sum(member.file_size for member in archive.infolist())
            if declared > max_bytes:
                raise _Refused(f"decompresses to {declared:,} bytes, more than the "
                               f"{max_bytes:,} allowed")
            return {m.filename[:-4]: _read_member(archive, m) for m in members}
    except _Refused as err:
        raise ValueError(f"{path}: {err}") from None
    except _READ_ERRORS as err:
        raise ValueError(f"{path}: not a valid .npz (zip) file ({_reason(err)})") from None


def read_csv(path: str) -> np.ndarray:
    """A numeric CSV table as float64 (rows, columns); a first row of names is skipped."""
    try:
        with open(path) as handle:
            first = handle.readline()
        with warnings.catch_warnings():  # an empty table is reported below, not warned about
            warnings.simplefilter("ignore", UserWarning)
            table = np.loadtxt(path, delimiter=",", ndmin=2,
                               skiprows=0 if _is_numeric_row(first) else 1)
    except (OSError, ValueError) as err:  # UnicodeDecodeError is a ValueError
        raise ValueError(f"{path}: not a numeric CSV table ({_reason(err)})") from None
    if table.size == 0:
        raise ValueError(f"{path}: the CSV table has no rows")
    return table


class _Refused(Exception):
    """A problem inside an archive, described without the archive's name."""


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> np.ndarray:
    try:
        with archive.open(member) as handle:
            return _read_array(handle, member.file_size)
    except _READ_ERRORS as err:
        raise _Refused(f"member {member.filename!r}: {_describe(err)}") from None


def _read_array(handle: IO[bytes], size: int) -> np.ndarray:
    """Parse a .npy header, check its shape against the ``size`` bytes, then read the data."""
    version = np.lib.format.read_magic(handle)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f"unsupported .npy format version {version}")
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
        np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(handle)
    if dtype.hasobject:
        raise ValueError("holds Python objects, which are never unpickled "
                         "(allow_pickle=False)")
    claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize  # Python ints: no overflow
    available = size - handle.tell()
    if claimed != available:
        raise ValueError(f"its header claims shape {shape} ({claimed:,} bytes of "
                         f"{dtype}) but {available:,} bytes follow it")
    data = handle.read(claimed)
    if len(data) != claimed:
        raise ValueError(f"truncated ({len(data):,} of {claimed:,} bytes)")
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape, order="F" if fortran_order else "C").copy()


def _is_numeric_row(line: str) -> bool:
    try:
        [float(cell) for cell in line.strip().split(",") if cell]
    except ValueError:
        return False
    return True


def _describe(err: BaseException) -> str:
    """A reading error in words: its own message for a ValueError, else what broke."""
    if type(err) is ValueError:
        return _reason(err)
    return f"corrupt or unreadable ({_reason(err)})"


def _reason(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__

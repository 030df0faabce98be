"""Read IDX files of unsigned bytes, the format of MNIST and Fashion-MNIST, plain or gzipped.

An IDX file is a big-endian header and then the data in C order:

    bytes 0-1   zero
    byte  2     type code (0x08: unsigned byte, the only one read here)
    byte  3     number of dimensions, d
    4 × d bytes each dimension's size, uint32
    the rest    prod(sizes) values

so images (N, rows, cols) start with the magic number 0x00000803 and labels (N,) with
0x00000801. Every check failure raises ValueError naming the file.
Reference: http://yann.lecun.com/exdb/mnist/ (bottom of the page).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

MAX_BYTES = 1 << 28  # 256 MiB decompressed; Fashion-MNIST's largest file holds 47 MB
_UNSIGNED_BYTE = 0x08


def read_idx(path: str | Path, ndim: int) -> np.ndarray:
    """The uint8 array stored in the IDX file ``path`` (gzipped when it ends with ``.gz``).

    Args:
        path: the file.
        ndim: the number of dimensions the file must have (3 for images, 1 for labels).

    Returns:
        A read-only uint8 array of the shape given in the header.

    Raises:
        ValueError: not gzip, truncated, wrong magic number, or a data size that does not match
            the header; the message names the file.
    """
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"{path}: larger than {MAX_BYTES} bytes, not an IDX data set file")
    raw = path.read_bytes()
    data = _gunzip(path, raw) if path.suffix == ".gz" else raw
    return parse_idx(data, ndim, path)


def parse_idx(data: bytes, ndim: int, path: str | Path = "<bytes>") -> np.ndarray:
    """The uint8 array held by the IDX bytes ``data`` (see ``read_idx``)."""
    expected = (_UNSIGNED_BYTE << 8) | ndim
    if len(data) < 4:
        raise ValueError(f"{path}: {len(data)} bytes, too short for an IDX header "
                         "(truncated or empty file)")
    magic = int.from_bytes(data[:4], "big")
    if magic != expected:
        raise ValueError(f"{path}: magic number 0x{magic:08X}, expected 0x{expected:08X} "
                         f"(IDX of unsigned bytes with {ndim} dimensions); wrong or corrupt file")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: the header is truncated ({len(data)} of {header} bytes)")
    shape = tuple(int.from_bytes(data[i:i + 4], "big") for i in range(4, header, 4))
    count = int(np.prod(shape, dtype=np.int64))
    if len(data) - header != count:
        raise ValueError(f"{path}: the header gives shape {shape}, {count} bytes of data, but "
                         f"the file holds {len(data) - header} (truncated or corrupt)")
    return np.frombuffer(data, dtype=np.uint8, count=count, offset=header).reshape(shape)


def _gunzip(path: Path, raw: bytes) -> bytes:
    """``raw`` decompressed, with its CRC checked and its size capped at ``MAX_BYTES``."""
    stream = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # expect a gzip header and trailer
    try:
        data = stream.decompress(raw, MAX_BYTES + 1)
    except zlib.error as err:
        raise ValueError(f"{path}: not a valid gzip file ({err})") from None
    if len(data) > MAX_BYTES:
        raise ValueError(f"{path}: decompresses to more than {MAX_BYTES} bytes, not an IDX "
                         "data set file")
    if not stream.eof:
        raise ValueError(f"{path}: the gzip stream is truncated (the file ends before the "
                         "compressed data does)")
    return data

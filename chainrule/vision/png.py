"""A minimal PNG writer (8-bit grey, RGB or RGBA, no filtering), for ``save_image`` where
matplotlib is not installed.

A PNG file is the 8-byte signature and then chunks, each ``length (4 bytes, big-endian) ·
type (4 ASCII bytes) · data · CRC-32 of type and data``: IHDR (width, height, bit depth 8,
colour type, compression 0, filter 0, interlace 0), one IDAT holding the zlib-compressed rows,
each row preceded by its filter byte (0: none), and an empty IEND.
Reference: https://www.w3.org/TR/png/ (sections 5 and 11.2).
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import BinaryIO

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPE = {1: 0, 3: 2, 4: 6}  # channels -> grey, RGB, RGBA


def png_bytes(pixels: np.ndarray) -> bytes:
    """The PNG file of ``pixels``, uint8 of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)."""
    if pixels.dtype != np.uint8:
        raise TypeError(f"png_bytes: expected uint8 pixels, got {pixels.dtype}")
    image = pixels[:, :, None] if pixels.ndim == 2 else pixels
    if image.ndim != 3 or image.shape[2] not in _COLOUR_TYPE or 0 in image.shape[:2]:
        raise ValueError(f"png_bytes: expected a non-empty H×W, H×W×1, H×W×3 or H×W×4 image, "
                         f"got shape {pixels.shape}")
    height, width, channels = image.shape
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPE[channels], 0, 0, 0)
    rows = np.concatenate([np.zeros((height, 1), np.uint8),
                           np.ascontiguousarray(image).reshape(height, -1)], axis=1)
    return (SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.tobytes()))
            + _chunk(b"IEND", b""))


def write_png(fp: str | os.PathLike | BinaryIO, pixels: np.ndarray) -> None:
    """Write ``png_bytes(pixels)`` to a path or a binary file object."""
    data = png_bytes(pixels)
    if hasattr(fp, "write"):
        fp.write(data)
        return
    with open(fp, "wb") as handle:
        handle.write(data)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

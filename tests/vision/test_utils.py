"""chainrule.vision.utils: make_grid's layout derived by hand, and save_image's PNG decoded
back here (zlib and the PNG filters, written for this test)."""

from __future__ import annotations

import struct
import sys
import zlib

import numpy as np
import pytest

import chainrule
from chainrule.vision import utils
from chainrule.vision.png import png_bytes
from tests.optional import needs_matplotlib


def test_make_grid_layout_by_hand():
    x = np.arange(5 * 3 * 2 * 2, dtype=np.float32).reshape(5, 3, 2, 2)
    grid = utils.make_grid(chainrule.tensor(x), nrow=2, padding=1, pad_value=-1).numpy()
    # 2 columns, 3 rows, each cell 2 + 1 pixels, plus 1 pixel of border
    assert grid.shape == (3, 3 * 3 + 1, 2 * 3 + 1)
    for k in range(5):
        row, col = divmod(k, 2)
        np.testing.assert_array_equal(grid[:, 1 + 3 * row:3 + 3 * row, 1 + 3 * col:3 + 3 * col],
                                      x[k])
    padding = np.ones(grid.shape[1:], bool)
    for k in range(5):
        row, col = divmod(k, 2)
        padding[1 + 3 * row:3 + 3 * row, 1 + 3 * col:3 + 3 * col] = False
    assert (grid[:, padding] == -1).all()


def test_make_grid_repeats_one_channel_and_returns_a_single_image_unpadded():
    x = chainrule.rand(3, 1, 4, 4)
    grid = utils.make_grid(x).numpy()
    assert grid.shape == (3, 4 + 4, 3 * 6 + 2)
    np.testing.assert_array_equal(grid[0], grid[2])
    single = utils.make_grid(chainrule.rand(1, 1, 4, 5))
    assert single.shape == (3, 4, 5)
    assert utils.make_grid([chainrule.rand(3, 4, 4)] * 9).shape == (3, 2 * 6 + 2, 8 * 6 + 2)


def test_make_grid_normalizes_by_range_all_or_each():
    x = np.stack([np.full((1, 2, 2), 2.0), np.array([[[0.0, 4.0], [1.0, 3.0]]])])
    grid = utils.make_grid(chainrule.tensor(x), normalize=True, padding=0).numpy()
    np.testing.assert_allclose(grid[0], np.concatenate([x[0, 0], x[1, 0]], axis=1) / 4.0)
    each = utils.make_grid(chainrule.tensor(x), normalize=True, scale_each=True,
                           padding=0).numpy()
    np.testing.assert_allclose(each[0, :, 2:], x[1, 0] / 4.0)
    np.testing.assert_allclose(each[0, :, :2], 0.0)  # a constant image: (x − x) / 1e-5
    ranged = utils.make_grid(chainrule.tensor(x), normalize=True, value_range=(1.0, 3.0),
                             padding=0).numpy()
    np.testing.assert_allclose(ranged[0], (np.clip(np.concatenate([x[0, 0], x[1, 0]], 1),
                                                   1, 3) - 1) / 2)
    with pytest.raises(TypeError, match="value_range"):
        utils.make_grid(chainrule.tensor(x), normalize=True, value_range=3)


def decode_png(data: bytes) -> np.ndarray:
    """The pixels of an 8-bit, non-interlaced PNG (every filter type), shape (H, W, C)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == \
            zlib.crc32(kind + body)
        header = struct.unpack(">IIBBBBB", body) if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * channels)
    out = np.zeros((height, width * channels), np.int64)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int64)
        up = out[y - 1] if y else np.zeros_like(line)
        for x in range(len(line)):
            left = out[y, x - channels] if x >= channels else 0
            corner = up[x - channels] if x >= channels else 0
            if kind == 4:
                p = left + up[x] - corner
                pa, pb, pc = abs(p - left), abs(p - up[x]), abs(p - corner)
                guess = left if pa <= pb and pa <= pc else (up[x] if pb <= pc else corner)
            else:
                guess = [0, left, up[x], (left + up[x]) // 2][kind]
            out[y, x] = (line[x] + guess) % 256
    return out.astype(np.uint8).reshape(height, width, channels)


def expected_pixels(x):
    grid = utils.make_grid(chainrule.tensor(x), nrow=2).numpy()
    return np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)


def test_png_writer_round_trips_grey_rgb_and_rgba():
    rng = np.random.default_rng(0)
    for shape in [(3, 4), (3, 4, 3), (2, 5, 4)]:
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        decoded = decode_png(png_bytes(pixels))
        np.testing.assert_array_equal(decoded.reshape(pixels.shape), pixels)
    with pytest.raises(TypeError, match="uint8"):
        png_bytes(np.zeros((2, 2)))


def test_save_image_without_matplotlib_writes_the_grid(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # the import now fails
    x = np.random.default_rng(1).random((3, 3, 4, 5)).astype(np.float32)
    utils.save_image(chainrule.tensor(x), tmp_path / "grid.png", nrow=2)
    np.testing.assert_array_equal(decode_png((tmp_path / "grid.png").read_bytes()),
                                  expected_pixels(x))


@needs_matplotlib
def test_save_image_with_matplotlib_writes_the_same_pixels(tmp_path):
    x = np.random.default_rng(2).random((3, 3, 4, 5)).astype(np.float32)
    utils.save_image(chainrule.tensor(x), tmp_path / "grid.png", nrow=2)
    decoded = decode_png((tmp_path / "grid.png").read_bytes())
    np.testing.assert_array_equal(decoded[:, :, :3], expected_pixels(x))
    with pytest.raises(ValueError, match="PNG only"):
        utils.save_image(chainrule.tensor(x), tmp_path / "grid.jpg", format="jpeg")

"""Transforms that move pixels: resize, crops, padding, flips and rotation.

Each takes a Tensor (..., H, W) or an image array H×W(×C) (see ``_image``) and gives the same
kind back. The random ones draw from chainrule's package generator, so
``chainrule.manual_seed`` makes them reproducible. Results record no gradient.
"""

from __future__ import annotations

import enum
from typing import Any, Sequence

import numpy as np

from ...random import default_generator
from . import _image


class InterpolationMode(enum.Enum):
    """``torchvision.transforms.InterpolationMode``: the two modes chainrule provides."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _mode(interpolation: Any, who: str) -> InterpolationMode:
    try:
        return InterpolationMode(getattr(interpolation, "value", interpolation))
    except ValueError:
        raise ValueError(f"{who}: interpolation {interpolation!r} is not supported; use "
                         "InterpolationMode.NEAREST or BILINEAR") from None


class Resize:
    """``torchvision.transforms.Resize(size, interpolation=BILINEAR, max_size=None,
    antialias=True)``.

    Args:
        size: (h, w), or an int: the smaller edge becomes ``size`` and the other keeps the
            aspect ratio (``int(size · long / short)``).
        interpolation: ``InterpolationMode.BILINEAR`` (pixel centres aligned, as
            ``align_corners=False``) or ``NEAREST`` (pixel ``floor(i · in/out)``, PyTorch's
            ``nearest``; PIL picks the pixel nearest the centre instead).
        max_size: with an int ``size``, the longer edge is capped at this.
        antialias: accepted; chainrule never antialiases, so shrinking differs from
            torchvision (which low-pass filters first); enlarging agrees.
    """

    def __init__(self, size: int | Sequence[int], interpolation: Any = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        self.size = size
        self.mode = _mode(interpolation, "Resize")
        self.max_size = max_size
        _image.pair(size, "Resize")

    def output_size(self, h: int, w: int) -> tuple[int, int]:
        if isinstance(self.size, (tuple, list)) and len(self.size) == 2:
            return int(self.size[0]), int(self.size[1])
        short, long = (h, w) if h <= w else (w, h)
        new_short = _image.pair(self.size, "Resize")[0]
        new_long = int(new_short * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)

    def __call__(self, img: Any) -> Any:
        a, restore = _image.split(img, "Resize")
        h, w = self.output_size(*a.shape[-2:])
        if self.mode is InterpolationMode.NEAREST:
            return restore(_image.resize_nearest(a, h, w))
        return restore(_image.cast_like(_image.resize_bilinear(a, h, w), a))

    def __repr__(self) -> str:
        return f"Resize(size={self.size}, interpolation={self.mode.value})"


def _padding(padding: Any, who: str) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) from an int, (left/right, top/bottom) or four ints."""
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        return (int(padding),) * 4
    if isinstance(padding, (tuple, list)) and len(padding) in (1, 2, 4):
        p = [int(v) for v in padding]
        return tuple(p * 4)[:4] if len(p) == 1 else (
            (p[0], p[1], p[0], p[1]) if len(p) == 2 else tuple(p))
    raise ValueError(f"{who}: padding must be an int or a sequence of 1, 2 or 4 ints, got "
                     f"{padding!r}")


_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


class Pad:
    """``torchvision.transforms.Pad(padding, fill=0, padding_mode='constant')``.

    Args:
        padding: an int for all sides, (left/right, top/bottom), or (left, top, right,
            bottom).
        fill: the value of constant padding.
        padding_mode: ``constant``, ``edge``, ``reflect`` or ``symmetric``.
    """

    def __init__(self, padding: Any, fill: float = 0, padding_mode: str = "constant") -> None:
        self.padding = _padding(padding, "Pad")
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"Pad: padding_mode {padding_mode!r} is not one of {_PAD_MODES}")
        self.fill, self.padding_mode = fill, padding_mode

    def __call__(self, img: Any) -> Any:
        a, restore = _image.split(img, "Pad")
        return restore(_image.pad(a, *self.padding, self.fill, self.padding_mode))

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, fill={self.fill}, mode={self.padding_mode})"


def _crop(a: np.ndarray, top: int, left: int, h: int, w: int) -> np.ndarray:
    return a[..., top:top + h, left:left + w]


class CenterCrop:
    """``torchvision.transforms.CenterCrop(size)``: the central (h, w) window, its corner at
    ``round((H − h) / 2)``, ``round((W − w) / 2)``; an image smaller than ``size`` is first
    padded with zeros on both sides.

    Args:
        size: (h, w) or an int for a square.
    """

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _image.pair(size, "CenterCrop")

    def __call__(self, img: Any) -> Any:
        a, restore = _image.split(img, "CenterCrop")
        (h, w), (ih, iw) = self.size, a.shape[-2:]
        if h > ih or w > iw:
            dh, dw = max(h - ih, 0), max(w - iw, 0)
            a = _image.pad(a, dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2)
            ih, iw = a.shape[-2:]
        top, left = int(round((ih - h) / 2.0)), int(round((iw - w) / 2.0))
        return restore(_crop(a, top, left, h, w))

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class RandomCrop:
    """``torchvision.transforms.RandomCrop(size, padding=None, pad_if_needed=False, fill=0,
    padding_mode='constant')``: a window of ``size`` at a uniformly drawn position.

    Args:
        size: (h, w) or an int for a square.
        padding: padding applied first (as ``Pad``), or None.
        pad_if_needed: pad an image smaller than ``size`` (else ValueError).
        fill, padding_mode: as ``Pad``.
    """

    def __init__(self, size: int | Sequence[int], padding: Any = None,
                 pad_if_needed: bool = False, fill: float = 0,
                 padding_mode: str = "constant") -> None:
        self.size = _image.pair(size, "RandomCrop")
        self.padding = None if padding is None else _padding(padding, "RandomCrop")
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    def __call__(self, img: Any) -> Any:
        a, restore = _image.split(img, "RandomCrop")
        if self.padding is not None:
            a = _image.pad(a, *self.padding, self.fill, self.padding_mode)
        h, w = self.size
        if self.pad_if_needed and (a.shape[-1] < w or a.shape[-2] < h):
            dw, dh = max(w - a.shape[-1], 0), max(h - a.shape[-2], 0)
            a = _image.pad(a, dw, dh, dw, dh, self.fill, self.padding_mode)
        ih, iw = a.shape[-2:]
        if ih < h or iw < w:
            raise ValueError(f"RandomCrop: required crop size {(h, w)} is larger than the "
                             f"input image size {(ih, iw)}")
        top = int(default_generator().integers(0, ih - h + 1))
        left = int(default_generator().integers(0, iw - w + 1))
        return restore(_crop(a, top, left, h, w))

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class _RandomFlip:
    axis = -1

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        if default_generator().random() >= self.p:
            return img
        a, restore = _image.split(img, type(self).__name__)
        return restore(np.ascontiguousarray(np.flip(a, self.axis)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """``torchvision.transforms.RandomHorizontalFlip(p=0.5)``: mirror left-right with
    probability ``p``."""

    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """``torchvision.transforms.RandomVerticalFlip(p=0.5)``: mirror top-bottom with
    probability ``p``."""

    axis = -2


class RandomRotation:
    """``torchvision.transforms.RandomRotation(degrees, interpolation=NEAREST, expand=False,
    center=None, fill=0)``: turn counter-clockwise by an angle drawn uniformly from
    ``degrees``.

    Args:
        degrees: a number d for (−d, d), or (min, max).
        interpolation: ``InterpolationMode.NEAREST`` or ``BILINEAR``.
        expand: must be False (chainrule keeps the image size).
        center: (x, y) to turn about, in torchvision's pixel coordinates, where pixel (i, j)
            covers [j, j + 1) × [i, i + 1) and the image centre is (W/2, H/2) (the default).
        fill: the value of pixels the turned image does not cover.
    """

    def __init__(self, degrees: float | Sequence[float], interpolation: Any =
                 InterpolationMode.NEAREST, expand: bool = False,
                 center: Sequence[float] | None = None, fill: float = 0) -> None:
        if isinstance(degrees, (int, float, np.number)):
            if degrees < 0:
                raise ValueError(f"RandomRotation: degrees {degrees} must be non-negative "
                                 "when it is a single number")
            degrees = (-float(degrees), float(degrees))
        if len(degrees) != 2:
            raise ValueError(f"RandomRotation: degrees should be a number or a sequence of 2 "
                             f"numbers, got {degrees!r}")
        if expand:
            raise ValueError("RandomRotation: expand=True is not supported by chainrule")
        self.degrees = (float(degrees[0]), float(degrees[1]))
        self.mode = _mode(interpolation, "RandomRotation")
        self.center, self.fill = center, fill

    def __call__(self, img: Any) -> Any:
        angle = float(default_generator().uniform(*self.degrees))
        a, restore = _image.split(img, "RandomRotation")
        bilinear = self.mode is InterpolationMode.BILINEAR
        # index coordinates put pixel j at j, half a pixel left of torchvision's coordinates
        center = None if self.center is None else (self.center[0] - 0.5, self.center[1] - 0.5)
        turned = _image.rotate(a, angle, bilinear, self.fill, center)
        return restore(_image.cast_like(turned, a))

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees}, interpolation={self.mode.value})"

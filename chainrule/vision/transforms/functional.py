"""``torchvision.transforms.functional``: the transforms as functions with explicit
parameters (for example the same flip applied to an image and its mask).

Each takes a Tensor (..., H, W) or an image array H×W(×C) and gives the same kind back, as
the transform classes do.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...tensor import Tensor
from . import _image
from .basic import Normalize, ToTensor
from .geometry import CenterCrop, InterpolationMode, Pad, Resize, _mode


def to_tensor(pic: np.ndarray) -> Tensor:
    """``F.to_tensor(pic)``: as ``ToTensor()(pic)``."""
    return ToTensor()(pic)


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> Tensor:
    """``F.normalize(tensor, mean, std, inplace=False)``: as ``Normalize``."""
    return Normalize(mean, std, inplace)(tensor)


def resize(img: Any, size: int | Sequence[int], interpolation: Any =
           InterpolationMode.BILINEAR, max_size: int | None = None,
           antialias: bool | None = True) -> Any:
    """``F.resize(img, size, interpolation=BILINEAR, max_size=None, antialias=True)``: as
    ``Resize`` (no antialiasing)."""
    return Resize(size, interpolation, max_size, antialias)(img)


def center_crop(img: Any, output_size: int | Sequence[int]) -> Any:
    """``F.center_crop(img, output_size)``: as ``CenterCrop``."""
    return CenterCrop(output_size)(img)


def pad(img: Any, padding: Any, fill: float = 0, padding_mode: str = "constant") -> Any:
    """``F.pad(img, padding, fill=0, padding_mode='constant')``: as ``Pad``."""
    return Pad(padding, fill, padding_mode)(img)


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """``F.crop(img, top, left, height, width)``: the window whose corner is (top, left);
    parts of it outside the image are zeros."""
    a, restore = _image.split(img, "crop")
    h, w = a.shape[-2:]
    before_y, before_x = max(-top, 0), max(-left, 0)
    after_y, after_x = max(top + height - h, 0), max(left + width - w, 0)
    a = _image.pad(a, before_x, before_y, after_x, after_y)
    top, left = top + before_y, left + before_x
    return restore(a[..., top:top + height, left:left + width])


def hflip(img: Any) -> Any:
    """``F.hflip(img)``: mirror left-right."""
    a, restore = _image.split(img, "hflip")
    return restore(np.ascontiguousarray(a[..., ::-1]))


def vflip(img: Any) -> Any:
    """``F.vflip(img)``: mirror top-bottom."""
    a, restore = _image.split(img, "vflip")
    return restore(np.ascontiguousarray(a[..., ::-1, :]))


def rotate(img: Any, angle: float, interpolation: Any = InterpolationMode.NEAREST,
           expand: bool = False, center: Sequence[float] | None = None,
           fill: float | None = None) -> Any:
    """``F.rotate(img, angle, interpolation=NEAREST, expand=False, center=None,
    fill=None)``: turn counter-clockwise by ``angle`` degrees, as ``RandomRotation`` with a
    fixed angle (``expand=True`` is not supported)."""
    if expand:
        raise ValueError("rotate: expand=True is not supported by chainrule")
    a, restore = _image.split(img, "rotate")
    bilinear = _mode(interpolation, "rotate") is InterpolationMode.BILINEAR
    if center is not None:
        center = (center[0] - 0.5, center[1] - 0.5)
    turned = _image.rotate(a, angle, bilinear, 0 if fill is None else fill, center)
    return restore(_image.cast_like(turned, a))


__all__ = ["center_crop", "crop", "hflip", "normalize", "pad", "resize", "rotate",
           "to_tensor", "vflip"]

"""``chainrule.vision.transforms``: torchvision's transforms that tutorials use.

``Compose``, ``ToTensor``, ``Normalize``, ``Lambda``, ``Resize``, ``CenterCrop``,
``RandomCrop``, ``Pad``, ``RandomHorizontalFlip``, ``RandomVerticalFlip``, ``RandomRotation``
and ``InterpolationMode``; ``functional`` holds them as functions (``hflip``, ``rotate``, …).

Differs from torchvision: chainrule has no PIL. Where torchvision passes a PIL image, chainrule
passes a uint8 NumPy array H×W (grey) or H×W×C, and every transform here accepts it as well as
a Tensor (..., H, W). ``ToPILImage`` and ``PILToTensor`` do not exist: asking for them raises
AttributeError saying so. The random transforms draw from the package generator
(``chainrule.manual_seed``).
"""

from __future__ import annotations

from . import functional
from .basic import Compose, Lambda, Normalize, ToTensor
from .geometry import (
    CenterCrop,
    InterpolationMode,
    Pad,
    RandomCrop,
    RandomHorizontalFlip,
    RandomRotation,
    RandomVerticalFlip,
    Resize,
)

_NO_PIL = ("ToPILImage", "PILToTensor")


def __getattr__(name: str):
    if name in _NO_PIL:
        raise AttributeError(f"chainrule.vision.transforms has no {name}: chainrule has no PIL "
                             "images (images are NumPy arrays H×W(×C) or Tensors)", name=name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CenterCrop", "Compose", "InterpolationMode", "Lambda", "Normalize", "Pad", "RandomCrop",
    "functional",
    "RandomHorizontalFlip", "RandomRotation", "RandomVerticalFlip", "Resize", "ToTensor",
]

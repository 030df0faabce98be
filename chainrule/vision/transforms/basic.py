"""Transforms that do not move pixels: ``Compose``, ``ToTensor``, ``Normalize``, ``Lambda``."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ...tensor import Tensor, _wrap


class Compose:
    """``torchvision.transforms.Compose(transforms)``: apply each transform in turn.

    Args:
        transforms: the callables, applied first to last.

    Example:
        >>> import numpy as np
        >>> from chainrule.vision import transforms
        >>> t = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
        >>> t(np.full((2, 2), 255, np.uint8)).tolist()
        [[[1.0, 1.0], [1.0, 1.0]]]
    """

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """``torchvision.transforms.ToTensor()``: an image array H×W or H×W×C to a Tensor C×H×W.

    uint8 pixels become float32 in [0, 1] (divided by 255); arrays of another dtype keep
    their values and dtype, as torchvision does for them.

    Differs from torchvision: chainrule has no PIL, so the input is the NumPy array that
    chainrule's data sets give where torchvision gives a PIL image; a Tensor is refused with
    TypeError, as torchvision refuses one.

    Example:
        >>> import numpy as np
        >>> ToTensor()(np.zeros((28, 28, 3), np.uint8)).shape
        (3, 28, 28)
    """

    def __call__(self, pic: Any) -> Tensor:
        if not isinstance(pic, np.ndarray):
            raise TypeError(f"ToTensor: pic should be a NumPy array H×W or H×W×C (chainrule's "
                            f"stand-in for a PIL image), got {type(pic).__name__}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"ToTensor: pic should be 2 or 3 dimensional, got {pic.ndim} "
                             "dimensions")
        chw = np.moveaxis(pic[:, :, None] if pic.ndim == 2 else pic, -1, 0)
        if pic.dtype == np.uint8:
            return _wrap(np.divide(chw, np.float32(255), dtype=np.float32), None)
        return _wrap(np.ascontiguousarray(chw), None)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """``torchvision.transforms.Normalize(mean, std, inplace=False)``: per channel,
    ``(x − mean[c]) / std[c]`` on a float Tensor (..., C, H, W).

    Args:
        mean: one mean per channel (or one for all).
        std: one standard deviation per channel (or one for all); none may be 0.
        inplace: write the result into the input tensor.

    Differs from torchvision: the result records no gradient (transforms prepare data).
    """

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float,
                 inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor: Any) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Normalize: input should be a Tensor, got {type(tensor).__name__}")
        x = tensor.data
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(f"Normalize: input tensor should be a float tensor, got {x.dtype}")
        if x.ndim < 3:
            raise ValueError(f"Normalize: expected a tensor image (..., C, H, W), got shape "
                             f"{tuple(x.shape)}")
        mean = np.asarray(self.mean, dtype=x.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=x.dtype).reshape(-1, 1, 1)
        if np.any(std == 0):
            raise ValueError(f"Normalize: std {self.std!r} holds a zero, which would divide "
                             "by zero")
        if self.inplace:
            np.subtract(x, mean, out=x)
            np.divide(x, std, out=x)
            return tensor
        return _wrap((x - mean) / std, None)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Lambda:
    """``torchvision.transforms.Lambda(lambd)``: a user function as a transform.

    Args:
        lambd: the callable applied to the image.
    """

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"

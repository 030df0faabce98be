"""Fractional max-pooling layers (PyTorch's names, arguments and defaults):
``FractionalMaxPool2d`` and ``FractionalMaxPool3d``. Each holds its settings, and the samples
if given (a buffer, ``_random_samples``, as in PyTorch), and calls one function of
``functional.fractional_pool``. No parameters.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .module import Module


def _tuple(value: Any, dims: int) -> tuple | None:
    if value is None:
        return None
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


class _FractionalMaxPoolNd(Module):
    """Settings shared by the 2-D and 3-D layers, checked as PyTorch checks them."""

    dims = 0

    def __init__(self, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
                 return_indices: bool = False, _random_samples: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        kernel = _tuple(kernel_size, self.dims)
        if any(isinstance(k, int) and k <= 0 for k in kernel):
            raise ValueError(f"{name}: kernel_size must be greater than 0, but got "
                             f"{kernel_size}")
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             "ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError(f"{name}: only one of output_size and output_ratio may be "
                             "specified")
        ratio = _tuple(output_ratio, self.dims)
        if ratio is not None and not all(0 < r < 1 for r in ratio):
            raise ValueError(f"{name}: output_ratio must be between 0 and 1 (got "
                             f"{output_ratio})")
        self.kernel_size, self.return_indices = kernel, return_indices
        self.output_size, self.output_ratio = _tuple(output_size, self.dims), ratio
        self.register_buffer("_random_samples", _random_samples)

    def extra_repr(self) -> str:
        target = f"output_size={self.output_size}" if self.output_size is not None else \
            f"output_ratio={self.output_ratio}"
        return f"kernel_size={self.kernel_size}, {target}"


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Max over kh×kw windows at pseudo-random starts that step by 1 or 2, reaching a target
    size (Graham, 2014); see ``functional.fractional_max_pool2d``.

    Args:
        kernel_size: k or (kh, kw).
        output_size: O or (Ho, Wo), with Ho + kh − 1 ≤ H and Wo + kw − 1 ≤ W.
        output_ratio: instead of output_size: r or (rh, rw), each in (0, 1).
        return_indices: also return the maxima's positions h·W + w.
        _random_samples: fixed (N, C, 2) samples in [0, 1) (a buffer); None draws new ones
            from the package generator at every call.

    Shape:
        (N, C, H, W) -> (N, C, Ho, Wo); (C, H, W) unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.FractionalMaxPool2d(3, output_ratio=0.5)(chainrule.randn(2, 3, 10, 8)).shape
        (2, 3, 5, 4)
    """  # noqa: E501

    dims = 2

    def forward(self, input: Tensor) -> Any:
        return F.fractional_max_pool2d(input, self.kernel_size, self.output_size,
                                       self.output_ratio, self.return_indices,
                                       _random_samples=self._random_samples)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Max over kt×kh×kw windows at pseudo-random starts that step by 1 or 2, reaching a
    target size (Graham, 2014); see ``functional.fractional_max_pool3d``.

    Args:
        kernel_size: k or (kt, kh, kw), each > 0.
        output_size: O or (To, Ho, Wo), with To + kt − 1 < T, likewise H and W.
        output_ratio: instead of output_size: r or (rt, rh, rw), each in (0, 1).
        return_indices: also return the maxima's positions t·H·W + h·W + w.
        _random_samples: fixed (N, C, 3) samples in [0, 1) (a buffer); None draws new ones
            from the package generator at every call.

    Shape:
        (N, C, T, H, W) -> (N, C, To, Ho, Wo); (C, T, H, W) unbatched.

    Example:
        >>> import chainrule
        >>> chainrule.nn.FractionalMaxPool3d(2, output_size=3)(chainrule.randn(1, 2, 6, 6, 6)).shape
        (1, 2, 3, 3, 3)
    """  # noqa: E501

    dims = 3

    def forward(self, input: Tensor) -> Any:
        return F.fractional_max_pool3d(input, self.kernel_size, self.output_size,
                                       self.output_ratio, self.return_indices,
                                       _random_samples=self._random_samples)


__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]

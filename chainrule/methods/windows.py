"""Window functions for spectral analysis, as PyTorch's factories: ``hann_window``,
``hamming_window``, ``blackman_window``, ``bartlett_window`` and ``kaiser_window``.

Each is w[n] for n = 0 … L − 1 with N = L − 1 (``periodic=False``, the symmetric window) or
N = L (``periodic=True``: the symmetric window of L + 1 points without its last, ready for a
DFT). A window of length 1 is [1], of length 0 empty. Values are computed in float64 and
rounded once to ``dtype`` (the default float dtype when None); the result is a new leaf.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable

import numpy as np

from .. import dtypes
from ..device import require_cpu, require_no_pinning
from ..tensor import Tensor


def _window(name: str, window_length: Any, periodic: bool, shape: Callable, dtype: Any,
            layout: Any, device: Any, pin_memory: bool, requires_grad: bool) -> Tensor:
    """The window ``shape(n, N)`` (float64 arrays) of ``window_length`` points, checked and
    made as PyTorch's factories make it."""
    if isinstance(window_length, bool) or not isinstance(window_length, numbers.Integral):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    if layout is not None and "strided" not in str(layout):
        raise RuntimeError(f"{name} is not implemented for the layout {layout}: only dense "
                           "(strided) tensors exist in chainrule")
    require_cpu(device, name)
    require_no_pinning(pin_memory, name)
    dtype = dtypes.default_float if dtype is None else dtypes.as_dtype(dtype)
    if not dtypes.is_floating(dtype):
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dtype}")
    length = int(window_length)
    if length <= 1:
        values = np.ones(length)
    else:
        values = shape(np.arange(length, dtype=np.float64), float(length if periodic
                                                                  else length - 1))
    return Tensor(values.astype(dtype), requires_grad=requires_grad)


def _cosine_sum(*coefficients: float) -> Callable:
    """w[n] = Σₖ (−1)ᵏ aₖ cos(2πkn/N): Hann, Hamming and Blackman are such sums."""
    def shape(n: np.ndarray, size: float) -> np.ndarray:
        return sum((-1) ** k * a * np.cos(2 * math.pi * k * n / size)
                   for k, a in enumerate(coefficients))
    return shape


def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                layout: Any = None, device: Any = None, pin_memory: bool = False,
                requires_grad: bool = False) -> Tensor:
    """The Hann window w[n] = ½ − ½ cos(2πn/N) = sin²(πn/N) (``torch.hann_window``).

    Example:
        >>> import chainrule
        >>> chainrule.hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return _window("hann_window", window_length, periodic, _cosine_sum(0.5, 0.5), dtype,
                   layout, device, pin_memory, requires_grad)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype: Any = None, layout: Any = None,
                   device: Any = None, pin_memory: bool = False,
                   requires_grad: bool = False) -> Tensor:
    """The Hamming window w[n] = α − β cos(2πn/N) (``torch.hamming_window``)."""
    return _window("hamming_window", window_length, periodic, _cosine_sum(alpha, beta), dtype,
                   layout, device, pin_memory, requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None, pin_memory: bool = False,
                    requires_grad: bool = False) -> Tensor:
    """The Blackman window w[n] = 0.42 − 0.5 cos(2πn/N) + 0.08 cos(4πn/N)
    (``torch.blackman_window``)."""
    return _window("blackman_window", window_length, periodic, _cosine_sum(0.42, 0.5, 0.08),
                   dtype, layout, device, pin_memory, requires_grad)


def _triangle(n: np.ndarray, size: float) -> np.ndarray:
    return 1 - np.abs(2 * n / size - 1)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None, pin_memory: bool = False,
                    requires_grad: bool = False) -> Tensor:
    """The Bartlett (triangular) window w[n] = 1 − |2n/N − 1| (``torch.bartlett_window``)."""
    return _window("bartlett_window", window_length, periodic, _triangle, dtype, layout,
                   device, pin_memory, requires_grad)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype: Any = None, layout: Any = None, device: Any = None,
                  pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """The Kaiser window w[n] = I₀(β·√(1 − ((n − N/2)/(N/2))²)) / I₀(β), with I₀ the modified
    Bessel function of order 0 (``torch.kaiser_window``)."""
    def shape(n: np.ndarray, size: float) -> np.ndarray:
        ratio = (n - size / 2) / (size / 2)
        return np.i0(beta * np.sqrt(np.maximum(1 - ratio * ratio, 0.0))) / np.i0(beta)

    return _window("kaiser_window", window_length, periodic, shape, dtype, layout, device,
                   pin_memory, requires_grad)


__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window",
           "kaiser_window"]

"""``cross_map_lrn2d``, the function behind ``nn.CrossMapLRN2d`` (PyTorch has no functional
form of it): local response normalisation across the channels of (N, C, H, W) input, with
PyTorch's window, which is not ``local_response_norm``'s.

A composite (square, a channel-window sum written as a product with a 0/1 matrix, power,
product), so its gradient needs no code of its own.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def channel_window(channels: int, size: int) -> np.ndarray:
    """The (C, C) 0/1 matrix M with M[c, j] = 1 when channel j is in channel c's window.

    PyTorch's window: the channels within r = ⌊(size − 1)/2⌋ of c (so an even size sums
    size − 1 channels, where ``local_response_norm`` sums size), and also channel 0 for every
    c ≥ r + 1.
    NOTE: that last part is a quirk of PyTorch's running sum (it never subtracts channel 0),
    kept so that values match PyTorch's.
    """
    reach = (size - 1) // 2
    c, j = np.indices((channels, channels))
    window = np.abs(c - j) <= reach
    window[reach + 1:, 0] = True
    return window


def cross_map_lrn2d(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                    k: float = 1.0) -> Tensor:
    """b[n, c] = a[n, c] · (k + α/size · Σ_{j ∈ window(c)} a[n, j]²)^(−β), PyTorch's
    ``CrossMapLRN2d`` (its window: ``channel_window``).

    Args:
        input: (N, C, H, W).
        size: the window's nominal width (≥ 1).
        alpha, beta, k: the formula's constants.

    Example:
        >>> import chainrule
        >>> y = cross_map_lrn2d(chainrule.ones(1, 2, 1, 1), 3, alpha=3.0, beta=1.0, k=0.0)
        >>> y.flatten().tolist()
        [0.5, 0.5]
    """
    if input.ndim != 4:
        raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead "
                         f"(shape {tuple(input.shape)})")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"CrossMapLRN2d: size must be a positive int, got {size!r}")
    window = channel_window(input.shape[1], size).T.astype(input.dtype)
    squares = (input * input).permute(0, 2, 3, 1)  # (N, H, W, C)
    sums = (squares @ Tensor._const(window)).permute(0, 3, 1, 2)
    return input * (sums * (alpha / size) + k).pow(-beta)


__all__ = ["channel_window", "cross_map_lrn2d"]

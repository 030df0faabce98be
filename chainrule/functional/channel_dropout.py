"""Channel-wise dropout: zero whole feature maps (channels) rather than single elements.

Each channel of each sample is kept with probability 1 − p and scaled by 1/(1 − p), so the
expected value is unchanged; one draw per channel, from the package generator (or the
``generator`` given), as ``dropout`` does.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..methods.inplace import inplace as write_over
from ..random import resolve
from ..tensor import Tensor


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              *, generator: Any = None) -> Tensor:
    """Zero each channel (a 1-D feature map x[n, c, :]) with probability ``p`` and scale the
    kept ones by 1/(1 − p); the identity when not ``training``.

    Args:
        input: (N, C, L) or unbatched (C, L).
        p: probability of zeroing a channel, in [0, 1].
        training: apply dropout; otherwise return ``input`` unchanged.
        inplace: write the result over ``input`` and return ``input``.
        generator: random generator for the mask (default: package generator).

    Shape:
        input: (N, C, L) or (C, L)  ->  output: the same shape

    Example:
        >>> import chainrule
        >>> y = dropout1d(chainrule.ones(4, 100, 3), 0.5)
        >>> bool(((y == 0).all(-1) | (y == 2).all(-1)).all())
        True
    """
    _check_p(p)
    if input.ndim not in (2, 3):
        raise ValueError(f"dropout1d expects a 2-D (C, L) or 3-D (N, C, L) input, got shape "
                         f"{tuple(input.shape)}; for (N, C, H, W) images use dropout2d")
    return _channel_dropout(input, p, training, input.ndim - 1, generator, inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              *, generator: Any = None) -> Tensor:
    """Zero each channel (a 2-D feature map x[n, c, :, :]) with probability ``p`` and scale
    the kept ones by 1/(1 − p); the identity when not ``training``.

    NOTE: as in PyTorch (issue 77081), a 3-D input is read as (N, C, L), not as an unbatched
    (C, H, W) image, and a warning says so; use ``dropout1d`` for that layout.

    Args:
        input: (N, C, H, W), or (N, C, L) (see the note).
        p: probability of zeroing a channel, in [0, 1].
        training: apply dropout; otherwise return ``input`` unchanged.
        inplace: write the result over ``input`` and return ``input``.
        generator: random generator for the mask (default: package generator).

    Shape:
        input: (N, C, H, W)  ->  output: the same shape

    Example:
        >>> import chainrule
        >>> y = dropout2d(chainrule.ones(8, 16, 2, 2), 0.5)
        >>> bool(((y == 0).all((2, 3)) | (y == 2).all((2, 3))).all())
        True
    """
    _check_p(p)
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d expects a 4-D (N, C, H, W) input (or a 3-D one, read as "
                         f"(N, C, L)), got shape {tuple(input.shape)}")
    if input.ndim == 3:
        warnings.warn("dropout2d: received a 3-D input; as in PyTorch it is read as (N, C, L) "
                      "and channels x[n, c, :] are dropped. Use dropout1d for this layout.",
                      UserWarning, stacklevel=2)
    return _channel_dropout(input, p, training, 2, generator, inplace)


def _channel_dropout(x: Tensor, p: float, training: bool, lead: int, generator: Any,
                     inplace: bool = False) -> Tensor:
    """x times a mask of shape x.shape[:lead] + (1, …): one keep/drop draw per channel
    (written over x with ``inplace``)."""
    if not training or p == 0.0:
        return x
    if inplace:
        return write_over(x, "channel dropout(inplace=True)",
                          lambda t: _channel_dropout(t, p, True, lead, generator))
    if p == 1.0:
        return x * 0.0
    mask_shape = tuple(x.shape[:lead]) + (1,) * (x.ndim - lead)
    keep = resolve(generator).random(mask_shape, dtype=np.float32) >= p
    return x * Tensor._const(keep.astype(x.dtype) * (1.0 / (1.0 - p)))


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, got {p}")

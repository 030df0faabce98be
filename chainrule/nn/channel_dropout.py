"""Channel dropout layers: ``Dropout1d`` and ``Dropout2d`` zero whole channels in training."""

from __future__ import annotations

from typing import Any

from ..functional.channel_dropout import dropout1d, dropout2d
from ..tensor import Tensor
from .module import Module


class _ChannelDropout(Module):
    """What Dropout1d and Dropout2d share: the probability, the flag, the generator."""

    def __init__(self, p: float = 0.5, inplace: bool = False, generator: Any = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, got {p}")
        self.p, self.inplace, self.generator = p, inplace, generator

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_ChannelDropout):
    """Zero each channel x[n, c, :] with probability ``p`` while training and scale the kept
    channels by 1/(1 − p); in eval mode the input passes unchanged.

    Args:
        p: probability of zeroing a channel, in [0, 1].
        inplace: write the result over the input and return the input, as PyTorch does.
        generator: random generator for the masks (default: package generator).

    Shape:
        x: (N, C, L) or (C, L)  ->  y: the same shape

    Example:
        >>> import chainrule
        >>> layer = chainrule.nn.Dropout1d(0.2).eval()
        >>> x = chainrule.randn(2, 3, 4)
        >>> layer(x) is x
        True
    """

    def forward(self, x: Tensor) -> Tensor:
        return dropout1d(x, self.p, self.training, self.inplace, generator=self.generator)


class Dropout2d(_ChannelDropout):
    """Zero each channel x[n, c, :, :] with probability ``p`` while training and scale the
    kept channels by 1/(1 − p); in eval mode the input passes unchanged.

    NOTE: as in PyTorch, a 3-D input is read as (N, C, L) (with a warning), not as an
    unbatched image; see ``chainrule.functional.dropout2d``.

    Args:
        p: probability of zeroing a channel, in [0, 1].
        inplace: write the result over the input and return the input, as PyTorch does.
        generator: random generator for the masks (default: package generator).

    Shape:
        x: (N, C, H, W)  ->  y: the same shape

    Example:
        >>> import chainrule
        >>> chainrule.nn.Dropout2d(0.3)
        Dropout2d(p=0.3, inplace=False)
    """

    def forward(self, x: Tensor) -> Tensor:
        return dropout2d(x, self.p, self.training, self.inplace, generator=self.generator)

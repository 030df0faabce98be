"""``ChannelShuffle``: interleave the channels of ``groups`` groups (ShuffleNet)."""

from __future__ import annotations

from ..functional.shuffle import channel_shuffle
from ..tensor import Tensor
from .module import Module


class ChannelShuffle(Module):
    """Split the channels into ``groups`` groups and interleave them; see
    ``chainrule.functional.channel_shuffle``. No parameters.

    Args:
        groups: a positive divisor of the number of channels.

    Shape: (N, C, *) -> the same shape.

    Example:
        >>> import chainrule
        >>> chainrule.nn.ChannelShuffle(2)
        ChannelShuffle(groups=2)
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"

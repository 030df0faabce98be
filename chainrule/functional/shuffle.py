"""``channel_shuffle``: interleave the channels of ``groups`` groups (ShuffleNet)."""

from __future__ import annotations

import numbers

from ..tensor import Tensor


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Split the C channels into ``groups`` groups of C/groups and interleave them: output
    channel i·groups + g is input channel g·(C/groups) + i. A reshape to
    (N, groups, C/groups, *), a transpose of those two dims and a reshape back, so the gradient
    is the inverse permutation.

    Args:
        input: (N, C, *) with at least 3 dims.
        groups: a positive divisor of C.

    Shape: (N, C, *) -> the same shape.

    Example:
        >>> import chainrule
        >>> channel_shuffle(chainrule.arange(6.0).reshape(1, 6, 1), 2).flatten().tolist()
        [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    """
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups <= 0:
        raise ValueError(f"channel_shuffle: the number of groups must be a positive int, got "
                         f"{groups!r}")
    if input.ndim <= 2:
        raise ValueError(f"channel_shuffle expects an input of more than 2 dims (N, C, *), got "
                         f"shape {tuple(input.shape)}")
    n, c, rest = input.shape[0], input.shape[1], tuple(input.shape[2:])
    if c % groups:
        raise ValueError(f"channel_shuffle: the number of channels ({c}) must be divisible by "
                         f"groups ({groups})")
    grouped = input.reshape(n, groups, c // groups, *rest)
    return grouped.transpose(1, 2).reshape(n, c, *rest)

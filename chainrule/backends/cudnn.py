"""``torch.backends.cudnn``: flags a script may set (``cudnn.benchmark = True``), which change
nothing, since chainrule computes on the CPU without cuDNN.

Attributes:
    enabled: True, as in PyTorch (it would use cuDNN if it were there).
    benchmark: False until a script sets it.
    deterministic: False until a script sets it; chainrule's results are deterministic for
        a given seed either way.
"""

from __future__ import annotations

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: chainrule does not use cuDNN."""
    return False


def version() -> None:
    """None, as PyTorch answers without cuDNN."""
    return None

"""``torch.accelerator``, answered as PyTorch answers on a machine without an accelerator.

A script written in the newer style,
``device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else
torch.device('cpu')``, therefore runs on the CPU.
"""

from __future__ import annotations

from typing import Any


def is_available() -> bool:
    """False: chainrule computes on the CPU, which is not an accelerator."""
    return False


def current_accelerator(check_available: bool = False) -> Any:
    """None: there is no accelerator."""
    return None


def device_count() -> int:
    """0: there is no accelerator."""
    return 0


__all__ = ["current_accelerator", "device_count", "is_available"]

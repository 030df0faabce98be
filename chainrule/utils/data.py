"""``chainrule.utils.data``: the names of ``chainrule.data`` under PyTorch's path, so that
``from chainrule.utils.data import DataLoader`` works as ``from torch.utils.data import ...``.
The list of names is ``chainrule.data.__all__``, kept in one place.
"""

from __future__ import annotations

from typing import Any

from .. import data as _data
from ..data import __all__


# Each name is chainrule.data's own, read through it: chainrule.data loads its parts on first
# use (chainrule.lazy), and so does this alias.
def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(_data, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

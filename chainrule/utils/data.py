"""``chainrule.utils.data``: the names of ``chainrule.data`` under PyTorch's path, so that
``from chainrule.utils.data import DataLoader`` works as ``from torch.utils.data import ...``.
The list of names is ``chainrule.data.__all__``, kept in one place.
"""

from __future__ import annotations

from .. import data as _data
from ..data import __all__

# Every name but ``datasets``, which ``chainrule.data`` loads on first use, as here.
globals().update({name: getattr(_data, name) for name in __all__ if name != "datasets"})


def __getattr__(name: str):
    if name == "datasets":
        return _data.datasets
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

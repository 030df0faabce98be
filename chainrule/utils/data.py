"""``chainrule.utils.data``: the names of ``chainrule.data`` under PyTorch's path, so that
``from chainrule.utils.data import DataLoader`` works as ``from torch.utils.data import ...``.
The list of names is ``chainrule.data.__all__``, kept in one place.
"""

from __future__ import annotations

from ..data import *  # noqa: F403
from ..data import __all__  # noqa: F401

"""Neural-network building blocks: ``Module``, layers, containers, initialisation and utilities.

``chainrule.nn.functional`` is ``chainrule.functional`` itself (the same module object), so
``import chainrule.nn.functional as F`` works as in PyTorch.
"""

from __future__ import annotations

import sys

from .. import functional
from . import init, utils
from .container import ModuleDict, ModuleList, Sequential
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten, Unflatten
from .linear import Identity, Linear
from .module import Module
from .parameter import Parameter

sys.modules[__name__ + ".functional"] = functional

__all__ = [
    "Dropout", "Embedding", "Flatten", "Identity", "Linear", "Module", "ModuleDict",
    "ModuleList", "Parameter", "Sequential", "Unflatten", "functional", "init", "utils",
]

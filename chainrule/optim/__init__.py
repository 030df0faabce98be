"""Optimizers and learning-rate schedules, with PyTorch's names, defaults and update rules.

Each optimizer is an ``Optimizer`` subclass whose ``update`` method applies its rule (written
out in the class docstring) to one parameter, in place on ``p.data``; the schedules live in
``chainrule.optim.lr_scheduler``.

Example:
    >>> import chainrule
    >>> import chainrule.optim as optim
    >>> w = chainrule.tensor([3.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.25)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> w
    tensor([0.3750], requires_grad=True)
"""

from __future__ import annotations

from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer, flush_subnormals
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "flush_subnormals",
    "lr_scheduler",
    "ASGD", "Adadelta", "Adamax", "LBFGS", "NAdam", "RAdam",
]


def __getattr__(name: str):
    """``lr_scheduler`` (the schedules, several modules) loads on first use (PEP 562)."""
    if name == "lr_scheduler":
        import importlib

        return importlib.import_module(f"{__name__}.lr_scheduler")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"lr_scheduler"})

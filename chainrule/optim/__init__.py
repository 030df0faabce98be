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

from ..lazy import lazy_names

# Each optimizer loads when first named, as do the schedules (``lr_scheduler``, several
# modules); see chainrule.lazy.
__getattr__, __dir__ = lazy_names(__name__, globals(), {
    ".adadelta": "Adadelta",
    ".adafactor": "Adafactor",
    ".adagrad": "Adagrad",
    ".adam": "Adam AdamW",
    ".adamax": "Adamax",
    ".asgd": "ASGD",
    ".lbfgs": "LBFGS",
    ".muon": "Muon",
    ".nadam": "NAdam",
    ".optimizer": "Optimizer flush_subnormals",
    ".radam": "RAdam",
    ".rmsprop": "RMSprop",
    ".rprop": "Rprop",
    ".sgd": "SGD",
}, submodules=("lr_scheduler",))

__all__ = [
    "SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "flush_subnormals",
    "lr_scheduler",
    "ASGD", "Adadelta", "Adamax", "LBFGS", "NAdam", "RAdam",
]

__all__ += ["Rprop", "Adafactor"]
__all__ += ["Muon"]

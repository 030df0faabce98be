"""``nn.Sequential``'s fast path: a ``Linear`` layer directly followed by a ``ReLU`` runs as
one graph node, ``ops.linalg.LinearReLU`` (through ``functional.basic.linear_relu``), instead
of two.

It computes the same operations in the same order (the product, the bias, then max(·, 0),
written over the product in place), so outputs and gradients are the same bits as the two
modules called one after the other, which is the reference (``Sequential``'s plain loop). What
it saves is one module call, one graph node with its Context, one pass that allocates an
array, and one step of the backward engine: measured in ``python -m benchmarks --fast-paths``,
figures in benchmarks/README.md.

A pair is fused only when nothing could tell the difference: both modules are exactly
``Linear`` and ``ReLU`` (not subclasses), neither has its ``forward`` replaced on the
instance, and no hook is registered anywhere (``Module.__call__`` would run it). Switch:
``chainrule.kernels.use_fast(False, "fuse_linear_relu")`` (or ``CHAINRULE_KERNELS=reference``)
runs every Sequential through its plain loop.
"""

from __future__ import annotations

from typing import Any

from ..functional.basic import linear_relu
from ..kernels.switch import FAST
from .activation import ReLU
from .linear import Linear
from .module import Module

NAME = "fuse_linear_relu"  # its switch, registered in kernels/switch.py


def enabled() -> bool:
    return FAST[NAME]


def run(modules: list[Module], x: Any) -> Any:
    """``x`` through ``modules`` in order, each fusible (Linear, ReLU) pair as one call."""
    i, count = 0, len(modules)
    while i < count:
        module = modules[i]
        if i + 1 < count and fusible(module, modules[i + 1]):
            x = linear_relu(x, *module.checked_parameters(x))
            i += 2
        else:
            x = module(x)
            i += 1
    return x


def fusible(first: Module, second: Module) -> bool:
    """Whether ``first`` then ``second`` is a Linear and a ReLU that may run as one node."""
    return (type(first) is Linear and type(second) is ReLU
            and "forward" not in first.__dict__ and "forward" not in second.__dict__)

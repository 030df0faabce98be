"""``nn.Sequential``'s fast path: a ``Linear`` or ``Conv2d`` layer directly followed by a
``ReLU`` runs as one graph node, ``ops.linalg.LinearReLU`` or ``ops.conv.Conv2dReLU`` (through
``functional.basic.linear_relu`` and ``functional.conv.conv2d_relu``), instead of two.

It computes the same operations in the same order (the layer's output, then max(·, 0) written
over it in place), so outputs and gradients are the same bits as the two modules called one
after the other, which is the reference (``Sequential``'s plain loop). What it saves is one
module call, one graph node with its Context, one pass that allocates an array (for a
convolution, an array the size of its output), and one step of the backward engine: measured
in ``python -m benchmarks --fast-paths``, figures in benchmarks/README.md.

A pair is fused only when nothing could tell the difference: the modules are exactly
``Linear`` or ``Conv2d``, and ``ReLU`` (not subclasses), neither has its ``forward`` replaced
on the instance, and no hook is registered anywhere (``Module.__call__`` would run it). Switch:
``chainrule.kernels.use_fast(False, "fuse_relu")`` (or ``CHAINRULE_KERNELS=reference``)
runs every Sequential through its plain loop.
"""

from __future__ import annotations

from typing import Any

from ..functional.basic import linear_relu
from ..functional.conv import conv2d_relu
from ..kernels.switch import FAST
from .activation import ReLU
from .conv import Conv2d
from .linear import Linear
from .module import Module

NAME = "fuse_relu"  # its switch, registered in kernels/switch.py


def enabled() -> bool:
    return FAST[NAME]


def run(modules: list[Module], x: Any) -> Any:
    """``x`` through ``modules`` in order, each fusible (Linear, ReLU) pair as one call."""
    i, count = 0, len(modules)
    while i < count:
        module = modules[i]
        if i + 1 < count and fusible(module, modules[i + 1]):
            if type(module) is Linear:
                x = linear_relu(x, *module.checked_parameters(x))
            else:
                x = conv2d_relu(*module.arguments(x))
            i += 2
        else:
            x = module(x)
            i += 1
    return x


def fusible(first: Module, second: Module) -> bool:
    """Whether ``first`` then ``second`` is a Linear or Conv2d and a ReLU that may run as one
    node."""
    return (type(second) is ReLU and type(first) in FUSED_LAYERS
            and "forward" not in first.__dict__ and "forward" not in second.__dict__)


FUSED_LAYERS = (Linear, Conv2d)

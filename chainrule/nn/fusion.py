"""``nn.Sequential``'s fast path: a ``Linear``, ``Conv2d`` or batch norm layer directly
followed by a ``ReLU`` runs as one graph node (``ops.linalg.LinearReLU``,
``ops.conv.Conv2dReLU``, ``ops.norm.BatchNormReLU``, through ``functional.basic.linear_relu``,
``functional.conv.conv2d_relu`` and ``functional.norm.batch_norm_relu``) instead of two.

It computes the same operations in the same order (the layer's output, then max(·, 0) written
over it in place), so outputs and gradients are the same bits as the two modules called one
after the other, which is the reference (``Sequential``'s plain loop). What it saves is one
module call, one graph node with its Context, one pass that allocates an array the size of the
layer's output, and one step of the backward engine: measured in
``python -m benchmarks --fast-paths``, figures in benchmarks/README.md.

Without grad mode (``no_grad``, ``inference_mode``, evaluation) nothing is recorded, and
``unrecorded`` goes further along runs of ``Linear`` and ``ReLU`` layers: it hands the arrays
from layer to layer bare and makes one Tensor at the end, running the same array functions
as those layers' own no-grad paths.

A pair is fused only when nothing could tell the difference: the layer is exactly one of
``FUSED``'s classes and the activation exactly ``ReLU`` (not subclasses), neither has its
``forward`` replaced on the instance, ``Module.__call__`` is not replaced (a tracer that
records every module call sees them all), and calling either would run no hook (``plain``: no
hook registered anywhere, or else none of the two modules' own and no global one). Switch:
``chainrule.kernels.use_fast(False, "fuse_relu")`` (or ``CHAINRULE_KERNELS=reference``) runs
every Sequential through its plain loop.
"""

from __future__ import annotations

from typing import Any, Callable

from ..functional.basic import check_linear, linear_relu
from ..functional.conv import conv2d_relu
from ..functional.norm import batch_norm_relu
from ..grad_mode import is_grad_enabled
from ..kernels import relu
from ..kernels.switch import FAST
from ..ops.linalg import affine, affine_relu
from ..tensor import Tensor
from .activation import ReLU
from .conv import Conv2d
from .hooks import LIVE, hook_free
from .linear import Linear
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d

NAME = "fuse_relu"  # its switch, registered in kernels/switch.py


def enabled() -> bool:
    return FAST[NAME]


def run(modules: list[Module], x: Any) -> Any:
    """``x`` through ``modules`` in order, each fusible (layer, ReLU) pair as one call: the
    layer's ``_forward_arguments`` (its own checks, and for batch norm the batch count), then
    the fused function. Without grad mode, ``unrecorded`` instead."""
    if isinstance(x, Tensor) and not is_grad_enabled():
        return unrecorded(modules, x)
    i, count = 0, len(modules)
    while i < count:
        module = modules[i]
        if i + 1 < count and fusible(module, modules[i + 1]):
            x = FUSED[type(module)](*module._forward_arguments(x))
            i += 2
        else:
            x = module(x)
            i += 1
    return x


def unrecorded(modules: list[Module], x: Tensor) -> Tensor:
    """``run`` when nothing is recorded (no grad mode): along ``Linear`` and ``ReLU`` layers
    the arrays are handed on bare, and a Tensor is made only at the end or for another kind
    of layer. Each step is what those layers' no-grad paths run (``F.linear``: the layer's
    and the function's checks, then ``affine``; ``F.relu``: ``kernels.relu``; a pair:
    ``affine_relu``), so the same errors and the same bits, without a Tensor and a grad-mode
    test per layer."""
    array, tensor = x.data, x  # tensor: the Tensor holding ``array``, or None
    i, count = 0, len(modules)
    while i < count:
        module = modules[i]
        kind = type(module) if plain(module) else None
        if kind is Linear:
            _, weight, bias = module._forward_arguments(array)
            if isinstance(weight, Tensor) and (bias is None or isinstance(bias, Tensor)):
                check_linear(array, weight)
                b = None if bias is None else bias.data
                following = modules[i + 1] if i + 1 < count else None
                if type(following) is ReLU and plain(following):
                    array, i, tensor = affine_relu(array, weight.data, b), i + 2, None
                else:
                    array, i, tensor = affine(array, weight.data, b), i + 1, None
                continue
        elif kind is ReLU and array.dtype.kind != "b":
            array, i, tensor = relu(array), i + 1, None
            continue
        out = module(Tensor._const(array) if tensor is None else tensor)
        if not isinstance(out, Tensor):  # not a tensor for the next layer: plain calls
            return run(modules[i + 1:], out)
        array, tensor, i = out.data, out, i + 1
    return Tensor._const(array) if tensor is None else tensor


def fusible(first: Module, second: Module) -> bool:
    """Whether ``first`` then ``second`` is one of ``FUSED``'s layers and a ReLU that may run
    as one node."""
    return type(second) is ReLU and type(first) in FUSED and plain(first) and plain(second)


def plain(module: Module) -> bool:
    """Whether calling ``module`` is its class's ``forward`` and nothing else: ``__call__`` is
    ``Module.__call__`` as defined (not replaced, as the ONNX exporter's tracer replaces it
    to record every call), no ``forward`` set on the instance, and no hook of its own or
    global (asked only when some hook is registered somewhere, ``LIVE``)."""
    return (type(module).__call__ is MODULE_CALL and "forward" not in module.__dict__
            and (not LIVE[0] or hook_free(module)))


MODULE_CALL = Module.__call__


# layer class -> the functional form of its forward followed by ReLU, as one node
FUSED: dict[type, Callable[..., Any]] = {
    Linear: linear_relu, Conv2d: conv2d_relu,
    BatchNorm1d: batch_norm_relu, BatchNorm2d: batch_norm_relu, BatchNorm3d: batch_norm_relu,
}

"""Lazy layers: ``LazyLinear`` infers ``in_features`` from its first input, and the
``UninitializedParameter`` it holds until then.

A lazy layer's parameters exist from construction (so an optimizer may be built before the
first forward, as in PyTorch) but have no shape: the first forward *materialises* them in place
(the same Parameter objects get their arrays and become plain ``Parameter``s), initialises them
as the eager layer would, and turns the layer into that eager layer (``LazyLinear`` becomes
``Linear``). Loading a ``state_dict`` into a layer that has not run yet materialises the
parameters it holds with the checkpoint's shapes (checked against ``out_features``) and, once
all are there, turns the layer into the eager one; a parameter the checkpoint lacks
(``strict=False``) stays uninitialised until the first forward draws it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import empty
from ..device import require_cpu
from ..tensor import Tensor
from .linear import Linear
from .module import Module
from .parameter import Parameter


def _no_shape(param: Tensor) -> Any:
    raise RuntimeError("this UninitializedParameter has no shape yet: a lazy layer's parameters "
                       "are materialised by its first forward pass. Run the model once on a "
                       "sample batch before reading shapes or loading a state_dict")


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (PyTorch's ``nn.UninitializedParameter``).

    It has a dtype and ``requires_grad`` but no shape or values; ``materialize(shape)`` gives it
    an (uninitialised) array of that shape in place and makes it a plain ``Parameter``, so every
    holder of the object (a module, an optimizer) sees the materialised parameter.

    Args:
        requires_grad: whether optimizers should train it.
        device: the CPU (another device raises ``DeviceError``).
        dtype: the dtype it will have (float32 by default).

    Example:
        >>> import chainrule
        >>> p = chainrule.nn.UninitializedParameter()
        >>> p.materialize((2, 3))
        >>> type(p).__name__, p.shape
        ('Parameter', (2, 3))
    """

    __slots__ = ()
    shape = property(_no_shape)
    ndim = property(_no_shape)

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        require_cpu(device, "UninitializedParameter")
        super().__init__(empty(0, dtype=dtype), requires_grad)

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give this parameter an uninitialised array of ``shape`` (and ``dtype``, by default
        the one it was made with), in place; it becomes a plain ``Parameter``."""
        require_cpu(device, "UninitializedParameter.materialize")
        shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(map(int, shape))
        self.data = np.empty(shape, dtype=self.data.dtype if dtype is None else
                             empty(0, dtype=dtype).dtype)
        self.__class__ = Parameter

    def __repr__(self) -> str:
        return "<UninitializedParameter>"


class LazyLinear(Module):
    """``Linear`` whose ``in_features`` is taken from the last dim of its first input.

    Until the first forward the weight and bias are ``UninitializedParameter``s and
    ``in_features`` is 0; the first forward materialises them ((out_features, in_features) and
    (out_features,)), draws them as ``Linear`` does (U(−1/√in_features, 1/√in_features)) and
    turns this layer into a ``Linear``.

    Args:
        out_features: size of each output row.
        bias: if False, the layer has no additive bias.
        device: the CPU (another device raises ``DeviceError``), as a string or a device.
        dtype: parameter dtype (float32 by default).

    Shape:
        x: (*, in_features)  ->  y: (*, out_features)

    Example:
        >>> import chainrule
        >>> layer = chainrule.nn.LazyLinear(3)
        >>> layer(chainrule.randn(2, 5)).shape, layer
        ((2, 3), Linear(in_features=5, out_features=3, bias=True))
    """

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        require_cpu(device, "LazyLinear")
        self.in_features, self.out_features = 0, out_features
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 0:
            raise ValueError(f"{self!r} expects inputs of shape (*, in_features), got a 0-D "
                             "tensor")
        loaded = {name: p.data.copy() for name, p in self._parameters.items()
                  if p is not None and not isinstance(p, UninitializedParameter)}
        in_features = loaded["weight"].shape[1] if "weight" in loaded else int(x.shape[-1])
        self._materialize_loaded({"weight": (self.out_features, in_features),
                                  "bias": (self.out_features,)}, become_linear=True)
        self.reset_parameters()  # as Linear draws; parameters loaded before keep their values
        for name, values in loaded.items():
            self._parameters[name].data[...] = values
        return self(x)

    def _lazy_shapes(self, state_dict: Any, prefix: str) -> tuple[dict, list]:
        """For ``Module.load_state_dict``: ({parameter name: shape} of the still-uninitialised
        parameters the checkpoint holds, problems with their shapes)."""
        shapes, problems = {}, []
        for name, param in self._parameters.items():
            key = prefix + name
            if not isinstance(param, UninitializedParameter) or key not in state_dict:
                continue
            shape = tuple(np.shape(getattr(state_dict[key], "data", state_dict[key])))
            rank, want = (1, f"({self.out_features},)") if name == "bias" else \
                (2, f"({self.out_features}, in_features)")
            if len(shape) != rank or shape[0] != self.out_features:
                problems.append(f"size mismatch for {key}: checkpoint has shape {shape}, "
                                f"LazyLinear(out_features={self.out_features}) needs {want}")
            shapes[name] = shape
        return shapes, problems

    def _materialize_loaded(self, shapes: dict, become_linear: bool = False) -> None:
        """Materialise the uninitialised parameters named in ``shapes``; once none is left (or
        when ``become_linear``), set ``in_features`` from the weight and become ``Linear``."""
        for name, shape in shapes.items():
            param = self._parameters.get(name)
            if isinstance(param, UninitializedParameter):
                param.materialize(shape)
        params = [p for p in self._parameters.values() if p is not None]
        if become_linear or not any(isinstance(p, UninitializedParameter) for p in params):
            self.in_features = int(self.weight.shape[1])
            self.__class__ = Linear

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


# The eager layer's own reset, so that a materialised layer draws exactly as Linear does.
LazyLinear.reset_parameters = Linear.reset_parameters  # type: ignore[attr-defined]

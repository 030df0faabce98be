"""Lazy layers: what they share (``LazyModuleMixin``), ``LazyLinear``, and the
``UninitializedParameter`` and ``UninitializedBuffer`` they hold until their first forward
(the lazy convolutions and norms are in ``lazy_layers``).

A lazy layer's tensors exist from construction (so an optimizer may be built before the first
forward, as in PyTorch) but have no shape: the first forward takes one size from its input
(``in_features``, ``in_channels``, ``num_features``), *materialises* them in place (the same
objects get their arrays and become a plain ``Parameter`` or buffer), initialises them as the
eager layer would, in its draw order, and turns the layer into that eager layer
(``LazyLinear`` becomes ``Linear``). Loading a ``state_dict`` into a layer that has not run
yet materialises the tensors it holds with the checkpoint's shapes (checked against the
layer's other arguments and against each other: every problem is named before anything
changes) and, once none is left, turns the layer into the eager one; a tensor the checkpoint
lacks (``strict=False``) stays uninitialised until the first forward initialises it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import empty
from ..device import require_cpu
from ..tensor import Tensor
from .linear import Linear
from .module import Module
from .parameter import Buffer, Parameter


def _no_shape(tensor: Tensor) -> Any:
    raise RuntimeError(f"this {type(tensor).__name__} has no shape yet: a lazy layer's "
                       "parameters and buffers are materialised by its first forward pass. "
                       "Run the model once on a sample batch before reading shapes")


class _Uninitialized:
    """What ``UninitializedParameter`` and ``UninitializedBuffer`` share: no shape, and
    ``materialize``, which turns the object into ``_becomes`` in place."""

    __slots__ = ()
    _becomes: type = Tensor
    shape = property(_no_shape)
    ndim = property(_no_shape)

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give this tensor an uninitialised array of ``shape`` (and ``dtype``, by default
        the one it was made with), in place; it becomes a plain ``Parameter`` (a buffer)."""
        require_cpu(device, f"{type(self).__name__}.materialize")
        shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(map(int, shape))
        self.data = np.empty(shape, dtype=self.data.dtype if dtype is None else
                             empty(0, dtype=dtype).dtype)
        self.__class__ = self._becomes

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
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
    _becomes = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        require_cpu(device, "UninitializedParameter")
        super().__init__(empty(0, dtype=dtype), requires_grad)


class UninitializedBuffer(_Uninitialized, Buffer):
    """A buffer whose shape is not known yet (PyTorch's ``nn.UninitializedBuffer``): a lazy
    norm's ``running_mean`` and ``running_var`` before its first forward.

    Assigned as a module attribute it is registered as a buffer (``persistent`` says whether
    ``state_dict`` saves it); ``materialize(shape)`` gives it an (uninitialised) array of that
    shape in place and makes it a plain ``Buffer`` (PyTorch's becomes a ``Tensor`` that still
    passes ``isinstance(x, nn.Buffer)``).

    Args:
        requires_grad: whether it records gradients (False by default).
        device: the CPU (another device raises ``DeviceError``).
        dtype: the dtype it will have (float32 by default).
        persistent: whether ``state_dict`` saves it.

    Example:
        >>> import chainrule
        >>> b = chainrule.nn.UninitializedBuffer()
        >>> b.materialize(3)
        >>> type(b).__name__, b.shape
        ('Buffer', (3,))
    """

    __slots__ = ()
    _becomes = Buffer

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None,
                 persistent: bool = True) -> None:
        require_cpu(device, "UninitializedBuffer")
        super().__init__(empty(0, dtype=dtype), persistent=persistent)
        if requires_grad:
            self.requires_grad_(True)


class LazyModuleMixin:
    """What every lazy layer shares (PyTorch's ``nn.modules.lazy.LazyModuleMixin``): the first
    forward, materialisation from a ``state_dict`` (``Module.load_state_dict`` calls
    ``_lazy_shapes`` and ``_materialize_loaded``), and the change into ``cls_to_become``.

    A lazy layer derives from this mixin and from its eager layer's class (``LazyLinear(
    LazyModuleMixin, Linear)``), whose ``__init__`` it runs with the inferred size 0, then
    replaces the tensors that depend on that size by uninitialised ones. It says:

    * ``cls_to_become``: the eager layer it turns into;
    * ``_inferred``: the attribute the first input sets (``"in_features"``);
    * ``_templates()``: {tensor name: shape} of its tensors that wait for the size, where the
      entry that depends on it is a string (``(out_features, "in_features")``); one unit of
      that entry stands for ``_scale`` of the size (a grouped convolution's ``groups``);
    * ``_inferred_from(input)``: the size a first input gives (``ValueError`` for an input the
      layer cannot take), and ``_label()``: how messages name the layer.
    """

    cls_to_become: type = Module
    _inferred = "in_features"
    _scale = 1

    def _templates(self) -> dict[str, tuple]:
        raise NotImplementedError

    def _inferred_from(self, input: Tensor) -> int:
        raise NotImplementedError

    def _label(self) -> str:
        return type(self).__name__

    def _size_problem(self, size: int) -> str | None:
        """Why ``size`` cannot be the inferred size (None if it can)."""
        return None

    def _reset(self) -> None:
        """Initialise the materialised tensors as the eager layer does, in its draw order."""
        self.cls_to_become.reset_parameters(self)

    def reset_parameters(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to draw before the first forward (the eager layer's ``__init__`` calls this
        while the sizes are 0); the first forward initialises the tensors."""

    def has_uninitialized_params(self) -> bool:
        """Whether some parameter or buffer is still uninitialised."""
        return any(isinstance(t, _Uninitialized) for t in self._own_tensors().values())

    def forward(self, input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        """The first forward: take the size from ``input``, materialise and initialise,
        become ``cls_to_become``, and run its forward."""
        self._materialize(self._size_of(input))
        return self.forward(input, *args, **kwargs)  # now the eager layer's forward

    def _size_of(self, input: Tensor) -> int:
        """The size ``input`` gives, checked against the tensors loaded before and the
        layer's arguments (``ValueError`` naming both, before anything changes)."""
        size = self._inferred_from(input)
        known, source = self._known_size()
        if known is not None and known != size:
            raise ValueError(f"{self._label()}: the input's shape {tuple(input.shape)} gives "
                             f"{self._inferred}={size}, but {source} gives {known}")
        problem = self._size_problem(size)
        if problem is not None:
            raise ValueError(f"{self._label()}: {problem} (input of shape "
                             f"{tuple(input.shape)})")
        return size

    # ------------------------------------------------------------ materialisation

    def _own_tensors(self) -> dict[str, Tensor]:
        tables = (self._parameters, self._buffers)  # type: ignore[attr-defined]
        return {name: t for table in tables for name, t in table.items() if t is not None}

    def _waiting(self) -> dict[str, tuple]:
        """The templates of the tensors this layer has (None ones left out)."""
        tensors = self._own_tensors()
        return {name: shape for name, shape in self._templates().items() if name in tensors}

    def _shape_for(self, template: tuple, size: int) -> tuple[int, ...]:
        return tuple(size // self._scale if isinstance(d, str) else d for d in template)

    def _size_in(self, template: tuple, shape: tuple) -> int | None:
        """The size a tensor of ``shape`` gives (None if its template does not depend on
        it); ``shape`` fits ``template``."""
        dims = [s for d, s in zip(template, shape) if isinstance(d, str)]
        return dims[0] * self._scale if dims else None

    def _known_size(self) -> tuple[int | None, str | None]:
        """(size, which tensor gives it) from the tensors already materialised (loaded with
        ``strict=False``), or (None, None)."""
        tensors = self._own_tensors()
        for name, template in self._waiting().items():
            if not isinstance(tensors[name], _Uninitialized):
                size = self._size_in(template, tensors[name].shape)
                if size is not None:
                    return size, f"the {name} loaded before, of shape {tensors[name].shape},"
        return None, None

    def _materialize(self, size: int) -> None:
        """Materialise every uninitialised tensor for ``size``, initialise as the eager layer
        does (tensors loaded before keep their values) and become ``cls_to_become``."""
        tensors = self._own_tensors()
        kept = {name: t.data.copy() for name, t in tensors.items()
                if not isinstance(t, _Uninitialized)}
        for name, template in self._waiting().items():
            if isinstance(tensors[name], _Uninitialized):
                tensors[name].materialize(self._shape_for(template, size))
        setattr(self, self._inferred, size)
        self._reset()
        for name, values in kept.items():
            tensors[name].data[...] = values
        self.__class__ = self.cls_to_become

    # ------------------------------------------------------------ load_state_dict's protocol

    def _lazy_shapes(self, state_dict: Any, prefix: str) -> tuple[dict, list]:
        """For ``Module.load_state_dict``: ({name: shape} of the still-uninitialised tensors
        the checkpoint holds, problems with their shapes, as messages)."""
        shapes, problems = {}, []
        tensors, (known, source) = self._own_tensors(), self._known_size()
        for name, template in self._waiting().items():
            key = prefix + name
            if not isinstance(tensors[name], _Uninitialized) or key not in state_dict:
                continue
            shape = tuple(np.shape(getattr(state_dict[key], "data", state_dict[key])))
            shapes[name] = shape
            start = f"size mismatch for {key}: checkpoint has shape {shape}"
            if len(shape) != len(template) or any(
                    d != s for d, s in zip(template, shape) if not isinstance(d, str)):
                problems.append(f"{start}, {self._label()} needs {_written(template)}")
                continue
            size = self._size_in(template, shape)
            if size is None:
                continue
            problem = self._size_problem(size)
            if problem is not None:
                problems.append(f"{start}: {problem}")
            elif known is None:
                known, source = size, f"{key}'s shape {shape}"
            elif size != known:
                problems.append(f"{start}, which gives {self._inferred}={size}, but {source} "
                                f"gives {known}")
        return shapes, problems

    def _materialize_loaded(self, shapes: dict) -> None:
        """Materialise the uninitialised tensors named in ``shapes``; once none is left, set
        the inferred size from them and become ``cls_to_become``."""
        tensors = self._own_tensors()
        for name, shape in shapes.items():
            if isinstance(tensors.get(name), _Uninitialized):
                tensors[name].materialize(shape)
        if not self.has_uninitialized_params():
            setattr(self, self._inferred, self._known_size()[0])
            self.__class__ = self.cls_to_become


def _written(template: tuple) -> str:
    """A template as messages print it: ``(3, in_features)``, ``(num_features,)``."""
    return "(" + ", ".join(map(str, template)) + ("," if len(template) == 1 else "") + ")"


class LazyLinear(LazyModuleMixin, Linear):
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

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        require_cpu(device, "LazyLinear")
        super().__init__(0, out_features, False, device, dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def _templates(self) -> dict[str, tuple]:
        return {"weight": (self.out_features, "in_features"), "bias": (self.out_features,)}

    def _inferred_from(self, input: Tensor) -> int:
        if input.ndim == 0:
            raise ValueError(f"{self!r} expects inputs of shape (*, in_features), got a 0-D "
                             "tensor")
        return int(input.shape[-1])

    def _label(self) -> str:
        return f"LazyLinear(out_features={self.out_features})"

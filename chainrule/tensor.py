"""The Tensor: an ndarray plus what reverse-mode differentiation needs, and ``apply``.

``apply(fn, *inputs)`` runs a Function on the inputs' arrays and, when grad mode is on and an
input requires grad, records a Context linking the output to its inputs. Operator methods live
in the topic mixins of ``chainrule.methods`` (math, reductions, shapes); each is a line or two
that normalises arguments and calls ``apply``. An output that views an input's memory shares
its version counter (``methods.version``).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from . import autograd, dtypes, grad_mode
from .autograd import Context, UnrecordedContext
from .device import (
    CPU,
    DeviceError,
    cuda_device,
    cuda_message,
    parse_type_name,
    require_cpu,
    to_arguments,
    type_name,
)
from .layout import channels_last, channels_last_3d, check_format
from .methods import convenience, elementwise, inplace, linalg
from .methods.compat import CompatMixin
from .methods.extra import ExtraMixin
from .methods.logical import LogicalMixin
from .methods.math import MathMixin, inplace_operand
from .methods.misc import MiscMixin
from .methods.pointwise import PointwiseMixin
from .methods.reduce import ReduceMixin
from .methods.sampling import SamplingMixin
from .methods.scan import ScanMixin
from .methods.select import SelectMixin
from .methods.shape import ShapeMixin, assign
from .methods.special import SpecialMixin
from .methods.structure import StructureMixin
from .methods.version import VersionMixin, share_version_counter
from .ops import unary


class Tensor(MathMixin, ReduceMixin, ShapeMixin, VersionMixin, SelectMixin, ScanMixin,
             SamplingMixin, elementwise.ElementwiseMixin, linalg.LinalgMixin,
             inplace.InplaceMixin, convenience.ConvenienceMixin, PointwiseMixin, LogicalMixin,
             StructureMixin, MiscMixin, SpecialMixin, CompatMixin, ExtraMixin):
    """An n-dimensional array that can record the operations applied to it.

    Args:
        data: array-like (nested lists, a NumPy array, a number or a Tensor); it is copied.
        dtype: the dtype to store (default: inferred, Python floats as float32).
        requires_grad: record operations on this tensor so that ``backward`` can reach it.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([[2., 4.],
                [6., 8.]])
    """

    __slots__ = ("data", "_grad", "requires_grad", "_ctx", "name", "_version_counter",
                 "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected method
    __hash__ = object.__hash__

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data.data
        try:
            dtype = dtypes.infer(data) if dtype is None else dtypes.as_dtype(dtype)
            array = np.array(data, dtype=dtype)
        except ValueError as err:
            raise ValueError(f"tensor(): cannot make a tensor from this data: nested lists must "
                             f"be rectangular and hold numbers ({err})") from None
        _init(self, array, None, False)
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------ attributes

    # NOTE: read through C-level attrgetters rather than Python getters: every op and layer
    # reads these, and a property whose getter is a C function runs without a Python frame
    # (about half the cost per read).
    shape = property(operator.attrgetter("data.shape"), doc="The size of each dimension.")
    dtype = property(operator.attrgetter("data.dtype"), doc="The NumPy dtype of the elements.")
    ndim = property(operator.attrgetter("data.ndim"), doc="The number of dimensions.")

    def dim(self) -> int:
        return self.data.ndim

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of dimension ``dim``."""
        return self.data.shape if dim is None else self.data.shape[_check_dim(dim, self.ndim)]

    def numel(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by a recorded operation."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Context | None:
        """The Context of the operation that produced this tensor (None for leaves)."""
        return self._ctx

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient, a Tensor with no history that shares the stored array."""
        return None if self._grad is None else _wrap(self._grad, None)

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None:
            self._grad = None
            return
        array = value.data if isinstance(value, Tensor) else np.asarray(value)
        if array.shape != self.shape:
            raise ValueError(f"assigned grad has shape {array.shape}, tensor has {self.shape}")
        if array.dtype != self.dtype:
            raise TypeError(f"assigned grad is {array.dtype}, but the tensor is {self.dtype}; "
                            f"convert it first (e.g. .astype({self.dtype.name!r}))")
        self._grad = array

    # ------------------------------------------------------------ autograd

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (floating dtypes only) and return self."""
        if requires_grad and not dtypes.is_floating(self.dtype):
            raise TypeError(
                f"only floating-point tensors can require gradients, this one is {self.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf tensor in ``.grad`` after backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retains_grad = True

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad.

        Args:
            gradient: dL/d(self), required unless self has exactly one element.
            retain_graph: keep the saved arrays so backward can run through the graph again.
            create_graph: only False: backward is once-differentiable
                (``autograd.refuse_create_graph``).
            inputs: accumulate only into these tensors' ``.grad``.
        """
        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def _seed_grad(self, gradient: Any) -> np.ndarray:
        """The gradient that starts backward from this tensor, checked."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: none of the tensors it was "
                "computed from has requires_grad=True, or it was computed under no_grad()"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a scalar output, but this tensor has "
                    f"shape {self.shape}; reduce it (e.g. .sum()) or pass gradient= of that shape"
                )
            return np.ones(self.shape, dtype=self.dtype)
        seed = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
        if seed.shape != self.shape:
            raise ValueError(f"gradient has shape {seed.shape}, but the output has {self.shape}")
        # Read-only instead of a copy: no backward may write into the caller's array, and a
        # leaf's .grad made from it is copied then (``_GradSink._own`` copies read-only arrays).
        seed = np.asarray(seed, dtype=self.dtype).view()
        seed.flags.writeable = False
        return seed

    def detach(self) -> Tensor:
        """A tensor sharing this one's data (and its version counter), cut from the graph."""
        t = _wrap(self.data, None)
        t._version_counter = self._version_counter
        return t

    # ------------------------------------------------------------ conversion

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape "
                             f"{self.shape} ({self.data.size} elements)")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        if self.requires_grad:
            raise RuntimeError("numpy() on a tensor that requires grad; use "
                               "tensor.detach().numpy() instead")
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """This tensor on a device and/or in a dtype (self when nothing changes), as PyTorch's
        ``to(dtype)``, ``to(device, dtype)``, ``to(other)``, with ``non_blocking`` (ignored),
        ``copy`` and ``memory_format`` (``channels_last``: channels innermost in memory, the
        shape unchanged). Only the CPU holds data: another device raises ``DeviceError``."""
        if len(args) == 1 and not kwargs and isinstance(args[0], np.dtype) and \
                args[0] in dtypes.SUPPORTED:  # the fast path that binary ops take
            return self._cast(args[0])
        target = to_arguments(args, kwargs, _is_tensor, dtypes.as_dtype, "Tensor.to")
        require_cpu(target.device, "Tensor.to")
        out = self if target.dtype is None else self._cast(target.dtype)
        if target.memory_format is channels_last or target.memory_format is channels_last_3d:
            out = out.contiguous(target.memory_format)
        return out.clone(target.memory_format) if target.copy and out is self else out

    def _cast(self, dtype: np.dtype) -> Tensor:
        if dtype == self.dtype:
            return self
        if not dtypes.is_floating(dtype):
            return _wrap(self.data.astype(dtype), None)
        return apply(unary.Cast, self, dtype=dtype)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """The legacy type string (``'torch.FloatTensor'``) without an argument; else this
        tensor converted to ``dtype`` (a dtype, a type string or a legacy type such as
        ``chainrule.LongTensor``)."""
        if dtype is None:
            return type_name(self.dtype.name, CPU)
        name = getattr(dtype, "legacy_name", dtype)
        if isinstance(name, str) and "Tensor" in name:
            dtype = parse_type_name(name, "Tensor.type")
        return self.to(dtype)

    device = property(lambda self: CPU, doc="Where the data lives: always device('cpu').")
    is_cuda = property(lambda self: False, doc="False: chainrule keeps data on the CPU.")

    def cpu(self) -> Tensor:
        """This tensor (its data is already on the CPU)."""
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        """Raises ``DeviceError``: chainrule keeps data on the CPU."""
        raise DeviceError(cuda_message("Tensor.cuda()", cuda_device(device)))

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def short(self) -> Tensor:
        return self.to(dtypes.int16)

    def char(self) -> Tensor:
        return self.to(dtypes.int8)

    def byte(self) -> Tensor:
        return self.to(dtypes.uint8)

    def clone(self, memory_format: Any = None) -> Tensor:
        """A copy of the data that stays in the graph (its gradient flows back to self), in
        C order, or channels last when ``memory_format`` asks for it."""
        check_format(memory_format, "clone")
        if memory_format is channels_last or memory_format is channels_last_3d:
            return self.contiguous(memory_format) if not self.is_contiguous(memory_format) \
                else self.clone().contiguous(memory_format)
        if not self.requires_grad:
            return _wrap(self.data.copy(), None)
        return apply(unary.Cast, self, dtype=self.dtype)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is "
                               "ambiguous; use .any() or .all()")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype}")
        return int(self.item())

    def __repr__(self) -> str:
        from .methods.display import tensor_repr

        return tensor_repr(self)

    # ------------------------------------------------------------ in-place (leaf data)

    def _check_inplace(self, what: str) -> None:
        if self.requires_grad and autograd.is_grad_enabled():
            kind = "a leaf tensor that requires grad" if self._ctx is None else "a graph tensor"
            raise RuntimeError(f"{what}: in-place change of {kind}; wrap it in "
                               "chainrule.no_grad() (as init and optimizers do) or use the "
                               "out-of-place form")
        if not self.data.flags.writeable:
            raise RuntimeError(f"{what}: this tensor's memory is read-only (a broadcast view or "
                               "a read-only array); clone() it first")
        self._version_counter[0] += 1

    def _write(self, what: str, value: Any) -> Tensor:
        self._check_inplace(what)
        array = value.data if isinstance(value, Tensor) else value
        self.data[...] = array
        return self

    def zero_(self) -> Tensor:
        return self._write("zero_", 0)

    def fill_(self, value: Any) -> Tensor:
        return self._write("fill_", value)

    def copy_(self, src: Any) -> Tensor:
        source = src.data if isinstance(src, Tensor) else np.asarray(src)
        try:
            np.broadcast_to(source, self.shape)
        except ValueError:
            raise ValueError(f"copy_: source of shape {source.shape} does not broadcast to "
                             f"{self.shape}") from None
        return self._write("copy_", source)

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        value = inplace_operand(self, "add_", other)
        return self._write("add_", self.data + (value * alpha if alpha != 1 else value))

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        value = inplace_operand(self, "sub_", other)
        return self._write("sub_", self.data - (value * alpha if alpha != 1 else value))

    def mul_(self, other: Any) -> Tensor:
        value = inplace_operand(self, "mul_", other)
        return self._write("mul_", self.data * value)

    def div_(self, other: Any) -> Tensor:
        value = inplace_operand(self, "div_", other)
        return self._write("div_", self.data / value)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        return self._write("clamp_", np.clip(self.data, min, max))

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
        from .random import resolve

        return self._write("uniform_", resolve(generator).uniform(a, b, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
        from .random import resolve

        return self._write("normal_", resolve(generator).normal(mean, std, self.shape))

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("__setitem__")
        assign(self.data, _index_array(index), value.data if isinstance(value, Tensor) else value)

    def _apply(self, fn: Any, *others: Any, **params: Any) -> Tensor:
        return apply(fn, self, *others, **params)

    @staticmethod
    def _const(array: np.ndarray) -> Tensor:
        return _wrap(array, None)

    @staticmethod
    def _convert(data: Any) -> Tensor:
        """A non-tensor operand (array, list) as a plain Tensor, never a Parameter."""
        return Tensor(data)


def _init(t: Tensor, array: np.ndarray, ctx: Context | None, requires_grad: bool) -> None:
    t.data = array
    t._grad = None
    t.requires_grad = requires_grad
    t._ctx = ctx
    t.name = None
    t._version_counter = [0]  # a mutable cell, shared with every view of the same memory
    t._retains_grad = False


def _wrap(array: Any, ctx: Context | None) -> Tensor:
    """A Tensor around ``array`` (no copy), recorded as the output of ``ctx`` if given."""
    # NOTE: ``_init`` written out: every op's output comes through here.
    t = _new_object(Tensor)
    t.data = array if type(array) is np.ndarray else np.asarray(array)
    t._grad = None
    t.requires_grad = ctx is not None
    t._ctx = ctx
    t.name = None
    t._version_counter = [0]
    t._retains_grad = False
    return t


_new_object = object.__new__


def apply(fn: type[autograd.Function], *inputs: Any, **params: Any) -> Tensor:
    """Run ``fn.forward`` on the inputs' arrays; record it when an input requires grad.

    Inputs that are not Tensors (arrays, numbers) are wrapped as constants.
    """
    tensors = inputs
    for x in inputs:
        if not isinstance(x, Tensor):
            tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in inputs)
            break
    arrays = [t.data for t in tensors]
    ctx = None
    if grad_mode.all_default or grad_mode.is_grad_enabled():
        needs = tuple([t.requires_grad for t in tensors])
        if True in needs:
            ctx = Context(fn, tensors, needs)
    out = fn.forward(ctx or UnrecordedContext(fn), *arrays, **params)
    if fn.keeps_dtype and (out.ndim if type(out) is np.ndarray else np.ndim(out)) == 0:
        out = dtypes.keep_scalar_float(out, arrays)
    t = _wrap(out, ctx)
    if t.data.base is not None:  # a view (reshape, T, slices, broadcast ...), maybe of an input
        share_version_counter(t, tensors)
    return t


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor)


def _check_dim(dim: int, ndim: int) -> int:
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"dimension {dim} is out of range for a tensor with {ndim} dimensions")
    return dim % max(ndim, 1)


def _index_array(index: Any) -> Any:
    """``index`` with Tensors replaced by their arrays."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index


autograd.run_function = apply  # what autograd.Function.apply runs

"""Tensor conveniences that PyTorch scripts call: ``new_*`` constructors, ``contiguous``,
``type_as``, axis swaps, ``resize_``, gradient hooks (``register_hook``), ``detach_``,
``apply_``, and the memory queries and no-ops of a CPU-only library (``pin_memory``,
``share_memory_``, ``element_size``, ``data_ptr``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import dtypes, hooks
from ..layout import channels_last, channels_last_3d, check_format
from ..ops import unary
from .reduce import normalize_dim
from .shape import _sizes


def _dims(value: Any, ndim: int) -> tuple[int, ...]:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    return tuple(normalize_dim(d, ndim) for d in values)


def movedim(input: Any, source: Any, destination: Any) -> Any:
    """Move the dimensions ``source`` to the positions ``destination`` (ints or sequences of
    the same length); the other dimensions keep their order (``torch.movedim``)."""
    src, dst = _dims(source, input.ndim), _dims(destination, input.ndim)
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must name "
                         "as many dimensions")
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim: repeated dimension in source {source} or destination "
                         f"{destination}")
    rest = iter(d for d in range(input.ndim) if d not in src)
    placed = dict(zip(dst, src))
    perm = [placed[i] if i in placed else next(rest) for i in range(input.ndim)]
    return input.permute(perm) if input.ndim > 1 else input


def _channels_last(t: Any, memory_format: Any) -> bool:
    """Whether ``memory_format`` asks for channels last (checked against ``t``'s rank: 4
    dimensions for ``channels_last``, 5 for ``channels_last_3d``, as in PyTorch)."""
    check_format(memory_format, "contiguous")
    rank = {id(channels_last): 4, id(channels_last_3d): 5}.get(id(memory_format))
    if rank is not None and t.ndim != rank:
        raise RuntimeError(f"contiguous: {memory_format!r} needs a tensor of {rank} dimensions, "
                           f"got shape {tuple(t.shape)}")
    return rank is not None


class ConvenienceMixin:
    """Constructors like this tensor, layout queries, hooks and CPU no-ops of ``Tensor``."""

    __slots__ = ()

    # ------------------------------------------------------------ new tensors like self

    def _new(self, array: np.ndarray, requires_grad: bool) -> Any:
        t = self._const(array)
        return t.requires_grad_(True) if requires_grad else t

    def _new_dtype(self, dtype: Any) -> np.dtype:
        return self.dtype if dtype is None else dtypes.as_dtype(dtype)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        """Zeros of ``size``, with this tensor's dtype unless ``dtype`` is given."""
        return self._new(np.zeros(_sizes(size), self._new_dtype(dtype)), requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        """Ones of ``size``, with this tensor's dtype unless ``dtype`` is given."""
        return self._new(np.ones(_sizes(size), self._new_dtype(dtype)), requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False):
        """An uninitialised tensor of ``size``, with this tensor's dtype unless told."""
        return self._new(np.empty(_sizes(size), self._new_dtype(dtype)), requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, requires_grad=False):
        """``fill_value`` everywhere in ``size``, with this tensor's dtype unless told."""
        array = np.full(_sizes((size,)), fill_value, self._new_dtype(dtype))
        return self._new(array, requires_grad)

    def new_tensor(self, data, dtype=None, requires_grad=False):
        """A copy of ``data`` with this tensor's dtype (unless ``dtype``), no history."""
        data = data.data if isinstance(data, ConvenienceMixin) else data
        return self._new(np.array(data, dtype=self._new_dtype(dtype)), requires_grad)

    def type_as(self, other):
        """This tensor converted to ``other``'s dtype (self when it already has it)."""
        return self.to(other.dtype)

    # ------------------------------------------------------------ layout

    def contiguous(self, memory_format=None):
        """Self when its memory is already in the order ``memory_format`` names (C order by
        default; ``channels_last``: channels innermost), else such a copy that keeps the
        graph."""
        if self.is_contiguous(memory_format):
            return self
        return self._apply(unary.Contiguous, channels_last=_channels_last(self, memory_format))

    def is_contiguous(self, memory_format=None):
        """Whether the memory is in the order ``memory_format`` names (C order by default)."""
        if not _channels_last(self, memory_format):
            return bool(self.data.flags.c_contiguous)
        return bool(self.data.transpose(0, *range(2, self.ndim), 1).flags.c_contiguous)

    def swapaxes(self, axis0, axis1):
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0, dim1):
        return self.transpose(dim0, dim1)

    def movedim(self, source, destination):
        return movedim(self, source, destination)

    def moveaxis(self, source, destination):
        return movedim(self, source, destination)

    def ravel(self):
        """The elements as a 1-D tensor in C order (a view when the memory allows)."""
        return self.reshape(-1)

    def resize_(self, *sizes):
        """Give this tensor the shape ``sizes`` in place. Only the same number of elements, a
        C-ordered tensor and no gradient are supported (PyTorch can also grow or shrink the
        memory)."""
        shape = _sizes(sizes)
        if self.requires_grad:
            raise RuntimeError("resize_: cannot resize a tensor that requires grad")
        if int(np.prod(shape)) != self.numel():
            raise RuntimeError(f"resize_: chainrule can only resize to the same number of "
                               f"elements ({self.numel()} for shape {self.shape}), not to "
                               f"{shape}; use a new tensor")
        if not self.data.flags.c_contiguous:
            raise RuntimeError("resize_: this tensor's memory is not in C order; call "
                               "contiguous() first")
        self.data = self.data.reshape(shape)
        return self

    # ------------------------------------------------------------ autograd

    def register_hook(self, hook: Callable[[Any], Any]):
        """Call ``hook(grad)`` with this tensor's gradient in every backward pass, before it
        flows on (to the inputs, or into ``.grad`` for a leaf); a tensor it returns replaces
        the gradient. Hooks run in the order registered; the handle's ``remove()`` ends one.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if not callable(hook):
            raise TypeError(f"register_hook: the hook must be callable, got "
                            f"{type(hook).__name__}")
        make = self._const  # NOTE: not a method bound to self, so the hook does not keep it

        def on_array(grad: np.ndarray) -> Any:
            result = hook(make(grad))
            return result.data if isinstance(result, ConvenienceMixin) else result

        return hooks.register_hook(self, on_array)

    def detach_(self):
        """Cut this tensor from the graph in place: it becomes a leaf that needs no grad."""
        self._ctx = None
        self.requires_grad = False
        return self

    def apply_(self, callable):
        """Replace every element x by ``callable(x)`` in place (Python, element by element:
        slow, as PyTorch's CPU-only ``apply_``)."""
        function = np.vectorize(callable, otypes=[self.dtype])
        return self._write("apply_", function(self.data) if self.numel() else self.data)

    # ------------------------------------------------------------ memory (CPU only)

    def pin_memory(self):
        return self

    def is_pinned(self):
        return False

    def share_memory_(self):
        return self

    def is_shared(self):
        return False

    def element_size(self):
        """Bytes per element."""
        return self.dtype.itemsize

    itemsize = property(element_size, doc="Bytes per element.")
    nbytes = property(lambda self: self.data.nbytes, doc="Bytes of all the elements.")

    def stride(self, dim=None):
        """Steps in elements between neighbours along each dimension (a tuple), or along
        ``dim``. chainrule keeps some arrays in another memory order than C's (channels
        last), which the strides show."""
        steps = tuple(s // self.dtype.itemsize for s in self.data.strides)
        return steps if dim is None else steps[normalize_dim(dim, self.ndim)]

    def get_device(self):
        """-1: the data is in host memory (PyTorch's answer for a CPU tensor)."""
        return -1

    def is_complex(self):
        return False  # chainrule has no complex dtypes

    def is_signed(self):
        """Whether the dtype holds negative values (false for uint8 and bool)."""
        return self.dtype.kind in "fi"

    def nelement(self):
        return self.numel()

    def ndimension(self):
        return self.ndim

    def data_ptr(self):
        """The address of the first element."""
        return self.data.__array_interface__["data"][0]

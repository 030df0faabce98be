"""PyTorch's legacy constructors and Python-callable maps on ``Tensor`` (``new``,
``new_empty_strided``, ``map_``, ``map2_``), the post-accumulate-grad hook, and the
conversions chainrule refuses with a clear error (to IPU, XPU and MTIA devices). A base of
``methods.compat.CompatMixin``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import accumulate_hooks, dtypes
from ..device import DeviceError, cuda_message, require_cpu
from ..device import device as Device
from ..layout import Size
from .shape import _sizes


def empty_strided_array(size: Any, stride: Any, dtype: np.dtype, what: str) -> np.ndarray:
    """An uninitialised array of shape ``size`` whose strides, counted in elements, are
    ``stride``: a view of a fresh buffer just long enough for its last element (as
    ``torch.empty_strided``)."""
    size, stride = _sizes((size,)), _sizes((stride,))
    if len(size) != len(stride):
        raise RuntimeError(f"{what}: dimensionality of sizes ({len(size)}) must match "
                           f"dimensionality of strides ({len(stride)})")
    if any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise RuntimeError(f"{what}: sizes {list(size)} and strides {list(stride)} must not be "
                           "negative")
    count = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    buffer = np.empty(count, dtype)
    steps = tuple(s * buffer.itemsize for s in stride)
    return np.lib.stride_tricks.as_strided(buffer, size, steps, writeable=True)


def _is_sizes(args: tuple) -> bool:
    """Whether ``new``'s arguments are sizes: ints, or one ``Size``."""
    if len(args) == 1 and isinstance(args[0], Size):
        return True
    return all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args)


def _operand(t: Any, other: Any, name: str) -> np.ndarray:
    """``other``'s array broadcast to ``t``'s shape, for ``map_``/``map2_``."""
    array = other.data if isinstance(other, LegacyMixin) else np.asarray(other)
    if array.dtype != t.dtype:
        raise TypeError(f"{name}: expected a {t.dtype} tensor like self, got {array.dtype}")
    try:
        return np.broadcast_to(array, t.shape)
    except ValueError:
        raise RuntimeError(f"{name}: a tensor of shape {array.shape} does not broadcast to "
                           f"self's shape {t.shape}") from None


def _refuse_device(kind: str, index: Any) -> DeviceError:
    where = Device(kind) if index is None else (
        Device(kind, index) if isinstance(index, int) else Device(index))
    return DeviceError(cuda_message(f"Tensor.{kind}()", where))


class LegacyMixin:
    """Legacy constructors, maps, the post-accumulate-grad hook and refused conversions."""

    __slots__ = ()

    def new(self, *args, device=None):
        """PyTorch's legacy constructor, with this tensor's dtype: ``new()`` is empty;
        ``new(2, 3)`` or ``new(Size([2, 3]))`` is uninitialised of that shape; ``new(list)``
        copies the data; ``new(tensor)`` views a tensor of the same dtype.

        NOTE: PyTorch reads ``new((2, 3))`` as data but ``new(x.size())`` as sizes (a
        ``torch.Size``); a chainrule shape is a plain tuple, so a tuple of ints is refused as
        ambiguous: pass ``new(*shape)`` for sizes, a list for data.
        """
        require_cpu(device, "Tensor.new")
        if len(args) == 1 and isinstance(args[0], LegacyMixin):
            if args[0].dtype != self.dtype:
                raise TypeError(f"Tensor.new(tensor): expected a {self.dtype} tensor, got "
                                f"{args[0].dtype}")
            return args[0].detach()
        if _is_sizes(args):
            return self._const(np.empty(_sizes(args) if args else (0,), self.dtype))
        if len(args) != 1 or not isinstance(args[0], (list, tuple, np.ndarray)):
            raise TypeError(f"new(): data must be a sequence (got "
                            f"{', '.join(type(a).__name__ for a in args)})")
        data = args[0]
        if isinstance(data, tuple) and data and _is_sizes(data):
            raise TypeError(f"Tensor.new({data}): ambiguous: PyTorch reads a tuple of ints as "
                            "data, but torch.Size as sizes, and chainrule's shapes are plain "
                            "tuples; write new(*sizes) for sizes, or a list for data")
        return self._const(np.array(data, dtype=self.dtype))

    def new_empty_strided(self, size, stride, *, dtype=None, layout=None, device=None,
                          pin_memory=False, requires_grad=False):
        """An uninitialised tensor of ``size`` with the element strides ``stride``, with this
        tensor's dtype unless ``dtype`` is given."""
        require_cpu(device, "Tensor.new_empty_strided")
        dtype = self.dtype if dtype is None else dtypes.as_dtype(dtype)
        array = empty_strided_array(size, stride, dtype, "new_empty_strided")
        t = self._const(array)
        return t.requires_grad_(True) if requires_grad else t

    def map_(self, tensor, callable):
        """self[i] ← ``callable(self[i], tensor[i])`` in place, ``tensor`` broadcast to self's
        shape (Python, element by element: slow, as PyTorch's CPU-only ``map_``)."""
        return self._map("map_", callable, tensor)

    def map2_(self, x, y, callable):
        """self[i] ← ``callable(self[i], x[i], y[i])`` in place (as ``map_``)."""
        return self._map("map2_", callable, x, y)

    def _map(self, name, callable, *others):
        if self.requires_grad:
            raise RuntimeError(f"Can't call {name}() on a tensor that requires grad. Use "
                               f"t.detach().{name}() instead.")
        arrays = [_operand(self, other, name) for other in others]
        function = np.vectorize(callable, otypes=[self.dtype])
        return self._write(name, function(self.data, *arrays) if self.numel() else self.data)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after each backward pass has added its last gradient into this
        leaf's ``.grad``; the handle's ``remove()`` ends it.

        NOTE: chainrule keeps one such hook per tensor (``accumulate_hooks``; PyTorch keeps a
        list), so a second one is refused while the first is registered.
        """
        entry = accumulate_hooks._POST_ACCUMULATE_HOOKS.get(id(self))
        if entry is not None and entry[0]() is self:
            raise RuntimeError("register_post_accumulate_grad_hook: this tensor already has "
                               "a post-accumulate-grad hook, and chainrule keeps one per "
                               "tensor; remove() it first, or call both from one hook")
        return accumulate_hooks.register_post_accumulate_grad_hook(self, hook)

    # ------------------------------------------------------------ refused conversions

    def ipu(self, device=None, non_blocking=False, memory_format=None):
        """Raises ``DeviceError``: chainrule keeps data on the CPU."""
        raise _refuse_device("ipu", device)

    def xpu(self, device=None, non_blocking=False, memory_format=None):
        """Raises ``DeviceError``: chainrule keeps data on the CPU."""
        raise _refuse_device("xpu", device)

    def mtia(self, device=None, non_blocking=False, memory_format=None):
        """Raises ``DeviceError``: chainrule keeps data on the CPU."""
        raise _refuse_device("mtia", device)

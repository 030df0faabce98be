"""``Module``'s conversions, as a mixin ``Module`` inherits: where its parameters and buffers
live (``to``, ``cpu``, ``to_empty``, ``share_memory``, and the accelerators, which chainrule
refuses: ``cuda``, ``ipu``, ``xpu``, ``mtia``) and their dtype (``to``, ``type``, ``float``,
``double``, ``half``, ``bfloat16``).

Conversions change the parameters in place, so whoever holds one (an optimizer) sees the
change, as PyTorch's do, and return the module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes
from ..device import DeviceError, cuda_message, parse_type_name, require_cpu, to_arguments
from ..device import device as Device
from ..tensor import Tensor

if TYPE_CHECKING:
    from .module import Module


class ConversionMixin:
    """The device and dtype methods of ``Module`` (which provides ``parameters``,
    ``buffers``, ``modules`` and the ``_parameters``/``_buffers`` tables)."""

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Move to a device and/or convert floating-point parameters and buffers to a dtype,
        in place, and return self: PyTorch's ``to(device)``, ``to(dtype)``,
        ``to(device, dtype)``, ``to(tensor)``. Only the CPU holds data: another device raises
        ``DeviceError``. ``memory_format`` is accepted and changes nothing: the layers choose
        their arrays' memory order themselves (docs/architecture.md)."""
        target = to_arguments(args, kwargs, lambda x: isinstance(x, Tensor), dtypes.as_dtype,
                              "Module.to")
        require_cpu(target.device, "Module.to")
        dtype = target.dtype
        if dtype is None:
            return self
        if not dtypes.is_floating(dtype):
            raise TypeError(f"Module.to accepts only floating dtypes, got {dtype}")
        _cast([t for t in self._tensors() if dtypes.is_floating(t.dtype)], dtype)
        return self

    def type(self, dst_type: Any) -> Module:
        """Convert every parameter and buffer, integer ones included (unlike ``to``), to
        ``dst_type`` in place, as PyTorch does: a dtype (``chainrule.float64``), a legacy type
        (``chainrule.DoubleTensor``) or its name (``'torch.DoubleTensor'``); a plain name such
        as ``'float64'`` raises ValueError, as there. A parameter that requires grad can not
        become an integer (RuntimeError, and nothing is converted)."""
        dtype = _type_dtype(dst_type)
        tensors = self._tensors()
        if not dtypes.is_floating(dtype) and any(t.requires_grad for t in tensors):
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        _cast(tensors, dtype)
        return self

    def float(self) -> Module:
        return self.to(dtypes.float32)

    def double(self) -> Module:
        return self.to(dtypes.float64)

    def half(self) -> Module:
        return self.to(dtypes.float16)

    def bfloat16(self) -> Module:
        """Raises TypeError: chainrule has no bfloat16 dtype (NumPy has none); ``half()``
        gives float16, and float32 is the default."""
        raise TypeError(f"{type(self).__name__}.bfloat16(): chainrule has no bfloat16 dtype "
                        f"(its floating dtypes are float16, float32 and float64); use .half() "
                        f"for 16-bit floats or keep float32")

    def to_empty(self, *, device: Any, recurse: bool = True) -> Module:
        """Give every parameter (and its gradient) and buffer a new uninitialised array of the
        same shape, dtype and memory order, and return self: PyTorch's way to materialise a
        module built on the meta device. As there, parameters stay the same objects and
        buffers become new tensors; ``recurse=False`` converts this module's own only. Only
        the CPU holds data: another ``device`` raises ``DeviceError``, as ``Module.to`` does
        (None means the CPU)."""
        require_cpu(device, "Module.to_empty")
        for module in self.modules() if recurse else [self]:
            for param in module._parameters.values():
                if param is not None:
                    param.data = np.empty_like(param.data)
                    param._grad = None if param._grad is None else np.empty_like(param._grad)
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    module._buffers[name] = Tensor._const(np.empty_like(buffer.data))
        return self

    def share_memory(self) -> Module:
        """Self, unchanged. PyTorch moves the tensors into shared memory so that processes it
        starts see one copy; chainrule's arrays are NumPy arrays in the process's own memory,
        so another process (a DataLoader worker, ``multiprocessing``) gets its own copy, and
        changes made there are not seen here."""
        return self

    def cpu(self) -> Module:
        """Self: parameters and buffers are already on the CPU."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Raises ``DeviceError``: chainrule keeps data on the CPU."""
        raise _refusal("cuda", device)

    def ipu(self, device: Any = None) -> Module:
        """Raises ``DeviceError``: chainrule keeps data on the CPU."""
        raise _refusal("ipu", device)

    def xpu(self, device: Any = None) -> Module:
        """Raises ``DeviceError``: chainrule keeps data on the CPU."""
        raise _refusal("xpu", device)

    def mtia(self, device: Any = None) -> Module:
        """Raises ``DeviceError``: chainrule keeps data on the CPU."""
        raise _refusal("mtia", device)

    def _tensors(self) -> list[Tensor]:
        """Every parameter and buffer, each once."""
        return list(self.parameters()) + list(self.buffers())


def _cast(tensors: list[Tensor], dtype: np.dtype) -> None:
    """Convert each tensor's data (and gradient) to ``dtype`` in place."""
    for tensor in tensors:
        tensor.data = tensor.data.astype(dtype)
        tensor._grad = None if tensor._grad is None else tensor._grad.astype(dtype)


def _type_dtype(dst_type: Any) -> np.dtype:
    """The dtype ``Module.type(dst_type)`` converts to, read as PyTorch reads it."""
    if isinstance(dst_type, np.dtype):
        return dtypes.as_dtype(dst_type)
    if isinstance(dst_type, type):  # a legacy type, or (as in PyTorch) an invalid one
        dst_type = getattr(dst_type, "legacy_name", dst_type.__name__)
    if isinstance(dst_type, str):
        return np.dtype(parse_type_name(dst_type, "Module.type"))
    raise TypeError("dtype must be a type, str, or dtype object")


def _refusal(kind: str, index: Any) -> DeviceError:
    """The error of ``Module.<kind>(index)``: the device it names holds no data here."""
    if index is None:
        where = Device(kind)
    elif isinstance(index, int) and not isinstance(index, bool):
        where = Device(kind, index)
    else:
        where = Device(index)
    return DeviceError(cuda_message(f"Module.{kind}()", where))

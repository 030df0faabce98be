"""PyTorch names that tutorials still use: the legacy tensor types, and ``compile``.

``chainrule.FloatTensor([1, 2])`` makes a float32 tensor from data, ``FloatTensor(2, 3)`` an
uninitialised one of that shape, and ``isinstance(x, chainrule.FloatTensor)`` is True only for
a float32 tensor, as in PyTorch; likewise ``DoubleTensor``, ``HalfTensor``, ``LongTensor``,
``IntTensor``, ``ShortTensor``, ``ByteTensor``, ``CharTensor`` and ``BoolTensor``.
``Tensor.type()`` names them (``'torch.FloatTensor'``) and ``Tensor.type(LongTensor)``
converts. ``compile(model)`` returns the model unchanged.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .device import LEGACY_TYPES, require_cpu
from .tensor import Tensor, _wrap


class _LegacyTensorType(type):
    """The type of ``FloatTensor`` and its kin: calling one makes a tensor of its dtype, and
    ``isinstance`` asks for a Tensor of that dtype."""

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        require_cpu(device, f"{cls.__name__}(...)")
        if not args:
            return _empty(cls, (0,))
        if all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in args):
            return _empty(cls, tuple(int(n) for n in args))
        if len(args) > 1:
            raise TypeError(f"{cls.__name__}(): expected sizes (ints) or one sequence of data, "
                            f"got {', '.join(type(a).__name__ for a in args)}")
        return _from_data(cls, args[0])

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor) and instance.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class '{cls.legacy_name}'>"


def _empty(cls: _LegacyTensorType, shape: tuple[int, ...]) -> Tensor:
    negative = [n for n in shape if n < 0]
    if negative:
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative[0]}: "
                           f"{list(shape)}")
    return _wrap(np.empty(shape, cls.dtype), None)


def _from_data(cls: _LegacyTensorType, data: Any) -> Tensor:
    if isinstance(data, Tensor):
        if data.dtype != cls.dtype:
            raise TypeError(f"{cls.__name__}(tensor): the tensor is {data.dtype}, not "
                            f"{cls.dtype}; convert it with .to(chainrule.{cls.dtype.name})")
        return data.detach()
    if not isinstance(data, (list, tuple, np.ndarray)):
        raise TypeError(f"{cls.__name__}(): data must be a sequence (got "
                        f"{type(data).__name__})")
    return Tensor(data, dtype=cls.dtype)


def _legacy_type(dtype_name: str, short: str) -> _LegacyTensorType:
    doc = (f"PyTorch's legacy ``torch.{short}``: ``{short}(data)`` or ``{short}(*sizes)`` "
           f"makes a {dtype_name} tensor (uninitialised for sizes); ``isinstance(x, {short})`` "
           f"is True for {dtype_name} tensors.\n\n    Args:\n        *args: a sequence of "
           f"data, or sizes.\n        device: the CPU only (another raises DeviceError).\n")
    return _LegacyTensorType(short, (), {"__doc__": doc, "dtype": np.dtype(dtype_name),
                                         "legacy_name": f"torch.{short}",
                                         "__module__": __name__})


_TYPES = {short: _legacy_type(name, short) for name, short in LEGACY_TYPES.items()}
FloatTensor = _TYPES["FloatTensor"]
DoubleTensor = _TYPES["DoubleTensor"]
HalfTensor = _TYPES["HalfTensor"]
LongTensor = _TYPES["LongTensor"]
IntTensor = _TYPES["IntTensor"]
ShortTensor = _TYPES["ShortTensor"]
ByteTensor = _TYPES["ByteTensor"]
CharTensor = _TYPES["CharTensor"]
BoolTensor = _TYPES["BoolTensor"]


def compile(model: Any = None, *, fullgraph: bool = False, dynamic: bool | None = None,  # noqa: A001
            backend: Any = "inductor", mode: str | None = None, options: dict | None = None,
            name: str | None = None, disable: bool = False, recompile_limit: int | None = None,
            isolate_recompiles: bool = False, shapes_spec: Any = None) -> Any:
    """``torch.compile``: returns ``model`` (a Module or a function) unchanged.

    Args:
        model: what PyTorch would compile. Without it, ``compile(mode=...)`` returns a
            decorator that returns the function it decorates.
        fullgraph, dynamic, backend, mode, options, name, disable, recompile_limit,
        isolate_recompiles, shapes_spec: accepted for PyTorch 2.13's signature; unused. A
            keyword torch does not take raises TypeError, as there.

    chainrule runs every op eagerly through NumPy; there is no graph compiler, so the model
    runs exactly as it would without ``compile``. Works as ``@compile`` and ``@compile(...)``.

    Example:
        >>> import chainrule
        >>> model = chainrule.nn.Linear(2, 1)
        >>> chainrule.compile(model) is model
        True
    """
    if model is None:
        return _unchanged
    return model


def _unchanged(model: Callable) -> Callable:
    return model


__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor",
           "HalfTensor", "IntTensor", "LongTensor", "ShortTensor", "compile"]

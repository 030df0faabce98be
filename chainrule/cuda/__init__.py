"""``torch.cuda``, answered as PyTorch answers on a machine without a GPU.

chainrule computes on the CPU, so ``is_available()`` is False and ``device_count()`` is 0; a
script that picks its device with
``torch.device('cuda' if torch.cuda.is_available() else 'cpu')`` runs here on the CPU.
Seeding, ``synchronize`` and ``empty_cache`` do nothing and the memory counters are 0, as in
PyTorch without CUDA; asking about the current device (``current_device``,
``get_device_name``, ``get_device_properties``, ``get_device_capability``) raises
``DeviceError``; the legacy names
``FloatTensor``, ``LongTensor``, ... exist so that scripts mentioning them import, and raise
``DeviceError`` when called. ``chainrule.cuda.amp`` holds ``autocast`` and ``GradScaler``
(see ``chainrule.amp``).
"""

from __future__ import annotations

from typing import Any

from ..device import no_device_error, unavailable_tensor_types
from . import amp

_TYPES = unavailable_tensor_types("cuda")
FloatTensor = _TYPES["FloatTensor"]
DoubleTensor = _TYPES["DoubleTensor"]
HalfTensor = _TYPES["HalfTensor"]
LongTensor = _TYPES["LongTensor"]
IntTensor = _TYPES["IntTensor"]
ShortTensor = _TYPES["ShortTensor"]
ByteTensor = _TYPES["ByteTensor"]
CharTensor = _TYPES["CharTensor"]
BoolTensor = _TYPES["BoolTensor"]


def is_available() -> bool:
    """False: chainrule has no CUDA device."""
    return False


def device_count() -> int:
    """0: chainrule has no CUDA device."""
    return 0


def is_initialized() -> bool:
    """False: there is no CUDA state to initialise."""
    return False


def manual_seed(seed: int) -> None:
    """Does nothing: there is no CUDA generator (seed the CPU with ``chainrule.manual_seed``)."""
    return None


def manual_seed_all(seed: int) -> None:
    """Does nothing: there is no CUDA generator (seed the CPU with ``chainrule.manual_seed``)."""
    return None


def synchronize(device: Any = None) -> None:
    """Does nothing: CPU work is finished when its call returns."""
    return None


def empty_cache() -> None:
    """Does nothing: there is no CUDA memory cache."""
    return None


def seed() -> None:
    """Does nothing: there is no CUDA generator."""
    return None


def seed_all() -> None:
    """Does nothing: there is no CUDA generator."""
    return None


def memory_allocated(device: Any = None) -> int:
    """0: no CUDA memory is in use."""
    return 0


def max_memory_allocated(device: Any = None) -> int:
    """0: no CUDA memory was ever in use."""
    return 0


def memory_reserved(device: Any = None) -> int:
    """0: no CUDA memory is reserved."""
    return 0


def is_bf16_supported() -> bool:
    """False: there is no CUDA device."""
    return False


def get_device_properties(device: Any = None) -> Any:
    """Raises ``DeviceError``: there is no CUDA device to describe."""
    raise no_device_error("chainrule.cuda.get_device_properties()")


def get_device_capability(device: Any = None) -> tuple[int, int]:
    """Raises ``DeviceError``: there is no CUDA device to describe."""
    raise no_device_error("chainrule.cuda.get_device_capability()")


def current_device() -> int:
    """Raises ``DeviceError``: there is no current CUDA device."""
    raise no_device_error("chainrule.cuda.current_device()")


def get_device_name(device: Any = None) -> str:
    """Raises ``DeviceError``: there is no CUDA device to name."""
    raise no_device_error("chainrule.cuda.get_device_name()")


__all__ = [
    "BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor",
    "IntTensor", "LongTensor", "ShortTensor", "amp", "current_device", "device_count",
    "empty_cache", "get_device_capability", "get_device_name", "get_device_properties",
    "is_available", "is_bf16_supported", "is_initialized", "manual_seed", "manual_seed_all",
    "max_memory_allocated", "memory_allocated", "memory_reserved", "seed", "seed_all",
    "synchronize",
]

"""Devices: PyTorch's ``device`` objects, and the one check that keeps every array on the CPU.

chainrule computes on the CPU: every array is a NumPy array in host memory. A PyTorch script
still names devices, so this module gives it the same objects: ``device('cpu')``,
``device('cuda:0')``, ``device('cuda', 1)`` can all be *made*, compared and printed, but only
the CPU can hold data. Asking for anything else (``.cuda()``, ``.to('cuda')``,
``zeros(2, device='cuda')``, ``model.to('cuda')``) raises one :class:`DeviceError`, which says
how to write the device line so that the script runs everywhere.

This is the seam where a GPU array backend would plug in: every place that accepts a device
calls :func:`require_cpu` (creation functions, ``Tensor.to``, ``Module.to``), and
``Tensor.device`` answers from here. A backend would replace those answers; nothing else names
a device.

Import names from this module with ``from chainrule.device import DeviceError``: the package's
attribute ``chainrule.device`` is the class, as ``torch.device`` is.
"""

from __future__ import annotations

import re
from typing import Any, Callable, NamedTuple

import numpy as np

from .layout import check_format

# The device types PyTorch's parser knows, in the order its error message lists them.
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")

DEVICE_LINE = "device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')"


class DeviceError(RuntimeError, AssertionError):
    """Data was asked to live on a device other than the CPU.

    A RuntimeError, as PyTorch raises on a CUDA build without a GPU, and an AssertionError, as
    PyTorch raises on a CPU-only build ("Torch not compiled with CUDA enabled"): a script that
    catches either still catches it.
    """


class device:
    """A device name, as ``torch.device``: a type and an optional index.

    Args:
        type: a device string (``'cpu'``, ``'cuda'``, ``'cuda:1'``), or a device to copy.
        index: the device's index, when ``type`` is a string without one.

    Any device PyTorch knows can be named and compared, but chainrule keeps data on the CPU
    only: putting a tensor or a model on another device raises :class:`DeviceError`. Used as a
    context manager (``with device('cpu'):``) it changes nothing, and refuses other devices.

    Example:
        >>> import chainrule
        >>> chainrule.device('cuda:0')
        device(type='cuda', index=0)
        >>> str(chainrule.device('cuda', 1)), chainrule.device('cpu').index
        ('cuda:1', None)
    """

    __slots__ = ("_type", "_index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002 - torch's name
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): an index can not be passed with a device object")
            self._type, self._index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool) and index is None:
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a device string or a device, got "
                            f"{_typename(type)}")
        self._type, parsed = _parse(type)
        if index is not None and parsed is not None:
            raise RuntimeError(f"type (string) must not include an index because index was "
                               f"passed explicitly: {type}")
        self._index = _check_index(index) if parsed is None else parsed

    @property
    def type(self) -> str:
        """The device type: ``'cpu'``, ``'cuda'``, ..."""
        return self._type

    @property
    def index(self) -> int | None:
        """The device index, or None when the device string gave none."""
        return self._index

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, device):
            return NotImplemented
        return (self._type, self._index) == (other._type, other._index)

    def __hash__(self) -> int:
        return hash((self._type, self._index))

    def __reduce__(self) -> tuple:
        return (device, (self._type, self._index))

    def __enter__(self) -> device:
        require_cpu(self, "with device(...)")
        return self

    def __exit__(self, *exc: object) -> None:
        return None


# A type of letters and underscores, then optionally ':' and an index without leading zeros.
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::([1-9][0-9]*|0))?")


def _parse(text: str) -> tuple[str, int | None]:
    """``'cuda:1'`` -> ``('cuda', 1)``, with PyTorch's errors for strings it refuses."""
    if not text:
        raise RuntimeError("Device string must not be empty")
    match = _DEVICE_STRING.fullmatch(text)
    if match is None:
        raise RuntimeError(f"Invalid device string: '{text}'")
    kind, number = match.groups()
    if kind not in DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of "
                           f"device string: {text}")
    return kind, None if number is None else int(number)


def _check_index(index: Any) -> int | None:
    if index is None:
        return None
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"device(): the index must be an int, not {_typename(index)}")
    if index < 0:
        raise RuntimeError("Device index must not be negative")
    return index


def _typename(value: Any) -> str:
    return type(value).__name__


CPU = device("cpu")


# ---------------------------------------------------------------- where data may live


def cuda_message(what: str, where: Any = "cuda") -> str:
    """The one explanation given whenever data is asked to leave the CPU."""
    return (f"{what}: chainrule computes on the CPU only and can not put data on '{where}'. "
            f"To run everywhere, write the device line as {DEVICE_LINE} and move data and "
            f"models with .to(device): chainrule.cuda.is_available() is False, so the script "
            f"runs on the CPU.")


def require_cpu(where: Any, what: str) -> None:
    """Check that ``where`` (None, a device or a device string) is the CPU.

    Args:
        where: the device asked for; None means the default, the CPU.
        what: the call that asked, named in the error (``'zeros'``, ``'Tensor.to'``).

    Raises:
        DeviceError: for any device but the CPU (``'cuda'``, ``'mps'``, ``'meta'`` ...).
        RuntimeError, TypeError: when ``where`` is not a device at all.
    """
    if where is None or where is CPU:
        return
    target = where if isinstance(where, device) else device(where)
    if target.type != "cpu":
        raise DeviceError(cuda_message(what, target))


def cuda_device(index: Any = None) -> device:
    """The device ``.cuda(index)`` names: ``cuda``, ``cuda:1`` for an int, or the device or
    string given."""
    if index is None:
        return device("cuda")
    if isinstance(index, int) and not isinstance(index, bool):
        return device("cuda", index)
    return device(index)


def require_no_pinning(pin_memory: bool, what: str) -> None:
    """``pin_memory=True`` needs an accelerator, as in PyTorch on a machine without one."""
    if pin_memory:
        raise DeviceError(f"{what}: pin_memory=True needs an accelerator's pinned-memory "
                          f"allocator, and chainrule computes on the CPU; leave pin_memory "
                          f"False (a DataLoader's pin_memory=True is accepted and does nothing)")


def get_default_device() -> device:
    """The device new tensors are made on: always the CPU (``torch.get_default_device``)."""
    return CPU


def set_default_device(device: Any) -> None:
    """``torch.set_default_device``: the CPU (or None) is accepted; any other device raises
    :class:`DeviceError`."""
    require_cpu(device, "set_default_device")


# ---------------------------------------------------------------- Tensor.to / Module.to


class ToArguments(NamedTuple):
    """What a ``.to(...)`` call asked for; None where it asked for nothing."""

    device: device | None
    dtype: Any
    copy: bool
    memory_format: Any = None


_TO_KEYWORDS = ("device", "dtype", "non_blocking", "copy", "memory_format")


def to_arguments(args: tuple, kwargs: dict, is_tensor: Callable[[Any], bool],
                 as_dtype: Callable[[Any], Any], what: str = "to") -> ToArguments:
    """Sort the arguments of ``Tensor.to`` / ``Module.to`` into PyTorch's overloads.

    ``to(dtype, non_blocking=False, copy=False)``,
    ``to(device=None, dtype=None, non_blocking=False, copy=False)`` and
    ``to(other, non_blocking=False, copy=False)`` (the device and dtype of tensor ``other``),
    each with ``memory_format=`` (a ``chainrule.layout`` format).
    ``is_tensor`` tells a tensor; ``as_dtype`` resolves a dtype (this module knows neither).

    A string is a device string, as in PyTorch; one that names no device type but names a
    dtype (``'float32'``) is taken as that dtype, which PyTorch refuses.
    """
    named = dict.fromkeys(_TO_KEYWORDS)
    slots = ("device", "dtype", "non_blocking", "copy")
    if args:
        first = args[0]
        if is_tensor(first):
            named["device"], named["dtype"] = first.device, first.dtype
            slots = ("", "non_blocking", "copy")
        elif first is None or _names_a_device(first):
            named["device"] = first
        else:
            named["dtype"] = _dtype_or_device_error(first, as_dtype)
            slots = ("", "non_blocking", "copy")
    if len(args) > len(slots):
        raise TypeError(f"{what}() takes at most {len(slots)} positional arguments "
                        f"for this overload, got {len(args)}")
    for slot, value in zip(slots[1:], args[1:]):
        named[slot] = value
    for key, value in kwargs.items():
        if key not in _TO_KEYWORDS:
            raise TypeError(f"{what}() got an unexpected keyword argument '{key}'")
        if named[key] is not None:
            raise TypeError(f"{what}() got multiple values for argument '{key}'")
        named[key] = value
    for flag in ("non_blocking", "copy"):
        if named[flag] is not None and not isinstance(named[flag], bool):
            raise TypeError(f"{what}(): argument '{flag}' must be bool, not "
                            f"{_typename(named[flag])}")
    where = named["device"]
    dtype = named["dtype"]
    check_format(named["memory_format"], what)
    return ToArguments(None if where is None else device(where),
                       None if dtype is None else as_dtype(dtype), bool(named["copy"]),
                       named["memory_format"])


def _dtype_or_device_error(value: Any, as_dtype: Callable[[Any], Any]) -> Any:
    """``value`` as a dtype; a string that is neither gets PyTorch's device-string error."""
    try:
        return as_dtype(value)
    except TypeError:
        if isinstance(value, str) and not _is_numpy_dtype_name(value):
            device(value)  # raises the RuntimeError PyTorch gives for a bad device string
        raise


def _is_numpy_dtype_name(text: str) -> bool:
    try:
        np.dtype(text)
    except TypeError:
        return False
    return True


def _names_a_device(value: Any) -> bool:
    """A device, an int (an accelerator index), or a string that starts with a device type."""
    if isinstance(value, device) or (isinstance(value, int) and not isinstance(value, bool)):
        return True
    return isinstance(value, str) and value.partition(":")[0] in DEVICE_TYPES


# ---------------------------------------------------------------- legacy type strings

# NumPy dtype name -> the name of PyTorch's legacy tensor type ('torch.FloatTensor').
LEGACY_TYPES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
    "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
    "uint8": "ByteTensor", "int8": "CharTensor", "bool": "BoolTensor",
}
_DTYPE_OF_LEGACY = {name: dtype for dtype, name in LEGACY_TYPES.items()}


def type_name(dtype_name: str, where: device = CPU) -> str:
    """``Tensor.type()``: ``'torch.FloatTensor'`` for a float32 tensor on the CPU
    (``'torch.cuda.FloatTensor'`` on CUDA), PyTorch's strings."""
    prefix = "torch." if where.type == "cpu" else f"torch.{where.type}."
    return prefix + LEGACY_TYPES[dtype_name]


def parse_type_name(name: str, what: str = "type") -> str:
    """The NumPy dtype name of a legacy type string (``'torch.LongTensor'`` -> ``'int64'``).

    ``'torch.cuda.LongTensor'`` raises :class:`DeviceError`; an unknown name ValueError, as
    in PyTorch. ``chainrule.`` is accepted in place of ``torch.``.
    """
    head, _, rest = name.partition(".")
    if head in ("torch", "chainrule"):
        place, dot, short = rest.rpartition(".")
        if short in _DTYPE_OF_LEGACY:
            if dot:
                if place not in DEVICE_TYPES:
                    raise ValueError(f"invalid type: '{name}'")
                require_cpu(place, what)
            return _DTYPE_OF_LEGACY[short]
    raise ValueError(f"invalid type: '{name}'")


class _UnavailableTensorType(type):
    """The type of ``chainrule.cuda.FloatTensor`` and its kin: names a script may mention,
    which refuse to make data and which no tensor is an instance of."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise DeviceError(cuda_message(f"{cls.legacy_name}(...)", cls.device_type))

    def __instancecheck__(cls, instance: Any) -> bool:
        return False

    def __repr__(cls) -> str:
        return f"<class '{cls.legacy_name}'>"


def unavailable_tensor_types(device_type: str) -> dict[str, type]:
    """``{'FloatTensor': ..., 'LongTensor': ...}`` for a device that holds no data here
    (``torch.cuda.FloatTensor`` ...): calling one raises :class:`DeviceError`."""
    return {short: _UnavailableTensorType(short, (), {
        "__doc__": f"torch.{device_type}.{short}: raises DeviceError (data stays on the CPU).",
        "legacy_name": f"torch.{device_type}.{short}", "device_type": device_type,
        "dtype": np.dtype(dtype_name)}) for dtype_name, short in LEGACY_TYPES.items()}


def no_device_error(what: str, device_type: str = "cuda") -> DeviceError:
    """The error for asking which accelerator device is current: there is none."""
    return DeviceError(f"{what}: chainrule has no {device_type.upper()} device, it computes on "
                       f"the CPU (PyTorch built without CUDA says 'Torch not compiled with CUDA "
                       f"enabled'). Check torch.cuda.is_available() first, as in: "
                       f"{DEVICE_LINE}")

"""Top-level names of the ``torch`` namespace that need no new math, loaded on first use: the
in-place forms (``chainrule.exp_(x)`` is ``x.exp_()``), other spellings (``arccos``,
``moveaxis``, ``fix``), the complex-number API on real tensors (``conj``, ``real``), legacy
constructors (``range``, ``scalar_tensor``, ``empty_strided``, ``frombuffer``), process-wide
switches, and the ``*_copy`` forms of the view operations (``methods.compat_copies``).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from .. import dtypes, grad_mode
from ..device import require_cpu
from ..layout import strided
from ..tensor import Tensor
from .compat_copies import (
    alias_copy,
    detach_copy,
    diagonal_copy,
    expand_copy,
    permute_copy,
    select_copy,
    slice_copy,
    split_copy,
    split_with_sizes_copy,
    squeeze_copy,
    t_copy,
    transpose_copy,
    unbind_copy,
    unfold_copy,
    unsqueeze_copy,
    view_copy,
)
from .compat_legacy import empty_strided_array
from .convenience import movedim

# ``chainrule.name_(input, ...)`` is ``input.name_(...)``: the in-place forms torch has at the
# top level, each of an existing Tensor method (which bumps the version counter).
INPLACE = ("abs_ acos_ acosh_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ "
           "atan_ atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ conj_physical_ cos_ cosh_ "
           "deg2rad_ erf_ erfc_ exp2_ exp_ expm1_ fill_ fix_ floor_ frac_ gcd_ i0_ lcm_ log10_ "
           "log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_ "
           "round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_ "
           "zero_").split()
# ``chainrule.name(input, ...)`` is ``input.name(...)``: spellings whose arguments pass through.
METHODS = ("arccos arccosh arcsin arcsinh arctan arctan2 arctanh fix isposinf isneginf "
           "is_complex is_signed is_conj is_neg is_inference is_same_size conj conj_physical "
           "resolve_conj resolve_neg adjoint split_with_sizes unsafe_chunk unsafe_split "
           "unsafe_split_with_sizes get_device detach detach_ igamma igammac").split()


def _method_form(name: str) -> Callable[..., Any]:
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}(...)`` (``torch.{name}``); returns what it returns."
    return function


for _name in INPLACE + METHODS:
    globals()[_name] = _method_form(_name)


def moveaxis(input: Any, source: Any, destination: Any) -> Any:
    """``movedim`` under NumPy's name: move the dimensions ``source`` to ``destination``."""
    return movedim(input, source, destination)


def real(input: Any) -> Any:
    """``input`` itself: a real tensor is its own real part."""
    return input.real


def imag(input: Any) -> Any:
    """Raises RuntimeError, as PyTorch does for real tensors (chainrule has no complex ones)."""
    return input.imag


def fill(input: Any, value: Any) -> Any:
    """A new tensor of ``input``'s shape and dtype holding ``value`` everywhere (a number or a
    0-d tensor, whose gradient is the sum of the result's). NOTE: no gradient flows to
    ``input`` (PyTorch's is zero)."""
    if not isinstance(value, Tensor):
        return input.new_full(input.shape, value)
    if value.ndim != 0:
        raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    return value.to(input.dtype).expand(*input.shape).clone()


def rsub(input: Any, other: Any, alpha: Any = 1) -> Any:
    """other − alpha · input (``torch.rsub``: ``sub`` with the operands swapped)."""
    if isinstance(other, Tensor):
        return other.sub(input, alpha=alpha)
    return input._times_alpha(input, alpha, "rsub").__rsub__(other)


def scalar_tensor(s: Any, *, dtype: Any = None, layout: Any = None, device: Any = None,
                  pin_memory: bool = False, requires_grad: bool = False) -> Any:
    """A 0-d tensor holding ``s``, in the default float dtype unless ``dtype`` says otherwise
    (also for ints and bools, as in PyTorch)."""
    require_cpu(device, "scalar_tensor")
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    return Tensor(np.asarray(s, dtype=dtype), requires_grad=requires_grad)


def range(start: Any, end: Any, step: Any = 1, *, dtype: Any = None,  # noqa: A001
          layout: Any = None, device: Any = None, requires_grad: bool = False) -> Any:
    """Deprecated, as in PyTorch: ``start, start + step, …`` up to ``end`` *inclusive*, in the
    default float dtype unless ``dtype`` is given. Use ``arange`` (end exclusive).

    Example:
        >>> import chainrule, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     chainrule.range(1, 2, 0.5)
        tensor([1.0000, 1.5000, 2.0000])
    """
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    require_cpu(device, "range")
    start, end, step = (float(v) for v in (start, end, step))
    if step == 0:
        raise RuntimeError("range: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("range: upper bound and lower bound inconsistent with step sign")
    count = int(np.floor((end - start) / step)) + 1
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    values = start + step * np.arange(count, dtype=np.float64)
    return Tensor(values.astype(dtype), requires_grad=requires_grad)


def empty_strided(size: Any, stride: Any, *, dtype: Any = None, layout: Any = None,
                  device: Any = None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Any:
    """An uninitialised tensor of ``size`` whose strides, in elements, are ``stride``."""
    require_cpu(device, "empty_strided")
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    t = Tensor._const(empty_strided_array(size, stride, dtype, "empty_strided"))
    return t.requires_grad_(True) if requires_grad else t


def frombuffer(buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Any:
    """A 1-D tensor viewing the bytes of ``buffer`` (any object with the buffer protocol),
    from byte ``offset``, ``count`` elements (−1: all that remain). Writes through the tensor
    change the buffer; a read-only buffer (``bytes``) gives a read-only tensor."""
    dtype = dtypes.as_dtype(dtype)
    length = memoryview(buffer).nbytes
    if length == 0 or count == 0:
        raise ValueError(f"frombuffer: both buffer length ({length}) and count ({count}) must "
                         "not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"frombuffer: offset ({offset} bytes) must be non-negative and no "
                         f"greater than buffer length ({length} bytes) minus 1")
    if count < 0 and (length - offset) % dtype.itemsize:
        raise ValueError(f"frombuffer: buffer length ({length - offset} bytes) after offset "
                         f"({offset} bytes) must be a multiple of element size "
                         f"({dtype.itemsize})")
    array = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
    t = Tensor._const(array)
    return t.requires_grad_(True) if requires_grad else t


def is_storage(obj: Any, /) -> bool:
    """False: chainrule has no storage objects (a tensor's memory is its NumPy array)."""
    return False


def typename(obj: Any, /) -> str:
    """The type of ``obj`` as a dotted name: the legacy type string for a tensor
    (``'torch.FloatTensor'``), else ``module.qualname`` (just the name for builtins)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        name = obj.__qualname__
    elif hasattr(obj, "__name__"):
        name = obj.__name__
    else:
        module, name = type(obj).__module__ or "", type(obj).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode (``autograd.detect_anomaly``) is on in this thread."""
    return grad_mode.is_anomaly_enabled()


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn anomaly mode on or off in this thread (``autograd.set_detect_anomaly``)."""
    grad_mode.set_detect_anomaly(enabled, check_nan)


_WARN_ALWAYS = [False]


def is_warn_always_enabled() -> bool:
    """The flag ``set_warn_always`` sets (False by default)."""
    return _WARN_ALWAYS[0]


def set_warn_always(b: bool, /) -> None:
    """Record PyTorch's "warn every time, not once" flag. NOTE: chainrule's warnings go through
    Python's ``warnings`` module, whose filters decide how often each shows; the flag is kept
    for scripts that set and read it."""
    _WARN_ALWAYS[0] = bool(b)


def init_num_threads() -> None:
    """Nothing to do: NumPy's thread pools start themselves (``set_num_threads`` sizes them)."""


def set_flush_denormal(mode: bool, /) -> bool:
    """Whether the CPU's flush-denormals-to-zero mode could be set to ``mode``, as PyTorch
    answers. NumPy offers no way to set that mode, and chainrule never turns it on: asking
    for it (True) gives False and changes nothing; asking for it off (False) gives True,
    which is already the case."""
    return not mode


__all__ = [
    "alias_copy", "detach_copy", "diagonal_copy", "empty_strided", "expand_copy", "fill",
    "frombuffer", "imag", "init_num_threads", "is_anomaly_enabled", "is_storage",
    "is_warn_always_enabled", "moveaxis", "permute_copy", "range", "real", "rsub",
    "scalar_tensor", "select_copy", "set_anomaly_enabled", "set_flush_denormal",
    "set_warn_always", "slice_copy", "split_copy", "split_with_sizes_copy", "squeeze_copy",
    "strided", "t_copy", "transpose_copy", "typename", "unbind_copy", "unfold_copy",
    "unsqueeze_copy", "view_copy",
]
__all__ += INPLACE + METHODS

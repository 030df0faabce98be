"""Functions that make tensors: from data, filled with constants, ranges, and random draws.

Sizes may be given as separate ints or as one tuple (``zeros(2, 3)`` or ``zeros((2, 3))``).
Random functions draw from the package generator (``chainrule.manual_seed``) unless a
``generator`` (a ``np.random.Generator``) is passed. Every function takes PyTorch's ``device``
(the CPU only: another device raises ``DeviceError``), and those that have it in PyTorch
``pin_memory`` (False only, as on a machine without an accelerator).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .device import require_cpu, require_no_pinning
from .random import resolve
from .tensor import Tensor, _wrap


def _sizes(size: tuple) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"sizes must be non-negative integers, got {size}")
    return tuple(int(n) for n in size)


def _made(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = _wrap(array, None)
    return t.requires_grad_(True) if requires_grad else t


def _on_cpu(what: str, device: Any, pin_memory: bool = False) -> None:
    require_cpu(device, what)
    require_no_pinning(pin_memory, what)


def _float_dtype(dtype: Any) -> np.dtype:
    return dtypes.default_float if dtype is None else dtypes.as_dtype(dtype)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (lists, arrays, numbers or a Tensor).

    Python floats become float32, ints int64; a NumPy array keeps its dtype.

    Example:
        >>> import chainrule
        >>> chainrule.tensor([[1, 2], [3, 4]]).dtype
        dtype('int64')
    """
    _on_cpu("tensor", device, pin_memory)
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a np.ndarray, got {type(array).__name__}")
    dtypes.as_dtype(array.dtype)
    return _wrap(array, None)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, without copying when it already is one of the right dtype."""
    _on_cpu("as_tensor", device)
    if isinstance(data, Tensor) and (dtype is None or dtypes.as_dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or dtypes.as_dtype(dtype) == data.dtype):
        return from_numpy(data)
    return Tensor(data, dtype=dtype)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False,
          device: Any = None) -> Tensor:
    _on_cpu("zeros", device)
    return _made(np.zeros(_sizes(size), _float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    _on_cpu("ones", device)
    return _made(np.ones(_sizes(size), _float_dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
          pin_memory: bool = False) -> Tensor:
    _on_cpu("empty", device, pin_memory)
    return _made(np.empty(_sizes(size), _float_dtype(dtype)), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype inferred from the value)."""
    _on_cpu("full", device)
    dtype = dtypes.infer(fill_value) if dtype is None else dtypes.as_dtype(dtype)
    return _made(np.full(_sizes((size,)), fill_value, dtype), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    _on_cpu("zeros_like", device)
    return _made(np.zeros(t.shape, dtype or t.dtype), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    _on_cpu("ones_like", device)
    return _made(np.ones(t.shape, dtype or t.dtype), requires_grad)


def empty_like(t: Tensor, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    """An uninitialised tensor of ``t``'s shape (and dtype, unless ``dtype`` is given)."""
    _on_cpu("empty_like", device)
    return _made(np.empty(t.shape, dtype or t.dtype), requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    _on_cpu("full_like", device)
    return _made(np.full(t.shape, fill_value, dtype or t.dtype), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``; int64 for integer
    arguments, float32 otherwise. ``arange(n)`` is 0 … n−1."""
    _on_cpu("arange", device)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if integral else dtypes.default_float
    return _made(np.arange(start, end, step).astype(dtypes.as_dtype(dtype)), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    _on_cpu("linspace", device)
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    return _made(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = None) -> Tensor:
    """The n×m identity matrix (m defaults to n)."""
    _on_cpu("eye", device)
    return _made(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def rand(*size: Any, dtype: Any = None, generator: Any = None,
         requires_grad: bool = False, device: Any = None, pin_memory: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    _on_cpu("rand", device, pin_memory)
    array = resolve(generator).random(_sizes(size)).astype(_float_dtype(dtype))
    return _made(array, requires_grad)


def randn(*size: Any, dtype: Any = None, generator: Any = None,
          requires_grad: bool = False, device: Any = None, pin_memory: bool = False) -> Tensor:
    """Samples from the standard normal distribution."""
    _on_cpu("randn", device, pin_memory)
    array = resolve(generator).standard_normal(_sizes(size)).astype(_float_dtype(dtype))
    return _made(array, requires_grad)


def randint(low: int, high: int | None = None, size: Any = None, dtype: Any = None,
            generator: Any = None, device: Any = None) -> Tensor:
    """Integers drawn uniformly from [low, high); ``randint(high, size)`` draws from [0, high)."""
    _on_cpu("randint", device)
    if size is None:
        low, high, size = 0, low, high
    if high is None or size is None:
        raise ValueError("randint needs high and size: randint(low, high, size)")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    return _made(resolve(generator).integers(low, high, _sizes((size,))).astype(dtype), False)


def rand_like(t: Tensor, generator: Any = None, dtype: Any = None,
              device: Any = None) -> Tensor:
    _on_cpu("rand_like", device)
    return rand(t.shape, dtype=t.dtype if dtype is None else dtype, generator=generator,
                device=device)


def randn_like(t: Tensor, generator: Any = None, dtype: Any = None,
               device: Any = None) -> Tensor:
    _on_cpu("randn_like", device)
    return randn(t.shape, dtype=t.dtype if dtype is None else dtype, generator=generator,
                 device=device)



def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``torch.randperm``: a random permutation of 0 … n − 1.

    Args:
        n: the length.
        generator: a ``np.random.Generator`` (default: the package generator).
        dtype: the result's dtype (default int64).
        device: accepted as PyTorch's; only the CPU is available.
        requires_grad: mark the (floating) result as requiring grad.
    """
    _on_cpu("randperm", device)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative integer, got {n!r}")
    dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    return _made(resolve(generator).permutation(int(n)).astype(dtype), requires_grad)


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """``torch.normal``: samples of N(mean, std²), in PyTorch's four forms:
    ``normal(mean_tensor, std_tensor)`` (broadcast together), ``normal(mean_float,
    std_tensor)``, ``normal(mean_tensor, std=1.0)`` (shaped and typed like the tensor), and
    ``normal(mean_float, std_float, size)`` (float32 unless ``dtype``).

    The samples are constants: PyTorch records an always-zero gradient for mean and std here
    (it does not reparameterise); use ``mean + std * randn_like(...)`` for one that flows.
    Tensor ``mean`` and ``std`` must broadcast together (PyTorch's old rule, equal element
    counts in any shapes, is not supported).

    Args:
        mean: a tensor of per-element means, or one float.
        std: a tensor of per-element standard deviations (≥ 0), or one float.
        size: the result's shape, for a float mean and std only.
        generator: a ``np.random.Generator`` (default: the package generator).
        dtype: the result's dtype for the float form (default float32).
        device: accepted as PyTorch's; only the CPU is available.
        requires_grad: mark the result as requiring grad.
    """
    _on_cpu("normal", device)
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal: with a float mean and std, give the size of the result")
        shape, out_dtype = _sizes((size,)), _float_dtype(dtype)
    else:
        if size is not None:
            raise TypeError("normal: size is only for a float mean and std")
        shape = np.broadcast_shapes(*[t.shape for t in tensors])
        out_dtype = tensors[0].dtype if len(tensors) == 1 else \
            dtypes.promote(mean.dtype, std.dtype)
        if not dtypes.is_floating(out_dtype):
            raise TypeError(f"normal: mean and std must be floating point, got {out_dtype}")
    mean_values, std_values = (np.asarray(v.data if isinstance(v, Tensor) else v,
                                          dtype=np.float64) for v in (mean, std))
    if np.any(std_values < 0) or np.any(np.isnan(std_values)):
        raise RuntimeError("normal: std must be >= 0")
    draw = resolve(generator).standard_normal(shape)
    return _made((mean_values + std_values * draw).astype(out_dtype), requires_grad)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool = False) -> Tensor:
    """``torch.asarray``: ``obj`` (a tensor, array, list or number) as a tensor, sharing its
    memory where it can (a tensor or an array of the asked dtype).

    Args:
        dtype: the result's dtype (default: ``obj``'s, Python floats as the default float).
        device: accepted as PyTorch's; only the CPU is available.
        copy: True always copies; False never does (a ValueError when it must); None copies
            only when it must.
        requires_grad: mark the (floating) result as requiring grad.
    """
    _on_cpu("asarray", device)
    source = obj.data if isinstance(obj, Tensor) else obj
    shares = isinstance(source, np.ndarray) and \
        (dtype is None or dtypes.as_dtype(dtype) == source.dtype)
    if copy is False and not shares:
        raise ValueError(f"asarray: copy=False, but a {type(obj).__name__} of this dtype "
                         "cannot be shared without a copy")
    if copy is True or not shares:
        result = Tensor(source, dtype=dtype)
    else:
        result = obj if isinstance(obj, Tensor) and not requires_grad else from_numpy(source)
    return result.requires_grad_(True) if requires_grad else result


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """``torch.logspace``: ``steps`` values base ** x for x evenly spaced from ``start`` to
    ``end`` inclusive (the default float dtype unless ``dtype``)."""
    _on_cpu("logspace", device)
    if steps < 0:
        raise ValueError(f"logspace: steps must be non-negative, got {steps}")
    dtype = _float_dtype(dtype)
    values = np.power(float(base), np.linspace(start, end, steps))
    if dtype.kind != "f":
        values = np.round(values)
    return _made(values.astype(dtype), requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *,
                 dtype: Any = None, generator: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
    """``torch.randint_like``: integers drawn uniformly from [low, high) in ``input``'s shape
    and dtype (unless ``dtype``); ``randint_like(input, high)`` draws from [0, high)."""
    _on_cpu("randint_like", device)
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint_like: high ({high}) must be greater than low ({low})")
    dtype = input.dtype if dtype is None else dtypes.as_dtype(dtype)
    values = resolve(generator).integers(low, high, input.shape).astype(dtype)
    return _made(values, requires_grad)

"""Data types: the allow-list, inference for ``tensor(data)``, and PyTorch's promotion rules.

chainrule's dtypes are NumPy dtypes (``chainrule.float32 == np.dtype("float32")``), so arrays
and tensors speak the same language. What differs from NumPy is *promotion*, which follows
PyTorch so that a float32 model stays float32:

* Python floats become float32 (the default float dtype), Python ints int64, bools bool.
* A Python scalar never widens a tensor of its own kind: ``float32_tensor * 2.5`` is float32.
  A float scalar with an integer tensor gives the default float dtype (float32).
* Tensor with tensor: within one kind (bool < integer < float) the wider wins; across kinds
  the higher kind's dtype wins (``int64 + float32 -> float32``, where NumPy says float64).
* A 0-d tensor (or array) with a tensor that has dimensions counts only by its kind, as a
  Python scalar does: ``float32_tensor * tensor(2.0, dtype=float64)`` is float32. Only when
  its kind is higher does its dtype win (``int32_tensor + tensor(1.5, dtype=float64)`` is
  float64). Two 0-d tensors promote as two tensors. (PyTorch: dimensioned tensors > 0-d
  tensors > Python scalars, each level deciding only within a kind.)

The result dtype is computed here, and both operands are converted to it before the NumPy call,
so NumPy's own rules (NEP 50 in NumPy 2, value-based casting in NumPy 1) never decide it.
"""

from __future__ import annotations

import numpy as np

float16 = np.dtype(np.float16)
dtype = np.dtype  # torch.dtype: every dtype object is one
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

half, double, long, int_ = float16, float64, int64, int32
default_float = float32

SUPPORTED = frozenset([float16, float32, float64, int8, int16, int32, int64, uint8, bool_])
_NAMES = {"float": float32, "double": float64, "long": int64, "int": int32, "half": float16}
_PY_TYPES = {float: float64, int: int64, bool: bool_}


def as_dtype(dtype: object) -> np.dtype:
    """Return the NumPy dtype for ``dtype`` (a dtype, a NumPy type, a name or a Python type).

    Raises TypeError naming the dtype when chainrule does not support it (complex, object,
    strings ...).
    """
    if isinstance(dtype, str) and dtype in _NAMES:
        return _NAMES[dtype]
    if dtype in _PY_TYPES:
        return _PY_TYPES[dtype]
    try:
        resolved = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"unsupported dtype {dtype!r}: {err}") from None
    if resolved not in SUPPORTED:
        names = ", ".join(sorted(d.name for d in SUPPORTED))
        raise TypeError(f"unsupported dtype {resolved.name!r}; chainrule supports {names}")
    return resolved


def get_default_dtype() -> np.dtype:
    """The floating-point dtype that Python floats and ``zeros``/``ones``/... make (PyTorch's
    ``torch.get_default_dtype``); float32 unless ``set_default_dtype`` changed it."""
    return default_float


def set_default_dtype(d: object) -> None:
    """Make ``d`` (float32 or float64) the default floating-point dtype, as PyTorch's
    ``torch.set_default_dtype``: it decides what ``tensor([1.0])``, ``zeros(2)`` and an integer
    tensor combined with a Python float give. The setting is global (all threads).

    Args:
        d: float32 or float64 (PyTorch also takes float16 and bfloat16; chainrule does not).
    """
    global default_float
    dtype = as_dtype(d)
    if dtype not in (float32, float64):
        raise TypeError(f"set_default_dtype: only float32 and float64 can be the default "
                        f"dtype, got {dtype.name}")
    default_float = dtype


def kind_rank(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floats: the order in which kinds promote."""
    return 2 if dtype.kind == "f" else (0 if dtype.kind == "b" else 1)


def is_floating(dtype: np.dtype) -> bool:
    """True for float16/32/64."""
    return dtype.kind == "f"


def promote(a: np.dtype, b: np.dtype, a_zero_dim: bool = False,
            b_zero_dim: bool = False) -> np.dtype:
    """Result dtype of a binary op on tensors of dtypes ``a`` and ``b``; ``*_zero_dim`` says
    which of them has no dimensions (PyTorch rules, see the module docstring)."""
    if a == b:
        return a
    rank_a, rank_b = kind_rank(a), kind_rank(b)
    if a_zero_dim != b_zero_dim:
        zero_dim, rank_zero, other, rank_other = (a, rank_a, b, rank_b) if a_zero_dim else (
            b, rank_b, a, rank_a)
        return zero_dim if rank_zero > rank_other else other
    if rank_a != rank_b:
        return a if rank_a > rank_b else b
    return np.promote_types(a, b)


def promote_scalar(tensor_dtype: np.dtype, scalar: object) -> np.dtype:
    """Result dtype of a binary op on a tensor and a Python (or NumPy) scalar."""
    if isinstance(scalar, (complex, np.complexfloating)):
        as_dtype(np.asarray(scalar).dtype)  # raises TypeError: unsupported dtype 'complex128'
    scalar_rank = 0 if isinstance(scalar, (bool, np.bool_)) else (
        2 if isinstance(scalar, (float, np.floating)) else 1
    )
    if scalar_rank <= kind_rank(tensor_dtype):
        return tensor_dtype
    return default_float if scalar_rank == 2 else int64


def infer(data: object) -> np.dtype:
    """dtype that ``chainrule.tensor(data)`` gives ``data`` when no dtype is asked for.

    A NumPy array keeps its dtype; Python floats become float32, ints int64, bools bool.
    """
    if isinstance(data, (np.ndarray, np.generic)):
        return as_dtype(data.dtype)
    inferred = np.asarray(data).dtype
    if inferred.kind == "f":
        return default_float
    if inferred.kind in "iu":
        return int64
    return as_dtype(inferred)


def keep_scalar_float(out: object, arrays: list) -> np.ndarray:
    """A 0-d float result in the dtype of the floating inputs.

    NOTE: NumPy 1.x promotes a 0-d float32 array combined with a Python float to float64
    (value-based casting; NumPy 2's NEP 50 does not), so scalar results such as losses would
    silently widen there. Arrays with dimensions keep their dtype under both rules.
    """
    out = np.asarray(out)
    for array in arrays:
        if array.dtype.kind == "f":
            return out.astype(array.dtype, copy=False) if out.dtype.kind == "f" else out
    return out


# ---------------------------------------------------------------- dtype information


class finfo:  # noqa: N801 - PyTorch's name
    """``torch.finfo``: the limits of a floating-point dtype (default: the default dtype).

    Attributes: ``bits``, ``eps`` (the gap between 1 and the next value), ``max``, ``min``
    (the most negative finite value), ``tiny`` and ``smallest_normal`` (the smallest positive
    normal value), ``resolution`` (10 ** −decimal digits) and ``dtype`` (its name).
    """

    def __init__(self, type: object = None) -> None:  # noqa: A002 - PyTorch's argument name
        dtype = default_float if type is None else as_dtype(type)
        if not is_floating(dtype):
            raise TypeError(f"finfo() requires a floating point input type, got {dtype.name}; "
                            "use iinfo for integer types")
        info = np.finfo(dtype)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = 10.0 ** -int(info.precision)  # a Python float, exactly 1e-06 ...
        self.dtype = dtype.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801 - PyTorch's name
    """``torch.iinfo``: the limits of an integer dtype: ``bits``, ``max``, ``min`` and
    ``dtype`` (its name)."""

    def __init__(self, type: object) -> None:  # noqa: A002 - PyTorch's argument name
        dtype = as_dtype(type)
        if dtype == bool_:
            raise TypeError("iinfo(): bool is not supported")
        if dtype.kind not in "iu":
            raise TypeError(f"iinfo() requires an integer input type, got {dtype.name}; use "
                            "finfo for floating-point types")
        info = np.iinfo(dtype)
        self.bits, self.max, self.min = int(info.bits), int(info.max), int(info.min)
        self.dtype = dtype.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def promote_types(type1: object, type2: object) -> np.dtype:
    """``torch.promote_types``: the smallest dtype to which both dtypes convert without
    leaving their kinds (bool < integer < float): ``promote_types(int32, float16)`` is
    float16, ``promote_types(uint8, int8)`` int16."""
    return promote(as_dtype(type1), as_dtype(type2))


def can_cast(from_: object, to: object) -> bool:
    """``torch.can_cast``: whether PyTorch's casting rules allow ``from_`` to become ``to``:
    never to a lower kind (float to integer, integer to bool); within a kind always."""
    return kind_rank(as_dtype(from_)) <= kind_rank(as_dtype(to))


def result_type(tensor1: object, tensor2: object) -> np.dtype:
    """``torch.result_type``: the dtype of an arithmetic operation on the two operands
    (tensors or Python numbers), by the promotion rules of the module docstring."""
    tensors = [t for t in (tensor1, tensor2) if hasattr(t, "dtype") and hasattr(t, "ndim")]
    if len(tensors) == 2:
        a, b = tensors
        return promote(a.dtype, b.dtype, a.ndim == 0, b.ndim == 0)
    if len(tensors) == 1:
        scalar = tensor2 if tensors[0] is tensor1 else tensor1
        return promote_scalar(tensors[0].dtype, scalar)
    kinds = [_scalar_dtype(s) for s in (tensor1, tensor2)]
    return kinds[0] if kind_rank(kinds[0]) >= kind_rank(kinds[1]) else kinds[1]


def _scalar_dtype(scalar: object) -> np.dtype:
    if isinstance(scalar, (bool, np.bool_)):
        return bool_
    if isinstance(scalar, (int, np.integer)):
        return int64
    if isinstance(scalar, (float, np.floating)):
        return default_float
    raise TypeError(f"result_type: expects tensors or numbers, got {type(scalar).__name__}")

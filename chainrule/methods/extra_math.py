"""Elementwise ops on the base-2 form of numbers: ``logaddexp2``, ``ldexp``, ``frexp``,
``nextafter`` and the bit shifts ``bitwise_left_shift`` / ``bitwise_right_shift``, with the
in-place forms' common cast. The Tensor methods (``methods.extra``) call these.

logaddexp2 is ``ops.pointwise.LogAddExp2``; frexp's mantissa and nextafter are Functions of
``ops.base2`` (each imported on first use); ldexp composes x · exp2(other), as PyTorch
computes it, so both gradients come from ``Mul`` and ``Exp2``.
The shifts are integer-only constants.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import dtypes
from .math import MathMixin, as_operand, binary, broadcast_shape

Frexp = namedtuple("frexp", ["mantissa", "exponent"])


def _ops() -> Any:
    """``ops.base2``, imported on first use."""
    from ..ops import base2

    return base2


def tensor_operand(name: str, other: Any) -> None:
    """A TypeError unless ``other`` is a tensor (PyTorch takes no number for these ops)."""
    if not isinstance(other, MathMixin):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")


def _floating_pair(name: str, input: Any, other: Any) -> None:
    """A NotImplementedError unless ``input`` and the tensor ``other`` promote to a float."""
    tensor_operand(name, other)
    _, dtype = as_operand(input, other)
    if not dtypes.is_floating(dtype):
        raise NotImplementedError(f"{name}: only floating-point tensors are supported, got "
                                  f"{input.dtype} and {other.dtype} (PyTorch refuses them too)")


def logaddexp2(input: Any, other: Any) -> Any:
    """log₂(2^input + 2^other), computed stably (``ops.pointwise.LogAddExp2``)."""
    _floating_pair("logaddexp2", input, other)
    from ..ops.pointwise import LogAddExp2

    return binary(LogAddExp2, input, other, "logaddexp2")


def nextafter(input: Any, other: Any) -> Any:
    """The next float after ``input`` towards ``other``; the gradient goes to ``input``
    unchanged (``ops.base2.NextAfter``)."""
    _floating_pair("nextafter", input, other)
    return binary(_ops().NextAfter, input, other, "nextafter")


def ldexp(input: Any, other: Any) -> Any:
    """input · 2^other: ``other``'s floats as they are, its integers as float32 (as PyTorch).

    The gradients are G · 2^other for input and G · input · 2^other · ln 2 for a float other.
    NOTE: torch 2.13 computes input's gradient with 2^other in other's integer dtype, so a
    negative integer exponent gives it 0 there; chainrule keeps the derivative, 2^other."""
    tensor_operand("ldexp", other)
    if other.dtype.kind == "b":
        raise NotImplementedError("ldexp: a bool exponent is not supported (PyTorch refuses "
                                  "it too); convert it first, e.g. other.int()")
    broadcast_shape("ldexp", input.shape, other.shape)
    return input * other.exp2()


def frexp(input: Any) -> Any:
    """The named tuple (mantissa, exponent) with input = mantissa · 2^exponent, |mantissa| in
    [0.5, 1) (0 for 0) and an int32 exponent (0 for ±∞ and NaN); the mantissa is
    differentiable, the exponent a constant."""
    if not dtypes.is_floating(input.dtype):
        raise RuntimeError(f"frexp: only floating-point tensors are supported, got "
                           f"{input.dtype}")
    exponent = np.frexp(input.data)[1].astype(np.int32, copy=False)
    return Frexp(input._apply(_ops().Mantissa), input._const(exponent))


def shift(input: Any, other: Any, name: str, left: bool) -> Any:
    """``input`` shifted by ``other`` bits (integers, promoted as PyTorch does), with
    PyTorch's rule for a shift that is negative or not less than the width w of the dtype:
    a left shift gives 0, a right shift the sign fill (−1 for a negative x, else 0)."""
    if not isinstance(input, MathMixin):  # a number shifted by a tensor (top-level form)
        input, _ = as_operand(other, input)
    other, dtype = as_operand(input, other)
    if dtype.kind not in "iu":
        raise NotImplementedError(f"{name}: only integer tensors can be shifted, got "
                                  f"{input.dtype} and {other.dtype} (promoted to {dtype})")
    broadcast_shape(name, input.shape, other.shape)
    x, s = input.data.astype(dtype), other.data.astype(dtype)
    width = dtype.itemsize * 8
    outside = (s < 0) | (s >= width)
    amount = np.where(outside, 0, s).astype(dtype)
    if left:
        out = np.where(outside, 0, np.left_shift(x, amount))
    else:
        out = np.where(outside, np.where(x < 0, -1, 0), np.right_shift(x, amount))
    return input._const(np.asarray(out, dtype=dtype))


def cast_into(t: Any, name: str, out: Any) -> Any:
    """``out`` in ``t``'s dtype, for writing into ``t`` in place: a RuntimeError if the cast
    is not one PyTorch makes (a float result into an integer tensor)."""
    if out.dtype == t.dtype:
        return out
    if not np.can_cast(out.dtype, t.dtype, casting="same_kind"):
        raise RuntimeError(f"{name}: the result is {out.dtype}, which cannot be written into "
                           f"a {t.dtype} tensor in place; convert the tensor first")
    return out.to(t.dtype)


__all__ = ["Frexp", "cast_into", "frexp", "ldexp", "logaddexp2", "nextafter", "shift",
           "tensor_operand"]

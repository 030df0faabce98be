"""Logical and bitwise operations, and the sign-bit and realness tests: bool or integer
results with no gradient (constants), in PyTorch's dtypes.

The logical functions take tensors of any dtype (zero is false) and give bool tensors. The
bitwise ones take integer and bool tensors only, in the dtype the operands promote to (bool
with bool stays bool); a Python integer wraps into an integer tensor's dtype, as in PyTorch
(``uint8_tensor ^ 300`` is ``uint8_tensor ^ 44``). The operators ``&``, ``|``, ``^`` and
``~`` call these; the top-level forms are in ``pointwise_functions``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .math import as_operand, broadcast_shape


class LogicalMixin:
    """Logical and bitwise methods of ``Tensor``, ``signbit`` and ``isreal``."""

    __slots__ = ()

    def logical_and(self, other):
        return _logical(np.logical_and, self, other, "logical_and")

    def logical_or(self, other):
        return _logical(np.logical_or, self, other, "logical_or")

    def logical_xor(self, other):
        return _logical(np.logical_xor, self, other, "logical_xor")

    def logical_not(self):
        return self._const(np.logical_not(self.data))

    def bitwise_and(self, other):
        return _bitwise(np.bitwise_and, self, other, "bitwise_and")

    def bitwise_or(self, other):
        return _bitwise(np.bitwise_or, self, other, "bitwise_or")

    def bitwise_xor(self, other):
        return _bitwise(np.bitwise_xor, self, other, "bitwise_xor")

    def bitwise_not(self):
        """~x: every bit flipped (integers), or logical not (bool)."""
        _check_bitwise("bitwise_not", self.dtype)
        return self._const(np.invert(self.data))

    def signbit(self):
        """Where the sign bit is set (x < 0, also −0.0 and NaNs with the bit), as bool."""
        return self._const(np.asarray(np.signbit(self.data)))

    def isreal(self):
        """All true: chainrule has no complex dtypes."""
        return self._const(np.ones(self.shape, dtype=bool))


def _logical(ufunc: Any, a: Any, b: Any, name: str) -> Any:
    """``ufunc`` of the truth values of ``a`` and ``b`` (broadcast): a bool tensor."""
    other = as_operand(a, b)[0]
    broadcast_shape(name, a.shape, other.shape)
    return a._const(np.asarray(ufunc(a.data, other.data)))


def _bitwise(ufunc: Any, a: Any, b: Any, name: str) -> Any:
    """``ufunc`` on integer or bool operands in their promoted dtype."""
    if isinstance(b, (int, np.integer)) and not isinstance(b, (bool, np.bool_)) \
            and a.dtype.kind in "iu":
        other, dtype = a._const(np.asarray(b).astype(a.dtype)), a.dtype  # wraps, as PyTorch
    else:
        other, dtype = as_operand(a, b)
    _check_bitwise(name, dtype)
    broadcast_shape(name, a.shape, other.shape)
    x, y = a.data.astype(dtype, copy=False), other.data.astype(dtype, copy=False)
    return a._const(np.asarray(ufunc(x, y)))


def _check_bitwise(name: str, dtype: np.dtype) -> None:
    if dtype.kind not in "biu":
        raise TypeError(f"{name}: needs integer or bool tensors, got {dtype} (PyTorch refuses "
                        "floating-point ones too); compare or convert first, e.g. x.long()")

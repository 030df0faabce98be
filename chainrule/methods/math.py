"""Tensor arithmetic and elementwise math: operators, promotion, broadcasting for gradients.

Binary operators go through ``binary``: it promotes dtypes by PyTorch's rules (a Python scalar
never widens a tensor of its kind), then inserts a ``BroadcastTo`` node on any operand that
requires grad and must be broadcast, so the arithmetic Functions see equal shapes and
broadcasting is undone in exactly one place. Comparisons return bool tensors with no graph.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import autograd, dtypes
from ..ops import arithmetic as ar
from ..ops import linalg, shape, unary

_SCALARS = (numbers.Number, np.bool_)


def broadcast_shape(name: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The common shape of ``shapes``, or a ValueError naming the operation and the shapes."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise ValueError(
            f"{name}: shapes {listed} cannot be broadcast together (each trailing dimension "
            "must match or be 1)"
        ) from None


def broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether an array of ``shape`` broadcasts to exactly ``target``."""
    if shape == target or not shape:
        return True
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def inplace_operand(t: Any, name: str, other: Any) -> Any:
    """``other``'s array (or number) for the in-place op ``name`` on ``t``, checked to broadcast
    to ``t``'s shape: an in-place result keeps the shape of the tensor it is written into."""
    value = other.data if isinstance(other, MathMixin) else other
    if not broadcasts_to(np.shape(value), t.shape):
        raise ValueError(f"{name}: an operand of shape {np.shape(value)} cannot be broadcast "
                         f"to the shape {t.shape} of the tensor changed in place")
    return value


def broadcast_for_grad(tensors: list, target: tuple[int, ...]) -> list:
    """Broadcast (through a graph node) every operand that requires grad and differs in shape."""
    if not autograd.is_grad_enabled():
        return tensors
    return [
        t._apply(shape.BroadcastTo, shape=target) if t.requires_grad and t.shape != target else t
        for t in tensors
    ]


def as_operand(like: Any, other: Any) -> tuple[Any, np.dtype]:
    """``other`` as a Tensor, and the dtype that ``like`` and ``other`` promote to."""
    if not isinstance(other, MathMixin):  # NOTE: tested first: the ABC check below is slow
        if isinstance(other, _SCALARS):
            dtype = dtypes.promote_scalar(like.dtype, other)
            return like._const(np.asarray(other, dtype=dtype)), dtype
        # NOTE: a plain Tensor, never ``type(like)``: for a Parameter ``like`` that made the
        # other operand a new Parameter, a leaf that took the gradient away from its graph.
        other = like._convert(other)
    dtype = like.dtype
    if other.dtype == dtype:
        return other, dtype
    return other, dtypes.promote(dtype, other.dtype, like.ndim == 0, other.ndim == 0)


def binary(fn: Any, a: Any, b: Any, name: str, reverse: bool = False, floating: bool = False):
    """Apply the binary Function ``fn`` to tensor ``a`` and anything tensor-like ``b``."""
    b, dtype = as_operand(a, b)
    if floating and not dtypes.is_floating(dtype):
        dtype = dtypes.default_float
    if reverse:
        a, b = b, a
    if a.dtype != dtype or b.dtype != dtype:
        a, b = a.to(dtype), b.to(dtype)
    if a.shape != b.shape:
        a, b = broadcast_for_grad([a, b], broadcast_shape(name, a.shape, b.shape))
    return a._apply(fn, b)


def compare(ufunc: Any, a: Any, b: Any, name: str) -> Any:
    """Elementwise comparison: a bool tensor, no gradient. Both sides are compared in their
    promoted dtype, as in PyTorch (``float32 0.1 == float64 0.1`` holds)."""
    b, dtype = as_operand(a, b)
    broadcast_shape(name, a.shape, b.shape)
    return a._const(ufunc(a.data.astype(dtype, copy=False), b.data.astype(dtype, copy=False)))


def matmul(a: Any, b: Any) -> Any:
    """Matrix product with NumPy's rules for 1-D operands and broadcast batch dimensions."""
    b, dtype = as_operand(a, b)
    a, b = a.to(dtype), b.to(dtype)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied: the first has "
            f"{a2.shape[-1]} columns but the second has {b2.shape[-2]} rows"
        )
    if a2.ndim > 2 or b2.ndim > 2:
        try:
            batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        except ValueError:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied: their batch "
                f"dimensions {a2.shape[:-2]} and {b2.shape[:-2]} do not broadcast"
            ) from None
        a2 = broadcast_for_grad([a2], batch + a2.shape[-2:])[0]
        b2 = broadcast_for_grad([b2], batch + b2.shape[-2:])[0]
    y = a2._apply(linalg.MatMul, b2)
    if a.ndim == 1:
        y = y.squeeze(-2)
    return y.squeeze(-1) if b.ndim == 1 else y


class MathMixin:
    """Operators and elementwise math of ``Tensor``."""

    __slots__ = ()

    def __add__(self, other):
        return binary(ar.Add, self, other, "add")

    def __radd__(self, other):
        return binary(ar.Add, self, other, "add", reverse=True)

    def __sub__(self, other):
        return binary(ar.Sub, self, other, "sub")

    def __rsub__(self, other):
        return binary(ar.Sub, self, other, "sub", reverse=True)

    def __mul__(self, other):
        return binary(ar.Mul, self, other, "mul")

    def __rmul__(self, other):
        return binary(ar.Mul, self, other, "mul", reverse=True)

    def __truediv__(self, other):
        return binary(ar.Div, self, other, "div", floating=True)

    def __rtruediv__(self, other):
        return binary(ar.Div, self, other, "div", True, True)

    def __mod__(self, other):
        return binary(ar.Remainder, self, other, "remainder")

    def __rmod__(self, other):
        return binary(ar.Remainder, self, other, "remainder", True)

    def __floordiv__(self, other):
        return self._floor_divide(other, False)

    def __rfloordiv__(self, other):
        return self._floor_divide(other, True)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(as_operand(self, other)[0], self)

    def __neg__(self):
        return self._apply(unary.Neg)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __pow__(self, exponent):
        return self.pow(exponent)

    def __rpow__(self, base):
        return binary(ar.Pow, self, base, "pow", reverse=True)

    def __eq__(self, other):
        return compare(np.equal, self, other, "eq")

    def __ne__(self, other):
        return compare(np.not_equal, self, other, "ne")

    def __lt__(self, other):
        return compare(np.less, self, other, "lt")

    def __le__(self, other):
        return compare(np.less_equal, self, other, "le")

    def __gt__(self, other):
        return compare(np.greater, self, other, "gt")

    def __ge__(self, other):
        return compare(np.greater_equal, self, other, "ge")

    def __invert__(self):
        return self.bitwise_not()

    def __and__(self, other):
        return self.bitwise_and(other)

    __rand__ = __and__

    def __or__(self, other):
        return self.bitwise_or(other)

    __ror__ = __or__

    def __xor__(self, other):
        return self.bitwise_xor(other)

    __rxor__ = __xor__


    def add(self, other, alpha=1):
        if type(alpha) is int and alpha == 1:
            return self + other
        return self + self._times_alpha(other, alpha, "add")

    def sub(self, other, alpha=1):
        if type(alpha) is int and alpha == 1:
            return self - other
        return self - self._times_alpha(other, alpha, "sub")

    def mul(self, other):
        return self * other

    def div(self, other, *, rounding_mode=None):
        """self / other; with ``rounding_mode`` 'trunc' or 'floor', rounded (a constant)."""
        if rounding_mode is None:
            return self / other
        return self._div_rounded(other, rounding_mode, False)

    def matmul(self, other):
        return matmul(self, other)

    def neg(self):
        return -self

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other


    def pow(self, exponent):
        """self ** exponent: a constant exponent uses ``PowScalar``, a tensor one ``Pow``."""
        if isinstance(exponent, _SCALARS) and not isinstance(exponent, (bool, np.bool_)):
            dtype = dtypes.promote_scalar(self.dtype, exponent)
            return self.to(dtype)._apply(ar.PowScalar, exponent=_py_number(exponent))
        return binary(ar.Pow, self, exponent, "pow")

    def exp(self):
        return self._float()._apply(unary.Exp)

    def log(self):
        return self._float()._apply(unary.Log)

    def log1p(self):
        return self._float()._apply(unary.Log1p)

    def sqrt(self):
        return self._float()._apply(unary.Sqrt)

    def rsqrt(self):
        return self._float()._apply(unary.Rsqrt)

    def sin(self):
        return self._float()._apply(unary.Sin)

    def cos(self):
        return self._float()._apply(unary.Cos)

    def tanh(self):
        return self._float()._apply(unary.Tanh)

    def sigmoid(self):
        return self._float()._apply(unary.Sigmoid)

    def softplus(self):
        return self._float()._apply(unary.Softplus)

    def abs(self):
        return self._apply(unary.Abs) if self.dtype.kind != "b" else refuse_bool("abs")

    def relu(self):
        return self._apply(unary.Relu) if self.dtype.kind != "b" else refuse_bool("relu")

    def square(self):
        return self._apply(ar.PowScalar, exponent=2)

    def reciprocal(self):
        return 1 / self

    def sign(self):
        if self.dtype.kind == "b":  # PyTorch: a bool tensor is its own sign
            return self._const(self.data.copy())
        return self._apply(unary.Sign)

    def floor(self):
        return self._rounded(np.floor)

    def ceil(self):
        return self._rounded(np.ceil)

    def round(self, decimals=0):
        """Round half to even (as PyTorch), to ``decimals`` decimal places."""
        return self._rounded(np.round, decimals)

    def isnan(self):
        return self._const(np.isnan(self.data))

    def isfinite(self):
        return self._const(np.isfinite(self.data))


    def clamp(self, min=None, max=None):
        """Clip every element into [min, max]; either bound may be None (not both)."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        if isinstance(min, type(self)) or isinstance(max, type(self)):
            # NOTE: where, not maximum/minimum: at x == bound the gradient must go to x (bounds
            # included, as in PyTorch), where maximum/minimum would split it between the two.
            lower = self if min is None else where(self >= min, self, min)
            return lower if max is None else where(lower <= max, lower, max)
        lo = None if min is None else _py_number(min)
        hi = None if max is None else _py_number(max)
        if self.dtype.kind in "biu" and (isinstance(lo, float) or isinstance(hi, float)):
            # an integer tensor with a float bound gives the default float dtype, as in PyTorch
            return self._float()._apply(unary.Clamp, lo=lo, hi=hi)
        return self._apply(unary.Clamp, lo=lo, hi=hi)

    clip = clamp

    def maximum(self, other):
        return binary(ar.Maximum, self, other, "maximum")

    def minimum(self, other):
        return binary(ar.Minimum, self, other, "minimum")


    def where(self, condition, other):
        """Elements of self where ``condition`` holds, else of ``other`` (PyTorch's order)."""
        return where(condition, self, other)

    def _rounded(self, func, *args):
        """``func`` (floor, ceil, round) of a float tensor, a constant; an integer tensor is
        already whole, and keeps its dtype (a copy), as in PyTorch."""
        return self._const(func(self.data, *args) if self.dtype.kind == "f" else self.data.copy())

    def _float(self):
        """self, or a float32 copy for integer tensors (exp, log ... of ints give floats)."""
        return self if dtypes.is_floating(self.dtype) else self.to(dtypes.default_float)

    def _floor_divide(self, other, reverse):
        return self._div_rounded(other, "floor", reverse)


def where(condition: Any, a: Any, b: Any) -> Any:
    """Elementwise choice: ``a`` where ``condition`` is true, else ``b`` (differentiable in both).

    ``a`` or ``b`` may be a Python number; at least one of them must be a Tensor.
    """
    like = next((x for x in (a, b, condition) if isinstance(x, MathMixin)), None)
    if like is None:
        raise TypeError("where: at least one of condition, a and b must be a Tensor")
    a, _ = as_operand(like, a)
    b, _ = as_operand(like, b)
    dtype = dtypes.promote(a.dtype, b.dtype, a.ndim == 0, b.ndim == 0)
    cond = condition if isinstance(condition, MathMixin) else like._const(np.asarray(condition))
    if cond.dtype != dtypes.bool_:
        cond = like._const(cond.data.astype(bool))
    a, b = a.to(dtype), b.to(dtype)
    target = broadcast_shape("where", cond.shape, a.shape, b.shape)
    a, b = broadcast_for_grad([a, b], target)
    return cond._apply(ar.Where, a, b)


def refuse_bool(name: str) -> Any:
    """The TypeError for an op PyTorch does not define on bool tensors (NumPy would answer
    an integer or bool array, silently)."""
    raise TypeError(f"{name}: bool tensors are not supported (PyTorch refuses them too); "
                    f"convert first, e.g. x.float().{name}()")


def _py_number(value: Any) -> Any:
    """A NumPy scalar as the Python number, so it cannot widen a float32 array (NEP 50)."""
    return value.item() if isinstance(value, np.generic) else value

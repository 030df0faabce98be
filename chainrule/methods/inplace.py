"""In-place elementwise methods (``exp_``, ``relu_``, ``addcmul_``, ``lerp_``, ...) and the
in-place shape changes ``squeeze_``, ``unsqueeze_``, ``transpose_``, ``t_``.

Each computes its result with the out-of-place method and writes it into the tensor's memory,
so every view of that memory sees the new values and shares the bumped version counter
(``methods.version``). When grad mode is on and the tensor or an operand requires grad, the
operation is recorded as PyTorch records it: the tensor becomes the output of the new node,
whose input is the tensor's previous value (kept as a copy, with the previous history). The
rules that keep gradients right:

* a leaf that requires grad is refused (its ``.grad`` would no longer belong to its values);
* a graph tensor that views another's memory (a slice, a reshape) is refused: the tensor it
  views would keep a history without the change (PyTorch rewrites that history; clone first);
* any node that had already used the tensor sees its version change and refuses backward;
* the node that made the tensor keeps copies of what it saved from the tensor's memory (exp,
  sigmoid and amax save their output), so its backward still reads the old values.

With grad mode off, or when nothing requires grad, the values are simply overwritten.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import autograd, kernels
from ..ops import unary
from .math import refuse_bool


def _requires_grad(x: Any) -> bool:
    return getattr(x, "requires_grad", False)


def inplace(t: Any, name: str, compute: Callable[..., Any], *operands: Any,
            reads_input: bool = True) -> Any:
    """``t`` ← ``compute(t, *operands)`` in place (see the module docstring); returns ``t``.

    ``reads_input=False`` says that the recorded node's backward never reads the values of
    its input (ReLU's reads only its output): ``t``'s previous value is then not copied, and
    ``compute`` may write its result straight into ``t``'s memory (one pass, no new array).
    """
    recorded = autograd.is_grad_enabled() and (
        t.requires_grad or any(_requires_grad(x) for x in operands))
    if not recorded:
        out = compute(t, *operands)
        _check_result(t, name, out)
        _keep_saved_values(t)
        return t._write(name, out.data)
    _check_recordable(t, name)
    _keep_saved_values(t)
    out = compute(_previous(t, copy=reads_input), *operands)
    _check_result(t, name, out)
    if out.data is not t.data:
        t.data[...] = out.data
    t._version_counter[0] += 1
    t._ctx, t.requires_grad = out._ctx, out.requires_grad
    return t


def _previous(t: Any, copy: bool = True) -> Any:
    """A tensor holding ``t``'s values (a copy, unless ``copy`` is False: then ``t``'s own
    memory) and ``t``'s history: the input of the node that the in-place change records
    (``t``'s memory is about to be overwritten)."""
    previous = t._const(t.data.copy() if copy else t.data)
    previous._ctx, previous.requires_grad = t._ctx, t.requires_grad
    return previous


def _keep_saved_values(t: Any) -> None:
    """Before ``t``'s memory is overwritten: the node that made ``t`` may have saved it (exp,
    sigmoid and amax save their output), so those saved arrays are replaced by copies of the
    values they hold now, and its backward stays right. (PyTorch refuses such a backward.)"""
    ctx = t._ctx
    if ctx is None or not ctx.saved:
        return
    ctx.saved = tuple(
        a.copy() if isinstance(a, np.ndarray) and np.may_share_memory(a, t.data) else a
        for a in ctx.saved
    )


def _check_recordable(t: Any, name: str) -> None:
    if t.requires_grad and t._ctx is None:
        raise RuntimeError(f"{name}: in-place change of a leaf tensor that requires grad; wrap "
                           "it in chainrule.no_grad() (as init and optimizers do) or use the "
                           "out-of-place form")
    if _views_other_memory(t):
        raise RuntimeError(f"{name}: in-place change, recorded for autograd, of a tensor that "
                           "views another tensor's memory (a slice, reshape or transpose); "
                           "clone() it first, or use the out-of-place form")
    if not t.data.flags.writeable:
        raise RuntimeError(f"{name}: this tensor's memory is read-only (a broadcast view or a "
                           "read-only array); clone() it first")


def _views_other_memory(t: Any) -> bool:
    """Whether ``t``'s memory belongs to another tensor: a graph tensor computed as a view of
    an input shares that input's version counter (``methods.version``); a leaf is judged by
    its array alone (an array viewing any other)."""
    if t._ctx is None:
        return t.data.base is not None
    return any(p._version_counter is t._version_counter for p in t._ctx.parents)


def _check_result(t: Any, name: str, out: Any) -> None:
    if out.shape != t.shape:
        raise ValueError(f"{name}: the result has shape {out.shape}, but an in-place result "
                         f"keeps the shape {t.shape} of the tensor it is written into")
    if out.dtype != t.dtype:
        raise RuntimeError(f"{name}: the result is {out.dtype}, which cannot be written into "
                           f"a {t.dtype} tensor in place; convert the tensor first")


def relu_(t: Any) -> Any:
    """``t`` ← max(t, 0) in place, in one pass over ``t``'s memory: ReLU's backward reads only
    its output (``ops.unary.Relu``), so neither a copy of the previous values nor a new array
    is needed. Refused, like the other in-place changes, on a leaf that requires grad and on a
    recorded view of another tensor's memory."""
    if t.dtype.kind == "b":
        refuse_bool("relu_")
    if not (autograd.is_grad_enabled() and t.requires_grad):
        t._check_inplace("relu_")
        kernels.relu(t.data, out=t.data)
        return t
    return inplace(t, "relu_", lambda x: x._apply(unary.Relu, in_place=True), reads_input=False)


def reshaped_inplace(t: Any, name: str, compute: Callable[[Any], Any]) -> Any:
    """``t`` takes the shape (and strides) of ``compute(t)``, a view of the same elements;
    recorded like ``inplace`` when ``t`` requires grad and grad mode is on. The values do not
    change, so the version counter does not either."""
    if autograd.is_grad_enabled() and t.requires_grad:
        if t._ctx is None:
            _check_recordable(t, name)
        previous = t._const(t.data)
        previous._ctx, previous.requires_grad = t._ctx, True
        previous._version_counter = t._version_counter
        out = compute(previous)
        t._ctx = out._ctx
    else:
        out = compute(t)
    t.data = out.data
    return t


def augmented(t: Any, name: str, op: Callable[[Any, Any], Any], other: Any) -> Any:
    """``t op= other`` as PyTorch does it: in place, never rebinding the name to a new tensor
    (so ``w -= lr * w.grad`` under ``no_grad`` updates the parameter itself). Recorded like
    ``inplace`` when autograd needs it; otherwise the result is cast into ``t``'s dtype when
    NumPy's same-kind rule allows (float64 into float32), as PyTorch's in-place ops do."""
    recorded = autograd.is_grad_enabled() and (t.requires_grad or _requires_grad(other))
    if recorded:
        return inplace(t, name, op, other)
    out = op(t, other)
    if out.shape != t.shape:
        _check_result(t, name, out)
    if not np.can_cast(out.dtype, t.dtype, casting="same_kind"):
        raise RuntimeError(f"{name}: the result is {out.dtype}, which cannot be written into "
                           f"a {t.dtype} tensor in place; convert the tensor first")
    return t._write(name, out.data)


def _scaled(x: Any, value: Any) -> Any:
    return x if value == 1 else x * value


class InplaceMixin:
    """In-place elementwise methods of ``Tensor``."""

    __slots__ = ()

    def exp_(self):
        return inplace(self, "exp_", lambda x: x.exp())

    def log_(self):
        return inplace(self, "log_", lambda x: x.log())

    def sqrt_(self):
        return inplace(self, "sqrt_", lambda x: x.sqrt())

    def sin_(self):
        return inplace(self, "sin_", lambda x: x.sin())

    def cos_(self):
        return inplace(self, "cos_", lambda x: x.cos())

    def abs_(self):
        return inplace(self, "abs_", lambda x: x.abs())

    def neg_(self):
        return inplace(self, "neg_", lambda x: -x)

    def pow_(self, exponent):
        return inplace(self, "pow_", lambda x, e: x.pow(e), exponent)

    def relu_(self):
        return relu_(self)

    def sigmoid_(self):
        return inplace(self, "sigmoid_", lambda x: x.sigmoid())

    def tanh_(self):
        return inplace(self, "tanh_", lambda x: x.tanh())

    def floor_(self):
        return inplace(self, "floor_", lambda x: x.floor())

    def ceil_(self):
        return inplace(self, "ceil_", lambda x: x.ceil())

    def round_(self, decimals=0):
        return inplace(self, "round_", lambda x: x.round(decimals=decimals))

    def trunc_(self):
        return inplace(self, "trunc_", lambda x: x.trunc())

    def sign_(self):
        return inplace(self, "sign_", lambda x: x.sign())

    def reciprocal_(self):
        return inplace(self, "reciprocal_", lambda x: x.reciprocal())

    def square_(self):
        return inplace(self, "square_", lambda x: x.square())

    def fmod_(self, other):
        return inplace(self, "fmod_", lambda x, o: x.fmod(o), other)

    def remainder_(self, other):
        return inplace(self, "remainder_", lambda x, o: x.remainder(o), other)

    def clamp_min_(self, min):
        return inplace(self, "clamp_min_", lambda x, m: x.clamp(min=m), min)

    def clamp_max_(self, max):
        return inplace(self, "clamp_max_", lambda x, m: x.clamp(max=m), max)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """self += value · tensor1 · tensor2."""
        return inplace(self, "addcmul_", lambda x, a, b: x + _scaled(a * b, value), tensor1,
                       tensor2)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """self += value · tensor1 / tensor2."""
        return inplace(self, "addcdiv_", lambda x, a, b: x + _scaled(a / b, value), tensor1,
                       tensor2)

    def lerp_(self, end, weight):
        """self += weight · (end − self)."""
        return inplace(self, "lerp_", lambda x, e, w: x + w * (e - x), end, weight)

    def squeeze_(self, dim=None):
        return reshaped_inplace(self, "squeeze_", lambda x: x.squeeze(dim))

    def unsqueeze_(self, dim):
        return reshaped_inplace(self, "unsqueeze_", lambda x: x.unsqueeze(dim))

    def transpose_(self, dim0, dim1):
        return reshaped_inplace(self, "transpose_", lambda x: x.transpose(dim0, dim1))

    def t_(self):
        return reshaped_inplace(self, "t_", lambda x: x.t())

    def __iadd__(self, other):
        return augmented(self, "+=", lambda x, o: x + o, other)

    def __isub__(self, other):
        return augmented(self, "-=", lambda x, o: x - o, other)

    def __imul__(self, other):
        return augmented(self, "*=", lambda x, o: x * o, other)

    def __itruediv__(self, other):
        return augmented(self, "/=", lambda x, o: x / o, other)


# In-place twins of methods whose arguments pass through unchanged: ``x.name_(*args)`` is
# x ← x.name(*args) by the rules above (the positional arguments are operands: a tensor
# among them that requires grad is recorded too).
TWINS = ("absolute acos acosh addmm asin asinh atan atan2 atanh bitwise_and bitwise_not "
         "bitwise_or bitwise_xor clip copysign cosh cumprod cumsum divide erf erfc erfinv exp2 "
         "expm1 fix float_power floor_divide frac hypot log10 log1p log2 logit multiply "
         "nan_to_num negative rsqrt sgn sinh subtract tan true_divide xlogy").split()
TWINS += "lgamma digamma sinc deg2rad rad2deg i0".split()
# Comparisons and logical ops: their bool result is written as 0/1 in the tensor's dtype.
CAST_TWINS = ("eq ne not_equal lt le gt ge less less_equal greater greater_equal "
              "logical_and logical_or logical_xor logical_not").split()
# Axis swaps: the tensor takes the view's shape and strides (``reshaped_inplace``).
VIEW_TWINS = ("swapaxes", "swapdims")


def _twin(name: str, cast: bool) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        def compute(x: Any, *operands: Any) -> Any:
            out = getattr(x, name)(*operands, **kwargs)
            return out.to(x.dtype) if cast else out

        return inplace(self, name + "_", compute, *args)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"``self`` ← ``self.{name}(...)``, in place; returns ``self``."
    return method


def _view_twin(name: str) -> Callable[..., Any]:
    def method(self: Any, dim0: int, dim1: int) -> Any:
        return reshaped_inplace(self, name + "_", lambda x: getattr(x, name)(dim0, dim1))

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"``self`` becomes ``self.{name}(dim0, dim1)``, in place."
    return method


for _name in TWINS + CAST_TWINS:
    setattr(InplaceMixin, _name + "_", _twin(_name, _name in CAST_TWINS))
for _name in VIEW_TWINS:
    setattr(InplaceMixin, _name + "_", _view_twin(_name))

"""Numerical differentiation (central differences) and the gradient check built on it.

For inputs x and a function f, the check draws a random upstream gradient v (seeded) and
compares, for every input element xᵢ,

    analytic  ∂⟨v, f(x)⟩/∂xᵢ   from one backward pass with gradient v, against
    numeric   (⟨v, f(x + εeᵢ)⟩ − ⟨v, f(x − εeᵢ)⟩) / 2ε,

all in float64. A random v matters: with v = 1 (differentiating ``f(x).sum()``) a softmax
whose backward is wrong passes, because Σ softmax(x) is constant.

Example: a derivative written wrong is caught.
    >>> import chainrule
    >>> from chainrule.autograd import Function
    >>> class BadSquare(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad_out):
    ...         (x,) = ctx.saved
    ...         return grad_out * x          # should be 2x
    >>> x = chainrule.randn(4, dtype=chainrule.float64, requires_grad=True)
    >>> chainrule.gradcheck(BadSquare.apply, (x,), raise_exception=False)
    False
    >>> chainrule.gradcheck(lambda t: t * t, (x,))
    True
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from . import autograd, dtypes
from .tensor import Tensor, _wrap


class GradcheckError(RuntimeError):
    """The analytic and numerical gradients disagree."""


def _as_outputs(result: Any) -> list[Tensor]:
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _float64_inputs(inputs: Sequence[Any]) -> list[Any]:
    """float64 leaf copies of the floating tensors (keeping requires_grad); others unchanged."""
    copies = []
    for x in inputs:
        if isinstance(x, Tensor) and dtypes.is_floating(x.dtype):
            copy = _wrap(x.data.astype(np.float64), None)
            copies.append(copy.requires_grad_(x.requires_grad))
        else:
            copies.append(x)
    return copies


def _projection(fn: Callable, inputs: list, directions: list[np.ndarray]) -> float:
    """⟨v, f(inputs)⟩ summed over all outputs, without recording a graph."""
    with autograd.no_grad():
        outputs = _as_outputs(fn(*inputs))
    return float(sum(np.sum(o.data * v) for o, v in zip(outputs, directions)))


def numerical_grad(fn: Callable, inputs: Sequence[Any], eps: float = 1e-6,
                   grad_outputs: Sequence[Any] | None = None) -> tuple[Tensor, ...]:
    """Central-difference gradient of ⟨v, fn(*inputs)⟩ for each tensor input, in float64.

    ``v`` (``grad_outputs``, one per output) defaults to ones, which for a scalar ``fn`` gives
    its plain gradient. Inputs that are not floating tensors get None.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([2.0, 3.0], dtype=chainrule.float64)
        >>> g, = chainrule.numerical_grad(lambda t: t[0] ** 2 + t[1] ** 3 + 1, [x])
        >>> [round(v, 4) for v in g.tolist()]
        [4.0, 27.0]
    """
    inputs = _float64_inputs(inputs)
    if grad_outputs is None:
        with autograd.no_grad():
            outputs = _as_outputs(fn(*inputs))
        directions = [np.ones(o.shape) for o in outputs]
    else:
        directions = [np.asarray(getattr(v, "data", v), dtype=np.float64) for v in grad_outputs]
    grads = []
    for x in inputs:
        if not (isinstance(x, Tensor) and dtypes.is_floating(x.dtype)):
            grads.append(None)
            continue
        grad = np.zeros(x.shape)
        # NOTE: index x.data in place; reshape(-1) would copy a non-C-contiguous (transposed,
        # Fortran-ordered) input, and the perturbations would then never reach fn.
        for i in np.ndindex(x.shape):
            original = x.data[i]
            x.data[i] = original + eps
            plus = _projection(fn, inputs, directions)
            x.data[i] = original - eps
            minus = _projection(fn, inputs, directions)
            x.data[i] = original
            grad[i] = (plus - minus) / (2 * eps)
        grads.append(_wrap(grad, None))
    return tuple(grads)


def gradcheck(fn: Callable, inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0) -> bool:
    """Compare backward's gradients with central differences, in float64.

    Every floating input with ``requires_grad=True`` is checked against a random (seeded)
    upstream gradient. Passes when |analytic − numeric| ≤ atol + rtol·|numeric| everywhere.

    Returns:
        True when the gradients agree. Otherwise raises ``GradcheckError`` naming the input,
        the element and both values, or returns False when ``raise_exception`` is False.
    """
    inputs = _float64_inputs(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    outputs = _as_outputs(fn(*inputs))
    rng = np.random.default_rng(seed)
    directions = [rng.standard_normal(o.shape) for o in outputs]
    differentiable = [(o, v) for o, v in zip(outputs, directions) if o.requires_grad]
    analytic = [np.zeros(inputs[i].shape) for i in checked]
    if differentiable:
        found = autograd.grad([o for o, _ in differentiable], [inputs[i] for i in checked],
                              [v for _, v in differentiable], allow_unused=True)
        analytic = [np.zeros(inputs[i].shape) if g is None else g.data
                    for i, g in zip(checked, found)]
    numeric = numerical_grad(fn, inputs, eps, directions)
    for position, i in enumerate(checked):
        message = _mismatch(i, analytic[position], numeric[i].data, atol, rtol)
        if message:
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def _mismatch(index: int, analytic: np.ndarray, numeric: np.ndarray, atol: float,
              rtol: float) -> str:
    """A description of the worst disagreement, or '' when the gradients agree."""
    error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if analytic.shape == numeric.shape and not np.any(error > 0) and \
            np.all(np.isfinite(analytic) == np.isfinite(numeric)):
        return ""
    worst = np.unravel_index(np.argmax(np.where(np.isfinite(error), error, np.inf)), error.shape)
    return (f"gradient of input {index} disagrees with central differences at element "
            f"{tuple(int(w) for w in worst)}: analytic {analytic[worst]!r}, numeric "
            f"{numeric[worst]!r} (atol={atol}, rtol={rtol})\nanalytic:\n{analytic}\n"
            f"numeric:\n{numeric}")

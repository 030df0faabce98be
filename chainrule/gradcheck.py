"""Numerical differentiation (central differences) and the gradient checks built on it.

Two checks, both in float64, both against central differences
(f(x + εeᵢ) − f(x − εeᵢ)) / 2ε taken one input element at a time:

* the projection check (the default): a random upstream gradient v (seeded) is drawn, and for
  every input element xᵢ the analytic ∂⟨v, f(x)⟩/∂xᵢ from one backward pass is compared with
  the numeric one. A random v matters: with v = 1 (differentiating ``f(x).sum()``) a softmax
  whose backward is wrong passes, because Σ softmax(x) is constant.
* the full-Jacobian check (``full_jacobian=True``), what PyTorch's ``gradcheck`` does by
  default: the numeric Jacobian is built column by column (one column per input element) and
  the analytic one row by row (one backward pass per output element, with a one-hot upstream
  gradient), and the two are compared entry by entry.

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
    >>> chainrule.gradcheck(BadSquare.apply, (x,), full_jacobian=True, raise_exception=False)
    False
    >>> chainrule.gradcheck(lambda t: t * t, (x,))
    True
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import autograd, dtypes
from .tensor import Tensor, _wrap

# Tolerances of the projection check, and of the full-Jacobian check (PyTorch's); the
# reasoning behind the first pair is in ``gradcheck``'s docstring.
PROJECTION_ATOL, PROJECTION_RTOL = 1e-8, 1e-6
JACOBIAN_ATOL, JACOBIAN_RTOL = 1e-5, 1e-3


class GradcheckError(RuntimeError):
    """The analytic and numerical gradients disagree."""


def _as_outputs(result: Any) -> list[Tensor]:
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _float64_copy(array: np.ndarray) -> np.ndarray:
    """A float64 copy of ``array`` that keeps its layout class: C- or column-major order as it
    was, and a strided (not contiguous) array stays strided, so that the check exercises the
    layout the caller passed."""
    if array.flags.c_contiguous or array.flags.f_contiguous:
        return array.astype(np.float64)
    wide = np.empty(array.shape[:-1] + (2 * array.shape[-1],))
    copy = wide[..., ::2]
    copy[...] = array
    return copy


def _float64_inputs(inputs: Sequence[Any]) -> list[Any]:
    """float64 leaf copies of the floating tensors (keeping requires_grad); others unchanged."""
    copies = []
    for x in inputs:
        if isinstance(x, Tensor) and dtypes.is_floating(x.dtype):
            copy = _wrap(_float64_copy(x.data), None)
            copies.append(copy.requires_grad_(x.requires_grad))
        else:
            copies.append(x)
    return copies


def _evaluate(fn: Callable, inputs: list) -> list[np.ndarray]:
    """Copies of fn's outputs as float64 arrays, without recording a graph."""
    # NOTE: copies: an output may be a view of an input (transpose, reshape), which the next
    # perturbation would change under us.
    with autograd.no_grad():
        return [np.array(o.data, dtype=np.float64) for o in _as_outputs(fn(*inputs))]


def _columns(fn: Callable, inputs: list, x: Tensor,
             eps: float) -> Iterator[tuple[tuple, list[np.ndarray]]]:
    """For each element index i of ``x``: (i, [∂fₖ/∂xᵢ for each output k]) by central differences.

    Each output is differenced elementwise before anything is summed, so an output element
    that xᵢ does not reach contributes an exact 0 and no rounding error. The difference is
    divided by the step actually taken, (xᵢ + ε) − (xᵢ − ε) in floating point, not by 2ε.
    """
    # NOTE: index x.data in place; reshape(-1) would copy a non-C-contiguous (transposed,
    # Fortran-ordered) input, and the perturbations would then never reach fn.
    for i in np.ndindex(x.shape):
        original = x.data[i]
        x.data[i] = original + eps
        upper = x.data[i]
        plus = _evaluate(fn, inputs)
        x.data[i] = original - eps
        step = upper - x.data[i]
        minus = _evaluate(fn, inputs)
        x.data[i] = original
        yield i, [(p - m) / step for p, m in zip(plus, minus)]


def _projected_grad(fn: Callable, inputs: list, x: Tensor, eps: float,
                    directions: list[np.ndarray]) -> np.ndarray:
    """Central-difference gradient of ⟨v, fn(*inputs)⟩ with respect to ``x``."""
    grad = np.zeros(x.shape)
    for i, columns in _columns(fn, inputs, x, eps):
        grad[i] = sum(float(np.sum(c * v)) for c, v in zip(columns, directions))
    return grad


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
        directions = [np.ones(o.shape) for o in _evaluate(fn, inputs)]
    else:
        directions = [np.asarray(getattr(v, "data", v), dtype=np.float64) for v in grad_outputs]
    return tuple(
        _wrap(_projected_grad(fn, inputs, x, eps, directions), None)
        if isinstance(x, Tensor) and dtypes.is_floating(x.dtype) else None
        for x in inputs
    )


def gradcheck(fn: Callable, inputs: Sequence[Any], eps: float = 1e-6,
              atol: float | None = None, rtol: float | None = None,
              raise_exception: bool = True, seed: int = 0,
              full_jacobian: bool = False) -> bool:
    """Compare backward's gradients with central differences, in float64.

    Every floating input with ``requires_grad=True`` is checked; a value a (analytic) passes
    against n (numeric) when |a − n| ≤ atol + rtol·|n|. Left as None, atol and rtol take the
    defaults of the check chosen (as ``torch.testing.assert_close`` picks its by dtype):

    * ``full_jacobian=True``: every entry ∂fⱼ/∂xᵢ, with PyTorch's gradcheck defaults atol 1e-5,
      rtol 1e-3. One backward pass per output element: for small inputs.
    * otherwise, the projection ∂⟨v, f⟩/∂xᵢ for a random v (``seed``), with atol 1e-8 and
      rtol 1e-6, tight enough to catch a backward off by 1e-5 relative (PyTorch's rtol 1e-3
      passes one off by 9e-4, on the full Jacobian too).

    Why those numbers. The central difference of one output fⱼ with step ε (``eps``) has a
    truncation error ε²/6·|∂³fⱼ/∂xᵢ³| and a rounding error c·u·|fⱼ|/ε, with u = 1.1e-16 the
    float64 unit roundoff and c the few roundings of one evaluation; each output is
    differenced before it is projected (elements xᵢ does not reach add exactly 0), and the
    difference is divided by the step actually taken. At ε = 1e-6 and values, derivatives and
    third derivatives of order 1 that is 2e-13 + c·1e-10: relative 1e-9 for c ≈ 10. (The
    optimal step, ε = (3c·u)^⅓ ≈ 1e-5, would gain a factor of 5 to 10 and bring kinks ten times
    closer; 1e-6 stays, as in PyTorch.) rtol 1e-6 leaves a margin of 1000 over that, room for
    values 100 times their derivative (a mean over 50 elements is 50 times); atol 1e-8 covers
    elements whose gradient cancels to about 0, where c·u·|f|/ε remains. On every gradcheck in
    the test suite the worst |a − n| was under 1/20 of atol + rtol·|n|. A backward off by a
    relative δ fails wherever δ·|g| > atol + rtol·|g|: for δ = 1e-5, on every element with
    |g| > 1e-8/(1e-5 − 1e-6) ≈ 1e-3. The full-Jacobian check is for another failure: a few
    wrong entries, which a projection mixes with the right ones.

    Returns:
        True when the gradients agree. Otherwise raises ``GradcheckError`` naming the input
        (and, for the full Jacobian, the output and both elements) and both values, or returns
        False when ``raise_exception`` is False.
    """
    inputs = _float64_inputs(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    outputs = _as_outputs(fn(*inputs))
    if full_jacobian:
        atol = JACOBIAN_ATOL if atol is None else atol
        rtol = JACOBIAN_RTOL if rtol is None else rtol
        message = _jacobian_mismatch(fn, inputs, checked, outputs, eps, atol, rtol)
    else:
        atol = PROJECTION_ATOL if atol is None else atol
        rtol = PROJECTION_RTOL if rtol is None else rtol
        message = _projection_mismatch(fn, inputs, checked, outputs, eps, atol, rtol, seed)
    if message and raise_exception:
        raise GradcheckError(message)
    return not message


def _projection_mismatch(fn, inputs, checked, outputs, eps, atol, rtol, seed) -> str:
    """The first input whose projected gradient disagrees, described, or ''."""
    rng = np.random.default_rng(seed)
    directions = [rng.standard_normal(o.shape) for o in outputs]
    differentiable = [(o, v) for o, v in zip(outputs, directions) if o.requires_grad]
    analytic = [np.zeros(inputs[i].shape) for i in checked]
    if differentiable:
        found = autograd.grad([o for o, _ in differentiable], [inputs[i] for i in checked],
                              [v for _, v in differentiable], allow_unused=True)
        analytic = [np.zeros(inputs[i].shape) if g is None else g.data
                    for i, g in zip(checked, found)]
    for position, i in enumerate(checked):
        numeric = _projected_grad(fn, inputs, inputs[i], eps, directions)
        message = _mismatch(f"gradient of input {i}", analytic[position], numeric, atol, rtol)
        if message:
            return message
    return ""


def _analytic_jacobian(outputs: list[Tensor], wrt: list[Tensor]) -> list[list[np.ndarray]]:
    """[input][output] Jacobian blocks of shape (output.size, input.size), row by row: one
    backward pass per output element with a one-hot upstream gradient."""
    blocks = [[np.zeros((o.data.size, x.data.size)) for o in outputs] for x in wrt]
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        for row, j in enumerate(np.ndindex(out.shape)):
            one_hot = np.zeros(out.shape)
            one_hot[j] = 1.0
            found = autograd.grad(out, wrt, one_hot, retain_graph=True, allow_unused=True)
            for position, g in enumerate(found):
                if g is not None:
                    blocks[position][k][row] = g.data.reshape(-1)
    return blocks


def _jacobian_mismatch(fn, inputs, checked, outputs, eps, atol, rtol) -> str:
    """The first (input, output) Jacobian block that disagrees, described, or ''."""
    analytic = _analytic_jacobian(outputs, [inputs[i] for i in checked])
    for position, i in enumerate(checked):
        x = inputs[i]
        numeric = [np.zeros((o.data.size, x.data.size)) for o in outputs]
        for column, (_, columns) in enumerate(_columns(fn, inputs, x, eps)):
            for block, c in zip(numeric, columns):
                block[:, column] = c.reshape(-1)
        for k, (out, block) in enumerate(zip(outputs, numeric)):
            what = f"Jacobian of output {k} {tuple(out.shape)} by input {i} {tuple(x.shape)}"
            message = _mismatch(what, analytic[position][k], block, atol, rtol,
                                (tuple(out.shape), tuple(x.shape)))
            if message:
                return message
    return ""


def _mismatch(what: str, analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float,
              jacobian_of: tuple | None = None) -> str:
    """A description of the worst disagreement, or '' when the values agree.

    ``jacobian_of`` (output shape, input shape) names a Jacobian entry by its output element
    and input element instead of by its (row, column)."""
    error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if analytic.shape == numeric.shape and not np.any(error > 0) and \
            np.all(np.isfinite(analytic) == np.isfinite(numeric)):
        return ""
    worst = np.unravel_index(np.argmax(np.where(np.isfinite(error), error, np.inf)), error.shape)
    where = f"element {tuple(int(w) for w in worst)}"
    if jacobian_of is not None:
        out_shape, in_shape = jacobian_of
        output_element = np.unravel_index(worst[0], out_shape)
        input_element = np.unravel_index(worst[1], in_shape)
        where = (f"output element {tuple(int(e) for e in output_element)}, input element "
                 f"{tuple(int(e) for e in input_element)}")
    return (f"{what} disagrees with central differences at {where}: analytic "
            f"{analytic[worst]!r}, numeric {numeric[worst]!r} (atol={atol}, rtol={rtol})\n"
            f"analytic:\n{analytic}\nnumeric:\n{numeric}")

"""``torch.autograd.functional`` (``chainrule.autograd.functional``): the vector-Jacobian
product and the Jacobian of a function of tensors, by chainrule's reverse mode.

``vjp(func, inputs, v)`` runs ``func`` on copies of ``inputs`` that require grad and takes one
backward pass from the outputs weighted by ``v``: vᵀ J. ``jacobian`` takes one such pass per
output element, with v the unit vector of that element, and stacks the rows: J[i, j] =
∂ output_i / ∂ input_j, shaped ``output.shape + input.shape``. The results have no history.

What needs a second derivative (``hessian``, ``hvp``, ``vhp``, and ``create_graph=True``) or
forward mode (``jvp``, ``strategy="forward-mode"``) is refused with NotImplementedError:
chainrule's backward is once-differentiable (docs/reliability.md, R-GRAD-3).

Layer 0, beside the engine: it reaches tensors only through their methods and type, as
``autograd`` does.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .autograd import _is_tensor
from .autograd import grad as _grad
from .grad_mode import enable_grad


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), vᵀ J), both without history, shaped as PyTorch gives them.

    Args:
        func: a function of the tensors ``inputs`` returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        v: the vector(s), shaped as the outputs; may be None when the output is a single
            one-element tensor.
        create_graph: only False (the result of a differentiable vjp is a second-order
            graph).
        strict: an input the outputs do not depend on raises instead of getting zeros.

    Example:
        >>> import chainrule
        >>> from chainrule.autograd.functional import vjp
        >>> vjp(lambda x: x * x, chainrule.tensor([1.0, 2.0]), chainrule.tensor([1.0, 10.0]))
        (tensor([1., 4.]), tensor([ 2., 40.]))
    """
    _refuse_second_order("vjp", create_graph)
    single_input, xs = _tensors("inputs", "vjp", inputs)
    xs, single_output, outs = _run(func, xs)
    vs = _vectors(v, outs, single_output)
    grads = _grads(outs, xs, vs, strict)
    return _shaped(single_output, [o.detach() for o in outs]), _shaped(single_input, grads)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: for output i and input j, a tensor of shape
    ``outputs[i].shape + inputs[j].shape``; nested as PyTorch nests it (a tensor for a tensor
    and a tensor, a tuple over whichever side is a tuple, a tuple of tuples for both).

    Args:
        func, inputs: as in ``vjp``.
        create_graph: only False.
        strict: an output that does not depend on an input raises instead of giving zeros.
        vectorize: accepted; the rows are computed one backward pass each either way.
        strategy: only "reverse-mode" (chainrule has no forward mode).

    Example:
        >>> import chainrule
        >>> from chainrule.autograd.functional import jacobian
        >>> jacobian(lambda x: x * x, chainrule.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    _refuse_second_order("jacobian", create_graph)
    if strategy != "reverse-mode":
        raise NotImplementedError(f"jacobian: strategy={strategy!r} needs forward-mode "
                                  "differentiation, which chainrule does not have; use "
                                  "strategy='reverse-mode'")
    single_input, xs = _tensors("inputs", "jacobian", inputs)
    xs, single_output, outs = _run(func, xs)
    blocks = [_jacobian_of(out, i, xs, strict) for i, out in enumerate(outs)]
    per_output = [_shaped(single_input, row) for row in blocks]
    return per_output[0] if single_output else tuple(per_output)


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """Refused: a Hessian is the derivative of a gradient (chainrule's backward is
    once-differentiable)."""
    raise _second_order("hessian")


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Any:
    """Refused: a Hessian-vector product needs a second derivative."""
    raise _second_order("hvp")


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Any:
    """Refused: a vector-Hessian product needs a second derivative."""
    raise _second_order("vhp")


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Any:
    """Refused: PyTorch computes J v by differentiating a vjp (a second derivative);
    chainrule has neither that nor forward mode. ``jacobian(func, inputs) @ v`` gives it."""
    raise NotImplementedError("jvp: the Jacobian-vector product needs forward mode or the "
                              "derivative of a vjp, and chainrule's backward is "
                              "once-differentiable; multiply jacobian(func, inputs) by v")


def _second_order(name: str) -> NotImplementedError:
    return NotImplementedError(f"{name}: needs the derivative of a gradient, and chainrule's "
                               "backward is once-differentiable (no create_graph)")


def _refuse_second_order(name: str, create_graph: bool) -> None:
    if create_graph:
        raise NotImplementedError(f"{name}: create_graph=True makes the result differentiable "
                                  "(a second-order graph), which chainrule's once-"
                                  "differentiable backward cannot build")


def _tensors(arg: str, fn: str, value: Any) -> tuple[bool, tuple]:
    """(whether ``value`` is one tensor, its tensors as a tuple); PyTorch's TypeError for
    anything else."""
    single = not isinstance(value, tuple)
    items = (value,) if single else value
    for item in items:
        if not _is_tensor(item):
            raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but the given {arg} has type {type(value)}.")
    return single, items


def _run(func: Callable, xs: tuple) -> tuple[tuple, bool, tuple]:
    """``func`` on detached copies of ``xs`` that require grad: (the copies, whether the
    output is one tensor, the outputs as a tuple)."""
    with enable_grad():
        copies = tuple(x.detach().requires_grad_(True) for x in xs)
        output = func(*copies)
    kind = "outputs of the user-provided function"
    if not (isinstance(output, tuple) or _is_tensor(output)):
        raise TypeError(f"The {kind} must be either a Tensor or a tuple of Tensors but the "
                        f"given outputs has type {type(output)}.")
    single, outs = _tensors(kind, "the function", output)
    return copies, single, outs


def _vectors(v: Any, outs: tuple, single_output: bool) -> list:
    """The vectors of a vjp, one per output, each of its output's shape."""
    if v is None:
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        return [np.ones(outs[0].shape, outs[0].dtype)]
    vs = (v,) if single_output and not isinstance(v, tuple) else tuple(v)
    if len(vs) != len(outs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(outs)} but got "
                           f"{len(vs)}.")
    for i, (vec, out) in enumerate(zip(vs, outs)):
        if tuple(vec.shape) != tuple(out.shape):
            raise RuntimeError(f"Mismatch in size for v and output {i}: got v of shape "
                               f"{tuple(vec.shape)} and output of shape {tuple(out.shape)}.")
    return [np.asarray(vec.detach().numpy(), dtype=out.dtype) for vec, out in zip(vs, outs)]


def _grads(outs: tuple, xs: tuple, vectors: list, strict: bool) -> list:
    """vᵀ J for each input (zeros for one the outputs do not reach, unless ``strict``)."""
    used = [(o, v) for o, v in zip(outs, vectors) if o.requires_grad]
    found = [None] * len(xs)
    if used:
        make = type(xs[0])
        found = list(_grad([o for o, _ in used], list(xs), [make(v) for _, v in used],
                           retain_graph=True, allow_unused=True))
    for i, (g, x) in enumerate(zip(found, xs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent "
                                   f"of input {i}. This is not allowed in strict mode.")
            found[i] = type(x)(np.zeros(x.shape, x.dtype))
    return found


def _jacobian_of(out: Any, index: int, xs: tuple, strict: bool) -> list:
    """∂ out / ∂ x for each input x: shape out.shape + x.shape, one backward pass per
    element of ``out``."""
    if strict and not out.requires_grad:
        raise RuntimeError(f"Output {index} of the user-provided function does not require "
                           "gradients. The outputs must be computed in a differentiable manner "
                           "from the input when running in strict mode.")
    rows = [[] for _ in xs]
    flat = out.reshape(-1)
    for k in range(flat.numel()):
        unit = np.zeros(flat.shape, out.dtype)
        unit[k] = 1
        for j, g in enumerate(_grads((flat,), xs, [unit], strict)):
            rows[j].append(g.detach().numpy())
    make = type(xs[0])
    return [make(np.stack(r).reshape(tuple(out.shape) + tuple(x.shape)) if r
                 else np.zeros(tuple(out.shape) + tuple(x.shape), x.dtype))
            for r, x in zip(rows, xs)]


def _shaped(single: bool, items: Any) -> Any:
    """One tensor, or a tuple of them, as the caller's input or output was."""
    return items[0] if single else tuple(items)

"""``grad``, ``grad_and_value``, ``vjp`` and ``jacrev`` on chainrule's reverse mode, and the
transforms it cannot run (``jacfwd``, ``jvp``, ``hessian``, ``linearize``), which refuse.

Each transform runs ``func`` on detached copies of the differentiated inputs that require
grad, then takes ``autograd.grad`` of its outputs with respect to those copies. Gradients are
once-differentiable in chainrule (docs/reliability.md, R-GRAD-3), so:

* a transform called while another runs (``grad(grad(f))``, ``jacrev(grad(f))``) raises
  NotImplementedError instead of returning a first-order answer;
* what a transform returns has no history; where PyTorch's result would carry gradient
  history to tensors outside the transform (an input, or a tensor ``func`` reads, that
  requires grad), a backward pass that reaches it raises NotImplementedError.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from typing import Any, Callable, Iterator

import numpy as np

from .. import autograd
from ..grad_mode import enable_grad, is_grad_enabled
from ..tensor import Tensor
from . import _pytree as tree

_running = threading.local()  # .names: the transforms running on this thread, outermost first


@contextlib.contextmanager
def _transform(name: str) -> Iterator[None]:
    """Mark ``name`` as running; refuse if a gradient transform already is (nesting)."""
    names = getattr(_running, "names", [])
    if names:
        raise NotImplementedError(
            f"{name} inside {names[-1]}: chainrule's backward is once-differentiable, so a "
            "gradient transform applied to a function that already takes a gradient (grad of "
            "grad, jacrev of grad, hessian) is not supported")
    _running.names = [name]
    try:
        yield
    finally:
        _running.names = []


def _check_argnums(argnums: Any, count: int) -> tuple[int, ...]:
    """``argnums`` (an int or a tuple of ints) as non-negative positions, checked."""
    if isinstance(argnums, tuple):
        if not argnums:
            raise RuntimeError("argnums must be non-empty")
        if len(set(argnums)) != len(argnums):
            raise RuntimeError(f"argnums elements must be unique, got {argnums}")
        return tuple(_position(a, count) for a in argnums)
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        return (_position(argnums, count),)
    raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")


def _position(argnum: Any, count: int) -> int:
    if not isinstance(argnum, int) or isinstance(argnum, bool):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if -count <= argnum < count:
        return argnum % count
    raise RuntimeError(f"Got argnum={argnum}, but only {count} positional inputs")


def _differentiable(values: Any) -> tuple[Any, list[Tensor], list[Tensor], tree.Spec]:
    """``values`` with each tensor replaced by a detached copy that requires grad, the copies,
    the originals, and the structure of ``values``."""
    originals, spec = tree.flatten(values)
    for leaf in originals:
        if not isinstance(leaf, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(leaf)}")
    copies = [leaf.detach().requires_grad_() for leaf in originals]
    return tree.unflatten(copies, spec), copies, originals, spec


def _with_copies(args: tuple, positions: tuple[int, ...]) -> tuple[tuple, list, list, list]:
    """``args`` with the ones at ``positions`` made differentiable; the copies, the
    originals, and each position's structure."""
    args = list(args)
    copies, originals, specs = [], [], []
    for i in positions:
        args[i], c, o, spec = _differentiable(args[i])
        copies += c
        originals += o
        specs.append(spec)
    return tuple(args), copies, originals, specs


def _grads(outputs: list, inputs: list, cotangents: list | None = None) -> list[Tensor]:
    """d(outputs)/d(inputs) weighted by ``cotangents``; zeros for an input not used (as
    torch.func). The graph is kept: ``vjp_fn`` and ``jacrev`` use it again, and it may run
    into the graph of tensors outside, which must stay usable."""
    pairs = [(o, c) for o, c in zip(outputs, cotangents or [None] * len(outputs))
             if o.requires_grad]
    found = [None] * len(inputs)
    if pairs:
        found = autograd.grad([o for o, _ in pairs], inputs,
                              None if cotangents is None else [c for _, c in pairs],
                              retain_graph=True, allow_unused=True)
    return [Tensor(np.zeros(x.shape, x.dtype)) if g is None else g
            for g, x in zip(found, inputs)]


def _split_aux(output: Any, has_aux: bool, api: str) -> tuple[Any, Any]:
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if "
                           "has_aux is True")
    for leaf in tree.flatten(output[1])[0]:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(leaf)}")
    return output


# ---------------------------------------------------------------- results seen from outside


class _TransformResult(autograd.Function):
    """What a transform returns, as seen by the autograd outside it: y = x (the value), with
    the tensors outside that PyTorch's result would depend on as inputs.

    Backward refuses: the derivative of a transform's result needs higher-order gradients
    (of a gradient) or, for a value, the graph that was left inside the transform.
    """

    @staticmethod
    def forward(ctx, value, *outside, transform):
        ctx.transform = transform
        return value

    @staticmethod
    def backward(ctx, grad_out):
        raise NotImplementedError(
            f"backward through the result of {ctx.transform}: in PyTorch it is differentiable "
            "with respect to the tensors outside the transform that require grad, which needs "
            "higher-order gradients; chainrule's backward is once-differentiable. Detach the "
            "inputs (as torch.func's tutorials do) or compute this gradient without the "
            "transform")


def _outside_leaves(outputs: list, copies: list) -> list[Tensor]:
    """Leaves that require grad, other than ``copies``, which ``outputs`` depend on: tensors
    ``func`` read from outside (a closure, the inputs not differentiated)."""
    inner = {id(c) for c in copies}
    found: dict[int, Tensor] = {}
    for node in autograd.topological_order([o for o in outputs if isinstance(o, Tensor)]):
        for parent in node._ctx.parents:
            if parent._ctx is None and parent.requires_grad and id(parent) not in inner:
                found[id(parent)] = parent
    return list(found.values())


def _returned(values: Any, outside: list, transform: str) -> Any:
    """``values`` (a tree) with every tensor detached, and tied to ``outside`` by a node that
    refuses backward when grad mode is on and an ``outside`` tensor requires grad."""
    outside = [t for t in outside if isinstance(t, Tensor) and t.requires_grad]
    guard = bool(outside) and is_grad_enabled()
    leaves, spec = tree.flatten(values)
    out = []
    for leaf in leaves:
        if isinstance(leaf, Tensor):
            leaf = leaf.detach()
            if guard:
                leaf = _TransformResult.apply(leaf.data, *outside, transform=transform)
        out.append(leaf)
    return tree.unflatten(out, spec)


# ---------------------------------------------------------------- the transforms


def grad_and_value(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """``func`` → a function that returns (gradient of ``func`` with respect to the
    arguments at ``argnums``, value of ``func``), ``torch.func.grad_and_value``.

    Args:
        func: returns a one-element (0-d) tensor, or ``(that, aux)`` with ``has_aux``.
        argnums: the position, or a tuple of positions, of the arguments to differentiate;
            each may be a tensor or a tuple/list/dict of tensors.
        has_aux: ``func`` returns ``(output, aux)``; the value is then ``(output, aux)``.

    Returns:
        A function returning ``(grads, value)``: ``grads`` has the structure of the argument
        at ``argnums`` (a tuple of those for a tuple ``argnums``).

    Example:
        >>> import chainrule
        >>> from chainrule.func import grad_and_value
        >>> grad_and_value(lambda x: (x ** 2).sum())(chainrule.tensor([1.0, 2.0]))
        (tensor([2., 4.]), tensor(5.))
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        return _grad_and_value(func, argnums, has_aux, args, kwargs)

    return wrapper


def _grad_and_value(func: Callable, argnums: Any, has_aux: bool, args: tuple,
                    kwargs: dict) -> tuple[Any, Any]:
    api = "grad_and_value(f)(*args)"
    positions = _check_argnums(argnums, len(args))
    with _transform("grad"), enable_grad():
        args, copies, originals, specs = _with_copies(args, positions)
        output, aux = _split_aux(func(*args, **kwargs), has_aux, api)
    if not isinstance(output, Tensor):
        raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(output)}")
    if output.ndim != 0:
        raise RuntimeError(f"{api}: Expected f(*args) to return a scalar Tensor, got tensor "
                           f"with {output.ndim} dims. Maybe you wanted to use the vjp or jacrev "
                           "APIs instead?")
    outside = originals + _outside_leaves([output, *tree.flatten(aux)[0]], copies)
    flat = iter(_grads([output], copies))
    grads = [tree.unflatten([next(flat) for _ in range(tree.count(s))], s) for s in specs]
    grads = grads[0] if isinstance(argnums, int) else tuple(grads)
    value = (output, aux) if has_aux else output
    return _returned(grads, outside, "grad"), _returned(value, outside, "grad")


def grad(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """``func`` → its gradient with respect to the arguments at ``argnums``
    (``torch.func.grad``); ``func`` must return a 0-d tensor. Arguments as in
    ``grad_and_value``; with ``has_aux`` the new function returns ``(grads, aux)``.

    Example:
        >>> import chainrule
        >>> from chainrule.func import grad
        >>> grad(lambda x: x.sin().sum())(chainrule.tensor([0.0]))
        tensor([1.])
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        grads, value = _grad_and_value(func, argnums, has_aux, args, kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``func(*primals)`` and a function ``vjp_fn`` that maps cotangents v (shaped as the
    output) to vᵀ·J, the vector-Jacobian products for each primal (``torch.func.vjp``).

    Args:
        func: returns a tensor or a tuple/list/dict of floating-point tensors (and with
            ``has_aux``, ``(that, aux)``).
        primals: the arguments, each a tensor or a tuple/list/dict of tensors.
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` is returned third.

    Returns:
        ``(output, vjp_fn)``, or ``(output, vjp_fn, aux)``. ``vjp_fn(cotangents)`` takes
        cotangents of the output's structure and returns a tuple with one entry per primal,
        of that primal's structure; it may be called several times.

    Example:
        >>> import chainrule
        >>> from chainrule.func import vjp
        >>> out, vjp_fn = vjp(lambda x: x * 3, chainrule.tensor([1.0, 2.0]))
        >>> vjp_fn(chainrule.tensor([1.0, 10.0]))
        (tensor([ 3., 30.]),)
    """
    with _transform("vjp"), enable_grad():
        primals, copies, originals, spec = _differentiable(primals)
        output, aux = _split_aux(func(*primals), has_aux, "vjp(f, *primals)")
    flat_out, out_spec = tree.flatten(output)
    for out in flat_out:
        if not isinstance(out, Tensor):
            raise RuntimeError(f"vjp(f, *primals): expected f(*primals) to return only tensors"
                               f", got unsupported type {type(out)}")
        if not out.is_floating_point():
            raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or "
                               f"complex Tensors, got Tensor with dtype {out.dtype}")
    outside = originals + _outside_leaves([*flat_out, *tree.flatten(aux)[0]], copies)

    def vjp_fn(cotangents: Any, retain_graph: bool = True, create_graph: bool | None = None):
        autograd.refuse_create_graph(bool(create_graph))
        flat_cot, cot_spec = tree.flatten(cotangents)
        if cot_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function. cotangents: "
                               f"{cot_spec}, primal output: {out_spec}")
        grads = _grads(flat_out, copies, flat_cot)
        return _returned(tree.unflatten(grads, spec), outside + flat_cot, "vjp")

    results = (_returned(output, outside, "vjp"), vjp_fn)
    return (*results, _returned(aux, outside, "vjp")) if has_aux else results

"""Reverse-mode automatic differentiation: the Function contract and the engine.

A ``Function`` turns arrays into an array (``forward``) and a gradient of its output into one
gradient per input (``backward``). The engine knows nothing of particular Functions: it sorts
the graph topologically (iteratively, so a chain of 100,000 ops works), calls each ``backward``
once, checks that every gradient has its input's shape, and accumulates gradients out of
place. It reaches tensors only through the attributes ``_ctx``, ``requires_grad``, ``_grad``,
``_retains_grad``, ``_version_counter``, ``shape`` and ``dtype``; it never imports ``Tensor``. Grad
mode and anomaly mode are kept per thread in ``grad_mode``, and re-exported here.

Example (a custom op, as in PyTorch):
    >>> import numpy as np, chainrule
    >>> class Cube(chainrule.autograd.Function):
    ...     '''y = x³;  dL/dx = dL/dy · 3x²'''
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad_out):
    ...         (x,) = ctx.saved_tensors
    ...         return grad_out * 3 * x ** 2
    >>> x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    >>> Cube.apply(x).sum().backward()
    >>> x.grad
    tensor([ 3., 12.])
"""

from __future__ import annotations

import sys
import threading
import warnings
from typing import Any, Iterable, Protocol, Sequence

import numpy as np

from . import grad_mode
from .accumulate_hooks import hooked_leaf_uses, release_leaves, run_hook
from .grad_mode import (  # noqa: F401  (re-exported: chainrule.autograd.no_grad ...)
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from .hooks import run_hooks, tensor_hooks


class Node(Protocol):
    """What the engine reads of a tensor."""

    _ctx: Context | None
    _grad: np.ndarray | None
    _retains_grad: bool
    _version_counter: list[int]  # [n]: n in-place changes of its memory, shared by its views
    requires_grad: bool
    shape: tuple[int, ...]
    dtype: np.dtype


class Context:
    """Per-call storage that connects a Function's forward to its backward.

    ``save_for_backward(*arrays)`` stores what backward needs; backward reads it back as
    ``ctx.saved`` (alias ``ctx.saved_tensors``). Settings such as an axis are plain attributes.
    The engine fills ``fn``, ``parents`` (the input tensors) and ``needs_input_grad``, and in
    anomaly mode ``trace``, the stack of the forward call that created it.
    """

    trace: Any = None  # traceback.StackSummary, recorded only in anomaly mode
    # What an ``UnrecordedContext`` holds; __init__ sets them all.
    parents: tuple = ()
    needs_input_grad: tuple[bool, ...] = ()
    watched: tuple = ()  # the parents whose in-place changes invalidate this node
    versions: tuple[int, ...] = ()
    saved: tuple = ()
    freed: bool = False

    def __init__(self, fn: type[Function], parents: tuple, needs_input_grad: tuple[bool, ...]):
        self.fn = fn
        self.parents = parents
        self.needs_input_grad = needs_input_grad
        self.watched = parents if not fn.unread_inputs else tuple(
            p for i, p in enumerate(parents) if i not in fn.unread_inputs)
        self.versions = tuple([p._version_counter[0] for p in self.watched])
        self.saved = ()
        self.freed = False
        if not grad_mode.all_default:
            self.trace = grad_mode.creation_trace()

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep ``arrays`` for backward; they are released once backward has run."""
        self.saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        """The arrays given to ``save_for_backward`` (PyTorch's name)."""
        return self.saved


class UnrecordedContext(Context):
    """The context that ``forward`` gets when nothing is recorded (``no_grad``, or no input
    requires grad): no parents, no input needs a gradient, no trace (Context's class
    attributes); what forward saves in it is dropped with it. Half the cost of a Context."""

    def __init__(self, fn: type[Function]) -> None:
        self.fn = fn


class Function:
    """Base class of every differentiable operation.

    Subclasses define two static methods:

    * ``forward(ctx, *arrays, **params) -> np.ndarray``: computes the output from NumPy arrays
      and saves what backward needs with ``ctx.save_for_backward``.
    * ``backward(ctx, grad_out) -> np.ndarray | tuple``: returns exactly one gradient per
      array input (``None`` where none is needed, see ``ctx.needs_input_grad``). The class
      docstring states the derivative it implements.

    ``Fn.apply(*tensors, **params)`` runs it on tensors and records it in the graph.
    """

    label: str | None = None
    keeps_dtype: bool = True  # output has the inputs' float dtype (False: ``Cast``)
    # Positions of the inputs whose values backward never reads (only their shape): an
    # in-place change to one of them after the call leaves this node's gradient right, so
    # backward does not refuse it (``EmbeddingLookup``'s weight, renormalised by max_norm
    # between two lookups, as PyTorch, which checks only saved tensors, allows).
    unread_inputs: tuple[int, ...] = ()

    @staticmethod
    def forward(ctx: Context, *arrays: Any, **params: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad_out: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """Run ``forward`` on the inputs' arrays and return the output as a Tensor, recorded
        for backward when grad mode is on and an input requires grad.

        Inputs that are not tensors (arrays, numbers) are taken as constants; ``params`` go to
        ``forward`` as they are. The work is done by ``run_function``, which the tensor layer
        provides (this module never imports ``Tensor``).
        """
        return run_function(cls, *inputs, **params)


def run_function(fn: type[Function], *inputs: Any, **params: Any) -> Any:
    """What ``Function.apply`` calls: replaced by ``tensor.apply`` when chainrule.tensor is
    imported (listed in tests/test_layering.py ``WIRING``)."""
    raise RuntimeError("Function.apply needs chainrule.tensor, which has not been imported")


# ---------------------------------------------------------------- the engine


def topological_order(roots: Sequence[Node]) -> list[Node]:
    """Tensors with a grad_fn reachable from ``roots``, each after everything it depends on.

    Iterative depth-first search: no recursion limit, each node visited once. Nodes are kept
    in sets by identity (tensors hash by identity, and distinct live objects never share a
    hash, so their elementwise ``__eq__`` is never called).
    """
    order: list[Node] = []
    visited: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(r, False) for r in roots if r._ctx is not None]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in node._ctx.parents:
            if parent._ctx is not None and parent not in visited:
                stack.append((parent, False))
    return order


def run_backward(
    roots: Sequence[Node],
    grads: Sequence[np.ndarray],
    retain_graph: bool = False,
    inputs: Sequence[Node] | None = None,
) -> list[np.ndarray | None] | None:
    """Propagate ``grads`` (one per root, already shaped like it) back through the graph.

    Without ``inputs``, gradients are accumulated into the ``.grad`` of every leaf that
    requires grad (and of non-leaves that called ``retain_grad()``). With ``inputs``, nothing
    is written: the gradients of those tensors are returned instead (``autograd.grad``).
    Unless ``retain_graph``, each node's saved arrays and parent links are released after use.
    """
    passes = _running.__dict__.setdefault("capturing", [])
    passes.append(inputs is not None)
    try:
        return _propagate(roots, grads, retain_graph, inputs)
    finally:
        passes.pop()


# Per thread, one entry per backward pass running (a Function's backward may run another):
# whether that pass returns the gradients of chosen inputs (``capturing_pass``).
_running = threading.local()


def capturing_pass() -> bool:
    """Whether the innermost backward pass running on this thread was asked for the gradients
    of chosen inputs (``autograd.grad``, ``backward(inputs=...)``) rather than to accumulate
    into ``.grad``; False outside any pass. A Function whose backward runs a nested pass
    (``utils.checkpoint``'s reentrant form) reads it."""
    passes = getattr(_running, "capturing", None)
    return bool(passes) and passes[-1]


def _propagate(roots, grads, retain_graph, inputs):
    """``run_backward``'s pass."""
    check_nan = grad_mode.checks_nan()
    sink = _GradSink(None if inputs is None else {t: None for t in inputs})
    for root, grad in zip(roots, grads):
        sink.deliver(root, grad)
    pending, hooks, capture = sink.pending, tensor_hooks, inputs is not None
    order = topological_order(roots)
    waiting = hooked_leaf_uses(order) if inputs is None else None
    for node in reversed(order):
        grad_out = pending.pop(node, None)
        if grad_out is None:
            if waiting:
                release_leaves(node._ctx.parents, waiting, hooks)
            continue
        if hooks and id(node) in hooks:
            grad_out = run_hooks(node, grad_out)
        if capture or node._retains_grad:
            sink.finish(node, grad_out)
        ctx = node._ctx
        for parent, grad in zip(ctx.parents, _call_backward(ctx, grad_out, check_nan)):
            if grad is not None and parent.requires_grad:
                if not (type(grad) is np.ndarray and grad.shape == parent.shape
                        and grad.dtype == parent.dtype):
                    grad = _conform(grad, parent, ctx)
                sink.deliver(parent, grad)
        if waiting:  # post-accumulate-grad hooks of leaves whose last gradient came now
            release_leaves(ctx.parents, waiting, hooks)
        if not retain_graph:
            ctx.saved, ctx.parents, ctx.watched, ctx.freed = (), (), (), True
    for leaf, grad in sink.hooked.items():
        sink.finish(leaf, run_hooks(leaf, grad))
        if waiting is not None:  # its post-accumulate-grad hook, deferred until now
            run_hook(leaf)
    if inputs is None:
        return None
    return [sink.wanted[t] for t in inputs]


class _GradSink:
    """Where gradients go during one backward pass: to graph nodes still to be processed
    (``pending``), to ``.grad`` of leaves, or to the requested ``wanted`` inputs."""

    def __init__(self, wanted: dict | None) -> None:
        self.pending: dict[Node, np.ndarray] = {}
        self.hooked: dict[Node, np.ndarray] = {}  # leaves with hooks: their summed gradient
        self.wanted = wanted
        self.stored: set[int] = set()

    def deliver(self, node: Node, grad: np.ndarray) -> None:
        """Add ``grad`` to what ``node`` receives. A graph node's total is finished when the
        engine reaches it, a hooked leaf's after the pass (its hooks see the total once)."""
        if node._ctx is not None:
            previous = self.pending.get(node)
            self.pending[node] = grad if previous is None else previous + grad
            return
        if tensor_hooks and id(node) in tensor_hooks:
            previous = self.hooked.get(node)
            self.hooked[node] = grad if previous is None else previous + grad
            return
        wanted = self.wanted
        if wanted is None:  # ``store``, inlined: this runs for every leaf of every backward
            if node._grad is not None:
                node._grad = node._grad + grad
            else:
                node._grad = self._own(grad)
        elif node in wanted:
            previous = wanted[node]
            wanted[node] = grad if previous is None else previous + grad

    def finish(self, node: Node, grad: np.ndarray) -> None:
        """``grad``, a part of or the whole gradient of ``node``: into the requested inputs,
        or else into ``node._grad``."""
        wanted = self.wanted
        if wanted is None:
            self.store(node, grad)
        elif node in wanted:
            previous = wanted[node]
            wanted[node] = grad if previous is None else previous + grad

    def store(self, node: Node, grad: np.ndarray) -> None:
        """Add ``grad`` into ``node._grad``, out of place: ``grad`` may be the very array
        another node holds."""
        if node._grad is not None:
            node._grad = node._grad + grad
        else:
            node._grad = self._own(grad)

    def _own(self, grad: np.ndarray) -> np.ndarray:
        """``grad`` itself, or a copy when it is a read-only view or shares memory with another
        leaf's ``.grad`` (``Add`` hands one array to both inputs, ``Reshape`` a view of it), so
        that each ``.grad`` can be written without changing another.

        Memory is identified by the array that owns it: NumPy sets a view's ``base`` to the
        owner, never to an intermediate view.
        """
        owner = id(grad if grad.base is None else grad.base)
        if not grad.flags.writeable or owner in self.stored:
            grad = grad.copy()
            owner = id(grad)
        self.stored.add(owner)
        return grad


def accumulate_grad(tensors: Sequence[Node], grads: Sequence[np.ndarray | None]) -> None:
    """Add each gradient into its tensor's ``.grad`` as the engine does (out of place; a
    gradient array that is read-only or shared with another tensor's ``.grad`` is copied)."""
    sink = _GradSink(None)
    for tensor, grad in zip(tensors, grads):
        if grad is not None:
            sink.store(tensor, grad)


def _call_backward(ctx: Context, grad_out: np.ndarray, check_nan: bool) -> tuple:
    """``ctx.fn.backward``'s gradients as a tuple with one entry per input, after checking that
    the graph can still be used (not freed, no saved input changed in place since), and
    checked for NaN when ``check_nan`` (anomaly mode)."""
    if ctx.freed or ctx.versions != tuple([p._version_counter[0] for p in ctx.watched]):
        _refuse(ctx)
    grads = ctx.fn.backward(ctx, grad_out)
    if type(grads) is not tuple:
        grads = (grads,)
    if len(grads) != len(ctx.parents):
        raise RuntimeError(
            f"{_name(ctx)}.backward returned {len(grads)} gradients for "
            f"{len(ctx.parents)} inputs; return one per input (None where there is none)"
        )
    if check_nan:
        _check_nan(ctx, grads)
    return grads


def _check_nan(ctx: Context, grads: tuple) -> None:
    """Raise if a gradient holds NaN, naming the Function and where its forward call was made.
    Infinities pass: they can be right (d√x/dx at 0), and PyTorch lets them through too."""
    for i, grad in enumerate(grads):
        if grad is not None and np.isnan(grad).any():
            where = "".join(ctx.trace.format()) if ctx.trace else "  (not recorded: created " \
                "outside anomaly mode)\n"
            raise RuntimeError(
                f"Function {_name(ctx)}.backward returned NaN in the gradient of its input {i}. "
                f"The forward call that created it (most recent call last):\n{where}"
            )


def _refuse(ctx: Context) -> None:
    """Raise the error that says why the graph through ``ctx`` can't be used again."""
    if ctx.freed:
        raise RuntimeError(
            f"Trying to backward through the graph a second time (through {_name(ctx)}): its "
            "saved arrays were freed by the first backward. Pass retain_graph=True to the "
            "first backward() if you need to call it twice."
        )
    for parent, version in zip(ctx.watched, ctx.versions):
        now = parent._version_counter[0]
        if now != version:
            raise RuntimeError(
                f"an input of {_name(ctx)} (shape {parent.shape}) was modified by an in-place "
                f"operation after it was used (its memory is at version {now}; {version} when "
                f"{_name(ctx)} used it), directly or through a view of it (reshape, slice, T, "
                "detach() ...); its gradient would be wrong. Clone it before changing it in place."
            )


def _conform(grad: Any, parent: Node, ctx: Context) -> np.ndarray:
    """Check a gradient's shape against its input's and give it the input's dtype."""
    grad = np.asarray(grad)
    if grad.shape != parent.shape:
        raise RuntimeError(
            f"{_name(ctx)}.backward returned a gradient of shape {grad.shape} for an input of "
            f"shape {parent.shape}"
        )
    dtype = parent.dtype
    return grad if grad.dtype == dtype else grad.astype(dtype)


def _name(ctx: Context) -> str:
    return ctx.fn.label or ctx.fn.__name__


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables: Any = None, inputs: Any = None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves they depend
    on (``torch.autograd.backward``): the sum over the outputs, each weighted by its entry of
    ``grad_tensors`` (None for a one-element output, which counts as 1).

    Args:
        tensors: a tensor or a sequence of them.
        grad_tensors: dL/d(output), one per output (a tensor, array, number, or None).
        retain_graph: keep the saved arrays so backward can run through the graph again.
        create_graph: only False (``refuse_create_graph``).
        grad_variables: the deprecated name of ``grad_tensors`` (warns).
        inputs: accumulate only into these tensors' ``.grad``.

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([1.0, 2.0], requires_grad=True)
        >>> chainrule.autograd.backward([(x * x).sum(), (3 * x).sum()])
        >>> x.grad
        tensor([5., 7.])
    """
    if grad_variables is not None:
        if grad_tensors is not None:
            raise RuntimeError("backward: grad_tensors and the deprecated grad_variables were "
                               "both passed; pass grad_tensors only")
        warnings.warn("backward: grad_variables is deprecated; use grad_tensors",
                      FutureWarning, stacklevel=2)
        grad_tensors = grad_variables
    refuse_create_graph(create_graph)
    outputs = _as_list(tensors)
    seeds = _seeds("backward", outputs, grad_tensors)
    if inputs is None:
        run_backward(outputs, seeds, bool(retain_graph))
        return
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError("backward: inputs= must not be empty (leave it out to accumulate "
                           "into every leaf)")
    accumulate_grad(inputs, run_backward(outputs, seeds, bool(retain_graph), inputs))


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``
    (``torch.autograd.grad``).

    Args:
        outputs, inputs: a tensor or a sequence of them each.
        grad_outputs: dL/d(output), one per output (None for a one-element output).
        retain_graph: keep the saved arrays so backward can run through the graph again.
        create_graph: only False (``refuse_create_graph``).
        only_inputs: deprecated and ignored, as in PyTorch (False warns).
        allow_unused: an input the outputs do not depend on gets None instead of an error
            (default: what ``materialize_grads`` says).
        is_grads_batched: the first dimension of every ``grad_outputs`` entry indexes a batch
            of upstream gradients; each result then has that leading dimension (PyTorch runs
            them as one vectorised pass; here they run one after another, same values).
        materialize_grads: an unused input gets zeros of its shape instead of None (of its
            own shape also with ``is_grads_batched``, as torch 2.13 gives them).

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([1.0, 2.0], requires_grad=True)
        >>> chainrule.autograd.grad((x * x).sum(), x)
        (tensor([2., 4.]),)
    """
    if not only_inputs:
        warnings.warn("grad: only_inputs is deprecated and ignored (it is always True); use "
                      "autograd.backward to accumulate into other tensors", FutureWarning,
                      stacklevel=2)
    refuse_create_graph(create_graph)
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: materialize_grads=True gives unused inputs zeros, so "
                         "allow_unused must be True or left out, but got allow_unused=False")
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the inputs to grad() does not require grad")
    if is_grads_batched:
        found = _batched_grads(outputs, inputs, grad_outputs, retain_graph)
    else:
        found = run_backward(outputs, _seeds("grad", outputs, grad_outputs), bool(retain_graph),
                             inputs)
    if not (allow_unused or materialize_grads) and any(g is None for g in found):
        raise RuntimeError(
            "One of the inputs to grad() was not used to compute the outputs; "
            "pass allow_unused=True to get None for it"
        )
    if materialize_grads:  # zeros shaped as the input, batched or not (as torch 2.13 does)
        found = [np.zeros(t.shape, t.dtype) if g is None else g for g, t in zip(found, inputs)]
    make = type(inputs[0])
    return tuple(None if g is None else make(g) for g in found)


def refuse_create_graph(create_graph: bool) -> None:
    """Backward is once-differentiable: its gradients carry no graph, so ``create_graph=True``
    (higher-order gradients) is refused rather than answered with a first-order gradient that
    silently cannot be differentiated again (docs/reliability.md, R-GRAD-3)."""
    if create_graph:
        raise NotImplementedError("create_graph=True: chainrule's backward is once-"
                                  "differentiable (higher-order gradients are not supported)")


def _seeds(where: str, outputs: list, grads: Any) -> list[np.ndarray]:
    """The gradient each output starts from (``Tensor._seed_grad``: its checks), one per
    output; ``grads`` None means None for each."""
    grads = [None] * len(outputs) if grads is None else _as_list(grads)
    if len(grads) != len(outputs):
        raise ValueError(f"{where}: {len(grads)} gradients for {len(outputs)} outputs; give "
                         f"one per output (None for a one-element output)")
    return [out._seed_grad(g) for out, g in zip(outputs, grads)]


def _batched_grads(outputs: list, inputs: list, grad_outputs: Any,
                   retain_graph: bool | None) -> list[np.ndarray | None]:
    """``grad`` with ``is_grads_batched``: one pass per index of the grad_outputs' leading
    dimension (the graph kept until the last), the results stacked along a new first axis."""
    if grad_outputs is None:
        raise ValueError("grad: is_grads_batched=True needs grad_outputs, each with a leading "
                         "batch dimension")
    batches = [np.asarray(getattr(g, "data", g)) for g in _as_list(grad_outputs)]
    if len({len(b) for b in batches if b.ndim}) != 1 or any(b.ndim == 0 for b in batches):
        raise ValueError("grad: with is_grads_batched=True every grad_outputs entry needs the "
                         "same leading batch dimension")
    count = len(batches[0])
    passes = [run_backward(outputs, _seeds("grad", outputs, [b[k] for b in batches]),
                           k < count - 1 or bool(retain_graph), inputs) for k in range(count)]
    return [None if passes[0][i] is None else np.stack([p[i] for p in passes])
            for i in range(len(inputs))]


def _as_list(value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def iter_graph(root: Node) -> Iterable[Node]:
    """Every tensor with a grad_fn that ``root`` depends on (for drawing and debugging)."""
    return reversed(topological_order([root]))


# ---------------------------------------------------------------- the legacy Variable


class _VariableType(type):
    """``Variable(t)`` returns a Tensor, and every Tensor is a ``Variable``, as in PyTorch."""

    def __call__(cls, data: Any, requires_grad: bool = False, volatile: bool = False) -> Any:
        if not _is_tensor(data):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if volatile:
            warnings.warn("volatile was removed and now has no effect; use `with "
                          "chainrule.no_grad():` instead", UserWarning, stacklevel=2)
        return data.detach().requires_grad_(requires_grad)

    def __instancecheck__(cls, instance: Any) -> bool:
        return _is_tensor(instance)


def _is_tensor(value: Any) -> bool:
    """A Tensor, told by its parts (this module never imports Tensor)."""
    return all(hasattr(value, name) for name in ("_ctx", "_version_counter", "detach"))


class Variable(metaclass=_VariableType):
    """PyTorch's legacy ``autograd.Variable(data, requires_grad=False, volatile=False)``.

    Since PyTorch 0.4 a Variable is a Tensor: this returns ``data.detach()`` (sharing its
    memory, cut from any graph) with ``requires_grad`` set, as PyTorch does. ``volatile`` has
    no effect (a warning says to use ``no_grad()``); ``isinstance(t, Variable)`` is True for
    every tensor.

    Example:
        >>> import chainrule
        >>> v = chainrule.autograd.Variable(chainrule.ones(2), requires_grad=True)
        >>> type(v).__name__, v.requires_grad
        ('Tensor', True)
    """



# PyTorch's ``autograd.functional`` (jacobian, vjp ...), also importable by that dotted name;
# imported last, as it uses the names above.
from . import autograd_functional as functional  # noqa: E402

sys.modules[__name__ + ".functional"] = functional

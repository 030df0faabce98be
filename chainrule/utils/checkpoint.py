"""Activation checkpointing (``torch.utils.checkpoint``): trade compute for memory.

``checkpoint(function, *args)`` returns what ``function(*args)`` returns, but keeps only the
inputs for backward, not the activations inside ``function``. When backward reaches the
output, a ``_Recompute`` node runs ``function`` again, this time recording a graph (with the
package random generator as it was at the first run, so dropout draws the same masks), and
back-propagates the output's gradient through that graph; chainrule's engine allows such a
nested backward inside a Function's backward, since every pass keeps its state locally.

The two variants of PyTorch, chosen by ``use_reentrant``:

* ``True`` (PyTorch's default, with a warning, when it is not passed): the forward runs
  under ``no_grad``, so nothing inside is recorded. The recomputation's backward accumulates
  into the ``.grad`` of the parameters ``function`` uses, as ``backward()`` does, so, as in
  PyTorch, only ``backward()`` without ``inputs=`` may run through it (``autograd.grad``
  raises). No keyword arguments, ``context_fn`` or ``debug``.
* ``False``: the forward records ``function``'s graph once, to find the leaves outside it that
  require grad (the parameters it uses), and lets it go when ``function`` returns: memory is
  held only while one checkpointed call runs. Those leaves become inputs of the output's node,
  so ``autograd.grad`` and ``backward(inputs=...)`` work. Keyword arguments and ``context_fn``
  are supported; ``early_stop`` and ``debug`` change nothing here (the recomputation always
  runs ``function`` to its end).

A tensor that ``function`` reads from outside and that has a gradient history of its own (not
a leaf) should be passed as an argument: otherwise the recomputation runs backward into the
graph that made it.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, Callable, ContextManager, Iterator

from .. import autograd, random
from ..grad_mode import enable_grad, is_grad_enabled, no_grad
from ..nn import Sequential
from ..tensor import Tensor

__all__ = ["CheckpointError", "checkpoint", "checkpoint_sequential", "noop_context_fn"]


class CheckpointError(RuntimeError):
    """The recomputation did not reproduce the first run (``determinism_check``)."""


def noop_context_fn() -> tuple[ContextManager, ContextManager]:
    """``context_fn``'s default: no context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def _require_explicit(where: str) -> None:
    warnings.warn(f"{where}: the use_reentrant parameter should be passed explicitly. Starting "
                  "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
                  "exception. use_reentrant=False is recommended, but if you need to preserve "
                  "the current default behavior, you can pass use_reentrant=True. Refer to "
                  "docs for more details on the differences between the two variants.",
                  UserWarning, stacklevel=3)


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable[[], tuple[ContextManager, ContextManager]] = noop_context_fn,
               determinism_check: str = "default", debug: bool = False, early_stop: bool = True,
               **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, keeping only the inputs for backward and running
    ``function`` again there (the module docstring says how).

    Args:
        function: returns a tensor or a tuple/list of tensors (other values pass through).
        args: its positional arguments.
        use_reentrant: which variant (module docstring); None warns, as torch 2.13 does, and
            means True.
        context_fn: returns two context managers, entered around the forward and around the
            recomputation (``use_reentrant=False`` only).
        determinism_check: ``"default"``: the recomputed outputs must have the first run's
            shapes and dtypes (CheckpointError otherwise); ``"none"``: no check.
        debug: accepted for ``use_reentrant=False``; changes nothing here.
        early_stop: accepted; the recomputation always runs ``function`` to the end.
        kwargs: ``preserve_rng_state`` (default True: the recomputation draws the same random
            numbers from the package generator as the forward), and, with
            ``use_reentrant=False``, keyword arguments of ``function``.

    Example:
        >>> import chainrule
        >>> from chainrule.utils.checkpoint import checkpoint
        >>> layer = chainrule.nn.Linear(3, 3)
        >>> x = chainrule.ones(2, 3, requires_grad=True)
        >>> checkpoint(layer, x, use_reentrant=False).sum().backward()
        >>> tuple(layer.weight.grad.shape), tuple(x.grad.shape)
        ((3, 3), (2, 3))
    """
    if use_reentrant is None:
        _require_explicit("torch.utils.checkpoint")
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return _Reentrant(function, args, {}, preserve, contextlib.nullcontext()).run()
    if determinism_check not in ("default", "none"):
        raise ValueError("determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    forward_context, recompute_context = context_fn()
    with forward_context:
        call = _Recording(function, args, kwargs, preserve, recompute_context)
        call.check = determinism_check == "default"
        return call.run()


def checkpoint_sequential(functions: Any, segments: int, input: Any,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run ``functions`` (an ``nn.Sequential`` or a list of modules/functions) one after the
    other on ``input``, in ``segments`` chunks; every chunk but the last is checkpointed, so
    only the chunks' inputs are kept for backward.

    Args:
        functions: the modules or functions, applied in order to one tensor.
        segments: how many chunks (of ``len(functions) // segments`` each; the last takes
            the rest).
        input: the tensor given to the first.
        use_reentrant: as in ``checkpoint`` (None warns and means True).
        kwargs: only ``preserve_rng_state``.

    Example:
        >>> import chainrule
        >>> from chainrule.utils.checkpoint import checkpoint_sequential
        >>> net = chainrule.nn.Sequential(*[chainrule.nn.Linear(4, 4) for _ in range(4)])
        >>> x = chainrule.ones(1, 4, requires_grad=True)
        >>> checkpoint_sequential(net, 2, x, use_reentrant=False).shape
        (1, 4)
    """
    if use_reentrant is None:
        _require_explicit("torch.utils.checkpoint.checkpoint_sequential")
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(_chain(functions[start:end + 1]), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return _chain(functions[end + 1:])(input)


def _chain(functions: list) -> Callable[[Any], Any]:
    def forward(input: Any) -> Any:
        for fn in functions:
            input = fn(input)
        return input

    return forward


# ---------------------------------------------------------------- the recomputation


class _Recompute(autograd.Function):
    """y = output ``index`` of a checkpointed call, whose inputs x are the call's tensor
    arguments (and, for ``use_reentrant=False``, the leaves outside it that it reads).

    Backward re-runs the call with recording (``_Call.backward``) and back-propagates
    ``grad_out`` through that new graph, giving grad_x = (∂y/∂x)ᵀ · grad_out for each x.
    Saves nothing: the ``_Call`` holds the arguments.
    """

    @staticmethod
    def forward(ctx, value, *inputs, call, index):
        ctx.call, ctx.index = call, index
        return value

    @staticmethod
    def backward(ctx, grad_out):
        return (None, *ctx.call.backward(ctx.index, grad_out))


class _Call:
    """One checkpointed call of ``function``: what its recomputation needs."""

    check = False  # compare the recomputed outputs' shapes and dtypes with the first run's

    def __init__(self, function: Callable, args: tuple, kwargs: dict, preserve: bool,
                 recompute_context: ContextManager) -> None:
        self.function, self.args, self.kwargs = function, args, kwargs
        self.rng_state = random.get_rng_state() if preserve else None
        self.recompute_context = recompute_context
        self.leaves: list[Tensor] = []
        self.recomputed: tuple[list, list] | None = None
        self.remaining = 0  # outputs whose node has not yet run backward
        self.meta: list = []

    def tensor_args(self) -> list[Tensor]:
        return [a for a in self.args if isinstance(a, Tensor)]

    def with_copies(self) -> tuple[tuple, list[Tensor]]:
        """The arguments with each tensor detached (requiring grad as it did), and those."""
        copies = [a.detach().requires_grad_(a.requires_grad) for a in self.tensor_args()]
        it = iter(copies)
        return tuple(next(it) if isinstance(a, Tensor) else a for a in self.args), copies

    def wrap(self, outputs: Any, inputs: list[Tensor]) -> Any:
        """``outputs`` with each floating-point tensor replaced by a ``_Recompute`` node."""
        flat, rebuild = _flat(outputs)
        self.meta = [(o.shape, o.dtype) if isinstance(o, Tensor) else None for o in flat]
        wrapped = [_Recompute.apply(o.data, *inputs, call=self, index=k)
                   if isinstance(o, Tensor) and o.is_floating_point() else o
                   for k, o in enumerate(flat)]
        self.remaining = sum(w is not o for w, o in zip(wrapped, flat))
        return rebuild(wrapped)

    def backward(self, index: int, grad_out: Any) -> list:
        """The gradients of output ``index``'s inputs: recompute (once for all outputs; the
        new graph is kept until the last output's node has used it), then back-propagate."""
        if self.recomputed is None:
            self.recomputed = self.rerun()
        flat, copies = self.recomputed
        self.remaining -= 1
        retain = self.remaining > 0
        if not retain:
            self.recomputed = None
        return self.gradients(flat[index], grad_out, copies, retain)

    def rerun(self) -> tuple[list, list[Tensor]]:
        """``function`` run again with recording, on fresh detached copies of the tensor
        arguments: (its outputs, flat; the copies)."""
        args, copies = self.with_copies()
        with _rng_as(self.rng_state), enable_grad(), self.recompute_context:
            flat, _ = _flat(self.function(*args, **self.kwargs))
        if self.check:
            now = [(o.shape, o.dtype) if isinstance(o, Tensor) else None for o in flat]
            if now != self.meta:
                raise CheckpointError(
                    "torch.utils.checkpoint: Recomputed values have different metadata than "
                    f"during the forward pass: (shape, dtype) {now}, first run {self.meta}. "
                    "The checkpointed function must compute the same thing when run again.")
        return flat, copies

    def gradients(self, out: Tensor, grad_out: Any, copies: list, retain: bool) -> list:
        raise NotImplementedError


class _Reentrant(_Call):
    """``use_reentrant=True``: nothing recorded in the forward; the recomputation's backward
    accumulates into the ``.grad`` of the leaves it reaches (the parameters), as PyTorch's."""

    def run(self) -> Any:
        tensors = self.tensor_args()
        if not any(t.requires_grad for t in tensors):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          UserWarning, stacklevel=4)
        with no_grad():
            outputs = self.function(*self.args)
        if not (is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return outputs
        return self.wrap(outputs, tensors)

    def gradients(self, out: Tensor, grad_out: Any, copies: list, retain: bool) -> list:
        if _grad_call_running():
            raise RuntimeError("When use_reentrant=True, torch.utils.checkpoint is incompatible "
                               "with .grad() or passing an `inputs` parameter to .backward(). To "
                               "resolve this error, you can either set use_reentrant=False, or "
                               "call .backward() without passing the `inputs` argument.")
        if not out.requires_grad:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        for copy in copies:
            copy._grad = None
        autograd.backward([out], [grad_out], retain_graph=retain)
        return [copy._grad if copy.requires_grad else None for copy in copies]


class _Recording(_Call):
    """``use_reentrant=False``: the forward records once to find the leaves ``function``
    reads, which become inputs of the outputs' nodes; backward uses ``autograd.grad``."""

    def run(self) -> Any:
        if not is_grad_enabled():
            return self.function(*self.args, **self.kwargs)
        args, copies = self.with_copies()
        outputs = self.function(*args, **self.kwargs)
        flat, _ = _flat(outputs)
        self.leaves = _outside_leaves(flat, copies)
        inputs = self.tensor_args() + self.leaves
        if not any(t.requires_grad for t in inputs):
            return outputs
        return self.wrap(outputs, inputs)

    def gradients(self, out: Tensor, grad_out: Any, copies: list, retain: bool) -> list:
        wanted = [c for c in copies if c.requires_grad] + self.leaves
        if not (out.requires_grad and wanted):
            return [None] * (len(copies) + len(self.leaves))
        found = iter(autograd.grad([out], wanted, [grad_out], retain_graph=retain,
                                   allow_unused=True))
        grads = [next(found) if c.requires_grad else None for c in copies]
        grads += [next(found) for _ in self.leaves]
        return [None if g is None else g.data for g in grads]


def _flat(outputs: Any) -> tuple[list, Callable[[list], Any]]:
    """The outputs as a list (a tuple or list is opened), and how to rebuild them."""
    if isinstance(outputs, (tuple, list)):
        return list(outputs), type(outputs)
    return [outputs], lambda items: items[0]


def _outside_leaves(outputs: list, copies: list) -> list[Tensor]:
    """Leaves requiring grad, other than ``copies``, that ``outputs`` depend on."""
    inner = {id(c) for c in copies}
    found: dict[int, Tensor] = {}
    roots = [o for o in outputs if isinstance(o, Tensor)]
    for node in autograd.topological_order(roots):
        for parent in node._ctx.parents:
            if parent._ctx is None and parent.requires_grad and id(parent) not in inner:
                found[id(parent)] = parent
    return list(found.values())


@contextlib.contextmanager
def _rng_as(state: dict | None) -> Iterator[None]:
    """The package generator at ``state`` inside the block, back where it was after (no
    change when ``state`` is None: ``preserve_rng_state=False``)."""
    if state is None:
        yield
        return
    now = random.get_rng_state()
    random.set_rng_state(state)
    try:
        yield
    finally:
        random.set_rng_state(now)


def _grad_call_running() -> bool:
    """Whether the backward pass that called us was asked for the gradients of chosen
    inputs (``autograd.grad``, ``backward(inputs=...)``) rather than to fill ``.grad``."""
    return autograd.capturing_pass()

"""Module hooks (PyTorch's ``register_forward_hook`` and kin): the registries, the handles,
and the call of a module that has hooks.

``Module.__call__`` tests one counter, ``LIVE[0]`` (how many hooks have been registered and not
removed, plus the hooks that a copied or unpickled module brought along, less those of modules
that have since been garbage-collected: ``watch``), and calls ``forward`` directly when it is
zero; otherwise ``call_with_hooks`` below runs, in PyTorch's order:

1. forward pre-hooks, global then the module's: ``hook(module, args)`` (with ``with_kwargs``:
   ``hook(module, args, kwargs)``); a non-None result replaces the arguments;
2. with backward hooks (full or pre), the positional tensor arguments pass through an identity
   node (``_Join`` + one ``_Pick`` per tensor), so that their gradients arrive together;
3. ``forward``; then forward hooks, global then the module's, ``hook(module, args, output)``
   (``hook(module, args, kwargs, output)``), a non-None result replacing the output; those
   registered with ``always_call`` also run when ``forward`` raised;
4. with backward hooks, the output's tensors pass through an identity node the same way.

The backward hooks are compositions of autograd Functions, nothing in the engine: the output
side's ``_Join`` receives every output gradient at once (each ``_Pick`` hands its gradient to
the shared ``_HookCall`` and nothing to its tensor, so the engine reaches the ``_Join`` only
after all of them), runs the backward pre-hooks on them and sends them into the module's graph;
the input side's ``_Join`` does the same with the input gradients and runs the full backward
hooks, whose result replaces the gradients that flow on.
"""

from __future__ import annotations

import itertools
import warnings
import weakref
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from ..autograd import Function
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor

# How many hooks may be registered anywhere (global or on a module). Zero means none is, and
# ``Module.__call__`` skips everything here. A dict emptied by hand leaves it high: harmless,
# ``call_with_hooks`` then finds no hooks and calls ``forward``.
LIVE = [0]

_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: OrderedDict = OrderedDict()
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()

HOOK_TABLES = ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
               "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
               "_backward_pre_hooks", "_backward_hooks")


class RemovableHandle:
    """What the ``register_*_hook`` methods return: ``remove()`` takes the hook off (twice is
    harmless); as a context manager it removes the hook at the end of the block."""

    next_id = itertools.count()

    def __init__(self, hooks_dict: dict, *, extra_dict: Any = None) -> None:
        # weak references, as PyTorch's: a handle kept after its module is dropped must not
        # keep the hooks alive, nor the module through a hook that refers to it
        self._hooks_dict = _weak(hooks_dict)
        extras = [] if extra_dict is None else extra_dict
        extras = list(extras) if isinstance(extras, (list, tuple)) else [extras]
        self._extra_dicts = [_weak(extra) for extra in extras]
        self.id = next(RemovableHandle.next_id)
        self.owner: list | None = None  # its module's [count, alive] (``watch``), if any

    @property
    def hooks_dict(self) -> dict | None:
        return self._hooks_dict()

    def remove(self) -> None:
        hooks = self._hooks_dict()
        if hooks is not None and hooks.pop(self.id, _MISSING) is not _MISSING:
            if self.owner is None:
                LIVE[0] -= 1
            elif self.owner[1]:  # a collected module's hooks were already uncounted
                LIVE[0] -= 1
                self.owner[0] -= 1
        for extra in self._extra_dicts:
            table = extra()
            if table is not None:
                table.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


_MISSING = object()


def _weak(table: dict) -> Callable[[], dict | None]:
    """A weak reference to a hook table (an OrderedDict); a plain dict, which cannot have
    one, is held strongly."""
    try:
        return weakref.ref(table)
    except TypeError:
        return lambda: table


def add_hook(hooks: OrderedDict, hook: Callable, what: str, prepend: bool = False,
             flags: tuple = (), owner: Any = None) -> RemovableHandle:
    """Put ``hook`` into ``hooks`` (first when ``prepend``) and its id into each dict of
    ``flags`` (``_forward_hooks_with_kwargs`` ...); the handle removes it from all. ``owner``:
    the module whose table ``hooks`` is (None for a global hook), ``watch``-ed."""
    if not callable(hook):
        raise TypeError(f"{what}: the hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks, extra_dict=list(flags))
    if owner is not None:
        handle.owner = watch(owner)
        handle.owner[0] += 1
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    for flag in flags:
        flag[handle.id] = True
    LIVE[0] += 1
    return handle


# A module's tables whose entries ``LIVE`` counts (the others hold flags of those entries).
COUNTED_TABLES = ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks",
                  "_backward_hooks")


def brought_along(module: Any) -> None:
    """Count the hooks of a module made by copying or unpickling (not registered here)."""
    count = sum(len(module.__dict__.get(name, ())) for name in COUNTED_TABLES)
    if count:  # a copy without hooks needs no finalizer
        watch(module)[0] += count
        LIVE[0] += count


# id(module) -> its [hooks counted in LIVE, alive], for modules ``watch`` set a finalizer on
_WATCHED: dict[int, list] = {}


def watch(module: Any) -> list:
    """``module``'s [hooks it adds to ``LIVE``, alive], made with a finalizer the first time:
    when the module is garbage-collected, the hooks it still counts stop counting (else one
    hook left on a dropped model would keep every later module call on the slow path), and
    its handles, removed later, count nothing down. The finalizer holds only this list: a
    hook table would hold the hooks, and a hook that refers to its module (a bound method, a
    closure) would then keep the module alive for ever."""
    state = _WATCHED.get(id(module))
    if state is None:
        state = _WATCHED[id(module)] = [0, True]
        weakref.finalize(module, _release, id(module), state)
    return state


def _release(key: int, state: list) -> None:
    _WATCHED.pop(key, None)
    LIVE[0] -= state[0]
    state[:] = [0, False]


# ---------------------------------------------------------------- global hooks


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """A forward pre-hook of every module, run before the module's own:
    ``hook(module, args)``, whose non-None result replaces the positional arguments."""
    return add_hook(_global_forward_pre_hooks, hook, "register_module_forward_pre_hook")


def register_module_forward_hook(hook: Callable, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """A forward hook of every module, run before the module's own: ``hook(module, args,
    output)`` (``hook(module, args, kwargs, output)`` when ``with_kwargs``)."""
    flags = ((_global_forward_hooks_with_kwargs,) if with_kwargs else ()) + \
        ((_global_forward_hooks_always_called,) if always_call else ())
    return add_hook(_global_forward_hooks, hook, "register_module_forward_hook", flags=flags)


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """A backward pre-hook of every module: ``hook(module, grad_output)``."""
    return add_hook(_global_backward_pre_hooks, hook, "register_module_full_backward_pre_hook")


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """A full backward hook of every module: ``hook(module, grad_input, grad_output)``."""
    return add_hook(_global_backward_hooks, hook, "register_module_full_backward_hook")


def register_module_backward_hook(hook: Callable) -> RemovableHandle:
    """PyTorch's deprecated global backward hook: here the same as
    ``register_module_full_backward_hook`` (see ``Module.register_backward_hook``)."""
    return register_module_full_backward_hook(hook)


# ---------------------------------------------------------------- the call with hooks


def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """``module(*args, **kwargs)`` with the hooks that are registered now (see the module's
    docstring for the order)."""
    if hook_free(module):
        return module.forward(*args, **kwargs)
    own = module.__dict__
    pre, forward_hooks = own.get("_forward_pre_hooks"), own.get("_forward_hooks")
    bw_pre, bw = own.get("_backward_pre_hooks"), own.get("_backward_hooks")
    if pre or _global_forward_pre_hooks:
        args, kwargs = _run_pre_hooks(module, args, kwargs)
    call = None
    if bw_pre or bw or _global_backward_pre_hooks or _global_backward_hooks:
        call = _HookCall.start(module, args)
        if call is not None:
            args = call.wrap_inputs(args)
    if forward_hooks or _global_forward_hooks:
        result = _forward_with_hooks(module, args, kwargs)
    else:
        result = module.forward(*args, **kwargs)
    return result if call is None else call.wrap_outputs(result)


def hook_free(module: Any) -> bool:
    """Whether calling ``module`` now runs no hook, its own or a global one: then
    ``module(x)`` is ``module.forward(x)`` (``nn.fusion`` asks this of the modules it fuses
    when some hook is registered somewhere)."""
    own = module.__dict__
    return not (own.get("_forward_pre_hooks") or own.get("_forward_hooks")
                or own.get("_backward_pre_hooks") or own.get("_backward_hooks")
                or _global_forward_pre_hooks or _global_forward_hooks
                or _global_backward_pre_hooks or _global_backward_hooks)


def _run_pre_hooks(module: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    own = module.__dict__
    with_kwargs = own.get("_forward_pre_hooks_with_kwargs", {})
    hooks = [(h, False) for h in _global_forward_pre_hooks.values()]
    hooks += [(h, i in with_kwargs) for i, h in own.get("_forward_pre_hooks", {}).items()]
    for hook, takes_kwargs in hooks:
        if takes_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result!r}.")
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    return args, kwargs


def _forward_hook_list(module: Any) -> list[tuple[int, Callable, bool, bool]]:
    """(id, hook, with_kwargs, always_call) of the global, then the module's forward hooks."""
    own = module.__dict__
    local_kw = own.get("_forward_hooks_with_kwargs", {})
    local_always = own.get("_forward_hooks_always_called", {})
    return [(i, h, i in _global_forward_hooks_with_kwargs,
             i in _global_forward_hooks_always_called) for i, h in _global_forward_hooks.items()
            ] + [(i, h, i in local_kw, i in local_always)
                 for i, h in own.get("_forward_hooks", {}).items()]


def _forward_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """``forward``, then the forward hooks; if anything raises, the ``always_call`` hooks not
    yet run are run (their own errors become warnings) before the error goes on."""
    hooks = _forward_hook_list(module)
    called: set[int] = set()
    result = None
    try:
        result = module.forward(*args, **kwargs)
        for hook_id, hook, takes_kwargs, always in hooks:
            if always:
                called.add(hook_id)
            out = hook(module, args, kwargs, result) if takes_kwargs else \
                hook(module, args, result)
            if out is not None:
                result = out
        return result
    except Exception:
        for hook_id, hook, takes_kwargs, always in hooks:
            if always and hook_id not in called:
                try:
                    out = hook(module, args, kwargs, result) if takes_kwargs else \
                        hook(module, args, result)
                    result = result if out is None else out
                except Exception as err:
                    warnings.warn("a module forward hook with always_call=True raised an "
                                  f"exception that was silenced, as forward raised another "
                                  f"error first: {err}", stacklevel=3)
        raise


# ---------------------------------------------------------------- backward hooks


class _HookCall:
    """One call of a module with backward hooks: the hooks as they were at the call, and the
    gradients gathered on their way back through its outputs and inputs."""

    def __init__(self, module: Any, pre_hooks: list, hooks: list, args: tuple) -> None:
        self.module, self.pre_hooks, self.hooks = module, pre_hooks, hooks
        self.n_inputs = len(args)
        self.inputs = [a if isinstance(a, Tensor) else None for a in args]
        self.input_slots: list[int] = []
        self.n_outputs, self.output_slots = 0, []
        self.stash: dict[tuple[str, int], np.ndarray] = {}
        self.grad_outputs: tuple | None = None

    @classmethod
    def start(cls, module: Any, args: tuple) -> _HookCall | None:
        """The record of this call, or None when no gradient can flow (grad mode off)."""
        if not is_grad_enabled():
            return None
        own = module.__dict__
        pre = list(_global_backward_pre_hooks.values()) + \
            list(own.get("_backward_pre_hooks", {}).values())
        full = list(_global_backward_hooks.values()) + \
            list(own.get("_backward_hooks", {}).values())
        return cls(module, pre, full, args)

    def wrap_inputs(self, args: tuple) -> tuple:
        self.input_slots = [i for i, t in enumerate(self.inputs)
                            if t is not None and t.requires_grad]
        return self._wrap("input", args, self.input_slots)

    def wrap_outputs(self, result: Any) -> Any:
        outputs = result if isinstance(result, tuple) else (result,)
        self.n_outputs = len(outputs)
        self.output_slots = [i for i, t in enumerate(outputs)
                             if isinstance(t, Tensor) and t.requires_grad]
        if not self.output_slots:
            return result
        wrapped = self._wrap("output", outputs, self.output_slots)
        return wrapped if isinstance(result, tuple) else wrapped[0]

    def _wrap(self, side: str, values: tuple, slots: list[int]) -> tuple:
        """``values`` with the tensors at ``slots`` replaced by views recorded through one
        ``_Join`` node, whose backward runs once all their gradients have arrived."""
        if not slots:
            return values
        joined = _Join.apply(*[values[i] for i in slots], call=self, side=side)
        out = list(values)
        for i in slots:
            out[i] = _Pick.apply(joined, values[i], call=self, key=(side, i))
        return type(values)(out) if type(values) is tuple else tuple(out)

    # -- backward, called by the _Join nodes

    def outputs_done(self) -> list[np.ndarray | None]:
        """All output gradients are in: run the backward pre-hooks, and the full hooks too when
        no input requires grad (PyTorch does, with None for each input)."""
        grads = tuple(self._take("output", i) for i in range(self.n_outputs))
        for hook in self.pre_hooks:
            result = hook(self.module, grads)
            if result is not None:
                grads = _checked(result, len(grads), "Backward pre hook", "grad_output")
        self.grad_outputs = grads
        if not self.input_slots:
            self._run_without_inputs(grads)
        return [_array(grads[i]) for i in self.output_slots]

    def inputs_done(self) -> list[np.ndarray | None]:
        grads = tuple(self._input_grad(i) for i in range(self.n_inputs))
        grad_outputs = self.grad_outputs or (None,) * self.n_outputs
        for hook in self.hooks:
            result = hook(self.module, grads, grad_outputs)
            if result is not None:
                grads = _checked(result, len(grads), "Backward hook", "grad_input")
        self.grad_outputs = None
        return [_array(grads[i]) for i in self.input_slots]

    def _run_without_inputs(self, grads: tuple) -> None:
        nothing = (None,) * self.n_inputs
        if self.hooks:
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients "
                          f"({type(self.module).__name__}): grad_input is all None.",
                          UserWarning, stacklevel=2)
        for hook in self.hooks:
            result = hook(self.module, nothing, grads)
            if result is not None and not (isinstance(result, tuple)
                                           and all(g is None for g in result)):
                raise RuntimeError("Backward hook for Modules where no input requires "
                                   "gradient should always return None or None for all "
                                   "gradients.")
        self.grad_outputs = None

    def _take(self, side: str, i: int) -> Tensor | None:
        grad = self.stash.pop((side, i), None)
        return None if grad is None else Tensor._const(grad)

    def _input_grad(self, i: int) -> Tensor | None:
        """The gradient of positional input ``i``: None for a non-tensor, zeros for a tensor
        that does not require grad or received none (PyTorch materializes those)."""
        tensor = self.inputs[i]
        if tensor is None:
            return None
        grad = self._take("input", i)
        return Tensor._const(np.zeros_like(tensor.data)) if grad is None else grad


def _checked(result: Any, expected: int, who: str, what: str) -> tuple:
    if isinstance(result, Tensor):
        result = (result,)
    if not isinstance(result, (tuple, list)) or len(result) != expected:
        got = len(result) if isinstance(result, (tuple, list)) else type(result).__name__
        raise RuntimeError(f"{who} returned an invalid number of {what}, got {got}, but "
                           f"expected {expected}")
    return tuple(result)


def _array(grad: Any) -> np.ndarray | None:
    return grad.data if isinstance(grad, Tensor) else None if grad is None else np.asarray(grad)


class _Join(Function):
    """Identity bookkeeping node of a module with backward hooks: its inputs are the module's
    tensors of one side (inputs or outputs), its output an empty array that only the ``_Pick``
    views depend on. Its backward runs after all of theirs: it returns the gathered gradients
    (as the hooks changed them) to the tensors, unchanged otherwise (d(identity) = 1)."""

    label = "BackwardHookFunction"

    @staticmethod
    def forward(ctx: Any, *arrays: np.ndarray, call: _HookCall, side: str) -> np.ndarray:
        ctx.call, ctx.side = call, side
        return np.empty(0, arrays[0].dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: np.ndarray) -> tuple:
        call = ctx.call
        return tuple(call.outputs_done() if ctx.side == "output" else call.inputs_done())


class _Pick(Function):
    """The view of one tensor through a ``_Join``: forward is the identity (a view, sharing
    the tensor's version counter, so an in-place change of it is caught at backward); backward
    leaves the gradient with the ``_HookCall`` and gives the tensor nothing directly: it comes
    through the ``_Join``, once the hooks have seen all gradients."""

    label = "BackwardHookFunction"

    @staticmethod
    def forward(ctx: Any, joined: np.ndarray, x: np.ndarray, call: _HookCall,
                key: tuple[str, int]) -> np.ndarray:
        ctx.call, ctx.key, ctx.empty = call, key, joined
        return x.view()

    @staticmethod
    def backward(ctx: Any, grad_out: np.ndarray) -> tuple:
        stash = ctx.call.stash
        previous = stash.get(ctx.key)
        stash[ctx.key] = grad_out if previous is None else previous + grad_out
        return ctx.empty, None

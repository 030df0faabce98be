"""``torch.jit``'s names, for the PyTorch scripts that use them.

chainrule has no TorchScript: it compiles nothing and records no graph to replay. Every name
here behaves as PyTorch's does with TorchScript turned off (``PYTORCH_JIT=0``, the mode PyTorch
offers for debugging scripted code): ``script`` and ``trace`` return the function they are
given, which then runs as Python, with the same results as the scripted one, and for a module
its twin (``scripted``): the same parameters, buffers and submodules, as a subclass of the
module's class whose ``save`` is refused (see below); the
decorators (``ignore``, ``unused``, ``export``, ``interface``) return what they decorate;
``is_scripting()`` and ``is_tracing()`` are False; ``Attribute(value, type)`` is ``value``;
``fork`` runs its function at once and hands back a finished ``Future``.

So a plain module is never a ``ScriptModule`` (``isinstance(torch.jit.script(m),
torch.jit.ScriptModule)`` is False here, as with ``PYTORCH_JIT=0``): a script that branches on
it takes its eager-mode branch. ``ScriptModule`` is a plain ``nn.Module`` base class, for
scripts that subclass it.

What only TorchScript's compiled code can do is refused with an error that names the
alternative: ``save`` and ``load`` of a TorchScript archive, which holds the model's code
(chainrule's files hold arrays only, and loading one runs nothing). That includes the
scripted module's own ``save(path)``: a plain chainrule module's ``save`` writes its weights
as safetensors, which a script saving a TorchScript archive under that name would not expect.
PyTorch 2.13 deprecates TorchScript, and the same ``DeprecationWarning`` is given here by
the names it gives it for.
"""

from __future__ import annotations

import inspect
import typing
import warnings
from typing import Any, Callable

from .nn.module import Module

Final = typing.Final  # ``x: torch.jit.Final[int]``: a class attribute that never changes


class Error(Exception):
    """``torch.jit.Error``, the error TorchScript raises; nothing here raises it."""


class TracerWarning(Warning):
    """``torch.jit.TracerWarning``, for ``warnings.filterwarnings``; never given here."""


class ScriptWarning(Warning):
    """``torch.jit.ScriptWarning``, for ``warnings.filterwarnings``; never given here."""


class ScriptModule(Module):
    """A plain ``nn.Module``, as PyTorch's ``ScriptModule`` is with TorchScript turned off:
    scripts may subclass it (with ``@script_method`` on its methods), and ``script`` never
    turns a module into one, so ``isinstance(m, ScriptModule)`` holds only for subclasses."""

    def __init__(self, arg: Any = None) -> None:
        super().__init__()


class ScriptFunction:
    """The type of a compiled TorchScript function. ``script`` returns functions unchanged,
    so nothing is an instance of it: ``isinstance(f, ScriptFunction)`` is False."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("chainrule.jit.ScriptFunction: no constructor defined (chainrule "
                        "compiles no functions; script() returns a function unchanged)")


def _deprecated(name: str, instead: str = "torch.compile") -> None:
    """PyTorch 2.13's DeprecationWarning for ``torch.jit.<name>``."""
    warnings.warn(f"`torch.jit.{name}` is deprecated. Please use `{instead}` instead. "
                  "(chainrule: TorchScript is off, so the code runs as Python.)",
                  DeprecationWarning, stacklevel=3)


def _optimize_ignored(optimize: Any) -> None:
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with "
                      "torch.jit.optimized_execution()` instead", FutureWarning, stacklevel=3)


# ---------------------------------------------------------------- script and trace


def script(obj: Any, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None,
           example_inputs: Any = None) -> Any:
    """``obj`` (a function or class) unchanged, a module as its twin (``scripted``): chainrule
    has no TorchScript, so the model runs as Python, with the same results a scripted model
    gives.

    Args:
        obj: what ``torch.jit.script`` would compile; also usable as ``@script``.
        optimize: deprecated in PyTorch, and ignored (with its FutureWarning).
        _frames_up, _rcb, example_inputs: TorchScript's compiler options; ignored.

    Example:
        >>> import chainrule
        >>> layer = chainrule.nn.Linear(2, 2)
        >>> scripted = chainrule.jit.script(layer)
        >>> isinstance(scripted, chainrule.nn.Linear), scripted.weight is layer.weight
        (True, True)
    """
    _deprecated("script", "torch.compile` or `torch.export")
    _optimize_ignored(optimize)
    return scripted(obj)


def trace(func: Any, example_inputs: Any = None, optimize: Any = None,
          check_trace: bool = True, check_inputs: Any = None, check_tolerance: float = 1e-5,
          strict: bool = True, _force_outplace: bool = False, _module_class: Any = None,
          _compilation_unit: Any = None, example_kwarg_inputs: Any = None,
          _store_inputs: bool = True) -> Any:
    """``func`` (a function) unchanged, a module as its twin (``scripted``): chainrule has no
    TorchScript and records no trace, so the model runs as Python, with the same results the
    traced one gives on the example's path (and the right ones where a trace would have
    frozen a Python branch or a shape). ``example_inputs`` are not run; the other arguments
    configure the tracer and are ignored.

    Example:
        >>> import chainrule
        >>> layer = chainrule.nn.Linear(2, 2)
        >>> chainrule.jit.trace(layer, chainrule.ones(1, 2)).weight is layer.weight
        True
    """
    _deprecated("trace", "torch.compile` or `torch.export")
    _optimize_ignored(optimize)
    return scripted(func)


def trace_module(mod: Any, inputs: Any, optimize: Any = None, check_trace: bool = True,
                 check_inputs: Any = None, check_tolerance: float = 1e-5, strict: bool = True,
                 _force_outplace: bool = False, _module_class: Any = None,
                 _compilation_unit: Any = None, example_inputs_is_kwarg: bool = False,
                 _store_inputs: bool = True) -> Any:
    """``mod``'s twin (see ``trace``); ``inputs`` maps method names to example inputs, as
    in PyTorch, and is checked for that shape but not run."""
    _deprecated("trace_method", "torch.compile` or `torch.export")
    _optimize_ignored(optimize)
    if not isinstance(mod, Module):
        raise AttributeError("trace_module: expected an nn.Module as the first argument, got "
                             f"{type(mod).__name__}")
    if not isinstance(inputs, dict):
        raise AttributeError("trace_module: expected a dictionary of (method_name, input) "
                             f"pairs, got {type(inputs).__name__}")
    return scripted(mod)


def scripted(obj: Any) -> Any:
    """What ``script``/``trace`` give for ``obj``: a function (or class) unchanged; for a
    module, a new module object of a subclass of its class that shares its parameters,
    buffers and submodules (as a scripted module shares them with its source in PyTorch),
    whose ``save`` raises instead of writing chainrule's weights file under the name a
    script means for a TorchScript archive."""
    if not isinstance(obj, Module):
        return obj
    cls = type(obj)
    twin_class = _TWIN_CLASSES.get(cls)
    if twin_class is None:
        twin_class = _TWIN_CLASSES[cls] = type(cls.__name__, (cls,), {
            "save": _refuse_archive_save, "__module__": cls.__module__,
            "__qualname__": cls.__qualname__, "__doc__": cls.__doc__})
    twin = object.__new__(twin_class)
    twin.__dict__.update(obj.__dict__)
    return twin


_TWIN_CLASSES: dict[type, type] = {}


def _refuse_archive_save(self: Module, *args: Any, **kwargs: Any) -> None:
    raise NotImplementedError(
        "ScriptModule.save: chainrule has no TorchScript, so a scripted or traced module can "
        "not be saved as a TorchScript archive (which holds the model's code). Save its "
        "weights with chainrule.save(model.state_dict(), path), and to use them, build the "
        "model in code and load_state_dict(chainrule.load(path))")


def script_method(fn: Callable) -> Callable:
    """``fn`` unchanged (the method decorator of ``ScriptModule`` subclasses)."""
    _deprecated("script_method", "torch.compile` or `torch.export")
    return fn


def script_if_tracing(fn: Callable) -> Callable:
    """``fn`` unchanged: nothing is ever traced here, so it always runs as Python."""
    return fn


def is_scripting() -> bool:
    """False: code never runs as TorchScript here (``if not torch.jit.is_scripting():``
    takes its eager branch)."""
    return False


def is_tracing() -> bool:
    """False: code is never traced here."""
    return False


# ---------------------------------------------------------------- decorators and hints


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """Leave a function to Python: here, the function unchanged. Used bare (``@ignore``) or
    called (``@ignore(drop=True)``, deprecated in PyTorch for ``@unused``, with its
    FutureWarning)."""
    if callable(drop):
        return drop
    if not isinstance(drop, bool):
        raise RuntimeError(f"Argument to @torch.jit.ignore must be a bool or a function but "
                           f"got {drop}")
    if kwargs.pop("drop_on_export", None):
        warnings.warn("ignore(drop_on_export=True) has been deprecated. TorchScript will now "
                      "drop the function call on compilation. Use torch.jit.unused now.",
                      FutureWarning, stacklevel=2)
    elif drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the "
                      "function call on compilation. Use torch.jit.unused now.",
                      FutureWarning, stacklevel=2)
    return _identity


def _identity(fn: Any) -> Any:
    return fn


def unused(fn: Any) -> Any:
    """``fn`` (a function, method or property) unchanged: TorchScript would replace its body
    with a raise; here it is simply Python."""
    return fn


def export(fn: Any) -> Any:
    """``fn`` unchanged (marks a method TorchScript should compile besides ``forward``)."""
    return fn


def interface(obj: Any) -> Any:
    """The class ``obj`` unchanged (a TorchScript interface type); RuntimeError for anything
    that is not a class, as in PyTorch."""
    _deprecated("interface")
    if not inspect.isclass(obj):
        raise RuntimeError("interface must be applied to a class")
    return obj


def annotate(the_type: Any, the_value: Any) -> Any:
    """``the_value``: a type hint for TorchScript (``torch.jit.annotate(List[int], [])``)."""
    return the_value


def Attribute(value: Any, type: Any) -> Any:  # noqa: N802, A002 - torch's names
    """``value``: the type hint for a ``ScriptModule`` attribute. As in PyTorch with
    TorchScript off, the attribute holds the value itself (no ``(value, type)`` pair that
    nothing would unwrap)."""
    return value


# ---------------------------------------------------------------- fork and wait


class Future:
    """The result of ``fork``: here always finished, since ``fork`` runs its function at once
    (as PyTorch does outside TorchScript). ``wait()`` and ``value()`` give the result, or
    raise the error set with ``set_exception``."""

    def __init__(self, *, devices: Any = None) -> None:
        self._done, self._result, self._error = False, None, None

    def done(self) -> bool:
        """Whether a result (or an error) has been set."""
        return self._done

    def set_result(self, result: Any) -> None:
        if self._done:
            raise RuntimeError("Future: a result was already set")
        self._done, self._result = True, result

    def set_exception(self, result: BaseException) -> None:
        if self._done:
            raise RuntimeError("Future: a result was already set")
        self._done, self._error = True, result

    def value(self) -> Any:
        """The result, or the error set with ``set_exception`` raised."""
        if not self._done:
            raise RuntimeError("Future: no result yet (this Future was made by hand and "
                               "set_result was never called)")
        if self._error is not None:
            raise self._error
        return self._result

    def wait(self) -> Any:
        """The result (nothing runs in the background here, so nothing is waited for)."""
        return self.value()

    def then(self, callback: Callable[[Future], Any]) -> Future:
        """A new Future holding ``callback(self)``, run now."""
        return _finished(lambda: callback(self))

    def add_done_callback(self, callback: Callable[[Future], Any]) -> None:
        """Run ``callback(self)`` now (the Future is finished)."""
        callback(self)


def _finished(run: Callable[[], Any]) -> Future:
    future = Future()
    future.set_result(run())
    return future


def fork(func: Callable, *args: Any, **kwargs: Any) -> Future:
    """``func(*args, **kwargs)`` run now, its result in a finished ``Future`` (PyTorch, outside
    TorchScript, also runs it at once; an error is raised here, by ``fork``, as there)."""
    _deprecated("fork")
    return _finished(lambda: func(*args, **kwargs))


def wait(future: Future) -> Any:
    """The result of a ``Future`` made by ``fork``."""
    _deprecated("wait")
    if not isinstance(future, Future):
        raise TypeError(f"wait: expected a Future (from fork), got {type(future).__name__}")
    return future.wait()


# ---------------------------------------------------------------- files and optimization


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    """Refused: a TorchScript archive holds the model's code, and chainrule writes no code
    (its files hold arrays only). NotImplementedError naming the alternative."""
    raise NotImplementedError(
        "chainrule.jit.save: a TorchScript archive holds the model's code, which chainrule "
        "does not write (its files hold arrays only, so loading one runs nothing). Save the "
        "weights with chainrule.save(model.state_dict(), path), and load them into the "
        "model's class with model.load_state_dict(chainrule.load(path)).")


def load(f: Any, map_location: Any = None, _extra_files: Any = None,
         _restore_shapes: bool = False) -> Any:
    """Refused: a TorchScript archive holds code, which chainrule never loads or runs.
    NotImplementedError naming the alternative."""
    raise NotImplementedError(
        "chainrule.jit.load: a TorchScript archive holds the model's code, which chainrule "
        "never loads or runs. Build the model from its Python class and load its weights "
        "with model.load_state_dict(chainrule.load(path)), from a file that chainrule.save "
        "or torch.save wrote of its state_dict().")


def _check_module(name: str, mod: Any) -> None:
    if not isinstance(mod, Module):
        raise RuntimeError(f"{name} expects a module (what torch.jit.script or "
                           f"torch.jit.trace returns), got {type(mod).__name__}")


def freeze(mod: Any, preserved_attrs: list[str] | None = None,
           optimize_numerics: bool = True) -> Any:
    """``mod`` unchanged, after PyTorch's checks: a module, in eval mode. (Freezing inlines
    the weights of a compiled graph; there is none here.)"""
    _deprecated("freeze")
    _check_module("freeze", mod)
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. "
                           "Please call .eval() on your module before freezing.")
    return mod


def optimize_for_inference(mod: Any, other_methods: list[str] | None = None) -> Any:
    """``mod`` put in eval mode (as PyTorch's does before freezing it) and returned."""
    _deprecated("optimize_for_inference")
    _check_module("optimize_for_inference", mod)
    return mod.eval()


def run_frozen_optimizations(mod: Any, optimize_numerics: bool = True,
                             preserved_methods: list[str] | None = None) -> None:
    """Nothing to do: there is no frozen graph to optimize."""


__all__ = [
    "Attribute", "Error", "Final", "Future", "ScriptFunction", "ScriptModule", "ScriptWarning",
    "TracerWarning", "annotate", "export", "fork", "freeze", "ignore", "interface",
    "is_scripting", "is_tracing", "load", "optimize_for_inference", "run_frozen_optimizations",
    "save", "script", "script_if_tracing", "script_method", "trace", "trace_module", "unused",
    "wait",
]

"""Grad mode, inference mode and anomaly mode, each kept per thread as in PyTorch (R-THREAD-1).

A thread's modes are its own: ``no_grad()`` around ``predict()`` in one thread never stops
another thread from recording its graph, and a new thread starts with the defaults (grad mode
on, anomaly mode off) whatever the thread that started it was doing.

Speed: ``apply`` asks for grad mode on every op, and reading a thread-local costs several times
what reading a module global does. So this module also keeps ``all_default``, True while every
thread has the default modes; then nobody needs to read their thread's own. It is kept by
``_set``, the one function that changes a mode, under a lock. (A thread that ends inside
``no_grad`` leaves it False: every thread then reads its own modes, correctly, a little slower.)
"""

from __future__ import annotations

import functools
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import traceback


class _Modes(threading.local):
    """This thread's modes; class attributes give every new thread the defaults."""

    grad_enabled = True
    inference = False
    anomaly_enabled = False
    anomaly_check_nan = True


_modes = _Modes()
_lock = threading.Lock()
_threads_off_default = 0
all_default = True  # no thread has grad mode off or anomaly mode on: see the module docstring


def _is_default() -> bool:
    return _modes.grad_enabled and not _modes.anomaly_enabled


def _set(**modes: bool) -> None:
    """Set this thread's ``modes`` (attribute names of ``_Modes``) and keep ``all_default``."""
    global _threads_off_default, all_default
    with _lock:
        before = _is_default()
        for name, value in modes.items():
            setattr(_modes, name, value)
        _threads_off_default += before - _is_default()
        all_default = _threads_off_default == 0


def _set_grad(grad: bool, inference: bool) -> None:
    """``_set(grad_enabled=grad, inference=inference)``, written out: every ``no_grad`` block
    runs it twice, and the keyword loop costs more than the rest together."""
    global _threads_off_default, all_default
    modes = _modes
    with _lock:
        before = modes.grad_enabled and not modes.anomaly_enabled
        modes.grad_enabled = grad
        modes.inference = inference
        _threads_off_default += before - (grad and not modes.anomaly_enabled)
        all_default = _threads_off_default == 0


# ---------------------------------------------------------------- grad mode


def is_grad_enabled() -> bool:
    """Whether operations in this thread are being recorded for backward."""
    return all_default or _modes.grad_enabled


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside ``inference_mode()``."""
    return _modes.inference


class _GradMode:
    """Context manager and decorator that sets this thread's grad mode (and inference mode,
    unless ``inference`` is None) inside a block, and restores both after it (also when it
    raises)."""

    def __init__(self, grad: bool, inference: bool | None = None) -> None:
        self.grad = bool(grad)
        self.inference = inference
        self.previous: list[tuple[bool, bool]] = []

    def __enter__(self) -> None:
        modes = _modes
        self.previous.append((modes.grad_enabled, modes.inference))
        _set_grad(self.grad, modes.inference if self.inference is None else self.inference)

    def __exit__(self, *exc: object) -> None:
        _set_grad(*self.previous.pop())

    def __call__(self, func: Callable) -> Callable:
        grad, inference = self.grad, self.inference

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(grad, inference):  # a fresh one per call: threads may share func
                return func(*args, **kwargs)

        return wrapper


def _maybe_bare(cls: type, func: Callable | None) -> Any:
    """A new ``cls``, or, for ``@no_grad`` written without parentheses (PyTorch accepts it),
    ``func`` decorated by one."""
    mode = object.__new__(cls)
    if func is None:
        return mode
    mode.__init__()
    return mode(func)


class no_grad(_GradMode):
    """Build no graph inside this block or decorated function (PyTorch's ``no_grad``).

    Example:
        >>> import chainrule
        >>> x = chainrule.ones(2, requires_grad=True)
        >>> with chainrule.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __new__(cls, func: Callable | None = None) -> Any:
        if func is None:  # the usual case, one call less: a forward pass may open a block
            return object.__new__(cls)
        return _maybe_bare(cls, func)

    def __init__(self) -> None:
        _GradMode.__init__(self, False)


class enable_grad(_GradMode):
    """Record the graph again inside a ``no_grad`` block."""

    def __new__(cls, func: Callable | None = None) -> Any:
        return _maybe_bare(cls, func)

    def __init__(self) -> None:
        super().__init__(True)


class inference_mode(_GradMode):
    """``no_grad`` for code that only evaluates (PyTorch's ``inference_mode``); ``mode=False``
    turns it off inside an enclosing one."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__(not mode, inference=bool(mode))


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off: at once when called, for a block when used with
    ``with`` (restored after it), or for a decorated function (PyTorch's semantics)."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        super().__enter__()

    def __enter__(self) -> None:
        if not self.previous:  # entered again after its first block ended
            super().__enter__()

    def __call__(self, func: Callable) -> Callable:
        self.__exit__()  # as a decorator it sets the mode only while func runs
        return super().__call__(func)


# ---------------------------------------------------------------- anomaly mode


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on in this thread."""
    return _modes.anomaly_enabled


class detect_anomaly:
    """Context manager: while active in this thread, the forward pass records where each op
    was created, and a backward that returns NaN raises RuntimeError naming the Function and
    that place (infinities can be legitimate and pass, as in PyTorch). ``check_nan=False``
    records the places but checks nothing. Off by default: it costs a stack walk per op.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.previous: list[tuple[bool, bool]] = []

    def __enter__(self) -> None:
        self.previous.append((_modes.anomaly_enabled, _modes.anomaly_check_nan))
        _set(anomaly_enabled=True, anomaly_check_nan=self.check_nan)

    def __exit__(self, *exc: object) -> None:
        enabled, check_nan = self.previous.pop()
        _set(anomaly_enabled=enabled, anomaly_check_nan=check_nan)


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> None:
    """Turn anomaly mode on or off in this thread (see ``detect_anomaly``)."""
    _set(anomaly_enabled=bool(mode), anomaly_check_nan=check_nan)


def checks_nan() -> bool:
    """Whether backward in this thread must check every gradient for NaN."""
    return not all_default and _modes.anomaly_enabled and _modes.anomaly_check_nan


def creation_trace() -> traceback.StackSummary | None:
    """Where the op being recorded was called from, when anomaly mode is on in this thread.

    Called by ``Context.__init__``; the stack starts at its caller (``apply``) and goes out.
    """
    if all_default or not _modes.anomaly_enabled:
        return None
    import traceback  # here: only anomaly mode needs it (import time, benchmarks/README.md)

    return traceback.extract_stack(sys._getframe(2))

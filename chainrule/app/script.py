"""``chainrule run script.py [args…]``: run an unmodified PyTorch script on chainrule.

The script runs as ``python script.py args…`` would run it (``__name__ == "__main__"``,
``sys.argv == [script, *args]``, the script's folder first on ``sys.path``), with ``torch``
and ``torchvision`` meaning chainrule (``torch_alias``). When the script reaches a PyTorch
feature chainrule lacks, one line names it and the script's line, and the exit status is 2:

    chainrule run: train.py:12 uses torch.nn.LSTM, which chainrule does not provide yet

Recognised: a missing attribute or submodule of ``torch``/``torchvision``, a missing method
of a chainrule object (``torch.Tensor.mm``), and a keyword argument a chainrule function does
not take (``torch.zeros(device=…)``). Any other error is the script's own: its traceback is
printed from the script's frame on, and the exit status is 1, as with python.
"""

from __future__ import annotations

import os
import re
import runpy
import sys
import traceback
import types
from typing import Any, Sequence

from .torch_alias import ROOTS, MissingFeature, MissingModule, aliased_torch, resolve

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")
_KEYWORD = re.compile(r"^([\w.]+)\(\) got an unexpected keyword argument '(\w+)'")
# Where chainrule's classes live under PyTorch's names, by the start of their module.
_CLASS_HOMES = (("chainrule.tensor", "torch."), ("chainrule.nn", "torch.nn."),
                ("chainrule.optim.lr_scheduler", "torch.optim.lr_scheduler."),
                ("chainrule.optim", "torch.optim."), ("chainrule.data", "torch.utils.data."),
                ("chainrule.vision.transforms", "torchvision.transforms."),
                ("chainrule.vision.datasets", "torchvision.datasets."),
                ("chainrule.", "torch."))


def run_script(script: str, args: Sequence[str] = ()) -> int:
    """Run ``script`` with ``args`` on chainrule; returns its exit status (see the module
    docstring)."""
    path = os.path.abspath(script)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"chainrule run: can't open file {script!r}: no such file")
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(path))
    try:
        with aliased_torch():
            runpy.run_path(script, run_name="__main__")  # sets sys.argv[0] to script
    except SystemExit as stop:
        return _exit_status(stop.code)
    except KeyboardInterrupt:
        print("chainrule run: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - every error of the script is reported here
        return _report(err, script, path)
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    return 0


def _exit_status(code: Any) -> int:
    """What python makes of ``sys.exit(code)``: None is 0, an int itself, else 1 (printed)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _report(err: Exception, script: str, path: str) -> int:
    feature = missing_feature(err)
    if feature is None:
        sys.stdout.flush()
        traceback.print_exception(type(err), err, _from_script(err.__traceback__, path))
        return 1
    sys.stdout.flush()
    print(f"chainrule run: {_where(err.__traceback__, script, path)} uses {feature}, which "
          "chainrule does not provide yet", file=sys.stderr)
    return 2


def missing_feature(err: BaseException) -> str | None:
    """The PyTorch feature whose absence raised ``err``, or None for the script's own error."""
    if isinstance(err, (MissingFeature, MissingModule)):
        detail = getattr(err, "detail", None)
        return err.feature + (f" ({detail})" if detail else "")
    if isinstance(err, ImportError):
        found = _CANNOT_IMPORT.search(str(err))
        if found and found.group(2).split(".")[0] in ROOTS:
            return f"{found.group(2)}.{found.group(1)}"
        return None
    user_frame_raised = _last_frame_is_user(err.__traceback__)
    if isinstance(err, AttributeError) and user_frame_raised and err.name:
        home = _torch_home(err.obj)
        return None if home is None else f"{home}.{err.name}"
    if isinstance(err, TypeError) and user_frame_raised:
        found = _KEYWORD.match(str(err))
        function = found and _torch_function(found.group(1))
        if function:
            return f"the argument {found.group(2)}= of {function}"
    return None


def _torch_home(obj: Any) -> str | None:
    """``torch.Tensor`` for a chainrule Tensor (or Parameter), ``torch.nn.Linear`` for
    chainrule's Linear, and so on; None for an object of a class that is not chainrule's
    (a user's subclass included: its missing attributes are the user's)."""
    cls = obj if isinstance(obj, type) else type(obj)
    if isinstance(obj, types.ModuleType) or not cls.__module__.startswith("chainrule."):
        return None
    if any(c.__module__ == "chainrule.tensor" and c.__name__ == "Tensor" for c in cls.__mro__):
        return "torch.Tensor"
    for module, prefix in _CLASS_HOMES:
        if cls.__module__.startswith(module):
            return prefix + cls.__name__
    return None


def _torch_function(qualname: str) -> str | None:
    """The PyTorch name of the chainrule function or method that a TypeError names by
    ``qualname`` (``zeros``, ``Tensor.to``, ``Linear.__init__``), or None."""
    for base in ("torch", "torch.nn", "torch.optim", "torch.utils.data",
                 "torchvision.transforms", "torchvision.datasets"):
        full = f"{base}.{qualname}"
        try:
            resolve(full)
        except (AttributeError, ImportError):
            continue
        return full.removesuffix(".__init__")
    return None


def _last_frame_is_user(tb: types.TracebackType | None) -> bool:
    """Whether the error came from a line outside chainrule (the script's own call or
    attribute access), not from inside a chainrule function. chainrule ``__getattr__``
    frames at the end only say that an attribute was looked up, so they are skipped."""
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame.f_code)
        tb = tb.tb_next
    while frames and frames[-1].co_filename.startswith(_PACKAGE) and \
            frames[-1].co_name == "__getattr__":
        frames.pop()
    return bool(frames) and not frames[-1].co_filename.startswith(_PACKAGE)


def _where(tb: types.TracebackType | None, script: str, path: str) -> str:
    """``file:line`` of the innermost frame outside chainrule and the import machinery."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith(_PACKAGE) and not filename.startswith("<frozen") and \
                filename != runpy.__file__ and filename != __file__:
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return script
    filename, line = found
    shown = script if os.path.abspath(filename) == path else os.path.relpath(filename)
    return f"{shown}:{line}"


def _from_script(tb: types.TracebackType | None, path: str) -> types.TracebackType | None:
    """``tb`` from the script's first frame on (the runner's frames are not the script's);
    None when the script never ran (a SyntaxError, which shows its own file and line)."""
    start = tb
    while start is not None and os.path.abspath(start.tb_frame.f_code.co_filename) != path:
        start = start.tb_next
    return start


__all__ = ["missing_feature", "run_script"]

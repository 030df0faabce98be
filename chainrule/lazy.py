"""Public names that a package loads on first use (PEP 562), so that ``import chainrule``
runs only the modules every program needs.

A package lists, per submodule, the public names that submodule defines, and gets from
``lazy_names`` the module-level ``__getattr__`` and ``__dir__`` that serve them:
``chainrule.nn.LSTM`` and ``from chainrule.nn import LSTM`` import ``chainrule.nn.rnn`` the
first time and return its own ``LSTM`` (so ``isinstance``, pickling, which records
``chainrule.nn.rnn.LSTM``, and ``help`` see the same object as before), which is then stored
in the package's namespace so that later reads are plain lookups. ``dir()`` lists every name,
loaded or not. A name that is nowhere listed may still be a submodule of the package
(``chainrule.nn.init``); it is imported as such, else ``AttributeError`` names it.

A lazy import is still an import and keeps to the layers: a package lists its own submodules.
A listed name must not also be a submodule's name: importing that submodule directly makes
the import system bind the module over the package's name. So ``chainrule.gradcheck``,
``chainrule.tensor`` and ``chainrule.device`` stay eager imports, and the file of
``functional.fold`` is ``functional/folding.py``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

# package -> {public name: the module, relative, that defines it}, each package that uses
# lazy_names
_ORIGINS: dict[str, dict[str, str]] = {}


def origins(package: str) -> dict[str, str]:
    """Where each of ``package``'s lazily loaded names lives: ``{"LSTM": "chainrule.nn.rnn"}``."""
    import importlib.util  # here, not at import: only listings need it

    return {name: importlib.util.resolve_name(module, package)
            for name, module in _ORIGINS[package].items()}


def lazy_names(package: str, namespace: dict[str, Any], where: Mapping[str, str],
               submodules: Iterable[str] = ()) -> tuple[Callable[[str], Any],
                                                         Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` (whose ``globals()`` is ``namespace``).

    ``where`` maps a submodule, relative (``".rnn"``), to the names it exports, separated by
    spaces; ``submodules`` are further submodules that ``dir()`` lists where they exist.
    """
    origin = {name: module for module, names in where.items() for name in names.split()}
    listed = tuple(submodules)
    _ORIGINS[package] = origin

    def __getattr__(name: str) -> Any:
        if name in origin:
            value = getattr(importlib.import_module(origin[name], package), name)
        else:
            value = _submodule(package, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        present = {name for name in listed if _is_submodule(package, name)}
        return sorted(set(namespace) | set(origin) | present)

    return __getattr__, __dir__


def _submodule(package: str, name: str) -> Any:
    """``package.name`` imported, if it is a submodule; else ``AttributeError`` names it."""
    full = f"{package}.{name}"
    if name.isidentifier() and not name.startswith("__"):
        try:
            return importlib.import_module(full)
        except ModuleNotFoundError as error:
            if error.name != full:
                raise
    raise AttributeError(f"module {package!r} has no attribute {name!r}")


def _is_submodule(package: str, name: str) -> bool:
    import importlib.util  # here, not at import: only listings need it

    return importlib.util.find_spec(f"{package}.{name}") is not None

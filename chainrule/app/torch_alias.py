"""``torch`` and ``torchvision`` as names of chainrule, for ``chainrule run``.

Inside ``aliased_torch()``, ``import torch`` (and ``torch.nn``, ``torch.optim.lr_scheduler``,
``torch.utils.data``, ``torchvision.transforms``, any ``torch.X.Y``) gives an alias module that
reads its attributes from the matching chainrule object: ``torch`` → ``chainrule``,
``torch.X.Y`` → ``chainrule.X.Y`` (attribute or submodule), ``torchvision`` →
``chainrule.vision``. A name chainrule lacks raises ``MissingFeature`` (an AttributeError) or
``MissingModule`` (a ModuleNotFoundError), which carry the PyTorch name (``torch.nn.LSTM``) for
the one-line report of ``chainrule run``. chainrule's own subpackages that are not PyTorch's
(``torch.ops`` is not ``chainrule.ops``) are not reachable under ``torch``.

The aliases live only for the ``with`` block: on entry every ``torch*`` entry of
``sys.modules`` (a real PyTorch, if one was imported) is set aside, on exit put back.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import sys
import types
from typing import Any, Iterator

ROOTS = {"torch": "chainrule", "torchvision": "chainrule.vision"}
# chainrule's own modules, which PyTorch does not have (or has as something else); a
# function of the same name (``chainrule.tensor``) is reachable.
NOT_TORCH = frozenset({"app", "cli", "creation", "data", "dtypes", "grad_mode", "io",
                       "methods", "models", "ops", "tensor", "train", "viz", "vision"})


class MissingFeature(AttributeError):
    """A PyTorch attribute chainrule does not provide; ``feature`` is its PyTorch name."""

    def __init__(self, feature: str, detail: str | None = None) -> None:
        super().__init__(f"{feature} is not provided by chainrule (yet)"
                         + (f": {detail}" if detail else ""), name=feature.rsplit(".", 1)[-1])
        self.feature, self.detail = feature, detail


class MissingModule(ModuleNotFoundError):
    """A PyTorch module chainrule does not provide; ``feature`` is its PyTorch name."""

    def __init__(self, feature: str) -> None:
        super().__init__(f"{feature} is not provided by chainrule (yet)", name=feature)
        self.feature = feature


def is_aliased(name: str) -> bool:
    return name.split(".")[0] in ROOTS


def resolve(name: str) -> Any:
    """The chainrule object that the PyTorch name ``name`` stands for; MissingModule or
    MissingFeature when there is none."""
    root, *rest = name.split(".")
    path = ROOTS[root]
    obj = importlib.import_module(path)
    for i, part in enumerate(rest):
        if obj is sys.modules["chainrule"] and part in NOT_TORCH and \
                isinstance(getattr(obj, part, None), types.ModuleType):
            raise MissingModule(name)
        path += "." + part
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(path)
        except ModuleNotFoundError as err:
            if err.name is not None and path.startswith(err.name):
                raise MissingModule(".".join([root, *rest[:i + 1]])) from None
            raise
    return obj


class Alias(types.ModuleType):
    """A module named as PyTorch's (``torch.nn``) whose attributes are its target's."""

    def __init__(self, name: str, target: Any) -> None:
        super().__init__(name, getattr(target, "__doc__", None))
        self.__dict__["_alias_target"] = target
        self.__path__ = []  # a package: ``import torch.nn.functional`` asks the finder

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")
        name = f"{self.__name__}.{attr}"
        try:
            value = getattr(self.__dict__["_alias_target"], attr)
        except AttributeError as err:
            # chainrule's own reason, when it gives one (transforms.ToPILImage: no PIL)
            detail = None if "has no attribute" in str(err) else str(err)
            raise MissingFeature(name, detail) from None
        if isinstance(value, types.ModuleType):
            if self.__name__ == "torch" and attr in NOT_TORCH:
                raise MissingFeature(name)
            return alias_module(name)
        return value

    def __setattr__(self, attr: str, value: Any) -> None:
        # Module bookkeeping (dunders, submodules the import system attaches) stays here;
        # settings such as ``torch.backends.cudnn.benchmark = True`` reach chainrule.
        if attr.startswith("_") or isinstance(value, Alias):
            self.__dict__[attr] = value
        else:
            setattr(self.__dict__["_alias_target"], attr, value)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self.__dict__["_alias_target"])) - NOT_TORCH)


def alias_module(name: str) -> Alias:
    """The alias module of the PyTorch name ``name``, made once and kept in sys.modules."""
    existing = sys.modules.get(name)
    if isinstance(existing, Alias):
        return existing
    module = Alias(name, resolve(name))
    module.__spec__ = importlib.util.spec_from_loader(name, _LOADER, is_package=True)
    module.__loader__ = _LOADER
    sys.modules[name] = module
    return module


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if not is_aliased(fullname):
            return None
        return importlib.util.spec_from_loader(fullname, _LOADER, is_package=True)


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: Any) -> Alias:
        return Alias(spec.name, resolve(spec.name))

    def exec_module(self, module: types.ModuleType) -> None:
        pass


_LOADER = _Loader()


@contextlib.contextmanager
def aliased_torch() -> Iterator[None]:
    """``torch`` and ``torchvision`` mean chainrule inside the block."""
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if is_aliased(name)}
    finder = _Finder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if is_aliased(n)]:
            del sys.modules[name]
        sys.modules.update(saved)


__all__ = ["Alias", "MissingFeature", "MissingModule", "aliased_torch", "resolve"]

"""Containers of parameters: ``ParameterList`` and ``ParameterDict`` (PyTorch's names).

Their entries are registered as the module's own parameters, under "0", "1", … or under the
dict's keys, so ``parameters()``, ``state_dict()`` (``"weights.0"``, ``"scales.alpha"``),
``to()`` and the optimizers see them. A Tensor that is not yet a Parameter is wrapped in one
(sharing its data), as PyTorch does.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


def _as_parameter(container: str, value: Any) -> Parameter:
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"{container}: expected a Parameter or a Tensor, got "
                    f"{type(value).__name__}")


def _describe(param: Parameter) -> str:
    size = " x ".join(str(n) for n in param.shape) or "()"
    return f"Parameter containing: [{param.dtype} of size {size}]"


class ParameterList(Module):
    """A list of parameters, registered under "0", "1", … in order.

    Args:
        values: an iterable of Parameters or Tensors (Tensors are wrapped in Parameters).

    Differs from PyTorch: entries must be Parameters or Tensors (PyTorch also stores other
    objects as plain attributes).

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> weights = nn.ParameterList([nn.Parameter(chainrule.ones(2)), chainrule.zeros(3)])
        >>> weights.append(chainrule.ones(1))
        ParameterList(...)
        >>> [name for name, _ in weights.named_parameters()], len(weights)
        (['0', '1', '2'], 3)
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self.extend(values or [])

    def _index(self, index: int) -> str:
        length = len(self)
        if not -length <= index < length:
            raise IndexError(f"ParameterList: index {index} is out of range for a list of "
                             f"{length} parameters")
        return str(index % length)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ParameterList(list(self)[index])
        return self._parameters[self._index(index)]

    def __setitem__(self, index: int, value: Any) -> None:
        self.register_parameter(self._index(index), _as_parameter("ParameterList", value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def append(self, value: Any) -> ParameterList:
        """Add ``value`` at the end (registered under the next index)."""
        self.register_parameter(str(len(self)), _as_parameter("ParameterList", value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append every value of ``values``."""
        if isinstance(values, Tensor) or not isinstance(values, Iterable):
            raise TypeError(f"ParameterList.extend should be called with an iterable, got "
                            f"{type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"({i}): {_describe(p)}" for i, p in enumerate(self))

    def __repr__(self) -> str:
        body = self.extra_repr()
        return f"{type(self).__name__}(\n  " + body.replace("\n", "\n  ") + "\n)" if body \
            else f"{type(self).__name__}()"


class ParameterDict(Module):
    """A dict of parameters, registered under their (string) keys, in insertion order.

    Args:
        parameters: a mapping or an iterable of (key, value) pairs; values are Parameters
            or Tensors (Tensors are wrapped in Parameters).

    Differs from PyTorch: a missing key raises KeyError (PyTorch raises AttributeError), and
    values must be Parameters or Tensors.

    Example:
        >>> import chainrule
        >>> from chainrule import nn
        >>> scales = nn.ParameterDict({"alpha": chainrule.ones(2)})
        >>> scales["beta"] = nn.Parameter(chainrule.zeros(1))
        >>> list(scales.keys()), "alpha" in scales
        (['alpha', 'beta'], True)
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def _check_key(self, key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got {type(key).__name__}")
        if not key or "." in key:
            raise KeyError(f"ParameterDict: a parameter name can't be empty or contain \".\", "
                           f"got {key!r}")
        if key not in self._parameters and (hasattr(type(self), key) or key in self.__dict__):
            raise KeyError(f"ParameterDict: attribute {key!r} already exists; choose another "
                           "key")
        return key

    def __getitem__(self, key: str) -> Parameter:
        if key not in self._parameters:
            raise KeyError(f"ParameterDict has no parameter {key!r}; keys: "
                           f"{list(self._parameters)}")
        return self._parameters[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.register_parameter(self._check_key(key), _as_parameter("ParameterDict", value))

    def __delitem__(self, key: str) -> None:
        self[key]  # KeyError for a missing key
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def keys(self) -> Iterable[str]:
        return self._parameters.keys()

    def values(self) -> Iterable[Parameter]:
        return self._parameters.values()

    def items(self) -> Iterable[tuple[str, Parameter]]:
        return self._parameters.items()

    def get(self, key: str, default: Any = None) -> Any:
        return self._parameters.get(key, default)

    def pop(self, key: str) -> Parameter:
        """Remove ``key`` and return its parameter."""
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        self._parameters.clear()

    def update(self, parameters: Any) -> None:
        """Add or replace entries from a mapping or an iterable of (key, value) pairs."""
        pairs = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in pairs:
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): {_describe(p)}" for k, p in self.items())

    def __repr__(self) -> str:
        body = self.extra_repr()
        return f"{type(self).__name__}(\n  " + body.replace("\n", "\n  ") + "\n)" if body \
            else f"{type(self).__name__}()"


__all__ = ["ParameterDict", "ParameterList"]

"""``Container``: PyTorch's deprecated holder of named sub-modules (``Module`` does all it did).
Building one, or subclassing it, warns with PyTorch's ``FutureWarning``."""

from __future__ import annotations

import warnings
from typing import Any

from .module import Module

_MESSAGE = ("`nn.Container` is deprecated. All of its functionality is now implemented in "
            "`nn.Module`. Subclass that instead.")


class Container(Module):
    """Deprecated, as in PyTorch: a ``Module`` whose keyword arguments become its children.

    Args:
        **kwargs: name=module pairs, registered with ``add_module`` in order.

    Example:
        >>> import warnings
        >>> import chainrule
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     c = chainrule.nn.Container(fc=chainrule.nn.Linear(2, 3))
        >>> sorted(c.state_dict())
        ['fc.bias', 'fc.weight']
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        warnings.warn(_MESSAGE, FutureWarning, stacklevel=2)
        super().__init_subclass__(**kwargs)

    def __init__(self, **kwargs: Any) -> None:
        if type(self) is Container:  # a subclass warned when it was defined, as in PyTorch
            warnings.warn(_MESSAGE, FutureWarning, stacklevel=2)
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)


__all__ = ["Container"]

"""scikit-learn's parameter protocol, written here so that chainrule never imports
scikit-learn when it is loaded: ``get_params``/``set_params`` (what ``clone``, ``Pipeline`` and
``GridSearchCV`` use), nested ``module__…``/``optimizer__…`` parameters, and the repr.

scikit-learn's estimators inherit these from ``sklearn.base.BaseEstimator``; an estimator
may instead define them itself, with ``__sklearn_tags__`` (scikit-learn's developer guide,
"Rolling your own estimator"). Inheriting would import scikit-learn at class definition, so
these classes define them: the parameters are the keyword arguments of ``__init__``, stored
unchanged under their own names, plus the nested parameters given by prefix.
"""

from __future__ import annotations

import inspect
from typing import Any

# Prefixes of the parameters handed on to the module's and the optimizer's constructors.
NESTED_PREFIXES = ("module__", "optimizer__")


def signature_without_var_keyword(function: Any) -> inspect.Signature:
    """``function``'s signature without its ``**kwargs``."""
    signature = inspect.signature(function)
    return signature.replace(parameters=[p for p in signature.parameters.values()
                                         if p.kind != p.VAR_KEYWORD])


class ParamsMixin:
    """``get_params``, ``set_params`` and a repr that shows the parameters that differ from
    their defaults, as scikit-learn's ``BaseEstimator`` gives them."""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return sorted(name for name, p in signature.parameters.items()
                      if name != "self" and p.kind != p.VAR_KEYWORD)

    def _set_nested(self, params: dict[str, Any]) -> None:
        """Store ``module__…``/``optimizer__…`` parameters as attributes; any other name is a
        TypeError, as an unknown keyword argument is."""
        for key, value in params.items():
            if not key.startswith(NESTED_PREFIXES) or key in NESTED_PREFIXES:
                raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument "
                                f"{key!r}; nested parameters start with 'module__' or "
                                "'optimizer__'")
            setattr(self, key, value)

    def _nested_params(self, prefix: str) -> dict[str, Any]:
        """The nested parameters of one prefix, without it: ``{"units": 8}`` for
        ``module__units=8``."""
        return {key[len(prefix):]: value for key, value in vars(self).items()
                if key.startswith(prefix)}

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The estimator's parameters, nested ``module__…``/``optimizer__…`` ones included.

        Args:
            deep: accepted for scikit-learn's protocol; the parameters hold no estimators,
                so the answer is the same either way.
        """
        params = {name: getattr(self, name) for name in self._param_names()}
        params.update({key: value for key, value in vars(self).items()
                       if key.startswith(NESTED_PREFIXES)})
        return params

    def set_params(self, **params: Any) -> ParamsMixin:
        """Set parameters, nested ``module__…``/``optimizer__…`` ones included; returns self.

        Values are not checked here but by ``fit`` (scikit-learn's rule). An unknown name is a
        ValueError naming the valid ones.
        """
        valid = self._param_names()
        for key, value in params.items():
            if key in valid or (key.startswith(NESTED_PREFIXES) and key not in NESTED_PREFIXES):
                setattr(self, key, value)
            else:
                raise ValueError(f"Invalid parameter {key!r} for estimator "
                                 f"{type(self).__name__}. Valid parameters are: {valid} and "
                                 "names starting with 'module__' or 'optimizer__'.")
        return self

    def __repr__(self) -> str:
        defaults = {name: p.default for name, p in
                    inspect.signature(type(self).__init__).parameters.items()}
        shown = []
        for key, value in self.get_params().items():
            default = defaults.get(key, inspect.Parameter.empty)
            if default is inspect.Parameter.empty or not _same(value, default):
                shown.append(f"{key}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


def _same(value: Any, default: Any) -> bool:
    try:
        return bool(type(value) is type(default) and value == default)
    except (TypeError, ValueError):  # e.g. arrays, whose == is elementwise
        return False

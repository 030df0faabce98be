"""The networks the estimators train: the multilayer perceptron built from
``hidden_layer_sizes`` (as scikit-learn's ``MLPClassifier``/``MLPRegressor`` build theirs), or
the module the user gives, as a class with ``module__…`` arguments or as an instance."""

from __future__ import annotations

import copy
import numbers
from typing import Any

import numpy as np

from .. import nn
from ..random import get_rng_state, manual_seed, set_rng_state

ACTIVATIONS = {"identity": nn.Identity, "logistic": nn.Sigmoid, "tanh": nn.Tanh,
               "relu": nn.ReLU}


def check_hidden_layer_sizes(sizes: Any) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive ints (an int is one layer)."""
    if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
        sizes = (sizes,)
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise ValueError(f"hidden_layer_sizes must be an int or a sequence of ints, got "
                         f"{sizes!r}") from None
    if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0
               for s in sizes):
        raise ValueError(f"hidden_layer_sizes must hold positive ints, got {sizes!r}")
    return tuple(int(s) for s in sizes)


def build_mlp(n_features: int, hidden: tuple[int, ...], n_outputs: int, activation: str,
              dtype: np.dtype, generator: np.random.Generator) -> nn.Sequential:
    """Linear layers of sizes ``n_features -> *hidden -> n_outputs`` with ``activation``
    between them (none after the last: it gives logits or the regression values).

    Init as scikit-learn's MLP (Glorot & Bengio, 2010): weights and biases
    ~ U(-b, b), b = √(6 / (fan_in + fan_out)), and b = √(2 / (fan_in + fan_out)) for the
    logistic activation.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    sizes = (n_features, *hidden, n_outputs)
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layer = nn.Linear(fan_in, fan_out, dtype=dtype)
        bound = np.sqrt((2.0 if activation == "logistic" else 6.0) / (fan_in + fan_out))
        layer.weight.data[...] = generator.uniform(-bound, bound, (fan_out, fan_in))
        layer.bias.data[...] = generator.uniform(-bound, bound, fan_out)
        layers += [layer, ACTIVATIONS[activation]()]
    return nn.Sequential(*layers[:-1])


def make_module(module: Any, kwargs: dict[str, Any], seed: int | None) -> nn.Module:
    """A fresh module from the ``module`` parameter: the class called with ``kwargs`` (its
    initial values drawn from the package generator reseeded with ``seed``, which is then put
    back as it was), or a deep copy of an instance, so the parameter itself is never
    trained."""
    if isinstance(module, type):
        if not issubclass(module, nn.Module):
            raise TypeError(f"module must be a chainrule.nn.Module class or instance, got the "
                            f"class {module.__name__}")
        return _seeded(lambda: module(**kwargs), seed)
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a chainrule.nn.Module class or instance, got "
                        f"{type(module).__name__}")
    if kwargs:
        raise ValueError(f"module__ parameters {sorted(kwargs)} need module to be a class; "
                         "it is an instance, already built")
    return copy.deepcopy(module)


def _seeded(build: Any, seed: int | None) -> Any:
    if seed is None:
        return build()
    state = get_rng_state()
    manual_seed(seed)
    try:
        return build()
    finally:
        set_rng_state(state)


def module_dtype(module: nn.Module) -> np.dtype:
    """The floating dtype of the module's first floating parameter (float32 if none)."""
    for param in module.parameters():
        if np.issubdtype(param.data.dtype, np.floating):
            return param.data.dtype
    return np.dtype(np.float32)

"""Ready-made models, built from a short architecture string (used by the command line).

A model file stores this string in its metadata; rebuilding a model parses it here and only
ever picks among the layers below, so a file can never make chainrule run code.

Specs:
    "mlp"                 784-512-256-10 style MLP with the data set's sizes (ReLU, dropout 0.2)
    "mlp:128-64"          an MLP with the given hidden sizes
    "cnn"                 conv(32)-pool-conv(64)-pool-dense(128) with batch norm (images only)
    "linear"              softmax regression

Example:
    >>> model = build_model("mlp:16-8", input_shape=(2,), num_classes=3)
    >>> [m.out_features for m in model if hasattr(m, "out_features")]
    [16, 8, 3]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from . import nn

DEFAULT_HIDDEN = {"mlp": (512, 256)}


def parse_spec(spec: str) -> tuple[str, tuple[int, ...]]:
    """("mlp", (128, 64)) from "mlp:128-64"; ValueError naming the problem otherwise."""
    kind, _, sizes = spec.strip().lower().partition(":")
    if kind not in ("mlp", "cnn", "linear"):
        raise ValueError(f"unknown model {spec!r}: use 'mlp', 'mlp:512-256', 'cnn' or 'linear'")
    if not sizes:
        return kind, DEFAULT_HIDDEN.get(kind, ())
    try:
        hidden = tuple(int(n) for n in sizes.split("-"))
    except ValueError:
        raise ValueError(f"model {spec!r}: sizes must be integers joined by '-'") from None
    if kind != "mlp" or not all(n > 0 for n in hidden):
        raise ValueError(f"model {spec!r}: only 'mlp' takes positive hidden sizes")
    return kind, hidden


def build_model(spec: str, input_shape: Sequence[int], num_classes: int,
                dropout: float = 0.2) -> nn.Sequential:
    """The model named by ``spec`` for inputs of ``input_shape`` (without the batch)."""
    kind, hidden = parse_spec(spec)
    features = int(np.prod(input_shape))
    if kind == "cnn":
        return _cnn(tuple(input_shape), num_classes)
    layers: list[nn.Module] = [nn.Flatten()] if len(input_shape) > 1 else []
    for fan_in, fan_out in zip((features, *hidden), hidden):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden[-1] if hidden else features, num_classes))
    return nn.Sequential(*layers)


def _cnn(input_shape: tuple[int, ...], num_classes: int) -> nn.Sequential:
    if len(input_shape) == 2:
        input_shape = (1, *input_shape)
    if len(input_shape) != 3:
        raise ValueError(f"model 'cnn' needs image inputs (C, H, W) or (H, W), got {input_shape}")
    channels, height, width = input_shape
    flat = 64 * (height // 4) * (width // 4)
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(flat, 128), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(128, num_classes),
    )


def model_inputs(spec: str, x: np.ndarray) -> np.ndarray:
    """``x`` shaped as the model expects: a channel axis for 'cnn' on (N, H, W) images."""
    if parse_spec(spec)[0] == "cnn" and x.ndim == 3:
        return x[:, None]
    return x

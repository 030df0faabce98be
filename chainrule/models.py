"""Ready-made models, built from a short architecture string (used by the command line).

A model file stores this string in its metadata; rebuilding a model parses it here and only
ever picks among the layers below, so a file can never make chainrule run code.

Specs:
    "mlp"                 784-512-256-10 style MLP with the data set's sizes (ReLU, dropout 0.2)
    "mlp:128-64"          an MLP with the given hidden sizes
    "cnn"                 conv(32)-pool-conv(64)-pool-dense(128) with batch norm (images only)
    "linear"              softmax regression
    "lstm"                character language model: embedding-2-layer LSTM-linear over tokens
    "gpt"                 character language model: a small causal Transformer (language.py)

For "lstm" and "gpt", ``input_shape`` is ``(steps,)``, the longest token sequence, and
``num_classes`` the vocabulary size: the model maps ``(batch, steps)`` token ids to
``(batch, steps, vocabulary)`` logits.

Example:
    >>> model = build_model("mlp:16-8", input_shape=(2,), num_classes=3)
    >>> [m.out_features for m in model if hasattr(m, "out_features")]
    [16, 8, 3]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from . import nn
from .language import CausalBlocks, LSTMOutput, TokenPositions

DEFAULT_HIDDEN = {"mlp": (512, 256)}
LANGUAGE_MODELS = ("lstm", "gpt")


def parse_spec(spec: str) -> tuple[str, tuple[int, ...]]:
    """("mlp", (128, 64)) from "mlp:128-64"; ValueError naming the problem otherwise."""
    kind, _, sizes = spec.strip().lower().partition(":")
    if kind not in ("mlp", "cnn", "linear", *LANGUAGE_MODELS):
        raise ValueError(f"unknown model {spec!r}: use 'mlp', 'mlp:512-256', 'cnn', 'linear', "
                         f"'lstm' or 'gpt'")
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
    return nn.Sequential(*[_LAYERS[kind](*args) for kind, *args in
                           model_plan(spec, input_shape, num_classes, dropout)])


def model_plan(spec: str, input_shape: Sequence[int], num_classes: int,
               dropout: float = 0.2) -> list[tuple]:
    """The layers of ``build_model``'s model as ``(kind, *arguments)`` rows, built from nothing
    but arithmetic: a plan costs no memory whatever sizes it names.

    Example:
        >>> model_plan("mlp:4", input_shape=(2,), num_classes=3, dropout=0.0)
        [('linear', 2, 4), ('relu',), ('linear', 4, 3)]
    """
    kind, hidden = parse_spec(spec)
    input_shape = _checked_shape(input_shape)
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ValueError(f"the number of classes must be a positive integer, got {num_classes!r}")
    if kind == "cnn":
        return _cnn_plan(input_shape, int(num_classes))
    if kind in LANGUAGE_MODELS:
        return _language_plan(kind, input_shape, int(num_classes))
    features = int(np.prod(input_shape))
    plan: list[tuple] = [("flatten",)] if len(input_shape) > 1 else []
    for fan_in, fan_out in zip((features, *hidden), hidden):
        plan += [("linear", fan_in, fan_out), ("relu",)]
        if dropout:
            plan.append(("dropout", dropout))
    plan.append(("linear", hidden[-1] if hidden else features, int(num_classes)))
    return plan


def parameter_shapes(plan: list[tuple]) -> dict[str, tuple[int, ...]]:
    """The ``state_dict`` names and shapes of the model a plan builds, without building it."""
    shapes: dict[str, tuple[int, ...]] = {}
    for index, (kind, *args) in enumerate(plan):
        for name, shape in _SHAPES.get(kind, lambda *a: {})(*args).items():
            shapes[f"{index}.{name}"] = shape
    return shapes


def _checked_shape(input_shape: Sequence[int]) -> tuple[int, ...]:
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if not shape or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                            and n > 0 for n in shape):
        raise ValueError(f"the input shape must be positive integers, got {input_shape!r}")
    return tuple(int(n) for n in shape)


def _cnn_plan(input_shape: tuple[int, ...], num_classes: int) -> list[tuple]:
    if len(input_shape) == 2:
        input_shape = (1, *input_shape)
    if len(input_shape) != 3 or min(input_shape[1:]) < 4:
        raise ValueError(f"model 'cnn' needs image inputs (C, H, W) or (H, W) of at least 4×4 "
                         f"pixels, got {input_shape}")
    channels, height, width = input_shape
    flat = 64 * (height // 4) * (width // 4)
    return [("conv", channels, 32), ("batchnorm", 32), ("relu",), ("maxpool",),
            ("conv", 32, 64), ("batchnorm", 64), ("relu",), ("maxpool",),
            ("flatten",), ("dropout", 0.3), ("linear", flat, 128), ("relu",), ("dropout", 0.3),
            ("linear", 128, num_classes)]


def _language_plan(kind: str, input_shape: tuple[int, ...], tokens: int) -> list[tuple]:
    if len(input_shape) != 1:
        raise ValueError(f"model {kind!r} needs token sequences: an input shape (steps,), got "
                         f"{input_shape}")
    if kind == "lstm":
        return [("embedding", tokens, 32), ("lstm", 32, 192, 2, 0.1), ("linear", 192, tokens)]
    return [("positions", tokens, 96, input_shape[0]), ("causal", 96, 4, 3, 0.1),
            ("layernorm", 96), ("linear", 96, tokens)]


def _lstm_shapes(fan_in: int, hidden: int, layers: int, dropout: float) -> dict:
    shapes = {}
    for k in range(layers):
        shapes.update({f"weight_ih_l{k}": (4 * hidden, hidden if k else fan_in),
                       f"weight_hh_l{k}": (4 * hidden, hidden),
                       f"bias_ih_l{k}": (4 * hidden,), f"bias_hh_l{k}": (4 * hidden,)})
    return shapes


def _causal_shapes(dim: int, heads: int, layers: int, dropout: float) -> dict:
    one = {"self_attn.in_proj_weight": (3 * dim, dim), "self_attn.in_proj_bias": (3 * dim,),
           "self_attn.out_proj.weight": (dim, dim), "self_attn.out_proj.bias": (dim,),
           "linear1.weight": (4 * dim, dim), "linear1.bias": (4 * dim,),
           "linear2.weight": (dim, 4 * dim), "linear2.bias": (dim,),
           "norm1.weight": (dim,), "norm1.bias": (dim,), "norm2.weight": (dim,),
           "norm2.bias": (dim,)}
    return {f"layers.{i}.{name}": shape for i in range(layers) for name, shape in one.items()}


_LAYERS = {
    "linear": nn.Linear, "relu": nn.ReLU, "dropout": nn.Dropout, "flatten": nn.Flatten,
    "conv": lambda c_in, c_out: nn.Conv2d(c_in, c_out, 3, padding=1),
    "batchnorm": nn.BatchNorm2d, "maxpool": lambda: nn.MaxPool2d(2),
    "embedding": nn.Embedding, "lstm": LSTMOutput, "positions": TokenPositions,
    "causal": CausalBlocks, "layernorm": nn.LayerNorm,
}
_SHAPES = {
    "linear": lambda fan_in, fan_out: {"weight": (fan_out, fan_in), "bias": (fan_out,)},
    "conv": lambda c_in, c_out: {"weight": (c_out, c_in, 3, 3), "bias": (c_out,)},
    "batchnorm": lambda c: {"weight": (c,), "bias": (c,), "running_mean": (c,),
                            "running_var": (c,), "num_batches_tracked": ()},
    "embedding": lambda tokens, dim: {"weight": (tokens, dim)},
    "lstm": _lstm_shapes,
    "positions": lambda tokens, dim, steps: {"tokens.weight": (tokens, dim),
                                             "positions.weight": (steps, dim)},
    "causal": _causal_shapes,
    "layernorm": lambda dim: {"weight": (dim,), "bias": (dim,)},
}


def model_inputs(spec: str, x: np.ndarray) -> np.ndarray:
    """``x`` shaped as the model expects: a channel axis for 'cnn' on (N, H, W) images."""
    if parse_spec(spec)[0] == "cnn" and x.ndim == 3:
        return x[:, None]
    return x

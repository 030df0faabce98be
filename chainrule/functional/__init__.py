"""The public stateless API (``chainrule.nn.functional`` re-exports it), one file per family:
``basic`` (elementwise math, reductions, shape functions, linear), ``layers`` (dropout,
embedding).
"""

from __future__ import annotations

from .basic import (
    abs,
    cat,
    clamp,
    clip,
    cos,
    exp,
    linear,
    log,
    log1p,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    mean,
    minimum,
    pad,
    pow,
    relu,
    rsqrt,
    sigmoid,
    sign,
    sin,
    softmax,
    softplus,
    sqrt,
    stack,
    sum,
    tanh,
    where,
)
from .layers import dropout, embedding

__all__ = [
    "abs", "cat", "clamp", "clip", "cos", "dropout", "embedding", "exp", "linear", "log",
    "log1p", "log_softmax", "logsumexp", "matmul", "maximum", "mean", "minimum", "pad", "pow", "relu", "rsqrt",
    "sigmoid", "sign", "sin", "softmax", "softplus", "sqrt", "stack", "sum", "tanh", "where",
]

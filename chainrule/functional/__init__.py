"""The public stateless API (``chainrule.nn.functional`` re-exports it), one file per family:
``basic`` (elementwise math, reductions, shape functions, linear).
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

__all__ = [
    "abs", "cat", "clamp", "clip", "cos", "exp", "linear", "log", "log1p", "log_softmax",
    "logsumexp", "matmul", "maximum", "mean", "minimum", "pad", "pow", "relu", "rsqrt",
    "sigmoid", "sign", "sin", "softmax", "softplus", "sqrt", "stack", "sum", "tanh", "where",
]

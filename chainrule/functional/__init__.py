"""The public stateless API (``chainrule.nn.functional`` is this module), one file per family:
``basic`` (elementwise math, reductions, shape functions, linear), ``activation``, ``loss`` and
``categorical`` (cross-entropy, NLL), ``layers`` (dropout, embedding), ``channel_dropout``,
``norm``, ``conv`` and ``pool``.
"""

from __future__ import annotations

from .activation import (
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    log_softmax,
    relu,
    relu6,
    silu,
    softmax,
    softplus,
)
from .attention import scaled_dot_product_attention
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
    logsumexp,
    matmul,
    maximum,
    mean,
    minimum,
    pad,
    pow,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sqrt,
    stack,
    sum,
    tanh,
    where,
)
from .categorical import cross_entropy, nll_loss
from .channel_dropout import dropout1d, dropout2d
from .conv import conv1d, conv2d, conv_transpose2d
from .layers import dropout, embedding
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    smooth_l1_loss,
)
from .norm import batch_norm, group_norm, layer_norm
from .pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    interpolate,
    max_pool1d,
    max_pool2d,
)

__all__ = [
    "abs", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "avg_pool1d",
    "avg_pool2d", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cat", "clamp", "clip", "conv1d", "conv2d", "conv_transpose2d", "cos", "cross_entropy",
    "dropout", "dropout1d", "dropout2d", "elu", "embedding", "exp", "gelu", "group_norm",
    "hardtanh", "huber_loss", "interpolate", "kl_div", "l1_loss", "layer_norm", "leaky_relu",
    "linear", "log", "log1p", "log_softmax", "logsumexp", "matmul", "max_pool1d", "max_pool2d",
    "maximum", "mean", "minimum", "mse_loss", "nll_loss", "pad", "pow", "relu", "relu6",
    "rsqrt", "sigmoid", "sign", "silu", "sin", "smooth_l1_loss", "softmax", "softplus", "sqrt",
    "stack", "sum", "tanh", "where",
    "scaled_dot_product_attention",
]

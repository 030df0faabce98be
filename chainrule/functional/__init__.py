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

# isort: split
# PyTorch-signature activations; relu, softmax, log_softmax and softplus supersede basic's
# (same behaviour, plus PyTorch's inplace/beta/threshold/dtype/implicit-dim arguments).
from .activation import (  # noqa: F811
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
from .categorical import cross_entropy, nll_loss
from .channel_dropout import dropout1d, dropout2d
from .conv import conv1d, conv2d, conv_transpose2d
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
    "abs", "cat", "clamp", "clip", "cos", "dropout", "embedding", "exp", "linear", "log",
    "log1p", "log_softmax", "logsumexp", "matmul", "maximum", "mean", "minimum", "pad", "pow", "relu", "rsqrt",
    "sigmoid", "sign", "sin", "softmax", "softplus", "sqrt", "stack", "sum", "tanh", "where",
]
__all__ += [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "elu", "gelu",
    "hardtanh", "huber_loss", "kl_div", "l1_loss", "leaky_relu", "mse_loss", "nll_loss", "relu6",
    "silu", "smooth_l1_loss",
]
__all__ += ["batch_norm", "dropout1d", "dropout2d", "group_norm", "layer_norm"]
__all__ += [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "avg_pool1d",
    "avg_pool2d", "conv1d", "conv2d", "conv_transpose2d", "interpolate", "max_pool1d",
    "max_pool2d",
]

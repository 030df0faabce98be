"""Neural-network building blocks: ``Module``, layers, losses, containers, initialisation and
utilities, with PyTorch's names.

``chainrule.nn.functional`` is ``chainrule.functional`` itself (the same module object), so
``import chainrule.nn.functional as F`` works as in PyTorch.
"""

from __future__ import annotations

import sys

from .. import functional
from . import init, parallel, utils  # noqa: F401  (parallel: chainrule.nn.parallel)
from .activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Tanh,
)
from .attention import MultiheadAttention
from .channel_dropout import Dropout1d, Dropout2d
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten, Unflatten
from .fold import Fold, Unfold
from .instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Bilinear, Identity, Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    GaussianNLLLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    PoissonNLLLoss,
    SmoothL1Loss,
)
from .margin_loss import (
    CosineEmbeddingLoss,
    HingeEmbeddingLoss,
    MarginRankingLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, LocalResponseNorm
from .padding import (
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    ZeroPad1d,
    ZeroPad2d,
    ZeroPad3d,
)
from .parameter import Parameter
from .parameter_containers import ParameterDict, ParameterList
from .piecewise import (
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    PReLU,
    Softshrink,
    Softsign,
    Tanhshrink,
    Threshold,
)
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
    Upsample,
)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell
from .transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .upsampling import PixelShuffle, PixelUnshuffle, UpsamplingBilinear2d, UpsamplingNearest2d

sys.modules[__name__ + ".functional"] = functional

__all__ = [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool1d", "AvgPool2d",
    "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv1d", "Conv2d",
    "ConvTranspose2d", "CrossEntropyLoss", "Dropout", "Dropout1d", "Dropout2d", "ELU",
    "Embedding", "Flatten", "GELU", "GroupNorm", "Hardtanh", "HuberLoss", "Identity",
    "KLDivLoss", "L1Loss", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss",
    "MaxPool1d", "MaxPool2d", "Module", "ModuleDict", "ModuleList", "NLLLoss", "Parameter",
    "ReLU", "ReLU6", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Softplus",
    "Tanh", "Unflatten", "Upsample", "functional", "init", "utils",
    "RNN", "GRU", "LSTM", "RNNBase", "RNNCell", "GRUCell", "LSTMCell",
    "MultiheadAttention", "Transformer", "TransformerDecoder", "TransformerDecoderLayer",
    "TransformerEncoder", "TransformerEncoderLayer",
]
__all__ += [
    "CELU", "CosineEmbeddingLoss", "CosineSimilarity", "GLU", "GaussianNLLLoss", "Hardshrink",
    "Hardsigmoid", "Hardswish", "HingeEmbeddingLoss", "LogSigmoid", "MarginRankingLoss",
    "Mish", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "PReLU", "PairwiseDistance",
    "PoissonNLLLoss", "SELU", "SoftMarginLoss", "Softmin", "Softshrink", "Softsign",
    "Tanhshrink", "Threshold", "TripletMarginLoss",
]
__all__ += [
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
    "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
    "ZeroPad3d",
]
__all__ += ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]
__all__ += ["PixelShuffle", "PixelUnshuffle", "UpsamplingBilinear2d", "UpsamplingNearest2d"]
__all__ += ["Fold", "Unfold"]
__all__ += ["ConvTranspose1d"]
__all__ += ["ParameterDict", "ParameterList"]
__all__ += ["Bilinear"]
__all__ += ["LocalResponseNorm"]

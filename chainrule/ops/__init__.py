"""Primitive and fused Functions on NumPy arrays: the only place a backward is written.

Each Function's docstring states the derivative it implements. The files group them by family:
``arithmetic`` (binary elementwise), ``unary`` (elementwise of one input), ``reduce``
(reductions and the softmax family), ``shape`` (moving elements), ``linalg`` (products),
``activation`` (exact GELU), ``loss`` (fused losses), ``norm`` (normalisation), ``conv`` and
``pool`` (with ``im2col``, the window extraction they share), ``rnn`` (whole-sequence recurrent
layers).
"""

from .activation import Gelu
from .arithmetic import Add, Div, Maximum, Minimum, Mul, Pow, PowScalar, Remainder, Sub, Where
from .attention import ScaledDotProductAttention
from .conv import Conv2d, ConvTranspose2d, DepthwiseConv2d
from .linalg import Linear, MatMul
from .loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy
from .norm import BatchNorm, Normalize
from .pool import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d, UpsampleNearest
from .reduce import Amax, LogSoftmax, LogSumExp, Mean, Norm, Prod, Softmax, Std, Sum, Var
from .rnn import GRUSequence, LSTMSequence, RNNSequence
from .shape import (
    BroadcastTo,
    Concatenate,
    EmbeddingLookup,
    Flip,
    GetItem,
    Pad,
    Permute,
    Reshape,
    TakeAlongAxis,
    Tile,
    sum_to,
)
from .unary import (
    Abs,
    Cast,
    Clamp,
    Cos,
    Exp,
    Log,
    Log1p,
    Neg,
    Relu,
    Rsqrt,
    Sigmoid,
    Sign,
    Sin,
    Softplus,
    Sqrt,
    Tanh,
)

__all__ = [
    "Abs", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Add", "Amax", "AvgPool2d", "BatchNorm",
    "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "BroadcastTo", "Cast", "Clamp",
    "Concatenate", "Conv2d", "ConvTranspose2d", "Cos", "CrossEntropy", "DepthwiseConv2d", "Div",
    "EmbeddingLookup", "Exp", "Flip", "Gelu", "GetItem", "Linear", "Log", "Log1p", "LogSoftmax",
    "LogSumExp", "MatMul", "MaxPool2d", "Maximum", "Mean", "Minimum", "Mul", "Neg", "Norm",
    "Normalize", "Pad", "Permute", "Pow", "PowScalar", "Prod", "Relu", "Remainder", "Reshape",
    "Rsqrt", "Sigmoid", "Sign", "Sin", "Softmax", "Softplus", "Sqrt", "Std", "Sub", "Sum",
    "TakeAlongAxis", "Tanh", "Tile", "UpsampleNearest", "Var", "Where", "sum_to",
    "RNNSequence", "GRUSequence", "LSTMSequence", "ScaledDotProductAttention",
]

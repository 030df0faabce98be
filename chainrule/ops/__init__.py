"""Primitive and fused Functions on NumPy arrays: the only place a backward is written.

Each Function's docstring states the derivative it implements. The files group them by family:
``arithmetic`` (binary elementwise), ``unary`` (elementwise of one input), ``reduce``
(reductions and the softmax family), ``shape`` (moving elements), ``linalg`` (products, einsum),
``trig`` (trigonometric and hyperbolic), ``activation`` (exact GELU), ``loss`` (fused losses),
``norm`` (normalisation), ``conv`` and ``pool`` (with ``im2col``, the window extraction they
share), ``select`` (scatter, scans, roll), ``rnn`` (whole-sequence recurrent layers),
``attention`` (fused scaled dot-product attention), ``layer_norm`` and ``rms_norm`` (fused
normalisations), ``pointwise`` (erf, hypot, xlogy ...), ``structure`` (logcumsumexp, det,
inverse).
"""

from ..lazy import lazy_names

# Each family loads when one of its Functions is first named (chainrule.lazy): the Tensor
# methods import the families they use, and a program that never convolves never loads conv.
__getattr__, __dir__ = lazy_names(__name__, globals(), {
    ".activation": "Gelu",
    ".arithmetic": "Add Div Fmod Maximum Minimum Mul Pow PowScalar Remainder Sub Where",
    ".attention": "ScaledDotProductAttention",
    ".conv": "Conv2d Conv2dReLU ConvTranspose2d DepthwiseConv2d",
    ".decompositions": "Cholesky Eigh Eigvalsh QR SVD SVDVals",
    ".fold": "Fold Unfold",
    ".grid_sample": "GridSample",
    ".linalg": "Einsum Linear LinearReLU MatMul",
    ".layer_norm": "LayerNorm",
    ".misc": "ScatterReduce",
    ".matrix_functions": "MatrixExp PseudoInverse",
    ".loss": "BinaryCrossEntropy BinaryCrossEntropyWithLogits CrossEntropy",
    ".norm": "BatchNorm BatchNormReLU Normalize",
    ".pad": "IndexPad",
    ".pointwise": "Copysign Erf Erfc Erfinv Fmax Fmin Frac Hypot LogAddExp LogAddExp2 Logit Xlogy",
    ".pool": "AdaptiveAvgPool2d AdaptiveMaxPool2d AvgPool2d MaxPool2d UpsampleNearest",
    ".reduce": "Amax LogSoftmax LogSumExp Mean Norm Prod Softmax Std Sum Var",
    ".rms_norm": "RMSNorm",
    ".rnn": "GRUSequence LSTMSequence RNNSequence",
    ".special": "BesselI Entr Erfcx Gammainc Lgamma LogNdtr Ndtr Ndtri Polygamma Sinc Xlog1py",
    ".select": "Cumprod Cumsum Roll Scatter ScatterAdd",
    ".structure": "Det Inverse LogCumSumExp",
    ".solvers": "LogAbsDet Solve",
    ".shape": ("BroadcastTo Concatenate EmbeddingLookup Flip GetItem Pad Permute Reshape "
               "TakeAlongAxis Tile sum_to"),
    ".trig": "Acos Acosh Asin Asinh Atan Atan2 Atanh Cosh Sinh Tan",
    ".unary": ("Abs Cast Clamp Contiguous Cos Exp Exp2 Expm1 Log Log1p Log2 Log10 Neg Relu "
               "Rsqrt Sigmoid Sign Sin Softplus Sqrt Tanh"),
})

__all__ = [
    "Abs", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Add", "Amax", "AvgPool2d", "BatchNorm",
    "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "BroadcastTo", "Cast", "Clamp",
    "Concatenate", "Conv2d", "ConvTranspose2d", "Cos", "CrossEntropy", "DepthwiseConv2d", "Div",
    "EmbeddingLookup", "Exp", "Flip", "Gelu", "GetItem", "Linear", "Log", "Log1p", "LogSoftmax",
    "LogSumExp", "MatMul", "MaxPool2d", "Maximum", "Mean", "Minimum", "Mul", "Neg", "Norm",
    "Normalize", "Pad", "Permute", "Pow", "PowScalar", "Prod", "Relu", "Remainder", "Reshape",
    "Rsqrt", "Sigmoid", "Sign", "Sin", "Softmax", "Softplus", "Sqrt", "Std", "Sub", "Sum",
    "TakeAlongAxis", "Tanh", "Tile", "UpsampleNearest", "Var", "Where", "sum_to",
    "Cumprod", "Cumsum", "Roll", "Scatter", "ScatterAdd",
    "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atan2", "Atanh", "Contiguous", "Cosh", "Einsum",
    "Exp2", "Expm1", "Fmod", "Log2", "Log10", "Sinh", "Tan",
    "RNNSequence", "GRUSequence", "LSTMSequence", "ScaledDotProductAttention",
]
__all__ += ["IndexPad"]
__all__ += ["Fold", "Unfold"]
__all__ += ["Copysign", "Det", "Erf", "Erfc", "Erfinv", "Fmax", "Fmin", "Frac", "Hypot",
            "Inverse", "LayerNorm", "LogAddExp", "LogAddExp2", "LogCumSumExp", "Logit",
            "RMSNorm", "Xlogy"]
__all__ += ["GridSample"]
__all__ += ["BatchNormReLU", "Conv2dReLU", "LinearReLU"]
__all__ += ["ScatterReduce"]
__all__ += ["BesselI", "Entr", "Erfcx", "Gammainc", "Lgamma", "LogNdtr", "Ndtr", "Ndtri",
            "Polygamma", "Sinc", "Xlog1py"]
__all__ += ["Cholesky", "Eigh", "Eigvalsh", "LogAbsDet", "QR", "SVD", "SVDVals", "Solve"]
__all__ += ["MatrixExp", "PseudoInverse"]

"""Neural-network building blocks: ``Module``, layers, losses, containers, initialisation and
utilities, with PyTorch's names.

``chainrule.nn.functional`` is ``chainrule.functional`` itself (the same module object), so
``import chainrule.nn.functional as F`` works as in PyTorch.
"""

from __future__ import annotations

import sys

from .. import functional
from ..lazy import lazy_names

# Each layer family loads when one of its names is first read (chainrule.lazy); ``init``,
# ``utils`` and ``parallel`` are submodules, imported on first use as well.
__getattr__, __dir__ = lazy_names(__name__, globals(), {
    ".adaptive_softmax": "AdaptiveLogSoftmaxWithLoss",
    ".activation": ("CELU ELU GELU GLU SELU Hardtanh LeakyReLU LogSigmoid LogSoftmax Mish ReLU "
                    "ReLU6 Sigmoid SiLU Softmax Softmin Softplus Tanh RReLU Softmax2d"),
    ".attention": "MultiheadAttention",
    ".channel_dropout": "Dropout1d Dropout2d",
    ".channel_shuffle": "ChannelShuffle",
    ".container": "ModuleDict ModuleList Sequential",
    ".conv3d": "Conv3d ConvTranspose3d",
    ".cross_map_lrn": "CrossMapLRN2d",
    ".conv": "Conv1d Conv2d ConvTranspose1d ConvTranspose2d",
    ".ctc_loss": "CTCLoss",
    ".distance": "CosineSimilarity PairwiseDistance",
    ".dropout": "Dropout",
    ".dropout_more": "AlphaDropout Dropout3d FeatureAlphaDropout",
    ".embedding": "Embedding",
    ".embedding_bag": "EmbeddingBag",
    ".flatten": "Flatten Unflatten",
    ".fold": "Fold Unfold",
    ".fractional_pool": "FractionalMaxPool2d FractionalMaxPool3d",
    ".instance_norm": "InstanceNorm1d InstanceNorm2d InstanceNorm3d",
    ".lazy": "LazyLinear UninitializedBuffer UninitializedParameter",
    ".lazy_layers": ("LazyBatchNorm1d LazyBatchNorm2d LazyBatchNorm3d LazyConv1d LazyConv2d "
                     "LazyConv3d LazyConvTranspose1d LazyConvTranspose2d LazyConvTranspose3d "
                     "LazyInstanceNorm1d LazyInstanceNorm2d LazyInstanceNorm3d"),
    ".legacy_container": "Container",
    ".linear": "Bilinear Identity Linear",
    ".loss": ("BCELoss BCEWithLogitsLoss CrossEntropyLoss GaussianNLLLoss HuberLoss KLDivLoss "
              "L1Loss MSELoss NLLLoss NLLLoss2d PoissonNLLLoss SmoothL1Loss"),
    ".margin_loss_more": "MultiLabelMarginLoss TripletMarginWithDistanceLoss",
    ".margin_loss": ("CosineEmbeddingLoss HingeEmbeddingLoss MarginRankingLoss "
                     "MultiLabelSoftMarginLoss MultiMarginLoss SoftMarginLoss TripletMarginLoss"),
    ".module": "Module",
    ".normalization": ("BatchNorm1d BatchNorm2d GroupNorm LayerNorm LocalResponseNorm RMSNorm "
                       "BatchNorm3d SyncBatchNorm"),
    ".parallel_wrappers": "DataParallel",
    ".padding": ("CircularPad1d CircularPad2d CircularPad3d ConstantPad1d ConstantPad2d "
                 "ConstantPad3d ReflectionPad1d ReflectionPad2d ReflectionPad3d "
                 "ReplicationPad1d ReplicationPad2d ReplicationPad3d ZeroPad1d ZeroPad2d "
                 "ZeroPad3d"),
    ".parameter": "Buffer Parameter",
    ".parameter_containers": "ParameterDict ParameterList",
    ".piecewise": ("Hardshrink Hardsigmoid Hardswish PReLU Softshrink Softsign Tanhshrink "
                   "Threshold"),
    ".pooling": ("AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveMaxPool2d AvgPool1d AvgPool2d "
                 "MaxPool1d MaxPool2d Upsample"),
    ".pooling3d": "AdaptiveAvgPool3d AdaptiveMaxPool3d AvgPool3d MaxPool3d",
    ".pooling_more": ("AdaptiveMaxPool1d LPPool1d LPPool2d LPPool3d MaxUnpool1d MaxUnpool2d "
                      "MaxUnpool3d"),
    ".rnn": "GRU LSTM RNN GRUCell LSTMCell RNNBase RNNCell RNNCellBase",
    ".transformer": ("Transformer TransformerDecoder TransformerDecoderLayer TransformerEncoder "
                     "TransformerEncoderLayer"),
    ".upsampling": "PixelShuffle PixelUnshuffle UpsamplingBilinear2d UpsamplingNearest2d",
}, submodules=("init", "modules", "parallel", "utils"))

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
__all__ += ["RMSNorm"]
__all__ += ["Buffer"]
__all__ += ["AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "AvgPool3d", "BatchNorm3d", "Conv3d",
            "ConvTranspose3d", "MaxPool3d"]
__all__ += ["EmbeddingBag"]
__all__ += ["DataParallel", "SyncBatchNorm"]
__all__ += ["LazyLinear", "UninitializedParameter"]
__all__ += ["AlphaDropout", "ChannelShuffle", "Dropout3d", "FeatureAlphaDropout", "RReLU",
            "Softmax2d"]
__all__ += ["AdaptiveMaxPool1d", "LPPool1d", "LPPool2d", "MaxUnpool1d", "MaxUnpool2d",
            "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss"]
__all__ += ["LPPool3d", "MaxUnpool3d", "NLLLoss2d", "RNNCellBase"]
__all__ += ["CTCLoss"]
__all__ += ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyConv1d", "LazyConv2d",
            "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
            "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
            "UninitializedBuffer"]
__all__ += ["AdaptiveLogSoftmaxWithLoss", "Container", "CrossMapLRN2d", "FractionalMaxPool2d",
            "FractionalMaxPool3d"]

"""The public stateless API (``chainrule.nn.functional`` is this module), one file per family:
``basic`` (elementwise math, reductions, shape functions, linear), ``activation``, ``loss`` and
``categorical`` (cross-entropy, NLL), ``layers`` (dropout, embedding), ``channel_dropout``,
``norm``, ``conv`` and ``pool``.
Also ``piecewise`` (hardsigmoid, hardswish, softsign, the shrinks, threshold, prelu),
``distance`` (normalize, cosine_similarity, pairwise_distance), ``encoding`` (one_hot), and the
``margin`` (ranking, hinge, soft-margin, cosine, triplet, multi-margin) and ``likelihood``
(Poisson, Gaussian) losses.
"""

from __future__ import annotations

from ..lazy import lazy_names

# Each family loads when one of its functions is first named (chainrule.lazy).
__getattr__, __dir__ = lazy_names(__name__, globals(), {
    ".activation": ("celu elu gelu glu hardtanh leaky_relu log_softmax logsigmoid mish relu "
                    "relu6 selu silu softmax softmin softplus"),
    ".attention": "scaled_dot_product_attention",
    ".basic": ("abs cat clamp clip cos exp linear log log1p logsumexp matmul maximum mean "
               "minimum pad pow rsqrt sigmoid sign sin sqrt stack sum tanh where"),
    ".categorical": "cross_entropy nll_loss",
    ".channel_dropout": "dropout1d dropout2d",
    ".shuffle": "channel_shuffle",
    ".conv": "conv1d conv2d conv_transpose1d conv_transpose2d",
    ".conv_3d": "conv3d conv_transpose3d",
    ".ctc": "ctc_loss",
    ".distance": "cosine_similarity normalize pairwise_distance",
    ".encoding": "one_hot",
    ".folding": "fold unfold",
    ".fractional_pool": ("fractional_max_pool2d fractional_max_pool2d_with_indices "
                         "fractional_max_pool3d fractional_max_pool3d_with_indices"),
    ".inplace": "celu_ elu_ hardtanh_ leaky_relu_ relu_ selu_ threshold_",
    ".layers": "bilinear dropout embedding",
    ".likelihood": "gaussian_nll_loss poisson_nll_loss",
    ".loss": ("binary_cross_entropy binary_cross_entropy_with_logits huber_loss kl_div l1_loss "
              "mse_loss smooth_l1_loss"),
    ".margin": ("cosine_embedding_loss hinge_embedding_loss margin_ranking_loss "
                "multi_margin_loss multilabel_soft_margin_loss soft_margin_loss "
                "triplet_margin_loss"),
    ".margin_more": "multilabel_margin_loss triplet_margin_with_distance_loss",
    ".multihead": "multi_head_attention_forward",
    ".norm": "batch_norm group_norm instance_norm layer_norm local_response_norm rms_norm",
    ".piecewise": ("hardshrink hardsigmoid hardswish prelu softshrink softsign tanhshrink "
                   "threshold"),
    ".pool": ("adaptive_avg_pool1d adaptive_avg_pool2d adaptive_max_pool2d avg_pool1d "
              "avg_pool2d interpolate max_pool1d max_pool2d"),
    ".pairwise": "pdist",
    ".pool_more": ("adaptive_max_pool1d lp_pool1d lp_pool2d lp_pool3d max_unpool1d "
                   "max_unpool2d max_unpool3d"),
    ".pool_aliases": ("adaptive_max_pool1d_with_indices adaptive_max_pool2d_with_indices "
                      "adaptive_max_pool3d_with_indices max_pool1d_with_indices "
                      "max_pool2d_with_indices max_pool3d_with_indices upsample "
                      "upsample_bilinear upsample_nearest"),
    ".sampling": "pixel_shuffle pixel_unshuffle",
    ".bags": "embedding_bag",
    ".grid": "affine_grid grid_sample",
    ".pool3d": "adaptive_avg_pool3d adaptive_max_pool3d avg_pool3d max_pool3d",
    ".stochastic": ("alpha_dropout dropout3d feature_alpha_dropout gumbel_softmax rrelu "
                    "rrelu_"),
})

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
__all__ += [
    "celu", "cosine_embedding_loss", "cosine_similarity", "gaussian_nll_loss", "glu",
    "hardshrink", "hardsigmoid", "hardswish", "hinge_embedding_loss", "logsigmoid",
    "margin_ranking_loss", "mish", "multi_margin_loss", "multilabel_soft_margin_loss",
    "normalize", "one_hot", "pairwise_distance", "poisson_nll_loss", "prelu", "selu",
    "soft_margin_loss", "softmin", "softshrink", "softsign", "tanhshrink", "threshold",
    "triplet_margin_loss",
]
__all__ += ["instance_norm"]
__all__ += ["pixel_shuffle", "pixel_unshuffle"]
__all__ += ["fold", "unfold"]
__all__ += ["conv_transpose1d"]
__all__ += ["bilinear"]
__all__ += ["local_response_norm"]
__all__ += ["rms_norm"]
__all__ += ["celu_", "elu_", "hardtanh_", "leaky_relu_", "relu_", "selu_", "threshold_"]
__all__ += ["conv3d", "conv_transpose3d"]
__all__ += ["adaptive_avg_pool3d", "adaptive_max_pool3d", "avg_pool3d", "max_pool3d"]
__all__ += ["affine_grid", "grid_sample"]
__all__ += ["embedding_bag"]
__all__ += ["alpha_dropout", "channel_shuffle", "dropout3d", "feature_alpha_dropout",
            "gumbel_softmax", "rrelu", "rrelu_"]
__all__ += ["adaptive_max_pool1d", "lp_pool1d", "lp_pool2d", "max_unpool1d", "max_unpool2d",
            "multilabel_margin_loss", "pdist", "triplet_margin_with_distance_loss"]
__all__ += ["adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
            "adaptive_max_pool3d_with_indices", "lp_pool3d", "max_pool1d_with_indices",
            "max_pool2d_with_indices", "max_pool3d_with_indices", "max_unpool3d", "upsample",
            "upsample_bilinear", "upsample_nearest"]
__all__ += ["ctc_loss"]
__all__ += ["multi_head_attention_forward"]
__all__ += ["fractional_max_pool2d", "fractional_max_pool2d_with_indices",
            "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]

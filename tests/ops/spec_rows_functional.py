"""Gradient-check rows for ``chainrule.functional``: one or more small cases of every function
it exports, including those the op table has no row for (activations, losses, normalisation,
convolution, pooling, dropout, embedding).

These rows are not in ``SPECS``: they have no independent NumPy reference (their values are
tested against loops and formulas in ``tests/nn``), so only the gradient checks use them. A
row's name is ``function`` or ``function[variant]``. Constant arguments (labels, indices,
running statistics, a dropout generator rebuilt from the same seed on every call, so that the
mask is the same in every finite difference) are written in the lambda. Inputs keep away from
kinks (R-GRAD-4): |input − target| is 0.25 modulo 0.5 for the piecewise losses, whose kinks
are at 0 and at δ = β = 1 or 0.5; pooling windows see all-distinct values.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.functional as F
from chainrule.functional.basic import linear_relu
from chainrule.functional.conv import conv2d_relu
from chainrule.functional.norm import batch_norm_relu
from tests.ops.spec_rows_3d import ROWS_3D
from tests.ops.spec_rows_layers import LAYER_ROWS
from tests.ops.spec_types import (
    ANY,
    DISTINCT,
    POSITIVE,
    SMOOTH_AT_0,
    Lattice,
    OpSpec,
    Uniform,
)

PROBABILITY = Uniform(0.1, 0.9)
UNIT = Uniform(0.0, 1.0)
LABELS = np.array([0, 3, 1, 3, 2])
RUNNING_MEAN, RUNNING_VAR = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, 2.0])


def row(name, op, *cases, domain=ANY) -> OpSpec:
    """A gradient-check row: ``cases`` are tuples of input shapes."""
    return OpSpec(name, op, None, None, tuple(cases), domain)


def fresh_rng():
    return np.random.default_rng(7)


def with_padding_row(weight):
    """``weight`` with a constant row inserted at index 1 (the padding index)."""
    return F.cat([weight[:1], cr.tensor(np.full((1, 3), 0.5)), weight[1:]], 0)


BASIC = [
    row("abs", F.abs, ((5,),), domain=SMOOTH_AT_0),
    row("cat", lambda a, b: F.cat([a, b], 1), ((2, 3), (2, 2))),
    row("clamp", lambda x: F.clamp(x, -0.5, 0.5), ((5,),), domain=Uniform(avoid=(-0.5, 0.5))),
    row("clip", lambda x: F.clip(x, max=0.5), ((5,),), domain=Uniform(avoid=(0.5,))),
    row("cos", F.cos, ((5,),)),
    row("exp", F.exp, ((5,),)),
    row("linear", F.linear, ((5, 4), (3, 4), (3,)), ((4,), (3, 4), (3,))),
    row("linear[no_bias]", F.linear, ((2, 5, 4), (3, 4))),
    # nn.Sequential's fused Linear + ReLU (ops.linalg.LinearReLU); kinks where X Wᵀ + b = 0,
    # which random inputs of these sizes miss by far more than the finite-difference step
    row("linear_relu", linear_relu, ((5, 4), (3, 4), (3,)), ((2, 5, 4), (3, 4))),
    row("linear[4d]", F.linear, ((2, 3, 5, 4), (3, 4), (3,))),
    row("linear[3d_strided]", lambda x, w, b: F.linear(x.transpose(0, 1), w, b),
        ((5, 2, 4), (3, 4), (3,))),
    row("log", F.log, ((5,),), domain=POSITIVE),
    row("log1p", F.log1p, ((5,),), domain=Uniform(-0.75, 2.0)),
    row("logsumexp", lambda x: F.logsumexp(x, 1), ((3, 4),)),
    row("matmul", F.matmul, ((3, 4), (4, 2)), ((2, 3, 4), (4,))),
    row("maximum", F.maximum, ((2, 3), (2, 3)), domain=(Lattice(), Lattice(offset=0.25))),
    row("minimum", F.minimum, ((2, 3), (3,)), domain=(Lattice(), Lattice(offset=0.25))),
    row("mean", lambda x: F.mean(x, 0, keepdim=True), ((3, 4),)),
    row("pad", lambda x: F.pad(x, (1, 0, 0, 2), value=0.5), ((2, 3),)),
    row("pow", F.pow, ((5,), (5,)), domain=(Uniform(0.5, 2.0), ANY)),
    row("pow[scalar]", lambda x: F.pow(x, 1.5), ((5,),), domain=POSITIVE),
    row("rsqrt", F.rsqrt, ((5,),), domain=POSITIVE),
    row("sigmoid", F.sigmoid, ((5,),)),
    row("sign", F.sign, ((5,),), domain=SMOOTH_AT_0),
    row("sin", F.sin, ((5,),)),
    row("sqrt", F.sqrt, ((5,),), domain=POSITIVE),
    row("stack", lambda a, b: F.stack([a, b], -1), ((2, 3), (2, 3))),
    row("sum", lambda x: F.sum(x, (0, 2)), ((2, 3, 2),)),
    row("tanh", F.tanh, ((5,),)),
    row("where", lambda a, b: F.where(cr.tensor(np.array([True, False, True])), a, b),
        ((2, 3), (3,))),
]

ACTIVATIONS = [
    row("relu", F.relu, ((2, 5),), domain=SMOOTH_AT_0),
    row("leaky_relu", lambda x: F.leaky_relu(x, 0.2), ((2, 5),), domain=SMOOTH_AT_0),
    row("elu", lambda x: F.elu(x, 0.7), ((2, 5),), domain=SMOOTH_AT_0),
    row("hardtanh", lambda x: F.hardtanh(x, -1.0, 0.5), ((2, 5),),
        domain=Uniform(avoid=(-1.0, 0.5))),
    row("relu6", F.relu6, ((2, 5),), domain=Uniform(-2.0, 8.0, avoid=(0.0, 6.0))),
    row("gelu", F.gelu, ((2, 5),), domain=Uniform(-4.0, 4.0)),
    row("gelu[tanh]", lambda x: F.gelu(x, approximate="tanh"), ((2, 5),)),
    row("silu", F.silu, ((2, 5),)),
    row("softplus", F.softplus, ((2, 5),)),
    # βx = threshold (x = 0.5) is where softplus turns into x: a kink.
    row("softplus[beta_threshold]", lambda x: F.softplus(x, beta=2.0, threshold=1.0), ((2, 5),),
        domain=Uniform(avoid=(0.5,))),
    row("softmax", lambda x: F.softmax(x, dim=0), ((3, 4),)),
    row("log_softmax", lambda x: F.log_softmax(x, dim=-1), ((3, 4),)),
]

LOSS_PAIR = (Lattice(offset=0.25), Lattice())
LOSSES = [
    row("mse_loss", F.mse_loss, ((2, 3), (2, 3))),
    row("mse_loss[sum]", lambda a, b: F.mse_loss(a, b, reduction="sum"), ((4,), (4,))),
    row("l1_loss", F.l1_loss, ((2, 3), (2, 3)), domain=LOSS_PAIR),
    row("l1_loss[none]", lambda a, b: F.l1_loss(a, b, reduction="none"), ((4,), (4,)),
        domain=LOSS_PAIR),
    row("huber_loss", lambda a, b: F.huber_loss(a, b, delta=0.5), ((2, 4), (2, 4)),
        domain=LOSS_PAIR),
    row("smooth_l1_loss", F.smooth_l1_loss, ((2, 4), (2, 4)), domain=LOSS_PAIR),
    row("smooth_l1_loss[none]", lambda a, b: F.smooth_l1_loss(a, b, reduction="none", beta=0.5),
        ((5,), (5,)), domain=LOSS_PAIR),
    row("kl_div", lambda a, b: F.kl_div(a, b, reduction="batchmean"), ((2, 3), (2, 3)),
        domain=(ANY, POSITIVE)),
    row("kl_div[log_target]", lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True),
        ((2, 3), (2, 3))),
    row("binary_cross_entropy", F.binary_cross_entropy, ((2, 3), (2, 3)),
        domain=(PROBABILITY, UNIT)),
    row("binary_cross_entropy[weight]",
        lambda a, b: F.binary_cross_entropy(a, b, weight=np.array([0.5, 1.0, 2.0]),
                                            reduction="sum"),
        ((2, 3), (2, 3)), domain=(PROBABILITY, UNIT)),
    row("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
        ((2, 3), (2, 3)), domain=(ANY, UNIT)),
    row("binary_cross_entropy_with_logits[pos_weight]",
        lambda a, b: F.binary_cross_entropy_with_logits(
            a, b, pos_weight=np.array([0.5, 1.0, 3.0]), reduction="none"),
        ((2, 3), (2, 3)), domain=(ANY, UNIT)),
    row("cross_entropy", lambda x: F.cross_entropy(x, LABELS), ((5, 4),)),
    row("cross_entropy[weight_ignore_sum]",
        lambda x: F.cross_entropy(x, LABELS, weight=np.array([1.0, 0.5, 2.0, 1.5]),
                                  ignore_index=1, reduction="sum"), ((5, 4),)),
    row("cross_entropy[label_smoothing]",
        lambda x: F.cross_entropy(x, LABELS, label_smoothing=0.1), ((5, 4),)),
    row("cross_entropy[spatial_none]",
        lambda x: F.cross_entropy(x, LABELS[:4].reshape(2, 2) % 3, reduction="none"),
        ((2, 3, 2),)),
    row("cross_entropy[unbatched]", lambda x: F.cross_entropy(x, np.array(2)), ((4,),)),
    row("cross_entropy[probabilities]", F.cross_entropy, ((3, 4), (3, 4)), domain=(ANY, UNIT)),
    row("nll_loss", lambda x: F.nll_loss(x, LABELS), ((5, 4),)),
    row("nll_loss[weight_none]",
        lambda x: F.nll_loss(x, LABELS, weight=np.array([1.0, 0.5, 2.0, 1.5]), reduction="none"),
        ((5, 4),)),
]

NORMALISATION = [
    row("batch_norm[training]",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), ((4, 3), (3,), (3,)),
        ((2, 3, 2, 2), (3,), (3,))),
    row("batch_norm[eval]",
        lambda x, w, b: F.batch_norm(x, cr.tensor(RUNNING_MEAN), cr.tensor(RUNNING_VAR), w, b),
        ((4, 3), (3,), (3,))),
    row("batch_norm[no_affine]", lambda x: F.batch_norm(x, None, None, training=True),
        ((2, 3, 4),)),
    # nn.Sequential's fused batch norm + ReLU (ops.norm.BatchNormReLU); as linear_relu's row
    row("batch_norm_relu",
        lambda x, w, b: batch_norm_relu(x, None, None, w, b, training=True),
        ((4, 3), (3,), (3,)), ((2, 3, 2, 2), (3,), (3,))),
    row("layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b), ((2, 3, 4), (4,), (4,))),
    row("layer_norm[2d]", lambda x, w: F.layer_norm(x, (3, 4), w), ((2, 3, 4), (3, 4))),
    row("rms_norm", lambda x, w: F.rms_norm(x, (4,), w, eps=1e-5), ((2, 3, 4), (4,))),
    row("rms_norm[2d_no_weight]", lambda x: F.rms_norm(x, (3, 4)), ((2, 3, 4),)),
    row("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), ((2, 4, 3), (4,), (4,))),
    row("group_norm[no_affine]", lambda x: F.group_norm(x, 3, eps=1e-3), ((2, 3, 2, 2),)),
]

CONVOLUTION = [
    row("conv1d", F.conv1d, ((1, 2, 7), (3, 2, 3), (3,))),
    row("conv1d[stride_padding_dilation]",
        lambda x, w: F.conv1d(x, w, None, stride=2, padding=1, dilation=2), ((2, 2, 7), (3, 2, 2))),
    row("conv1d[groups]", lambda x, w, b: F.conv1d(x, w, b, groups=2, padding="same"),
        ((1, 4, 6), (4, 2, 3), (4,))),
    row("conv2d", F.conv2d, ((1, 2, 4, 5), (3, 2, 2, 3), (3,))),
    # nn.Sequential's fused Conv2d + ReLU (ops.conv.Conv2dReLU); as linear_relu's row
    row("conv2d_relu", lambda x, w, b: conv2d_relu(x, w, b, padding=1),
        ((2, 2, 4, 5), (3, 2, 2, 3), (3,))),
    row("conv2d[stride_padding]", lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=1),
        ((2, 2, 4, 3), (2, 2, 3, 2))),
    row("conv2d[dilation_groups]", lambda x, w, b: F.conv2d(x, w, b, dilation=2, groups=2),
        ((1, 4, 5, 5), (2, 2, 2, 2), (2,))),
    row("conv2d[depthwise]", lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=3),
        ((1, 3, 3, 4), (6, 1, 2, 2), (6,))),
    row("conv_transpose2d", F.conv_transpose2d, ((1, 2, 3, 3), (2, 3, 2, 2), (3,))),
    row("conv_transpose2d[stride_output_padding]",
        lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
        ((1, 2, 3, 2), (2, 2, 3, 3))),
    row("conv_transpose2d[groups_dilation]",
        lambda x, w, b: F.conv_transpose2d(x, w, b, groups=2, dilation=(2, 1)),
        ((1, 4, 2, 3), (4, 1, 2, 2), (2,))),
]

POOLING = [
    row("max_pool1d", lambda x: F.max_pool1d(x, 3, 2, padding=1), ((2, 2, 7),), domain=DISTINCT),
    row("max_pool1d[indices]", lambda x: F.max_pool1d(x, 2, return_indices=True), ((1, 2, 6),),
        domain=DISTINCT),
    row("max_pool2d", lambda x: F.max_pool2d(x, 2), ((1, 2, 4, 5),), domain=DISTINCT),
    row("max_pool2d[overlap_dilation_ceil]",
        lambda x: F.max_pool2d(x, 2, stride=1, padding=1, dilation=2, ceil_mode=True),
        ((1, 2, 4, 5),), domain=DISTINCT),
    row("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, (2, 3)), ((1, 2, 5, 7),),
        domain=DISTINCT),
    row("avg_pool1d", lambda x: F.avg_pool1d(x, 3, 2, padding=1, count_include_pad=False),
        ((2, 2, 7),)),
    row("avg_pool2d", lambda x: F.avg_pool2d(x, 2), ((1, 2, 4, 5),)),
    row("avg_pool2d[padding_ceil_divisor]",
        lambda x: F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, divisor_override=4),
        ((1, 2, 5, 4),)),
    row("adaptive_avg_pool1d", lambda x: F.adaptive_avg_pool1d(x, 3), ((2, 2, 7),)),
    row("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (2, 3)), ((1, 2, 5, 7),)),
    row("interpolate", lambda x: F.interpolate(x, scale_factor=2), ((1, 2, 3),)),
    row("interpolate[size_2d]", lambda x: F.interpolate(x, size=(3, 5)), ((1, 2, 2, 3),)),
]

RANDOM_AND_LOOKUP = [
    row("dropout", lambda x: F.dropout(x, 0.4, generator=fresh_rng()), ((3, 4),)),
    row("dropout[eval]", lambda x: F.dropout(x, 0.4, training=False), ((3, 4),)),
    row("dropout1d", lambda x: F.dropout1d(x, 0.5, generator=fresh_rng()), ((2, 4, 3),)),
    row("dropout2d", lambda x: F.dropout2d(x, 0.5, generator=fresh_rng()), ((2, 4, 2, 2),)),
    row("embedding", lambda w: F.embedding(cr.tensor(np.array([[0, 2], [5, 2]])), w),
        ((6, 3),)),
    # The padding row's gradient is 0 by convention (PyTorch's), not by calculus: the row is a
    # constant here, and the check covers the rows around it.
    row("embedding[padding_idx]",
        lambda w: F.embedding(cr.tensor(np.array([1, 0, 1, 4])), with_padding_row(w),
                              padding_idx=1), ((5, 3),)),
]

# Issue 12's activations, distances and losses. Kinks kept away from: hardsigmoid and
# hardswish at ±3, the shrinks at ±λ, threshold at its value, prelu and celu/selu at 0; the
# hinge of margin_ranking_loss (two lattices, so x1 − x2 is never −margin), of
# multi_margin_loss (lattice scores, margin 0.25), of triplet_margin_loss and the y = −1
# branch of cosine_embedding_loss (margins that keep the hinge always active).
SIGNS = np.array([1.0, -1.0, -1.0, 1.0])
MORE_ACTIVATIONS = [
    row("celu", lambda x: F.celu(x, 0.8), ((2, 5),), domain=SMOOTH_AT_0),
    row("selu", F.selu, ((2, 5),), domain=SMOOTH_AT_0),
    row("mish", F.mish, ((2, 5),)),
    row("logsigmoid", F.logsigmoid, ((2, 5),)),
    row("softmin", lambda x: F.softmin(x, dim=1), ((3, 4),)),
    row("glu", lambda x: F.glu(x, 0), ((4, 3),)),
    row("hardsigmoid", F.hardsigmoid, ((2, 5),), domain=Uniform(-4.0, 4.0, avoid=(-3.0, 3.0))),
    row("hardswish", F.hardswish, ((2, 5),), domain=Uniform(-4.0, 4.0, avoid=(-3.0, 3.0))),
    row("softsign", F.softsign, ((2, 5),)),
    row("tanhshrink", F.tanhshrink, ((2, 5),)),
    row("softshrink", F.softshrink, ((2, 5),), domain=Uniform(avoid=(-0.5, 0.5))),
    row("hardshrink", F.hardshrink, ((2, 5),), domain=Uniform(avoid=(-0.5, 0.5))),
    row("threshold", lambda x: F.threshold(x, 0.5, -2.0), ((2, 5),), domain=Uniform(avoid=(0.5,))),
    row("prelu", F.prelu, ((2, 3, 2), (3,)), ((5,), (1,)), domain=(SMOOTH_AT_0, ANY)),
]
# The in-place activations act on a copy (x + 0): the leaf inputs that require grad are
# refused, as in PyTorch; the gradient flows through the change to x.
IN_PLACE = [
    row("relu_", lambda x: F.relu_(x + 0), ((2, 5),), domain=SMOOTH_AT_0),
    row("leaky_relu_", lambda x: F.leaky_relu_(x + 0, 0.2), ((2, 5),), domain=SMOOTH_AT_0),
    row("elu_", lambda x: F.elu_(x + 0, 0.7), ((2, 5),), domain=SMOOTH_AT_0),
    row("hardtanh_", lambda x: F.hardtanh_(x + 0, -1.0, 0.5), ((2, 5),),
        domain=Uniform(avoid=(-1.0, 0.5))),
    row("threshold_", lambda x: F.threshold_(x + 0, 0.5, -2.0), ((2, 5),),
        domain=Uniform(avoid=(0.5,))),
    row("selu_", lambda x: F.selu_(x + 0), ((2, 5),), domain=SMOOTH_AT_0),
    row("celu_", lambda x: F.celu_(x + 0, 0.8), ((2, 5),), domain=SMOOTH_AT_0),
]
DISTANCES = [
    row("normalize", F.normalize, ((3, 4),)),
    row("normalize[p1_dim0]", lambda x: F.normalize(x, 1, 0), ((3, 4),), domain=DISTINCT),
    row("cosine_similarity", F.cosine_similarity, ((3, 4), (3, 4))),
    row("cosine_similarity[broadcast]", lambda a, b: F.cosine_similarity(a, b, -1),
        ((2, 1, 4), (3, 4))),
    row("pairwise_distance", F.pairwise_distance, ((3, 4), (3, 4))),
    row("pairwise_distance[p3_keepdim]", lambda a, b: F.pairwise_distance(a, b, 3, keepdim=True),
        ((3, 4), (4,))),
]
MORE_LOSSES = [
    row("margin_ranking_loss", lambda a, b: F.margin_ranking_loss(a, b, SIGNS), ((4,), (4,)),
        domain=LOSS_PAIR),
    row("hinge_embedding_loss",
        lambda x: F.hinge_embedding_loss(x, SIGNS, reduction="sum"), ((4,),),
        domain=Uniform(avoid=(1.0,))),
    row("soft_margin_loss", lambda x: F.soft_margin_loss(x, SIGNS), ((4,),)),
    row("multilabel_soft_margin_loss", F.multilabel_soft_margin_loss, ((2, 3), (2, 3)),
        domain=(ANY, UNIT)),
    row("multilabel_soft_margin_loss[weight_none]",
        lambda x, y: F.multilabel_soft_margin_loss(x, y, np.array([0.5, 1.0, 2.0]),
                                                   reduction="none"),
        ((2, 3), (2, 3)), domain=(ANY, UNIT)),
    row("cosine_embedding_loss",
        lambda a, b: F.cosine_embedding_loss(a, b, SIGNS, margin=-1.5), ((4, 3), (4, 3))),
    row("triplet_margin_loss", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=20.0),
        ((3, 4), (3, 4), (3, 4))),
    row("triplet_margin_loss[p1_swap]",
        lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=20.0, p=1, swap=True),
        ((3, 4), (3, 4), (3, 4)), domain=DISTINCT),
    row("multi_margin_loss", lambda x: F.multi_margin_loss(x, LABELS, margin=0.25), ((5, 4),),
        domain=Lattice()),
    row("multi_margin_loss[p2_weight]",
        lambda x: F.multi_margin_loss(x, LABELS, p=2, margin=0.25,
                                      weight=np.array([1.0, 0.5, 2.0, 1.5])), ((5, 4),),
        domain=Lattice()),
    row("poisson_nll_loss", F.poisson_nll_loss, ((2, 3), (2, 3)), domain=(ANY, POSITIVE)),
    row("poisson_nll_loss[rate_full]",
        lambda x, y: F.poisson_nll_loss(x, y, log_input=False, full=True, reduction="sum"),
        ((2, 3), (2, 3)), domain=(POSITIVE, Uniform(1.5, 4.0))),
    row("gaussian_nll_loss", F.gaussian_nll_loss, ((2, 3), (2, 3), (2, 3)),
        domain=(ANY, ANY, Uniform(0.5, 2.0))),
    row("gaussian_nll_loss[homoscedastic_full]",
        lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=True, reduction="none"),
        ((2, 3), (2, 3), (2,)), domain=(ANY, ANY, Uniform(0.5, 2.0))),
]
CAUSAL_OR_NOT = np.array([[True, False, True, True], [True, True, False, False],
                          [False, False, False, False]])  # the last query sees no key

ATTENTION = [
    row("scaled_dot_product_attention", F.scaled_dot_product_attention,
        ((2, 3, 4), (2, 4, 4), (2, 4, 5))),
    row("scaled_dot_product_attention[bool_mask_fully_masked_row]",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=CAUSAL_OR_NOT),
        ((2, 3, 2), (2, 4, 2), (2, 4, 3))),
    row("scaled_dot_product_attention[float_mask_scale]",
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.3),
        ((1, 2, 3, 2), (1, 2, 4, 2), (1, 2, 4, 3), (3, 4))),
    row("scaled_dot_product_attention[causal_gqa]",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                       enable_gqa=True),
        ((1, 4, 3, 2), (1, 2, 3, 2), (1, 2, 3, 2))),
    row("scaled_dot_product_attention[dropout]",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, dropout_p=0.3,
                                                       generator=fresh_rng()),
        ((2, 3, 2), (2, 4, 2), (2, 4, 3))),
]

FUNCTIONAL = BASIC + ACTIVATIONS + LOSSES + NORMALISATION + CONVOLUTION + POOLING + \
    RANDOM_AND_LOOKUP
FUNCTIONAL += MORE_ACTIVATIONS + DISTANCES + MORE_LOSSES
FUNCTIONAL += LAYER_ROWS
FUNCTIONAL = FUNCTIONAL + ATTENTION + IN_PLACE
FUNCTIONAL += ROWS_3D

# Exported functions that have no gradient, and why: they have no row above.
NOT_DIFFERENTIABLE = {
    "one_hot": "integer class indices in, 0/1 integers out: nothing to differentiate",
}

# nn-gaps: random activations and dropouts (one seeded generator per call, so every finite
# difference sees the same slopes, noise and masks), channel shuffle. gumbel_softmax(hard=True)
# has no row: its straight-through gradient is by design not the derivative of its (piecewise
# constant) value; tests/nn/test_stochastic.py checks it is the soft sample's gradient.
NN_GAPS = [
    row("rrelu", lambda x: F.rrelu(x, 0.1, 0.4, True, generator=fresh_rng()), ((3, 4),),
        domain=SMOOTH_AT_0),
    row("rrelu[eval]", lambda x: F.rrelu(x, 0.1, 0.4), ((3, 4),), domain=SMOOTH_AT_0),
    row("rrelu_", lambda x: F.rrelu_(x + 0, 0.1, 0.4, True, generator=fresh_rng()), ((2, 5),),
        domain=SMOOTH_AT_0),
    row("gumbel_softmax", lambda x: F.gumbel_softmax(x, 0.7, generator=fresh_rng()),
        ((3, 4),)),
    row("gumbel_softmax[dim0]", lambda x: F.gumbel_softmax(x, dim=0, generator=fresh_rng()),
        ((3, 4),)),
    row("alpha_dropout", lambda x: F.alpha_dropout(x, 0.3, True, generator=fresh_rng()),
        ((3, 4),)),
    row("feature_alpha_dropout",
        lambda x: F.feature_alpha_dropout(x, 0.5, True, generator=fresh_rng()), ((2, 4, 3),)),
    row("dropout3d", lambda x: F.dropout3d(x, 0.5, generator=fresh_rng()),
        ((2, 4, 1, 2, 2),), ((4, 2, 1, 2),)),
    row("channel_shuffle", lambda x: F.channel_shuffle(x, 3), ((2, 6, 2),), ((1, 6, 2, 1),)),
]
FUNCTIONAL += NN_GAPS

# nn-gaps: pools, pdist and losses. The unpooling indices are those a max pool of kernel 2
# could give (one position per window); lp_pool sees positive inputs (its root of a negative
# sum is NaN, as in PyTorch); multilabel_margin_loss's scores lie within ±0.2, so every hinge
# 1 − x_j + x_i is active and away from its kink.
UNPOOL_1D = np.array([[[1, 2, 5], [0, 3, 4]]])
UNPOOL_2D = np.array([[[[1, 7], [8, 14]]]])
MULTILABEL = np.array([[3, 0, -1, 1], [2, 2, -1, 0], [0, 1, 2, 3]])
NN_GAPS_POOLS_AND_LOSSES = [
    row("adaptive_max_pool1d", lambda x: F.adaptive_max_pool1d(x, 3), ((2, 2, 7),),
        domain=DISTINCT),
    row("max_unpool1d", lambda x: F.max_unpool1d(x, cr.tensor(UNPOOL_1D), 2), ((1, 2, 3),)),
    row("max_unpool2d", lambda x: F.max_unpool2d(x, cr.tensor(UNPOOL_2D), 2),
        ((1, 1, 2, 2),)),
    row("lp_pool1d", lambda x: F.lp_pool1d(x, 2, 3, 2), ((2, 2, 7),), domain=POSITIVE),
    row("lp_pool2d", lambda x: F.lp_pool2d(x, 1.5, (2, 3), ceil_mode=True), ((1, 2, 5, 5),),
        domain=POSITIVE),
    row("pdist", F.pdist, ((4, 3),)),
    row("pdist[p1]", lambda x: F.pdist(x, 1), ((3, 2),), domain=DISTINCT),
    row("multilabel_margin_loss",
        lambda x: F.multilabel_margin_loss(x, cr.tensor(MULTILABEL), reduction="none"),
        ((3, 4),), domain=Uniform(-0.2, 0.2)),
    row("triplet_margin_with_distance_loss",
        lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, margin=20.0, swap=True),
        ((4, 3), (4, 3), (4, 3))),
]
FUNCTIONAL += NN_GAPS_POOLS_AND_LOSSES

# ctc_loss on log_softmax(z): its gradient is PyTorch's, G·(exp(lp) − Γ), which is the derivative
# only once log_softmax's backward removes the exp(lp) term (ops/ctc.py), so the rows check the
# composite. Targets: a repeat that needs a blank, unequal lengths, a blank other than 0.
CTC_TARGETS = np.array([[1, 1, 2], [3, 2, 0], [2, 0, 0]])
CTC_ROWS = [
    row("ctc_loss", lambda z: F.ctc_loss(F.log_softmax(z, -1), CTC_TARGETS, [5, 4, 3],
                                         [3, 2, 1]), ((5, 3, 4),)),
    row("ctc_loss[concatenated_none_blank3]",
        lambda z: F.ctc_loss(F.log_softmax(z, -1), np.array([1, 1, 2, 0, 2]), [5, 4, 3],
                             [3, 0, 2], blank=3, reduction="none"), ((5, 3, 4),)),
    row("ctc_loss[unbatched_sum]",
        lambda z: F.ctc_loss(F.log_softmax(z, -1), np.array([2, 2]), 4, 2, reduction="sum"),
        ((4, 3),)),
]
FUNCTIONAL += CTC_ROWS

# multi_head_attention_forward: E = 4, 2 heads, L = 3, S = 2, N = 2; the packed projection
# with the per-head weights returned, and separate projections (kdim 3, vdim 5) with bias_k,
# bias_v, zero attention and a float mask (the output alone: no weights are returned).
FUNCTIONAL += [
    row("multi_head_attention_forward",
        lambda q, k, v, w, b, wo, bo: F.multi_head_attention_forward(
            q, k, v, 4, 2, w, b, None, None, False, 0.0, wo, bo,
            average_attn_weights=False),
        ((3, 2, 4), (2, 2, 4), (2, 2, 4), (12, 4), (12,), (4, 4), (4,))),
    row("multi_head_attention_forward[separate_bias_kv_zero_attn]",
        lambda q, k, v, wq, wk, wv, b, bk, bv, wo, m: F.multi_head_attention_forward(
            q, k, v, 4, 2, None, b, bk, bv, True, 0.0, wo, None, need_weights=False,
            attn_mask=m, use_separate_proj_weight=True, q_proj_weight=wq, k_proj_weight=wk,
            v_proj_weight=wv)[0],
        ((3, 2, 4), (2, 2, 3), (2, 2, 5), (4, 4), (4, 3), (4, 5), (12,), (1, 1, 4),
         (1, 1, 4), (4, 4), (3, 2))),
]

"""Every ``nn.init`` function and every layer's default initialisation, checked against the
formula in PyTorch's documentation: bounds (never exceeded, and reached), mean and spread.

``chainrule.nn.init`` has: calculate_gain, uniform_, normal_, trunc_normal_, constant_, zeros_,
ones_, eye_, xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_, orthogonal_
(no dirac_ or sparse_). Layers with parameters: Linear, Conv1d, Conv2d, ConvTranspose2d,
Embedding, BatchNorm1d/2d, LayerNorm, GroupNorm.

How big the samples are, and why (n draws, σ the documented standard deviation):
* the sample mean has standard error σ/√n; we allow 6 of them;
* the sample standard deviation s has relative standard error √((κ − 1)/(4n)), κ the
  kurtosis: √(1/(2n)) for a normal (κ = 3, also an upper bound for a truncated normal, whose κ
  is smaller) and √(0.2/n) for a uniform (κ = 9/5); we allow 6 of them;
* a uniform sample misses the last fraction δ of its range at one end with probability
  (1 − δ)^n ≈ e^(−δn); δ = 25/n makes that e^(−25).
Each check asserts that its tolerance is small enough to see a 9% error in σ or in the bound
(relative tolerance on s at most 3%, an unreached end at most 1% of the range), so a shrunken
sample cannot quietly weaken it. Every draw uses a fixed seed, so the tests are deterministic;
the margins above say that they would also pass for almost every other seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import init

SIGMAS = 6.0  # standard errors allowed on a mean or a standard deviation
REACH = 25.0  # an end of the range is missed with probability e^(−REACH)
POWER = 0.03  # the largest relative tolerance on a standard deviation that still sees 9%


def f64(*shape):
    return cr.empty(*shape, dtype=cr.float64)


def rng(seed=0):
    return np.random.default_rng(seed)


def values_of(tensor):
    return np.asarray(tensor.data, dtype=np.float64).ravel()


def check_uniform(values, low, high):
    """``values`` look like n draws of U(low, high)."""
    x = np.asarray(values, dtype=np.float64).ravel()
    n, width = x.size, high - low
    sigma = width / math.sqrt(12)
    std_tol = SIGMAS * math.sqrt(0.2 / n)
    assert std_tol <= POWER and REACH / n <= 0.01, f"{n} draws cannot see a 9% error"
    slack = 1e-6 * max(abs(low), abs(high))  # a float64 draw rounded to float32
    assert x.min() >= low - slack and x.max() <= high + slack, (x.min(), x.max(), low, high)
    assert x.min() <= low + REACH / n * width, (x.min(), low)
    assert x.max() >= high - REACH / n * width, (x.max(), high)
    assert abs(x.mean() - (low + high) / 2) <= SIGMAS * sigma / math.sqrt(n)
    assert x.std() == pytest.approx(sigma, rel=std_tol)


def check_normal(values, mean, std):
    """``values`` look like n draws of N(mean, std²): mean, spread and kurtosis."""
    x = np.asarray(values, dtype=np.float64).ravel()
    n = x.size
    std_tol = SIGMAS * math.sqrt(1 / (2 * n))
    assert std_tol <= POWER, f"{n} draws cannot see a 9% error"
    assert abs(x.mean() - mean) <= SIGMAS * std / math.sqrt(n), (x.mean(), mean)
    assert x.std() == pytest.approx(std, rel=std_tol)
    # sample kurtosis of a normal: 3 with standard error √(24/n) (a uniform's is 1.8)
    z = (x - x.mean()) / x.std()
    assert abs(np.mean(z**4) - 3) <= SIGMAS * math.sqrt(24 / n) + 0.01


def check_constant(values, value):
    np.testing.assert_array_equal(np.asarray(values, dtype=np.float64), value)


# ------------------------------------------------------------ gains


SLOPE = 0.2
# calculate_gain's documented table, written out as numbers where they are exact
GAINS = [
    ("linear", None, 1.0), ("identity", None, 1.0), ("sigmoid", None, 1.0),
    ("conv1d", None, 1.0), ("conv2d", None, 1.0), ("conv3d", None, 1.0),
    ("conv_transpose1d", None, 1.0), ("conv_transpose2d", None, 1.0),
    ("conv_transpose3d", None, 1.0), ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
    ("leaky_relu", 0, math.sqrt(2)), ("leaky_relu", SLOPE, math.sqrt(2 / (1 + SLOPE**2))),
    ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)), ("selu", None, 3 / 4),
]


@pytest.mark.parametrize("nonlinearity,param,gain", GAINS)
def test_calculate_gain_is_the_documented_table(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_rejects_unknown_nonlinearities():
    with pytest.raises(ValueError, match="softsign"):
        init.calculate_gain("softsign")


# ------------------------------------------------------------ plain distributions


@pytest.mark.parametrize("low,high", [(0.0, 1.0), (-2.0, 3.0), (-1e-3, 1e-3)])
def test_uniform_fills_the_whole_interval_evenly(low, high):
    tensor = init.uniform_(f64(400, 500), low, high, generator=rng())
    check_uniform(values_of(tensor), low, high)


def test_uniform_and_normal_defaults_are_the_unit_distributions():
    check_uniform(values_of(init.uniform_(f64(400, 500), generator=rng(1))), 0.0, 1.0)
    check_normal(values_of(init.normal_(f64(400, 500), generator=rng(2))), 0.0, 1.0)


@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (1.0, 2.0), (-3.0, 0.01)])
def test_normal_has_the_requested_mean_and_spread(mean, std):
    check_normal(values_of(init.normal_(f64(400, 500), mean, std, generator=rng())), mean, std)


def test_constant_zeros_ones_and_eye_are_exact():
    check_constant(init.constant_(f64(3, 4), -0.25).data, -0.25)
    check_constant(init.zeros_(f64(2, 3, 4)).data, 0.0)
    check_constant(init.ones_(f64(5)).data, 1.0)
    for rows, cols in [(3, 3), (2, 5), (5, 2)]:
        expected = [[1.0 if i == j else 0.0 for j in range(cols)] for i in range(rows)]
        np.testing.assert_array_equal(init.eye_(f64(rows, cols)).data, expected)
    with pytest.raises(ValueError, match="2-D"):
        init.eye_(f64(2, 2, 2))


# ------------------------------------------------------------ trunc_normal_


def _phi(z):
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def _cdf(z):
    return (1 + math.erf(z / math.sqrt(2))) / 2


def truncated_normal(mean, std, a, b):
    """The mean, standard deviation and mass of N(mean, std²) restricted to [a, b], and a
    function giving the probability of landing within d of a and of b."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    mass = _cdf(beta) - _cdf(alpha)
    shift = (_phi(alpha) - _phi(beta)) / mass
    variance = std**2 * (1 + (alpha * _phi(alpha) - beta * _phi(beta)) / mass - shift**2)

    def near_ends(d):
        low = (_cdf(min(alpha + d / std, beta)) - _cdf(alpha)) / mass
        high = (_cdf(beta) - _cdf(max(beta - d / std, alpha))) / mass
        return low, high

    return mean + std * shift, math.sqrt(variance), near_ends


TRUNC_CASES = [
    (0.0, 1.0, -2.0, 2.0),  # the defaults
    (0.0, 1.0, -0.5, 0.5),  # tight: clamping instead of redrawing puts 62% on the bounds
    (0.5, 2.0, -1.0, 3.0),  # asymmetric, mean off centre
    (0.0, 0.02, -2.0, 2.0),  # the common ViT call: bounds 100σ away, a plain normal
]


@pytest.mark.parametrize("mean,std,a,b", TRUNC_CASES)
def test_trunc_normal_redraws_outside_values_and_matches_the_truncated_moments(mean, std, a, b):
    x = values_of(init.trunc_normal_(f64(400, 500), mean, std, a, b, generator=rng()))
    n = x.size
    expected_mean, expected_std, near_ends = truncated_normal(mean, std, a, b)
    assert x.min() >= a and x.max() <= b
    assert abs(x.mean() - expected_mean) <= SIGMAS * expected_std / math.sqrt(n)
    assert x.std() == pytest.approx(expected_std, rel=SIGMAS * math.sqrt(1 / (2 * n)))
    # No mass piled on the bounds: the share within 1e-3 of each bound is what the density
    # gives (a binomial count; allow 6 standard errors plus a few samples).
    for side, (lo, hi) in enumerate([(a, a + 1e-3), (b - 1e-3, b)]):
        share = np.mean((x >= lo) & (x <= hi))
        p = near_ends(1e-3)[side]
        assert share <= p + SIGMAS * math.sqrt(p / n) + 5 / n, (side, share, p)
    # Both bounds are reached where the density there is not negligible: a window that holds
    # REACH/n of the mass is missed with probability about e^(−REACH).
    for side, bound in enumerate((a, b)):
        if near_ends(std)[side] * n < 10 * REACH:
            continue  # the bound is many σ out (the ViT case)
        d = std
        while near_ends(d / 2)[side] * n >= REACH:
            d /= 2
        assert abs((x.min(), x.max())[side] - bound) <= d, (side, d)


# ------------------------------------------------------------ Xavier and Kaiming


SHAPES = [(250, 800), (40, 100, 7, 7)]  # (out, in) and a conv weight; fan_in ≠ fan_out


def fans_of(shape):
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_uniform_bound_and_xavier_normal_std(shape, gain):
    fan_in, fan_out = fans_of(shape)
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    check_uniform(values_of(init.xavier_uniform_(f64(*shape), gain, generator=rng())),
                  -bound, bound)
    std = gain * math.sqrt(2 / (fan_in + fan_out))
    check_normal(values_of(init.xavier_normal_(f64(*shape), gain, generator=rng())), 0.0, std)


KAIMING = [  # (a, nonlinearity, gain from the documented table)
    (0.0, "leaky_relu", math.sqrt(2)),  # the defaults: a = 0 is a ReLU
    (SLOPE, "leaky_relu", math.sqrt(2 / (1 + SLOPE**2))),
    (math.sqrt(5), "leaky_relu", math.sqrt(1 / 3)),  # the default Linear/Conv weight
    (0.0, "relu", math.sqrt(2)), (0.0, "linear", 1.0), (0.0, "sigmoid", 1.0),
    (0.0, "conv2d", 1.0), (0.0, "tanh", 5 / 3), (0.0, "selu", 3 / 4),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("a,nonlinearity,gain", KAIMING)
def test_kaiming_uniform_bound_and_kaiming_normal_std(shape, mode, a, nonlinearity, gain):
    fan = dict(zip(("fan_in", "fan_out"), fans_of(shape)))[mode]
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3) * std
    check_uniform(values_of(init.kaiming_uniform_(f64(*shape), a, mode, nonlinearity,
                                                  generator=rng())), -bound, bound)
    check_normal(values_of(init.kaiming_normal_(f64(*shape), a, mode, nonlinearity,
                                                generator=rng())), 0.0, std)


def test_kaiming_defaults_are_fan_in_and_leaky_relu_with_slope_0():
    shape = SHAPES[0]
    bound = math.sqrt(2) * math.sqrt(3 / fans_of(shape)[0])
    check_uniform(values_of(init.kaiming_uniform_(f64(*shape), generator=rng())), -bound, bound)
    with pytest.raises(ValueError, match="fan_avg"):
        init.kaiming_normal_(f64(*shape), mode="fan_avg")


# ------------------------------------------------------------ orthogonal_


@pytest.mark.parametrize("shape", [(100, 100), (200, 30), (30, 200), (16, 4, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_is_gain_times_an_orthonormal_frame(shape, gain):
    w = init.orthogonal_(f64(*shape), gain, generator=rng()).data.reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w.T @ w if rows >= cols else w @ w.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_square_matrices_are_rotation_invariant():
    # For a uniformly (Haar) distributed orthogonal Q, E[trace Q] = 0 and Var[trace Q] = 1, so
    # the sum of 8 independent traces has standard deviation √8. A QR without the sign fix
    # diag(R) > 0 is biased: each trace sits near −6 at n = 100, the sum near −48.
    total = sum(np.trace(init.orthogonal_(f64(100, 100), generator=rng(seed)).data)
                for seed in range(8))
    assert abs(total) < SIGMAS * math.sqrt(8), total


# ------------------------------------------------------------ layers' defaults


def default_bound(fan_in):
    """Linear and the convolutions: kaiming_uniform_(a=√5) on the weight, which is
    U(−1/√fan_in, 1/√fan_in), and the bias from that same range (PyTorch's reset_parameters)."""
    return 1 / math.sqrt(fan_in)


AFFINE_LAYERS = [  # (layer, fan_in from PyTorch's formula: weight.shape[1] · kernel)
    (lambda: nn.Linear(50, 8000), 50),
    (lambda: nn.Linear(8000, 40), 8000),
    (lambda: nn.Conv1d(8, 8000, 5), 8 * 5),
    (lambda: nn.Conv2d(4, 8000, 3), 4 * 9),
    (lambda: nn.Conv2d(8, 8000, (3, 2), groups=2), 4 * 6),
    (lambda: nn.ConvTranspose2d(4, 8000, 3), 8000 * 9),  # weight (in, out, kh, kw)
    (lambda: nn.ConvTranspose2d(8, 8000, 3, groups=2), 4000 * 9),
]


@pytest.mark.parametrize("make,fan_in", AFFINE_LAYERS, ids=[
    "Linear-50-8000", "Linear-8000-40", "Conv1d", "Conv2d", "Conv2d-groups", "ConvTranspose2d",
    "ConvTranspose2d-groups"])
def test_linear_and_conv_default_init_is_uniform_within_one_over_root_fan_in(make, fan_in):
    cr.manual_seed(0)
    layer = make()
    bound = default_bound(fan_in)
    assert layer.weight.dtype == cr.float32
    check_uniform(values_of(layer.weight), -bound, bound)
    if layer.bias.numel() >= 8000:
        check_uniform(values_of(layer.bias), -bound, bound)
    else:  # too few draws for the moments: the bound alone
        assert np.abs(values_of(layer.bias)).max() <= bound * (1 + 1e-6)


def test_lazy_linear_materialises_with_linears_default_init():
    cr.manual_seed(0)
    layer = nn.LazyLinear(8000)
    layer(cr.randn(2, 50))
    check_uniform(values_of(layer.weight), -default_bound(50), default_bound(50))
    check_uniform(values_of(layer.bias), -default_bound(50), default_bound(50))


@pytest.mark.parametrize("name,channels,fan_in", [
    ("LazyConv1d", 8, 8 * 3), ("LazyConv2d", 4, 4 * 9), ("LazyConv3d", 2, 2 * 27),
    ("LazyConvTranspose1d", 4, 8000 * 3), ("LazyConvTranspose2d", 4, 8000 * 9),
    ("LazyConvTranspose3d", 2, 8000 * 27)])
def test_lazy_convs_materialise_with_the_convs_default_init(name, channels, fan_in):
    x = cr.randn(1, channels, *(3,) * int(name[-2]))
    cr.manual_seed(0)
    layer = getattr(nn, name)(8000, 3)
    layer(x)
    check_uniform(values_of(layer.weight), -default_bound(fan_in), default_bound(fan_in))
    check_uniform(values_of(layer.bias), -default_bound(fan_in), default_bound(fan_in))


@pytest.mark.parametrize("name", ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
                                  "LazyInstanceNorm1d", "LazyInstanceNorm2d",
                                  "LazyInstanceNorm3d"])
def test_lazy_norms_materialise_as_the_identity_with_fresh_running_statistics(name):
    layer = getattr(nn, name)(momentum=0.0)  # the first batch leaves the statistics as set
    layer(cr.randn(2, 5, *(3,) * int(name[-2])))
    assert layer.weight.shape == layer.running_var.shape == (5,)
    check_constant(layer.weight.data, 1.0)
    check_constant(layer.bias.data, 0.0)
    check_constant(layer.running_mean.data, 0.0)
    check_constant(layer.running_var.data, 1.0)


def test_reset_parameters_redraws_from_the_same_distribution():
    layer = nn.Linear(50, 8000, generator=rng(1))
    layer.reset_parameters(rng(2))
    check_uniform(values_of(layer.weight), -default_bound(50), default_bound(50))
    check_uniform(values_of(layer.bias), -default_bound(50), default_bound(50))


def test_embedding_default_init_is_standard_normal_with_a_zero_padding_row():
    check_normal(values_of(nn.Embedding(1000, 200, generator=rng()).weight), 0.0, 1.0)
    padded = nn.Embedding(1000, 200, padding_idx=-3, generator=rng())
    check_constant(padded.weight.data[997], 0.0)
    check_normal(np.delete(padded.weight.data, 997, axis=0), 0.0, 1.0)


@pytest.mark.parametrize("make,shape", [
    (lambda: nn.BatchNorm1d(7), (7,)), (lambda: nn.BatchNorm2d(5), (5,)),
    (lambda: nn.LayerNorm((3, 4)), (3, 4)), (lambda: nn.GroupNorm(2, 6), (6,)),
    (lambda: nn.SyncBatchNorm(4), (4,)),
])
def test_normalisation_layers_start_as_the_identity_affine_map(make, shape):
    layer = make()
    assert layer.weight.shape == shape and layer.bias.shape == shape
    check_constant(layer.weight.data, 1.0)
    check_constant(layer.bias.data, 0.0)
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d, nn.SyncBatchNorm)):
        check_constant(layer.running_mean.data, 0.0)
        check_constant(layer.running_var.data, 1.0)
        assert int(layer.num_batches_tracked.item()) == 0


def test_rms_norm_starts_as_the_identity_scale_without_a_shift():
    layer = nn.RMSNorm((2, 5))
    assert layer.weight.shape == (2, 5) and layer.bias is None
    check_constant(layer.weight.data, 1.0)


def test_prelu_default_init_is_a_constant_quarter():
    """PyTorch's PReLU starts every slope at init = 0.25 (a constant, not a draw)."""
    for layer in (nn.PReLU(), nn.PReLU(5), nn.PReLU(2, init=-0.5)):
        assert layer.weight.shape == (layer.num_parameters,)
        check_constant(layer.weight.data, layer.init)


# ------------------------------------------------------------ sequence layers' defaults

SEQUENCE_COVERED = {"RNN", "GRU", "LSTM", "RNNBase", "RNNCell", "GRUCell", "LSTMCell",
                    "RNNCellBase", "MultiheadAttention", "TransformerEncoderLayer",
                    "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder",
                    "Transformer"}
SEQUENCE_ARGUMENTS = {
    "RNN": (2, 3), "GRU": (2, 3), "LSTM": (2, 3), "RNNBase": ("LSTM", 2, 3), "RNNCell": (2, 3),
    "GRUCell": (2, 3), "LSTMCell": (2, 3), "RNNCellBase": (2, 3, True, 2),
    "MultiheadAttention": (4, 2),
    "TransformerEncoderLayer": (4, 2, 8), "TransformerDecoderLayer": (4, 2, 8),
    "TransformerEncoder": (nn.TransformerEncoderLayer(4, 2, 8), 1),
    "TransformerDecoder": (nn.TransformerDecoderLayer(4, 2, 8), 1),
    "Transformer": (4, 2, 1, 1, 8)}


@pytest.mark.parametrize("make", [
    lambda: nn.RNN(300, 400, num_layers=2, bidirectional=True, generator=rng()),
    lambda: nn.GRU(300, 400, generator=rng()),
    lambda: nn.LSTM(300, 400, proj_size=100, generator=rng()),
    lambda: nn.LSTMCell(300, 400, generator=rng()),
    lambda: nn.RNNCellBase(300, 400, True, 3, generator=rng()),
])
def test_recurrent_weights_and_biases_are_uniform_within_one_over_root_hidden(make):
    layer = make()
    bound = 1 / math.sqrt(400)
    for name, p in layer.named_parameters():
        if p.numel() >= 8000:
            check_uniform(values_of(p), -bound, bound)
        else:
            assert np.abs(values_of(p)).max() <= bound * (1 + 1e-6), name


def test_multihead_attention_is_xavier_uniform_with_zero_biases():
    layer = nn.MultiheadAttention(400, 4, kdim=300, vdim=200, generator=rng())
    for name, fan_in in (("q_proj_weight", 400), ("k_proj_weight", 300), ("v_proj_weight", 200)):
        bound = math.sqrt(6 / (fan_in + 400))
        check_uniform(values_of(getattr(layer, name)), -bound, bound)
    check_uniform(values_of(layer.out_proj.weight), -default_bound(400), default_bound(400))
    check_constant(layer.in_proj_bias.data, 0.0)
    check_constant(layer.out_proj.bias.data, 0.0)
    packed = nn.MultiheadAttention(200, 4, generator=rng())
    bound = math.sqrt(6 / (200 + 600))  # the (3E, E) weight is one Xavier draw
    check_uniform(values_of(packed.in_proj_weight), -bound, bound)


def test_transformer_matrices_are_xavier_uniform_and_norms_the_identity():
    model = nn.Transformer(128, 4, 1, 1, 256, generator=rng())
    for name, p in model.named_parameters():
        if p.ndim > 1:
            fan_out, fan_in = p.shape
            bound = math.sqrt(6 / (fan_in + fan_out))
            check_uniform(values_of(p), -bound, bound)
        elif "norm" in name:
            check_constant(p.data, 1.0 if name.endswith("weight") else 0.0)


@pytest.mark.filterwarnings("ignore:`NLLLoss2d` has been deprecated:FutureWarning")
@pytest.mark.filterwarnings("ignore:`nn.Container` is deprecated:FutureWarning")
def test_every_layer_with_parameters_is_covered_here():
    """A new layer with parameters must get a default-initialisation test in this file (and a
    new layer that needs arguments, a sample of them below)."""
    covered = {"Linear", "Conv1d", "Conv2d", "ConvTranspose2d", "Embedding", "BatchNorm1d",
               "BatchNorm2d", "LayerNorm", "GroupNorm"}
    arguments = {"Linear": (2, 3), "Conv1d": (2, 3, 1), "Conv2d": (2, 3, 1),
                 "ConvTranspose2d": (2, 3, 1), "Embedding": (4, 3), "BatchNorm1d": (3,),
                 "BatchNorm2d": (3,), "LayerNorm": (3,), "GroupNorm": (1, 3),
                 "AdaptiveAvgPool1d": (1,), "AdaptiveAvgPool2d": (1,),
                 "AdaptiveMaxPool2d": (1,), "AvgPool1d": (2,), "AvgPool2d": (2,),
                 "MaxPool1d": (2,), "MaxPool2d": (2,), "Unflatten": (1, (2, 2))}
    covered.add("PReLU")
    arguments["Threshold"] = (0.5, 0.0)
    covered |= {"Bilinear", "ConvTranspose1d"}  # tested in the test below
    covered.add("RMSNorm")
    arguments["RMSNorm"] = (3,)
    arguments.update({
        "Bilinear": (2, 3, 4), "ConvTranspose1d": (2, 3, 1), "InstanceNorm1d": (3,),
        "InstanceNorm2d": (3,), "InstanceNorm3d": (3,), "Fold": ((4, 4), 2), "Unfold": (2,),
        "PixelShuffle": (2,), "PixelUnshuffle": (2,), "LocalResponseNorm": (2,),
        "ConstantPad1d": (1, 0.0),
        "ConstantPad2d": (1, 0.0), "ConstantPad3d": (1, 0.0),
        **{f"{kind}Pad{d}d": (1,) for kind in ("Zero", "Reflection", "Replication", "Circular")
           for d in (1, 2, 3)}})
    covered |= SEQUENCE_COVERED
    covered.add("SyncBatchNorm")
    covered.add("LazyLinear")  # test_lazy_linear_materialises_with_linears_default_init
    arguments["LazyLinear"] = (3,)
    arguments.update({"SyncBatchNorm": (3,), "DataParallel": (nn.Identity(),),
                      "ChannelShuffle": (2,), "AdaptiveMaxPool1d": (1,), "MaxUnpool1d": (2,),
                      "MaxUnpool2d": (2,), "LPPool1d": (2, 2), "LPPool2d": (2, 2),
                      "MaxUnpool3d": (2,), "LPPool3d": (2, 2)})
    arguments.update(SEQUENCE_ARGUMENTS)
    covered |= {"Conv3d", "ConvTranspose3d", "BatchNorm3d"}  # tested at the end of this file
    covered.add("EmbeddingBag")  # tested at the end of this file
    arguments["EmbeddingBag"] = (4, 3)
    lazy_convs = {"LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
                  "LazyConvTranspose2d", "LazyConvTranspose3d"}
    covered |= lazy_convs | {f"Lazy{kind}Norm{d}d" for kind in ("Batch", "Instance")
                             for d in (1, 2, 3)}  # tested after the LazyLinear test
    arguments.update({name: (2, 1) for name in lazy_convs})
    covered.add("AdaptiveLogSoftmaxWithLoss")  # tested after this test
    arguments.update({"AdaptiveLogSoftmaxWithLoss": (8, 10, [4]), "CrossMapLRN2d": (2,),
                      "FractionalMaxPool2d": (2, 1), "FractionalMaxPool3d": (2, 1)})
    arguments.update({"Conv3d": (2, 3, 1), "ConvTranspose3d": (2, 3, 1), "BatchNorm3d": (3,),
                      "AdaptiveAvgPool3d": (1,), "AdaptiveMaxPool3d": (1,), "AvgPool3d": (2,),
                      "MaxPool3d": (2,)})
    with_parameters = set()
    for name in nn.__all__:
        cls = getattr(nn, name)
        if isinstance(cls, type) and issubclass(cls, nn.Module):
            module = cls(*arguments.get(name, ()))
            if any(True for _ in module.parameters()):
                with_parameters.add(name)
    assert with_parameters == covered


def test_adaptive_softmax_layers_have_linears_default_init_and_no_bias_by_default():
    """PyTorch builds the head and each tail projection as ``Linear`` layers (no bias unless
    ``head_bias``), so each weight is U(±1/√fan_in) of its own input size."""
    cr.manual_seed(0)
    layer = nn.AdaptiveLogSoftmaxWithLoss(256, 8100, [8000], div_value=2.0)
    check_uniform(values_of(layer.head.weight), -default_bound(256), default_bound(256))
    check_uniform(values_of(layer.tail[0][0].weight), -default_bound(256), default_bound(256))
    check_uniform(values_of(layer.tail[0][1].weight), -default_bound(128), default_bound(128))
    assert layer.head.bias is None
    with_bias = nn.AdaptiveLogSoftmaxWithLoss(64, 10, [4], head_bias=True)
    assert np.abs(values_of(with_bias.head.bias)).max() <= default_bound(64)


@pytest.mark.parametrize("init", [nn.init.kaiming_uniform_, nn.init.kaiming_normal_])
def test_kaiming_init_of_an_empty_tensor_warns_and_changes_nothing(init):
    """PyTorch's rule: a tensor with no elements has a fan of 0, so the Kaiming initialisers
    warn and return it instead of dividing by zero."""
    empty = cr.zeros(3, 0)
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        assert init(empty) is empty
    with pytest.warns(UserWarning, match="zero-element"):
        layer = nn.Linear(0, 3)  # fan_in 0: an empty weight and a zero bias, as in PyTorch
    assert layer.weight.shape == (3, 0)
    np.testing.assert_array_equal(values_of(layer.bias), np.zeros(3, np.float32))
    output = layer(cr.zeros(2, 0))
    assert output.shape == (2, 3)
    np.testing.assert_array_equal(values_of(output), np.zeros(6))


@pytest.mark.parametrize("make,fan_in", [
    (lambda: nn.ConvTranspose1d(4, 8000, 3), 8000 * 3),  # weight (in, out/groups, k)
    (lambda: nn.ConvTranspose1d(8, 8000, 3, groups=4), 2000 * 3),
    (lambda: nn.Bilinear(4, 3, 8000), 4),  # PyTorch's Bilinear: U(±1/√in1_features)
], ids=["ConvTranspose1d", "ConvTranspose1d-groups", "Bilinear"])
def test_conv_transpose1d_and_bilinear_default_init(make, fan_in):
    cr.manual_seed(0)
    layer = make()
    bound = default_bound(fan_in)
    check_uniform(values_of(layer.weight), -bound, bound)
    check_uniform(values_of(layer.bias), -bound, bound)


@pytest.mark.parametrize("make,fan_in", [
    (lambda: nn.Conv3d(4, 8000, 3), 4 * 27),  # weight (out, in/groups, kd, kh, kw)
    (lambda: nn.Conv3d(8, 8000, (1, 2, 3), groups=4), 2 * 6),
    (lambda: nn.ConvTranspose3d(4, 8000, 2), 8000 * 8),  # weight (in, out/groups, kd, kh, kw)
    (lambda: nn.ConvTranspose3d(8, 8000, 2, groups=2), 4000 * 8),
], ids=["Conv3d", "Conv3d-groups", "ConvTranspose3d", "ConvTranspose3d-groups"])
def test_conv3d_default_init_is_uniform_within_one_over_root_fan_in(make, fan_in):
    cr.manual_seed(0)
    layer = make()
    bound = default_bound(fan_in)
    assert layer.weight.dtype == cr.float32
    check_uniform(values_of(layer.weight), -bound, bound)
    check_uniform(values_of(layer.bias), -bound, bound)


def test_batch_norm3d_starts_as_the_identity_with_fresh_running_statistics():
    layer = nn.BatchNorm3d(6)
    assert layer.weight.shape == layer.bias.shape == (6,)
    check_constant(layer.weight.data, 1.0)
    check_constant(layer.bias.data, 0.0)
    check_constant(layer.running_mean.data, 0.0)
    check_constant(layer.running_var.data, 1.0)
    assert int(layer.num_batches_tracked.item()) == 0


def test_embedding_bag_default_init_is_standard_normal_with_a_zero_padding_row():
    check_normal(values_of(nn.EmbeddingBag(1000, 200, generator=rng()).weight), 0.0, 1.0)
    padded = nn.EmbeddingBag(1000, 200, padding_idx=-3, generator=rng())
    assert padded.padding_idx == 997
    check_constant(padded.weight.data[997], 0.0)
    check_normal(np.delete(padded.weight.data, 997, axis=0), 0.0, 1.0)

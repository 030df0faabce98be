"""Random sampling: multinomial, bernoulli (and bernoulli_), normal's four forms, randperm.

Each draw is seeded. A frequency estimated from n draws of an event of probability p has
standard deviation σ = √(p(1 − p)/n); the statistical tests allow 5σ (a correct sampler fails
one of them about once in 1.7 million runs), computed in each test from its own n and p.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr


def five_sigma(p: float, n: int) -> float:
    return 5 * math.sqrt(p * (1 - p) / n)


# ---------------------------------------------------------------- multinomial


def test_multinomial_with_replacement_draws_in_proportion_to_the_weights():
    n = 20000
    weights = cr.tensor([1.0, 2.0, 0.0, 5.0])
    draws = cr.multinomial(weights, n, replacement=True,
                           generator=np.random.default_rng(0)).numpy()
    assert draws.shape == (n,) and draws.dtype == np.int64
    frequencies = np.bincount(draws, minlength=4) / n
    for p, f in zip(np.array([1, 2, 0, 5]) / 8, frequencies):
        assert abs(f - p) <= five_sigma(p, n) if p else f == 0


def test_multinomial_without_replacement_is_sequential_sampling():
    """Each row holds distinct categories; the first column follows p, and a pair (i, j)
    comes with probability p_i · p_j / (1 − p_i)."""
    n = 20000
    weights = cr.tensor([[1.0, 1.0, 2.0]]).expand(n, 3)
    draws = weights.multinomial(2, generator=np.random.default_rng(1)).numpy()
    assert draws.shape == (n, 2)
    assert np.all(draws[:, 0] != draws[:, 1])
    p = np.array([0.25, 0.25, 0.5])
    first = np.bincount(draws[:, 0], minlength=3) / n
    assert np.all(np.abs(first - p) <= [five_sigma(q, n) for q in p])
    pair = p[0] * p[1] / (1 - p[0])
    observed = np.mean((draws[:, 0] == 0) & (draws[:, 1] == 1))
    assert abs(observed - pair) <= five_sigma(pair, n)


def test_multinomial_never_draws_a_zero_weight_without_replacement():
    draws = cr.tensor([[0.0, 3.0, 1.0, 0.0]] * 50).multinomial(2).numpy()
    assert set(np.unique(draws)) <= {1, 2}


def test_multinomial_is_reproducible_under_manual_seed():
    weights = cr.tensor([0.2, 0.3, 0.5])
    cr.manual_seed(7)
    first = weights.multinomial(10, True)
    cr.manual_seed(7)
    assert weights.multinomial(10, True).tolist() == first.tolist()


@pytest.mark.parametrize(("weights", "samples", "error", "message"), [
    ([-1.0, 2.0], 1, RuntimeError, "finite and non-negative"),
    ([1.0, float("inf")], 1, RuntimeError, "finite and non-negative"),
    ([0.0, 0.0], 1, RuntimeError, "positive sum"),
    ([0.0, 1.0, 1.0], 3, RuntimeError, "cannot draw 3 samples without replacement"),
    ([1.0, 1.0], 0, RuntimeError, "num_samples must be positive"),
    ([[[1.0]]], 1, ValueError, "1-D or 2-D"),
    ([1, 2], 1, TypeError, "floating-point"),
])
def test_multinomial_rejects_bad_weights(weights, samples, error, message):
    with pytest.raises(error, match=message):
        cr.multinomial(cr.tensor(weights), samples)


# ---------------------------------------------------------------- bernoulli


def test_bernoulli_draws_ones_with_the_given_probabilities():
    n = 20000
    probs = cr.tensor(np.repeat([[0.0], [0.1], [0.5], [1.0]], n, axis=1))
    out = cr.bernoulli(probs, generator=np.random.default_rng(2))
    assert out.shape == (4, n) and out.dtype == cr.float64
    assert set(np.unique(out.numpy())) <= {0.0, 1.0}
    for p, row in zip([0.0, 0.1, 0.5, 1.0], out.numpy()):
        assert abs(row.mean() - p) <= five_sigma(p, n) if 0 < p < 1 else row.mean() == p


def test_bernoulli_with_p_and_in_place():
    n = 20000
    out = cr.zeros(n).bernoulli(0.3, generator=np.random.default_rng(3))
    assert abs(out.numpy().mean() - 0.3) <= five_sigma(0.3, n)
    ints = cr.zeros(n, dtype=cr.int64)
    before = ints._version
    assert ints.bernoulli_(0.7, generator=np.random.default_rng(4)) is ints
    assert ints._version == before + 1 and ints.dtype == cr.int64
    assert abs(ints.numpy().mean() - 0.7) <= five_sigma(0.7, n)
    per_element = cr.zeros(2, 3).bernoulli_(cr.tensor([0.0, 1.0, 0.0]))
    assert per_element.tolist() == [[0.0, 1.0, 0.0]] * 2


def test_bernoulli_is_reproducible_and_gives_no_graph():
    probs = cr.full((50,), 0.5, requires_grad=True)
    cr.manual_seed(11)
    first = cr.bernoulli(probs)
    cr.manual_seed(11)
    assert cr.bernoulli(probs).tolist() == first.tolist()
    assert not first.requires_grad


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: cr.bernoulli(cr.tensor([1.5])), RuntimeError, r"in \[0, 1\]"),
    (lambda: cr.bernoulli(cr.tensor([0.5]), p=-0.1), RuntimeError, r"in \[0, 1\]"),
    (lambda: cr.bernoulli(cr.tensor([1, 0])), TypeError, "floating-point"),
    (lambda: cr.zeros(3).bernoulli_(cr.tensor([0.5, 0.5])), ValueError, "cannot be broadcast"),
    (lambda: cr.zeros(3, requires_grad=True).bernoulli_(), RuntimeError, "leaf tensor"),
])
def test_bernoulli_rejects_bad_probabilities(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------- normal


def test_normal_float_mean_and_std_with_a_size():
    n = 40000
    out = cr.normal(3.0, 2.0, (n,), generator=np.random.default_rng(5))
    assert out.shape == (n,) and out.dtype == cr.float32
    # mean: σ/√n = 0.01; std of a normal sample: σ/√(2n) ≈ 0.007; 5 of each
    assert abs(out.numpy().mean() - 3.0) <= 0.05
    assert abs(out.numpy().std() - 2.0) <= 0.04
    assert cr.normal(0.0, 1.0, size=(2, 3), dtype=cr.float64).dtype == cr.float64


def test_normal_tensor_forms_take_their_shape_and_dtype_from_the_tensors():
    means = cr.tensor([-100.0, 0.0, 100.0], dtype=cr.float64)
    stds = cr.tensor([1e-3, 1e-3, 1e-3])
    both = cr.normal(means, stds)
    assert both.shape == (3,) and both.dtype == cr.float64
    np.testing.assert_allclose(both.numpy(), [-100.0, 0.0, 100.0], atol=0.01)
    assert cr.normal(means).shape == (3,)
    only_std = cr.normal(5.0, stds)
    assert only_std.dtype == cr.float32 and np.allclose(only_std.numpy(), 5.0, atol=0.01)
    assert cr.normal(cr.zeros(2, 1), cr.ones(3)).shape == (2, 3)
    assert not cr.normal(cr.zeros(2, requires_grad=True), 1.0).requires_grad


def test_normal_is_reproducible_under_manual_seed():
    cr.manual_seed(3)
    first = cr.normal(cr.zeros(5), 1.0)
    cr.manual_seed(3)
    assert cr.normal(cr.zeros(5), 1.0).tolist() == first.tolist()


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: cr.normal(0.0, 1.0), TypeError, "give the size"),
    (lambda: cr.normal(cr.zeros(2), 1.0, (2,)), TypeError, "size is only for"),
    (lambda: cr.normal(0.0, -1.0, (2,)), RuntimeError, "std must be >= 0"),
    (lambda: cr.normal(cr.zeros(2), cr.tensor([1.0, -1.0])), RuntimeError, "std must be"),
    (lambda: cr.normal(cr.zeros(2, dtype=cr.int64)), TypeError, "floating point"),
    (lambda: cr.normal(cr.zeros(3), cr.ones(2)), ValueError, "shape"),
])
def test_normal_rejects_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------- randperm


def test_randperm_is_a_uniform_permutation():
    n = 6000
    rng = np.random.default_rng(6)
    perms = np.array([cr.randperm(3, generator=rng).numpy() for _ in range(n)])
    assert perms.dtype == np.int64
    assert np.all(np.sort(perms, axis=1) == [0, 1, 2])
    first = np.bincount(perms[:, 0], minlength=3) / n
    assert np.all(np.abs(first - 1 / 3) <= five_sigma(1 / 3, n))


def test_randperm_dtype_reproducibility_and_errors():
    cr.manual_seed(9)
    first = cr.randperm(10, dtype=cr.float32)
    assert first.dtype == cr.float32 and sorted(first.tolist()) == list(range(10))
    cr.manual_seed(9)
    assert cr.randperm(10, dtype=cr.float32).tolist() == first.tolist()
    assert cr.randperm(0).shape == (0,)
    with pytest.raises(ValueError, match="randperm: n must be a non-negative integer"):
        cr.randperm(-1)


# ------------------------------------------------------------ in-place fills from a distribution

N_DRAWS = 200_000


def filled(method, *args, dtype=cr.float64, seed=0):
    t = cr.zeros(N_DRAWS, dtype=dtype)
    out = getattr(t, method)(*args, generator=cr.Generator().manual_seed(seed))
    assert out is t
    return t.numpy()


@pytest.mark.parametrize("args,low,high", [((), 0, 2 ** 53), ((10,), 0, 9), ((-3, 4), -3, 3)])
def test_random_fills_with_integers_of_the_asked_range(args, low, high):
    values = filled("random_", *args)
    assert np.all(values == np.round(values))
    assert values.min() >= low and values.max() <= high
    if high - low < 20:  # every integer of a small range shows up
        assert set(np.unique(values)) == set(range(low, high + 1))


def test_random_of_each_dtype_stays_in_its_range():
    assert filled("random_", dtype=cr.float32).max() <= 2 ** 24
    assert set(np.unique(filled("random_", dtype=cr.bool))) == {False, True}
    assert filled("random_", dtype=cr.uint8).max() <= 255
    assert filled("random_", dtype=cr.int64).min() >= 0


@pytest.mark.parametrize("method,args,mean,variance", [
    ("exponential_", (2.0,), 0.5, 0.25),
    ("log_normal_", (0.3, 0.5), np.exp(0.3 + 0.125), (np.exp(0.25) - 1) * np.exp(0.6 + 0.25)),
    ("geometric_", (0.25,), 4.0, 0.75 / 0.0625),
])
def test_fills_have_their_distributions_moments(method, args, mean, variance):
    values = filled(method, *args)
    standard_error = np.sqrt(variance / N_DRAWS)
    assert abs(values.mean() - mean) < 5 * standard_error
    assert abs(values.var() / variance - 1) < 0.05


def test_cauchy_has_its_median_and_quartiles():
    values = filled("cauchy_", 1.0, 2.0)
    quartiles = np.quantile(values, [0.25, 0.5, 0.75])
    np.testing.assert_allclose(quartiles, [1.0 - 2.0, 1.0, 1.0 + 2.0], atol=0.05)


def test_fills_replay_with_the_same_generator_seed():
    assert np.array_equal(filled("exponential_", 1.0, seed=4), filled("exponential_", 1.0, seed=4))
    assert not np.array_equal(filled("exponential_", 1.0, seed=4),
                              filled("exponential_", 1.0, seed=5))


@pytest.mark.parametrize("error,pattern,call", [
    (RuntimeError, "expects lambd > 0", lambda t: t.exponential_(-1.0)),
    (RuntimeError, r"expects p in \(0, 1\)", lambda t: t.geometric_(1.5)),
    (RuntimeError, "expects sigma > 0", lambda t: t.cauchy_(0.0, 0.0)),
    (RuntimeError, "expects std > 0", lambda t: t.log_normal_(0.0, -1.0)),
    (RuntimeError, "expects low < high", lambda t: t.random_(5, 5)),
    (TypeError, "must be floating point", lambda t: t.long().exponential_()),
    (RuntimeError, "leaf tensor that requires grad", lambda t: t.requires_grad_().random_()),
])
def test_bad_fills_are_refused_by_name(error, pattern, call):
    with pytest.raises(error, match=pattern):
        call(cr.zeros(3))


def test_the_fill_methods_exist_in_torch_with_these_names():
    torch = pytest.importorskip("torch")
    for name in ("random_", "exponential_", "log_normal_", "cauchy_", "geometric_"):
        assert hasattr(torch.Tensor, name) and hasattr(cr.Tensor, name)

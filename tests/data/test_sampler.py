"""Samplers: exact output for a seeded generator, distributions where random, lengths, argument
checks, the package generator, and (where torch is installed) the same index sequences and
lengths as torch.utils.data for the deterministic ones."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.utils.data as cr_data
from chainrule.data import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def frequencies(draws: list[int], n: int) -> np.ndarray:
    return np.bincount(np.asarray(draws, dtype=np.int64), minlength=n) / len(draws)


def assert_close_to(freq: np.ndarray, p: np.ndarray, draws: int, sigmas: float = 5.0) -> None:
    """Each frequency within ``sigmas`` standard errors of its probability."""
    se = np.sqrt(p * (1 - p) / draws)
    assert np.all(np.abs(freq - p) <= sigmas * se + 1e-12), (freq, p, se)


# ---------------------------------------------------------------- Sampler, SequentialSampler

def test_the_base_sampler_has_no_iteration_and_no_length():
    with pytest.raises(NotImplementedError):
        iter(Sampler())
    with pytest.raises(TypeError):
        len(Sampler())


@pytest.mark.parametrize("n", [0, 1, 7])
def test_sequential_sampler_is_range(n):
    sampler = SequentialSampler(list(range(100, 100 + n)))
    assert list(sampler) == list(range(n)) and len(sampler) == n
    assert list(sampler) == list(range(n))  # iterable again


# ---------------------------------------------------------------- RandomSampler

def test_random_sampler_exact_output_for_a_seeded_generator():
    assert list(RandomSampler(range(10), generator=rng(5))) == rng(5).permutation(10).tolist()
    with_replacement = RandomSampler(range(10), replacement=True, num_samples=25,
                                     generator=rng(5))
    assert list(with_replacement) == rng(5).integers(0, 10, size=25).tolist()
    g, ref = rng(2), rng(2)
    longer = list(RandomSampler(range(4), num_samples=10, generator=g))
    expected = ref.permutation(4).tolist() + ref.permutation(4).tolist() + \
        ref.permutation(4)[:2].tolist()
    assert longer == expected


@pytest.mark.parametrize("n", [1, 2, 13])
def test_random_sampler_without_replacement_is_a_new_permutation_each_time(n):
    sampler = RandomSampler(range(n), generator=rng(1))
    epochs = [list(sampler) for _ in range(6)]
    for order in epochs:
        assert sorted(order) == list(range(n)) and len(sampler) == n
    if n > 2:
        assert len({tuple(o) for o in epochs}) > 1


@pytest.mark.parametrize("n, num_samples", [(5, 3), (5, 5), (5, 12), (1, 4)])
def test_random_sampler_num_samples_without_replacement_repeats_whole_permutations(n,
                                                                                   num_samples):
    order = list(RandomSampler(range(n), num_samples=num_samples, generator=rng(3)))
    assert len(order) == num_samples
    for start in range(0, num_samples, n):
        block = order[start:start + n]
        assert len(set(block)) == len(block) and set(block) <= set(range(n))


def test_random_sampler_is_uniform():
    n, draws = 6, 60_000
    with_replacement = list(RandomSampler(range(n), True, draws, generator=rng(0)))
    assert len(with_replacement) == draws
    assert_close_to(frequencies(with_replacement, n), np.full(n, 1 / n), draws)
    blocks = np.asarray(with_replacement).reshape(-1, n)  # with replacement, repeats happen
    assert np.mean([len(set(b)) < n for b in blocks.tolist()]) > 0.9  # P = 1 - 6!/6^6 = 0.985
    sampler = RandomSampler(range(n), generator=rng(0))
    firsts = [next(iter(sampler)) for _ in range(12_000)]
    assert_close_to(frequencies(firsts, n), np.full(n, 1 / n), len(firsts))


def test_random_sampler_num_samples_follows_the_dataset_unless_given():
    data = [1, 2, 3]
    sampler = RandomSampler(data)
    data.append(4)
    assert sampler.num_samples == len(sampler) == 4
    assert len(RandomSampler(data, num_samples=9)) == 9
    assert list(RandomSampler([])) == []


@pytest.mark.parametrize("kwargs, error", [
    ({"replacement": 1}, TypeError), ({"num_samples": 0}, ValueError),
    ({"num_samples": -2}, ValueError), ({"num_samples": 2.0}, ValueError),
    ({"num_samples": True}, ValueError), ({"generator": 7}, TypeError),
])
def test_random_sampler_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        RandomSampler(range(4), **kwargs)


# ---------------------------------------------------------------- SubsetRandomSampler

def test_subset_random_sampler_exact_output_and_permutation():
    indices = [10, 3, 7, 42, 5]
    sampler = SubsetRandomSampler(indices, generator=rng(4))
    assert list(sampler) == [indices[i] for i in rng(4).permutation(5)]
    for _ in range(5):
        assert sorted(sampler) == sorted(indices)
    assert len(sampler) == 5 and list(SubsetRandomSampler([])) == []


# ---------------------------------------------------------------- WeightedRandomSampler

def test_weighted_sampler_exact_output_for_a_seeded_generator():
    weights = [1.0, 2.0, 3.0, 4.0]
    p = np.asarray(weights) / 10
    assert list(WeightedRandomSampler(weights, 20, generator=rng(9))) == \
        rng(9).choice(4, size=20, replace=True, p=p).tolist()
    assert list(WeightedRandomSampler([0, 0, 5, 0], 4, generator=rng(0))) == [2, 2, 2, 2]
    for same in (np.asarray(weights), np.asarray([1, 2, 3, 4]), cr.tensor(weights)):
        assert list(WeightedRandomSampler(same, 20, generator=rng(9))) == \
            list(WeightedRandomSampler(weights, 20, generator=rng(9)))


def test_weighted_sampler_frequencies_follow_unnormalised_weights():
    weights = [1.0, 2.0, 3.0, 0.0, 4.0]  # sum 10: p = weight / 10
    draws = 100_000
    sampler = WeightedRandomSampler(weights, draws, generator=rng(0))
    got = list(sampler)
    assert len(got) == len(sampler) == draws
    assert_close_to(frequencies(got, 5), np.asarray(weights) / 10, draws)


def test_weighted_sampler_without_replacement():
    weights = np.asarray([0.0, 1.0, 1.0, 6.0])
    sampler = WeightedRandomSampler(weights, 3, replacement=False, generator=rng(0))
    for _ in range(50):
        got = list(sampler)
        assert sorted(got) == [1, 2, 3]  # index 0 has weight 0: the other three, once each
    one = WeightedRandomSampler(weights, 1, replacement=False, generator=rng(1))
    firsts = [i for _ in range(20_000) for i in one]
    assert_close_to(frequencies(firsts, 4), weights / weights.sum(), len(firsts))
    with pytest.raises(ValueError, match="non-zero"):
        list(WeightedRandomSampler(weights, 4, replacement=False))


@pytest.mark.parametrize("weights, num_samples, kwargs, when", [
    ([1, 2], 0, {}, "init"), ([1, 2], True, {}, "init"), ([1, 2], 2.0, {}, "init"),
    ([1, 2], 2, {"replacement": 0}, "init"), ([[1, 2]], 2, {}, "init"),
    ([1, -2], 2, {}, "iter"), ([0, 0], 2, {}, "iter"), ([1, np.nan], 2, {}, "iter"),
    ([1, np.inf], 2, {}, "iter"),
])
def test_weighted_sampler_rejects_bad_arguments(weights, num_samples, kwargs, when):
    with pytest.raises(ValueError):
        list(WeightedRandomSampler(weights, num_samples, **kwargs))
    if when == "iter":
        WeightedRandomSampler(weights, num_samples, **kwargs)  # PyTorch checks when drawing


# ---------------------------------------------------------------- BatchSampler

@pytest.mark.parametrize("n, size, drop_last, expected", [
    (7, 3, False, [[0, 1, 2], [3, 4, 5], [6]]),
    (7, 3, True, [[0, 1, 2], [3, 4, 5]]),
    (6, 3, True, [[0, 1, 2], [3, 4, 5]]),
    (2, 3, True, []),
    (2, 3, False, [[0, 1]]),
    (0, 3, False, []),
])
def test_batch_sampler_batches_and_len(n, size, drop_last, expected):
    sampler = BatchSampler(SequentialSampler(range(n)), size, drop_last)
    assert list(sampler) == expected and len(sampler) == len(expected)


def test_batch_sampler_keeps_the_order_of_any_iterable():
    assert list(BatchSampler([5, 1, 4, 2, 3], 2, False)) == [[5, 1], [4, 2], [3]]
    random = BatchSampler(RandomSampler(range(10), generator=rng(0)), 4, False)
    assert [i for b in random for i in b] == rng(0).permutation(10).tolist()


@pytest.mark.parametrize("batch_size, drop_last", [(0, False), (-1, False), (True, False),
                                                   (2.0, False), (2, 1), (2, None)])
def test_batch_sampler_rejects_bad_arguments(batch_size, drop_last):
    with pytest.raises(ValueError):
        BatchSampler(range(4), batch_size, drop_last)


# ---------------------------------------------------------------- the package generator

@pytest.mark.parametrize("make", [
    lambda: RandomSampler(range(20)),
    lambda: RandomSampler(range(20), replacement=True, num_samples=30),
    lambda: SubsetRandomSampler(list(range(0, 40, 2))),
    lambda: WeightedRandomSampler([1, 2, 3, 4], 30),
])
def test_generator_none_draws_from_the_package_generator_never_numpy_global(make):
    np.random.seed(1)
    before = np.random.get_state()[1].copy()
    cr.manual_seed(11)
    first, second = list(make()), list(make())
    assert first != second  # the package generator moved on
    cr.manual_seed(11)
    assert list(make()) == first and list(make()) == second
    cr.manual_seed(12)
    assert list(make()) != first
    assert np.array_equal(np.random.get_state()[1], before)


def test_package_generator_is_the_seeded_stream():
    cr.manual_seed(3)
    assert list(RandomSampler(range(10))) == rng(3).permutation(10).tolist()


# ---------------------------------------------------------------- against torch

SIZES = [0, 1, 2, 5, 8, 13]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("batch_size", [1, 3, 5, 20])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sequential_and_batch_samplers_match_torch(n, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    tud = torch.utils.data
    data = list(range(n))
    assert list(SequentialSampler(data)) == list(tud.SequentialSampler(data))
    ours = BatchSampler(SequentialSampler(data), batch_size, drop_last)
    theirs = tud.BatchSampler(tud.SequentialSampler(data), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    if n:
        ours = BatchSampler(RandomSampler(data, generator=rng(0)), batch_size, drop_last)
        theirs = tud.BatchSampler(tud.RandomSampler(data), batch_size, drop_last)
        assert [len(b) for b in ours] == [len(b) for b in theirs] and len(ours) == len(theirs)


@pytest.mark.parametrize("n", [1, 4, 9])
@pytest.mark.parametrize("num_samples", [None, 1, 4, 10, 23])
@pytest.mark.parametrize("replacement", [False, True])
def test_random_sampler_has_torchs_length_and_block_structure(n, num_samples, replacement):
    torch = pytest.importorskip("torch")
    ours = list(RandomSampler(range(n), replacement, num_samples, generator=rng(0)))
    theirs = [int(i) for i in torch.utils.data.RandomSampler(range(n), replacement,
                                                             num_samples)]
    assert len(ours) == len(theirs)
    assert len(RandomSampler(range(n), replacement, num_samples)) == \
        len(torch.utils.data.RandomSampler(range(n), replacement, num_samples))
    assert set(ours) <= set(range(n)) and set(theirs) <= set(range(n))
    if not replacement:  # both: blocks of n distinct indices
        for order in (ours, theirs):
            for start in range(0, len(order), n):
                block = order[start:start + n]
                assert len(set(block)) == len(block)
                if len(block) == n:
                    assert sorted(block) == list(range(n))


def test_subset_and_weighted_samplers_have_torchs_lengths_and_supports():
    torch = pytest.importorskip("torch")
    tud = torch.utils.data
    indices = [3, 9, 4]
    assert len(SubsetRandomSampler(indices)) == len(tud.SubsetRandomSampler(indices))
    assert sorted(SubsetRandomSampler(indices)) == sorted(int(i) for i in
                                                          tud.SubsetRandomSampler(indices))
    weights = [0.0, 2.0, 1.0, 0.0]
    for replacement, k in ((True, 7), (False, 2)):
        ours = WeightedRandomSampler(weights, k, replacement)
        theirs = tud.WeightedRandomSampler(weights, k, replacement)
        assert len(ours) == len(theirs) == k
        assert set(ours) <= {1, 2} and set(int(i) for i in theirs) <= {1, 2}
        if not replacement:
            assert sorted(ours) == sorted(int(i) for i in theirs) == [1, 2]


def test_the_names_of_torch_utils_data_are_exported_from_chainrule_utils_data():
    torch = pytest.importorskip("torch")
    for name in ("Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
                 "WeightedRandomSampler", "BatchSampler", "ConcatDataset", "IterableDataset",
                 "Subset", "TensorDataset", "Dataset", "DataLoader", "default_collate",
                 "default_convert", "random_split"):
        assert hasattr(torch.utils.data, name), name
        assert getattr(cr_data, name) is getattr(cr.data, name), name

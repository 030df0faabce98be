"""Dataset, TensorDataset, Subset and random_split; the chainrule.utils.data alias."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import Dataset, Subset, TensorDataset, random_split


def test_tensor_dataset_rows_from_arrays_and_tensors():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = cr.tensor([0, 1, 2, 3, 4, 5])
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    assert isinstance(xi, cr.Tensor) and isinstance(yi, cr.Tensor)
    assert xi.tolist() == [8.0, 9.0] and xi.dtype == np.float32
    assert yi.item() == 4 and yi.dtype == np.int64
    assert ds[-1][1].item() == 5


def test_tensor_dataset_wraps_arrays_without_copying():
    x = np.zeros((3, 2), np.float32)
    ds = TensorDataset(x)
    x[1, 0] = 7.0
    assert ds[1][0].tolist() == [7.0, 0.0]


def test_tensor_dataset_rejects_different_first_dimensions_naming_sizes():
    with pytest.raises(ValueError, match=r"same size in the first dimension.*\[5, 4\]"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))


def test_tensor_dataset_rejects_nothing_and_scalars():
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="first"):
        TensorDataset(np.zeros(3), np.float32(1.0))


def test_base_dataset_requires_getitem_and_len():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


def test_subset_maps_positions():
    ds = TensorDataset(np.arange(10) * 10)
    sub = Subset(ds, [3, 9, 0])
    assert len(sub) == 3
    assert [sub[i][0].item() for i in range(3)] == [30, 90, 0]
    assert [s[0].item() for s in sub[[2, 0]]] == [0, 30]


def _indices(subset: Subset) -> list[int]:
    return [int(i) for i in subset.indices]


@pytest.mark.parametrize("lengths", [[7, 3], [0, 10], [2, 2, 6]])
def test_random_split_is_disjoint_and_covering(lengths):
    parts = random_split(TensorDataset(np.arange(10)), lengths, np.random.default_rng(0))
    assert [len(p) for p in parts] == lengths
    every = sorted(i for p in parts for i in _indices(p))
    assert every == list(range(10))
    values = sorted(p[i][0].item() for p in parts for i in range(len(p)))
    assert values == list(range(10))


@pytest.mark.parametrize("n, fractions", [(10, [0.8, 0.2]), (11, [0.5, 0.5]),
                                          (7, [0.3, 0.3, 0.4]), (10, [0.33, 0.33, 0.34]),
                                          (1, [1, 0])])
def test_random_split_fractions_give_pytorch_sizes(n, fractions):
    torch = pytest.importorskip("torch")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both libraries warn about empty subsets
        ours = random_split(TensorDataset(np.arange(n)), fractions, np.random.default_rng(0))
        theirs = torch.utils.data.random_split(torch.arange(n), fractions)
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    assert sorted(i for p in ours for i in _indices(p)) == list(range(n))


def test_random_split_fraction_remainder_goes_to_the_first_subsets():
    parts = random_split(TensorDataset(np.arange(11)), [0.25, 0.25, 0.25, 0.25],
                         np.random.default_rng(0))
    assert [len(p) for p in parts] == [3, 3, 3, 2]


def test_random_split_warns_on_an_empty_subset():
    with pytest.warns(UserWarning, match="empty"):
        random_split(TensorDataset(np.arange(3)), [0.9, 0.1], np.random.default_rng(0))


@pytest.mark.parametrize("lengths", [[5, 4], [6, 5], [0.5, 0.6], [-1, 11], [2.5, 7.5]])
def test_random_split_rejects_bad_lengths(lengths):
    with pytest.raises(ValueError, match="random_split"):
        random_split(TensorDataset(np.arange(10)), lengths, np.random.default_rng(0))


def test_random_split_is_reproducible_from_a_generator_or_the_package_seed():
    ds = TensorDataset(np.arange(50))

    def split(generator=None):
        return [_indices(p) for p in random_split(ds, [20, 30], generator)]

    assert split(np.random.default_rng(5)) == split(np.random.default_rng(5))
    assert split(np.random.default_rng(5)) != split(np.random.default_rng(6))
    cr.manual_seed(5)
    first = split()
    cr.manual_seed(5)
    assert split() == first


def test_utils_data_is_an_alias_of_data():
    from chainrule import data
    from chainrule.utils.data import DataLoader, TensorDataset, default_collate, random_split

    assert DataLoader is data.DataLoader and TensorDataset is data.TensorDataset
    assert random_split is data.random_split and default_collate is data.default_collate

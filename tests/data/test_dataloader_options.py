"""DataLoader's PyTorch options: sampler, batch_sampler, batch_size=None, IterableDataset,
ConcatDataset, the worker options (serial loading), argument conflicts, and (where torch is
installed) the same index sequences and len() as torch.utils.data."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)
from chainrule.tensor import Tensor
from tests.data.test_dataloader import Plain, generic
from tests.data.test_dataloader import epoch_labels as labels


def labelled(n: int = 10) -> TensorDataset:
    return TensorDataset(np.arange(n * 2, dtype=np.float32).reshape(n, 2),
                         np.arange(n, dtype=np.int64))



class Unsized(IterableDataset):
    """0, 1, ..., n-1 as (array, label) samples, without __len__."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return ((np.full(2, i, np.float32), i) for i in range(self.n))


class Stream(Unsized):
    """The same with a __len__."""

    def __len__(self):
        return self.n


# ---------------------------------------------------------------- sampler, batch_sampler

@pytest.mark.parametrize("collate_fn", [None, generic])
def test_a_sampler_sets_the_order_and_batch_size_groups_it(collate_fn):
    ds = labelled(10)
    loader = DataLoader(ds, batch_size=3, sampler=[9, 2, 2, 7, 0], collate_fn=collate_fn)
    assert labels(loader) == [[9, 2, 2], [7, 0]] and len(loader) == 2
    loader = DataLoader(ds, batch_size=3, sampler=[9, 2, 2, 7, 0], drop_last=True,
                        collate_fn=collate_fn)
    assert labels(loader) == [[9, 2, 2]] and len(loader) == 1
    sub = Subset(ds, [5, 6, 7, 8])
    assert labels(DataLoader(sub, 2, sampler=[3, 0, 1], collate_fn=collate_fn)) == \
        [[8, 5], [6]]


def test_a_random_sampler_in_a_loader_gives_its_order():
    ds = labelled(12)
    sampler = SubsetRandomSampler(list(range(0, 12, 3)), generator=np.random.default_rng(2))
    expected = [list(range(0, 12, 3))[i] for i in np.random.default_rng(2).permutation(4)]
    assert [i for b in labels(DataLoader(ds, 3, sampler=sampler)) for i in b] == expected
    weighted = WeightedRandomSampler([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 5)
    assert labels(DataLoader(ds, 2, sampler=weighted)) == [[2, 2], [2, 2], [2]]


def test_a_loader_with_shuffle_has_a_random_sampler_drawing_the_same_permutation():
    ds = labelled(9)
    loader = DataLoader(ds, 4, shuffle=True, generator=np.random.default_rng(0))
    assert isinstance(loader.sampler, RandomSampler)
    assert isinstance(loader.batch_sampler, BatchSampler)
    assert loader.batch_sampler.batch_size == 4 and loader.batch_sampler.sampler is loader.sampler
    assert list(loader.sampler) == np.random.default_rng(0).permutation(9).tolist()
    assert isinstance(DataLoader(ds).sampler, SequentialSampler)
    again = DataLoader(ds, 4, shuffle=True, generator=np.random.default_rng(0))
    assert [i for b in labels(again) for i in b] == list(loader.sampler.__class__(
        ds, generator=np.random.default_rng(0)))


@pytest.mark.parametrize("collate_fn", [None, generic])
def test_a_batch_sampler_gives_the_batches(collate_fn):
    ds = labelled(10)
    batches = [[0, 1], [5], [3, 2, 4], [9, 9]]
    loader = DataLoader(ds, batch_sampler=batches, collate_fn=collate_fn)
    assert labels(loader) == batches and len(loader) == 4
    assert loader.batch_size is None and loader.drop_last is False
    sampler = BatchSampler(SequentialSampler(ds), 4, drop_last=True)
    assert labels(DataLoader(ds, batch_sampler=sampler)) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_fast_path_and_per_sample_path_agree_for_a_batch_sampler(monkeypatch):
    calls = []
    original = TensorDataset.__getitem__
    monkeypatch.setattr(TensorDataset, "__getitem__",
                        lambda self, i: calls.append(i) or original(self, i))
    ds = labelled(8)
    fast = list(DataLoader(ds, batch_sampler=[[7, 1], [3]]))
    assert calls == []
    slow = list(DataLoader(ds, batch_sampler=[[7, 1], [3]], collate_fn=generic))
    assert calls == [7, 1, 3]
    for a, b in zip(fast, slow, strict=True):
        for u, v in zip(a, b, strict=True):
            assert u.dtype == v.dtype
            np.testing.assert_array_equal(u.numpy(), v.numpy())


def test_a_sampler_may_yield_keys_that_are_not_ints():
    table = {"a": (np.zeros(1, np.float32), 0), "b": (np.ones(1, np.float32), 1)}
    (x, y), = DataLoader(table, batch_size=2, sampler=["b", "a"])
    assert y.tolist() == [1, 0] and x.tolist() == [[1.0], [0.0]]


# ---------------------------------------------------------------- batch_size=None

def test_batch_size_none_yields_single_converted_samples():
    loader = DataLoader(Plain(3), batch_size=None)
    items = list(loader)
    assert len(loader) == 3 and len(items) == 3
    x, y = items[2]
    assert isinstance(x, Tensor) and x.shape == (2,) and x.tolist() == [2.0, 2.0]
    assert y == 2 and isinstance(y, int)
    rows = list(DataLoader(labelled(4), batch_size=None, sampler=[3, 1]))
    assert [y.item() for _, y in rows] == [3, 1] and rows[0][0].shape == (2,)
    shuffled = DataLoader(labelled(6), batch_size=None, shuffle=True,
                          generator=np.random.default_rng(1))
    assert [y.item() for _, y in shuffled] == np.random.default_rng(1).permutation(6).tolist()


def test_batch_size_none_passes_each_sample_to_collate_fn():
    seen = []
    out = list(DataLoader([10, 20, 30], batch_size=None, collate_fn=lambda s: seen.append(s)
                          or s * 2))
    assert seen == [10, 20, 30] and out == [20, 40, 60]


# ---------------------------------------------------------------- IterableDataset

def test_an_iterable_dataset_is_batched_in_stream_order():
    loader = DataLoader(Stream(7), batch_size=3)
    assert labels(loader) == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    loader = DataLoader(Stream(7), batch_size=3, drop_last=True)
    assert labels(loader) == [[0, 1, 2], [3, 4, 5]] and len(loader) == 2
    x, _ = next(iter(DataLoader(Stream(7), batch_size=3)))
    assert x.shape == (3, 2) and x.dtype == np.float32
    single = DataLoader(Stream(4), batch_size=None)
    assert [y for _, y in single] == [0, 1, 2, 3] and len(single) == 4
    assert labels(DataLoader(Stream(4), batch_size=2, shuffle=False)) == [[0, 1], [2, 3]]
    assert labels(DataLoader(Unsized(5), batch_size=2)) == [[0, 1], [2, 3], [4]]
    assert [y for _, y in DataLoader(Unsized(3), batch_size=None)] == [0, 1, 2]
    assert [y for _, y in Unsized(3)] == [0, 1, 2]
    with pytest.raises(TypeError):
        len(DataLoader(Unsized(5), batch_size=2))
    with pytest.raises(TypeError):
        len(Unsized(5))


@pytest.mark.parametrize("kwargs, match", [
    ({"shuffle": True}, "shuffle"),
    ({"sampler": [0, 1]}, "sampler"),
    ({"batch_sampler": [[0, 1]], "batch_size": 1}, "batch_sampler"),
])
def test_an_iterable_dataset_refuses_shuffle_and_samplers(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(Stream(4), **kwargs)


# ---------------------------------------------------------------- ConcatDataset

def test_concat_dataset_indexing_and_cumulative_sizes():
    a, b, c = labelled(3), Plain(0), TensorDataset(np.zeros((2, 2), np.float32),
                                                   np.arange(100, 102))
    both = ConcatDataset([a, b, c])
    assert both.cumulative_sizes == [3, 3, 5] and len(both) == 5
    assert [int(both[i][1]) for i in range(5)] == [0, 1, 2, 100, 101]
    assert [int(both[i][1]) for i in range(-5, 0)] == [0, 1, 2, 100, 101]
    for bad in (5, 6, -6):
        with pytest.raises(IndexError):
            both[bad]
    assert len(a + c) == 5 and int((a + c)[3][1]) == 100
    assert labels(DataLoader(both, 2)) == [[0, 1], [2, 100], [101]]
    with pytest.raises(ValueError):
        ConcatDataset([])
    with pytest.raises(TypeError):
        ConcatDataset([a, Stream(3)])


def test_concat_dataset_matches_torch():
    torch = pytest.importorskip("torch")
    sizes = [3, 0, 4, 1]
    ours = ConcatDataset([list(range(10 * k, 10 * k + s)) for k, s in enumerate(sizes)])
    theirs = torch.utils.data.ConcatDataset([list(range(10 * k, 10 * k + s))
                                             for k, s in enumerate(sizes)])
    assert ours.cumulative_sizes == theirs.cumulative_sizes and len(ours) == len(theirs)
    assert [ours[i] for i in range(-8, 8)] == [theirs[i] for i in range(-8, 8)]


# ---------------------------------------------------------------- workers and no-op options

def make_loaders(workers, **kwargs):
    return (DataLoader(labelled(11), 3, shuffle=True, num_workers=workers,
                       generator=np.random.default_rng(4), **kwargs),
            DataLoader(labelled(11), 3, num_workers=workers,
                       sampler=RandomSampler(range(11), generator=np.random.default_rng(4)),
                       **kwargs),
            DataLoader(labelled(11), num_workers=workers, batch_sampler=[[1, 2], [0]]),
            DataLoader(Stream(5), 2, num_workers=workers))


def test_num_workers_gives_the_same_batches_as_zero():
    zero, two = make_loaders(0), make_loaders(2, prefetch_factor=4, timeout=5,
                                             pin_memory=True, persistent_workers=True)
    for a, b in zip(zero, two, strict=True):
        assert [labels(a) for _ in range(2)] == [labels(b) for _ in range(2)]
        assert len(a) == len(b)


def test_worker_init_fn_is_called_for_each_worker_id_when_an_epoch_starts():
    calls = []
    loader = DataLoader(labelled(6), 2, num_workers=3, worker_init_fn=calls.append)
    assert calls == []
    labels(loader)
    assert calls == [0, 1, 2]
    labels(loader)
    assert calls == [0, 1, 2, 0, 1, 2]
    calls.clear()
    persistent = DataLoader(labelled(6), 2, num_workers=2, worker_init_fn=calls.append,
                            persistent_workers=True)
    labels(persistent), labels(persistent)
    assert calls == [0, 1]
    calls.clear()
    labels(DataLoader(labelled(6), 2, worker_init_fn=calls.append))
    assert calls == []  # no workers, no call, as in PyTorch


def test_the_worker_options_are_kept_and_prefetch_factor_defaults_to_two():
    loader = DataLoader(labelled(4), num_workers=2, pin_memory=True, timeout=1.5)
    assert loader.num_workers == 2 and loader.prefetch_factor == 2 and loader.pin_memory
    assert DataLoader(labelled(4)).prefetch_factor is None


# ---------------------------------------------------------------- argument conflicts

@pytest.mark.parametrize("kwargs, match", [
    ({"sampler": [0], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
    ({"batch_sampler": [[0]], "shuffle": True}, "batch_sampler option is mutually exclusive"),
    ({"batch_sampler": [[0]], "sampler": [0]}, "batch_sampler option is mutually exclusive"),
    ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
    ({"batch_size": None, "drop_last": True}, "mutually exclusive with drop_last"),
    ({"num_workers": -1}, "num_workers"),
    ({"num_workers": 1.5}, "num_workers"),
    ({"timeout": -1}, "timeout"),
    ({"prefetch_factor": 2}, "prefetch_factor"),
    ({"num_workers": 1, "prefetch_factor": -1}, "prefetch_factor"),
    ({"persistent_workers": True}, "persistent_workers"),
    ({"batch_size": 0}, "batch_size"),
    ({"drop_last": 1}, "drop_last"),
])
def test_conflicting_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(labelled(4), **kwargs)


@pytest.mark.parametrize("kwargs", [
    {"sampler": [0], "shuffle": True}, {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "shuffle": True}, {"batch_sampler": [[0]], "sampler": [0]},
    {"batch_sampler": [[0]], "drop_last": True}, {"batch_size": None, "drop_last": True},
    {"num_workers": -1}, {"timeout": -1}, {"prefetch_factor": 2},
    {"persistent_workers": True}, {"batch_size": 0},
])
def test_torch_refuses_the_same_combinations(kwargs):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(4)), **kwargs)


def test_the_allowed_combinations_are_accepted():
    ds = labelled(4)
    DataLoader(ds, batch_sampler=[[0]], batch_size=1, shuffle=False, drop_last=False)
    DataLoader(ds, sampler=[0], shuffle=False)
    DataLoader(ds, batch_size=None, shuffle=True)
    DataLoader(ds, num_workers=2, prefetch_factor=0)


# ---------------------------------------------------------------- state_dict

def test_state_dict_refuses_a_loader_that_does_not_draw_its_own_order():
    for loader in (DataLoader(labelled(4), 2, sampler=[0, 1]),
                   DataLoader(labelled(4), batch_sampler=[[0, 1]]),
                   DataLoader(labelled(4), batch_size=None),
                   DataLoader(Stream(4), 2)):
        with pytest.raises(RuntimeError, match="own order"):
            loader.state_dict()
        with pytest.raises(RuntimeError, match="own order"):
            loader.load_state_dict({"order": None, "position": 0, "generator_state": None})
    for loader in (DataLoader(labelled(4), 2, num_workers=2),
                   DataLoader(labelled(4), 2, shuffle=True)):
        assert loader.state_dict()["position"] == 0


def test_package_generator_drives_shuffle_with_workers():
    def run():
        cr.manual_seed(5)
        return labels(DataLoader(labelled(10), 4, shuffle=True, num_workers=2))

    assert run() == run()


# ---------------------------------------------------------------- against torch

class Rows(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


class TorchStream:
    """Built lazily: a torch IterableDataset of 0..n-1 with a length."""

    @staticmethod
    def make(torch, n):
        class S(torch.utils.data.IterableDataset):
            def __iter__(self):
                return iter(range(n))

            def __len__(self):
                return n
        return S()


class OurStream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def as_lists(loader):
    return [b.tolist() if hasattr(b, "tolist") else b for b in loader]


@pytest.mark.parametrize("n", [0, 1, 5, 9])
@pytest.mark.parametrize("batch_size, drop_last", [(None, False)] + [
    (size, drop) for size in (1, 2, 4, 11) for drop in (False, True)])
def test_index_sequences_and_len_match_torch(n, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    tud = torch.utils.data
    sampler = list(range(n - 1, -1, -2))
    cases = [
        ({}, {}),
        ({"sampler": sampler}, {"sampler": sampler}),
        ({"sampler": SequentialSampler(range(n))}, {"sampler": tud.SequentialSampler(range(n))}),
    ]
    for ours_kw, theirs_kw in cases:
        ours = DataLoader(Rows(n), batch_size=batch_size, drop_last=drop_last, **ours_kw)
        theirs = tud.DataLoader(Rows(n), batch_size=batch_size, drop_last=drop_last,
                                **theirs_kw)
        assert len(ours) == len(theirs)
        assert as_lists(ours) == as_lists(theirs)
    ours = DataLoader(OurStream(n), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(TorchStream.make(torch, n), batch_size=batch_size,
                            drop_last=drop_last)
    assert len(ours) == len(theirs) and as_lists(ours) == as_lists(theirs)
    if batch_size is not None and n:
        ours = DataLoader(Rows(n), batch_size=batch_size, drop_last=drop_last, shuffle=True)
        theirs = tud.DataLoader(Rows(n), batch_size=batch_size, drop_last=drop_last,
                                shuffle=True)
        assert len(ours) == len(theirs)
        assert [len(b) for b in ours] == [len(b) for b in theirs]
        batches = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
        ours = DataLoader(Rows(n), batch_sampler=batches)
        theirs = tud.DataLoader(Rows(n), batch_sampler=tud.BatchSampler(
            tud.SequentialSampler(range(n)), batch_size, drop_last))
        assert len(ours) == len(theirs) and as_lists(ours) == as_lists(theirs)

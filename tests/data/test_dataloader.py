"""DataLoader: coverage of every index, len, shuffling and seeding, the TensorDataset fast
path, and exact resume through state_dict."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.data import DataLoader, Dataset, Subset, TensorDataset, default_collate


def make_dataset(n: int = 23) -> TensorDataset:
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return TensorDataset(x, np.arange(n, dtype=np.int64))


def epoch_labels(loader: DataLoader) -> list[list[int]]:
    return [y.tolist() for _, y in loader]


def generic(batch):
    """The default collation, but not the same object: forces the per-sample path."""
    return default_collate(batch)


class Plain(Dataset):
    """A dataset with nothing but __getitem__ and __len__ (always the per-sample path)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(2, i, np.float32), i


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 4, 5, 23, 30])
def test_every_index_once_per_epoch(shuffle, drop_last, batch_size):
    n = 23
    loader = DataLoader(make_dataset(n), batch_size, shuffle, drop_last=drop_last,
                        generator=np.random.default_rng(0))
    for _ in range(2):
        batches = epoch_labels(loader)
        seen = [i for b in batches for i in b]
        assert len(seen) == len(set(seen))
        if drop_last:
            assert len(seen) == (n // batch_size) * batch_size
            assert all(len(b) == batch_size for b in batches)
        else:
            assert sorted(seen) == list(range(n))
        assert len(batches) == len(loader)
        if not shuffle:
            assert seen == list(range(len(seen)))


@pytest.mark.parametrize("n, batch_size, drop_last",
                         [(0, 3, False), (1, 3, False), (1, 3, True), (9, 3, False),
                          (10, 3, False), (10, 3, True), (10, 10, True), (10, 11, True)])
def test_len_and_batch_sizes_match_torch(n, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(n)),
                                         batch_size=batch_size, drop_last=drop_last)
    ours = DataLoader(TensorDataset(np.arange(n)), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [len(b[0]) for b in ours] == [len(b[0]) for b in theirs]
    expected = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(ours) == expected


def test_batch_shapes_and_dtypes():
    x = np.zeros((10, 1, 4, 4), np.float64)
    ds = TensorDataset(x, np.arange(10), np.ones(10, np.float32))
    images, labels, weights = next(iter(DataLoader(ds, batch_size=4)))
    assert images.shape == (4, 1, 4, 4) and images.dtype == np.float64
    assert labels.shape == (4,) and labels.dtype == np.int64
    assert weights.shape == (4,) and weights.dtype == np.float32
    points, ids = next(iter(DataLoader(Plain(5), batch_size=5)))
    assert points.shape == (5, 2) and points.dtype == np.float32
    assert ids.dtype == np.int64 and ids.tolist() == [0, 1, 2, 3, 4]


def test_same_generator_seed_same_order_different_seed_different_order():
    ds = make_dataset(100)

    def order(seed):
        return epoch_labels(DataLoader(ds, 10, shuffle=True, generator=np.random.default_rng(seed)))

    assert order(1) == order(1)
    assert order(1) != order(2)


def test_manual_seed_reproduces_the_order_of_the_package_generator():
    loader = DataLoader(make_dataset(100), 10, shuffle=True)
    cr.manual_seed(7)
    first, second = epoch_labels(loader), epoch_labels(loader)
    assert first != second  # a new permutation each epoch
    cr.manual_seed(7)
    assert epoch_labels(loader) == first and epoch_labels(loader) == second
    cr.manual_seed(8)
    assert epoch_labels(loader) != first


def test_shuffling_never_touches_numpy_global_random_state():
    np.random.seed(1234)
    before = np.random.get_state()
    for generator in (None, np.random.default_rng(0)):
        for loader in (DataLoader(make_dataset(), 4, shuffle=True, generator=generator),
                       DataLoader(Plain(9), 2, shuffle=True, generator=generator)):
            epoch_labels(loader)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1])
    assert before[2:] == after[2:]


@pytest.mark.parametrize("shuffle, drop_last", [(False, False), (True, False), (True, True)])
def test_fast_path_gives_the_batches_of_the_generic_path(shuffle, drop_last):
    ds = make_dataset(23)
    fast = DataLoader(ds, 5, shuffle, drop_last=drop_last, generator=np.random.default_rng(3))
    slow = DataLoader(ds, 5, shuffle, collate_fn=generic, drop_last=drop_last,
                      generator=np.random.default_rng(3))
    sub = Subset(Subset(ds, np.arange(22, -1, -1)), list(range(3, 23)) + [0, 1, 2])
    fast_sub = DataLoader(sub, 5, shuffle, drop_last=drop_last,
                          generator=np.random.default_rng(3))
    slow_sub = DataLoader(sub, 5, shuffle, collate_fn=generic, drop_last=drop_last,
                          generator=np.random.default_rng(3))
    for a_loader, b_loader in ((fast, slow), (fast_sub, slow_sub)):
        pairs = list(zip(a_loader, b_loader, strict=True))
        assert len(pairs) == len(a_loader)
        for a, b in pairs:
            assert isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) == 2
            for u, v in zip(a, b):
                assert u.dtype == v.dtype and u.shape == v.shape
                np.testing.assert_array_equal(u.numpy(), v.numpy())


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_property_each_index_at_most_once_and_all_unless_dropped(n, batch_size, shuffle,
                                                                  drop_last, seed):
    loader = DataLoader(TensorDataset(np.arange(n)), batch_size, shuffle, drop_last=drop_last,
                        generator=np.random.default_rng(seed))
    seen = [i for (b,) in loader for i in b.tolist()]
    assert len(seen) == len(set(seen)) and set(seen) <= set(range(n))
    assert len(seen) == (n - n % batch_size if drop_last else n)


def test_a_plain_list_is_a_dataset():
    (numbers, values), = DataLoader([(1, np.float32(2.0)), (3, np.float32(4.0))], batch_size=2)
    assert numbers.tolist() == [1, 3] and values.dtype == np.float32


def test_fast_path_never_calls_getitem(monkeypatch):
    calls = []
    original = TensorDataset.__getitem__

    def counting(self, index):
        calls.append(index)
        return original(self, index)

    monkeypatch.setattr(TensorDataset, "__getitem__", counting)
    ds = make_dataset(20)
    assert sum(len(y) for _, y in DataLoader(ds, 6, shuffle=True)) == 20
    assert sum(len(y) for _, y in DataLoader(Subset(ds, range(0, 20, 2)), 3)) == 10
    assert calls == []
    list(DataLoader(ds, 6, collate_fn=generic))
    assert len(calls) == 20


def test_a_subclass_overriding_getitem_is_honoured():
    class PlusOne(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x + 1, y

    (x, _), = DataLoader(PlusOne(np.zeros((3, 2), np.float32), np.arange(3)), 3)
    assert x.tolist() == [[1, 1]] * 3


def test_custom_collate_fn_receives_the_list_of_samples():
    seen = []
    loader = DataLoader(Plain(5), 2, collate_fn=lambda b: seen.append(b) or len(b))
    assert list(loader) == [2, 2, 1]
    assert [i for _, i in seen[0]] == [0, 1]


def test_breaking_out_of_an_epoch_then_iterating_starts_a_fresh_epoch():
    loader = DataLoader(make_dataset(20), 4, shuffle=True, generator=np.random.default_rng(0))
    for _ in loader:
        break
    assert sorted(i for b in epoch_labels(loader) for i in b) == list(range(20))


def run_straight(make_loader, epochs):
    loader = make_loader()
    return [epoch_labels(loader) for _ in range(epochs)]


def run_interrupted(make_loader, epochs, stop_epoch, stop_batch, save_rng=False):
    """Run, stop after ``stop_batch`` batches of epoch ``stop_epoch``, save, resume in a new
    loader (through JSON) and finish; return the same lists as ``run_straight``."""
    loader = make_loader()
    done = [epoch_labels(loader) for _ in range(stop_epoch)]
    partial = []
    for _, y in loader:
        partial.append(y.tolist())
        if len(partial) == stop_batch:
            break
    state = json.loads(json.dumps(loader.state_dict()))
    rng_state = json.loads(json.dumps(cr.get_rng_state())) if save_rng else None
    cr.manual_seed(999)  # a fresh process would start from some other state
    resumed = make_loader(seed=999)
    resumed.load_state_dict(state)
    if save_rng:
        cr.set_rng_state(rng_state)
    done.append(partial + epoch_labels(resumed))
    done += [epoch_labels(resumed) for _ in range(epochs - stop_epoch - 1)]
    return done


@pytest.mark.parametrize("stop_batch", [1, 3, 5])
def test_state_dict_resumes_the_exact_order_with_an_own_generator(stop_batch):
    def make_loader(seed=0):
        return DataLoader(make_dataset(23), 5, shuffle=True, drop_last=stop_batch == 3,
                          generator=np.random.default_rng(seed))

    straight = run_straight(make_loader, 4)
    assert run_interrupted(make_loader, 4, 1, stop_batch) == straight


def test_state_dict_resumes_with_the_package_generator_and_its_saved_state():
    def make_loader(seed=None):
        return DataLoader(make_dataset(23), 4, shuffle=True)

    cr.manual_seed(0)
    straight = run_straight(make_loader, 3)
    cr.manual_seed(0)
    assert run_interrupted(make_loader, 3, 1, 2, save_rng=True) == straight


def test_state_dict_contents_and_between_epochs():
    loader = DataLoader(make_dataset(10), 4, shuffle=True, generator=np.random.default_rng(0))
    assert loader.state_dict()["order"] is None
    it = iter(loader)
    next(it)
    state = loader.state_dict()
    assert sorted(state["order"]) == list(range(10)) and state["position"] == 1
    assert state["generator_state"] == loader.generator.bit_generator.state
    list(it)
    assert loader.state_dict()["order"] is None and loader.state_dict()["position"] == 0
    assert DataLoader(make_dataset(10)).state_dict()["generator_state"] is None


def test_load_state_dict_rejects_a_state_of_another_dataset():
    loader = DataLoader(make_dataset(10), 4, shuffle=True)
    iter(loader)
    state = loader.state_dict()
    with pytest.raises(ValueError, match="permutation"):
        DataLoader(make_dataset(12), 4, shuffle=True).load_state_dict(state)
    with pytest.raises(ValueError, match="position"):
        DataLoader(make_dataset(10), 4).load_state_dict({**state, "position": 9})
    own = DataLoader(make_dataset(10), generator=np.random.default_rng(0)).state_dict()
    with pytest.raises(ValueError, match="package generator"):
        DataLoader(make_dataset(10)).load_state_dict(own)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"num_workers": -1}, ValueError, "num_workers"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": 2.5}, ValueError, "batch_size"),
    ({"generator": 3}, TypeError, "np.random.Generator"),
])
def test_bad_arguments_fail_clearly(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(make_dataset(), **kwargs)

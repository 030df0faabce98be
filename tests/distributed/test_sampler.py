"""``DistributedSampler``: PyTorch's shares, padding and lengths; one permutation per epoch
shared by every rank."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.utils.data import DistributedSampler
from tests.optional import needs_torch

CASES = [(size, replicas, drop_last) for size in (0, 1, 5, 7, 12) for replicas in (1, 2, 3, 5)
         for drop_last in (False, True)]


def shares(size, replicas, **kw):
    return [list(DistributedSampler(range(size), num_replicas=replicas, rank=r, **kw))
            for r in range(replicas)]


@needs_torch
@pytest.mark.parametrize("size,replicas,drop_last", CASES)
def test_unshuffled_shares_equal_torchs(size, replicas, drop_last):
    from torch.utils.data import DistributedSampler as TorchSampler

    expected = [list(TorchSampler(range(size), num_replicas=replicas, rank=r, shuffle=False,
                                  drop_last=drop_last)) for r in range(replicas)]
    got = shares(size, replicas, shuffle=False, drop_last=drop_last)
    assert got == expected
    assert [len(DistributedSampler(range(size), num_replicas=replicas, rank=0,
                                   drop_last=drop_last))] == [len(expected[0])]


@pytest.mark.parametrize("size,replicas,drop_last", CASES)
def test_shuffled_shares_cover_the_data_as_the_unshuffled_ones_do(size, replicas, drop_last):
    """Shuffled, the shares are the same permutation cut the same way: disjoint when the
    data divides evenly or the tail is dropped, every index present unless dropped."""
    got = shares(size, replicas, shuffle=True, seed=3, drop_last=drop_last)
    flat = [i for share in got for i in share]
    assert len({len(s) for s in got}) <= 1
    if drop_last:
        assert len(flat) == len(set(flat)) == size - size % replicas
    else:
        assert set(flat) == set(range(size))
        assert len(flat) == -(-size // replicas) * replicas if size else len(flat) == 0


def test_the_permutation_is_the_seeded_one_and_set_epoch_changes_it():
    a = DistributedSampler(range(10), num_replicas=2, rank=0, seed=5)
    b = DistributedSampler(range(10), num_replicas=2, rank=1, seed=5)
    permutation = np.random.default_rng(5).permutation(10)
    assert list(a) == permutation[0::2].tolist() and list(b) == permutation[1::2].tolist()
    first = list(a)
    a.set_epoch(1)
    assert list(a) == np.random.default_rng(6).permutation(10)[0::2].tolist() != first
    assert list(a) == list(a)  # the same epoch gives the same order


@pytest.mark.parametrize("rank", [-1, 2])
def test_a_rank_outside_the_replicas_is_refused(rank):
    with pytest.raises(ValueError, match=rf"Invalid rank {rank}, rank should be in the "
                                         r"interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=rank)


def test_without_a_process_group_the_defaults_need_one():
    with pytest.raises(ValueError, match="process group has not been initialized"):
        DistributedSampler(range(4))


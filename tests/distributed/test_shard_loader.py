"""``ShardLoader``, the loader of ``fit(distributed=True)`` and ``chainrule train
--distributed``: this rank's DistributedSampler share in batches, resumable from two numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from chainrule.data import DistributedSampler, TensorDataset
from chainrule.train.data_parallel import ShardLoader


def dataset(n=23):
    return TensorDataset(np.arange(n, dtype=np.float32)[:, None], np.arange(n))


def labels(batches):
    return [b[1].tolist() for b in batches]


@pytest.mark.parametrize("rank", [0, 1, 2])
def test_batches_are_the_samplers_share_in_order(rank):
    loader = ShardLoader(dataset(), 4, seed=3, num_replicas=3, rank=rank)
    loader.set_epoch(2)
    share = DistributedSampler(range(23), num_replicas=3, rank=rank, seed=3)
    share.set_epoch(2)
    expected = list(share)
    assert labels(loader) == [expected[i:i + 4] for i in range(0, len(expected), 4)]
    assert len(loader) == 2  # 8 samples per rank (23 padded to 24), batches of 4


def test_resume_mid_epoch_gives_the_remaining_batches():
    loader = ShardLoader(dataset(), 3, seed=1, num_replicas=2, rank=1)
    loader.set_epoch(4)
    whole = labels(loader)
    it = iter(loader)
    next(it), next(it)
    state = loader.state_dict()
    assert state == {"epoch": 4, "position": 2}
    fresh = ShardLoader(dataset(), 3, seed=1, num_replicas=2, rank=1)
    fresh.load_state_dict(state)
    fresh.set_epoch(4)  # fit calls this at the start of the resumed epoch: it must not reset
    assert labels(fresh) == whole[2:]
    fresh.set_epoch(5)  # the next epoch starts from its first batch
    assert len(labels(fresh)) == len(loader)


def test_a_position_outside_the_epoch_is_refused():
    loader = ShardLoader(dataset(), 3, num_replicas=2, rank=0)
    with pytest.raises(ValueError, match="position 9 is outside the 4 batches of an epoch"):
        loader.load_state_dict({"epoch": 0, "position": 9})


@pytest.mark.parametrize("saved,distributed,message", [
    (2, False, "trained with --distributed by 2 processes; resume it with 'mpiexec -n 2 "
               "chainrule train --resume RUN --distributed'"),
    (2, True, "trained by 2 processes; resume it with mpiexec -n 2 (this job has 1)"),
    (None, True, "trained without --distributed; resume it with 'chainrule train --resume "
                 "RUN' alone"),
])
def test_a_run_resumes_only_as_it_was_trained(tmp_path, saved, distributed, message):
    from chainrule import nn
    from chainrule.app.ranks import WORLD_SIZE, check_resumable
    from chainrule.train import Checkpoint

    path = str(tmp_path / "checkpoint.safetensors")
    Checkpoint(nn.Linear(2, 2)).save(path, extra={} if saved is None else {WORLD_SIZE: saved})
    with pytest.raises(ValueError, match=re.escape(message)):
        check_resumable(path, "RUN", distributed)


def test_a_matching_run_passes_the_resume_check(tmp_path):
    from chainrule import nn
    from chainrule.app.ranks import check_resumable
    from chainrule.train import Checkpoint

    path = str(tmp_path / "checkpoint.safetensors")
    Checkpoint(nn.Linear(2, 2)).save(path)
    check_resumable(path, "RUN", distributed=False)  # a plain run, resumed plainly

"""What ``fit(..., distributed=True)`` adds: the model wrapped in ``DistributedDataParallel``,
each rank's shard of the data in a resumable loader, and the numbers every rank must agree on
(the batch loss the callbacks see, the epoch's loss and metrics) averaged over the ranks."""

from __future__ import annotations

import math
from typing import Any, Iterator, Sequence

import numpy as np

from .. import distributed as dist
from ..data import DistributedSampler, TensorDataset, default_collate


def setup(model: Any) -> Any:
    """Join the job's process group (if not yet) and wrap ``model`` (if not yet)."""
    if not dist.is_initialized():
        dist.init_process_group("mpi")
    if isinstance(model, dist.DistributedDataParallel):
        return model
    return dist.DistributedDataParallel(model)


def is_writer() -> bool:
    """Whether this process writes files and progress: rank 0, or any process outside a job."""
    return not dist.is_initialized() or dist.get_rank() == 0


class ShardLoader:
    """Batches of this rank's share of ``dataset`` (a ``DistributedSampler``), resumable.

    ``state_dict()`` is ``{"epoch": …, "position": batches handed out}``: the sampler's order is
    a function of its seed and epoch, so these two numbers restore it exactly on every rank.

    Args:
        dataset: a ``TensorDataset`` or any map-style dataset.
        batch_size: samples per batch on this rank (the global batch is world size times it).
        shuffle, seed: the sampler's; the same on every rank.
    """

    def __init__(self, dataset: Any, batch_size: int, shuffle: bool = True, seed: int = 0,
                 num_replicas: int | None = None, rank: int | None = None) -> None:
        self.dataset, self.batch_size = dataset, batch_size
        self.sampler = DistributedSampler(dataset, num_replicas, rank, shuffle=shuffle,
                                          seed=seed)
        self.position = 0
        self._resume_from: int | None = None

    def __len__(self) -> int:
        return math.ceil(len(self.sampler) / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch``; after ``load_state_dict`` of the same epoch, resume it."""
        if self._resume_from is not None and epoch == self.sampler.epoch:
            return
        self._resume_from = None
        self.sampler.set_epoch(epoch)
        self.position = 0

    def __iter__(self) -> Iterator[Any]:
        indices = np.asarray(list(self.sampler), dtype=np.int64)
        start = self._resume_from or 0
        self._resume_from, self.position = None, start
        for begin in range(start * self.batch_size, len(indices), self.batch_size):
            self.position += 1
            yield self._batch(indices[begin:begin + self.batch_size])

    def _batch(self, indices: np.ndarray) -> Any:
        if isinstance(self.dataset, TensorDataset):  # one fancy index per tensor
            return tuple(t[indices] for t in self.dataset.tensors)
        return default_collate([self.dataset[int(i)] for i in indices])

    def state_dict(self) -> dict[str, int]:
        return {"epoch": int(self.sampler.epoch), "position": int(self.position)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        epoch, position = int(state["epoch"]), int(state["position"])
        if not 0 <= position <= len(self):
            raise ValueError(f"ShardLoader.load_state_dict: position {position} is outside the "
                             f"{len(self)} batches of an epoch")
        self.sampler.set_epoch(epoch)
        self.position, self._resume_from = position, position


def shard_loader(data: Any, batch_size: int, shuffle: bool, seed: int) -> Any:
    """A ``ShardLoader`` over an ``(x, y)`` pair; any other loader is used as given (it should
    draw from a ``DistributedSampler``)."""
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return ShardLoader(TensorDataset(*data), batch_size, shuffle, seed)
    return data


def start_epoch(loader: Any, epoch: int) -> None:
    """``set_epoch`` on the loader or its sampler, so that every epoch has a new order."""
    for owner in (loader, getattr(loader, "sampler", None)):
        if hasattr(owner, "set_epoch"):
            owner.set_epoch(epoch)
            return


def mean_over_ranks(value: float) -> float:
    """The mean of ``value`` over the ranks (every rank gets the same number)."""
    from ..tensor import Tensor

    t = Tensor(np.array([value], dtype=np.float64))
    dist.all_reduce(t, dist.ReduceOp.AVG)
    return float(t.data[0])


def epoch_means(total: float, count: int, names: Sequence[str], results: Sequence[float]
                ) -> dict[str, float]:
    """The sample-weighted means over all ranks of the loss (``total / count`` on each rank)
    and of the metric ``results`` (each a mean over this rank's ``count`` samples)."""
    from ..tensor import Tensor

    t = Tensor(np.array([total, count, *(r * count for r in results)], dtype=np.float64))
    dist.all_reduce(t)
    sums = t.data
    count_all = max(sums[1], 1.0)
    return {"loss": sums[0] / count_all,
            **{name: s / count_all for name, s in zip(names, sums[2:])}}

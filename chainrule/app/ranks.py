"""``chainrule train --distributed``: what makes a run directory safe when N processes train
it (under ``mpiexec -n N``): rank 0 alone writes files and prints; a stop signal is acted on at
the same batch by every rank; the checkpoint records the world size, since a run resumes
exactly only with the same number of ranks (each rank's share of the data depends on it)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .. import distributed as dist
from ..train import Checkpoint
from ..train.data_parallel import is_writer
from .keeper import StopSignals


def join(timeout: float) -> None:
    """Join the job's process group, with ``timeout`` seconds for any wait on the others."""
    import datetime

    if not dist.is_initialized():
        dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=timeout))


DistBackendError = dist.DistBackendError


def abort_job(status: int) -> None:
    """End every rank of the job when this one fails (nothing to do outside a job)."""
    if dist.is_initialized() and dist.get_world_size() > 1:
        dist.abort(status)


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


class RankSignals(StopSignals):
    """``StopSignals`` whose ``received`` is the largest signal any rank has received, so that
    each rank's ``RunKeeper`` stops at the same batch (mpiexec forwards SIGINT and SIGTERM to
    every rank, but they arrive at different moments). Reading it is a collective: every rank
    reads it at the same points of training."""

    _local: int | None = None

    @property  # type: ignore[override]
    def received(self) -> int | None:
        from ..tensor import Tensor

        flag = Tensor(np.array([self._local or 0], dtype=np.int64))
        dist.all_reduce(flag, dist.ReduceOp.MAX)
        return int(flag.data[0]) or None

    @received.setter
    def received(self, value: int | None) -> None:
        self._local = value

    def _handle(self, signum: int, frame: Any) -> None:
        if self._local is not None:
            raise KeyboardInterrupt
        self._local = signum


class RankZeroCheckpoint(Checkpoint):
    """A ``Checkpoint`` that only rank 0 writes (every rank holds the same state: the same
    weights and optimizer state after each averaged step, the same loader position, and the same
    package generator, seeded alike and drawn from alike). It records the world size, which
    ``check_resumable`` compares with the resuming job's."""

    def save(self, path: Any, epoch: int = 0, step: int = 0, extra: dict | None = None) -> None:
        if is_writer():
            super().save(path, epoch, step, {**(extra or {}), WORLD_SIZE: world_size()})


WORLD_SIZE = "distributed_world_size"  # in a checkpoint's extra: written by --distributed runs


def check_resumable(path: str, run_dir: str, distributed: bool) -> None:
    """Refuse, before loading anything, to resume a run with another number of processes than
    it was trained with (each rank's share of the data depends on it), or a --distributed run
    without the option and the other way round (their loaders differ)."""
    from ..io import load_file
    from ..train.checkpoint import _METADATA_KEY

    try:
        _, metadata = load_file(path)
        saved = json.loads(metadata[_METADATA_KEY])["extra"].get(WORLD_SIZE)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return  # not readable as a checkpoint: Checkpoint.load says what is wrong
    resume = f"chainrule train --resume {run_dir}"
    if saved is None and distributed:
        raise ValueError(f"{path}: the run was trained without --distributed; resume it with "
                         f"'{resume}' alone")
    if saved is not None and not distributed:
        raise ValueError(f"{path}: the run was trained with --distributed by {saved} "
                         f"processes; resume it with 'mpiexec -n {saved} {resume} "
                         f"--distributed'")
    if saved is not None and saved != world_size():
        raise ValueError(f"{path}: the run was trained by {saved} processes; resume it with "
                         f"mpiexec -n {saved} (this job has {world_size()})")

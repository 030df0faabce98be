"""``chainrule.distributed``: data-parallel training across processes and hosts on MPI, with
PyTorch's ``torch.distributed`` names.

Start the job with ``mpiexec -n N python script.py`` (or ``mpiexec -n N chainrule train
--distributed ...``); each process calls ``init_process_group("mpi")``, wraps its model in
``DistributedDataParallel`` (also ``chainrule.nn.parallel.DistributedDataParallel``) and reads
its shard of the data through ``chainrule.utils.data.DistributedSampler``. mpi4py (the
``distributed`` extra) is imported by ``init_process_group``, not by ``import chainrule``.

Differences from PyTorch: MPI is the only backend ("gloo" is accepted and runs on MPI); there
is one process group (no ``new_group``); every wait is bounded by the group's timeout and
raises ``DistBackendError`` past it, after which ``abort()`` ends the job.
"""

from __future__ import annotations

from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    reduce_scatter,
    reduce_scatter_tensor,
)
from .ddp import DistributedDataParallel
from .group import (
    DistBackendError,
    DistError,
    abort,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
)

__all__ = [
    "DistBackendError",
    "DistError",
    "DistributedDataParallel",
    "ReduceOp",
    "Work",
    "abort",
    "all_gather",
    "all_gather_into_tensor",
    "all_reduce",
    "barrier",
    "broadcast",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "reduce_scatter",
    "reduce_scatter_tensor",
]

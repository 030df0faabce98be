"""Intra-op parallelism over the batch: run ``fn(images)`` on contiguous chunks of a batch.

NumPy's ufuncs, copies and BLAS calls release the GIL, so per-sample work on an (N, …) array
split into contiguous slices of images runs on several cores from plain Python threads. A
persistent pool of ``get_num_threads() − 1`` worker threads takes all chunks but the first,
which the calling thread runs itself; the call returns when every chunk is done.

``over_batch`` is a kernel: its reference body makes one call with the whole batch; its fast
path (switch: ``kernels.use_fast(False, "over_batch")``) splits the batch when more than one
thread is set, the work is large enough to pay for the hand-off (``MIN_PARALLEL_BYTES``),
and NumPy's BLAS runs one thread (``BLAS_SINGLE_THREADED``): a multi-threaded OpenBLAS keeps
its worker threads spinning between calls, and chainrule's threads then compete with them
for the same cores, which was measured slower than either pool alone (benchmarks/README.md).
Callers must give each chunk its own output rows (no two chunks write the same memory);
results that are sums across the batch are combined by the caller in chunk order, so they
are the same bits on every run at a given thread count.

The thread count is chainrule's own: ``set_num_threads`` does not change NumPy's BLAS, which
keeps the setting it read from the environment (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``,
``MKL_NUM_THREADS``) when NumPy was imported. To have chainrule's threads do the parallel
work, start the process with ``OPENBLAS_NUM_THREADS=1`` (or ``MKL_NUM_THREADS=1``).
"""

from __future__ import annotations

import operator
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

import numpy as np

from .switch import FAST, register

T = TypeVar("T")

register("over_batch")

# Below this many bytes of work per call (the bytes read and written), the batch is not
# split: handing a chunk to a worker thread and waiting for it costs more than the half of
# the work it takes over (measured: benchmarks/README.md).
MIN_PARALLEL_BYTES = 4 << 20


# The variables a BLAS reads its thread count from when NumPy loads it, most specific first
# (OpenBLAS falls back to OMP_NUM_THREADS; unset, each uses every core).
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                         "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


def positive_int(text: str | None) -> int | None:
    try:
        value = int(text or "")
    except ValueError:
        return None
    return value if value > 0 else None


def blas_single_threaded() -> bool:
    """Whether the environment told NumPy's BLAS to run one thread (the first of
    ``BLAS_THREAD_VARIABLES`` set to a positive integer is 1). A limit set later at run time
    (threadpoolctl) is not seen, so the batch then stays whole: the safe side."""
    for name in BLAS_THREAD_VARIABLES:
        value = positive_int(os.environ.get(name))
        if value is not None:
            return value == 1
    return False


BLAS_SINGLE_THREADED = blas_single_threaded()


def default_threads() -> int:
    """``OMP_NUM_THREADS`` when set to a positive integer (as PyTorch reads it), else the
    number of cores this process may run on."""
    value = positive_int(os.environ.get("OMP_NUM_THREADS"))
    if value is not None:
        return value
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_state = threading.local()  # .inside: this thread is running a chunk (nested calls: serial)
_lock = threading.Lock()
_threads = default_threads()
_pool: ThreadPoolExecutor | None = None


def set_num_threads(n: int) -> None:
    """Set the number of threads chainrule uses for its own work within an op (as
    ``torch.set_num_threads``): the batch of a convolution, pooling, ReLU or batch norm
    (the channels of a depthwise convolution) is split into ``n`` chunks run at once.
    NumPy's BLAS is not affected: it keeps its own thread count, set by environment
    variables before NumPy is imported, and chainrule splits nothing unless that count is 1
    (``OPENBLAS_NUM_THREADS=1``; module docstring).

    Raises:
        RuntimeError: ``n`` is not an int, or is below 1 (PyTorch's errors).
    """
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    n = operator.index(n)
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    global _threads, _pool
    with _lock:
        if n != _threads and _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None
        _threads = n


def get_num_threads() -> int:
    """The number of threads chainrule uses within an op (``set_num_threads``; by default
    ``OMP_NUM_THREADS`` if set, else the cores available to the process). NumPy's BLAS
    keeps its own setting."""
    return _threads


def _workers() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_threads - 1,
                                       thread_name_prefix="chainrule-intraop")
        return _pool


def _forget_pool() -> None:  # in a forked child, the parent's worker threads do not exist
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def batch_chunks(count: int, parts: int) -> list[slice]:
    """``count`` items as at most ``parts`` contiguous slices, sizes differing by at most one
    (larger first), none empty."""
    parts = max(1, min(parts, count))
    size, extra = divmod(count, parts)
    bounds = [0]
    for k in range(parts):
        bounds.append(bounds[-1] + size + (k < extra))
    return [slice(a, b) for a, b in zip(bounds, bounds[1:])]


def _run_chunk(fn: Callable[[slice], T], chunk: slice, errors: dict) -> T:
    _state.inside = True
    try:
        with np.errstate(**errors):  # NumPy's error state is per thread: the caller's holds
            return fn(chunk)
    finally:
        _state.inside = False


def chunks_for(count: int, nbytes: int) -> list[slice]:
    """The chunks ``over_batch`` would run for ``count`` items and ``nbytes`` of work: one
    whole slice on the reference path, for small work or one thread, and inside a chunk."""
    if (not FAST["over_batch"] or _threads < 2 or count < 2 or nbytes < MIN_PARALLEL_BYTES
            or not BLAS_SINGLE_THREADED or getattr(_state, "inside", False)):
        return [slice(0, count)]
    return batch_chunks(count, _threads)


def over_batch(fn: Callable[[slice], T], count: int, nbytes: int = 1 << 62) -> list[T]:
    """``[fn(chunk) for chunk in chunks]``, the chunks contiguous slices covering
    ``range(count)`` (``chunks_for``), run at once on chainrule's threads; results in chunk
    order. Reference body: ``[fn(slice(0, count))]``.

    ``nbytes`` is the size of the work (e.g. the bytes the op reads and writes); below
    ``MIN_PARALLEL_BYTES`` the batch is not split. Every chunk runs under the caller's
    ``np.errstate``. An exception raised by any chunk reaches the caller, after every chunk
    has finished.
    """
    chunks = chunks_for(count, nbytes)
    if len(chunks) == 1:
        return [fn(chunks[0])]
    errors = {**np.geterr(), "call": np.geterrcall()}
    futures = [_workers().submit(_run_chunk, fn, chunk, errors) for chunk in chunks[1:]]
    try:
        first = _run_chunk(fn, chunks[0], errors)
    finally:
        rest = [future.exception() for future in futures]  # waits for all of them
    for error in rest:
        if error is not None:
            raise error
    return [first] + [future.result() for future in futures]

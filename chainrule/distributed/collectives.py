"""The collectives of ``torch.distributed`` on chainrule tensors, in place.

Each one writes into the tensors it is given, and hands MPI the tensors' own NumPy arrays (the
buffer protocol: no copy) when they are C-contiguous; a non-contiguous tensor goes through a
contiguous copy. ``async_op=True`` returns a ``Work`` whose ``wait()`` finishes the operation;
otherwise the call returns when it is done. Every wait is bounded by the group's timeout
(``DistBackendError`` past it).

Differences from PyTorch: ``group`` must be None or the default group (there are no
sub-groups); ``ReduceOp.AVG`` is a SUM followed by a division, so it needs a floating tensor.
"""

from __future__ import annotations

import enum
from typing import Any, Callable, Sequence

import numpy as np

from ..tensor import Tensor
from .group import default_group, wait


class ReduceOp(enum.Enum):
    """PyTorch's ``ReduceOp``: how ``all_reduce`` and ``reduce_scatter`` combine the ranks."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


class Work:
    """PyTorch's ``Work``: an operation started with ``async_op=True``."""

    def __init__(self, requests: list, what: str, finish: Callable[[], None] | None = None):
        self._requests, self._what, self._finish, self._done = requests, what, finish, False

    def wait(self, timeout: Any = None) -> bool:
        """Block until the operation is complete (at most the group's timeout, or ``timeout``,
        a ``timedelta``); returns True."""
        if not self._done:
            wait(self._requests, self._what,
                 None if timeout is None else timeout.total_seconds())
            if self._finish is not None:
                self._finish()
            self._done = True
        return True

    def is_completed(self) -> bool:
        """Whether the operation has finished (``wait()`` still has to be called to apply a
        copy-back or an average)."""
        from mpi4py import MPI

        return self._done or MPI.Request.Testall(self._requests)


def _mpi_op(op: ReduceOp) -> Any:
    from mpi4py import MPI

    if not isinstance(op, ReduceOp):
        raise TypeError(f"op must be a ReduceOp, got {op!r}")
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}[op]


def _array(tensor: Any, name: str) -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(tensor).__name__}")
    return tensor.data


def _buffer(array: np.ndarray) -> np.ndarray:
    """``array`` itself when MPI can use its memory, else a contiguous copy."""
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def _written(tensor: Tensor, buffer: np.ndarray, scale: int = 1) -> None:
    """Finish an in-place collective: divide for AVG, copy back a buffer that was a copy."""
    if scale != 1:
        np.divide(buffer, scale, out=buffer, casting="unsafe")
    if buffer is not tensor.data:
        tensor.data[...] = buffer
    tensor._version_counter[0] += 1


def _run(requests: list, what: str, finish: Callable[[], None], async_op: bool) -> Work | None:
    work = Work(requests, what, finish)
    if async_op:
        return work
    work.wait()
    return None


def _check_group(group: Any) -> Any:
    pg = default_group()
    if group is not None and group is not pg:
        raise ValueError("only the default process group (group=None) exists in chainrule")
    return pg


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: Any = None,
               async_op: bool = False) -> Work | None:
    """PyTorch's ``all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False)``:
    ``tensor`` becomes the reduction of every rank's ``tensor``, on every rank.

    Args:
        tensor: the input and the output, changed in place.
        op: a ``ReduceOp``. AVG needs a floating tensor.
        group: None (the default group).
        async_op: return a ``Work`` instead of waiting.
    """
    from mpi4py import MPI

    pg, array = _check_group(group), _array(tensor, "all_reduce")
    mpi_op = _mpi_op(op)
    if op is ReduceOp.AVG and not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating tensor, got {array.dtype}")
    buffer = _buffer(array)
    request = pg.comm.Iallreduce(MPI.IN_PLACE, buffer, mpi_op)
    scale = pg.size if op is ReduceOp.AVG else 1
    return _run([request], "all_reduce", lambda: _written(tensor, buffer, scale), async_op)


def broadcast(tensor: Tensor, src: int = 0, group: Any = None, async_op: bool = False,
              group_src: int | None = None) -> Work | None:
    """PyTorch's ``broadcast(tensor, src, group=None, async_op=False)``: every rank's
    ``tensor`` becomes rank ``src``'s (in place)."""
    pg, array = _check_group(group), _array(tensor, "broadcast")
    src = src if group_src is None else group_src
    if not 0 <= src < pg.size:
        raise ValueError(f"broadcast: src {src} is not a rank of a group of {pg.size}")
    buffer = _buffer(array)
    request = pg.comm.Ibcast(buffer, root=src)
    return _run([request], "broadcast", lambda: _written(tensor, buffer), async_op)


def all_gather(tensor_list: Sequence[Tensor], tensor: Tensor, group: Any = None,
               async_op: bool = False) -> Work | None:
    """PyTorch's ``all_gather(tensor_list, tensor, group=None, async_op=False)``:
    ``tensor_list[r]`` receives rank r's ``tensor``. The list holds world-size tensors of
    ``tensor``'s shape and dtype; they are filled from one gathered buffer (one copy each)."""
    pg, array = _check_group(group), _array(tensor, "all_gather")
    outputs = list(tensor_list)
    if len(outputs) != pg.size:
        raise ValueError(f"all_gather: tensor_list holds {len(outputs)} tensors; the group "
                         f"has {pg.size} ranks")
    for out in outputs:
        _same_layout("all_gather", _array(out, "all_gather"), array)
    gathered = np.empty((pg.size,) + array.shape, array.dtype)
    request = pg.comm.Iallgather(_buffer(array), gathered)

    def finish() -> None:
        for out, part in zip(outputs, gathered):
            _written(out, part)

    return _run([request], "all_gather", finish, async_op)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group: Any = None,
                           async_op: bool = False) -> Work | None:
    """PyTorch's ``all_gather_into_tensor(output_tensor, input_tensor)``: the ranks' inputs
    concatenated along dim 0 (or stacked, for an output of shape (world size, *input)), written
    straight into ``output_tensor`` when it is contiguous."""
    pg = _check_group(group)
    out, array = _array(output_tensor, "all_gather_into_tensor"), _array(input_tensor,
                                                                         "all_gather_into_tensor")
    if out.size != array.size * pg.size or out.dtype != array.dtype:
        raise ValueError(f"all_gather_into_tensor: output of {out.size} {out.dtype} elements "
                         f"does not hold {pg.size} inputs of {array.size} {array.dtype}")
    buffer = _buffer(out)
    request = pg.comm.Iallgather(_buffer(array), buffer)
    return _run([request], "all_gather_into_tensor", lambda: _written(output_tensor, buffer),
                async_op)


def reduce_scatter(output: Tensor, input_list: Sequence[Tensor], op: ReduceOp = ReduceOp.SUM,
                   group: Any = None, async_op: bool = False) -> Work | None:
    """PyTorch's ``reduce_scatter(output, input_list, op=SUM)``: rank r's ``output`` becomes
    the reduction over ranks of their ``input_list[r]``. The inputs are packed into one send
    buffer (one copy); the result is written into ``output`` in place."""
    pg, out = _check_group(group), _array(output, "reduce_scatter")
    inputs = [_array(t, "reduce_scatter") for t in input_list]
    if len(inputs) != pg.size:
        raise ValueError(f"reduce_scatter: input_list holds {len(inputs)} tensors; the group "
                         f"has {pg.size} ranks")
    for array in inputs:
        _same_layout("reduce_scatter", array, out)
    send = np.stack(inputs)
    return _reduce_scatter(output, out, send, op, pg, async_op, "reduce_scatter")


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp = ReduceOp.SUM,  # noqa: A002
                          group: Any = None, async_op: bool = False) -> Work | None:
    """PyTorch's ``reduce_scatter_tensor(output, input, op=SUM)``: ``input`` holds world-size
    blocks of ``output``'s size along dim 0; rank r's ``output`` is the reduction of block r."""
    pg, out = _check_group(group), _array(output, "reduce_scatter_tensor")
    send = _array(input, "reduce_scatter_tensor")
    if send.size != out.size * pg.size or send.dtype != out.dtype:
        raise ValueError(f"reduce_scatter_tensor: input of {send.size} {send.dtype} elements "
                         f"is not {pg.size} blocks of the output's {out.size} {out.dtype}")
    return _reduce_scatter(output, out, _buffer(send), op, pg, async_op, "reduce_scatter_tensor")


def _reduce_scatter(output: Tensor, out: np.ndarray, send: np.ndarray, op: ReduceOp, pg: Any,
                    async_op: bool, what: str) -> Work | None:
    mpi_op = _mpi_op(op)
    if op is ReduceOp.AVG and not np.issubdtype(out.dtype, np.floating):
        raise TypeError(f"{what}: ReduceOp.AVG needs a floating tensor, got {out.dtype}")
    buffer = _buffer(out)
    request = pg.comm.Ireduce_scatter_block(send, buffer, mpi_op)
    scale = pg.size if op is ReduceOp.AVG else 1
    return _run([request], what, lambda: _written(output, buffer, scale), async_op)


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> Work | None:
    """PyTorch's ``barrier()``: return when every rank has called it (within the timeout)."""
    pg = _check_group(group)
    return _run([pg.comm.Ibarrier()], "barrier", lambda: None, async_op)


def _same_layout(what: str, array: np.ndarray, reference: np.ndarray) -> None:
    if array.shape != reference.shape or array.dtype != reference.dtype:
        raise ValueError(f"{what}: every tensor must have shape {tuple(reference.shape)} and "
                         f"dtype {reference.dtype}, got {tuple(array.shape)} {array.dtype}")

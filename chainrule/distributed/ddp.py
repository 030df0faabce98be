"""``DistributedDataParallel``: the same model on every rank, gradients averaged over ranks.

How the gradients travel. The parameters that require grad are packed, in reverse order of
``parameters()`` (about the order backward finishes them), into buckets of at most
``bucket_cap_mb`` megabytes, one flat buffer of the parameters' dtype each. A hook on each
parameter (``accumulate_hooks.register_post_accumulate_grad_hook``) runs when backward has
added its last gradient: it copies the gradient into its bucket, and a bucket whose every
parameter is in starts a non-blocking ``Iallreduce`` at once, while backward goes on computing
the gradients of the layers below (each later hook also tests the started requests, which is
what moves a non-blocking MPI collective on). Buckets start in their fixed order on every rank
(MPI matches collectives by order); the hook of the last parameter waits for all of them,
divides by the world size and writes each parameter's ``.grad``. So after ``loss.backward()``
every rank holds the average of the ranks' gradients, and identical optimizer steps keep the
replicas identical.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Any, Iterator

import numpy as np

from .. import autograd
from ..accumulate_hooks import register_post_accumulate_grad_hook
from ..nn.module import Module
from ..tensor import Tensor
from .group import default_group, wait


class _Bucket:
    """A flat buffer holding the gradients of some parameters of one dtype."""

    def __init__(self, params: list, dtype: np.dtype) -> None:
        self.params = params
        self.offsets = np.cumsum([0] + [p.data.size for p in params]).tolist()
        self.flat = np.zeros(self.offsets[-1], dtype)
        self.ready = 0
        self.request: Any = None

    def slot(self, index: int) -> np.ndarray:
        return self.flat[self.offsets[index]:self.offsets[index + 1]]


class DistributedDataParallel(Module):
    """PyTorch's ``torch.nn.parallel.DistributedDataParallel(module, ...)``.

    At construction, every rank's parameters and buffers are overwritten with rank 0's. In
    training, each rank runs the forward and backward of its own batch; ``backward`` leaves in
    every ``.grad`` the average over ranks (see the module docstring for the buckets).

    Args:
        module: the model; reachable as ``ddp.module`` (save ``ddp.module.state_dict()`` to
            get keys without the "module." prefix).
        device_ids, output_device, dim, process_group, check_reduction,
            gradient_as_bucket_view, static_graph: accepted for PyTorch's signature (CPU only,
            one process group; gradients are always copied out of the buckets).
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running statistics) to every
            rank at the start of each forward in training mode, PyTorch's default rule; the
            saved model (rank 0's) therefore holds rank 0's statistics. There is no
            ``SyncBatchNorm``: batch statistics are each rank's own.
        bucket_cap_mb: the largest bucket, in megabytes (default 25, PyTorch's).
        init_sync: broadcast rank 0's parameters and buffers at construction (default True).
        find_unused_parameters: after each forward, walk the graph from the outputs and count
            the parameters it does not reach as ready, so that their buckets still start. A
            parameter that no rank used keeps its ``.grad`` (None stays None). Without it, a
            parameter left out of the graph holds its bucket back, and the next forward raises
            RuntimeError, as in PyTorch.
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Any = None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, init_sync: bool = True) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a Module, got "
                            f"{type(module).__name__}")
        cap = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        if not cap > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, got "
                             f"{bucket_cap_mb}")
        self.module = module
        group = default_group()
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self._world = group.size
        if init_sync:
            self._sync_from_rank0(list(module.parameters()) + list(module.buffers()))
        self._buckets = _make_buckets([p for p in module.parameters() if p.requires_grad],
                                      int(cap * 2**20))
        members = [(b, i, p) for b in self._buckets for i, p in enumerate(b.params)]
        self._where = {id(p): (b, i, k) for k, (b, i, p) in enumerate(members)}
        self._next = 0  # the next bucket to start
        hook = _weak_hook(self)
        self._handles = [register_post_accumulate_grad_hook(p, hook)
                         for b in self._buckets for p in b.params]
        self._used = np.zeros(len(self._where), np.int32)
        self._ready: set[int] = set()  # ids of the parameters in this iteration's buckets

    # ------------------------------------------------------------ forward

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        self._check_finished()
        if self.broadcast_buffers and self.training:
            self._sync_from_rank0(list(self.module.buffers()))
        outputs = self.module(*inputs, **kwargs)
        if (self.find_unused_parameters and self.require_backward_grad_sync and self.training
                and any(True for _ in _tensors(outputs))):
            self._mark_unused(outputs)
        return outputs

    def _check_finished(self) -> None:
        if any(b.ready for b in self._buckets):
            pending = [n for n, p in self.module.named_parameters()
                       if id(p) in self._where and id(p) not in self._ready]
            self._ready.clear()
            for bucket in self._buckets:
                bucket.ready = 0
            self._next = 0
            raise RuntimeError(
                "DistributedDataParallel: expected to have finished reduction in the prior "
                "iteration before starting a new one: some parameters received no gradient "
                f"(for example {pending[:3]}); pass find_unused_parameters=True, or make every "
                "parameter take part in the loss")

    def _mark_unused(self, outputs: Any) -> None:
        reached = set()
        for node in _tensors(outputs):
            for inner in autograd.iter_graph(node):
                reached.update(id(p) for p in inner._ctx.parents if p._ctx is None)
        self._used[:] = 0
        for bucket in self._buckets:
            for param in bucket.params:
                if id(param) not in reached:
                    self._on_grad(param, used=False)

    def _sync_from_rank0(self, tensors: list) -> None:
        if self._world == 1 or not tensors:
            return
        group = default_group()
        requests = [group.comm.Ibcast(t.data, root=0) for t in tensors]
        wait(requests, "DistributedDataParallel: broadcasting rank 0's parameters and buffers")
        for t in tensors:
            t._version_counter[0] += 1

    # ------------------------------------------------------------ backward

    def _on_grad(self, param: Tensor, used: bool = True) -> None:
        if not self.require_backward_grad_sync:
            return
        bucket, index, k = self._where[id(param)]
        slot = bucket.slot(index)
        if param._grad is None or not used:
            slot[:] = 0
        else:
            slot[:] = param._grad.reshape(-1)
            self._used[k] = 1
        bucket.ready += 1
        self._ready.add(id(param))
        self._start_ready_buckets()
        if 0 < self._next < len(self._buckets):
            self._progress()

    def _progress(self) -> None:
        """Let MPI move the started buckets on: without a progress thread, a non-blocking
        collective advances only inside MPI calls, so each hook makes one (a test, no wait)."""
        from mpi4py import MPI

        MPI.Request.Testall([b.request for b in self._buckets[:self._next]])

    def _start_ready_buckets(self) -> None:
        comm = default_group().comm
        from mpi4py import MPI

        while self._next < len(self._buckets):
            bucket = self._buckets[self._next]
            if bucket.ready < len(bucket.params):
                return
            bucket.request = comm.Iallreduce(MPI.IN_PLACE, bucket.flat, MPI.SUM)
            self._next += 1
        self._finish()

    def _finish(self) -> None:
        """Every bucket has started: wait for them, and write the averaged gradients."""
        wait([b.request for b in self._buckets], "DistributedDataParallel: averaging gradients")
        used = self._used_anywhere()
        k = 0
        for bucket in self._buckets:
            bucket.flat /= self._world
            for index, param in enumerate(bucket.params):
                if used is None or used[k]:
                    param._grad = bucket.slot(index).reshape(param.data.shape).copy()
                k += 1
            bucket.ready, bucket.request = 0, None
        self._next = 0
        self._ready.clear()

    def _used_anywhere(self) -> np.ndarray | None:
        if not self.find_unused_parameters:
            return None
        from mpi4py import MPI

        request = default_group().comm.Iallreduce(MPI.IN_PLACE, self._used, MPI.MAX)
        wait([request], "DistributedDataParallel: finding unused parameters")
        used = self._used.copy()
        self._used[:] = 0
        return used

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """PyTorch's ``no_sync()``: backward passes inside accumulate gradients locally; the
        first backward after it averages the accumulated gradients."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def remove_hooks(self) -> None:
        """Unregister the gradient hooks (the wrapped module then trains alone again)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []


def _weak_hook(ddp: DistributedDataParallel) -> Any:
    """The gradient hook, holding the wrapper weakly: the hook registry then keeps no dropped
    wrapper (and its buckets) alive; once it is gone its hooks do nothing."""
    ref = weakref.ref(ddp)

    def hook(param: Tensor) -> None:
        owner = ref()
        if owner is not None:
            owner._on_grad(param)
    return hook


def _make_buckets(params: list, cap_bytes: int) -> list[_Bucket]:
    """Reverse parameter order, split by dtype and by size."""
    buckets: list[_Bucket] = []
    open_: dict[np.dtype, tuple[list, int]] = {}
    for param in reversed(params):
        dtype = param.data.dtype
        members, size = open_.get(dtype, ([], 0))
        if members and size + param.data.nbytes > cap_bytes:
            buckets.append(_Bucket(members, dtype))
            members, size = [], 0
        open_[dtype] = (members + [param], size + param.data.nbytes)
    buckets.extend(_Bucket(members, dtype) for dtype, (members, _) in open_.items() if members)
    return buckets


def _tensors(value: Any) -> Iterator[Tensor]:
    """The tensors with a grad_fn inside a forward's output (tensor, tuple, list or dict)."""
    if isinstance(value, Tensor):
        if value._ctx is not None:
            yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)

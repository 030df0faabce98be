"""``DataLoader``: iterate over a dataset in mini-batches, as ``torch.utils.data.DataLoader``.

The loader's own order (a map-style dataset, ``sampler`` and ``batch_sampler`` left at None, a
``batch_size``): each epoch (each ``iter(loader)``) visits every index of the dataset exactly
once: in order, or in a permutation drawn when the epoch starts from ``generator`` or, when
that is None, from the package generator of that moment (so ``chainrule.manual_seed(s)``
before the loop reproduces the order). NumPy's global random state is never used.

Exact resume, for the loader's own order only: ``state_dict()`` holds the current epoch's
order, how many of its batches have been handed out, and the state of the loader's own
generator if it has one. After ``load_state_dict(state)`` on a loader over the same dataset,
the next ``iter(loader)`` finishes that epoch with the batches not yet handed out, and later
epochs draw the same permutations as the original run. A loader on the package generator
leaves that generator's state out: it is saved once for everything that draws from it (init,
dropout, shuffling) with ``chainrule.get_rng_state()`` and restored with
``chainrule.set_rng_state()``. A loader with a ``sampler``, a ``batch_sampler``,
``batch_size=None`` or an ``IterableDataset`` cannot say where an arbitrary sampler will go
next: its ``state_dict()`` and ``load_state_dict()`` raise RuntimeError.

Workers: chainrule loads every batch serially in the calling process. ``num_workers > 0`` is
accepted and gives the same batches, in the same order, as ``num_workers=0``; when an
iteration starts, ``worker_init_fn(worker_id)`` is called in the calling process once for each
``worker_id`` in ``range(num_workers)``, every epoch, or only the first epoch with
``persistent_workers=True`` (when PyTorch starts its workers). ``pin_memory``,
``pin_memory_device``, ``timeout``, ``prefetch_factor``, ``multiprocessing_context`` and
``in_order`` are checked as PyTorch checks them and have no effect on the CPU.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from ..random import resolve
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


class DataLoader:
    """Batches of a dataset, as ``torch.utils.data.DataLoader`` (same arguments and defaults).

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``) or an
            ``IterableDataset``.
        batch_size: samples per batch (a positive int), or None: no batching, each sample is
            passed to ``collate_fn`` on its own (default ``default_convert``).
        shuffle: draw a new permutation of the indices at the start of every epoch.
        sampler: an iterable of indices (e.g. a ``Sampler``) to use instead of
            ``shuffle``; batched by ``batch_size`` and ``drop_last``.
        batch_sampler: an iterable of lists of indices, one list per batch; excludes
            ``batch_size`` (other than 1), ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers: a non-negative int; the loading is serial (module docstring).
        collate_fn: merges a list of samples into a batch (default: ``default_collate``).
        pin_memory: accepted for PyTorch compatibility; does nothing (there is no device).
        drop_last: drop the last batch of an epoch when it is smaller than ``batch_size``.
        timeout: a non-negative number; no effect.
        worker_init_fn: called with each worker id when an iteration starts (module docstring).
        multiprocessing_context: accepted; no effect.
        generator: a ``np.random.Generator`` for ``shuffle`` (default: the package generator).
        prefetch_factor: only with ``num_workers > 0`` (ValueError otherwise, as PyTorch);
            no effect.
        persistent_workers: only with ``num_workers > 0``; ``worker_init_fn`` runs once.
        pin_memory_device, in_order: accepted; no effect.

    Raises:
        ValueError: conflicting arguments, with PyTorch's conditions: ``sampler`` with
            ``shuffle``; ``batch_sampler`` with ``batch_size != 1``, ``shuffle``, ``sampler``
            or ``drop_last``; ``batch_size=None`` with ``drop_last``; ``shuffle``,
            ``sampler`` or ``batch_sampler`` with an ``IterableDataset``; a negative
            ``num_workers`` or ``timeout``; ``prefetch_factor`` or ``persistent_workers``
            without workers; a ``batch_size`` that is not a positive int.
        TypeError: ``generator`` is not a ``np.random.Generator``.

    When ``collate_fn`` is the default and the dataset is a ``TensorDataset`` (or a ``Subset``
    of one, or ``FashionMNIST`` without transforms), each batch is cut from the whole arrays
    with one fancy-indexing per array, ``array[indices]``, instead of per-sample
    ``__getitem__`` calls; the batches are the same either way. ``state_dict()`` and
    ``load_state_dict()`` save and restore the data order for exact resume (module docstring).

    Attributes:
        sampler, batch_sampler: as PyTorch sets them: the given ones, or a ``RandomSampler``
            (with ``generator``) or ``SequentialSampler``, and a ``BatchSampler`` over it
            when ``batch_size`` is not None.

    Shape:
        ``len(loader)`` is ``len(batch_sampler)`` (``ceil(N / batch_size)``, or
        ``N // batch_size`` with ``drop_last``), ``len(sampler)`` with ``batch_size=None``,
        and for an ``IterableDataset`` the same arithmetic on ``len(dataset)`` (TypeError when
        it has no length).

    Example:
        >>> import numpy as np
        >>> from chainrule.data import TensorDataset
        >>> ds = TensorDataset(np.zeros((10, 3), np.float32), np.arange(10))
        >>> loader = DataLoader(ds, batch_size=4, shuffle=True,
        ...                     generator=np.random.default_rng(0))
        >>> len(loader), [tuple(x.shape) for x, y in loader]
        (3, [(4, 3), (4, 3), (2, 3)])
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Iterable[Any] | None = None,
                 batch_sampler: Iterable[list[Any]] | None = None, num_workers: int = 0,
                 collate_fn: Callable[[Any], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], Any] | None = None,
                 multiprocessing_context: Any = None,
                 generator: np.random.Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        prefetch_factor = _check_workers(num_workers, timeout, prefetch_factor,
                                         persistent_workers)
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"DataLoader: generator must be a np.random.Generator, got "
                            f"{type(generator).__name__}")
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            _check_iterable(shuffle, sampler, batch_sampler)
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and "
                             "is mutually exclusive with drop_last")
        # NOTE: exact resume needs an order the loader draws itself
        self._own_order = not iterable and sampler is None and batch_sampler is None \
            and batch_size is not None
        self._iterable = iterable
        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = shuffle
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        if collate_fn is None:
            collate_fn = default_convert if batch_sampler is None else default_collate
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.drop_last = drop_last
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.pin_memory_device = pin_memory_device
        self.in_order = in_order
        self._workers_started = False
        self._order: np.ndarray | None = None  # the current epoch's indices
        self._position = 0  # batches of the current epoch handed out so far
        self._resume: tuple[np.ndarray, int] | None = None  # set by load_state_dict

    @property
    def _index_sampler(self) -> Iterable[Any]:
        """What one iteration walks: the batch sampler, or the sampler without batching."""
        return self.sampler if self.batch_sampler is None else self.batch_sampler

    def __len__(self) -> int:
        if self._own_order or self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        return len(self._index_sampler)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        self._start_workers()
        if not self._own_order:
            return self._sampled_batches()
        if self._resume is not None:
            order, start = self._resume
            self._resume = None
        else:
            order, start = self._epoch_order(), 0
        self._order, self._position = order, start
        return self._batches(order, start, self._fetcher())

    def _start_workers(self) -> None:
        """Call ``worker_init_fn`` for each worker id, as PyTorch's workers would at start."""
        if self.num_workers == 0 or self.worker_init_fn is None:
            return
        if self.persistent_workers and self._workers_started:
            return
        for worker_id in range(self.num_workers):
            self.worker_init_fn(worker_id)
        self._workers_started = True

    def _epoch_order(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            return resolve(self.generator).permutation(n)
        return np.arange(n, dtype=np.int64)

    def _fetcher(self) -> Callable[[np.ndarray], Any]:
        """The function from an index array to a batch: the fast path when there is one."""
        fast = self._fast_fetcher()
        if fast is not None:
            return fast
        dataset, collate = self.dataset, self.collate_fn
        return lambda indices: collate([dataset[i] for i in indices.tolist()])

    def _fast_fetcher(self) -> Callable[[np.ndarray], Any] | None:
        if self.collate_fn is default_collate and isinstance(self.dataset, Dataset):
            return self.dataset._batch_fetcher()
        return None

    def _batches(self, order: np.ndarray, start: int,
                 fetch: Callable[[np.ndarray], Any]) -> Iterator[Any]:
        size = self.batch_size
        for b in range(start, len(self)):
            batch = fetch(order[b * size:(b + 1) * size])
            if self._order is order:  # NOTE: a newer iter(loader) owns the state now
                self._position = b + 1
            yield batch
        if self._order is order:
            self._order, self._position = None, 0

    def _sampled_batches(self) -> Iterator[Any]:
        """The batches of a given sampler or batch sampler, an IterableDataset, or no
        batching: the indices come from the samplers as PyTorch walks them."""
        collate = self.collate_fn
        if self._iterable:
            if self.batch_sampler is None:
                yield from (collate(sample) for sample in self.dataset)
            else:
                samples = BatchSampler(self.dataset, self.batch_size, self.drop_last)
                yield from (collate(batch) for batch in samples)
            return
        dataset = self.dataset
        if self.batch_sampler is None:
            yield from (collate(dataset[index]) for index in self.sampler)
            return
        fast = self._fast_fetcher()
        for indices in self.batch_sampler:
            positions = np.asarray(indices) if fast is not None else None
            if positions is not None and positions.ndim == 1 and positions.size \
                    and positions.dtype.kind in "iu":
                yield fast(positions.astype(np.int64, copy=False))
            else:
                yield collate([dataset[index] for index in indices])

    def state_dict(self) -> dict[str, Any]:
        """The data order of the current epoch, for exact resume (JSON-serialisable).

        Returns:
            ``{"order": list of ints or None, "position": batches already handed out,
            "generator_state": the own generator's ``bit_generator.state`` or None}``.
            ``order`` is None between epochs.

        Raises:
            RuntimeError: the loader does not draw its own order (module docstring).
        """
        self._check_resumable("state_dict")
        order, position = self._resume or (self._order, self._position)
        state = None if self.generator is None else self.generator.bit_generator.state
        order = None if order is None else order.tolist()
        return {"order": order, "position": position, "generator_state": state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from ``state_dict()``: the next ``iter(self)`` goes on where it left off."""
        self._check_resumable("load_state_dict")
        order, position = state["order"], int(state["position"])
        if order is not None:
            order = np.asarray(order, dtype=np.int64)
            _check_order(order, len(self.dataset), position, len(self))
        elif position != 0:
            raise ValueError(f"DataLoader.load_state_dict: position {position} without an order")
        generator_state = state.get("generator_state")
        if generator_state is not None:
            if self.generator is None:
                raise ValueError("DataLoader.load_state_dict: the state holds a generator "
                                 "state but this loader uses the package generator; pass "
                                 "generator= as in the saved loader")
            self.generator.bit_generator.state = generator_state
        self._order, self._position = None, 0
        self._resume = None if order is None else (order, position)

    def _check_resumable(self, method: str) -> None:
        if not self._own_order:
            raise RuntimeError(f"DataLoader.{method}: exact resume needs the loader's own "
                               "order (shuffle=True/False with a batch_size over a map-style "
                               "dataset); this loader has a sampler, a batch_sampler, "
                               "batch_size=None or an IterableDataset")

    def __repr__(self) -> str:
        size = f" of {len(self.dataset)}" if hasattr(self.dataset, "__len__") else ""
        return (f"DataLoader(dataset={type(self.dataset).__name__}{size}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"sampler={type(self.sampler).__name__}, drop_last={self.drop_last}, "
                f"num_workers={self.num_workers})")


class _InfiniteConstantSampler(Sampler):
    """The sampler of an ``IterableDataset``: None forever (the stream decides the end)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


def _check_workers(num_workers: Any, timeout: Any, prefetch_factor: Any,
                   persistent_workers: Any) -> int | None:
    """PyTorch's checks of the worker options; returns the effective ``prefetch_factor``."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) \
            or num_workers < 0:
        raise ValueError(f"DataLoader: num_workers option should be a non-negative integer, "
                         f"got {num_workers!r}; use num_workers=0 to disable multiprocessing")
    if timeout < 0:
        raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout!r}")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                         "multiprocessing; let num_workers > 0 to enable multiprocessing, "
                         "otherwise set prefetch_factor to None")
    if num_workers > 0 and prefetch_factor is None:
        prefetch_factor = 2
    elif prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("DataLoader: prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
    return prefetch_factor


def _check_iterable(shuffle: Any, sampler: Any, batch_sampler: Any) -> None:
    if shuffle not in (False, None):
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                         f"option, but got shuffle={shuffle!r}")
    if sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                         f"option, but got sampler={sampler!r}")
    if batch_sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                         f"batch_sampler option, but got batch_sampler={batch_sampler!r}")


def _check_order(order: np.ndarray, n: int, position: int, batches: int) -> None:
    if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
        raise ValueError(f"DataLoader.load_state_dict: the saved order is not a permutation of "
                         f"the {n} indices of this dataset (was it saved for another dataset?)")
    if not 0 <= position <= batches:
        raise ValueError(f"DataLoader.load_state_dict: position {position} is outside the "
                         f"epoch's {batches} batches")

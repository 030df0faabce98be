"""``DataLoader``: iterate over a dataset in (shuffled) mini-batches, with a resumable order.

Each epoch (each ``iter(loader)``) visits every index of the dataset exactly once: in order, or
in a permutation drawn when the epoch starts from ``generator`` or, when that is None, from the
package generator of that moment (so ``chainrule.manual_seed(s)`` before the loop reproduces the
order). NumPy's global random state is never used.

Exact resume: ``state_dict()`` holds the current epoch's order, how many of its batches have
been handed out, and the state of the loader's own generator if it has one. After
``load_state_dict(state)`` on a loader over the same dataset, the next ``iter(loader)`` finishes
that epoch with the batches not yet handed out, and later epochs draw the same permutations as
the original run. A loader on the package generator leaves that generator's state out: it is
saved once for everything that draws from it (init, dropout, shuffling) with
``chainrule.get_rng_state()`` and restored with ``chainrule.set_rng_state()``.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator

import numpy as np

from ..random import resolve
from .collate import default_collate
from .dataset import Dataset


class DataLoader:
    """Mini-batches of a map-style dataset, as ``torch.utils.data.DataLoader``.

    Args:
        dataset: any object with ``__getitem__(int)`` and ``__len__()``.
        batch_size: samples per batch (a positive int).
        shuffle: draw a new permutation of the indices at the start of every epoch.
        sampler, batch_sampler: not supported (only None); use ``shuffle`` or a ``Subset``.
        num_workers: only 0 (batches are made in the calling process).
        collate_fn: merges a list of samples into a batch (default: ``default_collate``).
        pin_memory: accepted for PyTorch compatibility; does nothing (there is no device).
        drop_last: drop the last batch of an epoch when it is smaller than ``batch_size``.
        generator: a ``np.random.Generator`` for shuffling (default: the package generator).

    When ``collate_fn`` is the default and the dataset is a ``TensorDataset`` (or a ``Subset``
    of one, or ``FashionMNIST`` without transforms), each batch is cut from the whole arrays
    with one fancy-indexing per array, ``array[indices]``, instead of per-sample
    ``__getitem__`` calls; the batches are the same either way. ``state_dict()`` and
    ``load_state_dict()`` save and restore the data order for exact resume (module docstring).

    Shape:
        ``len(loader)`` is ``ceil(N / batch_size)``, or ``N // batch_size`` with ``drop_last``.

    Example:
        >>> import numpy as np
        >>> from chainrule.data import TensorDataset
        >>> ds = TensorDataset(np.zeros((10, 3), np.float32), np.arange(10))
        >>> loader = DataLoader(ds, batch_size=4, shuffle=True,
        ...                     generator=np.random.default_rng(0))
        >>> len(loader), [tuple(x.shape) for x, y in loader]
        (3, [(4, 3), (4, 3), (2, 3)])
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable[[list[Any]], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, *,
                 generator: np.random.Generator | None = None) -> None:
        _check_arguments(batch_size, sampler, batch_sampler, num_workers, generator)
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.num_workers = num_workers
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.pin_memory = pin_memory
        self.drop_last = bool(drop_last)
        self.generator = generator
        self._order: np.ndarray | None = None  # the current epoch's indices
        self._position = 0  # batches of the current epoch handed out so far
        self._resume: tuple[np.ndarray, int] | None = None  # set by load_state_dict

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        if self._resume is not None:
            order, start = self._resume
            self._resume = None
        else:
            order, start = self._epoch_order(), 0
        self._order, self._position = order, start
        return self._batches(order, start, self._fetcher())

    def _epoch_order(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            return resolve(self.generator).permutation(n)
        return np.arange(n, dtype=np.int64)

    def _fetcher(self) -> Callable[[np.ndarray], Any]:
        """The function from an index array to a batch: the fast path when there is one."""
        if self.collate_fn is default_collate and isinstance(self.dataset, Dataset):
            fast = self.dataset._batch_fetcher()
            if fast is not None:
                return fast
        dataset, collate = self.dataset, self.collate_fn
        return lambda indices: collate([dataset[i] for i in indices.tolist()])

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

    def state_dict(self) -> dict[str, Any]:
        """The data order of the current epoch, for exact resume (JSON-serialisable).

        Returns:
            ``{"order": list of ints or None, "position": batches already handed out,
            "generator_state": the own generator's ``bit_generator.state`` or None}``.
            ``order`` is None between epochs.
        """
        order, position = self._resume or (self._order, self._position)
        state = None if self.generator is None else self.generator.bit_generator.state
        order = None if order is None else order.tolist()
        return {"order": order, "position": position, "generator_state": state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from ``state_dict()``: the next ``iter(self)`` goes on where it left off."""
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

    def __repr__(self) -> str:
        return (f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")


def _check_arguments(batch_size: Any, sampler: Any, batch_sampler: Any, num_workers: Any,
                     generator: Any) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError(f"DataLoader: batch_size must be a positive integer, got "
                         f"{batch_size!r} (batch_size=None, no batching, is not supported)")
    if sampler is not None or batch_sampler is not None:
        raise NotImplementedError("DataLoader: sampler and batch_sampler are not supported; "
                                  "use shuffle=True, or wrap the dataset in a Subset")
    if num_workers != 0:
        raise ValueError(f"DataLoader: num_workers={num_workers!r} is not supported; chainrule "
                         "loads batches in the main process, pass num_workers=0")
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"DataLoader: generator must be a np.random.Generator, got "
                        f"{type(generator).__name__}")


def _check_order(order: np.ndarray, n: int, position: int, batches: int) -> None:
    if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
        raise ValueError(f"DataLoader.load_state_dict: the saved order is not a permutation of "
                         f"the {n} indices of this dataset (was it saved for another dataset?)")
    if not 0 <= position <= batches:
        raise ValueError(f"DataLoader.load_state_dict: position {position} is outside the "
                         f"epoch's {batches} batches")

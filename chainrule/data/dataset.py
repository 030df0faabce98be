"""Datasets: map-style ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset`` and
``random_split``, and ``IterableDataset`` for streams.

A dataset is anything with ``__getitem__(i)`` and ``__len__()``, as in PyTorch. Datasets whose
batches can be cut from whole arrays at once (a ``TensorDataset``, a ``Subset`` of one,
``FashionMNIST`` without transforms) also return a function from ``_batch_fetcher()``; the
``DataLoader`` then takes each batch with one fancy-indexing per array instead of one
``__getitem__`` call per sample. A subclass that overrides ``__getitem__`` loses that fast path
automatically, so its own ``__getitem__`` is always what the loader sees.
"""

from __future__ import annotations

import bisect
import math
import warnings
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from ..creation import as_tensor
from ..random import resolve
from ..tensor import Tensor

BatchFetcher = Callable[[np.ndarray], Any]


class Dataset:
    """The base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i, i * i
        >>> Squares()[3]
        (3, 9)
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])

    def _batch_fetcher(self) -> BatchFetcher | None:
        """A function from an int64 index array to the collated batch, or None (no fast path).

        The batch it returns must equal ``default_collate([self[i] for i in indices])``.
        """
        return None


class IterableDataset(Dataset):
    """The base class of datasets that are a stream of samples: subclasses define
    ``__iter__`` (and may define ``__len__``).

    A ``DataLoader`` iterates it once per epoch and batches the samples in the order they come;
    ``shuffle``, ``sampler`` and ``batch_sampler`` do not apply (ValueError, as in PyTorch).
    chainrule loads in the calling process, so the stream is read once per epoch even with
    ``num_workers > 0`` (PyTorch gives every worker its own copy of the stream).

    Example:
        >>> class Count(IterableDataset):
        ...     def __iter__(self):
        ...         return iter(range(3))
        >>> list(Count())
        [0, 1, 2]
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate it, it has no "
                        "indexing")

    def __len__(self) -> int:
        # NOTE: TypeError, what len() raises for an object without __len__ (list() relies on it)
        raise TypeError(f"{type(self).__name__} is an IterableDataset without __len__")


class TensorDataset(Dataset):
    """Samples are the i-th rows of several tensors: ``dataset[i] == (t[i] for t in tensors)``.

    Args:
        *tensors: chainrule Tensors or NumPy arrays with the same first dimension (arrays are
            wrapped without copying).

    Raises:
        ValueError: no tensors, a 0-d tensor, or first dimensions that differ.

    Example:
        >>> import numpy as np
        >>> ds = TensorDataset(np.zeros((5, 2), np.float32), np.arange(5))
        >>> len(ds), ds[4][1].item()
        (5, 4)
    """

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(as_tensor(t) for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in self.tensors]
        if None in sizes:
            raise ValueError(f"TensorDataset: every tensor needs a first (sample) dimension, "
                             f"got shapes {[tuple(t.shape) for t in self.tensors]}")
        if len(set(sizes)) > 1:
            raise ValueError(f"TensorDataset: all tensors must have the same size in the first "
                             f"dimension, got sizes {sizes} (shapes "
                             f"{[tuple(t.shape) for t in self.tensors]})")

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _batch_fetcher(self) -> BatchFetcher | None:
        if type(self).__getitem__ is not TensorDataset.__getitem__:
            return None
        tensors = self.tensors
        return lambda indices: tuple(t[indices] for t in tensors)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``: ``subset[i] == dataset[indices[i]]``.

    Args:
        dataset: the whole dataset.
        indices: positions in ``dataset`` (a sequence of ints or an int array).

    Example:
        >>> import numpy as np
        >>> sub = Subset(TensorDataset(np.arange(10)), [7, 2])
        >>> len(sub), sub[0][0].item()
        (2, 7)
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)

    def _batch_fetcher(self) -> BatchFetcher | None:
        if type(self).__getitem__ is not Subset.__getitem__:
            return None
        inner = self.dataset._batch_fetcher() if isinstance(self.dataset, Dataset) else None
        if inner is None:
            return None
        positions = np.asarray(self.indices, dtype=np.int64)
        return lambda indices: inner(positions[indices])


class ConcatDataset(Dataset):
    """Several map-style datasets one after another: ``len`` is the sum of their lengths.

    Args:
        datasets: a non-empty iterable of map-style datasets.

    Attributes:
        cumulative_sizes: the running totals of the lengths, ``[len(d0), len(d0) + len(d1),
            ...]``, computed once at construction.

    Raises:
        ValueError: no datasets. TypeError: one of them is an ``IterableDataset``.
        IndexError (indexing): an index outside ``[-len, len)``.

    Example:
        >>> import numpy as np
        >>> both = ConcatDataset([TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 12))])
        >>> len(both), both.cumulative_sizes, both[3][0].item(), both[-1][0].item()
        (5, [3, 5], 10, 11)
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if index < 0:
            if -index > n:
                raise IndexError(f"ConcatDataset: index {index} is out of range for "
                                 f"length {n}")
            index += n
        if index >= n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: np.random.Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into disjoint random subsets that together cover it.

    Args:
        dataset: the dataset to split.
        lengths: the subsets' sizes as ints summing to ``len(dataset)``, or as fractions summing
            to 1; fractional sizes are floored and the remainder is handed out one by one,
            first subset first (PyTorch's rule).
        generator: draws the permutation (default: the package generator,
            ``chainrule.manual_seed``).

    Returns:
        A list of ``Subset``, one per length, in order.

    Example:
        >>> import numpy as np
        >>> train, val = random_split(TensorDataset(np.arange(10)), [0.8, 0.2],
        ...                           generator=np.random.default_rng(0))
        >>> len(train), len(val)
        (8, 2)
    """
    n = len(dataset)
    lengths = _split_lengths(list(lengths), n)
    order = resolve(generator).permutation(n).tolist()
    bounds = np.cumsum([0, *lengths]).tolist()
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def _split_lengths(lengths: list[int | float], n: int) -> list[int]:
    """Integer subset sizes for ``random_split`` (fractions resolved as PyTorch does)."""
    if any(v < 0 for v in lengths):
        raise ValueError(f"random_split: lengths must be non-negative, got {lengths}")
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:  # PyTorch's test for fractions
        sizes = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        if 0 in sizes:
            warnings.warn(f"random_split: fractions {lengths} of {n} samples give an empty "
                          f"subset (sizes {sizes})", UserWarning, stacklevel=3)
        return sizes
    integral = all(isinstance(v, (int, np.integer)) for v in lengths)
    if not integral or sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} must be ints summing to the "
                         f"dataset's length {n}, or fractions summing to 1")
    return [int(v) for v in lengths]

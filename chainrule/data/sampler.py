"""Samplers: the order in which a ``DataLoader`` visits a dataset, as ``torch.utils.data``.

A sampler is an iterable of dataset indices (``BatchSampler``: of lists of indices). The random
ones draw from their ``generator`` (a ``np.random.Generator``) or, when it is None, from the
package generator of the moment the iteration starts, so ``chainrule.manual_seed(s)``
reproduces them; NumPy's global random state is never used. Each ``iter(sampler)`` draws anew.

The streams are NumPy's, not torch's: the same seed gives different indices than PyTorch, but
the same distributions. Differences from PyTorch: a ``RandomSampler`` over an empty dataset
(with ``num_samples`` left at None) yields nothing instead of raising, and
``WeightedRandomSampler`` raises ValueError, not RuntimeError, for weights that are negative,
not finite or all zero, or too few non-zero weights to draw ``num_samples`` without replacement.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence, Sized

import numpy as np

from ..random import resolve
from ..tensor import Tensor


class Sampler:
    """The base class of samplers: subclasses define ``__iter__`` (and usually ``__len__``).

    As in PyTorch, the base class has no ``__len__``; ``len()`` of a sampler that defines none
    raises TypeError.
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """The indices ``0, 1, ..., len(data_source) - 1`` in order.

    Example:
        >>> list(SequentialSampler(range(4)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices of ``data_source``.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw ``num_samples`` indices independently and uniformly (with repeats).
            Without replacement (the default) each block of ``len(data_source)`` indices is a
            fresh permutation, the last block cut short: ``num_samples`` may exceed the length.
        num_samples: how many indices an iteration yields (default ``len(data_source)``).
        generator: a ``np.random.Generator`` (default: the package generator).

    Raises:
        TypeError: ``replacement`` is not a bool, or ``generator`` not a Generator.
        ValueError: ``num_samples`` is not a positive int.

    Example:
        >>> import numpy as np
        >>> sorted(RandomSampler(range(5), generator=np.random.default_rng(0)))
        [0, 1, 2, 3, 4]
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        if num_samples is not None and not _positive_int(num_samples):
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = None if num_samples is None else int(num_samples)
        self.generator = _check_generator(generator, "RandomSampler")

    @property
    def num_samples(self) -> int:
        """``num_samples`` as given, or the dataset's current length."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        return iter(self._draw().tolist())

    def _draw(self) -> np.ndarray:
        n, count = len(self.data_source), self.num_samples
        if count == 0:
            return np.zeros(0, dtype=np.int64)
        if n == 0:
            raise ValueError(f"RandomSampler: cannot draw {count} indices from an empty dataset")
        rng = resolve(self.generator)
        if self.replacement:
            return rng.integers(0, n, size=count, dtype=np.int64)
        blocks = [rng.permutation(n) for _ in range(count // n)]
        if count % n:
            blocks.append(rng.permutation(n)[:count % n])
        return np.concatenate(blocks).astype(np.int64, copy=False)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new permutation each iteration).

    Args:
        indices: a sequence of indices.
        generator: a ``np.random.Generator`` (default: the package generator).

    Example:
        >>> import numpy as np
        >>> sorted(SubsetRandomSampler([7, 3, 9], generator=np.random.default_rng(0)))
        [3, 7, 9]
    """

    def __init__(self, indices: Sequence[int],
                 generator: np.random.Generator | None = None) -> None:
        self.indices = indices
        self.generator = _check_generator(generator, "SubsetRandomSampler")

    def __iter__(self) -> Iterator[Any]:
        order = resolve(self.generator).permutation(len(self.indices)).tolist()
        return iter([self.indices[i] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices ``i`` of ``range(len(weights))``, each drawn with probability
    ``weights[i] / sum(weights)`` (the weights need not sum to 1).

    Args:
        weights: a 1-D sequence, array or Tensor of non-negative weights.
        num_samples: how many indices an iteration yields (a positive int).
        replacement: draw with replacement (the default). Without, an index is drawn at most
            once: each draw picks among the remaining indices in proportion to their weights.
        generator: a ``np.random.Generator`` (default: the package generator).

    Raises:
        ValueError: ``num_samples`` is not a positive int, ``replacement`` not a bool, or
            ``weights`` not 1-D; when iterating, weights negative, not finite or all zero, or
            fewer non-zero weights than ``num_samples`` without replacement.

    Example:
        >>> import numpy as np
        >>> list(WeightedRandomSampler([0, 0, 1], 3, generator=np.random.default_rng(0)))
        [2, 2, 2]
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: np.random.Generator | None = None) -> None:
        if not _positive_int(num_samples):
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement!r}")
        if isinstance(weights, Tensor):
            weights = weights.data
        weights = np.asarray(weights, dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{weights.shape}")
        self.weights = weights
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = _check_generator(generator, "WeightedRandomSampler")

    def __iter__(self) -> Iterator[int]:
        w = self.weights
        if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
            raise ValueError("WeightedRandomSampler: weights must be finite and non-negative "
                             "with a positive sum")
        if not self.replacement and self.num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: cannot draw {self.num_samples} indices "
                             f"without replacement from {np.count_nonzero(w)} non-zero weights")
        drawn = resolve(self.generator).choice(len(w), size=self.num_samples,
                                               replace=self.replacement, p=w / w.sum())
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler: any iterable of indices (a Sampler, a range, a list).
        batch_size: indices per batch (a positive int).
        drop_last: drop the last batch when it is shorter than ``batch_size``.

    Shape:
        ``len()`` is ``len(sampler) // batch_size`` with ``drop_last``, else the ceiling.

    Example:
        >>> list(BatchSampler(SequentialSampler(range(7)), 3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6]]
        >>> list(BatchSampler(SequentialSampler(range(7)), 3, drop_last=True))
        [[0, 1, 2], [3, 4, 5]]
    """

    def __init__(self, sampler: Iterable[Any], batch_size: int, drop_last: bool) -> None:
        if not _positive_int(batch_size):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[Any]]:
        batch: list[Any] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size


def _positive_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value > 0


def _check_generator(generator: Any, who: str) -> np.random.Generator | None:
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{who}: generator must be a np.random.Generator, got "
                        f"{type(generator).__name__}")
    return generator


class DistributedSampler(Sampler):
    """PyTorch's ``DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True,
    seed=0, drop_last=False)``: this rank's share of the indices, disjoint from the other
    ranks' shares.

    Each epoch the indices ``0 .. len(dataset) - 1`` are shuffled (when ``shuffle``) with a
    generator seeded ``seed + epoch``, the same permutation on every rank; then either the
    list is padded by repeating its head until it divides evenly (the default), or its tail is
    dropped (``drop_last``); rank r takes every ``num_replicas``-th index from position r. Call
    ``set_epoch(epoch)`` at the start of every epoch for a new order.

    Args:
        dataset: the dataset (only its length is used).
        num_replicas: the number of ranks (default: ``distributed.get_world_size()``).
        rank: this rank (default: ``distributed.get_rank()``).
        shuffle: shuffle the indices every epoch.
        seed: the seed of the shuffle, the same on every rank.
        drop_last: drop the tail so that every rank gets the same number of distinct indices,
            instead of padding with repeated ones.

    Differs from PyTorch: the permutation comes from NumPy's generator
    (``np.random.default_rng(seed + epoch)``), so the order differs from torch's for the same
    seed; the shares, padding and lengths are the same.

    Example:
        >>> [list(DistributedSampler(range(5), num_replicas=2, rank=r, shuffle=False))
        ...  for r in (0, 1)]
        [[0, 2, 4], [1, 3, 0]]
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from ..distributed import get_rank, get_world_size

            num_replicas = get_world_size() if num_replicas is None else num_replicas
            rank = get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.epoch = 0
        size = len(dataset)
        if drop_last and size % num_replicas:
            self.num_samples = -(-(size - num_replicas) // num_replicas)
        else:
            self.num_samples = -(-size // num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        size = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(size)
        else:
            indices = np.arange(size)
        if self.drop_last:
            indices = indices[:self.total_size]
        elif self.total_size > size:
            indices = np.resize(indices, self.total_size)  # repeats the list from its head
        return iter(indices[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` in the shuffle's seed: call it before each epoch's iteration."""
        self.epoch = epoch

"""``default_collate``: merge a list of samples into one batch, field by field.

The rules follow PyTorch's ``default_collate``, applied recursively:

* Tensors and NumPy arrays are stacked along a new first dimension; the dtype is kept.
* Python ints become an int64 tensor, bools a bool tensor, NumPy scalars keep their dtype.
* Python floats become a float32 tensor (chainrule's default float; PyTorch gives float64,
  which then silently widens a float32 loss).
* Strings (and bytes) stay a list.
* A dict gives a dict of batches; a namedtuple the same namedtuple of batches; any other tuple
  gives a tuple of batches (PyTorch gives a list) and a list a list.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .. import dtypes
from ..methods.shape import stack
from ..tensor import Tensor, _wrap


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge ``batch`` (a list of samples with the same structure) into one batch.

    Args:
        batch: the samples, e.g. a list of ``(image, label)`` tuples.

    Returns:
        The samples' structure with each leaf batched (see the module docstring).

    Raises:
        TypeError: a leaf of a type that cannot be batched (None, object arrays ...).
        ValueError: tensors or arrays of different shapes, or sequences of different lengths.

    Example:
        >>> x, y = default_collate([(1.5, 0), (2.5, 1)])
        >>> x.dtype, y.dtype, y.tolist()
        (dtype('float32'), dtype('int64'), [0, 1])
    """
    if len(batch) == 0:
        raise ValueError("default_collate: the batch is empty")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        return _stack_arrays(batch)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, (bool, int, float, np.generic)):
        return _numbers(batch)
    if isinstance(elem, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, Sequence):
        return _transpose(batch)
    raise TypeError(f"default_collate: a batch must hold Tensors, NumPy arrays, numbers, "
                    f"strings, dicts or sequences of these; found {type(elem).__name__}")


def _stack_tensors(batch: Sequence[Tensor]) -> Tensor:
    _check_shapes([t.shape for t in batch], "tensors")
    if any(t.requires_grad for t in batch):
        return stack(batch)  # keeps the samples in the graph, as torch.stack does
    return _wrap(np.stack([t.data for t in batch]), None)


def _stack_arrays(batch: Sequence[np.ndarray]) -> Tensor:
    _check_shapes([a.shape for a in batch], "arrays")
    dtypes.as_dtype(batch[0].dtype)  # TypeError for strings, objects, complex ...
    return _wrap(np.stack(batch), None)


def _numbers(batch: Sequence[Any]) -> Tensor:
    if isinstance(batch[0], np.generic):
        return _wrap(np.asarray(batch, dtype=dtypes.as_dtype(batch[0].dtype)), None)
    return Tensor(list(batch))


def _transpose(batch: Sequence[Sequence[Any]]) -> Any:
    elem = batch[0]
    size = len(elem)
    if any(len(sample) != size for sample in batch):
        lengths = sorted({len(sample) for sample in batch})
        raise ValueError(f"default_collate: every sample must have the same number of fields, "
                         f"got lengths {lengths}")
    fields = [default_collate(list(samples)) for samples in zip(*batch)]
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*fields)
    return tuple(fields) if isinstance(elem, tuple) else fields


def _check_shapes(shapes: list[tuple[int, ...]], what: str) -> None:
    if len(set(shapes)) > 1:
        raise ValueError(f"default_collate: {what} in a batch must have the same shape to be "
                         f"stacked, got shapes {sorted(set(shapes))}; pass a collate_fn that "
                         "pads them, or resize the samples")


def default_convert(data: Any) -> Any:
    """Turn the NumPy arrays in one sample into Tensors, keeping its structure (no batching).

    What a ``DataLoader`` with ``batch_size=None`` applies to each sample by default, as
    PyTorch's ``default_convert``: an array (or NumPy scalar) of a supported dtype becomes a
    Tensor of that dtype; a Tensor, a Python number, a string and anything else stay as they
    are; dicts, namedtuples, tuples and lists are converted field by field (a tuple stays a
    tuple, as with ``default_collate``; PyTorch gives a list).

    Example:
        >>> import numpy as np
        >>> x, y = default_convert((np.ones(2, np.float32), 3))
        >>> type(x).__name__, x.dtype, y
        ('Tensor', dtype('float32'), 3)
    """
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (str, bytes)):
        try:
            dtype = dtypes.as_dtype(data.dtype)
        except TypeError:  # strings, objects ...: left alone, as PyTorch does
            return data
        return _wrap(np.asarray(data, dtype=dtype), None)
    if isinstance(data, Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return tuple(default_convert(d) for d in data)
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data

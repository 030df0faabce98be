"""``embedding_bag`` with PyTorch's signature: the sum, mean or max of bags of embedding rows
(the file is not named embedding_bag.py, which would shadow the function on import).

A composite (no backward of its own): the bags are laid out as a padded (B, L) table of
indices with a mask of the real entries, the rows are gathered by ``EmbeddingLookup`` (as in
``embedding``), masked, and reduced over L. So

    sum:  y[b] = Σ_{j in bag b} s_j · W[i_j]          (s = per_sample_weights, or 1)
    mean: y[b] = (1/|bag b|) Σ_{j in bag b} W[i_j]
    max:  y[b] = max_{j in bag b} W[i_j]              (per coordinate)

and dL/dW[i] collects the gradient of every place i appears in (scattered by the lookup,
which divides it by i's count in the input when ``scale_grad_by_freq``), while
dL/ds_j = <G[b], W[i_j]> is never scaled. Entries equal to ``padding_idx`` are left out of
their bag (and of its count); an empty bag gives zeros, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..creation import zeros
from ..ops.shape import EmbeddingLookup
from ..tensor import Tensor
from .basic import cat
from .layers import _indices, _renorm_, checked_padding_idx

_MODES = ("sum", "mean", "max")


def _bags(name: str, indices: np.ndarray, offsets: Any, include_last_offset: bool
          ) -> tuple[np.ndarray, np.ndarray]:
    """(positions, mask): positions[b, l] is the place in the flat input of bag b's l-th entry
    (0 where the mask is False)."""
    if indices.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{name}: if input is 2-D, then offsets has to be None, as input "
                             "is treated as a mini-batch of fixed length sequences; got "
                             "offsets")
        bags, length = indices.shape
        if length == 0:  # one masked column, so that every bag has a place to reduce over
            return np.zeros((bags, 1), dtype=np.int64), np.zeros((bags, 1), dtype=bool)
        positions = np.arange(bags * length).reshape(bags, length)
        return positions, np.ones((bags, length), dtype=bool)
    if indices.ndim != 1:
        raise ValueError(f"{name}: input has to be 1-D or 2-D, got shape {indices.shape}")
    if offsets is None:
        raise ValueError(f"{name}: offsets has to be a 1-D tensor when input is 1-D, got None")
    offsets = offsets.data if isinstance(offsets, Tensor) else np.asarray(offsets)
    if offsets.ndim != 1 or offsets.dtype.kind not in "iu":
        raise ValueError(f"{name}: offsets has to be a 1-D integer tensor, got "
                         f"{offsets.dtype} of shape {offsets.shape}")
    starts = offsets.astype(np.int64)
    if starts.size and starts[0] != 0:
        raise ValueError(f"{name}: offsets[0] has to be 0 (the first bag starts at position "
                         f"0), got {starts[0]}")
    if starts.size and starts[-1] > len(indices):
        raise ValueError(f"{name}: offsets[-1] can not be greater than input's length "
                         f"{len(indices)}, got {starts[-1]}")
    if include_last_offset and (not starts.size or starts[-1] != len(indices)):
        # PyTorch's documented contract; where it is broken its modes disagree on the bags
        raise ValueError(f"{name}: with include_last_offset the last offset must be the "
                         f"input's length {len(indices)}, got offsets {starts.tolist()}")
    if np.any(np.diff(starts) < 0):
        raise ValueError(f"{name}: offsets must be non-decreasing, got {starts.tolist()}")
    ends = starts[1:] if include_last_offset else np.append(starts[1:], len(indices))
    starts = starts[:len(ends)]
    sizes = ends - starts
    step = np.arange(max(int(sizes.max(initial=0)), 1))
    mask = step < sizes[:, None]
    return np.where(mask, starts[:, None] + step, 0), mask


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxima of bags of rows of ``weight``.

    Args:
        input: (B, L) integers, B bags of L indices each; or (n,) integers cut into bags by
            ``offsets``.
        weight: (num_embeddings, D).
        offsets: (B,) starts of the bags in a 1-D input (offsets[0] = 0), or (B + 1,) with
            ``include_last_offset`` (then the last entry is the input's length).
        max_norm: rows used with a larger norm (of ``norm_type``) are rescaled in ``weight``
            itself to this norm first, as PyTorch.
        mode: 'sum', 'mean' (default) or 'max'.
        per_sample_weights: like input, floating: weights of the entries (mode 'sum' only).
        padding_idx: entries with this index are left out of their bags.
        scale_grad_by_freq: divide the gradient of each row by the number of times its index
            occurs in ``input`` (not with mode 'max', as in PyTorch). NOTE: PyTorch 2.13's CPU
            kernel divides some rows by another index's count (pytorch/pytorch#190063); this
            follows its documented rule, which its CUDA kernel and ``embedding`` follow.
        sparse: taken for PyTorch's signature (not with mode 'max', as in PyTorch); the
            gradient is dense either way, with the values of PyTorch's sparse one.

    Shape:
        (B, D); an empty bag gives zeros.

    Example:
        >>> import chainrule
        >>> w = chainrule.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
        >>> embedding_bag(chainrule.tensor([0, 2, 1]), w, chainrule.tensor([0, 2]),
        ...               mode="sum").tolist()
        [[3.0, 2.0], [0.0, 1.0]]
    """
    name = "embedding_bag"
    if mode not in _MODES:
        raise ValueError(f"{name}: mode has to be one of sum, mean or max, got {mode!r}")
    if mode == "max" and (scale_grad_by_freq or sparse):  # PyTorch's two refusals
        what = "scaling the gradient by the frequency" if scale_grad_by_freq else "sparse weights"
        raise ValueError(f"{name}: max mode does not support {what}")
    if weight.ndim != 2:
        raise ValueError(f"{name}: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {tuple(weight.shape)}")
    count = weight.shape[0]
    indices = _indices(name, input, count)
    positions, mask = _bags(name, indices, offsets, include_last_offset)
    flat = indices.reshape(-1).astype(np.int64)
    padding_idx = checked_padding_idx(padding_idx, count, f"{name}: ")
    if padding_idx is not None and flat.size:
        mask = mask & (flat[positions] != padding_idx)
    entry_weights = None if per_sample_weights is None else _sample_weights(
        name, per_sample_weights, indices, mode, positions, mask)
    if max_norm is not None:  # every entry, padding too (PyTorch's rule)
        _renorm_(name, weight, flat, max_norm, norm_type)
    # the padded table's empty places read row 0; their gradient is masked out below, and
    # scale_grad_by_freq counts the indices of the input itself (batch=flat), not the table's
    lookup = np.where(mask, flat[positions], 0) if flat.size else np.zeros_like(positions)
    rows = EmbeddingLookup.apply(weight, indices=lookup, batch=flat, sparse=bool(sparse),
                                 scale_grad_by_freq=bool(scale_grad_by_freq))  # (B, L, D)
    if entry_weights is not None:
        rows = rows * entry_weights.unsqueeze(-1)
    keep = Tensor._const(mask[..., None])
    if mode == "max":
        filled = rows.masked_fill(Tensor._const(~mask[..., None]), -np.inf).amax(1)
        return filled.masked_fill(~Tensor._const(mask.any(1, keepdims=True)), 0.0)
    total = (rows * keep).sum(1)
    if mode == "sum":
        return total
    sizes = np.maximum(mask.sum(1, keepdims=True), 1).astype(weight.dtype)
    return total / Tensor._const(sizes)


def _sample_weights(name: str, weights: Tensor, indices: np.ndarray, mode: str,
                    positions: np.ndarray, mask: np.ndarray) -> Tensor:
    """per_sample_weights laid out like the bags: (B, L), 0 where the mask is False."""
    if mode != "sum":
        raise NotImplementedError(f"{name}: per_sample_weights is only supported for "
                                  f"mode='sum' (got mode={mode!r})")
    if tuple(weights.shape) != indices.shape:
        raise ValueError(f"{name}: per_sample_weights {tuple(weights.shape)} must have the "
                         f"same shape as the input {indices.shape}")
    flat = cat([weights.reshape(-1), zeros(1, dtype=weights.dtype)])  # the last one: 0
    return flat[np.where(mask, positions, indices.size)]


__all__ = ["embedding_bag"]

"""Variable-length sequences: padding and packing (PyTorch's ``nn.utils.rnn``).

A ``PackedSequence`` holds the steps of B sequences, sorted by decreasing length, interleaved
step by step: ``data`` (Σ lengths, *) has first the step-0 elements of all sequences, then the
step-1 elements of those at least 2 long, and so on; ``batch_sizes[t]`` says how many
sequences have a step t. Packing and unpacking are gathers (``x[index]``), so gradients flow
through them.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np

from ...creation import tensor as _tensor
from ...methods.shape import cat, stack
from ...tensor import Tensor


class PackedSequence(NamedTuple):
    """PyTorch's ``PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)``.

    Args:
        data: (Σ lengths, *) the steps of all sequences, interleaved step by step.
        batch_sizes: int64 (T,) how many sequences have each step.
        sorted_indices: int64 (B,) the original index of each sorted sequence, or None when
            the input was already sorted (``enforce_sorted=True``).
        unsorted_indices: its inverse permutation, or None.
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def sorted_lengths(self) -> np.ndarray:
        """The sequence lengths in sorted order (an int64 array); not in PyTorch."""
        sizes = self.batch_sizes.data
        return (sizes[None, :] > np.arange(int(sizes[0]))[:, None]).sum(axis=1)

    def to(self, dtype: Any) -> PackedSequence:
        return self._replace(data=self.data.to(dtype))


def _lengths_array(lengths: Any) -> np.ndarray:
    array = lengths.data if isinstance(lengths, Tensor) else np.asarray(lengths)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise TypeError(f"lengths must be a 1-D sequence of integers, got {array.dtype} "
                        f"of shape {tuple(array.shape)}")
    return array.astype(np.int64)


def _step_index(lengths_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(batch_sizes, t_idx, b_idx): packed row k is step t_idx[k] of sorted sequence b_idx[k]."""
    steps = np.arange(int(lengths_sorted[0]))
    valid = lengths_sorted[None, :] > steps[:, None]  # (T, B)
    t_idx, b_idx = np.nonzero(valid)  # row-major: step by step, sequences in order
    return valid.sum(axis=1).astype(np.int64), t_idx, b_idx


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch of variable-length sequences (PyTorch's ``pack_padded_sequence``).

    Args:
        input: (T, B, *), or (B, T, *) with ``batch_first``.
        lengths: the B sequence lengths (a list or an integer tensor), each in [1, T].
        batch_first: whether ``input`` is batch-major.
        enforce_sorted: if True, ``lengths`` must be in decreasing order; if False the batch is
            sorted here and ``sorted_indices``/``unsorted_indices`` record the permutation.

    Lengths longer than the sequence raise a ValueError (PyTorch does not check them).
    """
    lengths = _lengths_array(lengths)
    if batch_first:
        input = input.transpose(0, 1)
    if lengths.shape[0] != input.shape[1]:
        raise ValueError(f"pack_padded_sequence: got {lengths.shape[0]} lengths for a batch of "
                         f"{input.shape[1]} sequences (input shape {tuple(input.shape)})")
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if lengths.size and lengths.max() > input.shape[0]:
        raise ValueError(f"pack_padded_sequence: a length of {int(lengths.max())} is longer "
                         f"than the sequence dimension of the input, {input.shape[0]} "
                         f"(input shape {tuple(input.shape)}, batch_first={batch_first})")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        order, sorted_t, unsorted_t = np.arange(len(lengths)), None, None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_t = _tensor(order.astype(np.int64))
        unsorted_t = _tensor(np.argsort(order).astype(np.int64))
    batch_sizes, t_idx, b_idx = _step_index(lengths[order])
    data = input[t_idx, order[b_idx]]
    return PackedSequence(data, _tensor(batch_sizes), sorted_t, unsorted_t)


def packed_to_padded(sequence: PackedSequence, padding_value: float = 0.0,
                     total_length: int | None = None) -> tuple[Tensor, np.ndarray]:
    """(T, B, *) padded batch in *sorted* order, and the sorted lengths."""
    data = sequence.data
    lengths = sequence.sorted_lengths()
    steps = int(lengths[0]) if total_length is None else total_length
    batch_sizes, t_idx, b_idx = _step_index(lengths)
    rows = np.full((steps, len(lengths)), data.shape[0], dtype=np.int64)  # → the padding row
    rows[t_idx, b_idx] = np.arange(len(t_idx))
    pad = Tensor(np.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype))
    return cat([data, pad], dim=0)[rows], lengths


def padded_to_packed(padded: Tensor, sequence: PackedSequence) -> Tensor:
    """The packed ``data`` of a (T, B, *) batch laid out in ``sequence``'s sorted order."""
    _, t_idx, b_idx = _step_index(sequence.sorted_lengths())
    return padded[t_idx, b_idx]


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``: (padded batch in the original order, lengths).

    Args:
        sequence: the PackedSequence.
        batch_first: return (B, T, *) instead of (T, B, *).
        padding_value: the value of the steps past each sequence's end.
        total_length: pad to this many steps (at least the longest length).

    Returns:
        (padded, lengths), lengths an int64 tensor in the original batch order.
    """
    longest = int(sequence.batch_sizes.data.shape[0])
    if total_length is not None and total_length < longest:
        raise ValueError("Expected total_length to be at least the length of the longest "
                         f"sequence in input, but got total_length={total_length} and max "
                         f"sequence length being {longest}")
    padded, lengths = packed_to_padded(sequence, padding_value, total_length)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices.data
        padded, lengths = padded[:, unsorted], lengths[unsorted]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _tensor(lengths.astype(np.int64))


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences of different lengths (each (Lᵢ, *)) into one padded batch.

    Args:
        sequences: tensors (Lᵢ, *) with equal trailing shapes.
        batch_first: return (B, T, *) instead of (T, B, *).
        padding_value: the value of the padding steps.
        padding_side: "right" (pad after each sequence) or "left".
    """
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side should be either 'right' or 'left', but got "
                         f"{padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: sequences must have equal trailing shapes, "
                               f"got {trailing} and {tuple(s.shape[1:])}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = Tensor(np.full((missing,) + trailing, padding_value, dtype=s.dtype))
            s = cat([s, fill] if padding_side == "right" else [fill, s], dim=0)
        padded.append(s)
    return stack(padded, dim=0 if batch_first else 1)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (each (Lᵢ, *)) of different lengths.

    Args:
        sequences: tensors (Lᵢ, *); in decreasing length if ``enforce_sorted``.
        enforce_sorted: as in ``pack_padded_sequence``.
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)

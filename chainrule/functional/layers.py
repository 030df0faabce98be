"""Functions behind the basic layers: dropout, embedding lookup and the bilinear map."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..methods.inplace import inplace as write_over
from ..ops.shape import EmbeddingLookup
from ..random import resolve
from ..tensor import Tensor


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            generator: Any = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1/(1 − p), so the expected value is unchanged; the identity when not ``training``.

    The gradient flows only through the kept elements (times the same 1/(1 − p)).
    ``inplace=True`` writes the result over ``input`` and returns it (PyTorch's ``dropout_``;
    ``methods.inplace``'s rules). ``generator`` (keyword): the random generator for the mask
    (default: the package generator).

    Example:
        >>> import chainrule
        >>> x = chainrule.ones(1000)
        >>> y = dropout(x, 0.5, training=True)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, got {p}")
    x = input
    if not training or p == 0.0:
        return x
    if inplace:
        return write_over(x, "dropout(inplace=True)", lambda t: dropout(t, p, generator=generator))
    if p == 1.0:
        return x * 0.0
    keep = resolve(generator).random(x.shape, dtype=np.float32) >= p
    return x * Tensor._const(keep.astype(x.dtype) * (1.0 / (1.0 - p)))


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` selected by the integer ``input``: out[..., :] = weight[input[...]].

    Args:
        input: integer indices (int64 or int32), each in [0, num_embeddings).
        weight: (num_embeddings, embedding_dim).
        padding_idx: the row that gets no gradient (negative values count from the end).
        max_norm: first, each row that ``input`` names whose ``norm_type``-norm exceeds
            max_norm is multiplied by max_norm / (norm + 1e-7) in ``weight`` itself, in place
            and outside autograd (PyTorch's ``embedding_renorm_``); the lookup reads the
            rescaled rows. Must be non-negative.
        norm_type: the p of that p-norm (default 2).
        scale_grad_by_freq: divide the gradient of each row by the number of times its index
            occurs in ``input``.
        sparse: taken for PyTorch's signature; chainrule has no sparse tensors, so the
            gradient is dense either way (the values of PyTorch's ``weight.grad.to_dense()``),
            and, as in PyTorch, backward refuses it with ``scale_grad_by_freq``.

    Shape:
        input: (*) -> (*, embedding_dim).

    Example:
        >>> import chainrule
        >>> w = chainrule.tensor([[0.0, 0.0], [3.0, 4.0]])
        >>> embedding(chainrule.tensor([1, 0, 1]), w).tolist()
        [[3.0, 4.0], [0.0, 0.0], [3.0, 4.0]]
    """
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), "
                           f"got shape {tuple(weight.shape)}")
    indices = _indices("embedding", input, weight.shape[0])
    padding_idx = checked_padding_idx(padding_idx, weight.shape[0], "embedding: ")
    if max_norm is not None:
        _renorm_("embedding", weight, indices, max_norm, norm_type)
    return EmbeddingLookup.apply(weight, indices=indices, padding_idx=padding_idx,
                                 scale_grad_by_freq=bool(scale_grad_by_freq), sparse=bool(sparse))


def _indices(name: str, input: Any, count: int) -> np.ndarray:
    """The integer array of ``input``, each entry checked to name one of ``count`` rows."""
    indices = input.data if isinstance(input, Tensor) else np.asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers (int64 or int32), got "
                        f"{indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= count):
        bad = indices[(indices < 0) | (indices >= count)].ravel()[0]
        raise IndexError(f"{name}: index {bad} is out of range for {count} embeddings "
                         f"(valid: 0 … {count - 1})")
    return indices


def checked_padding_idx(padding_idx: int | None, num_embeddings: int,
                        where: str = "") -> int | None:
    """``padding_idx`` as a row index in [0, num_embeddings) (negative counts from the end),
    or None; a ValueError (prefixed with ``where``) when it names no row."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{where}padding_idx {padding_idx} must be within num_embeddings "
                         f"({num_embeddings})")
    return padding_idx % num_embeddings


def _renorm_(name: str, weight: Tensor, indices: np.ndarray, max_norm: float,
             norm_type: float) -> None:
    """PyTorch's max_norm (``embedding_renorm_``): each row of ``weight`` that ``indices``
    names whose ``norm_type``-norm exceeds ``max_norm`` is multiplied, in place and outside
    autograd, by max_norm / (norm + 1e-7), which leaves its norm just under max_norm.

    As in PyTorch, the norm is taken in the weight's dtype and the scale in float64, then
    rounded to the weight's dtype; and the write is an in-place change of ``weight`` even when
    no row needs it (its version goes up), so a graph that read ``weight`` earlier can no
    longer backward.
    """
    if max_norm < 0:  # PyTorch takes it, and flips the sign of every row it rescales
        raise ValueError(f"{name}: max_norm must be non-negative, got {max_norm}")
    rows = np.unique(indices)
    data = weight.data[rows]
    with np.errstate(divide="ignore"):  # a negative p over a zero entry: norm 0, as PyTorch
        norms = np.linalg.norm(data, ord=norm_type, axis=1) if data.size else np.zeros(len(rows))
    norms = norms.astype(np.float64)
    over = norms > max_norm
    scale = max_norm / (norms[over] + 1e-7)
    weight.data[rows[over]] = data[over] * scale.astype(data.dtype)[:, None]
    weight._version_counter[0] += 1


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None
             ) -> Tensor:
    """y[…, o] = Σᵢⱼ x₁[…, i] W[o, i, j] x₂[…, j] + b[o] (x₁ᵀ Wₒ x₂ for each output o).

    A composite (a matmul, a product and a sum), so its gradients are those of its parts:
    dL/dx₁ = Σₒ Gₒ Wₒ x₂, dL/dx₂ = Σₒ Gₒ Wₒᵀ x₁, dL/dWₒ = Σ over rows of Gₒ x₁ x₂ᵀ.

    Args:
        input1: (*, in1_features).
        input2: (*, in2_features), the same leading dimensions.
        weight: (out_features, in1_features, in2_features).
        bias: (out_features,) or None.

    Shape:
        output: (*, out_features).

    Example:
        >>> import chainrule
        >>> w = chainrule.ones(1, 2, 3)
        >>> bilinear(chainrule.ones(4, 2), chainrule.ones(4, 3), w).shape
        (4, 1)
    """
    _check_bilinear(input1, input2, weight, bias)
    out, in1, in2 = weight.shape
    lead = tuple(input1.shape[:-1])
    x1, x2 = input1.reshape(-1, in1), input2.reshape(-1, in2)
    mixed = x1 @ weight.permute(1, 0, 2).reshape(in1, out * in2)
    y = (mixed.reshape(-1, out, in2) * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out)


def _check_bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None):
    """PyTorch's checks (RuntimeError), with the sizes in the message."""
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got shape "
                           f"{tuple(weight.shape)}")
    if input1.ndim != input2.ndim or input1.ndim == 0:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    if input1.shape[:-1] != input2.shape[:-1]:
        dim = next(i for i, (a, b) in enumerate(zip(input1.shape, input2.shape)) if a != b)
        raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {dim}: "
                           f"got {input1.shape[dim]} and {input2.shape[dim]}")
    for k, x in ((1, input1), (2, input2)):
        if x.shape[-1] != weight.shape[k]:
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got "
                               f"{x.shape[-1]} but expected {weight.shape[k]}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[-1] if bias.ndim else 0} but expected "
                           f"{weight.shape[0]}")

"""``Embedding``: a lookup table of learnable vectors indexed by integers (PyTorch's names,
arguments, defaults, initialisation and repr); it calls ``functional.embedding``. The helpers
at the end are shared with ``EmbeddingBag``."""

from __future__ import annotations

from typing import Any

from ..creation import empty
from ..device import require_cpu
from ..functional.layers import checked_padding_idx, embedding
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """out[..., :] = weight[input[...]]: one learnable row per index.

    Args:
        num_embeddings: number of rows (valid indices are 0 … num_embeddings − 1).
        embedding_dim: size of each row.
        padding_idx: a row that starts at zero and receives no gradient (negative values
            count from the end).
        max_norm, norm_type: each row that a forward reads whose norm_type-norm exceeds
            max_norm is first rescaled to it, in the weight itself (see
            ``functional.embedding``).
        scale_grad_by_freq: divide each row's gradient by how often its index occurs in the
            mini-batch.
        sparse: taken for PyTorch's signature; the gradient is dense either way.
        _weight: a (num_embeddings, embedding_dim) tensor to use as the weight (its memory is
            shared, not copied, and not initialised); _freeze: the weight gets no gradient.
        device: the CPU (another device raises ``DeviceError``); dtype: the weight's dtype.
        generator: (keyword) random generator for the initialisation.

    Shape:
        input: (*) int64 or int32  ->  (*, embedding_dim)

    Init: N(0, 1), with the padding row zeroed (PyTorch's default).

    Example:
        >>> import chainrule
        >>> table = chainrule.nn.Embedding(10, 3, padding_idx=0)
        >>> table(chainrule.tensor([[1, 2, 0], [4, 0, 9]])).shape
        (2, 3, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None, *, generator: Any = None) -> None:
        super().__init__()
        require_cpu(device, "Embedding")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = checked_padding_idx(padding_idx, num_embeddings, "Embedding: ")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.weight = table_weight("Embedding", _weight, num_embeddings, embedding_dim, dtype,
                                   not _freeze)
        if _weight is None:
            self.reset_parameters(generator)

    def reset_parameters(self, generator: Any = None) -> None:
        """weight ~ N(0, 1), the padding row zero."""
        reset_rows_(self.weight, self.padding_idx, generator)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (2-D; its memory is shared, and its
        padding row is kept as it is, as in PyTorch); frozen (no gradient) by default."""
        return pretrained_table(cls, embeddings, freeze, padding_idx=padding_idx,
                                max_norm=max_norm, norm_type=norm_type,
                                scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            text += ", sparse=True"
        return text


def table_weight(where: str, _weight: Tensor | None, num_embeddings: int, embedding_dim: int,
                 dtype: Any, requires_grad: bool) -> Parameter:
    """The weight Parameter of an embedding table: ``_weight`` itself (its memory shared)
    after a shape check, or a new uninitialised (num_embeddings, embedding_dim) one."""
    if _weight is None:
        return Parameter(empty(num_embeddings, embedding_dim, dtype=dtype), requires_grad)
    if tuple(_weight.shape) != (num_embeddings, embedding_dim):
        raise ValueError(f"{where}: _weight must have shape ({num_embeddings}, "
                         f"{embedding_dim}), got {tuple(_weight.shape)}")
    return Parameter(_weight, requires_grad)


def reset_rows_(weight: Tensor, padding_idx: int | None, generator: Any = None) -> None:
    """weight ~ N(0, 1) in place, then its padding row set to zero (PyTorch's init)."""
    init.normal_(weight, generator=generator)
    if padding_idx is not None:
        weight.data[padding_idx] = 0


def pretrained_table(cls: type, embeddings: Tensor, freeze: bool, **kwargs: Any) -> Any:
    """``cls(rows, cols, _weight=embeddings, **kwargs)`` for 2-D ``embeddings`` (num_embeddings,
    embedding_dim), whose weight gets a gradient only when not ``freeze``."""
    if embeddings.ndim != 2:
        raise ValueError(f"{cls.__name__}.from_pretrained: embeddings must be 2-D "
                         f"(num_embeddings, embedding_dim), got shape "
                         f"{tuple(embeddings.shape)}")
    layer = cls(*embeddings.shape, _weight=embeddings, **kwargs)
    layer.weight.requires_grad = not freeze
    return layer

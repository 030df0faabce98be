"""``EmbeddingBag``: sums, means or maxima of bags of learnable vectors (PyTorch's names,
arguments, defaults, initialisation and repr); it calls ``functional.embedding_bag``."""

from __future__ import annotations

from typing import Any

from ..device import require_cpu
from ..functional.bags import embedding_bag
from ..functional.layers import checked_padding_idx
from ..tensor import Tensor
from .embedding import pretrained_table, reset_rows_, table_weight
from .module import Module


class EmbeddingBag(Module):
    """y[b] = the sum, mean or max of the rows of ``weight`` named by bag b.

    Args:
        num_embeddings: number of rows (valid indices are 0 … num_embeddings − 1).
        embedding_dim: size of each row.
        max_norm, norm_type: rows used with a larger norm are rescaled in place to max_norm.
        scale_grad_by_freq: divide each row's gradient by how often its index occurs in the
            input (not with mode 'max').
        sparse: taken for PyTorch's signature (not with mode 'max'); the gradient is dense.
        mode: 'sum', 'mean' (default) or 'max'.
        include_last_offset: offsets has one more entry, the input's length.
        padding_idx: entries with this index are left out of their bags (the row starts at
            zero; negative values count from the end).
        device: the CPU (another device raises ``DeviceError``); dtype: the weight's dtype.
        generator: random generator for the initialisation.

    Shape:
        forward(input, offsets=None, per_sample_weights=None): input (B, L), or (n,) with
        (B,) offsets -> (B, embedding_dim). See ``functional.embedding_bag``.

    Init: N(0, 1), with the padding row zeroed (PyTorch's default).

    Example:
        >>> import chainrule
        >>> bag = chainrule.nn.EmbeddingBag(10, 4, mode="sum")
        >>> bag(chainrule.tensor([1, 2, 4, 5, 4]), chainrule.tensor([0, 2])).shape
        (2, 4)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight: Tensor | None = None,
                 include_last_offset: bool = False, padding_idx: int | None = None,
                 device: Any = None, dtype: Any = None, generator: Any = None) -> None:
        super().__init__()
        require_cpu(device, "EmbeddingBag")
        padding_idx = checked_padding_idx(padding_idx, num_embeddings, "EmbeddingBag: ")
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode has to be one of sum, mean or max, got "
                             f"{mode!r}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset, self.padding_idx = include_last_offset, padding_idx
        self.weight = table_weight("EmbeddingBag", _weight, num_embeddings, embedding_dim,
                                   dtype, True)
        if _weight is None:
            self.reset_parameters(generator)

    def reset_parameters(self, generator: Any = None) -> None:
        """weight ~ N(0, 1), the padding row zero."""
        reset_rows_(self.weight, self.padding_idx, generator)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, mode: str = "mean",
                        sparse: bool = False, include_last_offset: bool = False,
                        padding_idx: int | None = None) -> EmbeddingBag:
        """An EmbeddingBag whose weight is ``embeddings`` (2-D; its memory is shared, and its
        padding row is kept as it is, as in PyTorch); frozen (no gradient) by default."""
        return pretrained_table(cls, embeddings, freeze, max_norm=max_norm,
                                norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq,
                                mode=mode, sparse=sparse,
                                include_last_offset=include_last_offset,
                                padding_idx=padding_idx)

    def forward(self, input: Tensor, offsets: Tensor | None = None,
                per_sample_weights: Tensor | None = None) -> Tensor:
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, self.sparse,
                             per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text

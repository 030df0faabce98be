"""Distance layers: ``CosineSimilarity`` and ``PairwiseDistance``, thin modules over
``chainrule.functional.distance`` with PyTorch's constructor arguments and defaults.
"""

from __future__ import annotations

from .. import functional as F
from ..tensor import Tensor
from .module import Module


class CosineSimilarity(Module):
    """Cosine similarity of x1 and x2 along ``dim``: x1·x2 / (max(‖x1‖, ε)·max(‖x2‖, ε)).

    Args:
        dim: the dimension of the vectors (default 1).
        eps: the floor ε on each norm (default 1e-8).

    Shape: x1 and x2 broadcastable, (*, D, *) -> (*, *).

    Example:
        >>> import chainrule
        >>> x = chainrule.tensor([[1.0, 0.0]])
        >>> CosineSimilarity()(x, x * 3.0)
        tensor([1.])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """p-norm distance ‖x1 − x2 + ε‖_p over the last dimension.

    Args:
        p: the norm's exponent, positive or inf (default 2).
        eps: added to the difference, keeping the norm away from 0 (default 1e-6).
        keepdim: keep the reduced dimension as size 1 (default False).

    Shape: (N, D) and (N, D) or (D,) -> (N,), or (N, 1) with ``keepdim``.

    Example:
        >>> import chainrule
        >>> PairwiseDistance(eps=0.0)(chainrule.tensor([[3.0, 4.0]]), chainrule.zeros(1, 2))
        tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


__all__ = ["CosineSimilarity", "PairwiseDistance"]

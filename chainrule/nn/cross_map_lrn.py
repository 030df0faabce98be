"""``CrossMapLRN2d``: PyTorch's legacy (Lua Torch) local response normalisation across
channels, for (N, C, H, W) input; ``LocalResponseNorm`` is the modern one."""

from __future__ import annotations

from ..functional.cross_map_lrn import cross_map_lrn2d
from ..tensor import Tensor
from .module import Module


class CrossMapLRN2d(Module):
    """b_c = a_c · (k + α/size · Σ_{j ∈ window(c)} a_j²)^(−β); see
    ``functional.cross_map_lrn.cross_map_lrn2d`` for PyTorch's window, which differs from
    ``LocalResponseNorm``'s (α is scaled by 1/size in both). No parameters.

    Args:
        size: the window's nominal width.
        alpha: α (1e-4), beta: β (0.75), k: k (1).

    Shape:
        (N, C, H, W)  ->  the same shape (4-D input only).

    Gradient: the exact derivative of these values. NOTE: PyTorch's own backward for this
    layer is not (``torch.autograd.gradcheck`` fails on it, and it raises for size 1), so
    gradients agree with PyTorch's only where its window spans every channel.

    Example:
        >>> import chainrule
        >>> chainrule.nn.CrossMapLRN2d(3)(chainrule.randn(2, 4, 3, 3)).shape
        (2, 4, 3, 3)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return cross_map_lrn2d(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


__all__ = ["CrossMapLRN2d"]

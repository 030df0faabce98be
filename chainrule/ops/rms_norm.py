"""Root-mean-square normalisation with its elementwise scale, as one Function."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class RMSNorm(Function):
    """Y = X / √(mean(X²) + ε) ⊙ γ over the last ``dims`` axes of X (m values per row); γ
    (optional: ``has_weight``) has those axes' shape. No centring, no shift (Zhang & Sennrich's
    RMSNorm, PyTorch's ``nn.RMSNorm``).

    Per row, with s = (mean(X²) + ε)^(−1/2) and X̂ = X·s: since ∂s/∂x_k = −s³·x_k/m,
        ∂(x_j s)/∂x_k = s·δ_jk − s³·x_j·x_k/m.
    With G = dL/dY and D = dL/dX̂ = G ⊙ γ (G alone without γ):
        dL/dx_k = Σ_j D_j (s·δ_jk − s³ x_j x_k / m) = s·(D_k − X̂_k · (1/m) Σ_j D_j X̂_j)
        dL/dγ   = Σ_rows G ⊙ X̂
    Saves X̂, s and γ.
    """

    @staticmethod
    def forward(ctx, x, *weight, dims=1, eps=1e-6):
        width = int(np.prod(x.shape[x.ndim - dims:]))
        rows = x.reshape(-1, width)
        inv_rms = np.einsum("ij,ij->i", rows, rows)[:, None]  # Σ x² per row
        inv_rms /= width
        inv_rms += eps
        np.sqrt(inv_rms, out=inv_rms)
        np.divide(1, inv_rms, out=inv_rms)
        x_hat = rows * inv_rms
        gamma = weight[0].reshape(-1) if weight else None
        ctx.save_for_backward(x_hat, inv_rms, gamma)
        y = x_hat if gamma is None else x_hat * gamma
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad_out):
        x_hat, inv_rms, gamma = ctx.saved
        width = x_hat.shape[1]
        g = grad_out.reshape(-1, width)
        grads = []
        if gamma is not None:
            grad_w = np.einsum("ij,ij->j", g, x_hat) if ctx.needs_input_grad[1] else None
            grads.append(None if grad_w is None else grad_w.reshape(ctx.parents[1].shape))
        grad_x = None
        if ctx.needs_input_grad[0]:
            d = g * gamma if gamma is not None else g.copy()
            mean_dx = np.einsum("ij,ij->i", d, x_hat)[:, None]
            mean_dx /= width
            d -= x_hat * mean_dx
            d *= inv_rms
            grad_x = d.reshape(grad_out.shape)
        return (grad_x, *grads)

"""Layer normalisation with its elementwise affine map, as one Function.

Over the last k axes (m values per row): μ, σ² (biased, two passes), s = 1/√(σ² + ε) and
X̂ = (X − μ)·s as in ``ops.norm`` (whose module docstring derives the Jacobian), then
Y = X̂ ⊙ γ + β with γ, β of the normalised shape.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class LayerNorm(Function):
    """Y = (X − μ)/√(σ² + ε) ⊙ γ + β over the last ``dims`` axes of X, γ and β (optional, the
    settings ``has_weight`` and ``has_bias`` say which follow X) of those axes' shape.

    With the rows of X as a matrix (R, m), G = dL/dY (R, m), D = dL/dX̂ = G ⊙ γ:
        dL/dβ = Σ_rows G,   dL/dγ = Σ_rows G ⊙ X̂
        dL/dX = s·(D − (1/m)·Σ_m D − X̂·(1/m)·Σ_m D ⊙ X̂)     (``ops.norm``'s formula)
    Fused (one node instead of the normalisation, a product, a sum and their broadcasts) so
    that each pass over the (R, m) values happens once, in arrays written in place.
    Saves X̂, s and γ.
    """

    @staticmethod
    def forward(ctx, x, *params, dims=1, eps=1e-5, has_weight=True, has_bias=True):
        weight = params[0] if has_weight else None
        bias = params[-1] if has_bias else None
        width = int(np.prod(x.shape[x.ndim - dims:]))
        rows = x.reshape(-1, width)
        mean = np.einsum("ij->i", rows)[:, None]  # row sums (faster than np.sum on short rows)
        mean /= width
        x_hat = np.subtract(rows, mean)
        var = np.einsum("ij,ij->i", x_hat, x_hat)[:, None]
        var /= width
        var += eps
        inv_std = np.sqrt(var, out=var)
        np.divide(1, inv_std, out=inv_std)
        x_hat *= inv_std
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.settings = (has_weight, has_bias)
        y = x_hat if weight is None else x_hat * weight.reshape(-1)
        if bias is not None:
            y = y + bias.reshape(-1) if y is x_hat else np.add(y, bias.reshape(-1), out=y)
        return (y.copy() if y is x_hat else y).reshape(x.shape)

    @staticmethod
    def backward(ctx, grad_out):
        x_hat, inv_std, weight = ctx.saved
        has_weight, has_bias = ctx.settings
        need = ctx.needs_input_grad
        width = x_hat.shape[1]
        g = grad_out.reshape(-1, width)
        grads = []
        if has_weight and need[1]:
            grads.append(np.einsum("ij,ij->j", g, x_hat).reshape(weight.shape))
        elif has_weight:
            grads.append(None)
        if has_bias and need[-1]:
            grads.append(np.sum(g, axis=0).reshape(ctx.parents[-1].shape))
        elif has_bias:
            grads.append(None)
        grad_x = None
        if need[0]:
            d = g * weight.reshape(-1) if has_weight else g.copy()
            sum_d = np.einsum("ij->i", d)[:, None]
            sum_dx = np.einsum("ij,ij->i", d, x_hat)[:, None]
            sum_d /= width
            sum_dx /= width
            d -= sum_d
            d -= np.multiply(x_hat, sum_dx)
            d *= inv_std
            grad_x = d.reshape(grad_out.shape)
        return (grad_x, *grads)

"""Normalisation: the fused batch-norm Function and a "normalise over these axes" Function.

Both rest on one derivation. For values X₁ … X_m that share a mean and a variance,

    μ = (1/m) Σ Xᵢ,   σ² = (1/m) Σ (Xᵢ − μ)²,   s = 1/√(σ² + ε),   X̂ᵢ = (Xᵢ − μ)·s.

From ∂μ/∂Xⱼ = 1/m and ∂σ²/∂Xⱼ = 2(Xⱼ − μ)/m (the terms in Σ(Xₖ − μ) = 0 cancel) comes
∂s/∂Xⱼ = −s³(Xⱼ − μ)/m, hence the Jacobian of the normalisation

    ∂X̂ᵢ/∂Xⱼ = s·(δᵢⱼ − 1/m − X̂ᵢX̂ⱼ/m),

and for an upstream gradient D = dL/dX̂ (a vector-Jacobian product; the Jacobian is symmetric)

    dL/dX = (s/m)·(m·D − Σ D − X̂·Σ(D ⊙ X̂)).

Numerics: the variance is computed in two passes (the mean first, then the mean of squared
deviations), never as E[X²] − E[X]², which cancels catastrophically when |μ| ≫ σ. The
variance is the biased one (divide by m), as PyTorch normalises with it.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def moments(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(mean, biased variance) of ``x`` over ``axes``, both with kept dims, in x's dtype.

    Two passes (mean, then mean of squared deviations), so no cancellation.

    Example:
        >>> import numpy as np
        >>> mean, var = moments(np.array([[1.0, 3.0], [5.0, 7.0]]), (1,))
        >>> mean.ravel().tolist(), var.ravel().tolist()
        ([2.0, 6.0], [1.0, 1.0])
    """
    mean = np.mean(x, axis=axes, keepdims=True)
    centered = x - mean
    return mean, np.mean(centered * centered, axis=axes, keepdims=True)


def batch_axes(ndim: int) -> tuple[int, ...]:
    """The axes that batch norm reduces over for an (N, C, *) input: all but the channel axis."""
    return (0,) + tuple(range(2, ndim))


class BatchNorm(Function):
    """Batch normalisation in training mode, fused: Y = γ ⊙ X̂ + β with batch statistics.

    Shapes: X, Y: (N, C, *); γ (weight), β (bias): (C,), used as (1, C, 1, …). Per channel c
    the statistics run over R = (N, *), m = N·Π(*) values:
        μ = mean_R X,   σ² = mean_R (X − μ)²,   s = 1/√(σ² + ε),   X̂ = (X − μ)·s.

    Backward, G = dL/dY: (N, C, *). From Y = γX̂ + β:
        dL/dβ = Σ_R G                   (C,)
        dL/dγ = Σ_R G ⊙ X̂               (C,)
        dL/dX̂ = γ ⊙ G, and through the statistics (module docstring, D = γG with γ constant
        over R, so Σ_R D = γ Σ_R G and Σ_R D ⊙ X̂ = γ Σ_R G ⊙ X̂):
        dL/dX = (γ·s/m) ⊙ (m·G − Σ_R G − X̂ ⊙ Σ_R G ⊙ X̂)       (N, C, *)
    The two sums of dL/dX are dL/dβ and dL/dγ, computed once and used twice.

    Fused because the composite (mean, sub, mul, mean, add, rsqrt, mul, mul, add …) records
    about ten nodes and keeps several x-sized intermediates; this one keeps X̂ only.

    Params: ``eps``; ``stats``: optionally (μ, σ²) with kept dims, exactly ``moments(X, R)``,
    passed by callers that also need them (the running-statistics update), so they are not
    computed twice. Saves X̂ (N, C, *), s and γ (1, C, 1, …).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, eps=1e-5, stats=None):
        axes = batch_axes(x.ndim)
        mean, var = moments(x, axes) if stats is None else stats
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mean) * inv_std
        gamma = weight.reshape(inv_std.shape)
        ctx.save_for_backward(x_hat, inv_std, gamma)
        ctx.axes = axes
        return x_hat * gamma + bias.reshape(inv_std.shape)

    @staticmethod
    def backward(ctx, grad_out):
        x_hat, inv_std, gamma = ctx.saved
        grad_beta = np.sum(grad_out, axis=ctx.axes, keepdims=True)
        grad_gamma = np.sum(grad_out * x_hat, axis=ctx.axes, keepdims=True)
        grad_x = None
        if ctx.needs_input_grad[0]:
            m = x_hat.size // grad_beta.size
            grad_x = (gamma * inv_std / m) * (m * grad_out - grad_beta - x_hat * grad_gamma)
        grad_w = grad_gamma.reshape(-1) if ctx.needs_input_grad[1] else None
        grad_b = grad_beta.reshape(-1) if ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b


class Normalize(Function):
    """X̂ = (X − μ)/√(σ² + ε), the statistics taken over ``axes`` (layer norm, group norm).

    Shapes: X, X̂: any shape (…); μ, σ², s: X's shape with ``axes`` kept as size 1; m the
    number of values over ``axes``. μ = mean X, σ² = mean (X − μ)², s = 1/√(σ² + ε).

    Backward, G = dL/dX̂ (X's shape); the module docstring's formula with D = G:
        dL/dX = (s/m) ⊙ (m·G − Σ_axes G − X̂ ⊙ Σ_axes G ⊙ X̂)      (X's shape)

    Fused for the same reasons as ``BatchNorm``; the elementwise affine map that usually
    follows (γX̂ + β, with γ and β broadcast) is an ordinary composite.
    Saves X̂ and s.
    """

    @staticmethod
    def forward(ctx, x, axes, eps=1e-5):
        mean, var = moments(x, axes)
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mean) * inv_std
        ctx.save_for_backward(x_hat, inv_std)
        ctx.axes = axes
        return x_hat

    @staticmethod
    def backward(ctx, grad_out):
        x_hat, inv_std = ctx.saved
        m = x_hat.size // inv_std.size
        sum_g = np.sum(grad_out, axis=ctx.axes, keepdims=True)
        sum_gx = np.sum(grad_out * x_hat, axis=ctx.axes, keepdims=True)
        return (inv_std / m) * (m * grad_out - sum_g - x_hat * sum_gx)

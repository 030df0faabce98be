"""Fused loss Functions: softmax cross-entropy, and binary cross-entropy on probabilities and on
logits. Each is one graph node because its composite is unstable or wasteful:

* ``CrossEntropy``: log-softmax followed by picking the target's log-probability. Fused, the
  gradient is the classic p − onehot(y) and the (N, C) log-probabilities never need a
  gather/scatter pair of nodes.
* ``BinaryCrossEntropyWithLogits``: written through softplus so that no exponential overflows
  (finite for |z| = 200 in float32), with the gradient σ(z) − y.
* ``BinaryCrossEntropy``: logarithms clamped at −100 (PyTorch's rule), where a composite log
  would return −inf and a NaN gradient at probabilities of exactly 0 or 1.

Validation (shapes, dtypes, label ranges) happens in ``functional/loss.py``; these Functions
receive checked arrays. Notation: G = dL/dY, the upstream gradient, with Y's shape.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .reduce import log_softmax_values

_EPSILON = 1e-12  # PyTorch's floor on x(1 − x) in the BCE gradient


def _class_index(target: np.ndarray) -> tuple:
    """The index that picks X[i, tᵢ, …] for every sample i = (n, d₁, …) of (N, C, d₁, …):
    integer arrays for N and each dᵢ, with the targets in the class position. Direct fancy
    indexing: cheaper than ``take_along_axis``/``put_along_axis`` (no index broadcasting)."""
    if target.ndim == 1:
        return (np.arange(len(target)), target)
    grids = np.indices(target.shape, sparse=True)
    return (grids[0], target, *grids[1:])


class CrossEntropy(Function):
    """Softmax cross-entropy of logits X: (N, C, d₁, …) against class indices t: (N, d₁, …).

    Forward, per sample i (a position in N × d₁ × …), with weight wᵢ = weight[tᵢ] (0 where tᵢ
    is ignore_index, 1 without class weights), and log pᵢ = log_softmax(Xᵢ) over C:
        ℓᵢ = −wᵢ · log pᵢ,ₜᵢ = wᵢ · (logsumexp(Xᵢ) − Xᵢ,ₜᵢ)
        Y = ℓ ('none', shape (N, d₁, …)),  Σᵢ ℓᵢ ('sum'),  Σᵢ ℓᵢ / Σᵢ wᵢ ('mean', a scalar).

    Derivative: ∂ log pᵢ,ₜ/∂Xᵢ,c = δ_ct − pᵢ,c, so ∂ℓᵢ/∂Xᵢ,c = wᵢ (pᵢ,c − δ_c,tᵢ): the fused
    softmax cross-entropy gradient p − y, y the one-hot target. With Gᵢ the upstream
    gradient of ℓᵢ (G itself for 'none', G for every i for 'sum', G / Σⱼ wⱼ for 'mean'):
        dL/dX[i, c] = Gᵢ · wᵢ · (softmax(Xᵢ)_c − [c = tᵢ])      (shape of X)
    so for unweighted 'mean' it is (softmax(X) − onehot(t)) / N.

    ``sample_weight`` None means every wᵢ = 1 (no class weights and no ignored target), the
    common case, which then skips the per-sample products.
    Saves log p (N, C, …; backward needs p = e^(log p)), t and w. The targets and weights are
    constants (keyword arguments), never differentiated.
    Numerics: log p = (X − M) − ln Σ e^(X−M) with M = max X (``log_softmax_values``), so
    logits of ±1000 give finite, full-precision values and gradients in float32. A 'mean'
    over zero total weight (every target ignored, or all their class weights 0) is NaN, as in
    PyTorch, and its gradient is zero (PyTorch's is also zero when all are ignored, but NaN
    when the weights are 0).
    """

    @staticmethod
    def forward(ctx, x, target, sample_weight=None, reduction="mean"):
        log_p = log_softmax_values(x, 1)
        index = _class_index(target)
        loss = -log_p[index]
        if sample_weight is not None:
            loss *= sample_weight
        ctx.save_for_backward(log_p, index, sample_weight)
        ctx.scale = 1.0
        if reduction == "none":
            return loss
        total = loss.sum()
        if reduction == "sum":
            return np.asarray(total)
        denominator = loss.size if sample_weight is None else float(sample_weight.sum())
        ctx.scale = 1.0 / denominator if denominator else 0.0
        return np.asarray(total / denominator if denominator else np.nan, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        log_p, index, sample_weight = ctx.saved
        coefficient = grad_out * ctx.scale
        if sample_weight is not None:
            coefficient = coefficient * sample_weight
        if coefficient.ndim:  # one per sample (N, d₁, …): insert the class axis
            coefficient = coefficient.reshape(coefficient.shape[:1] + (1,) + coefficient.shape[1:])
        grad = np.exp(log_p)
        grad[index] -= 1
        grad *= coefficient
        return grad


class BinaryCrossEntropyWithLogits(Function):
    """Elementwise binary cross-entropy of logits Z against targets Y (both of one shape),
    with an optional weight w and positive-class weight p (arrays broadcastable to Z):

        ℓ = −w · [p·y·log σ(z) + (1 − y)·log(1 − σ(z))]

    Using log σ(z) = −s(−z) and log(1 − σ(z)) = −z − s(−z), with s the softplus, and
    m = 1 + (p − 1)·y:
        ℓ = w · [(1 − y)·z + m·s(−z)],    s(−z) = max(−z, 0) + log1p(e^(−|z|)),
    which for p = 1 is the familiar max(z, 0) − z·y + log1p(e^(−|z|)).

    Derivatives (σ' = σ(1 − σ), s'(−z) = −σ(−z) = σ(z) − 1):
        dL/dZ = G ⊙ w ⊙ (m·σ(z) − p·y)           (for p = 1: G ⊙ w ⊙ (σ(z) − y))
        dL/dY = G ⊙ w ⊙ (−z + (p − 1)·s(−z))     (for p = 1: −G ⊙ w ⊙ z)
    Saves Z and Y (w and p are constant keyword arguments, never differentiated).
    Numerics: no exponential of a positive number is taken, so the loss and both gradients
    are finite for |z| = 200 in float32; σ uses the two-branch form of ``ops.Sigmoid``.
    """

    @staticmethod
    def forward(ctx, z, y, weight=None, pos_weight=None):
        ctx.save_for_backward(z, y)
        ctx.weight, ctx.pos_weight = weight, pos_weight
        loss = (1 - y) * z + _log_weight(y, pos_weight) * _softplus_neg(z)
        return loss if weight is None else loss * weight

    @staticmethod
    def backward(ctx, grad_out):
        z, y = ctx.saved
        p = ctx.pos_weight
        g = grad_out if ctx.weight is None else grad_out * ctx.weight
        grad_z = grad_y = None
        if ctx.needs_input_grad[0]:
            target = y if p is None else p * y
            grad_z = g * (_log_weight(y, p) * _sigmoid(z) - target)
        if ctx.needs_input_grad[1]:
            grad_y = g * (-z if p is None else (p - 1) * _softplus_neg(z) - z)
        return grad_z, grad_y


class BinaryCrossEntropy(Function):
    """Elementwise binary cross-entropy of probabilities X ∈ [0, 1] against targets Y:

        ℓ = −w · [y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)]

    (logarithms clamped at −100 as PyTorch does, so x = 0 or 1 gives a finite loss; log(1 − x)
    is computed as log1p(−x)). Derivatives, away from the clamp:
        dℓ/dx = w·(x − y) / (x(1 − x)),    dℓ/dy = −w·(log x − log(1 − x))
    PyTorch's gradient floors the denominator: dL/dX = G ⊙ w ⊙ (x − y) / max(x(1 − x), 1e-12),
    which is used here (finite at x = 0 and x = 1). dL/dY uses the clamped logarithms, the
    derivative of the clamped forward.   Saves X and Y; the weight w is a constant.
    """

    @staticmethod
    def forward(ctx, x, y, weight=None):
        log_x, log_1mx = _clamped_logs(x)
        ctx.save_for_backward(x, y)
        ctx.weight = weight
        loss = -(y * log_x + (1 - y) * log_1mx)
        return loss if weight is None else loss * weight

    @staticmethod
    def backward(ctx, grad_out):
        x, y = ctx.saved
        g = grad_out if ctx.weight is None else grad_out * ctx.weight
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_x = g * (x - y) / np.maximum(x * (1 - x), _EPSILON)
        if ctx.needs_input_grad[1]:
            log_x, log_1mx = _clamped_logs(x)
            grad_y = g * (log_1mx - log_x)
        return grad_x, grad_y


def _clamped_logs(x):
    """(max(log x, −100), max(log1p(−x), −100)), silent at x = 0 and x = 1."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), -100.0), np.maximum(np.log1p(-x), -100.0)


def _softplus_neg(z):
    """s(−z) = log(1 + e^(−z)) = max(−z, 0) + log1p(e^(−|z|)), which never overflows."""
    return np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z):
    """σ(z) in the two-branch form: e^(−|z|) ≤ 1 is the only exponential."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _log_weight(y, pos_weight):
    """m = 1 + (p − 1)·y, the factor of s(−z) once the positive class is weighted by p."""
    return 1 if pos_weight is None else 1 + (pos_weight - 1) * y

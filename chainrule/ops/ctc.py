"""The connectionist temporal classification (CTC) loss as one Function: the forward (α) and
backward (β) recursions over the blank-interleaved label sequence, in log space.

Fused because the composite would be one graph node per time step and label position, and a
log-space sum of products over all alignments written with Tensor ops would keep all of them
alive for backward. Validation (ranks, lengths, label ranges, blank) happens in
``functional/ctc.py``; this Function receives checked arrays.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function

_NEG_INF = -np.inf


class CTCLoss(Function):
    """Per-sample CTC loss Yₙ = −log P(lₙ | Xₙ) (Graves et al., 2006) of log-probabilities
    X: (T, N, C) against padded targets l: (N, S), with lengths Tₙ ≤ T and Sₙ ≤ S; Y: (N,).

    Extended labels: l′ = (b, l₁, b, l₂, …, l_Sₙ, b), b the blank: position s holds b for even
    s and l₍ₛ₊₁₎/₂ for odd s, s = 0 … 2Sₙ (L = 2S + 1 columns; those past 2Sₙ are blanks no
    alignment reaches). An alignment is a path s₀ … s_{Tₙ−1} through l′ that starts at 0 or 1,
    ends at 2Sₙ − 1 or 2Sₙ, and moves by 0, 1 or 2 per step; a move by 2 (skip(s)) is allowed
    only into a label that differs from the label two back (l′ₛ ≠ b and l′ₛ ≠ l′ₛ₋₂: "aa"
    needs a blank between its letters). P = Σ over alignments of Πₜ yₜ(sₜ), where
    log yₜ(s) = X[t, n, l′ₛ]. With lse the log-sum-exp, in log space:

    Forward variables, α_t(s) = log Σ over path prefixes that are at s at time t of Π_{τ≤t}:
        α₋₁(s) = 0 for s = 0, −∞ otherwise   (a virtual start: α₀ is finite at s = 0, 1 only)
        α_t(s) = log y_t(s) + lse(α_{t−1}(s), α_{t−1}(s−1), α_{t−1}(s−2) if skip(s))
        log P = lse(α_{Tₙ−1}(2Sₙ), α_{Tₙ−1}(2Sₙ − 1))      (the second term only if Sₙ > 0)
    No alignment (Sₙ plus the repeats of lₙ exceeds Tₙ) gives P = 0 and Yₙ = +∞, which
    ``zero_infinity`` turns into 0. Tₙ = Sₙ = 0 gives P = 1 (the empty path), Yₙ = −0.

    Backward variables, β_t(s) = log Σ over path suffixes after time t, from s at t, of
    Π_{τ>t} (the emission at t itself excluded):
        β_{Tₙ−1}(s) = 0 for s ∈ {2Sₙ − 1, 2Sₙ}, −∞ otherwise
        β_t(s) = lse over s′ ∈ {s, s+1, s+2 if skip(s+2)} of (log y_{t+1}(s′) + β_{t+1}(s′))
    so α_t(s) + β_t(s) is the log of the mass of the alignments at s at time t, and the
    occupancy γ_t(s) = exp(α_t(s) + β_t(s) − log P) sums to 1 over s for every t < Tₙ.

    Derivative. Every alignment's product holds exactly one factor y_t(·) = e^X[t, n, ·] per
    frame, so ∂/∂X[t, n, c] of the mass through s at t is that mass when l′ₛ = c. Hence
        ∂ log P/∂X[t, n, c] = Σ_{s: l′ₛ = c} γ_t(s) =: Γ[t, n, c]   (t < Tₙ; 0 for t ≥ Tₙ),
    and the derivative of Yₙ is −Γ (what finite differences of this forward give).

    The gradient returned is PyTorch's (torch 2.13, checked numerically), G = dL/dY: (N,):
        dL/dX[t, n, c] = Gₙ · (e^X[t, n, c] − Γ[t, n, c])   for t < Tₙ;  0 for t ≥ Tₙ.
    It adds Gₙ·e^X to the derivative: the gradient of a softmax-normalised loss with respect to
    its logits. For the documented input, X = log_softmax(Z), the two agree after the chain
    rule: log_softmax's backward dZ = dX − softmax(Z)·Σ_c dX sends Gₙ·e^X = Gₙ·softmax(Z) to
    0, so dL/dZ = Gₙ·(softmax(Z) − Γ) either way. For unnormalised X it is not the derivative
    of Y (finite differences give −Gₙ·Γ). Samples with Yₙ = +∞ get NaN on frames t < Tₙ
    (0 beyond), as PyTorch; with ``zero_infinity`` they get 0 everywhere.

    Saves X, α, log y, l′, the skip mask, the lengths and log P; β is computed in backward.
    Numerics: both recursions run in float64 whatever X's dtype (np.logaddexp, exact at −∞),
    and the outputs take X's dtype. Because β excludes the emission at t, γ needs no division
    by y_t(s): a label of probability 0 (X = −∞) gets γ = 0 and gradient e^−∞ − 0 = 0 (the
    limit of the gradient as X → −∞), where PyTorch's formula divides by it and gives NaN.
    """

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank=0,
                zero_infinity=False):
        labels = _extended_labels(targets, target_lengths, blank)
        skip = _skips(labels, blank)
        log_y = _emissions(log_probs.astype(np.float64, copy=False), labels)
        alpha = _alphas(log_y, skip)
        log_p = _log_likelihood(alpha, input_lengths, target_lengths)
        ctx.save_for_backward(log_probs, alpha, log_y, labels, skip, log_p)
        ctx.input_lengths, ctx.target_lengths = input_lengths, target_lengths
        ctx.zero_infinity = zero_infinity
        loss = -log_p
        if zero_infinity:
            loss[loss == np.inf] = 0.0
        return loss.astype(log_probs.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        log_probs, alpha, log_y, labels, skip, log_p = ctx.saved
        beta = _betas(log_y, skip, ctx.input_lengths, ctx.target_lengths)
        occupancy = _occupancy(alpha[1:], beta, log_p, labels, log_probs.shape[2])
        with np.errstate(over="ignore"):  # e^X of a large unnormalised X is inf, as in torch
            grad = np.exp(log_probs.astype(np.float64)) - occupancy
        frames = np.arange(log_probs.shape[0])[:, None] < ctx.input_lengths  # (T, N): t < Tₙ
        grad = np.where(frames[..., None], grad * grad_out[:, None], 0.0)
        impossible = log_p == _NEG_INF
        if impossible.any():
            grad[:, impossible] = 0.0 if ctx.zero_infinity else \
                np.where(frames[:, impossible, None], np.nan, 0.0)
        return grad.astype(log_probs.dtype, copy=False)


def _extended_labels(targets: np.ndarray, target_lengths: np.ndarray, blank: int) -> np.ndarray:
    """l′: (N, 2S + 1), blanks at even positions, lₙ's labels at odd ones (blanks past Sₙ)."""
    n, width = targets.shape
    labels = np.full((n, 2 * width + 1), blank, dtype=np.int64)
    used = np.arange(width) < target_lengths[:, None]
    labels[:, 1::2] = np.where(used, targets, blank)
    return labels


def _skips(labels: np.ndarray, blank: int) -> np.ndarray:
    """skip(s): (N, L) bool, whether an alignment may move from s − 2 to s."""
    skip = np.zeros(labels.shape, dtype=bool)
    skip[:, 2:] = (labels[:, 2:] != blank) & (labels[:, 2:] != labels[:, :-2])
    return skip


def _emissions(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """log yₜ(s) = X[t, n, l′ₙ,ₛ]: (T, N, L)."""
    return x[:, np.arange(labels.shape[0])[:, None], labels]


def _shifted(a: np.ndarray, k: int, fill=_NEG_INF) -> np.ndarray:
    """a moved k places along the last axis (right for k > 0, left for k < 0), ``fill`` in."""
    out = np.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def _log_add3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """log(e^a + e^b + e^c), exact where terms are −∞."""
    return np.logaddexp(np.logaddexp(a, b), c)


def _alphas(log_y: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """α: (T + 1, N, L); α[0] is the virtual start α₋₁, α[t + 1] is frame t."""
    steps, n, width = log_y.shape
    alpha = np.full((steps + 1, n, width), _NEG_INF)
    alpha[0, :, 0] = 0.0
    for t in range(steps):
        previous = alpha[t]
        two_back = np.where(skip, _shifted(previous, 2), _NEG_INF)
        alpha[t + 1] = log_y[t] + _log_add3(previous, _shifted(previous, 1), two_back)
    return alpha


def _log_likelihood(alpha: np.ndarray, input_lengths: np.ndarray,
                    target_lengths: np.ndarray) -> np.ndarray:
    """log P: (N,), from α at each sample's last frame and its last two positions."""
    rows = np.arange(alpha.shape[1])
    final = alpha[input_lengths, rows]  # (N, L): α_{Tₙ−1}
    end_blank = final[rows, 2 * target_lengths]
    end_label = final[rows, np.maximum(2 * target_lengths - 1, 0)]
    return np.logaddexp(end_blank, np.where(target_lengths > 0, end_label, _NEG_INF))


def _betas(log_y: np.ndarray, skip: np.ndarray, input_lengths: np.ndarray,
           target_lengths: np.ndarray) -> np.ndarray:
    """β: (T, N, L), −∞ on the frames t ≥ Tₙ of each sample."""
    steps, n, width = log_y.shape
    rows = np.arange(n)
    end = np.full((n, width), _NEG_INF)
    end[rows, 2 * target_lengths] = 0.0
    ends_on_label = target_lengths > 0
    end[rows[ends_on_label], 2 * target_lengths[ends_on_label] - 1] = 0.0
    skip_into_next = _shifted(skip, -2, fill=False)
    beta = np.full((steps, n, width), _NEG_INF)
    for t in range(steps - 1, -1, -1):
        if t + 1 < steps:
            ahead = log_y[t + 1] + beta[t + 1]
            two_ahead = np.where(skip_into_next, _shifted(ahead, -2), _NEG_INF)
            beta[t] = _log_add3(ahead, _shifted(ahead, -1), two_ahead)
        last = input_lengths == t + 1
        beta[t, last] = end[last]
    return beta


def _occupancy(alpha: np.ndarray, beta: np.ndarray, log_p: np.ndarray, labels: np.ndarray,
               classes: int) -> np.ndarray:
    """Γ[t, n, c] = Σ_{s: l′ₛ = c} exp(α_t(s) + β_t(s) − log P): (T, N, C), summed per class
    with one bincount. Impossible samples (log P = −∞) get 0 here; backward fills them."""
    steps, n, _ = alpha.shape
    log_p = np.where(np.isfinite(log_p), log_p, 0.0)
    gamma = np.exp(alpha + beta - log_p[:, None])
    cells = np.arange(steps)[:, None, None] * n + np.arange(n)[:, None]  # (T, N, 1): t·N + n
    index = cells * classes + labels
    total = np.bincount(index.ravel(), weights=gamma.ravel(), minlength=steps * n * classes)
    return total.reshape(steps, n, classes)

"""Recurrent layers as whole-sequence Functions: one graph node per layer and direction.

Each Function runs one direction of one layer over a whole sequence. Forward computes the
input-to-hidden products of all T steps as one GEMM (X W_ihᵀ, X: (T·B, I)), then runs the time
loop with one (B, H) × (H, G) product per step, and keeps what backward needs. Backward runs
the loop backwards in NumPy, collecting the gate gradients DA of every step, and then gets
dL/dX = DA W_ih, dL/dW_ih = DAᵀ X and dL/dW_hh = DAᵀ H_prev as single GEMMs over all steps.

Common conventions (shapes: T steps, B batch, I input, H hidden, G = k·H gate rows):

* inputs, positionally: x (T, B, I), h0 (B, H) [, c0 (B, H)], W_ih (G, I), W_hh (G, H)
  [, b_ih (G,), b_hh (G,)] [, W_hr (P, H)]; which optional ones are present is given by the
  settings ``has_bias`` and ``has_proj``.
* ``reverse``: run the steps from T−1 down to 0 (the backward direction of a bidirectional
  layer).
* ``mask``: None, or an array (T, B, 1) of 0/1 in the input's dtype; where mᵗ_b = 0 (a
  padding step of a shorter sequence) the state is carried unchanged:
  hᵗ = m·h̃ᵗ + (1 − m)·hᵗ⁻¹. Backward then splits dL/dhᵗ into m·dL/dhᵗ (to the cell) and
  (1 − m)·dL/dhᵗ (straight to hᵗ⁻¹).
* the output Y holds the state after every step, Y[t] = hᵗ (T, B, H): the layer's output
  sequence, and h_n = Y[T−1] (Y[0] when reversed). LSTM appends the cell states along the
  last axis: Y = [h | c], (T, B, P + H), so c_n is one slice of the same single output.

"Prev" below is the state before a step in processing order (hᵗ⁺¹ when reversed); backward
rebuilds H_prev (T, B, H) from the saved outputs in one copy (``_previous``), so the loops do not
care about the direction.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .linalg import column_sums
from .workspace import WORKSPACE as _WORKSPACE


def _half_scale(gates: str, hid: int, dtype) -> np.ndarray:
    """Per gate row: 0.5 for a sigmoid gate ("s"), 1 for a tanh gate ("t").

    Forward evaluates σ(a) = ½ + ½·tanh(a/2) (exact, and it never overflows): the weights
    and biases of the sigmoid rows are halved once, so one tanh call covers every gate of a
    step, followed by  gate = tanh(·)·scale + (1 − scale)."""
    return np.repeat(np.array([0.5 if g == "s" else 1.0 for g in gates], dtype), hid)


def _unpack(arrays, has_cell, has_bias, has_proj):
    """Split the positional inputs into (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)."""
    arrays = list(arrays)
    x, h0 = arrays.pop(0), arrays.pop(0)
    c0 = arrays.pop(0) if has_cell else None
    w_ih, w_hh = arrays.pop(0), arrays.pop(0)
    b_ih, b_hh = (arrays.pop(0), arrays.pop(0)) if has_bias else (None, None)
    w_hr = arrays.pop(0) if has_proj else None
    return x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr


def _input_products(x, w_ih, b, out=None):
    """X W_ihᵀ + b for all steps at once: one GEMM, (T, B, I) -> (T, B, G), into ``out``
    (T, B, G) if given."""
    t, n, _ = x.shape
    if out is None:
        xw = x.reshape(t * n, -1) @ w_ih.T
    else:
        xw = np.matmul(x.reshape(t * n, -1), w_ih.T, out=out.reshape(t * n, -1))
    if b is not None:
        xw += b
    return xw.reshape(t, n, -1)


def _previous(states: np.ndarray, first: np.ndarray, reverse: bool,
              out: np.ndarray | None = None) -> np.ndarray:
    """H_prev from the states after each step: the state before step t in processing order
    (``first`` before the first step processed), built once in backward instead of being
    copied at every step of forward. Written into ``out`` (T, B, ·) if given."""
    prev = np.empty(states.shape, states.dtype) if out is None else out
    if reverse:
        prev[:-1], prev[-1] = states[1:], first
    else:
        prev[1:], prev[0] = states[:-1], first
    return prev


def _steps(t: int, reverse: bool):
    return range(t - 1, -1, -1) if reverse else range(t)


def _weight_grads(ctx, x, da_x, da_h, h_prev, w_ih, w_hh):
    """dL/dX, dL/dW_ih, dL/dW_hh, dL/db_ih, dL/db_hh from the gate gradients of all steps.

    da_x (T, B, G) is the gradient of the pre-activations as seen from the input side, da_h
    that from the hidden side (they differ only for the GRU's candidate gate)."""
    t, n, _ = x.shape
    need = ctx.needs_input_grad
    da_x2 = da_x.reshape(t * n, -1)
    da_h2 = da_h.reshape(t * n, -1)
    gx = (da_x2 @ w_ih).reshape(x.shape) if need[0] else None
    gw_ih = da_x2.T @ x.reshape(t * n, -1)
    gw_hh = da_h2.T @ h_prev.reshape(t * n, -1)
    gb_ih = column_sums(da_x2) if ctx.has_bias else None
    gb_hh = column_sums(da_h2) if ctx.has_bias else None
    return gx, gw_ih, gw_hh, gb_ih, gb_hh


def _result(ctx, gx, gh0, gc0, gw_ih, gw_hh, gb_ih, gb_hh, gw_hr):
    out = [gx, gh0]
    if ctx.has_cell:
        out.append(gc0)
    out += [gw_ih, gw_hh]
    if ctx.has_bias:
        out += [gb_ih, gb_hh]
    if ctx.has_proj:
        out.append(gw_hr)
    return tuple(out)


class RNNSequence(Function):
    """Elman RNN over a sequence: hᵗ = act(xᵗ W_ihᵀ + b_ih + hᵗ⁻¹ W_hhᵀ + b_hh), act = tanh
    or relu (``nonlinearity``). Conventions (inputs, mask, reverse, output) in the module
    docstring.

    Backward through time. With aᵗ the pre-activation and δᵗ = dL/dhᵗ the total gradient
    reaching hᵗ (its own output gradient Gᵗ plus what flows back from step t+1):
        dL/daᵗ = mᵗ·δᵗ ⊙ act'(aᵗ)          tanh' = 1 − hᵗ², relu' = [hᵗ > 0]
        δᵗ⁻¹ = Gᵗ⁻¹ + dL/daᵗ W_hh + (1 − mᵗ)·δᵗ
        dL/dh0 = the δ left after the first step processed
    and with DA = (dL/daᵗ)ₜ stacked to (T·B, H):
        dL/dX = DA W_ih,  dL/dW_ih = DAᵀ X,  dL/dW_hh = DAᵀ H_prev,  dL/db_ih = dL/db_hh = 1ᵀ DA.
    Saves X, h0, the outputs H (for act' and, shifted by one step, H_prev) and the weights.
    """

    @staticmethod
    def forward(ctx, *arrays, nonlinearity="tanh", reverse=False, mask=None, has_bias=True):
        ctx.has_cell, ctx.has_bias, ctx.has_proj = False, has_bias, False
        x, h0, _, w_ih, w_hh, b_ih, b_hh, _ = _unpack(arrays, False, has_bias, False)
        b = None if b_ih is None else b_ih + b_hh
        xw = _input_products(x, w_ih, b)
        out = np.empty(x.shape[:2] + (h0.shape[-1],), dtype=xw.dtype)
        h, w_t = h0, np.ascontiguousarray(w_hh.T)  # a transposed view is slower in BLAS
        for t in _steps(x.shape[0], reverse):
            a = xw[t] + h @ w_t
            new = np.tanh(a, out=a) if nonlinearity == "tanh" else np.maximum(a, 0, out=a)
            if mask is not None:
                new = mask[t] * new + (1 - mask[t]) * h
            out[t] = h = new
        ctx.save_for_backward(x, h0, out, w_ih, w_hh)
        ctx.settings = (nonlinearity, reverse, mask)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, h0, out, w_ih, w_hh = ctx.saved
        nonlinearity, reverse, mask = ctx.settings
        h_prev = _previous(out, h0, reverse)
        da = np.empty_like(out)
        dh = np.zeros_like(out[0])
        for t in _steps(x.shape[0], not reverse):
            dh = dh + grad_out[t]
            d = dh if mask is None else mask[t] * dh
            if nonlinearity == "tanh":
                da[t] = d * (1 - out[t] * out[t])
            else:
                da[t] = d * (out[t] > 0)
            carry = da[t] @ w_hh
            dh = carry if mask is None else carry + (1 - mask[t]) * dh
        grads = _weight_grads(ctx, x, da, da, h_prev, w_ih, w_hh)
        gx, gw_ih, gw_hh, gb_ih, gb_hh = grads
        return _result(ctx, gx, dh, None, gw_ih, gw_hh, gb_ih, gb_hh, None)


class GRUSequence(Function):
    """GRU over a sequence, PyTorch's gate order (r, z, n) and candidate form:
        r = σ(x_r + h_r),  z = σ(x_z + h_z),  n = tanh(x_n + r ⊙ h_n),  h' = (1 − z) ⊙ n + z ⊙ h
    with [x_r, x_z, x_n] = xᵗ W_ihᵀ + b_ih and [h_r, h_z, h_n] = hᵗ⁻¹ W_hhᵀ + b_hh (b_hn stays
    inside r ⊙ (·), as in PyTorch). Conventions in the module docstring.

    Backward through time, with δ = mᵗ·dL/dhᵗ the gradient reaching the cell output h':
        dn = δ ⊙ (1 − z),  dz = δ ⊙ (h − n),  dh|direct = δ ⊙ z
        dA_n = dn ⊙ (1 − n²)              (pre-activation of n)
        dA_z = dz ⊙ z(1 − z),  dA_r = (dA_n ⊙ h_n) ⊙ r(1 − r)
    The input side sees DA_x = [dA_r, dA_z, dA_n], the hidden side DA_h = [dA_r, dA_z,
    dA_n ⊙ r] (h_n is multiplied by r), so
        dL/dhᵗ⁻¹ = Gᵗ⁻¹ + δ ⊙ z + DA_h W_hh + (1 − mᵗ)·dL/dhᵗ
        dL/dX = DA_x W_ih,  dL/dW_ih = DA_xᵀ X,  dL/db_ih = 1ᵀ DA_x,
        dL/dW_hh = DA_hᵀ H_prev,  dL/db_hh = 1ᵀ DA_h.
    Saves X, h0, the outputs (H_prev is them shifted by one step), the gates r, z, n and h_n
    of every step, and the weights. What does not depend on δ is computed for all steps at
    once before the loop (``_gru_factors``): with a_n = (1 − z)(1 − n²),
        DA_h = δ ⊙ [a_n·h_n·r(1 − r), (h − n)·z(1 − z), a_n·r],  dA_n = δ ⊙ a_n,
    so a step costs one product for DA_h (δ tiled three times) and one for dA_n.
    b_hr and b_hz enter the input GEMM's bias (they are added to x_r, x_z in any case).

    Numerics: σ(a) = ½ + ½·tanh(a/2) (see ``_half_scale``): no overflow for any a.
    """

    @staticmethod
    def forward(ctx, *arrays, reverse=False, mask=None, has_bias=True):
        ctx.has_cell, ctx.has_bias, ctx.has_proj = False, has_bias, False
        x, h0, _, w_ih, w_hh, b_ih, b_hh, _ = _unpack(arrays, False, has_bias, False)
        hid = h0.shape[-1]
        tb, spare = x.shape[:2], _WORKSPACE.spare
        scale = _half_scale("sst", hid, x.dtype)
        b_x = b_hn = None
        if b_ih is not None:  # b_hr, b_hz join b_ih in the input GEMM; b_hn stays inside r ⊙ (·)
            b_x = b_ih * scale
            b_x[: 2 * hid] += b_hh[: 2 * hid] * scale[: 2 * hid]
            b_hn = b_hh[2 * hid:]
        xw = _input_products(x, w_ih * scale[:, None], b_x,
                             spare("gru_xw", tb + (3 * hid,), x.dtype))
        w_t = np.ascontiguousarray((w_hh * scale[:, None]).T)
        out = np.empty(tb + (hid,), dtype=xw.dtype)
        # r, z, n, h_n of step t are the contiguous (B, H) blocks gates[t, 0..3]: an operation
        # on a column slice of a (B, 4H) row costs more than one on a contiguous block
        gates = spare("gru_gates", (tb[0], 4, tb[1], hid), x.dtype)
        x_rz = xw.reshape(tb + (3, hid))[:, :, :2].transpose(0, 2, 1, 3)  # (T, 2, B, H)
        x_n = xw[..., 2 * hid:]
        hw = np.empty(tb[1:] + (3 * hid,), xw.dtype)
        hw_rz, hw_n = hw.reshape(tb[1], 3, hid)[:, :2].transpose(1, 0, 2), hw[:, 2 * hid:]
        h = h0
        for t in _steps(x.shape[0], reverse):
            np.matmul(h, w_t, out=hw)
            g, new = gates[t], out[t]
            rz, r, z, n, hn = g[:2], g[0], g[1], g[2], g[3]
            np.add(x_rz[t], hw_rz, out=rz)
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5  # [r, z]
            if b_hn is None:
                hn[...] = hw_n
            else:
                np.add(hw_n, b_hn, out=hn)
            np.multiply(r, hn, out=n)
            n += x_n[t]
            np.tanh(n, out=n)
            np.subtract(h, n, out=new)
            new *= z
            new += n  # h' = n + z ⊙ (h − n) = (1 − z) ⊙ n + z ⊙ h
            if mask is not None:
                new[...] = mask[t] * new + (1 - mask[t]) * h
            h = new
        ctx.save_for_backward(x, h0, out, gates, w_ih, w_hh)
        ctx.settings = (reverse, mask)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, h0, out, gates, w_ih, w_hh = ctx.saved
        reverse, mask = ctx.settings
        tb, hid, ws = x.shape[:2], w_hh.shape[1], _WORKSPACE
        h_prev = _previous(out, h0, reverse, ws.get("h_prev", out.shape, out.dtype))
        da_h = ws.get("da_h", tb + (3 * hid,), gates.dtype)
        da_xn = ws.get("da_xn", out.shape, gates.dtype)
        factors, a_n = _gru_factors(gates, h_prev, da_xn)
        z = gates[:, 1]
        da_h3, factors3 = da_h.reshape(tb + (3, hid)), factors.reshape(tb + (3, hid))
        # per step, dd = [δ, δ, δ] (B, 3, H), so that DA_h = dd ⊙ factors is one product;
        # δ itself is kept for every step in dA_n's array, which becomes δ ⊙ a_n at the end
        dd = np.empty(tb[1:] + (3, hid), gates.dtype)
        dz = np.empty(tb[1:] + (hid,), gates.dtype)
        carry = np.zeros_like(h_prev[0])  # what reaches hᵗ from step t + 1; last: dL/dh0
        for t in _steps(x.shape[0], not reverse):
            d = da_xn[t]
            if mask is None:
                np.add(carry, grad_out[t], out=d)  # δ = dL/dhᵗ
            else:
                dh = carry + grad_out[t]
                np.multiply(dh, mask[t], out=d)
            dd[...] = d[:, None]
            np.multiply(dd, factors3[t], out=da_h3[t])  # [dA_r, dA_z, dA_n ⊙ r]
            np.matmul(da_h[t], w_hh, out=carry)
            carry += np.multiply(d, z[t], out=dz)
            if mask is not None:
                carry += (1 - mask[t]) * dh
        da_xn *= a_n  # dA_n = δ ⊙ a_n
        da_x = factors  # free now
        da_x[..., : 2 * hid], da_x[..., 2 * hid:] = da_h[..., : 2 * hid], da_xn
        gx, gw_ih, gw_hh, gb_ih, gb_hh = _weight_grads(ctx, x, da_x, da_h, h_prev, w_ih, w_hh)
        return _result(ctx, gx, carry, None, gw_ih, gw_hh, gb_ih, gb_hh, None)


def _gru_factors(gates, h_prev, scratch_h):
    """The factors of the GRU's gate gradients that do not depend on δ, for all steps:
    (T, B, 3H) [a_n·h_n·r(1 − r), (h − n)·z(1 − z), a_n·r] (DA_h per unit of δ) and
    a_n = (1 − z)(1 − n²) (T, B, H) (dA_n per unit of δ), from the gates (T, 4, B, H)
    [r, z, n, h_n]. ``scratch_h`` (T, B, H) is free memory to work in (the caller's dA_n,
    written only afterwards)."""
    t, _, n_batch, hid = gates.shape
    r, z, n, hn = gates[:, 0], gates[:, 1], gates[:, 2], gates[:, 3]
    rz = gates[:, :2]
    factors = _WORKSPACE.get("gru_factors", (t, n_batch, 3 * hid), gates.dtype)
    f_r, f_z, f_n = (factors[..., k * hid: (k + 1) * hid] for k in range(3))
    f_rz = factors.reshape(t, n_batch, 3, hid)[:, :, :2].transpose(0, 2, 1, 3)  # as rz
    np.subtract(1, rz, out=f_rz)
    f_rz *= rz  # [r(1 − r), z(1 − z)]
    a_n = np.multiply(n, n, out=_WORKSPACE.get("gru_a_n", h_prev.shape, gates.dtype))
    np.subtract(1, a_n, out=a_n)
    a_n *= np.subtract(1, z, out=scratch_h)  # (1 − z)(1 − n²)
    f_r *= hn
    f_r *= a_n
    f_z *= np.subtract(h_prev, n, out=scratch_h)
    np.multiply(a_n, r, out=f_n)
    return factors, a_n


class LSTMSequence(Function):
    """LSTM over a sequence, PyTorch's gate order (i, f, g, o), optionally with a projection:
        [a_i, a_f, a_g, a_o] = xᵗ W_ihᵀ + b_ih + hᵗ⁻¹ W_hhᵀ + b_hh
        i, f, o = σ(a_i), σ(a_f), σ(a_o),  g = tanh(a_g)
        cᵗ = f ⊙ cᵗ⁻¹ + i ⊙ g,  h̃ = o ⊙ tanh(cᵗ),  hᵗ = h̃ (or h̃ W_hrᵀ with proj_size P)
    Output Y = [h | c] (T, B, P + H). Conventions in the module docstring.

    Backward through time, with δh = mᵗ·dL/dhᵗ and δc = mᵗ·dL/dcᵗ (both including what
    flowed back from step t+1, and δc the output gradient of the c part of Y):
        projection:  dh̃ = δh W_hr,  dL/dW_hr = Σₜ δhᵀ h̃   (one GEMM over all steps)
        do = dh̃ ⊙ tanh(cᵗ),  δc ← δc + dh̃ ⊙ o ⊙ (1 − tanh²(cᵗ))
        di = δc ⊙ g,  dg = δc ⊙ i,  df = δc ⊙ cᵗ⁻¹
        dA = [di ⊙ i(1 − i), df ⊙ f(1 − f), dg ⊙ (1 − g²), do ⊙ o(1 − o)]
        dL/dhᵗ⁻¹ = Gᵗ⁻¹ + dA W_hh + (1 − mᵗ)·dL/dhᵗ
        dL/dcᵗ⁻¹ = G_cᵗ⁻¹ + δc ⊙ f + (1 − mᵗ)·dL/dcᵗ
        dL/dX = DA W_ih,  dL/dW_ih = DAᵀ X,  dL/dW_hh = DAᵀ H_prev,  dL/db = 1ᵀ DA.
    Saves X, h0, c0, the output Y (H_prev and C_prev are its parts shifted by one step), the
    activated gates of every step, tanh(cᵗ), h̃ (with a projection) and the weights. The
    factors of dA that do not depend on δ (g·i(1 − i), cᵗ⁻¹·f(1 − f), i(1 − g²),
    tanh(cᵗ)·o(1 − o), o(1 − tanh²(cᵗ))) are computed for all steps at once before the loop.

    Numerics: σ(a) = ½ + ½·tanh(a/2) (see ``_half_scale``): no overflow for any a.
    """

    @staticmethod
    def forward(ctx, *arrays, reverse=False, mask=None, has_bias=True, has_proj=False):
        ctx.has_cell, ctx.has_bias, ctx.has_proj = True, has_bias, has_proj
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = _unpack(arrays, True, has_bias, has_proj)
        hid, p = c0.shape[-1], h0.shape[-1]
        scale = _half_scale("ssts", hid, x.dtype)
        tb, spare = x.shape[:2], _WORKSPACE.spare
        xw = _input_products(x, w_ih * scale[:, None],
                             None if b_ih is None else (b_ih + b_hh) * scale,
                             spare("lstm_gates", tb + (4 * hid,), x.dtype))
        shift = 1 - scale
        out = np.empty(tb + (p + hid,), dtype=xw.dtype)
        out_h, out_c = out[..., :p], out[..., p:]
        tanh_c = spare("lstm_tanh_c", tb + (hid,), xw.dtype)
        h_tilde = spare("lstm_h_tilde", tb + (hid,), xw.dtype) if has_proj else None
        h, c, w_t = h0, c0, np.ascontiguousarray((w_hh * scale[:, None]).T)
        w_hr_t = None if w_hr is None else np.ascontiguousarray(w_hr.T)
        # views of all steps made once: per-step slicing costs as much as a small ufunc
        gi, gf, gg, go = (xw[..., k * hid: (k + 1) * hid] for k in range(4))
        hw, ig = np.empty(tb[1:] + (4 * hid,), xw.dtype), np.empty(tb[1:] + (hid,), xw.dtype)
        for t in _steps(x.shape[0], reverse):
            a = xw[t]
            a += np.matmul(h, w_t, out=hw)
            np.tanh(a, out=a)
            a *= scale
            a += shift  # a = [i, f, g, o]
            c_new, h_new, tc = out_c[t], out_h[t], tanh_c[t]
            np.multiply(gf[t], c, out=c_new)
            c_new += np.multiply(gi[t], gg[t], out=ig)
            np.tanh(c_new, out=tc)
            if has_proj:
                np.matmul(np.multiply(go[t], tc, out=h_tilde[t]), w_hr_t, out=h_new)
            else:
                np.multiply(go[t], tc, out=h_new)
            if mask is not None:
                h_new[...] = mask[t] * h_new + (1 - mask[t]) * h
                c_new[...] = mask[t] * c_new + (1 - mask[t]) * c
            h, c = h_new, c_new
        ctx.save_for_backward(x, h0, c0, out, xw, tanh_c, h_tilde, w_ih, w_hh, w_hr)
        ctx.settings = (reverse, mask)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, h0, c0, out, gates, tanh_c, h_tilde, w_ih, w_hh, w_hr = ctx.saved
        reverse, mask = ctx.settings
        p, hid = h0.shape[-1], c0.shape[-1]
        tb, ws = gates.shape[:2], _WORKSPACE
        h_prev = _previous(out[..., :p], h0, reverse, ws.get("h_prev", tb + (p,), h0.dtype))
        da = ws.get("da", gates.shape, gates.dtype)
        factors, through_c = _lstm_factors(gates, tanh_c, out[..., p:], c0, reverse, da)
        f = gates[..., hid:2 * hid]
        da4, factors4 = da.reshape(tb + (4, hid)), factors.reshape(tb + (4, hid))
        dh_out = ws.get("dh_out", h_prev.shape, h_prev.dtype) if ctx.has_proj else None
        dh, dc = np.zeros_like(h_prev[0]), np.zeros_like(tanh_c[0])
        # contiguous copies: adding a strided slice costs more than the copy, per step
        grad_h = ws.get("grad_h", h_prev.shape, h_prev.dtype)
        grad_h[...] = grad_out[..., :p]
        grad_c = grad_out[..., p:]
        c_steps = grad_c.any(axis=(1, 2))  # usually only the last step (from c_n), or none
        if c_steps.any():
            grad_c = ws.get("grad_c", tanh_c.shape, tanh_c.dtype)
            grad_c[...] = grad_out[..., p:]
        # per step, dd = [δc, δc, δc, dh̃] (B, 4, H), so that dA = dd ⊙ factors is one product
        # (δc itself kept contiguous: an operation writing a column block of dd costs more)
        dd = np.empty(tb[1:] + (4, hid), gates.dtype)
        dcm = np.empty_like(dc)
        for t in _steps(x.shape[0], not reverse):
            dh += grad_h[t]
            if c_steps[t]:
                dc += grad_c[t]
            dhm, dc_in = (dh, dc) if mask is None else (mask[t] * dh, mask[t] * dc)
            if ctx.has_proj:
                dh_out[t] = dhm
                dhm = dhm @ w_hr
            np.multiply(dhm, through_c[t], out=dcm)
            dcm += dc_in  # δc = dL/dcᵗ + dh̃ ⊙ o ⊙ (1 − tanh²cᵗ)
            dd[:, :3] = dcm[:, None]
            dd[:, 3] = dhm
            np.multiply(dd, factors4[t], out=da4[t])
            if mask is None:
                np.matmul(da[t], w_hh, out=dh)  # dh (= dhm) was last read above
                np.multiply(dcm, f[t], out=dc)
            else:
                keep = 1 - mask[t]
                dh = da[t] @ w_hh + keep * dh
                dc = dcm * f[t] + keep * dc
        gx, gw_ih, gw_hh, gb_ih, _ = _weight_grads(ctx, x, da, da, h_prev, w_ih, w_hh)
        gw_hr = None
        if ctx.has_proj:
            n = dh_out.shape[0] * dh_out.shape[1]
            gw_hr = dh_out.reshape(n, p).T @ h_tilde.reshape(n, hid)
        return _result(ctx, gx, dh, dc, gw_ih, gw_hh, gb_ih, gb_ih, gw_hr)


def _lstm_factors(gates, tanh_c, c_out, c0, reverse, scratch):
    """The factors of the LSTM's gate gradients that do not depend on δ, for all steps:
    (T, B, 4H) [g·i(1 − i), cᵗ⁻¹·f(1 − f), i·(1 − g²), tanh(cᵗ)·o(1 − o)] (per unit of δc for
    the first three blocks, of dh̃ for the last) and o ⊙ (1 − tanh²(cᵗ)) (T, B, H).

    Each gate's derivative is (1 − s)(s + β) with β = 0 for a sigmoid gate (s(1 − s)) and 1
    for g (1 − g²): two operations over the contiguous (T, B, 4H) block instead of one per
    gate on strided quarter blocks. ``scratch`` (T, B, 4H) is free memory to work in (the
    caller's DA, written only afterwards)."""
    t, n, g4 = gates.shape
    hid = g4 // 4
    beta = np.zeros(g4, gates.dtype)
    beta[2 * hid: 3 * hid] = 1
    factors = np.subtract(1, gates, out=_WORKSPACE.get("factors", gates.shape, gates.dtype))
    partner = np.add(gates, beta, out=scratch)
    factors *= partner
    s4, p4 = gates.reshape(t, n, 4, hid), partner.reshape(t, n, 4, hid)
    p4[:, :, 0], p4[:, :, 2], p4[:, :, 3] = s4[:, :, 2], s4[:, :, 0], tanh_c  # g, i, tanh c
    _previous(c_out, c0, reverse, p4[:, :, 1])  # cᵗ⁻¹
    factors *= partner
    through_c = np.multiply(tanh_c, tanh_c,
                            out=_WORKSPACE.get("through_c", tanh_c.shape, tanh_c.dtype))
    np.subtract(1, through_c, out=through_c)
    through_c *= s4[:, :, 3]
    return factors, through_c

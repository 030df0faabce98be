"""The whole-sequence recurrent Functions (``ops.rnn``: in-place gates, precomputed gate
factors, reused work arrays) against the plain formulation: each cell written step by step
from ordinary Tensor operations (matmul, sigmoid, tanh) and differentiated by the autograd
engine, one graph node per operation. Values and every gradient must agree in float64 to
rounding, and in float32 within a few units in the last place of the values' scale.

Also: the arrays reused from one call to the next are never shared between graphs that are
alive at the same time (interleaved forwards and backwards, a retained graph run twice)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops.rnn import GRUSequence, LSTMSequence
from chainrule.ops.workspace import WORKSPACE as _WORKSPACE
from tests.tolerance import assert_close_to_scale

T, B, I, H = 6, 3, 4, 5


def _plain_lstm(x, h, c, w_ih, w_hh, b_ih, b_hh, mask, reverse):
    """PyTorch's LSTM equations, one step at a time; returns Y = [h | c] per step."""
    outs = [None] * x.shape[0]
    for t in (range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])):
        a = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f = a[:, :H].sigmoid(), a[:, H:2 * H].sigmoid()
        g, o = a[:, 2 * H:3 * H].tanh(), a[:, 3 * H:].sigmoid()
        c_new = f * c + i * g
        h_new = o * c_new.tanh()
        if mask is not None:
            m = cr.tensor(mask[t])
            h_new, c_new = m * h_new + (1 - m) * h, m * c_new + (1 - m) * c
        h, c = h_new, c_new
        outs[t] = cr.cat([h, c], dim=-1)
    return cr.stack(outs)


def _plain_gru(x, h, w_ih, w_hh, b_ih, b_hh, mask, reverse):
    """PyTorch's GRU equations (r, z, n; b_hn inside r ⊙ (·)), one step at a time."""
    outs = [None] * x.shape[0]
    for t in (range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])):
        xi, hh = x[t] @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        r = (xi[:, :H] + hh[:, :H]).sigmoid()
        z = (xi[:, H:2 * H] + hh[:, H:2 * H]).sigmoid()
        n = (xi[:, 2 * H:] + r * hh[:, 2 * H:]).tanh()
        h_new = (1 - z) * n + z * h
        if mask is not None:
            m = cr.tensor(mask[t])
            h_new = m * h_new + (1 - m) * h
        h = h_new
        outs[t] = h
    return cr.stack(outs)


def _inputs(kind, dtype, seed=0):
    rng = np.random.default_rng(seed)
    k = 4 if kind == "lstm" else 3
    shapes = [(T, B, I), (B, H)] + ([(B, H)] if kind == "lstm" else []) + \
        [(k * H, I), (k * H, H), (k * H,), (k * H,)]
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _mask(dtype):
    mask = np.ones((T, B, 1), dtype)
    mask[4:, 1] = 0
    mask[2:, 2] = 0
    return mask


def _run(kind, arrays, mask, reverse, plain):
    tensors = [cr.tensor(a, requires_grad=True) for a in arrays]
    if plain:
        fn = _plain_lstm if kind == "lstm" else _plain_gru
        y = fn(*tensors, mask, reverse)
    else:
        fn = LSTMSequence if kind == "lstm" else GRUSequence
        y = fn.apply(*tensors, reverse=reverse, mask=mask)
    g = np.random.default_rng(7).standard_normal(y.shape).astype(arrays[0].dtype)
    (y * cr.tensor(g)).sum().backward()
    return [y.detach().numpy()] + [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_fast_function_matches_plain_formulation(kind, reverse, masked, dtype):
    arrays = _inputs(kind, dtype)
    mask = _mask(dtype) if masked else None
    fast = _run(kind, arrays, mask, reverse, plain=False)
    plain = _run(kind, arrays, mask, reverse, plain=True)
    assert_close_to_scale(fast, plain, dtype)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_saturated_gates_stay_finite(kind):
    """Pre-activations of ±200 (σ and tanh saturate): no overflow, values match the plain
    formulation, no NaN in any gradient."""
    arrays = _inputs(kind, np.float32)
    arrays[0] *= 200
    fast = _run(kind, arrays, None, False, plain=False)
    plain = _run(kind, arrays, None, False, plain=True)
    assert all(np.isfinite(a).all() for a in fast)
    np.testing.assert_allclose(fast[0], plain[0], atol=1e-5)


def _step(fn, arrays):
    """Forward a whole sequence; returns (output tensor, leaves)."""
    tensors = [cr.tensor(a, requires_grad=True) for a in arrays]
    return fn.apply(*tensors), tensors


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_graphs_alive_together_do_not_share_work_arrays(kind):
    """Two forwards of the same shapes before either backward, then the backwards in the
    other order: each gives what it gives alone."""
    fn = LSTMSequence if kind == "lstm" else GRUSequence
    first, second = _inputs(kind, np.float32, seed=1), _inputs(kind, np.float32, seed=2)
    alone = []
    for arrays in (first, second):
        y, leaves = _step(fn, arrays)
        y.sum().backward()
        alone.append([y.detach().numpy().copy()] + [t.grad.numpy().copy() for t in leaves])
    y1, leaves1 = _step(fn, first)
    y2, leaves2 = _step(fn, second)
    y2.sum().backward()
    y1.sum().backward()
    for (y, leaves), expected in zip(((y1, leaves1), (y2, leaves2)), alone):
        got = [y.detach().numpy()] + [t.grad.numpy() for t in leaves]
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_retained_graph_gives_the_same_gradients_twice(kind):
    fn = LSTMSequence if kind == "lstm" else GRUSequence
    y, leaves = _step(fn, _inputs(kind, np.float32, seed=3))
    y.sum().backward(retain_graph=True)
    first = [t.grad.numpy().copy() for t in leaves]
    _step(fn, _inputs(kind, np.float32, seed=4))[0].sum().backward()  # other data between
    for t in leaves:
        t.grad = None
    y.sum().backward()
    for t, g in zip(leaves, first):
        np.testing.assert_array_equal(t.grad.numpy(), g)


def test_spare_array_is_reused_only_when_nothing_refers_to_it():
    held = _WORKSPACE.spare("test_spare", (2, 3), np.float32)
    other = _WORKSPACE.spare("test_spare", (2, 3), np.float32)
    assert other is not held  # ``held`` is still referred to
    view = other[1:]
    del other
    third = _WORKSPACE.spare("test_spare", (2, 3), np.float32)
    assert third is not held and third is not view.base  # a view keeps its array taken
    del view, third
    again = _WORKSPACE.spare("test_spare", (2, 3), np.float32)
    assert again is not held and again.shape == (2, 3)
    ids = {id(a) for a in _WORKSPACE.saved["test_spare", (2, 3), np.dtype(np.float32)]}
    assert id(again) in ids


def test_clear_lets_go_of_the_work_arrays():
    y, _ = _step(LSTMSequence, _inputs("lstm", np.float32, seed=5))
    y.sum().backward()
    assert _WORKSPACE.arrays and _WORKSPACE.saved
    _WORKSPACE.clear()
    assert not _WORKSPACE.arrays and not _WORKSPACE.saved
    again, leaves = _step(LSTMSequence, _inputs("lstm", np.float32, seed=5))
    again.sum().backward()
    np.testing.assert_array_equal(again.detach().numpy(), y.detach().numpy())

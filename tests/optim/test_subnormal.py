"""Subnormal flushing of optimizer state: subnormals become 0, nothing else changes."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim

TINY32 = float(np.finfo(np.float32).tiny)  # smallest normal float32, ~1.18e-38


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
def test_flush_subnormals_zeroes_exactly_the_subnormals(dtype):
    tiny = np.finfo(dtype).tiny
    smallest = np.nextafter(dtype(0), dtype(1))  # the smallest subnormal
    largest = np.nextafter(dtype(tiny), dtype(0))  # the largest subnormal
    buffer = np.array([1.0, tiny, tiny / 2, -tiny / 4, 0.0, -0.0, -3.0, -tiny, smallest,
                       -smallest, largest, -largest, np.inf, -np.inf, np.nan], dtype=dtype)
    optim.flush_subnormals(buffer)
    expected = np.array([1.0, tiny, 0, 0, 0, 0, -3.0, -tiny, 0, 0, 0, 0, np.inf, -np.inf,
                         np.nan], dtype=dtype)
    assert np.array_equal(buffer, expected, equal_nan=True)


def test_flush_subnormals_of_a_strided_view_leaves_the_rest_of_the_array():
    tiny = np.finfo(np.float32).tiny
    base = np.full((4, 6), tiny / 8, dtype=np.float32)
    optim.flush_subnormals(base[:, ::2])
    assert np.all(base[:, ::2] == 0) and np.all(base[:, 1::2] == np.float32(tiny / 8))


# Step 1: normal gradients, one just above float32's smallest normal, one whose square (and
# so Adam's and RMSprop's second moments) underflows; then zero gradients, so buffers decay.
FIRST_GRAD = np.array([1.0, -0.5, 2e-38, 1e-20, 0.25], dtype=np.float32)
CASES = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (optim.Adam, {"lr": 0.01, "amsgrad": True}),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    (optim.Adafactor, {}),  # 1e-20² is subnormal in its variance from the first step
]


def _run(make, kwargs, steps: int, flush: bool):
    p = chainrule.tensor(np.array([1.0, 2.0, 3.0, -4.0, 5.0], dtype=np.float32),
                         requires_grad=True)
    opt = make([p], **kwargs)
    if not flush:
        opt.subnormal_flush_every = None
    for t in range(steps):
        p.grad = FIRST_GRAD if t == 0 else np.zeros(5, dtype=np.float32)
        opt.step()
    return p, opt


def _subnormal(array: np.ndarray) -> np.ndarray:
    return (array != 0) & (np.abs(array) < TINY32)


@pytest.mark.parametrize(("make", "kwargs"), CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("periods", [1, 2])
def test_flushing_zeroes_subnormal_state_and_leaves_the_rest(make, kwargs, periods):
    steps = periods * make.subnormal_flush_every + 3
    p, opt = _run(make, kwargs, steps, flush=True)
    p_ref, opt_ref = _run(make, kwargs, steps, flush=False)
    assert np.array_equal(p.data, p_ref.data)  # the updates of normal values are unchanged
    assert p.dtype == np.float32
    state, state_ref = opt.state[p], opt_ref.state[p_ref]
    flushed = 0
    for key, ref in state_ref.items():
        if not isinstance(ref, np.ndarray):
            continue
        got = state[key]
        differs = got != ref
        # where the runs differ, ours holds 0 and the unflushed run a subnormal (for centered
        # RMSprop's ḡ: where the unflushed v is subnormal, see RMSprop)
        allowed = _subnormal(ref)
        if key == "grad_avg":
            allowed |= _subnormal(state_ref["square_avg"])
        assert np.all(got[differs] == 0) and np.all(allowed[differs]), key
        flushed += int(differs.sum())
    assert flushed > 0  # the unflushed run did keep subnormals that the flush removed


def test_flush_happens_every_k_steps_and_restores_exactly():
    k = optim.SGD.subnormal_flush_every
    p, opt = _run(optim.SGD, {"lr": 0.1, "momentum": 0.9}, k, flush=True)
    p_ref, opt_ref = _run(optim.SGD, {"lr": 0.1, "momentum": 0.9}, k, flush=False)
    buf, ref = opt.state[p]["momentum_buffer"], opt_ref.state[p_ref]["momentum_buffer"]
    subnormal = (ref != 0) & (np.abs(ref) < TINY32)
    assert subnormal.any() and np.all(buf[subnormal] == 0)
    assert np.array_equal(buf[~subnormal], ref[~subnormal])
    assert np.array_equal(p.data, p_ref.data)


def test_centered_rmsprop_flush_zeroes_the_gradient_average_exactly_where_v_is_zero():
    p = chainrule.zeros(6, requires_grad=True)
    opt = optim.RMSprop([p], lr=0.01, centered=True)
    tiny = np.float32(TINY32)
    square_avg = np.array([0.0, tiny / 4, 1.0, 0.0, np.inf, np.nan], np.float32)
    grad_avg = np.array([3e-20, -1e-20, -0.5, 0.0, np.inf, np.nan], np.float32)
    state = {"square_avg": square_avg, "grad_avg": grad_avg}
    opt._flush(state)
    np.testing.assert_array_equal(state["square_avg"], [0, 0, 1, 0, np.inf, np.nan])
    np.testing.assert_array_equal(state["grad_avg"], [0, 0, -0.5, 0, np.inf, np.nan])
    assert state["grad_avg"] is grad_avg  # in place

"""R-THREAD-1: grad mode, inference mode and anomaly mode belong to the thread that sets them."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule import grad_mode

FORWARDS = 300


def run_in_threads(*targets):
    """Run each target in its own thread; re-raise the first error any of them raised."""
    errors = []

    def guarded(target):
        try:
            target()
        except BaseException as err:  # noqa: BLE001 - handed to the main thread
            errors.append(err)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_never_stops_another_from_recording():
    """One thread sits inside no_grad() the whole time (predict()); the other trains. The
    barrier makes every training forward run while the predictor is inside its block."""
    w = cr.ones(3, requires_grad=True)
    step = threading.Barrier(2, timeout=30)
    recorded, predicted = [], []

    def predictor():
        with cr.no_grad():
            for _ in range(FORWARDS):
                step.wait()
                predicted.append((w * 2).sum().requires_grad)
                step.wait()

    def trainer():
        for _ in range(FORWARDS):
            step.wait()
            loss = (w * 2).sum()
            recorded.append(loss.grad_fn is not None)
            step.wait()

    run_in_threads(predictor, trainer)
    assert recorded == [True] * FORWARDS
    assert predicted == [False] * FORWARDS
    assert cr.is_grad_enabled() and grad_mode.all_default


def test_a_new_thread_starts_with_grad_on_and_anomaly_off():
    seen = {}

    def probe():
        seen["grad"] = cr.is_grad_enabled()
        seen["recorded"] = (cr.ones(1, requires_grad=True) * 2).requires_grad
        seen["anomaly"] = cr.autograd.is_anomaly_enabled()
        seen["inference"] = cr.is_inference_mode_enabled()

    with cr.no_grad(), cr.detect_anomaly(), cr.inference_mode():
        run_in_threads(probe)
        assert not cr.is_grad_enabled() and cr.autograd.is_anomaly_enabled()
    assert seen == {"grad": True, "recorded": True, "anomaly": False, "inference": False}


def test_anomaly_mode_in_one_thread_does_not_check_another():
    x = cr.tensor([0.0], dtype=cr.float64, requires_grad=True)
    step = threading.Barrier(2, timeout=30)
    outcome = []

    def debugging():
        with cr.detect_anomaly():
            step.wait()
            step.wait()

    def training():
        step.wait()
        y = (x.sqrt() * 0.0).sum()  # its backward gives NaN
        with np.errstate(all="ignore"):
            y.backward()
        outcome.append(y.grad_fn.trace is None and np.isnan(x.grad.item()))
        step.wait()

    run_in_threads(debugging, training)
    assert outcome == [True]


def test_set_grad_enabled_called_as_a_function_sets_the_mode_at_once():
    try:
        cr.set_grad_enabled(False)
        assert not cr.is_grad_enabled()
        assert not (cr.ones(1, requires_grad=True) * 2).requires_grad
    finally:
        cr.set_grad_enabled(True)
    assert cr.is_grad_enabled() and grad_mode.all_default


def test_set_grad_enabled_as_block_and_decorator_restores_the_mode():
    with cr.set_grad_enabled(False):
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()

    @cr.set_grad_enabled(False)
    def inner():
        return cr.is_grad_enabled()

    assert cr.is_grad_enabled()  # decorating does not change the mode
    assert inner() is False
    assert cr.is_grad_enabled()


def test_inference_mode_records_no_graph_and_can_be_turned_off_inside():
    x = cr.ones(2, requires_grad=True)
    with cr.inference_mode():
        assert cr.is_inference_mode_enabled()
        assert not (x * 2).requires_grad
        with cr.inference_mode(False):
            assert not cr.is_inference_mode_enabled()
            assert (x * 2).requires_grad
    assert not cr.is_inference_mode_enabled() and cr.is_grad_enabled()


def test_no_grad_and_enable_grad_leave_inference_mode_alone():
    with cr.inference_mode():
        with cr.no_grad():
            assert cr.is_inference_mode_enabled()
        with cr.enable_grad():
            assert cr.is_inference_mode_enabled() and cr.is_grad_enabled()
        assert cr.is_inference_mode_enabled() and not cr.is_grad_enabled()


def test_modes_match_torch_in_a_new_thread():
    torch = pytest.importorskip("torch")
    seen = {}

    def probe():
        seen["torch"] = torch.is_grad_enabled()
        seen["ours"] = cr.is_grad_enabled()

    with torch.no_grad(), cr.no_grad():
        run_in_threads(probe)
    assert seen["ours"] == seen["torch"] is True


def test_nested_modes_match_torch():
    torch = pytest.importorskip("torch")

    def trace(lib, is_inference):
        seen = []
        with lib.inference_mode():
            with lib.no_grad():
                seen.append((is_inference(), lib.is_grad_enabled()))
            with lib.enable_grad():
                seen.append((is_inference(), lib.is_grad_enabled()))
            with lib.inference_mode(False):
                seen.append((is_inference(), lib.is_grad_enabled()))
            seen.append((is_inference(), lib.is_grad_enabled()))
        seen.append((is_inference(), lib.is_grad_enabled()))
        return seen

    ours = trace(cr, cr.is_inference_mode_enabled)
    assert ours == trace(torch, torch.is_inference_mode_enabled)

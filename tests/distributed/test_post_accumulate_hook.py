"""``register_post_accumulate_grad_hook``: the engine hook DistributedDataParallel
starts its bucket reductions from."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule import autograd
from chainrule.accumulate_hooks import _POST_ACCUMULATE_HOOKS, register_post_accumulate_grad_hook


def test_hook_runs_once_after_the_last_gradient_is_added():
    w = chainrule.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = register_post_accumulate_grad_hook(w, lambda t: seen.append(t.grad.numpy()))
    try:
        x = chainrule.tensor([3.0, 4.0])
        loss = (w * x).sum() + (w * w).sum() + w.sum()  # three uses of w
        loss.backward()
    finally:
        handle.remove()
    assert len(seen) == 1
    # d/dw (w.x + w.w + sum w) = x + 2w + 1, derived by hand
    np.testing.assert_allclose(seen[0], [3.0 + 2.0 + 1.0, 4.0 + 4.0 + 1.0])


def test_hook_order_follows_the_backward_pass_and_remove_unregisters():
    a = chainrule.tensor([1.0], requires_grad=True)
    b = chainrule.tensor([2.0], requires_grad=True)
    order = []
    handles = [register_post_accumulate_grad_hook(t, lambda t, n=n: order.append(n))
               for n, t in (("a", a), ("b", b))]
    ((a * 3.0).exp() * b).sum().backward()
    assert sorted(order) == ["a", "b"] and order[0] == "b"  # b's edge is walked first
    for h in handles:
        h.remove()
    (a * b).sum().backward()
    assert len(order) == 2


def test_autograd_grad_runs_no_hook():
    w = chainrule.tensor([1.0], requires_grad=True)
    calls = []
    handle = register_post_accumulate_grad_hook(w, calls.append)
    try:
        autograd.grad((w * w).sum(), [w])
    finally:
        handle.remove()
    assert calls == []


def test_hook_on_a_non_leaf_is_refused():
    w = chainrule.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensors"):
        register_post_accumulate_grad_hook(w * 2, lambda t: None)
    with pytest.raises(RuntimeError, match="require grad"):
        register_post_accumulate_grad_hook(chainrule.tensor([1.0]), lambda t: None)


def test_the_registry_lets_go_of_a_dead_leaf():
    import gc

    w = chainrule.tensor([1.0], requires_grad=True)
    register_post_accumulate_grad_hook(w, lambda t: None)
    key = id(w)
    assert key in _POST_ACCUMULATE_HOOKS
    del w
    gc.collect()
    assert key not in _POST_ACCUMULATE_HOOKS


def test_a_second_registration_replaces_the_first_and_its_handle_leaves_it():
    w = chainrule.tensor([1.0], requires_grad=True)
    calls = []
    first = register_post_accumulate_grad_hook(w, lambda t: calls.append(1))
    second = register_post_accumulate_grad_hook(w, lambda t: calls.append(2))
    first.remove()  # the replaced registration's handle no longer owns the entry
    (w * 2).sum().backward()
    second.remove()
    (w * 2).sum().backward()
    assert calls == [2]

"""Module hooks: forward pre/post hooks, full backward pre/post hooks, global hooks, handles.

The first part derives what each hook must see by hand; the second compares with PyTorch
(same model, same weights): what each hook saw, the effect of its return value, gradients.
"""

from __future__ import annotations

import copy
import gc
import pickle
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import hooks as hook_state
from chainrule.nn.modules.module import (
    register_module_backward_hook,
    register_module_forward_hook,
    register_module_forward_pre_hook,
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
)
from tests.optional import needs_torch, torch


class Scale(nn.Module):
    """forward(x, factor=3.0) = x * factor."""

    def forward(self, x, factor=3.0):
        return x * factor


class Product(nn.Module):
    """forward(a, b, s) = a * b * s (two tensors and a number)."""

    def forward(self, a, b, s):
        return a * b * s


class Split(nn.Module):
    """forward(a) = (2a, 3a): a tuple output."""

    def forward(self, a):
        return a * 2.0, a * 3.0


class Broken(nn.Module):
    def forward(self, x):
        raise ValueError("forward failed")


def _np(t):
    return None if t is None else np.asarray(t.detach().numpy())


# ---------------------------------------------------------------- forward pre-hooks


def test_pre_hook_sees_args_and_a_single_value_replaces_them():
    m, seen = Scale(), []

    def hook(module, args):
        seen.append((module, args))
        return args[0] + 1.0  # not a tuple: taken as (value,)

    with m.register_forward_pre_hook(hook):
        x = cr.tensor([1.0, 2.0])
        out = m(x)
    assert seen[0][0] is m and isinstance(seen[0][1], tuple) and seen[0][1][0] is x
    np.testing.assert_array_equal(out.numpy(), [6.0, 9.0])  # (x + 1) * 3
    np.testing.assert_array_equal(m(x).numpy(), [3.0, 6.0])  # removed by the with block


def test_pre_hook_with_kwargs_replaces_args_and_kwargs():
    m = Scale()
    seen = []

    def hook(module, args, kwargs):
        seen.append(dict(kwargs))
        return args, {"factor": kwargs["factor"] * 10}

    handle = m.register_forward_pre_hook(hook, with_kwargs=True)
    out = m(cr.tensor([1.0]), factor=2.0)
    handle.remove()
    assert seen == [{"factor": 2.0}]
    np.testing.assert_array_equal(out.numpy(), [20.0])


def test_pre_hook_with_kwargs_must_return_a_pair():
    m = Scale()
    with m.register_forward_pre_hook(lambda mod, a, k: a, with_kwargs=True):
        with pytest.raises(RuntimeError, match=r"\(new_args, new_kwargs\)"):
            m(cr.tensor([1.0]))


# ---------------------------------------------------------------- forward hooks


def test_forward_hook_sees_input_and_output_and_its_result_replaces_the_output():
    m, seen = Scale(), []

    def hook(module, args, output):
        seen.append((args, output.numpy().copy()))
        return output * 0.5

    with m.register_forward_hook(hook):
        x = cr.tensor([2.0])
        out = m(x)
    assert seen[0][0][0] is x
    np.testing.assert_array_equal(seen[0][1], [6.0])
    np.testing.assert_array_equal(out.numpy(), [3.0])


def test_forward_hook_with_kwargs_and_a_none_return_keeps_the_output():
    m, seen = Scale(), []
    with m.register_forward_hook(lambda mod, a, k, o: seen.append(k), with_kwargs=True):
        out = m(cr.tensor([1.0]), factor=5.0)
    assert seen == [{"factor": 5.0}]
    np.testing.assert_array_equal(out.numpy(), [5.0])


def test_always_call_runs_when_forward_raises_the_others_do_not():
    m, seen = Broken(), []
    plain = m.register_forward_hook(lambda mod, a, o: seen.append("plain"))
    always = m.register_forward_hook(lambda mod, a, o: seen.append(("always", o)),
                                     always_call=True)
    with pytest.raises(ValueError, match="forward failed"):
        m(cr.tensor([1.0]))
    plain.remove()
    always.remove()
    assert seen == [("always", None)]


def test_an_always_call_hook_that_raises_after_forward_raised_is_a_warning():
    m = Broken()

    def bad(module, args, output):
        raise KeyError("hook failed")

    with m.register_forward_hook(bad, always_call=True):
        with pytest.warns(UserWarning, match="hook failed"):
            with pytest.raises(ValueError, match="forward failed"):
                m(cr.tensor([1.0]))


def test_order_prepend_and_global_hooks_first():
    m, order = Scale(), []
    handles = [
        m.register_forward_hook(lambda *a: order.append("a")),
        m.register_forward_hook(lambda *a: order.append("b")),
        m.register_forward_hook(lambda *a: order.append("first"), prepend=True),
        register_module_forward_hook(lambda *a: order.append("global")),
        m.register_forward_pre_hook(lambda *a: order.append("pre")),
        register_module_forward_pre_hook(lambda *a: order.append("global pre")),
    ]
    m(cr.tensor([1.0]))
    for h in handles:
        h.remove()
    assert order == ["global pre", "pre", "global", "first", "a", "b"]
    m(cr.tensor([1.0]))
    assert len(order) == 6


def test_handles_remove_once_and_the_dicts_are_ordered_dicts():
    m, live = Scale(), hook_state.LIVE[0]
    h1 = m.register_forward_hook(lambda *a: None, with_kwargs=True, always_call=True)
    h2 = m.register_forward_pre_hook(lambda *a: None)
    assert list(m._forward_hooks) == [h1.id] and list(m._forward_pre_hooks) == [h2.id]
    assert h1.id in m._forward_hooks_with_kwargs and h1.id in m._forward_hooks_always_called
    h1.remove()
    h1.remove()  # twice is harmless
    h2.remove()
    assert not m._forward_hooks and not m._forward_hooks_with_kwargs
    assert not m._forward_hooks_always_called and not m._forward_pre_hooks
    assert hook_state.LIVE[0] == live  # Module.__call__ is back to calling forward directly


def test_hooks_left_on_a_collected_module_stop_counting():
    gc.collect()  # modules dropped by earlier tests uncount their hooks now, not below
    live = hook_state.LIVE[0]
    m = Scale()
    handles = [m.register_forward_hook(lambda *a: None),
               m.register_forward_pre_hook(lambda *a: None),
               m.register_full_backward_hook(lambda *a: None)]
    copied = copy.deepcopy(m)  # the copy's hooks count as well
    assert hook_state.LIVE[0] == live + 6
    del m, copied
    gc.collect()
    assert hook_state.LIVE[0] == live  # Module.__call__ is back to calling forward directly
    for handle in handles:
        handle.remove()  # after the module is gone: nothing left to count down
    assert hook_state.LIVE[0] == live


def test_a_hook_that_refers_to_its_module_lets_it_be_collected_and_stops_counting():
    gc.collect()  # modules dropped by earlier tests uncount their hooks now, not below
    live = hook_state.LIVE[0]
    m = Scale()
    collected = []
    weakref.finalize(m, collected.append, True)
    def hook(module, args, out):
        return None

    hook.module = m  # a cycle: module -> its hook table -> hook -> module
    handle = m.register_forward_hook(hook)
    m.register_forward_pre_hook(lambda *a: None).remove()  # removed while alive: counted once
    del m, hook
    gc.collect()
    assert collected == [True]  # the hook bookkeeping keeps no module alive
    assert hook_state.LIVE[0] == live
    handle.remove()
    assert hook_state.LIVE[0] == live


def test_an_entry_put_in_by_hand_does_not_uncount_another_modules_hook():
    gc.collect()  # modules dropped by earlier tests uncount their hooks now, not below
    live, seen = hook_state.LIVE[0], []
    dropped, kept = Scale(), Scale()
    dropped.register_forward_hook(lambda *a: None).remove()  # watched, nothing counted now
    dropped._forward_hooks["by hand"] = lambda *a: None  # never counted in LIVE
    handle = kept.register_forward_hook(lambda *a: seen.append(1))
    del dropped
    gc.collect()
    kept(cr.tensor([1.0]))
    assert seen == [1] and hook_state.LIVE[0] == live + 1
    handle.remove()


def test_a_live_module_keeps_its_hooks_counted_and_running():
    gc.collect()  # modules dropped by earlier tests uncount their hooks now, not below
    live, seen = hook_state.LIVE[0], []
    m = Scale()
    handle = m.register_forward_hook(lambda *a: seen.append(1))
    gc.collect()
    m(cr.tensor([1.0]))
    assert seen == [1] and hook_state.LIVE[0] == live + 1
    handle.remove()
    assert hook_state.LIVE[0] == live


def test_clearing_a_hook_dict_by_hand_stops_the_hook():
    m, seen = Scale(), []
    handle = m.register_forward_hook(lambda *a: seen.append(1))
    m._forward_hooks.clear()
    m(cr.tensor([1.0]))
    assert seen == []
    handle.remove()


@pytest.mark.parametrize("register", [
    lambda m, h: m.register_forward_pre_hook(h),
    lambda m, h: m.register_forward_hook(h),
    lambda m, h: m.register_full_backward_pre_hook(h),
    lambda m, h: m.register_full_backward_hook(h),
    lambda m, h: m.register_backward_hook(h),
    lambda m, h: register_module_forward_pre_hook(h),
    lambda m, h: register_module_forward_hook(h),
    lambda m, h: register_module_full_backward_pre_hook(h),
    lambda m, h: register_module_full_backward_hook(h),
    lambda m, h: register_module_backward_hook(h),
])
def test_a_hook_that_is_not_callable_is_refused(register):
    with pytest.raises(TypeError, match="must be callable, got int"):
        register(Scale(), 3)


# ---------------------------------------------------------------- nested modules


def _mlp():
    cr.manual_seed(0)
    return nn.Sequential(nn.Sequential(nn.Linear(4, 5), nn.ReLU()), nn.Linear(5, 3))


def test_feature_extraction_with_forward_hooks():
    model, features = _mlp(), {}
    handles = [module.register_forward_hook(
        lambda mod, args, out, name=name: features.__setitem__(name, out.detach()))
        for name, module in model.named_modules() if name]
    x = cr.randn(2, 4)
    out = model(x)
    for h in handles:
        h.remove()
    assert list(features) == ["0.0", "0.1", "0", "1"]  # in the order forward reached them
    hidden = x.numpy() @ model[0][0].weight.detach().numpy().T + model[0][0].bias.detach().numpy()
    np.testing.assert_allclose(features["0.0"].numpy(), hidden, rtol=1e-6)
    np.testing.assert_array_equal(features["0"].numpy(), np.maximum(hidden, 0))
    np.testing.assert_array_equal(features["1"].numpy(), out.detach().numpy())


def test_global_hooks_see_every_module():
    model, names = _mlp(), []
    ids = {id(m): n for n, m in model.named_modules()}
    with register_module_forward_hook(lambda mod, a, o: names.append(ids[id(mod)])):
        model(cr.randn(1, 4))
    assert names == ["0.0", "0.1", "0", "1", ""]


def test_hooks_survive_state_dict_and_are_copied_by_deepcopy():
    model, seen = _mlp(), []
    handle = model[1].register_forward_hook(lambda mod, a, o: seen.append(mod))
    state = model.state_dict()
    assert not any("hook" in key for key in state)
    model.load_state_dict(state)
    twin = copy.deepcopy(model)
    model(cr.randn(1, 4))
    twin(cr.randn(1, 4))
    assert seen == [model[1], twin[1]]
    handle.remove()  # the original's; the copy keeps its own
    twin(cr.randn(1, 4))
    assert seen[-1] is twin[1]
    twin[1]._forward_hooks.clear()


def test_a_pickled_module_without_hooks_unpickles_without_them():
    model = pickle.loads(pickle.dumps(_mlp()))
    assert not model[1]._forward_hooks and isinstance(model[1]._backward_hooks, dict)


# ---------------------------------------------------------------- backward hooks


def test_full_backward_hook_sees_gradients_and_scales_grad_input():
    m, seen = Scale(), []

    def hook(module, grad_input, grad_output):
        seen.append((_np(grad_input[0]), _np(grad_output[0])))
        return (grad_input[0] * 2.0,)

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with m.register_full_backward_hook(hook):
        (m(x) * cr.tensor([1.0, 10.0])).sum().backward()
    np.testing.assert_array_equal(seen[0][1], [1.0, 10.0])
    np.testing.assert_array_equal(seen[0][0], [3.0, 30.0])
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 60.0])


def test_backward_pre_hook_replaces_grad_output_before_the_module():
    m, seen = Scale(), []
    x = cr.tensor([1.0], requires_grad=True)
    pre = m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10.0,))
    post = m.register_full_backward_hook(lambda mod, gi, go: seen.append((_np(gi[0]),
                                                                           _np(go[0]))))
    m(x).sum().backward()
    pre.remove()
    post.remove()
    assert seen == [(np.array([30.0]), np.array([10.0]))]  # the hook sees the new grad_output
    np.testing.assert_array_equal(x.grad.numpy(), [30.0])


def test_backward_hook_with_an_input_that_does_not_require_grad():
    m, seen = Product(), []
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([5.0, 7.0])
    with m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi)):
        m(a, b, 2.0).sum().backward()
    grad_a, grad_b, grad_s = seen[0]
    np.testing.assert_array_equal(grad_a.numpy(), [10.0, 14.0])  # b * s
    np.testing.assert_array_equal(grad_b.numpy(), [0.0, 0.0])  # PyTorch gives zeros here
    assert grad_s is None  # not a tensor
    np.testing.assert_array_equal(a.grad.numpy(), [10.0, 14.0])


def test_backward_hook_runs_once_with_both_input_gradients():
    m, calls = Product(), []
    a = cr.tensor([2.0], requires_grad=True)
    b = cr.tensor([3.0], requires_grad=True)

    def hook(module, grad_input, grad_output):
        calls.append([_np(g) for g in grad_input[:2]])
        return (grad_input[0], None, None)  # b's gradient is dropped

    with m.register_full_backward_hook(hook):
        m(a, b, 1.0).sum().backward()
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0][0], [3.0])
    np.testing.assert_array_equal(calls[0][1], [2.0])
    np.testing.assert_array_equal(a.grad.numpy(), [3.0])
    assert b.grad is None


def test_backward_hook_on_a_module_with_a_tuple_output():
    m, seen = Split(), []
    a = cr.tensor([1.0, 1.0], requires_grad=True)
    with m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go))):
        first, second = m(a)
        first.sum().backward()
    (grad_a,), (grad_first, grad_second) = seen[0]
    np.testing.assert_array_equal(grad_first.numpy(), [1.0, 1.0])
    assert grad_second is None  # the second output got no gradient
    np.testing.assert_array_equal(grad_a.numpy(), [2.0, 2.0])


def test_backward_hook_when_no_input_requires_grad():
    layer, seen = nn.Linear(2, 1), []
    with layer.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, _np(go[0])))):
        with pytest.warns(UserWarning, match="no inputs require gradients"):
            layer(cr.ones(1, 2)).sum().backward()
    assert seen[0][0] == (None,)
    np.testing.assert_array_equal(seen[0][1], [[1.0]])
    assert layer.weight.grad is not None
    with layer.register_full_backward_hook(lambda mod, gi, go: (go[0],)):
        with pytest.raises(RuntimeError, match="no input requires gradient"), \
                pytest.warns(UserWarning):
            layer(cr.ones(1, 2)).sum().backward()


def test_backward_hook_must_return_one_gradient_per_input():
    m = Scale()
    x = cr.tensor([1.0], requires_grad=True)
    with m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0])):
        with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but "
                                               "expected 1"):
            m(x).sum().backward()


def test_backward_hooks_fire_on_every_backward_of_a_retained_graph():
    m, count = Scale(), []
    x = cr.tensor([1.0], requires_grad=True)
    with m.register_full_backward_hook(lambda *a: count.append(1)):
        y = m(x).sum()
        y.backward(retain_graph=True)
        y.backward()
    assert len(count) == 2
    np.testing.assert_array_equal(x.grad.numpy(), [6.0])


def test_no_backward_hook_and_no_wrapping_under_no_grad():
    m, seen = Scale(), []
    with m.register_full_backward_hook(lambda *a: seen.append(1)):
        with cr.no_grad():
            out = m(cr.tensor([1.0], requires_grad=True))
    assert out.grad_fn is None and seen == []


def test_changing_a_hooked_output_in_place_is_refused():
    m = Scale()
    x = cr.tensor([1.0], requires_grad=True)
    with m.register_full_backward_hook(lambda *a: None):
        out = m(x)
        with pytest.raises(RuntimeError, match="in-place change of a graph tensor"):
            out.mul_(2.0)  # as without the hook
        with cr.no_grad():
            out.mul_(2.0)
        with pytest.raises(RuntimeError, match="BackwardHookFunction.*in-place"):
            out.sum().backward()


def test_the_deprecated_backward_hook_is_the_full_one():
    m, seen = Scale(), []
    x = cr.tensor([1.0], requires_grad=True)
    with m.register_backward_hook(lambda mod, gi, go: seen.append(_np(gi[0]))):
        m(x).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0])


def test_global_backward_hooks_run_before_the_modules_own():
    m, order = Scale(), []
    handles = [m.register_full_backward_hook(lambda *a: order.append("own")),
               register_module_full_backward_hook(lambda *a: order.append("global")),
               m.register_full_backward_pre_hook(lambda *a: order.append("own pre")),
               register_module_full_backward_pre_hook(lambda *a: order.append("global pre"))]
    m(cr.tensor([1.0], requires_grad=True)).sum().backward()
    for h in handles:
        h.remove()
    assert order == ["global pre", "own pre", "global", "own"]


def test_torch_module_path_under_chainrule_run():
    from chainrule.app.torch_alias import aliased_torch

    with aliased_torch():
        import torch as aliased

        assert aliased.nn.modules.module.register_module_forward_hook \
            is register_module_forward_hook


# ---------------------------------------------------------------- against PyTorch


def _twins():
    """The same MLP in chainrule and in PyTorch (float64, same weights)."""
    ours = _mlp().double()
    theirs = torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU()),
                                 torch.nn.Linear(5, 3)).double()
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 4))
    return ours, theirs, cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def _attach(model, path, log):
    """Forward pre/post and backward pre/post hooks on the submodule at ``path``, that record
    what they see and change it: inputs + 1, outputs * 2, grad_output * 3, grad_input * 0.5."""
    sub = model.get_submodule(path)
    return [
        sub.register_forward_pre_hook(lambda m, a: (log.append(_np(a[0])), a[0] + 1.0)[1]),
        sub.register_forward_hook(lambda m, a, o: (log.append(_np(o)), o * 2.0)[1]),
        sub.register_full_backward_pre_hook(
            lambda m, go: (log.append(_np(go[0])), (go[0] * 3.0,))[1]),
        sub.register_full_backward_hook(
            lambda m, gi, go: (log.append((_np(gi[0]), _np(go[0]))), (gi[0] * 0.5,))[1]),
    ]


@needs_torch
@pytest.mark.parametrize("path", ["0.0", "0", "1"])
def test_all_hook_kinds_against_pytorch(path):
    ours, theirs, x, tx = _twins()
    log, tlog = [], []
    handles = _attach(ours, path, log) + _attach(theirs, path, tlog)
    out, tout = ours(x), theirs(tx)
    weight = np.arange(9.0).reshape(3, 3)
    (out * cr.tensor(weight)).sum().backward()
    (tout * torch.tensor(weight)).sum().backward()
    for h in handles:
        h.remove()
    np.testing.assert_allclose(out.detach().numpy(), _np(tout), rtol=1e-12)
    assert len(log) == len(tlog) == 4
    for got, want in zip(log, tlog):
        for g, w in zip(got if isinstance(got, tuple) else (got,),
                        want if isinstance(want, tuple) else (want,)):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), _np(tx.grad), rtol=1e-12, atol=1e-14)
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), _np(tp.grad), rtol=1e-12, atol=1e-14,
                                   err_msg=name)


@needs_torch
def test_two_inputs_one_without_grad_against_pytorch():
    class TorchProduct(torch.nn.Module):
        def forward(self, a, b, s):
            return a * b * s

    rng = np.random.default_rng(1)
    a_np, b_np = rng.standard_normal(4), rng.standard_normal(4)
    results = []
    for module, make in ((Product(), cr.tensor), (TorchProduct(), torch.tensor)):
        seen = []
        module.register_full_backward_hook(
            lambda m, gi, go, seen=seen: (seen.append(gi), (gi[0] * 2.0, gi[1], None))[1])
        a = make(a_np, requires_grad=True)
        module(a, make(b_np), 3.0).sum().backward()
        results.append((seen[0], a.grad))
    (ours_gi, ours_grad), (their_gi, their_grad) = results
    assert ours_gi[2] is None and their_gi[2] is None
    for g, w in zip(ours_gi[:2], their_gi[:2]):
        np.testing.assert_allclose(_np(g), _np(w), rtol=1e-12)
    np.testing.assert_allclose(_np(ours_grad), _np(their_grad), rtol=1e-12)


@needs_torch
def test_tuple_output_against_pytorch():
    class TorchSplit(torch.nn.Module):
        def forward(self, a):
            return a * 2.0, a * 3.0

    results = []
    for module, make in ((Split(), cr.tensor), (TorchSplit(), torch.tensor)):
        seen = []
        module.register_full_backward_pre_hook(
            lambda m, go, seen=seen: (seen.append(go), (go[0], go[0]))[1]
            if go[1] is None else None)
        a = make(np.array([1.0, -2.0]), requires_grad=True)
        module(a)[0].sum().backward()
        results.append((seen[0], a.grad))
    (ours_go, ours_grad), (their_go, their_grad) = results
    assert ours_go[1] is None and their_go[1] is None
    np.testing.assert_allclose(_np(ours_go[0]), _np(their_go[0]))
    np.testing.assert_allclose(_np(ours_grad), _np(their_grad))  # 2 + 3: both outputs

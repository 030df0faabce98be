"""The state-dict and load-state-dict hooks of ``nn.Module`` (PyTorch 2.13's
``register_state_dict_pre_hook`` ... ``register_load_state_dict_post_hook``), each run on the
same small models in chainrule and in PyTorch: the order and arguments of the calls, what a
hook may change, removal through the handle, and no module kept alive by its hooks."""

from __future__ import annotations

import copy
import gc
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule.nn.hooks import LIVE, RemovableHandle
from tests.optional import needs_torch, torch

from .module_twins import outcome, same_weights

pytestmark = needs_torch


# ---------------------------------------------------------------- state-dict hooks

def hooked(L, log):
    """A nested model with state-dict hooks on every module that record their arguments."""
    model = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.Sequential(L.nn.Linear(2, 1)))
    handles = []
    for name, module in model.named_modules():
        handles.append(module.register_state_dict_pre_hook(
            lambda m, prefix, keep_vars, name=name: log.append(("pre", name, prefix, keep_vars))))
        handles.append(module.register_state_dict_post_hook(
            lambda m, sd, prefix, meta, name=name: log.append(
                ("post", name, prefix, list(sd), meta))))
    return model, handles


@pytest.mark.parametrize("prefix, keep_vars", [("", False), ("p.", True)])
def test_state_dict_hooks_are_called_in_pytorchs_order_with_its_arguments(prefix, keep_vars):
    logs = [], []
    for L, log in zip((cr, torch), logs):
        model, handles = hooked(L, log)
        log.append(list(model.state_dict(prefix=prefix, keep_vars=keep_vars)))
        if L is cr:
            assert all(isinstance(handle, RemovableHandle) for handle in handles)
    assert logs[0] == logs[1]


def test_removed_state_dict_hooks_are_not_called_and_a_copy_keeps_its_own():
    logs = [], []
    for L, log in zip((cr, torch), logs):
        model, handles = hooked(L, log)
        copied = copy.deepcopy(model)
        for handle in handles[::2]:
            handle.remove()
        handles[0].remove()  # twice: harmless
        model.state_dict()
        copied.state_dict()
        with model[0].register_state_dict_pre_hook(lambda *a, log=log: log.append("block")):
            model[0].state_dict()
        model[0].state_dict()
    assert logs[0] == logs[1] and logs[0]


def test_a_state_dict_post_hook_changes_the_dict_in_place_and_must_return_none():
    results = []
    for L in (cr, torch):
        layer = L.nn.Linear(1, 1)
        handle = layer.register_state_dict_post_hook(
            lambda m, sd, p, meta: (sd.pop(p + "bias"), None)[1])
        keys = list(layer.state_dict())
        handle.remove()
        layer.register_state_dict_post_hook(lambda *a: {"x": 1})
        layer.register_state_dict_pre_hook(lambda *a: {"y": 2})  # ignored
        results.append((keys, outcome(layer.state_dict)))
    assert results[0] == results[1]


def test_a_hook_that_is_not_callable_is_refused_at_registration():
    for method in ("register_state_dict_pre_hook", "register_state_dict_post_hook",
                   "register_load_state_dict_pre_hook", "register_load_state_dict_post_hook"):
        with pytest.raises(TypeError, match="callable"):
            getattr(cr.nn.Linear(1, 1), method)(3)


def test_state_dict_hooks_keep_no_module_alive_and_uncount_when_it_is_collected():
    gc.collect()  # modules dropped by earlier tests uncount their hooks now, not below
    live, collected = LIVE[0], []
    layer = cr.nn.Linear(1, 1)
    weakref.finalize(layer, collected.append, True)

    def hook(*args):
        return None

    hook.module = layer  # a cycle: module -> its hook table -> hook -> module
    handles = [getattr(layer, f"register_{kind}_hook")(hook) for kind in (
        "state_dict_pre", "state_dict_post", "load_state_dict_pre", "load_state_dict_post")]
    assert LIVE[0] == live + 4
    del layer, hook
    gc.collect()
    assert collected == [True] and LIVE[0] == live
    assert all(handle.hooks_dict is None for handle in handles)
    for handle in handles:
        handle.remove()  # after the module is gone: nothing left to count down
    assert LIVE[0] == live


# ---------------------------------------------------------------- load-state-dict hooks

def load_twins():
    """(source, target) models in each library, the sources with the same weights."""
    def make(L):
        return L.nn.Sequential(L.nn.Linear(2, 2), L.nn.Sequential(L.nn.Linear(2, 1)),
                               L.nn.Linear(1, 1))
    pairs = [(make(cr), make(torch)) for _ in range(2)]
    for ours, theirs in pairs:
        same_weights(ours, theirs)
    (source, theirs_source), (target, theirs_target) = pairs
    return (source, target), (theirs_source, theirs_target)


def damaged(source):
    """A plain dict of the source's arrays (no ``_metadata``), two keys dropped and four
    foreign ones added (one under no child's name), not in the modules' order."""
    state = {k: np.array(v.numpy()) for k, v in source.state_dict().items()}
    del state["0.bias"], state["2.weight"]
    state.update({"1.zz": np.ones(1), "yy": np.ones(1), "1.0.qq": np.ones(1),
                  "7.weight": np.ones(1)})
    return state


def as_lib(L, state):
    return {k: (torch.from_numpy(v) if L is torch else cr.tensor(v)) for k, v in state.items()}


def record_load_hooks(model, log):
    for name, module in model.named_modules():
        module.register_load_state_dict_pre_hook(
            lambda m, sd, prefix, meta, strict, missing, unexpected, errors, name=name:
            log.append(("pre", name, prefix, sorted(sd), meta, strict, list(missing),
                        list(unexpected), list(errors))))
        module.register_load_state_dict_post_hook(
            lambda m, keys, name=name: log.append(
                ("post", name, type(keys).__name__.strip("_"), list(keys.missing_keys),
                 list(keys.unexpected_keys))))


@pytest.mark.parametrize("assign", [False, True])
def test_load_hooks_are_called_in_pytorchs_order_with_its_arguments(assign):
    logs = [], []
    for (source, target), log in zip(load_twins(), logs):
        L = cr if isinstance(target, cr.nn.Module) else torch
        record_load_hooks(target, log)
        result = target.load_state_dict(as_lib(L, damaged(source)), strict=False, assign=assign)
        log.append((list(result.missing_keys), list(result.unexpected_keys)))
        log.append([np.array(v.detach().numpy()).tolist() for v in target.state_dict().values()])
    assert logs[0] == logs[1]


@pytest.mark.parametrize("hook, strict", [
    ("clear", True), ("add", True), ("add", False), ("return", True), ("record", True)])
def test_load_post_hooks_change_the_keys_before_the_strict_check_as_pytorch(hook, strict):
    def post(m, keys):
        if hook == "clear":
            keys.missing_keys.clear()
            keys.unexpected_keys.clear()
        elif hook == "add":
            keys.missing_keys.append("made_up")
        elif hook == "record":
            seen.append(list(keys.missing_keys))
        return 1 if hook == "return" else None

    results = []
    for source, target in load_twins():
        seen = []
        L = cr if isinstance(target, cr.nn.Module) else torch
        target.register_load_state_dict_post_hook(post)
        state = as_lib(L, damaged(source))
        kind, value = outcome(target.load_state_dict, state, strict=strict)
        keys = (list(value.missing_keys), list(value.unexpected_keys)) if kind == "ok" else ()
        loaded = np.array_equal(target[0].weight.detach().numpy(), state["0.weight"].numpy())
        results.append((kind, keys, loaded, seen))
    assert results[0] == results[1]


@pytest.mark.parametrize("post_hook", [False, True])
def test_a_wrong_shape_stops_the_load_or_with_a_post_hook_is_left_out_as_pytorch(post_hook):
    results = []
    for (source, target), L in zip(load_twins(), (cr, torch)):
        calls = []
        if post_hook:
            target.register_load_state_dict_post_hook(lambda m, k, c=calls: c.append(m))
        state = {k: np.array(v.detach().numpy()) for k, v in source.state_dict().items()}
        state["0.weight"] = np.zeros((3, 2), np.float32)
        kind, message = outcome(target.load_state_dict, as_lib(L, state))
        results.append((kind, "0.weight" in message, len(calls), {
            k: np.array_equal(v.detach().numpy(), state[k])
            for k, v in target.state_dict().items()}))
    if post_hook:
        assert results[0] == results[1]
    else:  # chainrule changes nothing when anything is wrong; PyTorch loads the rest
        assert results[0][:3] == results[1][:3] and not any(results[0][3].values())


def test_a_load_pre_hook_renames_entries_of_a_copy_and_adds_errors_as_pytorch():
    def rename(m, sd, prefix, *rest):
        if prefix + "w" in sd:
            sd[prefix + "weight"] = sd.pop(prefix + "w")

    results = []
    for L in (cr, torch):
        layer, source = L.nn.Linear(2, 2), L.nn.Linear(2, 2)
        layer.register_load_state_dict_pre_hook(rename)
        state = dict(source.state_dict())
        state["w"] = state.pop("weight")
        kind, _ = outcome(layer.load_state_dict, state)
        same = np.array_equal(layer.weight.detach().numpy(), state["w"].numpy())
        handle = layer.register_load_state_dict_pre_hook(lambda *a: a[-1].append("custom"))
        failed = outcome(layer.load_state_dict, state, strict=False)
        handle.remove()
        results.append((kind, same, "w" in state, failed[0], "custom" in failed[1],
                        outcome(layer.load_state_dict, state)[0]))
    assert results[0] == results[1]

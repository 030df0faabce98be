"""Module: registration, traversal, state_dict round trips and errors, modes, repr."""

from __future__ import annotations

import inspect
import re
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.out = nn.Linear(4, 2)
        self.register_buffer("steps", cr.zeros(1))

    def forward(self, x):
        return self.out(self.hidden(x).relu())


def test_parameters_buffers_and_children_are_registered_by_assignment():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert [name for name, _ in model.named_buffers()] == ["steps"]
    assert [name for name, _ in model.named_children()] == ["hidden", "out"]
    assert [name for name, _ in model.named_modules()] == ["", "hidden", "out"]
    assert sum(p.numel() for p in model.parameters()) == 3 * 4 + 4 + 4 * 2 + 2


def test_assigning_before_super_init_explains_the_fix():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=re.escape("call super().__init__() first")):
        Broken()


def test_a_shared_parameter_is_listed_once():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[1].weight = model[0].weight
    assert len(list(model.parameters())) == 3


def test_state_dict_keys_match_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(3, 4), nn.Dropout(), nn.Linear(4, 2, bias=False))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Dropout(),
                                 torch.nn.Linear(4, 2, bias=False))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


def test_state_dict_round_trip_restores_outputs():
    cr.manual_seed(0)
    source, target = TwoLayer(), TwoLayer()
    x = cr.randn(5, 3)
    assert not np.allclose(source(x).detach().numpy(), target(x).detach().numpy())
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(source(x).detach().numpy(), target(x).detach().numpy())


def test_state_dict_values_are_detached_views():
    model = TwoLayer()
    state = model.state_dict()
    assert not state["hidden.weight"].requires_grad
    assert np.shares_memory(state["hidden.weight"].data, model.hidden.weight.data)


def test_load_state_dict_reports_every_problem_at_once():
    model = TwoLayer()
    state = model.state_dict()
    state["hidden.weight"] = np.zeros((5, 3))
    state["out.bias"] = np.zeros(7)
    del state["out.weight"]
    state["extra.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    for fragment in ["hidden.weight", "(5, 3)", "(4, 3)", "out.bias", "(7,)",
                     "missing key 'out.weight'", "unexpected key 'extra.weight'"]:
        assert fragment in message


def test_load_state_dict_non_strict_returns_missing_and_unexpected_keys():
    model = TwoLayer()
    state = model.state_dict()
    del state["out.bias"]
    state["ghost"] = np.zeros(2)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["out.bias"]
    assert result.unexpected_keys == ["ghost"]


def test_load_state_dict_raises_on_shape_mismatch_even_when_not_strict():
    model = TwoLayer()
    state = model.state_dict()
    state["out.bias"] = np.zeros(3)
    with pytest.raises(RuntimeError, match="out.bias"):
        model.load_state_dict(state, strict=False)


def test_non_persistent_buffers_are_left_out_of_state_dict():
    model = nn.Module()
    model.register_buffer("kept", cr.ones(1))
    model.register_buffer("scratch", cr.ones(1), persistent=False)
    assert list(model.state_dict()) == ["kept"]


def test_train_and_eval_reach_every_submodule():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout()))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_sets_to_none_by_default():
    model = TwoLayer()
    model(cr.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_double_converts_parameters_and_outputs():
    model = TwoLayer().double()
    assert all(p.dtype == cr.float64 for p in model.parameters())
    assert model(cr.randn(2, 3, dtype=cr.float64)).dtype == cr.float64


def test_apply_visits_children_then_self():
    visited = []
    TwoLayer().apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "Linear", "TwoLayer"]


def test_requires_grad_false_freezes_parameters():
    model = TwoLayer().requires_grad_(False)
    assert not model(cr.randn(2, 3)).requires_grad


def test_assigning_a_tensor_to_a_parameter_slot_is_refused():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="Parameter"):
        layer.weight = cr.zeros(2, 2)


def test_containers_index_slice_and_register():
    seq = nn.Sequential(OrderedDict([("a", nn.Linear(1, 2)), ("b", nn.Linear(2, 3))]))
    assert isinstance(seq[-1], nn.Linear) and seq[1].out_features == 3
    assert len(seq[:1]) == 1
    with pytest.raises(IndexError):
        seq[2]
    layers = nn.ModuleList([nn.Linear(1, 1)]).extend([nn.Linear(1, 1)])
    layers.insert(0, nn.Identity())
    assert [type(m).__name__ for m in layers] == ["Identity", "Linear", "Linear"]
    assert [k for k in nn.Module.state_dict(layers)] == ["1.weight", "1.bias", "2.weight",
                                                        "2.bias"]
    heads = nn.ModuleDict({"x": nn.Linear(1, 1)})
    heads["y"] = nn.Linear(1, 2)
    assert list(heads.keys()) == ["x", "y"] and "y" in heads
    assert len(list(heads.parameters())) == 4


def test_repr_prints_the_tree():
    text = repr(TwoLayer())
    assert text.startswith("TwoLayer(\n  (hidden): Linear(in_features=3, out_features=4")
    assert "(out): Linear(in_features=4, out_features=2, bias=True)" in text


def test_parameter_shares_memory_with_the_tensor_it_wraps():
    t = cr.zeros(3)
    p = nn.Parameter(t)
    assert np.shares_memory(p.data, t.data)
    assert repr(p).startswith("Parameter containing:\ntensor(")


# ------------------------------------------------ PyTorch 2.13's parameters, compared with torch

def _shared_and_tied(lib):
    """The same small model in chainrule or torch: a layer used twice, a weight tied between
    two other layers, and a BatchNorm (buffers)."""
    shared, first, second = lib.nn.Linear(2, 2), lib.nn.Linear(2, 2), lib.nn.Linear(2, 2)
    second.weight = first.weight
    return lib.nn.Sequential(shared, shared, first, second, lib.nn.BatchNorm1d(2))


def _identity_pattern(objects):
    """Each object's position of first appearance: equal patterns mean the same sharing."""
    first: dict[int, int] = {}
    return [first.setdefault(id(obj), i) for i, obj in enumerate(objects)]


def _listing(pairs):
    pairs = list(pairs)
    return [name for name, _ in pairs], _identity_pattern(value for _, value in pairs)


@pytest.mark.parametrize("remove_duplicate", [True, False])
def test_remove_duplicate_lists_shared_modules_parameters_and_buffers_as_pytorch(
        remove_duplicate):
    torch = pytest.importorskip("torch")
    ours, theirs = _shared_and_tied(cr), _shared_and_tied(torch)
    for method, kwargs in [("named_modules", {}), ("named_parameters", {}),
                           ("named_buffers", {}), ("named_parameters", {"prefix": "net"}),
                           ("named_parameters", {"recurse": False})]:
        kwargs = dict(kwargs, remove_duplicate=remove_duplicate)
        assert _listing(getattr(ours, method)(**kwargs)) == \
            _listing(getattr(theirs, method)(**kwargs)), (method, kwargs)
        assert _listing(getattr(ours[2], method)(**kwargs)) == \
            _listing(getattr(theirs[2], method)(**kwargs)), (method, kwargs)
    assert _identity_pattern(ours.modules(remove_duplicate=remove_duplicate)) == \
        _identity_pattern(theirs.modules(remove_duplicate=remove_duplicate))
    assert _identity_pattern(ours.modules(remove_duplicate)) == \
        _identity_pattern(theirs.modules(remove_duplicate))


@pytest.mark.parametrize("remove_duplicate", [True, False])
def test_named_modules_takes_memo_prefix_remove_duplicate_in_pytorchs_order(remove_duplicate):
    torch = pytest.importorskip("torch")
    ours, theirs = _shared_and_tied(cr), _shared_and_tied(torch)
    our_memo, their_memo = {ours[2]}, {theirs[2]}
    assert _listing(ours.named_modules(our_memo, "p", remove_duplicate)) == \
        _listing(theirs.named_modules(their_memo, "p", remove_duplicate))
    assert [m in our_memo for m in ours.modules(remove_duplicate=False)] == \
        [m in their_memo for m in theirs.modules(remove_duplicate=False)]  # memo afterwards
    assert len(our_memo) == len(their_memo)


def test_state_dict_lists_a_shared_layer_and_a_tied_weight_under_each_name_as_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = _shared_and_tied(cr), _shared_and_tied(torch)
    for kwargs in [{}, {"prefix": "net."}, {"prefix": "x"}]:
        assert list(ours.state_dict(**kwargs)) == list(theirs.state_dict(**kwargs)), kwargs
    assert type(ours.state_dict()) is type(theirs.state_dict()) is OrderedDict


@pytest.mark.parametrize("keep_vars", [False, True])
def test_state_dict_keep_vars_gives_the_tensors_themselves_or_detached_views_as_pytorch(
        keep_vars):
    torch = pytest.importorskip("torch")

    def facts(model, state, shares):
        owners = dict(model.named_parameters(remove_duplicate=False))
        owners.update(model.named_buffers(remove_duplicate=False))
        return [(key, type(value).__name__, value is owners[key], bool(value.requires_grad),
                 shares(value, owners[key])) for key, value in state.items()]

    ours, theirs = _shared_and_tied(cr), _shared_and_tied(torch)
    assert facts(ours, ours.state_dict(keep_vars=keep_vars),
                 lambda a, b: np.shares_memory(a.data, b.data)) == \
        facts(theirs, theirs.state_dict(keep_vars=keep_vars),
              lambda a, b: a.data_ptr() == b.data_ptr())
    if keep_vars:  # still attached: a loss built from a kept tensor reaches the parameter
        ours.state_dict(keep_vars=True)["0.weight"].sum().backward()
        assert ours[0].weight.grad is not None


def test_state_dict_fills_and_returns_the_destination_as_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = _shared_and_tied(cr), _shared_and_tied(torch)
    for destination_type in (dict, OrderedDict):
        our_dest, their_dest = destination_type(old=1), destination_type(old=1)
        assert ours.state_dict(destination=our_dest, prefix="m.") is our_dest
        assert theirs.state_dict(destination=their_dest, prefix="m.") is their_dest
        assert list(our_dest) == list(their_dest) and our_dest["old"] == 1


@pytest.mark.parametrize("args, kwargs, prefix", [
    (("dest", "q.", True), {}, "q."),
    (("dest", "q."), {}, "q."),
    (("dest",), {"keep_vars": True}, ""),
    ((None, "q.", True), {"prefix": "r."}, "r."),  # a keyword given as well wins
], ids=["three", "two", "one+keyword", "keyword-wins"])
def test_state_dict_deprecated_positional_form_is_read_and_warned_about_as_pytorch(
        args, kwargs, prefix):
    torch = pytest.importorskip("torch")
    results = []
    for model in (_shared_and_tied(cr), _shared_and_tied(torch)):
        destination = OrderedDict()
        call_args = tuple(destination if arg == "dest" else arg for arg in args)
        with pytest.warns(FutureWarning, match="[Pp]ositional"):
            state = model.state_dict(*call_args, **kwargs)
        kept = [state[key] is value
                for key, value in model.state_dict(prefix=prefix, keep_vars=True).items()]
        results.append((state is destination, type(state).__name__, list(state), kept))
    assert results[0] == results[1]


def test_state_dict_with_more_than_three_positional_arguments_raises():
    # PyTorch ignores a fourth positional argument; chainrule says it has no place
    with pytest.raises(TypeError, match="at most 3 positional"):
        nn.Linear(1, 1).state_dict({}, "", False, True)


def test_a_re_registered_name_keeps_its_place_and_persistence_follows_the_last_call():
    torch = pytest.importorskip("torch")
    keys = []
    for lib in (cr, torch):
        model = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Linear(2, 2))
        model[0].weight = lib.nn.Parameter(lib.zeros(2, 2))
        setattr(model, "0", lib.nn.Linear(2, 2))
        model.add_module("1", lib.nn.Linear(2, 2))
        model[1].register_parameter("weight", lib.nn.Parameter(lib.zeros(2, 2)))
        model.register_buffer("scale", lib.ones(1), persistent=False)
        model.register_buffer("shift", lib.ones(1))
        model.register_buffer("scale", lib.ones(1))  # persistent now
        model.register_buffer("shift", lib.ones(1), persistent=False)
        keys.append(list(model.state_dict()))
    assert keys[0] == keys[1]


def test_module_methods_take_pytorchs_parameters_in_pytorchs_order():
    torch = pytest.importorskip("torch")

    def parameters(function):
        return [(p.name, p.kind, p.default)
                for p in inspect.signature(function).parameters.values()]

    for method in ["state_dict", "load_state_dict", "named_parameters", "named_buffers",
                   "modules", "named_modules", "parameters", "buffers"]:
        assert parameters(getattr(nn.Module, method)) == \
            parameters(getattr(torch.nn.Module, method)), method

"""Module: registration, traversal, state_dict round trips and errors, modes, repr."""

from __future__ import annotations

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

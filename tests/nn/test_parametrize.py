"""``nn.utils.parametrize``: register_parametrization and its kin, against PyTorch's
(float64): values and gradients of parametrized tensors, state-dict keys and loading both ways,
right_inverse (one tensor and several), chaining, removal, ``cached()``, and the errors."""

from __future__ import annotations

import copy
import inspect
import pickle

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn.utils import parametrize as P
from tests.optional import needs_torch, torch

pytestmark = needs_torch


# ---------------------------------------------------------------- parametrizations, twice


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(0, 1)

    def right_inverse(self, A):
        return A.triu()


class Scale(nn.Module):
    """Multiplies by a constant; its right_inverse divides."""

    def forward(self, X):
        return X * 3.0

    def right_inverse(self, A):
        return A / 3.0


class RankOne(nn.Module):
    def forward(self, x, y):
        return x.unsqueeze(-1) @ y.unsqueeze(-2)

    def right_inverse(self, Z):
        return Z[:, 0].clone(), Z[0, :] / Z[0, 0]


def torch_twin(cls):
    """The same parametrization as a torch module (the bodies use the shared vocabulary)."""
    return type(cls.__name__, (torch.nn.Module,), {
        name: value for name, value in vars(cls).items() if name in ("forward", "right_inverse")
    })()


def arr(t):
    """A tensor's values (chainrule's or torch's) as an array."""
    return t.detach().numpy()


def twins(in_features=4, out_features=4, seed=0):
    """(chainrule Linear, torch Linear), float64, with the same weights."""
    theirs = torch.nn.Linear(in_features, out_features).double()
    with torch.no_grad():
        g = torch.Generator().manual_seed(seed)
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    ours = nn.Linear(in_features, out_features).double()
    ours.load_state_dict({k: arr(v) for k, v in theirs.state_dict().items()})
    return ours, theirs


def run_both(ours, theirs, x):
    """Forward and backward of sum(out²) on both; returns (ours' output, theirs')."""
    out_ours = ours(cr.tensor(x))
    (out_ours * out_ours).sum().backward()
    out_theirs = theirs(torch.tensor(x))
    (out_theirs * out_theirs).sum().backward()
    return arr(out_ours), arr(out_theirs)


def assert_grads_equal(ours, theirs):
    mine = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(arr(mine[name].grad), arr(p.grad), rtol=1e-10,
                                   atol=1e-12, err_msg=name)
    assert sorted(mine) == sorted(n for n, _ in theirs.named_parameters())


def test_a_parametrized_weight_matches_torch_in_value_gradient_and_keys():
    ours, theirs = twins()
    P.register_parametrization(ours, "weight", Symmetric())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", torch_twin(Symmetric))
    np.testing.assert_allclose(arr(ours.weight), arr(theirs.weight))
    np.testing.assert_allclose(arr(ours.weight), arr(ours.weight).T)
    x = np.random.default_rng(1).normal(size=(5, 4))
    np.testing.assert_allclose(*run_both(ours, theirs, x), rtol=1e-12)
    assert_grads_equal(ours, theirs)
    assert ours.parametrizations.weight.original.grad is not None
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    assert P.type_before_parametrizations(ours) is nn.Linear
    assert P.type_before_parametrizations(nn.Linear(2, 2)) is nn.Linear
    assert isinstance(ours.parametrizations.weight, P.ParametrizationList)


def test_state_dicts_load_both_ways():
    ours, theirs = twins()
    P.register_parametrization(ours, "weight", Scale())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", torch_twin(Scale))
    other, _ = twins(seed=5)
    P.register_parametrization(other, "weight", Scale())
    other.load_state_dict({k: arr(v) for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(arr(other.weight), arr(theirs.weight))
    _, back = twins(seed=6)
    torch.nn.utils.parametrize.register_parametrization(back, "weight", torch_twin(Scale))
    ours.parametrizations.weight.original.data[0, 0] = 7.0
    back.load_state_dict({k: torch.tensor(arr(v)) for k, v in ours.state_dict().items()})
    np.testing.assert_allclose(arr(back.weight), arr(ours.weight))
    assert back.weight[0, 0].item() == 21.0


def test_chained_parametrizations_match_torch():
    ours, theirs = twins()
    for module, register, make in ((ours, P.register_parametrization, lambda c: c()),
                                   (theirs, torch.nn.utils.parametrize.register_parametrization,
                                    torch_twin)):
        register(module, "weight", make(Symmetric))
        register(module, "weight", make(Scale))
    assert len(ours.parametrizations.weight) == 2
    np.testing.assert_allclose(arr(ours.weight), arr(theirs.weight))
    x = np.random.default_rng(2).normal(size=(3, 4))
    np.testing.assert_allclose(*run_both(ours, theirs, x), rtol=1e-12)
    assert_grads_equal(ours, theirs)


def test_assigning_calls_right_inverse_and_keeps_the_original_object():
    ours, theirs = twins()
    P.register_parametrization(ours, "weight", Scale())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", torch_twin(Scale))
    original = ours.parametrizations.weight.original
    target = np.arange(16.0).reshape(4, 4)
    ours.weight = cr.tensor(target)
    theirs.weight = torch.tensor(target)
    assert ours.parametrizations.weight.original is original
    np.testing.assert_allclose(arr(original), target / 3.0)
    np.testing.assert_allclose(arr(original),
                               arr(theirs.parametrizations.weight.original))
    np.testing.assert_allclose(arr(ours.weight), target)


def test_a_right_inverse_returning_several_tensors_gives_original0_original1():
    ours, theirs = twins()
    P.register_parametrization(ours, "weight", RankOne())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", torch_twin(RankOne))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "parametrizations.weight.original1" in ours.state_dict()
    chain = ours.parametrizations.weight
    assert (chain.is_tensor, chain.ntensors) == (False, 2)
    assert isinstance(chain.original0, nn.Parameter) and chain.original0.requires_grad
    x = np.random.default_rng(3).normal(size=(2, 4))
    np.testing.assert_allclose(*run_both(ours, theirs, x), rtol=1e-12)
    assert_grads_equal(ours, theirs)


def test_a_buffer_can_be_parametrized():
    ours = nn.Module()
    ours.register_buffer("scale", cr.ones(2, 2, dtype=cr.float64))
    P.register_parametrization(ours, "scale", Scale())
    theirs = torch.nn.Module()
    theirs.register_buffer("scale", torch.ones(2, 2, dtype=torch.float64))
    torch.nn.utils.parametrize.register_parametrization(theirs, "scale", torch_twin(Scale))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == ["parametrizations.scale.original"]
    np.testing.assert_allclose(arr(ours.scale), arr(theirs.scale))


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations_leaves_the_right_plain_parameter(leave):
    ours, theirs = twins()
    P.register_parametrization(ours, "weight", Scale())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", torch_twin(Scale))
    original = ours.parametrizations.weight.original
    P.remove_parametrizations(ours, "weight", leave_parametrized=leave)
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight", leave_parametrized=leave)
    assert type(ours) is nn.Linear and not hasattr(ours, "parametrizations")
    assert ours.weight is original and isinstance(ours.weight, nn.Parameter)
    np.testing.assert_allclose(arr(ours.weight), arr(theirs.weight))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]


def test_removing_a_parametrization_of_several_tensors():
    ours, theirs = twins()
    P.register_parametrization(ours, "weight", RankOne())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", torch_twin(RankOne))
    with pytest.raises(ValueError, match="sequence of tensors"):
        P.remove_parametrizations(ours, "weight", leave_parametrized=False)
    P.remove_parametrizations(ours, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight")
    assert isinstance(ours.weight, nn.Parameter)
    np.testing.assert_allclose(arr(ours.weight), arr(theirs.weight))


def test_one_of_two_parametrized_tensors_removed_keeps_the_class():
    ours, _ = twins()
    P.register_parametrization(ours, "weight", Scale())
    P.register_parametrization(ours, "bias", Scale())
    P.remove_parametrizations(ours, "weight")
    assert P.is_parametrized(ours) and P.is_parametrized(ours, "bias")
    assert not P.is_parametrized(ours, "weight")
    assert type(ours).__name__ == "ParametrizedLinear"
    P.remove_parametrizations(ours, "bias")
    assert type(ours) is nn.Linear and not P.is_parametrized(ours)


class Counting(nn.Module):
    calls = 0

    def forward(self, X):
        Counting.calls += 1
        return X * 2.0


def test_cached_computes_each_tensor_once_per_block():
    ours, _ = twins()
    P.register_parametrization(ours, "weight", Counting())
    Counting.calls = 0
    first, second = ours.weight, ours.weight
    assert Counting.calls == 2 and first is not second
    with P.cached():
        with P.cached():
            inner = ours.weight
        assert ours.weight is inner  # the inner block's end keeps the outer's cache
        ours(cr.ones(3, 4, dtype=cr.float64))
    assert Counting.calls == 3
    ours.weight
    assert Counting.calls == 4  # the cache is gone after the block
    np.testing.assert_allclose(arr(inner), arr(first))


def test_gradients_through_the_parametrization_pass_gradcheck():
    ours, _ = twins(3, 3)
    P.register_parametrization(ours, "weight", Symmetric())
    P.register_parametrization(ours, "weight", Scale())
    original = ours.parametrizations.weight.original

    def weight(w):
        original.data = w.data  # the check perturbs w; the parametrization reads original
        return ours.parametrizations.weight[1](ours.parametrizations.weight[0](w))

    assert cr.gradcheck(weight, (cr.tensor(arr(original).copy(), requires_grad=True),))


# ---------------------------------------------------------------- errors


class Shrink(nn.Module):
    def forward(self, X):
        return X[:2]


class ToFloat32(nn.Module):
    def forward(self, X):
        return X.float()


def test_a_name_that_is_no_tensor_is_refused():
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a "
                                         "parametrized element with name 'nope'"):
        P.register_parametrization(nn.Linear(2, 2), "nope", Scale())


@pytest.mark.parametrize("parametrization, what", [(Shrink, "shape"), (ToFloat32, "dtype")])
def test_changing_shape_or_dtype_needs_unsafe(parametrization, what):
    ours, theirs = twins()
    with pytest.raises(ValueError, match=f"may not change the {what}") as ours_error:
        P.register_parametrization(ours, "weight", parametrization())
    with pytest.raises(ValueError) as theirs_error:
        torch.nn.utils.parametrize.register_parametrization(
            theirs, "weight", type("T", (torch.nn.Module,),
                                   {"forward": parametrization.forward})())
    assert str(ours_error.value).splitlines()[0] == str(theirs_error.value).splitlines()[0]
    assert type(ours) is nn.Linear  # nothing was changed
    P.register_parametrization(ours, "weight", parametrization(), unsafe=True)
    assert ours.parametrizations.weight.unsafe


def test_a_chained_parametrization_is_checked_too():
    ours, _ = twins()
    P.register_parametrization(ours, "weight", Scale())
    with pytest.raises(ValueError, match=r"may not change the shape.*\n"
                                         r"module.weight.shape: \(4, 4\)"):
        P.register_parametrization(ours, "weight", Shrink())
    assert len(ours.parametrizations.weight) == 1


def test_assigning_without_a_right_inverse_is_refused():
    ours, _ = twins()
    P.register_parametrization(ours, "weight", Counting())
    with pytest.raises(RuntimeError, match="Counting does not implement right_inverse"):
        ours.weight = cr.ones(4, 4, dtype=cr.float64)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        ours.weight = nn.Parameter(cr.ones(4, 4, dtype=cr.float64))


def test_removing_what_is_not_parametrized_is_refused():
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(nn.Linear(2, 2), "weight")


def test_deepcopy_works_and_pickling_is_refused():
    ours, _ = twins()
    P.register_parametrization(ours, "weight", Scale())
    twin = copy.deepcopy(ours)
    assert twin.parametrizations.weight.original is not ours.parametrizations.weight.original
    np.testing.assert_allclose(arr(twin.weight), arr(ours.weight))
    twin.parametrizations.weight.original.data[...] = 0.0
    assert arr(ours.weight).any() and not arr(twin.weight).any()
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(ours)


def test_transfer_parametrizations_and_params():
    source, _ = twins()
    P.register_parametrization(source, "weight", Scale())
    target = nn.Linear(4, 4).double()
    P.transfer_parametrizations_and_params(source, target)
    assert target.parametrizations.weight.original is source.parametrizations.weight.original
    np.testing.assert_allclose(arr(target.weight), arr(source.weight))
    assert P.transfer_parametrizations_and_params(nn.Linear(2, 2), target) is target


@pytest.mark.parametrize("name", ["register_parametrization", "remove_parametrizations",
                                  "is_parametrized", "type_before_parametrizations", "cached",
                                  "transfer_parametrizations_and_params"])
def test_signatures_match_torch(name):
    ours = inspect.signature(getattr(P, name)).parameters
    theirs = inspect.signature(getattr(torch.nn.utils.parametrize, name)).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.values()]
    assert name in P.__all__

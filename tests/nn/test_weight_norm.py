"""Weight normalisation, both forms, against PyTorch's (float64): the parametrization
``nn.utils.parametrizations.weight_norm`` (g, v as ``original0``, ``original1``) and the legacy
hook ``nn.utils.weight_norm`` (``weight_g``, ``weight_v``, a FutureWarning): values, gradients
of g and v, state-dict keys and loading (the legacy keys into the parametrization too),
removal, and the errors."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn.hooks import LIVE
from chainrule.nn.utils import parametrize as P
from chainrule.nn.utils.weight_norm import norm_except_dim, weight_norm_of
from tests.optional import needs_torch, torch

pytestmark = needs_torch

LAYERS = {  # name: (chainrule factory, torch factory, input shape)
    "linear": (lambda: nn.Linear(4, 3), lambda: torch.nn.Linear(4, 3), (5, 4)),
    "conv1d": (lambda: nn.Conv1d(2, 3, 2), lambda: torch.nn.Conv1d(2, 3, 2), (2, 2, 6)),
}


def arr(t):
    """A tensor's values (chainrule's or torch's) as an array."""
    return t.detach().numpy()


def twins(layer, seed=0):
    """(chainrule layer, torch layer, input array), float64, with the same weights."""
    make_ours, make_theirs, shape = LAYERS[layer]
    theirs = make_theirs().double()
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(rng.normal(size=tuple(p.shape))))
    ours = make_ours().double()
    ours.load_state_dict({k: arr(v) for k, v in theirs.state_dict().items()})
    return ours, theirs, rng.normal(size=shape)


def backward_both(ours, theirs, x):
    out_ours, out_theirs = ours(cr.tensor(x)), theirs(torch.tensor(x))
    (out_ours * out_ours).sum().backward()
    (out_theirs * out_theirs).sum().backward()
    np.testing.assert_allclose(arr(out_ours), arr(out_theirs), rtol=1e-12)


def assert_same_parameters(ours, theirs, grads=True):
    mine = dict(ours.named_parameters())
    assert list(mine) == [name for name, _ in theirs.named_parameters()]
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(arr(mine[name]), arr(p), rtol=1e-12, err_msg=name)
        if grads:
            np.testing.assert_allclose(arr(mine[name].grad), arr(p.grad), rtol=1e-10,
                                       atol=1e-12, err_msg=name)


def legacy(fn, *args, **kwargs):
    """Call a legacy weight_norm function, hiding its deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return fn(*args, **kwargs)


@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_norm_except_dim_matches_torch(dim):
    v = np.random.default_rng(0).normal(size=(3, 4, 5))
    np.testing.assert_allclose(arr(norm_except_dim(cr.tensor(v), 2, -1 if dim is None else dim)),
                               torch.norm_except_dim(torch.tensor(v), 2,
                                                     -1 if dim is None else dim).numpy())


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_the_weight_norm_gradient_passes_gradcheck(dim):
    rng = np.random.default_rng(1)
    v = cr.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    g = cr.tensor(arr(norm_except_dim(v, 2, dim)) * 1.5, requires_grad=True)
    assert cr.gradcheck(lambda v, g: weight_norm_of(v, g, dim), (v, g))
    np.testing.assert_allclose(arr(weight_norm_of(v, g, dim)),
                               torch._weight_norm(torch.tensor(arr(v)), torch.tensor(arr(g)),
                                                  dim).numpy(), rtol=1e-12)


# ---------------------------------------------------------------- the parametrization


@pytest.mark.parametrize("layer, dim", [("linear", 0), ("linear", None), ("conv1d", 0),
                                        ("conv1d", 1), ("conv1d", -2)])
def test_parametrization_matches_torch(layer, dim):
    ours, theirs, x = twins(layer)
    nn.utils.parametrizations.weight_norm(ours, dim=dim)
    torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.parametrizations.weight.original0.shape == \
        tuple(theirs.parametrizations.weight.original0.shape)
    backward_both(ours, theirs, x)
    assert_same_parameters(ours, theirs)


def test_a_torch_state_dict_loads_and_goes_back():
    ours, theirs, x = twins("linear")
    nn.utils.parametrizations.weight_norm(ours)
    torch.nn.utils.parametrizations.weight_norm(theirs)
    with torch.no_grad():
        theirs.parametrizations.weight.original0.mul_(2.0)
    ours.load_state_dict({k: arr(v) for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(arr(ours.weight), arr(theirs.weight), rtol=1e-12)
    fresh = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(4, 3).double())
    fresh.load_state_dict({k: torch.tensor(arr(v)) for k, v in ours.state_dict().items()})
    np.testing.assert_allclose(arr(fresh.weight), arr(theirs.weight), rtol=1e-12)


def test_a_legacy_state_dict_loads_into_the_parametrization():
    _, theirs, _ = twins("linear")
    legacy(torch.nn.utils.weight_norm, theirs)
    old = {k: arr(v) for k, v in theirs.state_dict().items()}
    assert sorted(old) == ["bias", "weight_g", "weight_v"]
    ours = nn.utils.parametrizations.weight_norm(nn.Linear(4, 3).double())
    ours.load_state_dict(old)
    np.testing.assert_allclose(arr(ours.parametrizations.weight.original0), old["weight_g"])
    np.testing.assert_allclose(arr(ours.weight), arr(theirs.weight), rtol=1e-12)


def test_removing_the_parametrization_leaves_the_weight():
    ours, theirs, _ = twins("conv1d")
    nn.utils.parametrizations.weight_norm(ours)
    torch.nn.utils.parametrizations.weight_norm(theirs)
    with torch.no_grad():
        theirs.parametrizations.weight.original0.mul_(3.0)
    ours.load_state_dict({k: arr(v) for k, v in theirs.state_dict().items()})
    P.remove_parametrizations(ours, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight")
    assert type(ours) is nn.Conv1d and isinstance(ours.weight, nn.Parameter)
    assert_same_parameters(ours, theirs, grads=False)


# ---------------------------------------------------------------- the legacy hook


def test_the_legacy_hook_warns_as_torch_does():
    with pytest.warns(FutureWarning, match="torch.nn.utils.weight_norm` is deprecated in "
                                           "favor of `torch.nn.utils.parametrizations"):
        nn.utils.weight_norm(nn.Linear(2, 2))


@pytest.mark.parametrize("layer, dim", [("linear", 0), ("linear", None), ("conv1d", 1)])
def test_the_legacy_hook_matches_torch(layer, dim):
    ours, theirs, x = twins(layer)
    assert legacy(nn.utils.weight_norm, ours, dim=dim) is ours
    legacy(torch.nn.utils.weight_norm, theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert not P.is_parametrized(ours) and not isinstance(ours.weight, nn.Parameter)
    with torch.no_grad():  # the hook recomputes the weight before each forward
        theirs.weight_g.mul_(2.0)
    ours.weight_g.data *= 2.0
    backward_both(ours, theirs, x)
    assert_same_parameters(ours, theirs)
    ours.load_state_dict({k: arr(v) for k, v in theirs.state_dict().items()})


def test_remove_weight_norm_leaves_a_plain_parameter():
    ours, theirs, x = twins("linear")
    hooks_before = LIVE[0]
    legacy(nn.utils.weight_norm, ours)
    legacy(torch.nn.utils.weight_norm, theirs)
    assert LIVE[0] == hooks_before + 1
    ours.weight_g.data *= 0.5
    with torch.no_grad():
        theirs.weight_g.mul_(0.5)
    assert nn.utils.remove_weight_norm(ours) is ours
    torch.nn.utils.remove_weight_norm(theirs)
    assert isinstance(ours.weight, nn.Parameter) and not ours._forward_pre_hooks
    assert LIVE[0] == hooks_before  # counted down: module calls skip the hook machinery again
    assert_same_parameters(ours, theirs, grads=False)
    backward_both(ours, theirs, x)
    assert_same_parameters(ours, theirs)


def test_legacy_errors_name_the_problem():
    m = legacy(nn.utils.weight_norm, nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same "
                                           "parameter weight"):
        legacy(nn.utils.weight_norm, m)
    with pytest.raises(ValueError, match="weight_norm of 'bias' not found"):
        nn.utils.remove_weight_norm(m, "bias")
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        legacy(nn.utils.weight_norm, nn.Linear(2, 2), "nope")
    holder = nn.Module()
    holder.register_buffer("scale", cr.ones(2, 2))
    with pytest.raises(KeyError, match="'scale' is not a parameter"):
        legacy(nn.utils.weight_norm, holder, "scale")


@pytest.mark.parametrize("ours, theirs", [
    (nn.utils.weight_norm, torch.nn.utils.weight_norm if torch else None),
    (nn.utils.remove_weight_norm, torch.nn.utils.remove_weight_norm if torch else None),
    (nn.utils.parametrizations.weight_norm,
     torch.nn.utils.parametrizations.weight_norm if torch else None)])
def test_signatures_match_torch(ours, theirs):
    assert [(p.name, p.kind, p.default) for p in inspect.signature(ours).parameters.values()] \
        == [(p.name, p.kind, p.default) for p in inspect.signature(theirs).parameters.values()]

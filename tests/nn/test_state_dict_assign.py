"""``load_state_dict(assign=True)``: the checkpoint's tensors take the places of the module's
(PyTorch 2.13's semantics, compared with torch on the same model), where the default copies
into the tensors already there."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from tests.optional import needs_torch, torch

pytestmark = needs_torch  # each test compares with torch on the same model


def model(lib):
    """Linear (a bias frozen) then BatchNorm1d: Parameters, float buffers and an int buffer."""
    net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
    net[0].bias.requires_grad_(False)
    return net


def checkpoint(lib, rng_seed=0):
    """float64 values for ``model``'s keys; the weight's requires_grad differs from the
    module's, the bias's too, so the facts show whose requires_grad wins."""
    rng = np.random.default_rng(rng_seed)
    arrays = {"0.weight": rng.standard_normal((3, 2)), "0.bias": rng.standard_normal(3),
              "1.weight": rng.standard_normal(3), "1.bias": rng.standard_normal(3),
              "1.running_mean": rng.standard_normal(3), "1.running_var": rng.random(3) + 0.5,
              "1.num_batches_tracked": np.array(7, dtype=np.int64)}
    state = {key: lib.from_numpy(value) for key, value in arrays.items()}
    state["0.weight"].requires_grad_(False)
    state["0.bias"].requires_grad_(True)
    return state


def same_memory(a, b):
    return np.shares_memory(a.data, b.data) if isinstance(a, cr.Tensor) else \
        a.data_ptr() == b.data_ptr()


def facts(net, given, before):
    """Per key: what sits in the module now, compared with the given and the old tensor."""
    now = net.state_dict(keep_vars=True)
    return {key: (type(now[key]).__name__, now[key] is given[key], now[key] is before[key],
                  same_memory(now[key], given[key]), bool(now[key].requires_grad),
                  str(now[key].dtype).replace("torch.", ""),
                  np.array_equal(np.asarray(now[key].detach()),
                                 np.asarray(given[key].detach())))
            for key in now}


@pytest.mark.parametrize("assign", [True, False])
def test_assign_or_copy_gives_pytorchs_identities_requires_grad_and_dtypes(assign):
    results = []
    for lib in (cr, torch):
        net, given = model(lib), checkpoint(lib)
        before = net.state_dict(keep_vars=True)
        net.load_state_dict(given, assign=assign)
        results.append(facts(net, given, before))
    assert results[0] == results[1]
    assigned = results[0]["0.weight"]
    assert assigned[3] is assign  # the model's weight shares the checkpoint's data iff assign


def test_a_given_parameter_is_used_itself_with_the_replaced_ones_requires_grad():
    results = []
    for lib in (cr, torch):
        net = lib.nn.Linear(2, 3)
        weight = lib.nn.Parameter(lib.ones(3, 2), requires_grad=False)
        net.load_state_dict({"weight": weight, "bias": lib.zeros(3)}, assign=True)
        results.append((net.weight is weight, weight.requires_grad, net.bias.requires_grad,
                        type(net.bias).__name__))
    assert results[0] == results[1]


def test_assign_unties_tied_weights_and_keeps_the_parameter_order_as_pytorch():
    results = []
    for lib in (cr, torch):
        first, second = lib.nn.Linear(2, 2), lib.nn.Linear(2, 2)
        second.weight = first.weight
        net = lib.nn.Sequential(first, second)
        tied = net.load_state_dict({"0.weight": lib.ones(2, 2)}, strict=False, assign=True)
        order = [name for name, _ in net.named_parameters(remove_duplicate=False)]
        full = {key: lib.full(value.shape, float(i)) for i, (key, value)
                in enumerate(net.state_dict().items())}
        net.load_state_dict(full, assign=True)
        sums = [float(layer.weight.detach().sum()) for layer in net]
        results.append((list(tied.missing_keys), order, net[0].weight is net[1].weight, sums))
    assert results[0] == results[1]


def test_assign_leaves_no_gradient_and_no_link_to_an_optimizer_built_before():
    results = []
    for lib in (cr, torch):
        net = lib.nn.Linear(2, 1)
        net(lib.ones(4, 2)).sum().backward()
        optimizer = lib.optim.SGD(net.parameters(), lr=1.0)
        net.load_state_dict({"weight": lib.ones(1, 2), "bias": lib.zeros(1)}, assign=True)
        optimizer.step()  # steps the old parameters, no longer the module's
        results.append((net.weight.grad is None, float(net.weight.detach().sum()),
                        optimizer.param_groups[0]["params"][0] is net.weight))
    assert results[0] == results[1]


def test_assign_still_reports_every_problem_before_changing_anything():
    net = model(cr)
    before = net.state_dict(keep_vars=True)
    given = checkpoint(cr)
    given["0.weight"] = cr.zeros(2, 2)
    del given["1.bias"]
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(given, assign=True)
    assert "size mismatch for 0.weight" in str(error.value)
    assert "missing key '1.bias'" in str(error.value)
    now = net.state_dict(keep_vars=True)
    assert all(now[key] is before[key] for key in before)


def test_assign_wraps_arrays_without_copying():
    # torch refuses arrays; chainrule loads them (copying by default), and assign shares them
    net = model(cr)
    given = {key: np.asarray(value.data) for key, value in checkpoint(cr).items()}
    net.load_state_dict(given, assign=True)
    for key, value in net.state_dict(keep_vars=True).items():
        assert np.shares_memory(value.data, given[key]) and value.dtype == given[key].dtype, key
    assert isinstance(net[0].weight, nn.Parameter) and net[0].weight.requires_grad
    assert not net[0].bias.requires_grad


def test_assign_into_a_lazy_layer_computes_what_torch_computes():
    rng = np.random.default_rng(2)
    arrays = {"weight": rng.standard_normal((4, 5)), "bias": rng.standard_normal(4)}
    x = rng.standard_normal((3, 5))
    outputs = []
    for lib in (cr, torch):
        layer = lib.nn.LazyLinear(4)
        given = {key: lib.from_numpy(value.copy()) for key, value in arrays.items()}
        layer.load_state_dict(given, assign=True)
        assert same_memory(layer.weight, given["weight"])
        outputs.append(layer(lib.from_numpy(x)).detach().numpy())
        assert type(layer).__name__ == "Linear" and str(layer.weight.dtype).endswith("float64")
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-12)


def test_assign_of_part_of_a_lazy_layer_leaves_the_rest_to_the_first_forward():
    weight = np.random.default_rng(3).standard_normal((3, 4))
    layer = nn.LazyLinear(3)
    result = layer.load_state_dict({"weight": cr.from_numpy(weight)}, strict=False,
                                   assign=True)
    assert result.missing_keys == ["bias"] and isinstance(layer.bias, nn.UninitializedParameter)
    assert np.shares_memory(layer.weight.data, weight)
    layer(cr.randn(2, 4, dtype=cr.float64))
    assert type(layer) is nn.Linear and np.array_equal(layer.weight.data, weight)


def test_a_saved_model_loads_back_with_assign(tmp_path):
    cr.manual_seed(0)
    source, target = model(cr), model(cr)
    source.save(tmp_path / "net.safetensors")
    target.load_state_dict(cr.load(tmp_path / "net.safetensors"), assign=True)
    x = cr.randn(4, 2)
    source.eval(), target.eval()
    np.testing.assert_array_equal(target(x).detach().numpy(), source(x).detach().numpy())


@pytest.mark.parametrize("assign", [True, False])
def test_a_layer_used_twice_ends_with_the_values_under_its_last_name_as_pytorch(assign):
    results = []
    for lib in (cr, torch):
        shared = lib.nn.Linear(2, 2)
        net = lib.nn.Sequential(shared, shared)
        state = {key: lib.full(value.shape, float(i))
                 for i, (key, value) in enumerate(net.state_dict().items())}
        net.load_state_dict(state, assign=assign)
        results.append((list(state), net[0] is net[1],
                        [float(p.detach().sum()) for p in net.parameters()]))
    assert results[0] == results[1]

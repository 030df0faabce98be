"""LazyLinear and UninitializedParameter: the shape comes from the first input, the same
Parameter objects are materialised in place (an optimizer built before sees them), the layer
becomes a Linear initialised as Linear is, and every misuse is refused by name."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from tests.optional import needs_torch, torch


def test_before_the_first_forward_nothing_has_a_shape():
    layer = nn.LazyLinear(4)
    assert layer.in_features == 0 and repr(layer.weight) == "<UninitializedParameter>"
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.requires_grad
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert list(nn.LazyLinear(4, bias=False).state_dict()) == ["weight"]
    with pytest.raises(RuntimeError, match="no shape yet.*first forward"):
        layer.weight.shape


@needs_torch
def test_repr_before_and_after_match_torch():
    ours, theirs = nn.LazyLinear(4), torch.nn.LazyLinear(4)
    assert repr(ours) == repr(theirs)
    ours(cr.randn(2, 3)), theirs(torch.randn(2, 3))
    assert repr(ours) == repr(theirs)
    assert repr(nn.LazyLinear(2, bias=False)) == repr(torch.nn.LazyLinear(2, bias=False))


def test_the_first_forward_materialises_in_place_and_becomes_a_linear():
    layer = nn.LazyLinear(3, dtype=cr.float64)
    weight, bias = layer.weight, layer.bias
    optimizer = cr.optim.SGD(layer.parameters(), lr=0.5)
    x = cr.randn(5, 2, 7, dtype=cr.float64)
    y = layer(x)
    assert type(layer) is nn.Linear and layer.in_features == 7
    assert layer.weight is weight and layer.bias is bias and type(weight) is nn.Parameter
    assert weight.shape == (3, 7) and bias.shape == (3,) and weight.dtype == cr.float64
    bound = 1 / np.sqrt(7)
    assert np.abs(weight.data).max() <= bound and np.abs(bias.data).max() <= bound
    assert np.unique(weight.data).size == 21  # drawn, not left as np.empty's leftovers
    expected = x.numpy() @ weight.data.T + bias.data
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-12)
    before = weight.data.copy()
    y.sum().backward()
    optimizer.step()
    np.testing.assert_allclose(weight.data, before - 0.5 * np.broadcast_to(
        x.numpy().reshape(-1, 7).sum(0), (3, 7)), rtol=1e-12)
    with pytest.raises(ValueError, match="in_features=7"):
        layer(cr.randn(2, 5, dtype=cr.float64))


def test_a_one_dim_input_and_a_0d_refusal():
    layer = nn.LazyLinear(2)
    assert layer(cr.randn(6)).shape == (2,) and layer.in_features == 6
    with pytest.raises(ValueError, match="0-D"):
        nn.LazyLinear(2)(cr.tensor(1.0))


def test_loading_before_the_first_forward_takes_the_checkpoints_shapes():
    source = nn.Sequential(nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 2))
    model = nn.Sequential(nn.LazyLinear(3), nn.ReLU(), nn.LazyLinear(2))
    weight = model[0].weight
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)  # built before: sees the same objects
    model.load_state_dict(source.state_dict())
    assert type(model[0]) is nn.Linear and model[0].in_features == 5 and model[2].in_features == 3
    assert model[0].weight is weight and optimizer.param_groups[0]["params"][0] is weight
    for ours, theirs in zip(model.parameters(), source.parameters()):
        assert np.array_equal(ours.data, theirs.data) and not np.shares_memory(ours.data,
                                                                                theirs.data)
    x = cr.randn(4, 5)
    assert np.array_equal(model(x).detach().numpy(), source(x).detach().numpy())


@needs_torch
def test_a_loaded_lazy_layer_computes_what_torch_computes():
    torch.manual_seed(0)  # fixed weights: an output near 0 would fail the relative tolerance
    source = torch.nn.Linear(6, 4)
    theirs, ours = torch.nn.LazyLinear(4), nn.LazyLinear(4)
    theirs.load_state_dict(source.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in source.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 6)).astype(np.float32)
    want = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(cr.from_numpy(x)).detach().numpy(), want, rtol=1e-6)
    assert repr(ours) == repr(theirs)


def test_a_wrong_shape_is_refused_by_name_and_changes_nothing():
    model = nn.Sequential(nn.LazyLinear(2), nn.Linear(2, 2))
    checkpoint = {"0.weight": np.zeros((3, 4), np.float32), "0.bias": np.zeros(2, np.float32),
                  "1.weight": np.zeros((2, 5), np.float32), "1.bias": np.zeros(2, np.float32)}
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(checkpoint)
    message = str(error.value)
    assert "size mismatch for 0.weight: checkpoint has shape (3, 4), LazyLinear(out_features=2)" \
        " needs (2, in_features)" in message
    assert "size mismatch for 1.weight" in message  # every problem at once
    assert type(model[0]) is nn.LazyLinear
    assert isinstance(model[0].weight, nn.UninitializedParameter)
    with pytest.raises(RuntimeError, match=r"0.bias: checkpoint has shape \(2, 1\)"):
        nn.Sequential(nn.LazyLinear(2)).load_state_dict(
            {"0.weight": np.zeros((2, 4)), "0.bias": np.zeros((2, 1))})


def test_a_parameter_the_checkpoint_lacks_is_drawn_by_the_first_forward():
    layer = nn.LazyLinear(3)
    weight = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    result = layer.load_state_dict({"weight": weight}, strict=False)
    assert result.missing_keys == ["bias"]
    assert type(layer) is nn.LazyLinear and isinstance(layer.bias, nn.UninitializedParameter)
    assert np.array_equal(layer.weight.data, weight)
    x = cr.randn(2, 4)
    y = layer(x)
    assert type(layer) is nn.Linear and layer.in_features == 4
    assert np.array_equal(layer.weight.data, weight)  # loaded values kept
    assert 0 < np.abs(layer.bias.data).max() <= 1 / np.sqrt(4)  # drawn as Linear draws
    np.testing.assert_allclose(y.detach().numpy(), x.numpy() @ weight.T + layer.bias.data,
                               rtol=1e-6)
    with pytest.raises(ValueError, match="in_features=4"):
        layer(cr.randn(2, 5))
def test_materialize_takes_an_int_or_a_shape_and_a_dtype():
    p = nn.UninitializedParameter(requires_grad=False, dtype=cr.float64)
    p.materialize(4)
    assert type(p) is nn.Parameter and p.shape == (4,) and p.dtype == cr.float64
    assert not p.requires_grad
    q = nn.UninitializedParameter()
    q.materialize((2, 3), dtype=cr.float64)
    assert q.shape == (2, 3) and q.dtype == cr.float64
    assert nn.UninitializedParameter().dtype == cr.float32


@needs_torch
def test_an_uninitialized_buffer_is_registered_as_a_buffer_as_in_torch():
    def holder(lib):
        module = lib.nn.Module()
        module.kept = lib.nn.UninitializedBuffer()
        module.scratch = lib.nn.UninitializedBuffer(persistent=False)
        return module

    made = {lib: holder(lib) for lib in (cr, torch)}
    ours, theirs = made[cr], made[torch]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    # keep_vars: torch's plain Module cannot detach an uninitialised buffer
    assert list(ours.state_dict(keep_vars=True)) == list(theirs.state_dict(keep_vars=True)) \
        == ["kept"]
    assert repr(ours.kept) == repr(theirs.kept) == "<UninitializedBuffer>"
    assert ours.kept.requires_grad == theirs.kept.requires_grad
    assert list(ours.parameters()) == []
    with pytest.raises(RuntimeError, match="UninitializedBuffer has no shape yet"):
        ours.kept.shape


def test_an_uninitialized_buffer_materialises_in_place_into_a_buffer():
    buffer = nn.UninitializedBuffer(requires_grad=True, dtype=cr.float64, persistent=False)
    assert buffer.requires_grad and not buffer.persistent
    holder = nn.Module()
    holder.stats = buffer
    buffer.materialize((2, 3))
    assert type(buffer) is nn.Buffer and buffer.shape == (2, 3) and buffer.dtype == cr.float64
    assert holder.stats is buffer and list(holder.state_dict()) == []
    other = nn.UninitializedBuffer()
    other.materialize(4, dtype=cr.float64)
    assert other.shape == (4,) and other.dtype == cr.float64 and not other.requires_grad

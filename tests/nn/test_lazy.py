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


def test_loading_before_the_first_forward_is_refused_naming_the_mismatch():
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        nn.LazyLinear(2).load_state_dict(nn.Linear(3, 2).state_dict())


def test_materialize_takes_an_int_or_a_shape_and_a_dtype():
    p = nn.UninitializedParameter(requires_grad=False, dtype=cr.float64)
    p.materialize(4)
    assert type(p) is nn.Parameter and p.shape == (4,) and p.dtype == cr.float64
    assert not p.requires_grad
    q = nn.UninitializedParameter()
    q.materialize((2, 3), dtype=cr.float64)
    assert q.shape == (2, 3) and q.dtype == cr.float64
    assert nn.UninitializedParameter().dtype == cr.float32

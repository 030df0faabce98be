"""nn.Container: PyTorch's deprecated module holder warns as PyTorch's does (on building one,
on defining a subclass) and registers its keyword arguments as children."""

from __future__ import annotations

import warnings

import pytest

import chainrule as cr
from chainrule import nn
from tests.optional import needs_torch, torch


def test_building_one_warns_and_registers_children():
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        container = nn.Container(fc=nn.Linear(2, 3), act=nn.ReLU())
    assert list(container.state_dict()) == ["fc.weight", "fc.bias"]
    assert [name for name, _ in container.named_children()] == ["fc", "act"]


def test_a_subclass_warns_when_defined_not_when_built():
    with pytest.warns(FutureWarning, match="Subclass that instead"):
        class Legacy(nn.Container):
            def forward(self, x):
                return self.fc(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = Legacy(fc=nn.Linear(2, 1))
    assert model(cr.ones(4, 2)).shape == (4, 1)


@needs_torch
def test_message_and_keys_equal_torch():
    with pytest.warns(FutureWarning) as theirs:
        reference = torch.nn.Container(fc=torch.nn.Linear(2, 3))
    with pytest.warns(FutureWarning) as ours:
        container = nn.Container(fc=nn.Linear(2, 3))
    assert str(ours[0].message) == str(theirs[0].message)
    assert list(container.state_dict()) == list(reference.state_dict())


def test_a_non_module_child_is_refused():
    with pytest.warns(FutureWarning), pytest.raises(TypeError, match="is not a Module"):
        nn.Container(fc=3)

"""Higher-order gradients are not offered, and asking for them says so (docs/reliability.md
R-GRAD-3): backward is once-differentiable, so create_graph=True must fail loudly rather than
return a first-order gradient that silently carries no graph."""

from __future__ import annotations

import pytest

import chainrule as cr


def test_create_graph_is_refused_with_a_reason():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(NotImplementedError, match="create_graph"):
        y.backward(create_graph=True)
    assert x.grad is None  # nothing was accumulated before the refusal


def test_autograd_grad_has_no_create_graph_to_misread():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="create_graph"):
        cr.autograd.grad((x * x).sum(), x, create_graph=True)

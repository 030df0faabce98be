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


@pytest.mark.parametrize("call", [
    lambda y, x: cr.autograd.grad(y, x, create_graph=True),
    lambda y, x: cr.autograd.grad(y, x, None, None, True),  # torch's position
    lambda y, x: cr.autograd.backward(y, create_graph=True),
    lambda y, x: cr.autograd.backward([y], None, None, True),
])
def test_autograd_grad_and_backward_refuse_create_graph_with_a_reason(call):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        call((x * x).sum(), x)
    assert x.grad is None
    assert cr.autograd.grad((x * x).sum(), x, create_graph=False)[0].tolist() == [2.0, 4.0]

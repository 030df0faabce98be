"""``chainrule.autograd.functional`` against ``torch.autograd.functional`` (float64): vjp and
jacobian over the input and output structures PyTorch accepts, strict mode, and the
refusals of what needs a second derivative or forward mode."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import chainrule as cr
from chainrule import cli
from chainrule.autograd import functional as AF
from tests.optional import needs_torch, torch

pytestmark = needs_torch
RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal(3), RNG.standard_normal((2, 3))


def lib_of(t):
    return cr if isinstance(t, cr.Tensor) else torch


def product(a, b):
    return lib_of(a).tanh(a) * b


def pair(a, b):
    return (a * b).sum(), lib_of(a).exp(b) + a


FUNCTIONS = {  # name: (function, inputs as arrays (a tuple means a tuple of tensors))
    "one to one": (lambda a: a * a.sum(), X),
    "two to one": (product, (X, Y)),
    "two to two": (pair, (X, Y)),
    "one to two": (lambda a: (a.sin(), a.reshape(3, 1) * a), X),
}


def tensors(lib, arrays):
    if isinstance(arrays, tuple):
        return tuple(lib.tensor(a, dtype=lib.float64) for a in arrays)
    return lib.tensor(arrays, dtype=lib.float64)


def assert_nested_equal(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_nested_equal(a, b)
        return
    assert isinstance(ours, cr.Tensor) and not ours.requires_grad
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_jacobian_matches_torch_in_values_and_nesting(name):
    fn, arrays = FUNCTIONS[name]
    ours = AF.jacobian(fn, tensors(cr, arrays))
    theirs = torch.autograd.functional.jacobian(fn, tensors(torch, arrays))
    assert_nested_equal(ours, theirs)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_vjp_matches_torch(name):
    fn, arrays = FUNCTIONS[name]
    outputs = fn(*(tensors(torch, arrays) if isinstance(arrays, tuple)
                   else (tensors(torch, arrays),)))
    shapes = [o.shape for o in (outputs if isinstance(outputs, tuple) else (outputs,))]
    vs = [RNG.standard_normal(tuple(s)) for s in shapes]
    v_ours = tuple(cr.tensor(v) for v in vs) if isinstance(outputs, tuple) else cr.tensor(vs[0])
    v_theirs = tuple(torch.tensor(v) for v in vs) if isinstance(outputs, tuple) \
        else torch.tensor(vs[0])
    ours = AF.vjp(fn, tensors(cr, arrays), v_ours)
    theirs = torch.autograd.functional.vjp(fn, tensors(torch, arrays), v_theirs)
    assert_nested_equal(ours, theirs)


def test_vjp_without_v_needs_a_one_element_output():
    out, grad = AF.vjp(lambda a: (a * a).sum(), cr.tensor(X))
    np.testing.assert_allclose(grad.numpy(), 2 * X)
    with pytest.raises(RuntimeError, match="v can only be None"):
        AF.vjp(lambda a: a * 2, cr.tensor(X))
    with pytest.raises(RuntimeError, match="Mismatch in size for v and output 0"):
        AF.vjp(lambda a: a * 2, cr.tensor(X), cr.ones(2))


def test_an_unused_input_gets_zeros_or_raises_in_strict_mode():
    x, y = cr.tensor(X), cr.tensor(Y)
    out, grads = AF.vjp(lambda a, b: (a * 2).sum(), (x, y))
    np.testing.assert_array_equal(grads[1].numpy(), np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.vjp(lambda a, b: (a * 2).sum(), (x, y), strict=True)
    constant = AF.jacobian(lambda a: cr.ones(2, dtype=cr.float64), x)
    np.testing.assert_array_equal(constant.numpy(), np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="Output 0 .* does not require gradients"):
        AF.jacobian(lambda a: cr.ones(2, dtype=cr.float64), x, strict=True)


def test_the_inputs_are_not_changed_and_need_not_require_grad():
    x = cr.tensor(X)
    AF.jacobian(lambda a: a * a, x)
    assert not x.requires_grad and x.grad is None


@pytest.mark.parametrize("call", [
    lambda: AF.hessian(lambda a: (a * a).sum(), cr.tensor(X)),
    lambda: AF.hvp(lambda a: (a * a).sum(), cr.tensor(X), cr.tensor(X)),
    lambda: AF.vhp(lambda a: (a * a).sum(), cr.tensor(X), cr.tensor(X)),
    lambda: AF.jacobian(lambda a: a * a, cr.tensor(X), create_graph=True),
    lambda: AF.vjp(lambda a: (a * a).sum(), cr.tensor(X), create_graph=True),
], ids=["hessian", "hvp", "vhp", "jacobian-create_graph", "vjp-create_graph"])
def test_what_needs_a_second_derivative_is_refused(call):
    with pytest.raises(NotImplementedError, match="once-differentiable"):
        call()


def test_forward_mode_is_refused_and_bad_inputs_are_named():
    with pytest.raises(NotImplementedError, match="forward"):
        AF.jacobian(lambda a: a, cr.tensor(X), strategy="forward-mode", vectorize=True)
    with pytest.raises(NotImplementedError, match="jacobian"):
        AF.jvp(lambda a: a, cr.tensor(X), cr.tensor(X))
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        AF.jacobian(lambda a: a, 3.0)
    with pytest.raises(TypeError, match="outputs of the user-provided function"):
        AF.jacobian(lambda a: 3.0, cr.tensor(X))


def test_signatures_match_torch():
    import inspect

    for name in ("jacobian", "vjp", "hessian", "hvp", "vhp", "jvp"):
        ours = list(inspect.signature(getattr(AF, name)).parameters)
        theirs = list(inspect.signature(getattr(torch.autograd.functional, name)).parameters)
        assert ours == theirs, name


def test_a_pytorch_script_with_autograd_functional_runs(tmp_path, capsys):
    path = tmp_path / "jac.py"
    path.write_text(textwrap.dedent("""
        import torch
        from torch.autograd.functional import jacobian
        import torch.autograd.functional as AF

        x = torch.tensor([1.0, 2.0])
        print(jacobian(lambda a: a ** 3, x).diagonal().tolist())
        print(AF.vjp(lambda a: (a * a).sum(), x)[1].tolist())
        """))
    assert cli.main(["run", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["[3.0, 12.0]", "[2.0, 4.0]"]

"""``autograd.backward`` and ``autograd.grad`` with PyTorch's parameters: several outputs with
their upstream gradients, ``inputs``, the deprecated names, ``materialize_grads``,
``is_grads_batched``; each result compared with torch's, and the refusals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

X = np.array([1.0, -2.0, 0.5])
W = np.array([[0.3, -1.0, 2.0], [1.5, 0.2, -0.7]])


def graph(lib):
    """(x, y, outputs): two outputs of x, and a leaf y that they do not use."""
    x = lib.tensor(X, requires_grad=True)
    y = lib.tensor([4.0], requires_grad=True)
    return x, y, [(x * x).sum(), lib.tensor(W) @ x.exp()]


def both(run):
    """``run(lib, x, y, outputs)`` for chainrule and for torch: its two results."""
    return [run(lib, *graph(lib)) for lib in (cr, torch)]


def numpy(value):
    if isinstance(value, (list, tuple)):
        return [numpy(v) for v in value]
    return None if value is None else value.detach().numpy()


@needs_torch
@pytest.mark.parametrize("run", [
    lambda lib, x, y, outs: (lib.autograd.backward(outs, [None, lib.tensor([1.0, -3.0])]),
                             x.grad)[1],
    lambda lib, x, y, outs: (lib.autograd.backward(outs[0]), x.grad)[1],
    lambda lib, x, y, outs: (lib.autograd.backward(outs[1], lib.tensor([2.0, 0.5]),
                                                   inputs=[x]), x.grad)[1],
    lambda lib, x, y, outs: (lib.autograd.backward((outs[0], outs[0] * 3), retain_graph=True),
                             x.grad)[1],
], ids=["two outputs", "one scalar", "inputs", "a tuple of outputs"])
def test_backward_accumulates_what_torch_does(run):
    ours, theirs = both(run)
    np.testing.assert_allclose(numpy(ours), numpy(theirs), rtol=1e-14)


@needs_torch
@pytest.mark.parametrize("run", [
    lambda lib, x, y, outs: lib.autograd.grad(outs[0], [x, y], allow_unused=True),
    lambda lib, x, y, outs: lib.autograd.grad(outs[0], [x, y], materialize_grads=True),
    lambda lib, x, y, outs: lib.autograd.grad(outs[1], x, lib.tensor([[1.0, 0.0], [0.0, 1.0],
                                                                      [2.0, -1.0]]),
                                              is_grads_batched=True),
    lambda lib, x, y, outs: lib.autograd.grad(outs[1], [x, y], lib.tensor([[1.0, 0.0],
                                                                           [3.0, 1.0]]),
                                              is_grads_batched=True, materialize_grads=True),
    lambda lib, x, y, outs: lib.autograd.grad(outs, x, [None, lib.tensor([1.0, 2.0])]),
], ids=["allow_unused", "materialize_grads", "batched", "batched materialized", "two outputs"])
def test_grad_returns_what_torch_does(run):
    ours, theirs = both(run)
    for a, b in zip(numpy(ours), numpy(theirs)):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-14)
            assert a.shape == b.shape


def test_backward_of_a_non_scalar_without_its_gradient_is_refused():
    x, _, outs = graph(cr)
    with pytest.raises(RuntimeError, match="scalar output"):
        cr.autograd.backward(outs)
    with pytest.raises(ValueError, match="1 gradients for 2 outputs"):
        cr.autograd.backward(outs, [None])
    with pytest.raises(RuntimeError, match="must not be empty"):
        cr.autograd.backward(outs[0], inputs=[])
    assert x.grad is None


def test_the_deprecated_names_warn_and_still_work():
    x, _, outs = graph(cr)
    with pytest.warns(FutureWarning, match="grad_variables is deprecated"):
        cr.autograd.backward(outs[1], grad_variables=cr.tensor([1.0, 1.0]))
    np.testing.assert_allclose(x.grad.numpy(), W.sum(0) * np.exp(X), rtol=1e-14)
    with pytest.raises(RuntimeError, match="both passed"):
        cr.autograd.backward(outs[0], cr.tensor(1.0), grad_variables=cr.tensor(1.0))
    with pytest.warns(FutureWarning, match="only_inputs is deprecated"):
        (found,) = cr.autograd.grad((x * x).sum(), x, only_inputs=False)
    np.testing.assert_allclose(found.numpy(), 2 * X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cr.autograd.grad((x * x).sum(), x, only_inputs=True)  # the default: no warning


def test_grad_argument_conflicts_are_refused():
    x, y, outs = graph(cr)
    with pytest.raises(ValueError, match="allow_unused=False"):
        cr.autograd.grad(outs[0], [x, y], allow_unused=False, materialize_grads=True)
    with pytest.raises(RuntimeError, match="not used to compute"):
        cr.autograd.grad(outs[0], [x, y])
    with pytest.raises(ValueError, match="needs grad_outputs"):
        cr.autograd.grad(outs[0], x, is_grads_batched=True)
    with pytest.raises(ValueError, match="same leading batch dimension"):
        cr.autograd.grad(outs, x, [cr.ones(2), cr.ones(3, 2)], is_grads_batched=True)


def test_capturing_pass_tells_a_backward_which_kind_of_pass_runs_it():
    """``autograd.capturing_pass()``: True inside a backward run by ``autograd.grad`` or
    ``backward(inputs=...)``, False inside ``backward()`` and outside any pass; a nested pass
    inside a backward does not change what the outer one reads after it ends."""
    seen = []

    class Spy(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            before = cr.autograd.capturing_pass()
            inner = cr.tensor([1.0], requires_grad=True)
            (inner * 3).sum().backward()  # a nested pass that fills .grad
            seen.append((before, cr.autograd.capturing_pass()))
            return grad_out * 2

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    cr.autograd.grad(Spy.apply(x).sum(), x)
    Spy.apply(x).sum().backward(inputs=[x])
    Spy.apply(x).sum().backward()
    assert seen == [(True, True), (True, True), (False, False)]
    assert cr.autograd.capturing_pass() is False

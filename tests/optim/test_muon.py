"""optim.Muon against torch.optim.Muon: several steps on the same parameters and gradients,
equal to float64 rounding when PyTorch's bfloat16 cast is switched off (so the rule is the
same) and within bfloat16 precision with it on; the Newton–Schulz result against an SVD and
PyTorch's; a hand-computed step; convergence on a quadratic; state_dict round trip; errors."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.optim.muon import zeropower_via_newtonschulz
from tests.optional import needs_torch, torch

SHAPES = [(5, 3), (3, 7), (4, 4)]


def run_both(shape, steps, seed, **kwargs):
    """(ours, theirs) parameters after ``steps`` steps with the same gradients."""
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal(shape)
    ours, theirs = cr.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    opt_ours, opt_theirs = optim.Muon([ours], **kwargs), torch.optim.Muon([theirs], **kwargs)
    for _ in range(steps):
        grad = rng.standard_normal(shape)
        ours.grad, theirs.grad = cr.tensor(grad), torch.tensor(grad)
        opt_ours.step()
        opt_theirs.step()
    return ours.detach().numpy(), theirs.detach().numpy()


@needs_torch
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", [
    dict(lr=0.02),
    dict(lr=0.05, nesterov=False, weight_decay=0.0),
    dict(lr=0.01, momentum=0.0, adjust_lr_fn="match_rms_adamw"),
    dict(lr=0.03, adjust_lr_fn="original", ns_steps=3, ns_coefficients=(2.0, -1.5, 0.5)),
])
def test_steps_equal_torch_with_its_iteration_in_float64(shape, kwargs):
    # PyTorch casts the update to bfloat16 for the iteration; with the cast made a copy, its
    # iteration runs in float64 as ours does, and every other part of the rule is compared.
    with mock.patch.object(torch.Tensor, "bfloat16", lambda self: self.clone()):
        ours, theirs = run_both(shape, 5, sum(shape), **kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("shape", SHAPES)
def test_steps_equal_torch_within_bfloat16_precision(shape):
    lr, steps = 0.02, 4
    ours, theirs = run_both(shape, steps, 7, lr=lr)
    start = np.random.default_rng(7).standard_normal(shape)
    moved = np.abs(theirs - start).max()
    np.testing.assert_allclose(ours, theirs, atol=steps * lr * 2 * 0.05)
    assert moved > steps * lr * 0.3  # the steps are far larger than the tolerance's scale


@needs_torch
@pytest.mark.parametrize("shape", SHAPES)
def test_newton_schulz_equals_torch_and_approaches_the_polar_factor(shape):
    from torch.optim._muon import _zeropower_via_newtonschulz as theirs
    grad = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    ours = zeropower_via_newtonschulz(grad, (3.4445, -4.7750, 2.0315), 5, 1e-7)
    assert ours.dtype == np.float32 and ours.shape == shape
    reference = theirs(torch.tensor(grad), (3.4445, -4.7750, 2.0315), 5, 1e-7).float().numpy()
    np.testing.assert_allclose(ours, reference, atol=0.05)
    singular = np.linalg.svd(ours, compute_uv=False)
    assert np.all((singular > 0.5) & (singular < 1.5))
    u, _, vt = np.linalg.svd(grad.astype(np.float64), full_matrices=False)
    exact = zeropower_via_newtonschulz(grad.astype(np.float64), (1.5, -0.5, 0.0), 60, 1e-7)
    np.testing.assert_allclose(exact, u @ vt, atol=1e-6)  # the cubic iteration converges


def test_one_step_by_hand():
    # A diagonal gradient: NS keeps it diagonal, and with (a, b, c) = (1.5, −0.5, 0) and many
    # steps it converges to sign(g) on the diagonal: the polar factor.
    w = cr.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=cr.float64, requires_grad=True)
    opt = optim.Muon([w], lr=0.1, weight_decay=0.5, momentum=0.5, nesterov=True,
                     ns_coefficients=(1.5, -0.5, 0.0), ns_steps=60)
    w.grad = cr.tensor([[4.0, 0.0], [0.0, -1.0]], dtype=cr.float64)
    opt.step()
    # b = 0.5·g; u = 0.5·g + 0.5·b = 0.75·g; O = diag(1, −1); θ ← θ(1 − 0.05) − 0.1·O
    expected = np.array([[0.95 - 0.1, 0.0], [0.0, 1.9 + 0.1]])
    np.testing.assert_allclose(w.detach().numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], [[2.0, 0.0], [0.0, -0.5]])


def test_converges_on_a_quadratic():
    target = np.random.default_rng(3).standard_normal((4, 6))
    w = cr.zeros(4, 6, dtype=cr.float64, requires_grad=True)
    opt = optim.Muon([w], lr=0.05, weight_decay=0.0)
    for step in range(300):
        opt.zero_grad()
        ((w - cr.tensor(target)) ** 2).sum().backward()
        opt.step()
        for group in opt.param_groups:
            group["lr"] = 0.05 * (1 - step / 300)
    assert np.abs(w.detach().numpy() - target).max() < 0.05


def test_state_dict_round_trip_resumes_bit_for_bit():
    rng = np.random.default_rng(4)
    grads = [rng.standard_normal((3, 5)) for _ in range(6)]
    w0 = rng.standard_normal((3, 5))

    def run(split):
        w = cr.tensor(w0, requires_grad=True)
        opt = optim.Muon([w], lr=0.02, adjust_lr_fn="match_rms_adamw")
        for i, g in enumerate(grads):
            if i == split:
                saved = opt.state_dict()
                w = cr.tensor(w.detach().numpy(), requires_grad=True)
                opt = optim.Muon([w], lr=0.5, adjust_lr_fn="match_rms_adamw")
                opt.load_state_dict(saved)
            w.grad = cr.tensor(g)
            opt.step()
        return w.detach().numpy(), opt

    straight, _ = run(None)
    resumed, opt = run(3)
    np.testing.assert_array_equal(straight, resumed)
    assert opt.param_groups[0]["lr"] == 0.02
    assert opt.param_groups[0]["adjust_lr_fn"] == "match_rms_adamw"
    # the saved choice replaces the loading optimizer's own, as in torch; a foreign one is
    # refused by name
    other = optim.Muon([cr.randn(3, 5, requires_grad=True)])
    other.load_state_dict(opt.state_dict())
    assert other.param_groups[0]["adjust_lr_fn"] == "match_rms_adamw"
    saved = opt.state_dict()
    saved["param_groups"][0]["adjust_lr_fn"] = "fastest"
    with pytest.raises(ValueError, match="adjust_lr_fn must be one of"):
        other.load_state_dict(saved)
    assert other.param_groups[0]["adjust_lr_fn"] == "match_rms_adamw"  # nothing half-loaded


def test_float32_parameters_stay_float32():
    w = cr.randn(3, 4, requires_grad=True)
    opt = optim.Muon([w])
    (w * w).sum().backward()
    opt.step()
    assert w.dtype == cr.float32 and opt.state[w]["momentum_buffer"].dtype == np.float32


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(lr=-1.0), "Learning rate should be >= 0 but is: -1.0"),
    (dict(momentum=-0.1), "momentum should be >= 0"),
    (dict(weight_decay=-0.1), "weight decay should be >= 0"),
    (dict(adjust_lr_fn="fast"), "Adjust learning rate function fast is not supported"),
])
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optim.Muon([cr.randn(2, 2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize("shape", [(3,), (2, 2, 2), ()])
def test_non_matrix_parameters_are_refused(shape):
    with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
        optim.Muon([cr.randn(2, 2, requires_grad=True), cr.randn(*shape, requires_grad=True)])
    opt = optim.Muon([cr.randn(2, 2, requires_grad=True)])
    with pytest.raises(ValueError, match="only supports 2D"):
        opt.add_param_group({"params": [cr.randn(*shape, requires_grad=True)]})


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(ns_steps=100), "Number of steps must be less than 100"),
    (dict(ns_coefficients=(1.0, 2.0)), "exactly 3 values"),
])
def test_bad_iteration_settings_fail_at_step_as_in_torch(kwargs, match):
    w = cr.randn(2, 3, requires_grad=True)
    opt = optim.Muon([w], **kwargs)
    w.grad = cr.ones(2, 3)
    with pytest.raises(ValueError, match=match):
        opt.step()

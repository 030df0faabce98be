"""nn.init distributions and gains; gradient clipping; parameter vectors."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import init


def big(*shape):
    return cr.empty(*shape, dtype=cr.float64)


@pytest.mark.parametrize("name,param,expected", [
    ("linear", None, 1.0), ("sigmoid", None, 1.0), ("conv2d", None, 1.0),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
    ("leaky_relu", 0.2, math.sqrt(2 / (1 + 0.2**2))),
])
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected, rel=1e-12)


def test_calculate_gain_matches_pytorch():
    torch = pytest.importorskip("torch")
    for name in ["linear", "tanh", "relu", "leaky_relu", "selu", "sigmoid"]:
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))


def test_uniform_and_normal_statistics():
    rng = np.random.default_rng(0)
    u = init.uniform_(big(200, 200), -2.0, 3.0, generator=rng).data
    assert u.min() >= -2.0 and u.max() < 3.0
    assert u.mean() == pytest.approx(0.5, abs=0.02)
    n = init.normal_(big(200, 200), 1.0, 2.0, generator=rng).data
    assert n.mean() == pytest.approx(1.0, abs=0.03) and n.std() == pytest.approx(2.0, rel=0.02)


def test_xavier_and_kaiming_spreads_follow_their_formulas():
    rng = np.random.default_rng(1)
    fan_in, fan_out = 300, 100  # weight (fan_out, fan_in)
    xu = init.xavier_uniform_(big(fan_out, fan_in), generator=rng).data
    assert np.abs(xu).max() <= math.sqrt(6 / (fan_in + fan_out))
    assert xu.std() == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=0.03)
    xn = init.xavier_normal_(big(fan_out, fan_in), gain=2.0, generator=rng).data
    assert xn.std() == pytest.approx(2 * math.sqrt(2 / (fan_in + fan_out)), rel=0.03)
    ku = init.kaiming_uniform_(big(fan_out, fan_in), nonlinearity="relu", generator=rng).data
    assert np.abs(ku).max() <= math.sqrt(2) * math.sqrt(3 / fan_in)
    kn = init.kaiming_normal_(big(fan_out, fan_in), mode="fan_out", nonlinearity="relu",
                              generator=rng).data
    assert kn.std() == pytest.approx(math.sqrt(2 / fan_out), rel=0.03)


def test_fans_count_the_receptive_field():
    assert init.fans(big(16, 3, 5, 5)) == (3 * 25, 16 * 25)
    with pytest.raises(ValueError, match="at least 2"):
        init.fans(big(4))


def test_orthogonal_rows_or_columns_are_orthonormal():
    tall = init.orthogonal_(big(8, 3), generator=np.random.default_rng(2)).data
    np.testing.assert_allclose(tall.T @ tall, np.eye(3), atol=1e-12)
    wide = init.orthogonal_(big(3, 8), gain=2.0, generator=np.random.default_rng(2)).data
    np.testing.assert_allclose(wide @ wide.T, 4 * np.eye(3), atol=1e-12)


def test_constant_zeros_ones_eye_and_trunc_normal():
    assert np.all(init.constant_(big(2, 2), 0.5).data == 0.5)
    assert np.all(init.zeros_(big(3)).data == 0) and np.all(init.ones_(big(3)).data == 1)
    np.testing.assert_array_equal(init.eye_(big(2, 3)).data, np.eye(2, 3))
    t = init.trunc_normal_(big(10000), std=1.0, a=-0.5, b=0.5,
                           generator=np.random.default_rng(0)).data
    assert t.min() >= -0.5 and t.max() <= 0.5


def test_init_does_not_record_a_graph_on_parameters():
    p = nn.Parameter(cr.zeros(3))
    init.normal_(p)
    assert p.is_leaf and p.requires_grad and p.grad_fn is None


def _params_with_grads(grads):
    params = []
    for g in grads:
        p = cr.zeros(*np.shape(g), dtype=cr.float64, requires_grad=True)
        p.grad = np.asarray(g, dtype=np.float64)
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_matches_pytorch(norm_type):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal((4, 3)), rng.standard_normal(5)]
    ours = _params_with_grads(grads)
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch.from_numpy(g.copy())
    total = nn.utils.clip_grad_norm_(ours, 0.5, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_alone_and_returns_the_norm():
    params = _params_with_grads([[3.0, 4.0]])
    total = nn.utils.clip_grad_norm_(params, max_norm=10.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), [3.0, 4.0])
    clipped = _params_with_grads([[3.0, 4.0]])
    nn.utils.clip_grad_norm_(clipped, max_norm=1.0)
    assert np.linalg.norm(clipped[0].grad.numpy()) == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_can_refuse_a_non_finite_norm():
    params = _params_with_grads([[np.inf, 1.0]])
    with pytest.raises(RuntimeError, match="inf"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_and_shared_gradient_arrays_stay_intact():
    shared = np.array([5.0, -5.0, 0.5])
    a, b = _params_with_grads([shared, shared])
    b.grad = a._grad  # the very same array, as Add.backward can produce
    nn.utils.clip_grad_value_([a], 1.0)
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, -1.0, 0.5])
    np.testing.assert_array_equal(b.grad.numpy(), [5.0, -5.0, 0.5])


def test_parameters_to_vector_and_back():
    model = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (8,)
    nn.utils.vector_to_parameters(cr.arange(8).float(), model.parameters())
    np.testing.assert_array_equal(model.weight.data.ravel(), np.arange(6))
    np.testing.assert_array_equal(model.bias.data, [6, 7])
    with pytest.raises(ValueError, match="8 elements"):
        nn.utils.vector_to_parameters(cr.zeros(7), model.parameters())


@pytest.mark.parametrize("foreach", [None, False, True])
def test_clip_grad_takes_foreach_by_name_and_position_and_clips_as_pytorch(foreach):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(4)]

    def torch_params():
        params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = torch.from_numpy(g.copy())
        return params

    for ours_call, theirs_call in [
        (lambda ps: nn.utils.clip_grad_norm_(ps, 0.5, foreach=foreach),
         lambda ps: torch.nn.utils.clip_grad_norm_(ps, 0.5, foreach=foreach)),
        (lambda ps: nn.utils.clip_grad_norm_(ps, 0.5, 1.0, False, foreach),
         lambda ps: torch.nn.utils.clip_grad_norm_(ps, 0.5, 1.0, False, foreach)),
        (lambda ps: nn.utils.clip_grad_value_(ps, 0.3, foreach=foreach),
         lambda ps: torch.nn.utils.clip_grad_value_(ps, 0.3, foreach=foreach)),
        (lambda ps: nn.utils.clip_grad_value_(ps, 0.3, foreach),
         lambda ps: torch.nn.utils.clip_grad_value_(ps, 0.3, foreach)),
    ]:
        ours, theirs = _params_with_grads(grads), torch_params()
        result, expected = ours_call(ours), theirs_call(theirs)
        assert (result is None) == (expected is None)
        if expected is not None:
            assert result.item() == pytest.approx(expected.item(), rel=1e-12)
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_functions_take_pytorchs_parameters_in_pytorchs_order():
    torch = pytest.importorskip("torch")
    for name in ["clip_grad_norm_", "clip_grad_value_"]:
        ours, theirs = (inspect.signature(getattr(lib.nn.utils, name)) for lib in (cr, torch))
        assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == \
            [(p.name, p.kind, p.default) for p in theirs.parameters.values()], name

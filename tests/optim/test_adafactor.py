"""Adafactor against torch.optim.Adafactor step by step (parameters of 0 to 3 dims, float32
and float64, every option), against a NumPy transcription of the documented rule (no torch),
its state dicts (PyTorch's layout; a resumed run is bit-identical), and bad arguments.

Tolerance against torch: the two round differently (the order of the sums in norms and means,
lerp's two-branch form against (1 − w)x + wy), by an ulp or two of a step, over 10 steps; the
most seen was 2 ulps of max|θ|. The bound, 64 ulps of the dtype relative and of max|θ|
absolute (1.4e-14 in float64, 7.6e-6 in float32), is far below what a slip in the rule (ε₁
for ε₁², a sum for a mean, RMS(θ) after the decay, no clip) does to a step.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import chainrule
import chainrule.optim as optim
from tests.optional import needs_torch, torch

from .test_optimizers import assert_converges
from .test_state_checks import assert_refused_and_kept

SHAPES = [(), (7,), (4, 6), (1, 5), (5, 1), (2, 3, 4)]
STEPS = 10


def start(dtype: type, seed: int = 0) -> list[np.ndarray]:
    """One parameter per shape of SHAPES, and a zero vector (RMS(θ) = 0 < ε₂)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES] + [np.zeros(3, dtype)]


def gradients(params: list[np.ndarray], seed: int = 1) -> list[list[np.ndarray]]:
    """STEPS gradients per parameter, each step at a scale from 1e-5 to 10 (so the ε₁ bound
    of small ones shows), one step all zero, and one row and one column of each matrix zero."""
    rng = np.random.default_rng(seed)
    steps = []
    for t in range(STEPS):
        scale = 0.0 if t == 6 else 10.0 ** rng.uniform(-5, 1)
        grads = []
        for p in params:
            g = (rng.standard_normal(p.shape) * scale).astype(p.dtype)
            if g.ndim >= 2:
                g[..., 0, :] = 0
                g[..., -1] = 0
            grads.append(g)
        steps.append(grads)
    return steps


def run(lib, params, steps, groups=None, **kwargs) -> list[list[np.ndarray]]:
    """θ after each step, through ``lib``: chainrule or torch (its single-tensor loop)."""
    tensors = [lib.tensor(p.copy(), requires_grad=True) for p in params]
    loop = {"foreach": False} if lib is torch else {}
    opt = lib.optim.Adafactor(_grouped(tensors, groups), **loop, **kwargs)
    seen = []
    for grads in steps:
        for p, g in zip(tensors, grads):
            p.grad = lib.tensor(g.copy())
        opt.step()
        seen.append([p.detach().numpy().copy() for p in tensors])
    return seen


def _grouped(tensors: list, groups: list[dict] | None) -> list:
    """All tensors in one group, or the first half and the rest in two, with ``groups``."""
    if groups is None:
        return tensors
    half = len(tensors) // 2
    return [{"params": tensors[:half], **groups[0]}, {"params": tensors[half:], **groups[1]}]


def assert_close(got: list[list[np.ndarray]], want: list[list[np.ndarray]]) -> None:
    for t, (ours, theirs) in enumerate(zip(got, want), start=1):
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert a.dtype == b.dtype
            ulps = 64 * np.finfo(a.dtype).eps
            np.testing.assert_allclose(a, b, rtol=ulps, atol=ulps * max(np.abs(b).max(), 1e-3),
                                       err_msg=f"step {t}, parameter {i} {a.shape}")


OPTIONS = [
    {},
    {"lr": 0.5, "weight_decay": 0.1},  # ρₜ = γ up to t = 4, 1/√t after
    {"lr": 2.0},  # ρₜ = 1/√t throughout
    {"maximize": True},
    {"d": 1.5, "beta2_decay": -0.5},
    {"d": 1e3},  # the clip never bites
    {"beta2_decay": 0.0},  # β̂₂ₜ = 0: V̂ from this step's gradient alone
    {"eps": (1e-3, 2.0)},  # ε₁ bounds the small gradients' V̂, ε₂ exceeds every RMS(θ)
    {"eps": (0.0, 0.0)},
    {"lr": 0.05, "beta2_decay": -0.3, "eps": (1e-4, 1e-2), "d": 2.0, "weight_decay": 0.5,
     "maximize": True},
]


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_each_step_matches_torch(options, dtype):
    params = start(dtype)
    steps = gradients(params)
    if options.get("eps") == (0.0, 0.0):  # with ε₁ = 0 a zero gradient gives 0/0 in both
        steps = [[g + np.asarray(1e-3, g.dtype) for g in grads] for grads in steps]
    got = run(chainrule, params, steps, **options)
    assert_close(got, run(torch, params, steps, **options))
    assert not np.array_equal(got[-1][2], params[2])  # the run moved


@needs_torch
def test_param_groups_with_their_own_options_match_torch():
    params = start(np.float64)
    steps = gradients(params)
    groups = [{"lr": 0.3, "d": 1.2}, {"weight_decay": 0.2, "eps": (1e-6, 1e-2),
                                      "maximize": True}]
    assert_close(run(chainrule, params, steps, groups, beta2_decay=-0.6),
                 run(torch, params, steps, groups, beta2_decay=-0.6))


@needs_torch
def test_state_dict_has_torchs_layout_and_values():
    params = start(np.float64)
    steps = gradients(params)[:3]
    ours = [chainrule.tensor(p.copy(), requires_grad=True) for p in params]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    opt = optim.Adafactor(ours, weight_decay=0.1)
    ref = torch.optim.Adafactor(theirs, weight_decay=0.1)
    for grads in steps:
        for a, b, g in zip(ours, theirs, grads):
            a.grad, b.grad = g.copy(), torch.tensor(g.copy())
        opt.step()
        ref.step()
    saved, want = opt.state_dict(), ref.state_dict()
    # PyTorch keeps ``foreach`` in each group; here it is accepted and ignored
    assert [{k: v for k, v in g.items() if k != "foreach"} for g in want["param_groups"]] \
        == saved["param_groups"]
    assert saved["state"].keys() == want["state"].keys()
    for key, entries in want["state"].items():
        assert list(saved["state"][key]) == list(entries)  # the same names, in the same order
        assert saved["state"][key]["step"] == float(entries["step"]) == 3
        for name, value in entries.items():
            if name != "step":
                assert saved["state"][key][name].shape == tuple(value.shape), (key, name)
                np.testing.assert_allclose(saved["state"][key][name], value.numpy(),
                                           rtol=1e-13, atol=0)
    assert list(saved["state"][2]) == ["step", "row_var", "col_var"]  # torch's, (4, 6)


def test_defaults_are_pytorchs():
    opt = optim.Adafactor([chainrule.zeros(2, requires_grad=True)], foreach=True)
    assert opt.defaults == dict(lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                                weight_decay=0.0, maximize=False)


# ------------------------------------------------------------ without torch


def reference(params, steps, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
              weight_decay=0.0, maximize=False):
    """The rule as torch.optim.Adafactor's documentation writes it, step by step in float64."""
    params = [p.astype(np.float64) for p in params]
    state = [{} for _ in params]
    seen = []
    for t, grads in enumerate(steps, start=1):
        for i, (theta, g) in enumerate(zip(params, grads)):
            g = -g if maximize else g
            eps1 = np.finfo(np.float64).eps if eps[0] is None else eps[0]
            w = t**beta2_decay  # 1 − β̂₂ₜ
            rho = min(lr, 1 / np.sqrt(t))
            alpha = max(eps[1], np.sqrt(np.mean(theta**2))) * rho
            theta = theta - lr * weight_decay * theta
            if g.ndim >= 2:
                r = state[i].get("r", 0) * (1 - w) + w * np.mean(g**2, axis=-1, keepdims=True)
                c = state[i].get("c", 0) * (1 - w) + w * np.mean(g**2, axis=-2, keepdims=True)
                state[i].update(r=r, c=c)
                v_hat = r * c / np.maximum(np.mean(r, axis=-2, keepdims=True), eps1)
            else:
                v_hat = state[i]["v"] = state[i].get("v", 0) * (1 - w) + w * g**2
            u = g / np.maximum(np.sqrt(v_hat), eps1)
            params[i] = theta - alpha * u / max(1, np.sqrt(np.mean(u**2)) / d)
        seen.append([p.copy() for p in params])
    return seen


@pytest.mark.parametrize("options", [{}, {"lr": 0.5, "weight_decay": 0.1, "d": 1.5,
                                          "beta2_decay": -0.5, "eps": (1e-3, 2.0),
                                          "maximize": True}], ids=["defaults", "options"])
def test_steps_match_the_documented_rule(options):
    params = start(np.float64)[1:4]  # (7,), (4, 6), (1, 5)
    steps = [grads[1:4] for grads in gradients(start(np.float64))][:5]
    got = run(chainrule, params, steps, **options)
    want = reference(params, steps, **options)
    for ours, theirs in zip(got, want):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)


def test_a_parameter_without_a_gradient_is_skipped():
    w = chainrule.tensor(np.ones((3, 2)), requires_grad=True)
    frozen = chainrule.tensor(np.full((2, 2), 3.0), requires_grad=True)
    opt = optim.Adafactor([w, frozen], weight_decay=0.5)
    w.grad = np.ones((3, 2))
    opt.step()
    assert np.array_equal(frozen.data, np.full((2, 2), 3.0))  # not even decayed
    assert frozen not in opt.state and opt.state[w]["step"] == 1
    assert not np.array_equal(w.data, np.ones((3, 2)))


def test_each_parameter_takes_the_epsilon_of_its_own_dtype():
    # NOTE: torch.optim.Adafactor takes ε₁ = None as the first parameter's dtype epsilon for
    # the whole group; here a float64 parameter steps the same with a float32 one before it.
    def float64_after_step(with_float32_first):
        small = chainrule.tensor(np.array([1.0, 2.0]), requires_grad=True)
        params = [small]
        if with_float32_first:
            params.insert(0, chainrule.tensor(np.ones(2, np.float32), requires_grad=True))
            params[0].grad = np.ones(2, np.float32)
        small.grad = np.array([1e-9, 1.0])  # V̂ = 1e-18: bounded by 2⁻²³ squared, not 2⁻⁵²
        optim.Adafactor(params).step()
        return small.data

    np.testing.assert_array_equal(float64_after_step(True), float64_after_step(False))


def test_float32_stays_float32_and_an_empty_parameter_is_left_alone():
    w = chainrule.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    empty = chainrule.tensor(np.zeros((0, 3), np.float32), requires_grad=True)
    opt = optim.Adafactor([w, empty], lr=np.float64(0.1), weight_decay=0.1)
    for _ in range(3):
        w.grad = np.full((3, 4), 0.5, np.float32)
        empty.grad = np.zeros((0, 3), np.float32)
        opt.step()
    assert w.dtype == np.float32 and empty.shape == (0, 3)
    assert all(v.dtype == np.float32 for v in opt.state[w].values() if isinstance(v, np.ndarray))


def test_converges_on_a_quadratic_of_a_matrix():  # the factored second moment
    assert_converges(optim.Adafactor, {"lr": 0.1}, 2000, shape=(3, 4), atol=1e-2)


def test_flushing_subnormal_factors_changes_no_step():
    tiny = np.finfo(np.float32).tiny
    runs = []
    for flush in (True, False):
        w = chainrule.tensor(np.ones((2, 3), np.float32), requires_grad=True)
        opt = optim.Adafactor([w])
        opt.subnormal_flush_every = 1 if flush else None
        w.grad = np.ones((2, 3), np.float32)
        opt.step()
        opt.state[w]["row_var"][:] = tiny / 8  # as after a long run of zero gradients
        opt.state[w]["col_var"][0, 0] = tiny / 4
        w.grad = np.zeros((2, 3), np.float32)
        w.grad[0, 0] = 1e-30
        opt.step()
        runs.append((w.data.copy(), opt.state[w]))
    (flushed_w, flushed), (kept_w, kept) = runs
    assert np.array_equal(flushed_w, kept_w)  # ε₁² = 2⁻⁴⁶ bounds V̂ far above the subnormals
    assert np.all(flushed["row_var"] == 0) and np.all(kept["row_var"] != 0)


# ------------------------------------------------------------ state dicts


def _train(opt, tensors, steps):
    for grads in steps:
        for p, g in zip(tensors, grads):
            p.grad = g.copy()
        opt.step()


@pytest.mark.parametrize("through_json", [False, True])
def test_a_state_dict_resumes_bit_for_bit(through_json):
    params = start(np.float32)
    steps = gradients(params)
    kwargs = {"lr": 0.3, "eps": (1e-10, 1e-2), "weight_decay": 0.1, "d": 1.5}
    straight = [chainrule.tensor(p.copy(), requires_grad=True) for p in params]
    _train(optim.Adafactor(straight, **kwargs), straight, steps)

    first = [chainrule.tensor(p.copy(), requires_grad=True) for p in params]
    opt = optim.Adafactor(first, **kwargs)
    _train(opt, first, steps[:4])
    saved = copy.deepcopy(opt.state_dict())
    if through_json:  # tuples become lists, integer keys strings, arrays float64
        plain = json.loads(json.dumps({"param_groups": saved["param_groups"], "state": {
            k: {"step": s["step"]} for k, s in saved["state"].items()}}))
        for key, entries in saved["state"].items():
            plain["state"][str(key)].update({n: v.astype(np.float64) for n, v in
                                             entries.items() if n != "step"})
        saved = plain
    resumed = [chainrule.tensor(p.data.copy(), requires_grad=True) for p in first]
    fresh = optim.Adafactor(resumed)  # hyperparameters come from the state, ε₁ None there
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["eps"] == (1e-10, 1e-2)
    assert fresh.state[resumed[2]]["row_var"].dtype == np.float32
    _train(fresh, resumed, steps[4:])
    for a, b in zip(resumed, straight):
        assert np.array_equal(a.data, b.data)


def test_a_checkpoint_file_resumes_bit_for_bit(tmp_path):
    from chainrule.train.checkpoint import Checkpoint

    def make():
        chainrule.manual_seed(0)
        model = chainrule.nn.Linear(4, 3).double()
        return model, optim.Adafactor(list(model.parameters()), lr=0.2)

    def train(model, opt, seeds):
        for seed in seeds:
            x = chainrule.tensor(np.random.default_rng(seed).standard_normal((5, 4)))
            opt.zero_grad()
            (model(x) ** 2).mean().backward()
            opt.step()

    model, opt = make()
    train(model, opt, range(3))
    Checkpoint(model, opt).save(tmp_path / "ckpt.safetensors")
    train(model, opt, range(3, 6))
    fresh, fresh_opt = make()
    Checkpoint(fresh, fresh_opt).load(tmp_path / "ckpt.safetensors")
    train(fresh, fresh_opt, range(3, 6))
    for a, b in zip(model.parameters(), fresh.parameters()):
        assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s["state"][0].update(row_var=np.zeros((3, 2))), r"'row_var'.*\(3, 1\)"),
    (lambda s: s["state"][0].update(col_var=np.zeros((3, 1))), r"'col_var'.*\(1, 2\)"),
    (lambda s: s["state"][0].update(col_var="x"), "'col_var'.*must be an array"),
    (lambda s: s["state"][0].pop("col_var"), r"lacks \['col_var'\]"),
    (lambda s: s["state"][1].update(row_var=np.zeros((2, 1))), "'row_var'.*no factors"),
    (lambda s: s["state"][1].pop("variance"), r"lacks \['variance'\]"),
    (lambda s: s["state"][1].update(variance=np.zeros(3)), "'variance'"),
    (lambda s: s["param_groups"][0].update(eps=(None,)), "eps"),
    (lambda s: s["param_groups"][0].update(eps=("x", 1e-3)), "eps must be a number, got 'x'"),
    (lambda s: s["param_groups"][0].update(eps=(None, -1.0)), "eps must be >= 0, got -1.0"),
    (lambda s: s["param_groups"][0].pop("eps"), r"lacks \['eps'\]"),
    (lambda s: s["param_groups"][0].update(beta2_decay=0.5), "beta2_decay"),
    (lambda s: s["param_groups"][0].update(d=0.5), "clipping threshold d"),
    (lambda s: s["param_groups"][0].update(lr=-1.0), "lr"),
])
def test_a_bad_state_is_refused_and_changes_nothing(change, message):
    w, b = chainrule.ones(3, 2, requires_grad=True), chainrule.ones(2, requires_grad=True)
    opt = optim.Adafactor([w, b])
    w.grad, b.grad = np.ones((3, 2), np.float32), np.ones(2, np.float32)
    opt.step()
    assert_refused_and_kept(opt, change, message)


# ------------------------------------------------------------ bad arguments


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lr": -1.0}, "learning rate: -1.0"),
    ({"lr": float("nan")}, "learning rate: nan"),
    ({"beta2_decay": 0.1}, "beta2_decay: 0.1"),
    ({"beta2_decay": float("nan")}, "beta2_decay: nan"),
    ({"eps": (-1e-3, 1e-3)}, r"eps\[0\] \(epsilon1\): -0.001"),
    ({"eps": (None, -1.0)}, r"eps\[1\] \(epsilon2\): -1.0"),
    ({"eps": 1e-3}, "eps: 0.001 .*pair"),
    ({"eps": (1e-3, 1e-3, 1e-3)}, "eps: .*pair"),
    ({"eps": (None, None)}, r"eps\[1\]: None"),
    ({"d": 0.5}, "clipping threshold d: 0.5"),
    ({"weight_decay": -0.1}, "weight_decay value: -0.1"),
], ids=lambda v: str(v) if isinstance(v, dict) else None)
def test_bad_arguments_raise_naming_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adafactor([chainrule.zeros(2, requires_grad=True)], **kwargs)


def test_a_bad_group_option_raises_too():
    w = chainrule.zeros(2, requires_grad=True)
    opt = optim.Adafactor([w])
    with pytest.raises(ValueError, match="clipping threshold d"):
        opt.add_param_group({"params": [chainrule.zeros(3, requires_grad=True)], "d": 0.0})
    with pytest.raises(TypeError, match="must be a dict"):
        opt.add_param_group([w])
    opt.add_param_group({"params": [chainrule.zeros(3, requires_grad=True)],
                         "eps": [1e-20, 0.0]})
    assert opt.param_groups[1]["eps"] == [1e-20, 0.0]  # kept as given, as torch keeps it
    assert opt.param_groups[1]["d"] == 1.0

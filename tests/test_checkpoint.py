"""``chainrule.utils.checkpoint``: real recomputation (peak memory of the forward falls),
gradients equal to the uncheckpointed ones in float64 (with dropout too, through the saved
random state), both ``use_reentrant`` variants with torch's rules and warnings, and a
``chainrule run`` script that uses ``torch.func`` and ``torch.utils.checkpoint``."""

from __future__ import annotations

import textwrap
import tracemalloc
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import cli
from chainrule.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential
from tests.optional import needs_torch, torch

VARIANTS = [True, False]


def mlp(depth=6, width=16, p=0.0):
    layers = []
    for _ in range(depth):
        layers += [cr.nn.Linear(width, width), cr.nn.Tanh()]
        if p:
            layers.append(cr.nn.Dropout(p))
    return cr.nn.Sequential(*layers).double()


def grads_of(model, x, run):
    """(loss, dL/dx, dL/dparams) of ``run(model, x)``, from a fresh seed."""
    model.zero_grad()
    x = x.detach().requires_grad_()
    cr.manual_seed(5)
    loss = (run(model, x) ** 2).sum()
    loss.backward()
    return [loss.data, x.grad.data] + [p.grad.data for p in model.parameters()]


def assert_all_close(a, b):
    for u, v in zip(a, b, strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reentrant", VARIANTS)
@pytest.mark.parametrize("p", [0.0, 0.3])
def test_gradients_equal_the_uncheckpointed_ones(reentrant, p):
    model = mlp(p=p)
    x = cr.tensor(np.random.default_rng(0).standard_normal((4, 16)))
    plain = grads_of(model, x, lambda m, t: m(t))
    halves = [cr.nn.Sequential(*list(model)[:len(model) // 2]),
              cr.nn.Sequential(*list(model)[len(model) // 2:])]

    def checkpointed(m, t):
        h = checkpoint(halves[0], t, use_reentrant=reentrant)
        return checkpoint(halves[1], h, use_reentrant=reentrant)

    assert_all_close(grads_of(model, x, checkpointed), plain)
    sequential = grads_of(model, x, lambda m, t: checkpoint_sequential(
        m, 3, t, use_reentrant=reentrant))
    assert_all_close(sequential, plain)
    if p:  # without the saved random state the recomputation draws other dropout masks
        other = grads_of(model, x, lambda m, t: checkpoint_sequential(
            m, 3, t, use_reentrant=reentrant, preserve_rng_state=False))
        assert not np.allclose(other[2], plain[2])


def peak_forward_bytes(run) -> int:
    model = mlp(depth=24, width=128)
    x = cr.tensor(np.random.default_rng(1).standard_normal((256, 128)), requires_grad=True)
    tracemalloc.start()
    try:
        out = run(model, x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    out.sum().backward()  # and backward still works
    assert model[0].weight.grad is not None and x.grad is not None
    return peak


def test_checkpointing_lowers_the_peak_memory_of_the_forward():
    plain = peak_forward_bytes(lambda m, x: m(x))
    whole = peak_forward_bytes(lambda m, x: checkpoint(m, x, use_reentrant=True))
    segments = peak_forward_bytes(lambda m, x: checkpoint_sequential(m, 8, x,
                                                                     use_reentrant=False))
    activation = 256 * 128 * 8
    assert plain > 24 * activation  # every layer's activations are kept
    assert whole < plain / 4
    assert segments < plain / 2


def test_autograd_grad_works_without_reentrant_and_is_refused_with_it():
    layer = cr.nn.Linear(3, 2).double()
    x = cr.tensor(np.ones((2, 3)), requires_grad=True)
    (want,) = cr.autograd.grad((layer(x) ** 2).sum(), layer.weight)
    (got,) = cr.autograd.grad((checkpoint(layer, x, use_reentrant=False) ** 2).sum(),
                              layer.weight)
    np.testing.assert_allclose(got.data, want.data)
    message = "use_reentrant=True, torch.utils.checkpoint is incompatible with .grad\\(\\)"
    with pytest.raises(RuntimeError, match=message):
        cr.autograd.grad(checkpoint(layer, x, use_reentrant=True).sum(), x)
    with pytest.raises(RuntimeError, match=message):
        checkpoint(layer, x, use_reentrant=True).sum().backward(inputs=[x])


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_tuple_outputs_non_tensor_arguments_and_a_repeated_input(reentrant):
    w = cr.tensor([1.0, 2.0], requires_grad=True, dtype=cr.float64)

    def fn(a, b, scale):
        return (a * w * scale).sin(), (a * b).sum(), 7

    def loss(run):
        w.grad = None
        x = cr.tensor([0.5, -1.0], requires_grad=True, dtype=cr.float64)
        first, second, seven = run(fn, x, x, 3.0)
        assert seven == 7
        (first.sum() * 2 + second ** 2).backward()
        return [x.grad.data, w.grad.data]

    assert_all_close(loss(lambda f, *a: checkpoint(f, *a, use_reentrant=reentrant)),
                     loss(lambda f, *a: f(*a)))


def test_keyword_arguments_and_context_fn_without_reentrant():
    seen = []

    class Mark:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            seen.append(self.name)

        def __exit__(self, *exc):
            return False

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    out = checkpoint(lambda a, k: a * k, x, k=3.0, use_reentrant=False,
                     context_fn=lambda: (Mark("forward"), Mark("recompute")))
    assert seen == ["forward"]
    out.sum().backward()
    assert seen == ["forward", "recompute"]
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_determinism_check_catches_a_different_recomputation():
    calls = []

    def changing(a):
        calls.append(1)
        return a * 2 if len(calls) == 1 else (a * 2).sum()

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(CheckpointError, match="different metadata"):
        checkpoint(changing, x, use_reentrant=False).sum().backward()
    calls.clear()
    out = checkpoint(changing, x, use_reentrant=False, determinism_check="none")
    with pytest.raises(ValueError, match="gradient has shape"):  # unchecked: fails later
        out.sum().backward()


def test_inputs_without_grad_warn_in_the_reentrant_variant():
    layer = cr.nn.Linear(2, 2)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        out = checkpoint(layer, cr.ones(1, 2), use_reentrant=True)
    assert not out.requires_grad
    out = checkpoint(layer, cr.ones(1, 2), use_reentrant=False)  # the parameters still count
    out.sum().backward()
    assert layer.weight.grad is not None


@needs_torch
@pytest.mark.parametrize("call, error, match", [
    (lambda m, f, x: m.checkpoint(f, x, use_reentrant=True, k=1), ValueError,
     "Unexpected keyword arguments: k"),
    (lambda m, f, x: m.checkpoint(f, x, use_reentrant=True, debug=True), ValueError,
     "Passing `context_fn` or `debug` is only supported when use_reentrant=False"),
    (lambda m, f, x: m.checkpoint(f, x, use_reentrant=False, determinism_check="all"),
     ValueError, "determinism_check should be one of"),
    (lambda m, f, x: m.checkpoint_sequential([f], 1, x, use_reentrant=True, k=1), ValueError,
     "Unexpected keyword arguments: k"),
])
def test_argument_errors_match_torch(call, error, match):
    import torch.utils.checkpoint as theirs

    import chainrule.utils.checkpoint as ours
    for module, x in ((ours, cr.ones(2, requires_grad=True)),
                      (theirs, torch.ones(2, requires_grad=True))):
        with pytest.raises(error, match=match):
            call(module, lambda a: a * 2, x)


@needs_torch
@pytest.mark.parametrize("name", ["checkpoint", "checkpoint_sequential"])
def test_leaving_out_use_reentrant_warns_as_torch_and_means_true(name):
    import torch.utils.checkpoint as theirs

    import chainrule.utils.checkpoint as ours
    args = {"checkpoint": lambda x: (lambda a: a * 2, x),
            "checkpoint_sequential": lambda x: ([lambda a: a * 2, lambda a: a + 1], 2, x)}[name]
    for module, x in ((theirs, torch.ones(2, requires_grad=True)),
                      (ours, cr.ones(2, requires_grad=True))):
        with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed "
                                             "explicitly") as record:
            getattr(module, name)(*args(x)).sum().backward()
    assert record[0].filename == __file__  # ours points at the caller
    with pytest.raises(RuntimeError, match="incompatible with .grad"):  # True: reentrant
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = cr.ones(2, requires_grad=True)
            cr.autograd.grad(checkpoint(lambda a: a * 2, x).sum(), x)


@needs_torch
def test_signatures_match_torch():
    import inspect

    import torch.utils.checkpoint as theirs

    import chainrule.utils.checkpoint as ours
    for name in ("checkpoint", "checkpoint_sequential"):
        t = inspect.signature(getattr(theirs, name)).parameters
        c = inspect.signature(getattr(ours, name)).parameters
        assert [(p.name, p.kind) for p in c.values()] == [(p.name, p.kind) for p in t.values()]
        assert [p.default for p in c.values() if p.name != "context_fn"] == \
            [p.default for p in t.values() if p.name != "context_fn"]


@needs_torch
def test_a_pytorch_script_with_func_and_checkpoint_runs_under_chainrule(tmp_path, capsys):
    body = """
        import warnings
        import torch
        import torch.nn as nn
        from torch.func import functional_call, grad, vmap
        from torch.utils.checkpoint import checkpoint
        import torch.utils.checkpoint as ckpt
        import torch.nn.utils.stateless

        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).double()
        x = torch.randn(5, 4, dtype=torch.float64)
        y = torch.randn(5, 1, dtype=torch.float64)
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, xi, yi):
            return ((functional_call(model, p, (xi[None],)) - yi) ** 2).sum()

        per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
        out = checkpoint(model, x, use_reentrant=False)
        ((out - y) ** 2).sum().backward()
        total = sum(per_sample["0.weight"])
        print(torch.allclose(total, model[0].weight.grad), ckpt.checkpoint is checkpoint)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.nn.utils.stateless.functional_call(model, params, x)
        print(caught[0].category.__name__)
        """
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(body))
    status = cli.main(["run", str(path)])
    out, err = capsys.readouterr()
    assert (status, err) == (0, ""), err
    assert out.splitlines() == ["True True", "FutureWarning"]

"""``chainrule.jit``: torch.jit's names behave as PyTorch's do with TorchScript off. ``script``
and ``trace`` return what they are given (a model gives the same results and trains), the
decorators return what they decorate, ``fork`` runs at once, ``save``/``load`` refuse with the
alternative; torch 2.13's signatures and deprecation warnings; and a PyTorch script that uses
them runs under ``chainrule run``."""

from __future__ import annotations

import inspect
import textwrap
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.jit as jit
from chainrule import cli, nn
from tests.optional import needs_torch, torch

FUNCTIONS = ["script", "trace", "trace_module", "ignore", "unused", "export", "interface",
             "is_scripting", "is_tracing", "annotate", "fork", "wait", "save", "load", "freeze",
             "optimize_for_inference", "run_frozen_optimizations", "script_method",
             "script_if_tracing"]


def quiet(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with its (expected) deprecation warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return fn(*args, **kwargs)


def model():
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


# ---------------------------------------------------------------- signatures


@needs_torch
@pytest.mark.parametrize("name", FUNCTIONS)
def test_signature_is_torchs(name):
    """Names, kinds and order as torch's; defaults too, where torch's is a plain value (its
    ``_compilation_unit`` default is a TorchScript object, here None)."""
    theirs = list(inspect.signature(getattr(torch.jit, name)).parameters.values())
    ours = list(inspect.signature(getattr(jit, name)).parameters.values())
    assert [(p.name, p.kind) for p in ours] == [(p.name, p.kind) for p in theirs]
    for t, o in zip(theirs, ours):
        if t.default is t.empty or isinstance(t.default, (bool, int, float, str, type(None))):
            assert o.default == t.default, t.name


@needs_torch
def test_the_names_scripts_use_are_there():
    for name in ["Attribute", "Error", "Final", "Future", "ScriptFunction", "ScriptModule",
                 "annotate", "export", "fork", "freeze", "ignore", "interface", "load",
                 "optimize_for_inference", "save", "script", "script_if_tracing", "trace",
                 "trace_module", "unused", "wait", "is_scripting", "is_tracing",
                 "TracerWarning", "ScriptWarning"]:
        assert hasattr(torch.jit, name) and hasattr(jit, name), name
    assert set(jit.__all__) <= set(dir(jit))


# ---------------------------------------------------------------- script and trace


def test_script_and_trace_return_what_they_are_given_with_the_same_results():
    m = model()
    x = cr.randn(5, 3)
    want = m(x).detach().numpy().copy()
    scripted = quiet(jit.script, m)
    traced = quiet(jit.trace, m, x)
    for twin in (scripted, traced, quiet(jit.trace_module, m, {"forward": x})):
        assert isinstance(twin, type(m)) and twin is not m
        assert all(a is b for a, b in zip(twin.parameters(), m.parameters()))
        np.testing.assert_array_equal(twin(x).detach().numpy(), want)

    def double(t):
        return t * 2

    assert quiet(jit.script, double) is double
    assert quiet(jit.trace, double, (x,)) is double


def test_a_scripted_module_trains_its_source_and_refuses_to_save_an_archive(tmp_path):
    """The twin shares its source's parameters (as PyTorch's scripted module does), so a
    step on one is a step on the other; its save() would have written chainrule's weights
    file under the name the script means for a TorchScript archive, so it raises, and the
    source module keeps its own save()."""
    m = model()
    twin = quiet(jit.script, m)
    before = m[0].weight.detach().numpy().copy()
    twin(cr.randn(4, 3)).sum().backward()
    cr.optim.SGD(twin.parameters(), lr=0.1).step()
    assert not np.array_equal(m[0].weight.detach().numpy(), before)
    with pytest.raises(NotImplementedError, match="TorchScript archive.*state_dict"):
        twin.save(tmp_path / "model.pt")
    assert not (tmp_path / "model.pt").exists()
    m.save(tmp_path / "weights.safetensors")
    assert (tmp_path / "weights.safetensors").exists()


@needs_torch
@pytest.mark.parametrize("name", ["script", "trace"])
def test_script_and_trace_warn_as_torch_does(name):
    def f(t):
        return t

    for lib, example in ((torch, torch.ones(1)), (cr, cr.ones(1))):
        args = (example,) if name == "trace" else ()
        with pytest.warns(DeprecationWarning, match=f"`torch.jit.{name}` is deprecated"):
            getattr(lib.jit, name)(f, *args)
    with pytest.warns(FutureWarning, match="`optimize` is deprecated and has no effect"):
        quiet(getattr(jit, name), f, *args, optimize=True)


def test_trace_module_checks_its_arguments_as_torch():
    with pytest.raises(AttributeError, match="expected a dictionary of \\(method_name, input"):
        quiet(jit.trace_module, model(), cr.ones(1, 3))
    with pytest.raises(AttributeError, match="expected an nn.Module as the first argument"):
        quiet(jit.trace_module, lambda t: t, {"forward": cr.ones(1)})


def test_a_scripted_model_trains():
    m = quiet(jit.script, model())
    opt = cr.optim.SGD(m.parameters(), lr=0.1)
    x, y = cr.randn(8, 3), cr.randn(8, 2)
    before = cr.functional.mse_loss(m(x), y).item()
    for _ in range(5):
        opt.zero_grad()
        cr.functional.mse_loss(m(x), y).backward()
        opt.step()
    assert cr.functional.mse_loss(m(x), y).item() < before


@needs_torch
def test_is_scripting_and_is_tracing_are_false_as_in_eager_torch():
    assert jit.is_scripting() is False and jit.is_tracing() is False
    assert torch.jit.is_scripting() is False and torch.jit.is_tracing() is False


def test_script_module_is_a_plain_module_base_and_nothing_is_made_one():
    class Scripted(jit.ScriptModule):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        forward = quiet(jit.script_method, lambda self, x: self.lin(x))

    with pytest.warns(DeprecationWarning, match="script_method"):
        jit.script_method(lambda s: s)
    s = quiet(Scripted)
    assert isinstance(s, jit.ScriptModule) and isinstance(s, nn.Module)
    assert s(cr.ones(1, 2)).shape == (1, 2) and len(list(s.parameters())) == 2
    m = model()
    assert not isinstance(quiet(jit.script, m), jit.ScriptModule)
    assert not isinstance(quiet(jit.script, len), jit.ScriptFunction)
    with pytest.raises(TypeError, match="ScriptFunction: no constructor defined"):
        jit.ScriptFunction()


# ---------------------------------------------------------------- decorators and hints


class Runner:
    """A TorchScript interface declaration (torch compiles it, so its method is annotated)."""

    def run(self, x: int) -> int:
        pass


@needs_torch
@pytest.mark.parametrize("lib", ["torch", "chainrule"])
def test_ignore_bare_and_called_as_in_torch(lib):
    j = torch.jit if lib == "torch" else jit

    def f(x):
        return x + 1

    assert j.ignore(f) is f
    assert j.ignore()(f) is f and j.ignore(drop=False)(f) is f
    with pytest.warns(FutureWarning, match="ignore\\(True\\) has been deprecated"):
        assert j.ignore(True)(f) is f
    with pytest.warns(FutureWarning, match="ignore\\(drop_on_export=True\\) has been deprecated"):
        assert j.ignore(drop_on_export=True)(f) is f
    with pytest.raises(RuntimeError, match="Argument to @torch.jit.ignore must be a bool or a "
                                           "function but got 3"):
        j.ignore(3)


@needs_torch
@pytest.mark.parametrize("lib", ["torch", "chainrule"])
def test_unused_export_interface_annotate_attribute(lib):
    j = torch.jit if lib == "torch" else jit

    class Thing:
        @j.unused
        @property
        def size(self):
            return 3

        @j.export
        def run(self):
            return 4

    assert Thing().size == 3 and Thing().run() == 4
    with pytest.warns(DeprecationWarning, match="`torch.jit.interface` is deprecated"):
        assert j.interface(Runner) is Runner
    with pytest.raises(RuntimeError, match="interface must be applied to a class"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        j.interface(lambda x: x)
    value = []
    assert j.annotate(list[int], value) is value
    assert j.Final[int] is not None and j.Final is torch.jit.Final


def test_attribute_is_the_value_as_torch_with_torchscript_off():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.names = jit.Attribute([], list[str])
            self.steps = jit.Attribute(0, int)

    m = M()
    assert m.names == [] and m.steps + 1 == 1


# ---------------------------------------------------------------- fork and wait


@needs_torch
@pytest.mark.parametrize("lib", ["torch", "chainrule"])
def test_fork_runs_now_and_wait_gives_its_result_as_in_eager_torch(lib):
    j = torch.jit if lib == "torch" else jit
    order = []

    def work(x, y=1):
        order.append("work")
        return x + y

    with pytest.warns(DeprecationWarning, match="`torch.jit.fork` is deprecated"):
        future = j.fork(work, 2, y=3)
    order.append("after")
    assert order == ["work", "after"] and future.done()
    with pytest.warns(DeprecationWarning, match="`torch.jit.wait` is deprecated"):
        assert j.wait(future) == 5
    assert future.wait() == 5 and future.value() == 5

    def fail():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        quiet(j.fork, fail)
    with pytest.raises(TypeError):
        quiet(j.wait, 3)


def test_future_callbacks_and_errors():
    future = quiet(jit.fork, lambda: 2)
    assert future.then(lambda f: f.value() * 10).wait() == 20
    seen = []
    future.add_done_callback(lambda f: seen.append(f.value()))
    assert seen == [2]
    manual = jit.Future()
    assert not manual.done()
    with pytest.raises(RuntimeError, match="no result yet"):
        manual.wait()
    manual.set_exception(KeyError("k"))
    with pytest.raises(KeyError):
        manual.value()
    with pytest.raises(RuntimeError, match="already set"):
        manual.set_result(1)


# ---------------------------------------------------------------- files and freezing


def test_save_and_load_refuse_and_name_the_alternative(tmp_path):
    with pytest.raises(NotImplementedError, match="holds the model's code.*"
                                                  "chainrule.save\\(model.state_dict\\(\\)"):
        jit.save(model(), str(tmp_path / "m.pt"))
    with pytest.raises(NotImplementedError, match="never loads or runs.*load_state_dict"):
        jit.load(str(tmp_path / "m.pt"))
    assert not (tmp_path / "m.pt").exists()


@needs_torch
def test_freeze_and_optimize_for_inference():
    m = model()
    with pytest.raises(RuntimeError, match="only implemented for modules in eval mode"):
        quiet(jit.freeze, m)
    with pytest.warns(DeprecationWarning, match="`torch.jit.freeze` is deprecated"):
        assert jit.freeze(m.eval()) is m
    with pytest.raises(RuntimeError, match="freeze expects a module"):
        quiet(jit.freeze, lambda t: t)
    m.train()
    with pytest.warns(DeprecationWarning, match="optimize_for_inference"):
        assert jit.optimize_for_inference(m) is m
    assert m.training is False
    with pytest.raises(RuntimeError, match="eval mode"):  # torch's check, on its module too
        quiet(torch.jit.freeze, quiet(torch.jit.script, torch.nn.Linear(2, 2)))


# ---------------------------------------------------------------- a script


def test_a_pytorch_script_using_jit_runs_under_chainrule_run(tmp_path, capsys):
    path = tmp_path / "train.py"
    path.write_text(textwrap.dedent("""
        import torch
        import torch.nn as nn

        @torch.jit.script
        def scaled(x: torch.Tensor, k: float) -> torch.Tensor:
            return x * k

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(3, 1)

            @torch.jit.ignore
            def debug(self):
                return "debug"

            def forward(self, x):
                if not torch.jit.is_scripting():
                    x = scaled(x, 2.0)
                return self.lin(x)

        torch.manual_seed(0)
        net = Net()
        x, y = torch.randn(16, 3), torch.randn(16, 1)
        traced = torch.jit.trace(net, x)
        opt = torch.optim.SGD(traced.parameters(), lr=0.05)
        before = nn.functional.mse_loss(traced(x), y).item()
        opt.zero_grad()
        nn.functional.mse_loss(traced(x), y).backward()
        opt.step()
        after = nn.functional.mse_loss(net(x), y).item()
        print(traced is net, torch.jit.is_scripting(), net.debug(), after < before)
        print(torch.jit.wait(torch.jit.fork(scaled, torch.ones(2), 3.0)).tolist())
        """))
    status = quiet(cli.main, ["run", str(path)])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert out.splitlines() == ["False False debug True", "[3.0, 3.0]"]  # a twin, as in torch

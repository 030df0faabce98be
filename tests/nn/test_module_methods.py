"""The ``nn.Module`` methods PyTorch 2.13 has beside the core ones, each run on the same small
models in chainrule and in PyTorch: lookups by path (``get_parameter``, ``get_buffer``,
``set_submodule``), the extra state, the state-dict and load-state-dict hooks, and the
conversions (``type``, ``to_empty``, ``share_memory``, ``compile``, the accelerators).

What is compared is what each library does (results, identities, errors with their types and
messages, hook calls with their arguments), never a value written into the test."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.device import DeviceError
from tests.optional import needs_torch, torch

from .module_twins import both, dtype_name, net, outcome, same_weights, signature

pytestmark = needs_torch

@pytest.mark.parametrize("name", [
    "get_parameter", "get_buffer", "set_submodule", "get_extra_state", "set_extra_state",
    "register_state_dict_pre_hook", "register_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_load_state_dict_post_hook", "to_empty",
    "share_memory", "type", "bfloat16", "compile", "ipu", "xpu", "mtia"])
def test_signatures_are_pytorchs(name):
    assert signature(getattr(cr.nn.Module, name)) == signature(getattr(torch.nn.Module, name))


# ---------------------------------------------------------------- lookups by path

TARGETS = ["body.0.weight", "body.1.running_mean", "body.1.num_batches_tracked", "scale",
           "absent", "nothing", "plain", "body", "body.0", "body.5.weight", "body.0.nope", "",
           ".", "body.0.weight.data", "empty.weight", "training", "head.bias"]


@pytest.mark.parametrize("method, table", [("get_parameter", "named_parameters"),
                                           ("get_buffer", "named_buffers")])
@pytest.mark.parametrize("target", TARGETS)
def test_get_parameter_and_get_buffer_as_pytorch(method, table, target):
    results = []
    for model in both(net):
        kind, value = outcome(getattr(model, method), target)
        named = dict(getattr(model, table)(remove_duplicate=False))
        # the object registered under that name itself (or None for one registered as None)
        results.append((kind, value is named.get(target) if kind == "ok" else value))
    assert results[0] == results[1]


@pytest.mark.parametrize("target", ["body.5", "plain", "empty", "empty.x", "body.0.weight",
                                    "", "body..0", "body.1", "nope"])
def test_get_submodule_as_pytorch(target):
    results = []
    for model in both(net):
        kind, value = outcome(model.get_submodule, target)
        named = dict(model.named_modules())
        results.append((kind, value is named.get(target) if kind == "ok" else value))
    assert results[0] == results[1]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("target", ["body.0", "body.5", "body.new", "new", "plain", "empty",
                                    "body.0.weight", "x.y", "absent", "scale", "", "head"])
def test_set_submodule_as_pytorch(target, strict):
    results = []
    for L in (cr, torch):
        model, new = net(L), L.nn.Tanh()
        kind, value = outcome(model.set_submodule, target, new, strict=strict)
        placed = kind == "ok" and model.get_submodule(target) is new
        results.append((kind, value, placed, [n for n, _ in model.named_modules()]))
    assert results[0] == results[1]


@pytest.mark.parametrize("target", ["", "body.0", "nope.x"])
@pytest.mark.parametrize("module", [3, None])
def test_set_submodule_refuses_what_is_not_a_module_as_pytorch(target, module):
    ours, theirs = (outcome(m.set_submodule, target, module) for m in both(net))
    assert ours == theirs


# ---------------------------------------------------------------- extra state

def extra_classes(L):
    """Modules with extra state (both methods, only one of them) in either library."""

    class Counter(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = L.nn.Linear(2, 2)
            self.state, self.seen = {"steps": 1}, []

        def get_extra_state(self):
            return self.state

        def set_extra_state(self, state):
            self.seen.append((state, float(self.lin.weight.detach().sum())))
            self.state = state

    class OnlyGet(L.nn.Linear):
        def get_extra_state(self):
            return 5

    class OnlySet(L.nn.Linear):
        def set_extra_state(self, state):
            self.got = state

    return Counter, OnlyGet, OnlySet


def extra_models(L):
    counter, only_get, only_set = extra_classes(L)
    return {"nested": L.nn.Sequential(counter(), L.nn.Linear(2, 2)), "get": only_get(1, 1),
            "set": only_set(1, 1), "plain": L.nn.Linear(1, 1)}


@pytest.mark.parametrize("kind", ["nested", "get", "set", "plain"])
def test_state_dict_has_extra_state_only_when_the_class_overrides_get_extra_state(kind):
    ours, theirs = (extra_models(L)[kind] for L in (cr, torch))
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("post_hook", [False, True])
def test_the_extra_state_entry_is_the_object_itself_and_goes_back_after_the_tensors(post_hook):
    seen = []
    for L in (cr, torch):
        source, target = extra_models(L)["nested"], extra_models(L)["nested"]
        if post_hook:  # then chainrule loads as the walk goes, as PyTorch always does
            target.register_load_state_dict_post_hook(lambda m, keys: None)
        state = source.state_dict()
        entry_is_object = state["0._extra_state"] is source[0].state
        state["0._extra_state"] = {"steps": 7}
        target.load_state_dict(state)
        loaded_sum = float(source[0].lin.weight.detach().sum())
        seen.append((entry_is_object, target[0].state is state["0._extra_state"],
                     [(s, np.isclose(w, loaded_sum)) for s, w in target[0].seen]))
    assert seen[0] == seen[1]


def test_an_instance_attribute_does_not_count_as_an_override():
    keys = []
    for L in (cr, torch):
        layer = L.nn.Linear(1, 1)
        layer.get_extra_state = lambda: 1
        keys.append(list(layer.state_dict()))
    assert keys[0] == keys[1]


@pytest.mark.parametrize("kind, change", [
    ("nested", "drop"), ("get", "keep"), ("set", "add"), ("set", "keep"), ("plain", "add"),
    ("nested", "keep")])
def test_missing_and_unexpected_extra_state_as_pytorch(kind, change):
    results = []
    for L in (cr, torch):
        models = extra_models(L)
        state = dict(models[kind].state_dict())
        key = "0._extra_state" if kind == "nested" else "_extra_state"
        if change == "drop":
            del state[key]
        elif change == "add":
            state[key] = 3
        result = models[kind].load_state_dict(state, strict=False)
        strict = outcome(models[kind].load_state_dict, state)[0]
        results.append((list(result.missing_keys), list(result.unexpected_keys), strict))
    assert results[0] == results[1]


@pytest.mark.parametrize("call", [lambda m: m.get_extra_state(), lambda m: m.set_extra_state(1)])
def test_the_base_extra_state_methods_raise_as_pytorchs(call):
    ours, theirs = (outcome(lambda m=m: call(m)) for m in both(lambda L: L.nn.Linear(1, 1)))
    assert ours[0] == theirs[0] == "RuntimeError"


def test_extra_state_survives_a_file(tmp_path):
    counter = extra_classes(cr)[0]
    source, target = counter(), counter()
    source.state = {"steps": 3, "name": "run", "history": [1.5, 2.5], "flag": None,
                    "table": cr.arange(4.0)}
    for path, save, load in [
            (tmp_path / "a.safetensors", lambda p: cr.save(source.state_dict(), p),
             lambda p: target.load_state_dict(cr.load(p))),
            (tmp_path / "b.safetensors", source.save, target.load)]:
        target.state = None
        save(path)
        load(path)
        restored = dict(target.state)
        np.testing.assert_array_equal(np.asarray(restored.pop("table")), source.state["table"])
        assert restored == {k: v for k, v in source.state.items() if k != "table"}
        np.testing.assert_array_equal(target.lin.weight.detach().numpy(),
                                      source.lin.weight.detach().numpy())


# ---------------------------------------------------------------- conversions

def test_to_empty_keeps_parameters_and_replaces_buffers_as_pytorch():
    results = []
    for L in (cr, torch):
        model = L.nn.Sequential(L.nn.BatchNorm1d(3), L.nn.Sequential(L.nn.BatchNorm1d(2)))
        model[0].weight.requires_grad_(False)
        before = dict(model.named_parameters()), dict(model.named_buffers())
        returned = model.to_empty(device="cpu", recurse=True)
        after = dict(model.named_parameters()), dict(model.named_buffers())
        results.append((returned is model,
                        [after[0][k] is v for k, v in before[0].items()],
                        [after[1][k] is v for k, v in before[1].items()],
                        [(k, tuple(v.shape), dtype_name(v.dtype), v.requires_grad)
                         for k, v in model.state_dict(keep_vars=True).items()]))
    assert results[0] == results[1]


def test_to_empty_recurse_false_leaves_the_children_and_replaces_the_arrays():
    results = []
    for L in (cr, torch):
        model = L.nn.Sequential(L.nn.BatchNorm1d(2))
        model.register_buffer("own", L.zeros(2))
        child, own = model[0].running_mean, model.own
        model.to_empty(device=None, recurse=False)
        results.append((model[0].running_mean is child, model.own is own))
    assert results[0] == results[1]
    layer = cr.nn.Linear(2, 2)
    layer(cr.ones(1, 2)).sum().backward()
    array, grad = layer.weight.data, layer.weight.grad.numpy()
    layer.to_empty(device="cpu")
    assert layer.weight.data is not array and layer.weight.data.shape == array.shape
    assert layer.weight.grad.shape == grad.shape


@pytest.mark.parametrize("device", ["cuda", "cuda:1", "meta", "mps"])
def test_to_empty_refuses_other_devices_with_the_error_module_to_raises(device):
    ours = outcome(lambda: cr.nn.Linear(1, 1).to_empty(device=device))
    moved = outcome(lambda: cr.nn.Linear(1, 1).to(device))
    assert ours[0] == moved[0] == "DeviceError"
    assert ours[1] == moved[1].replace("Module.to", "Module.to_empty")
    if device.startswith("cuda"):  # PyTorch without CUDA raises too: the same catch catches
        with pytest.raises(Exception) as theirs:
            torch.nn.Linear(1, 1).to_empty(device=device)
        with pytest.raises(type(theirs.value)):
            cr.nn.Linear(1, 1).to_empty(device=device)


def test_to_empty_takes_the_device_by_keyword_only_as_pytorch():
    ours, theirs = (outcome(lambda m=m: m.to_empty("cpu")) for m in both(
        lambda L: L.nn.Linear(1, 1)))
    assert ours[0] == theirs[0] == "TypeError"


DST_TYPES = {"dtype": lambda L: L.float64, "legacy name": lambda L: "torch.DoubleTensor",
             "legacy type": lambda L: L.DoubleTensor, "plain name": lambda L: "float64",
             "python type": lambda L: float, "number": lambda L: 3,
             "integer dtype": lambda L: L.int64, "integer name": lambda L: "torch.LongTensor",
             "half": lambda L: L.float16}


@pytest.mark.parametrize("dst", DST_TYPES)
def test_type_converts_every_parameter_and_buffer_as_pytorch(dst):
    results = []
    for L in (cr, torch):
        model = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.BatchNorm1d(2))
        model(L.ones(3, 2)).sum().backward()
        weight = model[0].weight
        kind, returned = outcome(model.type, DST_TYPES[dst](L))
        results.append((kind, returned is model if kind == "ok" else returned,
                        model[0].weight is weight, dtype_name(weight.grad.dtype),
                        [dtype_name(v.dtype) for v in model.state_dict().values()]))
    assert results[0] == results[1]


def test_type_to_an_integer_dtype_works_on_parameters_that_do_not_require_grad():
    dtypes = []
    for L in (cr, torch):
        layer = L.nn.Linear(2, 2).requires_grad_(False)
        layer.type(L.int64)
        dtypes.append([dtype_name(v.dtype) for v in layer.state_dict().values()])
    assert dtypes[0] == dtypes[1]


def test_bfloat16_says_chainrule_has_no_such_dtype():
    layer = cr.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="bfloat16"):
        layer.bfloat16()
    assert layer.weight.dtype == cr.float32
    assert not hasattr(cr, "bfloat16")  # else bfloat16() should convert, as PyTorch's does


def test_share_memory_returns_the_module_unchanged_as_pytorch():
    for L in (cr, torch):
        layer = L.nn.Linear(2, 2)
        weight, values = layer.weight, np.array(layer.weight.detach().numpy())
        assert layer.share_memory() is layer and layer.weight is weight
        np.testing.assert_array_equal(layer.weight.detach().numpy(), values)


@pytest.fixture
def torch_validation_kept():
    """torch.compile imports torch._dynamo, which turns torch.distributions' argument checks
    off for the whole process (Distribution._validate_args); later tests compare with them."""
    before = torch.distributions.Distribution._validate_args
    yield
    torch.distributions.Distribution.set_default_validate_args(before)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.compile importing torch.jit
@pytest.mark.parametrize("args, kwargs", [((), {}), ((), {"fullgraph": True, "dynamic": False}),
                                          ((), {"bogus": 1}), ((1,), {})])
def test_compile_takes_torch_compiles_arguments_and_returns_none(args, kwargs,
                                                                  torch_validation_kept):
    ours, theirs = both(lambda L: L.nn.Linear(2, 1))
    same_weights(ours, theirs)
    x = np.ones((3, 2), np.float32)
    expected = theirs(torch.from_numpy(x)).detach().numpy()  # before: torch would compile now
    results = [outcome(lambda m=m: m.compile(*args, **kwargs)) for m in (ours, theirs)]
    assert results[0][0] == results[1][0]
    if results[0][0] == "ok":
        assert results[0][1] is None is results[1][1]
        np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("kind", ["cuda", "ipu", "xpu", "mtia"])
@pytest.mark.parametrize("index", [None, 1])
def test_accelerators_are_refused_with_an_error_pytorchs_catch_clause_catches(kind, index):
    with pytest.raises(Exception) as theirs:
        getattr(torch.nn.Linear(1, 1), kind)(index)
    with pytest.raises(DeviceError) as ours:
        getattr(cr.nn.Linear(1, 1), kind)(index)
    assert isinstance(ours.value, type(theirs.value))
    where = kind if index is None else f"{kind}:{index}"
    assert f"'{where}'" in str(ours.value)

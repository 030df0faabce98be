"""Devices: chainrule.device objects, the CPU-only check on every path that places data
(creation functions, Tensor.to/.cuda, Module.to/.cuda, legacy type strings), and the
torch.cuda / torch.accelerator / torch.backends namespaces, compared with PyTorch where it is
installed."""

from __future__ import annotations

import copy
import importlib
import pickle

import numpy as np
import pytest

import chainrule as cr
from chainrule.device import DEVICE_LINE, DeviceError
from tests.optional import needs_torch, torch

# ---------------------------------------------------------------- device objects

GOOD_STRINGS = ["cpu", "cuda", "cuda:0", "cuda:1", "cuda:12", "cpu:0", "mps", "meta", "xpu:3"]
BAD_STRINGS = ["foo", "CUDA", "gpu", " cpu", "cuda:x", "cuda:-1", "cuda:0:1", "cuda: 0",
               "cuda:", "cuda:01", "cuda:+1", ""]


@pytest.mark.parametrize(("text", "kind", "index"), [
    ("cpu", "cpu", None), ("cuda", "cuda", None), ("cuda:0", "cuda", 0), ("cuda:12", "cuda", 12),
    ("cpu:0", "cpu", 0), ("mps", "mps", None),
])
def test_a_device_string_gives_its_type_and_index(text, kind, index):
    d = cr.device(text)
    assert (d.type, d.index) == (kind, index)
    assert str(d) == text


def test_repr_type_index_and_the_other_constructors():
    assert repr(cr.device("cpu")) == "device(type='cpu')"
    assert repr(cr.device("cuda:1")) == "device(type='cuda', index=1)"
    assert cr.device("cuda", 1) == cr.device("cuda:1")
    assert cr.device(type="cuda", index=2).index == 2
    assert cr.device(cr.device("cuda:3")) == cr.device("cuda:3")
    assert cr.device("cuda", 0) != cr.device("cuda")
    assert cr.device("cpu") != cr.device("cpu", 0)
    assert cr.device("cpu") != "cpu"  # as in PyTorch: a device never equals a string


def test_devices_hash_by_value_and_survive_copy_and_pickle():
    devices = {cr.device("cuda:0"), cr.device("cuda", 0), cr.device("cpu"), cr.device("cpu")}
    assert devices == {cr.device("cuda:0"), cr.device("cpu")}
    d = cr.device("cuda:2")
    assert copy.deepcopy(d) == d
    assert pickle.loads(pickle.dumps(d)) == d


def test_device_attributes_are_read_only():
    d = cr.device("cpu")
    with pytest.raises(AttributeError):
        d.type = "cuda"


@pytest.mark.parametrize("text", ["foo", "CUDA", "gpu"])
def test_an_unknown_device_type_names_the_string(text):
    with pytest.raises(RuntimeError, match=f"device type at start of device string: {text}$"):
        cr.device(text)


@pytest.mark.parametrize("text", ["cuda:x", "cuda:-1", "cuda:0:1", "cuda: 0", "cuda:", "cuda:01"])
def test_a_bad_index_in_a_device_string_is_refused(text):
    with pytest.raises(RuntimeError, match=f"Invalid device string: '{text}'"):
        cr.device(text)


def test_bad_index_arguments():
    with pytest.raises(RuntimeError, match="must not include an index because index was passed"):
        cr.device("cuda:0", 1)
    with pytest.raises(RuntimeError, match="index must not be negative"):
        cr.device("cuda", -1)
    with pytest.raises(TypeError, match="index must be an int, not str"):
        cr.device("cuda", "1")
    with pytest.raises(TypeError, match="expected a device string or a device, got float"):
        cr.device(1.5)
    with pytest.raises(TypeError, match="index can not be passed with a device"):
        cr.device(cr.device("cpu"), 0)
    with pytest.raises(RuntimeError, match="Cannot access accelerator device when none"):
        cr.device(0)


@needs_torch
@pytest.mark.parametrize("text", GOOD_STRINGS)
def test_device_strings_match_torch(text):
    ours, theirs = cr.device(text), torch.device(text)
    assert (ours.type, ours.index, str(ours), repr(ours)) == (
        theirs.type, theirs.index, str(theirs), repr(theirs))


@needs_torch
@pytest.mark.parametrize("text", BAD_STRINGS)
def test_bad_device_strings_fail_with_torchs_message(text):
    with pytest.raises(RuntimeError) as theirs:
        torch.device(text)
    with pytest.raises(RuntimeError) as ours:
        cr.device(text)
    assert str(ours.value) == str(theirs.value)


def test_device_error_is_caught_as_runtime_and_as_assertion_error():
    # PyTorch raises RuntimeError on a CUDA build without a GPU, AssertionError on a CPU build.
    assert issubclass(DeviceError, RuntimeError) and issubclass(DeviceError, AssertionError)


def test_the_device_context_manager_accepts_the_cpu_only():
    with cr.device("cpu") as d:
        assert d == cr.device("cpu")
        assert cr.zeros(1).device == d
    with pytest.raises(DeviceError, match="with device"):
        with cr.device("cuda"):
            pass


def test_default_device_is_the_cpu():
    assert cr.get_default_device() == cr.device("cpu")
    cr.set_default_device("cpu")
    cr.set_default_device(None)
    with pytest.raises(DeviceError, match="set_default_device"):
        cr.set_default_device("cuda")


def _assert_cpu_error(info: pytest.ExceptionInfo, what: str) -> None:
    message = str(info.value)
    assert message.startswith(what), message
    assert "CPU" in message and DEVICE_LINE in message


# ---------------------------------------------------------------- creation functions

CREATORS = {
    "tensor": lambda **kw: cr.tensor([1.0, 2.0], **kw),
    "as_tensor": lambda **kw: cr.as_tensor([1.0, 2.0], **kw),
    "zeros": lambda **kw: cr.zeros(2, 3, **kw),
    "ones": lambda **kw: cr.ones(2, 3, **kw),
    "empty": lambda **kw: cr.empty(2, 3, **kw),
    "full": lambda **kw: cr.full((2, 3), 1.5, **kw),
    "zeros_like": lambda **kw: cr.zeros_like(cr.ones(2), **kw),
    "ones_like": lambda **kw: cr.ones_like(cr.ones(2), **kw),
    "empty_like": lambda **kw: cr.empty_like(cr.ones(2), **kw),
    "full_like": lambda **kw: cr.full_like(cr.ones(2), 3.0, **kw),
    "rand_like": lambda **kw: cr.rand_like(cr.ones(2), **kw),
    "randn_like": lambda **kw: cr.randn_like(cr.ones(2), **kw),
    "arange": lambda **kw: cr.arange(5, **kw),
    "linspace": lambda **kw: cr.linspace(0, 1, 5, **kw),
    "eye": lambda **kw: cr.eye(3, **kw),
    "rand": lambda **kw: cr.rand(2, 3, **kw),
    "randn": lambda **kw: cr.randn(2, 3, **kw),
    "randint": lambda **kw: cr.randint(0, 5, (2, 3), **kw),
}
PINNABLE = ["tensor", "empty", "rand", "randn"]  # PyTorch's creation functions with pin_memory


@pytest.mark.parametrize("name", sorted(CREATORS))
@pytest.mark.parametrize("where", ["cpu", "cpu:0", cr.device("cpu"), None])
def test_every_creation_function_accepts_the_cpu(name, where):
    cr.manual_seed(0)
    placed = CREATORS[name](device=where)
    cr.manual_seed(0)
    plain = CREATORS[name]()
    assert placed.device == cr.device("cpu")
    assert placed.shape == plain.shape and placed.dtype == plain.dtype
    if name not in ("empty", "empty_like"):
        np.testing.assert_array_equal(placed.data, plain.data)


@pytest.mark.parametrize("name", sorted(CREATORS))
@pytest.mark.parametrize("where", ["cuda", "cuda:1", cr.device("cuda", 0), "mps"])
def test_every_creation_function_refuses_another_device(name, where):
    with pytest.raises(DeviceError) as info:
        CREATORS[name](device=where)
    _assert_cpu_error(info, name)
    assert f"'{cr.device(where)}'" in str(info.value)


@pytest.mark.parametrize("name", sorted(CREATORS))
def test_a_bad_device_string_in_a_creation_function_is_a_runtime_error(name):
    with pytest.raises(RuntimeError, match="device string: gpu"):
        CREATORS[name](device="gpu")


@pytest.mark.parametrize("name", PINNABLE)
def test_pin_memory_false_is_accepted_and_true_needs_an_accelerator(name):
    assert CREATORS[name](pin_memory=False).device == cr.device("cpu")
    with pytest.raises(DeviceError, match=f"^{name}: pin_memory=True needs an accelerator"):
        CREATORS[name](pin_memory=True)


# ---------------------------------------------------------------- Tensor


def test_a_tensor_lives_on_the_cpu():
    t = cr.ones(2)
    assert t.device == cr.device("cpu") and str(t.device) == "cpu"
    assert t.is_cuda is False
    assert t.cpu() is t
    with pytest.raises(DeviceError) as info:
        t.cuda()
    _assert_cpu_error(info, "Tensor.cuda()")


@pytest.mark.parametrize(("index", "named"), [(None, "cuda"), (1, "cuda:1"),
                                              ("cuda:2", "cuda:2"), (cr.device("cuda", 0),
                                                                     "cuda:0")])
def test_cuda_names_the_device_it_was_asked_for(index, named):
    for thing, what in [(cr.ones(1), "Tensor.cuda()"), (cr.nn.Linear(1, 1), "Module.cuda()")]:
        with pytest.raises(DeviceError) as info:
            thing.cuda(index)
        _assert_cpu_error(info, what)
        assert f"can not put data on '{named}'" in str(info.value)


@pytest.mark.parametrize("call", [
    lambda t: t.to("cuda"), lambda t: t.to("cuda:0"), lambda t: t.to(cr.device("cuda")),
    lambda t: t.to("cuda", cr.float64), lambda t: t.to(device="cuda"),
    lambda t: t.to(cr.float64, device="mps"),
])
def test_to_another_device_raises_the_cpu_error(call):
    with pytest.raises(DeviceError) as info:
        call(cr.ones(2))
    _assert_cpu_error(info, "Tensor.to")


# (call, expected dtype, whether the result is the tensor itself)
TO_CALLS = {
    "to(float64)": (lambda t, m: t.to(m.float64), "float64", False),
    "to(float32)": (lambda t, m: t.to(m.float32), "float32", True),
    "to('cpu')": (lambda t, m: t.to("cpu"), "float32", True),
    "to(device('cpu'))": (lambda t, m: t.to(m.device("cpu")), "float32", True),
    "to('cpu', float64)": (lambda t, m: t.to("cpu", m.float64), "float64", False),
    "to(device, dtype=)": (lambda t, m: t.to(m.device("cpu"), dtype=m.int32), "int32", False),
    "to(device=, dtype=)": (lambda t, m: t.to(device="cpu", dtype=m.float16), "float16", False),
    "to(other)": (lambda t, m: t.to(m.zeros(1, dtype=m.int64)), "int64", False),
    "to(other, copy=True)": (lambda t, m: t.to(m.zeros(1), copy=True), "float32", False),
    "to('cpu', copy=True)": (lambda t, m: t.to("cpu", copy=True), "float32", False),
    "to(dtype, non_blocking)": (lambda t, m: t.to(m.float64, True), "float64", False),
    "to('cpu', dtype, nb, copy)": (lambda t, m: t.to("cpu", m.float32, True, True), "float32",
                                   False),
    "to(None)": (lambda t, m: t.to(None), "float32", True),
    "to()": (lambda t, m: t.to(), "float32", True),
}


@pytest.mark.parametrize("name", sorted(TO_CALLS))
def test_to_overloads(name):
    call, dtype, same = TO_CALLS[name]
    t = cr.tensor([1.5, -2.0, 3.25])
    out = call(t, cr)
    assert out.dtype == np.dtype(dtype)
    assert (out is t) == same
    np.testing.assert_array_equal(out.data, t.data.astype(dtype))
    if not same:
        assert not np.shares_memory(out.data, t.data)


@needs_torch
@pytest.mark.parametrize("name", sorted(TO_CALLS))
def test_to_overloads_match_torch(name):
    call, _, _ = TO_CALLS[name]
    ours, theirs = cr.tensor([1.5, -2.0, 3.25]), torch.tensor([1.5, -2.0, 3.25])
    out, ref = call(ours, cr), call(theirs, torch)
    assert str(ref.dtype) == f"torch.{out.dtype}"
    assert (out is ours) == (ref is theirs)
    assert str(out.device) == str(ref.device)


def test_to_keeps_the_gradient_path_through_a_cast_and_a_copy():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x.to("cpu", cr.float64) * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
    assert x.grad.dtype == cr.float32
    x.grad = None
    (x.to("cpu", copy=True) * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_a_dtype_name_string_is_still_read_as_a_dtype():
    # A string naming no device type but a dtype is that dtype (PyTorch says "Invalid device
    # string"); chainrule accepted dtype names in to() before devices existed.
    assert cr.ones(1).to("float64").dtype == cr.float64


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda t: t.to("gpu"), RuntimeError, "device type at start of device string: gpu"),
    (lambda t: t.to(3), RuntimeError, "Cannot access accelerator device"),
    (lambda t: t.to("cpu", "cuda"), TypeError, "unsupported dtype 'cuda'"),
    (lambda t: t.to(cr.float64, "cpu"), TypeError, "argument .non_blocking. must be bool, not str"),
    (lambda t: t.to("cpu", cr.float64, False, False, 1), TypeError, "at most 4 positional"),
    (lambda t: t.to(cr.float64, dtype=cr.float32), TypeError, "multiple values for argument "
     "'dtype'"),
    (lambda t: t.to("cpu", device="cpu"), TypeError, "multiple values for argument 'device'"),
    (lambda t: t.to(memory=1), TypeError, "unexpected keyword argument 'memory'"),
    (lambda t: t.to("complex64"), TypeError, "unsupported dtype 'complex64'"),
])
def test_bad_to_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call(cr.ones(2))


LEGACY = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
          "float16": "torch.HalfTensor", "int64": "torch.LongTensor", "int32": "torch.IntTensor",
          "int16": "torch.ShortTensor", "uint8": "torch.ByteTensor", "int8": "torch.CharTensor",
          "bool": "torch.BoolTensor"}


@pytest.mark.parametrize("dtype", sorted(LEGACY))
def test_type_without_an_argument_names_the_legacy_type(dtype):
    assert cr.zeros(2, dtype=dtype).type() == LEGACY[dtype]


@needs_torch
@pytest.mark.parametrize("dtype", sorted(LEGACY))
def test_type_strings_match_torch(dtype):
    assert cr.zeros(2, dtype=dtype).type() == torch.zeros(2, dtype=getattr(torch, dtype)).type()


@pytest.mark.parametrize("dtype", sorted(LEGACY))
def test_type_converts_to_a_type_string_a_legacy_type_or_a_dtype(dtype):
    t = cr.tensor([0.0, 1.0, 2.0])
    short = LEGACY[dtype].split(".")[1]
    for target in (LEGACY[dtype], f"chainrule.{short}", getattr(cr, short), np.dtype(dtype)):
        out = t.type(target)
        assert out.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(out.data, t.data.astype(dtype))
    assert t.type(cr.FloatTensor) is t  # already float32, as PyTorch returns self


def test_type_refuses_cuda_types_and_unknown_names():
    t = cr.ones(2)
    with pytest.raises(DeviceError) as info:
        t.type("torch.cuda.FloatTensor")
    _assert_cpu_error(info, "Tensor.type")
    with pytest.raises(DeviceError):
        t.type(cr.cuda.LongTensor)
    for name in ("torch.FooTensor", "torch.gpu.FloatTensor", "numpy.FloatTensor"):
        with pytest.raises(ValueError, match=f"invalid type: '{name}'"):
            t.type(name)


# ---------------------------------------------------------------- Module


def _model():
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.BatchNorm1d(4))
    return model


@pytest.mark.parametrize("call", [
    lambda m: m.to("cpu"), lambda m: m.to(cr.device("cpu")), lambda m: m.to(device="cpu:0"),
    lambda m: m.cpu(), lambda m: m.to(cr.device("cpu"), non_blocking=True),
])
def test_module_to_the_cpu_returns_self_and_changes_nothing(call):
    model = _model()
    before = {k: v.data.copy() for k, v in model.state_dict().items()}
    assert call(model) is model
    after = model.state_dict()
    for key, value in before.items():
        assert after[key].dtype == value.dtype
        np.testing.assert_array_equal(after[key].data, value)


@pytest.mark.parametrize("call", [
    lambda m: m.to(cr.float64), lambda m: m.to("cpu", cr.float64),
    lambda m: m.to(device="cpu", dtype=cr.float64), lambda m: m.to(cr.zeros(1, dtype=cr.float64)),
])
def test_module_to_converts_floating_parameters_and_buffers(call):
    model = _model()
    before = {k: v.data.copy() for k, v in model.state_dict().items()}
    assert call(model) is model
    for key, value in model.state_dict().items():
        expected = np.float64 if before[key].dtype.kind == "f" else before[key].dtype
        assert value.dtype == expected, key
        np.testing.assert_array_equal(value.data, before[key])


def test_module_to_another_device_or_cuda_raises_the_cpu_error():
    model = _model()
    for call, what in [(lambda: model.to("cuda"), "Module.to"),
                       (lambda: model.to("cuda:0", cr.float64), "Module.to"),
                       (lambda: model.cuda(), "Module.cuda()")]:
        with pytest.raises(DeviceError) as info:
            call()
        _assert_cpu_error(info, what)
    assert next(model.parameters()).dtype == cr.float32  # nothing was converted on the way


def test_module_to_an_integer_dtype_is_refused():
    with pytest.raises(TypeError, match="only floating dtypes"):
        _model().to(cr.int64)
    with pytest.raises(TypeError, match="only floating dtypes"):
        _model().to(cr.zeros(1, dtype=cr.int64))


# ---------------------------------------------------------------- torch.cuda and friends


def test_cuda_answers_as_a_machine_without_a_gpu():
    cuda = importlib.import_module("chainrule.cuda")
    assert cuda is cr.cuda
    assert cuda.is_available() is False
    assert cuda.device_count() == 0
    assert cuda.is_initialized() is False
    for harmless in (lambda: cuda.manual_seed(1), lambda: cuda.manual_seed_all(1),
                     cuda.synchronize, cuda.empty_cache, cuda.seed, cuda.seed_all):
        assert harmless() is None
    assert cuda.memory_allocated() == cuda.max_memory_allocated() == cuda.memory_reserved() == 0
    assert cuda.is_bf16_supported() is False


@needs_torch
@pytest.mark.parametrize("name", ["is_available", "device_count", "is_initialized",
                                  "memory_allocated", "max_memory_allocated", "memory_reserved",
                                  "is_bf16_supported", "seed", "seed_all", "empty_cache"])
def test_cuda_answers_match_torch_without_a_gpu(name):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU; the answers differ by design")
    assert getattr(cr.cuda, name)() == getattr(torch.cuda, name)()


def test_cuda_seeding_leaves_the_cpu_generator_alone():
    cr.manual_seed(3)
    expected = cr.rand(4).data
    cr.manual_seed(3)
    cr.cuda.manual_seed_all(99)
    cr.cuda.manual_seed(99)
    np.testing.assert_array_equal(cr.rand(4).data, expected)


@pytest.mark.parametrize("call", ["current_device", "get_device_name", "get_device_properties",
                                  "get_device_capability"])
def test_asking_for_the_current_cuda_device_raises(call):
    with pytest.raises(DeviceError, match=f"{call}\\(\\): chainrule has no CUDA device"):
        getattr(cr.cuda, call)()


@pytest.mark.parametrize("short", sorted({name.split(".")[1] for name in LEGACY.values()}))
def test_cuda_legacy_types_raise_when_called_and_match_nothing(short):
    kind = getattr(cr.cuda, short)
    with pytest.raises(DeviceError) as info:
        kind([1, 2])
    _assert_cpu_error(info, f"torch.cuda.{short}(...)")
    assert not isinstance(cr.zeros(2, dtype=kind.dtype), kind)
    assert repr(kind) == f"<class 'torch.cuda.{short}'>"


def test_accelerator_answers_as_a_machine_without_one():
    assert cr.accelerator.is_available() is False
    assert cr.accelerator.current_accelerator() is None
    assert cr.accelerator.device_count() == 0


@needs_torch
def test_accelerator_and_mps_answers_match_torch_on_a_machine_without_a_gpu():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU; the answers differ by design")
    assert cr.accelerator.is_available() == torch.accelerator.is_available()
    assert cr.accelerator.current_accelerator() == torch.accelerator.current_accelerator()
    assert cr.accelerator.device_count() == torch.accelerator.device_count()
    assert cr.backends.mps.is_available() == torch.backends.mps.is_available()


def test_backends_flags_can_be_set_and_read_back():
    cudnn = importlib.import_module("chainrule.backends.cudnn")
    assert cudnn is cr.backends.cudnn
    saved = (cudnn.benchmark, cudnn.deterministic, cudnn.enabled)
    try:
        assert saved == (False, False, True)  # PyTorch's defaults
        cr.backends.cudnn.benchmark = True
        cr.backends.cudnn.deterministic = True
        cr.backends.cudnn.enabled = False
        assert (cudnn.benchmark, cudnn.deterministic, cudnn.enabled) == (True, True, False)
    finally:
        cudnn.benchmark, cudnn.deterministic, cudnn.enabled = saved
    assert cudnn.is_available() is False
    assert cr.backends.mps.is_available() is False


# ---------------------------------------------------------------- the device lines of scripts


def _train_once(device):
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 1).to(device)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    x = cr.randn(8, 3, device=device)
    y = cr.randn(8, 1).to(device)
    loss = cr.nn.functional.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return model.weight.detach().numpy().copy()


def test_the_usual_device_lines_pick_the_cpu_and_train_as_without_them():
    old_style = cr.device("cuda" if cr.cuda.is_available() else "cpu")
    new_style = (cr.accelerator.current_accelerator() if cr.accelerator.is_available()
                 else cr.device("cpu"))
    assert old_style == new_style == cr.device("cpu")
    plain = _train_once(None)
    np.testing.assert_array_equal(_train_once(old_style), plain)
    np.testing.assert_array_equal(_train_once("cpu"), plain)

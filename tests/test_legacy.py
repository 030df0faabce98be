"""Legacy PyTorch names: the legacy tensor types (FloatTensor ...), autograd.Variable,
compile, amp.autocast and amp.GradScaler (also as cuda.amp), and no_grad/enable_grad as
decorators; compared with PyTorch where it is installed."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.device import DeviceError
from tests.optional import needs_torch, torch

LEGACY = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
          "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16",
          "ByteTensor": "uint8", "CharTensor": "int8", "BoolTensor": "bool"}
NAMES = sorted(LEGACY)

# ---------------------------------------------------------------- legacy tensor types


@pytest.mark.parametrize("name", NAMES)
def test_a_legacy_type_makes_a_tensor_of_its_dtype_from_data(name):
    data = [[0, 1, 2], [3, 0, 1]]
    t = getattr(cr, name)(data)
    assert isinstance(t, cr.Tensor)
    assert t.dtype == np.dtype(LEGACY[name])
    np.testing.assert_array_equal(t.data, np.array(data, dtype=LEGACY[name]))
    from_array = getattr(cr, name)(np.array([1.7, 0.0]))
    np.testing.assert_array_equal(from_array.data, np.array([1.7, 0.0]).astype(LEGACY[name]))


@pytest.mark.parametrize("name", NAMES)
def test_a_legacy_type_with_sizes_makes_an_uninitialised_tensor_of_that_shape(name):
    kind = getattr(cr, name)
    assert kind(2, 3).shape == (2, 3) and kind(2, 3).dtype == np.dtype(LEGACY[name])
    assert kind(4).shape == (4,)
    assert kind(np.int64(2), 1).shape == (2, 1)
    assert kind().shape == (0,)
    assert kind(2, device="cpu").shape == (2,)


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_legacy_types_match_torch(name):
    ours, theirs = getattr(cr, name), getattr(torch, name)
    data = [1.7, 0.0, -2.2] if name != "ByteTensor" else [1.7, 0.0, 2.2]
    assert str(theirs(data).dtype) == f"torch.{ours(data).dtype}"
    np.testing.assert_array_equal(ours(data).data, theirs(data).numpy())
    assert tuple(ours(2, 3).shape) == tuple(theirs(2, 3).shape)
    assert ours(data).type() == theirs(data).type()
    assert repr(ours) == repr(theirs)
    for dtype in LEGACY.values():
        assert isinstance(cr.zeros(2, dtype=dtype), ours) == isinstance(
            torch.zeros(2, dtype=getattr(torch, dtype)), theirs)


@pytest.mark.parametrize("name", NAMES)
def test_isinstance_is_true_only_for_tensors_of_that_dtype(name):
    kind = getattr(cr, name)
    for other, dtype in LEGACY.items():
        assert isinstance(cr.zeros(2, dtype=dtype), kind) == (other == name)
    assert not isinstance(np.zeros(2, dtype=LEGACY[name]), kind)
    assert not isinstance([0.0], kind)


def test_a_float32_parameter_is_a_float_tensor():
    assert isinstance(cr.nn.Linear(2, 1).weight, cr.FloatTensor)
    assert not isinstance(cr.nn.Linear(2, 1).double().weight, cr.FloatTensor)


def test_a_legacy_type_from_a_tensor_of_its_dtype_shares_memory():
    t = cr.tensor([1.0, 2.0])
    alias = cr.FloatTensor(t)
    t.data[0] = 5.0
    assert alias.tolist() == [5.0, 2.0]


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: cr.LongTensor(cr.ones(2)), TypeError, "LongTensor\\(tensor\\): the tensor is "
     "float32, not int64"),
    (lambda: cr.FloatTensor(3.0), TypeError, "data must be a sequence \\(got float\\)"),
    (lambda: cr.FloatTensor([1], [2]), TypeError, "expected sizes \\(ints\\) or one sequence"),
    (lambda: cr.FloatTensor(2, -1), RuntimeError, "negative dimension -1: \\[2, -1\\]"),
    (lambda: cr.FloatTensor(2, device="cuda"), DeviceError, "FloatTensor\\(...\\): chainrule "
     "computes on the CPU"),
    (lambda: cr.FloatTensor([1], dtype=cr.float64), TypeError, "unexpected keyword"),
])
def test_bad_legacy_constructor_calls(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------- Variable


def test_variable_returns_a_detached_tensor_sharing_memory():
    Variable = importlib.import_module("chainrule.autograd").Variable
    base = cr.tensor([1.0, 2.0], requires_grad=True)
    y = base * 2
    v = Variable(y)
    assert type(v) is cr.Tensor
    assert not v.requires_grad and v.grad_fn is None
    assert np.shares_memory(v.data, y.data)
    w = Variable(cr.ones(3), requires_grad=True)
    assert w.requires_grad and w.is_leaf
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [3.0, 3.0, 3.0])
    assert isinstance(w, Variable) and not isinstance(np.ones(2), Variable)


@needs_torch
def test_variable_matches_torch():
    for requires_grad in (False, True):
        ours = cr.autograd.Variable(cr.ones(2), requires_grad=requires_grad)
        theirs = torch.autograd.Variable(torch.ones(2), requires_grad=requires_grad)
        assert (ours.requires_grad, ours.is_leaf) == (theirs.requires_grad, theirs.is_leaf)


def test_variable_refuses_non_tensors_and_integer_gradients():
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        cr.autograd.Variable([1.0, 2.0])
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        cr.autograd.Variable(cr.ones(2, dtype=cr.int64), requires_grad=True)


def test_variable_volatile_warns_that_it_has_no_effect():
    with pytest.warns(UserWarning, match="volatile was removed"):
        v = cr.autograd.Variable(cr.ones(2), volatile=True)
    assert isinstance(v, cr.Tensor)


# ---------------------------------------------------------------- compile


def test_compile_returns_the_model_unchanged_in_every_form():
    model = cr.nn.Linear(2, 1)
    assert cr.compile(model) is model
    assert cr.compile(model, mode="max-autotune", fullgraph=True, dynamic=False) is model

    @cr.compile
    def double(x):
        return x * 2

    @cr.compile(mode="reduce-overhead")
    def triple(x):
        return x * 3

    assert double(cr.tensor([1.0])).tolist() == [2.0]
    assert triple(cr.tensor([1.0])).tolist() == [3.0]
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        cr.compile(model, bogus=1)


# ---------------------------------------------------------------- amp


def _step(use_amp: bool, scaler_kind=None, autocast_kind=None):
    cr.manual_seed(0)
    model = cr.nn.Linear(4, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    x, y = cr.randn(8, 4), cr.randn(8, 2)
    scaler = scaler_kind() if use_amp else None
    for _ in range(3):
        opt.zero_grad()
        if use_amp:
            with autocast_kind():
                loss = cr.nn.functional.mse_loss(model(x), y)
            assert loss.dtype == cr.float32
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            scaler.step(opt)
            scaler.update()
        else:
            loss = cr.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
    return model.weight.detach().numpy().copy()


@pytest.mark.parametrize(("scaler_kind", "autocast_kind"), [
    (lambda: cr.amp.GradScaler(), lambda: cr.amp.autocast(device_type="cpu")),
    (lambda: cr.amp.GradScaler("cpu"), lambda: cr.autocast("cpu", dtype=cr.float16)),
    (lambda: cr.cuda.amp.GradScaler(), lambda: cr.cuda.amp.autocast()),
    (lambda: cr.amp.GradScaler(enabled=False), lambda: cr.amp.autocast("cuda", enabled=False)),
])
def test_a_mixed_precision_loop_trains_exactly_as_a_plain_one(scaler_kind, autocast_kind):
    np.testing.assert_array_equal(_step(True, scaler_kind, autocast_kind), _step(False))


def test_grad_scaler_is_a_disabled_scaler():
    scaler = cr.amp.GradScaler()
    loss = cr.tensor(2.0, requires_grad=True)
    assert scaler.scale(loss) is loss
    assert scaler.scale([loss, loss]) == [loss, loss]
    assert scaler.get_scale() == 1.0 and scaler.is_enabled() is False
    assert scaler.state_dict() == {}
    assert scaler.load_state_dict({"scale": 1024.0, "_growth_tracker": 3}) is None
    assert scaler.get_scale() == 1.0
    assert scaler.update(new_scale=8.0) is None


def test_grad_scaler_step_runs_the_optimizer_and_returns_its_result():
    class Recorder:
        def __init__(self):
            self.calls = []

        def step(self, *args, **kwargs):
            self.calls.append((args, kwargs))
            return "closure value"

    opt = Recorder()
    assert cr.amp.GradScaler().step(opt, 1, key=2) == "closure value"
    assert opt.calls == [((1,), {"key": 2})]


@needs_torch
def test_grad_scaler_answers_as_torchs_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("on a GPU machine PyTorch's scaler is enabled")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.amp.GradScaler("cuda")
    ours = cr.amp.GradScaler("cuda")
    assert (ours.is_enabled(), ours.get_scale(), ours.state_dict()) == (
        theirs.is_enabled(), theirs.get_scale(), theirs.state_dict())


def test_autocast_is_a_decorator_and_checks_its_device_type():
    @cr.amp.autocast(device_type="cpu", dtype=cr.float16)
    def forward(x):
        return x @ x

    x = cr.ones(2, 2)
    out = forward(x)
    assert out.dtype == cr.float32
    np.testing.assert_array_equal(out.data, np.full((2, 2), 2.0, np.float32))
    assert forward.__name__ == "forward"
    with pytest.raises(RuntimeError, match="device type at start of device string: gpu"):
        cr.amp.autocast(device_type="gpu")
    with pytest.raises(RuntimeError, match="device string: gpu"):
        cr.amp.GradScaler("gpu")


def test_cuda_amp_is_an_importable_module():
    module = importlib.import_module("chainrule.cuda.amp")
    assert module is cr.cuda.amp
    assert issubclass(module.autocast, cr.amp.autocast)
    assert issubclass(module.GradScaler, cr.amp.GradScaler)
    assert module.autocast().device == "cuda"


# ---------------------------------------------------------------- grad-mode decorators


def test_no_grad_and_enable_grad_decorate_with_parentheses():
    @cr.no_grad()
    def frozen(x):
        return x * 2

    @cr.enable_grad()
    def recorded(x):
        return x * 2

    x = cr.ones(2, requires_grad=True)
    assert not frozen(x).requires_grad
    with cr.no_grad():
        assert recorded(x).requires_grad
    assert cr.is_grad_enabled()


def test_no_grad_and_enable_grad_decorate_without_parentheses():
    @cr.no_grad
    def frozen(x):
        return x * 2

    @cr.enable_grad
    def recorded(x):
        return x * 2

    x = cr.ones(2, requires_grad=True)
    assert not frozen(x).requires_grad
    assert frozen.__name__ == "frozen"
    with cr.no_grad():
        assert recorded(x).requires_grad
    assert cr.is_grad_enabled()
    with cr.no_grad() as nothing:  # the context manager forms are unchanged
        assert nothing is None and not cr.is_grad_enabled()

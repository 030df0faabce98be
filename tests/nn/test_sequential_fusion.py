"""nn.Sequential's fast path (nn/fusion.py): a Linear, Conv2d or batch norm layer directly
followed by a ReLU runs as one ``LinearReLU``, ``Conv2dReLU`` or ``BatchNormReLU`` node. Its
reference is Sequential's plain loop (the switch off): outputs, every gradient and the running
statistics must be the same bits, the errors the same text; and the pair must not be fused when
something could tell (a hook, a subclass, a replaced forward)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import kernels, nn
from chainrule.nn.hooks import LIVE
from chainrule.ops.conv import Conv2dReLU
from chainrule.ops.linalg import Linear as LinearNode
from chainrule.ops.linalg import LinearReLU
from chainrule.ops.norm import BatchNormReLU
from chainrule.ops.unary import Relu

SWITCH = "fuse_relu"
CONVOLUTIONS = {  # nn.Conv2d arguments after (in, out): each a route of functional.conv
    "3x3 padded": dict(kernel_size=3, padding=1),
    "strided dilated": dict(kernel_size=3, stride=2, dilation=2),
    "1x1 pointwise": dict(kernel_size=1),
    "groups": dict(kernel_size=3, groups=2),
    "depthwise": dict(kernel_size=3, groups=4, padding=1),  # fused as two nodes, same values
    "reflect": dict(kernel_size=3, padding=1, padding_mode="reflect"),
    "no bias": dict(kernel_size=2, bias=False),
}


@pytest.fixture(autouse=True)
def fast_path_on():
    """The switch on, and no hook counted: a module of an earlier test that was dropped with a
    hook still on leaves the count up, which turns fusion off (the safe side) for good. The
    count is given back afterwards, with what this test's own hooks left in it."""
    leaked, LIVE[0] = LIVE[0], 0
    kernels.use_fast(True, SWITCH)
    yield
    kernels.use_fast(True, SWITCH)
    LIVE[0] += leaked


def models(dtype, bias=True, seed=0):
    """Two identical models: Linear-ReLU pairs, a lone ReLU after a pair, a final Linear."""
    def build():
        cr.manual_seed(seed)
        return nn.Sequential(nn.Linear(6, 5, bias=bias, dtype=dtype), nn.ReLU(),
                             nn.Linear(5, 4, bias=bias, dtype=dtype), nn.ReLU(), nn.ReLU(),
                             nn.Linear(4, 3, dtype=dtype))
    return build(), build()


def run(model, x, fused):
    """Output and (x, parameter) gradients of model(x) for a fixed upstream gradient."""
    kernels.use_fast(fused, SWITCH)
    xt = cr.tensor(x, requires_grad=True)
    y = model(xt)
    upstream = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
    y.backward(cr.tensor(upstream))
    return y.detach().numpy(), [xt.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]


def same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def special_values(shape, dtype, seed):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    x.flat[:4] = [0.0, -0.0, np.inf, -np.inf]
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7, 6), (2, 3, 6), (1, 6)])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_is_bitwise_the_plain_loop(dtype, shape, bias):
    fused_model, plain_model = models(dtype, bias)
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    y_fused, grads_fused = run(fused_model, x, True)
    y_plain, grads_plain = run(plain_model, x, False)
    assert same_bits(y_fused, y_plain)
    assert all(same_bits(a, b) for a, b in zip(grads_fused, grads_plain, strict=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values_give_the_same_bits_without_gradients(dtype):
    fused_model, plain_model = models(dtype)
    x = cr.tensor(special_values((5, 6), dtype, 3))
    with cr.no_grad(), np.errstate(invalid="ignore"):  # ∞ − ∞ in the products
        kernels.use_fast(True, SWITCH)
        fused = fused_model(x).numpy()
        kernels.use_fast(False, SWITCH)
        plain = plain_model(x).numpy()
    assert np.isnan(fused).any()  # ∞ − ∞ in the products: NaN must pass through both alike
    assert same_bits(fused, plain)


def nodes(y):
    """The Function classes of y's graph, from the output back."""
    found, ctx = [], y._ctx
    while ctx is not None:
        found.append(ctx.fn)
        ctx = next((p._ctx for p in ctx.parents if p._ctx is not None), None)
    return found


def test_the_fast_path_makes_one_node_per_pair():
    model, _ = models(np.float32)
    y = model(cr.randn(3, 6))
    assert nodes(y) == [LinearNode, Relu, LinearReLU, LinearReLU]  # the lone ReLU stays
    kernels.use_fast(False, SWITCH)
    assert LinearReLU not in nodes(model(cr.randn(3, 6)))


def test_inference_runs_the_pair_without_a_graph():
    model, _ = models(np.float32)
    with cr.no_grad():
        y = model(cr.randn(3, 6))
    assert y._ctx is None and not y.requires_grad


def unfused_after(change):
    """Whether ``change(model)`` keeps the first pair from being fused (its first node)."""
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    change(model)
    return model(cr.randn(4, 3))._ctx.fn is not LinearReLU


def test_a_hook_on_either_module_turns_fusion_off_and_runs():
    calls = []
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    handle = model[1].register_forward_hook(lambda m, a, out: calls.append(out.shape))
    y = model(cr.randn(4, 3))
    assert calls == [(4, 2)] and y._ctx.fn is not LinearReLU
    handle.remove()
    assert model(cr.randn(4, 3))._ctx.fn is LinearReLU


def test_a_global_hook_turns_fusion_off():
    seen = []
    handle = nn.modules.module.register_module_forward_hook(
        lambda m, a, out: seen.append(type(m).__name__))
    try:
        nn.Sequential(nn.Linear(3, 2), nn.ReLU())(cr.randn(4, 3))
    finally:
        handle.remove()
    assert seen == ["Linear", "ReLU", "Sequential"]


def test_subclasses_and_replaced_forwards_are_not_fused():
    class MyReLU(nn.ReLU):
        def forward(self, x):
            return super().forward(x) * 2

    class MyLinear(nn.Linear):
        pass

    def replace_forward(model):
        model[1].forward = lambda x: x.relu() * 3

    assert unfused_after(lambda m: setattr(m, "1", MyReLU()))
    assert unfused_after(lambda m: setattr(m, "0", MyLinear(3, 2)))
    assert unfused_after(replace_forward)
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    replace_forward(model)
    x = cr.randn(4, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(),
                                  model[0](x).relu().detach().numpy() * 3)


@pytest.mark.parametrize("x, error", [(cr.randn(4, 5), ValueError),
                                      (cr.randn(4, 3, dtype=cr.float64), TypeError),
                                      (cr.tensor(1.0), ValueError)])
def test_errors_are_the_plain_loops(x, error):
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    messages = []
    for fused in (True, False):
        kernels.use_fast(fused, SWITCH)
        with pytest.raises(error) as raised:
            model(x)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]


def test_frozen_parameters_and_an_input_without_grad_record_nothing():
    model, _ = models(np.float32)
    model.requires_grad_(False)
    y = model(cr.randn(3, 6))
    assert y._ctx is None and not y.requires_grad


def test_only_the_input_requires_grad():
    fused_model, plain_model = models(np.float64)
    fused_model.requires_grad_(False)
    plain_model.requires_grad_(False)
    x = np.random.default_rng(5).standard_normal((4, 6))
    grads = []
    for model, fused in ((fused_model, True), (plain_model, False)):
        kernels.use_fast(fused, SWITCH)
        xt = cr.tensor(x, requires_grad=True)
        model(xt).sum().backward()
        grads.append(xt.grad.numpy())
    assert same_bits(*grads) and np.abs(grads[0]).sum() > 0


def conv_models(dtype, options, seed=0):
    def build():
        cr.manual_seed(seed)
        return nn.Sequential(nn.Conv2d(4, 4, **options, dtype=dtype), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1, dtype=dtype),
                             nn.ReLU())
    return build(), build()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CONVOLUTIONS))
def test_fused_convolution_is_bitwise_the_plain_loop(dtype, name):
    fused_model, plain_model = conv_models(dtype, CONVOLUTIONS[name])
    x = np.random.default_rng(3).standard_normal((3, 4, 10, 10)).astype(dtype)
    y_fused, grads_fused = run(fused_model, x, True)
    y_plain, grads_plain = run(plain_model, x, False)
    assert same_bits(y_fused, y_plain)
    assert all(same_bits(a, b) for a, b in zip(grads_fused, grads_plain, strict=True))


def test_a_convolution_pair_is_one_node_and_unbatched_input_works():
    model, plain = conv_models(np.float32, CONVOLUTIONS["3x3 padded"])
    y = model(cr.randn(2, 4, 8, 8))
    assert y._ctx.fn is Conv2dReLU
    assert Conv2dReLU in nodes(y._ctx.parents[0]._ctx.parents[0])  # the first pair, under the pool
    x = cr.randn(4, 8, 8)  # (C, H, W), as PyTorch takes it
    kernels.use_fast(False, SWITCH)
    want = plain(x).detach().numpy()
    kernels.use_fast(True, SWITCH)
    assert same_bits(model(x).detach().numpy(), want)


def test_the_fused_convolution_keeps_the_channels_last_layout():
    model, plain = conv_models(np.float32, CONVOLUTIONS["3x3 padded"])
    x = cr.randn(2, 4, 8, 8)
    fused = model[:2](x).detach().numpy()
    kernels.use_fast(False, SWITCH)
    assert fused.strides == plain[:2](x).detach().numpy().strides


NORMS = {  # batch norm class, its input shape, its constructor's options
    "1d": (nn.BatchNorm1d, (6, 4), {}),
    "1d sequence": (nn.BatchNorm1d, (3, 4, 5), {}),
    "2d": (nn.BatchNorm2d, (3, 4, 5, 5), {}),
    "2d no affine": (nn.BatchNorm2d, (3, 4, 5, 5), {"affine": False}),
    "2d cumulative": (nn.BatchNorm2d, (3, 4, 5, 5), {"momentum": None}),
    "2d untracked": (nn.BatchNorm2d, (3, 4, 5, 5), {"track_running_stats": False}),
    "3d": (nn.BatchNorm3d, (2, 4, 3, 3, 3), {}),
}


def norm_models(dtype, name):
    cls, _, options = NORMS[name]

    def build():
        model = nn.Sequential(cls(4, dtype=dtype, **options), nn.ReLU())
        if model[0].weight is not None:  # away from the defaults, so γ and β matter
            model[0].weight.data[:] = np.linspace(0.5, -1.5, 4)
            model[0].bias.data[:] = np.linspace(-0.2, 0.3, 4)
        return model
    return build(), build()


def buffers(model):
    return [b.numpy().copy() for b in model.buffers()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(NORMS))
def test_fused_batch_norm_is_bitwise_the_plain_loop_in_training_and_eval(dtype, name):
    fused_model, plain_model = norm_models(dtype, name)
    x = np.random.default_rng(4).standard_normal(NORMS[name][1]).astype(dtype)
    for step in range(2):  # two steps: the running statistics and the batch count move
        y_fused, grads_fused = run(fused_model, x + step, True)
        y_plain, grads_plain = run(plain_model, x + step, False)
        assert same_bits(y_fused, y_plain)
        assert all(same_bits(a, b) for a, b in zip(grads_fused, grads_plain, strict=True))
        assert all(same_bits(a, b) for a, b in zip(buffers(fused_model), buffers(plain_model),
                                                   strict=True))
    fused_model.eval()
    plain_model.eval()
    y_fused, grads_fused = run(fused_model, x, True)
    y_plain, grads_plain = run(plain_model, x, False)
    assert same_bits(y_fused, y_plain)
    assert all(same_bits(a, b) for a, b in zip(grads_fused, grads_plain, strict=True))


def test_a_batch_norm_pair_is_one_node_in_training():
    model, _ = norm_models(np.float32, "2d")
    y = model(cr.randn(3, 4, 5, 5))
    assert y._ctx.fn is BatchNormReLU and int(model[0].num_batches_tracked) == 1
    with pytest.raises(ValueError, match="BatchNorm2d"):  # the layer's own check runs
        model(cr.randn(3, 4, 5))
    assert int(model[0].num_batches_tracked) == 1  # a refused call counts no batch


def test_backward_twice_with_retain_graph_gives_twice_the_gradients():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(),
                          nn.Conv2d(3, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(48, 5),
                          nn.ReLU())
    loss = model(cr.randn(2, 2, 6, 6)).square().sum()
    loss.backward(retain_graph=True)
    once = [p.grad.numpy().copy() for p in model.parameters()]
    loss.backward()
    for first, total in zip(once, (p.grad.numpy() for p in model.parameters()), strict=True):
        np.testing.assert_allclose(total, 2 * first, rtol=1e-6, atol=1e-7)
    assert any(np.abs(g).sum() > 0 for g in once)


class Halves(nn.Module):
    """Returns a tuple: the layers after it get no tensor."""

    def forward(self, x):
        return x[:, :2], x[:, 2:]


class Join(nn.Module):
    def forward(self, pair):
        return cr.cat(pair, 1) * 2


def mixed_model(seed=0):
    cr.manual_seed(seed)
    return nn.Sequential(nn.ReLU(), nn.Linear(6, 5), nn.ReLU(), nn.Dropout(0.5), nn.Linear(5, 4),
                         nn.Tanh(), nn.Linear(4, 4), nn.ReLU(), nn.ReLU(), Halves(), Join(),
                         nn.Linear(4, 3)).eval()


@pytest.mark.parametrize("shape", [(5, 6), (2, 3, 6), (1, 6)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_without_grad_mode_the_bare_arrays_give_the_plain_loops_bits(shape, dtype):
    model = mixed_model().to(dtype)
    x = cr.tensor(special_values(shape, dtype, 6))
    before = x.numpy().copy()
    outputs = []
    for fused in (True, False):
        kernels.use_fast(fused, SWITCH)
        with cr.no_grad(), np.errstate(invalid="ignore"):
            y = model(x)
        assert type(y) is cr.Tensor and not y.requires_grad and y._ctx is None
        outputs.append(y.numpy())
    assert same_bits(*outputs)
    assert same_bits(x.numpy(), before)  # the leading ReLU made a new array


def test_without_grad_mode_errors_are_the_plain_loops():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    for x, error in [(cr.randn(4, 5), ValueError), (cr.randn(4, 3, dtype=cr.float64), TypeError),
                     (cr.tensor(1.0), ValueError)]:
        messages = []
        for fused in (True, False):
            kernels.use_fast(fused, SWITCH)
            with cr.inference_mode(), pytest.raises(error) as raised:
                model(x)
            messages.append(str(raised.value))
        assert messages[0] == messages[1]
    lone = nn.Sequential(nn.ReLU())
    kernels.use_fast(True, SWITCH)
    with cr.no_grad(), pytest.raises(Exception) as fused_error:
        lone(cr.tensor([True, False]))
    kernels.use_fast(False, SWITCH)
    with cr.no_grad(), pytest.raises(Exception) as plain_error:
        lone(cr.tensor([True, False]))
    assert type(fused_error.value) is type(plain_error.value)
    assert str(fused_error.value) == str(plain_error.value)


def test_without_grad_mode_an_empty_sequential_returns_its_input():
    x = cr.randn(2, 3)
    with cr.no_grad():
        assert nn.Sequential()(x) is x


def test_a_hook_left_on_another_module_does_not_turn_fusion_off():
    other = nn.Linear(2, 2)
    handle = other.register_forward_hook(lambda m, a, out: None)  # LIVE is now above zero
    try:
        model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
        assert model(cr.randn(4, 3))._ctx.fn is LinearReLU
        with cr.no_grad():
            fused = model(cr.ones(1, 3)).numpy()
        kernels.use_fast(False, SWITCH)
        with cr.no_grad():
            assert same_bits(fused, model(cr.ones(1, 3)).numpy())
    finally:
        handle.remove()


def test_a_backward_hook_on_the_layer_turns_fusion_off_and_runs():
    seen = []
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    handle = model[0].register_full_backward_hook(lambda m, gi, go: seen.append(go[0].shape))
    try:
        y = model(cr.randn(4, 3, requires_grad=True))
        assert LinearReLU not in nodes(y)
        y.sum().backward()
        assert seen == [(4, 2)]
    finally:
        handle.remove()


def test_a_replaced_module_call_sees_every_layer_as_the_onnx_tracer_needs():
    calls, original = [], nn.Module.__call__

    def recording(module, *args, **kwargs):
        calls.append(type(module).__name__)
        return original(module, *args, **kwargs)

    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    nn.Module.__call__ = recording
    try:
        model(cr.randn(4, 3))
        with cr.no_grad():
            model(cr.randn(4, 3))
    finally:
        nn.Module.__call__ = original
    assert calls == ["Sequential", "Linear", "ReLU"] * 2

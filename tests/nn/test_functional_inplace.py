"""The in-place activations of ``nn.functional`` (``relu_`` ..., and every ``inplace=True``
of an activation or a dropout, in functions and modules): the input itself holds the result,
the graph records the change, and the refusals of in-place ops apply."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import chainrule as cr

F = cr.nn.functional

# name -> (the in-place call, the out-of-place reference), given the library's F
CASES = {
    "relu_": (lambda F, x: F.relu_(x), lambda F, x: F.relu(x)),
    "elu_": (lambda F, x: F.elu_(x, 0.5), lambda F, x: F.elu(x, 0.5)),
    "leaky_relu_": (lambda F, x: F.leaky_relu_(x, 0.2), lambda F, x: F.leaky_relu(x, 0.2)),
    "hardtanh_": (lambda F, x: F.hardtanh_(x, -0.5, 0.7), lambda F, x: F.hardtanh(x, -0.5, 0.7)),
    "threshold_": (lambda F, x: F.threshold_(x, 0.1, -2.0), lambda F, x: F.threshold(x, 0.1, -2.0)),
    "selu_": (lambda F, x: F.selu_(x), lambda F, x: F.selu(x)),
    "celu_": (lambda F, x: F.celu_(x, 1.5), lambda F, x: F.celu(x, 1.5)),
    # the inplace=True flags: PyTorch's functions write over their input with it
    "relu(inplace)": (lambda F, x: F.relu(x, inplace=True), lambda F, x: F.relu(x)),
    "leaky_relu(inplace)": (lambda F, x: F.leaky_relu(x, 0.2, True),
                            lambda F, x: F.leaky_relu(x, 0.2)),
    "elu(inplace)": (lambda F, x: F.elu(x, 0.5, True), lambda F, x: F.elu(x, 0.5)),
    "hardtanh(inplace)": (lambda F, x: F.hardtanh(x, -0.5, 0.7, True),
                          lambda F, x: F.hardtanh(x, -0.5, 0.7)),
    "relu6(inplace)": (lambda F, x: F.relu6(x, inplace=True), lambda F, x: F.relu6(x)),
    "silu(inplace)": (lambda F, x: F.silu(x, inplace=True), lambda F, x: F.silu(x)),
    "selu(inplace)": (lambda F, x: F.selu(x, True), lambda F, x: F.selu(x)),
    "celu(inplace)": (lambda F, x: F.celu(x, 1.5, True), lambda F, x: F.celu(x, 1.5)),
    "mish(inplace)": (lambda F, x: F.mish(x, inplace=True), lambda F, x: F.mish(x)),
    "hardsigmoid(inplace)": (lambda F, x: F.hardsigmoid(x, True), lambda F, x: F.hardsigmoid(x)),
    "hardswish(inplace)": (lambda F, x: F.hardswish(x, True), lambda F, x: F.hardswish(x)),
    "threshold(inplace)": (lambda F, x: F.threshold(x, 0.1, -2.0, True),
                           lambda F, x: F.threshold(x, 0.1, -2.0)),
    "rrelu(inplace)": (lambda F, x: F.rrelu(x, 0.1, 0.3, False, True),
                       lambda F, x: F.rrelu(x, 0.1, 0.3, False)),
}
# torch's hardsigmoid backward multiplies by 1/6 rounded to float32, in float64 too
TORCH_RTOL = {"hardsigmoid(inplace)": 1e-7}
# the name an error about each case gives (its key's, up to the first parenthesis, + "_")
ERROR_NAMES = {name: name.split("(")[0].rstrip("_") + "_" for name in CASES}
VALUES = np.array([[-1.5, -0.2, 0.05, 0.3, 7.0], [0.8, -0.9, 1.7, -3.5, 4.0]])


@pytest.mark.parametrize("name", CASES)
def test_the_input_holds_the_result_and_is_returned(name):
    in_place, reference = CASES[name]
    x = cr.tensor(VALUES)
    assert in_place(F, x) is x
    np.testing.assert_array_equal(x.numpy(), reference(F, cr.tensor(VALUES)).numpy())


@pytest.mark.parametrize("name", CASES)
def test_gradients_flow_through_the_change_as_through_the_out_of_place_form(name):
    in_place, reference = CASES[name]
    leaf = cr.tensor(VALUES, requires_grad=True)
    hidden = leaf * 2.0
    in_place(F, hidden)
    (hidden * hidden).sum().backward()
    expected = cr.tensor(VALUES, requires_grad=True)
    out = reference(F, expected * 2.0)
    (out * out).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), expected.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_a_leaf_that_requires_grad_is_refused(name):
    with pytest.raises(RuntimeError, match=ERROR_NAMES[name]):
        CASES[name][0](F, cr.tensor(VALUES, requires_grad=True))


@pytest.mark.parametrize("name", CASES)
def test_values_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = cr.tensor(VALUES), torch.tensor(VALUES)
    ours_out = CASES[name][0](F, ours)
    theirs_out = CASES[name][0](torch.nn.functional, theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_out.numpy(), theirs_out.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_gradients_match_torch(name):
    """Through a graph tensor changed in place, float64: torch's gradient."""
    torch = pytest.importorskip("torch")
    weights = np.linspace(-1.0, 2.0, VALUES.size).reshape(VALUES.shape)
    grads = []
    for lib, F_ in ((cr, F), (torch, torch.nn.functional)):
        leaf = lib.tensor(VALUES, requires_grad=True)
        hidden = leaf * 2.0
        out = CASES[name][0](F_, hidden)
        (out * lib.tensor(weights)).sum().backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=TORCH_RTOL.get(name, 1e-12), atol=1e-15)


# ------------------------------------------------------------- ReLU in place: one pass, no copy


def allocated_peak(call) -> int:
    """The bytes NumPy allocated at the peak of ``call()`` above what was allocated before."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        call()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("recorded", [True, False])
def test_relu_in_place_allocates_no_array(recorded):
    """ReLU's backward reads only its output, so writing it over the input needs neither a
    copy of the old values nor a new array (the out-of-place form allocates one)."""
    leaf = cr.randn(256, 1024, requires_grad=recorded)  # 1 MiB of float32
    hidden = leaf * 1.0
    size = hidden.data.nbytes
    assert allocated_peak(lambda: F.relu(hidden)) >= size  # the measure sees an array
    assert allocated_peak(lambda: F.relu(hidden, inplace=True)) < size // 8
    assert hidden.requires_grad is recorded


def test_relu_in_place_gradcheck_float64():
    def relu_over_a_product(a):
        return F.relu(a * 1.5, inplace=True)
    leaf = cr.tensor(VALUES + 0.01, requires_grad=True)  # away from the kink
    assert cr.gradcheck(relu_over_a_product, (leaf,))


def test_relu_in_place_without_grad_bumps_the_version():
    x = cr.tensor(VALUES)
    version = x._version
    assert F.relu(x, inplace=True) is x
    np.testing.assert_array_equal(x.numpy(), np.maximum(VALUES, 0))
    assert x._version == version + 1


def test_a_bool_tensor_is_refused_like_its_out_of_place_form():
    with pytest.raises(TypeError, match="bool"):
        F.relu(cr.tensor([True, False]), inplace=True)


# ------------------------------------------------------------------ the rules of in-place


def test_a_tensor_used_before_the_change_refuses_backward_like_torch():
    torch = pytest.importorskip("torch")
    for lib, F_ in ((cr, F), (torch, torch.nn.functional)):
        hidden = lib.tensor(VALUES, requires_grad=True) * 2.0
        square = hidden * hidden  # saves hidden's values, which then change
        F_.relu(hidden, inplace=True)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|in-place"):
            square.sum().backward()


def test_an_output_its_own_node_saved_keeps_its_gradient():
    """exp saves its output; ReLU in place then overwrites it. chainrule keeps the old values
    for exp's backward (PyTorch refuses this backward instead)."""
    weights = cr.tensor(np.linspace(-1.0, 1.0, VALUES.size).reshape(VALUES.shape))
    grads = []
    for inplace in (True, False):
        leaf = cr.tensor(VALUES, requires_grad=True)
        out = F.relu(leaf.exp() - 1.5, inplace=inplace)
        (out * weights).sum().backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_a_recorded_view_of_another_tensor_is_refused_with_the_way_out():
    """PyTorch rewrites the base's history here; chainrule refuses and says what to do."""
    hidden = cr.tensor(VALUES, requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match=r"clone\(\) it first"):
        F.relu(hidden[0], inplace=True)
    F.relu(hidden[0].clone(), inplace=True)  # the way out works


def test_an_integer_input_to_a_float_activation_is_refused_like_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.nn.functional.elu(torch.tensor([1, -2]), inplace=True)
    x = cr.tensor([1, -2])
    with pytest.raises(RuntimeError, match="cannot be written into a int64 tensor"):
        F.elu(x, inplace=True)
    assert x.tolist() == [1, -2]  # nothing written


# ------------------------------------------------------------------------- dropout in place

DROPOUTS = {  # name -> (call(x, inplace, generator), input shape)
    "dropout": (lambda x, inplace, g: F.dropout(x, 0.4, True, inplace, generator=g),
                (2, 3, 4, 5)),
    "dropout1d": (lambda x, inplace, g: F.dropout1d(x, 0.4, True, inplace, generator=g),
                  (3, 4, 5)),
    "dropout2d": (lambda x, inplace, g: F.dropout2d(x, 0.4, True, inplace, generator=g),
                  (2, 3, 4, 5)),
    "dropout3d": (lambda x, inplace, g: F.dropout3d(x, 0.4, True, inplace, generator=g),
                  (2, 3, 4, 5, 6)),
    "alpha_dropout": (lambda x, inplace, g: F.alpha_dropout(x, 0.4, True, inplace, generator=g),
                      (2, 3, 4, 5)),
    "feature_alpha_dropout": (lambda x, inplace, g: F.feature_alpha_dropout(
        x, 0.4, True, inplace, generator=g), (2, 3, 4, 5)),
}


def seeded():
    return np.random.default_rng(7)


@pytest.mark.parametrize("name", DROPOUTS)
def test_dropout_in_place_writes_what_the_out_of_place_form_returns(name):
    call, shape = DROPOUTS[name]
    values = np.random.default_rng(0).normal(size=shape)
    want = call(cr.tensor(values), False, seeded()).numpy()
    assert not np.array_equal(want, values)  # the draw changed something
    x = cr.tensor(values)
    assert call(x, True, seeded()) is x
    np.testing.assert_array_equal(x.numpy(), want)


@pytest.mark.parametrize("name", DROPOUTS)
def test_dropout_in_place_gradient_is_the_out_of_place_forms(name):
    call, shape = DROPOUTS[name]
    values = np.random.default_rng(1).normal(size=shape)
    grads = []
    for inplace in (True, False):
        leaf = cr.tensor(values, requires_grad=True)
        out = call(leaf * 1.0, inplace, seeded())
        (out * out).sum().backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-14)


def test_dropout_takes_inplace_as_its_fourth_argument_like_torch():
    x = cr.ones(1000)
    assert F.dropout(x, 0.5, True, True) is x
    assert set(np.unique(x.numpy())) == {0.0, 2.0}


@pytest.mark.parametrize("name", DROPOUTS)
def test_dropout_in_place_when_not_training_returns_the_input_unchanged(name):
    x = cr.tensor(np.random.default_rng(2).normal(size=DROPOUTS[name][1]))
    before = x.numpy().copy()
    assert getattr(F, name)(x, 0.4, False, True) is x
    np.testing.assert_array_equal(x.numpy(), before)


# ------------------------------------------------------------------------------- modules

MODULES = [
    lambda: cr.nn.ReLU(inplace=True), lambda: cr.nn.LeakyReLU(0.2, inplace=True),
    lambda: cr.nn.ELU(0.5, inplace=True), lambda: cr.nn.Hardtanh(-0.5, 0.7, inplace=True),
    lambda: cr.nn.ReLU6(inplace=True), lambda: cr.nn.SiLU(inplace=True),
    lambda: cr.nn.SELU(inplace=True), lambda: cr.nn.CELU(1.5, inplace=True),
    lambda: cr.nn.Mish(inplace=True), lambda: cr.nn.Hardsigmoid(inplace=True),
    lambda: cr.nn.Hardswish(inplace=True), lambda: cr.nn.Threshold(0.1, -2.0, inplace=True),
    lambda: cr.nn.RReLU(0.1, 0.3, inplace=True).eval(),
    lambda: cr.nn.Dropout(0.4, inplace=True), lambda: cr.nn.Dropout2d(0.4, inplace=True),
    lambda: cr.nn.Dropout3d(0.4, inplace=True),
]


@pytest.mark.parametrize("make", MODULES, ids=lambda make: repr(make()))
def test_modules_with_inplace_change_their_input_as_torch_does(make):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(3).normal(size=(2, 3, 4, 5))
    theirs = getattr(torch.nn, type(make()).__name__)
    ours = make()
    x = cr.tensor(values)
    out = ours(x)
    assert out is x and not np.array_equal(x.numpy(), values)  # cr.tensor copied values
    t = torch.tensor(values)
    assert theirs(**_torch_settings(ours)).train(ours.training)(t) is t  # torch does the same
    if "Dropout" not in type(ours).__name__:  # deterministic: the same values as torch
        np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-12)


@pytest.mark.parametrize("module", [cr.nn.AlphaDropout, cr.nn.FeatureAlphaDropout])
def test_alpha_dropout_modules_ignore_inplace_as_torch_does(module):
    """torch's AlphaDropout and FeatureAlphaDropout store inplace but never pass it on."""
    torch = pytest.importorskip("torch")
    t = torch.ones(2, 3, 4)
    assert getattr(torch.nn, module.__name__)(0.4, inplace=True)(t) is not t
    x = cr.ones(2, 3, 4)
    assert module(0.4, inplace=True)(x) is not x
    assert x.numpy().tolist() == np.ones((2, 3, 4)).tolist()


def _torch_settings(module) -> dict:
    """The constructor arguments of a chainrule activation, by PyTorch's names."""
    names = ("negative_slope", "alpha", "min_val", "max_val", "threshold", "value", "lower",
             "upper", "p", "inplace")
    if type(module).__name__ == "ReLU6":
        names = ("inplace",)
    return {n: getattr(module, n) for n in names if hasattr(module, n)}

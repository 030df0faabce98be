"""The lazy convolutions and norms against torch 2.13: the size each takes from its first input,
the class it becomes, its outputs and gradients (from the same weights), its reprs, loading a
state_dict before the first forward, and the errors; and that a seeded run draws what the eager
layer built with the same seed draws."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from tests.optional import needs_torch, torch

CONVS = ["LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
         "LazyConvTranspose2d", "LazyConvTranspose3d"]
NORMS = ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
         "LazyInstanceNorm2d", "LazyInstanceNorm3d"]
CONV_OPTIONS = [{}, {"stride": 2, "padding": 1, "dilation": 2, "groups": 2, "bias": False}]
NORM_OPTIONS = [{}, {"affine": False}, {"track_running_stats": False},
                {"bias": False, "momentum": None, "eps": 1e-3}]


def dims(name):
    return int(name[-2])


def sample(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def conv_input(name, channels=6, batched=True, seed=0):
    shape = (channels,) + (5,) * dims(name)
    return sample((2, *shape) if batched else shape, seed)


def norm_input(name, channels=3, batched=True):
    spatial = {1: (4,), 2: (3, 4), 3: (2, 3, 4)}[dims(name)]
    if name == "LazyBatchNorm1d" and not batched:  # (N, C): the other layout it takes
        return sample((5, channels))
    unbatched = "Instance" in name and not batched
    return sample(((channels,) if unbatched else (4, channels)) + spatial)


def state_arrays(module):
    return {key: value.detach().numpy() for key, value in module.state_dict().items()}


def forward_backward(lib, layer, x):
    """``layer``'s forward on ``x`` (float64) and its backward for a fixed random upstream
    gradient: (output, input gradient), as arrays."""
    xt = lib.tensor(x.copy(), dtype=lib.float64, requires_grad=True)
    y = layer(xt)
    (y * lib.tensor(sample(tuple(y.shape), seed=9), dtype=lib.float64)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy()


def copy_into_torch(ours, theirs):
    """Give torch's (materialised) layer our layer's parameter and buffer values."""
    with torch.no_grad():
        for key, value in state_arrays(ours).items():
            getattr(theirs, key).copy_(torch.from_numpy(value.copy()))


def assert_close(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------ convolutions


@needs_torch
@pytest.mark.parametrize("options", CONV_OPTIONS, ids=["defaults", "grouped"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("name", CONVS)
def test_a_lazy_conv_infers_in_channels_and_computes_what_torch_computes(name, batched,
                                                                        options):
    ours = getattr(nn, name)(4, 3, dtype=cr.float64, **options)
    theirs = getattr(torch.nn, name)(4, 3, dtype=torch.float64, **options)
    assert repr(ours) == repr(theirs) and ours.in_channels == theirs.in_channels
    weight, bias = ours.weight, ours.bias
    x = conv_input(name, batched=batched)
    y_ours, gx_ours = forward_backward(cr, ours, x)  # the first forward, the lazy one
    theirs(torch.from_numpy(x))  # materialises torch's layer, whose values we then replace
    copy_into_torch(ours, theirs)
    y_theirs, gx_theirs = forward_backward(torch, theirs, x)
    assert type(ours).__name__ == type(theirs).__name__ == name.replace("Lazy", "")
    assert ours.in_channels == theirs.in_channels == 6 and repr(ours) == repr(theirs)
    assert ours.weight is weight and ours.bias is bias and type(weight) is nn.Parameter
    assert ours.weight.shape == tuple(theirs.weight.shape)
    assert_close(y_ours, y_theirs)
    assert_close(gx_ours, gx_theirs)
    assert_close(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    assert (ours.bias is None) == (theirs.bias is None)
    if ours.bias is not None:
        assert_close(ours.bias.grad.numpy(), theirs.bias.grad.numpy())


@pytest.mark.parametrize("options", CONV_OPTIONS, ids=["defaults", "grouped"])
@pytest.mark.parametrize("name", CONVS)
def test_a_seeded_first_forward_draws_what_the_eager_layer_draws(name, options):
    x = cr.from_numpy(conv_input(name).astype(np.float32))  # made before seeding
    cr.manual_seed(7)
    lazy = getattr(nn, name)(4, 3, **options)
    lazy(x)
    cr.manual_seed(7)
    eager = getattr(nn, name.replace("Lazy", ""))(6, 4, 3, **options)
    for key, value in state_arrays(eager).items():
        assert np.array_equal(state_arrays(lazy)[key], value), key
    fan_in = lazy.weight.shape[1] * 3 ** dims(name)
    assert 0 < np.abs(lazy.weight.data).max() <= 1 / np.sqrt(fan_in)  # drawn, in bounds
    assert np.unique(lazy.weight.data).size == lazy.weight.numel()


@needs_torch
def test_a_transposed_conv_takes_output_size_on_its_first_forward_too():
    x = conv_input("LazyConvTranspose2d").astype(np.float32)
    ours, theirs = nn.LazyConvTranspose2d(4, 3, stride=2), torch.nn.LazyConvTranspose2d(4, 3,
                                                                                        stride=2)
    y = ours(cr.from_numpy(x), output_size=[12, 12])
    assert y.shape == tuple(theirs(torch.from_numpy(x), output_size=[12, 12]).shape)
    assert repr(ours) == repr(theirs)


@needs_torch
@pytest.mark.parametrize("name", ["LazyConv2d", "LazyBatchNorm2d", "LazyLinear"])
def test_hooks_and_an_optimizer_built_before_see_one_call_and_the_same_tensors(name):
    calls = {"cr": 0, "torch": 0}
    args = {"LazyConv2d": (4, 3), "LazyBatchNorm2d": (), "LazyLinear": (4,)}[name]
    for lib, key in ((nn, "cr"), (torch.nn, "torch")):
        layer = getattr(lib, name)(*args)
        layer.register_forward_hook(lambda *_, key=key: calls.__setitem__(key, calls[key] + 1))
        layer(cr.randn(2, 3, 5, 5) if key == "cr" else torch.randn(2, 3, 5, 5))
    assert calls["cr"] == calls["torch"]
    layer = getattr(nn, name)(*args)
    params = list(layer.parameters())
    optimizer = cr.optim.SGD(params, lr=0.5)
    layer(cr.randn(2, 3, 5, 5)).sum().backward()
    before = [p.data.copy() for p in params]
    optimizer.step()
    assert [id(p) for p in layer.parameters()] == [id(p) for p in params]
    assert all(not np.array_equal(b, p.data) for b, p in zip(before, params))


# ------------------------------------------------------------ norms


@needs_torch
@pytest.mark.parametrize("options", NORM_OPTIONS,
                         ids=["defaults", "no-affine", "no-running-stats", "no-bias"])
@pytest.mark.parametrize("name", NORMS)
def test_a_lazy_norm_infers_num_features_and_computes_what_torch_computes(name, options):
    ours = getattr(nn, name)(dtype=cr.float64, **options)
    theirs = getattr(torch.nn, name)(dtype=torch.float64, **options)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [type(b).__name__ for b in ours.buffers()] == \
        [type(b).__name__ for b in theirs.buffers()]
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()
    tensors = {name: t for name, t in [*ours.named_parameters(), *ours.named_buffers()]}
    x = norm_input(name)
    y_ours, gx_ours = forward_backward(cr, ours, x)
    y_theirs, gx_theirs = forward_backward(torch, theirs, x)
    assert type(ours).__name__ == type(theirs).__name__ == name.replace("Lazy", "")
    assert ours.num_features == theirs.num_features == 3 and repr(ours) == repr(theirs)
    assert all(getattr(ours, key) is value for key, value in tensors.items())
    assert_close(y_ours, y_theirs)
    assert_close(gx_ours, gx_theirs)
    for key, value in state_arrays(theirs).items():  # running statistics after one batch
        assert_close(state_arrays(ours)[key], value)
    for key, param in theirs.named_parameters():
        assert_close(getattr(ours, key).grad.numpy(), param.grad.numpy())


@needs_torch
@pytest.mark.parametrize("name", NORMS)
def test_without_parameters_or_statistics_a_norm_still_takes_num_features(name):
    """Departure: torch's layer keeps num_features=0 (and its instance norm then warns on every
    call); ours becomes the eager layer of the input's channels, as torch's would be built."""
    ours = getattr(nn, name)(affine=False, track_running_stats=False)
    x = norm_input(name)
    y = ours(cr.from_numpy(x))
    eager = getattr(torch.nn, name.replace("Lazy", ""))(3, affine=False,
                                                        track_running_stats=False)
    assert repr(ours) == repr(eager)
    np.testing.assert_allclose(y.numpy(), eager(torch.from_numpy(x)).numpy(), rtol=1e-6,
                               atol=1e-6)


@needs_torch
@pytest.mark.parametrize("name", ["LazyBatchNorm1d", *NORMS[3:]])
def test_the_other_layout_a_norm_takes(name):
    """(N, C) for batch norm; an unbatched (C, ...) for instance norm, whose channels are dim 0
    (torch 2.13's lazy instance norm reads dim 1 and then refuses the input: a departure)."""
    x = norm_input(name, batched=False)
    ours = getattr(nn, name)(dtype=cr.float64)
    eager = getattr(torch.nn, name.replace("Lazy", ""))(3, affine=True,
                                                        track_running_stats=True,
                                                        dtype=torch.float64)
    y_ours, gx_ours = forward_backward(cr, ours, x)
    y_eager, gx_eager = forward_backward(torch, eager, x)
    assert ours.num_features == 3 and repr(ours) == repr(eager)
    assert_close(y_ours, y_eager)
    assert_close(gx_ours, gx_eager)
    for key, value in state_arrays(eager).items():
        assert_close(state_arrays(ours)[key], value)


# ------------------------------------------------------------ state_dict before the first forward


def torch_source(name, options):
    """torch's eager layer for ``name`` with 6 input channels (3 features), its parameters
    random and, for a norm, its running statistics moved by one training batch."""
    torch.manual_seed(0)
    eager = getattr(torch.nn, name.replace("Lazy", ""))
    if "Conv" in name:
        return eager(6, 4, 3, dtype=torch.float64, **options)
    layer = eager(3, affine=True, track_running_stats=True, dtype=torch.float64, **options)
    with torch.no_grad():
        for param in layer.parameters():
            param.uniform_(0.5, 1.5)
    layer(torch.from_numpy(norm_input(name)))
    return layer


@needs_torch
@pytest.mark.parametrize("name", CONVS + NORMS)
def test_loading_before_the_first_forward_gives_torchs_values_and_outputs(name):
    options = CONV_OPTIONS[1] if "Conv" in name else {}
    args = (4, 3) if "Conv" in name else ()
    source = torch_source(name, options)
    arrays = state_arrays(source)
    model = nn.Sequential(getattr(nn, name)(*args, dtype=cr.float64, **options))
    tensors = list(model[0].parameters())
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    model.load_state_dict({f"0.{key}": value for key, value in arrays.items()})
    theirs = getattr(torch.nn, name)(*args, dtype=torch.float64, **options)
    theirs.load_state_dict(source.state_dict())
    ours = model[0]
    assert type(ours).__name__ == name.replace("Lazy", "") and repr(ours) == repr(source)
    assert [id(t) for t in ours.parameters()] == [id(t) for t in tensors] == \
        [id(t) for t in optimizer.param_groups[0]["params"]]
    for key, value in state_arrays(theirs).items():
        assert np.array_equal(state_arrays(ours)[key], value), key
        assert not np.shares_memory(getattr(ours, key).data, arrays[key])
    x = conv_input(name) if "Conv" in name else norm_input(name)
    # torch's loaded lazy layer keeps its size 0 (its instance norms then refuse every input):
    # the output is compared with the layer the checkpoint came from
    ours.eval(), source.eval()
    assert_close(forward_backward(cr, ours, x)[0], forward_backward(torch, source, x)[0])


@pytest.mark.parametrize("name", ["LazyConv2d", "LazyConvTranspose1d"])
def test_a_conv_tensor_the_checkpoint_lacks_is_drawn_by_the_first_forward(name):
    layer = getattr(nn, name)(4, 3, groups=2)
    eager = getattr(nn, name.replace("Lazy", ""))(6, 4, 3, groups=2)
    weight = sample(eager.weight.shape, seed=3).astype(np.float32)
    result = layer.load_state_dict({"weight": weight}, strict=False)
    assert result.missing_keys == ["bias"] and type(layer).__name__ == name
    assert isinstance(layer.bias, nn.UninitializedParameter) and layer.in_channels == 0
    layer(cr.from_numpy(conv_input(name).astype(np.float32)))
    assert type(layer) is type(eager) and layer.in_channels == 6
    assert np.array_equal(layer.weight.data, weight)  # loaded values kept
    fan_in = weight.shape[1] * 3 ** dims(name)
    assert 0 < np.abs(layer.bias.data).max() <= 1 / np.sqrt(fan_in)  # drawn as the eager layer


def test_a_norm_tensor_the_checkpoint_lacks_starts_as_the_eager_layers():
    layer = nn.LazyBatchNorm1d()
    weight = np.array([2.0, 3.0, 4.0], np.float32)
    result = layer.load_state_dict({"weight": weight, "num_batches_tracked": np.array(7)},
                                   strict=False)
    assert sorted(result.missing_keys) == ["bias", "running_mean", "running_var"]
    assert isinstance(layer.running_mean, nn.UninitializedBuffer)
    layer.eval()
    x = sample((5, 3)).astype(np.float32)
    y = layer(cr.from_numpy(x))
    assert type(layer) is nn.BatchNorm1d and layer.num_features == 3
    assert np.array_equal(layer.weight.data, weight) and int(layer.num_batches_tracked) == 7
    fresh = nn.BatchNorm1d(3).eval()
    with cr.no_grad():
        fresh.weight.data[...] = weight
    np.testing.assert_allclose(y.detach().numpy(), fresh(cr.from_numpy(x)).detach().numpy(),
                               rtol=1e-6)


# ------------------------------------------------------------ errors


@pytest.mark.parametrize(("name", "shape", "expected"), [
    ("LazyConv1d", (2, 3, 4, 5), "3-D input .N, C, L. or an unbatched 2-D"),
    ("LazyConv2d", (2, 3), "4-D input .N, C, H, W. or an unbatched 3-D"),
    ("LazyConvTranspose3d", (2, 3, 4), "5-D input .N, C, D, H, W. or an unbatched 4-D"),
    ("LazyBatchNorm1d", (3,), "2-D .N, C. or 3-D .N, C, L. input, got a 1-D"),
    ("LazyBatchNorm2d", (2, 3, 4), "4-D .N, C, H, W. input, got a 3-D"),
    ("LazyInstanceNorm2d", (2, 3), "4-D .N, C, H, W. or an unbatched 3-D .C, H, W. input"),
])
def test_a_wrong_rank_first_input_is_refused_and_changes_nothing(name, shape, expected):
    layer = getattr(nn, name)(4, 3) if "Conv" in name else getattr(nn, name)()
    with pytest.raises(ValueError, match=f"^{name}.*{expected}.*{shape}"):
        layer(cr.randn(*shape))
    assert type(layer).__name__ == name and layer.has_uninitialized_params()
    assert isinstance(layer.weight, nn.UninitializedParameter)


def test_channels_that_groups_does_not_divide_are_refused_and_change_nothing():
    layer = nn.LazyConv2d(4, 3, groups=2)
    with pytest.raises(ValueError, match=r"in_channels=3 must be divisible by groups=2 "
                                         r"\(input of shape \(1, 3, 5, 5\)\)"):
        layer(cr.randn(1, 3, 5, 5))
    assert type(layer) is nn.LazyConv2d and layer.in_channels == 0
    with pytest.raises(ValueError, match="out_channels=5 must be divisible by groups=2"):
        nn.LazyConvTranspose2d(5, 3, groups=2)  # refused when built, as the eager layer


def test_an_input_that_disagrees_with_a_loaded_tensor_is_refused_by_name():
    layer = nn.LazyConv1d(4, 3)
    layer.load_state_dict({"weight": np.zeros((4, 5, 3), np.float32)}, strict=False)
    with pytest.raises(ValueError, match=r"gives in_channels=6, but the weight loaded before, "
                                         r"of shape \(4, 5, 3\), gives 5"):
        layer(cr.randn(2, 6, 7))
    assert type(layer) is nn.LazyConv1d and isinstance(layer.bias, nn.UninitializedParameter)


def test_a_checkpoint_of_inconsistent_shapes_is_refused_whole_and_changes_nothing():
    model = nn.Sequential(nn.LazyBatchNorm1d(), nn.LazyConv2d(4, 3, groups=2),
                          nn.LazyConvTranspose2d(4, 3, groups=2))
    checkpoint = {"0.weight": np.ones(5), "0.bias": np.zeros((5, 1)),
                  "0.running_mean": np.zeros(4), "0.running_var": np.ones(5),
                  "0.num_batches_tracked": np.array(0),
                  "1.weight": np.zeros((4, 3, 2, 2)), "1.bias": np.zeros(4),
                  "2.weight": np.zeros((3, 2, 3, 3)), "2.bias": np.zeros(4)}
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(checkpoint)
    lines = str(error.value).splitlines()[1:]
    assert [line.strip() for line in lines] == [
        "size mismatch for 0.bias: checkpoint has shape (5, 1), LazyBatchNorm1d needs "
        "(num_features,)",
        "size mismatch for 0.running_mean: checkpoint has shape (4,), which gives "
        "num_features=4, but 0.weight's shape (5,) gives 5",
        "size mismatch for 1.weight: checkpoint has shape (4, 3, 2, 2), LazyConv2d("
        "out_channels=4, kernel_size=(3, 3), groups=2) needs (4, in_channels/groups, 3, 3)",
        "size mismatch for 2.weight: checkpoint has shape (3, 2, 3, 3): in_channels=3 must be "
        "divisible by groups=2"]
    assert [type(m).__name__ for m in model] == ["LazyBatchNorm1d", "LazyConv2d",
                                                 "LazyConvTranspose2d"]
    uninitialized = (nn.UninitializedParameter, nn.UninitializedBuffer)
    assert all(isinstance(t, uninitialized) for m in model for t in m.parameters())
    assert isinstance(model[0].running_mean, nn.UninitializedBuffer)

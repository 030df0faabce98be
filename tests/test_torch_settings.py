"""The torch-level names scripts use around the tensors: ``Size``, ``dtype``, the memory
formats (``contiguous``, ``clone`` and ``to`` with ``memory_format=``), the process-wide
switches (deterministic algorithms, float32 matmul precision, inter-op threads) and
``set_printoptions``."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import chainrule as cr
from chainrule import settings
from chainrule.methods import display


@pytest.fixture
def restore():
    """Put back the process-wide state a test changes."""
    saved_settings, saved_print = dict(settings._state), dict(display.OPTIONS)
    yield
    settings._state.update(saved_settings)
    display.OPTIONS.update(saved_print)


def test_size_is_a_tuple_of_ints_with_numel():
    size = cr.Size([2, 3, np.int64(4)])
    assert size == (2, 3, 4) == cr.zeros(2, 3, 4).shape and size.numel() == 24
    assert cr.Size().numel() == 1 and repr(size) == "chainrule.Size([2, 3, 4])"
    with pytest.raises(TypeError, match="every size must be an int"):
        cr.Size([2, 1.5])


def test_dtype_is_the_class_of_every_dtype():
    assert all(isinstance(d, cr.dtype) for d in (cr.float32, cr.int64, cr.bool))
    assert cr.zeros(2).dtype == cr.float32


@pytest.mark.parametrize("fmt,shape", [("channels_last", (2, 3, 4, 5)),
                                       ("channels_last_3d", (2, 3, 2, 4, 5))])
def test_channels_last_keeps_values_shape_and_gradient(fmt, shape):
    memory_format = getattr(cr, fmt)
    values = np.random.default_rng(0).standard_normal(shape)
    x = cr.tensor(values, requires_grad=True)
    for y in (x.contiguous(memory_format=memory_format), x.to(memory_format=memory_format),
              x.clone(memory_format=memory_format)):
        assert y.shape == shape and y.is_contiguous(memory_format=memory_format)
        assert not y.is_contiguous()
        np.testing.assert_array_equal(y.detach().numpy(), values)
        channels_innermost = y.data.strides[1] == y.data.itemsize
        assert channels_innermost
    (x.contiguous(memory_format=memory_format) * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(shape, 3.0))
    y = x.contiguous(memory_format=memory_format)
    assert y.contiguous(memory_format=memory_format) is y
    assert y.clone(memory_format=memory_format) is not y


def test_layout_queries_match_torch():
    torch = pytest.importorskip("torch")
    values = np.arange(120.0).reshape(2, 3, 4, 5)
    for ours, theirs in ((cr.tensor(values), torch.tensor(values)),):
        for fmt in ("contiguous_format", "channels_last"):
            a = ours.contiguous(memory_format=getattr(cr, fmt))
            b = theirs.contiguous(memory_format=getattr(torch, fmt))
            for query in ("contiguous_format", "channels_last"):
                assert a.is_contiguous(memory_format=getattr(cr, query)) == \
                    b.is_contiguous(memory_format=getattr(torch, query))


def test_bad_formats_are_refused_by_name():
    with pytest.raises(RuntimeError, match="channels_last needs a tensor of 4 dimensions"):
        cr.zeros(2, 3).contiguous(memory_format=cr.channels_last)
    with pytest.raises(TypeError, match="memory_format must be one of"):
        cr.zeros(1, 2, 3, 4).to(memory_format="channels_last")
    with pytest.raises(TypeError, match="clone: memory_format must be one of"):
        cr.zeros(2).clone(memory_format=1)
    module = cr.nn.Conv2d(1, 2, 3)
    assert module.to(memory_format=cr.channels_last) is module
    assert pickle.loads(pickle.dumps(cr.channels_last)) is cr.channels_last


def test_switches_are_recorded_and_checked(restore):
    assert not cr.are_deterministic_algorithms_enabled()
    cr.use_deterministic_algorithms(True, warn_only=True)
    assert cr.are_deterministic_algorithms_enabled()
    assert cr.is_deterministic_algorithms_warn_only_enabled()
    with pytest.raises(TypeError, match="mode must be True or False"):
        cr.use_deterministic_algorithms("yes")
    assert cr.get_float32_matmul_precision() == "highest"
    cr.set_float32_matmul_precision("medium")
    assert cr.get_float32_matmul_precision() == "medium"
    with pytest.raises(ValueError, match="'low' is not one of"):
        cr.set_float32_matmul_precision("low")
    assert cr.get_num_interop_threads() >= 1
    cr.set_num_interop_threads(3)
    assert cr.get_num_interop_threads() == 3
    with pytest.raises(ValueError, match="positive int"):
        cr.set_num_interop_threads(0)


def test_the_defaults_are_torchs():
    torch = pytest.importorskip("torch")
    assert cr.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    assert cr.are_deterministic_algorithms_enabled() == \
        torch.are_deterministic_algorithms_enabled()


PRINT_CASES = [
    ({"precision": 2}, [1.123456789, 2.5, 1e-5]),
    ({"precision": 2, "sci_mode": False}, [1.123456789, 2.5, 1e-5]),
    ({"profile": "default"}, [1.123456789, 2.5, 1e-5]),
    ({"profile": "short"}, [1.123456789, 2.5]),
    ({"sci_mode": True}, [1.0, 2.0]),
    ({"sci_mode": False}, [1e-7, 2e9]),
    ({"linewidth": 30}, list(range(20))),
    ({}, [1.5, 2.25]),
    ({}, [100000.0, 1.0]),
]


@pytest.mark.parametrize("options,values", PRINT_CASES)
def test_print_options_print_as_torch_prints(options, values, restore):
    torch = pytest.importorskip("torch")
    saved = (torch._tensor_str.PRINT_OPTS.__dict__.copy())
    try:
        torch.set_printoptions(**options)
        cr.set_printoptions(**options)
        assert repr(cr.tensor(values, dtype=cr.float32)) == \
            repr(torch.tensor(values, dtype=torch.float32))
    finally:
        torch._tensor_str.PRINT_OPTS.__dict__.update(saved)


def test_print_options_summarise_and_refuse_unknown_profiles(restore):
    cr.set_printoptions(threshold=5, edgeitems=1)
    assert repr(cr.arange(10.0)) == "tensor([0., ..., 9.])"
    cr.set_printoptions(profile="full")
    assert "..." not in repr(cr.arange(3000.0))
    with pytest.raises(ValueError, match="profile must be one of"):
        cr.set_printoptions(profile="long")

"""The legacy constructors, maps and post-accumulate-grad hook of ``methods.compat_legacy``,
against torch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from tests.compat_helpers import as_lib, assert_same
from tests.optional import needs_torch, torch

pytestmark = needs_torch

BASE = np.arange(6, dtype=np.float32).reshape(2, 3)


@pytest.mark.parametrize(("what", "make"), [
    ("sizes", lambda lib, t: t.new(2, 3)),
    ("Size", lambda lib, t: t.new(lib.Size([4]))),
    ("nothing", lambda lib, t: t.new()),
    ("zero size", lambda lib, t: t.new(2, 0)),
])
def test_new_with_sizes_is_uninitialised_of_that_shape_and_dtype(what, make):
    ours, theirs = make(chainrule, chainrule.tensor(BASE)), make(torch, torch.tensor(BASE))
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.parametrize("data", [[1, 2], [[1.5, 2.0], [3.0, 4.0]], [True, False],
                                  np.array([7, 8])])
def test_new_with_data_copies_it_in_selfs_dtype(data):
    for base in (BASE, BASE.astype(np.int64)):
        assert_same(chainrule.tensor(base).new(data), torch.tensor(base).new(data))


def test_new_with_a_tensor_views_it():
    x = chainrule.tensor(BASE)
    y = x.new(x)
    assert y is not x and np.shares_memory(y.data, x.data)
    y.add_(1)
    assert x._version == 1


@pytest.mark.parametrize(("args", "error", "message"), [
    ((2.5,), TypeError, "data must be a sequence"),
    (((2, 3),), TypeError, "ambiguous"),
    ((chainrule.arange(3),), TypeError, "expected a float32 tensor"),
])
def test_new_refuses(args, error, message):
    with pytest.raises(error, match=message):
        chainrule.tensor(BASE).new(*args)


def test_new_refuses_other_devices():
    with pytest.raises(RuntimeError, match="'cuda'"):
        chainrule.tensor(BASE).new(2, device="cuda")


@pytest.mark.parametrize(("size", "stride", "kwargs"), [
    ((2, 3), (3, 1), {}),
    ((2, 3), (1, 2), {}),
    ((3, 2), (0, 1), {"dtype": "float64"}),
    ((2, 0), (5, 1), {}),
])
def test_new_empty_strided_has_torchs_shape_strides_and_dtype(size, stride, kwargs):
    theirs_kwargs = {k: getattr(torch, v) for k, v in kwargs.items()}
    ours = chainrule.tensor(BASE).new_empty_strided(size, stride, **kwargs)
    theirs = torch.tensor(BASE).new_empty_strided(size, stride, **theirs_kwargs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.stride() == theirs.stride()
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    ours.fill_(3.0)  # writable, and the whole of it
    assert (ours.data == 3).all()


@pytest.mark.parametrize(("size", "stride", "message"), [
    ((2, 3), (1,), "dimensionality of sizes"),
    ((-2, 3), (3, 1), "negative"),
])
def test_new_empty_strided_refuses(size, stride, message):
    with pytest.raises(RuntimeError, match=message):
        chainrule.tensor(BASE).new_empty_strided(size, stride)
    with pytest.raises(RuntimeError):
        torch.tensor(BASE).new_empty_strided(size, stride)


def test_map_and_map2_match_torch():
    """Values as torch's; chainrule also counts each as an in-place change (its version goes
    up, as for ``apply_``), which torch 2.13's ``map_`` does not."""
    other, third = np.array([10.0, 20.0, 30.0], np.float32), np.float32([[2.0], [3.0]])
    results = []
    for lib in (chainrule, torch):
        x = as_lib(lib, BASE)
        out = x.map_(as_lib(lib, other), lambda a, b: a * b + 1)
        assert out is x
        assert x.map2_(as_lib(lib, other), as_lib(lib, third), lambda a, b, c: a - b / c) is x
        results.append(x)
    assert_same(*results)
    assert results[0]._version == 2


def test_map_keeps_selfs_dtype():
    ours, theirs = chainrule.arange(3), torch.arange(3)
    ours.map_(chainrule.ones(3, dtype=chainrule.int64), lambda a, b: a + b + 0.5)
    theirs.map_(torch.ones(3, dtype=torch.int64), lambda a, b: a + b + 0.5)
    assert_same(ours, theirs)


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: chainrule.tensor(BASE, requires_grad=True).map_(chainrule.tensor(BASE),
                                                             lambda a, b: a),
     RuntimeError, "requires grad"),
    (lambda: chainrule.tensor(BASE).map_(chainrule.ones(4), lambda a, b: a),
     RuntimeError, "does not broadcast"),
    (lambda: chainrule.tensor(BASE).map_(chainrule.arange(3), lambda a, b: a),
     TypeError, "expected a float32 tensor"),
])
def test_map_refuses(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_post_accumulate_grad_hook_sees_the_whole_gradient():
    seen = {}
    for lib in (chainrule, torch):
        leaf = as_lib(lib, BASE, requires_grad=True)
        handle = leaf.register_post_accumulate_grad_hook(
            lambda t, lib=lib: seen.__setitem__(lib.__name__, t.grad.clone()))
        ((leaf * 2).sum() + (leaf * leaf).sum()).backward()
        handle.remove()
        (leaf * 2).sum().backward()  # removed: the hook does not run again
    assert_same(seen["chainrule"], seen["torch"])


def test_post_accumulate_grad_hook_refusals():
    leaf = chainrule.tensor(BASE, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensors"):
        (leaf * 2).register_post_accumulate_grad_hook(lambda t: None)
    handle = leaf.register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="keeps one per tensor"):
        leaf.register_post_accumulate_grad_hook(lambda t: None)
    handle.remove()
    leaf.register_post_accumulate_grad_hook(lambda t: None).remove()  # free again

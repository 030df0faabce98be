"""Gradient hooks (``register_hook``) and the in-place math methods (``exp_``, ``addcmul_``,
...): their values, version counters, refusals, and gradients, against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from tests.optional import needs_torch, torch

VALUES = [0.5, -1.25, 2.0]


def pair(values=VALUES):
    """The same float64 leaf in chainrule and torch."""
    array = np.asarray(values, dtype=np.float64)
    return cr.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def same(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours.detach().numpy() if hasattr(ours, "detach")
                                          else ours), theirs.detach().numpy(), rtol=1e-12)


# ---------------------------------------------------------------- register_hook


@needs_torch
def test_leaf_hook_replaces_the_gradient_and_sees_the_total_once():
    """A leaf used twice: the hook gets the summed gradient once, and its result is stored."""
    results = []
    for x in pair():
        seen = []
        x.register_hook(lambda g, seen=seen: seen.append(g.detach().numpy().copy()) or g * 2)
        (x * 2 + x * x).sum().backward()
        results.append((seen, x.grad.detach().numpy()))
    (ours_seen, ours_grad), (theirs_seen, theirs_grad) = results
    assert len(ours_seen) == len(theirs_seen) == 1
    np.testing.assert_allclose(ours_seen[0], theirs_seen[0])
    np.testing.assert_allclose(ours_grad, theirs_grad)
    np.testing.assert_allclose(ours_grad, 2 * (2 + 2 * np.asarray(VALUES)))  # by hand


@needs_torch
def test_hooks_run_in_registration_order_each_on_the_last_result():
    grads = []
    for x in pair():
        x.register_hook(lambda g: g + 1)
        x.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: None)  # observes only
        (x * 3).sum().backward()
        grads.append(x.grad)
    same(*grads)
    np.testing.assert_allclose(grads[0].numpy(), (3 + 1) * 10)


@needs_torch
def test_intermediate_hook_changes_what_flows_to_the_inputs_and_retain_grad():
    grads = []
    for x in pair():
        m = x * x
        m.retain_grad()
        m.register_hook(lambda g: g * 10)
        (m * 3).sum().backward()
        grads.append((x.grad, m.grad))
    same(grads[0][0], grads[1][0])
    same(grads[0][1], grads[1][1])  # retain_grad keeps the hooked gradient, as torch does
    np.testing.assert_allclose(grads[0][0].numpy(), 30 * 2 * np.asarray(VALUES))


@needs_torch
def test_hook_on_the_root_and_with_autograd_grad():
    outs = []
    for lib, x in zip((cr, torch), pair()):
        m = x * 2
        m.register_hook(lambda g: g * 3)
        outs.append(lib.autograd.grad((m * m).sum(), m)[0])
    same(*outs)
    ours, theirs = pair()
    for y in (ours.sum(), theirs.sum()):
        y.register_hook(lambda g: g * 5)
        y.backward()
    same(ours.grad, theirs.grad)
    np.testing.assert_allclose(ours.grad.numpy(), 5.0)


def test_removed_hook_no_longer_runs_and_remove_twice_is_harmless():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1) or g * 0)
    (x * 2).sum().backward()
    assert calls == [1] and x.grad.tolist() == [0.0, 0.0]
    handle.remove()
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert calls == [1] and x.grad.tolist() == [2.0, 2.0]


def test_a_handle_removes_its_hook_at_the_end_of_a_with_block():
    x = cr.tensor([1.0], requires_grad=True)
    with x.register_hook(lambda g: g * 7):
        (x * 1).sum().backward()
    (x * 1).sum().backward()
    assert x.grad.item() == 8.0


def test_a_hook_runs_in_every_backward():
    x = cr.tensor([1.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    for k in (2.0, 3.0):
        (x * k).sum().backward()
    assert calls == [2.0, 3.0] and x.grad.item() == 5.0


def test_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        cr.tensor([1.0]).register_hook(lambda g: g)
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="callable"):
        x.register_hook(3)
    m = x * 2
    m.register_hook(lambda g: g[:1])
    with pytest.raises(RuntimeError, match=r"shape \(1,\) for a tensor of shape \(2,\)"):
        m.sum().backward()


def test_hooks_do_not_keep_their_tensor_alive():
    import gc
    import weakref

    from chainrule import hooks

    x = cr.tensor([1.0], requires_grad=True)
    x.register_hook(lambda g: g)
    ref = weakref.ref(x)
    key = id(x)
    del x
    gc.collect()
    assert ref() is None and key not in hooks.tensor_hooks


# ---------------------------------------------------------------- in-place methods: values

UNARY_INPLACE = ["exp_", "sigmoid_", "tanh_", "neg_", "abs_", "relu_", "floor_", "ceil_",
                 "round_", "trunc_", "sign_", "reciprocal_", "square_", "sin_", "cos_"]


@needs_torch
@pytest.mark.parametrize("name", UNARY_INPLACE + ["log_", "sqrt_"])
def test_unary_inplace_values_and_version(name):
    values = [0.25, 1.5, 2.5] if name in ("log_", "sqrt_") else [-1.5, 0.25, 2.5]
    ours, theirs = cr.tensor(values), torch.tensor(values)
    view = ours[1:]
    before = ours._version
    assert getattr(ours, name)() is ours
    getattr(theirs, name)()
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert ours._version == before + 1 and view._version == ours._version
    np.testing.assert_array_equal(view.numpy(), ours.numpy()[1:])  # the memory changed


@needs_torch
@pytest.mark.parametrize("call", [
    lambda x, o, lib: x.pow_(2),
    lambda x, o, lib: x.clamp_min_(0.5),
    lambda x, o, lib: x.clamp_max_(0.5),
    lambda x, o, lib: x.addcmul_(o, o, value=2),
    lambda x, o, lib: x.addcdiv_(o, o + 3, value=-1),
    lambda x, o, lib: x.lerp_(o, 0.3),
    lambda x, o, lib: x.fmod_(0.7),
    lambda x, o, lib: x.remainder_(0.7),
], ids=["pow_", "clamp_min_", "clamp_max_", "addcmul_", "addcdiv_", "lerp_", "fmod_",
        "remainder_"])
def test_inplace_with_operands(call):
    results = []
    for lib in (cr, torch):
        x, other = lib.tensor([-1.5, 0.25, 2.5]), lib.tensor([2.0, -1.0, 0.5])
        assert call(x, other, lib) is x
        results.append(x)
    np.testing.assert_allclose(results[0].numpy(), results[1].numpy(), rtol=1e-6)


@needs_torch
def test_inplace_shape_changes():
    for name, args in [("squeeze_", ()), ("unsqueeze_", (0,)), ("transpose_", (0, 1)),
                       ("t_", ())]:
        ours, theirs = cr.ones(2, 1), torch.ones(2, 1)
        assert getattr(ours, name)(*args) is ours
        getattr(theirs, name)(*args)
        assert ours.shape == tuple(theirs.shape), name


# ---------------------------------------------------------------- in-place: autograd rules


def test_inplace_refuses_a_leaf_that_requires_grad_but_not_under_no_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x.exp_()
    with cr.no_grad():
        x.mul_(2).exp_()
    np.testing.assert_allclose(x.detach().numpy(), np.exp([2.0, 4.0]))
    assert x.is_leaf and x.requires_grad


@needs_torch
def test_gradient_through_a_chain_of_inplace_ops_on_a_graph_tensor():
    grads = []
    for x in pair():
        w = x.detach().clone().requires_grad_(True)
        m = x * 2
        m.neg_()  # NOTE: ops whose backward needs no overwritten value, which torch requires
        m.addcmul_(w, x, value=0.5).pow_(2)
        (m * x).sum().backward()
        grads.append((x.grad, w.grad))
    same(grads[0][0], grads[1][0])
    same(grads[0][1], grads[1][1])


def test_inplace_bumps_the_version_so_earlier_users_refuse_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    m = x * 2
    y = m * m  # saves m
    m.exp_()
    assert m._version == 1 and m.grad_fn is not None
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_inplace_on_a_view_of_a_graph_tensor_is_refused():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    m = x * 2
    with pytest.raises(RuntimeError, match="views another tensor's memory"):
        m[0:1].exp_()
    with pytest.raises(RuntimeError, match="views another tensor's memory"):
        m.reshape(2, 1).T.exp_()
    with pytest.raises(RuntimeError, match="views another tensor's memory"):
        cr.zeros(4)[1:].addcmul_(x, x)  # a leaf view, recorded because x requires grad


@needs_torch
@pytest.mark.parametrize("make", [
    lambda lib, a, b: lib.einsum("ij,jk->ik", a, b),  # NumPy returns a view of a temporary
    lambda lib, a, b: (a @ b).amax(0),  # Amax saves its output, which neg_ overwrites
    lambda lib, a, b: (a @ b).sigmoid(),  # so does Sigmoid
    lambda lib, a, b: a.softmax(1) @ b,
])
def test_inplace_after_ops_that_save_or_view_their_output(make):
    """chainrule's in-place result against torch's out-of-place one (torch itself refuses the
    backward after Amax and Sigmoid, whose saved output the in-place op overwrites)."""
    grads = []
    for lib in (cr, torch):
        rng = np.random.default_rng(0)  # no ties in amax
        a = lib.tensor(rng.standard_normal((2, 3)), requires_grad=True)
        b = lib.tensor(rng.standard_normal((3, 4)), requires_grad=True)
        y = make(lib, a, b)
        y = y.neg_().exp_() if lib is cr else y.neg().exp()
        (y * y).sum().backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_inplace_under_no_grad_keeps_the_saved_output_of_the_node_that_made_it():
    x = cr.tensor([0.5, -1.0], requires_grad=True)
    y = x.sigmoid()
    with cr.no_grad():
        y.exp_()
    y.backward(cr.ones(2))  # Sigmoid's backward reads its saved output, kept as it was
    s = 1 / (1 + np.exp(-np.array([0.5, -1.0])))
    np.testing.assert_allclose(x.grad.numpy(), s * (1 - s), rtol=1e-6)


def test_inplace_gives_a_plain_tensor_a_history_when_an_operand_requires_grad():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    acc = cr.zeros(2)
    acc.addcmul_(w, w)
    assert acc.requires_grad and acc.grad_fn is not None
    acc.sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]


def test_inplace_result_must_keep_dtype_and_shape():
    with pytest.raises(RuntimeError, match="cannot be written into a int64 tensor"):
        cr.tensor([1, 2]).exp_()
    with pytest.raises(ValueError, match="cannot be broadcast"):
        cr.zeros(2).lerp_(cr.ones(3), 0.5)
    with pytest.raises(ValueError, match=r"keeps the shape \(2,\)"):
        cr.zeros(2).lerp_(cr.ones(3, 2), 0.5)
    read_only = cr.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="read-only"):
        read_only.exp_()


def test_integer_floor_keeps_its_dtype():
    t = cr.tensor([1, -2])
    assert t.floor().dtype == cr.int64 and t.floor_().tolist() == [1, -2]

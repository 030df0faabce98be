"""``chainrule.func.vmap`` against ``torch.func.vmap``: outputs for in_dims/out_dims of every
form, gradients through it, per-sample gradients of an MLP (``vmap(grad(functional_call))``,
as in PyTorch's tutorial), randomness, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.func as cf
from tests.optional import needs_torch, torch
from tests.test_func import both, same, structure

pytestmark = needs_torch
RNG = np.random.default_rng(11)


def data(*shapes):
    return both([RNG.standard_normal(s) for s in shapes])


def affine(x, w, b):
    return (w @ x) + b


def pair_out(x, y):
    return x * y.sum(), {"s": (x - y).sin()}


CASES = [  # (function, shapes, in_dims, out_dims)
    (affine, [(5, 3), (2, 3), (2,)], (0, None, None), 0),
    (affine, [(3, 5), (2, 3), (5, 2)], (1, None, 0), 1),
    (affine, [(3, 5), (2, 3), (2, 5)], (-1, None, 1), -1),
    (affine, [(4, 3), (4, 2, 3), (4, 2)], 0, 0),
    (pair_out, [(4, 3), (3, 4)], (0, 1), 0),
    (pair_out, [(4, 3), (3, 4)], (0, 1), (1, {"s": 0})),
    (pair_out, [(4, 3), (3,)], (0, None), (0, 1)),
]


@pytest.mark.parametrize("fn, shapes, in_dims, out_dims", CASES)
def test_vmap_matches_torch(fn, shapes, in_dims, out_dims):
    ours_in, theirs_in = data(*shapes)
    ours = cf.vmap(fn, in_dims, out_dims)(*ours_in)
    theirs = torch.func.vmap(fn, in_dims, out_dims)(*theirs_in)
    assert structure(ours) == structure(theirs)
    same(ours, theirs)


def test_vmap_of_nested_inputs_kwargs_and_non_tensors_matches_torch():
    def fn(p, scale, k=1.0):
        return (p["a"] * p["b"][0]).sum() * scale * k

    (a, b), (ta, tb) = data((4, 3), (4,))
    ours = cf.vmap(fn, in_dims=({"a": 1, "b": [None]}, None))({"a": a, "b": [b]}, 2.0, k=3.0)
    theirs = torch.func.vmap(fn, in_dims=({"a": 1, "b": [None]}, None))({"a": ta, "b": [tb]},
                                                                         2.0, k=3.0)
    same(ours, theirs)


def test_nested_vmap_matches_torch():
    (x, y), (tx, ty) = data((3, 4), (5, 4))

    def dot(u, v):
        return (u * v).sum()

    same(cf.vmap(cf.vmap(dot, (None, 0)), (0, None))(x, y),
         torch.func.vmap(torch.func.vmap(dot, (None, 0)), (0, None))(tx, ty))


def test_out_dims_none_for_an_unbatched_output():
    (x, w), (tx, tw) = data((3, 2), (2,))
    ours = cf.vmap(lambda a, b: (a * b, b.sum(), 3), (0, None), (0, None, None))(x, w)
    theirs = torch.func.vmap(lambda a, b: (a * b, b.sum(), 3), (0, None), (0, None, None))(tx, tw)
    same(ours[:2], theirs[:2])
    assert ours[2] == theirs[2] == 3


def test_gradients_flow_through_vmap_as_in_torch():
    (x, w), (tx, tw) = data((4, 3), (2, 3))
    w.requires_grad_(), x.requires_grad_()
    tw.requires_grad_(), tx.requires_grad_()
    cf.vmap(lambda r, m: (m @ r).tanh(), (0, None))(x, w).pow(2).sum().backward()
    torch.func.vmap(lambda r, m: (m @ r).tanh(), (0, None))(tx, tw).pow(2).sum().backward()
    same((x.grad, w.grad), (tx.grad, tw.grad))


def mlp_loss(library):
    def loss(model, params, buffers, x, y):
        batch_x, batch_y = x.unsqueeze(0), y.unsqueeze(0)
        out = library.func.functional_call(model, (params, buffers), (batch_x,))
        return library.nn.functional.cross_entropy(out, batch_y)
    return loss


def test_per_sample_gradients_of_an_mlp_match_torch():
    """PyTorch's per-sample-gradients tutorial: vmap(grad(loss)) over a batch, with the
    model's parameters detached, equals one backward per example."""
    ours_model = cr.nn.Sequential(cr.nn.Linear(5, 8), cr.nn.ReLU(), cr.nn.Linear(8, 3)).double()
    theirs_model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(),
                                       torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for name, p in theirs_model.named_parameters():
            p.copy_(torch.tensor(ours_model.get_parameter(name).data))
    (x,), (tx,) = data((6, 5))
    labels = RNG.integers(0, 3, 6)
    y, ty = cr.tensor(labels), torch.tensor(labels)
    params = {k: v.detach() for k, v in ours_model.named_parameters()}
    tparams = {k: v.detach() for k, v in theirs_model.named_parameters()}
    loss, tloss = mlp_loss(cr), mlp_loss(torch)
    ours = cf.vmap(cf.grad(lambda *a: loss(ours_model, *a)), in_dims=(None, None, 0, 0))(
        params, {}, x, y)
    theirs = torch.func.vmap(torch.func.grad(lambda *a: tloss(theirs_model, *a)),
                             in_dims=(None, None, 0, 0))(tparams, {}, tx, ty)
    assert structure(ours) == structure(theirs)
    same(ours, theirs)
    for i in range(6):  # and each is the gradient of that example alone
        ours_model.zero_grad()
        cr.nn.functional.cross_entropy(ours_model(x[i:i + 1]), y[i:i + 1]).backward()
        np.testing.assert_allclose(ours["0.weight"].data[i], ours_model[0].weight.grad.data)


def test_vmap_randomness():
    x = cr.ones(4, 3)
    with pytest.raises(RuntimeError, match="called random operation while in randomness error"):
        cf.vmap(lambda r: r + cr.rand(3))(x)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        cf.vmap(lambda r: cr.nn.functional.dropout(r, 0.5, True))(x)
    cr.manual_seed(0)
    same_rows = cf.vmap(lambda r: cr.nn.functional.dropout(r, 0.5, True), randomness="same")(
        cr.ones(6, 50)).data
    assert (same_rows == same_rows[0]).all()
    assert (same_rows == 0).any() and (same_rows != 0).any()
    cr.manual_seed(0)
    expected = cr.rand(2)  # 'same' leaves the generator after one slice's draws
    after_same = cr.rand(2)
    cr.manual_seed(0)
    cf.vmap(lambda r: r + cr.rand(2), randomness="same")(cr.ones(3, 2))
    np.testing.assert_array_equal(cr.rand(2).data, after_same.data)
    cr.manual_seed(0)
    different = cf.vmap(lambda r: r * cr.rand(2), randomness="different")(cr.ones(3, 2)).data
    np.testing.assert_array_equal(different[0], expected.data)
    assert not (different == different[0]).all()
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        cf.vmap(lambda r: r, randomness="never")
    cr.rand(1)  # the hook is gone after vmap


@pytest.mark.parametrize("call, match", [
    (lambda f, ones: f.vmap(lambda a: a, in_dims=[0])(ones(2, 3)),
     "expected `in_dims` to be int or a \\(potentially nested\\) tuple"),
    (lambda f, ones: f.vmap(lambda: 1)(), "got no inputs"),
    (lambda f, ones: f.vmap(lambda a, b: a, in_dims=(0,))(ones(2), ones(2)),
     "in_dims is not compatible with the structure of `inputs`"),
    (lambda f, ones: f.vmap(lambda a, b: a)(ones(2), 3),
     "Got in_dim=0 for an input but the input is of type <class 'int'>"),
    (lambda f, ones: f.vmap(lambda a: a, in_dims=2)(ones(2, 3)),
     "expected in_dim to satisfy -2 <= in_dim < 2"),
    (lambda f, ones: f.vmap(lambda a: a, in_dims=(None,))(ones(2)),
     "Expected at least one Tensor to vmap over"),
    (lambda f, ones: f.vmap(lambda a, b: a)(ones(2, 3), ones(3, 2)),
     "got sizes \\[2, 3\\] for the mapped dimension"),
    (lambda f, ones: f.vmap(lambda a: (a, 1))(ones(2)), "must only return Tensors"),
    (lambda f, ones: f.vmap(lambda a: a.sum(), out_dims=None)(ones(2, 3).cumsum(0)),
     "can not return a BatchedTensor when out_dim is None"),
    (lambda f, ones: f.vmap(lambda a: (a, a), out_dims=(0, 0, 0))(ones(2)),
     "out_dims is not compatible with the structure of `outputs`"),
    (lambda f, ones: f.vmap(lambda a: a, out_dims="0")(ones(2)),
     "`out_dims` must be an int, None or a python collection"),
    (lambda f, ones: f.vmap(lambda a: a, chunk_size=0), "chunk_size should be None"),
])
def test_vmap_errors_match_torch(call, match):
    for functions, ones in ((cf, cr.ones), (torch.func, torch.ones)):
        with pytest.raises(ValueError, match=match):
            call(functions, ones)

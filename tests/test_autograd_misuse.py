"""R-ERR-4/R-ERR-5: an in-place change of a saved input is found at backward, whichever tensor
viewing the same memory it was made through; copies keep their own version counter."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

# Every way to get a second Tensor on the same memory: (name, make the view from w: (1, 2)).
VIEWS = {
    "reshape": lambda w: w.reshape(2),
    "view": lambda w: w.view(2),
    "flatten": lambda w: w.flatten(),
    "squeeze": lambda w: w.squeeze(0),
    "unsqueeze": lambda w: w.unsqueeze(0),
    "slice": lambda w: w[:, :1],
    "int index": lambda w: w[0],
    "split": lambda w: w.split(1, dim=1)[1],
    "chunk": lambda w: w.chunk(2, dim=1)[0],
    "T": lambda w: w.T,
    "transpose": lambda w: w.transpose(0, 1),
    "permute": lambda w: w.permute(1, 0),
    "flip": lambda w: w.flip(1),
    "detach": lambda w: w.detach(),
    "view of a detached view": lambda w: w.detach().reshape(2)[1:],
    "Parameter": lambda w: cr.nn.Parameter(w),
}

# Results that copy the memory (so changing them cannot change w).
COPIES = {
    "reshape of a transpose": lambda w: w.T.reshape(-1),
    "index list": lambda w: w[[0]],
    "mask": lambda w: w[w > 0],
    "clone": lambda w: w.clone(),
    "repeat": lambda w: w.repeat(2, 1),
    "cat": lambda w: cr.cat([w, w]),
    "float": lambda w: w.float(),  # w is float64
}


def saved_square(values):
    """w and y = Σ w², whose Mul saved w."""
    w = cr.tensor(values, dtype=cr.float64, requires_grad=True)
    return w, (w * w).sum()


@pytest.mark.parametrize("make", VIEWS.values(), ids=VIEWS.keys())
def test_in_place_change_through_a_view_of_a_saved_input_is_detected(make):
    w, y = saved_square([[1.0, 2.0]])
    with cr.no_grad():
        make(w).mul_(3)
    with pytest.raises(RuntimeError, match=r"input of Mul .*in-place.*version 1; 0"):
        y.backward()


@pytest.mark.parametrize("make", VIEWS.values(), ids=VIEWS.keys())
def test_in_place_change_of_the_base_is_seen_by_a_saved_view(make):
    w = cr.tensor([[1.0, 2.0]], dtype=cr.float64, requires_grad=True)
    v = make(w)
    if not v.requires_grad:  # detached: a leaf of its own, on w's memory
        v.requires_grad_()
    y = (v * v).sum()
    with cr.no_grad():
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_a_saved_broadcast_view_sees_a_change_of_its_base():
    w = cr.tensor([[1.0, 2.0]], dtype=cr.float64, requires_grad=True)
    e = w.expand(3, 2)
    y = (e * e).sum()
    with cr.no_grad():
        w.zero_()
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


@pytest.mark.parametrize("make", COPIES.values(), ids=COPIES.keys())
def test_changing_a_copy_leaves_the_graph_usable(make):
    w, y = saved_square([[1.0, 2.0], [3.0, 4.0]])
    with cr.no_grad():
        make(w).mul_(3)
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[2.0, 4.0], [6.0, 8.0]])


def test_views_share_one_version_that_in_place_changes_advance():
    w = cr.zeros(2, 3)
    v, d = w.T, w.detach()
    d[0] = 1.0
    v.add_(1.0)
    assert w._version == v._version == d._version == 2
    assert w.clone()._version == 0


def test_optimizer_step_is_seen_through_a_view_saved_in_a_graph():
    w = cr.nn.Parameter(cr.ones(2, 2))
    opt = cr.optim.SGD([w], lr=0.1)
    (w.sum()).backward()
    stale = (w.T * w.T).sum()  # Mul saved the view w.T
    opt.step()
    with pytest.raises(RuntimeError, match="in-place"):
        stale.backward()


def test_views_are_detected_as_torch_detects_them():
    torch = pytest.importorskip("torch")
    for name in ("reshape", "view", "slice", "T", "detach", "permute"):
        w, y = saved_square([[1.0, 2.0]])
        t = torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)
        z = (t * t).sum()
        with cr.no_grad(), torch.no_grad():
            VIEWS[name](w).mul_(3)
            VIEWS[name](t).mul_(3)
        with pytest.raises(RuntimeError, match="in-place"):
            y.backward()
        with pytest.raises(RuntimeError, match="inplace"):
            z.backward()

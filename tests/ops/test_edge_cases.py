"""Gradients at kinks and other edge points: chainrule's conventions, each checked against the
value the math (and the convention) gives, and against PyTorch where torch is installed.

The conventions, all PyTorch's (confirmed by ``test_convention_matches_torch``):

* relu'(0) = 0 and abs'(0) = 0;
* clamp passes the gradient where min ≤ x ≤ max, bounds included (also with tensor bounds,
  which then receive the gradient only where x lies strictly outside them);
* maximum/minimum ties split the gradient 0.5 / 0.5;
* amax/amin and the full max()/min() share it equally among tied extrema, as does the ∞-norm;
* max(dim)/min(dim) send it to the returned index, the first extremum;
* pow at base 0: d(x^p)/dx is 0 for p = 0, ∞ for 0 < p < 1, 1 for p = 1, 0 for p > 1, and the
  exponent's gradient there is 0;
* prod with zeros has the exact gradient (the product of the other elements);
* every p-norm has gradient 0 at the zero vector;
* repeated integer indices (getitem, gather) accumulate their gradients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

import chainrule as cr


@dataclass(frozen=True)
class Edge:
    """``op(lib, *tensors)`` with ``lib`` chainrule or torch; ``grads`` of ``op(...).sum()``."""

    name: str
    op: Callable[..., Any]
    inputs: tuple[Any, ...]
    grads: tuple[Any, ...]


THIRD = 1 / 3
EDGES = [
    Edge("relu_at_0", lambda lib, x: x.relu(), ([-1.0, 0.0, 2.0],), ([0, 0, 1],)),
    Edge("abs_at_0", lambda lib, x: x.abs(), ([-1.0, 0.0, 2.0],), ([-1, 0, 1],)),
    Edge("clamp_bounds_inclusive", lambda lib, x: x.clamp(-0.5, 0.5),
         ([-1.0, -0.5, 0.2, 0.5, 1.0],), ([0, 1, 1, 1, 0],)),
    Edge("clamp_min_at_bound", lambda lib, x: x.clamp(min=-0.5), ([-0.5, -0.6, 0.0],),
         ([1, 0, 1],)),
    Edge("clamp_max_at_bound", lambda lib, x: x.clamp(max=0.5), ([0.5, 0.6, 0.0],),
         ([1, 0, 1],)),
    Edge("clamp_tensor_bounds_at_ties",
         lambda lib, x, lo, hi: lib.clamp(x, lo, hi),
         ([-0.5, 0.5, 0.2, 1.0, -1.0], [-0.5] * 5, [0.5] * 5),
         ([1, 1, 1, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 1, 0])),
    Edge("maximum_tie", lambda lib, a, b: lib.maximum(a, b), ([1.0, 2.0], [1.0, 3.0]),
         ([0.5, 0], [0.5, 1])),
    Edge("minimum_tie", lambda lib, a, b: lib.minimum(a, b), ([1.0, 2.0], [1.0, 3.0]),
         ([0.5, 1], [0.5, 0])),
    Edge("amax_ties", lambda lib, x: x.amax(), ([1.0, 3.0, 3.0, -3.0],), ([0, 0.5, 0.5, 0],)),
    Edge("max_full_ties", lambda lib, x: x.max(), ([1.0, 3.0, 3.0, -3.0],),
         ([0, 0.5, 0.5, 0],)),
    Edge("amin_ties", lambda lib, x: x.amin(), ([3.0, 1.0, 1.0],), ([0, 0.5, 0.5],)),
    Edge("min_full_ties", lambda lib, x: x.min(), ([1.0, 3.0, 1.0],), ([0.5, 0, 0.5],)),
    Edge("amax_dim_ties", lambda lib, x: x.amax(1), ([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]],),
         ([[0, 0.5, 0.5], [THIRD, THIRD, THIRD]],)),
    Edge("max_dim_ties_go_to_index", lambda lib, x: x.max(1).values,
         ([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]],), ([[0, 1, 0], [1, 0, 0]],)),
    Edge("min_dim_ties_go_to_index", lambda lib, x: x.min(dim=0).values,
         ([[1.0, 3.0], [1.0, 3.0]],), ([[1, 1], [0, 0]],)),
    Edge("norm_inf_ties", lambda lib, x: x.norm(p=float("inf")), ([1.0, 3.0, 3.0, -3.0],),
         ([0, THIRD, THIRD, -THIRD],)),
    Edge("pow_0_at_0", lambda lib, x: x**0, ([0.0, 2.0],), ([0, 0],)),
    Edge("pow_half_at_0", lambda lib, x: x**0.5, ([0.0],), ([np.inf],)),
    Edge("pow_1_at_0", lambda lib, x: x**1, ([0.0],), ([1],)),
    Edge("pow_2_at_0", lambda lib, x: x**2, ([0.0],), ([0],)),
    Edge("pow_3_at_0", lambda lib, x: x**3, ([0.0],), ([0],)),
    Edge("pow_tensor_at_base_0", lambda lib, a, b: a**b,
         ([0.0, 0.0, 0.0, 0.0], [0.0, 0.5, 1.0, 2.0]), ([0, np.inf, 1, 0], [0, 0, 0, 0])),
    Edge("prod_one_zero", lambda lib, x: x.prod(), ([2.0, 0.0, 3.0],), ([0, 6, 0],)),
    Edge("prod_two_zeros", lambda lib, x: x.prod(), ([2.0, 0.0, 0.0],), ([0, 0, 0],)),
    Edge("prod_single_zero_element", lambda lib, x: x.prod(), ([0.0],), ([1],)),
    Edge("prod_dim_with_zeros", lambda lib, x: x.prod(1),
         ([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 4.0]],),
         ([[0, 6, 0], [0, 0, 0], [8, 4, 2]],)),
    Edge("norm2_zero_vector", lambda lib, x: x.norm(), ([0.0, 0.0, 0.0],), ([0, 0, 0],)),
    Edge("norm1_zero_vector", lambda lib, x: x.norm(p=1), ([0.0, 0.0],), ([0, 0],)),
    Edge("norm3_zero_vector", lambda lib, x: x.norm(p=3), ([0.0, 0.0],), ([0, 0],)),
    Edge("norm_inf_zero_vector", lambda lib, x: x.norm(p=float("inf")), ([0.0, 0.0],),
         ([0, 0],)),
    Edge("norm_dim_zero_row", lambda lib, x: x.norm(dim=1), ([[0.0, 0.0], [3.0, 4.0]],),
         ([[0, 0], [0.6, 0.8]],)),
    Edge("getitem_repeated_indices", lambda lib, x: x[[0, 0, 1]], ([1.0, 2.0, 3.0],),
         ([2, 1, 0],)),
    Edge("getitem_repeated_weighted",
         lambda lib, x: x[[0, 0, 1]] * lib.tensor([1.0, 10.0, 100.0]), ([1.0, 2.0, 3.0],),
         ([11, 100, 0],)),
    Edge("getitem_repeated_rows", lambda lib, x: x[[1, 1, 1, 0]],
         ([[1.0, 2.0], [3.0, 4.0]],), ([[1, 1], [3, 3]],)),
    Edge("getitem_repeated_pairs", lambda lib, x: x[[0, 0, 1], [1, 1, 0]],
         ([[1.0, 2.0], [3.0, 4.0]],), ([[0, 2], [1, 0]],)),
    Edge("gather_repeated_index", lambda lib, x: x.gather(1, lib.tensor([[0, 0, 2], [1, 1, 1]])),
         ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],), ([[2, 0, 1], [0, 3, 0]],)),
]


def grads_of(lib: Any, edge: Edge) -> list[np.ndarray]:
    """Gradients of ``edge.op(...).sum()`` computed by ``lib`` (chainrule or torch)."""
    inputs = [lib.tensor(values, requires_grad=True) for values in edge.inputs]
    edge.op(lib, *inputs).sum().backward()
    return [x.grad.numpy() for x in inputs]


@pytest.mark.parametrize("edge", EDGES, ids=lambda edge: edge.name)
def test_convention(edge):
    for got, want in zip(grads_of(cr, edge), edge.grads):
        np.testing.assert_allclose(got, np.asarray(want, dtype=np.float32), rtol=1e-6)


@pytest.mark.parametrize("edge", EDGES, ids=lambda edge: edge.name)
def test_convention_matches_torch(edge):
    torch = pytest.importorskip("torch")
    for ours, theirs in zip(grads_of(cr, edge), grads_of(torch, edge)):
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_max_dim_returns_the_first_extremum_like_torch():
    torch = pytest.importorskip("torch")
    values = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [5.0, 5.0, 5.0]]
    for dim in (0, 1):
        for name in ("max", "min"):
            ours = getattr(cr.tensor(values), name)(dim)
            theirs = getattr(torch.tensor(values), name)(dim)
            assert ours.indices.tolist() == theirs.indices.tolist()
            assert ours.indices.dtype == cr.int64
    assert cr.tensor(values).max(1).indices.tolist() == [1, 0, 0]


def test_argmax_ties_pick_the_first_like_torch():
    torch = pytest.importorskip("torch")
    values = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]
    assert cr.tensor(values).argmax(1).tolist() == torch.tensor(values).argmax(1).tolist()
    assert cr.tensor(values).argmin().item() == torch.tensor(values).argmin().item()


def test_getitem_accumulates_a_random_upstream_gradient():
    """The gradient of x[idx] scatters with addition: np.add.at is the reference."""
    rng = np.random.default_rng(0)
    index = rng.integers(0, 4, size=20)
    upstream = rng.standard_normal(20)
    x = cr.zeros(4, dtype=cr.float64, requires_grad=True)
    x[index].backward(upstream)
    want = np.zeros(4)
    np.add.at(want, index, upstream)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)


def test_maximum_tie_with_a_broadcast_scalar_splits_then_sums():
    x = cr.tensor([0.0, 0.0, 1.0], requires_grad=True)
    floor = cr.tensor(0.0, requires_grad=True)
    x.maximum(floor).sum().backward()
    assert x.grad.tolist() == [0.5, 0.5, 1.0]
    assert floor.grad.item() == 1.0

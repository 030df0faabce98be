"""``F.layer_norm`` as one node (``ops.layer_norm.LayerNorm``) against the plain formulation:
the normalisation Function (``ops.norm.Normalize``) followed by the affine map as ordinary
broadcast tensor operations. Values and every gradient agree in float64 to 1e-12 of each
array's scale and in float32 within 16 ulps of it (row sums taken in another order)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule.gradcheck import gradcheck
from chainrule.ops.layer_norm import LayerNorm
from chainrule.ops.norm import Normalize


def _plain(x, shape, weight, bias, eps):
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    y = Normalize.apply(x, axes=axes, eps=eps)
    if weight is not None:
        y = y * weight
    return y if bias is None else y + bias


def _run(fn, arrays, g):
    tensors = [None if a is None else cr.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*tensors)
    (y * cr.tensor(g)).sum().backward()
    return [y.detach().numpy()] + [t.grad.numpy() for t in tensors if t is not None]


CASES = [((4, 6, 8), (8,), True, True), ((4, 6, 8), (6, 8), True, True),
         ((5, 8), (8,), True, False), ((5, 8), (8,), False, True), ((3, 2, 8), (8,), False, False)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("strided", [False, True])
@pytest.mark.parametrize("shape, norm, has_w, has_b", CASES)
def test_fused_layer_norm_matches_plain(shape, norm, has_w, has_b, strided, dtype):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3 + 5).astype(dtype)
    if strided:  # a non-contiguous input: every other row of a larger array
        x = np.repeat(x, 2, axis=0)[::2]
    w = rng.standard_normal(norm).astype(dtype) if has_w else None
    b = rng.standard_normal(norm).astype(dtype) if has_b else None
    g = rng.standard_normal(shape).astype(dtype)
    fast = _run(lambda x, w, b: F.layer_norm(x, norm, w, b, 1e-5), [x, w, b], g)
    plain = _run(lambda x, w, b: _plain(x, norm, w, b, 1e-5), [x, w, b], g)
    assert len(fast) == len(plain)
    for a, p in zip(fast, plain):
        assert a.dtype == np.dtype(dtype) and a.shape == p.shape
        scale = max(float(np.abs(p).max()), 1.0)
        tol = 1e-12 if dtype == np.float64 else 16 * np.finfo(np.float32).eps
        np.testing.assert_allclose(a, p, rtol=0, atol=tol * scale)


def test_fused_layer_norm_is_one_node_and_passes_gradcheck():
    rng = np.random.default_rng(1)
    x, w, b = (cr.tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((3, 4, 5), (4, 5), (4, 5)))
    y = F.layer_norm(x, (4, 5), w, b)
    assert y._ctx.fn is LayerNorm
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (4, 5), w, b), (x, w, b))


def test_fused_layer_norm_does_not_alias_its_saved_values():
    """Without γ and β the output is X̂ itself in value; changing it in place must not
    change the gradient (which reads the saved X̂)."""
    rng = np.random.default_rng(2)
    data = rng.standard_normal((3, 6))
    g = rng.standard_normal((3, 6))
    x1, x2 = cr.tensor(data, requires_grad=True), cr.tensor(data, requires_grad=True)
    y1 = F.layer_norm(x1, (6,))
    (y1 * cr.tensor(g)).sum().backward()
    y2 = F.layer_norm(x2, (6,))
    loss = (y2 * cr.tensor(g)).sum()
    with cr.no_grad():
        y2.data[...] = 0
    loss.backward()
    np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())

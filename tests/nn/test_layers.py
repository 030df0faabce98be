"""Linear, Dropout, Embedding, Flatten, Identity: shapes, gradients, modes, errors, parity."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


def test_linear_shapes_init_bounds_and_dtype():
    layer = nn.Linear(20, 7)
    assert layer.weight.shape == (7, 20) and layer.bias.shape == (7,)
    bound = 1 / np.sqrt(20)
    assert np.all(np.abs(layer.weight.data) <= bound)
    assert np.all(np.abs(layer.bias.data) <= bound)
    assert layer.weight.dtype == cr.float32
    assert layer(cr.randn(4, 3, 20)).shape == (4, 3, 7)
    assert layer(cr.randn(4, 20)).dtype == cr.float32


def test_linear_init_is_reproducible_with_the_seed():
    cr.manual_seed(3)
    a = nn.Linear(5, 5).weight.data.copy()
    cr.manual_seed(3)
    np.testing.assert_array_equal(a, nn.Linear(5, 5).weight.data)


def test_linear_matches_the_classic_derivation():
    """y = xWᵀ + b: dL/dW = Gᵀx, dL/db = Σ G, dL/dx = G W (hand-written NumPy reference)."""
    rng = np.random.default_rng(0)
    layer = nn.Linear(3, 2).double()
    x = cr.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    upstream = rng.standard_normal((5, 2))
    y = layer(x)
    y.backward(upstream)
    w, b = layer.weight.data, layer.bias.data
    np.testing.assert_allclose(y.detach().numpy(), x.data @ w.T + b)
    np.testing.assert_allclose(layer.weight.grad.numpy(), upstream.T @ x.data)
    np.testing.assert_allclose(layer.bias.grad.numpy(), upstream.sum(axis=0))
    np.testing.assert_allclose(x.grad.numpy(), upstream @ w)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3), (3,)])
def test_linear_gradcheck(bias, shape):
    layer = nn.Linear(3, 2, bias=bias).double()
    x = cr.randn(*shape, dtype=cr.float64, requires_grad=True)
    params = [layer.weight] + ([layer.bias] if bias else [])

    def run(inp, weight, *rest):
        return cr.functional.linear(inp, weight, rest[0] if rest else None)

    assert cr.gradcheck(run, [x, *params])


def test_linear_fused_op_matches_its_composite():
    rng = np.random.default_rng(1)
    x = cr.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = cr.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = cr.tensor(rng.standard_normal(2), requires_grad=True)
    upstream = rng.standard_normal((4, 2))
    fused = cr.functional.linear(x, w, b)
    fused.backward(upstream)
    grads = [t.grad.numpy().copy() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    composite = x @ w.T + b
    composite.backward(upstream)
    np.testing.assert_allclose(fused.detach().numpy(), composite.detach().numpy())
    for got, t in zip(grads, (x, w, b)):
        np.testing.assert_allclose(got, t.grad.numpy())


def test_linear_wrong_width_names_the_layer_and_both_sizes():
    with pytest.raises(ValueError) as info:
        nn.Linear(4, 3)(cr.randn(2, 5))
    message = str(info.value)
    assert "Linear(in_features=4, out_features=3" in message
    assert "(2, 5)" in message and "in_features=4" in message


def test_linear_refuses_a_silent_dtype_mix():
    with pytest.raises(TypeError, match="float64.*float32"):
        nn.Linear(2, 2)(cr.randn(1, 2, dtype=cr.float64))


def test_linear_parity_with_pytorch_float64():
    torch = pytest.importorskip("torch")
    ours = nn.Linear(6, 4).double()
    theirs = torch.nn.Linear(6, 4).double()
    theirs.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in
                            ours.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((3, 6))
    y = ours(cr.tensor(x))
    ty = theirs(torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-7)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-7)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-7)


def test_dropout_train_zeroes_about_p_and_scales_the_rest():
    drop = nn.Dropout(0.3, generator=np.random.default_rng(0))
    x = cr.ones(20000, requires_grad=True)
    y = drop(x)
    values = y.detach().numpy()
    assert abs(np.mean(values == 0) - 0.3) < 0.02
    np.testing.assert_allclose(np.unique(values), [0.0, 1 / 0.7], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy() == 0, values == 0)


def test_dropout_eval_is_the_identity_and_p_is_validated():
    drop = nn.Dropout(0.9).eval()
    x = cr.randn(10)
    assert drop(x) is x
    with pytest.raises(ValueError, match="1.5"):
        nn.Dropout(1.5)


def test_dropout_masks_follow_the_package_seed():
    cr.manual_seed(7)
    a = nn.Dropout(0.5)(cr.ones(50)).numpy()
    cr.manual_seed(7)
    np.testing.assert_array_equal(a, nn.Dropout(0.5)(cr.ones(50)).numpy())


def test_embedding_lookup_and_repeated_index_gradients():
    emb = nn.Embedding(5, 3)
    idx = cr.tensor([[0, 2, 0], [4, 4, 4]])
    out = emb(idx)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.detach().numpy(), emb.weight.data[idx.numpy()])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [2, 0, 1, 0, 3])


def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    emb = nn.Embedding(4, 2, padding_idx=1)
    assert np.all(emb.weight.data[1] == 0)
    emb(cr.tensor([1, 1, 2])).sum().backward()
    assert np.all(emb.weight.grad.numpy()[1] == 0)
    assert np.all(emb.weight.grad.numpy()[2] == 1)


def test_embedding_rejects_bad_indices():
    emb = nn.Embedding(3, 2)
    with pytest.raises(IndexError, match="index 3.*3 embeddings"):
        emb(cr.tensor([0, 3]))
    with pytest.raises(TypeError, match="integers"):
        emb(cr.tensor([0.0, 1.0]))


def test_embedding_gradient_parity_with_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(6, 4).double()
    theirs = torch.nn.Embedding(6, 4).double()
    theirs.weight.data = torch.from_numpy(ours.weight.data.copy())
    idx = np.array([[1, 5, 1], [0, 1, 2]])
    upstream = np.random.default_rng(0).standard_normal((2, 3, 4))
    ours(cr.tensor(idx)).backward(upstream)
    theirs(torch.from_numpy(idx)).backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-7)


def test_flatten_unflatten_identity():
    x = cr.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)
    assert nn.Identity(54, unused="x")(x) is x

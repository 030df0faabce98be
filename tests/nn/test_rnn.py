"""Recurrent layers: whole-sequence Functions checked by finite differences, and RNN, GRU, LSTM
and their cells against PyTorch (outputs, final states and every gradient), with state dicts
copied both ways."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.ops.rnn import GRUSequence, LSTMSequence, RNNSequence
from tests.optional import needs_torch, torch

T, B, I, H, P = 4, 3, 2, 3, 2


def _t(rng, *shape):
    return cr.tensor(rng.standard_normal(shape), requires_grad=True)


def _mask():
    mask = np.ones((T, B, 1))
    mask[3, 1] = 0
    mask[2:, 2] = 0
    return mask


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("kind", ["tanh", "relu", "gru", "lstm", "lstm_proj", "nobias"])
def test_sequence_functions_gradcheck(kind, reverse, masked):
    rng = np.random.default_rng(0)
    mask = _mask() if masked else None
    x, h0, c0 = _t(rng, T, B, I), _t(rng, B, H), _t(rng, B, H)
    if kind in ("tanh", "relu"):
        inputs = (x, h0, _t(rng, H, I), _t(rng, H, H), _t(rng, H), _t(rng, H))
        fn = lambda *a: RNNSequence.apply(*a, nonlinearity=kind, reverse=reverse, mask=mask)  # noqa: E731
    elif kind == "nobias":
        inputs = (x, h0, _t(rng, 3 * H, I), _t(rng, 3 * H, H))
        fn = lambda *a: GRUSequence.apply(*a, reverse=reverse, mask=mask, has_bias=False)  # noqa: E731
    elif kind == "gru":
        inputs = (x, h0, _t(rng, 3 * H, I), _t(rng, 3 * H, H), _t(rng, 3 * H), _t(rng, 3 * H))
        fn = lambda *a: GRUSequence.apply(*a, reverse=reverse, mask=mask)  # noqa: E731
    elif kind == "lstm":
        inputs = (x, h0, c0, _t(rng, 4 * H, I), _t(rng, 4 * H, H), _t(rng, 4 * H),
                  _t(rng, 4 * H))
        fn = lambda *a: LSTMSequence.apply(*a, reverse=reverse, mask=mask)  # noqa: E731
    else:
        inputs = (x, _t(rng, B, P), c0, _t(rng, 4 * H, I), _t(rng, 4 * H, P), _t(rng, 4 * H),
                  _t(rng, 4 * H), _t(rng, P, H))
        fn = lambda *a: LSTMSequence.apply(*a, reverse=reverse, mask=mask, has_proj=True)  # noqa: E731
    assert cr.gradcheck(fn, inputs)


def test_sequence_function_is_one_graph_node():
    rng = np.random.default_rng(1)
    x, h0 = _t(rng, 50, 2, 3), _t(rng, 2, 4)
    y = RNNSequence.apply(x, h0, _t(rng, 4, 3), _t(rng, 4, 4), _t(rng, 4), _t(rng, 4))
    assert y.grad_fn.fn is RNNSequence
    assert all(p.grad_fn is None for p in y.grad_fn.parents)


# ---------------------------------------------------------------- parity with PyTorch

def _pair(kind, *args, **kwargs):
    """A torch layer and a chainrule layer (float64) with the same weights."""
    ours = getattr(nn, kind)(*args, **kwargs).double()
    theirs = getattr(torch.nn, kind)(*args, **kwargs).double()
    state = {k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)  # ours -> torch
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        assert tuple(v.shape) == tuple(ours.state_dict()[k].shape), k
    return ours, theirs


def _close(a, b, tol=1e-10):
    np.testing.assert_allclose(np.asarray(a.detach().numpy() if hasattr(a, "detach") else a),
                               b.detach().numpy(), rtol=tol, atol=tol)


def _flatten(result):
    out, state = result
    return [out] + (list(state) if isinstance(state, tuple) else [state])


def _compare(ours, theirs, x_np, hx_np=None, seed=0):
    """Outputs, final states, input/state gradients and all parameter gradients."""
    rng = np.random.default_rng(seed)
    x_c = cr.tensor(x_np, requires_grad=True)
    x_t = torch.tensor(x_np, requires_grad=True)
    args_c, args_t, states_c, states_t = [x_c], [x_t], [], []
    if hx_np is not None:
        states_c = [cr.tensor(h, requires_grad=True) for h in hx_np]
        states_t = [torch.tensor(h, requires_grad=True) for h in hx_np]
        args_c.append(tuple(states_c) if len(hx_np) == 2 else states_c[0])
        args_t.append(tuple(states_t) if len(hx_np) == 2 else states_t[0])
    res_c, res_t = _flatten(ours(*args_c)), _flatten(theirs(*args_t))
    loss_c, loss_t = 0, 0
    for a, b in zip(res_c, res_t):
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b)
        g = rng.standard_normal(tuple(b.shape))
        loss_c = loss_c + (a * cr.tensor(g)).sum()
        loss_t = loss_t + (b * torch.tensor(g)).sum()
    loss_c.backward()
    loss_t.backward()
    for a, b in zip([x_c] + states_c, [x_t] + states_t):
        _close(a.grad, b.grad)
    named_t = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.grad, named_t[name].grad)


CONFIGS = [
    dict(num_layers=1),
    dict(num_layers=2),
    dict(num_layers=2, bidirectional=True),
    dict(num_layers=1, bidirectional=True, batch_first=True),
    dict(num_layers=2, bias=False, batch_first=True),
]


@needs_torch
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("kind", ["RNN", "RNN_relu", "GRU", "LSTM", "LSTM_proj"])
@pytest.mark.parametrize("given_state", [False, True])
def test_layers_match_torch(kind, config, given_state):
    torch.manual_seed(0)
    kwargs = dict(config)
    if kind == "RNN_relu":
        kind, kwargs["nonlinearity"] = "RNN", "relu"
    if kind == "LSTM_proj":
        kind, kwargs["proj_size"] = "LSTM", 2
    ours, theirs = _pair(kind, 3, 4, **kwargs)
    rng = np.random.default_rng(3)
    dirs = 2 if kwargs.get("bidirectional") else 1
    n_states = dirs * kwargs["num_layers"]
    x = rng.standard_normal((2, 5, 3) if kwargs.get("batch_first") else (5, 2, 3))
    hx = None
    if given_state:
        hx = [rng.standard_normal((n_states, 2, kwargs.get("proj_size") or 4))]
        if kind == "LSTM":
            hx.append(rng.standard_normal((n_states, 2, 4)))
    _compare(ours, theirs, x, hx)


@needs_torch
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("given_state", [False, True])
def test_unbatched_input_matches_torch(kind, given_state):
    ours, theirs = _pair(kind, 3, 4, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(4)
    hx = None
    if given_state:
        hx = [rng.standard_normal((4, 4))] * (2 if kind == "LSTM" else 1)
    _compare(ours, theirs, rng.standard_normal((5, 3)), hx)


@needs_torch
def test_torch_state_dict_loads_into_chainrule():
    theirs = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2).double()
    ours = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "weight_hr_l1_reverse" in ours.state_dict()
    _compare(ours, theirs, np.random.default_rng(5).standard_normal((4, 2, 3)))


@needs_torch
@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("given_state", [False, True])
def test_cells_match_torch(kind, batched, given_state):
    ours, theirs = _pair(kind, 3, 4)
    rng = np.random.default_rng(6)
    lead = (2,) if batched else ()
    hx = None
    if given_state:
        hx = [rng.standard_normal(lead + (4,)) for _ in range(2 if kind == "LSTMCell" else 1)]
    x = rng.standard_normal(lead + (3,))
    if kind == "LSTMCell":
        _compare(ours, theirs, x, hx)
    else:
        _compare(_StateTuple(ours), _StateTuple(theirs), x, hx)


class _StateTuple:
    """Makes a cell's result (h') look like a layer's (output, h_n) for ``_compare``."""

    def __init__(self, cell):
        self.cell = cell

    def __call__(self, *args):
        h = self.cell(*args)
        return h, h * 2

    def named_parameters(self):
        return self.cell.named_parameters()


@needs_torch
@pytest.mark.parametrize(("bias", "num_chunks"), [(True, 2), (False, 3), (True, 1)])
def test_rnn_cell_base_builds_torchs_parameters(bias, num_chunks):
    ours = nn.RNNCellBase(3, 4, bias, num_chunks, dtype=cr.float64)
    theirs = torch.nn.RNNCellBase(3, 4, bias, num_chunks, dtype=torch.float64)
    assert [(name, tuple(p.shape)) for name, p in ours.named_parameters()] == \
        [(name, tuple(p.shape)) for name, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)
    assert all(np.abs(p.detach().numpy()).max() <= 0.5 for p in ours.parameters())  # 1/√4
    assert all(p.detach().numpy().std() > 0 for p in ours.parameters())  # initialised
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for (name, a), b in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=name)
    with pytest.raises(NotImplementedError, match="RNNCellBase has no forward"):
        ours(cr.randn(2, 3, dtype=cr.float64))


@needs_torch
def test_cells_are_rnn_cell_bases_with_torchs_reprs():
    for name in ("RNNCell", "GRUCell", "LSTMCell"):
        assert issubclass(getattr(torch.nn, name), torch.nn.RNNCellBase)
        assert issubclass(getattr(nn, name), nn.RNNCellBase)
        assert isinstance(getattr(nn, name)(3, 4), nn.RNNCellBase)
    for args, kwargs in [((3, 4), {"nonlinearity": "relu"}), ((3, 4, False), {}),
                         ((3, 4, False), {"nonlinearity": "relu"})]:
        assert repr(nn.RNNCell(*args, **kwargs)) == repr(torch.nn.RNNCell(*args, **kwargs))
    for name in ("GRUCell", "LSTMCell"):
        assert repr(getattr(nn, name)(3, 4, False)) == repr(getattr(torch.nn, name)(3, 4, False))


def test_rnn_cell_base_refusals():
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.RNNCellBase(3, 0, True, 2)
    for chunks in (0, -1, 1.5):
        with pytest.raises(ValueError, match=f"num_chunks must be a positive int, got {chunks}"):
            nn.RNNCellBase(3, 4, True, chunks)
    generated = [nn.RNNCellBase(3, 4, True, 2, generator=np.random.default_rng(0))
                 for _ in range(2)]
    np.testing.assert_array_equal(generated[0].weight_ih.detach().numpy(),
                                  generated[1].weight_ih.detach().numpy())


@needs_torch
def test_truncated_bptt_matches_torch():
    ours, theirs = _pair("LSTM", 3, 4)
    rng = np.random.default_rng(7)
    chunks = [rng.standard_normal((3, 2, 3)) for _ in range(3)]
    state_c, state_t = None, None
    for chunk in chunks:
        out_c, state_c = ours(cr.tensor(chunk), state_c)
        out_t, state_t = theirs(torch.tensor(chunk), state_t)
        out_c.sum().backward()
        out_t.sum().backward()
        state_c = tuple(s.detach() for s in state_c)
        state_t = tuple(s.detach() for s in state_t)
    named_t = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _close(p.grad, named_t[name].grad)


def test_gradient_reaches_initial_states():
    layer = nn.GRU(2, 3).double()
    h0 = cr.zeros(1, 1, 3, dtype=cr.float64, requires_grad=True)
    out, _ = layer(cr.ones(4, 1, 2, dtype=cr.float64), h0)
    out[-1].sum().backward()
    assert h0.grad is not None and np.abs(h0.grad.numpy()).sum() > 0


def test_float32_stays_float32():
    layer = nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    out, (h, c) = layer(cr.randn(4, 2, 2))
    out.sum().backward()
    assert out.dtype == h.dtype == c.dtype == cr.float32
    assert layer.weight_ih_l1_reverse.grad.dtype == cr.float32


@needs_torch
@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_float32_saturated_gates_stay_finite_and_match_torch(kind):
    ours = getattr(nn, kind)(3, 4)
    theirs = getattr(torch.nn, kind)(3, 4)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = (np.random.default_rng(9).standard_normal((6, 2, 3)) * 1e4).astype(np.float32)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_c, out_t = ours(xc)[0], theirs(xt)[0]
    out_c.sum().backward()
    out_t.sum().backward()
    assert np.all(np.isfinite(xc.grad.numpy()))
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), atol=1e-4)


def test_flatten_parameters_is_accepted():
    layer = nn.LSTM(2, 3)
    layer.flatten_parameters()
    assert len(layer.all_weights) == 1 and len(layer.all_weights[0]) == 4


def test_dropout_between_layers_only_while_training():
    cr.manual_seed(0)
    layer = nn.GRU(3, 8, num_layers=2, dropout=0.5).double()
    x = cr.randn(5, 2, 3, dtype=cr.float64)
    first = layer(x)[0].detach().numpy()
    assert not np.allclose(first, layer(x)[0].detach().numpy())  # new masks each call
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0].detach().numpy(), layer(x)[0].detach().numpy())


def test_default_init_bounds():
    layer = nn.LSTM(3, 16, num_layers=2)
    bound = 1 / np.sqrt(16)
    for name, p in layer.named_parameters():
        values = p.detach().numpy()
        assert np.abs(values).max() <= bound, name
        assert np.abs(values).max() > 0.8 * bound, name


# ---------------------------------------------------------------- errors

def test_wrong_input_size():
    with pytest.raises(RuntimeError, match="input_size. Expected 3, got 2"):
        nn.LSTM(3, 4)(cr.randn(5, 2, 2))


def test_wrong_input_rank():
    with pytest.raises(ValueError, match="GRU: Expected input to be 2D or 3D, got 4D"):
        nn.GRU(3, 4)(cr.randn(5, 2, 3, 1))


def test_initial_state_shape_mismatch():
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[2, 2, 4\]"):
        nn.GRU(3, 4)(cr.randn(5, 2, 3), cr.randn(2, 2, 4))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 4\)"):
        nn.LSTM(3, 4)(cr.randn(5, 2, 3), (cr.randn(1, 2, 4), cr.randn(1, 3, 4)))
    with pytest.raises(RuntimeError, match="hx should also be 3-D but got 2-D"):
        nn.RNN(3, 4)(cr.randn(5, 2, 3), cr.randn(2, 4))
    with pytest.raises(RuntimeError, match="unbatched 2-D input, hx should also be 2-D"):
        nn.RNN(3, 4)(cr.randn(5, 3), cr.randn(1, 1, 4))
    with pytest.raises(RuntimeError, match=r"hidden state has shape \(3, 4\), expected \(2, 4\)"):
        nn.GRUCell(3, 4)(cr.randn(2, 3), cr.randn(3, 4))


def test_dtype_mismatch():
    with pytest.raises(ValueError, match=r"RNN input dtype \(float32\) does not match weight "
                                         r"dtype \(float64\)"):
        nn.LSTM(3, 4).double()(cr.randn(5, 2, 3))
    with pytest.raises(ValueError, match=r"GRU: initial state dtype \(float64\) does not match"):
        nn.GRU(3, 4)(cr.randn(5, 2, 3), cr.randn(1, 2, 4, dtype=cr.float64))
    with pytest.raises(ValueError, match=r"GRUCell: input dtype \(float64\) does not match"):
        nn.GRUCell(3, 4)(cr.randn(2, 3, dtype=cr.float64))


def test_constructor_errors():
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size should be a positive integer"):
        nn.LSTM(3, 4, proj_size=-1)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.RNN(3, 0)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sig'"):
        nn.RNN(3, 4, nonlinearity="sig")
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\]"):
        nn.LSTM(3, 4, num_layers=2, dropout=1.5)


@pytest.mark.parametrize("make", [
    lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2),
    lambda: nn.GRU(3, 4, bias=False),
    lambda: nn.RNNCell(3, 4, nonlinearity="relu"),
    lambda: nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True),
    lambda: nn.Transformer(8, 2, 1, 1, 16),
])
def test_sequence_modules_save_and_load(make, tmp_path):
    cr.manual_seed(0)
    original = make()
    path = tmp_path / "model.safetensors"
    original.save(path)
    cr.manual_seed(1)
    fresh = make()
    assert any(not np.array_equal(a.detach().numpy(), b.detach().numpy())
               for a, b in zip(original.parameters(), fresh.parameters()))
    fresh.load(path)
    for (name, a), (_, b) in zip(original.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)

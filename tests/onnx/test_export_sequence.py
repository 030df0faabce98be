"""ONNX export of the recurrent layers (one RNN/GRU/LSTM node per layer), against ONNX Runtime
at two batch sizes and two sequence lengths, checked by ``onnx.checker`` and re-imported with
``chainrule.onnx.load``; fine-tuning a re-imported LSTM; what has no ONNX form."""

from __future__ import annotations

import io

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.onnx import UnsupportedOperatorError, export, load
from tests.optional import needs_onnx, needs_onnxruntime

pytestmark = [needs_onnx, needs_onnxruntime]
TOL = dict(rtol=1e-5, atol=1e-5)
LAYERS = {"rnn_tanh": lambda **kw: nn.RNN(3, 4, **kw),
          "rnn_relu": lambda **kw: nn.RNN(3, 4, nonlinearity="relu", **kw),
          "gru": lambda **kw: nn.GRU(3, 4, **kw), "lstm": lambda **kw: nn.LSTM(3, 4, **kw)}
SIZES = [(5, 3), (2, 7)]  # (batch, steps) pairs, neither the traced (2, 4)


class WithStates(nn.Module):
    """The layer called with its initial states as graph inputs."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.rnn = layer

    def forward(self, x, h0, c0=None):
        return self.rnn(x, h0 if c0 is None else (h0, c0))


def _flat(result) -> list:
    out, states = result
    return [out, *(states if isinstance(states, tuple) else (states,))]


def _export(model, example: list, names: list[str], outputs: list[str], axes: dict):
    import onnx

    buffer = io.BytesIO()
    export(model, tuple(example), buffer, input_names=names, output_names=outputs,
           dynamic_axes=axes)
    proto = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _inputs(layer, batch: int, steps: int, with_states: bool, rng) -> list[np.ndarray]:
    shape = (batch, steps, 3) if layer.batch_first else (steps, batch, 3)
    xs = [rng.standard_normal(shape).astype(np.float32)]
    if with_states:
        dirs = 2 if layer.bidirectional else 1
        count = 2 if layer.mode == "LSTM" else 1
        xs += [rng.standard_normal((layer.num_layers * dirs, batch, 4)).astype(np.float32)
               for _ in range(count)]
    return xs


def _axes(layer, names: list[str], outputs: list[str]) -> dict:
    batch, time = (0, 1) if layer.batch_first else (1, 0)
    axes = {names[0]: {batch: "batch", time: "time"}, outputs[0]: {batch: "batch", time: "time"}}
    axes.update({n: {1: "batch"} for n in names[1:] + outputs[1:]})
    return axes


def check_recurrent(layer, with_states: bool, rng) -> None:
    import onnxruntime

    is_lstm = layer.mode == "LSTM"
    model = WithStates(layer) if with_states else layer
    names = ["x"] + (["h0", "c0"][: 1 + is_lstm] if with_states else [])
    outputs = ["y", "h_n"] + (["c_n"] if is_lstm else [])
    proto = _export(model, _inputs(layer, 2, 4, with_states, rng), names, outputs,
                    _axes(layer, names, outputs))
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count({"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(layer.mode, layer.mode)) == \
        layer.num_layers
    session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    loaded = load(proto)
    for batch, steps in SIZES:
        xs = _inputs(layer, batch, steps, with_states, rng)
        want = [t.detach().numpy() for t in _flat(model(*[chainrule.tensor(x) for x in xs]))]
        got = session.run(None, dict(zip(names, xs)))
        again = loaded(*[chainrule.tensor(x) for x in xs])
        for w, g, a in zip(want, got, again):
            np.testing.assert_allclose(g, w, **TOL)
            np.testing.assert_allclose(a.detach().numpy(), w, **TOL)


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_recurrent_layers_match_onnxruntime(kind, num_layers, bidirectional, batch_first):
    rng = np.random.default_rng(num_layers + 2 * bidirectional + 4 * batch_first)
    layer = LAYERS[kind](num_layers=num_layers, bidirectional=bidirectional,
                         batch_first=batch_first)
    check_recurrent(layer, False, rng)


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("num_layers,bidirectional,batch_first",
                         [(1, False, False), (2, True, True), (2, False, True)])
def test_initial_states_are_graph_inputs(kind, num_layers, bidirectional, batch_first):
    rng = np.random.default_rng(7)
    layer = LAYERS[kind](num_layers=num_layers, bidirectional=bidirectional,
                         batch_first=batch_first)
    check_recurrent(layer, True, rng)


def test_bias_free_and_unbatched_input():
    import onnxruntime

    layer = nn.GRU(3, 4, bias=False, bidirectional=True)
    proto = _export(layer, [np.zeros((4, 3), np.float32)], ["x"], ["y", "h_n"],
                    {"x": {0: "time"}, "y": {0: "time"}})
    session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).standard_normal((6, 3)).astype(np.float32)
    want = [t.detach().numpy() for t in _flat(layer(chainrule.tensor(x)))]
    assert want[1].shape == (2, 4)  # unbatched: no batch axis
    for w, g in zip(want, session.run(None, {"x": x})):
        np.testing.assert_allclose(g, w, **TOL)


class Classifier(nn.Module):
    """An LSTM over the sequence, a linear head on its last output."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(3, 8, num_layers=2, batch_first=True)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        out, (h_n, _) = self.lstm(x)
        return self.head(h_n[-1])


def test_reimported_lstm_keeps_names_and_fine_tunes():
    import onnxruntime

    from chainrule import optim

    chainrule.manual_seed(0)
    model = Classifier()
    proto = _export(model, [np.zeros((2, 5, 3), np.float32)], ["x"], ["logits"],
                    {"x": {0: "batch", 1: "time"}, "logits": {0: "batch"}})
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 6, 3)).astype(np.float32)
    session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"x": x})[0],
                               model(chainrule.tensor(x)).detach().numpy(), **TOL)
    loaded = load(proto)
    assert set(dict(loaded.named_parameters())) == set(dict(model.named_parameters()))
    labels = chainrule.tensor((x[:, :, 0].sum(axis=1) > 0).astype(np.int64))
    for net in (model, loaded):  # the same gradients: the gate reordering is differentiable
        nn.functional.cross_entropy(net(chainrule.tensor(x)), labels).backward()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(dict(loaded.named_parameters())[name].grad, p.grad,
                                   rtol=1e-4, atol=1e-6)
    optimizer = optim.Adam(loaded.parameters(), lr=0.02)
    losses = []
    for _ in range(12):
        loss = nn.functional.cross_entropy(loaded(chainrule.tensor(x)), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert loaded.lstm.weight_hh_l1.grad is not None
    assert losses[-1] < 0.9 * losses[0], losses


CELLS = {"rnn_tanh": lambda: nn.RNNCell(3, 4),
         "rnn_relu": lambda: nn.RNNCell(3, 4, nonlinearity="relu"),
         "gru": lambda: nn.GRUCell(3, 4), "lstm": lambda: nn.LSTMCell(3, 4),
         "lstm_no_bias": lambda: nn.LSTMCell(3, 4, bias=False)}


class CellLoop(nn.Module):
    """A cell unrolled over the 3 steps of x (T, B, 3) or (T, 3); the first call without
    states unless they are given."""

    def __init__(self, cell: nn.Module) -> None:
        super().__init__()
        self.cell = cell

    def forward(self, x, *states):
        state = None if not states else (states if len(states) == 2 else states[0])
        for t in range(3):
            state = self.cell(x[t], state)
        return state


@pytest.mark.parametrize("kind", sorted(CELLS))
@pytest.mark.parametrize("with_states", [False, True])
def test_cells_export_one_step_nodes(kind, with_states):
    import onnxruntime

    cell = CELLS[kind]()
    is_lstm = isinstance(cell, nn.LSTMCell)
    model = CellLoop(cell)
    rng = np.random.default_rng(4)

    def make(batch):
        xs = [rng.standard_normal((3, batch, 3)).astype(np.float32)]
        return xs + ([rng.standard_normal((batch, 4)).astype(np.float32)
                      for _ in range(1 + is_lstm)] if with_states else [])

    names = ["x"] + (["h", "c"][: 1 + is_lstm] if with_states else [])
    outputs = ["h_out", "c_out"][: 1 + is_lstm]
    axes = {"x": {1: "batch"}, **{n: {0: "batch"} for n in names[1:] + outputs}}
    proto = _export(model, make(2), names, outputs, axes)
    assert sum(n.op_type in ("RNN", "GRU", "LSTM") for n in proto.graph.node) == 3
    session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    loaded = load(proto)
    for batch in (5, 1):
        xs = make(batch)
        want = model(*[chainrule.tensor(x) for x in xs])
        want = want if isinstance(want, tuple) else (want,)
        again = loaded(*[chainrule.tensor(x) for x in xs])
        again = again if isinstance(again, tuple) else (again,)
        for g, w, a in zip(session.run(None, dict(zip(names, xs))), want, again):
            np.testing.assert_allclose(g, w.detach().numpy(), **TOL)
            np.testing.assert_allclose(a.detach().numpy(), w.detach().numpy(), **TOL)


def test_unbatched_cell():
    import onnxruntime

    model = CellLoop(nn.LSTMCell(3, 4))
    proto = _export(model, [np.zeros((3, 3), np.float32)], ["x"], ["h", "c"], {})
    x = np.random.default_rng(5).standard_normal((3, 3)).astype(np.float32)
    got = onnxruntime.InferenceSession(proto.SerializeToString(),
                                       providers=["CPUExecutionProvider"]).run(None, {"x": x})
    for g, w in zip(got, model(chainrule.tensor(x))):
        assert g.shape == (4,)
        np.testing.assert_allclose(g, w.detach().numpy(), **TOL)


class Indexing(nn.Module):
    """x[index] for the index kinds the exporter translates."""

    def forward(self, x):
        parts = [x[-1], x[1:-1:2], x[:, ::-1], x[..., 0], x[:, None, 1:], x[:, :, [2, 0]],
                 x[::-2, -2]]
        return tuple(p * 1.0 for p in parts)


def test_indexing_exports_with_dynamic_axes():
    import onnxruntime

    example = np.zeros((5, 2, 3), np.float32)
    names = [f"out{i}" for i in range(7)]
    proto = _export(Indexing(), [example], ["x"], names, {"x": {0: "time", 1: "batch"}})
    session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    x = np.random.default_rng(2).standard_normal((7, 4, 3)).astype(np.float32)
    for got, part in zip(session.run(None, {"x": x}), Indexing()(chainrule.tensor(x))):
        np.testing.assert_array_equal(got, part.numpy())
    for got, want in zip(session.run(None, {"x": x}), [x[-1], x[1:-1:2], x[:, ::-1], x[..., 0],
                                                       x[:, None, 1:], x[:, :, [2, 0]],
                                                       x[::-2, -2]]):
        np.testing.assert_array_equal(got, want)


def test_proj_size_is_refused_by_name():
    with pytest.raises(UnsupportedOperatorError, match="proj_size=2 has no ONNX equivalent"):
        export(nn.LSTM(3, 4, proj_size=2), np.zeros((4, 2, 3), np.float32), io.BytesIO())


def test_packed_sequence_is_refused():
    class Packed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(3, 4)

        def forward(self, x):
            packed = nn.utils.rnn.pack_padded_sequence(x, [4, 3], enforce_sorted=True)
            out, _ = nn.utils.rnn.pad_packed_sequence(self.gru(packed)[0])
            return out

    with pytest.raises(UnsupportedOperatorError, match="PackedSequence"):
        export(Packed(), np.zeros((4, 2, 3), np.float32), io.BytesIO())

"""``chainrule.onnx.load`` of sequence models: ONNX RNN/GRU/LSTM nodes written by
``torch.onnx.export`` (and by hand, against ONNX Runtime), torch's exports of
MultiheadAttention and the Transformer layers, and the refusal of what PyTorch's layers cannot
compute, all listed at once."""

from __future__ import annotations

import io

import numpy as np
import pytest

import chainrule
from chainrule.onnx import UnsupportedOperatorError, load
from tests.optional import needs_onnx, needs_onnxruntime, needs_torch, torch

pytestmark = [needs_onnx, pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]
TOL = dict(rtol=1e-5, atol=1e-5)


def _torch_export(model, args: tuple, names: list[str], outputs: list[str], axes: dict):
    import onnx

    buffer = io.BytesIO()
    model.eval()
    torch.onnx.export(model, args, buffer, dynamo=False, opset_version=17, input_names=names,
                      output_names=outputs, dynamic_axes=axes)
    return onnx.load_from_string(buffer.getvalue())


def _flat(value) -> list:
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flat(v)]
    return [value]


def _compare(proto, model, args: tuple) -> None:
    with torch.no_grad():
        want = [t.numpy() for t in _flat(model(*args)) if t is not None]
    got = _flat(load(proto)(*[chainrule.tensor(a.numpy()) for a in args]))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.detach().numpy(), w, **TOL)


def _recurrent_cases():
    def make(kind, **kw):
        return lambda: {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind](
            3, 4, **kw)
    return {"lstm_2_layers_bidirectional": make("lstm", num_layers=2, bidirectional=True),
            "lstm_batch_first": make("lstm", batch_first=True),
            "gru_bidirectional_batch_first": make("gru", bidirectional=True, batch_first=True),
            "gru_2_layers": make("gru", num_layers=2),
            "rnn_relu_bidirectional": make("rnn", nonlinearity="relu", bidirectional=True),
            "rnn_tanh_no_bias": make("rnn", bias=False, num_layers=2)}


@needs_torch
@pytest.mark.parametrize("case", ["lstm_2_layers_bidirectional", "lstm_batch_first",
                                  "gru_bidirectional_batch_first", "gru_2_layers",
                                  "rnn_relu_bidirectional", "rnn_tanh_no_bias"])
@pytest.mark.parametrize("with_states", [False, True])
def test_torch_recurrent_exports_load(case, with_states):
    torch.manual_seed(0)
    layer = _recurrent_cases()[case]()
    is_lstm = isinstance(layer, torch.nn.LSTM)
    dirs = 2 if layer.bidirectional else 1

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = layer

        def forward(self, x, *states):
            if not states:
                return self.rnn(x)
            return self.rnn(x, tuple(states) if is_lstm else states[0])

    def make(batch, steps):
        shape = (batch, steps, 3) if layer.batch_first else (steps, batch, 3)
        xs = [torch.randn(*shape)]
        if with_states:
            xs += [torch.randn(layer.num_layers * dirs, batch, 4) for _ in range(1 + is_lstm)]
        return tuple(xs)

    names = ["x"] + (["h0", "c0"][: 1 + is_lstm] if with_states else [])
    outputs = ["y", "h_n"] + (["c_n"] if is_lstm else [])
    b_axis, t_axis = (0, 1) if layer.batch_first else (1, 0)
    axes = {"x": {b_axis: "batch", t_axis: "time"}, "y": {b_axis: "batch", t_axis: "time"}}
    axes.update({n: {1: "batch"} for n in names[1:] + outputs[1:]})
    model = Wrapped()
    proto = _torch_export(model, make(2, 4), names, outputs, axes)
    assert {"LSTM", "GRU", "RNN"} & {n.op_type for n in proto.graph.node}
    for batch, steps in [(3, 6), (1, 2)]:
        _compare(proto, model, make(batch, steps))


@needs_torch
def test_torch_lstm_export_fine_tunes():
    from chainrule import nn, optim

    torch.manual_seed(1)
    lstm = torch.nn.LSTM(3, 6, batch_first=True)
    proto = _torch_export(lstm, (torch.randn(2, 4, 3),), ["x"], ["y", "h", "c"],
                          {"x": {0: "batch", 1: "time"}})
    model = load(proto)
    params = list(model.parameters())
    assert params and all(p.requires_grad for p in params)
    x = chainrule.tensor(np.random.default_rng(0).standard_normal((8, 5, 3)).astype(np.float32))
    target = chainrule.tensor(np.full((8, 5, 6), 0.5, np.float32))
    optimizer = optim.SGD(params, lr=0.5)
    losses = []
    for _ in range(5):
        loss = nn.functional.mse_loss(model(x)[0], target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0], losses


@needs_torch
@pytest.mark.parametrize("kind", ["mha", "mha_key_padding", "encoder", "encoder_norm_first",
                                  "decoder"])
def test_torch_attention_exports_load(kind):
    torch.manual_seed(2)
    T = torch.nn

    class Model(T.Module):
        def __init__(self) -> None:
            super().__init__()
            self.mha = T.MultiheadAttention(8, 2, batch_first=True)
            self.enc = T.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
                                                 norm_first=kind.endswith("norm_first"))
            self.dec = T.TransformerDecoderLayer(8, 2, 16, dropout=0.0)

        def forward(self, x, extra=None):
            if kind == "mha":
                return self.mha(x, x, x)
            if kind == "mha_key_padding":
                return self.mha(x, x, x, key_padding_mask=extra)[0]
            if kind == "decoder":
                return self.dec(x, extra)
            return self.enc(x)

    def make(batch, length):
        x = torch.randn(batch, length, 8) if kind.startswith("mha") else \
            torch.randn(length, batch, 8)
        if kind == "mha_key_padding":
            pad = torch.zeros(batch, length, dtype=torch.bool)
            pad[0, -1] = True
            return x, pad
        return (x, torch.randn(length + 1, batch, 8)) if kind == "decoder" else (x,)

    args = make(2, 5)
    names = ["x", "extra"][: len(args)]
    model = Model()
    proto = _torch_export(model, args, names, ["out"], None)
    _compare(proto, model, args)


def _graph(nodes, inputs, outputs, initializers=()):
    from onnx import helper

    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def test_unrunnable_recurrent_nodes_are_listed_at_once():
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    nodes = [helper.make_node("GRU", ["x", "w", "r"], ["y"], name="gru0", hidden_size=4),
             helper.make_node("LSTM", ["x", "w2", "r2"], ["y2"], name="lstm0", hidden_size=4,
                              clip=3.0),
             helper.make_node("RNN", ["x", "w3", "r3"], ["y3"], name="rnn0", hidden_size=4,
                              activations=["Sigmoid"])]
    with pytest.raises(UnsupportedOperatorError) as err:
        load(_graph(nodes, [x], [y]))
    text = str(err.value)
    assert "3 nodes" in text and "linear_before_reset=0" in text and "'gru0'" in text
    assert "clip=3.0" in text and "'lstm0'" in text and "Sigmoid" in text and "'rnn0'" in text


def _weights(rng, dirs, gates, hidden, inputs):
    from onnx import numpy_helper

    arrays = {"W": rng.standard_normal((dirs, gates * hidden, inputs)),
              "R": rng.standard_normal((dirs, gates * hidden, hidden)),
              "B": rng.standard_normal((dirs, 2 * gates * hidden))}
    return [numpy_helper.from_array((a * 0.4).astype(np.float32), n) for n, a in arrays.items()]


@needs_onnxruntime
@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("direction", ["bidirectional", "reverse"])
def test_hand_written_recurrent_nodes_match_onnxruntime(op, direction):
    import onnxruntime
    from onnx import TensorProto, helper

    rng = np.random.default_rng(5)
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    outputs = ["y", "y_h"] + (["y_c"] if op == "LSTM" else [])
    extra = {"linear_before_reset": 1} if op == "GRU" else {}
    dirs = 2 if direction == "bidirectional" else 1
    node = helper.make_node(op, ["x", "W", "R", "B", "", "h0"], outputs, hidden_size=5,
                            direction=direction, **extra)
    model = _graph([node], [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, 2, 3]),
                            helper.make_tensor_value_info("h0", TensorProto.FLOAT, [dirs, 2, 5])],
                   [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
                   _weights(rng, dirs, gates, 5, 3))
    x = rng.standard_normal((6, 2, 3)).astype(np.float32)
    h0 = rng.standard_normal((dirs, 2, 5)).astype(np.float32)
    want = onnxruntime.InferenceSession(model.SerializeToString(),
                                        providers=["CPUExecutionProvider"]).run(
        None, {"x": x, "h0": h0})
    got = load(model)(chainrule.tensor(x), chainrule.tensor(h0))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.detach().numpy(), w, **TOL)


def test_batch_major_layout_matches_time_major():
    """layout=1 ((B, T, ·) input and outputs) gives the time-major results transposed."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(6)
    weights = _weights(rng, 1, 4, 5, 3)
    value = helper.make_tensor_value_info

    def model(layout):
        node = helper.make_node("LSTM", ["x", "W", "R", "B"], ["y", "y_h", "y_c"],
                                hidden_size=5, layout=layout)
        return load(_graph([node], [value("x", TensorProto.FLOAT, None)],
                           [value(n, TensorProto.FLOAT, None) for n in ("y", "y_h", "y_c")],
                           weights))

    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    y, h, c = model(0)(chainrule.tensor(x))
    y1, h1, c1 = model(1)(chainrule.tensor(x.transpose(1, 0, 2).copy()))
    np.testing.assert_allclose(y1.detach().numpy(), y.detach().numpy().transpose(2, 0, 1, 3),
                               **TOL)
    np.testing.assert_allclose(h1.detach().numpy(), h.detach().numpy().transpose(1, 0, 2), **TOL)
    np.testing.assert_allclose(c1.detach().numpy(), c.detach().numpy().transpose(1, 0, 2), **TOL)


@needs_onnxruntime
def test_mask_and_slicing_operators_match_onnxruntime():
    """Split, Slice, Trilu, ConstantOfShape, Where, Equal and Shape(start, end)."""
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    def const(name, values, dtype=np.int64):
        return helper.make_node("Constant", [], [name],
                                value=numpy_helper.from_array(np.asarray(values, dtype), name))

    nodes = [const("sizes", [2, 4]), const("starts", [1, 0]), const("ends", [-1, 100]),
             const("axes", [1, 2]), const("steps", [1, 2]), const("k", 1),
             const("zero", 0.0, np.float32), const("minus", -1e4, np.float32),
             helper.make_node("Split", ["x", "sizes"], ["a", "b"], axis=2),
             helper.make_node("Slice", ["b", "starts", "ends", "axes", "steps"], ["s"]),
             helper.make_node("Shape", ["x"], ["last2"], start=-2),
             helper.make_node("ConstantOfShape", ["last2"], ["ones"],
                              value=numpy_helper.from_array(np.ones(1, np.float32))),
             helper.make_node("Trilu", ["ones", "k"], ["upper"], upper=1),
             helper.make_node("Equal", ["upper", "zero"], ["allowed"]),
             helper.make_node("Where", ["allowed", "x", "minus"], ["w"])]
    outputs = ["a", "s", "w"]
    model = _graph(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 6, 6])],
                   [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs])
    x = np.random.default_rng(7).standard_normal((3, 6, 6)).astype(np.float32)
    want = onnxruntime.InferenceSession(model.SerializeToString(),
                                        providers=["CPUExecutionProvider"]).run(None, {"x": x})
    xt = chainrule.tensor(x, requires_grad=True)
    got = load(model)(xt)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.detach().numpy(), w, **TOL)
    sum(g.sum() for g in got).backward()
    assert xt.grad is not None and np.all(np.asarray(xt.grad)[:, :, :2] >= 1)

"""ONNX nodes for the recurrent layers: ``SEQUENCE_LAYERS[type(m)](b, m, inputs, args, outs)``.

``nn.RNN``, ``nn.GRU`` and ``nn.LSTM`` become one ONNX ``RNN``/``GRU``/``LSTM`` node per layer
(both directions in one node, ``direction="bidirectional"``), and each call of a cell
(``nn.LSTMCell`` ...) a node of one step. ONNX wants the input
time-major, so a batch-first input is transposed first; its output Y is
(T, directions, B, H), transposed and reshaped to PyTorch's (T, B, directions·H), which the
next layer reads. The final states Y_h (and Y_c) of the layers are concatenated into h_n
(and c_n), PyTorch's (layers·directions, B, H).

Weights stay initializers under their ``state_dict`` names (``lstm.weight_ih_l0`` ...); the
ONNX layouts are built from them by nodes that ONNX Runtime folds once: W = [W_ih per
direction] (D, G·H, I), R = [W_hh per direction] (D, G·H, H), B = [b_ih ‖ b_hh per
direction] (D, 2·G·H), each weight's gate blocks reordered from PyTorch's order to ONNX's
(LSTM: PyTorch i, f, g, o -> ONNX i, o, f, c; GRU: r, z, n -> z, r, h). PyTorch's GRU applies
the reset gate after the recurrent product: ONNX's ``linear_before_reset=1``.

``proj_size`` and PackedSequence inputs have no ONNX form and are refused by name. ONNX
Runtime runs these three operators in float32 only: a float64 model's file is valid ONNX, and
``load`` runs it, but ONNX Runtime refuses it.
"""

from __future__ import annotations

from typing import Any, Callable

from .. import nn
from .builder import GraphBuilder, UnsupportedOperatorError

# For each mode: the PyTorch gate block at each ONNX gate position.
ONNX_GATE_ORDER = {"RNN_TANH": (0,), "RNN_RELU": (0,), "GRU": (1, 0, 2), "LSTM": (0, 3, 1, 2)}
_OP = {"RNN_TANH": "RNN", "RNN_RELU": "RNN", "GRU": "GRU", "LSTM": "LSTM"}


def _gates(b: GraphBuilder, weight: str, mode: str, hidden: int) -> str:
    """``weight`` (G·H, ...) with its gate blocks in ONNX's order."""
    order = ONNX_GATE_ORDER[mode]
    if len(order) == 1:
        return weight
    blocks = b.node("Split", [weight, b.ints([hidden] * len(order))], n_outputs=len(order),
                    axis=0)
    return b.node("Concat", [blocks[i] for i in order], axis=0)


def _per_direction(b: GraphBuilder, parts: list[str]) -> str:
    """Stack one tensor per direction along a new axis 0."""
    stacked = [b.node("Unsqueeze", [p, b.ints([0])]) for p in parts]
    return stacked[0] if len(stacked) == 1 else b.node("Concat", stacked, axis=0)


def _layer_weights(b: GraphBuilder, m: Any, layer: int) -> tuple[str, str, str]:
    """The W, R and B inputs of layer ``layer`` (B is "" without biases)."""
    suffixes = [f"_l{layer}"] + ([f"_l{layer}_reverse"] if m.bidirectional else [])
    return _weights(b, m, suffixes)


def _weights(b: GraphBuilder, m: Any, suffixes: list[str]) -> tuple[str, str, str]:
    """W, R and B from the parameters ``weight_ih{suffix}`` ... of each direction."""
    h = m.hidden_size

    def param(name: str, sfx: str) -> str:
        return _gates(b, b.weight(getattr(m, name + sfx)), m.mode, h)

    w = _per_direction(b, [param("weight_ih", s) for s in suffixes])
    r = _per_direction(b, [param("weight_hh", s) for s in suffixes])
    if not m.bias:
        return w, r, ""
    biases = [b.node("Concat", [param("bias_ih", s), param("bias_hh", s)], axis=0)
              for s in suffixes]
    return w, r, _per_direction(b, biases)


def _split_layers(b: GraphBuilder, state: str | None, layers: int, dirs: int) -> list:
    """PyTorch's (layers·D, B, H) state as one (D, B, H) name per layer (None: zeros)."""
    if state is None:
        return [""] * layers
    if layers == 1:
        return [state]
    return b.node("Split", [state, b.ints([dirs] * layers)], n_outputs=layers, axis=0)


def check_call(m: Any, outs: list) -> None:
    """Refuse what ONNX's operators cannot express, before the layer's inputs are translated."""
    if getattr(m, "proj_size", 0):
        raise UnsupportedOperatorError(
            f"export: LSTM with proj_size={m.proj_size} has no ONNX equivalent (ONNX's LSTM "
            "operator has no projection of the hidden state); export a model without proj_size")
    if isinstance(m, (nn.RNNCell, nn.GRUCell, nn.LSTMCell)):
        return
    if len(outs) != (3 if m.mode == "LSTM" else 2):  # a PackedSequence's fields, flattened
        raise UnsupportedOperatorError(
            f"export: {type(m).__name__} called on a PackedSequence has no ONNX translation; "
            "export it on a padded tensor")


def recurrent(b: GraphBuilder, m: Any, inputs: list[str], args: list, outs: list) -> list[str]:
    """nn.RNN / nn.GRU / nn.LSTM as one ONNX node per layer; the names of (output, h_n[, c_n])."""
    check_call(m, outs)
    dirs, layers, is_lstm = 2 if m.bidirectional else 1, m.num_layers, m.mode == "LSTM"
    unbatched = args[0].ndim == 2
    x = inputs[0]
    states = list(inputs[1:])
    if unbatched:
        x = b.node("Unsqueeze", [x, b.ints([1])])
        states = [b.node("Unsqueeze", [s, b.ints([1])]) for s in states]
    elif m.batch_first:
        x = b.node("Transpose", [x], perm=[1, 0, 2])
    h0 = _split_layers(b, states[0] if states else None, layers, dirs)
    c0 = _split_layers(b, states[1] if len(states) > 1 else None, layers, dirs)
    attrs: dict[str, Any] = {"hidden_size": m.hidden_size}
    if dirs == 2:
        attrs["direction"] = "bidirectional"
    if m.mode == "RNN_RELU":
        attrs["activations"] = ["Relu"] * dirs
    if m.mode == "GRU":
        attrs["linear_before_reset"] = 1
    finals: list[list[str]] = [[], []]
    for layer in range(layers):
        w, r, bias = _layer_weights(b, m, layer)
        node_inputs = [x, w, r, bias, "", h0[layer]] + ([c0[layer]] if is_lstm else [])
        while node_inputs[-1] == "":
            node_inputs.pop()
        results = b.node(_OP[m.mode], node_inputs, n_outputs=3 if is_lstm else 2, **attrs)
        y = b.node("Transpose", [results[0]], perm=[0, 2, 1, 3])  # (T, B, D, H)
        x = b.node("Reshape", [y, b.ints([0, 0, -1])])
        for k, final in enumerate(results[1:]):
            finals[k].append(final)
    states_out = [s[0] if layers == 1 else b.node("Concat", s, axis=0) for s in finals if s]
    if unbatched:
        x = b.node("Squeeze", [x, b.ints([1])])
        states_out = [b.node("Squeeze", [s, b.ints([1])]) for s in states_out]
    elif m.batch_first:
        x = b.node("Transpose", [x], perm=[1, 0, 2])
    return [x, *states_out]


def cell(b: GraphBuilder, m: Any, inputs: list[str], args: list, outs: list) -> list[str]:
    """nn.RNNCell / GRUCell / LSTMCell as a one-step RNN/GRU/LSTM node; the names of h'
    (and c')."""
    is_lstm = m.mode == "LSTM"
    axes = b.ints([0, 1] if args[0].ndim == 1 else [0])  # unbatched: no batch axis either
    steps = [b.node("Unsqueeze", [name, axes]) for name in inputs]
    w, r, bias = _weights(b, m, [""])
    attrs: dict[str, Any] = {"hidden_size": m.hidden_size}
    if m.mode == "RNN_RELU":
        attrs["activations"] = ["Relu"]
    if m.mode == "GRU":
        attrs["linear_before_reset"] = 1
    h0 = steps[1] if len(steps) > 1 else ""
    node_inputs = [steps[0], w, r, bias, "", h0] + ([steps[2]] if len(steps) > 2 else [])
    while node_inputs[-1] == "":
        node_inputs.pop()
    results = b.node(_OP[m.mode], node_inputs, n_outputs=3 if is_lstm else 2, **attrs)
    return [b.node("Squeeze", [state, axes]) for state in results[1:]]


SEQUENCE_LAYERS: dict[type, Callable] = {nn.RNN: recurrent, nn.GRU: recurrent,
                                         nn.LSTM: recurrent, nn.RNNCell: cell,
                                         nn.GRUCell: cell, nn.LSTMCell: cell}

"""to_dot and draw_graph: the DOT text of a known graph, and the PNG drawn with matplotlib."""

from __future__ import annotations

import re

import pytest

import chainrule
from chainrule.autograd import Function
from chainrule.viz import draw_graph, to_dot
from chainrule.viz._graph_layout import _depths, _lanes, _ordered_rows, _positions, _sizes
from chainrule.viz.graph import _build


def small_graph():
    a, b, c = (chainrule.randn(3, requires_grad=True) for _ in range(3))
    a.name = "a"
    return (a * b + c).relu().sum()


def edges(dot):
    return re.findall(r"(n\d+) -> (n\d+);", dot)


def labels(dot):
    return dict(re.findall(r'(n\d+) \[label="([^"]*)"', dot))


def test_dot_of_small_graph_has_each_op_and_the_right_edges():
    dot = to_dot(small_graph())
    assert dot.startswith("digraph")
    names = labels(dot)
    for op in ("Mul", "Add", "Relu", "Sum"):
        assert sum(label.startswith(op + "\\n") for label in names.values()) == 1
    # a -> Mul, b -> Mul, Mul -> Add, c -> Add, Add -> Relu, Relu -> Sum, Sum -> output
    assert len(edges(dot)) == 7
    chain = {(names[s].split("\\n")[0], names[d].split("\\n")[0]) for s, d in edges(dot)}
    assert {("Mul", "Add"), ("Add", "Relu"), ("Relu", "Sum"), ("Sum", "output")} <= chain


def test_leaves_are_boxes_with_shape_and_name():
    dot = to_dot(small_graph())
    boxes = re.findall(r'label="([^"]*)", shape=box', dot)
    assert sorted(boxes) == ["(3,)", "(3,)", "a\\n(3,)", "output\\nscalar"]
    assert dot.count("shape=ellipse") == 4


def test_draw_graph_without_path_returns_the_same_dot():
    loss = small_graph()
    assert draw_graph(loss) == to_dot(loss)


def test_an_input_used_twice_has_two_edges_and_constants_show_their_value():
    x = chainrule.randn(2, requires_grad=True)
    dot = to_dot((x * x * 3.0).sum())
    names = labels(dot)
    mul_inputs = [s for s, d in edges(dot) if names[d].startswith("Mul") and names[s] == "(2,)"]
    assert len(mul_inputs) == 2 and len(set(mul_inputs)) == 1
    assert "3" in names.values()


def test_a_function_label_is_used():
    class Double(Function):
        label = "Twice"

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * 2

    dot = to_dot(Double.apply(chainrule.ones(2, requires_grad=True)))
    assert 'label="Twice\\n(2,)"' in dot


def test_a_leaf_is_a_single_node():
    dot = to_dot(chainrule.ones(2, 3, requires_grad=True))
    assert len(labels(dot)) == 1 and not edges(dot)


def test_a_freed_graph_is_refused():
    loss = small_graph()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        to_dot(loss)


def test_leaves_sit_just_above_their_first_use():
    x = chainrule.randn(2, requires_grad=True)
    late = chainrule.randn(2, requires_grad=True)
    x.name, late.name = "x", "late"
    nodes = _build(((x.exp() + 1).sin() * late).sum())
    depth, _ = _depths(nodes)
    by_label = {node.label: d for node, d in zip(nodes, depth)}
    mul = next(d for node, d in zip(nodes, depth) if node.label.startswith("Mul"))
    assert by_label["x\n(2,)"] == 0
    assert by_label["late\n(2,)"] == mul - 1 > 0


def test_a_skip_connection_runs_in_a_lane_beside_the_nodes_it_passes():
    x = chainrule.randn(3, requires_grad=True)
    nodes = _build((x + x.exp().sin().tanh()).sum())
    depth, children = _depths(nodes)
    rows = _ordered_rows(nodes, depth, children)
    sizes = _sizes(nodes)
    centres, _, _ = _positions(nodes, rows, children, sizes)
    lanes = _lanes(nodes, rows, depth, centres, sizes)
    add = next(k for k, node in enumerate(nodes) if node.label.startswith("Add"))
    assert list(lanes) == [(add, 0)]  # x -> Add skips the Exp, Sin and Tanh rows
    passed = [k for k, d in enumerate(depth) if 0 < d < depth[add]]
    lane = lanes[(add, 0)]
    assert all(abs(lane - centres[k, 0]) > sizes[k, 0] / 2 for k in passed)


def test_draw_graph_renders_png_and_returns_dot(tmp_path):
    pytest.importorskip("matplotlib")
    loss = small_graph()
    path = tmp_path / "graph.png"
    dot = draw_graph(loss, path)
    assert dot == to_dot(loss)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000

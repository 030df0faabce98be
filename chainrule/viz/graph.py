"""The autograd graph behind a tensor: as DOT text (for Graphviz), and drawn with matplotlib.

Nodes are the leaf tensors (boxes: blue when they require grad, grey for constants), one
ellipse per recorded operation (its Function's ``label``, else its class name, and the shape
of its output) and the output tensor (green box); edges run from inputs to the operations that
use them and on to the output. Draw a graph before calling ``backward()`` (or pass
``retain_graph=True`` to it): backward frees the links this walks.

Example:
    >>> import chainrule
    >>> from chainrule.viz import to_dot
    >>> x = chainrule.ones(3, requires_grad=True)
    >>> print(to_dot((x * 2).sum()), end="")
    digraph autograd {
      node [fontname="Helvetica", fontsize=10];
      n0 [label="(3,)", shape=box, style=filled, fillcolor="#add8e6"];
      n1 [label="2", shape=box, style=filled, fillcolor="#d3d3d3"];
      n2 [label="Mul\\n(3,)", shape=ellipse];
      n3 [label="Sum\\nscalar", shape=ellipse];
      n4 [label="output\\nscalar", shape=box, style=filled, fillcolor="#caff70"];
      n0 -> n2;
      n1 -> n2;
      n2 -> n3;
      n3 -> n4;
    }
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..autograd import topological_order
from ..tensor import Tensor
from ._figure import require_matplotlib

_FILL = {"input": "#add8e6", "constant": "#d3d3d3", "output": "#caff70"}  # blue, grey, green
_LEGEND = {"input": "input (requires grad)", "constant": "constant",
           "op": "operation (output shape)", "output": "output"}


@dataclass
class _Node:
    kind: str  # "input", "constant", "op" or "output"
    label: str  # lines separated by "\n"
    parents: list[int] = field(default_factory=list)  # indices of the nodes feeding this one


def _shape_text(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else str(tuple(shape))


def _leaf(t: Tensor) -> _Node:
    if not t.requires_grad:
        if t.name is not None:
            return _Node("constant", f"{t.name}\n{_shape_text(t.shape)}")
        text = f"{t.data.item():.4g}" if t.data.size == 1 else f"const\n{_shape_text(t.shape)}"
        return _Node("constant", text)
    shape = _shape_text(t.shape)
    return _Node("input", shape if t.name is None else f"{t.name}\n{shape}")


def _build(root: Tensor) -> list[_Node]:
    """The graph's nodes, each after those it depends on; node k's parents index the list."""
    nodes: list[_Node] = []
    index: dict[int, int] = {}

    def node_of(t: Tensor) -> int:
        if id(t) not in index:
            index[id(t)] = len(nodes)
            nodes.append(_leaf(t))
        return index[id(t)]

    for t in topological_order([root]):
        ctx = t._ctx
        if ctx.freed:
            raise RuntimeError("draw_graph: this graph was freed by backward(); draw it before "
                               "calling backward(), or call backward(retain_graph=True)")
        parents = [node_of(p) for p in ctx.parents]
        index[id(t)] = len(nodes)
        label = ctx.fn.label or ctx.fn.__name__
        nodes.append(_Node("op", f"{label}\n{_shape_text(t.shape)}", parents))
    last = node_of(root)
    if root._ctx is not None:
        name = "output" if root.name is None else root.name
        nodes.append(_Node("output", f"{name}\n{_shape_text(root.shape)}", [last]))
    return nodes


def _dot_label(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _dot(nodes: list[_Node]) -> str:
    lines = ["digraph autograd {", '  node [fontname="Helvetica", fontsize=10];']
    for k, node in enumerate(nodes):
        style = "shape=ellipse" if node.kind == "op" else \
            f'shape=box, style=filled, fillcolor="{_FILL[node.kind]}"'
        lines.append(f'  n{k} [label="{_dot_label(node.label)}", {style}];')
    for k, node in enumerate(nodes):
        lines.extend(f"  n{p} -> n{k};" for p in node.parents)
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_dot(tensor: Tensor) -> str:
    """The autograd graph that produced ``tensor``, as Graphviz DOT text.

    Args:
        tensor: the output whose history is drawn (usually a loss).

    Returns:
        A ``digraph`` with one node per leaf tensor, per operation and for the output.

    Example:
        >>> import chainrule
        >>> a = chainrule.ones(2, requires_grad=True)
        >>> to_dot(a.relu().sum()).count("->")
        3
    """
    return _dot(_build(tensor))


def draw_graph(tensor: Tensor, path: Any = None) -> str:
    """The autograd graph of ``tensor`` as DOT text, also drawn to a PNG when ``path`` is set.

    The drawing uses matplotlib alone (no Graphviz program): nodes are placed in rows by
    their depth (the longest path from the inputs; leaves sit just above their first use),
    ordered within each row to shorten edges, with arrows from inputs to outputs.

    Args:
        tensor: the output whose history is drawn (usually a loss), before ``backward()``.
        path: where to write the PNG (a str or Path), or None for the DOT text only.

    Returns:
        The DOT text (as ``to_dot``), in both cases.

    Example:
        >>> import chainrule
        >>> a = chainrule.ones(2, requires_grad=True)
        >>> draw_graph((a * a).sum()).count("Mul")
        1
    """
    nodes = _build(tensor)
    if path is not None:
        figure, dpi = _render(nodes)
        figure.savefig(path, dpi=dpi, format="png")
    return _dot(nodes)


def _render(nodes: list[_Node]) -> tuple[Any, float]:
    """A matplotlib Figure of the graph and the dpi to save it at."""
    require_matplotlib()
    from ._graph_layout import draw_layered

    return draw_layered(nodes, _FILL, _LEGEND)


__all__ = ["draw_graph", "to_dot"]

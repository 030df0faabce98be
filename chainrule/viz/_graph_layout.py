"""Layered drawing of a small DAG with matplotlib alone (used by ``graph.draw_graph``).

Nodes go in rows by depth: an operation sits one row below its deepest input (the longest path
from the leaves); a leaf sits just above the first operation that uses it, so a constant used
late in the graph does not send a long edge down from the top. Within each row nodes are
ordered by the mean position of their neighbours, sweeping down and up a few times (the
barycentre heuristic), then placed near their neighbours with the operations weighing most,
so the main chain runs straight down. An edge that skips rows (a skip connection, an input used
again later) runs in a vertical lane beside the nodes it passes instead of through them. Sizes
are in inches, so text metrics are known before anything is drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_CHAR_WIDTH = 0.078  # inches per character at font size 9
_LINE_HEIGHT = 0.17
_ROW_STEP = 0.95
_GAP = 0.35
_MARGIN = 0.15
_SWEEPS = 4
_MAX_PIXELS = 16000
_BOW = 0.45
_LANE = 0.25  # gap between the nodes and the first lane beside them
_LANE_STEP = 0.15  # between neighbouring lanes
_CORNER = 0.12


def _depths(nodes: list) -> tuple[list[int], list[list[int]]]:
    """The row of each node (nodes come in topological order) and each node's consumers."""
    children: list[list[int]] = [[] for _ in nodes]
    depth = [0] * len(nodes)
    for k, node in enumerate(nodes):
        for p in node.parents:
            children[p].append(k)
        if node.parents:
            depth[k] = 1 + max(depth[p] for p in node.parents)
    for k, node in enumerate(nodes):
        if not node.parents and children[k]:
            depth[k] = min(depth[c] for c in children[k]) - 1
    return depth, children


def _ordered_rows(nodes: list, depth: list[int], children: list[list[int]]) -> list[list[int]]:
    """Nodes grouped by row, each row sorted by the barycentre of its neighbours."""
    rows: list[list[int]] = [[] for _ in range(max(depth) + 1)]
    for k, d in enumerate(depth):
        rows[d].append(k)
    position = np.zeros(len(nodes))

    def settle(row: list[int], neighbours: Any) -> None:
        row.sort(key=lambda k: np.mean(position[neighbours(k)]) if neighbours(k) else position[k])
        position[row] = (np.arange(len(row)) + 0.5) / len(row)

    for row in rows:
        settle(row, lambda k: [])
    for _ in range(_SWEEPS):
        for row in rows[1:]:
            settle(row, lambda k: nodes[k].parents)
        for row in reversed(rows[:-1]):
            settle(row, lambda k: children[k])
    return rows


def _sizes(nodes: list) -> np.ndarray:
    """(width, height) of each node in inches; ellipses get room around their text."""
    sizes = np.zeros((len(nodes), 2))
    for k, node in enumerate(nodes):
        lines = node.label.split("\n")
        width = max(len(line) for line in lines) * _CHAR_WIDTH + 0.3
        height = len(lines) * _LINE_HEIGHT + 0.16
        scale = 1.3 if node.kind == "op" else 1.0
        sizes[k] = (width * scale, height * scale)
    return sizes


def _pack(row: list[int], desired: np.ndarray, widths: np.ndarray,
          weights: np.ndarray) -> np.ndarray:
    """Centres for the nodes of ``row`` (kept in order) near ``desired``: push each node right
    of its left neighbour where they would overlap, then shift the row back by the weighted
    mean displacement (operations weigh more, so the main chain stays straight)."""
    centres = desired.copy()
    for i in range(1, len(row)):
        need = (widths[row[i - 1]] + widths[row[i]]) / 2 + _GAP
        centres[i] = max(centres[i], centres[i - 1] + need)
    w = weights[row]
    return centres - np.sum(w * (centres - desired)) / np.sum(w)


def _target(k: int, nodes: list, children: list[list[int]], x: np.ndarray,
            downward: bool) -> float:
    """Where node k would like to be: under its inputs (operations first) going down, over
    its consumers going up; leaves always sit over their consumers."""
    parents = nodes[k].parents
    ops = [p for p in parents if nodes[p].parents] or parents
    if parents and (downward or not children[k]):
        return float(np.mean(x[ops]))
    if children[k]:
        return float(np.mean(x[children[k]]))
    return float(x[k])


def _positions(nodes: list, rows: list[list[int]], children: list[list[int]],
               sizes: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Centre of each node, and the drawing's width and height (inches)."""
    widths = sizes[:, 0]
    weights = np.array([3.0 if node.parents else 1.0 for node in nodes])
    x = np.zeros(len(nodes))
    for row in rows:
        x[row] = _pack(row, np.zeros(len(row)), widths, weights)
    for downward in [True, False] * _SWEEPS + [True]:
        for row in rows if downward else reversed(rows):
            desired = np.array([_target(k, nodes, children, x, downward) for k in row])
            x[row] = _pack(row, desired, widths, weights)
    left, right = np.min(x - widths / 2), np.max(x + widths / 2)
    width = max(right - left + 2 * _MARGIN, 4.5)
    x += (width - (right - left)) / 2 - left
    height = len(rows) * _ROW_STEP + 2 * _MARGIN
    centres = np.zeros((len(nodes), 2))
    centres[:, 0] = x
    for r, row in enumerate(rows):
        centres[row, 1] = height - _MARGIN - (r + 0.5) * _ROW_STEP
    return centres, width, height


def _patch(node: Any, centre: np.ndarray, size: np.ndarray, fills: dict) -> Any:
    from matplotlib.patches import Ellipse, FancyBboxPatch

    if node.kind == "op":
        return Ellipse(tuple(centre), size[0], size[1], facecolor="white", edgecolor="black",
                       zorder=2)
    corner = (centre[0] - size[0] / 2, centre[1] - size[1] / 2)
    return FancyBboxPatch(corner, size[0], size[1], boxstyle="round,pad=0,rounding_size=0.06",
                          facecolor=fills[node.kind], edgecolor="black", zorder=2)


def _entry(node: Any, centre: np.ndarray, size: np.ndarray, slot: int) -> tuple[float, float]:
    """Where the arrow from input number ``slot`` enters a node: spread along its top edge
    in argument order (so x * x shows two arrows), on the ellipse for an operation."""
    count = len(node.parents)
    dx = (slot - (count - 1) / 2) * min(0.22, 0.7 * size[0] / max(count, 1))
    dy = size[1] / 2
    if node.kind == "op":
        dy *= np.sqrt(max(0.0, 1 - (2 * dx / size[0]) ** 2))
    return centre[0] + dx, centre[1] + dy


def _lanes(nodes: list, rows: list[list[int]], depth: list[int], centres: np.ndarray,
           sizes: np.ndarray) -> dict[tuple[int, int], float]:
    """For each edge (consumer, input slot) that skips a row (a skip connection, an input
    used again later), the x of a vertical lane beside every node it passes. A side is used
    only when both ends are the outermost nodes of their rows there, so the horizontal legs
    cross nothing; otherwise the edge gets no lane (and is drawn bowed)."""
    lanes: dict[tuple[int, int], float] = {}
    used = {1: 0, -1: 0}
    for k, node in enumerate(nodes):
        for slot, p in enumerate(node.parents):
            if depth[k] - depth[p] < 2:
                continue
            passed = [m for r in range(depth[p], depth[k] + 1) for m in rows[r]]
            for side in (1, -1):
                outer = -1 if side == 1 else 0
                if rows[depth[p]][outer] == p and rows[depth[k]][outer] == k:
                    edge = np.max(side * (centres[passed, 0] + side * sizes[passed, 0] / 2))
                    lanes[(k, slot)] = side * (edge + _LANE + _LANE_STEP * used[side])
                    used[side] += 1
                    break
    return lanes


def _side_point(node: Any, centre: np.ndarray, size: np.ndarray, side: float,
                rise: float) -> tuple[float, float]:
    """The point on the left (side −1) or right (+1) edge of a node, ``rise`` of its height
    above the centre (on the ellipse for an operation)."""
    dx = size[0] / 2
    if node.kind == "op":
        dx *= np.sqrt(1 - (2 * rise) ** 2)
    return centre[0] + side * dx, centre[1] + rise * size[1]


def _lane_path(a: tuple[float, float], b: tuple[float, float], lane: float) -> Any:
    """From ``a`` across to the lane, down it, and across to ``b``, with rounded corners."""
    from matplotlib.path import Path

    side = 1.0 if lane > a[0] else -1.0
    r = _CORNER
    vertices = [a, (lane - side * r, a[1]), (lane, a[1]), (lane, a[1] - r), (lane, b[1] + r),
                (lane, b[1]), (lane - side * r, b[1]), b]
    codes = [Path.MOVETO, Path.LINETO, Path.CURVE3, Path.CURVE3, Path.LINETO, Path.CURVE3,
             Path.CURVE3, Path.LINETO]
    return Path(vertices, codes)


def _arrows(ax: Any, nodes: list, centres: np.ndarray, sizes: np.ndarray,
            lanes: dict[tuple[int, int], float]) -> None:
    """One arrow per edge: from the bottom of the input to the top of its consumer (leaving
    from the bottom keeps clear of the other boxes in the input's row), or along its lane."""
    from matplotlib.patches import FancyArrowPatch

    style = {"arrowstyle": "-|>", "mutation_scale": 12, "color": "0.3", "linewidth": 1,
             "zorder": 1}
    for k, node in enumerate(nodes):
        for slot, p in enumerate(node.parents):
            if (k, slot) in lanes:
                # NOTE: leave below the middle and arrive above it, so a node with a lane in
                # and a lane out (chained skip connections) shows two separate lines.
                side = 1.0 if lanes[(k, slot)] > centres[p, 0] else -1.0
                a = _side_point(nodes[p], centres[p], sizes[p], side, -0.2)
                b = _side_point(node, centres[k], sizes[k], side, 0.2)
                ax.add_artist(FancyArrowPatch(path=_lane_path(a, b, lanes[(k, slot)]), **style))
                continue
            start = (centres[p, 0], centres[p, 1] - sizes[p, 1] / 2)
            end = _entry(node, centres[k], sizes[k], slot)
            ax.add_artist(FancyArrowPatch(start, end, shrinkA=0, shrinkB=0,
                                          connectionstyle=_bend(start, end), **style))


def _bend(start: tuple, end: tuple) -> str:
    """Straight for an edge to the next row; an edge that skips rows without a lane bows by
    about _BOW inches so that it stands apart from the edges between the rows it skips."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    if -dy < 1.5 * _ROW_STEP:
        return "arc3,rad=0"
    side = 1.0 if dx >= 0 else -1.0
    return f"arc3,rad={side * 2 * _BOW / np.hypot(dx, dy):.4f}"


def _header(fig: Any, top: float, total: float, fills: dict, legend: dict,
            width: float) -> None:
    from matplotlib.patches import Patch

    fig.text(0.5, 1 - 0.12 / total, "Autograd graph: inputs at the top, output at the bottom",
             ha="center", va="top", fontsize=11)
    handles = [Patch(facecolor=fills.get(kind, "white"), edgecolor="black", label=text)
               for kind, text in legend.items()]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1 - 0.42 / total),
               ncol=4 if width >= 8 else 2, fontsize=8, frameon=False)


def draw_layered(nodes: list, fills: dict, legend: dict) -> tuple[Any, float]:
    """Draw ``nodes`` (kinds "input", "constant", "op", "output"; labels with "\\n"; parent
    indices) and return the Figure and the dpi to save it at."""
    from matplotlib.figure import Figure

    depth, children = _depths(nodes)
    rows = _ordered_rows(nodes, depth, children)
    sizes = _sizes(nodes)
    centres, width, height = _positions(nodes, rows, children, sizes)
    lanes = _lanes(nodes, rows, depth, centres, sizes)
    low = min([0.0] + [x - _MARGIN for x in lanes.values()])
    high = max([width] + [x + _MARGIN for x in lanes.values()])
    width = high - low
    top = 0.75 if width >= 8 else 0.95
    fig = Figure(figsize=(width, height + top))
    ax = fig.add_axes((0, 0, 1, height / (height + top)))
    ax.set_xlim(low, high)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    # NOTE: add_artist, not add_patch: the limits are set by hand, and updating the data
    # limits patch by patch costs seconds on a graph of a few hundred nodes.
    for k, node in enumerate(nodes):
        ax.add_artist(_patch(node, centres[k], sizes[k], fills))
        ax.text(*centres[k], node.label, ha="center", va="center", fontsize=9, zorder=3)
    _arrows(ax, nodes, centres, sizes, lanes)
    _header(fig, top, height + top, fills, legend, width)
    dpi = min(150.0, _MAX_PIXELS / max(width, height + top))
    return fig, dpi

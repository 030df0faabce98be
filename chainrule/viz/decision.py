"""The decision regions of a classifier on two input features, with the data on top.

Example:
    >>> import numpy as np
    >>> from chainrule.viz import plot_decision_boundary
    >>> X = np.array([[-1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    >>> fig = plot_decision_boundary(lambda t: t[:, :1], X, [0, 1], resolution=20)
    >>> fig.axes[0].get_xlabel()
    'feature 1'
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..autograd import no_grad
from ..dtypes import float32
from ..nn.module import Module
from ..tensor import Tensor
from ._figure import as_array, panels


def _points(X: Any) -> np.ndarray:
    points = as_array(X, "plot_decision_boundary").astype(np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(f"plot_decision_boundary: X must have shape (n, 2) (two input "
                         f"features), got {points.shape}")
    return points


def _labels(y: Any, count: int) -> np.ndarray:
    labels = as_array(y, "plot_decision_boundary").ravel()
    if len(labels) != count:
        raise ValueError(f"plot_decision_boundary: {len(labels)} labels for {count} points")
    if labels.dtype.kind == "b" or (labels.dtype.kind == "f" and np.all(labels % 1 == 0)):
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu" or labels.min() < 0:
        raise ValueError("plot_decision_boundary: y must hold class indices 0, 1, ...")
    return labels


def _grid(points: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """A resolution × resolution mesh over the points' bounding box, padded by 10 %."""
    low, high = points.min(axis=0), points.max(axis=0)
    pad = np.maximum(0.1 * (high - low), 0.5 * (high == low))
    axes = [np.linspace(low[k] - pad[k], high[k] + pad[k], resolution) for k in range(2)]
    return np.meshgrid(*axes)


def _input_dtype(model: Any) -> Any:
    """float32, or the dtype of a Module's first floating parameter (a float64 model)."""
    if isinstance(model, Module):
        for param in model.parameters():
            if param.dtype.kind == "f":
                return param.dtype
    return float32


def _scores(model: Any, inputs: np.ndarray) -> np.ndarray:
    """The model's outputs for ``inputs`` (n, 2), without a graph, in eval mode."""
    modes = [(m, m.training) for m in model.modules()] if isinstance(model, Module) else []
    if modes:
        model.eval()
    try:
        with no_grad():
            output = model(Tensor(inputs, dtype=_input_dtype(model)))
    finally:
        for module, training in modes:
            object.__setattr__(module, "training", training)
    scores = as_array(output, "plot_decision_boundary: the model's output")
    if scores.ndim == 1:
        scores = scores[:, None]
    if scores.ndim != 2 or len(scores) != len(inputs):
        raise ValueError(f"plot_decision_boundary: the model must return (n, C) logits or one "
                         f"score per point, got shape {scores.shape} for {len(inputs)} points")
    return scores


def _classes(scores: np.ndarray) -> np.ndarray:
    """argmax for (n, C); for one column, > 0.5 if all values are probabilities in [0, 1],
    else > 0 (logits)."""
    if scores.shape[1] > 1:
        return np.argmax(scores, axis=1)
    column = scores[:, 0]
    threshold = 0.5 if np.all((column >= 0) & (column <= 1)) else 0.0
    return (column > threshold).astype(np.int64)


def _colors(count: int) -> list:
    from matplotlib import colormaps

    if count <= 10:
        return [colormaps["tab10"](k) for k in range(count)]
    if count <= 20:
        return [colormaps["tab20"](k) for k in range(count)]
    return [colormaps["turbo"](k / (count - 1)) for k in range(count)]


def _draw_regions(ax: Any, xx: np.ndarray, yy: np.ndarray, regions: np.ndarray,
                  colors: list) -> None:
    from matplotlib.colors import ListedColormap

    extent = (xx.min(), xx.max(), yy.min(), yy.max())
    ax.imshow(regions, origin="lower", extent=extent, aspect="auto", interpolation="nearest",
              cmap=ListedColormap(colors), vmin=-0.5, vmax=len(colors) - 0.5, alpha=0.3)
    levels = np.arange(regions.min(), regions.max()) + 0.5
    if len(levels):
        ax.contour(xx, yy, regions, levels=levels, colors="0.2", linewidths=1.0)


def _draw_points(ax: Any, points: np.ndarray, labels: np.ndarray, colors: list,
                 names: Sequence[str]) -> None:
    size = 30 if len(points) <= 500 else 10
    for k in np.unique(labels):
        chosen = points[labels == k]
        ax.scatter(chosen[:, 0], chosen[:, 1], s=size, color=colors[k], edgecolors="black",
                   linewidths=0.5, label=names[k])
    ax.legend(title="true class", fontsize=9, loc="best", framealpha=0.9)


def plot_decision_boundary(model: Any, X: Any, y: Any, ax: Any = None, resolution: int = 200,
                           class_names: Sequence[str] | None = None) -> Any:
    """Shade the class the model predicts at every point of the plane; draw the data on top.

    The model is evaluated on a grid covering the data under ``no_grad()``; a Module is put
    in eval mode for that and its modes are restored afterwards.

    Args:
        model: a callable (a Module, or any function) taking a float32 Tensor (n, 2) (float64
            for a Module with float64 parameters) and returning logits (n, C), or one column
            (n,) or (n, 1) for a binary classifier: probabilities when all values lie in
            [0, 1] (class 1 where > 0.5), logits otherwise (class 1 where > 0).
        X: the points, (n, 2).
        y: their class indices, (n,).
        ax: the Axes to draw into (default: a new Figure).
        resolution: grid points along each axis.
        class_names: names of the classes for the legend (default: "class 0", ...).

    Returns:
        The matplotlib Figure.

    Example:
        >>> X = np.array([[-1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
        >>> fig = plot_decision_boundary(lambda t: t[:, :1] - t[:, 1:], X, [0, 1],
        ...                              resolution=20, class_names=["left", "right"])
        >>> fig.axes[0].get_legend().get_texts()[0].get_text()
        'left'
    """
    points = _points(X)
    labels = _labels(y, len(points))
    xx, yy = _grid(points, int(resolution))
    # NOTE: one call for grid and data, so a one-column output gets one threshold for both.
    scores = _scores(model, np.vstack([np.column_stack([xx.ravel(), yy.ravel()]), points]))
    predicted = _classes(scores)
    regions = predicted[: xx.size].reshape(xx.shape)
    count = int(max(labels.max() + 1, predicted.max() + 1, scores.shape[1]))
    names = [f"class {k}" for k in range(count)] if class_names is None else list(class_names)
    if len(names) < count:
        raise ValueError(f"plot_decision_boundary: {len(names)} class names for {count} classes")
    colors = _colors(count)
    fig, (axis,) = panels(ax, 1, 1, (6.4, 5.2), "plot_decision_boundary")
    _draw_regions(axis, xx, yy, regions, colors)
    _draw_points(axis, points, labels, colors, names)
    accuracy = np.mean(predicted[xx.size:] == labels)
    axis.set_title(f"Decision regions (shaded) and data (dots)\n"
                   f"accuracy on these {len(points)} points: {accuracy:.1%}")
    axis.set_xlabel("feature 1")
    axis.set_ylabel("feature 2")
    return fig


__all__ = ["plot_decision_boundary"]

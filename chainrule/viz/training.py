"""Plots for watching and judging training: loss and metric curves per epoch, and the
confusion matrix of a classifier.

Example:
    >>> from chainrule.viz import plot_history
    >>> fig = plot_history({"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.45]})
    >>> [a.get_title() for a in fig.axes]
    ['Loss per epoch']
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ._figure import as_array, panels

_PRETTY = {"lr": "learning rate", "mse": "MSE", "mae": "MAE", "rmse": "RMSE", "auc": "AUC"}


def _pretty(name: str) -> str:
    """A metric key as a person would write it: "top_5_accuracy" -> "top 5 accuracy"."""
    return _PRETTY.get(name, name.replace("_", " "))


def _history_dict(history: Any) -> dict[str, np.ndarray]:
    """``history.history`` (a ``chainrule.train.History``) or a mapping, as float arrays."""
    series = getattr(history, "history", history)
    if not isinstance(series, Mapping):
        raise TypeError("plot_history: expected a History (with a .history dict) or a dict of "
                        f"name -> per-epoch values, got {type(history).__name__}")
    if not series:
        raise ValueError("plot_history: the history is empty (no epoch was recorded)")
    return {str(k): np.asarray(v, dtype=np.float64).ravel() for k, v in series.items()}


def _metric_names(series: Mapping[str, Any], metrics: Sequence[str] | None) -> list[str]:
    """The metrics to draw, without ``val_`` prefixes, "loss" first."""
    base = [k.removeprefix("val_") for k in series]
    wanted = base if metrics is None else [m.removeprefix("val_") for m in metrics]
    names = list(dict.fromkeys(wanted))
    unknown = [m for m in names if m not in base]
    if unknown:
        raise ValueError(f"plot_history: no recorded values for {unknown}; the history has "
                         f"{sorted(series)}")
    if metrics is None and "loss" in names:
        names.remove("loss")
        names.insert(0, "loss")
    return names


def _plot_metric(ax: Any, name: str, train: np.ndarray | None, val: np.ndarray | None) -> None:
    from matplotlib.ticker import MaxNLocator

    for values, style, label, color in ((train, "-", "train", "C0"),
                                        (val, "--", "validation", "C1")):
        if values is None:
            continue
        epochs = np.arange(1, len(values) + 1)
        marker = "o" if len(values) <= 40 else None
        ax.plot(epochs, values, linestyle=style, marker=marker, markersize=4, color=color,
                label=label)
    pretty = _pretty(name)
    ax.set_title(f"{pretty[0].upper()}{pretty[1:]} per epoch")
    ax.set_xlabel("epoch")
    ax.set_ylabel(pretty)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    if train is not None and val is not None:
        ax.legend()


def plot_history(history: Any, metrics: Sequence[str] | None = None, ax: Any = None) -> Any:
    """Loss and metric curves per epoch: training solid, validation dashed.

    Args:
        history: a ``chainrule.train.History`` or a dict such as ``{"loss": [...],
            "val_loss": [...], "accuracy": [...]}`` (Keras keys; ``val_`` marks validation).
        metrics: names to draw (default: every recorded metric, loss first); ``"accuracy"``
            draws both ``accuracy`` and ``val_accuracy``.
        ax: one Axes per metric to draw into (a single Axes when one metric is drawn);
            default: a new Figure with one panel per metric.

    Returns:
        The matplotlib Figure.

    Example:
        >>> h = {"loss": [0.7, 0.4], "accuracy": [0.6, 0.8], "val_accuracy": [0.55, 0.7]}
        >>> fig = plot_history(h)
        >>> [a.get_ylabel() for a in fig.axes]
        ['loss', 'accuracy']
    """
    series = _history_dict(history)
    names = _metric_names(series, metrics)
    fig, axes = panels(ax, len(names), 3, (4.8, 3.6), "plot_history")
    for axis, name in zip(axes, names):
        _plot_metric(axis, name, series.get(name), series.get("val_" + name))
    return fig


# ---------------------------------------------------------------- confusion matrix


def _confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs: ``cm[i, j]`` is the number of samples of
    class i predicted as j (int64, rows = true class)."""
    true = _class_indices(y_true, "y_true")
    pred = _class_indices(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ValueError(f"confusion matrix: y_true has {true.size} labels but y_pred has "
                         f"{pred.size}")
    if num_classes is None:
        num_classes = int(max(true.max(initial=-1), pred.max(initial=-1))) + 1
    largest = max(true.max(initial=-1), pred.max(initial=-1))
    if largest >= num_classes:
        raise ValueError(f"confusion matrix: label {largest} is out of range for "
                         f"num_classes={num_classes}")
    flat = np.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)


def _class_indices(labels: Any, what: str) -> np.ndarray:
    array = as_array(labels, what).ravel()
    if array.dtype.kind == "f" and np.all(array == np.round(array)):
        array = array.astype(np.int64)
    if array.dtype.kind not in "iub":
        raise TypeError(f"confusion matrix: {what} must hold integer class indices, got "
                        f"{array.dtype}")
    if array.size and array.min() < 0:
        raise ValueError(f"confusion matrix: {what} holds a negative class index "
                         f"({array.min()})")
    return array.astype(np.int64)


def _resolve_matrix(cm: Any, y_true: Any, y_pred: Any) -> np.ndarray:
    if cm is None:
        if y_true is None or y_pred is None:
            raise ValueError("plot_confusion_matrix: pass a matrix, or both y_true= and y_pred=")
        return _confusion_matrix(y_true, y_pred)
    matrix = as_array(cm, "plot_confusion_matrix")
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
        raise ValueError(f"plot_confusion_matrix: expected a square (C, C) matrix, got shape "
                         f"{matrix.shape}; for labels use y_true=..., y_pred=...")
    if np.any(matrix < 0):
        raise ValueError("plot_confusion_matrix: the matrix holds negative counts")
    return matrix


def _row_rates(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (all-zero rows stay zero)."""
    totals = matrix.sum(axis=1, keepdims=True).astype(np.float64)
    return np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)


def _title(matrix: np.ndarray, normalize: bool) -> str:
    title = "Confusion matrix"
    if normalize:
        title += " (rows: fraction of each true class)"
    total = matrix.sum()
    if matrix.dtype.kind in "iu" and total > 0:
        title += f"\naccuracy {np.trace(matrix) / total:.1%} on {total} samples"
    return title


def _write_cells(ax: Any, values: np.ndarray, normalize: bool, fontsize: float) -> None:
    bright = values.max() * 0.5 if values.size else 0
    for (i, j), value in np.ndenumerate(values):
        text = f"{value:.2f}" if normalize and value else f"{value:g}"
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                color="white" if value > bright else "black")


def plot_confusion_matrix(cm: Any = None, class_names: Sequence[str] | None = None,
                          normalize: bool = False, ax: Any = None, *, y_true: Any = None,
                          y_pred: Any = None) -> Any:
    """A heat map of a confusion matrix with the count (or rate) written in each cell.

    Args:
        cm: a (C, C) matrix, rows = true class, columns = predicted class (for example from
            ``chainrule.train.metrics.confusion_matrix``). Leave it out and pass ``y_true`` and
            ``y_pred`` (integer class indices) to have it counted here.
        class_names: C names for the ticks (default: 0 … C−1).
        normalize: show each row divided by its total (the fraction of each true class that
            went to each prediction: recall on the diagonal) instead of counts.
        ax: the Axes to draw into (default: a new Figure).
        y_true: true class indices, used when ``cm`` is None.
        y_pred: predicted class indices, used when ``cm`` is None.

    Returns:
        The matplotlib Figure.

    Example:
        >>> fig = plot_confusion_matrix(y_true=[0, 1, 1, 2], y_pred=[0, 1, 2, 2])
        >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
        ('predicted label', 'true label')
    """
    matrix = _resolve_matrix(cm, y_true, y_pred)
    size = matrix.shape[0]
    names = [str(i) for i in range(size)] if class_names is None else [str(n) for n in class_names]
    if len(names) != size:
        raise ValueError(f"plot_confusion_matrix: {len(names)} class names for {size} classes")
    side = float(np.clip(0.5 * size + 2.5, 4.0, 14.0))
    fig, (axis,) = panels(ax, 1, 1, (side + 1.4, side), "plot_confusion_matrix")
    values = _row_rates(matrix) if normalize else matrix
    image = axis.imshow(values, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    from matplotlib.ticker import MaxNLocator

    fig.colorbar(image, ax=axis, label="fraction of true class" if normalize else "count",
                 ticks=MaxNLocator(integer=True) if values.dtype.kind in "iu" else None)
    if size <= 30:
        _write_cells(axis, values, normalize, float(np.clip(15 - 0.35 * size, 6, 12)))
    axis.set_xticks(range(size), names, rotation=45 if max(map(len, names)) > 3 else 0,
                    ha="right" if max(map(len, names)) > 3 else "center")
    axis.set_yticks(range(size), names)
    axis.set_xlabel("predicted label")
    axis.set_ylabel("true label")
    axis.set_title(_title(matrix, normalize))
    return fig


__all__ = ["plot_confusion_matrix", "plot_history"]

"""A grid of image samples with their true and predicted labels.

Example:
    >>> import numpy as np
    >>> from chainrule.viz import plot_images
    >>> fig = plot_images(np.zeros((3, 28, 28)), labels=[1, 2, 3], predictions=[1, 2, 0])
    >>> fig.axes[2].get_title()
    'true: 3\\npred: 0'
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ._figure import as_array, panels


def _image_stack(images: Any) -> np.ndarray:
    """(N, H, W) grey or (N, H, W, 3) colour images from (N, H, W), (N, 1, H, W),
    (N, 3, H, W) or flat (N, H·W) rows of a square image."""
    array = as_array(images, "plot_images").astype(np.float64)
    if array.ndim == 2:
        side = math.isqrt(array.shape[1])
        if side * side != array.shape[1]:
            raise ValueError(f"plot_images: flat rows of {array.shape[1]} values are not a "
                             "square image; reshape them to (N, H, W) first")
        return array.reshape(len(array), side, side)
    if array.ndim == 4 and array.shape[1] == 1:
        return array[:, 0]
    if array.ndim == 4 and array.shape[1] == 3:
        low = array.min(axis=(1, 2, 3), keepdims=True)
        span = np.maximum(array.max(axis=(1, 2, 3), keepdims=True) - low, 1e-12)
        return np.transpose((array - low) / span, (0, 2, 3, 1))
    if array.ndim == 3:
        return array
    raise ValueError(f"plot_images: expected images of shape (N, H, W), (N, 1, H, W), "
                     f"(N, 3, H, W) or (N, H*W), got {array.shape}")


def _labels(values: Any, count: int, what: str) -> np.ndarray | None:
    if values is None:
        return None
    array = as_array(values, what).ravel()
    if len(array) != count:
        raise ValueError(f"plot_images: {len(array)} {what} for {count} images")
    return array


def _label_text(value: Any, names: Sequence[str] | None) -> str:
    """A label as text: a class name for an index when names are given."""
    number = isinstance(value, (int, float, np.integer, np.floating))
    if number and float(value).is_integer():
        index = int(value)
        return str(names[index]) if names is not None and 0 <= index < len(names) else str(index)
    return f"{value:.3g}" if number else str(value)


def _caption(i: int, labels: Any, predictions: Any, names: Sequence[str] | None
             ) -> tuple[str, str]:
    """The title of image i and its colour (red for a wrong prediction)."""
    def name(value: Any) -> str:
        return _label_text(value, names)

    if labels is not None and predictions is not None:
        wrong = labels[i] != predictions[i]
        return f"true: {name(labels[i])}\npred: {name(predictions[i])}", \
            "red" if wrong else "black"
    if predictions is not None:
        return f"pred: {name(predictions[i])}", "black"
    if labels is not None:
        return name(labels[i]), "black"
    return f"#{i}", "black"


def _suptitle(count: int, labels: Any, predictions: Any) -> str:
    title = f"{count} samples"
    if labels is not None and predictions is not None:
        wrong = int(np.sum(labels != predictions))
        title += f": true / predicted label, {wrong} wrong shown in red"
    elif labels is not None:
        title += " with their labels"
    return title


def plot_images(images: Any, labels: Any = None, predictions: Any = None,
                class_names: Sequence[str] | None = None, ncols: int = 8,
                ax: Any = None) -> Any:
    """A grid of image samples, each titled with its label (and prediction).

    Args:
        images: N images as (N, H, W), (N, 1, H, W), (N, 3, H, W) or flat (N, H·W) rows of
            a square image (MNIST's (N, 784)); a Tensor or an array. Grey images use a grey
            colour map scaled per image.
        labels: N true labels (class indices or values), optional.
        predictions: N predicted labels, optional; wrong ones are titled in red.
        class_names: names for class indices in titles.
        ncols: images per row.
        ax: N Axes to draw into (one per image); default: a new Figure.

    Returns:
        The matplotlib Figure.

    Example:
        >>> fig = plot_images(np.zeros((2, 784)), labels=[0, 1], class_names=["zero", "one"])
        >>> [a.get_title() for a in fig.axes]
        ['zero', 'one']
    """
    pictures = _image_stack(images)
    count = len(pictures)
    if count == 0:
        raise ValueError("plot_images: no images to draw")
    labels = _labels(labels, count, "labels")
    predictions = _labels(predictions, count, "predictions")
    height = 1.9 if labels is not None and predictions is not None else 1.7
    fig, axes = panels(ax, count, ncols, (1.5, height), "plot_images")
    for i, axis in enumerate(axes):
        axis.imshow(pictures[i], cmap="gray" if pictures[i].ndim == 2 else None)
        axis.set_xticks([])
        axis.set_yticks([])
        title, color = _caption(i, labels, predictions, class_names)
        axis.set_title(title, color=color, fontsize=9)
    if ax is None:
        fig.suptitle(_suptitle(count, labels, predictions))
    return fig


__all__ = ["plot_images"]

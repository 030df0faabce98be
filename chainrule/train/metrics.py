"""Metrics for ``fit`` and ``evaluate``: accuracy, top-k accuracy, MSE, MAE, confusion matrix.

A metric accumulates over the batches of an epoch (``update``) and reports one number
(``result``), weighting each batch by its number of samples, so the result equals the metric
of the whole epoch at once. Metrics read NumPy arrays: the model's outputs and the targets.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np


class Metric:
    """Base class: ``reset()``, ``update(outputs, targets)``, ``result() -> float``."""

    name = "metric"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total, self.count = 0.0, 0

    def update(self, outputs: np.ndarray, targets: np.ndarray) -> None:
        values = self.per_sample(np.asarray(outputs), np.asarray(targets))
        self.total += float(np.sum(values))
        self.count += len(values)

    def per_sample(self, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def result(self) -> float:
        return self.total / self.count if self.count else float("nan")


def class_indices(targets: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Integer class targets, from indices (N,) or one-hot / probability rows (N, C)."""
    if targets.ndim == outputs.ndim and targets.shape == outputs.shape and outputs.ndim > 1:
        return np.argmax(targets, axis=-1)
    return targets.astype(np.int64, copy=False)


class Accuracy(Metric):
    """Fraction of samples whose predicted class equals the target.

    The prediction is the argmax over the last dimension of (N, C) outputs. For one output per
    sample ((N,) or (N, 1)) the prediction is ``output > threshold`` (0.5 for probabilities;
    pass ``threshold=0.0`` for logits).
    """

    name = "accuracy"

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold
        super().__init__()

    def per_sample(self, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        if outputs.ndim == 1 or outputs.shape[-1] == 1:
            predicted = (outputs.reshape(len(outputs)) > self.threshold).astype(np.int64)
            return predicted == targets.reshape(len(targets)).astype(np.int64)
        return np.argmax(outputs, axis=-1) == class_indices(targets, outputs)


class TopKAccuracy(Metric):
    """Fraction of samples whose target is among the ``k`` highest outputs."""

    def __init__(self, k: int = 5) -> None:
        self.k = k
        self.name = f"top_{k}_accuracy"
        super().__init__()

    def per_sample(self, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        k = min(self.k, outputs.shape[-1])
        top = np.argpartition(-outputs, k - 1, axis=-1)[..., :k]
        return np.any(top == class_indices(targets, outputs)[..., None], axis=-1)


class MeanSquaredError(Metric):
    """Mean over samples of the mean squared difference between output and target."""

    name = "mse"

    def per_sample(self, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        diff = (outputs - targets.reshape(outputs.shape)).reshape(len(outputs), -1)
        return np.mean(diff * diff, axis=1)


class MeanAbsoluteError(Metric):
    """Mean over samples of the mean absolute difference between output and target."""

    name = "mae"

    def per_sample(self, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
        diff = (outputs - targets.reshape(outputs.shape)).reshape(len(outputs), -1)
        return np.mean(np.abs(diff), axis=1)


_BY_NAME = {"accuracy": Accuracy, "acc": Accuracy, "mse": MeanSquaredError,
            "mae": MeanAbsoluteError, "top_k_accuracy": TopKAccuracy,
            "top_5_accuracy": TopKAccuracy}


def get_metric(metric: Any) -> Metric:
    """A fresh Metric from a name ("accuracy", "top_k_accuracy", "mse", "mae"), or a reset
    copy of a Metric instance (so two loops never share counts)."""
    if isinstance(metric, Metric):
        fresh = copy.copy(metric)
        fresh.reset()
        return fresh
    if isinstance(metric, str) and metric in _BY_NAME:
        return _BY_NAME[metric]()
    raise ValueError(f"unknown metric {metric!r}; use one of {sorted(_BY_NAME)} or a Metric")


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs: rows are true classes.

    Example:
        >>> confusion_matrix([0, 1, 1, 2], [0, 1, 0, 2]).tolist()
        [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    """
    true = np.asarray(getattr(y_true, "data", y_true)).astype(np.int64).ravel()
    pred = np.asarray(getattr(y_pred, "data", y_pred)).astype(np.int64).ravel()
    if true.shape != pred.shape:
        raise ValueError(f"confusion_matrix: {true.size} true labels but {pred.size} predictions")
    if num_classes is None:
        num_classes = int(max(true.max(initial=-1), pred.max(initial=-1))) + 1
    labels = np.concatenate([true, pred])
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"confusion_matrix: labels must lie in [0, {num_classes})")
    counts = np.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)

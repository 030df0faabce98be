"""Training tools: ``fit`` (Keras-style, built from the public ``train_step``), ``evaluate``,
``predict``, metrics, callbacks, the per-epoch ``History`` and ``Checkpoint``."""

from __future__ import annotations

from .callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    FitState,
    LearningRateScheduler,
    ModelCheckpoint,
    TerminateOnNaN,
)
from .checkpoint import Checkpoint
from .fit import fit
from .history import History
from .loop import as_loader, evaluate, predict, train_step
from .metrics import (
    Accuracy,
    MeanAbsoluteError,
    MeanSquaredError,
    Metric,
    TopKAccuracy,
    confusion_matrix,
)

__all__ = [
    "Accuracy", "CSVLogger", "Callback", "Checkpoint", "EarlyStopping", "FitState", "History",
    "LearningRateScheduler", "MeanAbsoluteError", "MeanSquaredError", "Metric",
    "ModelCheckpoint", "TerminateOnNaN", "TopKAccuracy", "as_loader", "confusion_matrix",
    "evaluate", "fit", "predict", "train_step",
]

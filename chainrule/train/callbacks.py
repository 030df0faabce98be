"""Callbacks for ``fit`` (Keras's names and hooks): EarlyStopping, ModelCheckpoint,
LearningRateScheduler, TerminateOnNaN, CSVLogger.

A callback's hooks receive the epoch or batch number and the ``logs`` dict of current values;
``self.state`` (set by ``fit``) gives the model, the optimizer, the history, the global step
and ``stop(reason)``, which ends training after the current batch or epoch.
"""

from __future__ import annotations

import csv
import math
import os
from typing import Any, Callable

import numpy as np

from ..io import save


class FitState:
    """What a training run exposes to its callbacks."""

    def __init__(self, model: Any, optimizer: Any, history: Any, epochs: int) -> None:
        self.model, self.optimizer, self.history = model, optimizer, history
        self.epochs, self.epoch, self.step = epochs, 0, 0
        self.stop_training = False

    def stop(self, reason: str) -> None:
        """Stop training at the end of the current batch, recording ``reason`` in the History."""
        self.stop_training = True
        self.history.stop_reason = reason


class Callback:
    """Base class; override the hooks you need."""

    state: FitState

    def set_state(self, state: FitState) -> None:
        self.state = state

    def on_train_begin(self, logs: dict) -> None: ...
    def on_train_end(self, logs: dict) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict) -> None: ...
    def on_batch_begin(self, batch: int, logs: dict) -> None: ...
    def on_batch_end(self, batch: int, logs: dict) -> None: ...


class _Monitor:
    """Tracks the best value of a logged quantity ('min' or 'max'; 'auto' guesses)."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = math.inf if mode == "min" else -math.inf

    def value(self, logs: dict) -> float:
        if self.monitor not in logs:
            raise KeyError(f"monitored quantity {self.monitor!r} is not logged; available: "
                           f"{sorted(logs)} (val_* needs validation data)")
        return float(logs[self.monitor])

    def improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Args:
        monitor: a logged quantity ("val_loss", "val_accuracy", "loss" ...).
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement after which training stops (0: the first).
        mode: "min", "max" or "auto" (max for accuracies, min otherwise).
        restore_best_weights: on stopping, load the weights of the best epoch (Keras's rule).
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: str = "auto", restore_best_weights: bool = False) -> None:
        self.tracker = _Monitor(monitor, mode, min_delta)
        self.patience, self.restore_best_weights = patience, restore_best_weights
        self.wait, self.best_epoch, self.best_weights = 0, None, None
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        value = self.tracker.value(logs)
        if self.tracker.improved(value):
            self.tracker.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.data.copy() for k, v in
                                     self.state.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            restored = ""
            if self.best_weights is not None:
                self.state.model.load_state_dict(self.best_weights)
                restored = f"; restored the weights of epoch {self.best_epoch + 1}"
            self.state.stop(f"EarlyStopping: {self.tracker.monitor} did not improve for "
                            f"{self.wait} epochs after epoch {self.best_epoch + 1} "
                            f"(best {self.tracker.best:.4f}){restored}")


class ModelCheckpoint(Callback):
    """Save the model's weights (safetensors) after each epoch, or only when ``monitor``
    improves with ``save_best_only``. ``filepath`` may use ``{epoch}`` and logged names, e.g.
    ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``; writes are atomic."""

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "auto") -> None:
        self.filepath = os.fspath(filepath)
        self.tracker = _Monitor(monitor, mode, 0.0)
        self.save_best_only = save_best_only
        self.saved: list[str] = []

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if self.save_best_only:
            value = self.tracker.value(logs)
            if not self.tracker.improved(value):
                return
            self.tracker.best = value
        path = self.filepath.format(epoch=epoch + 1, **logs)
        save(self.state.model, path, metadata={"epoch": str(epoch + 1),
                                               **{k: repr(v) for k, v in logs.items()}})
        self.saved.append(path)


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)`` (Keras)."""

    def __init__(self, schedule: Callable[[int, float], float]) -> None:
        self.schedule = schedule

    def on_epoch_begin(self, epoch: int, logs: dict) -> None:
        for group in self.state.optimizer.param_groups:
            group["lr"] = float(self.schedule(epoch, group["lr"]))


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite, naming epoch and step."""

    def on_batch_end(self, batch: int, logs: dict) -> None:
        loss = logs.get("loss")
        if loss is not None and not np.isfinite(loss):
            self.state.stop(f"TerminateOnNaN: loss became {loss} at epoch "
                            f"{self.state.epoch + 1}, batch {batch + 1} "
                            f"(step {self.state.step})")


class CSVLogger(Callback):
    """Append one CSV row per epoch (``epoch`` then every logged quantity) to ``filename``."""

    def __init__(self, filename: str | os.PathLike, separator: str = ",",
                 append: bool = False) -> None:
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self.columns: list[str] | None = None

    def on_train_begin(self, logs: dict) -> None:
        if not self.append and os.path.exists(self.filename):
            os.remove(self.filename)

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        new_file = not os.path.exists(self.filename)
        self.columns = self.columns or list(logs)
        with open(self.filename, "a", newline="") as handle:
            writer = csv.writer(handle, delimiter=self.separator)
            if new_file:
                writer.writerow(["epoch", *self.columns])
            writer.writerow([epoch] + [logs.get(name, "") for name in self.columns])

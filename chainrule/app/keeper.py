"""Keeping a ``chainrule train`` run safe: a checkpoint after every epoch and at the batch
where Ctrl-C or SIGTERM arrived, and a stop (never a save) when the loss or the weights stop
being finite (RELIABILITY R-CLI-1, R-NUM-6)."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import numpy as np

from ..train import Callback, Checkpoint
from .run_dir import MODEL, writing


class RunInterrupted(Exception):
    """Training stopped on a signal after saving a checkpoint; ``exit_status`` is 128 + signal."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.exit_status = 128 + signum


class TrainingDiverged(Exception):
    """The loss or the weights became NaN or infinite; nothing was saved over the model."""


class StopSignals:
    """Within ``with``, SIGINT and SIGTERM ask training to stop at the next batch boundary
    (``received`` holds the signal); a second one stops at once with KeyboardInterrupt."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: int | None = None
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread may handle signals; elsewhere they act as ever
        for signum in self.SIGNALS:
            self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.received is not None:
            raise KeyboardInterrupt
        self.received = signum


class RunKeeper(Callback):
    """Checkpoints every epoch and on a stop signal; stops on a non-finite loss or weights.

    Args:
        checkpoint: the run's ``Checkpoint`` (model, optimizer, scheduler, loader).
        path: where the checkpoint goes.
        history: the per-epoch values of the epochs before this ``fit`` (resumed runs);
            extended in place as epochs finish.
        signals: the ``StopSignals`` in force.
    """

    def __init__(self, checkpoint: Checkpoint, path: str, history: dict[str, list[float]],
                 signals: StopSignals) -> None:
        self.checkpoint, self.path, self.history = checkpoint, path, history
        self.signals = signals
        self.interrupted_at: str | None = None
        self.diverged: str | None = None

    def on_batch_end(self, batch: int, logs: dict) -> None:
        if self.diverged or self.interrupted_at:
            return
        if not np.isfinite(logs["loss"]):
            self._diverge(f"the training loss became {logs['loss']} at epoch "
                          f"{self.state.epoch + 1}, batch {batch + 1} (step {self.state.step})")
        elif self.signals.received is not None and not self._last_batch():
            self._save(self.state.epoch)  # mid-epoch: the loader's state says where
            self._interrupt(f"epoch {self.state.epoch + 1}, batch {batch + 1}")

    def _last_batch(self) -> bool:
        """Whether the epoch's batches are all handed out (then ``on_epoch_end`` saves: a
        checkpoint at the very end of an epoch would resume into an empty epoch)."""
        loader = self.checkpoint.parts["loader"]
        return loader.state_dict()["position"] >= len(loader)

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if self.diverged or self.interrupted_at:
            return
        broken = [name for name, p in self.state.model.named_parameters()
                  if not np.all(np.isfinite(p.data))]
        if broken:
            self._diverge(f"the weights ({broken[0]}) became NaN or infinite in epoch "
                          f"{epoch + 1}")
            return
        for name, value in logs.items():
            self.history.setdefault(name, []).append(float(value))
        self._save(epoch + 1)
        if self.signals.received is not None:
            self._interrupt(f"the end of epoch {epoch + 1}")

    def _save(self, next_epoch: int) -> None:
        arrays = {name: np.array(values) for name, values in self.history.items()}
        with writing(self.path):
            self.checkpoint.save(self.path, epoch=next_epoch, step=self.state.step,
                                 extra={"history": arrays})

    def _interrupt(self, where: str) -> None:
        self.interrupted_at = where
        self.state.stop_training = True

    def _diverge(self, message: str) -> None:
        self.diverged = message
        self.state.stop_training = True


def raise_if_stopped(keeper: RunKeeper, signals: StopSignals, out: str) -> None:
    """After ``fit``: TrainingDiverged or RunInterrupted when ``keeper`` stopped the run, each
    saying what was kept in the run directory ``out`` and what to do next."""
    checkpoint_path = keeper.path
    if keeper.diverged:
        kept = (f"; the checkpoint of the last good epoch stays in {checkpoint_path} (delete "
                f"it to train afresh in {out})") if os.path.exists(checkpoint_path) else ""
        raise TrainingDiverged(f"{keeper.diverged}; stopped, and nothing was saved over "
                               f"{os.path.join(out, MODEL)}; try a smaller --lr{kept}")
    if keeper.interrupted_at:
        raise RunInterrupted(f"interrupted at {keeper.interrupted_at}; the run is saved in "
                             f"{checkpoint_path}: continue it with 'chainrule train --resume "
                             f"{out}'", signals.received or 2)


def read_checkpoint(checkpoint: Checkpoint, path: str,
                    epochs: int) -> tuple[dict[str, list[float]], int]:
    """Load a run's checkpoint over its rebuilt parts; returns (history, next epoch), or a
    ValueError when the file does not fit the run."""
    try:
        state = checkpoint.load(path)
        history = {name: [float(v) for v in np.asarray(values)]
                   for name, values in state["extra"]["history"].items()}
        epoch = int(state["epoch"])
    except (RuntimeError, KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"{path}: does not fit this run's model and data "
                         f"({' '.join(str(err).split())[:200]})") from None
    if not 0 <= epoch <= epochs:
        raise ValueError(f"{path}: epoch {epoch} is outside the run's {epochs} epochs")
    return history, epoch

"""``History``: what ``fit`` returns, one value per epoch for every logged quantity."""

from __future__ import annotations

import csv
import os
from typing import Any


class History:
    """Per-epoch values, Keras-style: ``history.history["val_loss"][3]`` is epoch 4's.

    Attributes:
        history: name -> list of floats, one per completed epoch ("loss", "accuracy",
            "val_loss", "val_accuracy", "lr", ...).
        epoch: the epoch numbers (0-based) that were completed.
        stop_reason: why training stopped early (EarlyStopping, TerminateOnNaN), or None.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.stop_reason: str | None = None

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        """Append one epoch's values."""
        self.epoch.append(epoch)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(float(value))

    def to_dict(self) -> dict[str, list[float]]:
        return {name: list(values) for name, values in self.history.items()}

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write one row per epoch: ``epoch`` then every logged quantity."""
        names = list(self.history)
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["epoch", *names])
            for row, epoch in enumerate(self.epoch):
                writer.writerow([epoch] + [_cell(self.history[n], row) for n in names])

    def __getitem__(self, name: str) -> list[float]:
        return self.history[name]

    def __repr__(self) -> str:
        last = {name: round(values[-1], 4) for name, values in self.history.items() if values}
        return f"History(epochs={len(self.epoch)}, last={last})"


def _cell(values: list[float], row: int) -> Any:
    return repr(values[row]) if row < len(values) else ""

"""A run directory: what ``chainrule train`` writes, and reads back to resume.

    run.json                 the run's settings (``RunConfig``), written before training
    checkpoint.safetensors   the training state after the last epoch, or at the batch where
                             Ctrl-C or SIGTERM arrived; removed when the run finishes
    model.safetensors        the trained model (its architecture in the metadata)
    history.csv              one row per epoch, numbered from 1 as on the screen
    metrics.json             test loss, accuracy and confusion matrix
    *.png                    curves, confusion matrix, decision boundary (2-D data)

Every file is written atomically (a temporary file renamed over the target).
"""

from __future__ import annotations

import csv
import io as text_io
import json
import math
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from typing import Iterator

import numpy as np

from .. import io
from ..train import History

CONFIG, CHECKPOINT, MODEL = "run.json", "checkpoint.safetensors", "model.safetensors"
HISTORY, METRICS = "history.csv", "metrics.json"


@dataclass
class RunConfig:
    """The settings of a training run (``chainrule train``'s options)."""

    data: str = "fashion-mnist"
    model: str = "mlp"
    epochs: int = 15
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float | None = None
    seed: int = 0
    validation_split: float = 0.1

    def check(self, optimizers: dict) -> None:
        """ValueError naming the first setting that cannot work."""
        if self.optimizer not in optimizers:
            raise ValueError(f"unknown optimizer {self.optimizer!r}: use one of "
                             f"{', '.join(optimizers)}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"--epochs and --batch-size must be positive, got {self.epochs} "
                             f"and {self.batch_size}")
        if self.lr is not None and not (math.isfinite(self.lr) and self.lr >= 0):
            raise ValueError(f"--lr must be a finite number ≥ 0, got {self.lr}")
        if not 0 <= self.validation_split < 1:
            raise ValueError(f"--validation-split must be in [0, 1), got "
                             f"{self.validation_split}")

    @classmethod
    def read(cls, path: str) -> RunConfig:
        """The settings saved in a run directory's run.json."""
        try:
            with open(path) as handle:
                saved = json.load(handle)
            names = {field.name for field in fields(cls)}
            if not isinstance(saved, dict) or set(saved) - names:
                raise ValueError(f"unexpected content {saved!r}")
            config = cls(**saved)
            _check_types(config)
            return config
        except (ValueError, TypeError) as err:
            raise ValueError(f"{path}: not a run.json written by 'chainrule train' ({err})") \
                from None

    def write(self, path: str) -> None:
        write_text(path, json.dumps(asdict(self), indent=2) + "\n")


def _check_types(config: RunConfig) -> None:
    for name, kind in [("data", str), ("model", str), ("epochs", int), ("batch_size", int),
                       ("optimizer", str), ("lr", (float, int, type(None))), ("seed", int),
                       ("validation_split", (float, int))]:
        value = getattr(config, name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"{name} is {value!r}")


def prepare_out_dir(out: str) -> None:
    """Create ``out`` before training; refuse a file, or a directory holding an interrupted
    run (its checkpoint would be lost)."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"--out {out!r} is an existing file, not a directory")
    if os.path.exists(os.path.join(out, CHECKPOINT)):
        raise ValueError(f"{out!r} holds an interrupted run: continue it with "
                         f"'chainrule train --resume {out}', or delete its {CHECKPOINT} (or "
                         f"choose another --out) to start afresh")
    with writing(out):
        os.makedirs(out, exist_ok=True)


@contextmanager
def writing(path: str) -> Iterator[None]:
    """Name ``path`` in an operating-system error raised while writing it (a full disk, a
    read-only directory): the write is atomic, so the previous file is left as it was."""
    try:
        yield
    except OSError as err:
        raise OSError(err.errno, err.strerror or str(err), path) from None


def write_text(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` atomically."""
    with writing(path), io.atomic_write(path) as handle:
        handle.write(text.encode())


def write_history(path: str, history: dict[str, list[float]]) -> None:
    """One row per epoch, numbered from 1 (as the progress lines and the plots number them)."""
    names = list(history)
    rows = max((len(values) for values in history.values()), default=0)
    buffer = text_io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["epoch", *names])
    for row in range(rows):
        writer.writerow([row + 1] + [repr(float(history[name][row])) for name in names])
    write_text(path, buffer.getvalue())


def read_history(path: str) -> History:
    """The History written by ``write_history`` (for ``chainrule plot``)."""
    try:
        table = np.genfromtxt(path, delimiter=",", names=True, ndmin=1)
        if table.dtype.names is None or "epoch" not in table.dtype.names:
            raise ValueError("no 'epoch' column")
    except ValueError as err:
        raise ValueError(f"{path}: not a history.csv written by 'chainrule train' ({err})") \
            from None
    history = History()
    for row in np.atleast_1d(table):
        history.record(int(row["epoch"]), {name: float(row[name])
                                           for name in table.dtype.names if name != "epoch"})
    return history

"""``fit``: epochs of ``train_step`` with metrics, validation, a scheduler, callbacks and a
progress display; returns a ``History``."""

from __future__ import annotations

import sys
from typing import Any, Sequence, TextIO

import numpy as np

from ..optim.plateau import ReduceLROnPlateau
from . import data_parallel
from .callbacks import Callback, FitState
from .history import History
from .loop import as_loader, evaluate, split_validation, train_step
from .metrics import Metric, get_metric
from .progress import EpochProgress, resolve_verbose


def fit(model: Any, loss_fn: Any, optimizer: Any, train_data: Any, *, epochs: int = 1,
        val_data: Any = None, validation_split: float | None = None,
        metrics: Sequence[Any] = (), callbacks: Sequence[Callback] = (),
        scheduler: Any = None, scheduler_interval: str = "epoch", batch_size: int = 32,
        shuffle: bool = True, verbose: Any = "auto", generator: np.random.Generator | None = None,
        stream: TextIO | None = None, initial_epoch: int = 0,
        distributed: bool = False) -> History:
    """Train ``model`` for ``epochs`` epochs and return the per-epoch History.

    Args:
        model: a Module (or any callable with train()/eval()).
        loss_fn: ``loss_fn(outputs, targets)`` returning a scalar tensor.
        optimizer: a chainrule optimizer over the model's parameters.
        train_data: a DataLoader, or an ``(x, y)`` pair batched with ``batch_size``/``shuffle``.
        val_data: the same kinds, evaluated after every epoch ("val_loss", "val_<metric>").
        validation_split: hold out this last fraction of an ``(x, y)`` pair (Keras's rule).
        metrics: names ("accuracy", "top_k_accuracy", "mse", "mae") or Metric instances.
        callbacks: EarlyStopping, ModelCheckpoint, TerminateOnNaN, CSVLogger, ...
        scheduler: a learning-rate scheduler stepped every epoch (or every batch with
            ``scheduler_interval="batch"``); ReduceLROnPlateau gets val_loss (else loss).
        verbose: "auto" (a bar on a terminal, a line per epoch otherwise), 0, 1 or 2.
        generator: random generator for shuffling an ``(x, y)`` pair.
        stream: where progress goes (default: standard output).
        initial_epoch: the epoch (0-based) to start at, to resume a run: epochs
            ``initial_epoch`` to ``epochs - 1`` are trained and recorded (Keras's rule).
        distributed: data-parallel training under ``mpiexec -n N`` (``chainrule.distributed``,
            whose process group it joins if needed): the model is wrapped in
            ``DistributedDataParallel``, an ``(x, y)`` pair is sharded by a
            ``DistributedSampler`` (``batch_size`` per rank; seed from ``generator``, else 0),
            a given loader gets ``set_epoch`` every epoch, only rank 0 shows progress, and the
            epoch's loss and metrics, and each batch's loss given to callbacks, are averaged
            over the ranks. Callbacks run on every rank with those same numbers (so they stop
            at the same batch); ones that write files should be given on rank 0 only.

    Returns:
        History: ``history.history["loss"]`` and friends, one value per epoch, plus "lr", the
        learning rate of the first group at the start of each epoch.
    """
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'batch', got "
                         f"{scheduler_interval!r}")
    if not 0 <= initial_epoch <= epochs:
        raise ValueError(f"initial_epoch must be in [0, epochs={epochs}], got {initial_epoch}")
    if validation_split:
        train_data, val_data = split_validation(train_data, validation_split)
    if distributed:
        model = data_parallel.setup(model)
        seed = 0 if generator is None else int(generator.integers(2**31))
        loader = data_parallel.shard_loader(train_data, batch_size, shuffle, seed)
        verbose = verbose if data_parallel.is_writer() else 0
    else:
        loader = as_loader(train_data, batch_size, shuffle, generator)
    stream = sys.stdout if stream is None else stream
    run = _Run(model, loss_fn, optimizer, [get_metric(m) for m in metrics], list(callbacks),
               History(), epochs, resolve_verbose(verbose, stream), stream)
    run.distributed = distributed
    run.notify("on_train_begin", {})
    for epoch in range(initial_epoch, epochs):
        if distributed:
            data_parallel.start_epoch(loader, epoch)
        logs = run.epoch(epoch, loader, scheduler if scheduler_interval == "batch" else None)
        if val_data is not None:
            scores = evaluate(model, loss_fn, val_data, run.metrics, batch_size)
            logs.update({f"val_{name}": value for name, value in scores.items()})
        logs["lr"] = run.epoch_lr
        if scheduler is not None and scheduler_interval == "epoch":
            _step_scheduler(scheduler, logs)
        run.finish_epoch(epoch, logs)
        if run.state.stop_training:
            break
    run.notify("on_train_end", {})
    if run.history.stop_reason and run.verbose:
        stream.write(run.history.stop_reason + "\n")
    return run.history


def _step_scheduler(scheduler: Any, logs: dict) -> None:
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs.get("loss")))
    else:
        scheduler.step()


class _Run:
    """The state of one ``fit`` call: what it trains, what it tells, what it records."""

    def __init__(self, model: Any, loss_fn: Any, optimizer: Any, metrics: list[Metric],
                 callbacks: list[Callback], history: History, epochs: int, verbose: int,
                 stream: TextIO) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.metrics, self.callbacks, self.history = metrics, callbacks, history
        self.epochs, self.verbose, self.stream = epochs, verbose, stream
        self.state = FitState(model, optimizer, history, epochs)
        self.progress: EpochProgress | None = None
        self.epoch_lr = float("nan")
        self.distributed = False
        for callback in callbacks:
            callback.set_state(self.state)

    def notify(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def epoch(self, epoch: int, loader: Any, batch_scheduler: Any) -> dict[str, float]:
        """Train one epoch; returns the sample-weighted mean loss and metrics."""
        self.state.epoch = epoch
        self.notify("on_epoch_begin", epoch, {})
        self.epoch_lr = float(self.optimizer.param_groups[0]["lr"])  # after callbacks set it
        for metric in self.metrics:
            metric.reset()
        self.progress = EpochProgress(epoch, self.epochs, _length(loader), self.verbose,
                                      self.stream)
        total, count = 0.0, 0
        for batch, (x, y) in enumerate(loader):
            self.notify("on_batch_begin", batch, {})
            loss, outputs = train_step(self.model, self.loss_fn, self.optimizer, x, y)
            if self.distributed:
                loss = data_parallel.mean_over_ranks(loss)
            n = len(outputs)
            total, count = total + loss * n, count + n
            self.state.step += 1
            for metric in self.metrics:
                metric.update(outputs.data, np.asarray(getattr(y, "data", y)))
            logs = {"loss": total / count, **{m.name: m.result() for m in self.metrics}}
            self.progress.update(n, logs)
            self.notify("on_batch_end", batch, {**logs, "loss": loss})
            if batch_scheduler is not None:
                batch_scheduler.step()
            if self.state.stop_training:
                break
        if self.distributed:
            return data_parallel.epoch_means(total, count, [m.name for m in self.metrics],
                                             [m.result() for m in self.metrics])
        return {"loss": total / max(count, 1), **{m.name: m.result() for m in self.metrics}}

    def finish_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        self.progress.close(logs)
        self.history.record(epoch, logs)
        self.notify("on_epoch_end", epoch, logs)


def _length(loader: Any) -> int:
    try:
        return len(loader)
    except TypeError:
        return 0

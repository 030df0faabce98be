"""``chainrule train``: train a model into a run directory, or resume an interrupted run.

A run rebuilds everything it trains with from its ``RunConfig`` alone (seeded data split,
model, optimizer, schedule, loader), so a resumed run, which rebuilds the same and then loads
the checkpoint over it, goes on exactly as the uninterrupted run would have (RELIABILITY
R-CKPT-2): the same final weights, bit for bit. The one thing a resumed run cannot restore
is the running mean of an epoch interrupted mid-way: that epoch's training loss and accuracy
cover the batches after the resume.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import replace
from typing import Any

import numpy as np

from .. import __version__, io, optim
from ..data import DataLoader, TensorDataset
from ..data.datasets import DatasetSplits, load_dataset
from ..models import build_model, model_inputs, model_plan, parameter_shapes
from ..nn import CrossEntropyLoss, Module
from ..random import manual_seed
from ..train import Checkpoint, confusion_matrix, evaluate, fit, predict
from ..train.data_parallel import ShardLoader, is_writer
from . import ranks
from .keeper import RunKeeper, StopSignals, TrainingDiverged, raise_if_stopped, read_checkpoint
from .language import resume_language_run, train_language_run, uses_language_model
from .run_dir import (
    CHECKPOINT,
    CONFIG,
    METRICS,
    MODEL,
    RunConfig,
    prepare_out_dir,
    write_history,
    write_text,
    writing,
)

OPTIMIZERS = {
    "sgd": lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9),
    "adam": lambda params, lr: optim.Adam(params, lr=lr),
    "adamw": lambda params, lr: optim.AdamW(params, lr=lr),
    "rmsprop": lambda params, lr: optim.RMSprop(params, lr=lr),
}
DEFAULT_LR = {"sgd": 0.05, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3}


def train_run(config: RunConfig, out: str, verbose: Any = "auto", distributed: bool = False,
              timeout: float = 300.0) -> dict:
    """Train as ``config`` says, write the run directory ``out``, return the test metrics.

    With ``distributed``, this process is one rank of an ``mpiexec -n N`` job (``timeout``:
    seconds any rank waits for the others): ``batch_size`` is per rank, and rank 0 alone
    writes ``out`` and prints (the other ranks return an empty dict)."""
    config.check(OPTIMIZERS)
    if uses_language_model(config):
        _single_process_only(config, distributed)
        return train_language_run(config, out, verbose, OPTIMIZERS)
    if os.path.isfile(config.data):  # resuming from another directory must find it too
        config = replace(config, data=os.path.abspath(config.data))
    if distributed:
        ranks.join(timeout)
    if is_writer():
        prepare_out_dir(out)
    session = _Session(config, distributed)
    if is_writer():
        config.write(os.path.join(out, CONFIG))
    return _train(session, out, {}, 0, verbose)


def resume_run(run_dir: str, verbose: Any = "auto", distributed: bool = False,
               timeout: float = 300.0) -> dict:
    """Continue the interrupted run in ``run_dir`` from its checkpoint to its last epoch (with
    ``distributed``, as one rank of a job of the same size as the interrupted one; every rank
    reads ``run_dir``)."""
    if distributed:
        ranks.join(timeout)
    config_path, checkpoint_path = (os.path.join(run_dir, name) for name in (CONFIG, CHECKPOINT))
    if not os.path.isfile(config_path) or not os.path.isfile(checkpoint_path):
        raise FileNotFoundError(f"{run_dir!r} holds no interrupted run to resume (it needs "
                                f"{CONFIG} and {CHECKPOINT}; a finished run has no checkpoint)")
    config = RunConfig.read(config_path)
    if uses_language_model(config):
        _single_process_only(config, distributed)
        return resume_language_run(run_dir, config, verbose, OPTIMIZERS)
    config.check(OPTIMIZERS)
    ranks.check_resumable(checkpoint_path, run_dir, distributed)
    session = _Session(config, distributed)
    history, epoch = read_checkpoint(session.checkpoint, checkpoint_path, config.epochs)
    _say(f"resuming {run_dir} at epoch {min(epoch + 1, config.epochs)}/{config.epochs}")
    return _train(session, run_dir, history, epoch, verbose)


def _single_process_only(config: RunConfig, distributed: bool) -> None:
    if distributed:
        raise ValueError(f"--distributed trains the classification models; the language model "
                         f"{config.model!r} on {config.data!r} trains in one process")


class _Session:
    """Everything a run trains with, built from its settings alone, in a fixed order."""

    def __init__(self, config: RunConfig, distributed: bool = False) -> None:
        self.config, self.distributed = config, distributed
        manual_seed(config.seed)
        self.splits = load_dataset(config.data, seed=config.seed)
        train, self.val = _hold_out(self.splits, config)
        _check_size(config.model, self.splits)
        self.net = build_model(config.model, self.splits.input_shape, self.splits.num_classes)
        lr = DEFAULT_LR[config.optimizer] if config.lr is None else config.lr
        self.optimizer = OPTIMIZERS[config.optimizer](self.net.parameters(), lr)
        self.scheduler = optim.lr_scheduler.CosineAnnealingLR(self.optimizer,
                                                              T_max=config.epochs)
        if distributed:  # each rank its share; rank 0 alone writes the checkpoint
            self.loader: Any = ShardLoader(TensorDataset(*train), config.batch_size,
                                           seed=config.seed)
            self.checkpoint = ranks.RankZeroCheckpoint(self.net, self.optimizer,
                                                       self.scheduler, self.loader)
        else:
            self.loader = DataLoader(TensorDataset(*train), config.batch_size, shuffle=True)
            self.checkpoint = Checkpoint(self.net, self.optimizer, self.scheduler, self.loader)
        self.x_test = model_inputs(config.model, self.splits.x_test)


def _check_size(spec: str, splits: DatasetSplits) -> None:
    """Refuse, before building it, a model whose training state (weights, gradients and two
    optimizer moments, float32) would not fit in this machine's memory."""
    plan = model_plan(spec, splits.input_shape, splits.num_classes)
    count = sum(math.prod(shape) for shape in parameter_shapes(plan).values())
    need, have = 4 * 4 * count, _physical_memory()
    if have is not None and need > have:
        raise ValueError(f"model {spec!r} has {count:,} parameters: training it needs about "
                         f"{need / 2**30:.1f} GiB, more than this machine's "
                         f"{have / 2**30:.1f} GiB")


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not POSIX: no check
        return None


def _hold_out(splits: DatasetSplits, config: RunConfig) -> tuple[tuple, tuple | None]:
    """(train, validation) pairs: a seeded ``validation_split`` of the training set is held
    out, so the validation curves never see the test set."""
    x = model_inputs(config.model, splits.x_train)
    count = int(round(len(x) * config.validation_split))
    if count == 0:
        return (x, splits.y_train), None
    if count == len(x):
        raise ValueError(f"--validation-split {config.validation_split} leaves no training "
                         f"samples of the {len(x)}")
    order = np.random.default_rng(config.seed).permutation(len(x))
    train, val = order[count:], order[:count]
    return (x[train], splits.y_train[train]), (x[val], splits.y_train[val])


def _train(session: _Session, out: str, history: dict[str, list[float]], initial_epoch: int,
           verbose: Any) -> dict:
    config, checkpoint_path = session.config, os.path.join(out, CHECKPOINT)
    # NOTE: NumPy's overflow warnings are silenced: a diverging run is reported in one line.
    signals = ranks.RankSignals() if session.distributed else StopSignals()
    with signals, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        keeper = RunKeeper(session.checkpoint, checkpoint_path, history, signals)
        fit(session.net, CrossEntropyLoss(), session.optimizer, session.loader,
            epochs=config.epochs, initial_epoch=initial_epoch, val_data=session.val,
            metrics=["accuracy"], callbacks=[keeper], scheduler=session.scheduler,
            verbose=verbose, distributed=session.distributed)
    raise_if_stopped(keeper, signals, out)
    return _finish(session, out, history)


def _finish(session: _Session, out: str, history: dict[str, list[float]]) -> dict:
    """Write the model, history, metrics and pictures; then drop the checkpoint."""
    net, splits = session.net, session.splits
    if not is_writer():
        return {}
    if not all(np.all(np.isfinite(p.data)) for p in net.parameters()):
        raise TrainingDiverged(f"the weights are not finite; nothing was saved over "
                               f"{os.path.join(out, MODEL)}")
    with writing(os.path.join(out, MODEL)):
        io.save(net, os.path.join(out, MODEL), metadata=_metadata(session.config.model, splits))
    write_history(os.path.join(out, "history.csv"), history)
    metrics = _test_metrics(net, session.x_test, splits)
    write_text(os.path.join(out, METRICS), json.dumps(metrics, indent=2) + "\n")
    _draw_pictures(out, session)
    checkpoint = os.path.join(out, CHECKPOINT)
    if os.path.exists(checkpoint):
        os.remove(checkpoint)
    print(f"test loss {metrics['loss']:.4f}  test accuracy {metrics['accuracy']:.2%}  "
          f"(run saved in {out})")
    return metrics


def _say(message: str) -> None:
    if is_writer():
        print(message)


def _metadata(spec: str, splits: DatasetSplits) -> dict[str, str]:
    return {"model": spec, "input_shape": json.dumps(list(splits.input_shape)),
            "num_classes": str(splits.num_classes), "class_names": json.dumps(splits.class_names),
            "dataset": splits.name, "chainrule_version": __version__}


def _test_metrics(net: Module, x_test: np.ndarray, splits: DatasetSplits) -> dict:
    scores = evaluate(net, CrossEntropyLoss(), (x_test, splits.y_test), ["accuracy"])
    predicted = predict(net, x_test).argmax(axis=1)
    matrix = confusion_matrix(splits.y_test, predicted, splits.num_classes)
    return {**scores, "confusion_matrix": matrix.tolist(), "class_names": splits.class_names}


def _draw_pictures(out: str, session: _Session) -> None:
    """Curves and confusion matrix; the decision boundary too for 2-D inputs. matplotlib is
    optional: the run is complete without pictures."""
    from .commands import plot_run

    try:
        plot_run(out)
        if session.splits.input_shape == (2,):
            _draw_decision_boundary(os.path.join(out, "decision_boundary.png"), session)
    except ImportError as err:
        print(f"pictures skipped: {err}")


def _draw_decision_boundary(path: str, session: _Session) -> None:
    from .. import viz

    splits = session.splits
    figure = viz.plot_decision_boundary(session.net, splits.x_test, splits.y_test,
                                        class_names=splits.class_names)
    figure.axes[0].set_title(f"Decision regions and the {len(splits.x_test)} test points")
    figure.savefig(path, dpi=110)

"""How the estimators train: the optimizer named by ``solver``, the loss with its L2 term,
the batch size, and scikit-learn's MLP stopping rule, run as epochs of ``chainrule.train.fit``
(whose progress display ``verbose`` turns on)."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from .. import optim
from ..train import Callback, History, Metric, fit

SOLVERS = {"adam": (optim.Adam, {}),
           # scikit-learn's MLP defaults for "sgd": momentum 0.9, Nesterov's momentum
           "sgd": (optim.SGD, {"momentum": 0.9, "nesterov": True})}


def make_optimizer(solver: Any, params: list, lr: float, kwargs: dict[str, Any]) -> Any:
    """``solver`` ("adam", "sgd" or a chainrule Optimizer class) over ``params`` with learning
    rate ``lr``; ``kwargs`` (the ``optimizer__…`` parameters) override its defaults."""
    if isinstance(solver, str) and solver in SOLVERS:
        cls, defaults = SOLVERS[solver]
    elif isinstance(solver, type) and issubclass(solver, optim.Optimizer):
        cls, defaults = solver, {}
    else:
        raise ValueError(f"solver must be 'adam', 'sgd' or a chainrule.optim.Optimizer class, "
                         f"got {solver!r}")
    if not isinstance(lr, numbers.Real) or not lr > 0:
        raise ValueError(f"learning_rate_init must be a positive number, got {lr!r}")
    return cls(params, lr=float(lr), **{**defaults, **kwargs})


def check_alpha(alpha: Any) -> float:
    if not isinstance(alpha, numbers.Real) or isinstance(alpha, bool) or not alpha >= 0:
        raise ValueError(f"alpha must be a non-negative number, got {alpha!r}")
    return float(alpha)


def l2_penalty(module: Any, alpha: float, n_samples: int) -> Any:
    """α/(2n)·Σ‖W‖² over the weight matrices (parameters of two or more dimensions, not the
    biases), n the batch size: scikit-learn's MLP penalty (0.0 when α is 0)."""
    weights = [p for p in module.parameters() if p.ndim >= 2]
    if not alpha or not weights:
        return 0.0
    return sum((w * w).sum() for w in weights) * (0.5 * alpha / n_samples)


def batch_size_for(batch_size: Any, n_samples: int) -> int:
    """``"auto"``: min(200, n_samples), as scikit-learn's MLP; an int is clipped to
    [1, n_samples] with a warning, as there."""
    if isinstance(batch_size, str) and batch_size == "auto":
        return min(200, n_samples)
    if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool):
        raise ValueError(f"batch_size must be 'auto' or a positive int, got {batch_size!r}")
    if not 1 <= batch_size <= n_samples:
        warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going "
                      "to be clipped", stacklevel=3)
    return int(np.clip(batch_size, 1, n_samples))


def progress_level(verbose: Any) -> Any:
    """``verbose`` as ``fit`` takes it: 0 silent; 2 a line per epoch; any other true value
    the bar on a terminal (a line per epoch elsewhere)."""
    if not verbose:
        return 0
    return 2 if verbose == 2 else "auto"


class R2(Metric):
    """The coefficient of determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² of each output,
    averaged over the outputs (scikit-learn's ``r2_score``; a constant target scores 1 when
    predicted exactly, else 0). Accumulated over batches in float64."""

    name = "r2"

    def reset(self) -> None:
        self.n, self.sums, self.squares, self.residual = 0, 0.0, 0.0, 0.0

    def update(self, outputs: np.ndarray, targets: np.ndarray) -> None:
        predicted = np.asarray(outputs, np.float64).reshape(len(outputs), -1)
        actual = np.asarray(targets, np.float64).reshape(len(targets), -1)
        self.n += len(actual)
        self.sums = self.sums + actual.sum(axis=0)
        self.squares = self.squares + (actual * actual).sum(axis=0)
        self.residual = self.residual + ((actual - predicted) ** 2).sum(axis=0)

    def result(self) -> float:
        if not self.n:
            return float("nan")
        total = np.maximum(self.squares - self.sums ** 2 / self.n, 0.0)
        exact = self.residual == 0
        scores = np.where(total > 0, 1 - self.residual / np.where(total > 0, total, 1),
                          np.where(exact, 1.0, 0.0))
        return float(np.mean(scores))


class MLPStopping(Callback):
    """scikit-learn's MLP rule, after every epoch: an epoch that does not improve the best
    training loss by ``tol`` (or, with early stopping, the best validation score) counts; more
    than ``n_iter_no_change`` such epochs in a row stop training. With early stopping the
    parameters of the best validation score are kept, to be restored at the end.

    The estimator's ``n_iter_``, ``loss_curve_``, ``best_loss_``, ``validation_scores_`` and
    ``best_validation_score_`` are updated here.
    """

    def __init__(self, estimator: Any, monitor: str | None) -> None:
        self.estimator, self.monitor = estimator, monitor

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        est = self.estimator
        est.n_iter_ += 1
        est.loss_curve_.append(float(logs["loss"]))
        if self.monitor is None:
            improved = est.loss_curve_[-1] <= est.best_loss_ - est.tol
            est.best_loss_ = min(est.best_loss_, est.loss_curve_[-1])
            what = "Training loss"
        else:
            score = float(logs[self.monitor])
            est.validation_scores_.append(score)
            improved = score >= est.best_validation_score_ + est.tol
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_state = {k: v.data.copy() for k, v in est.module_.state_dict().items()}
            what = "Validation score"
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1
        if est._no_improvement_count > est.n_iter_no_change:
            self.state.stop(f"{what} did not improve more than tol={est.tol} for "
                            f"{est.n_iter_no_change} consecutive epochs. Stopping.")


def train_epochs(est: Any, X: np.ndarray, y: np.ndarray, epochs: int,
                 validation: tuple | None) -> History:
    """Train ``est.module_`` for up to ``epochs`` epochs under the stopping rule; returns the
    History of this call."""
    metric = est._metric()
    monitor = f"val_{metric.name}" if validation is not None else None
    return fit(est.module_, est._loss_fn, est.optimizer_, (X, y), epochs=epochs,
               val_data=validation, metrics=[metric], callbacks=[MLPStopping(est, monitor)],
               batch_size=batch_size_for(est.batch_size, len(X)), shuffle=bool(est.shuffle),
               verbose=progress_level(est.verbose), generator=est._generator)


def extend_history(total: History, part: History, first_epoch: int) -> None:
    """Append the epochs of ``part`` to ``total``, numbered from ``first_epoch``."""
    names = list(part.history)
    for row in range(len(part.epoch)):
        total.record(first_epoch + row, {name: part.history[name][row] for name in names
                                         if row < len(part.history[name])})
    total.stop_reason = part.stop_reason

"""The training loop: ``train_step``, ``evaluate``, ``predict`` and ``fit``.

``fit`` is built from the public ``train_step``; copying its inner loop into your own script
gives the same training:

    for x, y in loader:
        loss, outputs = train_step(model, loss_fn, optimizer, x, y)

Evaluation and prediction run under ``no_grad()`` in eval mode and restore the model's mode.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from ..autograd import no_grad
from ..data import DataLoader, TensorDataset
from ..tensor import Tensor
from .metrics import get_metric


def train_step(model: Any, loss_fn: Any, optimizer: Any, x: Any, y: Any) -> tuple[float, Tensor]:
    """One optimisation step on a batch: forward, loss, backward, update.

    Returns:
        (the batch loss as a float, the model's outputs detached from the graph).
    """
    model.train()
    optimizer.zero_grad()
    outputs = model(x)
    loss = loss_fn(outputs, y)
    loss.backward()
    optimizer.step()
    return loss.item(), outputs.detach()


def as_loader(data: Any, batch_size: int = 32, shuffle: bool = False,
              generator: np.random.Generator | None = None) -> Any:
    """A DataLoader as given, or one over an ``(x, y)`` pair of arrays or tensors."""
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return DataLoader(TensorDataset(*data), batch_size=batch_size, shuffle=shuffle,
                          generator=generator)
    if isinstance(data, Iterable):
        return data
    raise TypeError(f"expected a DataLoader or an (x, y) pair, got {type(data).__name__}")


class _EvalMode:
    """Eval mode and no_grad for a block; the model's previous mode is restored after."""

    def __init__(self, model: Any) -> None:
        self.model, self.no_grad = model, no_grad()

    def __enter__(self) -> None:
        self.was_training = getattr(self.model, "training", False)
        if hasattr(self.model, "eval"):
            self.model.eval()
        self.no_grad.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.no_grad.__exit__(*exc)
        if hasattr(self.model, "train"):
            self.model.train(self.was_training)


def evaluate(model: Any, loss_fn: Any, data: Any, metrics: Sequence[Any] = ("accuracy",),
             batch_size: int = 256) -> dict[str, float]:
    """The mean loss and metrics over ``data`` (a DataLoader or an (x, y) pair).

    Returns:
        {"loss": …, "<metric>": …}, each weighted by batch size (exact over the data).
    """
    trackers = [get_metric(m) for m in metrics]
    total, count = 0.0, 0
    with _EvalMode(model):
        for x, y in as_loader(data, batch_size):
            outputs = model(x)
            n = len(outputs)
            total += loss_fn(outputs, y).item() * n
            count += n
            for metric in trackers:
                metric.update(outputs.data, np.asarray(getattr(y, "data", y)))
    return {"loss": total / max(count, 1), **{m.name: m.result() for m in trackers}}


def predict(model: Any, x: Any, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for every row of ``x``, in order, as one NumPy array."""
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    outputs = []
    with _EvalMode(model):
        for start in range(0, len(data), batch_size):
            outputs.append(model(Tensor(data[start:start + batch_size], dtype=data.dtype)).data)
    return np.concatenate(outputs) if outputs else np.empty((0,))


def split_validation(data: Any, fraction: float) -> tuple[tuple, tuple]:
    """Keras's ``validation_split``: the last ``fraction`` of the samples (before shuffling)."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError("validation_split needs train_data given as an (x, y) pair")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be in (0, 1), got {fraction}")
    x, y = data
    cut = len(x) - int(round(len(x) * fraction))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])

"""What the ``chainrule`` command does: train a run directory, evaluate, predict, plot, info.

Each action is a plain function (``cli.py`` only parses arguments and calls these), returns
what it computed and prints a short report. A run directory holds ``model.safetensors`` (with
the architecture string and data description in its metadata), ``history.csv``,
``metrics.json``, ``curves.png`` and ``confusion_matrix.png``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from . import __version__, io, optim
from .data import DataLoader, TensorDataset
from .data.datasets import load_dataset
from .data.datasets.registry import read_npz
from .models import build_model, model_inputs
from .nn import CrossEntropyLoss, Module
from .random import manual_seed
from .train import History, confusion_matrix, evaluate, fit, predict

OPTIMIZERS = {
    "sgd": lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9),
    "adam": lambda params, lr: optim.Adam(params, lr=lr),
    "adamw": lambda params, lr: optim.AdamW(params, lr=lr),
    "rmsprop": lambda params, lr: optim.RMSprop(params, lr=lr),
}
DEFAULT_LR = {"sgd": 0.05, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3}


def train_run(data: str = "fashion-mnist", model: str = "mlp", epochs: int = 15,
              batch_size: int = 128, optimizer: str = "adam", lr: float | None = None,
              seed: int = 0, out: str = "runs/latest", verbose: Any = "auto") -> dict:
    """Train ``model`` on ``data``, write the run directory ``out``, return the test metrics."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}: use one of {', '.join(OPTIMIZERS)}")
    if epochs < 1 or batch_size < 1:
        raise ValueError("epochs and batch size must be positive")
    manual_seed(seed)
    splits = load_dataset(data, seed=seed)
    net = build_model(model, splits.input_shape, splits.num_classes)
    x_train, x_test = model_inputs(model, splits.x_train), model_inputs(model, splits.x_test)
    opt = OPTIMIZERS[optimizer](net.parameters(), lr or DEFAULT_LR[optimizer])
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    train = DataLoader(TensorDataset(x_train, splits.y_train), batch_size, shuffle=True)
    history = fit(net, CrossEntropyLoss(), opt, train, epochs=epochs, scheduler=scheduler,
                  val_data=(x_test, splits.y_test), metrics=["accuracy"], verbose=verbose)
    os.makedirs(out, exist_ok=True)
    io.save(net, os.path.join(out, "model.safetensors"), metadata=_metadata(model, splits))
    history.to_csv(os.path.join(out, "history.csv"))
    metrics = _test_metrics(net, x_test, splits)
    with open(os.path.join(out, "metrics.json"), "w") as handle:
        json.dump(metrics, handle, indent=2)
    try:
        plot_run(out)
    except ImportError as err:  # matplotlib is optional: the run is complete without pictures
        print(f"pictures skipped: {err}")
    print(f"test loss {metrics['loss']:.4f}  test accuracy {metrics['accuracy']:.2%}  "
          f"(run saved in {out})")
    return metrics


def _metadata(spec: str, splits: Any) -> dict[str, str]:
    return {"model": spec, "input_shape": json.dumps(list(splits.input_shape)),
            "num_classes": str(splits.num_classes), "class_names": json.dumps(splits.class_names),
            "dataset": splits.name, "chainrule_version": __version__}


def _test_metrics(net: Module, x_test: np.ndarray, splits: Any) -> dict:
    scores = evaluate(net, CrossEntropyLoss(), (x_test, splits.y_test), ["accuracy"])
    predicted = predict(net, x_test).argmax(axis=1)
    matrix = confusion_matrix(splits.y_test, predicted, splits.num_classes)
    return {**scores, "confusion_matrix": matrix.tolist(), "class_names": splits.class_names}


def load_model(path: str) -> tuple[Module, dict[str, str]]:
    """Rebuild a model saved by ``train_run`` from its architecture string and weights."""
    metadata = io.load_metadata(path)
    if "model" not in metadata or "input_shape" not in metadata:
        raise ValueError(f"{path}: no architecture in the file's metadata (was it written by "
                         "'chainrule train'?)")
    net = build_model(metadata["model"], json.loads(metadata["input_shape"]),
                      int(metadata["num_classes"]))
    net.load_state_dict(io.load(path))
    return net.eval(), metadata


def evaluate_model(model_path: str, data: str) -> dict:
    """Loss and accuracy of a saved model on the test part of ``data``."""
    net, metadata = load_model(model_path)
    splits = load_dataset(data)
    x_test = model_inputs(metadata["model"], splits.x_test)
    _check_width(metadata, x_test)
    scores = evaluate(net, CrossEntropyLoss(), (x_test, splits.y_test), ["accuracy"])
    print(f"test loss {scores['loss']:.4f}  test accuracy {scores['accuracy']:.2%}  "
          f"({len(x_test)} samples of {splits.name})")
    return scores


def predict_file(model_path: str, input_path: str, output: str | None = None) -> np.ndarray:
    """Predicted classes for the samples in ``input_path`` (.npy, .npz with 'x', or .csv)."""
    net, metadata = load_model(model_path)
    x = model_inputs(metadata["model"], _read_inputs(input_path))
    _check_width(metadata, x)
    classes = predict(net, x).argmax(axis=1)
    names = json.loads(metadata.get("class_names", "[]"))
    lines = [f"{i},{c},{names[c] if c < len(names) else c}" for i, c in enumerate(classes)]
    text = "index,class,name\n" + "\n".join(lines) + "\n"
    if output:
        with open(output, "w") as handle:
            handle.write(text)
    else:
        print(text, end="")
    return classes


def _read_inputs(path: str) -> np.ndarray:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"input file {path!r} does not exist")
    if path.endswith(".npy"):
        return np.load(path, allow_pickle=False).astype(np.float32)
    if path.endswith(".npz"):
        arrays = read_npz(path)
        return arrays["x" if "x" in arrays else next(iter(arrays))].astype(np.float32)
    if path.endswith(".csv"):
        return np.loadtxt(path, delimiter=",", ndmin=2).astype(np.float32)
    raise ValueError(f"input {path!r}: use a .npy, .npz or .csv file")


def _check_width(metadata: dict[str, str], x: np.ndarray) -> None:
    expected = tuple(json.loads(metadata["input_shape"]))
    got = tuple(x.shape[1:])
    if int(np.prod(got)) != int(np.prod(expected)) or (len(got) > 1 and got[-2:] != expected[-2:]):
        raise ValueError(f"the model expects inputs of shape {expected} per sample, but the data "
                         f"has {got}")


def plot_run(run_dir: str) -> list[str]:
    """(Re)draw ``curves.png`` and ``confusion_matrix.png`` of a run directory."""
    from . import viz

    history_path = os.path.join(run_dir, "history.csv")
    if not os.path.isfile(history_path):
        raise FileNotFoundError(f"{run_dir!r} is not a run directory: no history.csv in it")
    written = [os.path.join(run_dir, "curves.png")]
    viz.plot_history(_read_history(history_path)).savefig(written[0], dpi=110)
    metrics_path = os.path.join(run_dir, "metrics.json")
    if os.path.isfile(metrics_path):
        with open(metrics_path) as handle:
            metrics = json.load(handle)
        written.append(os.path.join(run_dir, "confusion_matrix.png"))
        figure = viz.plot_confusion_matrix(np.array(metrics["confusion_matrix"]),
                                           class_names=metrics.get("class_names"))
        figure.savefig(written[1], dpi=110)
    return written


def _read_history(path: str) -> History:
    table = np.genfromtxt(path, delimiter=",", names=True, ndmin=1)
    history = History()
    for row in np.atleast_1d(table):
        history.record(int(row["epoch"]), {name: float(row[name])
                                           for name in table.dtype.names if name != "epoch"})
    return history


def model_info(path: str) -> dict:
    """The layers, parameter counts and metadata of a saved model."""
    net, metadata = load_model(path)
    counts = {name: p.numel() for name, p in net.named_parameters()}
    print(net)
    print(f"parameters: {sum(counts.values()):,}")
    for key, value in sorted(metadata.items()):
        print(f"{key}: {value}")
    return {"parameters": counts, "metadata": metadata}

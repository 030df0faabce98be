"""``chainrule evaluate``, ``predict``, ``plot`` and ``info``: each a plain function that
returns what it computed and prints a short report."""

from __future__ import annotations

import json
import os

import numpy as np

from ..data.datasets import load_dataset
from ..data.datasets.files import read_csv, read_npy, read_npz
from ..models import LANGUAGE_MODELS, model_inputs, parse_spec
from ..nn import CrossEntropyLoss
from ..train import evaluate, predict
from .model_file import load_model, read_architecture
from .run_dir import read_history, write_text


def evaluate_model(model_path: str, data: str) -> dict:
    """Loss and accuracy of a saved model on the test part of ``data``."""
    net, metadata = load_model(model_path)
    _refuse_language_model(metadata, model_path, "evaluate")
    splits = load_dataset(data)
    x_test = model_inputs(metadata["model"], splits.x_test)
    check_width(metadata, model_path, x_test, data)
    scores = evaluate(net, CrossEntropyLoss(), (x_test, splits.y_test), ["accuracy"])
    print(f"test loss {scores['loss']:.4f}  test accuracy {scores['accuracy']:.2%}  "
          f"({len(x_test)} samples of {splits.name})")
    return scores


def predict_file(model_path: str, input_path: str, output: str | None = None) -> np.ndarray:
    """Predicted classes for the samples in ``input_path`` (.npy, .npz with 'x', or .csv)."""
    net, metadata = load_model(model_path)
    _refuse_language_model(metadata, model_path, "predict")
    x = model_inputs(metadata["model"], read_inputs(input_path))
    check_width(metadata, model_path, x, input_path)
    classes = predict(net, x).argmax(axis=1)
    names = read_architecture(metadata, model_path).class_names
    lines = [f"{i},{c},{names[c]}" for i, c in enumerate(classes)]
    text = "index,class,name\n" + "".join(line + "\n" for line in lines)
    if output:
        write_text(output, text)
    else:
        print(text, end="")
    return classes


def _refuse_language_model(metadata: dict[str, str], path: str, command: str) -> None:
    if parse_spec(metadata["model"])[0] in LANGUAGE_MODELS:
        raise ValueError(f"{path}: a character language model; '{command}' takes classifiers "
                         f"(its validation loss and invented words are in its run's "
                         f"metrics.json)")


def read_inputs(path: str) -> np.ndarray:
    """The samples in a .npy, .npz (array 'x', else the first) or .csv file, as float32."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"input file {path!r} does not exist")
    if path.endswith(".npy"):
        x = read_npy(path)
    elif path.endswith(".npz"):
        arrays = read_npz(path)
        if not arrays:
            raise ValueError(f"{path}: the archive holds no arrays")
        x = arrays["x" if "x" in arrays else next(iter(arrays))]
    elif path.endswith(".csv"):
        x = read_csv(path)
    else:
        raise ValueError(f"input {path!r}: use a .npy, .npz or .csv file")
    if x.dtype.kind not in "biuf" or x.ndim < 2 or len(x) == 0:
        raise ValueError(f"{path}: expected numbers of shape (samples, features...), got "
                         f"{x.dtype} of shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{path}: the inputs hold NaN or infinite values")
    return x.astype(np.float32)


def check_width(metadata: dict[str, str], model_path: str, x: np.ndarray, source: str) -> None:
    """ValueError unless the samples of ``x`` have the shape the model was trained on."""
    expected = read_architecture(metadata, model_path).input_shape
    got = tuple(x.shape[1:])
    if int(np.prod(got)) == int(np.prod(expected)) and (len(got) < 2 or
                                                        got[-2:] == expected[-2:]):
        return
    hint = ""
    if len(got) == 1 and len(expected) == 1 and got[0] == expected[0] + 1:
        hint = " (one column too many: drop the label column)"
    raise ValueError(f"{source}: the model expects inputs of shape {expected} per sample, but "
                     f"the data has {got}{hint}")


def plot_run(run_dir: str) -> list[str]:
    """(Re)draw ``curves.png`` and ``confusion_matrix.png`` of a run directory."""
    from .. import viz

    history_path = os.path.join(run_dir, "history.csv")
    if not os.path.isfile(history_path):
        raise FileNotFoundError(f"{run_dir!r} is not a run directory: no history.csv in it")
    written = [os.path.join(run_dir, "curves.png")]
    viz.plot_history(read_history(history_path)).savefig(written[0], dpi=110)
    metrics_path = os.path.join(run_dir, "metrics.json")
    if os.path.isfile(metrics_path) and not _language_metrics(metrics_path):
        metrics = _read_metrics(metrics_path)
        written.append(os.path.join(run_dir, "confusion_matrix.png"))
        figure = viz.plot_confusion_matrix(np.array(metrics["confusion_matrix"]),
                                           class_names=metrics.get("class_names"))
        figure.savefig(written[1], dpi=110)
    return written


def _language_metrics(path: str) -> bool:
    """Whether a metrics.json is a language-model run's (which has no confusion matrix)."""
    try:
        with open(path) as handle:
            metrics = json.load(handle)
    except ValueError:
        return False
    return isinstance(metrics, dict) and "val_nats_per_char" in metrics


def _read_metrics(path: str) -> dict:
    try:
        with open(path) as handle:
            metrics = json.load(handle)
        np.array(metrics["confusion_matrix"], dtype=np.int64)
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not a metrics file written by 'chainrule train' "
                         f"({type(err).__name__}: {err})") from None
    return metrics


def model_info(path: str) -> dict:
    """The layers, parameter counts and metadata of a saved model."""
    net, metadata = load_model(path)
    counts = {name: p.numel() for name, p in net.named_parameters()}
    print(net)
    print(f"parameters: {sum(counts.values()):,}")
    for key, value in sorted(metadata.items()):
        print(f"{key}: {value}")
    return {"parameters": counts, "metadata": metadata}


__all__ = ["check_width", "evaluate_model", "model_info", "plot_run",
           "predict_file", "read_inputs"]

"""What the ``chainrule`` command does: train a run directory (or resume one), evaluate,
predict, plot, info, export (to ONNX), and run a PyTorch script on chainrule (``script``,
``torch_alias``).

Each action is a plain function (``cli.py`` only parses arguments and calls these), returns
what it computed and prints a short report. ``run_dir`` describes what a run directory
holds.
"""

from __future__ import annotations

from .commands import evaluate_model, model_info, plot_run, predict_file
from .export_onnx import export_model
from .keeper import RunInterrupted, TrainingDiverged
from .model_file import load_model
from .ranks import DistBackendError, abort_job
from .run_dir import RunConfig
from .script import run_script
from .training import DEFAULT_LR, OPTIMIZERS, resume_run, train_run

__all__ = [
    "DistBackendError",
    "DEFAULT_LR", "OPTIMIZERS", "RunConfig", "RunInterrupted", "TrainingDiverged",
    "evaluate_model", "load_model", "model_info", "plot_run", "predict_file", "resume_run",
    "run_script", "train_run", "abort_job",
    "export_model",
]

"""The ``chainrule`` command: argument parsing only; the work is done by ``chainrule.app``.

    chainrule train [--data fashion-mnist] [--model mlp] [--epochs 15] [--out runs/latest]
    chainrule train --resume RUN_DIR
    mpiexec -n N chainrule train --distributed [--timeout 300] ...   (data-parallel on MPI)
    chainrule evaluate MODEL DATA
    chainrule predict MODEL INPUT [--output FILE]
    chainrule plot RUN_DIR
    chainrule info MODEL
    chainrule run SCRIPT [ARGS...]
    chainrule export MODEL OUTPUT.onnx [--opset 17]

Exit status: 0 on success; 2 for a user error (arguments, files, data, disk), reported in
one line on standard error, never a traceback; 1 when training diverged (NaN or infinite
loss; nothing is saved over the model); 130 or 143 when Ctrl-C or SIGTERM stopped training
(after saving a checkpoint that ``--resume`` continues). ``run`` exits with the script's own
status, or 2 and one line when the script uses a PyTorch feature chainrule lacks.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from typing import Sequence

from . import __version__, app
from .io import ModelFileError
from .train.progress import end_open_line

_TRAIN_HELP = """\
Train a model and write a run directory: run.json (the settings), model.safetensors,
history.csv, metrics.json and pictures. A checkpoint is written after every epoch and when
Ctrl-C or SIGTERM stops training; 'chainrule train --resume RUN_DIR' continues such a run
to the same result as an uninterrupted one. The validation curves come from a held-out
part of the training set; the test set is used once, at the end."""


_RUN_HELP = """\
Run an unmodified PyTorch script as 'python SCRIPT ARGS' would, with torch, torch.* and
torchvision.* meaning chainrule. When the script uses a PyTorch feature chainrule lacks, one
line names it with the script's line, and the exit status is 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chainrule",
                                     description="Train and use neural networks with chainrule.")
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train(commands)
    evaluate = _command(commands, "evaluate", "test accuracy of a saved model")
    evaluate.add_argument("model", help="a model.safetensors written by 'chainrule train'")
    evaluate.add_argument("data", help="a data set name or a .npz/.csv file (its test part)")
    predict = _command(commands, "predict", "predicted classes for an input file")
    predict.add_argument("model", help="a model.safetensors written by 'chainrule train'")
    predict.add_argument("input", help=".npy, .npz (array 'x') or .csv (features only; a "
                                       "header row is allowed) of samples")
    predict.add_argument("--output", help="write the predictions to this CSV file "
                                          "(default: standard output)")
    plot = _command(commands, "plot", "draw a run directory's curves and confusion matrix")
    plot.add_argument("run_dir", help="a directory written by 'chainrule train'")
    info = _command(commands, "info", "layers, parameter counts and metadata of a model")
    info.add_argument("model", help="a model.safetensors written by 'chainrule train'")
    script = _command(commands, "run", "run a PyTorch script with torch mapped to chainrule",
                      _RUN_HELP)
    script.add_argument("script", help="the Python script, unmodified")
    script.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    _add_export(commands)
    return parser


def _command(commands: argparse._SubParsersAction, name: str,
             summary: str, description: str | None = None) -> argparse.ArgumentParser:
    return commands.add_parser(name, help=summary, description=description or summary,
                               formatter_class=argparse.ArgumentDefaultsHelpFormatter)


def _add_train(commands: argparse._SubParsersAction) -> None:
    defaults = app.RunConfig()
    train = _command(commands, "train", "train a model and write a run directory",
                     _TRAIN_HELP)
    train.add_argument("--data", default=defaults.data,
                       help="fashion-mnist, spirals, moons, circles, xor, a .npz/.csv file, or "
                            "words (the wamerican word list; words:FILE for another list, one "
                            "word a line) for a character language model")
    train.add_argument("--model", default=defaults.model,
                       help="mlp (hidden 512-256), mlp:SIZES such as mlp:128-64, cnn or linear; "
                            "lstm or gpt with --data words")
    train.add_argument("--epochs", type=int, default=defaults.epochs, help="passes over the "
                       "training set (the learning rate follows a cosine to 0 over them)")
    train.add_argument("--batch-size", type=int, default=defaults.batch_size,
                       help="samples per step")
    train.add_argument("--optimizer", default=defaults.optimizer, choices=sorted(app.OPTIMIZERS),
                       help="sgd has momentum 0.9")
    train.add_argument("--lr", type=float, default=defaults.lr,
                       help="learning rate ≥ 0 (None: sgd 0.05, others 0.001, or 0.003 with "
                            "--data words; 0 trains nothing and is accepted, as in PyTorch)")
    train.add_argument("--seed", type=int, default=defaults.seed,
                       help="seed of the initialisation, data split, shuffling and dropout")
    train.add_argument("--validation-split", type=float, default=defaults.validation_split,
                       help="fraction of the training set held out for the validation curves "
                            "(0: none)")
    train.add_argument("--out", default="runs/latest", help="run directory to write")
    train.add_argument("--resume", metavar="RUN_DIR",
                       help="continue the interrupted run in RUN_DIR with its saved settings "
                            "(give no other training option)")
    train.add_argument("--quiet", action="store_true", help="no progress display")
    train.add_argument("--distributed", action="store_true",
                       help="one rank of 'mpiexec -n N chainrule train --distributed ...': "
                            "data-parallel on MPI, --batch-size per rank, rank 0 writes the run")
    train.add_argument("--timeout", type=float, default=300.0,
                       help="with --distributed: seconds a rank waits for the others before the "
                            "job stops with an error (a rank died or hung)")


def _add_export(commands: argparse._SubParsersAction) -> None:
    export = _command(commands, "export", "write a saved model as an ONNX file (needs onnx)")
    export.add_argument("model", help="a model.safetensors written by 'chainrule train'")
    export.add_argument("output", help="the .onnx file to write")
    export.add_argument("--opset", type=int, default=17, help="ONNX opset version (17 or later)")


def run(args: argparse.Namespace) -> int | None:
    if args.command == "run":
        return app.run_script(args.script, args.args)
    if args.command == "train":
        _train(args)
    elif args.command == "evaluate":
        app.evaluate_model(args.model, args.data)
    elif args.command == "predict":
        app.predict_file(args.model, args.input, args.output)
    elif args.command == "plot":
        print("\n".join(app.plot_run(args.run_dir)))
    elif args.command == "info":
        app.model_info(args.model)
    elif args.command == "export":
        app.export_model(args.model, args.output, args.opset)


def _train(args: argparse.Namespace) -> None:
    verbose = 0 if args.quiet else "auto"
    given = {field.name: getattr(args, field.name) for field in fields(app.RunConfig)}
    if args.resume is None:
        app.train_run(app.RunConfig(**given), args.out, verbose, args.distributed, args.timeout)
        return
    changed = [name for name, value in given.items() if value != getattr(app.RunConfig(), name)]
    if changed or args.out != "runs/latest":
        options = ", ".join("--" + name.replace("_", "-") for name in changed or ["out"])
        raise ValueError(f"--resume continues a run with its saved settings; do not give "
                         f"{options} with it")
    app.resume_run(args.resume, verbose, args.distributed, args.timeout)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        status = _run_and_report(args)
    except app.DistBackendError as err:  # another rank died or hung: end the whole job
        return _end_job(args, _fail(str(err), 1))
    return _end_job(args, status) if status == 2 else status


def _run_and_report(args: argparse.Namespace) -> int:
    try:
        status = run(args)
    except (ValueError, TypeError, KeyError, ImportError, OSError, ModelFileError,
            MemoryError) as err:
        return _fail(_describe(err), 2)
    except app.TrainingDiverged as err:
        return _fail(str(err), 1)
    except app.RunInterrupted as err:
        return _fail(str(err), err.exit_status, prefix="chainrule: ")
    except KeyboardInterrupt:
        return _fail("interrupted", 130, prefix="chainrule: ")
    return status or 0


def _end_job(args: argparse.Namespace, status: int) -> int:
    """Under --distributed, a rank that fails alone (a user error, a lost rank) ends every
    rank of the job (MPI_Abort), since the others would otherwise wait for it until their
    timeout. A stop or a divergence happens on every rank at the same batch: no abort."""
    if status and getattr(args, "distributed", False):
        app.abort_job(status)
    return status


def _describe(err: BaseException) -> str:
    """One line saying what went wrong, with the file for an operating-system error."""
    if isinstance(err, MemoryError):
        return f"out of memory ({err or 'the data or the model is too large'})"
    if isinstance(err, OSError) and err.strerror:
        return f"{err.filename}: {err.strerror}" if err.filename else err.strerror
    return str(err)


def _fail(message: str, status: int, prefix: str = "chainrule: error: ") -> int:
    end_open_line()
    print(prefix + " ".join(message.split()), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())

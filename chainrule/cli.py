"""The ``chainrule`` command: argument parsing only; the work is done by ``chainrule.app``.

    chainrule train [--data fashion-mnist] [--model mlp] [--epochs 15] [--out runs/latest]
    chainrule evaluate MODEL DATA
    chainrule predict MODEL INPUT [--output FILE]
    chainrule plot RUN_DIR
    chainrule info MODEL

Errors in the arguments or the files end the command with a one-line message and exit
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from . import app
from .io import ModelFileError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chainrule",
                                     description="Train and use neural networks with chainrule.")
    commands = parser.add_subparsers(dest="command")
    train = commands.add_parser("train", help="train a model and write a run directory")
    train.add_argument("--data", default="fashion-mnist",
                       help="fashion-mnist, spirals, moons, circles, xor, or a .npz/.csv file")
    train.add_argument("--model", default="mlp", help="mlp, mlp:512-256, cnn or linear")
    train.add_argument("--epochs", type=int, default=15)
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument("--optimizer", default="adam", choices=sorted(app.OPTIMIZERS))
    train.add_argument("--lr", type=float, default=None, help="learning rate (default: per "
                                                               "optimizer)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default="runs/latest", help="run directory to write")
    train.add_argument("--quiet", action="store_true", help="no progress display")
    evaluate = commands.add_parser("evaluate", help="test accuracy of a saved model")
    evaluate.add_argument("model")
    evaluate.add_argument("data")
    predict = commands.add_parser("predict", help="predicted classes for an input file")
    predict.add_argument("model")
    predict.add_argument("input", help=".npy, .npz (array 'x') or .csv of samples")
    predict.add_argument("--output", help="write the predictions to this CSV file")
    plot = commands.add_parser("plot", help="draw a run directory's curves and confusion matrix")
    plot.add_argument("run_dir")
    info = commands.add_parser("info", help="layers, parameter counts and metadata of a model")
    info.add_argument("model")
    return parser


def run(args: argparse.Namespace) -> None:
    if args.command in (None, "train"):
        defaults = build_parser().parse_args(["train"]) if args.command is None else args
        app.train_run(defaults.data, defaults.model, defaults.epochs, defaults.batch_size,
                      defaults.optimizer, defaults.lr, defaults.seed, defaults.out,
                      0 if defaults.quiet else "auto")
    elif args.command == "evaluate":
        app.evaluate_model(args.model, args.data)
    elif args.command == "predict":
        app.predict_file(args.model, args.input, args.output)
    elif args.command == "plot":
        print("\n".join(app.plot_run(args.run_dir)))
    elif args.command == "info":
        app.model_info(args.model)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 on success, 2 on a reported error)."""
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except (ValueError, TypeError, FileNotFoundError, ModelFileError, KeyError,
            ImportError) as err:
        message = " ".join(str(err).split())
        print(f"chainrule: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

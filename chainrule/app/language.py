"""``chainrule train --data words --model lstm|gpt``: a character language model of English
words, trained into a run directory as the classification runs are.

The data are the word list of Debian's ``wamerican`` package (``--data words``) or another
list, one word a line (``--data words:/path/to/list``); ``--validation-split`` of the words
(seeded) is held out. The run directory holds what a classification run's does (run.json,
the checkpoint while training, model.safetensors with the architecture in its metadata,
history.csv, curves.png), but its metrics.json holds the validation loss in nats per character,
the bigram baseline's, the training time and 20 invented words; there is no test set and no
confusion matrix. ``--resume`` continues an interrupted run exactly, as for classification.
With ``--lr`` left out, the adaptive optimizers start at 0.003.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import replace
from typing import Any

import numpy as np

from .. import __version__, io, optim
from ..data.datasets.words import (
    CharVocab,
    WordLoader,
    bigram_nats_per_char,
    is_word_data,
    load_words,
    split_words,
    word_batches,
    words_path,
)
from ..language import nats_per_char, sample_words, sequence_loss
from ..models import LANGUAGE_MODELS, build_model, parse_spec
from ..random import manual_seed
from ..train import Callback, Checkpoint, fit
from .keeper import RunKeeper, StopSignals, TrainingDiverged, raise_if_stopped, read_checkpoint
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

LANGUAGE_LR = 3e-3  # the adaptive optimizers' learning rate when --lr is not given
BIGRAM_ALPHA = 0.1  # add-alpha smoothing of the baseline: small, as 57,000 words allow


def uses_language_model(config: RunConfig) -> bool:
    """Whether ``config`` trains a language model; ValueError for a model and data set that
    do not go together (a classifier on words, a language model on classes)."""
    words, language = is_word_data(config.data), _model_kind(config.model) in LANGUAGE_MODELS
    if words and not language:
        raise ValueError(f"--data {config.data} trains a character language model: use "
                         f"--model lstm or --model gpt, not {config.model!r}")
    if language and not words:
        raise ValueError(f"--model {config.model} is a character language model: train it "
                         f"with --data words (or words:/path/to/list), not on {config.data!r}")
    return words


def _model_kind(spec: str) -> str:
    try:
        return parse_spec(spec)[0]
    except ValueError:
        return ""  # an unknown model is refused where it is built, with its own message


def train_language_run(config: RunConfig, out: str, verbose: Any,
                       optimizers: dict) -> dict:
    """Train the language model ``config`` names into the run directory ``out``."""
    if ":" in config.data:  # resuming from another directory must find the list too
        config = replace(config, data="words:" + os.path.abspath(words_path(config.data)))
    session = _Session(config, optimizers)
    prepare_out_dir(out)
    config.write(os.path.join(out, CONFIG))
    return _train(session, out, {}, 0, verbose)


def resume_language_run(run_dir: str, config: RunConfig, verbose: Any,
                        optimizers: dict) -> dict:
    """Continue the interrupted language-model run in ``run_dir`` (its ``config`` read)."""
    config.check(optimizers)
    session = _Session(config, optimizers)
    checkpoint_path = os.path.join(run_dir, CHECKPOINT)
    history, epoch = read_checkpoint(session.checkpoint, checkpoint_path, config.epochs)
    print(f"resuming {run_dir} at epoch {min(epoch + 1, config.epochs)}/{config.epochs}")
    return _train(session, run_dir, history, epoch, verbose)


class _Session:
    """The words, model, optimizer, schedule and batches of a run, from its settings alone."""

    def __init__(self, config: RunConfig, optimizers: dict) -> None:
        if config.validation_split <= 0:
            raise ValueError("--validation-split must be above 0 for --data words: the "
                             "validation loss is the run's measure")
        self.config, self.vocab = config, CharVocab()
        manual_seed(config.seed)
        words = load_words(words_path(config.data))
        self.train_words, self.val_words = split_words(words, config.validation_split,
                                                       config.seed)
        self.steps = max(len(word) for word in words) + 1
        self.net = build_model(config.model, (self.steps,), len(self.vocab))
        lr = config.lr
        if lr is None:
            lr = 0.05 if config.optimizer == "sgd" else LANGUAGE_LR
        self.optimizer = optimizers[config.optimizer](self.net.parameters(), lr)
        self.scheduler = optim.lr_scheduler.CosineAnnealingLR(self.optimizer,
                                                              T_max=config.epochs)
        self.loader = WordLoader(*word_batches(self.train_words, self.vocab),
                                 config.batch_size, seed=config.seed)
        self.val = WordLoader(*word_batches(self.val_words, self.vocab), config.batch_size,
                              shuffle=False)
        self.checkpoint = Checkpoint(self.net, self.optimizer, self.scheduler, self.loader)


def _train(session: _Session, out: str, history: dict[str, list[float]], initial_epoch: int,
           verbose: Any) -> dict:
    config = session.config
    start = time.perf_counter()
    with StopSignals() as signals, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        keeper = RunKeeper(session.checkpoint, os.path.join(out, CHECKPOINT), history, signals)
        validation = _Validation(session.val, verbose != 0)
        fit(session.net, sequence_loss, session.optimizer, session.loader,
            epochs=config.epochs, initial_epoch=initial_epoch, callbacks=[validation, keeper],
            scheduler=session.scheduler, verbose=verbose)
    raise_if_stopped(keeper, signals, out)
    seconds = time.perf_counter() - start
    return _finish(session, out, history, seconds, resumed=initial_epoch > 0)


class _Validation(Callback):
    """Puts the validation loss in nats per character into each epoch's logs as "val_loss",
    before the keeper records them (``fit``'s own validation would weight each batch's mean
    by its words, not its characters), and prints it under the epoch's line."""

    def __init__(self, batches: WordLoader, show: bool) -> None:
        self.batches, self.show = batches, show

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if self.state.stop_training:
            return
        logs["val_loss"] = nats_per_char(self.state.model, self.batches)
        if self.show:
            print(f"  validation loss {logs['val_loss']:.4f} nats/char")


def _finish(session: _Session, out: str, history: dict[str, list[float]], seconds: float,
            resumed: bool) -> dict:
    """Measure, sample, and write the model, history, metrics and curves; drop the checkpoint."""
    net, config = session.net, session.config
    if not all(np.all(np.isfinite(p.data)) for p in net.parameters()):
        raise TrainingDiverged(f"the weights are not finite; nothing was saved over "
                               f"{os.path.join(out, MODEL)}")
    with writing(os.path.join(out, MODEL)):
        io.save(net, os.path.join(out, MODEL), metadata=_metadata(session))
    write_history(os.path.join(out, "history.csv"), history)
    metrics = _metrics(session, seconds, resumed)
    write_text(os.path.join(out, METRICS), json.dumps(metrics, indent=2) + "\n")
    _draw_curves(out)
    checkpoint = os.path.join(out, CHECKPOINT)
    if os.path.exists(checkpoint):
        os.remove(checkpoint)
    _report(metrics, config, out)
    return metrics


def _metadata(session: _Session) -> dict[str, str]:
    vocab = session.vocab
    return {"model": session.config.model, "input_shape": json.dumps([session.steps]),
            "num_classes": str(len(vocab)), "class_names": json.dumps(list(vocab.tokens)),
            "dataset": session.config.data, "chainrule_version": __version__}


def _metrics(session: _Session, seconds: float, resumed: bool) -> dict:
    seed = session.config.seed % 2**32
    return {
        "val_nats_per_char": nats_per_char(session.net, session.val),
        "bigram_nats_per_char": bigram_nats_per_char(session.train_words, session.val_words,
                                                     session.vocab, alpha=BIGRAM_ALPHA),
        "uniform_nats_per_char": math.log(len(session.vocab)),
        "train_seconds": seconds, "resumed": resumed,
        "train_words": len(session.train_words), "val_words": len(session.val_words),
        "samples": sample_words(session.net, 20, temperature=0.8, top_k=10,
                                rng=np.random.default_rng(seed)),
    }


def _draw_curves(out: str) -> None:
    """curves.png; matplotlib is optional: the run is complete without it."""
    from .commands import plot_run

    try:
        plot_run(out)
    except ImportError as err:
        print(f"pictures skipped: {err}")


def _report(metrics: dict, config: RunConfig, out: str) -> None:
    since = " (since the resume)" if metrics["resumed"] else ""
    print(f"{config.model}: {metrics['train_words']} training words, {metrics['val_words']} "
          f"validation words; trained in {metrics['train_seconds']:.0f} s{since}")
    print(f"validation loss {metrics['val_nats_per_char']:.3f} nats/char; bigram baseline "
          f"{metrics['bigram_nats_per_char']:.3f}; uniform {metrics['uniform_nats_per_char']:.3f}")
    print("invented words (temperature 0.8, top-k 10): " + " ".join(metrics["samples"]))
    print(f"(run saved in {out})")

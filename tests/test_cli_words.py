"""``chainrule train --data words:FILE --model lstm|gpt``: a character language model trained
into a run directory on a small word list written here, whose words repeat a syllable
("baba", "kikiki"): the next letter depends on more than the previous one, so a sequence model
must beat the bigram baseline clearly. Also the run directory's files, the printed report,
``info`` and ``plot`` on the result, exact resume, and one-line errors for bad combinations."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import signal
import sys

import numpy as np
import pytest

from chainrule import cli
from chainrule.data.datasets.words import CharVocab, bigram_nats_per_char, load_words, split_words
from chainrule.io import load_file

SYLLABLES = [c + v for c in "bcdfghjklmnpqrstvwxz" for v in "aeiou"]
SMALL = ["--batch-size", "16", "--quiet"]
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


@pytest.fixture(scope="module")
def word_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("words") / "list.txt"
    path.write_text("\n".join([s * 2 for s in SYLLABLES] + [s * 3 for s in SYLLABLES]) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def lstm_run(word_file, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("run") / "lstm")
    capture = _Capture()
    with capture:
        status = cli.main(["train", "--data", f"words:{word_file}", "--model", "lstm",
                           "--epochs", "8", "--out", out, *SMALL])
    assert status == 0, capture.err
    return out, capture.out


class _Capture:
    """Standard output and error of a block (a module fixture cannot use capsys)."""

    def __enter__(self):
        import io

        self.saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = io.StringIO(), io.StringIO()

    def __exit__(self, *exc):
        self.out, self.err = sys.stdout.getvalue(), sys.stderr.getvalue()
        sys.stdout, sys.stderr = self.saved


def test_the_run_directory_holds_the_model_history_and_metrics(lstm_run, word_file):
    out, _ = lstm_run
    names = set(os.listdir(out))
    assert {"run.json", "model.safetensors", "history.csv", "metrics.json"} <= names
    assert "checkpoint.safetensors" not in names  # the run finished
    assert ("curves.png" in names) == HAS_MATPLOTLIB
    with open(os.path.join(out, "run.json")) as handle:
        assert json.load(handle)["data"] == "words:" + os.path.abspath(word_file)
    with open(os.path.join(out, "history.csv")) as handle:
        rows = list(csv.DictReader(handle))
    assert [row["epoch"] for row in rows] == [str(n) for n in range(1, 9)]
    assert float(rows[-1]["val_loss"]) < float(rows[0]["val_loss"])
    with open(os.path.join(out, "metrics.json")) as handle:  # the same measure, per character
        assert float(rows[-1]["val_loss"]) == json.load(handle)["val_nats_per_char"]
    arrays, metadata = load_file(os.path.join(out, "model.safetensors"))
    assert metadata["model"] == "lstm" and json.loads(metadata["class_names"])[0] == "."
    assert json.loads(metadata["input_shape"]) == [len("kikiki") + 1]
    assert arrays["0.weight"].shape == (27, 32)


def test_the_model_beats_the_bigram_baseline_and_the_report_says_so(lstm_run, word_file):
    out, printed = lstm_run
    with open(os.path.join(out, "metrics.json")) as handle:
        metrics = json.load(handle)
    train, val = split_words(load_words(word_file), 0.1, seed=0)
    bigram = bigram_nats_per_char(train, val, CharVocab(), alpha=0.1)
    assert metrics["bigram_nats_per_char"] == pytest.approx(bigram)
    assert metrics["val_nats_per_char"] < bigram - 0.3
    found = re.search(r"validation loss ([\d.]+) nats/char; bigram baseline ([\d.]+); "
                      r"uniform 3\.296", printed)
    assert found and float(found[1]) == pytest.approx(metrics["val_nats_per_char"], abs=1e-3)
    assert float(found[2]) == pytest.approx(bigram, abs=1e-3)
    assert re.search(r"trained in \d+ s", printed)
    words = printed.split("invented words (temperature 0.8, top-k 10): ")[1].splitlines()[0]
    assert words.split(" ") == metrics["samples"] and len(metrics["samples"]) == 20
    assert all(word.isalpha() and word.islower() for word in metrics["samples"])


def test_info_and_plot_read_the_run(lstm_run, capsys):
    out, _ = lstm_run
    assert cli.main(["info", os.path.join(out, "model.safetensors")]) == 0
    printed = capsys.readouterr().out
    # embedding 27·32, LSTM layers 4·192·(32 + 192 + 2) and 4·192·(192 + 192 + 2), head 192·27 + 27
    count = 27 * 32 + 4 * 192 * (32 + 192 + 2) + 4 * 192 * (192 + 192 + 2) + 192 * 27 + 27
    assert "LSTMOutput" in printed and f"parameters: {count:,}" in printed
    if HAS_MATPLOTLIB:
        assert cli.main(["plot", out]) == 0


def test_an_interrupted_gpt_run_resumes_to_the_same_weights(word_file, tmp_path, monkeypatch):
    run = ["train", "--data", f"words:{word_file}", "--model", "gpt", "--epochs", "2", *SMALL]
    assert cli.main([*run, "--out", str(tmp_path / "straight")]) == 0
    fit_module = sys.modules["chainrule.train.fit"]
    real_step, steps = fit_module.train_step, [0]

    def step(*args):
        steps[0] += 1
        if steps[0] == 15:  # epoch 2, batch 3 (12 batches an epoch)
            os.kill(os.getpid(), signal.SIGTERM)
        return real_step(*args)

    monkeypatch.setattr(fit_module, "train_step", step)
    assert cli.main([*run, "--out", str(tmp_path / "cut")]) == 128 + signal.SIGTERM
    assert (tmp_path / "cut" / "checkpoint.safetensors").exists()
    monkeypatch.setattr(fit_module, "train_step", real_step)
    assert cli.main(["train", "--resume", str(tmp_path / "cut"), "--quiet"]) == 0
    expected = load_file(str(tmp_path / "straight" / "model.safetensors"))[0]
    got = load_file(str(tmp_path / "cut" / "model.safetensors"))[0]
    assert expected.keys() == got.keys()
    assert all(np.array_equal(expected[name], got[name]) for name in expected)


@pytest.mark.parametrize("args, message", [
    (["--model", "mlp"], "trains a character language model: use --model lstm or --model gpt"),
    (["--model", "lstm", "--validation-split", "0"], "--validation-split must be above 0"),
    (["--model", "lstm", "--distributed"], "'lstm' on 'words:"),
])
def test_bad_word_runs_are_one_line_with_status_2(args, message, word_file, tmp_path, capsys):
    status = cli.main(["train", "--data", f"words:{word_file}", *args,
                       "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("data, model, message", [
    ("moons", "lstm", "--model lstm is a character language model: train it with --data words"),
    ("fashion-mnist", "gpt", "--model gpt is a character language model"),
    ("words:", "lstm", "not a word list"),
    ("words:/no/such/list", "lstm", "/no/such/list: No such file"),
])
def test_bad_combinations_and_files_are_one_line_with_status_2(data, model, message, tmp_path,
                                                                capsys):
    status = cli.main(["train", "--data", data, "--model", model,
                       "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_evaluate_and_predict_refuse_a_language_model_in_one_line(lstm_run, command, tmp_path,
                                                                   capsys):
    np.save(tmp_path / "x.npy", np.zeros((2, 7), np.float32))
    data = "words" if command == "evaluate" else str(tmp_path / "x.npy")
    status = cli.main([command, os.path.join(lstm_run[0], "model.safetensors"), data])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert f"a character language model; '{command}' takes classifiers" in err

"""The sequence examples. The character-level language model (examples/char_lm.py; its data,
models, loss and sampling are the package's, tested in tests/data/test_words.py and
tests/test_language.py): a short run of each model that must learn something (a loss below
the uniform one) and print words. The row-wise Fashion-MNIST
classifier (examples/sequence_classification.py): a short run of each model far above chance,
and the full LSTM run (marked slow) at 88%."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HAS_WORDS = Path("/usr/share/dict/words").is_file()
HAS_FASHION = Path("/usr/share/datasets/fashion-mnist").is_dir()


def load(name: str = "char_lm"):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not HAS_WORDS, reason="the wamerican word list is not installed")
@pytest.mark.parametrize("model", ["lstm", "gpt"])
def test_short_run_learns_and_invents_words(model, capsys):
    result = load().main(model, epochs=1, max_words=1500, verbose=0)
    out = capsys.readouterr().out
    assert result["val"] < result["uniform"] - 0.3
    assert "nats/char" in out and "bigram baseline" in out
    assert len(result["samples"]) == 20 and all(w.isalpha() or w == ""
                                                for w in result["samples"])


@pytest.mark.skipif(not HAS_FASHION, reason="dataset-fashion-mnist is not installed")
@pytest.mark.parametrize("model", ["lstm", "gru"])
def test_row_classifier_short_run_is_far_above_chance(model):
    assert load("sequence_classification").main(model, epochs=1, limit=3000, verbose=0) > 0.35


@pytest.mark.slow
@pytest.mark.skipif(not HAS_FASHION, reason="dataset-fashion-mnist is not installed")
def test_row_wise_lstm_reaches_88_percent():
    assert load("sequence_classification").main("lstm", verbose=0) >= 0.88

"""The sequence examples. The character-level language model (examples/char_lm.py): its data
encoding, its bigram baseline against a direct count, and a short run of each model that must
learn something (a loss below the uniform one) and print words. The row-wise Fashion-MNIST
classifier (examples/sequence_classification.py): a short run of each model far above chance,
and the full LSTM run (marked slow) at 88%."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HAS_WORDS = Path("/usr/share/dict/words").is_file()
HAS_FASHION = Path("/usr/share/datasets/fashion-mnist").is_dir()


def load(name: str = "char_lm"):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_encoding_shifts_targets_by_one():
    m = load()
    x, y = m.encode(["ab", "c"])
    np.testing.assert_array_equal(x, [[0, 1, 2], [0, 3, 0]])
    np.testing.assert_array_equal(y, [[1, 2, 0], [3, 0, m.PAD]])


def test_bigram_baseline_matches_a_direct_count():
    m = load()
    train, val = ["ab", "ba", "aa"], ["ab"]
    alpha = 0.5
    # ".ab." in val: transitions . -> a, a -> b, b -> .
    counts = {(".", "a"): 2, (".", "b"): 1, ("a", "b"): 1, ("b", "a"): 1, ("a", "."): 2,
              ("a", "a"): 1, ("b", "."): 1}
    rows = {".": 3, "a": 4, "b": 2}
    expected = -np.mean([math.log((counts.get(pair, 0) + alpha) / (rows[pair[0]] + 27 * alpha))
                         for pair in [(".", "a"), ("a", "b"), ("b", ".")]])
    assert m.bigram_loss(train, val, alpha) == pytest.approx(expected, rel=1e-12)


def test_trimmed_batches_drop_all_padding_steps():
    m = load()
    x, y = m.encode(["abcdef", "ab", "abc"])
    bx, by = m.trimmed_batch([(x[1], y[1]), (x[2], y[2])])
    assert tuple(bx.shape) == tuple(by.shape) == (2, 4)
    batches = list(m.LengthBuckets(y, 2))
    assert sorted(sum(batches, [])) == [0, 1, 2] and len(batches) == 2


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

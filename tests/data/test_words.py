"""The word list for the character language model: reading, vocabulary, padded batches and the
bigram baseline, on small files written here and on the installed wamerican list."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from chainrule.data.datasets import words as W

INSTALLED = pytest.mark.skipif(
    not any(os.path.isfile(path) for path in W.WORD_FILES),
    reason=f"{W.WORD_FILES[0]} is absent (apt-get install wamerican to run these)",
)


def write_list(tmp_path, lines):
    path = tmp_path / "words"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_load_keeps_distinct_lowercase_ascii_words_sorted(tmp_path):
    path = write_list(tmp_path, ["cat", "Dog", "cat", "it's", "café", "", "ab", "zebra"])
    assert W.load_words(path) == ["ab", "cat", "zebra"]


def test_a_list_without_usable_words_is_refused(tmp_path):
    path = write_list(tmp_path, ["Dog", "it's"])
    with pytest.raises(ValueError, match="no word made only of the letters a-z"):
        W.load_words(path)


def test_missing_list_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(W, "WORD_FILES", (str(tmp_path / "none"),))
    with pytest.raises(FileNotFoundError, match="apt-get install wamerican"):
        W.load_words()


def test_vocab_round_trip_and_unknown_character():
    vocab = W.CharVocab()
    assert len(vocab) == 27
    assert vocab.encode("abz") == [1, 2, 26]
    assert vocab.decode([0, 3, 1, 20, 0]) == ".cat."
    with pytest.raises(ValueError, match="'Q' is not in the vocabulary"):
        vocab.encode("Qat")


def test_split_is_seeded_disjoint_and_complete():
    words = [f"w{i}" for i in range(100)]
    train, val = W.split_words(words, 0.1, seed=3)
    assert len(val) == 10 and len(train) == 90
    assert sorted(train + val) == sorted(words)
    assert (train, val) == W.split_words(words, 0.1, seed=3)
    assert val != W.split_words(words, 0.1, seed=4)[1]
    with pytest.raises(ValueError, match="val_fraction"):
        W.split_words(words, 1.0)


def test_batches_shift_targets_by_one_and_pad_with_ignore_index():
    inputs, targets = W.word_batches(["ab", "c"], W.CharVocab())
    np.testing.assert_array_equal(inputs, [[0, 1, 2], [0, 3, 0]])
    np.testing.assert_array_equal(targets, [[1, 2, 0], [3, 0, W.IGNORE_INDEX]])


def test_bigram_baseline_equals_the_hand_computed_loss():
    vocab = W.CharVocab()
    # train "ab": pairs .a, ab, b. ; with alpha=1 each row has 27 + (count of the row) mass.
    # val "ab" scores the same three pairs, each seen once in its row: p = 2 / 28.
    loss = W.bigram_nats_per_char(["ab"], ["ab"], vocab, alpha=1.0)
    assert loss == pytest.approx(-math.log(2 / 28))
    # val "ba" scores .b, ba and a. : none seen in training, each row still holds 28
    assert W.bigram_nats_per_char(["ab"], ["ba"], vocab, alpha=1.0) == \
        pytest.approx(-math.log(1 / 28))
    # a row never seen in training ("z") is uniform: 1/27
    assert W.bigram_nats_per_char(["ab"], ["z"], vocab, alpha=1.0) == \
        pytest.approx(-(math.log(1 / 28) + math.log(1 / 27)) / 2)


@INSTALLED
def test_installed_list_gives_a_baseline_well_below_uniform():
    words = W.load_words()
    assert len(words) > 50_000
    train, val = W.split_words(words)
    loss = W.bigram_nats_per_char(train, val, W.CharVocab())
    assert 2.0 < loss < math.log(27) - 0.6


def test_data_names_of_word_lists():
    assert W.words_path("words") is None and W.words_path("words:/a/b:c") == "/a/b:c"
    assert W.is_word_data("words") and W.is_word_data("words:x") and not W.is_word_data("moons")
    for name in ["words:", "wordsx", "moons"]:
        with pytest.raises(ValueError, match="not a word list: use 'words' or 'words:/path"):
            W.words_path(name)

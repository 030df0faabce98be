"""The English word list of Debian's ``wamerican`` package, as characters for a language model.

``load_words()`` reads ``/usr/share/dict/american-english`` (never downloaded: ``apt-get install
wamerican`` puts it there) and keeps the distinct words written only with the letters a-z, in
sorted order. ``CharVocab`` numbers the 26 letters after one boundary token ``"."`` that marks
both ends of a word, so a model that reads ``.cat`` learns to predict ``cat.``.
``bigram_nats_per_char`` is the baseline a sequence model has to beat: the validation loss of
a model that predicts each character from the one before it alone, by add-``alpha`` counts.
"""

from __future__ import annotations

import os
from typing import Iterable, Sequence

import numpy as np

WORD_FILES = ("/usr/share/dict/american-english", "/usr/share/dict/words")
BOUNDARY = "."
LETTERS = "abcdefghijklmnopqrstuvwxyz"
IGNORE_INDEX = -100  # the padding targets: CrossEntropyLoss's default ignore_index


def find_word_file() -> str:
    """The path of the installed word list, or a FileNotFoundError saying how to install it."""
    for path in WORD_FILES:
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"no English word list at {' or '.join(WORD_FILES)}: install Debian's package with "
        f"`apt-get install wamerican` (nothing is downloaded at run time)")


def load_words(path: str | None = None) -> list[str]:
    """The distinct words of ``path`` (default: the installed list) made only of a-z, sorted."""
    path = path or find_word_file()
    with open(path, encoding="utf-8", errors="replace") as handle:
        words = {line.strip() for line in handle}
    kept = sorted(word for word in words if word and set(word) <= set(LETTERS))
    if not kept:
        raise ValueError(f"{path}: holds no word made only of the letters a-z")
    return kept


def split_words(words: Sequence[str], val_fraction: float = 0.1,
                seed: int = 0) -> tuple[list[str], list[str]]:
    """A seeded shuffle of ``words`` cut into (train, validation) lists."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    order = np.random.default_rng(seed).permutation(len(words))
    n_val = max(1, int(round(len(words) * val_fraction)))
    if n_val >= len(words):
        raise ValueError(f"{len(words)} words are too few to hold out {val_fraction:.0%}")
    return [words[i] for i in order[n_val:]], [words[i] for i in order[:n_val]]


class CharVocab:
    """Token ids: 0 is the word boundary ``"."``, 1-26 the letters a-z."""

    def __init__(self) -> None:
        self.tokens = BOUNDARY + LETTERS
        self._ids = {token: i for i, token in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, word: str) -> list[int]:
        try:
            return [self._ids[char] for char in word]
        except KeyError as err:
            raise ValueError(f"{word!r}: character {err.args[0]!r} is not in the "
                             f"vocabulary ({self.tokens!r})") from None

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.tokens[int(i)] for i in ids)


def word_batches(words: Sequence[str], vocab: CharVocab) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``.word`` and targets ``word.`` as int64 arrays of shape (len(words), L).

    L is the longest word plus one. Inputs are padded with the boundary id and targets with
    ``IGNORE_INDEX``, so the padding adds nothing to a cross-entropy loss.
    """
    length = max(len(word) for word in words) + 1
    inputs = np.zeros((len(words), length), dtype=np.int64)
    targets = np.full((len(words), length), IGNORE_INDEX, dtype=np.int64)
    for row, word in enumerate(words):
        ids = vocab.encode(word)
        inputs[row, 1:len(ids) + 1] = ids
        targets[row, :len(ids)] = ids
        targets[row, len(ids)] = 0
    return inputs, targets


def bigram_counts(words: Iterable[str], vocab: CharVocab) -> np.ndarray:
    """counts[a, b]: how often token b follows token a, word boundaries included."""
    counts = np.zeros((len(vocab), len(vocab)), dtype=np.int64)
    for word in words:
        ids = [0, *vocab.encode(word), 0]
        np.add.at(counts, (ids[:-1], ids[1:]), 1)
    return counts


def bigram_nats_per_char(train: Iterable[str], val: Iterable[str], vocab: CharVocab,
                         alpha: float = 1.0) -> float:
    """Mean −log p(next | previous) over the validation characters (each end of word counts).

    p comes from the training bigram counts plus ``alpha`` (Laplace smoothing), so a pair
    never seen in training still has a finite loss.
    """
    counts = bigram_counts(train, vocab) + alpha
    log_p = np.log(counts / counts.sum(axis=1, keepdims=True))
    val_counts = bigram_counts(val, vocab)
    total = val_counts.sum()
    if total == 0:
        raise ValueError("the validation words hold no characters")
    return float(-(val_counts * log_p).sum() / total)

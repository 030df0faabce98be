"""The English word list of Debian's ``wamerican`` package, as characters for a language model.

``load_words()`` reads ``/usr/share/dict/american-english`` (never downloaded: ``apt-get install
wamerican`` puts it there) and keeps the distinct words written only with the letters a-z, in
sorted order. ``CharVocab`` numbers the 26 letters after one boundary token ``"."`` that marks
both ends of a word, so a model that reads ``.cat`` learns to predict ``cat.``.
``bigram_nats_per_char`` is the baseline a sequence model has to beat: the validation loss of
a model that predicts each character from the one before it alone, by add-``alpha`` counts.
``WordLoader`` hands out padded batches of words of similar length, resumably.

``chainrule train --data words`` names the installed list; ``--data words:/path/to/list``
another file (one word a line), read by the same rules.
"""

from __future__ import annotations

import os
from typing import Iterable, Iterator, Sequence

import numpy as np

from ...creation import as_tensor
from ...tensor import Tensor

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


def words_path(name: str) -> str | None:
    """The word file a data set name means: ``"words"`` is the installed list (None here),
    ``"words:PATH"`` the file at PATH; ValueError for any other name."""
    kind, colon, path = name.partition(":")
    if kind != "words" or (colon and not path):
        raise ValueError(f"{name!r} is not a word list: use 'words' or 'words:/path/to/list'")
    return path or None


def is_word_data(name: str) -> bool:
    """Whether a data set name means a word list (``words`` or ``words:PATH``)."""
    return name == "words" or name.startswith("words:")


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


class WordLoader:
    """Batches ``(inputs, targets)`` of ``word_batches``' arrays, each cut to its longest word.

    The words are sorted by length and cut into batches of ``batch_size`` once, so a batch
    holds words of about one length and its padding costs little; each epoch visits the
    batches in a permutation drawn from ``(seed, epoch)`` (in order with ``shuffle=False``).
    Since the order follows from the epoch alone, ``state_dict()`` (the epoch and the
    batches handed out of it) restores it exactly, as ``DataLoader.state_dict`` does.

    Args:
        inputs, targets: int64 arrays of shape (words, L) from ``word_batches``.
        batch_size: words per batch (a positive int).
        shuffle: a new order of the batches every epoch.
        seed: the seed of those orders.
    """

    def __init__(self, inputs: np.ndarray, targets: np.ndarray, batch_size: int,
                 shuffle: bool = True, seed: int = 0) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"WordLoader: batch_size must be a positive int, got {batch_size!r}")
        self.inputs, self.targets = inputs, targets
        lengths = (targets != IGNORE_INDEX).sum(axis=1)
        order = np.argsort(lengths, kind="stable")
        self.batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        self.steps = [int(lengths[batch].max()) for batch in self.batches]
        self.shuffle, self.seed = shuffle, seed
        self.epoch, self.position = 0, 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        order = np.arange(len(self.batches))
        if self.shuffle:
            order = np.random.default_rng([self.seed % 2**32, self.epoch]).permutation(order)
        while self.position < len(order):
            k = order[self.position]
            self.position += 1
            rows, steps = self.batches[k], self.steps[k]
            yield as_tensor(self.inputs[rows, :steps]), as_tensor(self.targets[rows, :steps])
        self.epoch, self.position = self.epoch + 1, 0

    def state_dict(self) -> dict[str, int]:
        """``{"epoch": epochs finished, "position": batches of the next one handed out}``."""
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        epoch, position = int(state["epoch"]), int(state["position"])
        if epoch < 0 or not 0 <= position <= len(self):
            raise ValueError(f"WordLoader.load_state_dict: epoch {epoch}, position {position} "
                             f"is outside the {len(self)} batches of an epoch")
        self.epoch, self.position = epoch, position

"""A character-level language model of English words: a 2-layer LSTM or a small decoder-only
Transformer (causal attention, learned positions), trained on the word list of Debian's
`wamerican` package (/usr/share/dict/words; nothing is downloaded).

Each word is read as "." + word + "." (the dot marks both ends). The script prints a progress
bar per epoch, the validation loss in nats per character against a smoothed bigram baseline
that it computes from the same training words, the training time, and 20 new words sampled
with temperature and top-k.

With the defaults (4 epochs over 57,452 training words, 6,384 held out), the validation loss
was 1.770 nats per character for the LSTM and 1.902 for the Transformer, against 2.467 for the
bigram baseline (and ln 27 = 3.296 for a uniform guess). Words the LSTM invented (temperature
0.8, top-k 10): pepulates sliven pennous barbing composes pensuring chungs mistribute
contenting downiest cockbooking bannier blotch surgening.

Run: python examples/char_lm.py [--model lstm|gpt] [--epochs 4] [--max-words 0]
(on a busy machine, OPENBLAS_NUM_THREADS=1 is often faster: each step's matrices are small).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.train import fit

WORDS = Path("/usr/share/dict/words")
ALPHABET = ".abcdefghijklmnopqrstuvwxyz"  # "." = start and end of a word
PAD = -100  # target index ignored by the loss
VOCAB = len(ALPHABET)


def load_words(path: Path = WORDS, max_words: int = 0, seed: int = 0) -> list[str]:
    """Lower-case words of letters a-z only (no names, no possessives), shuffled."""
    words = sorted({w for w in path.read_text(encoding="utf-8").split()
                    if w.isascii() and w.isalpha() and w.islower() and 2 <= len(w) <= 18})
    np.random.default_rng(seed).shuffle(words)
    return words[:max_words] if max_words else words


def encode(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (N, T): "." + word, padded with "."; targets (N, T): word + ".", padded with
    PAD, so every real next character (the final "." included) is predicted once."""
    steps = max(len(w) for w in words) + 1
    x = np.zeros((len(words), steps), np.int64)
    y = np.full((len(words), steps), PAD, np.int64)
    for n, word in enumerate(words):
        codes = [ALPHABET.index(c) for c in word]
        x[n, 1: len(codes) + 1] = codes
        y[n, : len(codes) + 1] = codes + [0]
    return x, y


def bigram_loss(train: list[str], val: list[str], alpha: float = 0.1) -> float:
    """Nats per character of an add-alpha bigram model fitted on ``train``, on ``val``."""
    counts = np.full((VOCAB, VOCAB), alpha)
    for word in train:
        codes = [0] + [ALPHABET.index(c) for c in word] + [0]
        np.add.at(counts, (codes[:-1], codes[1:]), 1)
    logp = np.log(counts / counts.sum(axis=1, keepdims=True))
    total, chars = 0.0, 0
    for word in val:
        codes = [0] + [ALPHABET.index(c) for c in word] + [0]
        total -= logp[codes[:-1], codes[1:]].sum()
        chars += len(codes) - 1
    return total / chars


class LSTMModel(nn.Module):
    """Embedding → 2-layer LSTM → linear head over the alphabet."""

    def __init__(self, embed: int = 32, hidden: int = 192, layers: int = 2,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True,
                            dropout=dropout)
        self.head = nn.Linear(hidden, VOCAB)

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        return self.head(self.lstm(self.embed(x))[0])


class GPTModel(nn.Module):
    """Token and learned position embeddings → pre-norm causal Transformer blocks → head."""

    def __init__(self, d_model: int = 96, heads: int = 4, layers: int = 3,
                 max_len: int = 32, dropout: float = 0.1) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, d_model)
        self.position = nn.Embedding(max_len, d_model)
        block = nn.TransformerEncoderLayer(d_model, heads, 4 * d_model, dropout=dropout,
                                           activation="gelu", batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerEncoder(block, layers)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, VOCAB)

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        steps = x.shape[1]
        h = self.embed(x) + self.position(cr.arange(steps))
        mask = nn.Transformer.generate_square_subsequent_mask(steps)
        return self.head(self.norm(self.blocks(h, mask=mask, is_causal=True)))


class LengthBuckets:
    """Batches of words of similar length (sorted by length, cut into batches), in a new
    random order every epoch: padding then costs little."""

    def __init__(self, targets: np.ndarray, batch_size: int, seed: int = 0) -> None:
        order = np.argsort((targets != PAD).sum(axis=1), kind="stable")
        self.batches = [order[i: i + batch_size].tolist()
                        for i in range(0, len(order), batch_size)]
        self.rng = np.random.default_rng(seed)

    def __iter__(self):
        for k in self.rng.permutation(len(self.batches)):
            yield self.batches[k]

    def __len__(self) -> int:
        return len(self.batches)


def trimmed_batch(samples: list) -> tuple[cr.Tensor, cr.Tensor]:
    """Stack (x, y) samples and drop the steps where every target is padding."""
    x = np.stack([np.asarray(s[0]) for s in samples])
    y = np.stack([np.asarray(s[1]) for s in samples])
    steps = int((y != PAD).sum(axis=1).max())
    return cr.tensor(x[:, :steps]), cr.tensor(y[:, :steps])


def sequence_loss(logits: cr.Tensor, targets: cr.Tensor) -> cr.Tensor:
    """Mean cross-entropy over the real (non-padding) next characters."""
    return nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1),
                                       ignore_index=PAD)


def nats_per_char(model: nn.Module, x: np.ndarray, y: np.ndarray, batch: int = 512) -> float:
    """Validation loss summed over every real character, divided by their number."""
    model.eval()
    total = 0.0
    with cr.no_grad():
        for start in range(0, len(x), batch):
            logits = model(cr.tensor(x[start: start + batch]))
            total += nn.functional.cross_entropy(
                logits.reshape(-1, VOCAB), cr.tensor(y[start: start + batch].reshape(-1)),
                ignore_index=PAD, reduction="sum").item()
    return total / int((y != PAD).sum())


def sample(model: nn.Module, count: int = 20, temperature: float = 0.8, top_k: int = 10,
           max_len: int = 20, rng: np.random.Generator | None = None) -> list[str]:
    """Words drawn one character at a time from softmax(logits / temperature) restricted to
    the ``top_k`` most likely characters, until the end mark."""
    rng = np.random.default_rng(0) if rng is None else rng
    model.eval()
    words = []
    with cr.no_grad():
        for _ in range(count):
            codes = [0]
            while len(codes) <= max_len:
                logits = model(cr.tensor(np.array([codes])))[0, -1].numpy() / temperature
                keep = np.argsort(logits)[-top_k:]
                p = np.exp(logits[keep] - logits[keep].max())
                code = int(rng.choice(keep, p=p / p.sum()))
                if code == 0:
                    break
                codes.append(code)
            words.append("".join(ALPHABET[c] for c in codes[1:]))
    return words


def main(model_name: str = "lstm", epochs: int = 4, batch_size: int = 128, lr: float = 3e-3,
         max_words: int = 0, seed: int = 0, verbose: object = "auto") -> dict:
    cr.manual_seed(seed)
    words = load_words(max_words=max_words, seed=seed)
    cut = int(0.9 * len(words))
    train_words, val_words = words[:cut], words[cut:]
    x_train, y_train = encode(train_words)
    x_val, y_val = encode(val_words)
    model = LSTMModel() if model_name == "lstm" else GPTModel()
    optimizer = cr.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    loader = DataLoader(TensorDataset(cr.tensor(x_train), cr.tensor(y_train)),
                        batch_sampler=LengthBuckets(y_train, batch_size, seed),
                        collate_fn=trimmed_batch)
    scheduler = cr.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    start = time.perf_counter()
    fit(model, sequence_loss, optimizer, loader, epochs=epochs, scheduler=scheduler,
        verbose=verbose)
    seconds = time.perf_counter() - start
    result = {"val": nats_per_char(model, x_val, y_val),
              "bigram": bigram_loss(train_words, val_words),
              "uniform": math.log(VOCAB), "seconds": seconds,
              "samples": sample(model, rng=np.random.default_rng(seed))}
    print(f"{model_name}: {len(train_words)} training words, {len(val_words)} validation "
          f"words, trained in {seconds:.0f} s")
    print(f"validation loss {result['val']:.3f} nats/char; bigram baseline "
          f"{result['bigram']:.3f}; uniform {result['uniform']:.3f}")
    print("invented words:", " ".join(result["samples"]))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train a character-level word model.")
    parser.add_argument("--model", choices=["lstm", "gpt"], default="lstm")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--max-words", type=int, default=0, help="0: all words")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.model, args.epochs, args.batch_size, args.lr, args.max_words, args.seed)

"""Character language models of words: the layers of ``models.py``'s "lstm" and "gpt", their
training loss, their validation loss in nats per character, and words sampled from them.

A model reads a word as ``.word`` (token ids of ``data.datasets.words.CharVocab``; 0 is the
boundary ``"."``) and outputs, at each step, logits over the next token, so that its targets
are ``word.``. ``models.build_model("lstm", (steps,), vocabulary)`` builds

    Embedding(vocabulary, 32) → LSTMOutput(32, 192, num_layers=2, dropout=0.1)
    → Linear(192, vocabulary)

and ``"gpt"`` a small decoder-only Transformer:

    TokenPositions(vocabulary, 96, steps) → CausalBlocks(96, 4 heads, 3 layers, dropout 0.1)
    → LayerNorm(96) → Linear(96, vocabulary)

Example:
    >>> import numpy as np
    >>> from chainrule.models import build_model
    >>> model = build_model("lstm", input_shape=(6,), num_classes=27)
    >>> words = sample_words(model, count=3, max_length=5, rng=np.random.default_rng(0))
    >>> len(words), all(1 <= len(w) <= 5 and w.isalpha() for w in words)
    (3, True)
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from . import nn
from .creation import as_tensor, tensor
from .data.datasets.words import BOUNDARY, IGNORE_INDEX, LETTERS
from .functional import cross_entropy
from .grad_mode import no_grad
from .tensor import Tensor

TOKENS = BOUNDARY + LETTERS  # CharVocab's order: id 0 is the boundary


class LSTMOutput(nn.LSTM):
    """``nn.LSTM`` (``batch_first=True``) that returns its output alone, without the final
    states, so that it can stand in an ``nn.Sequential``.

    Args:
        input_size, hidden_size, num_layers, dropout: as ``nn.LSTM``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0) -> None:
        super().__init__(input_size, hidden_size, num_layers=num_layers, batch_first=True,
                         dropout=dropout)

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        return super().forward(x)[0]


class TokenPositions(nn.Module):
    """Token embeddings plus learned position embeddings, for ``(batch, steps)`` token ids.

    Args:
        num_tokens: the vocabulary size.
        dim: the embedding size.
        max_steps: the longest sequence (the rows of the position table).
    """

    def __init__(self, num_tokens: int, dim: int, max_steps: int) -> None:
        super().__init__()
        self.tokens = nn.Embedding(num_tokens, dim)
        self.positions = nn.Embedding(max_steps, dim)

    def forward(self, x: Tensor) -> Tensor:
        steps, most = x.shape[1], self.positions.num_embeddings
        if steps > most:
            raise ValueError(f"TokenPositions: {steps} steps, but positions were learned for "
                             f"{most} at most")
        return self.tokens(x) + self.positions(as_tensor(np.arange(steps)))


class CausalBlocks(nn.TransformerEncoder):
    """Pre-norm Transformer encoder layers (GELU, feed-forward 4 × ``dim``, batch first)
    in which each step attends only to itself and the steps before it.

    Args:
        dim: the model width.
        heads: attention heads.
        num_layers: layers.
        dropout: dropout in each layer.
    """

    def __init__(self, dim: int, heads: int, num_layers: int, dropout: float = 0.0) -> None:
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout=dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        super().__init__(layer, num_layers, enable_nested_tensor=False)

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
        return super().forward(x, mask=mask, is_causal=True)


def sequence_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean cross-entropy over the targets that are not padding (``IGNORE_INDEX``).

    Args:
        logits: ``(batch, steps, vocabulary)``.
        targets: ``(batch, steps)`` token ids.
    """
    return cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                         ignore_index=IGNORE_INDEX)


def nats_per_char(model: Any, batches: Iterable[tuple[Tensor, Tensor]]) -> float:
    """The loss summed over every real next character (each end of word included) of
    ``batches``, divided by their number: the validation loss in nats per character. The
    model is evaluated in eval mode and left in the mode it was in."""
    training, total, count = model.training, 0.0, 0
    model.eval()
    with no_grad():
        for x, y in batches:
            logits = model(x)
            total += cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                   ignore_index=IGNORE_INDEX, reduction="sum").item()
            count += int((y.numpy() != IGNORE_INDEX).sum())
    model.train(training)
    if count == 0:
        raise ValueError("nats_per_char: the batches hold no characters")
    return total / count


def sample_words(model: Any, count: int = 20, temperature: float = 0.8, top_k: int = 10,
                 max_length: int | None = None,
                 rng: np.random.Generator | None = None) -> list[str]:
    """Words drawn one character at a time from softmax(logits / ``temperature``) over the
    ``top_k`` likeliest tokens, until the boundary (never drawn first: a word has a letter)
    or ``max_length`` letters.

    Args:
        model: a model of ``models.build_model("lstm" | "gpt", ...)`` (or any model mapping
            ``(1, steps)`` token ids to ``(1, steps, 27)`` logits).
        count: how many words.
        temperature: > 0; below 1 favours likely characters.
        top_k: how many of the likeliest tokens may be drawn at each step (1 to 27).
        max_length: the most letters of a word (default: the longest a GPT's positions allow,
            else 20).
        rng: the generator of the draws (default: a fresh seeded one).

    The model runs in eval mode and is left in the mode it was in.
    """
    if not temperature > 0 or not 1 <= top_k <= len(TOKENS):
        raise ValueError(f"sample_words: temperature must be > 0 and top_k in [1, "
                         f"{len(TOKENS)}], got {temperature} and {top_k}")
    if max_length is None:
        positions = [m for m in model.modules() if isinstance(m, TokenPositions)]
        max_length = positions[0].positions.num_embeddings - 1 if positions else 20
    rng = np.random.default_rng(0) if rng is None else rng
    training = model.training
    model.eval()
    with no_grad():
        words = [_sample_word(model, temperature, top_k, max_length, rng) for _ in range(count)]
    model.train(training)
    return words


def _sample_word(model: Any, temperature: float, top_k: int, max_length: int,
                 rng: np.random.Generator) -> str:
    ids = [0]
    while len(ids) <= max_length:
        logits = model(tensor(np.array([ids]))).numpy()[0, -1].astype(np.float64) / temperature
        if len(ids) == 1:
            logits[0] = -np.inf  # a word has a letter at least
        keep = np.argsort(logits)[-top_k:]
        p = np.exp(logits[keep] - logits[keep].max())
        token = int(rng.choice(keep, p=p / p.sum()))
        if token == 0:
            break
        ids.append(token)
    return "".join(TOKENS[i] for i in ids[1:])

"""chainrule.language and the word batches it trains on: the loss and the nats per character
against a direct NumPy computation, causality of the "gpt" model, sampling, and the
length-bucketed WordLoader (every word once, trimmed batches, exact resume)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data.datasets.words import IGNORE_INDEX, CharVocab, WordLoader, word_batches
from chainrule.language import nats_per_char, sample_words, sequence_loss
from chainrule.models import build_model, model_plan

WORDS = ["a", "to", "cat", "dogs", "house", "at", "bee", "tree", "go", "sun", "moon"]


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def reference_nll(logits: np.ndarray, targets: np.ndarray) -> tuple[float, int]:
    """Summed −log p(target) over the non-padding targets, and their count."""
    keep = targets != IGNORE_INDEX
    picked = np.take_along_axis(log_softmax(logits), np.where(keep, targets, 0)[..., None],
                                axis=-1)[..., 0]
    return float(-(picked * keep).sum()), int(keep.sum())


def test_sequence_loss_is_the_mean_over_real_characters_only():
    rng = np.random.default_rng(0)
    x, y = word_batches(["ab", "c"], CharVocab())
    logits = rng.normal(size=(*y.shape, 27))
    total, count = reference_nll(logits, y)
    got = sequence_loss(cr.tensor(logits), cr.tensor(y)).item()
    assert got == pytest.approx(total / count, rel=1e-12) and count == 5  # "ab." and "c."


@pytest.mark.parametrize("spec", ["lstm", "gpt"])
def test_nats_per_char_sums_over_batches_of_unequal_lengths(spec):
    cr.manual_seed(0)
    x, y = word_batches(WORDS, CharVocab())
    model = build_model(spec, (x.shape[1],), 27).eval()
    with cr.no_grad():
        logits = model(cr.tensor(x)).numpy().astype(np.float64)
    total, count = reference_nll(logits, y)
    got = nats_per_char(model, WordLoader(x, y, batch_size=3, shuffle=False))
    assert got == pytest.approx(total / count, rel=1e-5)


def test_the_gpt_model_is_causal():
    cr.manual_seed(1)
    model = build_model("gpt", (8,), 27).eval()
    a = np.array([[0, 3, 1, 20, 5, 9]])
    b = a.copy()
    b[0, 4:] = [11, 12]  # change the future only
    with cr.no_grad():
        ya, yb = model(cr.tensor(a)).numpy(), model(cr.tensor(b)).numpy()
    np.testing.assert_allclose(ya[0, :4], yb[0, :4], rtol=1e-5, atol=1e-6)
    assert not np.allclose(ya[0, 4:], yb[0, 4:])


def test_the_gpt_model_refuses_more_steps_than_its_positions():
    model = build_model("gpt", (4,), 27)
    with pytest.raises(ValueError, match="5 steps.*4"):
        model(cr.tensor(np.zeros((1, 5), np.int64)))


def test_language_models_need_sequence_shapes():
    with pytest.raises(ValueError, match="'lstm' needs token sequences"):
        model_plan("lstm", (28, 28), 27)


class FixedModel(cr.nn.Module):
    """Logits that favour "c" after the start, "a" after "c", "t" after "a", then the end;
    the other tokens fall off by id (the boundary, id 0, is the second likeliest)."""

    def forward(self, x):
        following = {0: 3, 3: 1, 1: 20, 20: 0}
        ids = x.numpy()
        logits = np.broadcast_to(-0.1 * np.arange(27, dtype=np.float32),
                                 (*ids.shape, 27)).copy()
        for index in np.ndindex(ids.shape):
            logits[index + (following.get(int(ids[index]), 0),)] = 5.0
        return cr.tensor(logits)


def test_sampling_with_top_k_1_follows_the_likeliest_path():
    assert sample_words(FixedModel(), count=3, top_k=1) == ["cat"] * 3


def test_sampling_stops_at_max_length_and_draws_only_the_top_k():
    rng = np.random.default_rng(0)
    words = sample_words(FixedModel(), count=50, temperature=5.0, top_k=2, max_length=2,
                         rng=rng)
    # first the favoured "c" or the next likeliest letter "a" (never the end), then the
    # favoured letter or the end
    assert set(words) == {"c", "ca", "a", "at"}


@pytest.mark.parametrize("kwargs, problem", [({"temperature": 0}, "temperature"),
                                             ({"top_k": 0}, "top_k"), ({"top_k": 28}, "top_k")])
def test_sampling_arguments_are_checked(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        sample_words(FixedModel(), **kwargs)


def test_word_loader_visits_every_word_once_in_trimmed_batches_of_alike_lengths():
    x, y = word_batches(WORDS, CharVocab())
    loader = WordLoader(x, y, batch_size=4, seed=3)
    seen = []
    for bx, by in loader:
        bx, by = bx.numpy(), by.numpy()
        lengths = (by != IGNORE_INDEX).sum(axis=1)
        assert by.shape[1] == lengths.max() and bx.shape == by.shape
        seen += [CharVocab().decode(row[row != IGNORE_INDEX][:-1]) for row in by]
    assert sorted(seen) == sorted(WORDS) and len(loader) == 3


def test_word_loader_resumes_mid_epoch_to_the_same_batches():
    x, y = word_batches(WORDS, CharVocab())
    straight = WordLoader(x, y, batch_size=2, seed=5)
    expected = [b[1].numpy().tolist() for _ in range(2) for b in straight]
    first = WordLoader(x, y, batch_size=2, seed=5)
    got = [b[1].numpy().tolist() for b in first]  # epoch 1
    batches = iter(first)
    got += [next(batches)[1].numpy().tolist() for _ in range(2)]  # 2 batches of epoch 2
    second = WordLoader(x, y, batch_size=2, seed=5)
    second.load_state_dict(first.state_dict())
    got += [b[1].numpy().tolist() for b in second]
    assert got == expected and first.state_dict() == {"epoch": 1, "position": 2}
    assert expected[:6] != expected[6:]  # a new order each epoch


def test_word_loader_checks_its_arguments():
    x, y = word_batches(WORDS, CharVocab())
    with pytest.raises(ValueError, match="batch_size"):
        WordLoader(x, y, batch_size=0)
    with pytest.raises(ValueError, match="position 9"):
        WordLoader(x, y, batch_size=4).load_state_dict({"epoch": 0, "position": 9})

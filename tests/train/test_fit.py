"""fit, train_step, evaluate, predict: learning, History, validation, schedulers, progress."""

from __future__ import annotations

import io

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.data.datasets import make_moons
from chainrule.train import TopKAccuracy, evaluate, fit, predict, train_step


def mse(outputs, targets):
    return ((outputs - targets) ** 2).mean()


def moons(n=400, seed=0):
    x, y = make_moons(n, noise=0.1, generator=np.random.default_rng(seed))
    return x, y


def classifier(seed=0):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 2))


class TTY(io.StringIO):
    def isatty(self):
        return True


def test_fit_learns_moons_and_history_is_complete():
    x, y = moons()
    model = classifier()
    optimizer = cr.optim.Adam(model.parameters(), lr=0.02)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, (x, y), epochs=15, batch_size=32,
                  val_data=moons(200, seed=1), metrics=["accuracy"], verbose=0,
                  generator=np.random.default_rng(0))
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(values) == 15 for values in history.history.values())
    assert history.epoch == list(range(15))
    assert history.history["val_accuracy"][-1] >= 0.95
    assert history.history["loss"][-1] < history.history["loss"][0]
    final = evaluate(model, nn.CrossEntropyLoss(), moons(200, seed=1), ["accuracy"])
    assert final["loss"] == pytest.approx(history.history["val_loss"][-1], rel=1e-6)


def test_fit_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    x = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
    y = np.zeros((10, 1), np.float32)
    model = nn.Linear(3, 1)
    losses = []

    def recording_mse(outputs, targets):
        loss = mse(outputs, targets)
        losses.append((loss.item(), len(outputs)))
        return loss

    history = fit(model, recording_mse, cr.optim.SGD(model.parameters(), lr=0.0), (x, y),
                  epochs=1, batch_size=4, shuffle=False, verbose=0)
    expected = sum(v * n for v, n in losses) / sum(n for _, n in losses)
    assert [n for _, n in losses] == [4, 4, 2]
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-6)


def test_train_step_is_what_fit_repeats():
    x, y = moons(64)
    model_a, model_b = classifier(1), classifier(1)
    opt_a = cr.optim.SGD(model_a.parameters(), lr=0.1)
    opt_b = cr.optim.SGD(model_b.parameters(), lr=0.1)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    for xb, yb in loader:
        train_step(model_a, nn.CrossEntropyLoss(), opt_a, xb, yb)
    fit(model_b, nn.CrossEntropyLoss(), opt_b, loader, epochs=1, verbose=0)
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)


def test_validation_split_holds_out_the_last_samples():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.zeros((10, 1), np.float32)
    seen = []

    def spy(outputs, targets):
        return mse(outputs, targets)

    model = nn.Linear(2, 1)
    original_forward = model.forward

    def forward(inp):
        seen.append(inp.numpy().copy())
        return original_forward(inp)

    model.forward = forward
    history = fit(model, spy, cr.optim.SGD(model.parameters(), lr=0.0), (x, y), epochs=1,
                  validation_split=0.2, batch_size=100, shuffle=False, verbose=0)
    np.testing.assert_array_equal(seen[0], x[:8])
    np.testing.assert_array_equal(seen[1], x[8:])
    assert "val_loss" in history.history


def test_evaluate_and_predict_run_in_eval_mode_without_a_graph_and_restore_the_mode():
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    x, y = moons(50)
    model.train()
    first = predict(model, x, batch_size=7)
    second = predict(model, cr.tensor(x), batch_size=50)
    np.testing.assert_array_equal(first, second)  # no dropout: deterministic
    assert first.shape == (50, 2) and model.training
    with cr.no_grad():
        model.eval()
        np.testing.assert_allclose(first, model(cr.tensor(x)).numpy(), rtol=1e-6)
    model.train()
    scores = evaluate(model, nn.CrossEntropyLoss(), (x, y), ["accuracy"])
    assert set(scores) == {"loss", "accuracy"} and model.training


def test_evaluate_top_k_accuracy_on_ten_classes_with_known_ranks():
    # Ten classes; each sample's target is the class its outputs rank r-th (0 = best), with r
    # cycling through RANKS, so top-1, top-3 and top-5 accuracy are exactly 2/8, 5/8 and 6/8
    # (and the bottom-k would give other numbers), over batches of 7 that split the cycle.
    # (A two-class model scores 1.0 on top-5 whatever it predicts: that checks nothing.)
    ranks, classes, n = [0, 0, 1, 2, 2, 4, 5, 7], 10, 56
    rng = np.random.default_rng(0)
    logits = rng.permuted(np.tile(np.arange(classes, dtype=np.float64), (n, 1)), axis=1)
    order = np.argsort(-logits, axis=1)
    targets = order[np.arange(n), np.resize(ranks, n)]
    model = nn.Linear(classes, classes, bias=False, dtype=cr.float64)
    nn.init.eye_(model.weight)  # the model's outputs are its inputs: the logits above
    scores = evaluate(model, nn.CrossEntropyLoss(), (logits, targets),
                      ["accuracy", "top_k_accuracy", TopKAccuracy(3)], batch_size=7)
    assert scores["accuracy"] == pytest.approx(2 / 8)
    assert scores["top_3_accuracy"] == pytest.approx(5 / 8)
    assert scores["top_5_accuracy"] == pytest.approx(6 / 8)


def test_scheduler_steps_per_epoch_or_per_batch_and_lr_is_logged():
    x, y = moons(40)
    model = classifier()
    optimizer = cr.optim.SGD(model.parameters(), lr=1.0)
    scheduler = cr.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, (x, y), epochs=3, batch_size=20,
                  scheduler=scheduler, verbose=0)
    assert history.history["lr"] == [1.0, 0.5, 0.25]
    optimizer = cr.optim.SGD(model.parameters(), lr=1.0)
    scheduler = cr.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, (x, y), epochs=2, batch_size=20,
                  scheduler=scheduler, scheduler_interval="batch", verbose=0)
    assert history.history["lr"] == [1.0, 0.25]


def test_reduce_lr_on_plateau_halves_the_lr_once_val_loss_stalls():
    x, y = moons(40)
    model = classifier()
    optimizer = cr.optim.SGD(model.parameters(), lr=1e-12)  # too small to move the loss
    scheduler = cr.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, (x, y), epochs=3, val_data=(x, y),
                  scheduler=scheduler, verbose=0)
    assert history.history["lr"] == pytest.approx([1e-12, 1e-12, 5e-13])


def test_progress_bar_on_a_terminal_and_lines_when_piped_and_silence_at_zero():
    x, y = moons(64)
    model = classifier()
    runs = {}
    for name, stream, verbose in [("tty", TTY(), "auto"), ("pipe", io.StringIO(), "auto"),
                                  ("quiet", TTY(), 0)]:
        fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1), (x, y),
            epochs=2, batch_size=8, metrics=["accuracy"], verbose=verbose, stream=stream)
        runs[name] = stream.getvalue()
    assert "Epoch 1/2" in runs["tty"] and "Epoch 2/2" in runs["tty"]
    assert "\r" in runs["tty"] or "batch" in runs["tty"]  # a redrawn bar (built-in or tqdm)
    assert "\r" not in runs["pipe"] and "█" not in runs["pipe"]
    assert runs["pipe"].count("\n") == 2 and "accuracy" in runs["pipe"]
    assert runs["quiet"] == ""


def test_bad_arguments_are_named():
    model = classifier()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="validation_split"):
        fit(model, mse, opt, (np.zeros((4, 2), np.float32), np.zeros(4)), validation_split=1.5)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, mse, opt, (np.zeros((4, 2), np.float32), np.zeros(4)), metrics=["f1"])
    with pytest.raises(ValueError, match="verbose"):
        fit(model, mse, opt, (np.zeros((4, 2), np.float32), np.zeros(4)), verbose=7)


def test_validation_metrics_equal_a_separate_evaluation_of_the_final_model():
    x, y = moons(200)
    model = classifier(3)
    history = fit(model, nn.CrossEntropyLoss(), cr.optim.Adam(model.parameters(), lr=0.01),
                  (x, y), epochs=2, val_data=moons(100, seed=2), metrics=["accuracy"], verbose=0)
    again = evaluate(model, nn.CrossEntropyLoss(), moons(100, seed=2), ["accuracy"])
    assert history.history["val_accuracy"][-1] == again["accuracy"]

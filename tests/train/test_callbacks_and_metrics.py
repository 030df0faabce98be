"""Callbacks (EarlyStopping, ModelCheckpoint, TerminateOnNaN, CSVLogger, LearningRateScheduler),
metrics and History."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.train import (
    Accuracy,
    CSVLogger,
    EarlyStopping,
    FitState,
    History,
    LearningRateScheduler,
    MeanAbsoluteError,
    MeanSquaredError,
    ModelCheckpoint,
    TerminateOnNaN,
    TopKAccuracy,
    confusion_matrix,
    fit,
)


def linear_data(n=32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], np.float32))


def mse(outputs, targets):
    return ((outputs - targets) ** 2).mean()


def attach(callback, model):
    state = FitState(model, None, History(), epochs=10)
    callback.set_state(state)
    return state


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    model = nn.Linear(1, 1)
    stopper = EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    state = attach(stopper, model)
    for epoch, (val_loss, weight) in enumerate([(1.0, 10.0), (0.5, 20.0), (0.7, 30.0),
                                                (0.8, 40.0)]):
        model.weight.data[...] = weight
        stopper.on_epoch_end(epoch, {"val_loss": val_loss})
        if state.stop_training:
            break
    assert epoch == 2 and stopper.stopped_epoch == 2  # one epoch without improvement
    assert model.weight.data.item() == 20.0  # the weights of epoch 2 (val_loss 0.5), not 30
    assert "epoch 2" in state.history.stop_reason


def test_early_stopping_min_delta_and_max_mode():
    stopper = EarlyStopping(monitor="val_accuracy", patience=0, min_delta=0.05)
    state = attach(stopper, nn.Linear(1, 1))
    stopper.on_epoch_end(0, {"val_accuracy": 0.80})
    stopper.on_epoch_end(1, {"val_accuracy": 0.83})  # +0.03 < min_delta: no improvement
    assert state.stop_training


def test_early_stopping_names_a_missing_quantity():
    stopper = EarlyStopping(monitor="val_loss")
    attach(stopper, nn.Linear(1, 1))
    with pytest.raises(KeyError, match="val_loss.*validation"):
        stopper.on_epoch_end(0, {"loss": 1.0})


def test_early_stopping_inside_fit():
    x, y = linear_data()
    model = nn.Linear(3, 1)
    history = fit(model, mse, cr.optim.SGD(model.parameters(), lr=0.0), (x, y), epochs=10,
                  shuffle=False, callbacks=[EarlyStopping(monitor="loss", patience=2)],
                  verbose=0)
    assert len(history.epoch) == 3  # lr 0 cannot improve: epoch 1 sets the best, 2 and 3 wait
    assert history.stop_reason.startswith("EarlyStopping")


def test_terminate_on_nan_stops_at_the_bad_batch_and_names_it():
    x, y = linear_data()
    model = nn.Linear(3, 1)
    calls = []

    def exploding(outputs, targets):
        calls.append(1)
        loss = mse(outputs, targets)
        return loss * float("nan") if len(calls) == 6 else loss

    with np.errstate(invalid="ignore"):
        history = fit(model, exploding, cr.optim.SGD(model.parameters(), lr=0.01), (x, y),
                      epochs=5, batch_size=8, callbacks=[TerminateOnNaN()], verbose=0)
    assert len(calls) == 6
    assert "epoch 2, batch 2 (step 6)" in history.stop_reason


def test_model_checkpoint_best_only_writes_loadable_files(tmp_path):
    model = nn.Linear(2, 1)
    saver = ModelCheckpoint(tmp_path / "m-{epoch:02d}.safetensors", monitor="val_loss",
                            save_best_only=True)
    attach(saver, model)
    for epoch, loss in enumerate([0.9, 0.5, 0.7, 0.4]):
        model.weight.data[...] = epoch
        saver.on_epoch_end(epoch, {"val_loss": loss})
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["m-01.safetensors", "m-02.safetensors", "m-04.safetensors"]
    restored = nn.Linear(2, 1)
    restored.load_state_dict(cr.load(tmp_path / "m-02.safetensors"))
    assert np.all(restored.weight.data == 1)
    assert cr.io.load_metadata(tmp_path / "m-04.safetensors")["epoch"] == "4"


def test_csv_logger_and_history_csv_agree(tmp_path):
    x, y = linear_data()
    model = nn.Linear(3, 1)
    log = tmp_path / "log.csv"
    history = fit(model, mse, cr.optim.SGD(model.parameters(), lr=0.05), (x, y), epochs=3,
                  metrics=["mae"], callbacks=[CSVLogger(log)], verbose=0)
    history.to_csv(tmp_path / "history.csv")
    with open(log) as handle:
        logged = list(csv.DictReader(handle))
    with open(tmp_path / "history.csv") as handle:
        exported = list(csv.DictReader(handle))
    assert [row["epoch"] for row in logged] == ["0", "1", "2"]
    for a, b in zip(logged, exported):
        assert float(a["loss"]) == pytest.approx(float(b["loss"]))
        assert float(a["mae"]) == pytest.approx(float(b["mae"]))
    assert history.to_dict()["loss"] == history["loss"]


def test_learning_rate_scheduler_callback_sets_each_epochs_lr():
    x, y = linear_data()
    model = nn.Linear(3, 1)
    history = fit(model, mse, cr.optim.SGD(model.parameters(), lr=1.0), (x, y), epochs=3,
                  callbacks=[LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))],
                  verbose=0)
    assert history["lr"] == pytest.approx([0.1, 0.05, 0.1 / 3])


def test_accuracy_top_k_mse_mae_against_numpy():
    rng = np.random.default_rng(0)
    outputs = rng.standard_normal((50, 6))
    labels = rng.integers(0, 6, 50)
    acc = Accuracy()
    acc.update(outputs[:20], labels[:20])
    acc.update(outputs[20:], labels[20:])
    assert acc.result() == pytest.approx(np.mean(outputs.argmax(1) == labels))
    onehot = np.eye(6)[labels]
    acc.reset()
    acc.update(outputs, onehot)
    assert acc.result() == pytest.approx(np.mean(outputs.argmax(1) == labels))
    top = TopKAccuracy(3)
    top.update(outputs, labels)
    ranks = (outputs > outputs[np.arange(50), labels][:, None]).sum(1)
    assert top.result() == pytest.approx(np.mean(ranks < 3))
    targets = rng.standard_normal((50, 6))
    for metric, reference in [(MeanSquaredError(), np.mean((outputs - targets) ** 2)),
                              (MeanAbsoluteError(), np.mean(np.abs(outputs - targets)))]:
        metric.update(outputs[:7], targets[:7])
        metric.update(outputs[7:], targets[7:])
        assert metric.result() == pytest.approx(reference)


def test_binary_accuracy_uses_the_threshold():
    acc = Accuracy()
    acc.update(np.array([[0.2], [0.7], [0.9]]), np.array([0, 1, 0]))
    assert acc.result() == pytest.approx(2 / 3)
    logits = Accuracy(threshold=0.0)
    logits.update(np.array([-1.0, 2.0]), np.array([0, 1]))
    assert logits.result() == 1.0


def test_confusion_matrix_counts_pairs_and_checks_labels():
    true = np.array([0, 0, 1, 2, 2, 2])
    pred = np.array([0, 1, 1, 2, 0, 2])
    expected = np.zeros((3, 3), int)
    for t, p in zip(true, pred):
        expected[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(true, pred), expected)
    assert confusion_matrix(true, pred, num_classes=4).shape == (4, 4)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        confusion_matrix(true, pred, num_classes=2)

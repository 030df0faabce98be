"""fit(initial_epoch=k) resumes a run at epoch k, as Keras's does: epochs k … epochs−1 are
trained, numbered and shown as in the uninterrupted run."""

from __future__ import annotations

import io

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.train import fit


def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 2)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def test_training_starts_at_initial_epoch_and_numbers_epochs_as_the_whole_run():
    model = nn.Linear(2, 2)
    stream = io.StringIO()
    history = fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1),
                  data(), epochs=4, initial_epoch=2, verbose=2, stream=stream)
    assert history.epoch == [2, 3] and len(history["loss"]) == 2
    assert [line.split()[1] for line in stream.getvalue().splitlines()] == ["3/4", "4/4"]


def test_initial_epoch_equal_to_epochs_trains_nothing():
    model = nn.Linear(2, 2)
    before = model.weight.data.copy()
    history = fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1),
                  data(), epochs=3, initial_epoch=3, verbose=0)
    assert history.epoch == [] and np.array_equal(model.weight.data, before)


@pytest.mark.parametrize("initial_epoch", [-1, 5])
def test_an_initial_epoch_outside_the_run_is_refused(initial_epoch):
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="initial_epoch"):
        fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1), data(),
            epochs=4, initial_epoch=initial_epoch, verbose=0)

"""The progress bar on an 80-column terminal: no line longer than the terminal, no number cut
mid-digit, and a message after an interrupted epoch starts on a line of its own."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.data.datasets import make_moons
from chainrule.train import fit, progress

FIELD = re.compile(r"(loss|accuracy|val_loss|val_accuracy|lr|ETA|samples/s)\b")
WHOLE = re.compile(r"^(loss|accuracy|val_loss|val_accuracy|lr) -?\d+\.\d{4}$")


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def train_on_a_terminal(columns: int, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setattr(progress, "MIN_REFRESH_SECONDS", 0.0)  # draw after every batch
    x, y = make_moons(96, noise=0.2, generator=np.random.default_rng(0))
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    stream = TTY()
    fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1), (x, y),
        epochs=2, batch_size=8, val_data=(x, y), metrics=["accuracy"], verbose="auto",
        stream=stream)
    return stream.getvalue()


def screen_lines(output: str) -> list[str]:
    """Every line as drawn: the pieces between carriage returns and newlines."""
    return [piece for piece in re.split(r"[\r\n]", output) if piece]


@pytest.mark.parametrize("columns", [80, 60, 40])
def test_no_drawn_line_is_wider_than_the_terminal(columns, monkeypatch):
    lines = screen_lines(train_on_a_terminal(columns, monkeypatch))
    assert len(lines) > 12  # a redraw per batch, and the closing lines
    assert max(len(line) for line in lines) <= columns


@pytest.mark.parametrize("columns", [80, 60, 40])
def test_numbers_are_shown_whole_or_not_at_all(columns, monkeypatch):
    output = train_on_a_terminal(columns, monkeypatch)
    for line in screen_lines(output):
        for field in re.split(r"\s{2,}|\] ", line.strip()):
            if FIELD.search(field) and not field.startswith("Epoch"):
                assert WHOLE.match(field) or re.fullmatch(r"ETA \d+s", field) or \
                    re.fullmatch(r"[\d,]+ samples/s", field), (field, line)


def test_the_closing_line_keeps_every_value_at_80_columns(monkeypatch):
    output = train_on_a_terminal(80, monkeypatch)
    epoch_2 = output[output.rindex("Epoch 2/2"):]
    for name in ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]:
        assert re.search(rf"\b{name} -?\d+\.\d{{4}}\b", epoch_2), name


def test_a_message_after_an_interrupted_epoch_starts_on_its_own_line():
    stream = TTY()
    bar = progress.EpochProgress(0, 1, 1, verbose=1, stream=stream, width=80)
    bar.update(8, {"loss": 0.5})
    progress.end_open_line()
    stream.write("chainrule: interrupted\n")
    assert stream.getvalue().splitlines()[-1] == "chainrule: interrupted"
    assert stream.getvalue().count("\n") == 2  # the bar's line ended, then the message

"""Checkpoints: bitwise-exact resume in a fresh process, atomic writes, hostile files."""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import io, nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.io import ModelFileError
from chainrule.train import Checkpoint
from chainrule.train.checkpoint import _METADATA_KEY

SCRIPT = Path(__file__).with_name("resume_script.py")


def run_script(*args: str) -> None:
    subprocess.run([sys.executable, str(SCRIPT), *args], check=True, timeout=120)


def parameters(path: Path) -> list[np.ndarray]:
    with np.load(path) as archive:
        return [archive[name] for name in archive.files]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_resume_in_a_fresh_process_is_bitwise_identical(tmp_path, optimizer):
    total, cut = 23, 10  # 60 samples in batches of 8: the cut falls mid-epoch
    straight, resumed = tmp_path / "straight.npz", tmp_path / "resumed.npz"
    ckpt = tmp_path / "ckpt.safetensors"
    run_script("--optimizer", optimizer, "--steps", str(total), "--out", str(straight))
    run_script("--optimizer", optimizer, "--steps", str(total), "--save-at", str(cut),
               "--checkpoint", str(ckpt), "--out", str(tmp_path / "partial.npz"))
    run_script("--optimizer", optimizer, "--steps", str(total), "--resume", str(ckpt),
               "--out", str(resumed))
    for a, b in zip(parameters(straight), parameters(resumed)):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    partial = parameters(tmp_path / "partial.npz")
    assert not all(np.array_equal(a, b) for a, b in zip(partial, parameters(straight)))


def test_checkpoint_restores_every_part_and_returns_counters(tmp_path):
    model = nn.Linear(3, 2)
    optimizer = cr.optim.Adam(model.parameters(), lr=0.1, betas=(0.8, 0.99))
    scheduler = cr.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    (model(cr.randn(4, 3)) ** 2).sum().backward()
    optimizer.step()
    scheduler.step()
    path = tmp_path / "ckpt.safetensors"
    Checkpoint(model, optimizer, scheduler).save(path, epoch=2, step=7, extra={"note": "x"})
    expected_rng = cr.get_rng_state()
    cr.randn(10)  # moves the package generator on

    fresh = nn.Linear(3, 2)
    fresh_opt = cr.optim.Adam(fresh.parameters(), lr=1.0)
    fresh_sched = cr.optim.lr_scheduler.ExponentialLR(fresh_opt, gamma=0.5)
    info = Checkpoint(fresh, fresh_opt, fresh_sched).load(path)
    assert info == {"epoch": 2, "step": 7, "extra": {"note": "x"}}
    np.testing.assert_array_equal(fresh.weight.data, model.weight.data)
    assert fresh_opt.param_groups[0]["lr"] == pytest.approx(0.05)
    assert tuple(fresh_opt.param_groups[0]["betas"]) == (0.8, 0.99)
    assert fresh_sched.state_dict() == scheduler.state_dict()
    assert cr.get_rng_state() == expected_rng
    for a, b in zip(optimizer.state_dict()["state"].values(),
                    fresh_opt.state_dict()["state"].values()):
        for name in a:
            np.testing.assert_array_equal(np.asarray(a[name]), np.asarray(b[name]))


def test_a_crash_while_saving_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model = nn.Linear(2, 2)
    path = tmp_path / "ckpt.safetensors"
    Checkpoint(model).save(path, step=1)
    with cr.no_grad():
        model.weight.fill_(5.0)

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        Checkpoint(model).save(path, step=2)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.safetensors"]
    restored = nn.Linear(2, 2)
    assert Checkpoint(restored).load(path)["step"] == 1
    assert not np.all(restored.weight.data == 5.0)


def test_a_plain_model_file_is_not_taken_for_a_checkpoint(tmp_path):
    model = nn.Linear(2, 2)
    cr.save(model, tmp_path / "model.safetensors")
    with pytest.raises(ModelFileError, match="not a chainrule checkpoint"):
        Checkpoint(model).load(tmp_path / "model.safetensors")


def test_a_missing_part_is_named(tmp_path):
    model = nn.Linear(2, 2)
    Checkpoint(model).save(tmp_path / "c.safetensors")
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="no optimizer state"):
        Checkpoint(model, optimizer).load(tmp_path / "c.safetensors")


KILLED_WRITER = """
import os, signal, sys
import chainrule as cr
from chainrule.train import Checkpoint
model = cr.nn.Linear(2, 2)
with cr.no_grad():
    model.weight.fill_(7.0)
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # dies after writing, before rename
Checkpoint(model).save(sys.argv[1], step=2)
"""


def test_a_killed_writer_leaves_the_previous_checkpoint_and_its_temp_file_is_cleared(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    model = nn.Linear(2, 2)
    Checkpoint(model).save(path, step=1)
    result = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(path)], timeout=120)
    assert result.returncode == -9  # SIGKILL
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "ckpt.safetensors"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".ckpt.safetensors.")
    restored = nn.Linear(2, 2)
    assert Checkpoint(restored).load(path)["step"] == 1
    np.testing.assert_array_equal(restored.weight.data, model.weight.data)
    Checkpoint(model).save(path, step=3)  # the next write clears what the killed one left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.safetensors"]


# ------------------------------------------------------------------ hostile checkpoints


def trained_parts():
    """A model, Adam, StepLR and a shuffling loader, a couple of steps into training."""
    cr.manual_seed(0)
    model = nn.Linear(3, 2)
    optimizer = cr.optim.Adam(model.parameters(), lr=0.1)
    scheduler = cr.optim.lr_scheduler.StepLR(optimizer, step_size=2)
    loader = DataLoader(TensorDataset(cr.randn(8, 3)), batch_size=2, shuffle=True)
    for (x,) in itertools.islice(loader, 2):
        optimizer.zero_grad()
        (model(x) ** 2).sum().backward()
        optimizer.step()
        scheduler.step()
    return [model, optimizer, scheduler, loader]


def rewrite(path, change) -> None:
    """Apply ``change`` to the checkpoint's JSON state and write the file back."""
    arrays, metadata = io.load_file(path)
    skeleton = json.loads(metadata[_METADATA_KEY])
    change(skeleton)
    io.save_file(arrays, path, {_METADATA_KEY: json.dumps(skeleton)})


def saved_bytes(parts, path) -> bytes:
    Checkpoint(*parts).save(path)
    return path.read_bytes()


def set_lr(state):
    state["optimizer"]["param_groups"][0]["lr"] = -5


def set_betas(state):
    state["optimizer"]["param_groups"][0]["betas"] = {"__tuple__": [2.0, 0.9]}


def add_group_field(state):
    state["optimizer"]["param_groups"][0]["foo"] = 1


def set_scheduler_attribute(state):
    state["scheduler"]["step"] = 5  # would shadow the method


def set_last_epoch(state):
    state["scheduler"]["last_epoch"] = "x"


def set_order(state):
    state["loader"]["order"] = [0, 0, 1, 1, 2, 2, 3, 3]


def set_rng(state):
    state["rng"]["state"] = "garbage"


def set_rng_array(state):
    state["rng"]["state"] = {"__array__": "model.weight"}  # NumPy raised IndexError


def set_rng_negative(state):
    state["rng"]["state"]["state"] = -1  # NumPy 1.26 wrapped it with a warning only


def set_step(state):
    state["optimizer"]["state"]["__items__"][0][1]["step"] = -3


def set_model_array(state):
    state["model"]["weight"] = {"__array__": "model.bias"}


@pytest.mark.parametrize(("change", "message"), [
    (set_lr, "optimizer state.*lr must be >= 0, got -5"),
    (set_betas, "optimizer state.*beta parameter at index 0: 2.0"),
    (add_group_field, "optimizer state.*unknown fields \\['foo'\\]"),
    (set_step, "optimizer state.*'step' must be a non-negative integer"),
    (set_scheduler_attribute, "scheduler state.*unknown fields \\['step'\\]"),
    (set_last_epoch, "scheduler state.*last_epoch must be an integer"),
    (set_order, "loader state"),
    (set_rng, "generator state is invalid"),
    (set_rng_array, "generator state is invalid"),
    (set_rng_negative, "generator state is invalid"),
    (set_model_array, "'weight' is float32 of shape \\(2,\\), the model's is float32 of shape"),
])
def test_a_bad_part_is_named_and_nothing_is_restored(tmp_path, change, message):
    parts = trained_parts()
    path = tmp_path / "ckpt.safetensors"
    Checkpoint(*parts).save(path, step=2)
    rewrite(path, change)
    fresh = trained_parts()
    for p in fresh[0].parameters():
        p.data[...] = 9.0  # differs from the checkpoint's weights
    cr.randn(3)
    before = saved_bytes(fresh, tmp_path / "before.safetensors")
    with pytest.raises(ModelFileError, match=message):
        Checkpoint(*fresh).load(path)
    assert saved_bytes(fresh, tmp_path / "after.safetensors") == before
    assert "step" not in vars(fresh[2]) and callable(fresh[2].step)


def test_reduce_on_plateau_infinities_are_stored_as_strict_json(tmp_path):
    model = nn.Linear(2, 1)
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    scheduler = cr.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max")
    path = tmp_path / "ckpt.safetensors"
    Checkpoint(model, optimizer, scheduler).save(path, extra={"nan": float("nan")})

    def no_constants(token):
        raise AssertionError(f"non-standard JSON token {token}")

    text = io.load_metadata(path)[_METADATA_KEY]
    json.loads(text, parse_constant=no_constants)
    fresh_opt = cr.optim.SGD(model.parameters(), lr=0.5)
    fresh = cr.optim.lr_scheduler.ReduceLROnPlateau(fresh_opt, mode="max")
    fresh.best = 1.0
    info = Checkpoint(model, fresh_opt, fresh).load(path)
    assert fresh.best == -math.inf and fresh.mode_worse == -math.inf
    assert math.isnan(info["extra"]["nan"])


def test_a_checkpoint_with_infinity_tokens_from_version_1_still_loads(tmp_path):
    model = nn.Linear(2, 1)
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    scheduler = cr.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    path = tmp_path / "ckpt.safetensors"
    Checkpoint(model, optimizer, scheduler).save(path)

    def as_before(state):
        state["scheduler"]["best"] = math.inf  # json.dumps writes the token Infinity

    rewrite(path, as_before)
    assert "Infinity" in io.load_metadata(path)[_METADATA_KEY]
    scheduler.best = 0.0
    Checkpoint(model, optimizer, scheduler).load(path)
    assert scheduler.best == math.inf

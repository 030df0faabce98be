"""``chainrule train`` keeps a run safe: checkpoints every epoch and on Ctrl-C/SIGTERM, resumes
to the very weights of an uninterrupted run, stops on a NaN loss without saving, and takes
its learning rate at its word (RELIABILITY R-CLI-1, R-CKPT-2, R-NUM-6)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from chainrule.io import load_file

# Small and fast: moons has 720 training samples after the 10% validation split, so a batch
# size of 64 gives 12 steps per epoch.
RUN = ["--data", "moons", "--model", "mlp:16", "--epochs", "3", "--batch-size", "64"]
STEPS_PER_EPOCH = 12

# Runs the command and sends itself SIGTERM during training step STOP_AT (argv[1]): the stop
# lands at a known batch, which an outside signal cannot promise.
SIGNAL_AT_STEP = """
import os, signal, sys
import chainrule.train
from chainrule import cli
fit_module = sys.modules["chainrule.train.fit"]
stop_at, real_step, steps = int(sys.argv[1]), fit_module.train_step, [0]
def step(*args):
    steps[0] += 1
    if steps[0] == stop_at:
        os.kill(os.getpid(), signal.SIGTERM)
    return real_step(*args)
fit_module.train_step = step
sys.exit(cli.main(sys.argv[2:]))
"""

# Runs the command with the loss of training step argv[1] reported as NaN.
NAN_AT_STEP = SIGNAL_AT_STEP.replace(
    "os.kill(os.getpid(), signal.SIGTERM)", "return float('nan'), real_step(*args)[1]")


def chainrule(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chainrule", *args], capture_output=True,
                          text=True, timeout=180)


def weights(run_dir) -> dict[str, np.ndarray]:
    return load_file(os.path.join(run_dir, "model.safetensors"))[0]


def history(run_dir) -> list[dict[str, str]]:
    with open(os.path.join(run_dir, "history.csv")) as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    result = chainrule("train", *RUN, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("stop_at", [STEPS_PER_EPOCH, STEPS_PER_EPOCH + 5],
                         ids=["after-epoch-1", "mid-epoch-2"])
def test_an_interrupted_run_resumes_to_the_same_weights_bit_for_bit(straight, tmp_path,
                                                                    stop_at):
    out = tmp_path / "run"
    stopped = subprocess.run([sys.executable, "-c", SIGNAL_AT_STEP, str(stop_at), "train",
                              *RUN, "--out", str(out)], capture_output=True, text=True,
                             timeout=180)
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr
    assert "--resume" in stopped.stderr and len(stopped.stderr.strip().splitlines()) == 1
    assert (out / "checkpoint.safetensors").exists() and not (out / "model.safetensors").exists()
    resumed = chainrule("train", "--resume", str(out))
    assert resumed.returncode == 0, resumed.stderr
    expected, got = weights(straight), weights(out)
    assert expected.keys() == got.keys()
    for name in expected:
        assert np.array_equal(expected[name], got[name]), name
    assert not (out / "checkpoint.safetensors").exists()  # the run is finished
    rows, straight_rows = history(out), history(straight)
    assert [row["epoch"] for row in rows] == ["1", "2", "3"]
    if stop_at % STEPS_PER_EPOCH == 0:
        assert rows == straight_rows
    else:  # the interrupted epoch's running train mean covers the batches after the resume
        assert [r["val_loss"] for r in rows] == [r["val_loss"] for r in straight_rows]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_from_outside_leaves_a_checkpoint_and_one_line(tmp_path, signum):
    out = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "chainrule", "train", *RUN[:4],
                                "--epochs", "200", "--batch-size", "16", "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = process.stdout.readline()  # one line per finished epoch (the output is a pipe)
    assert first.startswith("Epoch 1/200"), first + process.stderr.read()
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"chainrule train --resume {out}" in err
    assert (out / "checkpoint.safetensors").stat().st_size > 0
    assert not (out / "model.safetensors").exists()


def test_a_new_run_will_not_overwrite_an_interrupted_one(tmp_path):
    out = tmp_path / "run"
    stopped = subprocess.run([sys.executable, "-c", SIGNAL_AT_STEP, "3", "train", *RUN,
                              "--out", str(out)], capture_output=True, text=True, timeout=180)
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr
    saved = (out / "checkpoint.safetensors").read_bytes()
    again = chainrule("train", *RUN, "--out", str(out))
    assert again.returncode == 2 and "interrupted run" in again.stderr
    assert (out / "checkpoint.safetensors").read_bytes() == saved


def test_a_diverging_run_stops_with_exit_1_and_keeps_the_previous_model(straight, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "model.safetensors").write_bytes((straight / "model.safetensors").read_bytes())
    before = (out / "model.safetensors").read_bytes()
    result = chainrule("train", *RUN, "--optimizer", "sgd", "--lr", "1e6", "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "loss became" in result.stderr and "epoch 1, batch" in result.stderr
    assert (out / "model.safetensors").read_bytes() == before


def test_a_learning_rate_of_zero_is_taken_as_given(tmp_path):
    out = tmp_path / "run"
    result = chainrule("train", *RUN[:4], "--epochs", "2", "--lr", "0", "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = history(out)
    assert [float(row["lr"]) for row in rows] == [0.0, 0.0]
    assert rows[0]["val_loss"] == rows[1]["val_loss"]  # the weights never moved


def test_a_nan_loss_in_epoch_2_names_the_batch_and_keeps_the_epoch_1_checkpoint(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-c", NAN_AT_STEP, str(STEPS_PER_EPOCH + 3),
                             "train", *RUN, "--out", str(out)], capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "loss became nan at epoch 2, batch 3" in result.stderr
    assert "checkpoint of the last good epoch" in result.stderr
    assert not (out / "model.safetensors").exists()
    resumed = chainrule("train", "--resume", str(out), "--quiet")  # from the end of epoch 1
    assert resumed.returncode == 0 and "at epoch 2/3" in resumed.stdout, resumed.stderr

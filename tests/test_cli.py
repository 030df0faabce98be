"""The ``chainrule`` command, run as a user would (``python -m chainrule``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest


def chainrule(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chainrule", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


@pytest.fixture(scope="module")
def spirals_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "spirals"
    result = chainrule("train", "--data", "spirals", "--epochs", "3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, result


def test_train_writes_model_history_metrics_and_pictures(spirals_run):
    pytest.importorskip("matplotlib")
    out, result = spirals_run
    for name in ["model.safetensors", "history.csv", "metrics.json", "curves.png",
                 "confusion_matrix.png"]:
        assert (out / name).stat().st_size > 0, name
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len((out / "history.csv").read_text().strip().splitlines()) == 1 + 3
    accuracy = json.loads((out / "metrics.json").read_text())["accuracy"]
    assert f"test accuracy {accuracy:.2%}" in result.stdout
    assert "\r" not in result.stdout  # piped: one line per epoch, no redrawn bar
    assert result.stdout.count("Epoch ") == 3


def test_evaluate_reproduces_the_accuracy_of_the_run(spirals_run):
    out, _ = spirals_run
    accuracy = json.loads((out / "metrics.json").read_text())["accuracy"]
    result = chainrule("evaluate", str(out / "model.safetensors"), "spirals")
    assert result.returncode == 0, result.stderr
    assert f"test accuracy {accuracy:.2%}" in result.stdout


def test_predict_prints_one_class_per_sample(spirals_run, tmp_path):
    out, _ = spirals_run
    inputs = tmp_path / "points.npy"
    np.save(inputs, np.array([[0.0, 0.1], [0.5, -0.5], [-0.3, 0.2]], np.float32))
    result = chainrule("predict", str(out / "model.safetensors"), str(inputs))
    assert result.returncode == 0, result.stderr
    rows = result.stdout.strip().splitlines()
    assert rows[0] == "index,class,name" and len(rows) == 4
    assert all(re.fullmatch(r"\d,[0-2],[0-2]", row) for row in rows[1:])


def test_info_and_plot(spirals_run):
    pytest.importorskip("matplotlib")
    out, _ = spirals_run
    info = chainrule("info", str(out / "model.safetensors"))
    assert info.returncode == 0 and "parameters:" in info.stdout and "model: mlp" in info.stdout
    (out / "curves.png").unlink()
    plot = chainrule("plot", str(out))
    assert plot.returncode == 0 and (out / "curves.png").exists()


@pytest.mark.parametrize("args, fragment", [
    (["train", "--data", "mnist-of-dreams"], "unknown data set 'mnist-of-dreams'"),
    (["train", "--data", "missing.npz"], "does not exist"),
    (["train", "--model", "transformer"], "unknown model 'transformer'"),
    (["evaluate", "nowhere.safetensors", "spirals"], "no model file"),
    (["plot", "."], "not a run directory"),
])
def test_bad_arguments_exit_2_with_one_line_and_no_traceback(args, fragment, tmp_path):
    result = chainrule(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr


def test_wrong_input_width_for_the_model_is_one_line(spirals_run, tmp_path):
    out, _ = spirals_run
    inputs = tmp_path / "wide.npy"
    np.save(inputs, np.zeros((2, 5), np.float32))
    result = chainrule("predict", str(out / "model.safetensors"), str(inputs))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "(2,)" in result.stderr and "(5,)" in result.stderr


def test_a_csv_data_file_trains(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((120, 3))
    y = (x[:, 0] > 0).astype(int)
    path = tmp_path / "table.csv"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="a,b,c,label", comments="")
    result = chainrule("train", "--data", str(path), "--epochs", "2", "--model", "mlp:8",
                       "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "model.safetensors").exists()

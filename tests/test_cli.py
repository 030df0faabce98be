"""The ``chainrule`` command, run as a user would (``python -m chainrule``)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from chainrule import io


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


def known_model(path) -> list[str]:
    """A 'linear' model file whose logits are 10 × its 3 inputs: the class of a sample is the
    index of its largest feature. Returns the class names."""
    names = ["cat", "dog", "eel"]
    io.save_file({"0.weight": 10 * np.eye(3, dtype=np.float32),
                  "0.bias": np.zeros(3, np.float32)}, path,
                 {"model": "linear", "input_shape": "[3]", "num_classes": "3",
                  "class_names": json.dumps(names)})
    return names


def test_predict_gives_every_sample_its_known_class(tmp_path):
    names = known_model(tmp_path / "known.safetensors")
    x = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.7], [0.1, 0.8, 0.3], [-1.0, -2.0, -0.5],
                  [0.3, 0.2, 0.1]], np.float32)
    np.save(tmp_path / "points.npy", x)
    result = chainrule("predict", str(tmp_path / "known.safetensors"),
                       str(tmp_path / "points.npy"))
    assert result.returncode == 0, result.stderr
    rows = result.stdout.strip().splitlines()
    assert rows[0] == "index,class,name"
    expected = [f"{i},{c},{names[c]}" for i, c in enumerate(np.argmax(x, axis=1))]
    assert rows[1:] == expected  # [0, 2, 1, 2, 0]: the largest feature of each sample


def test_predict_writes_the_same_rows_to_output(tmp_path):
    known_model(tmp_path / "known.safetensors")
    np.savetxt(tmp_path / "points.csv", [[0.0, 1.0, 0.0], [2.0, 0.0, 1.0]], delimiter=",",
               header="a,b,c", comments="")
    result = chainrule("predict", str(tmp_path / "known.safetensors"),
                       str(tmp_path / "points.csv"), "--output", str(tmp_path / "out.csv"))
    assert result.returncode == 0 and result.stdout == "", result.stderr
    assert (tmp_path / "out.csv").read_text() == "index,class,name\n0,1,dog\n1,0,cat\n"


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


def test_history_numbers_epochs_from_1_as_the_screen_does(spirals_run):
    out, result = spirals_run
    lines = (out / "history.csv").read_text().strip().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "2", "3"]
    assert [line.split()[1] for line in result.stdout.splitlines()
            if line.startswith("Epoch")] == ["1/3", "2/3", "3/3"]


def test_the_validation_curve_is_a_held_out_split_not_the_test_set(spirals_run, tmp_path):
    out, _ = spirals_run
    header, *rows = (out / "history.csv").read_text().strip().splitlines()
    last = dict(zip(header.split(","), rows[-1].split(",")))
    test_loss = json.loads((out / "metrics.json").read_text())["loss"]
    assert float(last["val_loss"]) != test_loss  # the same model: a different data set
    bare = tmp_path / "no-validation"
    result = chainrule("train", "--data", "moons", "--epochs", "1", "--model", "mlp:8",
                       "--validation-split", "0", "--out", str(bare))
    assert result.returncode == 0, result.stderr
    assert "val_loss" not in (bare / "history.csv").read_text()


def test_the_decision_boundary_is_drawn_for_2d_data_and_not_for_images(spirals_run, tmp_path):
    pytest.importorskip("matplotlib")
    out, _ = spirals_run
    assert (out / "decision_boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rng = np.random.default_rng(0)
    images = tmp_path / "images.npz"
    np.savez(images, x=rng.random((60, 4, 4), dtype=np.float32), y=np.arange(60) % 2)
    result = chainrule("train", "--data", str(images), "--epochs", "1", "--model", "mlp:8",
                       "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "curves.png").exists()
    assert not (tmp_path / "run" / "decision_boundary.png").exists()

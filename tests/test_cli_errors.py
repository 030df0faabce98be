"""The ``chainrule`` command on bad input: one line on standard error, exit status 2, nothing
lost (RELIABILITY R-CLI-1, R-SEC-7, R-SEC-6).

Most cases call ``cli.main`` in this process (an uncaught exception would fail the test just
as a traceback would); the ones about the process itself (file-size limits, help) run it."""

from __future__ import annotations

import errno
import io as text_io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from chainrule import cli, io


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = cli.main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line(status: int, err: str, *fragments: str) -> None:
    assert status == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def npy_header(shape: tuple, descr: str = "<f4") -> bytes:
    buffer = text_io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False,
                                                  "shape": shape})
    return buffer.getvalue()


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("trained") / "run"
    assert cli.main(["train", "--data", "spirals", "--epochs", "1", "--model", "mlp:8",
                     "--quiet", "--out", str(out)]) == 0
    return str(out / "model.safetensors")


def spiral_model(tmp_path, trained) -> str:
    """A copy of a model file that 'chainrule train' wrote, in its own run directory."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    shutil.copy(trained, run_dir)
    return str(run_dir / "model.safetensors")


# ------------------------------------------------------------------ the output location


def test_out_naming_an_existing_file_is_refused_before_training(tmp_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    status, out, err = run(capsys, "train", "--data", "spirals", "--out", str(target))
    assert_one_line(status, err, "notes.txt", "is an existing file")
    assert "Epoch" not in out and target.read_text() == "keep me"


def test_a_read_only_output_directory_is_one_line(tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if os.geteuid() == 0:  # root writes anyway: refuse as the kernel refuses everyone else
        real_open = os.open

        def refusing_open(path, *args, **kwargs):
            if os.fspath(path).startswith(str(locked)):
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)
    status, out, err = run(capsys, "train", "--data", "spirals", "--out", str(locked / "run"))
    assert_one_line(status, err, "Permission denied", "locked")
    assert "Epoch" not in out  # found out before training


def test_a_full_disk_is_one_line_and_keeps_the_previous_model(tmp_path, capsys, trained):
    model = spiral_model(tmp_path, trained)
    before = open(model, "rb").read()

    def small_files():  # writes past 4 KiB fail with EFBIG, as a full disk fails them
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = subprocess.run(
        [sys.executable, "-m", "chainrule", "train", "--data", "spirals", "--epochs", "1",
         "--model", "mlp:64", "--quiet", "--out", os.path.dirname(model)],
        capture_output=True, text=True, timeout=120, preexec_fn=small_files,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert_one_line(result.returncode, result.stderr, "File too large",
                    os.path.dirname(model))
    assert open(model, "rb").read() == before
    assert not [n for n in os.listdir(os.path.dirname(model)) if n.endswith(".tmp")]


# ------------------------------------------------------------------ model files


def test_metadata_that_does_not_match_the_weights_is_named(tmp_path, capsys, trained):
    model = spiral_model(tmp_path, trained)
    arrays, metadata = io.load_file(model)
    wrong = tmp_path / "wrong.safetensors"
    io.save_file(arrays, wrong, {**metadata, "model": "mlp:9"})
    status, _, err = run(capsys, "info", str(wrong))
    assert_one_line(status, err, "wrong.safetensors", "mlp:9", "do not fit")


@pytest.mark.parametrize("field, value", [("input_shape", "[2"), ("input_shape", "5"),
                                          ("num_classes", "-3"), ("class_names", '{"a": 1}')])
def test_malformed_metadata_fields_are_named(tmp_path, capsys, trained, field, value):
    model = spiral_model(tmp_path, trained)
    arrays, metadata = io.load_file(model)
    broken = tmp_path / "broken.safetensors"
    io.save_file(arrays, broken, {**metadata, field: value})
    points = tmp_path / "points.npy"
    np.save(points, np.zeros((2, 2), np.float32))
    status, _, err = run(capsys, "predict", str(broken), str(points))
    assert_one_line(status, err, "broken.safetensors")


def test_huge_metadata_on_small_weights_is_refused_without_allocating(tmp_path, capsys):
    path = tmp_path / "claims.safetensors"
    io.save_file({"0.weight": np.zeros((4, 2), np.float32), "0.bias": np.zeros(4, np.float32),
                  "3.weight": np.zeros((3, 4), np.float32), "3.bias": np.zeros(3, np.float32)},
                 path, {"model": "mlp:60000-60000", "input_shape": "[60000]",
                        "num_classes": "60000", "class_names": json.dumps(["c"] * 60000)})
    tracemalloc.start()
    start = time.perf_counter()
    status, _, err = run(capsys, "info", str(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert_one_line(status, err, "claims.safetensors", "mlp:60000-60000", "do not fit")
    assert peak < 50 * 2**20  # the network named would take 13.4 GiB
    assert time.perf_counter() - start < 5


# ------------------------------------------------------------------ data files


def test_an_npz_whose_x_and_y_lengths_differ_is_named(tmp_path, capsys):
    path = tmp_path / "uneven.npz"
    np.savez(path, x=np.zeros((10, 2), np.float32), y=np.zeros(8, np.int64))
    status, _, err = run(capsys, "train", "--data", str(path), "--out", str(tmp_path / "r"))
    assert_one_line(status, err, "uneven.npz", "10 inputs but 8 labels")


def test_a_corrupt_npz_member_is_named(tmp_path, capsys):
    path = tmp_path / "corrupt.npz"
    rng = np.random.default_rng(0)
    np.savez(path, x=rng.standard_normal((50, 2)).astype(np.float32), y=np.arange(50) % 2)
    data = bytearray(path.read_bytes())
    start = data.index(b"NUMPY") + 200
    data[start:start + 8] = b"\xff" * 8  # inside x's values: the CRC no longer matches
    path.write_bytes(bytes(data))
    status, _, err = run(capsys, "train", "--data", str(path), "--out", str(tmp_path / "r"))
    assert_one_line(status, err, "corrupt.npz", "'x.npy'", "CRC")


def test_an_npz_member_claiming_a_huge_shape_is_refused_before_allocating(tmp_path, capsys):
    path = tmp_path / "claims.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", npy_header((10**12, 2)) + bytes(64))
        archive.writestr("y.npy", npy_header((8,), "<i8") + bytes(64))
    tracemalloc.start()
    status, _, err = run(capsys, "train", "--data", str(path), "--out", str(tmp_path / "r"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert_one_line(status, err, "claims.npz", "'x.npy'", "(1000000000000, 2)")
    assert peak < 50 * 2**20


def test_an_npy_input_claiming_a_huge_shape_is_refused(tmp_path, capsys, trained):
    model = spiral_model(tmp_path, trained)
    path = tmp_path / "claims.npy"
    path.write_bytes(npy_header((10**12, 2)) + bytes(64))
    status, _, err = run(capsys, "predict", model, str(path))
    assert_one_line(status, err, "claims.npy", "(1000000000000, 2)")


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_input_values_are_refused(tmp_path, capsys, value):
    x = np.random.default_rng(0).standard_normal((40, 3))
    x[7, 1] = value
    path = tmp_path / "table.csv"
    np.savetxt(path, np.column_stack([x, np.arange(40) % 2]), delimiter=",")
    status, _, err = run(capsys, "train", "--data", str(path), "--out", str(tmp_path / "r"))
    assert_one_line(status, err, "table.csv", "NaN or infinite", "sample 7")


def test_a_stray_huge_label_is_refused_with_an_explanation(tmp_path, capsys):
    x = np.random.default_rng(0).standard_normal((40, 3))
    y = np.arange(40) % 2
    y[5] = 10**9
    path = tmp_path / "table.csv"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", fmt="%.10g")
    start = time.perf_counter()
    status, _, err = run(capsys, "train", "--data", str(path), "--out", str(tmp_path / "r"))
    assert_one_line(status, err, "table.csv", "1,000,000,001-class", "Renumber")
    assert time.perf_counter() - start < 5


def test_predict_accepts_the_csv_header_that_train_accepts(tmp_path, capsys, trained):
    model = spiral_model(tmp_path, trained)
    path = tmp_path / "points.csv"
    path.write_text("x1,x2\n0.1,0.2\n-0.5,0.3\n")
    status, out, err = run(capsys, "predict", model, str(path))
    assert status == 0, err
    assert len(out.strip().splitlines()) == 1 + 2


def test_a_predict_input_error_names_the_file(tmp_path, capsys, trained):
    model = spiral_model(tmp_path, trained)
    path = tmp_path / "points.csv"
    path.write_text("0.1,0.2\n0.3,abc\n")
    status, _, err = run(capsys, "predict", model, str(path))
    assert_one_line(status, err, "points.csv")


# ------------------------------------------------------------------ arguments


@pytest.mark.parametrize("value", ["-0.1", "nan", "inf"])
def test_a_learning_rate_that_cannot_train_is_refused(tmp_path, capsys, value):
    status, out, err = run(capsys, "train", "--data", "spirals", "--lr", value, "--out",
                           str(tmp_path / "r"))
    assert_one_line(status, err, "--lr")
    assert "Epoch" not in out


def test_a_model_too_big_for_the_machine_is_refused_before_it_is_built(tmp_path, capsys):
    tracemalloc.start()
    status, out, err = run(capsys, "train", "--data", "spirals", "--model", "mlp:2000000-2000000",
                           "--out", str(tmp_path / "r"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    h = 2_000_000
    count = (2 * h + h) + (h * h + h) + (h * 3 + 3)  # Linear(2, h), Linear(h, h), Linear(h, 3)
    assert_one_line(status, err, "mlp:2000000-2000000", f"{count:,} parameters", "GiB")
    assert "Epoch" not in out and peak < 50 * 2**20  # 64 TB of training state


def test_resume_refuses_other_training_options(tmp_path, capsys):
    status, _, err = run(capsys, "train", "--resume", str(tmp_path), "--epochs", "3")
    assert_one_line(status, err, "--resume", "--epochs")


def test_resume_of_a_directory_without_a_checkpoint_is_one_line(tmp_path, capsys):
    status, _, err = run(capsys, "train", "--resume", str(tmp_path))
    assert_one_line(status, err, "no interrupted run")


def test_a_bare_command_prints_help_and_exits_2():
    result = subprocess.run([sys.executable, "-m", "chainrule"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2  # a missing command is a usage error, as argparse has it
    assert "usage: chainrule" in result.stderr and "train" in result.stderr
    assert result.stdout == "" and "Epoch" not in result.stderr


def test_version_comes_from_the_package(capsys):
    import chainrule

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"chainrule {chainrule.__version__}"


def test_help_shows_the_defaults(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for fragment in ["(default: fashion-mnist)", "(default: 15)", "(default: 128)",
                     "(default: adam)", "(default: runs/latest)", "(default: 0.1)"]:
        assert fragment in text, fragment

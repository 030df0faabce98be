"""Atomic writes: concurrent writers, temporary files of other paths, modes, symlinks."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

from chainrule import io

posix_only = pytest.mark.skipif(os.name != "posix", reason="modes, umask and flock are POSIX")

WRITER = """
import os, sys, time
import numpy as np
from chainrule import io
path, writer, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
while not os.path.exists(go):
    time.sleep(0.001)
failed = torn = 0
for i in range(40):
    value = writer * 1000 + i
    try:
        io.save_file({"w": np.full(4096, value, np.int64)}, path, {"value": str(value)})
    except Exception as err:
        failed += 1
        print(f"save {i} failed: {err!r}", file=sys.stderr)
    try:
        arrays, metadata = io.load_file(path)  # whatever is there must be one whole save
        torn += not np.all(arrays["w"] == int(metadata["value"]))
    except Exception as err:
        torn += 1
        print(f"read {i} failed: {err!r}", file=sys.stderr)
print(failed, torn)
"""


def test_two_writer_processes_on_one_path_never_fail_or_leave_a_torn_file(tmp_path):
    path, go = tmp_path / "model.safetensors", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(w), str(go)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env) for w in (1, 2)]
    time.sleep(0.5)
    go.touch()  # both start saving together
    results = [writer.communicate(timeout=120) for writer in writers]
    for (out, err), writer in zip(results, writers):
        assert writer.returncode == 0, err
        assert out.split() == ["0", "0"], err  # no failed save, no torn read
    arrays, metadata = io.load_file(path)
    assert int(metadata["value"]) in (1039, 2039)  # the last save of one of the writers
    assert np.all(arrays["w"] == int(metadata["value"]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["go", "model.safetensors"]


def test_a_live_writers_temporary_file_survives_another_save_to_the_same_path(tmp_path):
    path = tmp_path / "model.safetensors"
    with io.atomic_write(path) as first:
        first.write(b"first")
        io.save_file({"w": np.zeros(2)}, path)  # a second writer, while the first is open
        first.write(b" writer")
    assert path.read_bytes() == b"first writer"


def test_saving_to_a_path_named_star_leaves_other_temporary_files_alone(tmp_path):
    others = [tmp_path / ".model.safetensors.0123456789abcdef.tmp",
              tmp_path / ".x.abc.tmp", tmp_path / ".*.0123456789abcdef.tmp.keep"]
    for other in others:
        other.write_bytes(b"another writer's data")
    io.save_file({"w": np.ones(2)}, tmp_path / "*")
    for other in others:
        assert other.read_bytes() == b"another writer's data"
    np.testing.assert_array_equal(io.load_file(tmp_path / "*")[0]["w"], np.ones(2))


@posix_only
def test_an_abandoned_temporary_file_of_the_same_path_is_removed(tmp_path):
    path = tmp_path / "model.safetensors"
    abandoned = tmp_path / ".model.safetensors.0123456789abcdef.tmp"  # no writer holds it
    abandoned.write_bytes(b"left by a killed writer")
    io.save_file({"w": np.ones(2)}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]


@posix_only
def test_a_temporary_file_removed_by_another_writer_before_its_lock_is_replaced(
        tmp_path, monkeypatch):
    """Another writer's clean-up can run between creating the file and locking it (it takes
    the unlocked file for abandoned): the save must go on under a new name, not fail."""
    from chainrule import atomic_file

    path = tmp_path / "m.safetensors"
    io.save_file({"w": np.ones(2)}, path)
    path.chmod(0o640)  # a replaced file keeps its mode: the mode is set on the new file
    real_open, calls = os.open, []

    def open_then_clean_up(name, flags, *mode):
        fd = real_open(name, flags, *mode)
        calls.append(name)
        if len(calls) == 1:  # the first temporary file only: another writer's clean-up
            atomic_file._remove_abandoned(path)
        return fd

    monkeypatch.setattr(atomic_file.os, "open", open_then_clean_up)
    io.save_file({"w": np.zeros(2)}, path)
    monkeypatch.undo()
    assert len({str(c) for c in calls if str(c).endswith(".tmp")}) >= 2  # one was lost
    np.testing.assert_array_equal(io.load_file(path)[0]["w"], np.zeros(2))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


@posix_only
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_follows_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        io.save_file({"w": np.ones(2)}, tmp_path / "m.safetensors")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.safetensors").stat().st_mode) == 0o666 & ~umask


@posix_only
def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "m.safetensors"
    io.save_file({"w": np.ones(2)}, path)
    path.chmod(0o604)
    io.save_file({"w": np.zeros(2)}, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o604
    np.testing.assert_array_equal(io.load_file(path)[0]["w"], np.zeros(2))


@posix_only
def test_saving_through_a_symlink_replaces_its_target(tmp_path):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "weights.safetensors"
    io.save_file({"w": np.ones(2)}, target)
    link = tmp_path / "latest.safetensors"
    link.symlink_to(target)
    io.save_file({"w": np.full(2, 7.0)}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(io.load_file(target)[0]["w"], np.full(2, 7.0))
    assert sorted(p.name for p in target.parent.iterdir()) == ["weights.safetensors"]


@posix_only
def test_a_symlink_to_a_missing_file_creates_the_target(tmp_path):
    target = tmp_path / "new.safetensors"
    link = tmp_path / "link.safetensors"
    link.symlink_to(target)
    io.save_file({"w": np.ones(2)}, link)
    assert link.is_symlink() and target.is_file()


def test_a_failure_while_closing_still_removes_the_temporary_file(tmp_path):
    """A full disk can fail the final flush inside close(); the temp file must go all the same
    (here the descriptor is closed under the buffered file, so its flush fails likewise)."""
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"previous")
    with pytest.raises(OSError):
        with io.atomic_write(target) as handle:
            handle.write(b"buffered, not yet flushed")
            os.close(handle.fileno())
            raise OSError(27, "File too large")
    assert target.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["model.safetensors"]

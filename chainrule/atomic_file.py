"""Atomic file writes (layer L3, beside io): a file appears whole or not at all, even when
the writer crashes or several writers race on one path. Model files and the command's run
folders are written through ``atomic_write``.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None


class atomic_write:
    """Context manager yielding a binary file that replaces ``path`` only when closed cleanly.

    The data goes to a new hidden file ``.NAME.<16 hex digits>.tmp`` in the same directory,
    which is flushed, fsynced and renamed over ``path``; on an exception that file is removed
    and ``path`` is untouched. Writers to one path never touch each other's files, so
    concurrent saves each succeed and the last rename wins. The file gets the mode of the file
    it replaces, or else the umask's (as ``open`` gives). Through a symlink, the link's target
    is replaced, as NumPy and PyTorch write through links.

    A writer killed outright leaves its file behind. Each writer holds a lock
    (``fcntl.flock``) on its file until the rename; the next write to the same path removes
    the files of that name pattern that nobody holds, and nothing else (where there is no
    ``fcntl``, nothing is removed).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def __enter__(self):
        self.path = Path(os.path.realpath(self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(self.path)
        self.handle, self.temp = _create_temp(self.path)
        return self.handle

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                self._commit()
        finally:
            try:
                self.handle.close()  # can raise too: flushing the buffer onto a full disk
            finally:
                if os.path.exists(self.temp):
                    os.unlink(self.temp)

    def _commit(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        if fcntl is None:
            self.handle.close()  # Windows renames no open file; with fcntl, the file stays
            # open and locked until renamed, or _remove_abandoned could take it for abandoned
        os.replace(self.temp, self.path)


def _temp_pattern(path: Path) -> re.Pattern:
    return re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{16}}\.tmp")


def _create_temp(path: Path) -> tuple[Any, Path]:
    """A new, locked temporary file beside ``path``, with the mode ``path`` should get."""
    mode = stat.S_IMODE(os.stat(path).st_mode) if path.is_file() else None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temp, flags, 0o666)  # 0o666 & ~umask, as open() gives
        try:
            # Lock first: until then another writer may take the file for abandoned and
            # remove it, so nothing may use the name before the check below.
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            if fcntl is None or _same_file(fd, temp):
                if mode is not None:
                    _set_mode(fd, temp, mode)
                return os.fdopen(fd, "wb"), temp
        except BaseException:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise
        os.close(fd)  # removed as abandoned before the lock was taken: try another name


def _set_mode(fd: int, temp: Path, mode: int) -> None:
    """Give the open file ``mode``, through its descriptor where the platform can."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:
        os.chmod(temp, mode)


def _remove_abandoned(path: Path) -> None:
    """Remove the temporary files of ``path`` whose writer is gone (nobody holds its lock)."""
    if fcntl is None:
        return
    pattern = _temp_pattern(path)
    with os.scandir(path.parent) as entries:
        names = [entry.name for entry in entries if pattern.fullmatch(entry.name)]
    for name in names:
        temp = path.with_name(name)
        try:
            fd = os.open(temp, os.O_RDONLY | os.O_NONBLOCK)  # NONBLOCK: a FIFO cannot hang us
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if stat.S_ISREG(os.fstat(fd).st_mode) and _same_file(fd, temp):
                os.unlink(temp)
        except OSError:
            pass  # a live writer holds it, or another writer removed it first
        finally:
            os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False

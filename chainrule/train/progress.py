"""Progress display for ``fit``: a Keras-style bar per epoch on a terminal, one summary line
per epoch otherwise.

``verbose="auto"`` shows the bar when standard output is a terminal and the summary lines
when it is not (a log file, a pipe); ``verbose=0`` is silent, 1 forces the bar, 2 the lines.

On a terminal every line fits its width (``$COLUMNS``, else the terminal's size, else 80):
the bar is redrawn at most five times a second, narrower or without the bar when space is
short, and a field ("loss 0.4321", "ETA 12s") is shown whole or not at all, most important
first, so a number is never cut. The epoch's closing line wraps between fields.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, TextIO

MIN_REFRESH_SECONDS = 0.2
BAR_WIDTH = (10, 30)  # the bar's narrowest and widest, in characters
_open_line: list[TextIO] = []  # the stream whose bar line awaits its end, if any


def resolve_verbose(verbose: Any, stream: TextIO | None = None) -> int:
    """0 (silent), 1 (bar) or 2 (a line per epoch) from ``verbose`` ("auto", 0, 1, 2)."""
    stream = sys.stdout if stream is None else stream
    if verbose == "auto":
        return 1 if getattr(stream, "isatty", lambda: False)() else 2
    if verbose not in (0, 1, 2, False, True):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


def format_logs(logs: dict[str, float]) -> str:
    return "  ".join(log_fields(logs))


def log_fields(logs: dict[str, float]) -> list[str]:
    """``["loss 0.4321", "accuracy 0.8765", ...]``: one whole field per logged value."""
    return [f"{name} {value:.4f}" for name, value in logs.items()]


def end_open_line() -> None:
    """End a bar line left open (training stopped mid-epoch), so what is printed next starts
    on a line of its own."""
    while _open_line:
        stream = _open_line.pop()
        stream.write("\n")
        stream.flush()


def terminal_width(stream: TextIO) -> int:
    """Columns of the terminal ``stream`` writes to: $COLUMNS, its size, else 80."""
    try:
        return max(int(os.environ["COLUMNS"]), 1)
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 80


def bar_line(prefix: str, done: int, total: int, fields: list[str], width: int) -> str:
    """The bar line, at most ``width - 1`` characters (the last column is left free, so no
    terminal wraps it). ``fields`` come in order of importance; the first that does not fit
    and all after it are left out, so a number is shown whole or not at all."""
    budget = width - 1
    counts = f"{done}/{total}" if total else f"{done}"
    used = len(prefix) + 1 + len(counts)
    if used > budget:
        return prefix[:budget]
    with_bar = total > 0 and used + 3 + BAR_WIDTH[0] <= budget
    used += 3 + BAR_WIDTH[0] if with_bar else 0
    chosen = []
    for field in fields:
        if used + 2 + len(field) > budget:
            break
        chosen.append(field)
        used += 2 + len(field)
    tail = "".join("  " + field for field in chosen)
    if not with_bar:
        return f"{prefix} {counts}{tail}"
    size = min(BAR_WIDTH[1], BAR_WIDTH[0] + budget - used)
    filled = size * min(done, total) // total
    bar = "=" * max(filled - 1, 0) + (">" if filled < size else "=") + "." * (size - filled)
    return f"{prefix} [{bar}] {counts}{tail}"


def wrapped(prefix: str, fields: list[str], width: int) -> list[str]:
    """``prefix`` and the fields on lines of at most ``width - 1`` characters, broken only
    between fields (continuation lines indented)."""
    lines, line = [], prefix
    for field in fields:
        if len(line) + 2 + len(field) > width - 1 and line.strip():
            lines.append(line)
            line = " " * min(4, len(prefix)) + field
        else:
            line += "  " + field
    return lines + [line]


class EpochProgress:
    """Progress of one epoch of ``total`` batches; ``update`` after each batch.

    Args:
        width: the terminal's columns (default: found out at every redraw).
    """

    def __init__(self, epoch: int, epochs: int, total: int, verbose: int,
                 stream: TextIO | None = None, width: int | None = None) -> None:
        self.prefix = f"Epoch {epoch + 1}/{epochs}"
        self.total, self.verbose, self.width = total, verbose, width
        self.stream = sys.stdout if stream is None else stream
        self.start = self.last_draw = time.perf_counter()
        self.done = self.samples = 0
        self.drawn = 0  # characters of the bar line now on the screen

    def update(self, batch_size: int, logs: dict[str, float]) -> None:
        self.done += 1
        self.samples += batch_size
        now = time.perf_counter()
        if self.verbose != 1 or (now - self.last_draw < MIN_REFRESH_SECONDS
                                 and self.done < self.total):
            return
        self.last_draw = now
        self._show(self.render(now, logs))

    def render(self, now: float, logs: dict[str, float]) -> str:
        """The bar line for the state at time ``now``, fitted to the width."""
        elapsed = now - self.start
        fields = log_fields(logs)
        if self.total:
            eta = elapsed / max(self.done, 1) * max(self.total - self.done, 0)
            fields.append(f"ETA {eta:.0f}s")
        fields.append(self._rate_text(now))
        return bar_line(self.prefix, self.done, self.total, fields, self._width())

    def _width(self) -> int:
        return self.width if self.width is not None else terminal_width(self.stream)

    def _rate_text(self, now: float) -> str:
        return f"{self.samples / max(now - self.start, 1e-9):,.0f} samples/s"

    def _show(self, line: str) -> None:
        """Draw over the previous bar line (padding out what it had beyond this one)."""
        self.stream.write("\r" + line + " " * max(self.drawn - len(line), 0))
        self.stream.flush()
        self.drawn = len(line)
        if self.stream not in _open_line:
            _open_line.append(self.stream)

    def close(self, logs: dict[str, float]) -> None:
        """Finish the epoch's display with its final values (validation included)."""
        if self.verbose == 0:
            return
        now = time.perf_counter()
        fields = [*log_fields(logs), self._rate_text(now), f"{now - self.start:.1f}s"]
        if self.verbose == 2:
            self.stream.write("  ".join([self.prefix, *fields]) + "\n")
        else:
            lines = wrapped(self.prefix, fields, self._width())
            self._show(lines[0])
            self.stream.write("".join("\n" + line for line in lines[1:]) + "\n")
            _open_line.remove(self.stream)
        self.drawn = 0
        self.stream.flush()

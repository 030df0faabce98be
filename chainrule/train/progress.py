"""Progress display for ``fit``: a Keras-style bar per epoch on a terminal, one summary line
per epoch otherwise.

``verbose="auto"`` shows the bar when standard output is a terminal and the summary lines
when it is not (a log file, a pipe); ``verbose=0`` is silent, 1 forces the bar, 2 the lines.
The bar uses tqdm when it is installed and a built-in one otherwise, and is redrawn at most
five times a second.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

MIN_REFRESH_SECONDS = 0.2


def resolve_verbose(verbose: Any, stream: TextIO | None = None) -> int:
    """0 (silent), 1 (bar) or 2 (a line per epoch) from ``verbose`` ("auto", 0, 1, 2)."""
    stream = sys.stdout if stream is None else stream
    if verbose == "auto":
        return 1 if getattr(stream, "isatty", lambda: False)() else 2
    if verbose not in (0, 1, 2, False, True):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


def format_logs(logs: dict[str, float]) -> str:
    return "  ".join(f"{name} {value:.4f}" for name, value in logs.items())


class EpochProgress:
    """Progress of one epoch of ``total`` batches; ``update`` after each batch."""

    def __init__(self, epoch: int, epochs: int, total: int, verbose: int,
                 stream: TextIO | None = None) -> None:
        self.prefix = f"Epoch {epoch + 1}/{epochs}"
        self.total, self.verbose = total, verbose
        self.stream = sys.stdout if stream is None else stream
        self.start = self.last_draw = time.perf_counter()
        self.done = self.samples = 0
        self.bar = self._tqdm() if verbose == 1 else None

    def _tqdm(self) -> Any:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None
        return tqdm(total=self.total, desc=self.prefix, unit="batch", file=self.stream,
                    mininterval=MIN_REFRESH_SECONDS, leave=True, dynamic_ncols=True)

    def update(self, batch_size: int, logs: dict[str, float]) -> None:
        self.done += 1
        self.samples += batch_size
        now = time.perf_counter()
        if self.verbose != 1 or (now - self.last_draw < MIN_REFRESH_SECONDS
                                 and self.done < self.total):
            return
        self.last_draw = now
        if self.bar is not None:
            self.bar.set_postfix_str(self._rate_text(now) + "  " + format_logs(logs),
                                     refresh=False)
            self.bar.update(self.done - self.bar.n)
        else:
            self._draw(now, logs)

    def _rate_text(self, now: float) -> str:
        return f"{self.samples / max(now - self.start, 1e-9):,.0f} samples/s"

    def _draw(self, now: float, logs: dict[str, float]) -> None:
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        elapsed = now - self.start
        eta = elapsed / self.done * (self.total - self.done)
        bar = "=" * max(filled - 1, 0) + (">" if filled < width else "=") + "." * (width - filled)
        self.stream.write(f"\r{self.prefix} [{bar}] {self.done}/{self.total}  "
                          f"{format_logs(logs)}  {self._rate_text(now)}  ETA {eta:4.0f}s ")
        self.stream.flush()

    def close(self, logs: dict[str, float]) -> None:
        """Finish the epoch's display with its final values (validation included)."""
        if self.verbose == 0:
            return
        elapsed = time.perf_counter() - self.start
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs), refresh=True)
            self.bar.close()
            return
        prefix = "\r" if self.verbose == 1 else ""
        self.stream.write(f"{prefix}{self.prefix}  {format_logs(logs)}  "
                          f"{self._rate_text(time.perf_counter())}  {elapsed:.1f}s\n")
        self.stream.flush()

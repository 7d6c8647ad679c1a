"""A one-line progress display on a terminal, silent elsewhere (logs, CI, notebooks' files)."""

from __future__ import annotations

import sys
import time


class Progress:
    """Rewrites one line on standard error: iteration, block, losses, elapsed time.

    ``enabled=None`` shows it only when standard error is a terminal.
    """

    def __init__(self, total: int, enabled=None, stream=None):
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.enabled, self.total, self.start = bool(enabled), total, time.perf_counter()
        self._last = 0.0

    def update(self, it: int, block: str, train_loss: float, val_loss: float) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last < 0.1 and it < self.total:
            return
        self._last = now
        val = "" if val_loss != val_loss else f"  val {val_loss:.5g}"
        self.stream.write(f"\r[{it:>{len(str(self.total))}}/{self.total}] {block:<12} "
                          f"train {train_loss:.5g}{val}  {now - self.start:6.1f}s ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()

"""A progress bar on stderr: notebooks done, failures, time left.

On a terminal it redraws one line; elsewhere (CI logs, pipes) it prints a
line every few notebooks, so logs stay readable.
"""

from __future__ import annotations

import sys
import time

from autograde.status import Status


class Progress:
    """Count finished notebooks and estimate the time left from the average so far."""

    width = 28

    def __init__(self, total: int, enabled: bool = True, stream=None):
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 0
        self.tty = self.enabled and getattr(self.stream, "isatty", lambda: False)()
        self.start = time.monotonic()
        self._last_line = 0.0
        if self.enabled:
            self._draw()

    def update(self, job, status: str) -> None:
        self.done += 1
        self.failed += status in (Status.FAILED, Status.TIMEOUT, Status.INVALID)
        if self.enabled:
            self._draw(f"{job.student}/{job.assignment}")

    def line(self, last: str = "") -> str:
        frac = self.done / self.total if self.total else 1.0
        filled = int(round(frac * self.width))
        elapsed = time.monotonic() - self.start
        if self.done and self.done < self.total:
            left = elapsed / self.done * (self.total - self.done)
            eta = f"~{_clock(left)} left"
        elif self.done == self.total:
            eta = f"done in {_clock(elapsed)}"
        else:
            eta = "starting"
        failed = f" | {self.failed} failed" if self.failed else ""
        return (f"grading [{'#' * filled}{'.' * (self.width - filled)}] "
                f"{self.done}/{self.total} notebooks{failed} | {eta}"
                + (f" | {last}" if last and self.tty else ""))

    def _draw(self, last: str = "") -> None:
        text = self.line(last)
        if self.tty:
            self.stream.write("\r\x1b[2K" + text)
        else:
            now = time.monotonic()
            if self.done in (0, self.total) or now - self._last_line > 5:
                self.stream.write(text + "\n")
                self._last_line = now
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"

"""Progress of a long command on stderr: how much of the current step is done, of how much, and the time left.

The pipeline's stages report ``(done, total)``; the command names each step as it starts (``say``). On a
terminal one line is redrawn in place; in a log (CI, cron) a line is written at most every few seconds and when
the step ends, so the log tells how far a build got without thousands of lines. Nothing is shown for a step that
reports no progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class StepProgress:
    """Reports ``(done, total)`` of the step last named by :meth:`say`, with an estimate of the time left."""

    def __init__(self, stream: TextIO, *, tty: bool | None = None, every: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self.stream, self.every, self.clock = stream, every, clock
        self.tty = stream.isatty() if tty is None else tty
        self.started = self.last_shown = 0.0
        self.drawn = False
        self.finished = False
        self.total = 0

    def say(self, message: str) -> None:
        """End the current progress line, print *message* and start timing a new step."""
        self.close()
        self.stream.write(message + "\n")
        self.stream.flush()
        self._restart(0)

    def _restart(self, total: int) -> None:
        self.started = self.last_shown = self.clock()
        self.finished, self.total = False, total

    def line(self, done: int, total: int) -> str:
        """The progress text: ``120 of 281 (43%), about 3 s left``."""
        text = f"  {done} of {total} ({100 * done // total}%)"
        elapsed = self.clock() - self.started
        if done >= total:
            return text + f", {_duration(elapsed)}"
        if done > 0 and elapsed >= 1:
            text += f", about {_duration(elapsed / done * (total - done))} left"
        return text

    def update(self, done: int, total: int) -> None:
        """Record that *done* of *total* units of the current step are finished."""
        if total <= 0:
            return
        if self.total and total != self.total:  # the step's next stage (loading, then indexing): timed alone
            self.close()
            self._restart(total)
        self.total = total
        if self.finished:
            return
        done = min(max(done, 0), total)
        now = self.clock()
        if self.tty:
            self.stream.write("\r" + self.line(done, total).ljust(48))
            self.drawn = True
        elif done >= total or now - self.last_shown >= self.every:
            self.stream.write(self.line(done, total) + "\n")
            self.last_shown = now
        self.finished = done >= total
        self.stream.flush()

    def close(self) -> None:
        """End a progress line drawn in place on a terminal."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

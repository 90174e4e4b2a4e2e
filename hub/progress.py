"""A small text progress bar for ``hub.run(..., progress=...)`` (no dependency).

>>> bar = ProgressBar("nest")          # doctest: +SKIP
>>> hub.run(net, backend="nest", duration=1000.0, progress=bar)   # doctest: +SKIP
>>> bar.close()                        # doctest: +SKIP

It writes to stderr, so ``--json`` output on stdout stays clean.  It shows itself at once
when the stream is a terminal, otherwise only once the run has taken ``delay`` seconds
(a short run in a log stays quiet).  On a terminal it redraws one line (``\\r``); in a log
it prints one line per ``log_step`` of progress.
"""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """A callable ``progress(fraction)`` that draws ``label [#####-----]  50%  1.2 s``."""

    def __init__(
        self,
        label: str = "",
        stream=None,
        width: int = 30,
        delay: float = 2.0,
        interval: float = 0.1,
        log_step: float = 0.1,
        clock=time.monotonic,
    ):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.delay = delay
        self.interval = interval
        self.log_step = log_step
        self.clock = clock
        self.t0 = clock()
        self.tty = _isatty(self.stream)
        self.shown = False
        self.fraction = 0.0
        self._last_draw = -1.0
        self._last_logged = -1.0
        self._drawn_full = False

    # --- the callback ---------------------------------------------------------------------
    def __call__(self, fraction: float) -> None:
        try:
            fraction = min(1.0, max(0.0, float(fraction)))
        except (TypeError, ValueError):
            return
        self.fraction = fraction
        now = self.clock()
        if not self.shown:
            if not self.tty and now - self.t0 < self.delay:
                return
            self.shown = True
        if self.tty:
            if (fraction < 1.0 and now - self._last_draw < self.interval) or (
                fraction >= 1.0 and self._last_draw >= 0 and self._drawn_full
            ):
                return
            self._drawn_full = fraction >= 1.0
            self._last_draw = now
            self._write("\r" + self.render(now))
        else:
            # a log: one line per log_step, never a carriage return
            if self._last_logged >= 1.0 or (
                self._last_logged >= 0
                and fraction < 1.0
                and fraction - self._last_logged < self.log_step
            ):
                return
            self._last_logged = fraction
            self._write(self.render(now) + "\n")

    def render(self, now: float | None = None) -> str:
        now = self.clock() if now is None else now
        filled = int(round(self.fraction * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        head = f"{self.label} " if self.label else ""
        return f"{head}[{bar}] {self.fraction * 100:3.0f}%  {now - self.t0:.1f} s"

    def close(self) -> None:
        """Finish the line (only if the bar was ever shown)."""
        if self.shown and self.tty:
            self._write("\r" + self.render() + "\n")
        self.shown = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # closed pipe: progress is never worth a crash
            pass


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False

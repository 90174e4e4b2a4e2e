"""Progress of a run: the ``progress`` argument of :func:`hub.run` and :func:`hub.compare`.

``progress`` is one of

* ``None`` or ``False``: nothing is shown (the default);
* ``True``: a `tqdm <https://tqdm.github.io>`_ bar (``tqdm.auto``: a line redrawn on stderr
  in a terminal or a log, a widget in Jupyter when ipywidgets is installed);
* a callable: ``hub.run`` calls ``progress(fraction)``, ``hub.compare`` calls
  ``progress(backend, fraction)``, with ``0 <= fraction <= 1``.

>>> hub.run(net, backend="nest", duration=1000.0, progress=True)   # doctest: +SKIP
nest: 100%|██████████| 00:01<00:00

The host checks the value before anything runs (:func:`check`) and wraps it once per run
(:func:`for_run`), so a backend's ``Session.run(progress)`` only ever sees a callable or
None, and a callable of the user sees strictly increasing fractions, the last one 1.0 once
the run has finished.  A bar of the command line waits ``delay`` seconds before it shows
itself when stderr is not a terminal, so short runs leave nothing in a log.
"""

from __future__ import annotations

import sys

from .errors import HubError

#: a bar counts in thousandths of the run
STEPS = 1000
#: the command line's bar in a log (stderr not a terminal): shown after this many seconds
LOG_DELAY_S = 2.0
#: ... and redrawn at most this often (s)
LOG_INTERVAL_S = 1.0


def check(progress, call: str = "f(fraction)") -> None:
    """Raise :class:`HubError` unless ``progress`` is None, a bool or a callable (named in
    the message as it will be called, ``call``)."""
    if progress is None or isinstance(progress, bool) or callable(progress):
        return
    raise HubError(
        f"progress: {progress!r} is not True, False, None or a callable; use progress=True "
        f"for a progress bar, or a function called as {call} with 0 <= fraction <= 1"
    )


def clipped(fraction) -> float | None:
    """``fraction`` as a float clipped to [0, 1]; None for anything that is not a number."""
    try:
        return min(1.0, max(0.0, float(fraction)))
    except (TypeError, ValueError):
        return None


class ProgressBar:
    """A callable ``progress(fraction)`` drawing a tqdm bar ``label: 50%|#####     |``.

    The bar starts with the first fraction (the simulation, not the build, sets its pace
    and its time estimate).  ``delay`` (s): show nothing until the bar has run that long
    (tqdm's ``delay``); ``file``: where a terminal bar goes (default: ``sys.stderr`` at the
    first fraction); other keywords go to ``tqdm``.  Fractions outside [0, 1] are clipped,
    anything that is not a number is ignored, and an error of the stream (a closed pipe)
    never stops the run."""

    def __init__(self, label: str = "", delay: float = 0.0, file=None, **tqdm_options):
        self.label, self.fraction, self._bar = label, -1.0, None
        self._options = dict(delay=delay, file=file, **tqdm_options)

    def __call__(self, fraction) -> None:
        fraction = clipped(fraction)
        if fraction is None or fraction <= self.fraction:
            return
        self.fraction = fraction
        try:
            if self._bar is None:
                self._bar = self._make()
            self._bar.update(int(round(fraction * STEPS)) - self._bar.n)
        except (OSError, ValueError):  # closed pipe: progress is never worth a crash
            pass

    def _make(self):
        from tqdm.auto import tqdm

        options = dict(self._options)
        if options.get("file") is None:
            options["file"] = sys.stderr
        return tqdm(
            total=STEPS,
            desc=self.label or None,
            bar_format="{l_bar}{bar}| {elapsed}<{remaining}",
            leave=True,
            **options,
        )

    def close(self) -> None:
        """Finish the bar: it stays where the run left it (100 % only for a finished run)."""
        try:
            if self._bar is not None:
                self._bar.close()
        except (OSError, ValueError):
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Increasing:
    """Forwards strictly increasing fractions in [0, 1] to ``callback`` (the user's
    function); ``close()`` closes it only if this object made it (``owned``)."""

    def __init__(self, callback, owned: bool = False):
        self.callback, self.owned, self.last = callback, owned, -1.0

    def __call__(self, fraction) -> None:
        fraction = clipped(fraction)
        if fraction is not None and fraction > self.last:
            self.last = fraction
            self.callback(fraction)

    def close(self) -> None:
        if self.owned:
            self.callback.close()


def cli_bar(label: str, stream=None) -> ProgressBar:
    """The command line's bar: on stderr; at once on a terminal, after
    :data:`LOG_DELAY_S` in a log."""
    stream = sys.stderr if stream is None else stream
    tty = _isatty(stream)
    return ProgressBar(
        label,
        delay=0.0 if tty else LOG_DELAY_S,
        file=stream,
        mininterval=0.1 if tty else LOG_INTERVAL_S,
    )


def for_run(progress, label: str = "") -> Increasing | None:
    """What a run hands its backend for the ``progress`` argument of :func:`hub.run`:
    None, or a callable whose ``close()`` the run calls at its end (a bar made for
    ``progress=True`` is closed there)."""
    check(progress)
    if progress is None or progress is False:
        return None
    if progress is True:
        return Increasing(ProgressBar(label), owned=True)
    return Increasing(progress)


class BackendBars:
    """``progress(backend, fraction)`` for :func:`hub.compare`: one bar per backend and
    run (a fraction below the last one starts the next repeat's bar)."""

    def __init__(self, make=ProgressBar):
        self.make = make
        self.bars: dict[str, ProgressBar] = {}

    def __call__(self, name: str, fraction) -> None:
        bar = self.bars.get(name)
        try:
            value = float(fraction)
        except (TypeError, ValueError):
            return
        if bar is not None and value < bar.fraction:  # the next repeat: a new bar
            bar.close()
            bar = None
        if bar is None:
            bar = self.bars[name] = self.make(name)
        bar(value)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False

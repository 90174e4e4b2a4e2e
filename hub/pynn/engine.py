"""The one place hub.pynn starts the hub's engine.

:func:`start` makes the object that runs a built :class:`hub.Network` segment by segment,
with the contract of ``hub.Simulation`` (``run``, ``run_until``, ``t``, ``set``,
``network``, ``results()``).  Until ``hub.Simulation`` is available, :class:`SingleRun`
stands in: it runs the network from 0 to the requested time with :func:`hub.run` on every
call (the hub makes every random draw itself, so a longer run repeats the shorter one step
for step), and refuses what needs a running engine (changing parameters or the network
between runs).
"""

from __future__ import annotations

from ..api import run as hub_run
from ..ir.network import canonical
from .errors import UnsupportedError


class SingleRun:
    """``hub.Simulation``'s contract on top of :func:`hub.run`: each ``run_until(t)``
    simulates ``network`` from 0 to ``t`` ms on ``backend``."""

    def __init__(self, network, backend: str = "nest", progress=None, **options):
        self.network, self.backend, self.progress, self.options = (
            network,
            backend,
            progress,
            options,
        )
        self.t = 0.0
        self._results = None
        self._frozen = canonical(network)

    def run(self, duration: float) -> None:
        """Advance by ``duration`` ms."""
        self.run_until(self.t + duration)

    def run_until(self, t: float) -> None:
        """Simulate from 0 to ``t`` ms; the network must not have changed since the start."""
        if canonical(self.network) != self._frozen:
            raise _needs_simulation("changing the network between runs")
        self._results = hub_run(
            self.network, backend=self.backend, duration=t, progress=self.progress, **self.options
        )
        self.t = float(t)

    def set(self, population, indices=None, **params) -> None:
        raise _needs_simulation(f"setting {sorted(params)} of {population!r} between runs")

    def results(self):
        """The :class:`hub.Results` from 0 to ``t`` (None before the first run)."""
        return self._results


def _needs_simulation(what: str) -> UnsupportedError:
    return UnsupportedError(
        f"{what} needs hub.Simulation (incremental runs), which this snn-hub does not have; "
        "make the change before the first run(), or call reset() and make it then"
    )


Simulation = SingleRun


def start(network, backend: str, options: dict):
    """The engine of one segment: ``network`` on ``backend`` with backend ``options``."""
    return Simulation(network, backend=backend, **options)

"""The one place hub.pynn starts the hub's engine: a :class:`hub.simulation.Simulation`
per segment (``run``/``run_until`` in ms, ``t``, ``set`` of neuron parameters from the current
time on, ``results()`` from 0 to ``t``)."""

from __future__ import annotations

from ..simulation import Simulation


def start(network, backend: str, options: dict) -> Simulation:
    """The engine of one segment: ``network`` on ``backend`` with backend ``options``."""
    return Simulation(network, backend=backend, **options)

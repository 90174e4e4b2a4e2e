"""The state of a hub.pynn simulation: the PyNN objects made since ``setup()``, and the hub
engine that runs them.

On the first ``run()`` of a segment the PyNN objects become one :class:`hub.Network`
(:mod:`hub.pynn.build`), handed to its engine, a :class:`hub.Simulation`; later runs advance
that engine.  ``reset()`` drops the engine: the next run builds the network again from the
PyNN objects, with every parameter change kept, starting at t = 0.
"""

from __future__ import annotations

import time

import numpy as np
from pyNN import common

from ..simulation import Simulation
from . import build, options, renewal
from .errors import UnsupportedError

name = "snn-hub"  # annotates recorded data, as PyNN's backends do


class ID(int, common.IDMixin):
    """A neuron: an integer (1, 2, ... in order of creation) with PyNN's ID interface."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """Everything ``setup()`` starts afresh: time step (ms), delays (ms), the hub backend and
    its options, the network seed, and the PyNN objects in order of creation."""

    def __init__(self):
        super().__init__()
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.min_delay_setting: float | str = "auto"
        self.max_delay_setting: float | str = "auto"
        self.backend = "nest"
        self.options: dict = {}  # for the backend
        self.pynn_options: dict = {}  # PyNN's own setup() keywords (hub.pynn.options)
        self.seed = 42
        self.timings: dict[str, float] = {}
        self.clear()

    # --- what setup() and reset() do ----------------------------------------------------------
    def clear(self):
        """Forget every PyNN object (``setup()`` calls this)."""
        self.recorders = set()
        self.populations: list = []
        self.projections: list = []
        self.current_sources: list = []
        self.write_on_end = []
        self.id_counter = 1
        self.segment_counter = -1
        self.reset()

    def reset(self):
        """Time back to 0 and a new segment; the network is built again at the next run."""
        self.engine = None
        self.running = False
        self.t_start = 0
        self.segment_counter += 1

    @property
    def min_delay(self) -> float:
        """The minimum delay in ms: ``setup(min_delay=...)``; if ``'auto'``, the smallest
        delay of the projections once the network is built (as pyNN.nest reports it), one
        time step (the hub's shortest delay) before or without connections.  PyNN's default
        delay."""
        setting = self.min_delay_setting
        if setting != "auto":
            return float(setting)
        delays = [p.columns["delay"] for p in self.projections if len(p)] if self.built else []
        return float(min(d.min() for d in delays)) if delays else self.dt

    @property
    def max_delay(self) -> float:
        """``setup(max_delay=...)`` in ms; infinite if ``'auto'`` (the hub has no maximum)."""
        setting = self.max_delay_setting
        return float("inf") if setting == "auto" else float(setting)

    # --- time ---------------------------------------------------------------------------------
    @property
    def t(self) -> float:
        """Time of the current segment in ms."""
        return self.engine.t if self.engine is not None else 0.0

    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        """Advance to ``tstop`` ms (built and started on the first call of a segment).

        ``timings["network_s"]``: the last build of the hub network from the PyNN objects
        and the start of its engine (validation), in seconds; the engine's results time
        the rest (``resolve_s``, the backend's ``build_s`` and ``run_s``)."""
        if self.engine is None:
            t0 = time.perf_counter()
            network = build.build_network(self, tstop)
            backend_options = options.backend_options(self.backend, self.pynn_options, self.options)
            self.engine = Simulation(network, backend=self.backend, **backend_options)
            self.timings["network_s"] = time.perf_counter() - t0
        elif tstop > self.t + self.dt / 2:
            self._inject_sampled(int(round(self.t / self.dt)), int(round(tstop / self.dt)))
            for pop in self.populations:
                if getattr(pop.celltype, "drawn", False):  # trains drawn run by run
                    self.engine.set(pop.hub_label, times=renewal.trains(self, pop, tstop))
        self.running = True
        if tstop > self.t + self.dt / 2:
            self.engine.run_until(tstop)

    def _inject_sampled(self, k0: int, k1: int) -> None:
        """The currents sampled step by step (ACSource, NoisyCurrentSource) of steps
        [k0, k1), added to the running network (hub.Simulation takes injections between
        runs)."""
        for source in self.current_sources:
            if source.sampled:
                for root, indices, current in source.injections(k0, k1):
                    self.engine.network.inject(root.hub_label, current, indices)

    # --- changes while a segment runs ---------------------------------------------------------
    @property
    def built(self) -> bool:
        """Whether the current segment's network has been built (a run happened)."""
        return self.engine is not None

    def refuse_after_build(self, what: str, fix: str = "") -> None:
        """Raise :class:`UnsupportedError` if the network has been built already."""
        if self.built:
            raise UnsupportedError(
                f"{what} at t = {self.t:g} ms: the hub builds the network at the first run() "
                f"and cannot change its structure during a segment; "
                f"{fix or 'do it before the first run(), or call reset() first'}"
            )

    def set_neuron_parameters(self, population, indices: np.ndarray, native: dict) -> None:
        """Parameters of ``population`` (hub names, hub units) changed for the neurons
        ``indices``: from the current time on, if the network runs already."""
        if self.built:
            self.engine.set(population.hub_label, indices=indices, **native)

    def results(self):
        """The current segment's :class:`hub.Results` (None before its first step)."""
        return self.engine.results() if self.engine is not None and self.engine.t > 0 else None


state = State()

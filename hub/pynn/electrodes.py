"""Current sources: PyNN's ``DCSource`` and ``StepCurrentSource`` as the hub's, and what
every hub.pynn current source shares (targets, recording, changes between runs).

A source keeps its parameters (nA, ms) and the neurons it is injected into.  When the network
is built each target population receives a ``hub.DCSource`` or ``hub.StepCurrentSource``.
A source injected or changed between runs (``dc.amplitude = 0.5``, PyNN's usual idiom)
reaches the running engine as one more injection: the difference between the new and the old
current from the current time on (``hub.Simulation`` adds injections between segments), so
the neurons receive exactly the new current from then on and the old one before.

The current is a step function on the time grid: the amplitude switched on at time t applies
to the steps starting at ``round(t/dt)*dt`` and later (docs/semantics.md).  ``record()`` and
``get_data()`` give it as PyNN does: one sample per step from t = 0 to the current time
included, the sample at ``t`` being the current of the step that starts at ``t``.
"""

from __future__ import annotations

import numpy as np
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import build_translations, electrodes

from .. import ir
from . import simulator
from .projections import roots_of


def _value(lazy):
    value = lazy.evaluate(simplify=True) if hasattr(lazy, "evaluate") else lazy
    return value.value if isinstance(value, Sequence) else value


class HubCurrentSource:
    """What the hub's current sources share: their parameters (native: the hub's names, nA
    and ms), the neurons they are injected into, and the recorded current."""

    #: True for a current sampled step by step (ACSource, NoisyCurrentSource: injected run by
    #: run, hub.pynn.sampled_sources), False for a step function known in advance
    sampled = False

    def __init__(self, **parameters):
        object.__setattr__(self, "targets", [])  # (Population, neuron indices)
        object.__setattr__(self, "native", {})
        object.__setattr__(self, "number", len(simulator.state.current_sources))
        super().__init__(**parameters)
        self.set_native_parameters(self.translate(self.parameter_space))
        simulator.state.current_sources.append(self)

    # --- PyNN's interface ----------------------------------------------------------------------
    def inject_into(self, cells):
        """Inject into a Population, PopulationView, Assembly or a list of IDs."""
        if hasattr(cells, "populations") or hasattr(cells, "all_cells"):
            roots, code, local = roots_of(cells, np.arange(cells.size))
            targets = [(root, local[code == k]) for k, root in enumerate(roots)]
        else:
            by_parent: dict[int, tuple] = {}
            for cell in cells:
                root, idx = by_parent.setdefault(id(cell.parent), (cell.parent, []))
                idx.append(root.id_to_index(cell))
            targets = [(root, np.asarray(idx, np.int64)) for root, idx in by_parent.values()]
        for root, _ in targets:
            if not root.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
        self.targets.extend(targets)
        if simulator.state.built:
            self._inject_change((np.zeros(0), np.zeros(0)), targets)

    def set_native_parameters(self, parameters):
        parameters.shape = (1,)
        parameters.evaluate(simplify=True)
        self._update({name: _value(lazy) for name, lazy in parameters.items()})

    def _update(self, values: dict) -> None:
        """New native parameter values; between runs, the change goes to the engine."""
        old = self.steps() if self.native else (np.zeros(0), np.zeros(0))
        self.native.update(values)
        if simulator.state.built and self.targets:
            self._inject_change(old, self.targets)

    def get_native_parameters(self):
        return ParameterSpace(dict(self.native))

    def record(self):
        """Record the current (computed from the parameters: the hub injects exactly it)."""
        object.__setattr__(self, "recording", True)

    def _get_data(self):
        """(times in ms, current in nA) for ``get_data()``: t = 0, dt, ..., the current time;
        the current of the first target neuron (every target receives the same, except from
        a NoisyCurrentSource)."""
        dt = simulator.state.dt
        k = np.arange(int(round(simulator.state.t / dt)) + 1)
        return k * dt, self.trace(k)

    # --- what the hub receives -----------------------------------------------------------------
    def hub_source(self):
        """The hub current source with these parameters (nA, ms)."""
        raise NotImplementedError

    def steps(self) -> tuple[np.ndarray, np.ndarray]:
        """The current as a step function: ``amplitudes[k]`` (nA) from ``times[k]`` (ms)."""
        raise NotImplementedError

    def trace(self, k: np.ndarray) -> np.ndarray:
        """The current (nA) of the steps ``k`` (integers: the steps starting at k dt)."""
        times, amplitudes = self.steps()
        return _at(k, np.round(np.asarray(times, float) / simulator.state.dt), amplitudes)

    def injections(self, k0: int, k1: int) -> list[tuple]:
        """(target Population, neuron indices, hub current source) for the steps
        ``k0 <= k < k1``: the whole step function when the network is built (k0 = 0)."""
        return [(root, idx, self.hub_source()) for root, idx in self.targets] if k0 == 0 else []

    def _inject_change(self, old, targets) -> None:
        """Inject (new - old current) from the current time on into ``targets``."""
        now = simulator.state.t
        new = self.steps()
        times = np.unique(np.concatenate([[now], old[0], new[0]]))
        times = times[times >= now]
        diff = _at(times, *new) - _at(times, *old)
        change = ir.StepCurrentSource(times=times, amplitudes=diff)
        for root, indices in targets:
            simulator.state.engine.network.inject(root.hub_label, change, indices)


def _at(times, step_times, amplitudes) -> np.ndarray:
    """The step function (``amplitudes[k]`` from ``step_times[k]``, 0 before) at ``times``."""
    k = np.searchsorted(step_times, times, side="right") - 1
    values = np.asarray(amplitudes, float)
    return np.where(k >= 0, values[np.maximum(k, 0)] if len(values) else 0.0, 0.0)


def on_grid(times, amplitudes, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """StepCurrentSource ``times`` (ms) checked as PyNN checks them (``ValueError`` for a
    negative or a not strictly increasing time) and put on the grid of ``dt`` as PyNN does:
    ``rint(t/dt)*dt``, of times falling on one step the last kept."""
    times = np.asarray(times, float)
    amplitudes = np.asarray(amplitudes, float)
    if len(times) and times.min() < 0:
        raise ValueError("Step current cannot accept negative timestamps.")
    if len(times) > 1 and np.diff(times).min() <= 0:
        raise ValueError("Step current timestamps should be monotonically increasing.")
    if len(times) != len(amplitudes):
        raise ValueError(
            f"StepCurrentSource: {len(times)} times and {len(amplitudes)} amplitudes; "
            "give one amplitude per time"
        )
    stamps = np.rint(times / dt)
    last = np.r_[stamps[1:] != stamps[:-1], True] if len(stamps) else np.zeros(0, bool)
    return stamps[last] * dt, amplitudes[last]


class DCSource(HubCurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(
        ("amplitude", "amplitude"), ("start", "start"), ("stop", "stop")
    )

    def hub_source(self):
        n = self.native
        return ir.DCSource(amplitude=n["amplitude"], start=n["start"], stop=n["stop"])

    def steps(self):
        n = self.native
        return np.array([n["start"], n["stop"]], float), np.array([n["amplitude"], 0.0])


class StepCurrentSource(HubCurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    def _update(self, values):
        times = values.get("times", self.native.get("times", []))
        amplitudes = values.get("amplitudes", self.native.get("amplitudes", []))
        times, amplitudes = on_grid(times, amplitudes, simulator.state.dt)
        super()._update({"times": times, "amplitudes": amplitudes})

    def hub_source(self):
        return ir.StepCurrentSource(*self.steps())

    def steps(self):
        return (
            np.asarray(self.native["times"], float),
            np.asarray(self.native["amplitudes"], float),
        )

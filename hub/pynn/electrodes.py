"""Current sources: PyNN's ``DCSource`` and ``StepCurrentSource`` as the hub's.

A source keeps its parameters (nA, ms) and the neurons it is injected into.  When the network
is built each target population receives a ``hub.DCSource`` or ``hub.StepCurrentSource``.
A parameter changed between runs (``dc.amplitude = 0.5``, PyNN's usual idiom) is injected
into the running engine as the difference between the new and the old current from the
current time on, so the neurons receive exactly the new current from then on.
"""

from __future__ import annotations

import numpy as np
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import build_translations, electrodes

from .. import ir
from . import simulator
from .errors import UnsupportedError
from .projections import roots_of


def _value(lazy):
    value = lazy.evaluate(simplify=True) if hasattr(lazy, "evaluate") else lazy
    return value.value if isinstance(value, Sequence) else value


class HubCurrentSource:
    """What the hub's current sources share: parameters, targets, changes while running."""

    def __init__(self, **parameters):
        object.__setattr__(self, "_targets", [])  # (Population, neuron indices)
        object.__setattr__(self, "_native", {})
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
        self._targets.extend(targets)
        if simulator.state.built:
            self._inject_change(np.zeros(0), np.zeros(0), targets)

    def set_native_parameters(self, parameters):
        parameters.evaluate(simplify=True)
        old = self.current()
        self._native.update({name: _value(lazy) for name, lazy in parameters.items()})
        if simulator.state.built and self._targets:
            self._inject_change(*old, self._targets)

    def get_native_parameters(self):
        return ParameterSpace(dict(self._native))

    def record(self):
        raise UnsupportedError(
            f"{type(self).__name__}.record(): the hub does not record injected currents; "
            "the current is the step function of its parameters"
        )

    # --- what the hub receives -----------------------------------------------------------------
    def current(self) -> tuple[np.ndarray, np.ndarray]:
        """The current as a step function: ``amplitudes[k]`` (nA) from ``times[k]`` (ms)."""
        raise NotImplementedError

    def hub_source(self):
        times, amplitudes = self.current()
        return ir.StepCurrentSource(times=times, amplitudes=amplitudes)

    def _inject_change(self, old_times, old_amplitudes, targets) -> None:
        """Inject new - old from the current time on into ``targets`` of the running engine."""
        now = simulator.state.t
        new_times, new_amplitudes = self.current()
        times = np.unique(np.concatenate([[now], old_times, new_times]))
        times = times[times >= now]

        def at(t, ts, amps):
            k = np.searchsorted(ts, t, side="right") - 1
            return np.where(k >= 0, np.asarray(amps, float)[np.maximum(k, 0)], 0.0)

        diff = at(times, new_times, new_amplitudes) - at(times, old_times, old_amplitudes)
        change = ir.StepCurrentSource(times=times, amplitudes=diff)
        for root, indices in targets:
            simulator.state.engine.network.inject(root.hub_label, change, indices)


class DCSource(HubCurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(
        ("amplitude", "amplitude"), ("start", "start"), ("stop", "stop")
    )

    def current(self):
        if not self._native:
            return np.zeros(0), np.zeros(0)
        n = self._native
        return np.array([n["start"], n["stop"]], float), np.array([n["amplitude"], 0.0])

    def hub_source(self):
        n = self._native
        return ir.DCSource(amplitude=n["amplitude"], start=n["start"], stop=n["stop"])


class StepCurrentSource(HubCurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    def current(self):
        if not self._native:
            return np.zeros(0), np.zeros(0)
        return (
            np.asarray(self._native["times"], float),
            np.asarray(self._native["amplitudes"], float),
        )

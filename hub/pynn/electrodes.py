"""Current sources: PyNN's ``DCSource`` and ``StepCurrentSource`` as the hub's.

A source keeps its parameters (nA, ms) and the neurons it is injected into.  When the network
is built each target population receives a ``hub.DCSource`` or ``hub.StepCurrentSource``.
A source injected or changed between runs (``dc.amplitude = 0.5``, PyNN's usual idiom)
reaches the running engine as one more injection: the difference between the new and the old
current from the current time on (``hub.Simulation`` adds injections between segments), so
the neurons receive exactly the new current from then on and the old one before.
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
    """What the hub's current sources share: their parameters (native: the hub's names, nA
    and ms) and the neurons they are injected into."""

    def __init__(self, **parameters):
        object.__setattr__(self, "targets", [])  # (Population, neuron indices)
        object.__setattr__(self, "native", {})
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
        old = self.steps() if self.native else (np.zeros(0), np.zeros(0))
        self.native.update({name: _value(lazy) for name, lazy in parameters.items()})
        if simulator.state.built and self.targets:
            self._inject_change(old, self.targets)

    def get_native_parameters(self):
        return ParameterSpace(dict(self.native))

    def record(self):
        raise UnsupportedError(
            f"{type(self).__name__}.record(): the hub does not record injected currents; "
            "the current is the step function of its parameters"
        )

    # --- what the hub receives -----------------------------------------------------------------
    def hub_source(self):
        """The hub current source with these parameters (nA, ms)."""
        raise NotImplementedError

    def steps(self) -> tuple[np.ndarray, np.ndarray]:
        """The current as a step function: ``amplitudes[k]`` (nA) from ``times[k]`` (ms)."""
        raise NotImplementedError

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

    def hub_source(self):
        return ir.StepCurrentSource(*self.steps())

    def steps(self):
        return (
            np.asarray(self.native["times"], float),
            np.asarray(self.native["amplitudes"], float),
        )

"""Current sources: PyNN's ``DCSource`` and ``StepCurrentSource`` as the hub's.

A source keeps its parameters (nA, ms) and the neurons it is injected into.  When the network
is built each target population receives a ``hub.DCSource`` or ``hub.StepCurrentSource``.
The hub fixes its injections when a segment starts: a source made, injected or changed
between runs (``dc.amplitude = 0.5``) is an :class:`~hub.pynn.errors.UnsupportedError`;
give the whole schedule before the first run (a ``StepCurrentSource``), or call ``reset()``.
"""

from __future__ import annotations

import numpy as np
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import build_translations, electrodes

from .. import ir
from . import simulator
from .errors import UnsupportedError
from .projections import roots_of


_BEFORE_RUN = (
    "the hub fixes injected currents when a segment starts: give the whole schedule "
    "(StepCurrentSource times and amplitudes) before the first run(), or call reset() first"
)


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
        simulator.state.refuse_after_build(f"{type(self).__name__}.inject_into(...)", _BEFORE_RUN)
        self.targets.extend(targets)

    def set_native_parameters(self, parameters):
        if self.targets:
            simulator.state.refuse_after_build(
                f"changing {type(self).__name__} {', '.join(parameters.keys())}", _BEFORE_RUN
            )
        parameters.shape = (1,)
        parameters.evaluate(simplify=True)
        self.native.update({name: _value(lazy) for name, lazy in parameters.items()})

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


class DCSource(HubCurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(
        ("amplitude", "amplitude"), ("start", "start"), ("stop", "stop")
    )

    def hub_source(self):
        n = self.native
        return ir.DCSource(amplitude=n["amplitude"], start=n["start"], stop=n["stop"])


class StepCurrentSource(HubCurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    def hub_source(self):
        return ir.StepCurrentSource(
            times=np.asarray(self.native["times"], float),
            amplitudes=np.asarray(self.native["amplitudes"], float),
        )

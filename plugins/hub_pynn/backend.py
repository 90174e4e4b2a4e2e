"""The PyNN backend object: one class for every PyNN simulator module.

``PyNNBackend("pynn.nest")`` runs on ``pyNN.nest``; the family ``pynn:*`` makes
``PyNNBackend("pynn:pyNN.spiNNaker")`` for any module.  Capabilities come from the
translation table (:mod:`hub_pynn.models`) filtered by the cell types the module has, and
the tolerances and known gaps its :class:`~hub_pynn.simulators.Simulator` declares.
No simulator is imported to list a built-in backend; ``pynn:<module>`` imports the module
to see its cell types.
"""

from __future__ import annotations

import hub.features as F
from hub.backend import Backend, Capabilities, convert_options
from hub.errors import HubError

from .models import TABLES
from .simulators import BUILT_IN, generic

FAMILY = "pynn:*"


class PyNNBackend(Backend):
    """A hub backend running on one PyNN simulator module."""

    def __init__(self, name: str):
        if name in BUILT_IN:
            self.simulator = BUILT_IN[name]
        elif name.startswith("pynn:") and len(name) > len("pynn:"):
            self.simulator = generic(name[len("pynn:") :], name)
        else:
            raise HubError(
                f"backend: {name!r} is not a PyNN backend; use one of {sorted(BUILT_IN)} or "
                "'pynn:<module>' (e.g. 'pynn:pyNN.spiNNaker')"
            )
        self.name = name

    def tables(self):
        """The translation table restricted to the cell types the module has."""
        have = self.simulator.available_cell_types()
        return {label: t for label, t in TABLES.items() if t.cell_type in have}

    def capabilities(self) -> Capabilities:
        tables = self.tables()
        features = F.declared(
            (F.SPIKE_SOURCE, F.CURRENT_STEP, F.SYNAPSE_STATIC, F.RECEPTOR_INHIBITORY),
            (),
            {label: table.record for label, table in tables.items()},
        )
        tolerances = {k: v for k, v in self.simulator.tolerances.items() if k in tables}
        return Capabilities(features, tolerances, dict(self.simulator.known_gaps))

    def build(self, resolved, **options):
        """Set the module up afresh (``sim.setup``) and build ``resolved`` in it."""
        from .session import PyNNSession

        convert_options(self.name, {}, options)
        return PyNNSession(resolved, self.simulator, self.tables())

    def versions(self) -> dict[str, str]:
        """PyNN's and the simulator's versions, for provenance."""
        from importlib import metadata

        out = {}
        for dist in ("PyNN", self.simulator.distribution):
            try:
                out[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                out[dist] = "unknown"
        return out


def backend_for(name: str):
    """A factory per built-in name (``BackendSpec`` takes a class-like callable)."""
    return lambda: PyNNBackend(name)

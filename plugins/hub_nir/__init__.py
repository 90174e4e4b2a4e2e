"""NIR (the Neuromorphic Intermediate Representation) in and out of snn-hub (docs/nir.md).

Registered through the entry-point group ``snn_hub`` like the built-in backends; it adds
the ``.nir`` model format (``hub_register_formats``), so ``hub.load("m.nir")``,
``hub.save(net, "m.nir")`` and ``snn-hub run m.nir -b chip`` work, and the functions

* :func:`from_nir` (graph or path -> :class:`hub.Network`),
* :func:`to_nir` (network -> ``nir.NIRGraph``),
* :func:`run_nir` (graph + input array -> output counts / membrane traces),
* :func:`batch` (n copies of a graph side by side: a batch of samples in one run).

Modules, one job each: ``conventions`` (each exporter's discrete reading of NIR),
``sparse`` (linear maps with delays), ``unroll`` (convolution and pooling as sparse maps),
``graph`` (flattening, composing, scheduling), ``neurons`` (node <-> hub model),
``importer``, ``exporter``, ``run``, ``batch``, ``fileformat``.  Only this package imports ``nir``.
"""

from __future__ import annotations

from hub.hookspecs import hookimpl

from .batch import batch, batch_input, unbatch
from .conventions import CONVENTIONS, Convention
from .exporter import NIRExportError, to_nir
from .fileformat import NIR_FORMAT
from .importer import NIRConventionWarning, NIRTimingWarning, Plan, build, plan
from .run import NIRRun, run_nir


def from_nir(
    graph,
    dt: float | None = None,
    input=None,
    convention: str | None = None,
    input_mode: str = "auto",
):
    """A hub network for the NIR graph ``graph`` (a ``nir.NIRGraph`` or a ``.nir`` path).

    ``dt``: the hub's time step in ms (default: the convention's; one framework step is one
    hub step).  ``input``: None (inputs stay silent ``SpikeTimes``), an array ``(steps,
    size)`` for the graph's one Input node, or ``{name: array}``; integer counts are spikes,
    floats analog currents (``input_mode`` forces either).  ``convention``: "snntorch",
    "norse", "rockpool", "sinabs", "lava", "hub", "nir" (NIR as written) or None (the
    graph's metadata, else its exporter's signature with a NIRConventionWarning, else "nir").
    Outputs are recorded (spikes, or ``v`` of LI readouts)."""
    return build(plan(graph, dt=dt, convention=convention), input, input_mode=input_mode)


@hookimpl
def hub_register_formats():
    return [NIR_FORMAT]


__all__ = [
    "from_nir",
    "to_nir",
    "run_nir",
    "batch",
    "batch_input",
    "unbatch",
    "plan",
    "build",
    "Plan",
    "NIRRun",
    "Convention",
    "CONVENTIONS",
    "NIRExportError",
    "NIRTimingWarning",
    "NIRConventionWarning",
    "hub_register_formats",
]

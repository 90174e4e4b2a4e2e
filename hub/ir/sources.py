"""Spike and current sources.  Spike sources are populations whose spikes are fixed before
any backend runs (Poisson trains are drawn in ``hub.resolve`` from the network seed), except
a ``PoissonSource(resolve="native")``, whose trains each backend draws with its own RNG.
Current sources are injected into neuron populations (``Network.inject``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .declared import Param
from .node import Node, register


class Source(Node):
    """Base of spike sources (added with ``Network.add_source``)."""

    parameters: ClassVar[tuple[Param, ...]] = ()
    label = property(lambda self: self.kind)

    def recordable_names(self):
        return {}


class CurrentSource(Node):
    """Base of current sources (injected with ``Network.inject``)."""

    parameters: ClassVar[tuple[Param, ...]] = ()


@dataclass(eq=False)
class SpikeTimes(Source):
    """Fixed spike times in ms: one list for every neuron, or a list of lists (one per neuron).

    Each time t is placed on the grid at stamp s = round(t/dt) (time s*dt); t must be >= dt.
    Several spikes of one neuron in one step are delivered with multiplicity.
    """

    times: object
    kind = "SpikeTimes"
    parameters = (Param("times", "ms", 0.0, "spike times"),)


@dataclass(eq=False)
class PoissonSource(Source):
    """Homogeneous Poisson process of ``rate`` (Hz) between ``start`` and ``stop`` (ms).

    Drawn in the hub: exponential inter-spike intervals in continuous time, each spike then
    placed on the grid like :class:`SpikeTimes` (stamp ceil(t/dt), so that a spike at
    t in ((s-1) dt, s dt] is stamped s).  Several spikes in one step keep their multiplicity.

    ``resolve="native"``: the hub draws nothing; each backend draws the trains with its own
    random generator (NEST ``poisson_generator``, Brian2 ``PoissonInput``, the chip's own
    per-step draw), with the same rate and the same steps ``start < s dt <= stop``.  The
    spikes are then only *statistically* equivalent across backends (same rate, Poisson
    counts per step), not identical; each source neuron's one train is still shared by all
    of its targets.  It cannot be recorded (record the targets, or use ``resolve="hub"``)
    and cannot feed plastic synapses.  Use it for networks whose hub-drawn trains would be
    too large (Brunel at full scale: 222 million events per second of simulated time).
    """

    rate: object
    start: object = 0.0
    stop: object = float("inf")
    resolve: str = "hub"
    kind = "PoissonSource"
    parameters = (
        Param("rate", "Hz", 1.0, "firing rate", "nonneg"),
        Param("start", "ms", 0.0, "first possible spike time", "nonneg"),
        Param("stop", "ms", float("inf"), "last possible spike time", "nonneg"),
    )

    #: accepted values of ``resolve``
    RESOLVE: ClassVar[tuple[str, ...]] = ("hub", "native")

    @property
    def native(self) -> bool:
        return self.resolve == "native"


@dataclass(eq=False)
class DCSource(CurrentSource):
    """Constant current ``amplitude`` (nA) injected between ``start`` and ``stop`` (ms).

    The current is on for the integration steps whose end time t satisfies start < t <= stop.
    """

    amplitude: object
    start: object = 0.0
    stop: object = float("inf")
    kind = "DCSource"
    parameters = (
        Param("amplitude", "nA", 0.0, "current"),
        Param("start", "ms", 0.0, "switch-on time", "nonneg"),
        Param("stop", "ms", float("inf"), "switch-off time", "nonneg"),
    )


@dataclass(eq=False)
class StepCurrentSource(CurrentSource):
    """Piecewise-constant current: ``amplitudes[k]`` (nA) from ``times[k]`` (ms) on."""

    times: object
    amplitudes: object
    kind = "StepCurrentSource"
    parameters = (
        Param("times", "ms", 0.0, "switch times"),
        Param("amplitudes", "nA", 0.0, "currents"),
    )


SPIKE_SOURCES = register(SpikeTimes, PoissonSource)
CURRENT_SOURCES = register(DCSource, StepCurrentSource)

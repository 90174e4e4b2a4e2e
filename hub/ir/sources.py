"""Spike and current sources.  Spike sources are populations whose spikes are fixed before
any backend runs (Poisson trains are drawn in ``hub.resolve`` from the network seed), except
a ``PoissonSource(resolve="native")``, whose trains each backend draws with its own RNG."""
from __future__ import annotations

from typing import ClassVar

from .neurons import Param


class Source:
    """Base of spike sources (added with ``Network.add_source``)."""

    kind: ClassVar[str]
    parameters: ClassVar[tuple[Param, ...]] = ()
    label = property(lambda self: self.kind)

    def recordable_names(self):
        return {}

    def to_dict(self) -> dict:
        from .serialize import encode_value

        return {"kind": self.kind, **{k: encode_value(v) for k, v in self.__dict__.items()}}

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"{self.kind}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


class SpikeTimes(Source):
    """Fixed spike times in ms: one list for every neuron, or a list of lists (one per neuron).

    Each time t is placed on the grid at stamp s = round(t/dt) (time s*dt); t must be >= dt.
    Several spikes of one neuron in one step are delivered with multiplicity.
    """

    kind = "SpikeTimes"
    parameters = (Param("times", "ms", 0.0, "spike times"),)

    def __init__(self, times):
        self.times = times


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

    kind = "PoissonSource"
    parameters = (
        Param("rate", "Hz", 1.0, "firing rate", "nonneg"),
        Param("start", "ms", 0.0, "first possible spike time", "nonneg"),
        Param("stop", "ms", float("inf"), "last possible spike time", "nonneg"),
    )

    #: accepted values of ``resolve``
    RESOLVE = ("hub", "native")
    resolve = "hub"     # objects read from files written before ``resolve`` existed

    def __init__(self, rate, start=0.0, stop=float("inf"), resolve="hub"):
        self.rate, self.start, self.stop = rate, start, stop
        self.resolve = resolve

    @property
    def native(self) -> bool:
        return self.resolve == "native"

    def to_dict(self) -> dict:
        return {**Source.to_dict(self), "resolve": self.resolve}


class DCSource:
    """Constant current ``amplitude`` (nA) injected between ``start`` and ``stop`` (ms).

    The current is on for the integration steps whose end time t satisfies start < t <= stop.
    """

    kind = "DCSource"
    parameters = (
        Param("amplitude", "nA", 0.0, "current"),
        Param("start", "ms", 0.0, "switch-on time", "nonneg"),
        Param("stop", "ms", float("inf"), "switch-off time", "nonneg"),
    )

    def __init__(self, amplitude, start=0.0, stop=float("inf")):
        self.amplitude, self.start, self.stop = amplitude, start, stop

    to_dict = Source.to_dict
    __eq__ = Source.__eq__
    __repr__ = Source.__repr__


class StepCurrentSource(DCSource):
    """Piecewise-constant current: ``amplitudes[k]`` (nA) from ``times[k]`` (ms) on."""

    kind = "StepCurrentSource"
    parameters = (Param("times", "ms", 0.0, "switch times"),
                  Param("amplitudes", "nA", 0.0, "currents"))

    def __init__(self, times, amplitudes):
        self.times, self.amplitudes = times, amplitudes


SPIKE_SOURCES = {c.kind: c for c in (SpikeTimes, PoissonSource)}
CURRENT_SOURCES = {c.kind: c for c in (DCSource, StepCurrentSource)}

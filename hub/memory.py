"""The memory guard: peak memory of a run, estimated from the network before anything is
drawn, and refused when it does not fit.

:func:`count` reads a :class:`hub.Network` (no resolving, no arrays made) for what a run
holds in memory: neurons and source neurons, the neurons whose spikes are recorded, the
expected number of synapses of each connector, plastic synapses, the delay ring buffers,
recorded state and weight samples, the hub-drawn input spikes and the steps.
:func:`estimate` prices them per backend (:data:`COSTS`, in bytes) and adds the hub's own
arrays (``hub.resolve`` holds 32 bytes per synapse: pre and post index int64, weight
float64, delay steps int64; 8 bytes per neuron parameter or initial value; 16 bytes per drawn
input spike; 8 bytes per recorded sample in the results).  :func:`check` raises
:class:`~hub.errors.ResourceError` when the estimate exceeds :func:`available_bytes`.

The backends' costs are fitted (scripts/memory_calibration.py) to the peak resident memory
measured by ``make bench`` (docs/benchmarks/*.json: Vogels-Abbott CUBA and COBA, Brunel at
four scales, the STDP network) and by scripts/memory_probe.py (tests/data/memory_probes.json:
neurons with and without recorded spikes, recorded state, long delays, hub-drawn Poisson
input, and a mixed network held out of the fit); tests/test_memory_guard.py checks the
estimate against every one of them.  The delay ring buffers and per-step arrays are priced
from the arrays the backends allocate.  Recorded spikes are not counted (their number is not
known before the run; on the held-out network they cost 40-150 bytes each).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ResourceError
from .ir import units
from .ir.connectors import (
    AllToAll,
    FixedInDegree,
    FixedOutDegree,
    FixedProbability,
    FixedTotalNumber,
    FromArrays,
    OneToOne,
)
from .ir.random import Distribution, Normal, Uniform
from .ir.sources import PoissonSource, SpikeTimes
from .ir.synapses import Plastic

MIB = 1024.0**2
GIB = 1024.0**3

#: bytes the hub itself holds: per synapse (``ResolvedProjection``: pre, post int64, weight
#: float64, delay steps int64), per neuron parameter or initial value (float64 arrays of
#: ``ResolvedPopulation``), per hub-drawn input spike (index, stamp int64), per recorded
#: sample (float64 in ``hub.Results``)
HUB_PER_SYNAPSE = 32.0
HUB_PER_NEURON_VALUE = 8.0
HUB_PER_INPUT_SPIKE = 16.0
HUB_PER_SAMPLE = 8.0


@dataclass(frozen=True)
class Counts:
    """What a run of a network holds, counted from the IR (floats: expectations)."""

    neurons: int  # neurons of non-source populations
    sources: int  # source neurons (spike generators)
    neuron_values: int  # per-neuron parameters and initial values (neurons x (params + states))
    spike_recorded: int  # neurons whose spikes are recorded (the union of the spike probes)
    synapses: float  # expected number of connections, every projection
    plastic: float  # of which plastic
    ring_slots: float  # sum over neurons of (largest delay into its population, steps + 2)
    samples: float  # recorded state and weight values: (neurons or synapses) x samples
    input_spikes: float  # spikes of hub-drawn sources (Poisson rate x time x neurons; times)
    steps: int  # integration steps of the run
    unknown: tuple = ()  # objects whose size could not be counted (their terms are 0)


@dataclass(frozen=True)
class Costs:
    """A backend's memory, bytes: ``base`` (the interpreter, the simulator's libraries and
    kernel), then per item of :class:`Counts` beyond the hub's own arrays."""

    base: float
    per_neuron: float
    per_source: float  # per source neuron
    per_recorded: float  # per neuron whose spikes are recorded (NEST: its recorder connection)
    per_synapse: float
    per_plastic: float  # per plastic synapse, on top of per_synapse (state, read-back)
    per_ring_slot: float  # per slot of a neuron's delay ring buffers
    per_sample: float  # the backend's copy of a recorded sample
    per_input_spike: float  # the backend's copy of a hub-drawn input spike
    per_step: float = 0.0  # arrays with one value per integration step
    calibrated: bool = True
    note: str = ""


#: per backend, bytes, on top of the hub's own arrays.  Fitted (scripts/memory_calibration.py,
#: non-negative least relative squares) to the hub-path peaks of docs/benchmarks/*.json (CUBA,
#: COBA, Brunel at scales 0.1-1) and of tests/data/memory_probes.json (neurons with and
#: without recorded spikes, recorded state, 100 ms delays, hub-drawn Poisson input): base,
#: per_neuron, per_source, per_recorded, per_synapse, per_sample, per_input_spike;
#: per_plastic is what the STDP benchmark's peak leaves over.  per_ring_slot and per_step are
#: priced from the backends' arrays.
COSTS = {
    "nest": Costs(
        base=136.2 * MIB,
        per_neuron=5_524.4,
        per_source=3_076.6,
        per_recorded=34_288.9,  # a neuron's connection to the spike_recorder
        per_synapse=37.6,
        per_plastic=4_067.0,  # NEST reads plastic weights back as one dict per synapse
        per_ring_slot=3 * 8.0,  # iaf_* models: 3 float64 ring buffers (ex, in, currents)
        per_sample=112.4,  # multimeter: time, sender, value, then their Python copies
        per_input_spike=144.3,  # spike_generator times, converted to NEST's Time objects
    ),
    "brian2": Costs(
        base=148.0 * MIB,
        per_neuron=152.5,
        per_source=1_990.4,
        per_recorded=294.3,
        per_synapse=35.8,
        per_plastic=87.0,
        per_ring_slot=0.0,  # Brian2 queues spikes per synapse, no per-neuron ring
        per_sample=16.0,  # StateMonitor: a float64 dynamic array
        per_input_spike=47.6,  # SpikeGeneratorGroup: indices, times and sorted copies
    ),
    "chip": Costs(
        base=168.0 * MIB,
        per_neuron=0.0,
        per_source=2_171.2,
        per_recorded=39.0,
        per_synapse=16.0,
        per_plastic=322.0,
        per_ring_slot=2 * 8.0,  # the engine's int64 rings of u increments, + and -
        per_sample=15.8,  # int64 probe array, then the float64 signal
        per_input_spike=39.5,
        per_step=2 * 8.0,  # the timing model's float64 per step (fast.py, report.py)
    ),
}

#: a backend without calibrated costs: the hub's own arrays and nothing else (a lower bound)
UNCALIBRATED = Costs(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, False, "hub arrays only")


@dataclass(frozen=True)
class Estimate:
    """Peak memory of a run on ``backend``: ``terms`` (name -> bytes) sum to :attr:`total`."""

    backend: str
    terms: dict = field(default_factory=dict)
    calibrated: bool = True
    unknown: tuple = ()

    @property
    def total(self) -> float:
        return float(sum(self.terms.values()))

    def describe(self) -> str:
        """``nest: 1.6 GiB (synapses 1.1 GiB, neurons 390 MiB, ...)`` (largest terms first)."""
        shown = sorted(((v, k) for k, v in self.terms.items() if v > 0), reverse=True)
        parts = ", ".join(f"{k} {size_text(v)}" for v, k in shown)
        note = "" if self.calibrated else "; not calibrated: the hub's arrays only"
        if self.unknown:
            note += f"; not counted: {', '.join(self.unknown)}"
        return f"{self.backend}: {size_text(self.total)} ({parts}{note})"


def size_text(nbytes: float) -> str:
    """``"1.6 GiB"``, ``"310 MiB"``, ``"12 KiB"``."""
    for unit, scale in (("TiB", GIB * 1024), ("GiB", GIB), ("MiB", MIB), ("KiB", 1024.0)):
        if nbytes >= scale:
            value = nbytes / scale
            if value < 1000:
                return f"{value:.3g} {unit}"
            return f"{value:.0f} {unit}" if value < 1e6 else f"{value:.3g} {unit}"
    return f"{nbytes:.0f} B"


# ---------------------------------------------------------------------------------------------
# counting, from the IR only
# ---------------------------------------------------------------------------------------------
def _ms(value, default: float) -> float:
    """``value`` in ms as a float (a distribution: its largest value), ``default`` if it is
    unreadable (validation reports it)."""
    try:
        if isinstance(value, Uniform):
            return float(value.high)
        if isinstance(value, Normal):
            top = float(value.high)
            return top if math.isfinite(top) else float(value.mu) + 5.0 * float(value.sigma)
        if isinstance(value, Distribution):
            return default
        arr = np.asarray(units.convert(value, "ms"), float)
        out = float(arr.max()) if arr.size else default
        return out if math.isfinite(out) else default
    except Exception:
        return default


def _size(pop) -> int:
    try:
        n = int(pop.size)
    except (TypeError, ValueError, OverflowError):
        return 0
    return max(n, 0)


def expected_synapses(connector, n_pre: int, n_post: int, no_self: bool) -> float | None:
    """Expected number of connections of ``connector`` from ``n_pre`` to ``n_post`` neurons
    (``no_self``: i -> i dropped); ``None`` for a connector this function does not know."""
    diagonal = min(n_pre, n_post) if no_self else 0
    try:
        if isinstance(connector, AllToAll):
            return float(n_pre * n_post - diagonal)
        if isinstance(connector, OneToOne):
            return float(n_pre)
        if isinstance(connector, FixedProbability):
            return min(max(float(connector.p), 0.0), 1.0) * (n_pre * n_post - diagonal)
        if isinstance(connector, FixedTotalNumber):
            return float(max(int(connector.n), 0))
        if isinstance(connector, FixedOutDegree):  # before FixedInDegree: its subclass
            return float(max(int(connector.n), 0)) * n_pre
        if isinstance(connector, FixedInDegree):
            return float(max(int(connector.n), 0)) * n_post
        if isinstance(connector, FromArrays):
            pre: Any = connector.pre
            return float(np.size(pre))
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return None


def _interval_steps(interval, dt: float) -> int:
    if interval is None:
        return 1
    return max(1, int(round(_ms(interval, dt) / dt)))


def _source_spikes(model, size: int, duration: float) -> float:
    if isinstance(model, PoissonSource):
        if model.native:
            return 0.0
        try:
            rate = np.broadcast_to(np.asarray(units.convert(model.rate, "Hz"), float), (size,))
            start, stop = _ms(model.start, 0.0), min(_ms(model.stop, duration), duration)
            per = np.clip(rate, 0.0, None) * max(stop - start, 0.0) * 1e-3
            return float(per.sum())
        except Exception:
            return 0.0
    if isinstance(model, SpikeTimes):
        times: Any = model.times
        try:
            if len(times) and np.ndim(times[0]) > 0:  # one train per neuron
                return float(sum(np.size(t) for t in times))
            return float(np.size(times)) * size  # one train shared by every neuron
        except TypeError:
            return float(np.size(times)) * size
    return 0.0


def count(network, duration: float) -> Counts:
    """Count what a run of ``network`` for ``duration`` ms holds (see :class:`Counts`); reads
    the IR only.  Unreadable values count as 0 (validation reports them)."""
    dt = _ms(network.dt, 0.1) or 0.1
    steps = max(int(math.floor(duration / dt + 0.5)), 1)
    sizes = {p.label: _size(p) for p in network.populations}
    neurons = sum(sizes[p.label] for p in network.populations if not p.is_source)
    sources = sum(sizes[p.label] for p in network.populations if p.is_source)
    values = sum(
        sizes[p.label] * (len(p.model.parameters) + len(getattr(p.model, "state", ())))
        for p in network.populations
        if not p.is_source
    )
    synapses = plastic = 0.0
    per_projection: dict[str, float] = {}
    max_delay: dict[str, float] = {}  # ms, per target population
    unknown = []
    for proj in network.projections:
        c = proj.connector
        no_self = proj.pre == proj.post and not getattr(c, "allow_self_connections", True)
        n = expected_synapses(c, sizes.get(proj.pre, 0), sizes.get(proj.post, 0), no_self)
        if n is None:
            unknown.append(f"projection {proj.label!r} ({type(c).__name__})")
            n = 0.0
        per_projection[proj.label] = n
        synapses += n
        if isinstance(proj.synapse, Plastic):
            plastic += n
        _, delay = c.synapse_values(proj.synapse)
        d = _ms(dt if delay is None else delay, dt)
        max_delay[proj.post] = max(max_delay.get(proj.post, dt), d)
    ring = sum(
        sizes[p.label] * (max_delay.get(p.label, dt) / dt + 2.0)
        for p in network.populations
        if not p.is_source
    )
    spike_recorded = 0
    for pop in network.populations:
        probes = [q for q in network.probes if q.population == pop.label and q.variable == "spikes"]
        if pop.is_source or not probes:
            continue
        if any(q.indices is None for q in probes):
            spike_recorded += sizes[pop.label]
        else:
            chosen = [np.asarray(q.indices).ravel() for q in probes]
            spike_recorded += int(np.unique(np.concatenate(chosen)).size)
    samples = 0.0
    for probe in network.probes:
        if probe.variable == "spikes":
            continue
        n = sizes.get(probe.population, 0) if probe.indices is None else np.size(probe.indices)
        samples += float(n) * (steps // _interval_steps(probe.interval, dt))
    for sprobe in network.synapse_probes:
        n = per_projection.get(sprobe.projection, 0.0)
        if sprobe.indices is not None:
            n = float(np.size(sprobe.indices))
        samples += n * (steps // _interval_steps(sprobe.interval, dt) + 1)
    spikes = sum(
        _source_spikes(p.model, sizes[p.label], duration)
        for p in network.populations
        if p.is_source
    )
    return Counts(
        neurons,
        sources,
        values,
        spike_recorded,
        synapses,
        plastic,
        ring,
        samples,
        spikes,
        steps,
        tuple(unknown),
    )


# ---------------------------------------------------------------------------------------------
# pricing and the check
# ---------------------------------------------------------------------------------------------
def costs_of(backend: str) -> Costs:
    """The costs of ``backend`` (:data:`UNCALIBRATED` for a backend not in :data:`COSTS`)."""
    return COSTS.get(backend, UNCALIBRATED)


def estimate(network, backend: str, duration: float) -> Estimate:
    """Peak memory (bytes, by term) of ``hub.run(network, backend, duration)``."""
    c = count(network, duration)
    k = costs_of(backend)
    terms = {
        "base": k.base,
        "neurons": HUB_PER_NEURON_VALUE * c.neuron_values
        + k.per_neuron * c.neurons
        + k.per_source * c.sources,
        "spike recording": k.per_recorded * c.spike_recorded,
        "synapses": (HUB_PER_SYNAPSE + k.per_synapse) * c.synapses + k.per_plastic * c.plastic,
        "delay buffers": k.per_ring_slot * c.ring_slots,
        "recorded samples": (HUB_PER_SAMPLE + k.per_sample) * c.samples,
        "input spikes": (HUB_PER_INPUT_SPIKE + k.per_input_spike) * c.input_spikes,
        "per-step arrays": k.per_step * c.steps,
    }
    return Estimate(backend, terms, k.calibrated, c.unknown)


def hub_arrays(network, duration: float) -> float:
    """Bytes of the hub's own arrays for ``network``: what ``hub.resolve`` and the results
    hold (the parent process of ``hub.compare``)."""
    c = count(network, duration)
    return (
        HUB_PER_NEURON_VALUE * c.neuron_values
        + HUB_PER_SYNAPSE * c.synapses
        + HUB_PER_INPUT_SPIKE * c.input_spikes
        + HUB_PER_SAMPLE * c.samples
    )


def available_bytes() -> float:
    """Memory this process may still use, bytes: ``MemAvailable`` of /proc/meminfo, capped
    by the cgroup's limit (``memory.max`` minus ``memory.current``) when one is set;
    ``inf`` when neither can be read."""
    out = math.inf
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    out = float(line.split()[1]) * 1024.0
                    break
    except OSError:
        pass
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read().strip()
        with open("/sys/fs/cgroup/memory.current") as f:
            used = float(f.read().strip())
        if limit != "max":
            out = min(out, max(float(limit) - used, 0.0))
    except (OSError, ValueError):
        pass
    return out


#: how to turn the check off, as each entry point spells it
OVERRIDE = "memory_check=False (command line: --no-memory-check)"


def check(needed: float, what: str, detail: str = "", available: float | None = None) -> None:
    """Raise :class:`ResourceError` when ``needed`` bytes exceed ``available`` (default
    :func:`available_bytes`).  ``what`` names the run, ``detail`` the estimate's terms."""
    free = available_bytes() if available is None else float(available)
    if needed <= free:
        return
    raise ResourceError(
        f"memory: {what} needs an estimated {size_text(needed)}, more than the "
        f"{size_text(free)} available"
        + (f" [{detail}]" if detail else "")
        + f"; make the network smaller (fewer neurons, synapses, recorded samples or input "
        f"spikes), or pass {OVERRIDE} to run anyway"
    )


def check_run(network, backend: str, duration, available: float | None = None) -> Estimate | None:
    """The guard of ``hub.run``: raise :class:`ResourceError` when the estimate for
    ``backend`` exceeds the available memory; return the estimate (``None`` when
    ``duration`` is unreadable: validation reports it)."""
    network.validate()  # first: its diagnostics name the fix, and the counts trust the IR
    ms = _duration_ms(duration)
    if ms is None:
        return None
    est = estimate(network, backend, ms)
    check(est.total, f"running {_name(network)} on {backend}", est.describe(), available)
    return est


def check_compare(
    network, backends, duration, available: float | None = None
) -> list[Estimate] | None:
    """The guard of ``hub.compare``: the parent holds the hub's arrays while each backend
    runs in its own process, one after another; refuse when the arrays plus the largest
    backend estimate exceed the available memory."""
    network.validate()
    ms = _duration_ms(duration)
    if ms is None:
        return None
    ests = [estimate(network, b, ms) for b in backends]
    if not ests:
        return ests
    worst = max(ests, key=lambda e: e.total)
    parent = hub_arrays(network, ms)
    check(
        worst.total + parent,
        f"comparing {_name(network)} on {', '.join(backends)}",
        f"the compare process {size_text(parent)} + {worst.describe()}",
        available,
    )
    return ests


def _duration_ms(duration) -> float | None:
    try:
        ms = float(units.convert(duration, "ms"))
    except Exception:
        return None
    return ms if math.isfinite(ms) and ms > 0 else None


def _name(network) -> str:
    label = getattr(network, "label", "")
    return f"network {label!r}" if label else "the network"


__all__ = [
    "COSTS",
    "Costs",
    "Counts",
    "Estimate",
    "available_bytes",
    "check",
    "check_compare",
    "check_run",
    "count",
    "estimate",
    "expected_synapses",
    "size_text",
]

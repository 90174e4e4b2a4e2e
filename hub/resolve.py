"""resolve(): every random draw made once, in the hub, from the network seed.

Connectivity, per-neuron parameters, initial values and Poisson spike trains become
concrete arrays here, so every backend simulates the same network.  Each draw uses its
own random stream, keyed by the network seed and the object's label and purpose, so
adding a projection does not change the draws of the others.

All times are quantized here to integer steps of ``dt`` (the semantics contract,
docs/semantics.md):

* delay steps ``D = floor(d/dt + 0.5)`` (as NEST), at least 1; computed as NEST does,
  ``floor(d * (1/dt) + 0.5)``, so 0.15 ms at dt = 0.1 ms is 2 steps (0.15/0.1 is
  1.4999999999999998 in floating point, 0.15 * 10.0 is 1.5);
* a spike time t of a ``SpikeTimes`` source gets stamp ``round(t/dt)``;
* a Poisson source emits ``Poisson(rate*dt)`` spikes in each step ``((s-1)dt, s dt]``,
  stamped ``s``; several spikes in one step are kept (multiplicity); with
  ``resolve="native"`` nothing is drawn here: the source keeps its per-neuron rates and its
  first and last stamp, and each backend draws the counts itself (statistics only);
* current sources switch at step ends: amplitude a from time t applies to the integration
  steps that end at k*dt > round(t/dt)*dt;
* a parameter change at stamp S (made between run segments, :class:`hub.Simulation`) applies
  to the integration steps k' >= S (0-based; the first step of the next segment); state
  variables keep their values.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import singledispatch

import numpy as np

from .connectivity import draw_projection
from .draws import stream, to_steps
from .draws import values as _values
from .errors import Diagnostic, ValidationError
from .ir import limits, units
from .ir.neurons import NeuronModel
from .ir.connectors import CONNECTORS
from .ir.random import Distribution, distribution_from_dict
from .ir.rule_checks import rule_values
from .ir.sources import DCSource, PoissonSource, SpikeTimes, StepCurrentSource
from .ir.synapses import Plastic, Static


@dataclass
class ResolvedPopulation:
    """Neurons with every parameter and initial value as a float64 array of length ``size``
    (canonical units)."""

    label: str
    size: int
    model: NeuronModel
    params: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]

    @property
    def kind(self) -> str:
        return self.model.kind

    @property
    def synapse(self) -> str:
        return self.model.synapse


@dataclass
class ResolvedSource:
    """A spike source as event arrays sorted by (stamp, index); a repeated pair is a spike of
    multiplicity > 1.

    A *native* Poisson source (``native=True``, from ``PoissonSource(resolve="native")``)
    has no events: neuron i emits ``Poisson(rate[i] * dt)`` spikes stamped s for every
    stamp ``first_step <= s <= last_step``, drawn by the backend with its own RNG (O(size)
    memory here)."""

    label: str
    size: int
    indices: np.ndarray
    stamps: np.ndarray
    native: bool = False
    rate: np.ndarray | None = None  # Hz, per neuron (native only)
    first_step: int = 1  # first stamp that may carry spikes (native only)
    last_step: int = 0  # last stamp that may carry spikes (native only)

    def expected_count(self, dt: float) -> np.ndarray:
        """Native: mean number of spikes per neuron over the run."""
        steps = max(0, self.last_step - self.first_step + 1)
        return self.rate * dt * 1e-3 * steps

    def trains(self, dt: float) -> list[np.ndarray]:
        """Spike times (ms) per neuron."""
        order = np.argsort(self.indices, kind="stable")
        idx, st = self.indices[order], self.stamps[order]
        cuts = np.searchsorted(idx, np.arange(1, self.size))
        return [s * dt for s in np.split(st, cuts)]


@dataclass
class ResolvedRule:
    """A learning rule with every parameter a float in canonical units (``weight``
    parameters in the target's weight unit, as magnitudes)."""

    rule: object  # the hub.ir.plasticity.Rule (kind, options, equations)
    params: dict[str, float]
    modulator: str | None = None  # DopamineSTDP: label of the dopamine population
    modulator_delay_steps: int = 1
    teacher: str | None = None  # a supervised CustomRule: the label of its teacher source

    @property
    def kind(self) -> str:
        return self.rule.kind

    @property
    def label(self) -> str:
        return self.rule.label

    @property
    def capability_key(self) -> str:
        """The rule's key in a backend's Capabilities (``Rule.capability_key``)."""
        return str(getattr(self.rule, "capability_key", self.rule.label))


@dataclass
class ResolvedProjection:
    label: str
    pre: str
    post: str
    pre_idx: np.ndarray  # int64
    post_idx: np.ndarray  # int64
    weight: np.ndarray  # float64, canonical weight unit of the target
    delay_steps: np.ndarray  # int64 >= 1
    receptor: str
    rule: ResolvedRule | None = None
    #: ``resolve="native"``: the connector (``to_dict``) and the synapse's weight and delay
    #: (canonical units; a number or a distribution's dict) for a backend to draw; the arrays
    #: are empty (:func:`materialize_native` draws them in the hub instead)
    native: dict | None = None

    @property
    def n(self) -> int:
        return len(self.pre_idx)


@dataclass
class ResolvedInjection:
    """Piecewise-constant current: ``amplitudes[k]`` (nA) applies to integration steps that
    end at stamps > ``stamps[k]`` (until the next change)."""

    target: str
    indices: np.ndarray
    stamps: np.ndarray
    amplitudes: np.ndarray


@dataclass
class ParameterChange:
    """New values of neuron parameters from integration step ``step`` on (0-based: the step
    that ends at ``(step + 1) dt``): ``values[name][j]`` (canonical unit) for neuron
    ``indices[j]`` of ``population``.  State variables keep their values."""

    step: int
    population: str
    indices: np.ndarray
    values: dict[str, np.ndarray]


class _Sampled:
    """The sampling rule shared by every state probe: samples at stamps ``iv, 2 iv, ...``
    up to ``steps`` (time ``stamp * dt`` ms, the state at the end of that step)."""

    interval_steps: int

    def sample_stamps(self, steps: int) -> np.ndarray:
        """Integer stamps of the samples of a run of ``steps`` steps."""
        return np.arange(self.interval_steps, steps + 1, self.interval_steps, dtype=np.int64)


@dataclass
class ResolvedProbe(_Sampled):
    population: str
    variable: str
    interval_steps: int
    indices: np.ndarray


@dataclass
class ResolvedSynapseProbe(_Sampled):
    projection: str
    variable: str
    interval_steps: int
    indices: np.ndarray  # positions in the projection's connection list


@dataclass
class ResolvedNetwork:
    dt: float
    seed: int
    steps: int
    populations: dict[str, ResolvedPopulation] = field(default_factory=dict)
    sources: dict[str, ResolvedSource] = field(default_factory=dict)
    projections: list[ResolvedProjection] = field(default_factory=list)
    injections: list[ResolvedInjection] = field(default_factory=list)
    probes: list[ResolvedProbe] = field(default_factory=list)
    synapse_probes: list[ResolvedSynapseProbe] = field(default_factory=list)
    label: str = ""
    #: parameter changes between run segments, sorted by step (:class:`hub.Simulation`)
    changes: list[ParameterChange] = field(default_factory=list)
    #: this process's share of a distributed run: population label -> (lo, hi), the target
    #: neurons whose incoming connections the projections hold (None: the whole network)
    share: dict[str, tuple[int, int]] | None = None

    @property
    def duration(self) -> float:
        return self.steps * self.dt

    @property
    def n_synapses(self) -> int:
        return sum(p.n for p in self.projections)

    def size_of(self, label: str) -> int:
        return (self.populations.get(label) or self.sources[label]).size


def offset_changes_as_injections(resolved: ResolvedNetwork) -> ResolvedNetwork:
    """A copy of ``resolved`` whose ``i_offset`` changes are injected currents instead: a
    change from a to b at stamp S is an injection of b - a (nA) from integration step S on,
    which enters the membrane update exactly as ``i_offset`` does (section 6 of
    docs/semantics.md).  For backends that inject currents but cannot change parameters."""
    offsets = {
        label: np.asarray(pop.params["i_offset"], float).copy()
        for label, pop in resolved.populations.items()
        if "i_offset" in pop.params
    }
    injections = list(resolved.injections)
    kept = []
    for change in resolved.changes:
        if set(change.values) != {"i_offset"} or change.population not in offsets:
            kept.append(change)
            continue
        now = offsets[change.population]
        new = np.asarray(change.values["i_offset"], float)
        delta = new - now[change.indices]
        now[change.indices] = new
        for value in np.unique(delta):
            idx = change.indices[delta == value]
            injections.append(
                ResolvedInjection(
                    change.population,
                    idx,
                    np.array([change.step], np.int64),
                    np.array([value], float),
                )
            )
    return dataclasses.replace(resolved, injections=injections, changes=kept)


def restrict(resolved: ResolvedNetwork, share: dict) -> ResolvedNetwork:
    """``resolved`` with only the connections onto the targets of ``share`` (population label
    -> (lo, hi)): exactly what ``resolve(network, share=share)`` draws
    (:mod:`hub.connectivity`)."""
    if resolved.synapse_probes:
        probe = resolved.synapse_probes[0]
        raise ValidationError(
            Diagnostic(
                f"synapse probe {probe.projection}.{probe.variable}",
                "a share of the network cannot number synapses across processes",
                "record synapses in a single-process run",
            )
        )
    projections = []
    for p in resolved.projections:
        lo, hi = share.get(p.post, (0, 0))
        keep = (p.post_idx >= lo) & (p.post_idx < hi)
        projections.append(
            dataclasses.replace(
                p,
                pre_idx=p.pre_idx[keep],
                post_idx=p.post_idx[keep],
                weight=p.weight[keep],
                delay_steps=p.delay_steps[keep],
            )
        )
    return dataclasses.replace(resolved, projections=projections, share=dict(share))


def fresh_seed() -> int:
    """A seed from the operating system's entropy (for a network without one)."""
    return int(np.random.SeedSequence().generate_state(1)[0])


def check_duration(duration, dt: float) -> float:
    """``duration`` in ms, or a ValidationError: a number or a time quantity, finite, and
    at least half a step (it is rounded to whole steps of ``dt``)."""
    try:
        value = float(units.convert(duration, "ms"))
    except units.UnitError as exc:
        raise ValidationError(Diagnostic("duration", str(exc), "give the duration in ms")) from None
    except (TypeError, ValueError):
        raise ValidationError(
            Diagnostic("duration", f"{duration!r} is not a number", "give the duration in ms")
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise ValidationError(
            Diagnostic(
                "duration", f"{value} ms must be positive and finite", "run for a duration > 0 ms"
            )
        )
    too_long = limits.check_steps(value, dt)
    if too_long is not None:
        raise ValidationError(too_long)
    if to_steps(value, dt) < 1:
        raise ValidationError(
            Diagnostic(
                "duration",
                f"{value} ms is less than half a step (dt={dt} ms): the run would have no step",
                f"run for at least dt = {dt} ms",
            )
        )
    return value


def resolve(
    network, duration: float, seed: int | None = None, share: dict | None = None
) -> ResolvedNetwork:
    """Validate ``network`` and draw everything random for a run of ``duration`` ms.

    ``seed`` replaces the network's seed (a network without one gets a fresh seed per call:
    give one to repeat its draws).  ``share``: population label -> (lo, hi): the projections
    hold only the connections onto those target neurons, exactly as in the whole network
    (:mod:`hub.connectivity`; a process of a distributed run); populations left out of it
    get no connections."""
    network.validate()
    dt = float(units.convert(network.dt, "ms"))
    duration = check_duration(duration, dt)
    steps = int(to_steps(duration, dt))
    too_many = limits.poisson_draws(network, dt, steps)
    if too_many:
        raise ValidationError(too_many)
    if seed is None:
        seed = network.seed
    if seed is None:
        seed = fresh_seed()
    out = ResolvedNetwork(dt, int(seed), steps, label=network.label, share=share)
    for pop in network.populations:
        if pop.is_source:
            out.sources[pop.label] = _resolve_source(pop, dt, steps, seed)
        else:
            out.populations[pop.label] = _resolve_population(pop, seed)
    for proj in network.projections:
        owned = None if share is None else share.get(proj.post, (0, 0))
        out.projections.append(_resolve_projection(proj, out, dt, seed, owned))
    for k, inj in enumerate(network.injections):
        size = out.populations[inj.target].size
        idx = np.arange(size) if inj.indices is None else np.asarray(inj.indices, np.int64)
        t, a = _current_steps(inj.source)
        out.injections.append(ResolvedInjection(inj.target, idx, _stamp(t, dt), a))
    for probe in network.probes:
        size = out.size_of(probe.population)
        idx = np.arange(size) if probe.indices is None else np.asarray(probe.indices, np.int64)
        iv = _interval_steps(probe.interval, dt)
        out.probes.append(ResolvedProbe(probe.population, probe.variable, iv, idx))
    projections = {p.label: p for p in out.projections}
    if share is not None and network.synapse_probes:
        probe = network.synapse_probes[0]
        raise ValidationError(
            Diagnostic(
                f"synapse probe {probe.projection}.{probe.variable}",
                "a process of a distributed run holds only its share of the synapses, so "
                "synapses cannot be numbered across processes",
                "record synapses in a single-process run; final synapse state "
                "(Results.synapse_state) is gathered from every process",
            )
        )
    for probe in network.synapse_probes:
        n = projections[probe.projection].n
        idx = np.arange(n) if probe.indices is None else np.asarray(probe.indices, np.int64)
        if idx.size and idx.max() >= n:
            raise ValidationError(
                Diagnostic(
                    f"synapse probe {probe.projection}.{probe.variable}.indices",
                    f"synapse index {int(idx.max())} but the projection has {n} synapses",
                    f"use indices in [0, {n})",
                )
            )
        out.synapse_probes.append(
            ResolvedSynapseProbe(
                probe.projection, probe.variable, _interval_steps(probe.interval, dt), idx
            )
        )
    too_fast = limits.drawn(out)  # ODE models: what distributions drew (hub/ir/limits.py)
    if too_fast:
        raise ValidationError(too_fast)
    return out


# --- current sources: (switch times in ms, amplitudes in nA), one function per class -------
@singledispatch
def _current_steps(src) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - validated
    raise TypeError(f"no resolution for current source {src!r}")


@_current_steps.register
def _(src: StepCurrentSource):
    return (
        np.atleast_1d(np.asarray(units.convert(src.times, "ms"), float)),
        np.atleast_1d(np.asarray(units.convert(src.amplitudes, "nA"), float)),
    )


@_current_steps.register
def _(src: DCSource):
    """On at ``start`` with ``amplitude``, off (0 nA) at ``stop`` if finite."""
    start = float(units.convert(src.start, "ms"))
    stop = float(units.convert(src.stop, "ms"))
    amplitude = float(units.convert(src.amplitude, "nA"))
    if math.isfinite(stop):
        return np.array([start, stop]), np.array([amplitude, 0.0])
    return np.array([start]), np.array([amplitude])


def _interval_steps(interval, dt) -> int:
    return 1 if interval is None else max(1, int(round(float(units.convert(interval, "ms")) / dt)))


def _stamp(times_ms: np.ndarray, dt: float) -> np.ndarray:
    return to_steps(np.asarray(times_ms, float), dt).astype(np.int64)


def resolve_population(pop, seed: int) -> ResolvedPopulation:
    """The per-neuron parameters and initial values of one neuron population."""
    return _resolve_population(pop, seed)


def _resolve_population(pop, seed) -> ResolvedPopulation:
    model = pop.model
    params = {
        p.name: _values(
            model.values.get(p.name, p.default),
            p.unit,
            pop.size,
            (pop.label, "param", p.name),
            seed,
        )
        for p in model.parameters
    }
    initial = {}
    for s in model.state:
        value = pop.initial_values.get(s.name, s.initial)
        if isinstance(value, str) and value in params:
            initial[s.name] = params[value].copy()
        else:
            initial[s.name] = _values(value, s.unit, pop.size, (pop.label, "init", s.name), seed)
    return ResolvedPopulation(pop.label, pop.size, model, params, initial)


def resolve_source(pop, dt: float, steps: int, seed: int) -> ResolvedSource:
    """The events of one spike-source population for a run of ``steps`` steps."""
    return _resolve_source(pop, dt, steps, seed)


def _resolve_source(pop, dt, steps, seed) -> ResolvedSource:
    return _draw_source(pop.model, pop, dt, steps, seed)


# --- spike sources: one function per class ---------------------------------------------------
@singledispatch
def _draw_source(src, pop, dt, steps, seed) -> ResolvedSource:  # pragma: no cover - validated
    raise TypeError(f"no resolution for spike source {src!r}")


def _sorted_events(pop, idx, stamps) -> ResolvedSource:
    order = np.lexsort((idx, stamps))
    return ResolvedSource(
        pop.label, pop.size, idx[order].astype(np.int64), stamps[order].astype(np.int64)
    )


@_draw_source.register
def _(src: SpikeTimes, pop, dt, steps, seed) -> ResolvedSource:
    """Stamp round(t/dt) for each time t; one list for all neurons or one per neuron."""
    times = src.times
    nested = len(times) > 0 and all(np.ndim(t) == 1 for t in times)
    trains = (
        [np.asarray(units.convert(t, "ms"), float) for t in times]
        if nested
        else [np.asarray(units.convert(times, "ms"), float)] * pop.size
    )
    idx = np.repeat(np.arange(pop.size), [len(t) for t in trains])
    stamps = _stamp(np.concatenate(trains), dt) if len(idx) else np.zeros(0, np.int64)
    keep = stamps <= steps
    return _sorted_events(pop, idx[keep], stamps[keep])


@_draw_source.register
def _(src: PoissonSource, pop, dt, steps, seed) -> ResolvedSource:
    """Poisson(rate dt) spikes per step, drawn here from the network seed; or, native, the
    rates and the window for the backend to draw."""
    if src.native:
        rate, first, last = poisson_window(src, pop.size, dt, steps)
        empty = np.zeros(0, np.int64)
        return ResolvedSource(
            pop.label,
            pop.size,
            empty,
            empty.copy(),
            native=True,
            rate=rate.copy(),
            first_step=first,
            last_step=last,
        )
    idx, stamps = _poisson(src, pop.size, dt, steps, stream(seed, pop.label, "poisson"))
    return _sorted_events(pop, idx, stamps)


def poisson_window(src: PoissonSource, n, dt, steps):
    """(rate per neuron in Hz, first stamp, last stamp) of a Poisson source: spikes are
    stamped s for first <= s <= last, i.e. the steps ((s-1) dt, s dt] inside [start, stop]."""
    rate = np.broadcast_to(np.asarray(units.convert(src.rate, "Hz"), float), (n,))
    start = float(units.convert(src.start, "ms"))
    stop = float(units.convert(src.stop, "ms"))
    first = int(to_steps(start, dt)) + 1
    last = min(steps, int(to_steps(stop, dt)) if math.isfinite(stop) else steps)
    return rate, first, last


def draw_native(src: ResolvedSource, dt: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Events (indices, stamps sorted by (stamp, index)) of a native source, drawn with
    ``rng``: for backends (and the reference engine) that want explicit events."""
    lam = np.asarray(src.rate, float) * dt * 1e-3
    idx, st = _counts(lam, src.size, src.first_step, src.last_step, rng)
    order = np.lexsort((idx, st))
    return idx[order].astype(np.int64), st[order].astype(np.int64)


def native_out_degree(resolved: "ResolvedNetwork", label: str) -> np.ndarray:
    """Connections per neuron of source ``label`` over all projections."""
    deg = np.zeros(resolved.sources[label].size, np.int64)
    for p in resolved.projections:
        if p.pre == label and p.n:
            deg += np.bincount(p.pre_idx, minlength=len(deg))
    return deg


def native_sources(resolved: "ResolvedNetwork") -> dict[str, ResolvedSource]:
    """The native Poisson sources of ``resolved`` (label -> source)."""
    return {k: s for k, s in resolved.sources.items() if s.native}


def _poisson(src: PoissonSource, n, dt, steps, rng):
    """Counts per step ~ Poisson(rate dt) in the steps inside [start, stop]; drawn in chunks
    of steps so memory stays bounded."""
    rate, first, last = poisson_window(src, n, dt, steps)
    return _counts(rate * dt * 1e-3, n, first, last, rng)


def _counts(lam, n, first, last, rng):
    all_idx, all_st = [], []
    chunk = max(1, int(2e6 // max(n, 1)))  # 16 MB of counts at a time
    for s0 in range(first, last + 1, chunk):
        s1 = min(last + 1, s0 + chunk)
        counts = rng.poisson(lam, size=(s1 - s0, n))
        st, ix = np.nonzero(counts)
        mult = counts[st, ix]
        all_st.append(np.repeat(st + s0, mult))
        all_idx.append(np.repeat(ix, mult))
    if not all_idx:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(all_idx), np.concatenate(all_st)


# --- connectivity (hub/connectivity.py) --------------------------------------------------------
def _resolve_projection(proj, out: ResolvedNetwork, dt, seed, owned=None) -> ResolvedProjection:
    target = out.populations[proj.post].model
    if getattr(proj.connector, "native", False):
        return _native_projection(proj, target.weight_unit, dt)
    drawn = draw_projection(
        proj, out.size_of(proj.pre), out.size_of(proj.post), target.weight_unit, dt, seed, owned
    )
    return ResolvedProjection(
        proj.label,
        proj.pre,
        proj.post,
        drawn.pre,
        drawn.post,
        drawn.weight,
        np.maximum(1, to_steps(drawn.delay, dt)).astype(np.int64),
        proj.synapse.receptor,
        _resolve_rule(proj.synapse, target, dt),
    )


def _native_projection(proj, weight_unit: str, dt: float) -> ResolvedProjection:
    """A projection the backend draws itself: no arrays, the recipe in ``native``."""
    weight, delay = proj.connector.synapse_values(proj.synapse)
    empty = np.zeros(0, np.int64)
    return ResolvedProjection(
        proj.label,
        proj.pre,
        proj.post,
        empty,
        empty.copy(),
        np.zeros(0),
        empty.copy(),
        proj.synapse.receptor,
        None,
        native={
            "connector": proj.connector.to_dict(),
            "weight": _recipe(weight, weight_unit),
            "delay": _recipe(dt if delay is None else delay, "ms"),
        },
    )


def _recipe(value, unit: str):
    """A scalar in ``unit`` as a float, a distribution as its dict (canonical units)."""
    if isinstance(value, Distribution):
        return value.to_dict()
    return float(units.convert(value, unit))


def materialize_native(resolved: ResolvedNetwork) -> ResolvedNetwork:
    """``resolved`` with every native projection drawn by the hub (as ``resolve="hub"``
    would draw it): for backends without connection rules of their own."""
    if not any(p.native for p in resolved.projections):
        return resolved
    projections = []
    for p in resolved.projections:
        if p.native is None:
            projections.append(p)
            continue
        spec = dict(p.native["connector"])
        spec.pop("resolve", None)
        connector = CONNECTORS[spec.pop("kind")](**spec)
        weight, delay = (
            distribution_from_dict(v) if isinstance(v, dict) else v
            for v in (p.native["weight"], p.native["delay"])
        )
        recipe = _Recipe(p.label, p.pre, p.post, connector, Static(weight, delay, p.receptor))
        target = resolved.populations[p.post].model
        drawn = draw_projection(
            recipe,
            resolved.size_of(p.pre),
            resolved.size_of(p.post),
            target.weight_unit,
            resolved.dt,
            resolved.seed,
        )
        steps = np.maximum(1, to_steps(drawn.delay, resolved.dt)).astype(np.int64)
        projections.append(
            dataclasses.replace(
                p,
                pre_idx=drawn.pre,
                post_idx=drawn.post,
                weight=drawn.weight,
                delay_steps=steps,
                native=None,
            )
        )
    return dataclasses.replace(resolved, projections=projections)


@dataclass
class _Recipe:
    """The parts of a projection :func:`hub.connectivity.draw_projection` reads."""

    label: str
    pre: str
    post: str
    connector: object
    synapse: object


def _resolve_rule(syn, target, dt) -> ResolvedRule | None:
    if not isinstance(syn, Plastic):
        return None
    rule = syn.rule
    params = rule_values(rule, target.weight_unit, "rule", [])  # validated already
    delay = rule.modulator_delay
    delay_steps = 1 if delay is None else max(1, int(to_steps(units.convert(delay, "ms"), dt)))
    return ResolvedRule(rule, params, rule.modulator, delay_steps, getattr(rule, "teacher", None))

"""Incremental runs: ``hub.Simulation`` runs one network in segments.

    sim = hub.Simulation(net, backend="nest")
    sim.run(200.0)                              # ms
    sim.set("exc", i_offset=0.35)               # from t = 200 ms on
    sim.run(200.0)
    r = sim.results()                           # 0 .. 400 ms

The hub keeps the time grid: a segment ends on a step, and a change made between segments
applies to the integration steps from that boundary on (the first step of the next
segment), on every backend (``ResolvedNetwork.changes``, feature ``change:parameters``).
State variables keep their values across a change.  Between segments a spike source can
get new values (``set("input", rate=...)``, ``set("stim", times=[...])``: spikes emitted so
far stay), and injections and state or spike recordings can be added
(``sim.network.inject``/``record``): they act from the current time on (:mod:`hub.segments`).

Every segment is simulated from t = 0 with the changes made so far (the schedule is part of
the resolved network), so a run split into segments with nothing changed is one long run,
bit for bit, on any backend, and results can be read after any segment.  The cost of
segment k is the time simulated up to its end.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from .api import prepare, run_resolved
from .errors import Diagnostic, HubError, ValidationError
from .ir import units
from .ir.network import Network, Population
from .ir.random import Distribution
from .ir.validation import diagnose
from .progress import check as check_progress
from .resolve import (
    ParameterChange,
    check_duration,
    resolve,
    resolve_population,
    stream,
    to_steps,
)
from .segments import source_in_windows, start_injections, trim_late_probes


class Simulation:
    """One network, one backend, run in segments (module docstring).

    ``options`` and ``progress`` (a bar or a callback for every segment's run) as in
    :func:`hub.run`; everything is checked here, before any simulator is touched."""

    def __init__(self, network: Network, backend: str = "nest", progress=None, **options):
        if not isinstance(network, Network):
            raise HubError(f"network: {network!r} is not a hub.Network")
        check_progress(progress)
        network.validate()
        self.pm, self.implementation, self.options = prepare(network, backend, options)
        self.network, self.backend, self.progress = network, backend, progress
        self.dt = float(units.convert(network.dt, "ms"))
        # a network without a seed draws once: every segment repeats the same draws
        self.seed = (
            int(network.seed)
            if network.seed is not None
            else int(np.random.SeedSequence().generate_state(1)[0])
        )
        self.step = 0
        self.changes: list[ParameterChange] = []
        self._results = None
        self._structure: tuple | None = None
        self._params: dict[str, dict[str, np.ndarray]] = {}  # values in force, per population
        self._sources: dict[str, list] = {}  # source label -> [(from stamp, model)]
        self._probe_first: list[int] = []  # stamp each probe was added at
        self._injection_first: list[int] = []

    @property
    def t(self) -> float:
        """Time simulated so far (ms)."""
        return self.step * self.dt

    # --- running ----------------------------------------------------------------------------
    def run(self, duration) -> float:
        """Simulate ``duration`` more ms (rounded to whole steps); return the new time."""
        steps = int(to_steps(check_duration(duration, self.dt), self.dt))
        return self._advance(self.step + steps)

    def run_until(self, time) -> float:
        """Simulate up to ``time`` ms (rounded to a step); return the new time."""
        try:
            value = float(units.convert(time, "ms"))
        except (units.UnitError, TypeError, ValueError):
            raise HubError(f"run_until: {time!r} is not a time in ms") from None
        target = int(to_steps(value, self.dt)) if math.isfinite(value) else -1
        if target <= self.step:
            raise HubError(
                f"run_until: {time!r} ms is not after the current time {self.t:g} ms; "
                "give a later time"
            )
        return self._advance(target)

    def _advance(self, target: int) -> float:
        self._check_structure()
        net = self.network
        self._probe_first += [self.step] * (len(net.probes) - len(self._probe_first))
        self._injection_first += [self.step] * (len(net.injections) - len(self._injection_first))
        t0 = time.perf_counter()
        resolved = resolve(net, target * self.dt, seed=self.seed)
        resolved.changes = list(self.changes)
        for label, plan in self._sources.items():
            resolved.sources[label] = source_in_windows(
                net.population(label), plan, self.dt, target, self.seed
            )
        start_injections(resolved, self._injection_first)
        resolve_s = time.perf_counter() - t0
        results = run_resolved(
            self.pm, self.backend, self.implementation, resolved, self.options, self.progress
        )
        results.timings["resolve_s"] = resolve_s
        trim_late_probes(results, resolved, self._probe_first)
        results.provenance["segments_steps"] = self._segments(target)
        self.step, self._results = target, results
        return self.t

    def _segments(self, target: int) -> list[int]:
        starts = [s for plan in self._sources.values() for s, _ in plan[1:]]
        return sorted({c.step for c in self.changes if c.step} | set(starts) | {target})

    def _check_structure(self):
        """Populations, projections and synapse recordings are fixed by the first segment;
        injections and recordings may only be added (at the end of the lists)."""
        net = self.network
        now = (
            tuple((p.label, p.size, id(p.model)) for p in net.populations),
            tuple(id(p) for p in net.projections),
            len(net.synapse_probes),
        )
        if self._structure is None:
            self._structure = now
        shrunk = len(net.probes) < len(self._probe_first) or len(net.injections) < len(
            self._injection_first
        )
        if now != self._structure or shrunk:
            raise HubError(
                "network: populations, projections or synapse recordings were changed, or "
                f"recordings or injections removed, after the simulation started (t = {self.t:g} "
                "ms); only net.inject and net.record may be added between segments (start a "
                "new hub.Simulation for other changes)"
            )

    # --- changes ----------------------------------------------------------------------------
    def set(self, population, indices=None, **values) -> None:
        """New values of neuron parameters of ``population`` (a Population or its label),
        for the neurons ``indices`` (default: all), from the current time on; for a spike
        source, new values of its fields (module docstring).

        Values are scalars, per-neuron arrays (one per index) or Distributions (drawn from
        the simulation's seed), in the hub's units or as quantities (``"10 ms"``).  The new
        parameter set is validated like a network's before it is accepted."""
        label = self._population_label(population)
        pop = self.network.population(label)
        if not values:
            raise HubError(
                f"set: no parameter given for {label!r}; e.g. set({label!r}, i_offset=0.5)"
            )
        if pop.is_source:
            return self._set_source(pop, indices, values)
        idx = self._indices(label, pop.size, indices)
        current = self._current_params(pop)
        names = {p.name: p for p in pop.model.parameters}
        changed = {}
        for name, value in values.items():
            if name not in names:
                raise HubError(
                    f"set: {pop.model.label} has no parameter {name!r}; "
                    f"its parameters: {', '.join(sorted(names))}"
                )
            changed[name] = self._draw(label, name, value, names[name].unit, len(idx))
        trial = {k: v.copy() for k, v in current.items()}
        for name, value in changed.items():
            trial[name][idx] = value
        self._validate(pop, trial)
        self._params[label] = trial
        self.changes.append(ParameterChange(self.step, label, idx, changed))

    def _population_label(self, population) -> str:
        label = population.label if isinstance(population, Population) else population
        if isinstance(population, Population) and not any(
            p is population for p in self.network.populations
        ):
            raise HubError(f"set: population {label!r} belongs to another Network")
        try:
            self.network.population(label)
        except (KeyError, TypeError):
            raise HubError(
                f"set: no population {label!r} in the network; use one of "
                f"{[p.label for p in self.network.populations]}"
            ) from None
        return label

    def _set_source(self, pop, indices, values) -> None:
        """A spike source's new definition from the current time on (spikes emitted up to
        now stay): the values replace fields of its model (``rate``, ``times``, ...)."""
        label, model = pop.label, pop.model
        if indices is not None:
            raise HubError(
                f"set: {label!r} is a spike source; its new values apply to the whole "
                "source (give per-neuron values, e.g. one list of times per neuron)"
            )
        if getattr(model, "native", False):
            raise HubError(
                f"set: {label!r} draws its spikes in the backend (resolve='native'); use "
                "resolve='hub' to change it between segments"
            )
        plan = self._sources.setdefault(label, [(0, model)])
        fields = {f.name for f in dataclasses.fields(model)} - {"resolve"}
        unknown = sorted(set(values) - fields)
        if unknown:
            raise HubError(
                f"set: {model.kind} {label!r} has no field {unknown[0]!r}; "
                f"its fields: {', '.join(sorted(fields))}"
            )
        new = dataclasses.replace(plan[-1][1], **values)
        self._check_model(pop, new)
        plan.append((self.step, new))

    def _indices(self, label, size, indices) -> np.ndarray:
        if indices is None:
            return np.arange(size, dtype=np.int64)
        idx = np.atleast_1d(np.asarray(indices))
        if idx.dtype == bool and idx.shape == (size,):
            return np.flatnonzero(idx).astype(np.int64)
        if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
            raise HubError(f"set: indices of {label!r} must be integers or a mask of size {size}")
        if len(idx) and (idx.min() < 0 or idx.max() >= size):
            raise HubError(f"set: indices of {label!r} must lie in [0, {size - 1}]")
        if len(np.unique(idx)) != len(idx):
            raise HubError(f"set: indices of {label!r} repeat a neuron; give each once")
        return idx.astype(np.int64)

    def _draw(self, label, name, value, unit, n) -> np.ndarray:
        if isinstance(value, Distribution):
            rng = stream(self.seed, label, "change", len(self.changes), name)
            return value.draw(rng, n).astype(float)
        try:
            arr = np.asarray(units.convert(value, unit), dtype=float)
        except (units.UnitError, TypeError, ValueError) as exc:
            raise HubError(f"set: {name}={value!r}: {exc}; give a number in {unit}") from None
        if arr.ndim == 0:
            return np.full(n, float(arr))
        if arr.shape != (n,):
            raise HubError(
                f"set: {name} has {arr.size} values for {n} neurons; give one value or one per "
                "neuron"
            )
        return arr.copy()

    def _current_params(self, pop) -> dict[str, np.ndarray]:
        if pop.label not in self._params:
            self._params[pop.label] = resolve_population(pop, self.seed).params
        return self._params[pop.label]

    def _validate(self, pop, params: dict[str, np.ndarray]) -> None:
        """Check the parameter set as a network would be checked (ranges, relations)."""
        self._check_model(
            pop, type(pop.model)(**{**pop.model.values, **pop.model.option_values, **params})
        )

    def _check_model(self, pop, model) -> None:
        """``model`` in place of ``pop``'s, checked as a network's population would be; the
        diagnostics are located at ``set(<label>)``."""
        trial = Network(dt=self.dt)
        trial.add_population(pop.size, model, label=pop.label)
        problems = [
            Diagnostic(d.location.replace("populations[0]", "set"), d.message, d.fix)
            for d in diagnose(trial)
        ]
        if problems:
            raise ValidationError(problems)

    # --- results ----------------------------------------------------------------------------
    def results(self):
        """:class:`hub.Results` of the run so far (0 .. t)."""
        if self._results is None:
            raise HubError("results: nothing has run yet; call run(duration) first")
        return self._results


__all__ = ["Simulation"]

"""What a run in segments changes in a resolved network and its results (used by
:class:`hub.Simulation`); pure data in, pure data out.

* A spike source changed at stamp S keeps the events it had up to S (emitted by S dt) and
  takes those after S from its new definition: each window (S_i, S_i+1] is resolved from
  its own model, the first from the network's seed (so an unchanged source is the one of
  one long run), the others from a stream keyed by the source and S_i.
* An injection added at stamp A acts from integration step A on: its changes before A are
  moved to A (the last one in force wins, as for changes with one stamp).
* A probe added at stamp A reports samples and spikes after A only.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .ir.network import Population
from .resolve import ResolvedNetwork, ResolvedSource, resolve_source, stream
from .results import Results, SpikeTrains


def source_in_windows(
    pop: Population, plan: list[tuple[int, object]], dt: float, steps: int, seed: int
) -> ResolvedSource:
    """The resolved source whose model is ``plan[i][1]`` for the stamps after ``plan[i][0]``
    (up to the next entry's stamp, the last up to ``steps``)."""
    idx_parts, stamp_parts = [], []
    for i, (start, model) in enumerate(plan):
        end = plan[i + 1][0] if i + 1 < len(plan) else steps
        if end <= start:
            continue
        window_seed = (
            seed if i == 0 else int(stream(seed, pop.label, "window", start).integers(2**62))
        )
        src = resolve_source(Population(pop.label, pop.size, model, {}), dt, end, window_seed)
        keep = (src.stamps > start) & (src.stamps <= end)
        idx_parts.append(src.indices[keep])
        stamp_parts.append(src.stamps[keep])
    idx = np.concatenate(idx_parts) if idx_parts else np.zeros(0, np.int64)
    stamps = np.concatenate(stamp_parts) if stamp_parts else np.zeros(0, np.int64)
    order = np.lexsort((idx, stamps))
    return ResolvedSource(pop.label, pop.size, idx[order], stamps[order])


def start_injections(resolved: ResolvedNetwork, added_at: list[int]) -> None:
    """Injection k of ``resolved`` acts from integration step ``added_at[k]`` on."""
    for inj, first in zip(resolved.injections, added_at):
        if first:
            inj.stamps = np.maximum(np.asarray(inj.stamps, np.int64), first)


def trim_late_probes(results: Results, resolved: ResolvedNetwork, added_at: list[int]) -> None:
    """Drop what probes added at stamp A > 0 (``added_at``, one per probe of ``resolved``)
    report before they were added: samples at stamps < A (the sample at A, the state at the
    time the probe was added, stays), and spikes at stamps <= A (emitted by then) of neurons
    no earlier probe recorded."""
    early: dict[str, list[np.ndarray]] = {}
    late: dict[str, list[tuple[np.ndarray, int]]] = {}
    for probe, first in zip(resolved.probes, added_at):
        if probe.variable != "spikes":
            if first:
                _trim_signal(results, (probe.population, probe.variable), first, resolved.dt)
        elif first:
            late.setdefault(probe.population, []).append((np.asarray(probe.indices), first))
        else:
            early.setdefault(probe.population, []).append(np.asarray(probe.indices))
    for label, parts in late.items():
        trains = results.spike_trains.get(label)
        if trains is None:
            continue
        kept = np.concatenate(early[label]) if label in early else np.zeros(0, np.int64)
        first_stamp = np.full(trains.size, np.iinfo(np.int64).max)
        for indices, first in parts:
            first_stamp[indices] = np.minimum(first_stamp[indices], first)
        first_stamp[kept] = 0
        keep = trains.stamps > first_stamp[trains.indices]
        results.spike_trains[label] = SpikeTrains(
            trains.size, trains.indices[keep], trains.stamps[keep], trains.dt
        )


def _trim_signal(results: Results, key, first: int, dt: float) -> None:
    sig = results.signals.get(key)
    if sig is None:
        return
    rows = np.rint(sig.times / dt).astype(np.int64) >= first
    results.signals[key] = dataclasses.replace(sig, times=sig.times[rows], values=sig.values[rows])


__all__ = ["source_in_windows", "start_injections", "trim_late_probes"]

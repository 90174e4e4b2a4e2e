"""Backend-neutral results: spikes per population, sampled signals, timings, provenance.

Spike times are kept as integer stamps on the dt grid (time = stamp * dt, the end of the
step in which the threshold was crossed), so equality between backends is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(eq=False)
class SpikeTrains:
    """Spikes of one population: ``indices[k]`` fired at ``stamps[k] * dt`` ms.
    Sorted by (stamp, index).  ``a == b`` is exact equality of every spike."""

    size: int
    indices: np.ndarray
    stamps: np.ndarray
    dt: float

    def __post_init__(self):
        idx, st = np.asarray(self.indices, np.int64), np.asarray(self.stamps, np.int64)
        order = np.lexsort((idx, st))
        self.indices, self.stamps = idx[order], st[order]

    @property
    def times(self) -> np.ndarray:
        return self.stamps * self.dt

    def __len__(self):
        return len(self.stamps)

    def __eq__(self, other):
        return (
            isinstance(other, SpikeTrains)
            and self.size == other.size
            and self.dt == other.dt
            and np.array_equal(self.indices, other.indices)
            and np.array_equal(self.stamps, other.stamps)
        )

    def per_neuron(self) -> list[np.ndarray]:
        """Spike times (ms) of each neuron."""
        order = np.argsort(self.indices, kind="stable")
        cuts = np.searchsorted(self.indices[order], np.arange(1, self.size))
        return np.split(self.times[order], cuts)

    def to_source(self):
        """These spikes as a :class:`hub.SpikeTimes` source (one train per neuron, times
        ``stamp * dt`` ms, which the hub stamps back to the same steps)."""
        from .ir.sources import SpikeTimes

        return SpikeTimes([list(t) for t in self.per_neuron()])

    def counts(self) -> np.ndarray:
        return np.bincount(self.indices, minlength=self.size)

    def rate(self, duration_ms: float) -> float:
        """Mean firing rate per neuron in Hz: ``1000 n / (N T)`` for n spikes of N neurons in
        T ms (computed in that order, so 205 spikes of 50 neurons in 200 ms give 20.5)."""
        return len(self) * 1000.0 / (self.size * duration_ms)

    def __repr__(self):
        return f"SpikeTrains({len(self)} spikes, {self.size} neurons)"


@dataclass(eq=False)
class Signal:
    """A sampled state variable: ``values[k, j]`` is neuron ``indices[j]`` at ``times[k]`` ms
    (the state at the end of the step ending at that time)."""

    variable: str
    unit: str
    times: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    def __repr__(self):
        return f"Signal({self.variable} [{self.unit}], {self.values.shape})"


@dataclass(eq=False)
class Results:
    """What a run produced, whatever the backend."""

    spike_trains: dict[str, SpikeTrains] = field(default_factory=dict)
    signals: dict[tuple[str, str], Signal] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    #: final state of plastic synapses: (projection, variable) -> one value per synapse
    #: (resolved connection order; weights in the hub's unit and sign)
    synapse_state: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    #: synapse state sampled during the run: (projection, variable) -> Signal whose
    #: ``indices`` are synapse positions
    synapse_signals: dict[tuple[str, str], Signal] = field(default_factory=dict)

    def spikes(self, population: str) -> SpikeTrains:
        try:
            return self.spike_trains[population]
        except KeyError:
            from .errors import HubError

            raise HubError(
                f"population: no spikes recorded for {population!r}; recorded: "
                f"{sorted(self.spike_trains)} (use net.record(pop, 'spikes'))"
            )

    def signal(self, population: str, variable: str) -> Signal:
        try:
            return self.signals[(population, variable)]
        except KeyError:
            from .errors import HubError

            raise HubError(
                f"signal: {population}.{variable} was not recorded; recorded: "
                f"{sorted('.'.join(k) for k in self.signals)}"
            )

    def weights(self, projection: str) -> np.ndarray:
        """Final weight of every synapse of a plastic ``projection`` (after the last
        presynaptic spike of the run, docs/learning.md)."""
        return self.final_state(projection, "weight")

    def final_state(self, projection: str, variable: str) -> np.ndarray:
        try:
            return self.synapse_state[(projection, variable)]
        except KeyError:
            from .errors import HubError

            raise HubError(
                f"projection: no final {variable!r} for {projection!r}; available: "
                f"{sorted('.'.join(k) for k in self.synapse_state)} (only plastic "
                "projections report synapse state)"
            )

    def synapse_signal(self, projection: str, variable: str = "weight") -> Signal:
        try:
            return self.synapse_signals[(projection, variable)]
        except KeyError:
            from .errors import HubError

            raise HubError(
                f"synapse_signal: {projection}.{variable} was not recorded; recorded: "
                f"{sorted('.'.join(k) for k in self.synapse_signals)} "
                "(use net.record(projection, 'weight', interval=...))"
            )

    @property
    def backend(self) -> str:
        return self.provenance.get("backend", "")

    def __repr__(self):
        parts = [f"{k}: {len(st)} spikes" for k, st in self.spike_trains.items()]
        parts += [f"{p}.{v} {s.values.shape}" for (p, v), s in self.signals.items()]
        parts += [f"{p}.{v} {s.values.shape}" for (p, v), s in self.synapse_signals.items()]
        dur = self.provenance.get("duration")
        run = ", ".join(x for x in (self.backend, f"{dur:g} ms" if dur else "") if x)
        return f"Results({run}; {'; '.join(parts) or 'nothing recorded'})"

    # --- export -------------------------------------------------------------------------
    def to_neo(self):
        """A :class:`neo.Block` with one Segment: SpikeTrains (annotated with population and
        index) and one AnalogSignal per recorded variable."""
        import neo
        import quantities as pq

        t_stop = self.provenance.get("duration", 0.0)
        block = neo.Block(
            name=self.provenance.get("label", ""),
            **{f"hub_{k}": str(v) for k, v in self.provenance.items()},
        )
        seg = neo.Segment(name=f"run on {self.backend}")
        block.segments.append(seg)
        for label, st in self.spike_trains.items():
            for i, times in enumerate(st.per_neuron()):
                seg.spiketrains.append(
                    neo.SpikeTrain(
                        times * pq.ms,
                        t_stop=t_stop * pq.ms,
                        name=f"{label}[{i}]",
                        population=label,
                        index=i,
                    )
                )
        for (label, var), sig in self.signals.items():
            if not len(sig.times):
                continue
            step = (
                sig.times[1] - sig.times[0]
                if len(sig.times) > 1
                else self.provenance.get("dt", 0.1)
            )
            unit = {"nA": pq.nA, "uS": pq.uS, "mV": pq.mV, "mV/ms": pq.mV / pq.ms}.get(
                sig.unit, pq.dimensionless
            )
            seg.analogsignals.append(
                neo.AnalogSignal(
                    sig.values,
                    units=unit,
                    t_start=sig.times[0] * pq.ms,
                    sampling_period=step * pq.ms,
                    name=f"{label}.{var}",
                    population=label,
                    variable=var,
                    channel_index=sig.indices,
                )
            )
        return block

    def save(self, path) -> str:
        """Write to ``path`` (``.npz``) atomically: no half-written result files."""
        arrays: dict[str, np.ndarray] = {}
        meta: dict[str, Any] = {
            "timings": self.timings,
            "provenance": self.provenance,
            "spikes": {},
            "signals": [],
            "extra": self.extra,
        }
        for k, (label, st) in enumerate(self.spike_trains.items()):
            arrays[f"s{k}_i"], arrays[f"s{k}_t"] = st.indices, st.stamps
            meta["spikes"][label] = {"key": f"s{k}", "size": st.size, "dt": st.dt}
        for k, ((label, var), sig) in enumerate(self.signals.items()):
            arrays[f"g{k}_t"], arrays[f"g{k}_i"], arrays[f"g{k}_v"] = (
                sig.times,
                sig.indices,
                sig.values,
            )
            meta["signals"].append(
                {"key": f"g{k}", "population": label, "variable": var, "unit": sig.unit}
            )
        meta["synapse_signals"], meta["synapse_state"] = [], []
        for k, ((label, var), sig) in enumerate(self.synapse_signals.items()):
            arrays[f"w{k}_t"], arrays[f"w{k}_i"], arrays[f"w{k}_v"] = (
                sig.times,
                sig.indices,
                sig.values,
            )
            meta["synapse_signals"].append(
                {"key": f"w{k}", "projection": label, "variable": var, "unit": sig.unit}
            )
        for k, ((label, var), values) in enumerate(self.synapse_state.items()):
            arrays[f"f{k}"] = values
            meta["synapse_state"].append({"key": f"f{k}", "projection": label, "variable": var})
        from .ir.io import write_document

        return write_document(path, "__results__", meta, arrays)

    @classmethod
    def load(cls, path) -> "Results":
        """Read a file written by :meth:`save`.  A file that is not one, or whose spikes
        name neurons or stamps outside their population and run, is a HubError."""
        from .ir.io import read_document

        with read_document(
            path,
            "__results__",
            "an snn-hub results file",
            "write it with Results.save(path)",
            members=r"(s\d+_[it]|[gw]\d+_[tiv]|f\d+)",
        ) as (meta, f):
            parts = (meta["timings"], meta["provenance"], meta.get("extra", {}), meta["spikes"])
            if not all(isinstance(part, dict) for part in parts):
                raise TypeError("timings, provenance, extra and spikes must be mappings")
            for name in ("duration", "dt"):  # what rates and times are computed from
                value = meta["provenance"].get(name)
                if value is not None and (
                    isinstance(value, bool)
                    or not isinstance(value, (int, float))
                    or not 0 <= value < float("inf")
                ):
                    raise TypeError(f"provenance {name} {value!r} is not a time in ms")
            res = cls(
                timings=meta["timings"], provenance=meta["provenance"], extra=meta.get("extra", {})
            )
            for label, m in meta["spikes"].items():
                _check_size(path, label, m["size"])
                trains = SpikeTrains(m["size"], f[m["key"] + "_i"], f[m["key"] + "_t"], m["dt"])
                _check_trains(path, label, trains)
                res.spike_trains[label] = trains
            for m in meta["signals"]:
                k = m["key"]
                res.signals[(m["population"], m["variable"])] = Signal(
                    m["variable"], m["unit"], f[k + "_t"], f[k + "_i"], f[k + "_v"]
                )
            for m in meta.get("synapse_signals", []):
                k = m["key"]
                res.synapse_signals[(m["projection"], m["variable"])] = Signal(
                    m["variable"], m["unit"], f[k + "_t"], f[k + "_i"], f[k + "_v"]
                )
            for m in meta.get("synapse_state", []):
                res.synapse_state[(m["projection"], m["variable"])] = f[m["key"]]
        return res

    def summary(self) -> dict:
        dur = self.provenance.get("duration", 0.0)
        return {
            label: {"spikes": len(st), "rate_hz": st.rate(dur) if dur else 0.0}
            for label, st in self.spike_trains.items()
        }

    # --- looking at a run ---------------------------------------------------------------
    def plot(self, kinds=None, populations=None, *, path=None, **options):
        """A figure of this run (needs matplotlib): ``kinds`` any of ``"raster"`` (one panel
        per recorded population), ``"traces"`` (one per recorded signal) and ``"rates"``
        (population rates in ``bin_ms`` bins), default every kind that was recorded;
        ``populations`` limits the panels to those labels; ``path`` saves it.  Options:
        ``max_neurons`` (raster, 500), ``max_traces`` (5), ``bin_ms`` (5.0), ``dpi``.
        Returns the :class:`matplotlib.figure.Figure` (docs/results.md)."""
        from .figures import plot_results

        return plot_results(self, kinds, populations, path=path, **options)

    def _repr_html_(self) -> str:
        """A compact table for notebooks: per population its neurons, spikes, rate and the
        recorded variables; then synapse recordings and timings."""
        return results_html(self)


def results_html(results: Results) -> str:
    """The HTML of :meth:`Results._repr_html_` (numbers as ``summary()`` gives them)."""
    from html import escape

    prov = results.provenance
    dur = prov.get("duration") or 0.0
    head = ", ".join(
        x
        for x in (
            f"on {escape(str(prov['backend']))}" if prov.get("backend") else "",
            f"{dur:g} ms" if dur else "",
            f"dt = {prov['dt']:g} ms" if prov.get("dt") else "",
            f"seed {prov['seed']}" if prov.get("seed") is not None else "",
        )
        if x
    )
    recorded: dict[str, list[str]] = {}
    for label in results.spike_trains:
        recorded.setdefault(label, []).append("spikes")
    for (label, var), sig in results.signals.items():
        recorded.setdefault(label, []).append(
            f"{var} [{sig.unit}]: {len(sig.indices)} neurons x {len(sig.times)} samples"
        )
    rows = []
    for label, what in recorded.items():
        st: SpikeTrains | None = results.spike_trains.get(label)
        size = st.size if st is not None else ""
        spikes = len(st) if st is not None else ""
        rate = f"{st.rate(dur):.2f}" if st is not None and dur else ""
        cells = [label, size, spikes, rate, "; ".join(what)]
        rows.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    table = (
        "<table><thead><tr><th>population</th><th>neurons</th><th>spikes</th>"
        "<th>rate (Hz)</th><th>recorded</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    extra = [
        f"{proj}.{var} [{sig.unit}]: {len(sig.indices)} synapses x {len(sig.times)} samples"
        for (proj, var), sig in results.synapse_signals.items()
    ] + [
        f"final {proj}.{var}: {np.size(v)} synapses"
        for (proj, var), v in results.synapse_state.items()
    ]
    timings = ", ".join(f"{k.removesuffix('_s')} {v:.3g} s" for k, v in results.timings.items())
    parts = [f"<p><b>Results</b> {escape(head)}</p>", table]
    if extra:
        parts.append("<p>synapses: " + escape("; ".join(extra)) + "</p>")
    if timings:
        parts.append("<p>timings: " + escape(timings) + "</p>")
    return "<div>" + "".join(parts) + "</div>"


# --------------------------------------------------------------------------------------------
# assembly: the parts of a Results that every backend must build the same way
# --------------------------------------------------------------------------------------------
def spike_probe_indices(resolved) -> dict[str, np.ndarray]:
    """Which neurons' spikes to return, per population or source label: the sorted union of
    the ``indices`` of every spike probe on it.  A backend may record more; it returns these."""
    wanted: dict[str, list[np.ndarray]] = {}
    for probe in resolved.probes:
        if probe.variable == "spikes":
            wanted.setdefault(probe.population, []).append(np.asarray(probe.indices, np.int64))
    return {label: np.unique(np.concatenate(parts)) for label, parts in wanted.items()}


def assemble_spikes(resolved, population_spikes) -> dict[str, SpikeTrains]:
    """The spike trains of a run, as every backend returns them.

    ``population_spikes(label) -> (neurons, stamps)`` gives the spikes a backend recorded in
    population ``label`` (population-local indices, integer stamps; any superset of the
    probed neurons).  Spikes after ``resolved.steps`` are dropped.  A source's spikes are its
    resolved trains, so they are identical on every backend by construction.
    """
    out = {}
    for label, wanted in spike_probe_indices(resolved).items():
        if label in resolved.sources:
            src = resolved.sources[label]
            size, neurons, stamps = src.size, src.indices, src.stamps
        else:
            size = resolved.populations[label].size
            neurons, stamps = population_spikes(label)
        neurons = np.asarray(neurons, np.int64)
        stamps = np.asarray(stamps, np.int64)
        keep = np.isin(neurons, wanted) & (stamps <= resolved.steps)
        out[label] = SpikeTrains(size, neurons[keep], stamps[keep], resolved.dt)
    return out


def sampled_signal(resolved, probe, unit: str, values) -> Signal:
    """A state probe's :class:`Signal`: ``values[k, j]`` is neuron ``probe.indices[j]`` at
    stamp ``probe.sample_stamps(resolved.steps)[k]``."""
    times = probe.sample_stamps(resolved.steps) * resolved.dt
    values = np.ascontiguousarray(values, dtype=float)
    if values.shape != (len(times), len(probe.indices)):
        from .errors import BackendError

        raise BackendError(
            f"{getattr(probe, 'population', getattr(probe, 'projection', '?'))}."
            f"{probe.variable}: {values.shape} samples, expected "
            f"{(len(times), len(probe.indices))}"
        )
    return Signal(probe.variable, unit, times, np.asarray(probe.indices), values)


def check_finite(results: "Results", backend: str) -> None:
    """Raise a :class:`~hub.errors.BackendError` when a recorded state variable or a plastic
    synapse's state holds NaN or an infinity: the simulation diverged.  Names the backend,
    the population (or projection), the variable, the first neuron and the first time (ms)
    at which a value stopped being finite.  Only recorded values are checked (one pass over
    them): a variable that is not recorded can diverge unseen."""
    from .errors import BackendError

    kinds = (("population", results.signals), ("projection", results.synapse_signals))
    for what, signals in kinds:
        for (label, variable), sig in signals.items():
            values = np.asarray(sig.values)
            if values.size == 0 or np.isfinite(values).all():
                continue
            k, j = np.argwhere(~np.isfinite(values))[0]
            index = "neuron" if what == "population" else "synapse"
            raise BackendError(
                f"backend {backend!r}: {what} {label!r} diverged: {variable} = "
                f"{values[k, j]} at t = {sig.times[k]:g} ms ({index} {int(sig.indices[j])}); "
                "the dynamics ran away for these parameters (look for weights, currents or "
                "conductances far outside the model's usual range)"
            )
    for (label, variable), values in results.synapse_state.items():
        values = np.asarray(values, dtype=float)
        if values.size and not np.isfinite(values).all():
            j = int(np.flatnonzero(~np.isfinite(values))[0])
            raise BackendError(
                f"backend {backend!r}: projection {label!r} diverged: final {variable} of "
                f"synapse {j} is {values[j]}; the learning rule's parameters let it run away"
            )


#: the largest population a results file may declare (a guard against altered files)
MAX_NEURONS = 10**9


def _check_size(path, label: str, size) -> None:
    """A results file's population size must be a count up to MAX_NEURONS."""
    from .errors import Diagnostic, ValidationError

    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_NEURONS:
        raise ValidationError(
            Diagnostic(
                f"{path}: spikes of {label!r}",
                f"population size {size!r} is not a count up to {MAX_NEURONS:g}",
                "the file was altered; write it again with Results.save",
            )
        )


def _check_trains(path, label: str, trains: SpikeTrains) -> None:
    """A results file's spikes must name neurons of their population and stamps >= 1."""
    from .errors import Diagnostic, ValidationError

    dt = trains.dt
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not 0 < dt < float("inf"):
        raise ValidationError(
            Diagnostic(
                f"{path}: spikes of {label!r}.dt",
                f"{dt!r} is not a time step in ms",
                "the file was altered; write it again with Results.save",
            )
        )
    if len(trains) and (
        trains.indices.min() < 0 or trains.indices.max() >= trains.size or trains.stamps.min() < 1
    ):
        raise ValidationError(
            Diagnostic(
                f"{path}: spikes of {label!r}",
                f"neuron indices in [{trains.indices.min()}, {trains.indices.max()}] for "
                f"{trains.size} neurons, stamps from {trains.stamps.min()}",
                "the file was altered; write it again with Results.save",
            )
        )

"""A resolved network built with one PyNN simulator module: build, run in chunks, read results.

Each PyNN module keeps one global network per process, so a session starts with
``sim.setup`` (which clears the module's previous network) and ends with ``sim.end``; a
session whose network was replaced by a newer one refuses to run.  Every exception of PyNN
or the simulator is re-raised as a :class:`hub.BackendError` naming the stage.

Times: the session works in the hub's integer stamps and converts at the edge with the
module's :class:`~hub_pynn.simulators.Timing` (sources, currents, recorded spikes); samples
are taken from PyNN's signals at the times ``stamp * dt`` the probes ask for (PyNN's first
sample, at t = 0, is the initial state and is never returned).  ``setup`` gets
``min_delay = dt`` and a ``max_delay`` covering the longest resolved delay.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
from hub.backend import Session
from hub.errors import BackendError, CapabilityError, HubError
from hub.results import Results, Signal, assemble_spikes, sampled_signal
from hub.translate import translate, uniform_or_array

from .inputs import layers
from .models import PyNNModel

#: run() calls per run with a progress callback
CHUNKS = 20


#: NEST's notes that PyNN 0.13 (pyNN.nest) still calls SetStatus and GetStatus: about
#: PyNN's code, never the user's model (NEST says each once per process, as a UserWarning)
PYNN_INTERNAL_WARNINGS = (r"\s*SetStatus\(\) is deprecated", r"\s*GetStatus\(\) is deprecated")


@contextlib.contextmanager
def pynn_errors(backend: str, stage: str):
    """Re-raise anything PyNN or its simulator throws as a BackendError naming the stage;
    keep the warnings PyNN's own calls provoke (:data:`PYNN_INTERNAL_WARNINGS`) from the
    user."""
    try:
        with warnings.catch_warnings():
            for message in PYNN_INTERNAL_WARNINGS:
                warnings.filterwarnings("ignore", message=message, category=UserWarning)
            yield
    except HubError:
        raise
    except Exception as exc:
        raise BackendError(
            f"{backend}: PyNN failed while {stage}: {type(exc).__name__}: {exc}"
        ) from exc


class PyNNSession(Session):
    """One resolved network in one PyNN module (see the module docstring)."""

    #: the live session of each PyNN module (its global state holds one network)
    _active: dict[str, "PyNNSession"] = {}

    def __init__(self, resolved, simulator, tables: dict[str, PyNNModel]):
        self.resolved, self.simulator, self.tables = resolved, simulator, tables
        self.name = simulator.backend
        self.timing = simulator.timing
        self.sim = simulator.load()
        self.pops: dict[str, object] = {}
        self.source_layers: dict[str, list] = {}  # label -> [(SourceLayer, PyNN population)]
        self.recorded: dict[str, dict] = {}  # label -> {"spikes": bool, "vars": {...}, ...}
        self._results = None
        with pynn_errors(self.name, "building the network"):
            self._setup()
            PyNNSession._active[simulator.module] = self
            self._create_populations()
            self._create_sources()
            self._connect()
            self._inject()
            self._record()

    # --- build ------------------------------------------------------------------------------
    def _setup(self):
        r = self.resolved
        longest = max((int(p.delay_steps.max()) for p in r.projections if p.n), default=1)
        if self.simulator.module == "pyNN.brian2":
            # pyNN.brian2 makes its SpikeGeneratorGroups on Brian2's default clock (0.1 ms),
            # not on the network's: at another dt their pathways ran on 0.1 ms steps, and
            # Brian2 warned about it (synapses_dt_mismatch) on every run
            import brian2

            brian2.defaultclock.dt = r.dt * brian2.ms
        self.sim.setup(
            timestep=r.dt,
            min_delay=r.dt,
            max_delay=(longest + 1) * r.dt,
            **self.simulator.setup,
        )

    def _check_model(self, label: str, pop, table: PyNNModel):
        """Parameters and state the cell type cannot take are a CapabilityError."""
        problems = []
        for name, value in table.fixed.items():
            bad = pop.params[name] != value
            if np.any(bad):
                problems.append(
                    f"{pop.model.label}: {name} = {float(pop.params[name][bad][0]):g} in "
                    f"{label!r}, but PyNN's {table.cell_type} has {name} = {value:g} built in "
                    f"(set {name}={value:g})"
                )
        for name in self.simulator.uniform:
            values = pop.params.get(name)
            if values is not None and len(values) and np.any(values != values[0]):
                problems.append(
                    f"{pop.model.label}: {name} varies between the neurons of {label!r} "
                    f"({float(values.min()):g} to {float(values.max()):g}); "
                    f"{self.simulator.module} takes one {name} per population (split the "
                    "population, or use another backend)"
                )
        for name in table.zero_state:
            if np.any(pop.initial[name] != 0):
                problems.append(
                    f"{pop.model.label}: initial {name} != 0 in {label!r} (PyNN's "
                    f"{table.cell_type} starts it at 0)"
                )
        if problems:
            raise CapabilityError(self.name, problems)

    def _create_populations(self):
        for label, pop in self.resolved.populations.items():
            table = self.tables[pop.model.label]
            self._check_model(label, pop, table)
            params = uniform_or_array(translate(table.params, pop.params))
            cell = getattr(self.sim, table.cell_type)(**params)
            population = self.sim.Population(pop.size, cell, label=label)
            initial = translate(table.initial, {**pop.params, **pop.initial})
            population.initialize(**uniform_or_array(initial))
            self.pops[label] = population

    def _create_sources(self):
        from pyNN.parameters import Sequence

        dt, lead = self.resolved.dt, self.timing.source_lead
        for label, src in self.resolved.sources.items():
            made = []
            for layer in layers(src, self.timing.first_stamp):
                times = [Sequence(t) for t in layer.times(dt, lead)]
                cell = self.sim.SpikeSourceArray(spike_times=times)
                made.append(
                    (layer, self.sim.Population(src.size, cell, label=f"{label}#{layer.copy}"))
                )
            self.source_layers[label] = made

    def _pre_populations(self, proj):
        """(population, neurons it sends for, delay shift) for the presynaptic side."""
        if proj.pre in self.pops:
            return [(self.pops[proj.pre], None, 0)]
        return [(pop, layer.neurons, layer.shift) for layer, pop in self.source_layers[proj.pre]]

    def _connect(self):
        dt = self.resolved.dt
        for proj in self.resolved.projections:
            if not proj.n:
                continue
            post = self.pops[proj.post]
            for pre, senders, shift in self._pre_populations(proj):
                keep = np.ones(proj.n, bool) if senders is None else np.isin(proj.pre_idx, senders)
                if not keep.any():
                    continue
                delays = proj.delay_steps[keep] - shift
                if (delays < 1).any():
                    raise CapabilityError(
                        self.name,
                        [
                            f"spike source {proj.pre!r}: a spike at t = {shift * dt:g} ms and "
                            f"earlier over projection {proj.label!r} with a delay of "
                            f"{int(proj.delay_steps[keep].min())} step(s): "
                            f"{self.simulator.module} cannot deliver it on time (start the "
                            f"source after {shift * dt:g} ms or use delays > {shift * dt:g} ms)"
                        ],
                    )
                table = np.column_stack(
                    [proj.pre_idx[keep], proj.post_idx[keep], proj.weight[keep], delays * dt]
                )
                self.sim.Projection(
                    pre,
                    post,
                    self.sim.FromListConnector(table, column_names=["weight", "delay"]),
                    self.sim.StaticSynapse(),
                    receptor_type=proj.receptor,
                    label=f"{proj.label}#{pre.label}",
                )

    def _inject(self):
        """One StepCurrentSource per resolved injection, injected into its neurons."""
        dt, lead = self.resolved.dt, self.timing.current_lead
        for inj in self.resolved.injections:
            times = (np.asarray(inj.stamps, float) - lead) * dt
            source = self.sim.StepCurrentSource(
                times=times.tolist(), amplitudes=np.asarray(inj.amplitudes, float).tolist()
            )
            target = self.pops[inj.target]
            uniq = np.unique(inj.indices)
            counts = np.bincount(np.asarray(inj.indices, np.int64), minlength=target.size)
            if (counts[uniq] > 1).any():
                raise CapabilityError(
                    self.name, [f"an injection into {inj.target!r} names a neuron twice"]
                )
            source.inject_into(target if len(uniq) == target.size else target[uniq.tolist()])

    def _record(self):
        for probe in self.resolved.probes:
            if probe.population in self.resolved.sources:
                continue  # source spikes come from the resolved trains
            rec = self.recorded.setdefault(
                probe.population, {"spikes": False, "vars": {}, "interval": 0}
            )
            if probe.variable == "spikes":
                rec["spikes"] = True
                continue
            table = self.tables[self.resolved.populations[probe.population].model.label]
            rec["vars"][probe.variable] = table.record[probe.variable]
            every = 1 if self.simulator.sample_every_step else int(probe.interval_steps)
            rec["interval"] = math.gcd(rec["interval"], every)
        for label, rec in self.recorded.items():
            pop = self.pops[label]
            if rec["spikes"]:
                pop.record("spikes")
            if rec["vars"]:
                pop.record(
                    [rule.dst for rule in rec["vars"].values()],
                    sampling_interval=rec["interval"] * self.resolved.dt,
                )

    # --- run --------------------------------------------------------------------------------
    def _check_active(self):
        if PyNNSession._active.get(self.simulator.module) is not self:
            raise BackendError(
                f"this {self.name} session is stale: a newer session replaced the network "
                f"of {self.simulator.module} (PyNN holds one network per process)"
            )

    def run(self, progress=None) -> None:
        """Simulate ``resolved.steps`` steps, in :data:`CHUNKS` calls with a progress bar."""
        self._check_active()
        steps, dt = self.resolved.steps, self.resolved.dt
        chunk = max(1, math.ceil(steps / CHUNKS)) if progress is not None else steps
        with pynn_errors(self.name, "running"):
            done = 0
            while done < steps:
                n = min(chunk, steps - done)
                self.sim.run_until((done + n) * dt)
                done += n
                if progress is not None:
                    progress(done / steps)

    # --- results ----------------------------------------------------------------------------
    def results(self) -> Results:
        if self._results is None:
            self._check_active()
            with pynn_errors(self.name, "reading results"):
                data = {
                    label: self.pops[label].get_data(clear=False).segments[0]
                    for label in self.recorded
                }
                self._results = Results(
                    spike_trains=assemble_spikes(self.resolved, lambda lb: self._spikes(data[lb])),
                    signals=self._signals(data),
                    provenance={"pynn": self._provenance()},
                )
        return self._results

    def _stamps(self, times_ms) -> np.ndarray:
        """Stamps of recorded spike times (the end of the step, plus the module's shift)."""
        steps = np.round(np.asarray(times_ms, float) / self.resolved.dt, 6)
        return np.ceil(steps).astype(np.int64) + self.timing.spike_shift

    def _spikes(self, segment):
        neurons, stamps = [], []
        for k, train in enumerate(segment.spiketrains):
            index = train.annotations.get("source_index", k)
            st = self._stamps(np.asarray(train.rescale("ms").magnitude))
            neurons.append(np.full(len(st), int(index), np.int64))
            stamps.append(st)
        if not neurons:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(neurons), np.concatenate(stamps)

    def _signals(self, data) -> dict[tuple[str, str], Signal]:
        r, dt = self.resolved, self.resolved.dt
        out = {}
        for probe in r.probes:
            if probe.variable == "spikes" or probe.population in r.sources:
                continue
            rule = self.recorded[probe.population]["vars"][probe.variable]
            sig = _signal(data[probe.population], rule.dst)
            stamps = np.rint(np.asarray(sig.times.rescale("ms").magnitude) / dt).astype(np.int64)
            wanted = probe.sample_stamps(r.steps)
            rows = np.searchsorted(stamps, wanted)
            if (rows >= len(stamps)).any() or not np.array_equal(stamps[rows], wanted):
                raise BackendError(
                    f"{self.name}: {probe.population}.{probe.variable} was sampled at stamps "
                    f"{stamps[:5].tolist()}..., the probe needs {wanted[:5].tolist()}..."
                )
            channels = np.asarray(
                sig.array_annotations.get("channel_index", np.arange(sig.shape[1]))
            )
            cols = _columns(channels, probe.indices, f"{probe.population}.{probe.variable}")
            values = rule.reverse(np.asarray(sig.magnitude)[rows][:, cols])
            unit = r.populations[probe.population].model.recordable_names()[probe.variable]
            out[(probe.population, probe.variable)] = sampled_signal(r, probe, unit, values)
        return out

    def _provenance(self) -> dict:
        return {
            "module": self.simulator.module,
            "cell_types": {
                label: self.tables[pop.model.label].cell_type
                for label, pop in self.resolved.populations.items()
            },
            "integration": self.simulator.integration,
            "source_layers": {k: len(v) for k, v in self.source_layers.items()},
        }

    def close(self) -> None:
        """End the module's simulation if this session still owns it."""
        if PyNNSession._active.get(self.simulator.module) is self:
            with pynn_errors(self.name, "closing"):
                self.sim.end()
            del PyNNSession._active[self.simulator.module]


def _signal(segment, name: str):
    """The AnalogSignal called ``name`` in a Neo segment."""
    for sig in segment.analogsignals:
        if sig.name == name:
            return sig
    raise BackendError(
        f"PyNN returned no signal {name!r}; got {[s.name for s in segment.analogsignals]}"
    )


def _columns(channels: np.ndarray, indices, what: str) -> np.ndarray:
    """Positions of neurons ``indices`` among a signal's ``channels``."""
    order = np.argsort(channels)
    pos = np.searchsorted(channels[order], indices)
    if (pos >= len(channels)).any() or not np.array_equal(channels[order][pos], indices):
        raise BackendError(f"{what}: PyNN recorded neurons {channels[:10].tolist()}...")
    return order[pos]

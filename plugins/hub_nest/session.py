"""A resolved network built in the NEST kernel: build, run in chunks, read results.

NEST keeps one global kernel per process, so building a session resets it; a session whose
kernel was reset by a newer one refuses to run.  Every NEST exception is re-raised as a
:class:`hub.BackendError` (``raise ... from``).

Timing (measured, see tests/test_nest_backend.py): NEST stamps a spike in step k with
``k+1`` (the contract's stamp); a multimeter samples the state after step k at
``(k+1) dt``, and ``interval`` gives samples at ``interval, 2 interval, ...``; it hands its
data over only at the start of the next ``min_delay`` slice, so the run goes on for
``min_delay + 1`` extra steps whose samples and spikes are dropped.
"""
from __future__ import annotations

import contextlib
import math
import os

import numpy as np
from hub import BackendError, CapabilityError, HubError, Results, Session, Signal, SpikeTrains
from hub.translate import translate, uniform_or_array

from .inputs import generator_settings, plan_currents

#: Run() calls per run (progress granularity); more only where an I_e change needs one
CHUNKS = 20


def import_nest():
    """Import NEST quietly (no banner, errors only)."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    return nest


@contextlib.contextmanager
def nest_errors(stage: str):
    """Re-raise anything NEST throws as a BackendError naming the stage."""
    try:
        yield
    except HubError:
        raise
    except Exception as exc:
        raise BackendError(f"NEST failed while {stage}: {type(exc).__name__}: {exc}") from exc


class NestSession(Session):
    """One resolved network in the NEST kernel (see the module docstring)."""

    _active: "NestSession | None" = None

    def __init__(self, resolved, tables: dict, threads: int = 1):
        self.resolved, self.tables, self.threads = resolved, tables, threads
        self.nest = import_nest()
        self.nodes: dict[str, object] = {}
        self.base_current: dict[str, np.ndarray] = {}  # I_e (pA) before injections
        self.spike_recorders: dict[str, object] = {}
        self.multimeters: list[tuple] = []
        self._results = None
        with nest_errors("building the network"):
            self._reset_kernel()
            NestSession._active = self
            self._create_populations()
            self._create_sources()
            self._connect()
            self._inject()
            self._record()

    # --- build ------------------------------------------------------------------------------
    def _reset_kernel(self):
        nest, dt = self.nest, self.resolved.dt
        nest.ResetKernel()
        if abs(dt * 1000.0 - round(dt * 1000.0)) > 1e-9 * dt * 1000.0:
            raise BackendError(f"dt={dt} ms is not a multiple of NEST's 1 us tic; use a dt "
                               "with at most three decimals in ms")
        nest.set(resolution=dt, local_num_threads=self.threads, print_time=False)

    def _create_populations(self):
        for label, pop in self.resolved.populations.items():
            table = self.tables[pop.model.label]
            nonzero = [s for s in table.zero_state if np.any(pop.initial[s] != 0)]
            if nonzero:
                raise CapabilityError("nest", [f"initial {s} != 0 for {pop.model.label} "
                                               f"({table.nest_model} cannot set it)"
                                               for s in nonzero])
            params = translate(table.params, pop.params)
            self.base_current[label] = params["I_e"]
            nodes = self.nest.Create(table.nest_model, pop.size,
                                     params={**uniform_or_array(params), **table.fixed})
            nodes.set(uniform_or_array(translate(table.initial, {**pop.params, **pop.initial})))
            self.nodes[label] = nodes

    def _create_sources(self):
        for label, src in self.resolved.sources.items():
            gens = self.nest.Create("spike_generator", src.size)
            gens.set(generator_settings(src.indices, src.stamps, src.size, self.resolved.dt))
            self.nodes[label] = gens

    def _gids(self, label: str, idx: np.ndarray) -> np.ndarray:
        """NEST node ids of neurons ``idx`` of population ``label`` (one Create: contiguous)."""
        return self.nodes[label][0].global_id + np.asarray(idx, np.int64)

    def _connect(self):
        dt = self.resolved.dt
        for proj in self.resolved.projections:
            if not proj.n:
                continue
            table = self.tables[self.resolved.populations[proj.post].model.label]
            sign = table.inhibitory_sign if proj.receptor == "inhibitory" else 1.0
            self.nest.Connect(self._gids(proj.pre, proj.pre_idx),
                              self._gids(proj.post, proj.post_idx), "one_to_one",
                              syn_spec={"synapse_model": "static_synapse",
                                        "weight": proj.weight * (table.weight_scale * sign),
                                        "delay": proj.delay_steps * dt})

    def _inject(self):
        r = self.resolved
        delays = [int(p.delay_steps.min()) for p in r.projections if p.n]
        sizes = {label: pop.size for label, pop in r.populations.items()}
        self.plan = plan_currents(r.injections, sizes, min(delays, default=1), r.dt)
        self._set_bias(0)
        for gen in self.plan.generators:
            dev = self.nest.Create("step_current_generator",
                                   params={"amplitude_times": gen.times,
                                           "amplitude_values": gen.amplitudes})
            n = len(gen.indices)
            self.nest.Connect(np.full(n, dev.global_id), self._gids(gen.target, gen.indices),
                              "one_to_one",
                              syn_spec={"weight": np.ones(n),
                                        "delay": np.full(n, self.plan.delay_steps * r.dt)})

    def _set_bias(self, step: int):
        """Set I_e = i_offset + the injected current in force from integration step ``step``."""
        for label, extra in self.plan.bias.get(step, {}).items():
            self.nodes[label].set(uniform_or_array({"I_e": self.base_current[label] + extra}))

    def _record(self):
        r = self.resolved
        spike_idx: dict[str, list] = {}
        for probe in r.probes:
            if probe.variable == "spikes":
                spike_idx.setdefault(probe.population, []).append(probe.indices)
                continue
            table = self.tables[r.populations[probe.population].model.label]
            nest_var, factor = table.record[probe.variable]
            uniq = np.unique(probe.indices)
            mm = self.nest.Create("multimeter", params={"interval": probe.interval_steps * r.dt,
                                                        "record_from": [nest_var]})
            self.nest.Connect(mm, self.nodes[probe.population][uniq.tolist()])
            self.multimeters.append((probe, mm, nest_var, factor, uniq))
        for label, idx in spike_idx.items():
            if label in r.sources:
                continue
            uniq = np.unique(np.concatenate(idx))
            rec = self.nest.Create("spike_recorder")
            self.nest.Connect(self.nodes[label][uniq.tolist()], rec)
            self.spike_recorders[label] = (rec, uniq)

    # --- run --------------------------------------------------------------------------------
    def _check_kernel(self):
        if NestSession._active is not self:
            raise BackendError("this NEST session is stale: a newer session reset the NEST "
                               "kernel (NEST holds one network per process)")

    def run(self, progress=None) -> None:
        """Simulate ``resolved.steps`` steps in about :data:`CHUNKS` Run calls."""
        self._check_kernel()
        nest, steps, dt = self.nest, self.resolved.steps, self.resolved.dt
        chunk = max(1, math.ceil(steps / CHUNKS))
        edges = sorted({*range(0, steps, chunk), *(s for s in self.plan.bias if s < steps),
                        steps})
        with nest_errors("running"):
            nest.Prepare()
            try:
                for start, stop in zip(edges[:-1], edges[1:]):
                    if start:
                        self._set_bias(start)
                    nest.Run((stop - start) * dt)
                    if progress is not None:
                        progress(stop / steps)
                if self.multimeters:  # flush the multimeters' last slice (module docstring)
                    nest.Run((round(nest.min_delay / dt) + 1) * dt)
            finally:
                nest.Cleanup()

    # --- results ----------------------------------------------------------------------------
    def results(self) -> Results:
        if self._results is None:
            self._check_kernel()
            with nest_errors("reading results"):
                self._results = Results(spike_trains=self._spikes(), signals=self._signals(),
                                        provenance={"nest": self._provenance()})
        return self._results

    def _spikes(self) -> dict[str, SpikeTrains]:
        r, dt = self.resolved, self.resolved.dt
        out = {}
        for label, (rec, _) in self.spike_recorders.items():
            ev = rec.get("events")
            stamps = np.rint(np.asarray(ev["times"]) / dt).astype(np.int64)
            keep = stamps <= r.steps
            idx = np.asarray(ev["senders"], np.int64)[keep] - self.nodes[label][0].global_id
            out[label] = SpikeTrains(r.populations[label].size, idx, stamps[keep], dt)
        for probe in r.probes:
            if probe.variable == "spikes" and probe.population in r.sources:
                src = r.sources[probe.population]
                keep = np.isin(src.indices, probe.indices)
                out[probe.population] = SpikeTrains(src.size, src.indices[keep],
                                                    src.stamps[keep], dt)
        return out

    def _signals(self) -> dict[tuple[str, str], Signal]:
        r, dt = self.resolved, self.resolved.dt
        out = {}
        for probe, mm, nest_var, factor, uniq in self.multimeters:
            iv = probe.interval_steps
            n_samples = r.steps // iv
            ev = mm.get("events")
            stamps = np.rint(np.asarray(ev["times"]) / dt).astype(np.int64)
            keep = stamps <= r.steps
            rows = stamps[keep] // iv - 1
            cols = np.searchsorted(uniq, np.asarray(ev["senders"], np.int64)[keep]
                                   - self.nodes[probe.population][0].global_id)
            if len(rows) != n_samples * len(uniq):
                raise BackendError(f"multimeter on {probe.population}.{probe.variable} gave "
                                   f"{len(rows)} samples, expected {n_samples * len(uniq)}")
            values = np.empty((n_samples, len(uniq)))
            values[rows, cols] = np.asarray(ev[nest_var])[keep] * factor
            unit = r.populations[probe.population].model.recordable_names()[probe.variable]
            out[(probe.population, probe.variable)] = Signal(
                probe.variable, unit, np.arange(iv, r.steps + 1, iv) * dt, probe.indices,
                values[:, np.searchsorted(uniq, probe.indices)])
        return out

    def _provenance(self) -> dict:
        models = {label: self.tables[pop.model.label]
                  for label, pop in self.resolved.populations.items()}
        return {"threads": self.threads,
                "models": {label: t.nest_model for label, t in models.items()},
                "integrators": {label: t.integrator for label, t in models.items()},
                "current_generator_delay_steps": self.plan.delay_steps}

    def close(self) -> None:
        """Free the kernel's memory if this session still owns it."""
        if NestSession._active is self:
            with nest_errors("closing"):
                self.nest.ResetKernel()
            NestSession._active = None

"""A resolved network built in the NEST kernel: build, run in chunks, read results.

NEST keeps one global kernel per process, so building a session resets it; a session whose
kernel was reset by a newer one refuses to run.  Every NEST exception is re-raised as a
:class:`hub.BackendError` (``raise ... from``).

Timing (measured, see tests/test_nest_backend.py): NEST stamps a spike in step k with
``k+1`` (the contract's stamp); a multimeter samples the state after step k at
``(k+1) dt``, and ``interval`` gives samples at ``interval, 2 interval, ...``; it hands its
data over only at the start of the next ``min_delay`` slice, so the run goes on for
``min_delay + 1`` extra steps whose samples and spikes are dropped.

Plastic projections (plugins/hub_nest/plasticity.py): one copied synapse model per
projection; sources that feed a plastic synapse or a volume transmitter are
``spike_train_injector``s (a ``spike_generator`` cannot), which send a spike of multiplicity
m as m events, as the hub's rule book says.  NEST updates a synapse when it *delivers* a
presynaptic spike, at the start of the ``min_delay`` slice after the one the spike was
emitted in (measured), so the state after every presynaptic spike stamped <= T is read once
the run has reached T + 1 step, with T a multiple of ``min_delay``; when a read-out time is
not, one extra connection with a one-step delay makes ``min_delay`` one step.  Weights are
read in bulk from one ``SynapseCollection`` per projection, mapped to the hub's connection
order once after ``Prepare`` (by source, target, delay and initial weight).
"""

from __future__ import annotations

import contextlib
import math
import os
import re

import numpy as np
from hub import mpi
from hub.backend import Session
from hub.errors import BackendError, CapabilityError, HubError
from hub.results import Results, Signal, SpikeTrains, assemble_spikes, sampled_signal
from hub.ir.plasticity import state_unit
from hub.translate import translate, uniform_or_array

from . import distributed, modules, native
from . import plasticity as plastic
from .inputs import generator_settings, plan_currents
from .layout import Layout, populations_of

#: Run() calls per run (progress granularity); more only where an I_e change needs one
CHUNKS = 20


def import_nest():
    """Import NEST quietly (no banner, errors only)."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    return nest


@contextlib.contextmanager
def nest_errors(stage: str, context=None):
    """Re-raise anything NEST throws as a BackendError naming the stage; ``context(exc)``, if
    given, adds where it happened (the populations and the simulation time)."""
    try:
        yield
    except HubError:
        raise
    except Exception as exc:
        where = ""
        if context is not None:
            try:
                where = context(exc)
            except Exception:  # the kernel may be unusable after the error
                where = ""
        raise BackendError(
            f"NEST failed while {stage}{where}: {type(exc).__name__}: {exc}"
        ) from exc


def _has_parallel(proj) -> bool:
    """True if two connections of ``proj`` share source, target and delay."""
    if proj.n < 2:
        return False
    order = np.lexsort((proj.delay_steps, proj.post_idx, proj.pre_idx))
    same = [
        (a[order][1:] == a[order][:-1]) for a in (proj.pre_idx, proj.post_idx, proj.delay_steps)
    ]
    return bool((same[0] & same[1] & same[2]).any())


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
        self.plastic: dict[str, dict] = {}  # projection label -> model, connections, order
        self.sample_stamps: dict[str, set] = {}  # projection label -> read-out stamps
        self.samples: dict[str, dict] = {}  # projection label -> stamp -> state
        self.final: dict[str, dict] = {}  # projection label -> state at the end
        self._results = None
        self._pending_read = None  # the last read-out of plastic synapses, left to results()
        self._first_ids: dict[str, int] = {}
        self.native_plan = native.plan(resolved)  # native Poisson: label -> fast path?
        self.delay_shift: dict[str, int] = {}  # parrot relays of native sources
        self.bias_now: dict[str, np.ndarray] = {}  # injected current in force (pA)
        self.params_now: dict[str, dict] = {}  # hub parameters after changes
        self.changes_at: dict[int, list] = {}
        for change in resolved.changes:
            self.changes_at.setdefault(int(change.step), []).append(change)
        with distributed.together(), nest_errors("building the network", self._build_context):
            self._reset_kernel()
            NestSession._active = self
            processes = distributed.check_processes(self.nest)
            self.layout = Layout(populations_of(resolved), processes, self.threads)
            share = resolved.share
            if share is not None and share != self.layout.share(self.nest.Rank()):
                raise BackendError(
                    "NEST runs on several MPI processes but the network was resolved for "
                    "another share of the neurons: run it with hub.run (or resolve it with "
                    "share=backend.share(network, threads=...))"
                )
            self._create_populations()
            self._create_sources()
            self._connect()
            self._inject()
            self._record()
        # reading min_delay is a collective call inside NEST: only once every rank has built
        with distributed.together(), nest_errors("building the network", self._build_context):
            self._align_min_delay()

    # --- build ------------------------------------------------------------------------------
    def _reset_kernel(self):
        nest, dt = self.nest, self.resolved.dt
        nest.ResetKernel()
        if abs(dt * 1000.0 - round(dt * 1000.0)) > 1e-9 * dt * 1000.0:
            raise BackendError(
                f"dt={dt} ms is not a multiple of NEST's 1 us tic; use a dt "
                "with at most three decimals in ms"
            )
        nest.set(resolution=dt, local_num_threads=self.threads, print_time=False)
        for label in dict.fromkeys(p.model.label for p in self.resolved.populations.values()):
            module = self.tables[label].module
            if module is not None:  # a custom model's NESTML module (a reset forgets it)
                modules.install(nest, module)
        if self.native_plan:  # native Poisson sources draw with NEST's RNG: seed it
            nest.set(rng_seed=native.rng_seed(self.resolved.seed))

    def _create_populations(self):
        """One ``Create`` per block of adjacent populations of one model (layout.py), with
        every parameter and initial value in node-id order."""
        pops = self.resolved.populations
        for block in self.layout.blocks:
            table = self.tables[block.model]
            params, initial = [], []
            for label in block.labels:
                pop = pops[label]
                nonzero = [s for s in table.zero_state if np.any(pop.initial[s] != 0)]
                if nonzero:
                    raise CapabilityError(
                        "nest",
                        [
                            f"initial {s} != 0 for {pop.model.label} ({table.nest_model} "
                            "cannot set it)"
                            for s in nonzero
                        ],
                    )
                params.append(_sized(translate(table.params, pop.params), pop.size))
                initial.append(
                    _sized(translate(table.initial, {**pop.params, **pop.initial}), pop.size)
                )
                if "I_e" in params[-1]:  # (custom models have no I_e)
                    self.base_current[label] = params[-1]["I_e"]
            order = np.argsort(block.gid, kind="stable")  # node-id order -> block index
            values = _typed(uniform_or_array(_joined(params, order)), table.integers)
            if self.layout.processes == 1:  # NEST sets uniform parameters once, at Create
                nodes = self.nest.Create(
                    table.nest_model, block.size, params={**values, **table.fixed}
                )
            else:  # (a dictionary of arrays works only when every node is local)
                nodes = self.nest.Create(table.nest_model, block.size, params=dict(table.fixed))
                set_values(nodes, values)
            set_values(nodes, _typed(uniform_or_array(_joined(initial, order)), table.integers))
            for label, offset in zip(block.labels, block.offsets):
                size = pops[label].size
                if self.layout.identity:
                    self.nodes[label] = nodes[offset : offset + size]
                else:
                    gids = np.sort(self.layout.gids(label, np.arange(size)))
                    self.nodes[label] = self.nest.NodeCollection(gids.tolist())
        for label, params in plastic.post_settings(self.resolved.projections).items():
            if label in self.nodes:
                self.nodes[label].set(params)

    def _create_sources(self):
        r = self.resolved
        # a spike_generator can feed neither a plastic synapse nor a volume transmitter
        injected = {p.pre for p in r.projections if p.rule is not None} | {
            source
            for p in r.projections
            if p.rule is not None
            for source in (p.rule.modulator, p.rule.teacher)
            if source
        }
        for label, src in r.sources.items():
            if label in self.native_plan:  # fast path: connected in _connect
                if not self.native_plan[label]:
                    self.nodes[label], self.delay_shift[label] = native.create_general(
                        self.nest, src, r
                    )
                continue
            model = "spike_train_injector" if label in injected else "spike_generator"
            gens = self.nest.Create(model, src.size)
            gens.set(generator_settings(src.indices, src.stamps, src.size, r.dt))
            self.nodes[label] = gens

    def _gids(self, label: str, idx: np.ndarray) -> np.ndarray:
        """NEST node ids of neurons ``idx`` of population or source ``label`` (populations:
        layout.py; a source is one Create: contiguous)."""
        if label in self.layout.where:
            return self.layout.gids(label, idx)
        return self._first_id(label) + np.asarray(idx, np.int64)

    def _index(self, label: str, gids) -> np.ndarray:
        """Hub indices of the nodes ``gids`` of ``label`` (inverse of :meth:`_gids`)."""
        if label in self.layout.where:
            return self.layout.index(label, gids)
        return np.asarray(gids, np.int64) - self._first_id(label)

    def _first_id(self, label: str) -> int:
        """Node id of neuron 0 of ``label``, looked up once (each PyNEST ``global_id`` is a
        status call: ~14 ms on a 6,000-neuron population)."""
        if label not in self._first_ids:
            self._first_ids[label] = int(self.nodes[label][0].global_id)
        return self._first_ids[label]

    def _subset(self, label: str, uniq: np.ndarray):
        """The NodeCollection of neurons ``uniq`` (sorted, unique) of ``label``."""
        nodes = self.nodes[label]
        if len(uniq) == len(nodes):
            return nodes
        if label not in self.layout.where or self.layout.identity:
            return nodes[uniq.tolist()]
        return self.nest.NodeCollection(np.sort(self._gids(label, uniq)).tolist())

    def _connect(self):
        dt = self.resolved.dt
        for label, fast in self.native_plan.items():
            if fast:
                native.connect_direct(
                    self.nest, self.resolved.sources[label], self.resolved, self._gids, self.tables
                )
        for k, proj in enumerate(self.resolved.projections):
            if self.native_plan.get(proj.pre):
                continue
            table = self.tables[self.resolved.populations[proj.post].model.label]
            sign = table.inhibitory_sign if proj.receptor == "inhibitory" else 1.0
            if proj.native is not None:  # NEST's own rule draws it
                native.connect_rule(
                    self.nest,
                    proj,
                    self.nodes[proj.pre],
                    self.nodes[proj.post],
                    table.weight_scale * sign,
                )
                continue
            factor = table.weight_scale * sign  # hub weight -> NEST weight
            if proj.rule is not None:
                model = self._plastic_model(k, proj, table)
                factor = self.plastic[proj.label]["factor"]
            else:
                model = "static_synapse"
            if not proj.n:
                continue
            by_post = self.plastic.get(proj.label, {}).get("by_post")
            order = np.argsort(proj.post_idx, kind="stable") if by_post else slice(None)
            parts = (  # a rule with a teacher: one synapse model per postsynaptic neuron
                zip(
                    by_post.values(),
                    np.split(order, np.searchsorted(proj.post_idx[order], list(by_post))[1:]),
                )
                if by_post
                else [(model, order)]
            )
            for name, which in parts:
                self.nest.Connect(
                    self._gids(proj.pre, proj.pre_idx[which]),
                    self._gids(proj.post, proj.post_idx[which]),
                    "one_to_one",
                    syn_spec={
                        "synapse_model": name,
                        "weight": proj.weight[which] * factor,
                        "delay": (proj.delay_steps[which] - self.delay_shift.get(proj.pre, 0)) * dt,
                    },
                )

    def _plastic_model(self, k, proj, table) -> str:
        """A copy of the rule's NEST synapse model with the projection's parameters (and, for
        DopamineSTDP, its own volume transmitter fed by the modulator population)."""
        nest, dt = self.nest, self.resolved.dt
        sign = table.inhibitory_sign if proj.receptor == "inhibitory" else 1.0
        magnitude_sign = -1.0 if proj.receptor == "inhibitory" else 1.0
        name = f"hub_plastic_{k}"
        if proj.rule.kind == "CustomRule":  # a NESTML synapse of the target's module
            base, defaults = plastic.custom_synapse(proj.rule, table, magnitude_sign)
            self.plastic[proj.label] = {
                "model": name,
                "proj": proj,
                # the synapse keeps the magnitude and transmits it with the receptor's sign
                "factor": table.weight_scale * sign * magnitude_sign,
                "synapse_model": base,
            }
            if proj.rule.teacher:
                self.plastic[proj.label]["by_post"] = self._teacher_models(
                    name, base, defaults, proj
                )
            else:
                nest.CopyModel(base, name, defaults)
            return name
        defaults = plastic.synapse_defaults(proj.rule, table.weight_scale * magnitude_sign)
        defaults["weight"] = magnitude_sign  # NEST wants the default weight's sign = Wmax's
        if proj.rule.kind == "DopamineSTDP":
            vt = nest.Create(
                "volume_transmitter", params={"deliver_interval": self.resolved.steps + 2}
            )
            nest.Connect(
                self.nodes[proj.rule.modulator],
                vt,
                syn_spec={"delay": proj.rule.modulator_delay_steps * dt},
            )
            defaults["volume_transmitter"] = vt
        nest.CopyModel(plastic.synapse_model(proj.rule), name, defaults)
        self.plastic[proj.label] = {
            "model": name,
            "proj": proj,
            "factor": table.weight_scale * sign,
        }
        return name

    def _teacher_models(self, name: str, base: str, defaults: dict, proj) -> dict[int, str]:
        """The synapse models of a projection whose rule has a teacher, by postsynaptic
        neuron j (sorted): a copy of ``base`` whose volume transmitter receives the spikes
        of teacher neuron j (nestml_rules: the synapse's teacher port).  The connection to
        the volume transmitter has the projection's least delay (no delay of the network
        gets shorter), which the synapse takes off the spike's time; the volume
        transmitter's deliver_interval (in min_delays) exceeds the run, so it never
        delivers (the synapse would refuse: hub_nest.nestml_build.patch_teacher)."""
        nest, r = self.nest, self.resolved
        vt_steps = int(proj.delay_steps.min()) if proj.n else 1
        modulator = r.sources[proj.rule.teacher].size == 1  # one model for every j
        out = {}
        for j in np.unique(proj.post_idx).tolist():
            if modulator and out:
                out[j] = next(iter(out.values()))
                continue
            vt = nest.Create("volume_transmitter", params={"deliver_interval": r.steps + 3})
            nest.Connect(
                self._gids(proj.rule.teacher, np.array([0 if modulator else j])),
                vt,
                syn_spec={"delay": vt_steps * r.dt},
            )
            out[j] = f"{name}_t{j}"
            nest.CopyModel(
                base, out[j], {**defaults, **plastic.teacher_settings(vt, vt_steps * r.dt)}
            )
        return out

    def _align_min_delay(self):
        """Make min_delay one step if a plastic read-out time is not a multiple of it (module
        docstring), or if a rule reads the postsynaptic state (its synapse reads the neuron
        when the spike is delivered, which is at the spike's own step only then): one extra
        connection between two silent parrot neurons."""
        r = self.resolved
        if not self.plastic:
            return
        md = int(round(self.nest.min_delay / r.dt))
        reads = [r.steps] + [int(pr.interval_steps) for pr in r.synapse_probes]
        if md > 1 and (any(t % md for t in reads) or _reads_post_state(r)):
            parrots = self.nest.Create("parrot_neuron", 2)
            self.nest.Connect(parrots[0], parrots[1], syn_spec={"delay": r.dt})

    def _inject(self):
        r = self.resolved
        delays = [int(p.delay_steps.min()) for p in r.projections if p.n]
        delays += [native.least_delay_steps(p.native, r.dt) for p in r.projections if p.native]
        least = distributed.smallest(min(delays, default=None))  # of the whole network
        sizes = {label: pop.size for label, pop in r.populations.items()}
        self.plan = plan_currents(r.injections, sizes, 1 if least is None else least, r.dt)
        self._set_bias(0)
        for gen in self.plan.generators:
            if not len(gen.indices):  # an injection into no neurons changes nothing
                continue
            dev = self.nest.Create(
                "step_current_generator",
                params={"amplitude_times": gen.times, "amplitude_values": gen.amplitudes},
            )
            n = len(gen.indices)
            self.nest.Connect(
                np.full(n, dev.global_id),
                self._gids(gen.target, gen.indices),
                "one_to_one",
                syn_spec={"weight": np.ones(n), "delay": np.full(n, self.plan.delay_steps * r.dt)},
            )

    def _set_bias(self, step: int):
        """Set I_e = i_offset + the injected current in force from integration step ``step``."""
        for label, extra in self.plan.bias.get(step, {}).items():
            self.bias_now[label] = extra
            current = self.layout.in_node_order(label, self.base_current[label] + extra)
            set_values(self.nodes[label], uniform_or_array({"I_e": current}))

    def _apply_changes(self, step: int):
        """The parameter changes due at integration step ``step``: every translated parameter
        of the population is set again (NEST keeps V_m and, when E_L moves, the absolute
        V_th and V_reset it is given); I_e keeps the injected current in force."""
        for change in self.changes_at.get(step, ()):
            label = change.population
            params = self.params_now.setdefault(
                label,
                {k: v.copy() for k, v in self.resolved.populations[label].params.items()},
            )
            for name, values in change.values.items():
                params[name][change.indices] = values
            table = self.tables[self.resolved.populations[label].model.label]
            nest_params = translate(table.params, params)
            if table.shifted and self.layout.processes > 1:
                raise CapabilityError(
                    "nest",
                    [f"parameter changes of {label!r} (a model written as equations) under MPI"],
                )
            moved = {  # variables kept relative to a parameter keep their absolute value
                var: np.asarray(self.nodes[label].get(var), float)
                - (
                    self.layout.in_node_order(label, nest_params[ref])
                    - np.asarray(self.nodes[label].get(ref), float)
                )
                for var, ref in table.shifted.items()
            }
            if "I_e" in nest_params:  # (custom models have no I_e)
                self.base_current[label] = nest_params["I_e"]
                nest_params["I_e"] = nest_params["I_e"] + self.bias_now.get(label, 0.0)
            set_values(
                self.nodes[label],
                _typed(
                    uniform_or_array(
                        {k: self.layout.in_node_order(label, v) for k, v in nest_params.items()}
                    ),
                    table.integers,
                ),
            )
            if moved:
                set_values(self.nodes[label], moved)

    def _record(self):
        r = self.resolved
        spike_idx: dict[str, list] = {}
        for probe in r.probes:
            if probe.variable == "spikes":
                spike_idx.setdefault(probe.population, []).append(probe.indices)
                continue
            table = self.tables[r.populations[probe.population].model.label]
            rule = table.record[probe.variable]
            uniq = np.unique(probe.indices)
            mm = self.nest.Create(
                "multimeter",
                params={"interval": probe.interval_steps * r.dt, "record_from": [rule.dst]},
            )
            if uniq.size:  # a probe of no neurons: samples of width 0
                self.nest.Connect(mm, self._subset(probe.population, uniq))
            self.multimeters.append((probe, mm, rule, uniq))
        for label, idx in spike_idx.items():
            if label in r.sources:
                continue
            uniq = np.unique(np.concatenate(idx))
            rec = self.nest.Create("spike_recorder")
            if uniq.size:  # a probe of no neurons records nothing (NEST refuses to connect none)
                self.nest.Connect(self._subset(label, uniq), rec)
            self.spike_recorders[label] = (rec, uniq)

    # --- run --------------------------------------------------------------------------------
    def _check_kernel(self):
        if NestSession._active is not self:
            raise BackendError(
                "this NEST session is stale: a newer session reset the NEST "
                "kernel (NEST holds one network per process)"
            )

    def run(self, progress=None) -> None:
        """Simulate ``resolved.steps`` steps in about :data:`CHUNKS` Run calls, stopping where
        plastic synapses are read (one step after each read-out time)."""
        self._check_kernel()
        nest, steps, dt = self.nest, self.resolved.steps, self.resolved.dt
        # Run() calls: CHUNKS of them for a progress bar, else one per segment (the per-call
        # cost is small; the STDP benchmark's simulate time did not change measurably)
        # (under MPI the same Run calls on every rank, with or without a bar: Run is collective)
        chunked = progress is not None or self.layout.processes > 1
        chunk = max(1, math.ceil(steps / CHUNKS)) if chunked else max(1, steps)
        reads = self._read_points()
        changes = {s for s in self.changes_at if 0 < s < steps}
        edges = sorted(
            {
                *range(0, steps, chunk),
                *(s for s in self.plan.bias if s < steps),
                *changes,
                steps,
                *reads,
            }
        )
        end = steps + (round(nest.min_delay / dt) + 1 if self.multimeters else 0)
        with distributed.or_abort(), nest_errors("running", self._fault_context):
            self._apply_changes(0)
            nest.Prepare()
            try:
                self._map_synapses()
                for start, stop in zip(edges[:-1], edges[1:]):
                    if start:
                        self._set_bias(start)
                    if start in changes:  # NEST computes propagators in Prepare
                        nest.Cleanup()
                        self._apply_changes(start)
                        nest.Prepare()
                    nest.Run((stop - start) * dt)
                    if stop in reads and stop == edges[-1] and end <= stop:
                        self._pending_read = stop - 1  # nothing runs after: results() reads
                    elif stop in reads:
                        self._read_synapses(stop - 1)
                    if progress is not None:
                        progress(min(1.0, stop / steps))
                if end > edges[-1]:  # flush the multimeters' last slice (module docstring)
                    nest.Run((end - edges[-1]) * dt)
            finally:
                nest.Cleanup()

    def _build_context(self, exc) -> str:
        """The population of the node a NEST build error names ("node ID 7"): populations
        are created first, in order, from node ID 1."""
        match = re.search(r"node ID (\d+)", str(exc))
        layout = getattr(self, "layout", None)
        if match is None or layout is None:
            return ""
        node = int(match.group(1))
        for block in layout.blocks:
            if block.first <= node < block.first + block.size:
                for label in block.labels:
                    index = int(layout.index(label, [node])[0])
                    if 0 <= index < self.resolved.populations[label].size:
                        return f" (population {label!r}, neuron {index})"
        return ""

    def _fault_context(self, exc) -> str:
        """Where a NEST error during the run happened: the simulation time NEST reached and
        the populations of the NEST model the message names (all of them when none)."""
        t = float(self.nest.biological_time)
        text = str(exc)
        named = [
            label
            for label, pop in self.resolved.populations.items()
            if self.tables[pop.model.label].nest_model in text
        ]
        pops = named or list(self.resolved.populations)
        return f" at t = {t:g} ms (population {', '.join(map(repr, pops))})"

    # --- plastic synapses -------------------------------------------------------------------
    def _read_points(self) -> set[int]:
        """Run ends (steps) after which synapse state is read: T + 1 for each read-out T."""
        if not self.plastic:
            return set()
        r = self.resolved
        for pr in r.synapse_probes:
            self.sample_stamps.setdefault(pr.projection, set()).update(
                range(pr.interval_steps, r.steps + 1, pr.interval_steps)
            )
        self.samples = {label: {} for label in self.plastic}
        return {t + 1 for ts in self.sample_stamps.values() for t in ts} | {r.steps + 1}

    def _map_synapses(self):
        """After Prepare (NEST has sorted its connections): each projection's
        SynapseCollection.  The permutation NEST order -> hub order comes from the first
        read-out (source, target and delay name a connection; one ``get`` per read-out, which
        costs ~10 us per connection in PyNEST), except for projections with parallel
        connections of equal delay: only their initial weights tell them apart, so those are
        mapped here, before any weight changes."""
        for label, info in self.plastic.items():
            proj = info["proj"]
            if proj.n and _has_parallel(proj):
                conns = self._connections(info)
                self._set_order(info, conns.get(["source", "target", "delay", "weight"]), True)

    def _connections(self, info):
        """The projection's SynapseCollection, looked up at its first use (GetConnections of
        100,000 synapses took 21-35 ms here: not worth paying inside the run when only the
        final state is read)."""
        if "conns" not in info:
            if not info["proj"].n:
                info["conns"] = None
            elif "by_post" in info:
                models = dict.fromkeys(info["by_post"].values())  # a modulator's: one model
                info["conns"] = _Joined([self.nest.GetConnections(synapse_model=m) for m in models])
            else:
                info["conns"] = self.nest.GetConnections(synapse_model=info["model"])
        return info["conns"]

    def _set_order(self, info, got, with_weight: bool):
        proj, dt = info["proj"], self.resolved.dt
        # atleast_1d: NEST's get() of a single connection returns scalars
        nest_keys = [
            np.rint(np.atleast_1d(np.asarray(got["delay"], float)) / dt).astype(np.int64),
            np.atleast_1d(np.asarray(got["target"], np.int64)),
            np.atleast_1d(np.asarray(got["source"], np.int64)),
        ]
        hub_keys = [
            proj.delay_steps,
            self._gids(proj.post, proj.post_idx),
            self._gids(proj.pre, proj.pre_idx),
        ]
        if with_weight:
            nest_keys.insert(0, np.atleast_1d(np.asarray(got["weight"], float)))
            hub_keys.insert(0, proj.weight * info["factor"])
        on, oh = np.lexsort(nest_keys), np.lexsort(hub_keys)
        exact = nest_keys[1:] if with_weight else nest_keys
        if not all(
            np.array_equal(a[on], b[oh])
            for a, b in zip(exact, hub_keys[1:] if with_weight else hub_keys)
        ):
            raise BackendError(
                f"NEST's connections of {proj.label!r} do not match the resolved projection"
            )
        info.update(nest_order=on, hub_order=oh)

    def _state(self, info, variables) -> dict[str, np.ndarray]:
        """Current values of ``variables`` for every synapse, in the hub's order and units
        (one ``get`` call)."""
        proj = info["proj"]
        if self._connections(info) is None:
            return {v: np.zeros(0) for v in variables}
        keys = {plastic.STATE_KEYS[v][0] for v in variables}
        first = "nest_order" not in info
        if first:
            keys |= {"source", "target", "delay"}
        got = info["conns"].get(sorted(keys))
        if first:
            self._set_order(info, got, False)
        out = {}
        for v in variables:
            key, scaled = plastic.STATE_KEYS[v]
            raw = np.atleast_1d(np.asarray(got[key], float))
            values = np.empty(proj.n)
            values[info["hub_order"]] = raw[info["nest_order"]]
            out[v] = values / info["factor"] if scaled else values
        return out

    def _read_synapses(self, stamp: int):
        """Read the rule state of every plastic projection for the final state and/or the
        samples due at ``stamp``, in one ``get`` per projection."""
        r = self.resolved
        for label, info in self.plastic.items():
            final = list(info["proj"].rule.rule.state) if stamp == r.steps else []
            sampled = (
                sorted({pr.variable for pr in r.synapse_probes if pr.projection == label})
                if stamp in self.sample_stamps.get(label, ())
                else []
            )
            if not final and not sampled:
                continue
            state = self._state(info, sorted(set(final) | set(sampled)))
            if final:
                self.final[label] = {v: state[v] for v in final}
            if sampled:
                self.samples[label][stamp] = {v: state[v] for v in sampled}

    def _synapse_results(self, res: Results):
        r = self.resolved
        for label, state in self.final.items():
            proj = self.plastic[label]["proj"]
            whole = distributed.gather_synapses(proj.pre_idx, proj.post_idx, state)
            for var, values in whole.items():
                res.synapse_state[(label, var)] = values
        for pr in r.synapse_probes:
            stamps = pr.sample_stamps(r.steps)
            rows = [self.samples[pr.projection][int(t)][pr.variable][pr.indices] for t in stamps]
            proj = self.plastic[pr.projection]["proj"]
            unit = state_unit(
                proj.rule.rule, pr.variable, r.populations[proj.post].model.weight_unit
            )
            res.synapse_signals[(pr.projection, pr.variable)] = sampled_signal(
                r, pr, unit, np.asarray(rows).reshape(len(stamps), len(pr.indices))
            )

    # --- results ----------------------------------------------------------------------------
    def results(self) -> Results:
        if self._results is None:
            self._check_kernel()
            with nest_errors("reading results"):
                if self._pending_read is not None:
                    self._read_synapses(self._pending_read)
                    self._pending_read = None
                self._results = Results(
                    spike_trains=self._spikes(),
                    signals=self._signals(),
                    provenance={"nest": self._provenance()},
                )
                self._synapse_results(self._results)
        return self._results

    def _spikes(self) -> dict[str, SpikeTrains]:
        dt = self.resolved.dt

        def recorded(label):
            ev = distributed.events(self.spike_recorders[label][0], ("senders", "times"))
            return (
                self._index(label, ev["senders"]),
                np.rint(np.asarray(ev["times"]) / dt).astype(np.int64),
            )

        return assemble_spikes(self.resolved, recorded)

    def _signals(self) -> dict[tuple[str, str], Signal]:
        r, dt = self.resolved, self.resolved.dt
        out = {}
        for probe, mm, rule, uniq in self.multimeters:
            iv = probe.interval_steps
            n_samples = r.steps // iv
            ev = distributed.events(mm, ("senders", "times", rule.dst))
            stamps = np.rint(np.asarray(ev["times"]) / dt).astype(np.int64)
            keep = stamps <= r.steps
            rows = stamps[keep] // iv - 1
            cols = np.searchsorted(
                uniq, self._index(probe.population, np.asarray(ev["senders"], np.int64)[keep])
            )
            if len(rows) != n_samples * len(uniq):
                raise BackendError(
                    f"multimeter on {probe.population}.{probe.variable} gave "
                    f"{len(rows)} samples, expected {n_samples * len(uniq)}"
                )
            values = np.empty((n_samples, len(uniq)))
            stored = np.asarray(ev[rule.dst])[keep]
            if hasattr(rule, "reverse_for"):  # a custom model's: per-neuron constants
                back = np.empty(len(stored))
                for first, until, params in self._parameters_in_force(probe.population):
                    at = (stamps[keep] >= first) & (stamps[keep] < until)
                    if at.any():
                        back[at] = rule.reverse_for(stored[at], params, uniq[cols][at])
                values[rows, cols] = back
            else:
                values[rows, cols] = rule.reverse(stored)
            unit = r.populations[probe.population].model.recordable_names()[probe.variable]
            out[(probe.population, probe.variable)] = sampled_signal(
                r, probe, unit, values[:, np.searchsorted(uniq, probe.indices)]
            )
        return out

    def _parameters_in_force(self, label: str) -> list[tuple[int, int, dict]]:
        """(first stamp, stamp after the last, hub parameters) of population ``label`` over
        the run: a change at step S acts on the samples from stamp S + 1 on."""
        params = self.resolved.populations[label].params
        spans = [(0, params)]
        for step in sorted(self.changes_at):
            mine = [c for c in self.changes_at[step] if c.population == label]
            if not mine:
                continue
            params = {k: np.array(v, copy=True) for k, v in params.items()}
            for change in mine:
                for name, values in change.values.items():
                    params[name][change.indices] = values
            spans.append((step + 1, params))
        ends = [first for first, _ in spans[1:]] + [np.iinfo(np.int64).max]
        return [(first, end, p) for (first, p), end in zip(spans, ends)]

    def _provenance(self) -> dict:
        models = {
            label: self.tables[pop.model.label] for label, pop in self.resolved.populations.items()
        }
        return {
            "threads": self.threads,
            "processes": self.layout.processes,
            **distributed.rank_memory(),
            "models": {label: t.nest_model for label, t in models.items()},
            "synapse_models": {
                label: info.get("synapse_model") or plastic.synapse_model(info["proj"].rule)
                for label, info in self.plastic.items()
            },
            "integrators": {label: t.integrator for label, t in models.items()},
            "current_generator_delay_steps": self.plan.delay_steps,
        }

    def close(self) -> None:
        """Free the kernel's memory if this session still owns it."""
        if NestSession._active is self:
            with nest_errors("closing"):
                self.nest.ResetKernel()
            NestSession._active = None


def _sized(params: dict, n: int) -> dict[str, np.ndarray]:
    """Every value of ``params`` as an array of length ``n``."""
    return {k: np.broadcast_to(np.asarray(v, float), (n,)) for k, v in params.items()}


def _typed(values: dict, integers) -> dict:
    """``values`` with the entries named in ``integers`` as integers (NEST refuses a double
    for an integer parameter)."""
    if not integers:
        return values
    out = dict(values)
    for k in integers:
        if k in out:
            v = out[k]
            out[k] = np.asarray(v).astype(np.int64) if np.ndim(v) else int(v)
    return out


def _joined(per_population: list[dict], order: np.ndarray) -> dict[str, np.ndarray]:
    """The populations' arrays concatenated (hub order) and put in node-id order (``order``:
    block index of each node, by node id)."""
    return {k: np.concatenate([p[k] for p in per_population])[order] for k in per_population[0]}


def _numbers(v) -> np.ndarray:
    """An array of doubles, or of integers if it holds integers (NEST tells them apart)."""
    v = np.asarray(v)
    return v if v.dtype.kind in "iu" else v.astype(float)


def set_values(nodes, values: dict) -> None:
    """``nodes.set(values)`` where a value may be an array over the nodes (node-id order).
    Arrays go as one dictionary per node, which NEST applies on the rank that holds the node
    (a dictionary of arrays works only when every node is local, i.e. without MPI)."""
    arrays = {k: _numbers(v) for k, v in values.items() if np.ndim(v)}
    if not arrays or mpi.size() == 1:
        nodes.set(values)  # scalars, or one process: PyNEST's own path
        return
    # one call, scalars in every dictionary: NEST checks each call's values together
    # (V_reset < V_th), so the values must not be split across calls
    scalars = {k: v for k, v in values.items() if not np.ndim(v)}
    columns = [(k, v.tolist()) for k, v in arrays.items()]
    nodes.set([{**scalars, **{k: v[i] for k, v in columns}} for i in range(len(nodes))])


class _Joined:
    """The SynapseCollections of one projection's several synapse models, read as one
    (``get`` of a list of keys: the values of each, concatenated in order)."""

    def __init__(self, parts):
        self.parts = parts

    def get(self, keys):
        got = [part.get(keys) for part in self.parts]
        return {k: np.concatenate([np.atleast_1d(g[k]) for g in got]) for k in keys}


def _reads_post_state(resolved) -> bool:
    """Whether a rule written as statements reads the postsynaptic state (``post_state``)."""
    return any(
        getattr(getattr(p.rule.rule, "definition", None), "post_state", None)
        for p in resolved.projections
        if p.rule is not None and p.rule.kind == "CustomRule"
    )

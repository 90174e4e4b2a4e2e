"""One Brian2 run of a resolved network (a fresh ``Network`` per session).

Time (docs/semantics.md, sections 1-3): Brian2 step n integrates from n dt to (n+1) dt,
like NEST step n; a spike in Brian2 step n is NEST's stamp n+1.  The schedule is
``start, groups, synapses, thresholds, resets, end``:

* ``groups``: the model's update (membrane with the state at the start of the step, decay);
* ``synapses``: every spike arriving in this step adds ``w`` (``w*m`` for a source spike of
  multiplicity m) to a per-receptor buffer of its target;
* ``after_synapses``: each buffer is added to the state once, then zeroed (NEST's ring
  buffer: a step's input is summed before it is added);
* ``thresholds`` / ``resets``.

A spike stamped s with delay D steps must be added in step s+D-1.  Brian2 pushes a spike of
step s-1 into the queue in the ``synapses`` slot of step s, so the Brian2 delay is D-1.
A spike source's event stamped s fires in Brian2 step s-1 (``relay.py``).  Several spikes of
one source neuron in one step are one event of multiplicity m (NEST adds weight * m once):
neuron i's events of the l-th distinct multiplicity fire relay neuron i*L + l, whose synapses
carry w * m_l; the relay indices keep NEST's order of senders within a step.

State is sampled at the start of steps iv, 2 iv, ... (= the end of the previous step, after
threshold and reset) plus the final state, i.e. at times iv dt, 2 iv dt, ..., duration.
"""

from __future__ import annotations

import os
import re

import numpy as np

from hub.backend import Session
from hub.errors import BackendError, CapabilityError, HubError
from hub.results import Results
import hub.propagators as P
from hub.results import assemble_spikes, sampled_signal

from . import compiled, native, plastic_build, relay, standalone
from .changes import ParameterSchedule
from .context import BuildContext, b2_name, make_clock, monitor_samples
from .environment import configure, functions, import_brian2
from .models import Context

__all__ = ["SCHEDULE", "Brian2Session", "import_brian2"]

SCHEDULE = ["start", "groups", "synapses", "thresholds", "resets", "end"]


class Brian2Session(Session):
    """One network on Brian2.  Built in ``__init__``: ``ctx`` (the :class:`BuildContext`
    shared with relay.py, plastic_build.py and native.py: clock, groups, spans, models),
    ``params`` (per population: the values its table computed), ``relay`` (or None),
    ``plastic``, ``state_monitors`` / ``spike_monitors``, ``net``; ``hot_runners`` and
    ``structure`` (the code objects compiled with codegen="cython", the key of the cache)."""

    def __init__(
        self,
        resolved,
        tables,
        codegen="numpy",
        substeps=None,
        cache_dir=None,
        nest_order=True,
        jobs=1,
        standalone_root=None,
    ):
        self.resolved = resolved
        self.nest_order = nest_order
        self.tables = tables
        self.codegen = codegen
        self.substeps = dict(substeps or {})
        self.hot_runners, self.structure = [], []
        #: codegen="standalone": Brian2's C++ standalone device (standalone.py), active from
        #: here until the run's results are read (or the session is closed)
        self.standalone_root = standalone_root or standalone.default_root()
        make_jobs, self.requested = jobs, codegen
        if codegen == "auto":  # standalone must be chosen before anything is built
            codegen = self._auto_standalone() or codegen
            make_jobs = min(2, os.cpu_count() or 1)  # jobs is Cython's here
        self.standalone = codegen == "standalone"
        self.standalone_timings, self._done, self._device_active = {}, None, False
        self.b2 = import_brian2()
        try:
            configure(self.b2)
            if self.standalone:
                standalone.activate(self.b2, make_jobs)
                self._device_active = True
            self._build()
            self._choose_target(codegen, cache_dir, jobs)
        except HubError:
            self._restore_device()
            raise
        except Exception as exc:
            self._restore_device()
            raise BackendError(
                f"brian2: building the network failed: {type(exc).__name__}: {exc}"
            ) from exc

    def _auto_inputs(self):
        r = self.resolved
        neuron_steps = sum(p.size for p in r.populations.values()) * r.steps
        estimate = compiled.numpy_seconds(r.steps, standalone.code_objects(r), neuron_steps)
        plastic = any(p.rule is not None and p.n for p in r.projections)
        return neuron_steps, estimate, plastic

    def _auto_standalone(self):
        """codegen="auto": "standalone" if ``compiled.auto_target`` picks it (before the
        build), else None (the rest of the choice follows the build: _choose_target)."""
        r = self.resolved
        if not standalone.same_numbers(r):
            return None
        warm = os.path.isfile(standalone.marker(self.standalone_root, r))
        neuron_steps, estimate, plastic = self._auto_inputs()
        target, why = compiled.auto_target(
            False, neuron_steps, estimate, "warm" if warm else "cold", plastic
        )
        if target != "standalone":
            return None
        self.auto_reason = why
        return target

    def _restore_device(self):
        if self._device_active:  # given back once
            self._device_active = False
            standalone.restore(self.b2)

    def _where(self, exc) -> str:
        """Where a Brian2 failure happened, for the BackendError: the simulation time reached,
        the Brian2 object and the hub populations it belongs to, and the original error (a
        compile error arrives wrapped in Brian2's BrianObjectException)."""
        try:
            t = float(np.asarray(self.ctx.clock.timestep[:]).reshape(-1)[0]) * self.dt
            where = f" at t = {t:g} ms"
        except Exception:  # the clock may not exist when building failed
            where = ""
        name = getattr(exc, "_brian_objname", None)
        if name is not None:
            pops = [p for p in self.resolved.populations if re.sub(r"\W", "_", p)[:40] in name]
            owner = f" (population {', '.join(map(repr, pops))})" if pops else ""
            where += f" in Brian2 object {name!r}{owner}"
            exc = exc.__cause__ or exc.__context__ or exc
        first = str(exc).strip().splitlines()[:1]
        return f"{where}: {type(exc).__name__}: {first[0] if first else ''}"

    # --- build ------------------------------------------------------------------------------
    def _build(self):
        """The network, phase by phase: neuron groups (populations of one model merged), their
        values, the relay and the static synapses, plastic synapses, native Poisson sources,
        injected currents, recording."""
        b2, r = self.b2, self.resolved
        self.dt = float(r.dt)
        self.h = P.nest_resolution(self.dt)
        clock = make_clock(b2, self.dt * b2.ms, "hub_clock*")
        ctx = self.ctx = BuildContext(
            b2,
            r,
            self.dt,
            self.h,
            clock,
            functions(b2),
            hot_code=self.hot_code,
            source_feed=standalone.source_feed if self.standalone else None,
        )
        natives = {k for k, s in r.sources.items() if getattr(s, "native", False)}
        sending = {proj.pre for proj in r.projections if proj.n and proj.rule is None} - natives
        for proj in r.projections:  # a plastic synapse sees one event per neuron and step
            pre = r.populations.get(proj.pre)
            if proj.rule is not None and pre is not None and self.tables[pre.model.label].count:
                raise CapabilityError(
                    "brian2",
                    [
                        f"projection {proj.label!r}: plastic synapses from {pre.model.label} "
                        "(several spikes per step reach static synapses only); use a static "
                        "synapse or spikes='one'"
                    ],
                )
        rings = plastic_build.ring_layout(r, self.tables)  # delayed plastic inputs
        merged = self._merged_groups(rings)
        senders = [label for label in r.populations if label in sending]
        # the senders are the populations of one group and no source: that group is its own
        # relay (its indices are in NEST's node order)
        # (not when a sender emits several spikes per step: the relay carries the count)
        self_relay = (
            bool(senders)
            and not (sending - set(senders))
            and any(set(senders) <= set(labels) for labels in merged)
            and not any(self.tables[r.populations[s].model.label].count for s in senders)
        )
        self.params, self.relay = {}, None
        objects = [
            self._neuron_group(
                labels,
                rings.get(labels[0], {}),
                fired=not self_relay and bool(set(labels) & sending),
            )
            for labels in merged
        ]
        if sending:
            self.relay = (
                relay.self_relay(ctx, senders) if self_relay else relay.build_relay(ctx, sending)
            )
            objects += self.relay.objects
            # self.codegen is still the requested one here: "auto" builds as compiled
            # standalone runs Brian2's C++ queue: no NEST-order sort (standalone.order_kept)
            objects += relay.connect(
                ctx, self.relay, self.codegen, self.nest_order and not self.standalone
            )
        self.plastic = plastic_build.build(ctx)
        objects += self.plastic.objects
        objects += native.build(ctx)  # PoissonSource(resolve="native")
        if r.injections and self.standalone:
            standalone.injections(self)  # run_regularly of the groups
        elif r.injections:
            objects.append(self._injections())
        self.changes = ParameterSchedule(self)
        if self.changes.by_step:
            objects.append(self.changes.network_operation())
        objects += self._recording()
        objects += plastic_build.monitors(ctx, self.plastic)
        self.net = b2.Network(*objects, name="hub_network*")
        self.net.schedule = list(SCHEDULE)

    def _merged_groups(self, rings) -> list[list[str]]:
        """Populations of one model (and one plastic-ring layout) share a NeuronGroup, in
        NEST's node order: fewer code objects (to compile, and to call every step)."""
        merged: dict = {}
        for label, pop in self.resolved.populations.items():
            key = (pop.model.label, tuple(sorted(rings.get(label, {}).items())))
            merged.setdefault(key, []).append(label)
        return list(merged.values())

    def _neuron_group(self, labels, ring: dict, fired: bool):
        """The NeuronGroup of the populations ``labels`` (one model) with its update, the
        delayed plastic inputs ``ring``, and its inputs; ``fired``: a relay reads it."""
        b2, r, ctx = self.b2, self.resolved, self.ctx
        pops = [r.populations[label] for label in labels]
        table = self.tables[pops[0].model.label]
        mctx = Context(self.dt, self.h, self.substeps.get(pops[0].model.kind, 1))
        values = {
            label: table.params(r.populations[label].params, r.populations[label].initial, mctx)
            for label in labels
        }
        shared = table.shared(mctx)
        variables = dict(table.variables)
        variables.update(plastic_build.ring_variables(ring))
        update, reset = table.update(mctx), table.reset
        if fired:
            variables["fired"] = "integer"
            # the step's spike count (a relay delivers the weights that many times)
            count = table.count or "1"
            update, reset = "fired = 0\n" + update, reset + f"\nfired = {count}"
        eqs = "\n".join(
            [f"{n} : {t if t in ('integer', 'boolean') else '1'}" for n, t in variables.items()]
            + [f"{n} : 1 (shared, constant)" for n in shared]
        )
        tag = "_".join(labels)
        g = b2.NeuronGroup(
            sum(pop.size for pop in pops),
            eqs,
            threshold=table.threshold,
            reset=reset,
            clock=ctx.clock,
            namespace=dict(ctx.functions),
            name=b2_name("hub_", tag),
        )
        start = 0
        for label, pop in zip(labels, pops):
            ctx.span[label] = (g, start, start + pop.size)
            ctx.groups[label] = g if len(labels) == 1 else g[start : start + pop.size]
            start += pop.size
        self._set_values(g, table, labels, values, shared)
        upd = g.run_regularly(update, when="groups", name=b2_name("hub_upd_", tag))
        self.hot_code(upd, eqs, update)
        if ring:
            g.run_regularly(
                plastic_build.ring_code(ring),
                when="after_synapses",
                order=-1,
                name=b2_name("hub_ring_", tag),
            )
        g.run_regularly(table.inputs, when="after_synapses", name=b2_name("hub_in_", tag))
        for label in labels:
            self.params[label] = {k: np.asarray(v) for k, v in values[label].items()}
            ctx.model_of[label] = table
        return g

    def _set_values(self, g, table, labels, values, shared):
        """Per-neuron values of the populations ``labels`` (concatenated) and shared ones."""
        r = self.resolved
        for name in [*values[labels[0]], *shared]:
            if name not in table.variables and name not in shared:
                continue
            if name in shared:
                value = shared[name]
            else:
                value = np.concatenate(
                    [
                        np.broadcast_to(
                            np.asarray(values[label][name]), (r.populations[label].size,)
                        )
                        for label in labels
                    ]
                )
            if table.variables.get(name) == "integer":
                value = np.asarray(value).astype(np.int32)
            setattr(g, name, value)

    def _recording(self) -> list:
        """StateMonitors of the state probes (sampled at the start of a step, i.e. the end of
        the previous one; the final state is read after the run) and the spike recorder."""
        b2, ctx = self.b2, self.ctx
        self.spike_monitors, self.state_monitors = {}, []
        spiking = {}  # NeuronGroup name -> (group, {population, ...})
        out = []
        for probe in self.resolved.probes:
            if probe.population not in ctx.groups:  # a source: its trains are known
                continue
            if probe.variable == "spikes":
                g = ctx.span[probe.population][0]
                spiking.setdefault(g.name, (g, set()))[1].add(probe.population)
                continue
            var, transform = ctx.model_of[probe.population].record[probe.variable]
            idx = np.asarray(probe.indices, np.int64)
            mon = None
            if len(idx):
                mon = b2.StateMonitor(
                    ctx.groups[probe.population],
                    var,
                    record=idx,
                    when="start",
                    clock=ctx.sampling_clock(probe.interval_steps),
                    name=b2_name("hub_mon_", probe.population),
                )
                out.append(mon)
            self.state_monitors.append((probe, var, transform, idx, mon))
        if spiking and self.standalone:
            out += standalone.spike_monitors(self, spiking)
        elif spiking:
            out.append(self._spike_recorder(spiking))
        return out

    def _spike_recorder(self, spiking):
        """Records the spikes of the groups in ``spiking`` from their spike spaces at the end
        of every step (a spike in step k has stamp k + 1): cheaper per step than a numpy
        ``SpikeMonitor`` per group, and nothing to compile."""
        spaces = []
        for g, labels in spiking.values():
            record = ([], [])
            count = self.ctx.model_of[next(iter(labels))].count  # several spikes per step
            counts = g.variables[count].get_value() if count else None
            spaces.append((g.variables["_spikespace"].get_value(), record, counts))
            for label in labels:
                _, start, stop = self.ctx.span[label]
                self.spike_monitors[label] = (record, start, stop)
        step = [0]

        @self.b2.network_operation(clock=self.ctx.clock, when="end", name="hub_spikes*")
        def record_spikes():
            k = step[0]
            for space, (idx, stamps), counts in spaces:
                n = space[-1]
                if n:
                    fired = space[:n].copy()
                    if counts is not None:  # a neuron's k spikes of this step: k entries
                        fired = np.repeat(fired, counts[fired])
                    idx.append(fired)
                    stamps.append(np.full(len(fired), k + 1, np.int64))
            step[0] = k + 1

        return record_spikes

    def _injections(self):
        """A network operation at the start of each step switches the injected currents
        (``I_inj``, model units): amplitude k applies to the steps n with n + 1 > stamps[k]."""
        r, ctx = self.resolved, self.ctx
        per_pop, changes = {}, {}
        for k, inj in enumerate(r.injections):
            table = ctx.model_of[inj.target]
            amps = np.asarray(inj.amplitudes, float) * table.current_scale
            per_pop.setdefault(inj.target, []).append(k)
            for s, a in zip(np.asarray(inj.stamps, np.int64), amps):
                changes.setdefault(max(int(s), 0), []).append((k, float(a)))
        current = {k: 0.0 for k in range(len(r.injections))}

        def switch(step):
            touched = set()
            for k, a in changes.get(step, ()):
                current[k] = a
                touched.add(r.injections[k].target)
            for label in touched:
                total = np.zeros(r.populations[label].size)
                for k in per_pop[label]:
                    np.add.at(total, r.injections[k].indices, current[k])
                ctx.groups[label].I_inj = total

        switch(0)
        pending = sorted(s for s in changes if s > 0)
        step = [0]  # called once per step, from step 0 (one run per session)

        @self.b2.network_operation(clock=ctx.clock, when="start", name="hub_currents*")
        def switch_currents():
            while pending and pending[0] <= step[0]:
                switch(pending.pop(0))
            step[0] += 1

        return switch_currents

    # --- codegen --------------------------------------------------------------------------
    def hot_code(self, runner, *code):
        """``runner`` (a run_regularly or a synaptic pathway) does per-step work that grows
        with the network: it is compiled with codegen="cython".  ``code``: the strings its
        generated code depends on (for the key of the network's structure)."""
        self.hot_runners.append(runner)
        self.structure.append("\x00".join([runner.name, *map(str, code)]))

    def structure_key(self) -> str:
        """A hash of everything the compiled code objects' text depends on (names, equations,
        abstract code, versions, flags): equal keys need no new compilation."""
        import hashlib

        text = "\x01".join(
            [self.b2.__version__, " ".join(compiled.STRICT_GCC_FLAGS), *self.structure]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def _warm_marker(self) -> str:
        return os.path.join(self.cache_dir, "hub-networks", self.structure_key())

    def _choose_target(self, codegen, cache_dir, jobs):
        """Resolve codegen="auto" (``compiled.auto_target``) and give the hot code objects
        their class."""
        self.cache_dir, self.jobs = cache_dir, jobs
        if self.standalone:  # requested, or chosen by auto (_auto_standalone)
            self.codegen = "standalone"
            self.cache_dir = self.standalone_root
            self.order_kept = standalone.order_kept(self.ctx)
            return
        if codegen == "auto":
            warm = os.path.isfile(self._warm_marker())
            neuron_steps, estimate, plastic = self._auto_inputs()
            codegen, self.auto_reason = compiled.auto_target(
                warm, neuron_steps, estimate, None, plastic
            )
        self.codegen = codegen
        if codegen != "cython" or not self.hot_runners:
            return
        cls = compiled.hot_code_class(self.b2, cache_dir, jobs)
        for runner in self.hot_runners:
            runner.codeobj_class = cls
            if hasattr(runner, "_pushspikes_codeobj"):  # a synaptic pathway
                compiled.numpy_push(self.b2, runner)

    # --- run ------------------------------------------------------------------------------
    def run(self, progress=None):
        if self.standalone:
            return self._run_standalone(progress)
        b2, steps = self.b2, self.resolved.steps

        def report(elapsed, completed, start, total):
            if progress is not None:
                progress(float(completed))

        if not self.net.objects:  # spike sources only: nothing to integrate, no clock to run
            if progress is not None:
                progress(1.0)
            return
        try:
            self.net.run(
                steps * self.dt * b2.ms,
                namespace={},
                report=report if progress is not None else None,
                report_period=0.5 * b2.second,
            )
        except Exception as exc:
            raise BackendError(f"brian2: the run failed{self._where(exc)}") from exc
        done = int(np.asarray(self.ctx.clock.timestep[:]).reshape(-1)[0])
        if done != steps:
            raise BackendError(f"brian2: ran {done} steps, expected {steps}")
        if self.codegen == "cython" and self.hot_runners:  # the cache now holds this network
            standalone.write_marker(self._warm_marker(), self.resolved.label)
        if progress is not None:
            progress(1.0)

    def _run_standalone(self, progress=None):
        """Generate, compile and run the C++ project, read every result, then give the
        device back (the results are kept: the device forgets its arrays)."""
        b2, steps = self.b2, self.resolved.steps
        project = None
        try:
            if self.net.objects:
                self.net.run(steps * self.dt * b2.ms, namespace={})
                self.standalone_timings, project = standalone.build_and_run(self, self.cache_dir)
                done = int(np.asarray(self.ctx.clock.timestep[:]).reshape(-1)[0])
                if done != steps:
                    raise BackendError(f"brian2: ran {done} steps, expected {steps}")
                standalone.collect_spikes(self)
                standalone.mark_warm(self.standalone_root, self.resolved)
            self._done = self.results()
        except HubError:
            raise
        except Exception as exc:
            raise BackendError(f"brian2: the standalone run failed{self._where(exc)}") from exc
        finally:
            if project is not None:
                project.release()
            self._restore_device()
        if progress is not None:
            progress(1.0)

    # --- results --------------------------------------------------------------------------
    def results(self) -> Results:
        if self._done is not None:
            return self._done
        r = self.resolved
        res = Results()
        res.spike_trains.update(assemble_spikes(r, self._population_spikes))
        for probe, var, transform, idx, mon in self.state_monitors:
            values = np.zeros((r.steps // probe.interval_steps, len(idx)))
            if mon is not None:
                final = np.asarray(getattr(self.ctx.groups[probe.population], var + "_"))[idx]
                values = self.changes.transform(
                    probe.population,
                    transform,
                    monitor_samples(getattr(mon, var + "_"), final, r.steps, probe.interval_steps),
                    probe.sample_stamps(r.steps),
                    idx,
                )
            unit = r.populations[probe.population].model.recordable_names()[probe.variable]
            res.signals[(probe.population, probe.variable)] = sampled_signal(r, probe, unit, values)
        plastic_build.results(r, self.plastic, res)
        res.provenance["brian2"] = self._provenance()
        # the run's own arithmetic, next to the versions the backend adds
        versions = res.provenance.setdefault("versions", {})
        versions["brian2.codegen"] = self.codegen
        if self.codegen in ("cython", "standalone"):
            versions["brian2.cflags"] = " ".join(compiled.STRICT_GCC_FLAGS)
        return res

    def _population_spikes(self, label):
        """(population-local indices, stamps) recorded in population ``label``."""
        (idx, st), start, stop = self.spike_monitors[label]
        idx = np.concatenate(idx).astype(np.int64) if idx else np.zeros(0, np.int64)
        st = np.concatenate(st) if st else np.zeros(0, np.int64)
        mine = (idx >= start) & (idx < stop)
        return idx[mine] - start, st[mine]

    def _provenance(self) -> dict:
        info = {"codegen": self.codegen, "requested": self.requested}
        if self.codegen == "cython":
            info.update(
                compiled=sorted(x.name for x in self.hot_runners),
                cflags=" ".join(compiled.STRICT_GCC_FLAGS),
                cache_dir=self.cache_dir,
                jobs=self.jobs,
            )
        if self.codegen == "standalone":
            info.update(
                cflags=" ".join(compiled.STRICT_GCC_FLAGS),
                build_dir=getattr(self, "build_dir", None),
                jobs=self.jobs,
                # build_s (objects), codegen_s, compile_s, run_s (simulation), binary_s
                timings=dict(self.standalone_timings),
            )
        if self.requested == "auto":
            info["auto"] = self.auto_reason
        models = {
            label: {"nest_model": t.nest_model, "integrator": t.integrator}
            for label, t in self.ctx.model_of.items()
        }
        return {
            **info,
            "schedule": SCHEDULE,
            # standalone keeps NEST's order only where no sort is needed (standalone.py)
            "nest_order": self.nest_order and (self.codegen != "standalone" or self.order_kept),
            "substeps": self.substeps,
            "models": models,
            "nest_h": self.h,
        }

    def close(self):
        self._restore_device()
        net = getattr(self, "net", None)
        if net is not None:
            self.net = None
            self.ctx = self.relay = self.plastic = None
            self.state_monitors, self.spike_monitors, self.hot_runners = [], {}, []
            del net
            # free the Brian2 names ("hub_exc", ...) now: the next session of this process
            # gets the same names, hence the same code text and the cached modules
            import gc

            gc.collect()

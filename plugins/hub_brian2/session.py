"""One Brian2 run of a resolved network (a fresh ``Network`` per session).

Time (docs/semantics.md, SEMANTICS.md rules 1-3): Brian2 step n integrates from n dt to
(n+1) dt, like NEST step n; a spike in Brian2 step n is NEST's stamp n+1.  The schedule is
``start, groups, synapses, thresholds, resets, end``:

* ``groups``: the model's update (membrane with the state at the start of the step, decay);
* ``synapses``: every spike arriving in this step adds ``w`` (``w*m`` for a source spike of
  multiplicity m) to a per-receptor buffer of its target;
* ``after_synapses``: each buffer is added to the state once, then zeroed (NEST's ring
  buffer: a step's input is summed before it is added);
* ``thresholds`` / ``resets``.

A spike stamped s with delay D steps must be added in step s+D-1.  Brian2 pushes a spike of
step s-1 into the queue in the ``synapses`` slot of step s, so the Brian2 delay is D-1.
A spike source is a ``SpikeGeneratorGroup`` with times (stamp-1) dt.  Several spikes of one
source neuron in one step are one event of multiplicity m (NEST adds weight * m once): neuron
i's events of the l-th distinct multiplicity are spikes of generator neuron i*L + l, whose
synapses carry w * m_l; the generator ids keep NEST's order of senders within a step.

State is sampled at the start of steps iv, 2 iv, ... (= the end of the previous step, after
threshold and reset) plus the final state, i.e. at times iv dt, 2 iv dt, ..., duration.
"""
from __future__ import annotations

import os
import re

import numpy as np

from hub import BackendError, HubError, Results, Session, Signal, SpikeTrains
from hub import propagators as P

from .models import Context

_STATE = {"codegen": "numpy"}
SCHEDULE = ["start", "groups", "synapses", "thresholds", "resets", "end"]


def import_brian2():
    try:
        import brian2
    except Exception as exc:  # ImportError, or Brian2 failing on import (numpy 2.4)
        raise BackendError(f"brian2: cannot import Brian2 ({type(exc).__name__}: {exc}); "
                           "install it with `pip install 'snn-hub[brian2]'`") from exc
    return brian2


def last_codegen() -> str:
    return _STATE["codegen"]


def _configure(b2, codegen: str, cache_dir: str):
    prefs = b2.prefs
    # no loop-invariant hoisting: the statements are executed exactly as written
    prefs.codegen.loop_invariant_optimisations = False
    if codegen == "cython":
        from .backend import STRICT_GCC_FLAGS

        os.makedirs(cache_dir, exist_ok=True)
        prefs.codegen.cpp.extra_compile_args_gcc = list(STRICT_GCC_FLAGS)
        prefs.codegen.runtime.cython.cache_dir = cache_dir
    prefs.codegen.target = codegen
    _STATE["codegen"] = codegen


_FUNCTIONS = {}


def _functions(b2):
    """``sel(c, a, b)`` (c ? a : b), ``fmin(a, b)`` (std::min) and ``fcopy(a)`` for numpy and
    Cython."""
    if _FUNCTIONS:
        return _FUNCTIONS

    def sel(c, a, b):
        return np.where(c, a, b)

    def fmin(a, b):
        return np.where(b < a, b, a)

    f_sel = b2.Function(sel, arg_units=[1, 1, 1], return_unit=1,
                        arg_types=["boolean", "float", "float"], return_type="float")
    # plain numpy implementations: Brian2's default wrapper formats the result array
    # into an error message on every call (most of a run's time)
    f_sel.implementations.add_numpy_implementation(sel, discard_units=True)
    f_sel.implementations.add_implementation(
        "cython", "cdef double sel(bint c, double a, double b):\n"
                  "    return a if c else b\n", name="sel")
    f_min = b2.Function(fmin, arg_units=[1, 1], return_unit=1,
                        arg_types=["float", "float"], return_type="float")
    f_min.implementations.add_numpy_implementation(fmin, discard_units=True)
    f_min.implementations.add_implementation(
        "cython", "cdef double fmin(double a, double b):\n"
                  "    return b if b < a else a\n", name="fmin")
    # fcopy(x): a copy.  Brian2's numpy target turns ``V = V + x`` into ``V += x`` in place,
    # so a plain ``U_old = V`` would alias V and change with it.
    def fcopy(a):
        return np.array(a, dtype=float, copy=True)

    f_copy = b2.Function(fcopy, arg_units=[1], return_unit=1, arg_types=["float"],
                         return_type="float")
    f_copy.implementations.add_numpy_implementation(fcopy, discard_units=True)
    f_copy.implementations.add_implementation(
        "cython", "cdef double fcopy(double a):\n    return a\n", name="fcopy")
    _FUNCTIONS.update(sel=f_sel, fmin=f_min, fcopy=f_copy)
    return _FUNCTIONS


def _name(prefix: str, label: str) -> str:
    return prefix + re.sub(r"\W", "_", label)[:40] + "*"


class Brian2Session(Session):
    def __init__(self, resolved, tables, codegen="numpy", substeps=None, cache_dir=None):
        self.r = resolved
        self.tables = tables
        self.codegen = codegen
        self.substeps = dict(substeps or {})
        self.b2 = import_brian2()
        try:
            _configure(self.b2, codegen, cache_dir)
            self._build()
        except HubError:
            raise
        except Exception as exc:
            raise BackendError(f"brian2: building the network failed: "
                               f"{type(exc).__name__}: {exc}") from exc

    # --- build ------------------------------------------------------------------------------
    def _build(self):
        b2, r = self.b2, self.r
        ms = b2.ms
        self.dt = float(r.dt)
        self.h = P.nest_resolution(self.dt)
        self.clock = b2.Clock(dt=self.dt * ms, name="hub_clock*")
        self._clocks = {1: self.clock}
        objects = []
        fns = _functions(b2)
        self.groups, self.params, self.model_of = {}, {}, {}
        for label, pop in r.populations.items():
            table = self.tables[pop.model.label]
            ctx = Context(self.dt, self.h, self.substeps.get(pop.model.kind, 1))
            values = table.params(pop.params, pop.initial, ctx)
            shared = table.shared(ctx)
            eqs = "\n".join([f"{n} : {'integer' if t == 'integer' else '1'}"
                             for n, t in table.variables.items()]
                            + [f"{n} : 1 (shared, constant)" for n in shared])
            g = b2.NeuronGroup(pop.size, eqs, threshold=table.threshold, reset=table.reset,
                               clock=self.clock, namespace=dict(fns), name=_name("hub_", label))
            for name, value in {**values, **shared}.items():
                if name not in table.variables and name not in shared:
                    continue
                if table.variables.get(name) == "integer":
                    value = np.asarray(value).astype(np.int32)
                setattr(g, name, value)
            g.run_regularly(table.update(ctx), when="groups", name=_name("hub_upd_", label))
            g.run_regularly(table.inputs, when="after_synapses",
                            name=_name("hub_in_", label))
            self.groups[label] = g
            self.params[label] = {k: np.asarray(v) for k, v in values.items()}
            self.model_of[label] = table
            objects.append(g)
        # spike sources: a SpikeGeneratorGroup of size * L neurons; an event of neuron i with
        # the l-th distinct multiplicity m_l is a spike of generator neuron i * L + l, whose
        # synapses carry w * m_l (NEST adds weight * multiplicity once), and the ids keep
        # NEST's order of senders (i major) within a step
        self.sources = {}
        for label, src in r.sources.items():
            keep = (src.stamps >= 1) & (src.stamps <= r.steps)
            key = src.stamps[keep] * src.size + src.indices[keep]
            uniq, counts = np.unique(key, return_counts=True)
            stamps, idx = np.divmod(uniq, src.size)
            mults = np.unique(counts) if len(counts) else np.ones(1, np.int64)
            lane = np.searchsorted(mults, counts)
            gen_idx = idx * len(mults) + lane
            order = np.lexsort((gen_idx, stamps))
            gen = b2.SpikeGeneratorGroup(src.size * len(mults), gen_idx[order],
                                         (stamps[order] - 1) * self.dt * ms, clock=self.clock,
                                         sorted=True, name=_name("hub_src_", label))
            used = np.zeros((len(mults), src.size), bool)
            used[lane, idx] = True
            self.sources[label] = (gen, mults, used)
            objects.append(gen)
        # projections: one Synapses object per (pre, post, buffer), in NEST's order of node ids
        objects.extend(self._connect_all())
        # currents
        if r.injections:
            objects.append(self._injections())
        # recording
        self.spike_monitors, self.state_monitors = {}, []
        for probe in r.probes:
            if probe.population not in self.groups:
                continue
            g = self.groups[probe.population]
            if probe.variable == "spikes":
                if probe.population not in self.spike_monitors:
                    mon = b2.SpikeMonitor(g, name=_name("hub_spk_", probe.population))
                    self.spike_monitors[probe.population] = mon
                    objects.append(mon)
                continue
            table = self.model_of[probe.population]
            var, transform = table.record[probe.variable]
            idx = np.asarray(probe.indices, np.int64)
            mon = None
            if len(idx):
                mon = b2.StateMonitor(g, var, record=idx, when="start",
                                      clock=self._clock(probe.interval_steps),
                                      name=_name("hub_mon_", probe.population))
                objects.append(mon)
            self.state_monitors.append((probe, var, transform, idx, mon))
        self.net = b2.Network(*objects, name="hub_network*")
        self.net.schedule = list(SCHEDULE)

    def _clock(self, interval_steps: int):
        if interval_steps not in self._clocks:
            self._clocks[interval_steps] = self.b2.Clock(
                dt=interval_steps * self.dt * self.b2.ms, name="hub_rec_clock*")
        return self._clocks[interval_steps]

    def _connect_all(self):
        """Synapses summed into the buffers in NEST's order.

        NEST adds the inputs of one step in the order of the sender's node id (populations
        are created before sources, each in the resolved order; within a min_delay slice,
        whatever the emission step).  So all projections from one pre population to one
        buffer of one post population are one Synapses object, sorted by pre index (stable,
        so parallel connections keep the projection order), and the objects run in the
        order of the pre populations' node ids.  (Brian2 adds spikes emitted in different
        steps in time order; NEST, within a min_delay slice, in node-id order: with three or
        more same-sign inputs to a neuron in one step from different steps of one slice, the
        last bit can differ.)"""
        b2, ms = self.b2, self.b2.ms
        r = self.r
        senders = list(r.populations) + list(r.sources)
        parts = {}
        for proj in r.projections:
            if proj.n == 0:
                continue
            table = self.model_of[proj.post]
            inh = table.receptor == "conductance" and proj.receptor == "inhibitory"
            w = proj.weight * (table.weight_scale * (-1.0 if inh else 1.0))   # NEST's weight
            if table.receptor == "single":
                routes = [("buf", np.ones(proj.n, bool), w)]
            elif table.receptor == "sign":                 # NEST: w*m > 0 -> ex, else in
                routes = [("buf_ex", w > 0, w), ("buf_in", ~(w > 0), w)]
            else:                                           # NEST: w > 0 -> ex += w*m, else in += -w*m
                routes = [("buf_ex", w > 0, w), ("buf_in", ~(w > 0), -w)]
            for buf, mask, weight in routes:
                if not mask.any():
                    continue
                pre_idx, post_idx = proj.pre_idx[mask], proj.post_idx[mask]
                weight, delay = weight[mask], proj.delay_steps[mask] - 1
                if proj.pre in self.groups:
                    chunks = [(pre_idx, post_idx, weight, delay)]
                else:       # one copy per multiplicity, for the senders that use it
                    _, mults, used = self.sources[proj.pre]
                    chunks = []
                    for lane, m in enumerate(mults):
                        sel = used[lane][pre_idx]
                        chunks.append((pre_idx[sel] * len(mults) + lane, post_idx[sel],
                                       weight[sel] * int(m), delay[sel]))
                parts.setdefault((proj.pre, proj.post, buf), []).extend(chunks)
        out = []
        for (pre, post, buf), chunks in sorted(parts.items(),
                                               key=lambda kv: senders.index(kv[0][0])):
            i, j, w, d = (np.concatenate(x) for x in zip(*chunks))
            if not len(i):
                continue
            order = np.argsort(i, kind="stable")
            i, j, w, d = i[order], j[order], w[order], d[order]
            homogeneous = bool((d == d[0]).all())
            source = self.groups[pre] if pre in self.groups else self.sources[pre][0]
            syn = b2.Synapses(source, self.groups[post], model="w_syn : 1",
                              on_pre=f"{buf}_post += w_syn",
                              delay=(int(d[0]) * self.dt * ms) if homogeneous else None,
                              clock=self.clock, order=senders.index(pre), namespace={},
                              name=_name("hub_syn_", f"{pre}_{post}_{buf}"))
            syn.connect(i=i, j=j)
            syn.w_syn = w
            if not homogeneous:
                syn.delay = d * self.dt * ms
            out.append(syn)
        return out

    def _injections(self):
        """A network operation at the start of each step switches the injected currents
        (``I_inj``, model units): amplitude k applies to the steps n with n + 1 > stamps[k]."""
        r = self.r
        per_pop, changes = {}, {}
        for k, inj in enumerate(r.injections):
            table = self.model_of[inj.target]
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
                self.groups[label].I_inj = total

        switch(0)
        pending = sorted(s for s in changes if s > 0)
        step = [0]      # called once per step, from step 0 (one run per session)

        @self.b2.network_operation(clock=self.clock, when="start", name="hub_currents*")
        def switch_currents():
            while pending and pending[0] <= step[0]:
                switch(pending.pop(0))
            step[0] += 1

        return switch_currents

    # --- run ------------------------------------------------------------------------------
    def run(self, progress=None):
        b2 = self.b2
        duration = self.r.steps * self.dt * b2.ms

        def report(elapsed, completed, start, total):
            if progress is not None:
                progress(float(completed))

        try:
            self.net.run(duration, report=report if progress is not None else None,
                         report_period=0.5 * b2.second, namespace={})
        except Exception as exc:
            raise BackendError(f"brian2: the run failed: {type(exc).__name__}: {exc}") from exc
        done = int(np.asarray(self.clock.timestep[:]).reshape(-1)[0])
        if done != self.r.steps:
            raise BackendError(f"brian2: ran {done} steps, expected {self.r.steps}")
        if progress is not None:
            progress(1.0)

    # --- results --------------------------------------------------------------------------
    def results(self) -> Results:
        r = self.r
        res = Results()
        dt_s = float(self.clock.dt_)
        spike_probes = {}
        for probe in r.probes:
            if probe.variable == "spikes":
                spike_probes.setdefault(probe.population, set()).update(
                    np.asarray(probe.indices, np.int64).tolist())
        for label, wanted in spike_probes.items():
            wanted = np.fromiter(sorted(wanted), np.int64)
            if label in self.spike_monitors:
                mon = self.spike_monitors[label]
                idx = np.asarray(mon.i[:], np.int64)
                st = np.round(np.asarray(mon.t_[:]) / dt_s).astype(np.int64) + 1
                size = r.populations[label].size
            else:
                src = r.sources[label]
                idx, st, size = src.indices, src.stamps, src.size
            keep = np.isin(idx, wanted)
            res.spike_trains[label] = SpikeTrains(size, idx[keep], st[keep], r.dt)
        for probe, var, transform, idx, mon in self.state_monitors:
            iv = probe.interval_steps
            n = r.steps // iv
            values = np.zeros((n, len(idx)))
            if mon is not None:
                rec = np.asarray(getattr(mon, var + "_")).T     # (samples, neurons)
                rec = rec[1:]                                    # drop t = 0
                if r.steps % iv == 0:
                    final = np.asarray(getattr(self.groups[probe.population], var + "_"))[idx]
                    rec = np.vstack([rec, final[None, :]])
                values = transform(rec[:n], self.params[probe.population], idx)
            unit = r.populations[probe.population].model.recordable_names()[probe.variable]
            res.signals[(probe.population, probe.variable)] = Signal(
                probe.variable, unit, np.arange(iv, r.steps + 1, iv) * r.dt, idx,
                np.ascontiguousarray(values, dtype=float))
        table_info = {label: {"nest_model": t.nest_model, "integrator": t.integrator}
                      for label, t in self.model_of.items()}
        res.provenance["brian2"] = {"codegen": self.codegen, "schedule": SCHEDULE,
                                    "substeps": self.substeps, "models": table_info,
                                    "nest_h": self.h}
        return res

    def close(self):
        net = getattr(self, "net", None)
        if net is not None:
            self.net = None
            self.groups, self.sources, self.state_monitors, self.spike_monitors = {}, {}, [], {}
            del net

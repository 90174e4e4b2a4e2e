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
from hub.sorting import stable_argsort

from . import native, plastic_build
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


def _configure(b2):
    """Brian2's preferences for every session: numpy code objects unless a session names a
    compiled class for its hot code objects (``compiled.py``); no loop-invariant hoisting
    (the statements are executed exactly as written)."""
    prefs = b2.prefs
    prefs.codegen.loop_invariant_optimisations = False
    prefs.codegen.target = "numpy"


def _cython_class(b2, cache_dir: str, jobs: int):
    from . import compiled
    from .backend import STRICT_GCC_FLAGS

    os.makedirs(cache_dir, exist_ok=True)
    b2.prefs.codegen.cpp.extra_compile_args_gcc = list(STRICT_GCC_FLAGS)
    b2.prefs.codegen.runtime.cython.cache_dir = cache_dir
    return compiled.code_object_class(b2, jobs)


def numpy_push(b2, pathway):
    """Let ``pathway`` push its spikes into the queue with a numpy code object (in runtime
    mode that code only calls ``SynapticPathway.push_spikes``; compiling it buys nothing)."""
    from brian2.codegen.codeobject import create_runner_codeobj
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

    create = pathway.create_code_objects

    def create_code_objects(run_namespace):
        if pathway._pushspikes_codeobj is None:
            name = f"_{pathway.event}space"
            pathway._pushspikes_codeobj = create_runner_codeobj(
                pathway, "", "synapses_push_spikes", name=pathway.name + "_push_spikes",
                check_units=False, additional_variables=pathway.variables,
                needed_variables=[name],
                template_kwds={"eventspace_variable": pathway.source.variables[name]},
                run_namespace=run_namespace, codeobj_class=NumpyCodeObject)
        create(run_namespace)

    pathway.create_code_objects = create_code_objects


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


def nest_min_delay_steps(r) -> int:
    """NEST's min_delay (in steps) for the resolved network as hub_nest (or a plain PyNEST
    script) builds it: the smallest projection delay, and at most NEST's default delay of
    1 ms, which the connections to recording devices (multimeter, spike_recorder) carry."""
    delays = [int(p.delay_steps.min()) for p in r.projections if p.n]
    if r.probes:
        delays.append(P.delay_steps(1.0, r.dt))
    return max(1, min(delays)) if delays else 1


def nest_order_key(step, delay_steps, relay_idx, is_source, slice_steps):
    """The order in which NEST adds the inputs that reach a neuron in Brian2 step ``step``
    (arrays per event: Brian2 delay in steps, relay index of the sender, sender is a spike
    generator).  NEST runs in slices of ``min_delay`` steps: neurons' spikes emitted in
    slice S are delivered at the start of slice S+1, in (node id, lag) order; spike
    generators deliver theirs while they are updated, in slice S itself, after those
    deliveries.  Returns the argsort."""
    emission = step - 1 - delay_steps
    slice_ = emission // slice_steps
    phase = is_source.astype(np.int64)
    added = slice_ + 1 - phase
    return np.lexsort((emission, relay_idx, phase, added))


_QUEUE_CLASS = {}


def _ordered_queue_class(b2):
    """A subclass of the spike queue Brian2 would use whose ``peek`` returns this step's
    synaptic events in NEST's order (needed when min_delay > 1 step and delays differ)."""
    if "cls" in _QUEUE_CLASS:
        return _QUEUE_CLASS["cls"]
    try:
        from brian2.synapses.cythonspikequeue import SpikeQueue as Base
    except ImportError:  # pragma: no cover - Brian2 without its compiled queue
        from brian2.synapses.spikequeue import SpikeQueue as Base

    class NestOrderedSpikeQueue(Base):
        def configure(self, slice_steps, delay_steps, relay_idx, is_source):
            """Per synapse: Brian2 delay (steps), relay index of its sender, sender is a
            source.  The order key of an event delivered in step T is
            (added slice, phase, relay index) packed in one int64:
            added = (T - 1 - d) // M + 1 - phase = (T - 1 - d % M) // M - d // M + 1 - phase,
            so only a table of M values changes with T."""
            m = int(slice_steps)
            d = np.asarray(delay_steps, np.int64)
            phase = np.asarray(is_source, np.int64)
            width = 2 * (int(np.max(relay_idx)) + 1 if len(relay_idx) else 1)
            self._hub_m, self._hub_width = m, width
            self._hub_rem = d % m
            self._hub_static = ((-(d // m) + 1 - phase + 2) * width
                                + phase * (width // 2) + np.asarray(relay_idx, np.int64))
            self._hub_r = np.arange(m, dtype=np.int64)
            self._hub_step = 0

        def advance(self):
            self._hub_step += 1
            return super().advance()

        def peek(self):
            events = super().peek()
            if len(events) < 3:
                return events
            table = ((self._hub_step - 1 - self._hub_r) // self._hub_m) * self._hub_width
            key = table[self._hub_rem[events]] + self._hub_static[events]
            return np.ascontiguousarray(events[np.argsort(key, kind="stable")])

    _QUEUE_CLASS["cls"] = NestOrderedSpikeQueue
    return NestOrderedSpikeQueue


class _spike_queue:
    """Context: Synapses created inside get a ``queue_class`` spike queue."""

    def __init__(self, b2, queue_class):
        self.device, self.queue_class = b2.get_device(), queue_class

    def __enter__(self):
        if self.queue_class is not None:
            cls = self.queue_class
            self.device.spike_queue = lambda start, stop: cls(start, stop)

    def __exit__(self, *exc):
        if self.queue_class is not None:
            del self.device.spike_queue
        return False


def _name(prefix: str, label: str) -> str:
    return prefix + re.sub(r"\W", "_", label)[:40] + "*"


class Brian2Session(Session):
    def __init__(self, resolved, tables, codegen="numpy", substeps=None, cache_dir=None,
                 nest_order=True, jobs=1):
        self.r = resolved
        self.nest_order = nest_order
        self.tables = tables
        self.codegen = codegen
        self.substeps = dict(substeps or {})
        self.hot_runners, self.structure = [], []
        self.b2 = import_brian2()
        try:
            _configure(self.b2)
            self._build()
            self._choose_target(codegen, cache_dir, jobs)
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
        fns = self.fns = _functions(b2)
        self.groups, self.params, self.model_of = {}, {}, {}
        self.span = {}          # population -> (its NeuronGroup, start, stop)
        natives = {k for k, s in r.sources.items() if getattr(s, "native", False)}
        sending = {proj.pre for proj in r.projections if proj.n and proj.rule is None} - natives
        rings = plastic_build.ring_layout(r, self.tables)   # delayed plastic inputs
        # populations of one model (and one plastic-ring layout) share a NeuronGroup, in
        # NEST's node order: fewer code objects (to compile, and to call every step)
        merged: dict = {}
        for label, pop in r.populations.items():
            key = (pop.model.label, tuple(sorted(rings.get(label, {}).items())))
            merged.setdefault(key, []).append(label)
        senders = [label for label in r.populations if label in sending]
        # the senders are the populations of one group and no source: that group is its own
        # relay (its indices are in NEST's node order)
        self_relay = bool(senders) and not (sending - set(senders)) and any(
            set(senders) <= set(labels) for labels in merged.values())
        self.merged = []
        for labels in merged.values():
            pops = [r.populations[label] for label in labels]
            table = self.tables[pops[0].model.label]
            ctx = Context(self.dt, self.h, self.substeps.get(pops[0].model.kind, 1))
            values = {label: table.params(r.populations[label].params,
                                          r.populations[label].initial, ctx)
                      for label in labels}
            shared = table.shared(ctx)
            variables = dict(table.variables)
            variables.update(plastic_build.ring_variables(rings.get(labels[0], {})))
            update, reset = table.update(ctx), table.reset
            if not self_relay and set(labels) & sending:   # the relay reads ``fired``
                variables["fired"] = "integer"
                update, reset = "fired = 0\n" + update, reset + "\nfired = 1"
            eqs = "\n".join([f"{n} : {'integer' if t == 'integer' else '1'}"
                             for n, t in variables.items()]
                            + [f"{n} : 1 (shared, constant)" for n in shared])
            size = sum(pop.size for pop in pops)
            tag = "_".join(labels)
            g = b2.NeuronGroup(size, eqs, threshold=table.threshold, reset=reset,
                               clock=self.clock, namespace=dict(fns), name=_name("hub_", tag))
            start = 0
            for label, pop in zip(labels, pops):
                self.span[label] = (g, start, start + pop.size)
                self.groups[label] = g if len(labels) == 1 else g[start:start + pop.size]
                start += pop.size
            for name in [*values[labels[0]], *shared]:
                if name not in table.variables and name not in shared:
                    continue
                if name in shared:
                    value = shared[name]
                else:
                    value = np.concatenate([np.broadcast_to(np.asarray(values[label][name]),
                                                            (r.populations[label].size,))
                                            for label in labels])
                if table.variables.get(name) == "integer":
                    value = np.asarray(value).astype(np.int32)
                setattr(g, name, value)
            upd = g.run_regularly(update, when="groups", name=_name("hub_upd_", tag))
            self.hot_code(upd, eqs, update)
            if labels[0] in rings:
                g.run_regularly(plastic_build.ring_code(rings[labels[0]]),
                                when="after_synapses", order=-1, name=_name("hub_ring_", tag))
            g.run_regularly(table.inputs, when="after_synapses", name=_name("hub_in_", tag))
            for label in labels:
                self.params[label] = {k: np.asarray(v) for k, v in values[label].items()}
                self.model_of[label] = table
            self.merged.append((g, labels))
            objects.append(g)
        # every sender (neuron or source event) reaches its targets through one relay group
        self.relay = None
        if sending:
            if self_relay:
                self.relay = self.span[senders[0]][0]
                self.offsets = {label: self.span[label][1] for label in senders}
                self.n_source_relay = 0
            else:
                objects.extend(self._relay(sending))
            objects.extend(self._connect_all())
        objects.extend(plastic_build.build(self))
        objects.extend(native.build(self))      # PoissonSource(resolve="native")
        # currents
        if r.injections:
            objects.append(self._injections())
        # recording
        self.spike_monitors, self.state_monitors = {}, []
        spiking = {}        # NeuronGroup name -> (group, [population, ...])
        for probe in r.probes:
            if probe.population not in self.groups:
                continue
            if probe.variable == "spikes":
                g = self.span[probe.population][0]
                spiking.setdefault(g.name, (g, set()))[1].add(probe.population)
                continue
            g = self.groups[probe.population]
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
        if spiking:
            objects.append(self._spike_recorder(spiking))
        objects.extend(plastic_build.monitors(self))
        self.net = b2.Network(*objects, name="hub_network*")
        self.net.schedule = list(SCHEDULE)

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

        from .backend import STRICT_GCC_FLAGS

        text = "\x01".join([self.b2.__version__, " ".join(STRICT_GCC_FLAGS), *self.structure])
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def _warm_marker(self) -> str:
        return os.path.join(self.cache_dir, "hub-networks", self.structure_key())

    def _choose_target(self, codegen, cache_dir, jobs):
        """Resolve codegen="auto" (``compiled.auto_target``) and give the hot code objects
        their class."""
        from . import compiled

        self.cache_dir, self.requested, self.jobs = cache_dir, codegen, jobs
        if codegen == "auto":
            warm = os.path.isfile(self._warm_marker())
            neuron_steps = sum(p.size for p in self.r.populations.values()) * self.r.steps
            codegen, self.auto_reason = compiled.auto_target(warm, neuron_steps)
        self.codegen = codegen
        _STATE["codegen"] = codegen
        if codegen != "cython" or not self.hot_runners:
            return
        cls = _cython_class(self.b2, cache_dir, jobs)
        for runner in self.hot_runners:
            runner.codeobj_class = cls
            if hasattr(runner, "_pushspikes_codeobj"):      # a synaptic pathway
                numpy_push(self.b2, runner)

    def _spike_recorder(self, spiking):
        """Records the spikes of the groups in ``spiking`` from their spike spaces at the end
        of every step (a spike in step k has stamp k + 1): cheaper per step than a numpy
        ``SpikeMonitor`` per group, and nothing to compile."""
        spaces = []
        for name, (g, labels) in spiking.items():
            record = ([], [])
            spaces.append((g.variables["_spikespace"].get_value(), record))
            for label in labels:
                _, start, stop = self.span[label]
                self.spike_monitors[label] = (record, start, stop)
        step = [0]

        @self.b2.network_operation(clock=self.clock, when="end", name="hub_spikes*")
        def record_spikes():
            k = step[0]
            for space, (idx, stamps) in spaces:
                n = space[-1]
                if n:
                    idx.append(space[:n].copy())
                    stamps.append(np.full(n, k + 1, np.int64))
            step[0] = k + 1

        return record_spikes

    def _clock(self, interval_steps: int):
        if interval_steps not in self._clocks:
            self._clocks[interval_steps] = self.b2.Clock(
                dt=interval_steps * self.dt * self.b2.ms, name="hub_rec_clock*")
        return self._clocks[interval_steps]

    def _relay(self, sending):
        """The relay: one neuron per sender, firing in the same step as its sender: first the
        sources (a source neuron i with events of L distinct multiplicities has L relay
        neurons i*L + l), then the neuron populations, each in NEST's order of node ids.

        Why: NEST adds the inputs a neuron receives in one step in a fixed order (see
        :func:`nest_order_key`); Brian2 adds them per Synapses pathway, pathway after
        pathway, in (emission step, source index) order.  So all inputs of a post
        population go through one pathway whose source is this relay.  A neuron's relay
        copy fires when the neuron's reset set ``fired`` (a linked variable, read after the
        resets); a source's relay neurons fire where a network operation put this step's
        events into ``src``."""
        b2, r = self.b2, self.r
        self.offsets, self.source_lanes = {}, {}
        kinds, links, n = [], [], 0
        events = []
        for label, src in r.sources.items():
            if label not in sending:
                continue
            keep = (src.stamps >= 1) & (src.stamps <= r.steps)
            key = src.stamps[keep] * src.size + src.indices[keep]
            uniq, counts = np.unique(key, return_counts=True)
            stamps, idx = np.divmod(uniq, src.size)
            mults = np.unique(counts) if len(counts) else np.ones(1, np.int64)
            lane = np.searchsorted(mults, counts)
            used = np.zeros((len(mults), src.size), bool)
            used[lane, idx] = True
            self.offsets[label] = n
            self.source_lanes[label] = (mults, used)
            relay_idx = n + idx * len(mults) + lane
            events.append((stamps, relay_idx))
            kinds.append(np.full(src.size * len(mults), -1))
            n += src.size * len(mults)
        self.n_source_relay = n
        for label in r.populations:
            if label in sending:
                size = r.populations[label].size
                self.offsets[label] = n
                kinds.append(np.full(size, len(links)))
                links.append((label, n, size))
                n += size
        eqs = ["kind : integer (constant)", "src : 1"]
        eqs += [f"f{k} : integer (linked)" for k in range(len(links))]
        cond = " or ".join([f"(kind == {k} and f{k} > 0)" for k in range(len(links))]
                           + ["src > 0"])
        relay = b2.NeuronGroup(n, "\n".join(eqs), threshold=cond, clock=self.clock,
                               name="hub_relay*")
        relay.thresholder["spike"].when = "after_resets"
        relay.kind = np.concatenate(kinds).astype(np.int32)
        for k, (label, start, size) in enumerate(links):
            group, first, _ = self.span[label]
            index = np.zeros(n, np.int64)
            index[start:start + size] = first + np.arange(size)
            setattr(relay, f"f{k}", b2.linked_var(group, "fired", index=index))
        self.relay = relay
        out = [relay]
        if events:
            stamps = np.concatenate([e[0] for e in events])
            relay_idx = np.concatenate([e[1] for e in events])
            order = np.lexsort((relay_idx, stamps))
            stamps, relay_idx = stamps[order], relay_idx[order]
            cuts = np.searchsorted(stamps, np.arange(r.steps + 2))
            flag = relay.variables["src"].get_value()
            step = [0]

            @b2.network_operation(clock=self.clock, when="start", name="hub_sources*")
            def source_events():
                k = step[0]
                lo, hi = cuts[k], cuts[k + 1]          # stamped k: fired last step
                if hi > lo:
                    flag[relay_idx[lo:hi]] = 0.0
                lo, hi = cuts[k + 1], cuts[k + 2]      # stamped k + 1: fire in this step
                if hi > lo:
                    flag[relay_idx[lo:hi]] = 1.0
                step[0] = k + 1

            out.append(source_events)
        return out

    def _connect_all(self):
        """One Synapses object per post population, from the relay, sorted by relay index
        (stable: parallel connections keep the projection order).  A synapse carries one
        weight per input buffer of its target, zero for the buffers NEST does not route it
        to: adding 0.0 leaves a sum unchanged, so each buffer still sees exactly its own
        inputs in the same order."""
        b2, ms = self.b2, self.b2.ms
        r = self.r
        parts = {}
        for proj in r.projections:
            if proj.n == 0 or proj.rule is not None:   # plastic: plastic_build
                continue
            if proj.pre not in self.offsets:           # native Poisson: native.py
                continue
            table = self.model_of[proj.post]
            inh = table.receptor == "conductance" and proj.receptor == "inhibitory"
            w = proj.weight * (table.weight_scale * (-1.0 if inh else 1.0))   # NEST's weight
            if table.receptor == "single":
                weights = [w]
            elif table.receptor == "sign":                 # NEST: w*m > 0 -> ex, else in
                weights = [np.where(w > 0, w, 0.0), np.where(w > 0, 0.0, w)]
            else:                                           # NEST: w > 0 -> ex += w*m, else in += -w*m
                weights = [np.where(w > 0, w, 0.0), np.where(w > 0, 0.0, -w)]
            weights = np.stack(weights)                    # (buffers, synapses): rows contiguous
            base = self.offsets[proj.pre]
            target, post_base, _ = self.span[proj.post]
            # int32 indices and delays, as Brian2 stores them: half the memory of int64
            pre_idx = proj.pre_idx.astype(np.int32)
            delay = (proj.delay_steps - 1).astype(np.int32)
            post_idx = (proj.post_idx + post_base).astype(np.int32)
            if proj.pre in self.groups:
                chunks = [(pre_idx + np.int32(base), post_idx, weights, delay)]
            else:       # one copy per multiplicity, for the senders that use it
                mults, used = self.source_lanes[proj.pre]
                chunks = []
                for lane, m in enumerate(mults):
                    sel = used[lane][pre_idx]
                    chunks.append(((base + pre_idx[sel].astype(np.int64) * len(mults) + lane)
                                   .astype(np.int32), post_idx[sel],
                                   weights[:, sel] * int(m), delay[sel]))
            parts.setdefault(target.name, (target, table, []))[2].extend(chunks)
        out = []
        slice_steps = nest_min_delay_steps(r)
        for post, (target, table, chunks) in parts.items():
            i, j, d = (np.concatenate(x) for x in zip(*((c[0], c[1], c[3]) for c in chunks)))
            w = np.concatenate([c[2] for c in chunks], axis=1)
            chunks.clear()
            if not len(i):
                continue
            if not (i[1:] >= i[:-1]).all():       # sort by sender; one array at a time
                order = stable_argsort(i)
                i = i[order]
                j = j[order]
                d = d[order]
                w = w[:, order]
                del order
            for bufs, rows, sel in self._pathways(table.buffers, w):
                if sel is None:
                    out.append(self._pathway(target, post, bufs, i, j, w, d, slice_steps))
                elif sel.any():
                    out.append(self._pathway(target, post, bufs, i[sel], j[sel], w[rows][:, sel],
                                             d[sel], slice_steps))
        return out

    def _pathways(self, buffers, w):
        """(buffers, rows of ``w``, synapse mask or None) of each Synapses object into one
        target group.  Compiled code: one object carrying a weight per buffer (zero where
        NEST does not route a synapse: adding 0.0 changes no sum), one module to compile.
        numpy: one object per buffer with only its own synapses, so an event costs one
        scatter-add, not one per buffer."""
        if len(buffers) == 1 or self.codegen != "numpy":
            return [(buffers, slice(None), None)]
        return [((buf,), slice(k, k + 1), w[k] != 0) for k, buf in enumerate(buffers)]

    def _pathway(self, target, post, bufs, i, j, w, d, slice_steps):
        """One Synapses from the relay into ``target`` (buffers ``bufs``, weights ``w`` with
        one row per buffer), in the NEST-order spike queue where delays differ."""
        b2, ms = self.b2, self.b2.ms
        homogeneous = bool((d == d[0]).all())
        queue_class = None
        if self.nest_order and slice_steps > 1 and not homogeneous:
            queue_class = _ordered_queue_class(b2)
        with _spike_queue(b2, queue_class):
            syn = b2.Synapses(self.relay, target,
                              model="\n".join(f"w_{buf} : 1" for buf in bufs),
                              on_pre="\n".join(f"{buf}_post += w_{buf}" for buf in bufs),
                              delay=(int(d[0]) * self.dt * ms) if homogeneous else None,
                              clock=self.clock, namespace={},
                              name=_name("hub_syn_", post[4:]))
        if queue_class is not None:
            syn.pre.queue.configure(slice_steps, d, i, i < self.n_source_relay)
        syn.connect(i=i, j=j)
        for k, buf in enumerate(bufs):
            setattr(syn, f"w_{buf}", np.ascontiguousarray(w[k]))
        if not homogeneous:
            syn.delay = d * self.dt * ms
        self.hot_code(syn.pre, target.name, syn.name, "\n".join(bufs))
        return syn

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
        if self.codegen == "cython" and self.hot_runners:   # the cache now holds this network
            marker = self._warm_marker()
            try:
                os.makedirs(os.path.dirname(marker), exist_ok=True)
                with open(marker, "w") as f:
                    f.write(f"{self.r.label}\n")
            except OSError:      # a read-only cache is still a cache
                pass
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
                (idx, st), start, stop = self.spike_monitors[label]
                idx = np.concatenate(idx).astype(np.int64) if idx else np.zeros(0, np.int64)
                st = np.concatenate(st) if st else np.zeros(0, np.int64)
                mine = (idx >= start) & (idx < stop)
                idx, st = idx[mine] - start, st[mine]
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
        plastic_build.results(self, res)
        table_info = {label: {"nest_model": t.nest_model, "integrator": t.integrator}
                      for label, t in self.model_of.items()}
        compiled = {}
        if self.codegen == "cython":
            from .backend import STRICT_GCC_FLAGS

            compiled = {"compiled": sorted(x.name for x in self.hot_runners),
                        "cflags": " ".join(STRICT_GCC_FLAGS), "cache_dir": self.cache_dir,
                        "jobs": self.jobs}
        if self.requested == "auto":
            compiled["auto"] = self.auto_reason
        res.provenance["brian2"] = {"codegen": self.codegen, "requested": self.requested,
                                    **compiled, "schedule": SCHEDULE,
                                    "nest_order": self.nest_order,
                                    "substeps": self.substeps, "models": table_info,
                                    "nest_h": self.h}
        return res

    def close(self):
        net = getattr(self, "net", None)
        if net is not None:
            self.net = None
            self.groups, self.relay, self.state_monitors, self.spike_monitors = {}, None, [], {}
            self.span, self.merged, self.hot_runners = {}, [], []
            self.plastic, self.plastic_sources = {}, {}
            del net
            # free the Brian2 names ("hub_exc", ...) now: the next session of this process
            # gets the same names, hence the same code text and the cached modules
            import gc

            gc.collect()

"""codegen="standalone": the whole network as one C++ program (Brian2's ``cpp_standalone``).

The session builds the same groups, relay and synapses as in runtime mode, with the same
one-operation-per-statement code, under Brian2's C++ standalone device; what runtime mode
does with network operations (Python code every step) is replaced by objects that standalone
mode can compile:

* **source events**: a ``SpikeGeneratorGroup`` with one neuron per relay neuron of the
  sources (an event stamped s at time (s-1) dt) and a ``Synapses`` onto the relay that sets
  ``src = 1``, delay 0, in the slot ``after_resets`` before the relay's threshold; a
  ``run_regularly`` after the threshold sets ``src = 0`` again.  The relay, its indices and
  the pathways into the targets are those of runtime mode (``relay.py``).
* **injected currents**: ``I_inj`` is set at the start of every step from two
  ``TimedArray``s: the segment in force in step n (one value per step), and the currents of
  each segment (segments x neurons).  Amplitude k applies to the steps n >= stamps[k], as in
  runtime mode.
* **spikes**: a ``SpikeMonitor`` per group in the slot ``end`` (after the reset, so that a
  model with several spikes per step records the step's count).

Compiled with ``STRICT_GCC_FLAGS`` (strict IEEE: ``-O3 -ffp-contract=off -fno-fast-math``,
no ``-march=native``, no ``-ffast-math``), so every number equals the runtime targets'
where the network needs no spike-queue sort (below).

Not available in standalone mode, refused before any Brian2 object is made
(:func:`refusals`): parameter changes between run segments, plastic projections (their
sources, dopamine and traces are fed by network operations), native Poisson sources whose
neurons have several targets (drawn each step in Python).  The NEST-order sort of the spike
queue (runtime option ``nest_order``, needed where NEST's min_delay is more than one step
and the delays into a group differ) is a Python spike queue: standalone runs Brian2's own
C++ queue there, and the provenance says so (``nest_order`` False, tier 2: sums may differ
from NEST's in the last bit).

One project directory per network structure under ``cache_dir`` (default
``~/.cache/snn-hub/brian2-standalone-<hash of the flags>``), locked while a process uses it
(another process running the same structure at the same time builds in a directory of its
own, removed afterwards).  Brian2 rewrites only the files whose text changed and ``make``
recompiles only those, so a second run of the same structure compiles nothing.  The
``MAX_PROJECTS`` most recently used directories are kept.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time

import numpy as np

from hub.errors import BackendError, CapabilityError
from hub.resolve import native_out_degree, native_sources

from .compiled import STRICT_GCC_FLAGS
from .relay import nest_min_delay_steps

#: project directories kept in the cache (least recently used ones are removed)
MAX_PROJECTS = 12


def default_root() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    flags = hashlib.sha256(" ".join(STRICT_GCC_FLAGS).encode()).hexdigest()[:10]
    return os.path.join(base, "snn-hub", f"brian2-standalone-{flags}")


def refusals(resolved) -> list[str]:
    """What standalone mode cannot run in ``resolved``, one line each naming the feature and
    the fix (empty: it can run)."""
    fix = "use codegen='cython' (or 'numpy'), which runs it with the same numbers"
    out = []
    if resolved.changes:
        stamps = sorted({int(c.step) for c in resolved.changes})
        out.append(
            f"codegen='standalone': parameter changes between run segments (at stamps "
            f"{stamps[:5]}{' ...' if len(stamps) > 5 else ''}) are applied by Python code "
            f"during the run; {fix}"
        )
    for proj in resolved.projections:
        if proj.rule is not None and proj.n:
            out.append(
                f"codegen='standalone': plastic projection {proj.label!r} (rule "
                f"{type(proj.rule).__name__}) is fed by Python code during the run; {fix}"
            )
    for label in native_sources(resolved):
        if native_out_degree(resolved, label).max(initial=0) > 1:
            out.append(
                f"codegen='standalone': PoissonSource {label!r} (resolve='native') has neurons "
                f"with several targets, drawn by Python code every step; {fix}, or "
                "resolve='hub'"
            )
    return out


def check(resolved) -> None:
    reasons = refusals(resolved)
    if reasons:
        raise CapabilityError("brian2", reasons)


def order_kept(ctx) -> bool:
    """Does Brian2's own spike queue add each step's inputs in NEST's order here?  Yes when
    NEST's min_delay is one step, or every group's static inputs have one delay (what the
    runtime NEST-order queue would sort otherwise)."""
    r = ctx.resolved
    if nest_min_delay_steps(r) <= 1:
        return True
    delays: dict = {}
    for proj in r.projections:
        if proj.n and proj.rule is None and proj.post in ctx.span:
            delays.setdefault(ctx.span[proj.post][0].name, set()).update(
                np.unique(proj.delay_steps).tolist()
            )
    return all(len(d) <= 1 for d in delays.values())


# --- codegen="auto" ---------------------------------------------------------------------------
def same_numbers(resolved) -> bool:
    """Would standalone mode give the runtime targets' numbers here?  Nothing refused, no
    native Poisson source (standalone draws with its own generator) and NEST's order kept
    without a sort (groups are one per model: plasticity, which splits them, is refused)."""
    r = resolved
    if refusals(r) or native_sources(r):
        return False
    if nest_min_delay_steps(r) <= 1:
        return True
    delays: dict = {}
    for proj in r.projections:
        if proj.n and proj.post in r.populations:
            delays.setdefault(r.populations[proj.post].model.label, set()).update(
                np.unique(proj.delay_steps).tolist()
            )
    return all(len(d) <= 1 for d in delays.values())


def code_objects(resolved) -> int:
    """About how many code objects a numpy run calls every step: per group of one model its
    update, inputs, threshold and reset; per target group and receptor a pathway and its
    push; the relay and its source feed; the spike recorder and each state monitor; three
    per plastic projection."""
    r = resolved
    models = {p.model.label for p in r.populations.values()}
    targets = {
        (r.populations[p.post].model.label, p.receptor)
        for p in r.projections
        if p.n and p.post in r.populations
    }
    plastic = sum(1 for p in r.projections if p.n and p.rule is not None)
    return (
        4 * len(models) + 2 * len(targets) + 2 * bool(r.sources) + 1 + len(r.probes) + 3 * plastic
    )


def signature(resolved) -> str:
    """A hash of what a standalone project's code depends on, from the resolved network alone
    (labels, models, sizes of nothing): the key of the marker a standalone run leaves."""
    import brian2

    r = resolved
    parts = [brian2.__version__, " ".join(STRICT_GCC_FLAGS), repr(r.dt)]
    parts += [f"pop:{k}:{p.model.label}" for k, p in r.populations.items()]
    parts += [f"src:{k}:{type(s).__name__}" for k, s in r.sources.items()]
    for p in r.projections:
        homogeneous = bool(p.n) and bool((p.delay_steps == p.delay_steps[0]).all())
        parts.append(f"proj:{p.pre}:{p.post}:{p.receptor}:{bool(p.n)}:{homogeneous}")
    parts += [f"probe:{p.population}:{p.variable}:{p.interval_steps}" for p in r.probes]
    parts += [f"inj:{i.target}" for i in r.injections]
    return hashlib.sha256("\x01".join(parts).encode()).hexdigest()[:24]


def marker(root: str, resolved) -> str:
    return os.path.join(root, "hub-networks", signature(resolved))


def mark_warm(root: str, resolved) -> None:
    """Leave the marker that this network's standalone project is compiled."""
    write_marker(marker(root, resolved), resolved.label)


def write_marker(path: str, label: str) -> None:
    """A marker file at ``path`` naming the network ``label`` (the cache holds its compiled
    code); a read-only cache is still a cache, so a failure to write is ignored."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(f"{label}\n")
    except OSError:
        pass


def activate(b2, jobs: int) -> None:
    """Make a fresh ``cpp_standalone`` device the active one (the previous device is restored
    by :func:`restore`), with the hub's strict compiler flags."""
    b2.set_device("cpp_standalone", build_on_run=False)
    device = b2.get_device()
    device.reinit()  # forget any earlier standalone network of this process
    device.activate(build_on_run=False)
    b2.prefs.codegen.cpp.extra_compile_args_gcc = list(STRICT_GCC_FLAGS)
    b2.prefs.codegen.cpp.extra_compile_args = None  # i.e. the _gcc ones
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{max(1, int(jobs))}"]
    b2.prefs.devices.cpp_standalone.openmp_threads = 0


def restore(b2) -> None:
    """Forget the standalone network and go back to the device active before."""
    from brian2.devices.device import reset_device

    device = b2.get_device()
    if type(device).__name__ == "CPPStandaloneDevice":
        device.reinit()
        reset_device()


# --- replacements for the network operations ------------------------------------------------
def source_feed(ctx, group, events) -> list:
    """Objects that set ``src`` of the relay neurons whose events fire in this step (see the
    module docstring); ``events``: [(stamps, relay indices)] per source."""
    b2 = ctx.b2
    stamps = np.concatenate([e[0] for e in events]).astype(np.int64)
    relay_idx = np.concatenate([e[1] for e in events]).astype(np.int64)
    n = int(relay_idx.max()) + 1 if len(relay_idx) else 1
    gen = b2.SpikeGeneratorGroup(
        n,
        relay_idx,
        (stamps - 1) * ctx.dt * b2.ms,
        clock=ctx.clock,
        name="hub_sourcegen*",
    )
    feed = b2.Synapses(
        gen, group, on_pre="src_post = 1.0", clock=ctx.clock, namespace={}, name="hub_feed*"
    )
    feed.connect(j="i")
    feed.pre.when, feed.pre.order = "after_resets", -1
    group.run_regularly("src = 0.0", when="after_resets", order=1, name="hub_srcoff*")
    return [gen, feed]


def injections(session) -> None:
    """``I_inj`` of every group with injections set at the start of each step from the
    segment in force (the runtime path switches it with a network operation)."""
    b2, r, ctx = session.b2, session.resolved, session.ctx
    per_group: dict = {}
    for k, inj in enumerate(r.injections):
        g, start, _ = ctx.span[inj.target]
        per_group.setdefault(g.name, (g, []))[1].append(k)
    for g, ks in per_group.values():
        changes = {}  # stamp -> [(injection, amplitude in model units)]
        for k in ks:
            inj = r.injections[k]
            amps = np.asarray(inj.amplitudes, float) * ctx.model_of[inj.target].current_scale
            for s, a in zip(np.asarray(inj.stamps, np.int64), amps):
                changes.setdefault(min(max(int(s), 0), r.steps), []).append((k, float(a)))
        current = {k: 0.0 for k in ks}
        firsts, rows = [], []
        for stamp in sorted(changes):
            for k, a in changes[stamp]:
                current[k] = a
            row = np.zeros(len(g))
            for k in ks:
                inj = r.injections[k]
                np.add.at(row, ctx.span[inj.target][1] + np.asarray(inj.indices), current[k])
            firsts.append(stamp)
            rows.append(row)
        if not firsts or firsts[0] != 0:
            firsts.insert(0, 0)
            rows.insert(0, np.zeros(len(g)))
        segment = np.searchsorted(np.asarray(firsts), np.arange(r.steps + 1), side="right") - 1
        seg = b2.TimedArray(segment.astype(float), dt=ctx.dt * b2.ms, name="hub_inj_seg*")
        vals = b2.TimedArray(np.asarray(rows), dt=1 * b2.ms, name="hub_inj_val*")
        g.namespace.update(hub_inj_seg=seg, hub_inj_val=vals)
        g.run_regularly(
            "I_inj = hub_inj_val(hub_inj_seg(t) * ms, i)",
            when="start",
            name="hub_currents*",
            clock=ctx.clock,
        )


def spike_monitors(session, spiking) -> list:
    """A ``SpikeMonitor`` per group in ``spiking`` (slot ``end``: after the reset, which sets
    the step's spike count of a model with several spikes per step)."""
    b2, ctx = session.b2, session.ctx
    out = []
    session.standalone_spikes = []
    for g, labels in spiking.values():
        count = ctx.model_of[next(iter(labels))].count
        mon = b2.SpikeMonitor(
            g, variables=[count] if count else [], when="end", name="hub_spikemon*"
        )
        record = ([], [])
        session.standalone_spikes.append((mon, count, record))
        for label in labels:
            _, start, stop = ctx.span[label]
            session.spike_monitors[label] = (record, start, stop)
        out.append(mon)
    return out


def collect_spikes(session) -> None:
    """Fill the spike records from the monitors after the run (stamp = step + 1)."""
    for mon, count, (idx, stamps) in session.standalone_spikes:
        i = np.asarray(mon.i[:], np.int64)
        k = np.rint(np.asarray(mon.t_[:], float) / (session.dt * 1e-3)).astype(np.int64)
        if count:
            reps = np.asarray(getattr(mon, count)[:], np.int64)
            i, k = np.repeat(i, reps), np.repeat(k, reps)
        idx.append(i)
        stamps.append(k + 1)


# --- the project directory, compiling and running -------------------------------------------
class Project:
    """The project directory of one run, locked while in use."""

    def __init__(self, root: str, key: str):
        import fcntl

        os.makedirs(root, exist_ok=True)
        self.root, self.own = root, False
        self.path = os.path.join(root, f"net-{key}")
        os.makedirs(self.path, exist_ok=True)
        self._lock = open(os.path.join(self.path, ".lock"), "w")  # noqa: SIM115
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another process builds this structure now: a directory of our own
            self._lock.close()
            self._lock = None
            self.path = os.path.join(root, f"net-{key}-{os.getpid()}-{time.time_ns()}")
            os.makedirs(self.path)
            self.own = True
        os.utime(self.path)

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        if self.own:
            shutil.rmtree(self.path, ignore_errors=True)
        _prune(self.root)


def _prune(root: str) -> None:
    """Keep the ``MAX_PROJECTS`` most recently used project directories."""
    import fcntl

    try:
        dirs = [os.path.join(root, d) for d in os.listdir(root) if d.startswith("net-")]
        dirs.sort(key=os.path.getmtime, reverse=True)
    except OSError:
        return
    for path in dirs[MAX_PROJECTS:]:
        try:
            with open(os.path.join(path, ".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # not in use
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def project_key(session) -> str:
    """The directory of a network structure: the names and classes of its Brian2 objects and
    the code the session registered (sizes and values do not matter: make recompiles what
    changed)."""
    objs = sorted(f"{type(o).__name__}:{o.name}" for o in session.net.sorted_objects)
    text = "\x01".join([session.structure_key(), *objs])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_and_run(session, root: str):
    """Generate, compile and run the project of ``session.net`` (already ``run`` under the
    standalone device).  Returns (timings in s, the locked :class:`Project`: release it
    once the results are read): ``codegen_s`` (writing the project), ``compile_s`` (make),
    ``run_s`` (the program's own simulation time, as Brian2 measures it), ``binary_s`` (the
    program, with loading and writing its arrays)."""
    b2 = session.b2
    device = b2.get_device()
    project = Project(root, project_key(session))
    session.build_dir = project.path
    try:
        t0 = time.perf_counter()
        device.build(
            directory=project.path, compile=False, run=False, with_output=False, clean=False
        )
        t1 = time.perf_counter()
        try:
            device.compile_source(project.path, "unix", False, False)
        except RuntimeError as exc:
            raise BackendError(
                f"brian2: compiling the standalone project in {project.path} failed ({exc}); "
                "run `make` there to see the compiler's messages"
            ) from exc
        t2 = time.perf_counter()
        device.run(project.path, None, False, None)
        t3 = time.perf_counter()
    except BaseException:
        project.release()
        raise
    timings = {
        "codegen_s": t1 - t0,
        "compile_s": t2 - t1,
        "run_s": float(device._last_run_time),
        "binary_s": t3 - t2,
    }
    return timings, project

"""Side-by-side performance runs: the hub path against hand-written native scripts.

>>> from hub.bench import bench
>>> rep = bench("cuba", backends=["nest", "brian2", "chip"], repeat=3)  # doctest: +SKIP
>>> print(rep.table())                                                            # doctest: +SKIP

The network is resolved once, here (timed, with its peak traced memory), and written to a
file; every measurement is a fresh process (:mod:`hub.benchmarks.worker`) that reads it, so
the hub path and the native script (:mod:`hub.benchmarks.native_nest`,
:mod:`hub.benchmarks.native_brian2`) build the same connectivity arrays and initial values.
The runs alternate (hub, native, native, hub, ...) in one process tree, so a change in the
machine's load touches both; medians over ``repeat`` runs are reported with their ratios
(hub / native), because on a shared machine only ratios are stable.

Per measurement: import (the simulator), build, run (simulate), peak RSS, spikes,
synaptic events per second of run time (every spike times its out-degree) and the
real-time factor (run time / simulated time); the chip's own counters; Brian2
``cpp_standalone`` (path ``standalone``) for the compiled reference.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field

from ..runner import backend_list, positive_int, spawn_worker, timing_spread
from ..textfmt import fmt, jsonable, table
from ..errors import HubError
from ..resolve import ResolvedNetwork, resolve

#: timings compared between the hub path and the native script
RATIO_KEYS = ("build_s", "run_s", "peak_rss_mb")
#: performance targets for hub / native (docs/performance.md)
TARGETS = {"build_s": 1.25, "run_s": 1.05, "peak_rss_mb": 1.20}


@dataclass
class Measurement:
    """Medians of one (backend, path) over its repeats; ``runs`` keeps every status."""

    backend: str
    path: str
    status: str = "ok"
    error: str | None = None
    timings: dict = field(default_factory=dict)
    spread: dict = field(default_factory=dict)
    peak_rss_mb: float | None = None
    spikes: dict = field(default_factory=dict)
    synaptic_events: float | None = None
    chip: dict | None = None
    repeats: int = 0
    first: dict = field(default_factory=dict)  # timings of the first repeat (cold caches)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def key(self) -> str:
        return f"{self.backend}/{self.path}"

    def events_per_s(self) -> float | None:
        run = self.timings.get("run_s")
        return self.synaptic_events / run if self.ok and run and self.synaptic_events else None

    def to_dict(self, duration_ms: float) -> dict:
        run = self.timings.get("run_s")
        return {
            "backend": self.backend,
            "path": self.path,
            "status": self.status,
            "error": self.error,
            "repeats": self.repeats,
            "timings": self.timings,
            "spread": self.spread,
            "peak_rss_mb": self.peak_rss_mb,
            "spikes": self.spikes,
            "synaptic_events": self.synaptic_events,
            "events_per_s": self.events_per_s(),
            "realtime_factor": run / (duration_ms / 1000.0) if run else None,
            "first": self.first,
            "chip": self.chip,
        }


@dataclass
class BenchReport:
    benchmark: str
    network: dict
    settings: dict
    resolve: dict
    measurements: list[Measurement]
    machine: dict
    #: ``{backend: fingerprint}`` of the code measured (:mod:`hub.benchmarks.freshness`)
    fingerprint: dict = field(default_factory=dict)

    def get(self, backend: str, path: str) -> Measurement | None:
        return next((m for m in self.measurements if m.backend == backend and m.path == path), None)

    def ratio(self, backend: str, key: str, path: str = "native") -> float | None:
        """hub / ``path`` median of ``key`` (a timing or ``peak_rss_mb``)."""
        a, b = self.get(backend, "hub"), self.get(backend, path)
        if not (a and b and a.ok and b.ok):
            return None
        va, vb = _value(a, key), _value(b, key)
        return va / vb if va is not None and vb else None

    def ratios(self) -> dict:
        out = {}
        for backend in self.settings["backends"]:
            row = {k: self.ratio(backend, k) for k in RATIO_KEYS}
            if any(v is not None for v in row.values()):
                out[backend] = row
        return out

    def misses(self) -> list[str]:
        """Targets of hub / native that this report misses, one line each."""
        out = []
        for backend, row in self.ratios().items():
            for key, value in row.items():
                if value is not None and value > TARGETS[key]:
                    out.append(
                        f"{self.benchmark} {backend}: {key} hub/native {value:.3f} > "
                        f"{TARGETS[key]:.2f}"
                    )
        return out

    def to_dict(self) -> dict:
        return {
            "schema": "snn-hub/bench",
            "version": 1,
            "benchmark": self.benchmark,
            "network": self.network,
            "settings": self.settings,
            "resolve": self.resolve,
            "measurements": [m.to_dict(self.network["duration_ms"]) for m in self.measurements],
            "ratios": self.ratios(),
            "targets": TARGETS,
            "machine": self.machine,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, doc: dict) -> "BenchReport":
        """The report :meth:`to_dict` wrote (derived fields are recomputed)."""
        fields_ = (
            "backend",
            "path",
            "status",
            "error",
            "timings",
            "spread",
            "peak_rss_mb",
            "spikes",
            "synaptic_events",
            "chip",
            "repeats",
            "first",
        )
        ms = [Measurement(**{k: m.get(k) for k in fields_ if k in m}) for m in doc["measurements"]]
        for m in ms:
            m.timings, m.spread, m.spikes = m.timings or {}, m.spread or {}, m.spikes or {}
            m.first = m.first or {}
        return cls(
            doc["benchmark"],
            doc["network"],
            doc["settings"],
            doc["resolve"],
            ms,
            doc.get("machine", {}),
            doc.get("fingerprint") or {},
        )

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=jsonable)

    def save(self, path) -> str:
        tmp = f"{path}.tmp"
        with open(tmp, "w") as f:
            f.write(self.to_json())
        os.replace(tmp, path)
        return str(path)

    def table(self) -> str:

        rows = []
        for m in self.measurements:
            t = m.timings
            rows.append(
                [
                    m.key,
                    m.status if not m.ok else str(m.repeats),
                    fmt(t.get("import_s"), ".2f"),
                    fmt(t.get("build_s"), ".2f"),
                    fmt(t.get("run_s"), ".2f"),
                    fmt(m.peak_rss_mb, ".0f"),
                    sum(m.spikes.values()) if m.spikes else "-",
                    fmt(m.events_per_s(), ".3g"),
                    fmt(
                        t.get("run_s") / (self.network["duration_ms"] / 1000.0)
                        if t.get("run_s")
                        else None,
                        ".2f",
                    ),
                ]
            )
        head = (
            f"{self.benchmark}: {self.network['neurons']} neurons, "
            f"{self.network['synapses']} synapses, {self.network['duration_ms']:g} ms; "
            f"resolve {self.resolve['time_s']:.2f} s, peak "
            f"{self.resolve['peak_traced_mb']:.0f} MiB "
            f"({self.resolve['peak_over_arrays']:.2f}x the arrays)"
        )
        text = (
            head
            + "\n"
            + table(
                [
                    "run",
                    "n",
                    "import s",
                    "build s",
                    "run s",
                    "peak MiB",
                    "spikes",
                    "syn ev/s",
                    "RT factor",
                ],
                rows,
            )
        )
        ratios = self.ratios()
        if ratios:
            text += (
                "\n\nhub / native (medians; targets build <= 1.25, run <= 1.05, memory <= 1.20)\n"
            )
            text += table(
                ["backend", "build", "run", "peak memory"],
                [[b, *(fmt(r[k], ".3f") for k in RATIO_KEYS)] for b, r in ratios.items()],
            )
        for m in self.measurements:
            if not m.ok:
                text += f"\n{m.key}: {m.status}: {m.error}"
        return text


def _value(m: Measurement, key: str):
    return m.peak_rss_mb if key == "peak_rss_mb" else m.timings.get(key)


def machine() -> dict:
    """What the numbers were measured on."""
    info = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "cpus": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), None
            )
        info["cpu"] = model
        with open("/proc/meminfo") as f:
            info["memory_gib"] = round(int(f.readline().split()[1]) / 2**20, 1)
        info["load_avg"] = os.getloadavg()
    except (OSError, StopIteration):
        pass
    return info


def resolve_measured(network, duration) -> tuple[ResolvedNetwork, dict]:
    """``resolve()`` timed, with its peak traced memory (numpy allocations included) against
    the size of the arrays it returns."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        r = resolve(network, duration)
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    arrays = resolved_nbytes(r)
    return r, {
        "time_s": elapsed,
        "peak_traced_mb": peak / 2**20,
        "arrays_mb": arrays / 2**20,
        "peak_over_arrays": peak / max(arrays, 1),
    }


def resolved_nbytes(r: ResolvedNetwork) -> int:
    """Bytes of every array of a resolved network."""
    total = 0
    for p in r.projections:
        total += p.pre_idx.nbytes + p.post_idx.nbytes + p.weight.nbytes + p.delay_steps.nbytes
    for pop in r.populations.values():
        total += sum(a.nbytes for a in (*pop.params.values(), *pop.initial.values()))
    for s in r.sources.values():
        total += s.indices.nbytes + s.stamps.nbytes
    return total


def bench(
    network,
    backends=("nest",),
    native: bool = True,
    standalone: bool = False,
    repeat: int = 3,
    duration: float | None = None,
    options: dict | None = None,
    benchmark: str | None = None,
    params: dict | None = None,
    timeout: float | None = 3600.0,
    progress=None,
    workdir=None,
) -> BenchReport:
    """Measure ``network`` (a :class:`hub.Network`, or a benchmark name of
    :data:`hub.benchmarks.BENCHMARKS`) on ``backends``, hub path and, with ``native``, the
    hand-written script of each backend that has one; ``standalone`` adds Brian2's
    ``cpp_standalone`` script.  ``options`` are ``{backend: {option: value}}`` for the hub
    path (the native Brian2 script uses the same ``codegen`` target); ``params`` go to the
    benchmark's builder (e.g. ``{"scale": 0.25}``).  ``progress(text)`` is called before
    each measurement."""
    from . import BENCHMARKS, native_scripts

    backends = backend_list(backends)
    repeat = positive_int("repeat", repeat)
    options = dict(options or {})
    if isinstance(network, str):
        if network not in BENCHMARKS:
            raise HubError(
                f"benchmark: {network!r} is not one of {sorted(BENCHMARKS)}; "
                "give a benchmark name or a hub.Network"
            )
        spec = BENCHMARKS[network]
        benchmark = network
        network = spec.build(**(params or {}))
        duration = spec.duration if duration is None else duration
    duration = 1000.0 if duration is None else float(duration)
    scripts = native_scripts(benchmark) if (native or standalone) else {}
    if (native or standalone) and not scripts:
        raise HubError(
            f"--native: no hand-written scripts for {benchmark or 'this network'}; "
            "use a benchmark name (snn-hub bench --list) or drop --native"
        )
    r, resolve_info = resolve_measured(network, duration)
    plan = []
    for name in backends:
        plan.append((name, "hub"))
        if native and name in scripts:
            plan.append((name, "native"))
        if standalone and name == "brian2" and "brian2" in scripts:
            plan.append((name, "standalone"))
    own_dir = workdir is None
    work = tempfile.mkdtemp(prefix="snn-hub-bench-") if own_dir else os.fspath(workdir)
    os.makedirs(work, exist_ok=True)
    statuses: dict = {key: [] for key in plan}
    try:
        from ..resolved_io import save_resolved

        net_file = save_resolved(r, os.path.join(work, "network.npz"))
        info = _network_info(r)
        del r  # the workers load their own copy: at scale two copies would not fit
        for k in range(repeat):
            order = plan if k % 2 == 0 else plan[::-1]  # hub, native, native, hub, ...
            for name, path in order:
                if statuses[(name, path)] and statuses[(name, path)][-1]["status"] != "ok":
                    continue  # failed once: do not retry
                if progress is not None:
                    progress(f"{name}/{path} run {k + 1}/{repeat}")
                statuses[(name, path)].append(
                    _measure(
                        name,
                        path,
                        benchmark,
                        net_file,
                        options.get(name, {}),
                        timeout,
                        os.path.join(work, f"{name}.{path}.{k}"),
                        work,
                    )
                )
    finally:
        if own_dir:
            shutil.rmtree(work, ignore_errors=True)
    measurements = [_summarise(name, path, statuses[(name, path)]) for name, path in plan]
    settings = {
        "backends": backends,
        "repeat": repeat,
        "native": native,
        "params": params,
        "standalone": standalone,
        "options": options,
    }
    return BenchReport(
        benchmark or info["label"], info, settings, resolve_info, measurements, machine()
    )


def _network_info(r: ResolvedNetwork) -> dict:
    """What a report says about the network measured."""
    return {
        "label": r.label,
        "neurons": sum(p.size for p in r.populations.values()),
        "sources": sum(s.size for s in r.sources.values()),
        "synapses": r.n_synapses,
        "duration_ms": r.duration,
        "dt_ms": r.dt,
        "seed": r.seed,
        "populations": {label: p.size for label, p in r.populations.items()},
    }


def _measure(name, path, benchmark, net_file, opts, timeout, stem, work) -> dict:
    native_options = {}
    if path == "standalone":
        native_options = {
            "target": "cpp_standalone",
            "directory": os.path.join(work, "brian2_standalone"),
        }
    elif path == "native" and name == "brian2" and opts.get("codegen") == "standalone":
        native_options = {  # the hub's standalone path against the standalone script
            "target": "cpp_standalone",
            "directory": os.path.join(work, "brian2_native_standalone"),
        }
    elif path == "native" and name == "brian2":  # the script runs the hub's target
        target = opts.get("codegen", "numpy")  # ('auto' decides per run: numpy here)
        native_options = {"target": "numpy" if target == "auto" else target}
    elif path == "native" and "threads" in opts:
        native_options = {"threads": int(opts["threads"])}
    request = {
        "path": "hub" if path == "hub" else "native",
        "benchmark": benchmark,
        "native_options": native_options,
    }
    return spawn_worker(
        name, net_file, opts, timeout, stem, None, module="hub.benchmarks.worker", request=request
    )


def _summarise(name, path, statuses: list[dict]) -> Measurement:
    ok = [s for s in statuses if s.get("status") == "ok"]
    failed = [s for s in statuses if s.get("status") != "ok"]
    if failed or not ok:
        bad = failed[0] if failed else {"status": "error", "error": "not run"}
        return Measurement(
            name, path, bad.get("status", "error"), bad.get("error"), repeats=len(ok)
        )
    spread = timing_spread([s["timings"] for s in ok])
    first = ok[0]
    return Measurement(
        name,
        path,
        "ok",
        None,
        {k: v["median"] for k, v in spread.items()},
        spread,
        float(statistics.median(s["peak_rss_mb"] for s in ok)),
        first.get("spikes", {}),
        first.get("synaptic_events"),
        first.get("chip"),
        len(ok),
        dict(first["timings"]),
    )

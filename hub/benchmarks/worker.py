"""One benchmark measurement in its own process, for :func:`hub.bench.bench`.

    python -m hub.benchmarks.worker REQUEST.json

The request names the resolved network file, the backend, the path (``"hub"``: ``hub.run``;
``"native"``: the hand-written script of :mod:`hub.benchmarks.native_nest` or
:mod:`~hub.benchmarks.native_brian2`), the benchmark name (which native script) and the
options.  The status file (JSON, as :mod:`hub.worker` writes it) holds ``timings``
(``import_s``: the simulator's import, ``load_s``: reading the network file, ``build_s``,
``run_s``, ``results_s``; Brian2 standalone also ``codegen_s``, on the hub path too: its
``run_s`` is then the compiled program's simulation time and ``build_s`` everything before
it, as the native script reports them), ``peak_rss_mb``,
``spikes`` per population, ``synaptic_events`` and, for the chip, its report's counters.
"""

from __future__ import annotations

import sys
import time

T_START = time.perf_counter()


def synaptic_events(r, counts: dict) -> float:
    """Synaptic events of a run: every spike of a sender times its number of outgoing
    connections, summed over projections.  Sources drawn in the hub count their events;
    a native Poisson source counts its expected number (rate x active time)."""
    import numpy as np

    total = 0.0
    for p in r.projections:
        size = r.size_of(p.pre)
        out_degree = np.bincount(p.pre_idx, minlength=size).astype(float)
        if p.pre in counts:
            spikes = np.asarray(counts[p.pre], float)
        elif getattr(r.sources[p.pre], "native", False):
            spikes = r.sources[p.pre].expected_count(r.dt)
        else:
            spikes = np.bincount(r.sources[p.pre].indices, minlength=size).astype(float)
        total += float(out_degree @ spikes)
    return total


def _hub_path(req, r):
    import numpy as np

    from hub.api import run

    t0 = time.perf_counter()
    results = run(r, backend=req["backend"], **req.get("options", {}))
    total = time.perf_counter() - t0
    build, run = results.timings["build_s"], results.timings["run_s"]
    out = {}
    standalone = results.provenance.get("brian2", {}).get("timings")
    if standalone:  # Brian2 C++ standalone: as the native script reports it (native_brian2)
        sim = float(standalone["run_s"])
        build, run = build + run - sim, sim
        out["codegen_s"] = standalone["codegen_s"] + standalone["compile_s"]
    counts = {
        label: np.bincount(tr.indices, minlength=tr.size)
        for label, tr in results.spike_trains.items()
        if label in r.populations
    }
    out.update(build_s=build, run_s=run, results_s=total - build - run, counts=counts)
    chip = results.extra.get("chip")
    if chip:
        keep = (
            "counts",
            "energy_J",
            "energy_per_synaptic_op_J",
            "time",
            "cores_used",
            "chips_used",
            "mapping_iterations",
        )
        out["chip"] = {k: chip[k] for k in keep if k in chip}
    return out


def _native_path(req, r):
    from . import native_brian2, native_nest

    scripts = {"nest": native_nest.SCRIPTS, "brian2": native_brian2.SCRIPTS}
    script = scripts[req["backend"]][req["benchmark"]]
    return script(r, **req.get("native_options", {}))


def _import_simulator(req):
    if req["path"] == "hub":
        from hub.plugins import get_backend

        get_backend(req["backend"]).versions()  # imports the simulator
    elif req["backend"] == "nest":
        from .native_nest import import_nest

        import_nest()
    else:
        import brian2  # noqa: F401


def _measure(req: dict, status: dict) -> None:
    """One measured run of the request's path (the hub or a native script)."""
    from hub.rss import peak_rss_mb

    timings = status["timings"]
    status["path"] = req["path"]
    _import_simulator(req)
    t1 = time.perf_counter()
    timings["import_s"] = t1 - T_START
    from hub.resolved_io import load_resolved

    r = load_resolved(req["resolved"])
    timings["load_s"] = time.perf_counter() - t1
    status["rss_loaded_mb"] = peak_rss_mb()
    out = _hub_path(req, r) if req["path"] == "hub" else _native_path(req, r)
    timings.update(
        {k: float(out[k]) for k in ("build_s", "run_s", "results_s", "codegen_s") if k in out}
    )
    counts = out["counts"]
    status["spikes"] = {label: int(c.sum()) for label, c in counts.items()}
    status["synaptic_events"] = synaptic_events(r, counts)
    if "chip" in out:
        status["chip"] = out["chip"]


def main(argv=None) -> int:
    from hub.worker import serve

    return serve(_measure, argv, timings={})


if __name__ == "__main__":
    sys.exit(main())

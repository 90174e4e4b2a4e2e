"""Time the Brian2 backend on CUBA (models/vogels_abbott.py, 4000 LIF, 1 s, dt 0.1 ms).

Every measurement runs in a fresh Python process (so ``import brian2`` and Brian2's
in-process caches count); the parent prints the median of ``--repeat`` runs.

    python -m hub.benchmarks.brian2_first_run --codegen numpy cython --repeat 3

(``make bench`` runs it and puts the table in docs/benchmarks.md.)

``cold``: the compiler cache (``cache_dir``) is a new empty directory for each run.
``warm``: the cache was filled by one untimed run of the same network first.
Columns: ``import`` (``import brian2``), ``build`` (Backend.build), ``run``
(Session.run: for runtime Cython this includes compiling the code objects), ``total``
= build + run (what the goal counts), ``compiles`` (code objects compiled in the process)
and ``compile`` (seconds the main process spent compiling them, 0 when worker processes compile).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYS = ["import", "build", "run", "total", "compiles", "compile"]


def once(
    codegen: str, cache_dir: str | None, duration: float, scale: float, jobs: int | None = None
) -> dict:
    """One measurement in this process."""
    sys.path.insert(0, os.path.join(ROOT, "models"))
    compiles = {"n": 0, "s": 0.0}
    t0 = time.perf_counter()
    import brian2  # noqa: F401

    t_import = time.perf_counter() - t0
    try:  # count runtime-Cython compilations (a module not yet in the cache)
        from brian2.codegen.runtime.cython_rt import extension_manager as em

        original = em.CythonExtensionManager._load_module

        def load(self, module_path, *args, **kwargs):
            fresh = not os.path.isfile(module_path)
            t = time.perf_counter()
            out = original(self, module_path, *args, **kwargs)
            if fresh:
                compiles["n"] += 1
                compiles["s"] += time.perf_counter() - t
            return out

        em.CythonExtensionManager._load_module = load
    except ImportError:  # pragma: no cover
        pass
    import vogels_abbott

    from hub.resolve import resolve
    from hub.plugins import get_backend

    net = vogels_abbott.build("cuba", scale=scale)
    resolved = resolve(net, duration)
    backend = get_backend("brian2")
    options = {"codegen": codegen}
    if cache_dir:
        options["cache_dir"] = cache_dir
    if jobs:
        options["jobs"] = jobs

    def modules():
        if not cache_dir or not os.path.isdir(cache_dir):
            return set()
        return {f for f in os.listdir(cache_dir) if f.endswith(".so")}

    before = modules()
    t1 = time.perf_counter()
    session = backend.build(resolved, **options)
    t2 = time.perf_counter()
    session.run()
    t3 = time.perf_counter()
    res = session.results()
    used = res.provenance.get("brian2", {}).get("codegen", codegen)
    session.close()
    extra = getattr(session, "timings", {}) or {}
    compiles["n"] = max(compiles["n"], len(modules() - before))  # also those of workers
    spikes = sum(len(st) for st in res.spike_trains.values())
    return {
        "import": t_import,
        "build": t2 - t1,
        "run": t3 - t2,
        "total": t3 - t1,
        "compiles": compiles["n"],
        "compile": compiles["s"],
        "spikes": spikes,
        "used": used,
        **extra,
    }


def fresh(codegen, cache_dir, duration, scale, jobs=None) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "hub.benchmarks.brian2_first_run",
        "--once",
        "--codegen",
        codegen,
        "--duration",
        str(duration),
        "--scale",
        str(scale),
    ]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if cache_dir:
        cmd += ["--cache-dir", cache_dir]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--codegen", nargs="+", default=["numpy", "cython"])
    ap.add_argument(
        "--modes",
        nargs="+",
        default=["cold", "warm"],
        choices=["cold", "warm"],
        help="compiler cache state (numpy has none: mode '-')",
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=float, default=1000.0)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--jobs", type=int, default=None, help="compile processes (option jobs)")
    ap.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.once:
        print(
            json.dumps(once(args.codegen[0], args.cache_dir, args.duration, args.scale, args.jobs))
        )
        return
    rows = measure(
        args.codegen, args.modes, args.repeat, args.duration, args.scale, args.cache_dir, args.jobs
    )
    print(f"{'codegen':15s} {'mode':5s} " + " ".join(f"{k:>9s}" for k in KEYS) + "   runs")
    for row in rows:
        med = row["median"]
        print(
            f"{row['codegen']:15s} {row['mode']:5s} "
            + " ".join(f"{med[k]:9.0f}" if k == "compiles" else f"{med[k]:9.2f}" for k in KEYS)
            + f"   total {' / '.join(f'{t:.2f}' for t in row['totals'])}; spikes "
            f"{row['spikes']}; ran {row['used']}",
            flush=True,
        )


def measure(
    codegens, modes, repeat=3, duration=1000.0, scale=1.0, cache_dir=None, jobs=None
) -> list[dict]:
    """Medians of ``repeat`` fresh-process runs per (codegen, cache mode)."""
    out = []
    for codegen in codegens:
        for mode in ["-"] if codegen == "numpy" else modes:
            rows = []
            base = tempfile.mkdtemp(prefix="hub-b2-bench-")
            try:
                if mode == "warm":
                    cache = cache_dir or os.path.join(base, "cache")
                    fresh(codegen, cache, duration, scale, jobs)  # fill the cache
                for k in range(repeat):
                    cache = (
                        os.path.join(base, f"cold{k}")
                        if mode == "cold"
                        else None
                        if mode == "-"
                        else (cache_dir or os.path.join(base, "cache"))
                    )
                    rows.append(fresh(codegen, cache, duration, scale, jobs))
            finally:
                shutil.rmtree(base, ignore_errors=True)
            out.append(
                {
                    "codegen": codegen,
                    "mode": mode,
                    "repeat": repeat,
                    "median": {k: statistics.median(r[k] for r in rows) for k in KEYS},
                    "totals": [r["total"] for r in rows],
                    "spikes": rows[0]["spikes"],
                    "used": ",".join(sorted({r["used"] for r in rows})),
                }
            )
    return out


if __name__ == "__main__":
    main()

"""Peak memory of the runs the benchmarks do not exercise: neurons with and without
recorded spikes (the benchmarks record every neuron's), recorded state, long delays,
hub-drawn input spikes, a mixed network held out of the fit, and the same network recording
spikes only (the term the estimate leaves out).  Each (case, backend) runs
``hub.run`` in a fresh process and reports its peak resident memory (``ru_maxrss``);
the results go to tests/data/memory_probes.json, which scripts/memory_calibration.py fits
and tests/test_memory_guard.py checks the estimate against.

    PYTHONPATH=.:plugins python scripts/memory_probe.py [--only CASE ...] [--out FILE]

``--only`` re-measures those cases and keeps the others of the file.

Brian2 runs its numpy target (as the benchmarks do).  One process at a time; a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("nest", "brian2", "chip")
#: case -> (description, used by the fit); the recorded spikes of every run are counted too
CASES = {
    "neurons": ("20,000 LIF, nothing connected or recorded, 10 ms", True),
    "recorders": ("20,000 LIF, nothing connected, spikes recorded, 10 ms", True),
    "samples": ("2000 LIF, in-degree 20, v recorded every step, 1000 ms", True),
    "delays": ("20,000 LIF, in-degree 5, delay 100 ms (1000 steps), 200 ms", True),
    "poisson": ("5000 hub-drawn Poisson sources at 50 Hz to 1000 LIF (p = 0.02), 5000 ms", True),
    "mixed": (
        "4000 LIF, 2000 Poisson sources at 20 Hz (p = 0.05), in-degree 50, delay 2 ms, "
        "v of 1000 neurons every step, 2000 ms (held out of the fit)",
        False,
    ),
    "spikes": (
        "the mixed network recording spikes only (about 2.8 million; held out of the fit)",
        False,
    ),
}


def build(case: str):
    """(network, duration ms) of ``case``."""
    import hub

    net = hub.Network(dt=0.1, seed=1, label=case)
    driven = hub.LIF(v_rest=-49.0, v_thresh=-50.0, v_reset=-60.0)
    if case in ("neurons", "recorders"):
        a = net.add_population(20000, hub.LIF(), label="a")
        if case == "recorders":
            net.record(a, "spikes")
        return net, 10.0
    if case == "samples":
        a = net.add_population(2000, driven, label="a")
        net.connect(a, a, hub.FixedInDegree(20), hub.Static(0.01, delay=1.0))
        net.record(a, "v")
        return net, 1000.0
    if case == "delays":
        a = net.add_population(20000, driven, label="a")
        net.connect(a, a, hub.FixedInDegree(5), hub.Static(0.01, delay=100.0))
        net.record(a, "spikes")
        return net, 200.0
    if case == "poisson":
        s = net.add_source(hub.PoissonSource(rate=50.0), size=5000, label="s")
        a = net.add_population(1000, hub.LIF(), label="a")
        net.connect(s, a, hub.FixedProbability(0.02), hub.Static(0.01, delay=1.0))
        net.record(a, "spikes")
        return net, 5000.0
    if case in ("mixed", "spikes"):
        s = net.add_source(hub.PoissonSource(rate=20.0), size=2000, label="s")
        a = net.add_population(4000, hub.LIF(), label="a")
        net.connect(s, a, hub.FixedProbability(0.05), hub.Static(0.5, delay=2.0))
        net.connect(a, a, hub.FixedInDegree(50), hub.Static(0.01, delay=2.0))
        net.record(a, "spikes")
        if case == "mixed":
            net.record(a, "v", indices=list(range(1000)))
        return net, 2000.0
    raise ValueError(case)


def measure(case: str, backend: str) -> None:
    """In the child: run the case, print its peak resident memory (MiB) as JSON."""
    import hub

    net, duration = build(case)
    opts = {"codegen": "numpy"} if backend == "brian2" else {}
    t0 = time.perf_counter()
    try:
        res = hub.run(net, backend=backend, duration=duration, memory_check=False, **opts)
    except hub.HubError as exc:  # e.g. the chip's delay limit
        print(json.dumps({"error": str(exc).splitlines()[0]}))
        return
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    spikes = sum(
        len(res.spike_trains[p.label])
        for p in net.populations
        if p.label in res.spike_trains and not p.is_source
    )
    wall = time.perf_counter() - t0
    print(json.dumps({"peak_rss_mb": peak, "recorded_spikes": spikes, "wall_s": wall}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "tests" / "data" / "memory_probes.json"))
    ap.add_argument("--only", nargs="+", choices=sorted(CASES), help="measure these cases")
    ap.add_argument("--child", nargs=2, metavar=("CASE", "BACKEND"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        measure(*args.child)
        return 0
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'plugins'}"}
    doc: dict = {
        "what": "peak resident memory (MiB) of hub.run in a fresh process, per case and backend",
        "command": "python scripts/memory_probe.py",
        "machine": {"python": platform.python_version(), "system": platform.system()},
        "cases": {},
    }
    if args.only and Path(args.out).is_file():
        doc["cases"] = json.loads(Path(args.out).read_text())["cases"]
    for case, (description, fitted) in CASES.items():
        if args.only and case not in args.only:
            continue
        entry = doc["cases"][case] = {"description": description, "fitted": fitted}
        for backend in BACKENDS:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", case, backend],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
            )
            lines = proc.stdout.strip().splitlines()
            out = json.loads(lines[-1]) if lines else {"error": proc.stderr.strip()[-300:]}
            entry[backend] = out
            print(case, backend, out, flush=True)
    Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

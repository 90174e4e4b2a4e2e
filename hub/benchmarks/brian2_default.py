"""Brian2 with its default options (codegen="auto") against NEST, per network, in fresh
processes: what a newcomer sees.

    python -m hub.benchmarks.brian2_default [--cases brunel lsm ...] [--timeout 300]
        [--json rows.jsonl]

Cases: every builder module of ``models/`` (its ``build()`` with default parameters, for its
``DURATION``), two extra networks (``reservoir``, ``stdp``) and five networks of the
conformance kit (``kit-*``, from hub/testing).  Each case runs ``hub.run`` on the
resolved network in its own process: NEST, then Brian2 with an empty cache directory
(``XDG_CACHE_HOME``; "cold": nothing compiled yet), then Brian2 again with that cache
("warm").  Reported per run: ``build_s`` and ``run_s`` (``results.timings``) and the seconds
of ``hub.run`` (build + run + results; imports and the hub's resolve, the same for both
backends, excluded), the target ``auto`` chose and why, and Brian2 / NEST.  A run longer than
``--timeout`` seconds is stopped and shown as ``>T``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent.parent / "models"


def reservoir():
    """300 LIF neurons (80 % excitatory), p = 0.1, 1.5 ms delays, 40 Poisson inputs, 18 s."""
    import numpy as np

    import hub

    net = hub.Network(dt=0.1, seed=4)
    src = net.add_source(hub.PoissonSource(rate=20.0), size=40, label="input")
    cells = net.add_population(300, hub.LIF(synapse="exp", tau_syn_E=10.0), label="liquid")
    cells.initialize(v=hub.Uniform(-65.0, -55.0))
    net.connect(src, cells, hub.FixedProbability(0.2), hub.Static(weight=0.8, delay=1.5))
    rng = np.random.default_rng(4)
    for lo, hi, w, rec in ((0, 240, 0.25, "excitatory"), (240, 300, -1.0, "inhibitory")):
        pre, post = np.nonzero(rng.random((hi - lo, 300)) < 0.1)
        net.connect(
            cells,
            cells,
            hub.FromArrays(pre + lo, post),
            hub.Static(weight=w, delay=1.5, receptor=rec),
        )
    net.record(cells, "spikes")
    return net, 18000.0


def stdp():
    """200 Izhikevich neurons driven by 100 Poisson inputs through additive STDP, 5 s."""
    import hub

    net = hub.Network(dt=0.1, seed=5)
    src = net.add_source(hub.PoissonSource(rate=15.0), size=100, label="input")
    cells = net.add_population(200, hub.Izhikevich(), label="cells")
    net.connect(
        src,
        cells,
        hub.FixedProbability(0.2),
        hub.Plastic(hub.STDP(A_plus=0.01, A_minus=0.0105, w_max=8.0), hub.Uniform(2.0, 6.0), 1.0),
    )
    net.connect(cells, cells, hub.FixedProbability(0.05), hub.Static(weight=1.0, delay=1.0))
    net.record(cells, "spikes")
    return net, 5000.0


def _kit(kind):
    """A network of the conformance kit (hub/testing) as its checks build it."""

    def build():
        import hub
        from hub.testing import checks, ode_checks, plasticity_checks

        if kind == "random-lif":  # the tier-1 reference networks: 60 cells, all V, 300 ms
            return checks.random_network(hub.LIF(synapse="exp", tau_refrac=2.0), seed=11)
        if kind == "ff-izh":  # 200 heterogeneous Izhikevich cells, 50 sources, 500 ms
            return checks.feedforward_network(hub.Izhikevich(), seed=11, n=200)
        if kind.startswith("ode-"):  # 60 conductance cells, all state variables, 100 ms
            case = {"ode-adex": "adex_exp", "ode-hh": "hodgkin_huxley"}[kind]
            return ode_checks.feedforward_network(case), ode_checks.DURATION
        rule = plasticity_checks.RULES["all_additive"]()  # 8 x 4 plastic synapses, 300 ms
        return plasticity_checks.plastic_network(rule)[0], plasticity_checks.DURATION

    return build


def _model(name):
    """``models/<name>.py``: ``build()`` with its defaults, for ``DURATION``."""

    def build():
        sys.path.insert(0, str(MODELS))
        module = importlib.import_module(name)
        return module.build(), float(module.DURATION)

    return build


CASES = {p.stem: _model(p.stem) for p in sorted(MODELS.glob("[!_]*.py"))}
CASES.update(
    reservoir=reservoir,
    stdp=stdp,
    **{f"kit-{k}": _kit(k) for k in ("random-lif", "ff-izh", "ode-adex", "ode-hh", "stdp")},
)


def one(case: str, backend: str) -> dict:
    import hub

    net, duration = CASES[case]()
    t0 = time.perf_counter()
    r = hub.resolve(net, duration)
    resolve_s = time.perf_counter() - t0
    hub.get_backend(backend).versions()  # import the simulator outside the timing
    t0 = time.perf_counter()
    res = hub.run(r, backend=backend)
    out = {
        "duration_ms": duration,
        "resolve_s": resolve_s,
        "seconds": time.perf_counter() - t0,
        "build_s": res.timings.get("build_s"),
        "run_s": res.timings.get("run_s"),
        "spikes": sum(len(t) for t in res.spike_trains.values()),
    }
    if backend == "brian2":
        info = res.provenance["brian2"]
        out.update(codegen=info["codegen"], auto=info.get("auto"), compiled=info.get("compiled"))
    return out


def _spawn(case, backend, cache, timeout):
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    cmd = [sys.executable, "-m", "hub.benchmarks.brian2_default", "--one", case, backend]
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"cut": timeout, "wall_s": time.perf_counter() - t0}
    if done.returncode:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {done.returncode}"}
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - t0
    return out


def _s(row) -> str:
    if "cut" in row:
        return f">{row['cut']:.0f}"
    if "error" in row:
        return "failed"
    return f"{row['seconds']:.2f} ({row['build_s']:.2f} + {row['run_s']:.2f})"


def _ratio(row, nest) -> str:
    if "seconds" not in nest:
        return "-"
    if "cut" in row:
        return f">{row['cut'] / nest['seconds']:.1f}"
    if "seconds" not in row:
        return "-"
    return f"{row['seconds'] / nest['seconds']:.2f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per run (default 300)")
    p.add_argument("--json", help="append each case's measurements to this file (JSON lines)")
    p.add_argument("--one", nargs=2, metavar=("CASE", "BACKEND"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(one(*args.one)))
        return 0
    print(
        "| case | ms | NEST s (build + run) | Brian2 cold s | auto chose (cold) | Brian2 warm s "
        "| warm chose | cold / NEST | warm / NEST | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for case in args.cases:
        with tempfile.TemporaryDirectory(prefix="snn-hub-default-") as cache:
            nest = _spawn(case, "nest", cache, args.timeout)
            cold = _spawn(case, "brian2", cache, args.timeout)
            warm = _spawn(case, "brian2", cache, args.timeout)
        load = os.getloadavg()[0]
        if args.json:
            with open(args.json, "a") as f:
                row = dict(case=case, nest=nest, cold=cold, warm=warm, load=load)
                f.write(json.dumps(row) + "\n")
        ms = next((r["duration_ms"] for r in (nest, cold, warm) if "duration_ms" in r), None)
        errors = "; ".join(
            f"{k}: {r['error']}"
            for k, r in (("NEST", nest), ("cold", cold), ("warm", warm))
            if "error" in r
        )
        print(
            f"| {case} | {ms if ms is None else f'{ms:g}'} | {_s(nest)} | {_s(cold)} | "
            f"{cold.get('codegen', '-')}: {cold.get('auto', '-')} | {_s(warm)} | "
            f"{warm.get('codegen', '-')} | {_ratio(cold, nest)} | {_ratio(warm, nest)} | "
            f"{load:.1f} |" + (f" {errors}" if errors else ""),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Brian2 with its default options (codegen="auto") against NEST, per network, in fresh
processes: what a newcomer sees.

    python -m hub.benchmarks.brian2_default [--cases reservoir stdp cuba] [--repeat 1]

Each case runs ``hub.run`` in its own process: NEST, then Brian2 with an empty cache
directory ("cold": nothing compiled yet), then Brian2 again with that cache ("warm").
Reported: the seconds of ``hub.run`` (build + run + results, imports excluded), the target
``auto`` chose and why, and Brian2 / NEST.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def reservoir(duration=18000.0):
    """300 LIF neurons (80 % excitatory), p = 0.1, 1.5 ms delays, 40 Poisson inputs."""
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
    return net, duration


def stdp(duration=5000.0):
    """200 Izhikevich neurons driven by 100 Poisson inputs through additive STDP."""
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
    return net, duration


def cuba(duration=1000.0):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "models"))
    import vogels_abbott

    return vogels_abbott.build("cuba"), duration


CASES = {"reservoir": reservoir, "stdp": stdp, "cuba": cuba}


def one(case: str, backend: str) -> dict:
    import hub

    net, duration = CASES[case]()
    r = hub.resolve(net, duration)
    if backend == "brian2":
        hub.get_backend("brian2").versions()  # import Brian2 outside the timing
    else:
        hub.get_backend("nest").versions()
    t0 = time.perf_counter()
    res = hub.run(r, backend=backend)
    out = {
        "seconds": time.perf_counter() - t0,
        "spikes": sum(len(t) for t in res.spike_trains.values()),
    }
    if backend == "brian2":
        info = res.provenance["brian2"]
        out.update(codegen=info["codegen"], auto=info.get("auto"))
    return out


def _spawn(case, backend, cache):
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    cmd = [sys.executable, "-m", "hub.benchmarks.brian2_default", "--one", case, backend]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    p.add_argument("--one", nargs=2, metavar=("CASE", "BACKEND"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(one(*args.one)))
        return 0
    print(
        "| case | NEST s | Brian2 cold s | auto chose (cold) | Brian2 warm s | cold / NEST "
        "| warm / NEST |"
    )
    print("|---|---|---|---|---|---|---|")
    for case in args.cases:
        with tempfile.TemporaryDirectory(prefix="snn-hub-default-") as cache:
            nest = _spawn(case, "nest", cache)
            cold = _spawn(case, "brian2", cache)
            warm = _spawn(case, "brian2", cache)
        print(
            f"| {case} | {nest['seconds']:.2f} | {cold['seconds']:.2f} | {cold['codegen']}: "
            f"{cold['auto']} | {warm['seconds']:.2f} ({warm['codegen']}) | "
            f"{cold['seconds'] / nest['seconds']:.2f} | {warm['seconds'] / nest['seconds']:.2f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Refit the memory guard's per-backend costs (hub/memory.py, ``COSTS``) to the peak memory
``make bench`` measured (docs/benchmarks/*.json), and print the estimate against every
measurement, in-sample and leave-one-out.

    PYTHONPATH=.:plugins python scripts/memory_calibration.py

The model: one base shared by every backend (the interpreter, numpy and the hub), then per
backend a cost per neuron, per source neuron and per synapse, fitted by non-negative least
relative squares to the hub-path peaks of CUBA, COBA and Brunel (four scales); the cost per
plastic synapse is what the STDP network's peak leaves over (it is the only plastic benchmark, so
that estimate matches by construction).  The terms priced from first principles (the hub's
own arrays, delay buffers, recorded samples, input spikes) are subtracted first.  Copy the
printed costs into hub/memory.py by hand.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

from hub import memory
from hub.benchmarks import BENCHMARKS

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024.0**2
BACKENDS = ("nest", "brian2", "chip")
#: report name -> (benchmark, build parameters)
CASES = {
    "cuba": ("cuba", {}),
    "coba": ("coba", {}),
    "brunel-0.1": ("brunel", {"scale": 0.1}),
    "brunel-0.25": ("brunel", {"scale": 0.25}),
    "brunel-0.5": ("brunel", {"scale": 0.5}),
    "brunel-1": ("brunel", {"scale": 1.0}),
    "stdp": ("stdp", {}),
}


def measured(name: str) -> dict:
    """``{backend: peak bytes}`` of the hub path in docs/benchmarks/NAME.json."""
    doc = json.loads((ROOT / "docs" / "benchmarks" / f"{name}.json").read_text())
    return {
        m["backend"]: m["peak_rss_mb"] * MIB
        for m in doc["measurements"]
        if m["path"] == "hub" and m["status"] == "ok"
    }


def points():
    """(backend, case, counts, measured bytes, first-principles bytes) for every measurement."""
    out = []
    for name, (bench, params) in CASES.items():
        b = BENCHMARKS[bench]
        net = b.build(**params)
        c = memory.count(net, b.duration)
        for backend, peak in measured(name).items():
            k = memory.COSTS[backend]
            bare = dataclasses.replace(
                k, base=0.0, per_neuron=0.0, per_source=0.0, per_synapse=0.0, per_plastic=0.0
            )
            memory.COSTS[backend] = bare
            try:
                fixed = memory.estimate(net, backend, b.duration).total
            finally:
                memory.COSTS[backend] = k
            out.append((backend, name, c, peak, fixed))
    return out


def fit(pts):
    """Non-negative least relative squares: [base, (neuron, source, synapse) per backend]."""
    x = np.zeros((len(pts), 1 + 3 * len(BACKENDS)))
    y = np.array([p[3] for p in pts])
    f = np.array([p[4] for p in pts])
    for i, (backend, _, c, _, _) in enumerate(pts):
        j = 1 + 3 * BACKENDS.index(backend)
        x[i, 0] = 1.0
        x[i, j : j + 3] = (c.neurons, c.sources, c.synapses)
    q, _ = nnls(x / y[:, None], (y - f) / y)
    return q, x, y, f


def main() -> None:
    pts = points()
    static = [p for p in pts if p[1] != "stdp"]
    q, x, y, f = fit(static)
    print(f"base {q[0] / MIB:.1f} MiB")
    for b, backend in enumerate(BACKENDS):
        neuron, source, synapse = q[1 + 3 * b : 4 + 3 * b]
        stdp = next(p for p in pts if p[0] == backend and p[1] == "stdp")
        c = stdp[2]
        rest = stdp[3] - stdp[4] - q[0]
        rest -= neuron * c.neurons + source * c.sources + synapse * c.synapses
        plastic = rest / c.plastic
        print(
            f"{backend}: per_neuron {neuron:.0f} B, per_source {source:.0f} B, "
            f"per_synapse {synapse:.1f} B, per_plastic {plastic:.0f} B"
        )
    print("\ncase, backend: measured MiB, estimate (hub/memory.py) MiB, error; leave-one-out")
    for i, (backend, name, c, peak, _) in enumerate(static):
        keep = [j for j in range(len(static)) if j != i]
        q_out, *_ = fit([static[j] for j in keep])
        loo = x[i] @ q_out + f[i]
        est = memory.estimate(BENCHMARKS[CASES[name][0]].build(**CASES[name][1]), backend, 1000.0)
        print(
            f"{name:12s} {backend:7s} {peak / MIB:8.1f} {est.total / MIB:8.1f} "
            f"{100 * (est.total / peak - 1):+6.1f} %   LOO {100 * (loo / peak - 1):+6.1f} %"
        )
    for backend, name, _, peak, _ in (p for p in pts if p[1] == "stdp"):
        est = memory.estimate(BENCHMARKS["stdp"].build(), backend, 1000.0)
        print(
            f"{name:12s} {backend:7s} {peak / MIB:8.1f} {est.total / MIB:8.1f} "
            f"{100 * (est.total / peak - 1):+6.1f} %   (per_plastic fitted to it)"
        )


if __name__ == "__main__":
    main()

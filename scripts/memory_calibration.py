"""Refit the memory guard's per-backend costs (hub/memory.py, ``COSTS``) to measured peak
memory, and print the estimate against every measurement, in-sample and leave-one-out.

    PYTHONPATH=.:plugins python scripts/memory_calibration.py

The measurements: the hub-path peaks of ``make bench`` (docs/benchmarks/*.json: CUBA, COBA,
Brunel at four scales, STDP) and of scripts/memory_probe.py (tests/data/memory_probes.json:
recorded state, long delays, hub-drawn Poisson input; its ``mixed`` case is held out).
The model, per backend: a base (the interpreter, numpy, the hub, the simulator's libraries),
a cost per neuron, per source neuron, per neuron whose spikes are recorded, per synapse, per
recorded sample and per input spike, fitted by non-negative least relative squares; the cost
per plastic synapse is what the STDP network's peak leaves over (the only plastic
measurement, so that estimate matches by construction).  The terms priced from first
principles (the hub's own arrays, the delay buffers, the per-step arrays) are subtracted
first.  Copy the printed costs into hub/memory.py by hand.
"""

from __future__ import annotations

import dataclasses
import json
import sys
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


def probes() -> dict:
    """``{case: (network, duration, {backend: peak bytes}, fitted)}`` of memory_probes.json."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import memory_probe

    doc = json.loads((ROOT / "tests" / "data" / "memory_probes.json").read_text())
    out = {}
    for case, entry in doc["cases"].items():
        net, duration = memory_probe.build(case)
        peaks = {
            b: entry[b]["peak_rss_mb"] * MIB for b in BACKENDS if "peak_rss_mb" in entry.get(b, {})
        }
        out[case] = (net, duration, peaks, entry["fitted"])
    return out


def _bare(backend: str, net, duration: float) -> float:
    """The estimate with every fitted cost set to 0: the first-principles terms."""
    k = memory.COSTS[backend]
    fitted = dict.fromkeys(FITTED, 0.0)
    memory.COSTS[backend] = dataclasses.replace(k, **fitted)
    try:
        return memory.estimate(net, backend, duration).total
    finally:
        memory.COSTS[backend] = k


#: the costs fitted here (the rest of hub.memory.Costs is priced from the arrays)
FITTED = ("base", "per_neuron", "per_source", "per_recorded", "per_synapse", "per_plastic")
FITTED += ("per_sample", "per_input_spike")


def points():
    """(backend, case, counts, measured bytes, first-principles bytes, fitted?) per
    measurement."""
    out = []
    for name, (bench, params) in CASES.items():
        b = BENCHMARKS[bench]
        net = b.build(**params)
        c = memory.count(net, b.duration)
        for backend, peak in measured(name).items():
            out.append((backend, name, c, peak, _bare(backend, net, b.duration), True))
    for case, (net, duration, peaks, fitted) in probes().items():
        c = memory.count(net, duration)
        for backend, peak in peaks.items():
            out.append((backend, case, c, peak, _bare(backend, net, duration), fitted))
    return out


#: the columns per backend: base, neurons, sources, spike-recorded neurons, synapses,
#: samples, input spikes
COLUMNS = ("base", "per_neuron", "per_source", "per_recorded", "per_synapse", "per_sample")
COLUMNS += ("per_input_spike",)
WIDTH = len(COLUMNS)


def _row(c) -> tuple:
    return (1.0, c.neurons, c.sources, c.spike_recorded, c.synapses, c.samples, c.input_spikes)


def fit(pts):
    """Non-negative least relative squares: the :data:`COLUMNS` of every backend."""
    x = np.zeros((len(pts), WIDTH * len(BACKENDS)))
    y = np.array([p[3] for p in pts])
    f = np.array([p[4] for p in pts])
    for i, p in enumerate(pts):
        j = WIDTH * BACKENDS.index(p[0])
        x[i, j : j + WIDTH] = _row(p[2])
    q, _ = nnls(x / y[:, None], (y - f) / y)
    return q, x, y, f


def main() -> None:
    pts = points()
    static = [p for p in pts if p[1] != "stdp" and p[5]]
    q, x, y, f = fit(static)
    for b, backend in enumerate(BACKENDS):
        k = q[WIDTH * b : WIDTH * (b + 1)]
        stdp = next(p for p in pts if p[0] == backend and p[1] == "stdp")
        plastic = (stdp[3] - stdp[4] - float(np.dot(k, _row(stdp[2])))) / stdp[2].plastic
        costs = ", ".join(f"{name} {v:.1f}" for name, v in zip(COLUMNS[1:], k[1:]))
        print(
            f"{backend}: base {k[0] / MIB:.1f} MiB, {costs}, per_plastic {plastic:.0f} "
            "(bytes, on top of the hub's)"
        )
    print("\ncase, backend: measured MiB, estimate (hub/memory.py) MiB, error; leave-one-out")
    for i, p in enumerate(static):
        keep = [j for j in range(len(static)) if j != i]
        q_out, *_ = fit([static[j] for j in keep])
        loo = x[i] @ q_out + f[i]
        _report(p, f"LOO {100 * (loo / p[3] - 1):+6.1f} %")
    for p in pts:
        if p[1] == "stdp":
            _report(p, "(per_plastic fitted to it)")
        elif not p[5]:
            _report(p, "(held out of the fit)")


def _report(p, note: str) -> None:
    backend, name, _, peak, _, _ = p
    if name in CASES:
        bench, params = CASES[name]
        net, duration = BENCHMARKS[bench].build(**params), BENCHMARKS[bench].duration
    else:
        net, duration = probes()[name][:2]
    est = memory.estimate(net, backend, duration).total
    print(
        f"{name:12s} {backend:7s} {peak / MIB:8.1f} {est / MIB:8.1f} "
        f"{100 * (est / peak - 1):+6.1f} %   {note}"
    )


if __name__ == "__main__":
    main()

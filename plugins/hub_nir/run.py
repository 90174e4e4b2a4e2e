"""``run_nir``: feed a NIR graph with data, run it on a hub backend, read its outputs.

    out = hub_nir.run_nir(graph, x, backend="nest", convention="snntorch")
    out.outputs["output"]          # (steps, size): spike counts, or the membrane of LI readouts

``x`` has one row per step of the source framework (``(steps, size)``, or ``{input name:
array}``): integer counts are spikes, floats are analog values injected as step currents
(into delta-mapped nodes; hub_nir.importer).  Row t of an output is the framework's step t:
the hub runs ``phi`` steps behind (hub_nir.importer), and the reader undoes that shift.  An
Output fed through linear nodes gets their map applied to the spike counts (or membrane).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hub.api import run as hub_run
from hub.errors import HubError

from .importer import Plan, build, plan
from .sparse import Sparse


@dataclass
class NIRRun:
    """``outputs[name]``: array ``(steps, size)`` per NIR Output node; ``results``: the hub
    run; ``network`` and ``plan``: what was run."""

    outputs: dict[str, np.ndarray]
    results: object
    network: object
    plan: Plan


def _apply(mat: Sparse, x: np.ndarray) -> np.ndarray:
    y = np.zeros((x.shape[0], mat.shape[0]))
    for e in np.unique(mat.delays):
        sel = mat.delays == e
        part = Sparse(mat.rows[sel], mat.cols[sel], mat.vals[sel], mat.delays[sel], mat.shape)
        if e < x.shape[0]:
            y[e:] += x[: x.shape[0] - e] @ part.to_dense().T
    return y


def _trace(p: Plan, res, src: str, steps: int, stamps: int) -> np.ndarray:
    """Node ``src``'s per-step values (counts or membrane) for framework steps 0..steps-1."""
    spec = p.specs[src]
    first = p.offset(src) - 1  # array row of stamp offset (stamps 1..K)
    if spec.spiking:
        st = res.spikes(src)
        counts = np.zeros((stamps, spec.size))
        np.add.at(counts, (st.stamps - 1, st.indices), 1)
        return counts[first : first + steps]
    sig = res.signal(src, "v")
    values = np.zeros((stamps, spec.size))
    values[:, np.asarray(sig.indices)] = sig.values[:stamps]
    return values[first : first + steps]


def run_nir(
    graph,
    input,
    backend: str = "nest",
    dt: float | None = None,
    convention: str | None = None,
    input_mode: str = "auto",
    **options,
) -> NIRRun:
    """Run ``graph`` (a NIRGraph or a ``.nir`` path) on ``input`` (module docstring)."""
    p = plan(graph, dt=dt, convention=convention)
    net = build(p, input, input_mode=input_mode)
    arrays = input if isinstance(input, dict) else {next(iter(p.inputs), ""): input}
    steps = max(np.asarray(a).shape[0] for a in arrays.values())
    producers = {s for o in p.outputs for s, d in p.maps if d == o and s in p.specs}
    readouts = sorted(s for s in producers if not p.specs[s].spiking)
    if backend == "chip" and readouts:
        raise HubError(
            f"run_nir: the chip cannot hold the membrane readouts {readouts} (v_thresh and "
            "tau_m of 1e300 exceed its number formats; docs/nir.md): read spiking outputs "
            "on the chip, readouts on nest or brian2"
        )
    lag = max([p.offset(s) for s in producers] + [1])
    stamps = steps + lag - 1
    res = hub_run(net, backend=backend, duration=stamps * p.dt, **options)
    outputs = {}
    for out, size in p.outputs.items():
        y = np.zeros((steps, size))
        for (src, dst), mat in p.maps.items():
            if dst != out:
                continue
            if src in p.specs:
                x = _trace(p, res, src, steps, stamps)
            elif src in p.inputs:
                x = np.asarray(arrays[src], float).reshape(steps, -1)
            else:
                raise HubError(f"output {out!r}: a constant (bias) path; not read")
            y += _apply(mat, x)
        outputs[out] = y
    return NIRRun(outputs, res, net, p)


__all__ = ["run_nir", "NIRRun"]

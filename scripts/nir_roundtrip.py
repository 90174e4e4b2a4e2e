"""Hub -> NIR -> snnTorch (``make nir-roundtrip``; docs/nir.md, "Hub -> NIR -> snnTorch").

A small hub network that snnTorch's NIR import supports (LIF with delta synapses, one time
constant and threshold per layer, v_rest = v_reset = 0, no refractory period, one step of
delay per layer) is exported with ``hub.to_nir(net, convention="snntorch")``; snnTorch
1.0.0 imports the file with its own ``import_from_nir`` and runs it on fixed input spikes
(scripts/nir_roundtrip_snntorch.py, in the frameworks venv); the hub runs the same network
on NEST and Brian2, and the output spikes are compared per step.  Runs in snn-hub's venv (no torch):

    python scripts/nir_roundtrip.py export [--out tests/data/nir]   # .nir + inputs
    python scripts/nir_roundtrip.py compare [--out tests/data/nir]  # after snnTorch's run

Timing: snnTorch passes a spike through every layer within its step; each hub synapse takes
one step (dt = 0.1 ms, snnTorch's export step), and an input of step t is a hub spike
stamped t + 1, so snnTorch's output of step t is the hub's output spike stamped t + OFFSET.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

NAME = "hub_roundtrip"
ROOT = Path(__file__).resolve().parents[1]
DT = 0.1  # ms: snnTorch's fixed export step (1e-4 s)
STEPS = 100
SIZES = (12, 16, 6)  # inputs, hidden, outputs
TAU_MS = (5.0, 8.0)  # per layer
OFFSET = 3  # input stamp t + 1, then one step per layer (two layers)
BACKENDS = ("nest", "brian2")
CONVENTION = "snntorch"  # written for snnTorch's import_from_nir (hub_nir.exporter.to_nir)


def inputs(seed: int = 7) -> np.ndarray:
    """Input spikes (STEPS, inputs) as 0/1, seeded Bernoulli p = 0.2."""
    return (np.random.default_rng(seed).random((STEPS, SIZES[0])) < 0.2).astype(np.uint8)


def weights() -> list[np.ndarray]:
    """The seeded weight matrices (post, pre) in mV, one per layer."""
    rng = np.random.default_rng(3)
    shapes = zip(SIZES[1:], SIZES[:-1])
    return [rng.normal((0.35, 0.3)[k], 0.35, shape) for k, shape in enumerate(shapes)]


def reference(x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """The hub's rule in float64 numpy, in snnTorch's step order (every layer in its step):
    per layer ``V[t] = P22 V[t-1] + W z_in[t]`` with ``P22 = exp(-dt/tau_m)``, spike where
    ``V >= 1``, then ``V = 0``.  Returns (spikes, V before reset, V after reset) per layer,
    each (STEPS, size): the margin ``|V - 1|`` of every threshold decision, and the state to
    hold snnTorch's float32 membrane against."""
    z_in = x.astype(float)
    spikes, pre, post = [], [], []
    for w, tau in zip(weights(), TAU_MS):
        a, v = np.exp(-DT / tau), np.zeros(w.shape[0])
        zs, vp, vq = [], [], []
        for t in range(STEPS):
            v = a * v + w @ z_in[t]
            z = v >= 1.0
            vp.append(v.copy())
            v = np.where(z, 0.0, v)
            zs.append(z.astype(np.int64))
            vq.append(v.copy())
        z_in = np.asarray(zs, float)
        spikes.append(np.asarray(zs))
        pre.append(np.asarray(vp))
        post.append(np.asarray(vq))
    return spikes, pre, post


def network(x: np.ndarray | None = None):
    """The hub network: ``input`` (SpikeTimes of ``x``; silent if None) -> ``hidden`` ->
    ``output``, LIF[synapse=delta] (tau_m 5 and 8 ms, threshold 1 mV, reset to 0 mV), seeded
    all-to-all weights (mV; split by sign into excitatory and inhibitory projections), delay
    one step; output spikes recorded."""
    import hub

    net = hub.Network(dt=DT, seed=1)
    times = [[] for _ in range(SIZES[0])]
    if x is not None:
        for t, i in zip(*np.nonzero(x)):
            times[i].append(round((t + 1) * DT, 10))
    src = net.add_source(hub.SpikeTimes(times), size=SIZES[0], label="input")
    layers, pre = [], src
    for k, (n, tau, w) in enumerate(zip(SIZES[1:], TAU_MS, weights())):
        model = hub.LIF(
            synapse="delta", tau_m=tau, cm=1.0, v_rest=0.0, v_reset=0.0, v_thresh=1.0,
            tau_refrac=0.0, i_offset=0.0,
        )  # fmt: skip
        pop = net.add_population(n, model, label=("hidden", "output")[k])
        for receptor, keep in (("excitatory", w > 0), ("inhibitory", w <= 0)):
            post_idx, pre_idx = np.nonzero(keep)
            syn = hub.Static(weight=w[keep], delay=DT, receptor=receptor)
            net.connect(pre, pop, hub.FromArrays(pre_idx, post_idx), syn)
        layers.append(pop)
        pre = pop
    net.record(layers[-1], "spikes")
    return net


def hub_outputs(x: np.ndarray, backend: str) -> np.ndarray:
    """Output spikes (STEPS, outputs) of the hub network on ``backend``, in snnTorch's steps."""
    import hub

    res = hub.run(network(x), backend=backend, duration=(STEPS + OFFSET) * DT)
    sp = res.spikes("output")
    out = np.zeros((STEPS, SIZES[-1]), np.int64)
    keep = (sp.stamps - OFFSET >= 0) & (sp.stamps - OFFSET < STEPS)
    np.add.at(out, (sp.stamps[keep] - OFFSET, sp.indices[keep]), 1)
    return out


def agreement(ref: np.ndarray, got: np.ndarray) -> dict:
    """Cells (step, neuron) that differ, spike totals, and per-neuron count differences."""
    return {
        "identical": bool(np.array_equal(ref, got)),
        "cells_differ": int(np.sum(ref != got)),
        "cells": int(ref.size),
        "spikes_snntorch": int(ref.sum()),
        "spikes_hub": int(got.sum()),
        "max_count_diff": int(np.abs(ref.sum(0) - got.sum(0)).max()),
    }


def float32_check(x: np.ndarray, ref: np.ndarray, mems: list[np.ndarray]) -> dict:
    """Why snnTorch's float32 run decides every threshold as the float64 hub does: the
    smallest distance of the float64 membrane to the threshold over every (step, neuron) of
    both layers, against the largest difference between snnTorch's stored float32 membrane
    (after reset) and the float64 one."""
    spikes, pre, post = reference(x)
    return {
        "reference_equals_snntorch": bool(np.array_equal(spikes[-1], ref)),
        "min_margin_mV": float(min(np.abs(v - 1.0).min() for v in pre)),
        "max_float32_error_mV": float(
            max(np.abs(m.astype(float) - v).max() for m, v in zip(mems, post))
        ),
    }


def export(out: Path) -> None:
    import nir

    import hub

    x = inputs()
    nir.write(str(out / f"{NAME}.nir"), hub.to_nir(network(), convention=CONVENTION))
    np.savez_compressed(out / f"{NAME}_inputs.npz", inputs=x)
    print(f"wrote {out / NAME}.nir and the inputs ({x.sum()} input spikes)")


def compare(out: Path) -> dict:
    with np.load(out / f"{NAME}_inputs.npz") as z:
        x = z["inputs"]
    with np.load(out / f"{NAME}_snntorch.npz") as z:
        ref = z["out_spikes"].astype(np.int64)
        snn_meta = json.loads(str(z["meta"]))
        mems = [z[f"mem{k}"] for k in range(len(SIZES) - 1)]
    arrays = {"inputs": x, "snntorch_spikes": ref}
    result = {
        "fixture": NAME,
        "offset_steps": OFFSET,
        "dt_ms": DT,
        "convention": CONVENTION,
        "snntorch": snn_meta,
        "float32": float32_check(x, ref, mems),
    }
    for backend in BACKENDS:
        got = hub_outputs(x, backend)
        arrays[f"{backend}_spikes"] = got
        result[backend] = agreement(ref, got)
    result["nest_equals_brian2"] = bool(
        np.array_equal(arrays["nest_spikes"], arrays["brian2_spikes"])
    )
    np.savez_compressed(out / f"{NAME}.npz", **arrays)
    (out / f"{NAME}.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / f"{NAME}_inputs.npz").unlink()
    (out / f"{NAME}_snntorch.npz").unlink()
    print(json.dumps({b: result[b] for b in BACKENDS}, indent=2))
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("step", choices=("export", "compare"))
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "nir")
    args = ap.parse_args(argv)
    (export if args.step == "export" else compare)(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

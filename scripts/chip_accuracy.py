"""The chip against NEST on the network classes of docs/chip.md section 8, per mapping and
generation: population rate error, CV of ISI and the fraction of NEST's spikes with a chip
spike within one step.

    python scripts/chip_accuracy.py [readme ei dc] [--seeds 42 1]

Needs NEST.  The networks are those of tests/chip_networks.py (the tests hold the figures).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import hub
from hub.stats import cv_isi, match_spikes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import chip_networks  # noqa: E402

MODES = {
    "nearest": {"mapping": "nearest"},
    "fitted": {},
    "loihi2": {"generation": "loihi2"},
}


def dc_neuron(seed: int):
    net = hub.Network(dt=0.1, seed=seed)
    cell = net.add_population(1, hub.LIF(tau_m=20.0, v_thresh=-50.0, v_reset=-65.0), label="cell")
    net.inject(cell, hub.DCSource(amplitude=0.8))
    net.record(cell, "spikes")
    return net


NETWORKS = {
    "readme": (chip_networks.readme_example, 1000.0),
    "ei": (chip_networks.fluctuation_ei, 1000.0),
    "dc": (dc_neuron, 200.0),
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("networks", nargs="*", default=list(NETWORKS), choices=list(NETWORKS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[42])
    args = ap.parse_args(argv)
    for name in args.networks:
        build, duration = NETWORKS[name]
        for seed in args.seeds:
            net = build(seed)
            ref = hub.run(net, backend="nest", duration=duration)
            for mode, options in MODES.items():
                got = hub.run(net, backend="chip", duration=duration, **options)
                for label, b in ref.spike_trains.items():
                    a = got.spikes(label)
                    rate = a.rate(duration) / b.rate(duration) - 1 if len(b) else 0.0
                    within = match_spikes(a, b, 0.1)["matched"]
                    print(
                        f"{name:6s} seed {seed:<5d} {mode:8s} {label:5s} rate {rate * 100:+6.2f} %"
                        f"  CV {cv_isi(a):.3f} / {cv_isi(b):.3f}  within one step {within:.3f}"
                        + (
                            f"  spikes at {[round(float(t), 1) for t in a.times[:3]]} ms"
                            if name == "dc"
                            else ""
                        )
                    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

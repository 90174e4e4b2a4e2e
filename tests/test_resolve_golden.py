"""Golden arrays of ``hub.resolve`` at fixed seeds: every connector, weight and delay
distributions, heterogeneous parameters, initial values and hub-drawn Poisson trains.

Every backend simulates these arrays, so a change to how the hub draws them changes every
result.  This test makes such a change a visible, deliberate decision: if it fails after an
intended change to the draws, regenerate the file with

    python tests/test_resolve_golden.py --write

and say in the commit message why the draws changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import hub
from test_resolve import arrays_of

GOLDEN = Path(__file__).resolve().parent / "data" / "resolve_golden.npz"
DURATION = 50.0  # ms


def golden_network(seed: int) -> hub.Network:
    net = hub.Network(dt=0.1, seed=seed, label=f"golden-{seed}")
    poisson = net.add_source(
        hub.PoissonSource(rate=np.linspace(5.0, 80.0, 40)), 40, label="poisson"
    )
    times = net.add_source(hub.SpikeTimes([[1.0, 2.35], [7.05], []]), 3, label="times")
    exc = net.add_population(
        60, hub.LIF(tau_m=hub.Normal(20.0, 2.0), v_thresh=hub.Uniform(-52.0, -48.0)), label="exc"
    )
    exc.initialize(v=hub.Uniform(-65.0, -50.0))
    inh = net.add_population(15, hub.LIF(synapse="alpha"), label="inh")
    inh.initialize(v=hub.Normal(-60.0, 3.0))
    syn = hub.Static(hub.Uniform(0.05, 0.5), hub.Uniform(0.1, 3.0))
    net.connect(poisson, exc, hub.FixedProbability(0.2), syn, label="p_exc")
    net.connect(times, inh, hub.AllToAll(), hub.Static(0.3, 1.0), label="t_inh")
    net.connect(exc, exc, hub.FixedInDegree(6, allow_self_connections=False), syn, label="in_deg")
    net.connect(
        exc, inh, hub.FixedInDegree(4, with_replacement=True), hub.Static(0.2, 0.5), label="rep"
    )
    net.connect(
        inh,
        exc,
        hub.FixedOutDegree(5),
        hub.Static(hub.Normal(0.4, 0.1), 1.5, receptor="inhibitory"),
        label="out_deg",
    )
    net.connect(inh, inh, hub.OneToOne(), hub.Static(0.1, 0.2), label="one")
    net.connect(exc, exc, hub.FixedProbability(0.05, seed=11), hub.Static(0.1, 1.0), label="own")
    net.record(exc, "spikes")
    return net


def arrays(seed: int) -> dict[str, np.ndarray]:
    """Every array ``resolve`` draws for the golden network, keyed ``seed.what``."""
    resolved = hub.resolve(golden_network(seed), DURATION)
    return {f"{seed}.{key}": value for key, value in arrays_of(resolved).items()}


SEEDS = (1, 42, 2026)


def all_arrays() -> dict[str, np.ndarray]:
    return {k: v for seed in SEEDS for k, v in arrays(seed).items()}


def test_resolve_draws_exactly_the_golden_arrays():
    with np.load(GOLDEN) as f:
        golden = {k: f[k] for k in f.files}
    now = all_arrays()
    assert sorted(now) == sorted(golden)
    changed = [
        k
        for k in golden
        if now[k].dtype != golden[k].dtype or not np.array_equal(now[k], golden[k])
    ]
    assert changed == [], f"resolve draws changed for {changed[:5]} (see the module docstring)"


def test_the_golden_arrays_are_not_trivial():
    """The file holds real draws: every connector drew synapses, Poisson sources spiked, and
    the seeds give different arrays."""
    with np.load(GOLDEN) as f:
        for seed in SEEDS:
            for proj in ("p_exc", "in_deg", "rep", "out_deg", "own"):
                assert f[f"{seed}.{proj}.pre_idx"].size > 0
            assert f[f"{seed}.poisson.stamps"].size > 10
        assert not np.array_equal(f["1.p_exc.pre_idx"], f["42.p_exc.pre_idx"])
        assert f["1.in_deg.post_idx"].size == 60 * 6
        np.testing.assert_array_equal(f["1.times.stamps"], [10, 24, 71])


if __name__ == "__main__":
    if "--write" not in sys.argv:
        raise SystemExit("usage: python tests/test_resolve_golden.py --write")
    np.savez_compressed(GOLDEN, **all_arrays())
    print(f"wrote {GOLDEN}")
    pytest.main([__file__, "-q"])

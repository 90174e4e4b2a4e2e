"""Mapping onto cores and chips: limits, errors that name the constraint, utilisation."""

import numpy as np
import pytest

import hub
from hub_chip.mapper import MapPopulation, MapProjection, place, synapse_bits
from hub_chip.spec import LOIHI


def test_synapse_bits_follow_nengo_loihi_formula():
    # 8 weight bits + 6 index bits; one block of 10 weights: 10*14 + 10 = 150 -> 192 bits
    assert synapse_bits(np.array([10]), 14)[0] == 192
    # 64 weights fill a block (64*14 + 10 = 906 -> 960); 65 need a second block
    assert synapse_bits(np.array([64]), 14)[0] == 960
    assert synapse_bits(np.array([65]), 14)[0] == 960 + 64
    assert synapse_bits(np.array([0]), 14)[0] == 0


def big_network(n=200_000):
    net = hub.Network(dt=0.1, seed=3)
    src = net.add_source(hub.PoissonSource(rate=50.0), size=1000, label="src")
    cells = net.add_population(n, hub.LIF(tau_syn_E=2.0, tau_syn_I=2.0), label="cells")
    net.connect(src, cells, hub.FixedInDegree(10), hub.Static(weight=2.0, delay=1.0))
    net.connect(
        cells,
        cells,
        hub.FromArrays(np.arange(n), (np.arange(n) + 1) % n),
        hub.Static(weight=0.5, delay=1.0),
    )
    net.record(cells, "spikes")
    return net


def test_200k_neurons_refused_on_one_chip_and_run_on_two():
    net = big_network()
    with pytest.raises(hub.ResourceError) as err:
        hub.run(net, backend="chip", duration=2.0)
    msg = str(err.value)
    assert msg.startswith("compartments:") and "200,000" in msg and "131,072" in msg
    assert "68,928 too many" in msg and "chips=2" in msg
    res = hub.run(net, backend="chip", duration=6.0, chips=2)
    rep = res.extra["chip"]
    assert rep["chips_used"] == 2 and rep["cores_used"] == 196
    assert sum(c["compartments"] for c in rep["utilisation"]) == 200_000
    assert all(
        c["compartments"] <= 1024
        and c["in_axons"] <= 4096
        and c["out_axons"] <= 4096
        and c["synapse_bits"] <= LOIHI.synapse_bits_per_core
        for c in rep["utilisation"]
    )
    assert len(res.spikes("cells")) > 0


def test_core_limit_names_cores_and_excess():
    # 200 populations of 600 neurons: 120,000 compartments fit a chip, but no two of them
    # share a core (1200 > 1024), so they need 200 cores: 72 more than a chip has
    pops = [MapPopulation(f"p{k}", 600, 1) for k in range(200)]
    with pytest.raises(hub.ResourceError, match=r"^cores: .* 200 cores .* 128 \(72 too many"):
        place(pops, [], chips=1)
    assert place(pops, [], chips=2).n_cores == 200


def test_in_axon_limit_shrinks_the_chunks():
    """600 neurons, each with 20 random sources out of 5000: one core would need ~4550
    input axons (limit 4096), so the population is cut by fan-in, not by compartments."""
    rng = np.random.default_rng(0)
    post = np.repeat(np.arange(600), 20)
    pre = np.concatenate([rng.choice(5000, 20, replace=False) for _ in range(600)])
    order = np.lexsort((post, pre))
    proj = MapProjection(
        "src", "cells", pre[order], post[order], np.zeros(len(pre), np.int64), True
    )
    m = place([MapPopulation("cells", 600, 1)], [proj], chips=1)
    assert m.n_cores == 2 and (m.in_axons <= 4096).all()
    one = MapProjection(
        "src", "cells", np.arange(5000), np.zeros(5000, np.int64), np.zeros(5000, np.int64), True
    )
    with pytest.raises(hub.ResourceError, match=r"^in_axons: one neuron of 'cells'"):
        place([MapPopulation("cells", 1, 1)], [one], chips=1)


def test_out_axons_counted_per_destination_core():
    # 8 neurons each projecting to every one of 3 target cores: 24 output axons on the core
    n_post = 3 * 1024
    pre = np.repeat(np.arange(8), 3)
    post = np.tile([0, 1024, 2048], 8)
    proj = MapProjection("a", "b", pre, post, np.zeros(24, np.int64), False)
    m = place([MapPopulation("a", 8, 1), MapPopulation("b", n_post, 1)], [proj])
    assert m.out_axons[0] == 24 and list(m.in_axons[1:]) == [8, 8, 8]


def test_long_delays_are_a_resource_error():
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(2, hub.LIF(), label="a")
    net.connect(a, a, hub.AllToAll(), hub.Static(weight=0.1, delay=6.3))
    with pytest.raises(hub.ResourceError, match=r"^delay: .*63 steps.* at most 62 \(1 too "):
        hub.run(net, backend="chip", duration=1.0)
    net2 = hub.Network(dt=0.1, seed=1)
    b = net2.add_population(2, hub.LIF(synapse="delta"), label="b")
    net2.connect(b, b, hub.AllToAll(), hub.Static(weight=0.1, delay=6.3))
    hub.run(net2, backend="chip", duration=1.0)  # delta: programmed delay D - 1 = 62


def test_split_compartments_share_a_core_with_their_neuron():
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(700, hub.LIF(tau_syn_E=5.0, tau_syn_I=10.0), label="a")
    net.record(a, "spikes")
    rep = hub.run(net, backend="chip", duration=1.0).extra["chip"]
    assert rep["compartments"] == 1400 and rep["cores_used"] == 2
    assert [c["compartments"] for c in rep["utilisation"]] == [1024, 376]


def test_a_network_spread_over_several_chips_gives_the_one_chip_spikes(monkeypatch):
    """The number of chips changes the placement's chip boundaries and the report (chip
    crossings, hops, energy), never the arithmetic: Vogels-Abbott CUBA (10 cores) on chips
    of 4 cores (3 chips) spikes and integrates exactly as on one 128-core chip."""
    import dataclasses
    import sys
    from pathlib import Path

    import hub_chip.compile as chip_compile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
    import vogels_abbott

    net = vogels_abbott.build()
    net.record(net.population("exc"), "v", indices=list(range(0, 3200, 97)))
    resolved = hub.resolve(net, 100.0)
    one = hub.run(resolved, backend="chip")
    small = dataclasses.replace(LOIHI, cores_per_chip=4)
    chips, headroom, _ = chip_compile.compile_network.__defaults__
    monkeypatch.setattr(chip_compile.compile_network, "__defaults__", (chips, headroom, small))
    spread = hub.run(resolved, backend="chip", chips=3)
    a, b = one.extra["chip"], spread.extra["chip"]
    assert a["chips_used"] == 1 and b["chips_used"] == 3
    assert a["cores_used"] == b["cores_used"] == 10
    assert b["counts"]["chip_crossings"] > 0 == a["counts"]["chip_crossings"]
    assert sum(len(st) for st in one.spike_trains.values()) > 1000
    for label, st in one.spike_trains.items():
        assert spread.spikes(label) == st, label
    assert np.array_equal(spread.signal("exc", "v").values, one.signal("exc", "v").values)

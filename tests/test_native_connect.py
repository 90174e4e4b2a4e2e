"""Connectors with ``resolve="native"``: NEST draws them with its own rules (fixed_indegree,
fixed_outdegree, pairwise_bernoulli) and RNG; every other backend gets the hub's draw.  The
connections NEST made are read back from the kernel and checked against each rule."""

from __future__ import annotations

import numpy as np
import pytest

import hub
from hub.resolve import materialize_native
from hub.resolved_io import load_resolved, save_resolved


def network(connector, weight=0.5, delay=1.5, n=300, rec="native"):
    net = hub.Network(dt=0.1, seed=11)
    src = net.add_source(hub.PoissonSource(rate=40.0), size=200, label="src")
    pop = net.add_population(n, hub.LIF(v_thresh=-55.0), label="pop")
    net.connect(src, pop, connector, hub.Static(weight, delay), label="in")
    net.connect(
        pop,
        pop,
        hub.FixedInDegree(20, allow_self_connections=False, resolve=rec),
        hub.Static(0.05, 1.0),
        label="rec",
    )
    net.record(pop, "spikes")
    return net


def nest_connections(net):
    """(source, target, weight, delay) of NEST's connections for ``net``, per projection
    label, after the NEST backend built it (node ids relative to each population)."""
    nest = pytest.importorskip("nest")
    from hub.plugins import get_backend

    session = get_backend("nest").build(hub.resolve(net, 10.0))
    try:
        out = {}
        for label, pre, post in (("in", "src", "pop"), ("rec", "pop", "pop")):
            c = nest.GetConnections(session.nodes[pre], session.nodes[post])
            got = c.get(["source", "target", "weight", "delay"])
            out[label] = (
                session._index(pre, got["source"]),
                session._index(post, got["target"]),
                np.asarray(got["weight"]),
                np.asarray(got["delay"]),
            )
        return out
    finally:
        session.close()


@pytest.mark.nest
def test_fixed_in_degree_is_nest_s_own_draw():
    conns = nest_connections(network(hub.FixedInDegree(15, resolve="native")))
    pre, post, w, d = conns["in"]
    assert (np.bincount(post, minlength=300) == 15).all()
    hub_pre = hub.resolve(network(hub.FixedInDegree(15)), 10.0).projections[0].pre_idx
    assert not np.array_equal(np.sort(pre), np.sort(hub_pre))  # another realization
    np.testing.assert_allclose(w, 500.0)  # 0.5 nA in pA
    np.testing.assert_allclose(d, 1.5)
    rpre, rpost, _, _ = conns["rec"]
    assert (np.bincount(rpost, minlength=300) == 20).all()
    assert not (rpre == rpost).any()  # allow_self_connections=False


@pytest.mark.nest
def test_fixed_out_degree_and_probability():
    pre, _, _, _ = nest_connections(network(hub.FixedOutDegree(12, resolve="native")))["in"]
    assert (np.bincount(pre, minlength=200) == 12).all()
    pre, _, _, _ = nest_connections(network(hub.FixedProbability(0.1, resolve="native")))["in"]
    mean, sd = 200 * 300 * 0.1, np.sqrt(200 * 300 * 0.1 * 0.9)
    assert abs(len(pre) - mean) < 5 * sd


@pytest.mark.nest
def test_distributed_weights_and_delays_are_drawn_by_nest():
    net = network(
        hub.FixedInDegree(40, resolve="native"),
        weight=hub.Uniform(0.2, 0.6),
        delay=hub.Normal(2.0, 0.5, low=1.0, high=3.0),
    )
    _, _, w, d = nest_connections(net)["in"]
    assert 200.0 <= w.min() and w.max() <= 600.0
    assert abs(w.mean() - 400.0) < 5.0  # 12,000 draws: sd of the mean 1.1 pA
    assert 1.0 <= d.min() and d.max() <= 3.0 and abs(d.mean() - 2.0) < 0.02
    np.testing.assert_allclose(d * 10, np.round(d * 10))  # whole steps of dt


def test_other_backends_get_the_hub_s_draw():
    native = hub.resolve(network(hub.FixedInDegree(15, resolve="native")), 10.0)
    assert native.projections[0].n == 0 and native.projections[0].native is not None
    drawn = materialize_native(native)
    ref = hub.resolve(network(hub.FixedInDegree(15), rec="hub"), 10.0)
    for a, b in zip(drawn.projections, ref.projections):
        assert a.n > 0 and a.native is None
        np.testing.assert_array_equal(a.pre_idx, b.pre_idx)
        np.testing.assert_array_equal(a.weight, b.weight)
        np.testing.assert_array_equal(a.delay_steps, b.delay_steps)


def test_a_resolved_file_keeps_the_recipe(tmp_path):
    r = hub.resolve(network(hub.FixedProbability(0.1, resolve="native")), 10.0)
    back = load_resolved(save_resolved(r, tmp_path / "r.npz"))
    assert back.projections[0].native == r.projections[0].native


@pytest.mark.nest
@pytest.mark.brian2
def test_statistics_agree_with_the_hub_s_draw():
    """NEST's realization against the hub's (on Brian2): another network of the same
    statistics; the mean rate within 10 % (measured: 34,660 spikes on NEST, 34,661 on
    Brian2)."""
    net = network(hub.FixedInDegree(15, resolve="native"))
    rates = {b: len(hub.run(net, b, 500.0).spike_trains["pop"]) for b in ("nest", "brian2")}
    assert rates["nest"] > 1000
    assert abs(rates["nest"] / rates["brian2"] - 1) < 0.10, rates


@pytest.mark.parametrize(
    "connector,synapse,field",
    [
        (hub.FixedInDegree(5, resolve="nest"), hub.Static(0.1, 1.0), "connector.resolve"),
        (
            hub.FixedProbability(0.1, resolve="native"),
            hub.Plastic(hub.STDP(w_max=1.0), 0.1, 1.0),
            "connector.resolve",
        ),
    ],
)
def test_bad_resolve_is_a_validation_error(connector, synapse, field):
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(10, hub.LIF(), label="a")
    net.connect(a, a, connector, synapse)
    with pytest.raises(hub.ValidationError, match=field.replace(".", r"\.")):
        net.validate()

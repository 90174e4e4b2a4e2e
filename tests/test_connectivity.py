"""Connectivity drawn by block of targets (hub/connectivity.py): the shares of any split of
the targets are exactly the whole projection, and a projection onto one block draws what a
single stream per projection draws."""

from __future__ import annotations

import numpy as np
import pytest

import hub
from hub.connectivity import BLOCK, bernoulli_pairs, fixed_degree
from hub.resolve import stream

N = 2 * BLOCK + 300  # three target blocks, the last one partial

CONNECTORS = {
    "probability": lambda: hub.FixedProbability(0.01, allow_self_connections=False),
    "in_degree": lambda: hub.FixedInDegree(7, allow_self_connections=False),
    "out_degree": lambda: hub.FixedOutDegree(5, allow_self_connections=False),
    "all_to_all": lambda: hub.AllToAll(allow_self_connections=False),
    "total_number": lambda: hub.FixedTotalNumber(20000, allow_self_connections=False),
    "total_number_distinct": lambda: hub.FixedTotalNumber(
        20000, allow_self_connections=False, with_replacement=False
    ),
    "one_to_one": lambda: hub.OneToOne(),
    "from_arrays": lambda: hub.FromArrays(
        np.random.default_rng(3).integers(0, 40, 3000),
        np.random.default_rng(4).integers(0, N, 3000),
        weight=np.random.default_rng(5).uniform(0.1, 0.2, 3000),
    ),
}


def network(connector, n_pre=N):
    net = hub.Network(dt=0.1, seed=17)
    src = net.add_population(n_pre if connector != "from_arrays" else 40, hub.LIF(), label="a")
    onto_itself = ("probability", "in_degree", "out_degree", "all_to_all", "total_number")
    dst = src if connector.startswith(onto_itself) else None
    if dst is None:
        dst = net.add_population(N, hub.LIF(), label="b")
    weight = hub.Uniform(0.1, 0.5) if connector != "from_arrays" else 0.3
    net.connect(src, dst, CONNECTORS[connector](), hub.Static(weight, hub.Uniform(0.5, 3.0)))
    return net


def small_all_to_all():
    net = hub.Network(dt=0.1, seed=17)
    a = net.add_population(30, hub.LIF(), label="a")
    b = net.add_population(N, hub.LIF(), label="b")
    net.connect(a, b, hub.AllToAll(), hub.Static(hub.Uniform(0.1, 0.5), hub.Uniform(0.5, 3.0)))
    return net


def build(connector):
    return small_all_to_all() if connector == "all_to_all" else network(connector)


def arrays(resolved):
    p = resolved.projections[0]
    return p.pre_idx, p.post_idx, p.weight, p.delay_steps


@pytest.mark.parametrize("connector", sorted(CONNECTORS))
@pytest.mark.parametrize("cuts", [(N // 2,), (700, 1500, 2100), (BLOCK, 2 * BLOCK)])
def test_shares_add_up_to_the_whole_projection(connector, cuts):
    net = build(connector)
    post = net.projections[0].post
    whole = arrays(hub.resolve(net, 10.0))
    assert len(whole[0]) > 0
    edges = [0, *cuts, N]
    parts = [
        arrays(hub.resolve(net, 10.0, share={post: (lo, hi)}))
        for lo, hi in zip(edges[:-1], edges[1:])
    ]
    for p, (lo, hi) in zip(parts, zip(edges[:-1], edges[1:])):
        assert ((p[1] >= lo) & (p[1] < hi)).all()
    # the union, put back in (pre, post) order, is the whole projection, element for element
    merged = [np.concatenate([p[k] for p in parts]) for k in range(4)]
    order = np.lexsort((merged[1], merged[0]))
    for k in range(4):
        np.testing.assert_array_equal(merged[k][order], whole[k])


def test_whole_projection_is_ordered_by_pre_then_post():
    pre, post, _, _ = arrays(hub.resolve(network("in_degree"), 10.0))
    key = pre * N + post
    assert (np.diff(key) >= 0).all()


def test_a_projection_onto_one_block_draws_as_one_stream():
    """Block 0 keeps the key of one stream per projection: a FixedInDegree onto 200 neurons
    is fixed_degree on the projection's stream, and its weights follow in (pre, post) order."""
    net = hub.Network(dt=0.1, seed=5)
    a = net.add_population(300, hub.LIF(), label="a")
    b = net.add_population(200, hub.LIF(), label="b")
    net.connect(a, b, hub.FixedInDegree(9), hub.Static(hub.Uniform(0.1, 0.5), 1.0), label="ab")
    p = hub.resolve(net, 10.0).projections[0]
    post, pre = fixed_degree(stream(5, "ab", "connect"), 200, 300, 9, False, False)
    order = np.lexsort((post, pre))
    np.testing.assert_array_equal(p.pre_idx, pre[order])
    np.testing.assert_array_equal(p.post_idx, post[order])
    np.testing.assert_array_equal(p.weight, stream(5, "ab", "weight").uniform(0.1, 0.5, len(pre)))


def test_blocks_use_streams_of_their_own():
    """Two target blocks of a FixedInDegree: the second block's draw is not a continuation of
    the first block's stream."""
    net = hub.Network(dt=0.1, seed=5)
    a = net.add_population(300, hub.LIF(), label="a")
    b = net.add_population(2 * BLOCK, hub.LIF(), label="b")
    net.connect(a, b, hub.FixedInDegree(4), hub.Static(0.1, 1.0), label="ab")
    p = hub.resolve(net, 10.0).projections[0]
    second = p.post_idx >= BLOCK
    _, pre = fixed_degree(stream(5, "ab", "connect", 1), BLOCK, 300, 4, False, False)
    got = p.pre_idx[second][np.lexsort((p.pre_idx[second], p.post_idx[second]))]
    want = np.sort(pre.reshape(BLOCK, 4), axis=1).ravel()
    np.testing.assert_array_equal(got, want)


def test_no_self_connection_in_any_block():
    for connector in (
        "probability",
        "in_degree",
        "out_degree",
        "total_number",
        "total_number_distinct",
    ):
        pre, post, _, _ = arrays(hub.resolve(network(connector), 10.0))
        assert not (pre == post).any(), connector


def test_fixed_in_degree_is_exact_in_every_block():
    _, post, _, _ = arrays(hub.resolve(network("in_degree"), 10.0))
    assert (np.bincount(post, minlength=N) == 7).all()


def test_fixed_out_degree_is_exact_for_every_source():
    pre, _, _, _ = arrays(hub.resolve(network("out_degree"), 10.0))
    assert (np.bincount(pre, minlength=N) == 5).all()


@pytest.mark.parametrize("connector", ["total_number", "total_number_distinct"])
def test_fixed_total_number_is_exact_over_the_blocks(connector):
    """20000 connections spread over three target blocks, each block drawing its own count."""
    pre, post, _, _ = arrays(hub.resolve(network(connector), 10.0))
    assert len(pre) == 20000
    assert len(np.unique(post // BLOCK)) == 3
    if connector == "total_number_distinct":
        assert len(np.unique(pre * N + post)) == 20000


def test_bernoulli_pairs_offset_excludes_the_global_diagonal():
    pre, post = bernoulli_pairs(np.random.default_rng(0), 50, 20, 1.0, True, 10)
    assert len(pre) == 50 * 20 - 20
    assert not (pre == post + 10).any()


def test_synapse_probes_are_refused_for_a_share():
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(10, hub.LIF(), label="a")
    proj = net.connect(a, a, hub.AllToAll(), hub.Plastic(hub.STDP(w_max=0.5), 0.1, 1.0), label="p")
    net.record(proj, "weight")
    with pytest.raises(hub.ValidationError, match="synapse probe p.weight"):
        hub.resolve(net, 10.0, share={"a": (0, 5)})

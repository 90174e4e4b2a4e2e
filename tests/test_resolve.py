"""resolve(): determinism, independence of draws, connector statistics, Poisson sources and
time quantization (docs/semantics.md)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

import hub
from hub.connectivity import bernoulli_pairs, fixed_degree
from hub.resolve import stream, to_steps


def network(seed=42, extra_projection=False):
    net = hub.Network(dt=0.1, seed=seed)
    inp = net.add_source(hub.PoissonSource(rate=20.0), size=50, label="input")
    exc = net.add_population(200, hub.LIF(v_thresh=hub.Normal(-50.0, 2.0)), label="exc")
    exc.initialize(v=hub.Uniform(-65.0, -50.0))
    if extra_projection:
        net.connect(exc, exc, hub.FixedInDegree(10), hub.Static(0.1, 1.0), label="aaa_first")
    net.connect(
        inp,
        exc,
        hub.FixedProbability(0.1),
        hub.Static(hub.Uniform(0.1, 0.5), hub.Uniform(0.5, 3.0)),
        label="in",
    )
    net.connect(
        exc,
        exc,
        hub.FixedProbability(0.05, allow_self_connections=False),
        hub.Static(0.2, 1.0),
        label="rec",
    )
    net.record(exc, "spikes")
    return net


def arrays_of(r):
    out = {}
    for p in r.projections:
        for f in ("pre_idx", "post_idx", "weight", "delay_steps"):
            out[f"{p.label}.{f}"] = getattr(p, f)
    for label, pop in r.populations.items():
        out.update({f"{label}.param.{k}": v for k, v in pop.params.items()})
        out.update({f"{label}.init.{k}": v for k, v in pop.initial.items()})
    for label, src in r.sources.items():
        out[f"{label}.indices"], out[f"{label}.stamps"] = src.indices, src.stamps
    return out


# --- determinism and independence --------------------------------------------------------------
def test_same_seed_gives_the_same_arrays():
    a, b = arrays_of(hub.resolve(network(), 100.0)), arrays_of(hub.resolve(network(), 100.0))
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_different_seed_gives_different_draws():
    a, b = arrays_of(hub.resolve(network(1), 100.0)), arrays_of(hub.resolve(network(2), 100.0))
    assert not np.array_equal(a["in.pre_idx"], b["in.pre_idx"]) or not np.array_equal(
        a["in.post_idx"], b["in.post_idx"]
    )
    assert not np.array_equal(a["input.stamps"], b["input.stamps"])
    assert not np.array_equal(a["exc.init.v"], b["exc.init.v"])


def test_adding_a_projection_does_not_change_the_others():
    a = arrays_of(hub.resolve(network(extra_projection=False), 100.0))
    b = arrays_of(hub.resolve(network(extra_projection=True), 100.0))
    assert "aaa_first.pre_idx" in b
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_connector_seed_overrides_the_network_seed():
    def net(seed):
        n = hub.Network(dt=0.1, seed=seed)
        a = n.add_population(100, hub.LIF(), label="a")
        n.connect(a, a, hub.FixedProbability(0.1, seed=5), label="p")
        return hub.resolve(n, 1.0).projections[0]

    np.testing.assert_array_equal(net(1).post_idx, net(2).post_idx)


def test_streams_are_keyed_by_purpose():
    x = stream(1, "exc", "param", "tau_m").random(5)
    np.testing.assert_array_equal(x, stream(1, "exc", "param", "tau_m").random(5))
    assert not np.array_equal(x, stream(1, "exc", "param", "tau_s").random(5))
    assert not np.array_equal(x, stream(2, "exc", "param", "tau_m").random(5))


def test_no_seed_draws_a_seed_and_records_it():
    net = network(seed=None)
    r1 = hub.resolve(net, 10.0)
    net.seed = r1.seed
    r2 = hub.resolve(net, 10.0)
    np.testing.assert_array_equal(r1.projections[0].post_idx, r2.projections[0].post_idx)


# --- connectors ---------------------------------------------------------------------------------
def connect(n_pre, n_post, connector, same=False, seed=3):
    net = hub.Network(dt=0.1, seed=seed)
    a = net.add_population(n_pre, hub.LIF(), label="a")
    b = a if same else net.add_population(n_post, hub.LIF(), label="b")
    net.connect(a, b, connector, hub.Static(0.1, 1.0), label="p")
    return hub.resolve(net, 1.0).projections[0]


def within_sigmas(count, n, p, k=5.0):
    mean, sigma = n * p, math.sqrt(n * p * (1 - p))
    return abs(count - mean) <= k * sigma


@pytest.mark.parametrize("p", [0.01, 0.1, 0.5, 0.9])
def test_fixed_probability_count_is_binomial(p):
    proj = connect(300, 400, hub.FixedProbability(p))
    assert within_sigmas(proj.n, 300 * 400, p), (proj.n, 300 * 400 * p)
    pairs = proj.pre_idx * 400 + proj.post_idx
    assert len(np.unique(pairs)) == proj.n  # each pair at most once
    assert proj.pre_idx.max() < 300 and proj.post_idx.max() < 400
    assert (np.diff(pairs) > 0).all()  # sorted by (pre, post)
    # every post neuron's in-degree is Binomial(300, p): check the spread as well
    indeg = np.bincount(proj.post_idx, minlength=400)
    assert abs(indeg.var() - 300 * p * (1 - p)) < 0.5 * 300 * p * (1 - p) + 1


def test_fixed_probability_without_self_connections():
    proj = connect(500, 500, hub.FixedProbability(0.2, allow_self_connections=False), same=True)
    assert not (proj.pre_idx == proj.post_idx).any()
    assert within_sigmas(proj.n, 500 * 499, 0.2)


def test_fixed_probability_with_self_connections_has_some():
    proj = connect(500, 500, hub.FixedProbability(0.2), same=True)
    assert (proj.pre_idx == proj.post_idx).sum() > 50  # ~100 expected


def test_fixed_probability_edge_cases():
    assert connect(10, 10, hub.FixedProbability(0.0)).n == 0
    assert connect(10, 20, hub.FixedProbability(1.0)).n == 200
    pre, post = bernoulli_pairs(np.random.default_rng(0), 0, 10, 0.5)
    assert len(pre) == len(post) == 0


@pytest.mark.parametrize("n, replacement", [(10, False), (150, False), (10, True)])
def test_fixed_in_degree(n, replacement):
    proj = connect(200, 300, hub.FixedInDegree(n, with_replacement=replacement))
    assert (np.bincount(proj.post_idx, minlength=300) == n).all()
    if not replacement:
        pairs = proj.pre_idx * 300 + proj.post_idx
        assert len(np.unique(pairs)) == proj.n
    # partners are drawn uniformly: every pre neuron's out-degree is ~ Binomial(300, n/200)
    out = np.bincount(proj.pre_idx, minlength=200)
    q = n / 200
    assert abs(out.var() - 300 * q * (1 - q)) < 0.5 * 300 * q * (1 - q) + 1


def test_fixed_in_degree_without_self_connections():
    proj = connect(50, 50, hub.FixedInDegree(49, allow_self_connections=False), same=True)
    assert not (proj.pre_idx == proj.post_idx).any()
    assert (np.bincount(proj.post_idx, minlength=50) == 49).all()
    proj = connect(500, 500, hub.FixedInDegree(20, allow_self_connections=False), same=True)
    assert not (proj.pre_idx == proj.post_idx).any()
    assert (np.bincount(proj.post_idx, minlength=500) == 20).all()


@pytest.mark.parametrize("n", [5, 120])
def test_fixed_out_degree(n):
    proj = connect(300, 200, hub.FixedOutDegree(n))
    assert (np.bincount(proj.pre_idx, minlength=300) == n).all()
    pairs = proj.pre_idx * 200 + proj.post_idx
    assert len(np.unique(pairs)) == proj.n


def test_fixed_degree_with_replacement_can_repeat():
    fixed, partner = fixed_degree(np.random.default_rng(1), 100, 5, 10, False, True)
    pairs = fixed * 5 + partner
    assert len(np.unique(pairs)) < len(pairs)


def test_all_to_all_and_one_to_one():
    proj = connect(7, 9, hub.AllToAll())
    assert proj.n == 63
    assert set(zip(proj.pre_idx.tolist(), proj.post_idx.tolist())) == {
        (i, j) for i in range(7) for j in range(9)
    }
    proj = connect(8, 8, hub.AllToAll(allow_self_connections=False), same=True)
    assert proj.n == 56 and not (proj.pre_idx == proj.post_idx).any()
    proj = connect(12, 12, hub.OneToOne())
    np.testing.assert_array_equal(proj.pre_idx, np.arange(12))
    np.testing.assert_array_equal(proj.post_idx, np.arange(12))


def test_from_arrays_keeps_per_connection_values_with_their_pairs():
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(3, hub.LIF(), label="a")
    net.connect(
        a, a, hub.FromArrays([2, 0, 1], [0, 1, 2], weight=[0.3, 0.1, 0.2], delay=[3.0, 1.0, 2.0])
    )
    p = hub.resolve(net, 1.0).projections[0]
    np.testing.assert_array_equal(p.pre_idx, [0, 1, 2])  # sorted by pre
    np.testing.assert_array_equal(p.post_idx, [1, 2, 0])
    np.testing.assert_allclose(p.weight, [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(p.delay_steps, [10, 20, 30])


def test_weight_and_delay_distributions_are_drawn_per_synapse():
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(100, hub.LIF(), label="a")
    net.connect(
        a,
        a,
        hub.FixedProbability(0.2),
        hub.Static(hub.Uniform(0.1, 0.2), hub.Uniform(1.0, 2.0)),
        label="p",
    )
    proj = hub.resolve(net, 1.0).projections[0]
    assert proj.weight.min() >= 0.1 and proj.weight.max() < 0.2
    assert len(np.unique(proj.weight)) == proj.n
    assert proj.delay_steps.min() >= 10 and proj.delay_steps.max() <= 20


# --- sources --------------------------------------------------------------------------------------
def test_poisson_source_counts_are_poisson():
    n, rate, duration = 2000, 20.0, 1000.0
    net = hub.Network(dt=0.1, seed=11)
    net.add_source(hub.PoissonSource(rate=rate), size=n, label="p")
    src = hub.resolve(net, duration).sources["p"]
    counts = np.bincount(src.indices, minlength=n)
    lam = rate * duration * 1e-3  # 20 spikes expected
    assert abs(counts.mean() - lam) < 5 * math.sqrt(lam / n)  # mean within 5 sigma
    fano = counts.var(ddof=1) / counts.mean()
    assert abs(fano - 1.0) < 5 * math.sqrt(2.0 / (n - 1)) + 0.02  # Fano factor ~ 1
    assert src.stamps.min() >= 1 and src.stamps.max() <= 10000
    assert (np.diff(src.stamps) >= 0).all()  # sorted by stamp


def test_poisson_source_respects_start_and_stop():
    net = hub.Network(dt=0.1, seed=2)
    net.add_source(hub.PoissonSource(rate=500.0, start=20.0, stop=40.0), size=50, label="p")
    src = hub.resolve(net, 100.0).sources["p"]
    assert src.stamps.min() >= 201 and src.stamps.max() <= 400
    lam = 500.0 * 20.0e-3 * 50
    assert abs(len(src.stamps) - lam) < 5 * math.sqrt(lam)


def test_poisson_source_keeps_multiplicity():
    net = hub.Network(dt=1.0, seed=4)
    net.add_source(hub.PoissonSource(rate=2000.0), size=1, label="p")  # 2 spikes per step
    src = hub.resolve(net, 100.0).sources["p"]
    _, reps = np.unique(src.stamps, return_counts=True)
    assert reps.max() > 1


def test_spike_times_are_stamped_on_the_grid():
    net = hub.Network(dt=0.1, seed=1)
    net.add_source(hub.SpikeTimes([[0.1, 0.15, 1.04, 99.0], [0.25]]), size=2, label="s")
    src = hub.resolve(net, 10.0).sources["s"]
    # round(t/dt) as NEST: 0.15 -> 2, 0.25 -> 3; 99 ms is beyond the run and dropped
    assert list(zip(src.indices.tolist(), src.stamps.tolist())) == [(0, 1), (0, 2), (1, 3), (0, 10)]


def test_shared_spike_times_go_to_every_neuron():
    net = hub.Network(dt=0.1, seed=1)
    net.add_source(hub.SpikeTimes([1.0, 2.0]), size=3, label="s")
    src = hub.resolve(net, 10.0).sources["s"]
    assert len(src.stamps) == 6 and set(src.stamps.tolist()) == {10, 20}


# --- time quantization ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "delay, steps",
    [
        (0.1, 1),
        (0.15, 2),
        (0.25, 3),
        (0.35, 4),
        (0.45, 5),
        (1.0, 10),
        (1.45, 15),
        (1.449, 14),
        (2.0, 20),
    ],
)
def test_delay_rounding_is_nest_s(delay, steps):
    """D = floor(d/dt + 0.5), computed as NEST does (d * steps_per_ms): 0.15 ms -> 2 steps."""
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(1, hub.LIF(), label="a")
    net.connect(a, a, hub.OneToOne(), hub.Static(0.1, delay))
    assert hub.resolve(net, 1.0).projections[0].delay_steps.tolist() == [steps]


def test_default_delay_is_one_step():
    net = hub.Network(dt=0.25, seed=1)
    a = net.add_population(2, hub.LIF(), label="a")
    net.connect(a, a, hub.OneToOne(), hub.Static(0.1))
    assert hub.resolve(net, 1.0).projections[0].delay_steps.tolist() == [1, 1]


def test_to_steps_and_run_length():
    np.testing.assert_array_equal(to_steps([0.05, 0.15, 0.25, 1000.0], 0.1), [1, 2, 3, 10000])
    net = hub.Network(dt=0.1, seed=1)
    net.add_population(1, hub.LIF(), label="a")
    assert hub.resolve(net, 1000.0).steps == 10000
    assert hub.resolve(net, 0.35).steps == 4


def test_current_source_switch_stamps():
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(2, hub.LIF(), label="a")
    net.inject(a, hub.DCSource(0.5, start=1.0, stop=2.55))
    inj = hub.resolve(net, 5.0).injections[0]
    assert inj.stamps.tolist() == [10, 26] and inj.amplitudes.tolist() == [0.5, 0.0]


# --- scale ----------------------------------------------------------------------------------------
def test_resolve_ten_million_synapses_quickly():
    """10^7 synapses (FixedProbability 10000 x 10000, p = 0.1) in well under 30 s; measured
    about 1.6 s on the 2-core development machine."""
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(10_000, hub.LIF(), label="a")
    net.connect(a, a, hub.FixedProbability(0.1), hub.Static(0.1, 1.0), label="big")
    t0 = time.perf_counter()
    r = hub.resolve(net, 1.0)
    elapsed = time.perf_counter() - t0
    proj = r.projections[0]
    assert within_sigmas(proj.n, 10**8, 0.1)
    assert proj.pre_idx.dtype == np.int64 and proj.delay_steps.dtype == np.int64
    assert elapsed < 30.0, f"resolve of {proj.n} synapses took {elapsed:.1f} s"

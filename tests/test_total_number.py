"""``hub.FixedTotalNumber``: exactly n connections drawn uniformly over the pre x post pairs
(PyNN ``FixedTotalNumberConnector``, NEST ``fixed_total_number``).

Uniformity is tested with Pearson's chi-square statistic of the counts against the uniform
expectation, accepted below the chi-square quantile of probability 1 - 1e-6 (with
replacement the counts are multinomial, so the statistic is chi-square with cells - 1
degrees of freedom for large expectations: one false failure in a million runs per check;
without replacement the counts vary less, so the same bound is conservative).  The block
split identity is in tests/test_connectivity.py."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import hub
from hub.connectivity import BLOCK, total_number_counts
from hub.draws import stream
from hub.memory import expected_synapses

FALSE_FAILURE = 1e-6


def chi2_bound(cells: int) -> float:
    return float(stats.chi2.ppf(1 - FALSE_FAILURE, cells - 1))


def pearson(counts: np.ndarray, expected: float) -> float:
    return float(((counts - expected) ** 2 / expected).sum())


def projection(n_pre, n_post, connector, seed=7, weight=0.1, delay=1.0):
    """The resolved projection of ``connector`` (onto its own population if n_post is None)."""
    net = hub.Network(dt=0.1, seed=seed)
    a = net.add_population(n_pre, hub.LIF(), label="a")
    b = a if n_post is None else net.add_population(n_post, hub.LIF(), label="b")
    net.connect(a, b, connector, hub.Static(weight, delay), label="p")
    return hub.resolve(net, 10.0).projections[0]


@pytest.mark.parametrize("replace", [True, False])
def test_exactly_n_connections_sorted_by_pre_then_post(replace):
    p = projection(300, 2500, hub.FixedTotalNumber(12345, with_replacement=replace))
    assert p.n == 12345
    key = p.pre_idx * 2500 + p.post_idx
    assert (np.diff(key) >= 0).all()
    assert p.pre_idx.max() < 300 and p.post_idx.max() < 2500
    if not replace:
        assert len(np.unique(key)) == 12345


def test_with_replacement_draws_multapses_at_the_birthday_rate():
    """n draws over M pairs give n - M (1 - (1 - 1/M)^n) repeated pairs on average; the
    number of distinct pairs is a sum of dependent indicators with variance below its mean
    here, so 6 sqrt(mean) bounds its deviation (Chebyshev: false failure below 1/36; the
    draw is seeded, so the test is deterministic)."""
    m, n = 40 * 50, 3000
    p = projection(40, 50, hub.FixedTotalNumber(n))
    repeats = n - len(np.unique(p.pre_idx * 50 + p.post_idx))
    mean = n - m * (1 - (1 - 1 / m) ** n)
    assert abs(repeats - mean) < 6 * np.sqrt(mean), (repeats, mean)


def test_every_allowed_pair_is_equally_likely_and_no_self_pair():
    """60 neurons onto themselves without autapses: 3540 allowed pairs, 354000 draws, 100
    expected per pair; chi-square over all pairs."""
    m, per_pair = 60, 100
    pairs = m * m - m
    p = projection(m, None, hub.FixedTotalNumber(pairs * per_pair, allow_self_connections=False))
    assert not (p.pre_idx == p.post_idx).any()
    counts = np.bincount(p.pre_idx * m + p.post_idx, minlength=m * m)
    counts = counts[np.arange(m * m) % (m + 1) != 0]  # the 3540 off-diagonal pairs
    assert pearson(counts, per_pair) < chi2_bound(pairs)


@pytest.mark.parametrize("replace", [True, False])
def test_per_pre_and_per_post_counts_are_uniform_over_the_blocks(replace):
    """2100 neurons onto themselves (three target blocks), no autapses: every neuron has
    2099 allowed partners either way, so 210000 connections put 100 on each post and each
    pre neuron on average."""
    m, n = 2100, 210000
    p = projection(
        m, None, hub.FixedTotalNumber(n, allow_self_connections=False, with_replacement=replace)
    )
    assert p.n == n and not (p.pre_idx == p.post_idx).any()
    for idx in (p.pre_idx, p.post_idx):
        assert pearson(np.bincount(idx, minlength=m), n / m) < chi2_bound(m)
    if not replace:
        assert len(np.unique(p.pre_idx * m + p.post_idx)) == n


def test_the_test_can_fail():
    """The same statistic rejects a draw that favours the first block by 10 %."""
    rng = np.random.default_rng(0)
    m, n = 2100, 210000
    weights = np.where(np.arange(m) < BLOCK, 1.1, 1.0)
    post = rng.choice(m, size=n, p=weights / weights.sum())
    assert pearson(np.bincount(post, minlength=m), n / m) > chi2_bound(m)


def test_block_counts_follow_the_multinomial_and_hypergeometric_means():
    """The counts per target block, drawn once: over 2000 draws their mean is n pairs_b /
    pairs (with and without replacement) within 6 standard errors."""
    n_pre, n_post, n = 10, 2 * BLOCK + 300, 5000
    sizes = np.array([BLOCK, BLOCK, 300])
    want = n * sizes / n_post
    for replace in (True, False):
        rng = stream(1, "counts-test", replace)
        draws = np.array(
            [total_number_counts(rng, n, n_pre, n_post, False, replace) for _ in range(2000)]
        )
        assert (draws.sum(axis=1) == n).all()
        se = draws.std(axis=0) / np.sqrt(len(draws))
        assert (np.abs(draws.mean(axis=0) - want) < 6 * se).all(), (draws.mean(axis=0), want)


def test_distinct_pairs_can_fill_every_allowed_pair():
    """Without replacement, n = all allowed pairs gives each exactly once (dense path)."""
    m = 30
    p = projection(m, None, hub.FixedTotalNumber(m * m - m, False, False))
    assert p.n == m * m - m
    assert len(np.unique(p.pre_idx * m + p.post_idx)) == m * m - m
    assert not (p.pre_idx == p.post_idx).any()


def test_weights_and_delays_follow_the_synapse():
    p = projection(200, 300, hub.FixedTotalNumber(5000), weight=hub.Uniform(0.1, 0.2), delay=2.0)
    assert ((p.weight >= 0.1) & (p.weight < 0.2)).all()
    assert (p.delay_steps == 20).all()


@pytest.mark.parametrize(
    "connector, same, sizes, message",
    [
        (hub.FixedTotalNumber(-1), False, (5, 5), "-1 is not a count of connections >= 0"),
        (hub.FixedTotalNumber(2.5), False, (5, 5), "2.5 is not a count of connections"),
        (
            hub.FixedTotalNumber(26, with_replacement=False),
            False,
            (5, 5),
            "26 distinct connections exceed the 25 pairs",
        ),
        (
            hub.FixedTotalNumber(21, allow_self_connections=False, with_replacement=False),
            True,
            (5, 5),
            "exceed the 20 pairs \\(5 x 5 minus the diagonal\\)",
        ),
        (
            hub.FixedTotalNumber(3, allow_self_connections=False),
            True,
            (1, 1),
            "there are no 0 pairs",
        ),
        (hub.FixedTotalNumber(3, resolve="nest"), False, (5, 5), "connector.resolve"),
    ],
)
def test_bad_input_is_a_validation_error_naming_field_value_and_fix(
    connector, same, sizes, message
):
    net = hub.Network(dt=0.1)
    a = net.add_population(sizes[0], hub.LIF(), label="a")
    b = a if same else net.add_population(sizes[1], hub.LIF(), label="b")
    net.connect(a, b, connector, hub.Static(0.1, 1.0), label="p")
    with pytest.raises(hub.ValidationError, match=message) as err:
        hub.resolve(net, 10.0)
    text = str(err.value)
    assert "connector.n" in text or "connector.resolve" in text, text
    assert any(word in text for word in ("use", "lower", "set")), text


def test_distinct_pairs_at_the_limit_are_valid():
    p = projection(5, None, hub.FixedTotalNumber(20, False, False))
    assert p.n == 20


def test_memory_estimate_is_n():
    assert expected_synapses(hub.FixedTotalNumber(777), 10, 20, False) == 777.0
    assert expected_synapses(hub.FixedTotalNumber(777), 10, 20, True) == 777.0


def test_save_and_load_round_trip(tmp_path):
    net = hub.Network(dt=0.1, seed=3)
    a = net.add_population(50, hub.LIF(), label="a")
    net.connect(
        a,
        a,
        hub.FixedTotalNumber(321, False, False, seed=9, resolve="native"),
        hub.Static(0.1, 1.0),
        label="p",
    )
    path = tmp_path / "net.npz"
    hub.save(net, path)
    c = hub.load(path).projections[0].connector
    assert isinstance(c, hub.FixedTotalNumber)
    assert (c.n, c.allow_self_connections, c.with_replacement, c.seed, c.resolve) == (
        321,
        False,
        False,
        9,
        "native",
    )
    # a hub-drawn copy resolves to the same connections before and after the round trip
    net.projections[0].connector = hub.FixedTotalNumber(321, False, False, seed=9)
    hub.save(net, path)
    before = hub.resolve(net, 10.0).projections[0]
    after = hub.resolve(hub.load(path), 10.0).projections[0]
    np.testing.assert_array_equal(before.pre_idx, after.pre_idx)
    np.testing.assert_array_equal(before.post_idx, after.post_idx)


def test_the_connector_seed_overrides_the_network_seed():
    a = projection(100, 100, hub.FixedTotalNumber(500, seed=4), seed=1)
    b = projection(100, 100, hub.FixedTotalNumber(500, seed=4), seed=2)
    c = projection(100, 100, hub.FixedTotalNumber(500), seed=2)
    np.testing.assert_array_equal(a.pre_idx, b.pre_idx)
    assert not np.array_equal(b.pre_idx, c.pre_idx)


# --- NEST's own rule -------------------------------------------------------------------------
def native_network(connector, n=300):
    net = hub.Network(dt=0.1, seed=11)
    pop = net.add_population(n, hub.LIF(v_thresh=-55.0), label="pop")
    net.connect(pop, pop, connector, hub.Static(hub.Normal(0.05, 0.01, low=0.0), 1.0), label="p")
    net.record(pop, "spikes")
    return net


@pytest.mark.nest
def test_nest_native_makes_n_connections_without_autapses():
    nest = pytest.importorskip("nest")
    from hub.plugins import get_backend

    net = native_network(hub.FixedTotalNumber(4000, allow_self_connections=False, resolve="native"))
    session = get_backend("nest").build(hub.resolve(net, 10.0))
    try:
        c = nest.GetConnections(session.nodes["pop"], session.nodes["pop"])
        got = c.get(["source", "target", "weight"])
        pre = session._index("pop", got["source"])
        post = session._index("pop", got["target"])
        assert len(pre) == 4000
        assert not (pre == post).any()
        assert (np.asarray(got["weight"]) >= 0).all()
        hub_draw = hub.resolve(native_network(hub.FixedTotalNumber(4000, False)), 10.0)
        assert not np.array_equal(np.sort(pre), hub_draw.projections[0].pre_idx)
    finally:
        session.close()


@pytest.mark.nest
def test_nest_native_without_replacement_is_refused_with_the_alternatives():
    pytest.importorskip("nest")
    net = native_network(hub.FixedTotalNumber(400, with_replacement=False, resolve="native"))
    with pytest.raises(hub.CapabilityError, match="cannot suppress multapses.*resolve='hub'"):
        hub.run(hub.resolve(net, 5.0), backend="nest")


def test_other_backends_get_the_hub_draw_of_a_native_projection():
    from hub.resolve import materialize_native

    native = hub.resolve(native_network(hub.FixedTotalNumber(4000, resolve="native")), 10.0)
    ref = hub.resolve(native_network(hub.FixedTotalNumber(4000)), 10.0)
    got = materialize_native(native).projections[0]
    np.testing.assert_array_equal(got.pre_idx, ref.projections[0].pre_idx)
    np.testing.assert_array_equal(got.weight, ref.projections[0].weight)


# --- NEST against Brian2 ---------------------------------------------------------------------
@pytest.mark.nest
@pytest.mark.brian2
def test_a_network_with_fixed_total_number_runs_identically_on_nest_and_brian2():
    """400 LIF (exp) neurons, excitatory and inhibitory FixedTotalNumber projections with
    multapses and distinct pairs, Poisson drive: every spike equal on both simulators."""
    net = hub.Network(dt=0.1, seed=23)
    src = net.add_source(hub.PoissonSource(rate=50.0), size=100, label="input")
    model = hub.LIF(
        synapse="exp", cm=0.25, tau_m=10.0, tau_refrac=2.0, tau_syn_E=0.5, tau_syn_I=0.5
    )
    exc = net.add_population(320, model, label="exc")
    inh = net.add_population(80, model, label="inh")
    for pop in (exc, inh):
        pop.initialize(v=hub.Uniform(-65.0, -52.0))
        net.connect(src, pop, hub.FixedTotalNumber(pop.size * 30), hub.Static(0.6, 1.5))
    delay = hub.Normal(1.5, 0.75, low=0.1)
    for pre, w, rec in ((exc, 0.3, "excitatory"), (inh, -1.2, "inhibitory")):
        for post in (exc, inh):
            net.connect(
                pre,
                post,
                hub.FixedTotalNumber(
                    pre.size * post.size // 10,
                    allow_self_connections=False,
                    with_replacement=rec == "excitatory",
                ),
                hub.Static(hub.Normal(w, abs(w) * 0.1), delay, receptor=rec),
            )
    net.record(exc, "spikes")
    net.record(inh, "spikes")
    resolved = hub.resolve(net, 500.0)
    r_nest = hub.run(resolved, backend="nest")
    r_b2 = hub.run(resolved, backend="brian2")
    total = 0
    for label in ("exc", "inh"):
        assert r_nest.spikes(label) == r_b2.spikes(label)
        total += len(r_nest.spikes(label))
    assert total > 500, total

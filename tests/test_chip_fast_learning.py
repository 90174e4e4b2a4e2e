"""The compiled (numba) learning step against the numpy learning engine: the same integers.

Weights (read-outs, every final mantissa), weight-probe rows, update counts, spikes and v
samples must be bit-identical for every compiled product rule, with and without learning
epochs, with deterministic and stochastic rounding (both engines draw from the same
counter-based hash); DopamineSTDP stays on the numpy engine.
"""

from __future__ import annotations

import numpy as np
import pytest

import hub
from hub.plugins import get_backend
from hub.testing import plasticity_checks as pc

pytest.importorskip("numba")

RULES = (
    "all_additive",
    "all_multiplicative",
    "nn_symmetric_additive",
    "triplet",
    "vogels_sprekeler",
)


def _both(net, duration, **options):
    out = {}
    for engine in ("numpy", "numba"):
        res = hub.run(net, backend="chip", duration=duration, engine=engine, **options)
        assert res.extra["chip"]["wall_time"]["engine"] == engine
        out[engine] = res
    return out["numpy"], out["numba"]


def _assert_same(a, b, plastic):
    for label in plastic:
        np.testing.assert_array_equal(a.weights(label), b.weights(label))
    assert a.extra["chip"]["learning"] == b.extra["chip"]["learning"]
    assert a.synapse_signals.keys() == b.synapse_signals.keys()
    for key in a.synapse_signals:
        np.testing.assert_array_equal(a.synapse_signals[key].values, b.synapse_signals[key].values)
    assert a.signals.keys() == b.signals.keys()
    for key in a.signals:
        np.testing.assert_array_equal(a.signals[key].values, b.signals[key].values)
    assert a.spike_trains.keys() == b.spike_trains.keys()
    for key in a.spike_trains:
        assert a.spike_trains[key] == b.spike_trains[key]


@pytest.mark.parametrize("rounding", ["deterministic", "stochastic"])
@pytest.mark.parametrize("epoch", [1, 10])
@pytest.mark.parametrize("seed", [12, 13])
@pytest.mark.parametrize("name", RULES)
def test_numba_learning_is_bit_identical_to_numpy(name, seed, epoch, rounding):
    net, _ = pc.plastic_network(pc.RULES[name](), seed)
    a, b = _both(net, pc.DURATION, learning_epoch=epoch, rounding=rounding)
    assert a.synapse_signals  # the weight probes are compared
    rows = a.synapse_signals[("plastic", "weight")].values
    assert np.ptp(rows, axis=0).max() > 0  # the weights did change
    assert a.extra["chip"]["learning"]["weight_updates"] > 0
    _assert_same(a, b, ["plastic"])


def _recurrent(seed=5, n_in=200, n=60, duration=300.0):
    """Poisson inputs to LIF neurons through additive STDP plus plastic recurrent
    connections (neuron -> neuron, several delays) and static inhibition."""
    from hub import ir

    net = ir.Network(dt=0.1, seed=seed)
    src = net.add_source(ir.PoissonSource(rate=15.0), size=n_in, label="in")
    pop = net.add_population(n, ir.LIF(tau_m=20.0, v_thresh=-54.0, v_reset=-60.0), label="lif")
    inh = net.add_population(n // 4, ir.LIF(), label="inh")
    stdp = ir.STDP(A_plus=0.01, A_minus=0.0105, w_max=1.5, tau_plus=20.0, tau_minus=20.0)
    rng = np.random.default_rng(seed)
    pi, qi = np.nonzero(rng.random((n_in, n)) < 0.3)
    net.connect(
        src,
        pop,
        ir.FromArrays(pi, qi, weight=rng.uniform(0.2, 1.2, pi.size), delay=1.0),
        ir.Plastic(stdp, 0.0),
        label="ff",
    )
    pi, qi = np.nonzero(rng.random((n, n)) < 0.1)
    net.connect(
        pop,
        pop,
        ir.FromArrays(
            pi,
            qi,
            weight=rng.uniform(0.1, 0.8, pi.size),
            delay=rng.choice([0.5, 1.5, 2.5], pi.size),
        ),
        ir.Plastic(
            ir.STDP(A_plus=0.01, A_minus=0.012, w_max=1.0, weight_dependence="multiplicative"), 0.0
        ),
        label="rec",
    )
    net.connect(pop, inh, ir.FixedProbability(0.2), ir.Static(weight=1.0, delay=1.0))
    net.connect(
        inh, pop, ir.FixedProbability(0.2), ir.Static(weight=-1.0, delay=1.0, receptor="inhibitory")
    )
    net.record(pop, "spikes", "v")
    net.record(inh, "spikes")
    return net, duration


def test_numba_learning_on_a_recurrent_network():
    net, duration = _recurrent()
    a, b = _both(net, duration)
    spikes = len(a.spike_trains["lif"])
    assert spikes > 100
    for label in ("ff", "rec"):
        w0 = hub.resolve(net, duration)
        before = next(p for p in w0.projections if p.label == label).weight
        assert np.abs(a.weights(label) - before).max() > 0  # learning happened
    _assert_same(a, b, ["ff", "rec"])


def test_stdp_benchmark_network_numba_equals_numpy():
    from hub.benchmarks import BENCHMARKS

    bench = BENCHMARKS["stdp"]
    net = bench.build(**dict(bench.params))
    a, b = _both(net, 100.0)
    projections = [p for p in hub.resolve(net, 100.0).projections if p.rule is not None]
    plastic = [p.label for p in projections]
    assert plastic and sum(len(t) for t in a.spike_trains.values()) > 50
    assert all(np.abs(a.weights(p.label) - p.weight).max() > 0 for p in projections)
    _assert_same(a, b, plastic)


def test_engine_choice():
    net, _ = pc.plastic_network(pc.RULES["all_additive"](), 12)
    res = hub.run(net, backend="chip", duration=5.0)
    assert res.extra["chip"]["wall_time"]["engine"] == "numba"
    res = hub.run(net, backend="chip", duration=5.0, rounding="stochastic")
    assert res.extra["chip"]["wall_time"]["engine"] == "numba"
    net, _ = pc.plastic_network(pc.RULES["dopamine"](), 12)
    res = hub.run(net, backend="chip", duration=5.0)
    assert res.extra["chip"]["wall_time"]["engine"] == "numpy"
    with pytest.raises(hub.HubError, match="DopamineSTDP runs on engine='numpy' only"):
        hub.run(net, backend="chip", duration=5.0, engine="numba")


def test_runs_in_segments_equal_one_run():
    """State goes back to the Learning object between runs: a numba run in three
    segments (each in several kernel calls) equals one numpy run (weights, probe rows,
    updates)."""
    net, _ = pc.plastic_network(pc.RULES["triplet"](), 12)
    chip = get_backend("chip")
    a = chip.build(hub.resolve(net, pc.DURATION), engine="numpy")
    a.engine.run(a.resolved.steps)
    b = chip.build(hub.resolve(net, pc.DURATION), engine="numba")
    assert b.engine_name == "numba"
    steps = b.resolved.steps
    for part in (steps // 3, 7, steps - steps // 3 - 7):  # with progress: kernel chunks
        b.engine.run(part, progress=lambda fraction: None)
    la, lb = a.learning, b.learning
    np.testing.assert_array_equal(la.mantissas("plastic"), lb.mantissas("plastic"))
    assert la.updates == lb.updates and la.t == lb.t == steps
    ra, rb = (list(s.weight_rows.values())[0] for s in (a, b))
    np.testing.assert_array_equal(np.array(ra), np.array(rb))
    np.testing.assert_array_equal(a.compiled.program.weight, b.compiled.program.weight)


@pytest.mark.parametrize("epoch", [1, 3])
def test_tags_timers_constants_and_all_factors(monkeypatch, epoch):
    """Products the compiled hub rules do not use (tag target and factor, u<k> timers, a
    constant alone, x0/y0/w factors, offsets, a second trace pair) on both engines."""
    from hub_chip import learning
    from hub_chip.rule import Factor, Product, ProductRule

    compile_rule = learning.compile_rule

    def extended(rule, w_max, lsb, impulse):
        base = compile_rule(rule, w_max, lsb, impulse)  # triplet: x1 x2 y1 y2
        extra = (
            Product("w", "y0", 3, -4, (Factor("x1"), Factor("t", 8))),
            Product("w", "u2", 1, -3, (Factor("w", -40),)),
            Product("w", "y0", 5, -6, (Factor("y0"), Factor("x0", 1), Factor("y2", -2))),
            Product("t", "x0", 7, -2, (Factor("y1", -3),)),
            Product("t", "y0", -1, -1, (Factor("x1"), Factor("C", 3))),
            Product("t", "u0", -1, -3, (Factor("t"),)),
            Product("t", "x0", 1, 0, (Factor("x2", -60), Factor("w"))),
        )
        return ProductRule(base.products + extra, dict(base.traces))

    monkeypatch.setattr(learning, "compile_rule", extended)
    net, _ = pc.plastic_network(pc.RULES["triplet"](), 13)
    chip = get_backend("chip")
    sessions = [
        chip.build(hub.resolve(net, pc.DURATION), engine=engine, learning_epoch=epoch)
        for engine in ("numpy", "numba")
    ]
    assert [s.engine_name for s in sessions] == ["numpy", "numba"]
    for s in sessions:
        s.engine.run(s.resolved.steps)
    (pa,), (pb,) = (s.learning.projections for s in sessions)
    assert np.any(pa.tag != 0) and np.ptp(pa.w) > 0  # tags and weights moved
    for name in ("w", "wr", "tag"):
        np.testing.assert_array_equal(getattr(pa, name), getattr(pb, name))
    for t in "wt":
        np.testing.assert_array_equal(pa.acc[t], pb.acc[t])
    la, lb = (s.learning for s in sessions)
    assert la.updates == lb.updates
    for ba, bb in zip(la.banks, lb.banks):
        np.testing.assert_array_equal(ba["X"], bb["X"])
        np.testing.assert_array_equal(ba["hist"], bb["hist"])
    np.testing.assert_array_equal(
        sessions[0].compiled.program.weight, sessions[1].compiled.program.weight
    )


def test_networks_without_learning_share_the_kernel():
    """The placeholder learning arguments have the types of real ones (one compiled
    kernel for every network)."""
    import numba

    from hub_chip.fast_learning import empty_args

    net, _ = pc.plastic_network(pc.RULES["all_additive"](), 12)
    session = get_backend("chip").build(hub.resolve(net, 5.0), engine="numba")
    real = session.engine.flat_learning.start(0, 10)
    assert [numba.typeof(a) for a in empty_args()] == [numba.typeof(a) for a in real]

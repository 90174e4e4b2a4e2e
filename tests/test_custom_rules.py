"""Learning rules written as statements (hub.define_rule, docs/custom_models.md).

References: NEST's built-in stdp_synapse (the additive pair rule written as statements must
learn its weights), the hub's plasticity reference (hub.plasticity.reference, event-driven
Python), and the diagnostics a user must see.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import hub
import hub.plasticity as HP
from hub.equations import library

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
import bcm  # noqa: E402
import brader_fusi  # noqa: E402
import resume  # noqa: E402

STDP = library.stdp_additive()
RTOL = 1e-12  # the tier-2 bound every rule of the hub is held to (docs/learning.md)


def stdp_network(custom: bool) -> hub.Network:
    net = hub.Network(dt=0.1, seed=5)
    src = net.add_source(hub.PoissonSource(rate=15.0), size=40, label="in")
    p = net.add_population(10, hub.LIF(i_offset=0.5, tau_refrac=2.0), label="p")
    if custom:
        rule = STDP(w_max=0.8)
    else:  # NEST's stdp_synapse: the steps are relative to w_max
        rule = hub.STDP(A_plus=0.01 / 0.8, A_minus=0.0105 / 0.8, w_max=0.8)
    delay = hub.Uniform(0.5, 3.0)
    net.connect(src, p, hub.FixedProbability(0.5), hub.Plastic(rule, 0.4, delay), label="syn")
    net.record(p, "spikes")
    return net


def _rel(a, b):
    return float(np.max(np.abs(a - b) / np.abs(a)))


@pytest.fixture(scope="module")
def nest_stdp():
    return hub.run(stdp_network(False), "nest", 2000.0)


def test_stdp_written_as_statements_learns_nests_stdp_synapse_weights(nest_stdp):
    """The additive all-to-all pair rule as statements, on Brian2, learns the weights of NEST's
    stdp_synapse (same spikes, every final weight within 1e-12 relative; measured 3.7e-15)."""
    custom = hub.run(stdp_network(True), "brian2", 2000.0, codegen="numpy")
    a, b = nest_stdp.weights("syn"), custom.weights("syn")
    assert np.mean(a != 0.4) > 0.9  # the weights did change
    np.testing.assert_array_equal(
        nest_stdp.spike_trains["p"].stamps, custom.spike_trains["p"].stamps
    )
    assert _rel(a, b) < RTOL


def test_the_reference_runs_a_rule_written_as_statements_as_nest_runs_stdp(nest_stdp):
    """The hub's plasticity reference, given the rule as statements and NEST's spikes, computes
    NEST's stdp_synapse weights."""
    net = stdp_network(True)
    state, _ = HP.reference_state(hub.resolve(net, 2000.0), nest_stdp)
    assert _rel(nest_stdp.weights("syn"), state[("syn", "weight")]) < RTOL


def test_bcm_on_brian2_learns_the_reference_weights():
    """BCM with its sliding threshold (models/bcm.py): Brian2 and the reference agree on every
    weight (1e-12 relative; measured 4.8e-13), and the rule moved the weights both ways."""
    net = bcm.build(n=8)
    res = hub.run(net, "brian2", 3000.0, codegen="numpy")
    state, _ = HP.reference_state(hub.resolve(net, 3000.0), res)
    moved = []
    for label in ("fast->out", "slow->out"):
        got, want = res.weights(label), state[(label, "weight")]
        big = np.abs(want) > 1e-9
        assert np.all(np.abs(got[~big]) < 1e-9)
        assert _rel(want[big], got[big]) < RTOL
        moved += [np.any(want > 0.2), np.any(want < 0.2)]
    assert all(moved)


def test_a_rule_travels_with_the_saved_network(tmp_path):
    net = stdp_network(True)
    hub.save(net, tmp_path / "net.npz")
    rule = hub.load(tmp_path / "net.npz").projections[0].synapse.rule
    assert rule.definition == STDP and rule.value("w_max") == 0.8
    assert rule.label.startswith("CustomRule[digest=")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"on_pre": "w = w - a * q"}, "'q' is not defined"),
        ({"on_pre": "w = w - tau"}, "adds weight (w) and ms (tau)"),
        ({"on_pre": "x = w"}, "x is not a state variable"),
        ({"on_pre": "w = clip(w, 0)"}, "clip with 2 arguments"),
        ({"pre_traces": {"x": "a"}}, "the time constant 'a' is not a parameter in ms"),
        ({"on_pre": "", "on_post": ""}, "the rule changes nothing"),
        ({"parameters": {"a": "0.1 furlong"}}, "unknown unit"),
    ],
)
def test_bad_rules_are_refused_with_the_field_and_line(change, message):
    spec = dict(
        parameters={"a": "0.01 weight", "tau": "20 ms"},
        pre_traces={"x": "tau"},
        on_pre="w = w - a * x",
    )
    spec.update(change)
    with pytest.raises(hub.ValidationError) as err:
        hub.define_rule("r", spec.pop("parameters"), **spec)
    assert message in str(err.value)


def test_nest_from_the_wheel_refuses_a_rule_written_as_statements_naming_the_feature():
    with pytest.raises(hub.CapabilityError, match="plasticity:CustomRule"):
        hub.run(stdp_network(True), "nest", 10.0)


# --- the chip: rules of the product form ---------------------------------------------------
def test_the_product_form_of_the_pair_rule_bcm_and_a_multiplicative_rule():
    """hub.equations.rule_forms: the update minus w as a polynomial in the traces and w."""
    from hub.equations import rule_program
    from hub.equations.rule_forms import product_form

    pair = product_form(rule_program(STDP))
    assert pair.bound == "w_max" and (pair.pre_traces, pair.post_traces) == (("x",), ("y",))
    assert [(t.event, t.text()) for t in pair.terms] == [
        ("pre", "-a_minus y"),
        ("post", "a_plus x"),
    ]
    terms = product_form(rule_program(bcm.BCM)).terms
    assert [(t.event, t.powers) for t in terms] == [
        ("pre", (("y", 2),)),
        ("pre", (("y", 1), ("z", 2))),
    ]
    working = {"eta": 0.002, "nu0": 0.01, "tau_y": 100.0, "tau_theta": 1000.0}
    assert terms[0].value(working) == pytest.approx(0.002 / (0.01**2 * 100.0**2), rel=1e-15)
    assert terms[1].value(working) == pytest.approx(
        -0.002 / (0.01**3 * 1000.0**2 * 100.0), rel=1e-15
    )
    multiplicative = hub.define_rule(
        "mult",
        {"a": "0.01 weight", "tau": "20 ms", "w_max": "1 weight"},
        pre_traces={"x": "tau"},
        on_post="w = clip(w + a * (1 - w / w_max) * x, 0, w_max)",
    )
    terms = product_form(rule_program(multiplicative)).terms
    assert sorted((t.powers, t.value({"a": 0.01, "w_max": 2.0})) for t in terms) == [
        ((("x", 1),), 0.01),
        ((("x", 1), ("w", 1)), -0.005),
    ]


def chip_pair_network(rule) -> hub.Network:
    net = hub.Network(dt=0.1, seed=4)
    src = net.add_source(hub.PoissonSource(rate=20.0), size=30, label="in")
    out = net.add_population(5, hub.LIF(i_offset=0.5, tau_refrac=2.0), label="out")
    net.connect(src, out, hub.AllToAll(), hub.Plastic(rule, 0.4, 1.0), label="p")
    net.record(out, "spikes")
    return net


def test_the_pair_rule_written_as_statements_is_the_chips_stdp_bit_for_bit():
    """On the chip, the additive pair rule written as statements compiles to the products of
    the chip's built-in additive STDP (A_plus = a_plus / w_max): the same weight mantissas
    after 2 s of Poisson input, every weight moved."""
    w_max = 0.8
    custom = hub.run(chip_pair_network(STDP(w_max=w_max)), "chip", 2000.0)
    builtin = hub.STDP(A_plus=0.01 / w_max, A_minus=0.0105 / w_max, w_max=w_max)
    want = hub.run(chip_pair_network(builtin), "chip", 2000.0)
    np.testing.assert_array_equal(custom.weights("p"), want.weights("p"))
    np.testing.assert_array_equal(
        custom.spike_trains["out"].stamps, want.spike_trains["out"].stamps
    )
    assert np.mean(custom.weights("p") != 0.4) > 0.9


def test_a_polynomial_rule_runs_on_the_chip_within_its_declared_bound():
    """BCM with time constants the chip's 12-bit trace decay holds (20 and 100 ms) runs on
    the chip through the kit's plasticity proof: weights within 1 LSB per update of the
    reference (the chip's declared plasticity tolerance), the relays' spikes exact."""
    from hub.testing.plasticity_checks import check_rule

    errors = check_rule("chip", bcm.BCM(eta=0.003, w_max=1.0, tau_y=20.0, tau_theta=100.0))
    assert 0.0 < errors["sampled weight"] < 0.2


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (bcm, "trace y2 of tau = 1000 ms does not decay in the chip's 12-bit decay"),
        (resume, r"resume: a teacher \(on_teacher\)"),
        (brader_fusi, r"brader_fusi: the postsynaptic state \(post_state\)"),
    ],
)
def test_the_chip_refuses_the_rules_it_cannot_hold_naming_why(model, message):
    with pytest.raises(hub.CapabilityError, match=message):
        hub.run(model.build(), "chip", 10.0)


@pytest.mark.parametrize(
    ("on_pre", "message"),
    [
        ("w = clip(w - a * dt_pre / ms, 0, w_max)", "dt_pre: the engine reads traces"),
        ("w = clip(w - a * exp(-x), 0, w_max)", r"exp\(\) has no sum-of-products form"),
        ("w -= a * x", "write one statement 'w = clip"),
        ("w = clip(w - a * x, 0.1 * w_max, w_max)", "write one statement 'w = clip"),
    ],
)
def test_the_chip_names_the_statement_without_a_product_form(on_pre, message):
    rule = hub.define_rule(
        "r",
        {"a": "0.01 weight", "tau": "20 ms", "w_max": "1 weight"},
        pre_traces={"x": "tau"},
        on_pre=on_pre,
    )
    with pytest.raises(hub.CapabilityError, match=message):
        hub.run(chip_pair_network(rule()), "chip", 10.0)


def test_the_reference_reads_a_postsynaptic_spike_arriving_with_a_double_presynaptic_one_as_nest():
    """The reference runs the pair rule written as statements as it runs NEST's stdp_synapse
    on the kit's trains (a presynaptic spike of multiplicity 2 with a postsynaptic spike
    arriving at its stamp: both presynaptic spikes read the postsynaptic trace without it);
    before the fix 2 of 32 weights were one a_minus apart."""
    from hub.testing import plasticity_checks as kit

    want = hub.STDP(A_plus=0.05, A_minus=0.055, w_max=1.0)
    net, _ = kit.plastic_network(want)
    res = hub.run(net, "brian2", kit.DURATION)
    resolved = hub.resolve(net, kit.DURATION)
    builtin, _ = HP.reference_state(resolved, res)
    custom_net, _ = kit.plastic_network(STDP(a_plus=0.05, a_minus=0.055, w_max=1.0))
    custom, _ = HP.reference_state(hub.resolve(custom_net, kit.DURATION), res)
    a, b = builtin[("plastic", "weight")], custom[("plastic", "weight")]
    assert np.max(np.abs(a - b)) < 1e-12 and np.mean(a != b) < 1.0


def test_resume_learns_the_teachers_spikes_and_the_reference_weights():
    """ReSuMe (models/resume.py): the teacher's spikes reach the synapses like postsynaptic
    ones; Brian2 and the reference agree on every weight (1e-12 relative; measured 6.8e-15),
    and the output neurons, silent at first, learn to fire about as often as the teacher asks
    (16 spikes per period) with a third or more of the teacher's spikes within 2 ms."""
    net = resume.build()
    res = hub.run(net, "brian2", resume.DURATION, codegen="numpy")
    state, _ = HP.reference_state(hub.resolve(net, resume.DURATION), res)
    want, got = state[("in->out", "weight")], res.weights("in->out")
    big = np.abs(want) > 1e-9
    assert np.all(np.abs(got[~big]) < 1e-9) and _rel(want[big], got[big]) < RTOL
    scores = resume.hits(res)
    assert scores[0] == (0.0, 0)
    late = scores[-5:]
    assert all(12 <= n <= 20 for _, n in late)
    assert np.mean([h for h, _ in late]) >= 1 / 3


def test_a_teacher_spike_of_multiplicity_two_runs_on_teacher_twice_on_brian2():
    """Two teacher spikes at one time (a spike source's repeated time) each run on_teacher,
    as in the reference: with a = 0.05 every synapse gains 0.1 at once, and Brian2 = the
    reference on every weight."""
    net, res, reference = _taught(3, [[10.0, 10.0, 20.0]], 1)
    assert len(res.spikes("out")) == 0
    np.testing.assert_allclose(res.weights("in->out"), 0.2 + 3 * 0.05, rtol=1e-14)
    np.testing.assert_allclose(reference, 0.2 + 3 * 0.05, rtol=1e-14)


def _taught(n_in: int, teacher_times, n_out: int):
    """``n_in`` inputs (spikes at 5 and 30 ms) onto ``n_out`` silent LIF neurons with ReSuMe's
    constant term alone (a = 0.05) and the teacher ``teacher_times`` (one train per teacher
    neuron), 40 ms on Brian2: (network, results, the reference's final weights)."""
    net = hub.Network(dt=0.1, seed=2)
    inp = net.add_source(hub.SpikeTimes([[5.0, 30.0]] * n_in), size=n_in, label="in")
    teacher = net.add_source(hub.SpikeTimes(teacher_times), size=len(teacher_times), label="t")
    out = net.add_population(n_out, hub.LIF(), label="out")
    rule = resume.RESUME(a=0.05, A=0.0, teacher=teacher)
    net.connect(inp, out, hub.AllToAll(), hub.Plastic(rule, 0.2, 1.0), label="in->out")
    net.record(out, "spikes")
    res = hub.run(net, "brian2", 40.0, codegen="numpy")
    state, _ = HP.reference_state(hub.resolve(net, 40.0), res)
    return net, res, state[("in->out", "weight")]


def test_a_modulator_of_one_neuron_reaches_every_synapse():
    """A teacher of one neuron is a modulator: each of its spikes runs on_teacher at every
    synapse of the projection (3 postsynaptic neurons, 2 modulator spikes: +2a everywhere on
    Brian2 and in the reference); a teacher of another size than 1 or the postsynaptic
    population's is refused naming both fixes."""
    net, res, reference = _taught(2, [[10.0, 20.0]], 3)
    np.testing.assert_allclose(res.weights("in->out"), np.full(6, 0.3), rtol=1e-14)
    np.testing.assert_allclose(reference, np.full(6, 0.3), rtol=1e-14)
    two = net.add_source(hub.SpikeTimes([[10.0], [20.0]]), size=2, label="two")
    net.projections[0].synapse.rule.teacher = "two"
    with pytest.raises(hub.ValidationError, match="or a source of one neuron"):
        hub.resolve(net, 40.0)
    assert two.size == 2


def test_a_teacher_is_required_exactly_when_the_rule_has_on_teacher():
    net = resume.build()
    net.projections[0].synapse.rule.teacher = None
    with pytest.raises(hub.ValidationError, match="None is not a spike source"):
        hub.run(net, "brian2", 10.0)
    net = resume.build()
    net.projections[0].synapse.rule.teacher = "out"
    with pytest.raises(hub.ValidationError, match="'out' is not a spike source"):
        hub.run(net, "brian2", 10.0)
    net = stdp_network(True)
    net.projections[0].synapse.rule.teacher = "in"
    with pytest.raises(hub.ValidationError, match="has no on_teacher statements"):
        hub.run(net, "brian2", 10.0)


def test_a_teacher_spike_reads_the_postsynaptic_trace_of_the_spikes_strictly_before_it():
    """By hand: a teacher spike reaches the synapse like a postsynaptic spike and reads the
    same traces, so a postsynaptic spike arriving at the same time is not in its trace (it
    runs first, but counts only for later events; Brian2 does the same), whether or not a
    presynaptic spike arrives then too.  Delay 1 ms; postsynaptic spikes at 10, 30 (reaching
    the synapse with the presynaptic spike at 31) and 40 ms; teacher spikes at 10, 15, 30,
    40 ms; on_teacher ``w += B y``."""
    from hub.plasticity import reference as R
    from hub.resolve import ResolvedRule

    rule = hub.define_rule(
        "teach_y",
        {"B": "1 weight", "tau_y": "20 ms"},
        post_traces={"y": "tau_y"},
        on_pre="w = w + 0 * B * y",
        on_teacher="w = w + B * y",
    )
    resolved = ResolvedRule(rule(teacher="t"), {"B": 1.0, "tau_y": 20.0}, teacher="t")
    one = lambda *stamps: (np.zeros(len(stamps), np.int64), np.array(stamps, np.int64))  # noqa: E731
    final, _ = R.simulate_projection(
        resolved, [0], [0], [10], [0.5], 0.1,
        one(5, 310, 500), one(100, 300, 400), teacher_spikes=one(100, 150, 300, 400),
    )  # fmt: skip
    e = np.exp
    # 10 ms: y = 0; 15 ms: the spike at 10; 30 ms: the one at 10 (30 arrives with the
    # presynaptic spike); 40 ms: those at 10 and 30, not 40
    want = 0.5 + 0.0 + e(-0.25) + e(-1.0) + (e(-1.0) + 1.0) * e(-0.5)
    assert abs(final["weight"][0] - want) < 1e-15


def test_brader_fusi_reads_the_postsynaptic_voltage_and_matches_the_reference():
    """The voltage-based rule of Brader, Senn & Fusi (models/brader_fusi.py) reads the
    postsynaptic V at each presynaptic spike (Brian2: the target's V + E_L; the reference:
    the recorded V at that stamp) and the calcium trace: Brian2 = reference (1e-12 relative;
    measured 1.7e-16); more of the fast inputs' synapses end above theta_x than of the slow."""
    net = brader_fusi.build()
    res = hub.run(net, "brian2", brader_fusi.DURATION, codegen="numpy")
    state, _ = HP.reference_state(hub.resolve(net, brader_fusi.DURATION), res)
    up = {}
    for label in ("fast->out", "slow->out"):
        want, got = state[(label, "weight")], res.weights(label)
        big = np.abs(want) > 1e-9
        assert np.all(np.abs(got[~big]) < 1e-9) and _rel(want[big], got[big]) < RTOL
        up[label] = np.mean(got > 0.1)
    assert 0 < up["slow->out"] < up["fast->out"] < 1

"""The chip's learning engine form (a rule as a sum of products) and the compiler from the
hub's rules to it: parsing, coefficient quantization, hand-computed weight updates through
``hub.run``, and the refusals that name the term without a chip form."""

import numpy as np
import pytest

import hub
from hub_chip.compile_rules import COMPILED, NO_FORM, split_scale, trace_impulse
from hub_chip.rule import Factor, Product, parse, quantize_scale


def test_parse_reads_the_lava_form_and_writes_it_back():
    rule = parse("dw = 2^-2*x1*y0 - 2^-2*y1*x0")
    assert rule.products == (
        Product("w", "y0", 1, -2, (Factor("x1"),)),
        Product("w", "x0", -1, -2, (Factor("y1"),)),
    )
    assert parse(rule.text()).products == rule.products
    two = parse("dw = 3*2^-4*x0*(w - 200)*y1; dt = u2*t*2^-1")
    assert two.products[0].factors == (Factor("w", -200), Factor("y1"))
    assert two.products[0].mantissa == 3 and two.products[0].exponent == -4
    assert two.products[1] == Product("t", "u2", 1, -1, (Factor("t"),))
    assert two.shift("w") == 4 and two.shift("t") == 1


@pytest.mark.parametrize(
    "text, message",
    [
        ("dw = 2^-2*x1*y1", "has no dependency"),
        ("dw = 16*x0*y1", "outside the engine's 4-bit mantissa"),
        ("dw = x0*z1", "unknown symbol 'z1'"),
        ("w = x0", "write 'dw = ...'"),
        ("dw = x0*(y1 + 3", "unbalanced"),
    ],
)
def test_parse_errors_name_the_problem(text, message):
    with pytest.raises(hub.HubError, match=message):
        parse(text)


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.34375, (11, -5)),  # exact: 11 / 32
        (0.08, (5, -6)),  # 0.078125, the nearest with |m| <= 15
        (-0.00171875, (-7, -12)),  # -0.001709
        (3.0, (3, 0)),
        (0.0, (0, 0)),
        (1e-9, (0, 0)),  # below 2^-24: dropped
    ],
)
def test_coefficients_are_quantized_to_the_nearest_4_bit_mantissa(value, expected):
    assert quantize_scale(value) == expected


def test_a_coefficient_is_split_into_products_until_8_bits_are_right():
    """One 4-bit mantissa loses the 5 % asymmetry of Song and Abbott's rule: A_plus W_max/I
    and 1.05 times it both round to 9 2^-9; the split keeps 1.05 to 0.2 %."""
    plus, minus = 0.0175, 0.0175 * 1.05
    assert quantize_scale(plus) == quantize_scale(minus) == (9, -9)
    assert split_scale(minus) == [(9, -9), (13, -14)]
    value = lambda terms: sum(m * 2.0**e for m, e in terms)  # noqa: E731
    for v in (plus, minus, 0.378125, -0.0015625, 3.0, 1e-3 / 3):
        assert abs(value(split_scale(v)) - v) <= abs(v) * 2.0**-8
        assert 1 <= len(split_scale(v)) <= 3
    assert value(split_scale(minus)) / value(split_scale(plus)) == pytest.approx(1.05, rel=2e-3)


def test_trace_impulse_keeps_the_saturating_rate():
    assert [trace_impulse(32, tau) for tau in (20.0, 16.8, 101.0, 125.0, 0.5)] == [
        32,
        38,
        6,
        5,
        127,
    ]


def one_synapse(rule):
    """One plastic synapse (delay one step, initial weight 0.5 of w_max 1) from a source
    spiking at stamps 10 and 30 onto a relay forced to spike at stamp 21."""
    net = hub.Network(dt=0.1, seed=1)
    pre = net.add_source(hub.SpikeTimes([[1.0, 3.0]]), size=1, label="pre")
    drive = net.add_source(hub.SpikeTimes([[2.0]]), size=1, label="drive")
    relay = net.add_population(
        1,
        hub.LIF(
            synapse="delta",
            tau_m=1e12,
            tau_refrac=0.0,
            v_rest=-65.0,
            v_reset=-65.0,
            v_thresh=-50.0,
        ),
        label="post",
    )
    net.connect(drive, relay, hub.OneToOne(), hub.Static(weight=100.0, delay=0.1))
    net.connect(
        pre,
        relay,
        hub.FromArrays([0], [0], weight=[0.5], delay=[0.1]),
        hub.Plastic(rule, 0.0),
        label="plastic",
    )
    net.record(relay, "spikes")
    res = hub.run(net, backend="chip", duration=5.0)
    assert res.spikes("post").stamps.tolist() == [21]
    return res


def mantissa(res):
    return float((res.weights("plastic") / res.final_state("plastic", "weight_lsb"))[0])


def test_additive_pair_stdp_by_hand():
    """W_max = 220 (the weight exponent covering w_max), W0 = 110, trace impulse 32, decay
    d = round(4096 exp(-0.1/20)) = 4076, X <- (X d + 2048) >> 12, read (X + 128) >> 8.

    Potentiation at stamp 22 (the relay's spike of 21 reaches the synapse after one step):
    x1 = 30 (8192 decayed 12 times), dW = round(11 2^-5 30) = round(10.3125) = 10 -> 120.
    Depression at the presynaptic spike of 30: y1 at 29 = 31 (8 decays); A_minus W_max / 32
    = 0.378125 is 3 2^-3 + 13 2^-12 = 1549 / 4096 (two products), dW = round(-1549 31 /
    4096) = round(-11.72) = -12 -> 108."""
    res = one_synapse(hub.STDP(A_plus=0.05, A_minus=0.055, w_max=1.0))
    rules = res.extra["chip"]["learning"]["rules"]["plastic"]
    assert rules["products"] == "dw = 11*2^-5*y0*x1 - 3*2^-3*x0*y1 - 13*2^-12*x0*y1"
    assert mantissa(res) == 108.0


def test_multiplicative_pair_stdp_by_hand():
    """A_plus (1 - W/W_max) x1/I = -(13 2^-13 - 13 2^-19) (w - 220) x1 = -819 / 2^19 (w -
    220) x1: at stamp 22, 819 110 30 / 2^19 = 5.16 -> 5, W = 115; A_minus W y1/I = -(7 2^-12
    + 5 2^-19) w y1 = -901 / 2^19 w y1 at 30: -901 115 31 / 2^19 = -6.13 -> -6, W = 109."""
    res = one_synapse(
        hub.STDP(A_plus=0.05, A_minus=0.055, w_max=1.0, weight_dependence="multiplicative")
    )
    rules = res.extra["chip"]["learning"]["rules"]["plastic"]
    assert rules["products"] == (
        "dw = -13*2^-13*y0*x1*(w - 220) + 13*2^-19*y0*x1*(w - 220)"
        " - 7*2^-12*x0*y1*w - 5*2^-19*x0*y1*w"
    )
    assert mantissa(res) == 109.0


def test_vogels_sprekeler_by_hand():
    """eta = 0.01 w_max = 2.2 LSB; eta/32 = 0.06875 -> 9 2^-7 - 13 2^-13 = 563 / 8192;
    at the arrival (22): 563 30 / 8192 = 2.06 -> 2, W = 112; at the presynaptic spike of 30
    eta y1/32 - alpha eta, alpha eta = 0.44 -> 7 2^-4 + 11 2^-12 = 3606 / 8192:
    (563 31 - 3606) / 8192 = 1.69 -> 2, W = 114 (the first spike, at 10, saw y1 = 0:
    -0.44 -> 0)."""
    res = one_synapse(hub.VogelsSprekeler(tau=20.0, eta=0.01, alpha=0.2, w_max=1.0))
    rules = res.extra["chip"]["learning"]["rules"]["plastic"]
    assert rules["products"] == (
        "dw = 9*2^-7*y0*x1 - 13*2^-13*y0*x1 + 9*2^-7*x0*y1 - 13*2^-13*x0*y1"
        " - 7*2^-4*x0 - 11*2^-12*x0"
    )
    assert mantissa(res) == 114.0


@pytest.mark.parametrize("label", sorted(NO_FORM))
def test_rules_without_a_product_form_are_refused_with_the_term(label):
    caps = hub.get_backend("chip").capabilities()
    assert f"plasticity:{label}" not in caps.features
    assert caps.refusals[f"plasticity:{label}"] == NO_FORM[label]


def test_a_refused_rule_names_its_term_before_running():
    from hub.testing import plasticity_checks as pc

    net, _ = pc.plastic_network(pc.RULES["all_gutig"]())
    with pytest.raises(hub.CapabilityError, match=r"only for integer mu.*supported by: brian2"):
        hub.run(net, backend="chip", duration=5.0)


def test_every_compiled_rule_is_declared():
    feats = hub.get_backend("chip").capabilities().features
    assert all(f"plasticity:{label}" in feats for label in COMPILED)
    assert np.all([label not in NO_FORM for label in COMPILED])


def run_with_rule(text, epoch=1, engine="numpy"):
    """The one-synapse network of :func:`one_synapse` with additive STDP compiled, then
    the learning engine given ``text`` instead; returns the projection's engine state and
    the initial weight mantissa."""
    net = hub.Network(dt=0.1, seed=1)
    pre = net.add_source(hub.SpikeTimes([[1.0, 3.0]]), size=1, label="pre")
    relay = net.add_population(1, hub.LIF(synapse="delta"), label="post")
    net.connect(
        pre,
        relay,
        hub.FromArrays([0], [0], weight=[0.5], delay=[0.1]),
        hub.Plastic(hub.STDP(w_max=1.0), 0.0),
        label="plastic",
    )
    session = hub.get_backend("chip").build(
        hub.resolve(net, 5.0), engine=engine, learning_epoch=epoch
    )
    session.learning.set_rule("plastic", parse(text))
    pj = session.learning.projections[0]
    w0 = int(pj.w[0])
    session.run()
    return pj, w0


def test_tag_and_periodic_terms_by_hand():
    """dt = 5 x0 - 2^-1 u3 t (the tag gains 5 per presynaptic spike and halves every 8
    steps), dw = 2^-2 u4 t (every 16 steps the weight gains a quarter of the tag); values
    before the step's update, sums rounded half up; presynaptic spikes at 10 and 30:

    T=10 t 0 -> 5;  T=16 t 5 -> 5 + round(-2.5) = 3, w += round(1.25) = 1;
    T=24 t 3 -> 2;  T=30 t -> 7 (read-out W0 + 1);  T=32 t -> 7 + round(-3.5) = 4, w +=
    round(1.75) = 2;  T=40 t -> 2;  T=48 t -> 1, w += round(0.5) = 1: W0 + 4."""
    for engine in ("numpy", "numba"):  # the compiled engine flattens the new rule too
        pj, w0 = run_with_rule("dt = 5*x0 - 2^-1*u3*t; dw = 2^-2*u4*t", engine=engine)
        assert (pj.tag[0], pj.w[0] - w0, pj.wr[0] - w0) == (1, 4, 1), engine


def test_a_parsed_rule_must_define_the_traces_it_reads():
    with pytest.raises(hub.HubError, match="traces x1 are read but not defined"):
        run_with_rule("dw = 2^-2*x1*y0")


def test_epochs_round_the_exact_sum_once():
    """dw = 2^-1 x0: each presynaptic spike adds half an LSB.  Every step: round(0.5) = 1
    twice, +2; one epoch of 40 steps holds both spikes: round(1.0) = 1, +1."""
    for epoch, gain in ((1, 2), (40, 1), (20, 2)):  # epochs of 20: one spike in each
        for engine in ("numpy", "numba"):
            pj, w0 = run_with_rule("dw = 2^-1*x0", epoch, engine)
            assert pj.w[0] - w0 == gain, (epoch, engine)

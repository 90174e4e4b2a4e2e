"""Neuron models written as equations (hub.define_neuron, docs/custom_models.md).

The independent references: NEST's built-in models (iaf_psc_exp, iaf_psc_alpha, izhikevich)
running the same network, closed-form solutions, and the diagnostics a user must see.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

import hub
import hub.equations as E
import hub.propagators as P

sys.path.insert(0, str(Path(__file__).parent / "custom"))
import custom_networks as networks  # noqa: E402


def _run(net, backend):
    options = {"codegen": "numpy"} if backend == "brian2" else {}
    return hub.run(net, backend, networks.DURATION, **options)


@pytest.fixture(scope="module")
def nest_lif():
    return _run(networks.lif_network(False), "nest")


def assert_identical(ref, got, pairs):
    a, b = ref.spike_trains["p"], got.spike_trains["p"]
    assert len(a.stamps) > 100  # the neurons fire
    np.testing.assert_array_equal(a.stamps, b.stamps)
    np.testing.assert_array_equal(a.indices, b.indices)
    for x, y in pairs:
        np.testing.assert_array_equal(ref.signal("p", x).values, got.signal("p", y).values)


def test_lif_as_equations_is_nests_iaf_psc_exp_bit_for_bit_on_brian2(nest_lif):
    """The honest test of the hub's numerics: the LIF written by hand as equations, run on
    Brian2 from the statements the hub derived, gives NEST's iaf_psc_exp doubles."""
    custom = _run(networks.lif_network(True), "brian2")
    assert_identical(nest_lif, custom, [("v", "v"), ("isyn_exc", "I_ex")])


def test_izhikevich_as_equations_is_nests_izhikevich_bit_for_bit_on_brian2():
    ref = _run(networks.izhikevich_network(False), "nest")
    custom = _run(networks.izhikevich_network(True), "brian2")
    assert_identical(ref, custom, [("v", "v"), ("u", "u")])


def test_a_linear_system_beyond_decays_uses_the_matrix_exponential_at_tier_2():
    """The alpha-synapse LIF is linear but not a chain of decays: the hub solves it with the
    matrix exponential (mpmath, rounded once).  Against NEST's iaf_psc_alpha: identical spikes,
    V within 1e-11 mV (measured 8e-13) and currents within 1e-13 nA."""
    assert set(E.program(networks.LIF_ALPHA).scheme.values()) == {
        "exact (matrix exponential, mpmath)"
    }
    ref = _run(networks.lif_network(False, "alpha"), "nest")
    custom = _run(networks.lif_network(True, "alpha"), "brian2")
    a, b = ref.spike_trains["p"], custom.spike_trains["p"]
    assert len(a.stamps) > 100
    np.testing.assert_array_equal(a.stamps, b.stamps)
    dv = np.abs(ref.signal("p", "v").values - custom.signal("p", "v").values).max()
    di = np.abs(ref.signal("p", "isyn_exc").values - custom.signal("p", "I_ex").values).max()
    assert 0 < dv < 1e-11 and di < 1e-13


def test_the_lif_constants_are_nests_propagators():
    """The hub's constants of the LIF are NEST's pre_run_hook doubles (hub.propagators),
    in NEST's units (pF, pA): P22, P21ex, P20 and the thresholds relative to E_L."""
    program = E.program(networks.LIF_EXP)
    params = {"cm": 0.7, "tau_m": 13.0, "v_rest": -61.0, "v_reset": -70.0, "v_thresh": -52.0}
    params |= {"tau_refrac": 2.05, "i_offset": 0.6, "tau_syn_E": 2.5, "tau_syn_I": 13.0}
    h = P.nest_resolution(0.1)
    # constant_values takes working units (pF, pA): converted as the backends do
    working = {k: np.array([v]) for k, v in params.items()}
    working["cm"], working["i_offset"] = working["cm"] * 1000.0, working["i_offset"] * 1000.0
    c = program.constant_values(working, h)
    nest = P.iaf_psc_exp(h, 13.0, 700.0, 2.5, 13.0)
    assert c["hub_P_v"][0] == nest["P22"]
    assert c["hub_P_v_I_ex"][0] == nest["P21ex"]
    assert c["hub_P_v_I_in"][0] == nest["P21in"]  # tau_syn == tau_m: NEST's singular case
    assert c["hub_P_I_ex"][0] == nest["P11ex"]
    assert c["hub_drive_v"][0] == 600.0 * nest["P20"]
    assert c["hub_theta_v"][0] == -52.0 - -61.0
    assert c["hub_reset_v"][0] == -70.0 - -61.0
    assert c["refr_steps"][0] == P.refractory_steps(2.05, 0.1) == 21


def test_every_statement_is_one_operation():
    for definition in (networks.LIF_EXP, networks.LIF_ALPHA, networks.IZHIKEVICH):
        for s in E.program(definition).statements():
            text = s.text().split("=", 1)[1]
            ops = sum(text.count(op) for op in (" + ", " - ", " * ", " / "))
            assert ops <= 1, s.text()


def test_forward_euler_reads_h_times_the_right_hand_side_as_c_does():
    """du/dt = a*(b*v - u): NEST's ``U_m += h*a*(b*v - u)`` is ((h*a) * (b*v - u))."""
    program = E.program(networks.IZHIKEVICH)
    folded = [c for c in program.constants if c.doc == "h * a"]
    assert len(folded) == 1
    [product] = [s for s in program.update if s.op == "*" and s.args[0] == folded[0].name]
    [difference] = [s for s in program.update if s.target == product.args[1]]
    assert difference.op == "-" and difference.args[1] == "u"  # (b*v) - u
    assert program.scheme == {"v": "forward Euler", "u": "forward Euler"}


def test_a_decay_matches_its_closed_form():
    """dv/dt = (v0 - v)/tau from v = v0 + 10 mV: v(t) = v0 + 10 exp(-t/tau)."""
    d = hub.define_neuron(
        "decay",
        "dv/dt = (v0 - v)/tau : mV",
        {"tau": "7 ms", "v0": "-70 mV"},
        initial={"v": "-60 mV"},
        threshold="v >= 100*mV",
        reset="v = v0",
        on_spike={"excitatory": "v += w"},
    )
    net = hub.Network(dt=0.1)
    p = net.add_population(3, d(tau=[5.0, 7.0, 11.0]), label="p")
    net.record(p, "v")
    res = hub.run(net, "brian2", 50.0, codegen="numpy")
    sig = res.signal("p", "v")
    t = np.asarray(sig.times)[:, None]
    want = -70.0 + 10.0 * np.exp(-t / np.array([5.0, 7.0, 11.0])[None, :])
    np.testing.assert_allclose(sig.values, want, rtol=0, atol=1e-12)


def test_definition_travels_with_the_saved_network(tmp_path):
    net = networks.lif_network(True)
    hub.save(net, tmp_path / "net.npz")
    loaded = hub.load(tmp_path / "net.npz")
    model = loaded.population("p").model
    assert model.definition == networks.LIF_EXP
    assert model.label == net.population("p").model.label
    assert model.label.startswith("Custom[digest=")
    np.testing.assert_array_equal(model.value("tau_m"), net.population("p").model.value("tau_m"))


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"equations": "dv/dt = -v/tau + I : mV"},
            "x.equations line 1: 'I' is not defined; declare it as a parameter",
        ),
        (
            {"equations": "dv/dt = -v/tau + 3 : mV"},
            "adds mV/ms (-v / tau) and 1 (3)",
        ),
        (
            {"equations": "\n\ndv/dt = -v : mV"},
            "x.equations line 3: dv/dt = -v has dimension mV, but v in mV per ms is mV/ms",
        ),
        ({"equations": "dv/dt = (-v/tau : mV"}, "'(' was never closed"),
        ({"equations": "dv/dt = -v/tau + __import__('os') : mV"}, "the call __import__('os')"),
        ({"equations": "dv/dt = -v/tau : furlong"}, "unknown unit 'furlong' of v"),
        ({"equations": "v = 3"}, "'v = 3' is not an equation"),
        ({"threshold": "v > 1"}, "x.threshold: v > 1 compares mV with 1"),
        ({"reset": "v = tau"}, "gives v (mV) a value of dimension ms"),
        ({"reset": "q = 0*mV"}, "q is not a state variable"),
        ({"on_spike": {"excitatory": "v = w"}}, "does not add the weight w to a state variable"),
        ({"on_spike": {"fast": "v += w"}}, "'fast' is not a receptor"),
        ({"parameters": {"tau": "10 ms", "w": "1 mV"}}, "'w' is reserved"),
        ({"parameters": {"tau": "10 ms", "ms": "1 mV"}}, "'ms' is reserved"),
        ({"parameters": {"tau": "10 furlongs"}}, "unknown unit 'furlongs'"),
        ({"refractory": "tau_x"}, "'tau_x' cannot read"),
        ({"equations": "dv/dt = -v/tau : mV (unless refractory)"}, "without a refractory"),
    ],
)
def test_bad_definitions_are_refused_with_the_field_and_line(change, message):
    spec = dict(
        equations="dv/dt = -v/tau : mV",
        parameters={"tau": "10 ms"},
        threshold="v > 1*mV",
        reset="v = 0*mV",
        on_spike={"excitatory": "v += w"},
    )
    spec.update(change)
    with pytest.raises(hub.ValidationError) as err:
        hub.define_neuron("x", spec.pop("equations"), spec.pop("parameters"), **spec)
    assert message in str(err.value)


def test_unknown_parameter_of_a_custom_model_is_refused_before_running():
    net = hub.Network(dt=0.1)
    net.add_population(2, networks.LIF_EXP(tau_mm=3.0), label="p")
    with pytest.raises(hub.ValidationError, match="has no parameter 'tau_mm'"):
        hub.run(net, "brian2", 1.0)


def test_the_chip_runs_a_custom_lif_as_its_builtin_lif():
    """A custom model of the LIF form runs on the chip as hub.LIF with the parameters its
    equations give: the same integers, so the same spikes and v as the built-in."""
    ref = hub.run(networks.lif_network(False, record=("v",)), "chip", 200.0)
    got = hub.run(networks.lif_network(True, record=("v",)), "chip", 200.0)
    assert len(ref.spike_trains["p"].stamps) > 50
    np.testing.assert_array_equal(ref.spike_trains["p"].stamps, got.spike_trains["p"].stamps)
    np.testing.assert_array_equal(ref.spike_trains["p"].indices, got.spike_trains["p"].indices)
    np.testing.assert_array_equal(ref.signal("p", "v").values, got.signal("p", "v").values)


@pytest.mark.parametrize(
    "net, term",
    [
        (lambda: networks.izhikevich_network(True), "dv/dt has the term 0.04*v**2"),
        (lambda: networks.lif_network(True, "alpha"), "dv/dt is linear but not a decay"),
        (lambda: networks.lif_network(True), "record:Custom[digest="),
    ],
)
def test_the_chip_refuses_a_model_without_fixed_point_form_naming_the_term(net, term):
    with pytest.raises(hub.CapabilityError, match="neuron:Custom|record:Custom") as err:
        hub.run(net(), "chip", 1.0)
    assert term in str(err.value) and "supported by: nest, brian2" in str(err.value)


def test_constants_are_computed_once_per_distinct_neuron():
    program = E.program(networks.LIF_EXP)
    calls = []
    compute = program.constants[1].compute
    object.__setattr__(program.constants[1], "compute", lambda env, h: calls.append(1) or 0.5)
    try:
        values = {p: np.full(1000, 1.0) for p in program.param_units}
        values["tau_m"] = np.repeat([10.0, 20.0], 500)
        program.constant_values(values, 0.1)
    finally:
        object.__setattr__(program.constants[1], "compute", compute)
    assert len(calls) == 2
    assert math.isfinite(program.constant_values(values, 0.1)["hub_P_v"][0])


def test_current_injection_into_a_custom_model_is_refused_before_running():
    net = networks.lif_network(True)
    net.inject("p", hub.DCSource(amplitude=0.5))
    with pytest.raises(hub.ValidationError, match="no input for injected current yet"):
        hub.run(net, "brian2", 1.0)


@pytest.mark.parametrize(
    "build, pairs",
    [
        (networks.lif_network, [("v", "v"), ("isyn_exc", "I_ex")]),
        (networks.izhikevich_network, [("v", "v"), ("u", "u")]),
    ],
)
def test_the_reference_engine_runs_the_statements_directly(build, pairs):
    """The kit's reference engine runs a model written as equations from the hub's statements
    on numpy arrays: NEST's built-in spikes and state, bit for bit."""
    from hub.testing import reference

    ref = _run(build(False), "nest")
    got = reference.simulate(hub.resolve(build(True), networks.DURATION))
    assert_identical(ref, got, pairs)

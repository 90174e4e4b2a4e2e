"""Discretization of float LIF onto ChipLIF, quantization, and what the chip refuses."""

import math

import numpy as np
import pytest

import hub
from hub_chip import quantize
from hub_chip.compile import compile_network
from hub_chip.discretize import decay_constant, effective_tau


def test_decays_are_exact_exponentials_not_linear():
    assert decay_constant(20.0, 0.1, 4095)[()] == round(4096 * (1 - math.exp(-0.1 / 20.0))) == 20
    assert decay_constant(5.0, 0.1, 4096)[()] == 81  # 4096 dt/tau would give 82
    assert decay_constant(0.01, 0.1, 4096)[()] == 4096  # tau << dt: no memory
    assert decay_constant(0.01, 0.1, 4095)[()] == 4095  # DV is at most 4095
    assert abs(effective_tau(np.array(20), 0.1) - 20.43) < 0.01


def cuba_like(**kw):
    net = hub.Network(dt=0.1, seed=4)
    src = net.add_source(hub.PoissonSource(rate=200.0), size=50, label="src")
    cells = net.add_population(
        40,
        hub.LIF(cm=0.2, v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0, tau_refrac=5.0, **kw),
        label="cells",
    )
    cells.initialize(v=hub.Uniform(-60.0, -50.0))
    net.connect(src, cells, hub.FixedProbability(0.2), hub.Static(weight=0.0162, delay=0.1))
    net.connect(
        cells,
        cells,
        hub.FixedProbability(0.2),
        hub.Static(weight=-0.09, delay=0.1, receptor="inhibitory"),
    )
    net.record(cells, "spikes", "v")
    return net


def test_threshold_reset_and_bias_mapping():
    c = compile_network(hub.resolve(cuba_like(tau_syn_E=5.0, tau_syn_I=10.0), 10.0))
    lay = c.layout["cells"]
    p = c.program
    s = lay.scale
    # the threshold distance (10 mV) is exactly 64 M + 1 units: V >= v_th <=> v > vth
    theta = 10.0 / s
    assert abs(theta - ((int(p.vth[0]) >> 6) * 64 + 1)) < 1e-6
    # reset to 0 is V = v_reset; the bias keeps NEST's steady state (-49 mV) with DV = 20
    v_inf = p.bias[0] / (p.dv[0] / 4096) * s + (-60.0)
    assert abs(v_inf - (-49.0)) < 11.0 / 4096  # 13-bit bias mantissa
    # tau_syn_E != tau_syn_I: each neuron has an auxiliary inhibitory compartment
    assert p.n_comp == 80 and list(np.unique(p.du[40:])) == [41]
    q = c.quantization
    assert q["weights"]["max_rel"] < 0.004 and q["thresholds"]["max_rel"] < 1e-9
    assert q["populations"]["cells"]["split_inhibitory_compartment"] is True


def test_equal_synaptic_decays_share_one_compartment():
    c = compile_network(hub.resolve(cuba_like(tau_syn_E=5.0, tau_syn_I=5.0), 10.0))
    assert c.program.n_comp == 40


def test_quantization_errors_are_reported():
    net = cuba_like(tau_syn_E=5.0, tau_syn_I=10.0)
    net.projections[0].synapse.weight = hub.Uniform(0.001, 0.05)
    rep = hub.run(net, backend="chip", duration=5.0).extra["chip"]["quantization"]
    w = rep["weights"]
    assert 0 < w["rms_rel"] <= w["max_rel"] < 0.5 and w["n"] > 0
    assert set(rep["thresholds"]) >= {"max_rel", "rms_rel"}
    assert set(rep["bias"]) >= {"max_rel", "rms_rel"}
    tc = rep["populations"]["cells"]["time_constants"]["tau_m"]
    assert tc["requested_ms"] == 20.0 and abs(tc["max_rel_error"] - 0.0215) < 1e-3


def test_weight_mantissas_and_shared_exponents():
    m, e, sat = quantize.weights(
        np.array([1000.0, 300.0, 5.0, -20.0]), np.array([0, 0, 1, 1]), 2, allow_negative=False
    )
    assert list(e) == [2, 0] and list(m) == [250, 75, 5, -20] and sat == 0
    m, e, _ = quantize.weights(np.array([0.3]), np.array([0]), 1, allow_negative=True)
    assert e[0] == -8 and m[0] == 77
    bm, be, _ = quantize.bias(np.array([5488.0, -3.0, 0.0]))
    assert list(bm << be) == [5488, -3, 0] and list(be) == [1, 0, 0]
    assert list(quantize.threshold(np.array([65.0, 1.0]))) == [1, 0]


@pytest.mark.parametrize(
    "model, name",
    [
        (hub.Izhikevich(), "Izhikevich"),
        (hub.LIF(synapse="alpha"), "LIF[synapse=alpha]"),
        (hub.LIFCond(), "LIFCond[synapse=exp]"),
    ],
)
def test_other_models_are_a_capability_error_naming_alternatives(model, name):
    net = hub.Network(dt=0.1, seed=1)
    net.add_population(3, model, label="x")
    with pytest.raises(hub.CapabilityError) as err:
        hub.run(net, backend="chip", duration=1.0)
    msg = str(err.value)
    assert f"neuron:{name}" in msg and "supported by: " in msg and "nest" in msg


def test_chiplif_parameters_out_of_range_are_diagnosed():
    net = hub.Network(dt=0.1, seed=1)
    net.add_population(2, hub.ChipLIF(du=5000, bias_mant=[1, 9000], vth_mant=2.5), label="x")
    with pytest.raises(hub.ValidationError) as err:
        hub.run(net, backend="chip", duration=1.0)
    text = str(err.value)
    assert "x).du" in text and "x).bias_mant" in text and "x).vth_mant" in text


def test_unknown_option_and_bad_chips():
    net = cuba_like()
    with pytest.raises(hub.HubError, match="unknown option"):
        hub.run(net, backend="chip", duration=1.0, threads=2)
    with pytest.raises(hub.HubError, match="chips"):
        hub.run(net, backend="chip", duration=1.0, chips=0)


def test_resolved_networks_are_accepted_and_checked():
    net = hub.Network(dt=0.1, seed=1)
    net.add_population(2, hub.ChipLIF(vth_mant=3), label="x")
    net.record(net.population("x"), "spikes")
    r = hub.resolve(net, 1.0)
    assert len(hub.run(r, backend="chip").spikes("x")) == 0
    r.populations["x"].params["dv"][:] = 5000
    with pytest.raises(hub.ValidationError, match=r"x\).dv"):
        hub.run(r, backend="chip")


def test_current_injection_into_chiplif_is_refused():
    net = hub.Network(dt=0.1, seed=1)
    x = net.add_population(2, hub.ChipLIF(), label="x")
    net.inject(x, hub.DCSource(amplitude=1.0))
    with pytest.raises(hub.HubError, match="bias_mant"):
        hub.run(net, backend="chip", duration=1.0)


@pytest.mark.parametrize("seed", [12345, 2])
def test_cuba_worked_example_of_the_docs(seed):
    """docs/chip.md section 7, the numbers of the worked example (one CUBA neuron): decays,
    threshold mantissa, bias, scale, and the weight quantization error over all synapses
    (the page's "max relative error" and "RMS" figures are read from it)."""
    import re
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "models"))
    import vogels_abbott

    text = (root / "docs" / "chip.md").read_text()
    found = re.findall(r"max relative error ([0-9.]+) %,\s+RMS ([0-9.]+) %", text)
    assert len(found) == 1, found
    max_rel, rms = (float(x) / 100 for x in found[0])
    c = compile_network(hub.resolve(vogels_abbott.build(seed=seed), 1.0))
    p = c.program
    assert list(np.unique(p.dv)) == [20] and list(np.unique(p.du)) == [41, 81]
    assert list(np.unique(p.vth >> 6)) == [32506] and list(np.unique(p.bias)) == [11172]
    assert abs(c.layout["exc"].scale - 4.807e-6) < 5e-10
    w = c.quantization["weights"]
    assert w["n"] > 320_000 and w["saturated"] == 0
    assert w["max_rel"] <= max_rel and w["rms_rel"] <= rms, w

"""The chip against NEST on the same LIF networks: statistical agreement (tier 4).

Promised (docs/chip.md): population rate within 5 %, mean CV of ISI within 0.1, and on
feedforward networks with sparse input at least 95 % of spikes within one step of NEST's.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import hub
from hub.stats import cv_isi, match_spikes

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "models"))
sys.path.insert(0, str(HERE))
import brunel  # noqa: E402
import chip_networks  # noqa: E402
import synfire  # noqa: E402
import vogels_abbott  # noqa: E402

pytest.importorskip("nest")
pytestmark = pytest.mark.nest


def both(net, duration, **chip_options):
    return (
        hub.run(net, backend="chip", duration=duration, **chip_options),
        hub.run(net, backend="nest", duration=duration),
    )


def assert_statistics(chip, nest, duration, rate_rel=0.05, cv_abs=0.1):
    for lab, ref in nest.spike_trains.items():
        got = chip.spikes(lab)
        r_chip, r_nest = got.rate(duration), ref.rate(duration)
        assert abs(r_chip - r_nest) <= rate_rel * r_nest, (
            f"{lab}: {r_chip:.3f} Hz vs NEST {r_nest:.3f} Hz"
        )
        cv_c, cv_n = cv_isi(got), cv_isi(ref)
        if not np.isnan(cv_n):
            assert abs(cv_c - cv_n) <= cv_abs, f"{lab}: CV {cv_c:.3f} vs NEST {cv_n:.3f}"


@pytest.mark.parametrize("mapping", ["nearest", "fitted"])
@pytest.mark.parametrize("synapse, weight", [("exp", 1.5), ("delta", 3.0)])
def test_one_input_reaches_v_in_the_same_step_as_nest(synapse, weight, mapping):
    """Both mappings: the input reaches v in NEST's step and the spikes are NEST's (a delta
    jump of exactly the threshold distance fires).  "nearest" keeps the first step of the
    PSP exact: V within 0.05 mV throughout (measured 0.005).  "fitted" trades the PSP's
    first step for its whole shape (exp: DU 202 for 200, weight gain 1.006): V within
    0.02 mV until the first spike (measured 0.014) and 0.06 mV over the 12 ms, where the
    current left after the second reset drives v (measured 0.056)."""
    net = hub.Network(dt=0.1, seed=1)
    src = net.add_source(hub.SpikeTimes([1.0, 3.3]), size=1, label="src")
    cell = net.add_population(
        1,
        hub.LIF(
            synapse=synapse, cm=0.25, tau_m=15.0, tau_syn_E=2.0, v_thresh=-62.0, tau_refrac=2.0
        ),
        label="cell",
    )
    net.connect(src, cell, hub.OneToOne(), hub.Static(weight=weight, delay=1.2))
    net.record(cell, "v", "spikes")
    chip, nest = both(net, 12.0, mapping=mapping)
    a, b = chip.signal("cell", "v").values[:, 0], nest.signal("cell", "v").values[:, 0]
    first = lambda v: int(np.argmax(np.abs(v - v[0]) > 1e-3))  # noqa: E731
    assert first(a) == first(b)
    assert chip.spikes("cell") == nest.spikes("cell") and len(nest.spikes("cell")) >= 1
    if mapping == "nearest" or synapse == "delta":
        assert np.max(np.abs(a - b)) < 0.05
    else:
        spike = int(round(nest.spikes("cell").times[0] / 0.1))
        assert np.max(np.abs(a - b)[:spike]) < 0.02
        assert np.max(np.abs(a - b)) < 0.06


def test_step_currents_switch_on_the_same_step_as_nest():
    net = hub.Network(dt=0.1, seed=3)
    cell = net.add_population(2, hub.LIF(tau_m=10.0, cm=1.0, v_thresh=-60.0), label="cell")
    net.inject(cell, hub.DCSource(amplitude=1.0, start=2.0, stop=5.0))
    net.inject(cell, hub.StepCurrentSource(times=[3.0, 6.0], amplitudes=[0.5, 2.0]), indices=[1])
    net.record(cell, "v", "spikes")
    chip, nest = both(net, 12.0)
    a, b = chip.signal("cell", "v").values, nest.signal("cell", "v").values
    assert np.max(np.abs(a - b)) < 0.05
    assert (np.abs(np.diff(a[:, 0])) > 1e-4).argmax() == (np.abs(np.diff(b[:, 0])) > 1e-4).argmax()
    assert chip.spikes("cell") == nest.spikes("cell") and len(nest.spikes("cell")) == 2


@pytest.mark.parametrize("seed", [7, 2])
def test_synfire_chain_volleys_match_nest(seed):
    """docs/chip.md section 8: every group fires its 100 spikes, the volley's mean time
    within 0.02 ms of NEST's (measured <= 0.003 ms), every spike within one step."""
    chip, nest = both(synfire.build(seed=seed), 200.0)
    for lab, ref in nest.spike_trains.items():
        got = chip.spikes(lab)
        assert len(got) == len(ref) == 100
        assert abs(got.times.mean() - ref.times.mean()) <= 0.02
        assert match_spikes(got, ref, 0.1)["matched"] == 1.0


def sparse_feedforward(layers=1, seed=3, synapse="exp"):
    net = hub.Network(dt=0.1, seed=seed)
    prev = net.add_source(hub.PoissonSource(rate=5.0), size=400, label="input")
    common = dict(cm=0.25, tau_m=15.0, v_rest=-65.0, v_reset=-68.0, v_thresh=-55.0)
    if synapse == "exp":
        model = hub.LIF(synapse="exp", tau_syn_E=2.0, tau_syn_I=4.0, tau_refrac=2.0, **common)
        w_exc, w_inh = hub.Uniform(1.0, 2.0), -0.4  # nA
    else:
        model = hub.LIF(synapse="delta", tau_refrac=2.0, **common)
        w_exc, w_inh = hub.Uniform(4.0, 8.0), -2.0  # mV
    for k, n in enumerate((300, 200)[:layers]):
        layer = net.add_population(n, model, label=f"layer{k + 1}")
        net.connect(
            prev,
            layer,
            hub.FixedProbability(0.02),
            hub.Static(weight=w_exc, delay=hub.Uniform(1.0, 3.0)),
        )
        net.connect(
            prev,
            layer,
            hub.FixedProbability(0.005),
            hub.Static(weight=w_inh, delay=2.0, receptor="inhibitory"),
        )
        net.record(layer, "spikes")
        prev = layer
    return net


@pytest.mark.parametrize("synapse", ["exp", "delta"])
@pytest.mark.parametrize("seed", [3, 4])
def test_feedforward_sparse_input_spikes_within_one_step_of_nest(synapse, seed):
    """The declared tier-4 promise for LIF[synapse=exp] and LIF[synapse=delta]: >= 95 % of
    feedforward spikes within one step of NEST's (measured 98-99 %), and the statistics."""
    tol = hub.get_backend("chip").capabilities().tolerances[f"LIF[synapse={synapse}]"]
    assert (tol.spike_ms, tol.matched) == (0.1, 0.95)
    chip, nest = both(sparse_feedforward(seed=seed, synapse=synapse), 1000.0)
    got, ref = chip.spikes("layer1"), nest.spikes("layer1")
    assert len(ref) > 2000
    assert match_spikes(got, ref, tol.spike_ms)["matched"] >= tol.matched
    assert_statistics(chip, nest, 1000.0)


@pytest.mark.slow
@pytest.mark.parametrize("synapse, second", [("exp", 0.90), ("delta", 0.95)])
@pytest.mark.parametrize("seed", [3, 4])
def test_feedforward_two_layers(seed, synapse, second):
    """The second layer is driven by the first; one-step differences compound there
    (measured within one step: exp 91-92 %, delta 96-98 %; docs/chip.md section 8)."""
    chip, nest = both(sparse_feedforward(layers=2, seed=seed, synapse=synapse), 1000.0)
    assert match_spikes(chip.spikes("layer1"), nest.spikes("layer1"), 0.1)["matched"] >= 0.95
    assert match_spikes(chip.spikes("layer2"), nest.spikes("layer2"), 0.1)["matched"] >= second
    assert_statistics(chip, nest, 1000.0)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [12345, 2])
def test_vogels_abbott_cuba_statistics(seed):
    chip, nest = both(vogels_abbott.build(seed=seed), 1000.0)
    assert_statistics(chip, nest, 1000.0)
    if seed == 12345:  # the worked example of docs/chip.md section 7: 21,713 and 21,674
        count = lambda r: sum(len(st) for st in r.spike_trains.values())  # noqa: E731
        assert (count(chip), count(nest)) == (21_713, 21_674)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_brunel_exp_statistics(seed):
    chip, nest = both(brunel.build(scale=0.1, synapse="exp", seed=seed), 1000.0)
    assert_statistics(chip, nest, 1000.0)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [21, 22])
@pytest.mark.parametrize("synapse, w", [("exp", (0.3, -0.9)), ("delta", (1.5, -4.0))])
def test_small_recurrent_network_rate_is_outside_the_statistical_promise(synapse, w, seed):
    """A stated miss (docs/chip.md section 8): on the 250-neuron recurrent network of
    tests/test_cross_backend.py the chip fires 7-12 % faster than NEST."""
    sys.path.insert(0, str(HERE))
    from test_cross_backend import recurrent

    net, duration = recurrent(
        hub.LIF(synapse=synapse, tau_refrac=2.0), w=w, init=(-65.0, -55.0), seed=seed
    )
    net.probes[:] = [p for p in net.probes if p.variable == "spikes"]
    chip, nest = both(net, duration)
    ratio = len(chip.spikes("cells")) / len(nest.spikes("cells"))
    print(f"{synapse} seed {seed}: chip / NEST spikes {ratio:.3f}")
    assert 1.07 <= ratio <= 1.12, ratio


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_brunel_delta_rate_is_outside_the_statistical_promise(seed):
    """A stated miss (docs/chip.md section 8): on Brunel's network with delta synapses the
    chip fires 20-22 % faster than NEST (the CV still within 0.1)."""
    chip, nest = both(brunel.build(scale=0.1, synapse="delta", seed=seed), 1000.0)
    for lab, ref in nest.spike_trains.items():
        ratio = len(chip.spikes(lab)) / len(ref)
        assert 1.18 <= ratio <= 1.24, (lab, ratio)
        assert abs(cv_isi(chip.spikes(lab)) - cv_isi(ref)) <= 0.07


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 4])
def test_feedforward_dense_input_statistics(seed):
    chip, nest = both(chip_networks.feedforward_exp(seed=seed), 1000.0)
    assert_statistics(chip, nest, 1000.0)

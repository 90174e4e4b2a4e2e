"""The chip against NEST on the same LIF networks: statistical agreement (tier 4).

Promised (docs/chip.md): population rate within 5 %, mean CV of ISI within 0.1, and on
feedforward networks with sparse input at least 95 % of spikes within one step of NEST's.
The per-class bounds of docs/chip.md section 8 (both mappings, both generations) are held
here with the figures measured on these seeds.
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


_NEST_RUNS: dict = {}


def nest_once(key, net, duration):
    """NEST's run of ``net``, once per test session (several chip modes compare to it)."""
    if key not in _NEST_RUNS:
        _NEST_RUNS[key] = hub.run(net, backend="nest", duration=duration)
    return _NEST_RUNS[key]


def rate_errors(chip, nest, duration):
    """Relative population rate error (chip / NEST - 1) of every population."""
    return {
        lab: chip.spikes(lab).rate(duration) / ref.rate(duration) - 1
        for lab, ref in nest.spike_trains.items()
    }


def within_one_step(chip, nest, label):
    return match_spikes(chip.spikes(label), nest.spikes(label), 0.1)["matched"]


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
    feedforward spikes within one step of NEST's (measured: exp 95.9-96.4 % with the
    default "fitted" mapping, 98.6-98.8 % with "nearest"; delta 98.7-99.3 %), and the
    statistics."""
    tol = hub.get_backend("chip").capabilities().tolerances[f"LIF[synapse={synapse}]"]
    assert (tol.spike_ms, tol.matched) == (0.1, 0.95)
    chip, nest = both(sparse_feedforward(seed=seed, synapse=synapse), 1000.0)
    got, ref = chip.spikes("layer1"), nest.spikes("layer1")
    assert len(ref) > 2000
    assert match_spikes(got, ref, tol.spike_ms)["matched"] >= tol.matched
    assert_statistics(chip, nest, 1000.0)


@pytest.mark.slow
@pytest.mark.parametrize(
    "synapse, mapping, first, second",
    [
        ("exp", "nearest", 0.95, 0.90),
        ("exp", "fitted", 0.95, 0.78),
        ("delta", "fitted", 0.95, 0.95),
    ],
)
@pytest.mark.parametrize("seed", [3, 4])
def test_feedforward_two_layers(seed, synapse, mapping, first, second):
    """The second layer is driven by the first; one-step differences compound there
    (docs/chip.md section 8).  Measured within one step, layer 1 / layer 2: exp "nearest"
    98.6-98.8 % / 91-92 %, exp "fitted" 95.9-96.4 % / 79-81 % (the fitted PSP trades its
    exact first step for its whole shape: better rates, fewer spikes in NEST's step),
    delta 98.7-99.3 % / 96-98 % (delta synapses map alike in both)."""
    chip, nest = both(
        sparse_feedforward(layers=2, seed=seed, synapse=synapse), 1000.0, mapping=mapping
    )
    assert within_one_step(chip, nest, "layer1") >= first
    assert within_one_step(chip, nest, "layer2") >= second
    assert_statistics(chip, nest, 1000.0)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [12345, 2])
def test_vogels_abbott_cuba_statistics(seed):
    """Fitted: exc +3.4 / +1.2 %, inh +1.7 / +1.0 % (seeds 12345 / 2); loihi2 within 1 %
    (measured -0.07 to +0.46 %); "nearest" is the worked example of section 7."""
    net = vogels_abbott.build(seed=seed)
    chip, nest = both(net, 1000.0)
    assert_statistics(chip, nest, 1000.0)
    loihi2 = hub.run(net, backend="chip", duration=1000.0, generation="loihi2")
    assert_statistics(loihi2, nest, 1000.0, rate_rel=0.01)
    if seed == 12345:  # the worked example of docs/chip.md section 7: 22,228 and 22,575
        nearest = hub.run(net, backend="chip", duration=1000.0, mapping="nearest")
        count = lambda r: sum(len(st) for st in r.spike_trains.values())  # noqa: E731
        assert (count(nearest), count(nest)) == (22_228, 22_575)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_brunel_exp_statistics(seed):
    """Fitted -0.4 to -0.6 % (nearest was +0.8 to +1.0 %); loihi2 within 0.2 % (measured
    +0.02 to +0.05 %)."""
    net = brunel.build(scale=0.1, synapse="exp", seed=seed)
    chip, nest = both(net, 1000.0)
    assert_statistics(chip, nest, 1000.0, rate_rel=0.01)
    loihi2 = hub.run(net, backend="chip", duration=1000.0, generation="loihi2")
    assert_statistics(loihi2, nest, 1000.0, rate_rel=0.002)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [21, 22])
@pytest.mark.parametrize("synapse, w", [("exp", (0.3, -0.9)), ("delta", (1.5, -4.0))])
def test_small_recurrent_network(synapse, w, seed):
    """The 250-neuron recurrent network of tests/test_cross_backend.py: with exponential
    synapses the fitted mapping is within 1 % (measured -0.5 / -0.9 %; "nearest" was
    +8 / +10 %); with delta synapses, whose jumps stay exact, the chip still fires 7-12 %
    faster (a stated miss, docs/chip.md section 8); loihi2 within 3 % either way
    (measured exp 0.0 / +0.4 %, delta +2.6 / -0.8 %)."""
    sys.path.insert(0, str(HERE))
    from test_cross_backend import recurrent

    net, duration = recurrent(
        hub.LIF(synapse=synapse, tau_refrac=2.0), w=w, init=(-65.0, -55.0), seed=seed
    )
    net.probes[:] = [p for p in net.probes if p.variable == "spikes"]
    chip, nest = both(net, duration)
    ratio = len(chip.spikes("cells")) / len(nest.spikes("cells"))
    print(f"{synapse} seed {seed}: chip / NEST spikes {ratio:.3f}")
    if synapse == "exp":
        assert abs(ratio - 1) <= 0.01, ratio
    else:
        assert 1.07 <= ratio <= 1.12, ratio
    loihi2 = hub.run(net, backend="chip", duration=duration, generation="loihi2")
    assert abs(len(loihi2.spikes("cells")) / len(nest.spikes("cells")) - 1) <= 0.03


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_brunel_delta_rate_is_outside_the_statistical_promise(seed):
    """A stated miss (docs/chip.md section 8): on Brunel's network with delta synapses the
    chip fires 20-22 % faster than NEST (the CV still within 0.1).  Delta jumps stay exact,
    so the 12-bit DV (tau_m 20.43 ms) is not compensated; the loihi2 mode's 24-bit decays
    bring it within 0.5 % (measured 0.00 to +0.27 %)."""
    net = brunel.build(scale=0.1, synapse="delta", seed=seed)
    chip, nest = both(net, 1000.0)
    for lab, ref in nest.spike_trains.items():
        ratio = len(chip.spikes(lab)) / len(ref)
        assert 1.18 <= ratio <= 1.24, (lab, ratio)
        assert abs(cv_isi(chip.spikes(lab)) - cv_isi(ref)) <= 0.07
    loihi2 = hub.run(net, backend="chip", duration=1000.0, generation="loihi2")
    assert_statistics(loihi2, nest, 1000.0, rate_rel=0.005, cv_abs=0.01)


@pytest.mark.slow
@pytest.mark.parametrize("synapse", ["exp", "delta"])
@pytest.mark.parametrize("seed", [3, 4])
def test_feedforward_sparse_input_loihi2(synapse, seed):
    """loihi2: 98.7-98.8 % (exp) and 99.6-99.7 % (delta) of layer-1 spikes within one step,
    rates within 0.2 %."""
    chip, nest = both(sparse_feedforward(seed=seed, synapse=synapse), 1000.0, generation="loihi2")
    assert within_one_step(chip, nest, "layer1") >= 0.98
    assert_statistics(chip, nest, 1000.0, rate_rel=0.005)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 4])
def test_feedforward_dense_input_statistics(seed):
    chip, nest = both(chip_networks.feedforward_exp(seed=seed), 1000.0)
    assert_statistics(chip, nest, 1000.0)


# --- per-class bounds of docs/chip.md section 8 -------------------------------------------------
@pytest.mark.parametrize(
    "options, spikes",
    [
        ({}, [55.5, 111.1, 166.7]),
        ({"generation": "loihi2"}, [55.5, 111.1, 166.7]),
        ({"mapping": "nearest"}, [56.7, 113.5, 170.3]),
    ],
)
def test_dc_driven_neuron_spikes_on_nest_steps(options, spikes):
    """0.8 nA into LIF(tau_m 20, threshold 15 mV above the reset): NEST spikes at 55.5,
    111.1, 166.7 ms.  The fitted bias (and the loihi2 mode's exact decay) put the chip's
    spikes on those steps; "nearest" keeps the steady state and, with tau_m 20.43 ms,
    spikes 12 steps late per interval."""
    net = hub.Network(dt=0.1, seed=1)
    cell = net.add_population(1, hub.LIF(tau_m=20.0, v_thresh=-50.0, v_reset=-65.0), label="cell")
    net.inject(cell, hub.DCSource(amplitude=0.8))
    net.record(cell, "spikes")
    chip = hub.run(net, backend="chip", duration=200.0, **options)
    nest = nest_once("dc", net, 200.0)
    assert list(nest.spikes("cell").times) == pytest.approx([55.5, 111.1, 166.7])
    assert list(chip.spikes("cell").times) == pytest.approx(spikes)


# (options, largest |rate error|, smallest fraction within one step), measured on seed 42
README_BOUNDS = [
    ({}, 0.02, 0.65),  # measured +0.59 %, 71.9 %
    ({"generation": "loihi2"}, 0.005, 0.99),  # measured -0.05 %, 99.5 %
]


@pytest.mark.parametrize("options, rate_rel, matched", README_BOUNDS)
def test_readme_example_against_nest(options, rate_rel, matched):
    """The README example (feedforward, fluctuation-driven) keeps the statistical contract
    that ``snn-hub compare -b nest,chip`` checks, with the stated bound (section 8)."""
    from hub.contract import compare_trains, expectation, statistical_check

    net = chip_networks.readme_example(seed=42)
    chip = hub.run(net, backend="chip", duration=1000.0, **options)
    nest = nest_once("readme42", net, 1000.0)
    err = rate_errors(chip, nest, 1000.0)["exc"]
    assert abs(err) <= rate_rel, err
    assert within_one_step(chip, nest, "exc") >= matched
    caps = [hub.get_backend(b).capabilities() for b in ("chip", "nest")]
    assert expectation(hub.resolve(net, 1000.0), *caps)[0] == "statistical"
    pops = [
        {
            "label": "exc",
            **compare_trains(chip.spikes("exc"), nest.spikes("exc"), 1000.0, 0.1, 5, 5),
        }
    ]
    assert statistical_check(pops)[0], statistical_check(pops)[1]


def test_readme_example_nearest_mapping_is_outside_the_contract():
    """The previous mapping (rounding each constant alone), kept as mapping="nearest": the
    README example fires 6.4 % fast and 4 % of NEST's spikes have a chip spike within one
    step (median 4 steps early): outside the 5 % contract."""
    net = chip_networks.readme_example(seed=42)
    chip = hub.run(net, backend="chip", duration=1000.0, mapping="nearest")
    nest = nest_once("readme42", net, 1000.0)
    err = rate_errors(chip, nest, 1000.0)["exc"]
    assert 0.06 <= err <= 0.07, err
    assert within_one_step(chip, nest, "exc") <= 0.05


@pytest.mark.parametrize("options, rate_rel", [({}, 0.03), ({"generation": "loihi2"}, 0.03)])
def test_fluctuation_driven_ei_network(options, rate_rel):
    """800 + 200 E/I, fluctuation-driven (tests/chip_networks.py, seed 42): measured
    fitted +1.85 % / +1.81 %, loihi2 0.00 % / +1.18 % (exc / inh); CV within 0.02."""
    net = chip_networks.fluctuation_ei(seed=42)
    chip = hub.run(net, backend="chip", duration=1000.0, **options)
    nest = nest_once("ei42", net, 1000.0)
    errs = rate_errors(chip, nest, 1000.0)
    assert max(abs(e) for e in errs.values()) <= rate_rel, errs
    assert_statistics(chip, nest, 1000.0, rate_rel=rate_rel, cv_abs=0.02)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [42, 1, 2, 3])
@pytest.mark.parametrize("rate", [20.0, 25.0])
def test_readme_example_seeds_and_rates(seed, rate):
    """Section 8's README row over 4 seeds and 2 input rates: fitted within 1 % (measured
    -0.04 to +0.78 %), loihi2 within 0.1 % (measured -0.05 to +0.02 %), nearest +4 to
    +6.4 % (the user's measurement)."""
    net = chip_networks.readme_example(seed=seed, rate=rate)
    nest = nest_once(f"readme{seed}_{rate}", net, 1000.0)
    for options, lo, hi in (
        ({}, -0.01, 0.01),
        ({"generation": "loihi2"}, -0.001, 0.001),
        ({"mapping": "nearest"}, 0.039, 0.065),
    ):
        chip = hub.run(net, backend="chip", duration=1000.0, **options)
        err = rate_errors(chip, nest, 1000.0)["exc"]
        assert lo <= err <= hi, (options, err)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_fluctuation_driven_ei_network_more_seeds(seed):
    """Seeds 1 and 2: fitted +0.99 to +2.22 %, loihi2 -0.32 to +1.52 %, nearest +5.2 to
    +8.0 % (seed 42 included; outside the 5 % contract)."""
    net = chip_networks.fluctuation_ei(seed=seed)
    nest = nest_once(f"ei{seed}", net, 1000.0)
    for options, lo, hi in (
        ({}, 0.0, 0.03),
        ({"generation": "loihi2"}, -0.01, 0.02),
        ({"mapping": "nearest"}, 0.05, 0.09),
    ):
        chip = hub.run(net, backend="chip", duration=1000.0, **options)
        errs = rate_errors(chip, nest, 1000.0)
        assert all(lo <= e <= hi for e in errs.values()), (options, errs)

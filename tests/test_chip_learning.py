"""The chip's learning engine (every rule it declares: pair STDP all-to-all and nearest
symmetric, additive and multiplicative, triplet, Vogels-Sprekeler, reward-modulated STDP):
its stated bound against the float reference, rounding modes, epochs, options.  The kit's
check_plasticity_* run the same proof on the chip through tests/test_chip_conformance.py."""

import numpy as np
import pytest

import hub
from hub.plasticity import reference_state
from hub.testing import plasticity_checks as pc

import doc_figures


def run(rule="all_additive", seed=12, **options):
    net, _ = pc.plastic_network(pc.RULES[rule](), seed)
    res = hub.run(net, backend="chip", duration=pc.DURATION, **options)
    return net, res


def errors_in_lsb(net, res):
    resolved = hub.resolve(net, pc.DURATION)
    state, _ = reference_state(resolved, res)
    lsb = res.final_state("plastic", "weight_lsb")
    n = pc.updates_until(resolved, res, [resolved.steps])[0]
    err = np.abs(res.weights("plastic") - state[("plastic", "weight")]) / lsb
    return err, n


#: the table of docs/chip.md section 10, read here: LSB per update, per rule, rounding, seed
HEADER = "rule, rounding (kit network)"
RULE_ROWS = {
    "all_additive": "pair STDP",
    "all_multiplicative": "pair STDP multiplicative",
    "nn_symmetric_additive": "nearest-symmetric STDP",
    "nn_symmetric_multiplicative": "nearest-symmetric STDP multiplicative",
    "triplet": "triplet STDP",
    "vogels_sprekeler": "Vogels-Sprekeler",
    "dopamine": "reward-modulated STDP",
}


@pytest.mark.parametrize("seed", [12, 13])
@pytest.mark.parametrize("rounding", ["deterministic", "stochastic"])
@pytest.mark.parametrize("rule", sorted(RULE_ROWS))
def test_weight_error_per_update_is_the_stated_figure(rule, rounding, seed):
    """The largest (error - 0.5 LSB) / updates over the synapses of the kit's plastic
    network is at most the figure docs/chip.md states for it.  The declared bound
    (``Tolerance.lsb_per_update`` = 1 LSB per update) holds where the figure is <= 1; the
    page states where it does not (reward-modulated STDP at seed 13)."""
    row = doc_figures.row(
        doc_figures.table("docs/chip.md", HEADER), **{HEADER: f"{RULE_ROWS[rule]}, {rounding}"}
    )
    figure = doc_figures.number(row[f"seed {seed}"])
    net, res = run(rule, seed=seed, rounding=rounding)
    err, n = errors_in_lsb(net, res)
    assert n.min() >= 20, "too few updates to test the bound"
    per_update = np.max((err - 0.5) / n)
    print(f"{rule} {rounding} seed {seed}: {per_update:.3f} LSB per update, max {err.max():.1f}")
    assert per_update <= figure
    declared = (
        hub.get_backend("chip").capabilities().tolerances[f"plasticity:{pc.RULES[rule]().label}"]
    )
    assert declared.lsb_per_update == 1.0
    if figure <= declared.lsb_per_update:
        assert np.all(err <= 0.5 + declared.lsb_per_update * n)
    else:  # the stated miss: measured above the declared bound (not hidden by the figure)
        assert per_update > declared.lsb_per_update
    assert np.abs(res.weights("plastic")).max() > 0  # the weights are real numbers


def test_learning_is_deterministic_and_stochastic_rounding_is_seeded():
    a, b = run()[1], run()[1]
    assert np.array_equal(a.weights("plastic"), b.weights("plastic"))
    s1, s2 = run(rounding="stochastic")[1], run(rounding="stochastic")[1]
    assert np.array_equal(s1.weights("plastic"), s2.weights("plastic"))
    assert not np.array_equal(s1.weights("plastic"), a.weights("plastic"))


def test_saturated_traces_break_the_bound():
    """With an impulse of 127 trace units one spike fills the 7-bit trace: all-to-all sums
    are lost, which the bound detects (the reason for the default of 32)."""
    net, res = run(trace_impulse=127)
    err, n = errors_in_lsb(net, res)
    assert np.any(err > 0.5 + n)


def test_epochs_apply_changes_at_epoch_ends_and_are_reported():
    net, res = run(learning_epoch=10)
    w0 = hub.resolve(net, pc.DURATION).projections[0].weight
    assert np.max(np.abs(res.weights("plastic") - w0)) > 0.05
    report = res.extra["chip"]["learning"]
    assert report["weight_updates"] > 500
    assert report["energy_J"] == pytest.approx(report["weight_updates"] * 120e-12)


def test_learning_options_are_checked():
    net, _ = pc.plastic_network(pc.RULES["all_additive"]())
    for bad in ({"trace_impulse": 200}, {"rounding": "up"}, {"learning_epoch": 0}):
        with pytest.raises(hub.HubError):
            hub.run(net, backend="chip", duration=5.0, **bad)
    net, _ = pc.plastic_network(pc.RULES["dopamine"]())
    with pytest.raises(hub.HubError, match="engine='numpy' only"):
        hub.run(net, backend="chip", duration=5.0, engine="numba")

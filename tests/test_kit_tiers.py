"""The tiers of hub.Tolerance, as the kit holds them (hub.testing.tiers): declared figures
outside a tier's limits are refused, whatever backend declares them."""

import numpy as np
import pytest

from hub import Tolerance
from hub.testing import tiers

LIF = "LIF[synapse=exp]"
RULE = "plasticity:STDP[pairing=all,weight_dependence=additive]"


@pytest.mark.parametrize(
    "key, tol, complaint",
    [
        (LIF, Tolerance(1), None),
        (LIF, Tolerance(1, v_abs=1e-12), None),
        (LIF, Tolerance(1, v_abs=1.0), "the kit holds tier 1 to 1e-09"),
        (LIF, Tolerance(2, v_abs=1e-3), None),
        (LIF, Tolerance(2, v_abs=2e-3), "the kit holds tier 2 to 0.001"),
        (LIF, Tolerance(3, spike_ms=0.1, matched=0.9), None),
        (LIF, Tolerance(3, spike_ms=0.1, matched=0.5), "matched=0.5, must be >= 0.9"),
        (LIF, Tolerance(4, spike_ms=0.1, matched=0.5), None),
        (LIF, Tolerance(4, spike_ms=5.0, matched=0.5), "spike_ms=5.0, must be in [0, 1.0]"),
        (LIF, Tolerance(4, matched=0.0), "matched=0.0, must be >= 0.5"),
        (LIF, Tolerance(5), "tier 5, expected 1, 2, 3 or 4"),
        (RULE, Tolerance(4, weight_bits=8, lsb_per_update=1.0), None),
        (
            RULE,
            Tolerance(4, weight_bits=2, lsb_per_update=1.0),
            "weight_bits=2, the kit accepts >= 7",
        ),
        (RULE, Tolerance(4, weight_bits=8, lsb_per_update=50.0), "lsb_per_update=50.0"),
    ],
)
def test_problems(key, tol, complaint):
    found = tiers.problems(key, tol)
    if complaint is None:
        assert found == []
    else:
        assert len(found) == 1 and complaint in found[0], found


@pytest.mark.parametrize("backend", ["nest", "brian2", "chip"])
def test_built_in_declarations_are_within_their_tiers(backend):
    from hub.plugins import get_backend

    caps = get_backend(backend).capabilities()
    assert [p for k, t in caps.tolerances.items() for p in tiers.problems(k, t)] == []


def test_weight_lsb_bound_is_derived_not_reported():
    tol = Tolerance(4, weight_bits=8, lsb_per_update=1.0)
    assert tiers.weight_lsb_bound(tol, 1.0) == 1 / 128
    got = tiers.weight_lsb_bound(tol, 1.0, reported=[1e6, 1 / 200])
    np.testing.assert_array_equal(got, [1 / 128, 1 / 200])


def _results(trains, duration=1000.0):
    import hub

    return hub.Results(spike_trains={"p": trains}, provenance={"duration": duration})


def _poisson_trains(seed, n=50, rate_hz=20.0, duration=1000.0, dt=0.1):
    import hub

    rng = np.random.default_rng(seed)
    steps = int(duration / dt)
    hits = rng.random((steps, n)) < rate_hz * dt * 1e-3
    stamps, idx = np.nonzero(hits)
    return hub.SpikeTrains(n, idx, stamps + 1, dt)


def test_statistical_tiers_pass_the_same_trains_and_fail_changed_ones():
    from hub.results import SpikeTrains
    from hub.testing import CheckFailed

    ref = _poisson_trains(1)
    tol = Tolerance(4, spike_ms=0.1, matched=0.95)
    figures = tiers.expect_agreement(_results(ref), _results(ref), "p", tol, feedforward=True)
    assert figures["matched"] == 1.0 and figures["rate_rel"] == 0.0 and figures["cv"] == 0.0
    # every spike one step late: still matched within 0.1 ms, same rate and CV
    late = SpikeTrains(ref.size, ref.indices, ref.stamps + 1, ref.dt)
    tiers.expect_agreement(_results(late), _results(ref), "p", tol, feedforward=True)
    # two steps late: unmatched
    later = SpikeTrains(ref.size, ref.indices, ref.stamps + 2, ref.dt)
    with pytest.raises(CheckFailed, match=r"p: 0.0\d\d of spikes paired within 0.1 ms"):
        tiers.expect_agreement(_results(later), _results(ref), "p", tol, feedforward=True)
    # a tenth of the spikes dropped: the rate is 10 % low (the contract: 5 %)
    keep = np.arange(len(ref)) % 10 != 0
    fewer = SpikeTrains(ref.size, ref.indices[keep], ref.stamps[keep], ref.dt)
    with pytest.raises(CheckFailed, match=r"\(-10.0 %; the statistical contract: within 5 %\)"):
        tiers.expect_agreement(_results(fewer), _results(ref), "p", Tolerance(4, matched=0.5))
    # identical tiers: one spike moved is a failure
    with pytest.raises(CheckFailed, match="spikes against the reference"):
        tiers.expect_agreement(_results(late), _results(ref), "p", Tolerance(1))

"""The learning models in models/: they build, run on every backend that supports them,
and (slow tests) learn what docs/learning.md says they learn."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import hub

MODELS = Path(__file__).resolve().parent.parent / "models"


def load(name):
    sys.path.insert(0, str(MODELS))
    try:
        spec = importlib.util.spec_from_file_location(name, MODELS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(MODELS))


@pytest.mark.nest
@pytest.mark.parametrize(
    "name, backends",
    [
        ("song_abbott", ("nest", "brian2", "chip")),
        ("reward_stdp", ("nest", "brian2", "chip")),
        ("digits_stdp", ("nest", "brian2", "chip")),
        ("lsm", ("nest", "brian2", "chip")),
    ],
)
def test_models_build_and_run_where_supported(name, backends):
    module = load(name)
    net = module.build()
    resolved = hub.resolve(net, 200.0)
    for backend in ("nest", "brian2", "chip"):
        if backend in backends:
            res = hub.run(resolved, backend=backend)
            assert res.spike_trains
        else:
            with pytest.raises(hub.CapabilityError):
                hub.run(resolved, backend=backend)


@pytest.mark.slow
def test_song_abbott_weights_move_to_the_bounds():
    """Measured after 100 s: 37 % of the weights in the outer tenths of the range (22 % after
    1 s), the histogram highest at both ends."""
    module = load("song_abbott")
    res = hub.run(module.build(), backend="nest", duration=100000.0)
    w = res.weights("plastic") / 0.1
    start = res.synapse_signal("plastic").values[0] / 0.1
    edges = lambda x: np.mean((x < 0.1) | (x > 0.9))  # noqa: E731
    assert edges(w) > edges(start) + 0.1
    hist = np.histogram(w, 10, (0.0, 1.0))[0]
    assert hist[0] > hist[1:-1].max() and hist[-1] > hist[1:-1].max()


@pytest.mark.slow
def test_reward_stdp_prefers_the_rewarded_pattern():
    module = load("reward_stdp")
    result, _ = module.experiment("nest", 200)
    assert result["A_end"] > 3 * max(result["B_end"], 1.0)
    assert result["mean_weight_A"] > 2 * result["mean_weight_B"]


# -- the digit models against their baselines (docs/learning.md) -----------------------------
# Each accuracy is compared with the same readout on a baseline: the digits network with its
# initial weights (and with plasticity off through the same training), the liquid's readout
# with the input's spike counts in the same window.  Margins: above the seed-to-seed spread
# measured on NEST (seeds 0-5 / 0-4, docs/learning.md).

_DIGITS = {}


def digits_results(backend, seeds, n_train=400, n_test=200):
    """experiment() of models/digits_stdp.py per seed (cached: several tests read them)."""
    module = load("digits_stdp")
    for seed in seeds:
        if (backend, seed) not in _DIGITS:
            _DIGITS[backend, seed] = module.experiment(backend, n_train, n_test, seed)[0]
    return [_DIGITS[backend, seed] for seed in seeds]


@pytest.mark.nest
def test_digits_untrained_baseline_is_the_training_with_plasticity_off():
    """The baseline runs the same procedure: plasticity off leaves the initial weights
    untouched while the thresholds adapt; plasticity on moves the weights."""
    module = load("digits_stdp")
    images = load("_digits").load(module.BATCH)[0]
    w_off, theta_off = module.train("nest", images, seed=11, plastic=False)
    w_on, theta_on = module.train("nest", images, seed=11)
    w0 = module.normalise(
        np.random.default_rng(11).uniform(0.0, 1.0, (64, module.PARAMS["n_exc"])),
        module.PARAMS["w_sum"],
        module.PARAMS["w_max"],
    )
    np.testing.assert_array_equal(w_off, w0)
    assert np.abs(w_on - w0).max() > 0.05
    assert (theta_off > 0).sum() > 10 and (theta_on > 0).sum() > 10


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend, seeds, every_seed, mean_gain",
    [
        ("nest", range(6), True, 0.05),
        ("chip", range(6), False, 0.05),
        ("brian2", range(1), True, 0.05),
    ],
)
def test_digits_stdp_beats_its_initial_network(backend, seeds, every_seed, mean_gain):
    """Trained vs the initial network (random weights, zero thresholds), same readout.
    NEST, seeds 0-5: +8.5, +12.5, +10.5, +23.5, +2.5, +6 points (mean 10.6), on every seed.
    The chip (stochastic rounding), seeds 0-5: +8.5, +22, +5.5, +15, +3.5, -3.5 (mean 8.5):
    on average only (its rounding stream alone moves a seed's accuracy by up to 11
    points, docs/learning.md)."""
    rows = digits_results(backend, seeds)
    gaps = [r["accuracy"] - r["accuracy_initial"] for r in rows]
    if every_seed:
        assert min(gaps) > 0.0, rows
    assert np.mean(gaps) > mean_gain, rows


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="STDP does not beat the same training with plasticity off: the adaptive "
    "thresholds, not the weights, carry the gain (NEST, seeds 0-5: trained - untrained "
    "-4.5 .. +11.5 points, mean +2.6; docs/learning.md)",
)
def test_digits_stdp_beats_the_same_network_with_plasticity_off():
    rows = digits_results("nest", range(6))
    gaps = [r["accuracy"] - r["accuracy_untrained"] for r in rows]
    assert min(gaps) > 0.0 and np.mean(gaps) > 0.05, rows


def _lsm_gaps(backend, seeds, n_train=400, n_test=200):
    module = load("lsm")
    rows = [module.experiment(backend, n_train, n_test, seed) for seed in seeds]
    return [r["accuracy_liquid"] - r["accuracy_input_only"] for r in rows], rows


@pytest.mark.nest
def test_lsm_readout_beats_the_input_only_readout():
    """Liquid 53 % against the input's 33.5 % on NEST, seed 0 (seeds 0-4: the gap is
    10 - 21 points, mean 16, standard deviation 4.3)."""
    gaps, rows = _lsm_gaps("nest", [0])
    assert gaps[0] > 0.1, rows


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend, seeds", [("nest", range(5)), ("chip", range(5)), ("brian2", range(2))]
)
def test_lsm_readout_beats_the_input_only_readout_on_every_backend(backend, seeds):
    gaps, rows = _lsm_gaps(backend, seeds)
    assert min(gaps) > 0.05, rows
    assert np.mean(gaps) > 0.1, rows

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


@pytest.mark.slow
def test_digits_stdp_learns_well_above_chance():
    module = load("digits_stdp")
    result, _ = module.experiment("nest", 200, 100)
    assert result["accuracy"] > 0.3, result


@pytest.mark.slow
def test_lsm_readout_learns_the_digits():
    module = load("lsm")
    result = module.experiment("nest", 200, 100)
    assert result["accuracy_liquid"] > 0.6, result

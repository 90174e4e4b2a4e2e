"""The PyNN-cost benchmark's parts, without a benchmark run: the gathering of PyNN's connect
calls (hub/pynn/columns.py) and one small run of the Vogels-Abbott PyNN script per hub.pynn
path in a fresh process (hub/benchmarks/pynn_worker.py): its timings add up and NEST and
Brian2 give the same spikes."""

import numpy as np
import pytest

pytest.importorskip("pyNN")

from hub.benchmarks import pynn_cost  # noqa: E402
from hub.pynn.columns import ConnectionColumns  # noqa: E402


def test_connect_calls_become_one_array_per_attribute():
    calls = ConnectionColumns()
    calls.add(np.array([0, 3]), 7, {"weight": 0.5, "delay": np.array([1.0, 2.0])})
    calls.add(np.array([], dtype=np.int64), 8, {"weight": 0.5, "delay": np.array([])})
    calls.add(np.array([1, 2, 4]), 9, {"weight": np.float64(0.25), "delay": 1.5})
    out = calls.arrays()
    assert out["presynaptic_index"].tolist() == [0, 3, 1, 2, 4]
    assert out["postsynaptic_index"].tolist() == [7, 7, 9, 9, 9]
    assert out["weight"].tolist() == [0.5, 0.5, 0.25, 0.25, 0.25]
    assert out["delay"].tolist() == [1.0, 2.0, 1.5, 1.5, 1.5]
    assert out["presynaptic_index"].dtype == out["postsynaptic_index"].dtype == np.int64


def test_one_array_value_per_call_of_one_connection():
    calls = ConnectionColumns()
    for post in range(3):
        calls.add(np.array([post]), post, {"weight": np.array([post + 0.5])})
    assert calls.arrays()["weight"].tolist() == [0.5, 1.5, 2.5]


def test_no_connect_call_gives_empty_index_arrays():
    out = ConnectionColumns().arrays()
    assert len(out["presynaptic_index"]) == len(out["postsynaptic_index"]) == 0


def test_the_pynn_script_on_both_hub_pynn_paths(tmp_path):
    settings = {**pynn_cost.DEFAULTS, "duration_ms": 100.0}
    runs = {}
    for path in ("hub.pynn[nest]", "hub.pynn[brian2]"):
        status = pynn_cost._run_once(path, settings, 0.1, str(tmp_path / path), 600.0)
        assert status["status"] == "ok", status.get("detail")
        runs[path] = status
        t = status["timings"]
        assert t["build_s"] == pytest.approx(t["construct_s"] + t["first_run_build_s"])
        parts = t["first_run_build_s"] + t["run_s"] + t["collect_s"]
        assert parts == pytest.approx(t["first_run_s"])
        assert min(t["first_run_build_s"], t["run_s"], t["collect_s"]) > 0
        # 320 exc, 80 inh neurons, p = 0.02; the kick reaches about 1 % of them per source
        assert sum(status["connections"].values()) > 3000
        assert sum(status["spikes"].values()) > 0
    nest, brian2 = runs.values()
    assert nest["connections"] == brian2["connections"]
    assert nest["spikes"] == brian2["spikes"]
    assert nest["spikes_digest"] == brian2["spikes_digest"]


def _doc(per_repeat: dict, same: dict) -> dict:
    """A PyNN-cost report of full-scale paths with these spike counts per repeat."""
    paths = {
        path: {
            "status": "ok",
            "scale": 1.0,
            "spikes": counts[0],
            "spikes_per_repeat": counts,
            "same_spikes_every_repeat": same[path],
        }
        for path, counts in per_repeat.items()
    }
    return {"settings": {"duration_ms": 1000.0}, "paths": paths}


def test_a_dead_repeat_and_repeats_that_differ_are_activity_problems():
    alive, dead = {"exc": 48051, "inh": 11834}, {"exc": 1028, "inh": 286}
    doc = _doc(
        {"hub.pynn[brian2]": [alive] * 3, "pyNN.brian2": [alive, dead, alive]},
        {"hub.pynn[brian2]": True, "pyNN.brian2": False},
    )
    problems = pynn_cost.activity_problems(doc)
    assert any("pyNN.brian2: different spikes" in p for p in problems)
    # 1028 spikes of 3200 neurons in 1 s: 0.32 Hz; 286 of 800: 0.36 Hz
    assert any("pyNN.brian2: repeat 2, exc fired at 0.32 Hz" in p for p in problems)
    assert any("pyNN.brian2: repeat 2, inh fired at 0.36 Hz" in p for p in problems)
    assert not any(p.startswith("hub.pynn") for p in problems)
    assert len(problems) == 3


def test_a_report_of_seeded_lively_paths_has_no_activity_problem():
    alive = {"exc": 47295, "inh": 11771}
    doc = _doc(
        {"hub.pynn[nest]": [alive] * 3, "pyNN.brian2": [alive] * 3},
        dict.fromkeys(("hub.pynn[nest]", "pyNN.brian2"), True),
    )
    assert pynn_cost.activity_problems(doc) == []


def test_pynn_brian2_gives_the_same_spikes_in_every_process(tmp_path):
    """pyNN.brian2's SpikeSourcePoisson fires on Brian2's rand(), numpy's global generator on
    the numpy target, which pyNN.brian2 does not seed: the worker seeds it with the
    benchmark's seed (unseeded, every process drew another kick, and 2 kicks of 100 left the
    full-scale network silent)."""
    pytest.importorskip("brian2")
    settings = {**pynn_cost.DEFAULTS, "duration_ms": 100.0}
    runs = []
    for k in range(2):
        status = pynn_cost._run_once("pyNN.brian2", settings, 0.05, str(tmp_path / str(k)), 600.0)
        assert status["status"] == "ok", status.get("detail")
        assert sum(status["spikes"].values()) > 0
        runs.append(status)
    assert runs[0]["spikes"] == runs[1]["spikes"]
    assert runs[0]["spikes_digest"] == runs[1]["spikes_digest"]

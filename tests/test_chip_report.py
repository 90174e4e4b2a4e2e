"""The per-run chip report: counts, energy split, time estimate, profiles; CUBA runs."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import hub
from hub_chip import DAVIES_2018, load_profile
from hub_chip.fast import HAVE_NUMBA

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
import vogels_abbott  # noqa: E402


@pytest.fixture(scope="module")
def cuba():
    net = vogels_abbott.build()
    return net, hub.run(net, backend="chip", duration=200.0)


def test_cuba_4000_runs_with_its_report(cuba):
    net, res = cuba
    rep = res.extra["chip"]
    assert rep["neurons"] == 4000 and rep["compartments"] == 8000  # tau_syn_E != tau_syn_I
    assert rep["chips_used"] == 1 and rep["cores_used"] == len(rep["utilisation"]) >= 8
    c = rep["counts"]
    n_spikes = sum(len(st) for st in res.spike_trains.values())
    assert c["spikes"] == n_spikes > 1000
    # every spike reaches ~80 synapses (p = 0.02 of 4000)
    assert 70 < c["synaptic_ops"] / c["spikes"] < 90
    assert c["neuron_updates_active"] + c["neuron_updates_inactive"] == 8000 * 2000
    assert c["messages"] >= c["spikes"] and c["u_wraps"] == 0
    e = rep["energy_J"]
    assert abs(e["synapse"] - c["synaptic_ops"] * 23.6e-12) < 1e-15
    assert (
        abs(
            e["neuron"]
            - (c["neuron_updates_active"] * 81e-12 + c["neuron_updates_inactive"] * 52e-12)
        )
        < 1e-12
    )
    assert (
        abs(
            e["network"]
            - (
                c["messages_within_tile"] * 1.7e-12
                + c["hops_ew"] * 3.0e-12
                + c["hops_ns"] * 4.0e-12
            )
        )
        < 1e-15
    )
    assert abs(e["total"] - sum(v for k, v in e.items() if k != "total")) < 1e-15
    t = rep["time"]
    assert 0 < t["per_step_mean_s"] <= t["per_step_max_s"]
    assert abs(e["static"] - 0.82e-3 * rep["cores_used"] * t["total_s"]) < 1e-15
    for core in rep["utilisation"]:
        assert set(core["fraction"]) == {"compartments", "in_axons", "out_axons", "synapse_memory"}
    json.dumps(rep)  # the report is plain JSON data (snn-hub run --json, Results.save)


def test_results_with_report_save_and_load(cuba, tmp_path):
    _, res = cuba
    back = hub.Results.load(res.save(tmp_path / "r.npz"))
    assert back.extra["chip"]["counts"] == res.extra["chip"]["counts"]


def test_user_energy_profile(tmp_path):
    net = vogels_abbott.build(scale=0.1)
    base = hub.run(net, backend="chip", duration=50.0).extra["chip"]
    doubled = hub.run(
        net, backend="chip", duration=50.0, energy_profile={"synaptic_op_J": 47.2e-12}
    ).extra["chip"]
    assert doubled["profile"] == "user" and base["profile"] == "loihi-davies2018"
    assert doubled["energy_J"]["synapse"] == pytest.approx(2 * base["energy_J"]["synapse"])
    assert doubled["energy_J"]["neuron"] == base["energy_J"]["neuron"]
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"name": "mine", "static_W_per_core": 0.0}))
    mine = hub.run(net, backend="chip", duration=50.0, energy_profile=str(path)).extra["chip"]
    assert mine["profile"] == "mine" and mine["energy_J"]["static"] == 0.0
    with pytest.raises(hub.HubError, match="unknown field"):
        load_profile({"pj_per_op": 1.0})
    assert load_profile("loihi-davies2018") is DAVIES_2018


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_numpy_and_numba_engines_agree_on_cuba():
    net = vogels_abbott.build(scale=0.25)
    net.record(net.population("exc"), "v", indices=[0, 5, 17])
    a = hub.run(net, backend="chip", duration=100.0, engine="numpy")
    b = hub.run(net, backend="chip", duration=100.0, engine="numba")
    for lab in ("exc", "inh"):
        assert a.spikes(lab) == b.spikes(lab)
    np.testing.assert_array_equal(a.signal("exc", "v").values, b.signal("exc", "v").values)
    ca, cb = a.extra["chip"]["counts"], b.extra["chip"]["counts"]
    assert ca == cb


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_step_time_estimate_same_with_and_without_numba(monkeypatch):
    from hub_chip import fast, report

    net = vogels_abbott.build(scale=0.1)
    net.add_source(hub.PoissonSource(rate=500.0), size=20, label="kick")
    net.connect("kick", "exc", hub.FixedProbability(0.1), hub.Static(weight=0.02, delay=0.2))
    r = hub.resolve(net, 50.0)
    session = hub.get_backend("chip").build(r)
    session.run()
    t_neuron = np.linspace(1e-6, 2e-6, session.compiled.mapping.n_cores)
    cores = report.compartment_cores(session.compiled)
    a = report._step_times(session.compiled, session.out, session.profile, t_neuron, cores)
    monkeypatch.setattr(fast, "HAVE_NUMBA", False)
    b = report._step_times(session.compiled, session.out, session.profile, t_neuron, cores)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    assert (a > t_neuron.max()).any()


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_numba_engine_grows_its_spike_buffer(monkeypatch):
    from hub_chip.fast import FastEngine

    monkeypatch.setattr(FastEngine, "min_spike_buffer", 1)
    net = vogels_abbott.build(scale=0.1)
    a = hub.run(net, backend="chip", duration=50.0, engine="numpy")
    b = hub.run(net, backend="chip", duration=50.0, engine="numba")
    assert a.spikes("exc") == b.spikes("exc") and len(a.spikes("exc")) > 50

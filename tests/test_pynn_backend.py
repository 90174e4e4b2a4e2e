"""hub_pynn: the hub's networks on PyNN's simulator modules (pyNN.nest, pyNN.brian2,
pyNN.neuron), against independent references: the hub's own NEST backend, the kit's
reference engine and closed forms (through the conformance kit)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import hub
from hub.stats import match_spikes
from hub.testing import parametrize_with_checks

pytest.importorskip("pyNN", reason="PyNN is not installed (pip install 'snn-hub[pynn]')")

from hub_pynn import BUILT_IN, TABLES, inputs  # noqa: E402
from hub_pynn.simulators import probe_cell_types  # noqa: E402

BACKENDS = sorted(BUILT_IN)
_NEEDS = {"pynn.nest": "nest", "pynn.brian2": "brian2", "pynn.neuron": "neuron"}


def needs(backend: str):
    """Skip unless the simulator of ``backend`` is installed."""
    module = _NEEDS[backend]
    return pytest.mark.skipif(
        importlib.util.find_spec(module) is None, reason=f"{module} is not installed"
    )


def feedforward(model=None, seed=5, n=40, duration=200.0):
    """Poisson sources (some spikes in the first step, some of multiplicity 2) and a
    SpikeTimes source (a spike twice in one step) into ``n`` neurons, delays of 2-20 steps."""
    net = hub.Network(dt=0.1, seed=seed, label="ff")
    noise = net.add_source(hub.PoissonSource(rate=80.0), size=60, label="noise")
    times = net.add_source(hub.SpikeTimes([[0.1, 5.0, 5.0, 50.0], [20.0]]), size=2, label="times")
    cells = net.add_population(
        n, model or hub.LIF(tau_m=15.0, tau_syn_E=3.0, tau_refrac=2.0), label="cells"
    )
    cells.initialize(v=hub.Uniform(-65.0, -55.0))
    delay = hub.Uniform(0.2, 2.0)
    net.connect(noise, cells, hub.FixedProbability(0.3), hub.Static(weight=0.6, delay=delay))
    net.connect(
        noise,
        cells,
        hub.FixedProbability(0.1),
        hub.Static(weight=-0.8, delay=0.5, receptor="inhibitory"),
    )
    net.connect(times, cells, hub.AllToAll(), hub.Static(weight=0.6, delay=1.0))
    net.record(cells, "spikes", "v")
    return net, duration


# --- plain functions -------------------------------------------------------------------------
def test_layers_split_multiplicity_and_advance_early_spikes():
    """A repeated (neuron, stamp) pair goes to a second layer; a spike before the module's
    first stamp is advanced into a layer of its own."""
    src = hub.resolve(_source_net([[0.1, 0.3, 0.3], [0.3]]), 1.0).sources["src"]
    got = {
        (layer.copy, layer.shift): [s.tolist() for s in layer.stamps]
        for layer in inputs.layers(src, first_stamp=2)
    }
    assert got == {(0, 0): [[3], [3]], (0, 1): [[2], []], (1, 0): [[3], []]}
    assert [lay.shift for lay in inputs.layers(src, first_stamp=1)] == [0, 0]


def _source_net(trains):
    net = hub.Network(dt=0.1, seed=1)
    src = net.add_source(hub.SpikeTimes(trains), size=len(trains), label="src")
    net.connect(src, net.add_population(1, hub.LIF(), label="c"), hub.AllToAll())
    return net


def test_declared_cell_types_are_what_each_module_has():
    """The cell types declared per built-in module are exactly those the module implements
    (``probe_cell_types``), except pyNN.nest's IF_curr_delta, left out on purpose (its V
    can be neither initialised nor recorded through PyNN 0.13)."""
    for name, sim in BUILT_IN.items():
        if importlib.util.find_spec(_NEEDS[name]) is None:
            continue
        probed = probe_cell_types(sim.load())
        omitted = {"IF_curr_delta"} if name == "pynn.nest" else set()
        assert sim.cell_types == probed - omitted, name
        assert omitted <= probed


def test_every_declared_model_has_a_measured_tolerance():
    for name in BACKENDS:
        caps = hub.get_backend(name).capabilities()
        assert set(caps.neuron_models) <= set(TABLES)
        for label in caps.neuron_models:
            assert caps.tolerances[label].note, (name, label)


def test_a_pynn_family_name_resolves_and_a_missing_module_is_named():
    backend = hub.get_backend("pynn:pyNN.nest")
    assert backend.name == "pynn:pyNN.nest"
    assert backend.capabilities() == hub.get_backend("pynn.nest").capabilities()
    with pytest.raises(hub.BackendError, match="no_such_module.*pip install"):
        hub.get_backend("pynn:no_such_module").capabilities()


def test_pynn_mock_builds_and_runs_through_the_family():
    """pyNN.mock (random data: no number is asserted) runs a network end to end and the
    results have the shapes the probes ask for."""
    net, _ = feedforward(n=5)
    res = hub.run(net, backend="pynn:pyNN.mock", duration=20.0)
    assert res.backend == "pynn:pyNN.mock"
    assert res.signal("cells", "v").values.shape == (200, 5)
    assert res.provenance["pynn"]["module"] == "pyNN.mock"


def test_bad_values_are_hub_errors_naming_the_field():
    net = hub.Network(dt=0.1, seed=1)
    net.add_population(3, hub.Izhikevich(v_thresh=25.0), label="iz")
    with pytest.raises(hub.CapabilityError, match="v_thresh = 25 .*Izhikevich has v_thresh = 30"):
        hub.run(net, backend="pynn.nest", duration=1.0)
    with pytest.raises(hub.HubError, match="unknown option"):
        hub.run(net, backend="pynn.nest", duration=1.0, threads=2)


# --- pyNN.nest against the hub's NEST backend ----------------------------------------------------
@needs("pynn.nest")
@pytest.mark.parametrize("synapse", ["exp", "alpha"])
def test_pynn_nest_gives_nests_spikes(synapse):
    """The same resolved network on NEST directly and through PyNN: identical spikes and V
    (first-step source spikes, multiplicity 2, inhibition included)."""
    net, duration = feedforward(hub.LIF(synapse=synapse, tau_refrac=2.0, tau_syn_E=3.0))
    resolved = hub.resolve(net, duration)
    assert resolved.sources["times"].stamps.min() == 1  # advanced past the parrots
    ref = hub.run(resolved, backend="nest")
    res = hub.run(resolved, backend="pynn.nest")
    assert len(ref.spikes("cells")) > 100
    assert res.spikes("cells") == ref.spikes("cells")
    dv = np.abs(res.signal("cells", "v").values - ref.signal("cells", "v").values).max()
    assert dv <= 1e-9


@needs("pynn.nest")
def test_pynn_nest_refuses_a_first_step_spike_over_a_one_step_delay():
    net = hub.Network(dt=0.1, seed=1)
    src = net.add_source(hub.SpikeTimes([0.1]), size=1, label="src")
    net.connect(
        src, net.add_population(1, hub.LIF(), label="c"), hub.OneToOne(), hub.Static(1.0, 0.1)
    )
    with pytest.raises(hub.CapabilityError, match="'src'.*delay of 1 step"):
        hub.run(net, backend="pynn.nest", duration=1.0)


@needs("pynn.nest")
def test_repeated_runs_in_one_process_and_a_stale_session():
    net, duration = feedforward(n=10, duration=50.0)
    first = hub.run(net, backend="pynn.nest", duration=duration)
    second = hub.run(net, backend="pynn.nest", duration=duration)
    assert first.spikes("cells") == second.spikes("cells") and len(first.spikes("cells"))
    backend = hub.get_backend("pynn.nest")
    old = backend.build(hub.resolve(net, duration))
    new = backend.build(hub.resolve(net, duration))
    with pytest.raises(hub.BackendError, match="stale"):
        old.run()
    new.run()
    assert new.results().spikes("cells") == first.spikes("cells")
    new.close()


@needs("pynn.nest")
@pytest.mark.slow
def test_pynn_nest_hodgkin_huxley_at_its_declared_tier():
    """The kit's Hodgkin-Huxley network (its known gap: it varies tau_refrac, which PyNN's
    HH_cond_exp lacks) with tau_refrac = 2 ms, against the ODE reference, three seeds: the
    declared fraction of spikes within the declared time."""
    from hub.testing import ode_checks, ode_reference

    tol = hub.get_backend("pynn.nest").capabilities().tolerances["HodgkinHuxley"]
    for seed in (None, 1, 2):
        net = ode_checks.feedforward_network("hodgkin_huxley", seed)
        next(p for p in net.populations if p.label == "cells").model.values["tau_refrac"] = 2.0
        ref = ode_reference.simulate(hub.resolve(net, ode_checks.DURATION))
        res = hub.run(net, backend="pynn.nest", duration=ode_checks.DURATION)
        m = match_spikes(ref.spikes("cells"), res.spikes("cells"), tol.spike_ms)
        assert len(ref.spikes("cells")) >= 100 and m["matched"] >= tol.matched, (seed, m)


# --- NEURON against NEST -----------------------------------------------------------------------
@needs("pynn.neuron")
def test_pynn_neuron_agrees_with_nest_at_its_declared_tier():
    """A feedforward LIF network: the fraction of NEST's spikes NEURON reproduces within the
    declared time is at least the declared fraction."""
    net, duration = feedforward()
    resolved = hub.resolve(net, duration)
    ref = hub.run(resolved, backend="nest")
    res = hub.run(resolved, backend="pynn.neuron")
    tol = hub.get_backend("pynn.neuron").capabilities().tolerances["LIF[synapse=exp]"]
    m = match_spikes(ref.spikes("cells"), res.spikes("cells"), tol.spike_ms)
    assert len(ref.spikes("cells")) > 100 and m["matched"] >= tol.matched, m


@needs("pynn.neuron")
@pytest.mark.skipif(importlib.util.find_spec("brian2") is None, reason="brian2 is not installed")
def test_compare_runs_nest_brian2_pynn_neuron_and_chip(tmp_path, capsys):
    """`snn-hub compare MODEL -b nest,brian2,pynn.neuron,chip`: one worker process per
    backend; NEURON is judged against NEST by its declared tier (statistics)."""
    from hub.cli import main

    net, _ = feedforward(n=30)
    hub.save(net, tmp_path / "ff.npz")
    out = tmp_path / "c.json"
    rc = main(
        [
            "compare",
            str(tmp_path / "ff.npz"),
            "-b",
            "nest,brian2,pynn.neuron,chip",
            "--duration",
            "100",
            "--json",
            "--save",
            str(out),
            "--no-progress",
        ]
    )
    capsys.readouterr()
    import json

    doc = json.loads(out.read_text())
    runs = {b["name"]: b for b in doc["backends"]}
    assert {name: run["status"] for name, run in runs.items()} == dict.fromkeys(
        ["nest", "brian2", "pynn.neuron", "chip"], "ok"
    ), runs
    pairs = {(p["a"], p["b"]): p for p in doc["agreement"]}
    pair = pairs.get(("nest", "pynn.neuron")) or pairs[("pynn.neuron", "nest")]
    assert pair["expect"] == "statistical"
    assert rc in (0, 1)


# --- the conformance kit -------------------------------------------------------------------------
#: checks quick enough for the default run (a few small networks each)
FAST = {
    "check_capabilities_declared",
    "check_kit_coverage",
    "check_lif_dc_closed_form",
    "check_step_current_timing",
    "check_recording_times",
    "check_record_state_subset_unsorted",
    "check_results_provenance",
}
#: Brian2 compiles every new network (seconds each): only these run by default
FAST_BRIAN2 = {"check_capabilities_declared", "check_kit_coverage", "check_recording_times"}
_KIT = parametrize_with_checks(BACKENDS, allow_known_gaps=True)


def _is_fast(backend: str, check) -> bool:
    return check.__name__ in (FAST_BRIAN2 if backend == "pynn.brian2" else FAST)


def _kit(fast: bool):
    """The kit's parameters, the FAST checks or the others (each skipped without its
    simulator)."""
    names, params = _KIT.args
    out = []
    for p in params:
        backend, check = p.values
        if _is_fast(backend, check) != fast:
            continue
        marks = list(p.marks) + [needs(backend)]
        out.append(pytest.param(*p.values, id=p.id, marks=marks))
    return pytest.mark.parametrize(names, out)


@_kit(fast=True)
def test_conformance_fast(backend, check):
    check(backend)


@pytest.mark.slow
@_kit(fast=False)
def test_conformance(backend, check):
    check(backend)

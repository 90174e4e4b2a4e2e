"""hub.pynn, PyNN's API on the hub, against real PyNN (pyNN.nest) running the same scripts
(tests/pynn_scripts.py), against Brian2 through the hub, and against what a script gave.

Measured here (docs/pynn.md quotes these figures): the network script gives the same spikes
as pyNN.nest neuron for neuron (3069 spikes in 200 ms) and the same v and gsyn samples bit
for bit after t = 0; Spike-pair STDP final weights equal pyNN.nest's to 0 relative
difference (initial weights 1.1e-16: pyNN.nest stores them in pA); a parameter changed
between runs acts exactly one min_delay earlier than on pyNN.nest, which runs one min_delay
ahead.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("pyNN", reason="PyNN is not installed (pip install 'snn-hub[pynn]')")

import hub  # noqa: E402
import hub.pynn as sim  # noqa: E402
import pynn_scripts  # noqa: E402

pytestmark = pytest.mark.nest


@pytest.fixture(scope="module")
def pynn_nest():
    """PyNN's own NEST backend (grid-constrained models)."""
    return pytest.importorskip("pyNN.nest")


def stamps(block, dt=0.1):
    """Spike stamps (integer steps) of every neuron of a block's first segment."""
    return [np.round(st.magnitude / dt).astype(int) for st in block.segments[0].spiketrains]


@pytest.fixture(scope="module")
def network_runs(pynn_nest):
    reference = pynn_scripts.network(pynn_nest, spike_precision="on_grid")
    ours = pynn_scripts.network(sim, backend="nest")
    return reference, ours


# --- (1) the same script on pyNN.nest and on hub.pynn ----------------------------------------
def test_same_spikes_as_pynn_nest(network_runs):
    reference, ours = network_runs
    total = 0
    for label in ("exc", "extra", "cond"):
        theirs, mine = stamps(reference[label]), stamps(ours[label])
        assert len(theirs) == len(mine)
        for neuron, (a, b) in enumerate(zip(theirs, mine)):
            assert np.array_equal(a, b), f"{label}[{neuron}]: {a} != {b}"
        total += sum(map(len, mine))
    assert total == 3069


def test_same_state_as_pynn_nest(network_runs):
    """Every v and gsyn sample after t = 0 is equal; at t = 0 pyNN.nest reports a fresh draw
    of a RandomDistribution initial value (it evaluates the distribution again), so that
    row is compared only where the initial values were an explicit array (cond)."""
    reference, ours = network_runs
    for label, first_row in (("exc", 1), ("cond", 0)):
        theirs = {s.name: s for s in reference[label].segments[0].analogsignals}
        mine = {s.name: s for s in ours[label].segments[0].analogsignals}
        assert sorted(theirs) == sorted(mine)
        for name, sig in mine.items():
            assert sig.shape == theirs[name].shape
            assert np.max(np.abs(sig.magnitude - theirs[name].magnitude)[first_row:]) == 0.0


def test_get_data_structure_as_pynn_nest(network_runs):
    """(3) segments, names, annotations, units, sampling, shapes as pyNN.nest gives them;
    only the IDs (channel_id: NEST's node ids there) and the simulator name differ."""
    reference, ours = network_runs
    for label in ("exc", "extra", "cond"):
        a, b = reference[label], ours[label]
        assert len(a.segments) == len(b.segments) == 1
        assert a.segments[0].name == b.segments[0].name == "segment000"
        assert set(b.annotations) == set(a.annotations) | {"backend"}
        assert b.annotations["simulator"] == "snn-hub" and b.annotations["backend"] == "nest"
        for key in ("size", "first_index", "last_index", "label", "dt", "mpi_processes"):
            assert a.annotations[key] == b.annotations[key]
        for x, y in zip(a.segments[0].spiketrains, b.segments[0].spiketrains):
            assert set(x.annotations) == set(y.annotations)
            assert x.annotations["source_index"] == y.annotations["source_index"]
            assert x.annotations["source_population"] == y.annotations["source_population"]
            assert (x.t_start, x.t_stop, x.units) == (y.t_start, y.t_stop, y.units)
        for x, y in zip(a.segments[0].analogsignals, b.segments[0].analogsignals):
            assert (x.name, x.units, x.t_start, x.sampling_period, x.shape) == (
                y.name,
                y.units,
                y.t_start,
                y.sampling_period,
                y.shape,
            )
            assert set(x.annotations) == set(y.annotations)
            assert np.array_equal(
                x.array_annotations["channel_index"], y.array_annotations["channel_index"]
            )


# --- (2) one script, two hub backends --------------------------------------------------------
@pytest.mark.brian2
def test_nest_and_brian2_identical_through_hub_pynn(network_runs):
    """The network script on hub.pynn with backend brian2: the same spikes as with nest
    (current-based LIF is tier 1, conductance-based LIF tier 3 with identical spikes on this
    network)."""
    _, on_nest = network_runs
    on_brian2 = pynn_scripts.network(sim, backend="brian2")
    for label in ("exc", "extra", "cond"):
        for a, b in zip(stamps(on_nest[label]), stamps(on_brian2[label])):
            assert np.array_equal(a, b)


# --- (5) STDP against pyNN.nest ------------------------------------------------------------------
@pytest.mark.parametrize(
    "dependence", ["AdditiveWeightDependence", "MultiplicativeWeightDependence"]
)
def test_stdp_final_weights_as_pynn_nest(pynn_nest, dependence):
    before_ref, after_ref = pynn_scripts.stdp(pynn_nest, dependence, spike_precision="on_grid")
    before, after = pynn_scripts.stdp(sim, dependence, backend="nest")
    exists = ~np.isnan(after_ref)
    assert np.array_equal(exists, ~np.isnan(after))
    assert np.max(np.abs(before - before_ref)[exists]) <= 1e-15  # pyNN.nest keeps pA
    assert np.max(np.abs(after - before)[exists]) > 0.1  # the weights did learn
    # relative to 1e-12 (weights depressed to 0 must be 0 on both)
    assert (np.abs(after - after_ref) <= 1e-12 * np.abs(after_ref))[exists].all()


# --- incremental runs ------------------------------------------------------------------------
def test_parameter_change_between_runs(pynn_nest):
    """A neuron at rest gets i_offset = 1 nA at t = 100 ms: it fires as a fresh neuron with
    that current would, 100 ms later; on pyNN.nest the change acts one min_delay (0.5 ms)
    later, because pyNN.nest has simulated one min_delay past the requested time."""
    ours = pynn_scripts.step_change(sim, backend="nest")
    sim.setup(timestep=0.1)
    fresh = sim.Population(1, sim.IF_curr_exp(tau_refrac=2.0, i_offset=1.0))
    fresh.record("spikes")
    sim.run(200.0)
    expected = np.asarray(fresh.get_data().segments[0].spiketrains[0].magnitude) + 100.0
    assert len(ours) == 6
    assert np.allclose(ours, expected, atol=1e-9)
    theirs = pynn_scripts.step_change(pynn_nest, spike_precision="on_grid")
    assert np.allclose(theirs, ours + 0.5, atol=1e-9)


def _current_changes(change_between_runs: bool):
    """v of two neurons under a DCSource whose amplitude goes 0.4 -> 0.9 nA at 60 ms (set
    between runs, or given as one StepCurrentSource), and a second source injected at 60 ms
    into the second neuron only."""
    sim.setup(timestep=0.1)
    cells = sim.Population(2, sim.IF_curr_exp(v_thresh=-40.0))
    cells.record("v")
    if change_between_runs:
        dc = sim.DCSource(amplitude=0.4, start=20.0, stop=150.0)
        dc.inject_into(cells)
        sim.run(60.0)
        dc.amplitude = 0.9
        sim.StepCurrentSource(times=[80.0], amplitudes=[0.3]).inject_into(cells[1:])
        sim.run(140.0)
    else:
        sim.StepCurrentSource(times=[20.0, 60.0, 150.0], amplitudes=[0.4, 0.9, 0.0]).inject_into(
            cells
        )
        sim.StepCurrentSource(times=[80.0], amplitudes=[0.3]).inject_into(cells[1:])
        sim.run(200.0)
    return cells.get_data().segments[0].analogsignals[0].magnitude


def test_current_source_changed_between_runs():
    """PyNN's idiom ``dc.amplitude = x`` between runs, and a source injected between runs,
    give exactly the v of the same currents given as one schedule from the start."""
    assert np.array_equal(_current_changes(True), _current_changes(False))


def test_spike_source_changed_between_runs():
    sim.setup(timestep=0.1)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0, 50.0], [7.0]]))
    src.record("spikes")
    sim.run(30.0)
    src.set(spike_times=[[40.0, 45.0], [60.0]])  # the 5 and 7 ms spikes were emitted
    sim.run(40.0)
    trains = src.get_data().segments[0].spiketrains
    assert [list(t.magnitude) for t in trains] == [[5.0, 40.0, 45.0], [7.0, 60.0]]


def test_reset_starts_a_new_segment_with_changes_kept():
    sim.setup(timestep=0.1, backend="nest")
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 30.0]))
    cell = sim.Population(2, sim.IF_curr_exp(tau_refrac=2.0))
    sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=5.0, delay=1.0))
    cell.record(["spikes", "v"])
    sim.run(50.0)
    cell[1:2].set(i_offset=0.9)
    sim.run(50.0)
    sim.reset()
    assert sim.get_current_time() == 0.0
    sim.run(100.0)
    block = cell.get_data()
    first, second = block.segments
    assert (first.name, second.name) == ("segment000", "segment001")
    # neuron 0: same input, nothing changed -> same spikes; neuron 1 keeps i_offset from t=0
    assert np.array_equal(first.spiketrains[0].magnitude, second.spiketrains[0].magnitude)
    assert len(second.spiketrains[1]) > len(first.spiketrains[1])
    assert cell.get("i_offset").tolist() == [0.0, 0.9]
    assert second.analogsignals[0].shape == (1001, 2)
    assert second.analogsignals[0].magnitude[0, 0] == -65.0  # initial value again


# --- (6) Projection.get ---------------------------------------------------------------------
def test_projection_get_returns_what_was_given():
    sim.setup(timestep=0.1, min_delay=0.1)
    pre = sim.Population(4, sim.SpikeSourceArray(spike_times=[10.0]))
    post = sim.Population(3, sim.IF_cond_exp())
    given = [(0, 1, 0.01, 1.5), (3, 0, 0.02, 0.7), (2, 2, 0.005, 3.2), (1, 1, 0.03, 0.1)]
    prj = sim.Projection(pre, post, sim.FromListConnector(given), receptor_type="inhibitory")
    weights, delays = prj.get(["weight", "delay"], format="array")
    for i, j, w, d in given:
        assert weights[i, j] == w and delays[i, j] == d
    assert np.isnan(weights).sum() == 12 - len(given)
    assert sorted(prj.get(["weight", "delay"], format="list")) == sorted(given)
    rng = sim.NumpyRNG(seed=3)
    dist = sim.RandomDistribution("uniform", (0.1, 0.2), rng=rng)
    prj2 = sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=dist))
    drawn = sim.RandomDistribution("uniform", (0.1, 0.2), rng=sim.NumpyRNG(seed=3))
    expected = drawn.next(12).reshape(3, 4).T  # PyNN draws column by column (post neuron)
    assert np.array_equal(prj2.get("weight", format="array"), expected)
    sim.run(20.0)
    assert np.array_equal(prj.get("weight", format="array"), weights, equal_nan=True)


def _pairs(prj):
    return np.array(prj.get("weight", format="list"))[:, :2].astype(int)


def test_fixed_total_number_connector_draws_as_pynn_and_honours_its_flags():
    """With its defaults the connections are PyNN 0.13's own, draw for draw; PyNN ignores
    allow_self_connections and with_replacement, hub.pynn honours them by redrawing."""
    from pyNN import connectors

    sim.setup(timestep=0.1)
    a = sim.Population(50, sim.IF_curr_exp(), label="a")
    b = sim.Population(60, sim.IF_curr_exp(), label="b")
    syn = sim.StaticSynapse(weight=0.1, delay=1.0)

    def drawn(connector_class, pre, post, **flags):
        rng = sim.NumpyRNG(seed=3)
        return _pairs(sim.Projection(pre, post, connector_class(700, rng=rng, **flags), syn))

    ours, pynn = (
        drawn(sim.FixedTotalNumberConnector, a, b),
        drawn(connectors.FixedTotalNumberConnector, a, b),
    )
    assert len(ours) == 700 and np.array_equal(ours, pynn)
    pynn_self = drawn(connectors.FixedTotalNumberConnector, a, a, allow_self_connections=False)
    assert (pynn_self[:, 0] == pynn_self[:, 1]).any()  # PyNN makes autapses anyway
    assert len(np.unique(pynn_self, axis=0)) < 700  # and multapses
    strict = dict(allow_self_connections=False, with_replacement=False)
    ours = drawn(sim.FixedTotalNumberConnector, a, a, **strict)
    assert len(ours) == 700 and not (ours[:, 0] == ours[:, 1]).any()
    assert len(np.unique(ours, axis=0)) == 700
    full = sim.Projection(a, a, sim.FixedTotalNumberConnector(2450, **strict), syn)
    assert len(np.unique(_pairs(full), axis=0)) == 2450  # every allowed pair once
    with pytest.raises(Exception, match="2451 connections from 2450 allowed pairs"):
        sim.Projection(a, a, sim.FixedTotalNumberConnector(2451, **strict), syn)
    sim.end()


# --- the rest of the API ------------------------------------------------------------------------
def test_write_data_and_procedural_api(tmp_path):
    import neo

    sim.setup(timestep=0.1)
    cells = sim.create(sim.IF_curr_exp(i_offset=1.0), n=3)
    src = sim.create(sim.SpikeSourcePoisson(rate=50.0), n=5)
    sim.connect(src, cells, weight=0.5, delay=1.0, p=1.0)
    sim.record(["spikes", "v"], cells, str(tmp_path / "cells.pkl"))
    sim.run(100.0)
    in_memory = cells.get_data()
    sim.end()
    loaded = neo.io.PickleIO(str(tmp_path / "cells.pkl")).read_block()
    for a, b in zip(in_memory.segments[0].spiketrains, loaded.segments[0].spiketrains):
        assert np.array_equal(a.magnitude, b.magnitude)
    assert sim.num_processes() == 1 and sim.rank() == 0
    assert "IF_cond_exp" in sim.list_standard_models()
    assert "IF_cond_exp_gsfa_grr" not in sim.list_standard_models()


def test_get_and_set_on_views_and_assemblies():
    sim.setup(timestep=0.1)
    a = sim.Population(5, sim.IF_curr_exp(tau_m=12.0))
    b = sim.Population(3, sim.IF_curr_exp())
    a[1:3].set(tau_m=30.0)
    assert a.get("tau_m").tolist() == [12.0, 30.0, 30.0, 12.0, 12.0]
    assert a[1:4][1:].get("tau_m").tolist() == [30.0, 12.0]
    (a + b).set(v_thresh=-52.0)
    assert (a + b).get("v_thresh") == -52.0
    a[0:2].initialize(v=-60.0)
    assert a.initial_values["v"].evaluate().tolist() == [-60.0, -60.0, -65.0, -65.0, -65.0]


# --- (4) what the hub cannot do: a HubError naming it ----------------------------------------
UNSUPPORTED = [
    "IF_cond_exp_gsfa_grr",
    "IF_facets_hardware1",
    "GIF_cond_exp",
    "SpikeSourceInhGamma",
    "MultiCompartmentNeuron",
    "ElectricalSynapse",
    "SimpleStochasticSynapse",
    "StochasticTsodyksMarkramSynapse",
    "MultiQuantalSynapse",
    "Vogels2011Rule",
]


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_unsupported_classes_raise_a_hub_error(name):
    with pytest.raises(hub.HubError, match=name) as info:
        getattr(sim, name)()
    assert isinstance(info.value, NotImplementedError)  # what PyNN's backends raise
    assert "; use" in str(info.value) or "use " in str(info.value)


def _stdp(**kw):
    args = dict(
        timing_dependence=sim.SpikePairRule(),
        weight_dependence=sim.AdditiveWeightDependence(),
    )
    return sim.STDPMechanism(**{**args, **kw})


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: _stdp(dendritic_delay_fraction=0.5), "dendritic_delay_fraction"),
        (lambda: sim.AdditiveWeightDependence(w_min=0.1), "w_min"),
        (lambda: _stdp(timing_dependence=sim.Vogels2011Rule()), "Vogels2011Rule"),
    ],
)
def test_unsupported_arguments_raise_a_hub_error(make, match):
    sim.setup()
    with pytest.raises(sim.UnsupportedError, match=match):
        make()


def test_unsupported_uses_raise_a_hub_error():
    from pyNN.standardmodels import cells

    sim.setup(timestep=0.1)
    with pytest.raises(hub.HubError, match="not a hub.pynn cell type"):
        sim.Population(2, cells.IF_cond_exp())
    hh = sim.Population(2, sim.HH_cond_exp())
    with pytest.raises(hub.HubError, match="'m'"):
        hh.initialize(m=0.3)
    with pytest.raises(Exception, match="receptor_type"):
        sim.Projection(hh, hh, sim.AllToAllConnector(), receptor_type="source_section.gap")
    p = sim.Population(3, sim.IF_curr_exp())
    prj = sim.Projection(p, p, sim.AllToAllConnector(), _stdp(weight=0.1))
    with pytest.raises(hub.HubError, match="initialize"):
        prj.initialize(u=0.1)
    prj.set(tau_plus=sim.RandomDistribution("uniform", (10.0, 20.0), rng=sim.NumpyRNG(1)))
    with pytest.raises(hub.HubError, match="'tau_plus' differs between connections"):
        sim.run(1.0)

    sim.setup(timestep=0.1)
    poisson = sim.Population(2, sim.SpikeSourcePoisson(start=[0.0, 5.0]))
    poisson.record("spikes")
    with pytest.raises(hub.HubError, match="start differs between neurons"):
        sim.run(1.0)


def test_changes_the_running_hub_cannot_take_raise_a_hub_error():
    sim.setup(timestep=0.1)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[3.0]))
    cells = sim.Population(2, sim.IF_curr_exp())
    prj = sim.Projection(src, cells, sim.OneToOneConnector())
    sim.run(10.0)
    for attempt, match in [
        (lambda: sim.Population(1, sim.IF_curr_exp()), "creating a Population"),
        (lambda: sim.Projection(src, cells, sim.OneToOneConnector()), "creating a Projection"),
        (lambda: cells.initialize(v=-60.0), "initialize"),
        (lambda: prj.set(weight=0.2), "set"),
    ]:
        with pytest.raises(hub.HubError, match=match):
            attempt()
    cells[:1].record("v")  # a new recording is taken (test_record_between_runs_...)
    with pytest.raises(hub.HubError, match=r"record\('v'\) at t = 10 ms for more neurons"):
        cells.record("v")
    sim.reset()
    prj.set(weight=0.2)  # fine between segments
    sim.run(5.0)


def test_without_pynn_the_import_says_what_to_install():
    code = (
        "import sys; sys.modules['pyNN'] = None\n"
        "try:\n    import hub.pynn\n"
        "except Exception as e:\n    print(type(e).__name__, e)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("HubError") and "pip install 'snn-hub[pynn]'" in out


def test_bad_backend_is_refused_before_any_simulator_runs():
    sim.setup(timestep=0.1, backend="no_such_backend")
    sim.Population(1, sim.IF_curr_exp())
    with pytest.raises(hub.HubError, match="no_such_backend"):
        sim.run(1.0)


# --- space, distance-dependent connectors and short-term plasticity ---------------------------
def _spatial(simulator, **setup):
    simulator.setup(timestep=0.1, min_delay=0.5, **setup)
    rng = simulator.NumpyRNG(seed=9)
    space = simulator.space
    a = simulator.Population(25, simulator.IF_cond_exp(), structure=space.Grid2D(dx=10, dy=10))
    b = simulator.Population(27, simulator.IF_cond_exp(), structure=space.Grid3D(dx=10))
    c = simulator.Population(
        20,
        simulator.IF_cond_exp(),
        structure=space.RandomStructure(space.Cuboid(50, 50, 50), rng=simulator.NumpyRNG(2)),
    )
    lists = []
    for pre, post in ((a, b), (b, c), (c, a)):
        prj = simulator.Projection(
            pre,
            post,
            simulator.DistanceDependentProbabilityConnector("exp(-d/20)", rng=rng),
            simulator.StaticSynapse(
                weight=lambda d: 0.01 * np.exp(-d / 30), delay=lambda d: 0.5 + d / 50
            ),
        )
        lists.append(sorted(prj.get(["weight", "delay"], format="list")))
    return lists


def test_distance_dependent_connections_as_pynn_nest(pynn_nest):
    theirs = _spatial(pynn_nest, spike_precision="on_grid")
    ours = _spatial(sim)
    for a, b in zip(theirs, ours):
        a, b = np.array(a), np.array(b)
        assert len(a) == len(b) > 0
        assert np.array_equal(a[:, :2], b[:, :2])  # the same connections
        assert np.allclose(a[:, 2], b[:, 2], rtol=1e-12, atol=0)  # weights (pA there)
        # delays: pyNN.nest reports NEST's, rounded to the grid; hub.pynn the given ones,
        # which the hub rounds the same way when it runs (floor(d/dt + 0.5) steps)
        assert np.array_equal(np.round(a[:, 3] / 0.1), np.floor(b[:, 3] / 0.1 + 0.5))
    sim.run(5.0)  # the hub accepts what PyNN made


def test_tsodyks_markram_runs_with_the_hub_rule():
    sim.setup(timestep=0.1)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[10.0, 110.0, 210.0]))
    cell = sim.Population(2, sim.IF_curr_exp(tau_syn_E=2.0))
    sim.Projection(
        src,
        cell,
        sim.OneToOneConnector(),
        sim.TsodyksMarkramSynapse(weight=2.0, delay=1.0, U=0.5, tau_rec=500.0),
    )
    cell.record("v")
    sim.run(250.0)
    v = cell.get_data().segments[0].analogsignals[0].magnitude[:, 0]
    peaks = [v[int(t * 10) : int((t + 9) * 10)].max() + 65.0 for t in (10.0, 110.0, 210.0)]
    assert peaks[0] > peaks[1] > peaks[2] > 0  # depression


# --- PyNN's own scenarios: initial values ------------------------------------------------------
def _one_neuron_v(simulator, **setup):
    simulator.setup(timestep=0.1, min_delay=0.5, **setup)
    cell = simulator.Population(1, simulator.IF_curr_exp(i_offset=1.0, tau_refrac=2.0))
    cell.record("v")
    simulator.run(50.0)
    initial = cell.initial_values["v"].evaluate(simplify=True)
    return cell.get_data().segments[0].analogsignals[0].magnitude[:, 0], initial


def test_one_neuron_population_records_v_as_pynn_nest(pynn_nest):
    theirs, their_initial = _one_neuron_v(pynn_nest, spike_precision="on_grid")
    ours, our_initial = _one_neuron_v(sim)
    assert our_initial == their_initial == -65.0 and np.ndim(our_initial) == 0
    assert ours[0] == -65.0 and len(ours) == len(theirs) == 501
    assert np.allclose(ours, theirs, rtol=0, atol=1e-12)
    assert ours.max() > -60.0  # it charges (and spikes: v_thresh -50 mV)


def test_initial_values_stay_lazy_but_random_ones_are_drawn_once():
    sim.setup(timestep=0.1)
    p = sim.Population(4, sim.IF_curr_exp())
    p.initialize(v=-60.0)
    assert p.initial_values["v"].evaluate(simplify=True) == -60.0  # PyNN's scalar
    p.initialize(v=sim.RandomDistribution("uniform", (-65.0, -55.0), rng=sim.NumpyRNG(5)))
    drawn = p.initial_values["v"].evaluate()
    assert np.array_equal(drawn, p.initial_values["v"].evaluate())  # not drawn again
    expected = sim.RandomDistribution("uniform", (-65.0, -55.0), rng=sim.NumpyRNG(5)).next(4)
    assert np.array_equal(drawn, expected)
    p[1:3].initialize(v=-70.0)
    assert p.initial_values["v"].evaluate().tolist() == [drawn[0], -70.0, -70.0, drawn[3]]


# --- PyNN's setup() keywords ---------------------------------------------------------------------
def _tiny_run(**setup):
    sim.setup(timestep=0.1, **setup)
    cell = sim.Population(1, sim.IF_curr_exp(i_offset=1.0))
    cell.record("spikes")
    sim.run(50.0)
    return cell.get_data().segments[0].spiketrains[0].magnitude


def test_pynn_setup_keywords_are_consumed_not_forwarded():
    plain = _tiny_run()
    assert len(plain) > 0
    unused = dict(t_flush=10.0, quit_on_end=False, debug=True, verbosity="error")
    assert np.array_equal(_tiny_run(**unused, filename="x.xml", label="VA"), plain)
    assert np.array_equal(_tiny_run(threads=2), plain)
    assert sim.simulator.state.engine.options == {"threads": 2}  # NEST declares threads
    with pytest.warns(sim.SpikePrecisionWarning, match="grid"):
        off = _tiny_run(spike_precision="off_grid")
    assert np.array_equal(off, plain)  # on the grid regardless: said, not silent
    with pytest.raises(hub.HubError, match="spike_precision"):
        sim.setup(spike_precision="exact")
    with pytest.raises(hub.HubError, match=r"unknown option\(s\) \['no_such_keyword'\]"):
        _tiny_run(no_such_keyword=1)


@pytest.mark.brian2
def test_threads_is_not_passed_to_a_backend_without_it():
    assert len(_tiny_run(backend="brian2", threads=2)) > 0
    assert "threads" not in sim.simulator.state.engine.options


# --- ACSource, NoisyCurrentSource, StepCurrentSource checks ------------------------------------
def _ac_run(simulator, runs=(120.0,), **setup):
    simulator.setup(timestep=0.1, min_delay=0.1, **setup)
    cells = simulator.Population(2, simulator.IF_curr_exp(tau_refrac=2.0, v_thresh=-50.0))
    ac = simulator.ACSource(
        start=20.0, stop=95.0, amplitude=1.2, offset=0.8, frequency=37.0, phase=30.0
    )
    cells[0:1].inject(ac)
    ac.record()
    cells.record(["v", "spikes"])
    for duration in runs:
        simulator.run(duration)
    block = cells.get_data()
    current = ac.get_data()
    return block.segments[0], np.asarray(current.magnitude).ravel()


def test_ac_source_as_pynn_nest(pynn_nest):
    """NEST's ac_generator through pyNN.nest (min_delay = timestep): the same V trace and
    spikes; the recorded current is the closed form sampled at the start of each step."""
    theirs, their_current = _ac_run(pynn_nest, spike_precision="on_grid")
    ours, current = _ac_run(sim)
    v_theirs, v_ours = theirs.analogsignals[0].magnitude, ours.analogsignals[0].magnitude
    assert v_ours.shape == v_theirs.shape == (1201, 2)
    assert np.abs(v_ours - v_theirs).max() < 1e-9
    assert len(ours.spiketrains[0]) >= 2 and len(ours.spiketrains[1]) == 0
    assert np.array_equal(ours.spiketrains[0].magnitude, theirs.spiketrains[0].magnitude)
    t = np.arange(1201) * 0.1
    on = (np.arange(1201) >= 200) & (np.arange(1201) < 950)  # from 20 ms to 95 ms
    expected = np.where(on, 0.8 + 1.2 * np.sin(2 * np.pi * 37.0 * (t - 20.0) / 1000 + np.pi / 6), 0)
    assert np.abs(current - expected).max() < 1e-12
    split, _ = _ac_run(sim, runs=(33.3, 50.0, 36.7))  # sampled run by run: the same
    assert np.array_equal(split.analogsignals[0].magnitude, v_ours)


def _noise_run(backend="nest", seed=42, **kw):
    sim.setup(timestep=0.1, min_delay=0.1, backend=backend, rng_seed=seed)
    cells = sim.Population(3, sim.IF_curr_exp(tau_refrac=2.0))
    noise = sim.NoisyCurrentSource(mean=0.4, stdev=0.3, start=10.0, stop=410.0, dt=0.5, **kw)
    cells.inject(noise)
    noise.record()
    cells.record("v")
    sim.run(200.0)
    sim.run(250.0)
    return cells.get_data().segments[0].analogsignals[0].magnitude, noise.get_data().magnitude


def test_noisy_current_source_is_drawn_per_interval_and_neuron():
    v, current = _noise_run()
    current = np.asarray(current).ravel()
    assert len(current) == 4501
    assert np.all(current[:100] == 0) and np.all(current[4100:] == 0)
    levels = current[100:4100].reshape(-1, 5)  # one amplitude per dt = 0.5 ms = 5 steps
    assert np.all(levels == levels[:, :1])
    z = (levels[:, 0] - 0.4) / 0.3  # 800 draws
    assert abs(z.mean()) < 4 / np.sqrt(800) and abs(z.std() - 1) < 0.1
    assert not np.array_equal(v[:, 0], v[:, 1])  # every neuron its own noise
    again, _ = _noise_run()
    assert np.array_equal(again, v)  # from the network seed
    other, _ = _noise_run(seed=43)
    assert not np.array_equal(other, v)
    with pytest.raises(ValueError, match="multiple of the time step"):
        sim.setup(timestep=0.1)
        noise = sim.NoisyCurrentSource(dt=0.25)
        sim.Population(1, sim.IF_curr_exp()).inject(noise)
        sim.run(1.0)


@pytest.mark.brian2
def test_noisy_current_source_same_on_brian2():
    v_nest, _ = _noise_run()
    v_brian2, _ = _noise_run(backend="brian2")
    assert np.abs(v_nest - v_brian2).max() < 1e-9


def test_step_current_source_times_checked_and_put_on_the_grid():
    sim.setup(timestep=0.1, min_delay=0.1)
    with pytest.raises(ValueError, match="negative"):
        sim.StepCurrentSource(times=[0.4, -0.6, 0.8], amplitudes=[0.5, -0.5, 0.5])
    with pytest.raises(ValueError, match="increasing"):
        sim.StepCurrentSource(times=[0.4, 0.2, 0.8], amplitudes=[0.5, -0.5, 0.5])
    step = sim.StepCurrentSource(times=[0.41, 0.42, 0.86], amplitudes=[0.5, -0.5, 0.5])
    assert np.allclose(step.times, [0.4, 0.9], rtol=0, atol=1e-12)
    assert list(step.amplitudes) == [-0.5, 0.5]  # of two times on one step, the last


# --- min_delay='auto', one connection changed, SpikeSourceArray order ---------------------------
def _auto_min_delay(simulator, **setup):
    simulator.setup(min_delay="auto", **setup)
    a = simulator.Population(3, simulator.IF_cond_exp())
    b = simulator.Population(4, simulator.IF_cond_exp())
    simulator.Projection(a, b, simulator.AllToAllConnector(), simulator.StaticSynapse(delay=0.7))
    simulator.Projection(b, a, simulator.AllToAllConnector(), simulator.StaticSynapse(delay=0.5))
    simulator.run(10.0)
    return simulator.get_min_delay()


def test_auto_min_delay_is_the_smallest_delay_as_on_pynn_nest(pynn_nest):
    assert _auto_min_delay(sim) == _auto_min_delay(pynn_nest, spike_precision="on_grid") == 0.5
    sim.setup(min_delay="auto")
    assert sim.get_min_delay() == 0.1  # one step before any connection


def test_one_connection_changed_through_connections():
    sim.setup(timestep=0.1)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[5.0]))
    cells = sim.Population(2, sim.IF_curr_exp())
    prj = sim.Projection(src, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=2.0))
    cells.record("v")
    connection = list(prj.connections)[1]
    connection.weight = 0.0
    connection.delay = 1.0
    assert prj.get(["weight", "delay"], format="list") == [(0, 0, 2.0, 0.1), (1, 1, 0.0, 1.0)]
    sim.run(20.0)
    v = cells.get_data().segments[0].analogsignals[0].magnitude
    assert v[:, 0].max() > -64.0 and np.all(v[:, 1] == -65.0)  # no input to neuron 1
    with pytest.raises(hub.HubError, match=r"connections\[1\].weight"):
        connection.weight = 1.0
    with pytest.raises(AttributeError):
        connection.presynaptic_index = 0


def test_unsorted_spike_times_are_refused_as_pynn_nest_does(pynn_nest):
    from pyNN.errors import InvalidParameterValueError

    for simulator in (pynn_nest, sim):
        simulator.setup()
        unsorted = simulator.SpikeSourceArray(spike_times=[[2.4, 4.8], [3.5, 9.6, 8.3]])
        with pytest.raises(InvalidParameterValueError):
            simulator.Population(2, unsorted)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0, 2.0]))
    with pytest.raises(InvalidParameterValueError):
        src.set(spike_times=[3.0, 2.0])


# --- SpikeSourceGamma, SpikeSourcePoissonRefractory: trains drawn in hub.pynn ---------------------
def _renewal_trains(simulator, celltype, runs=(20000.0,), **setup):
    simulator.setup(timestep=0.1, **setup)
    sources = simulator.Population(2, celltype)
    sources.record("spikes")
    for duration in runs:
        simulator.run(duration)
    return [st.magnitude for st in sources.get_data().segments[0].spiketrains]


@pytest.mark.parametrize(
    "make, mean_isi, dead",
    [
        (lambda s: s.SpikeSourceGamma(alpha=[4, 2], beta=[200.0, 100.0]), [20.0, 20.0], 0),
        (lambda s: s.SpikeSourcePoissonRefractory(rate=[50.0, 40.0], tau_refrac=5.0), [20, 25], 5),
    ],
)
def test_renewal_sources_against_nest(pynn_nest, make, mean_isi, dead):
    """The intervals have the mean and (gamma: 1/alpha, refractory: the dead time) the
    spread of NEST's generators, measured on pyNN.nest's trains of the same length."""
    ours = _renewal_trains(sim, make(sim))
    theirs = _renewal_trains(pynn_nest, make(pynn_nest), spike_precision="on_grid")
    for k, (a, b) in enumerate(zip(ours, theirs)):
        isi_a, isi_b = np.diff(a), np.diff(b)
        assert len(isi_a) > 700
        # mean interval within 5 standard errors of the expected one, as NEST's
        for isi in (isi_a, isi_b):
            assert abs(isi.mean() - mean_isi[k]) < 5 * isi.std() / np.sqrt(len(isi))
        assert abs(isi_a.std() / isi_a.mean() - isi_b.std() / isi_b.mean()) < 0.1
        assert isi_a.min() >= dead - 0.1 - 1e-9
    assert np.allclose(np.round(np.concatenate(ours) / 0.1), np.concatenate(ours) / 0.1)
    split = _renewal_trains(sim, make(sim), runs=(7000.0, 13000.0))  # drawn run by run
    assert all(np.array_equal(a, b) for a, b in zip(ours, split))


@pytest.mark.brian2
def test_renewal_source_trains_same_on_brian2():
    def make(s):
        return s.SpikeSourceGamma(alpha=3, beta=300.0)

    on_nest = _renewal_trains(sim, make(sim), runs=(500.0, 500.0))
    on_brian2 = _renewal_trains(sim, make(sim), runs=(500.0, 500.0), backend="brian2")
    assert sum(map(len, on_nest)) > 100
    assert all(np.array_equal(a, b) for a, b in zip(on_nest, on_brian2))


def test_native_rng_is_a_numpy_rng_of_the_seed_given_or_the_network_seed():
    sim.setup(rng_seed=77)
    given = sim.RandomDistribution("uniform", (0.0, 1.0), rng=sim.NativeRNG(seed=5)).next(4)
    expected = sim.RandomDistribution("uniform", (0.0, 1.0), rng=sim.NumpyRNG(seed=5)).next(4)
    assert np.array_equal(given, expected)
    network = sim.RandomDistribution("uniform", (0.0, 1.0), rng=sim.NativeRNG()).next(4)
    assert np.array_equal(
        network, sim.RandomDistribution("uniform", (0.0, 1.0), rng=sim.NumpyRNG(77)).next(4)
    )


# --- PyNN's composed neurons (PointNeuron) ----------------------------------------------------
def _monolith_and_composed(backend="nest"):
    """IF_curr_exp and its composed form (LIF + two CurrExpPostSynapticResponse) with the
    same parameters and the same input.  Returns the two populations' first segments."""
    sim.setup(timestep=0.1, min_delay=1.0, backend=backend)
    params = dict(tau_m=10.0, v_rest=-60.0, v_thresh=-55.0, tau_refrac=2.0, cm=0.5)
    monolith = sim.Population(
        4, sim.IF_curr_exp(tau_syn_E=1.0, tau_syn_I=2.0, **params), label="monolith"
    )
    composed = sim.Population(
        4,
        sim.PointNeuron(
            sim.LIF(**params),
            excitatory=sim.CurrExpPostSynapticResponse(tau_syn=1.0),
            inhibitory=sim.CurrExpPostSynapticResponse(tau_syn=2.0),
        ),
        label="composed",
    )
    for pop in (monolith, composed):
        pop.initialize(v=np.linspace(-60.0, -57.0, 4))
    times = [list(np.arange(5.0 + k, 200.0, 7.5 + k)) for k in range(6)]
    src = sim.Population(6, sim.SpikeSourceArray(spike_times=times))
    draw = np.random.default_rng(5)
    exc = [(i, j, draw.uniform(1.0, 3.0), 1.0) for i in range(4) for j in range(4)]
    exc = [c for c in exc if draw.uniform() < 0.7]
    for pop in (monolith, composed):  # the same connections onto each
        sim.Projection(src, pop, sim.FromListConnector(exc), receptor_type="excitatory")
        sim.Projection(
            src[4:],
            pop,
            sim.AllToAllConnector(),
            sim.StaticSynapse(weight=-0.4, delay=1.5),
            receptor_type="inhibitory",
        )
    monolith.record(["spikes", "v"])
    composed.record(["spikes", "v", "excitatory.isyn", "inhibitory.isyn"])
    sim.run(200.0)
    return monolith.get_data().segments[0], composed.get_data().segments[0]


def test_composed_lif_is_if_curr_exp():
    """The composed LIF gives exactly IF_curr_exp's spikes and v; its synaptic currents are
    recorded under PyNN's names (the hub's isyn_exc, isyn_inh)."""
    monolith, composed = _monolith_and_composed()
    assert sum(len(t) for t in composed.spiketrains) > 20
    for a, b in zip(monolith.spiketrains, composed.spiketrains, strict=True):
        assert np.array_equal(a.magnitude, b.magnitude)
    signals = {s.name: s for s in composed.analogsignals}
    assert sorted(signals) == ["excitatory.isyn", "inhibitory.isyn", "v"]
    assert np.array_equal(monolith.analogsignals[0].magnitude, signals["v"].magnitude)
    assert str(signals["excitatory.isyn"].units.dimensionality) == "nA"
    assert signals["excitatory.isyn"].magnitude.max() > 0.5
    assert signals["inhibitory.isyn"].magnitude.min() < -0.3


def test_composed_neuron_parameters_under_pynn_names():
    sim.setup(timestep=0.1)
    celltype = sim.PointNeuron(
        sim.AdExp(tau_m=12.0),
        excitatory=sim.CondAlphaPostSynapticResponse(tau_syn=2.0, e_syn=5.0),
        inhibitory=sim.AlphaPSR(tau_syn=4.0, e_syn=-75.0),
    )
    cells = sim.Population(3, celltype)
    assert cells.get("excitatory.e_syn") == 5.0 and cells.get("inhibitory.tau_syn") == 4.0
    assert cells.native_values["e_rev_I"].tolist() == [-75.0] * 3
    cells[1:].set(**{"excitatory.tau_syn": 3.0}, a=2.0)
    assert cells.get("excitatory.tau_syn").tolist() == [2.0, 3.0, 3.0]
    assert cells.native_values["tau_syn_E"].tolist() == [2.0, 3.0, 3.0]
    cells.initialize(**{"excitatory.gsyn": 0.01}, w=0.1)
    cells.record(["v", "w", "excitatory.gsyn"])
    sim.run(5.0)
    signals = {s.name: s for s in cells.get_data().segments[0].analogsignals}
    assert signals["excitatory.gsyn"].magnitude[0, 0] == 0.01  # the initial value used
    assert 0 < signals["excitatory.gsyn"].magnitude[-1, 0] < 0.01  # decaying
    assert signals["w"].magnitude[0, 0] == 0.1


@pytest.mark.parametrize(
    "neuron, receptor, model",
    [
        ("LIF", "CurrExpPostSynapticResponse", "IF_curr_exp"),
        ("LIF", "CondExpPostSynapticResponse", "IF_cond_exp"),
        ("LIF", "CondAlphaPostSynapticResponse", "IF_cond_alpha"),
        ("AdExp", "CondExpPostSynapticResponse", "EIF_cond_exp_isfa_ista"),
        ("AdExp", "CondAlphaPostSynapticResponse", "EIF_cond_alpha_isfa_ista"),
    ],
)
def test_each_composition_runs_as_its_hub_model(neuron, receptor, model):
    sim.setup(timestep=0.1)
    psr = getattr(sim, receptor)
    celltype = sim.PointNeuron(
        getattr(sim, neuron)(), excitatory=psr(tau_syn=3.0), inhibitory=psr(tau_syn=6.0)
    )
    assert celltype.hub_model == model
    cells = sim.Population(2, celltype)
    variable = "isyn" if receptor.startswith("Curr") else "gsyn"
    cells.record(["v", f"inhibitory.{variable}"])
    sim.run(2.0)
    net = sim.simulator.state.engine.network
    hub_model = net.population(cells.hub_label).model
    assert hub_model.value("tau_syn_I") == 6.0 and hub_model.label == hub.model(model).label
    assert [p.variable for p in net.probes] == ["v", f"{variable}_inh"]


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: sim.PointNeuron(
                sim.LIF(),
                AMPA=sim.CurrExpPostSynapticResponse(),
                NMDA=sim.CurrExpPostSynapticResponse(),
                GABAA=sim.CurrExpPostSynapticResponse(),
            ),
            r"PointNeuron\(LIF, AMPA=CurrExp.*receptors \['AMPA', 'GABAA', 'NMDA'\]",
        ),
        (
            lambda: sim.PointNeuron(
                sim.AdExp(),
                excitatory=sim.AlphaPSR(),
                inhibitory=sim.AlphaPSR(),
                NMDA=sim.AlphaPSR(),
            ),
            "exactly two receptors",
        ),
        (
            lambda: sim.PointNeuron(
                sim.LIF(), excitatory=sim.ExpPSR(), inhibitory=sim.CondAlphaPostSynapticResponse()
            ),
            r"inhibitory=CondAlphaPostSynapticResponse\): no hub model",
        ),
        (
            lambda: sim.PointNeuron(
                sim.AdExp(), excitatory=sim.BetaPSR(), inhibitory=sim.BetaPSR()
            ),
            "CondBetaPostSynapticResponse",
        ),
        (
            lambda: sim.PointNeuron(
                sim.AdExp(),
                excitatory=sim.CurrExpPostSynapticResponse(),
                inhibitory=sim.CurrExpPostSynapticResponse(),
            ),
            "no hub model",
        ),
        (lambda: sim.PointNeuron(sim.LIF(), excitatory=sim.ExpPSR()), "exactly two"),
        (
            lambda: sim.PointNeuron(
                __import__("pyNN.standardmodels.cells").standardmodels.cells.LIF(),
                excitatory=sim.ExpPSR(),
                inhibitory=sim.ExpPSR(),
            ),
            "not a hub.pynn component",
        ),
    ],
)
def test_other_compositions_raise_a_hub_error_naming_them(make, match):
    sim.setup()
    with pytest.raises(sim.UnsupportedError, match=match) as info:
        make()
    assert "PointNeuron(" in str(info.value) and isinstance(info.value, NotImplementedError)


# --- record() between runs ------------------------------------------------------------------
def test_record_between_runs_reports_from_the_call_on_as_pynn_nest_from_the_start(pynn_nest):
    """record("v") and record("spikes") after run(50): the signal starts at t = 50 ms (its
    first sample the state at 50 ms) and every sample equals pyNN.nest's for the same network
    recorded from the start; the added spike trains start at 50 ms and hold pyNN.nest's
    spikes after 50 ms; trains recorded from the start are whole."""
    reference = pynn_scripts.record_late(pynn_nest, late=False, spike_precision="on_grid")
    ours = pynn_scripts.record_late(sim, late=True, backend="nest")
    (v_ref,), (v,) = reference.analogsignals, ours.analogsignals
    assert v.t_start == 50.0 * v.t_start.units and v.times[0] == v.t_start
    assert v.t_stop == v_ref.t_stop and v.sampling_period == v_ref.sampling_period
    assert v.shape == (501, 5)
    assert np.array_equal(v.magnitude, v_ref.magnitude[500:])
    assert [float(t.t_start) for t in ours.spiketrains] == [0.0, 0.0, 50.0, 50.0, 50.0]
    for neuron, (a, b) in enumerate(zip(reference.spiketrains, ours.spiketrains, strict=True)):
        expected = a.magnitude if neuron < 2 else a.magnitude[a.magnitude > 50.0]
        assert len(expected) > 5
        assert np.array_equal(np.round(b.magnitude / 0.1), np.round(expected / 0.1))


def test_pynn_nest_refuses_record_between_runs_of_a_population_it_ran(pynn_nest):
    """What pyNN.nest does with the same script (docs/pynn.md): its recording devices are
    connected at the first run, and adding neurons to one afterwards fails."""
    with pytest.raises(AssertionError):
        pynn_scripts.record_late(pynn_nest, late=True, spike_precision="on_grid")

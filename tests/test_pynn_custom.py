"""Custom neuron models (hub.define_neuron) in hub.pynn scripts: ``sim.custom_cell_type``.

A custom LIF written to reproduce NEST's ``iaf_psc_exp`` (the hub's ``IF_curr_exp``), run
from a hub.pynn script on Brian2, gives exactly (``np.array_equal``) the spikes and v of
(1) the same network written with the hub API and run with ``hub.run``, and (2) the same
script with ``sim.IF_curr_exp``.  Small networks, 150 ms each.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pyNN", reason="PyNN is not installed (pip install 'snn-hub[pynn]')")

import hub  # noqa: E402
from hub.equations import library  # noqa: E402
import hub.pynn as sim  # noqa: E402
from pyNN import errors  # noqa: E402

pytestmark = pytest.mark.brian2

DT, T, N, N_IN = 0.1, 150.0, 12, 30

#: NEST's iaf_psc_exp as equations; the parameters are IF_curr_exp's, with its defaults
LIF = library.lif_exp()


def _parameters():
    """Heterogeneous parameters: one value per neuron (and one shared value)."""
    rng = np.random.default_rng(7)
    return {
        "tau_m": rng.uniform(10.0, 30.0, N),
        "cm": rng.uniform(0.5, 1.5, N),
        "v_rest": rng.uniform(-70.0, -60.0, N),
        "i_offset": rng.uniform(0.3, 0.8, N),
        "tau_syn_E": rng.uniform(2.0, 6.0, N),
        "tau_refrac": 2.0,
    }


def _inputs():
    """Input spike times (ms, on the grid) and sorted (pre, post, weight, delay) lists of an
    excitatory and an inhibitory projection onto the N cells."""
    rng = np.random.default_rng(11)
    times = [np.unique(np.round(rng.uniform(1.0, T, 8), 1)) for _ in range(N_IN)]
    lists = {}
    for receptor, p, sign, delay in (("excitatory", 0.3, 1.0, 1.0), ("inhibitory", 0.2, -1.0, 1.5)):
        pre, post = np.nonzero(rng.random((N_IN, N)) < p)  # sorted by (pre, post)
        weight = sign * rng.uniform(0.2, 0.6, len(pre))
        lists[receptor] = (pre, post, weight, np.full(len(pre), delay))
    return times, lists


def _pynn_run(celltype, initial_values=None, source="array"):
    """The network as a hub.pynn script on Brian2: (spike times per neuron, v samples)."""
    sim.setup(timestep=DT, min_delay=DT, backend="brian2")
    times, lists = _inputs()
    if source == "array":
        inputs = sim.Population(N_IN, sim.SpikeSourceArray(spike_times=times), label="in")
    else:
        inputs = sim.Population(N_IN, sim.SpikeSourcePoisson(rate=40.0), label="in")
    cells = sim.Population(N, celltype, initial_values=initial_values or {}, label="p")
    for receptor, (pre, post, weight, delay) in lists.items():
        connections = list(zip(pre.tolist(), post.tolist(), weight.tolist(), delay.tolist()))
        sim.Projection(
            inputs,
            cells,
            sim.FromListConnector(connections, column_names=["weight", "delay"]),
            receptor_type=receptor,
            label=receptor,
        )
    cells.record(["spikes", "v"])
    sim.run(T)
    segment = cells.get_data().segments[0]
    spikes = [np.asarray(train.magnitude) for train in segment.spiketrains]
    (v,) = [s for s in segment.analogsignals if s.name == "v"]
    sim.end()
    return spikes, np.asarray(v.magnitude)


def _hub_run():
    """The same network with the hub API, run with hub.run on Brian2."""
    times, lists = _inputs()
    net = hub.Network(dt=DT, seed=42)
    net.add_source(hub.SpikeTimes(times=times), size=N_IN, label="in")
    net.add_population(N, LIF(**_parameters()), label="p")
    for receptor, (pre, post, weight, delay) in lists.items():
        net.connect(
            "in",
            "p",
            hub.FromArrays(pre, post, weight=weight, delay=delay),
            hub.Static(receptor=receptor),
            label=receptor,
        )
    net.record("p", "spikes")
    net.record("p", "v")
    results = hub.run(net, "brian2", T)
    trains = results.spikes("p")
    spikes = [np.asarray(trains.times[trains.indices == i], float) for i in range(N)]
    return spikes, results.signal("p", "v").values


def _assert_same(a, b):
    (spikes_a, v_a), (spikes_b, v_b) = a, b
    assert len(spikes_a) == len(spikes_b) == N
    for neuron, (x, y) in enumerate(zip(spikes_a, spikes_b)):
        assert np.array_equal(x, y), f"neuron {neuron}: {x} != {y}"
    assert sum(map(len, spikes_a)) > 20  # the network spikes
    assert v_a.shape == v_b.shape
    assert np.array_equal(v_a, v_b)


# --- the cell type -------------------------------------------------------------------------------
def test_cell_type_is_built_from_the_definition():
    MyLIF = sim.custom_cell_type(LIF)
    assert MyLIF is sim.custom_cell_type(LIF)  # one class per definition
    assert MyLIF.__name__ == "lif_exp"
    assert MyLIF.default_parameters == {
        "cm": 1.0,
        "tau_m": 20.0,
        "v_rest": -65.0,
        "v_reset": -65.0,
        "v_thresh": -50.0,
        "tau_refrac": 0.1,
        "i_offset": 0.0,
        "tau_syn_E": 5.0,
        "tau_syn_I": 5.0,
    }
    assert MyLIF.default_initial_values == {"v": -65.0, "I_ex": 0.0, "I_in": 0.0}
    assert MyLIF.recordable == ["spikes", "v", "I_ex", "I_in"]
    assert MyLIF.units["tau_m"] == "ms" and MyLIF.units["I_ex"] == "nA"
    assert MyLIF.receptor_types == ("excitatory", "inhibitory")
    assert not MyLIF.conductance_based
    assert MyLIF().get_native_names("tau_m", "cm") == ["tau_m", "cm"]  # identity translations


def test_unknown_parameter_is_named():
    MyLIF = sim.custom_cell_type(LIF)
    with pytest.raises(errors.NonExistentParameterError, match="tau_x"):
        MyLIF(tau_x=3.0)


# --- the same network three ways -----------------------------------------------------------------
def test_script_gives_the_hub_api_results():
    """Initial v not given: it starts at each neuron's v_rest, as the definition says (and as
    the hub does); the PyNN signal starts with that value at t = 0."""
    spikes, v = _pynn_run(sim.custom_cell_type(LIF)(**_parameters()))
    hub_spikes, hub_v = _hub_run()
    assert np.array_equal(v[0], _parameters()["v_rest"])
    _assert_same((spikes, v[1:]), (hub_spikes, hub_v))


@pytest.mark.parametrize("source", ["array", "poisson"])
def test_script_gives_the_results_of_if_curr_exp(source):
    """The same script with IF_curr_exp: one parameter as a RandomDistribution, one initial
    value drawn from one, the others arrays."""

    def celltype(cls):
        params = _parameters()
        params["tau_syn_I"] = sim.RandomDistribution("uniform", (3.0, 8.0), rng=sim.NumpyRNG(3))
        return cls(**params)

    def initial():
        return {"v": sim.RandomDistribution("uniform", (-66.0, -55.0), rng=sim.NumpyRNG(5))}

    custom = _pynn_run(celltype(sim.custom_cell_type(LIF)), initial(), source)
    standard = _pynn_run(celltype(sim.IF_curr_exp), initial(), source)
    _assert_same(custom, standard)


def test_set_get_and_initialize_as_for_standard_cells():
    sim.setup(timestep=DT, backend="brian2")
    cells = sim.Population(4, sim.custom_cell_type(LIF)(tau_m=[10.0, 12.0, 14.0, 16.0]))
    cells[1:3].set(cm=2.0)
    assert np.array_equal(cells.get("cm"), [1.0, 2.0, 2.0, 1.0])
    assert np.array_equal(cells.get("tau_m"), [10.0, 12.0, 14.0, 16.0])
    cells.set(v_rest=-60.0)  # the initial v was taken when the population was made
    assert np.array_equal(cells.initial_values["v"].evaluate(simplify=False), [-65.0] * 4)
    sim.initialize(cells, v=-58.0, I_ex=0.5)
    cells.record(["v", "I_ex"])
    sim.run(1.0)
    (i_ex,) = [s for s in cells.get_data().segments[0].analogsignals if s.name == "I_ex"]
    assert str(i_ex.units.dimensionality) == "nA" and i_ex.magnitude[0, 0] == 0.5
    sim.end()

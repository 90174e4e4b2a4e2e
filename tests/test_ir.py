"""The IR as data: save/load round trips and unit conversion."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import hub
from hub.ir import units
from hub.ir.units import UnitError


def rich_network():
    """A network using every kind of value the file format must carry."""
    rng = np.random.default_rng(0)
    net = hub.Network(dt=0.1, seed=7, label="rich", metadata={"author": "test", "n": 3})
    exc = net.add_population(
        40,
        hub.LIF(
            synapse="alpha",
            tau_m=rng.uniform(10, 30, 40),
            v_thresh=hub.Normal(-50.0, 1.0, low=-55.0, high=-45.0),
            cm="250 pF",
        ),
        label="exc",
    )
    exc.initialize(v=hub.Uniform(-65.0, -55.0), isyn_exc=0.0)
    inh = net.add_population(
        5, hub.model("IF_cond_exp", e_rev_I=[-70.0, -71, -72, -73, -74]), label="inh"
    )
    izh = net.add_population(3, hub.Izhikevich(a=0.02, d=8.0), label="izh")
    net.add_population(2, hub.AdEx(), label="adex")
    net.add_population(2, hub.HodgkinHuxley(), label="hh")
    poisson = net.add_source(hub.PoissonSource(rate=12.5, start=10.0), size=20, label="noise")
    trains = net.add_source(hub.SpikeTimes([[1.0, 2.5, 7.0], [], [3.3]]), size=3, label="trains")
    shared = net.add_source(hub.SpikeTimes([5.0, 6.0]), size=2, label="shared")
    many = net.add_source(hub.SpikeTimes(list(np.arange(1.0, 30.0, 1.0))), size=1, label="many")
    net.connect(poisson, exc, hub.FixedProbability(0.2), hub.Static(0.1, 1.5), label="in")
    net.connect(
        exc,
        exc,
        hub.FixedInDegree(5, allow_self_connections=False),
        hub.Static(hub.Uniform(0.01, 0.05), hub.Normal(2.0, 0.5, low=0.1)),
        label="ee",
    )
    net.connect(
        exc,
        inh,
        hub.FixedOutDegree(2, with_replacement=True, seed=99),
        hub.Static(0.002, 1.0),
        label="ei",
    )
    net.connect(inh, exc, hub.AllToAll(), hub.Static(-0.3, 0.8, receptor="inhibitory"), label="ie")
    net.connect(trains, izh, hub.OneToOne(), hub.Static(5.0, 1.0), label="ti")
    net.connect(shared, izh, hub.FromList([(0, 1, 2.0, 1.0), (1, 2, 3.0, 2.0)]), label="fl")
    net.connect(
        many,
        izh,
        hub.FromArrays(np.zeros(20, int), np.arange(20) % 3, weight=np.linspace(1, 2, 20)),
        label="fa",
    )
    net.inject(exc, hub.DCSource(0.5, start=5.0, stop=50.0), indices=[0, 1, 2])
    net.inject(izh, hub.StepCurrentSource([10.0, 20.0, 30.0], [0.001, 0.0, 0.002]))
    net.record(exc, "spikes", "v", interval=1.0, indices=np.arange(0, 40, 2))
    net.record(inh, "gsyn_inh")
    net.record(trains, "spikes")
    return net


def legacy_network():
    """:func:`rich_network` plus plastic synapses, a native Poisson source and unit strings:
    the network stored in ``tests/data/network_v1.npz`` (written by the format-1 code)."""
    net = rich_network()
    cells = net.add_population(4, hub.LIF(synapse="delta", tau_m="15 ms"), label="cells")
    dopa = net.add_source(hub.PoissonSource(rate="5 Hz", stop=80.0), size=2, label="dopa")
    native = net.add_source(hub.PoissonSource(rate=30.0, resolve="native"), size=5, label="native")
    net.connect(
        native, cells, hub.FixedProbability(0.5, seed=3), hub.Static(0.2, "1 ms"), label="nat"
    )
    stdp = net.connect(
        "noise",
        cells,
        hub.AllToAll(allow_self_connections=False),
        hub.Plastic(hub.STDP(pairing="nearest_symmetric", w_max=0.5), 0.1, 1.5),
        label="stdp",
    )
    net.connect(
        dopa,
        cells,
        hub.FixedInDegree(1),
        hub.Plastic(hub.DopamineSTDP(modulator=dopa, modulator_delay=2.0, w_max=1.0), 0.3),
        label="dopa_stdp",
    )
    net.connect(
        "trains",
        cells,
        hub.AllToAll(),
        hub.Plastic(hub.TsodyksMarkram(U=0.2, tau_fac="100 ms"), 0.4, 1.0, receptor="excitatory"),
        label="tm",
    )
    net.record(stdp, "weight", interval=1.0, indices=[0, 3])
    return net


def test_save_load_round_trip_is_equal(tmp_path):
    net = rich_network()
    path = hub.save(net, tmp_path / "net.npz")
    back = hub.load(path)
    assert back == net
    assert back.to_dict().keys() == net.to_dict().keys()
    assert [p.label for p in back.populations] == [p.label for p in net.populations]
    exc = back.population("exc")
    np.testing.assert_array_equal(
        exc.model.values["tau_m"], net.population("exc").model.values["tau_m"]
    )
    assert exc.model.values["v_thresh"] == hub.Normal(-50.0, 1.0, low=-55.0, high=-45.0)
    assert exc.initial_values["v"] == hub.Uniform(-65.0, -55.0)
    assert back.population("trains").model.times == [[1.0, 2.5, 7.0], [], [3.3]]
    assert back.population("noise").model.stop == math.inf
    assert back.injections[1].source.amplitudes == [0.001, 0.0, 0.002]
    assert back.metadata == {"author": "test", "n": 3}
    assert (back.dt, back.seed, back.label) == (0.1, 7, "rich")


def test_round_trip_resolves_to_the_same_arrays(tmp_path):
    net = rich_network()
    back = hub.load(hub.save(net, tmp_path / "net.npz"))
    a, b = hub.resolve(net, 50.0), hub.resolve(back, 50.0)
    for pa, pb in zip(a.projections, b.projections):
        for field in ("pre_idx", "post_idx", "weight", "delay_steps"):
            np.testing.assert_array_equal(getattr(pa, field), getattr(pb, field))
    for label in a.populations:
        for key, arr in a.populations[label].params.items():
            np.testing.assert_array_equal(arr, b.populations[label].params[key])
        for key, arr in a.populations[label].initial.items():
            np.testing.assert_array_equal(arr, b.populations[label].initial[key])
    for label in a.sources:
        np.testing.assert_array_equal(a.sources[label].stamps, b.sources[label].stamps)
        np.testing.assert_array_equal(a.sources[label].indices, b.sources[label].indices)
    for ia, ib in zip(a.injections, b.injections):
        np.testing.assert_array_equal(ia.stamps, ib.stamps)
        np.testing.assert_array_equal(ia.amplitudes, ib.amplitudes)


def test_a_changed_network_is_not_equal(tmp_path):
    net = rich_network()
    back = hub.load(hub.save(net, tmp_path / "net.npz"))
    back.population("exc").model.values["tau_m"][3] += 1e-12
    assert back != net
    other = rich_network()
    other.projections[0].synapse.delay = 1.6
    assert other != net


def test_saved_file_is_versioned_json_plus_arrays(tmp_path):
    path = hub.save(rich_network(), tmp_path / "net.npz")
    with np.load(path) as f:
        doc = json.loads(bytes(f["__network__"]).decode())
        assert all(k == "__network__" or k.startswith("a") for k in f.files)
    assert doc["format"] == "snn-hub-network" and doc["version"] == 1
    kinds = [p["model"]["kind"] for p in doc["populations"]]
    assert kinds[:5] == ["LIF", "LIFCond", "Izhikevich", "AdEx", "HodgkinHuxley"]


def test_save_is_atomic_and_load_rejects_foreign_files(tmp_path):
    net = rich_network()
    path = tmp_path / "net.npz"
    hub.save(net, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.npz"]  # no temp file left
    np.savez(tmp_path / "other.npz", x=np.arange(3))
    with pytest.raises(hub.ValidationError, match="not an snn-hub network file"):
        hub.load(tmp_path / "other.npz")


def test_newer_format_version_is_refused(tmp_path):
    net = hub.Network()
    net.add_population(1, hub.LIF())
    doc = net.to_dict()
    doc["version"] = 99
    np.savez(tmp_path / "new.npz", __network__=np.frombuffer(json.dumps(doc).encode(), np.uint8))
    with pytest.raises(hub.ValidationError, match="newer than this snn-hub.*upgrade"):
        hub.load(tmp_path / "new.npz")


# --- units ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, unit, expected",
    [
        ("20 ms", "ms", 20.0),
        ("0.02 s", "ms", 20.0),
        ("0.5 nS", "uS", 0.0005),
        ("250 pF", "nF", 0.25),
        ("-65 mV", "mV", -65.0),
        ("0.065 V", "mV", 65.0),
        ("100 pA", "nA", 0.1),
        ("5 Hz", "Hz", 5.0),
        ("1 kHz", "Hz", 1000.0),
        ("0.02 1/ms", "1/ms", 0.02),
        ("3", "ms", 3.0),
        ("2 µs", "ms", 0.002),
        (20.0, "ms", 20.0),
    ],
)
def test_unit_strings(value, unit, expected):
    assert units.convert(value, unit) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "value, unit",
    [("5 mV", "ms"), ("1 nA", "uS"), ("3 ms", "Hz"), ("2 furlongs", "ms"), ("fast", "ms")],
)
def test_wrong_units_are_errors_naming_the_expected_unit(value, unit):
    with pytest.raises(UnitError, match=unit.replace("/", ".")):
        units.convert(value, unit)


def test_arrays_pass_through_in_canonical_units():
    arr = np.array([1.0, 2.0])
    assert units.convert(arr, "ms") is arr


def test_unit_strings_in_a_model_are_converted_when_resolved():
    net = hub.Network(dt="0.1 ms", seed=1)
    net.add_population(2, hub.LIFCond(tau_m="0.02 s", cm="200 pF", tau_syn_E="5 ms"), label="p")
    r = hub.resolve(net, "10 ms")
    p = r.populations["p"].params
    assert r.dt == 0.1 and r.steps == 100
    np.testing.assert_allclose(p["tau_m"], [20.0, 20.0])
    np.testing.assert_allclose(p["cm"], [0.2, 0.2])


def test_conductance_weight_in_nS_becomes_uS():
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(2, hub.LIFCond(), label="a")
    net.connect(a, a, hub.OneToOne(), hub.Static(weight="6 nS", delay="1 ms"))
    proj = hub.resolve(net, 5.0).projections[0]
    np.testing.assert_allclose(proj.weight, [0.006, 0.006])
    np.testing.assert_array_equal(proj.delay_steps, [10, 10])


def test_brian2_quantities():
    b2 = pytest.importorskip("brian2")
    assert units.convert(20 * b2.ms, "ms") == pytest.approx(20.0)
    assert units.convert(0.5 * b2.nS, "uS") == pytest.approx(0.0005)
    assert units.convert(-65 * b2.mV, "mV") == pytest.approx(-65.0)
    assert units.convert(200 * b2.pF, "nF") == pytest.approx(0.2)
    assert units.convert(0.1 * b2.nA, "nA") == pytest.approx(0.1)
    assert units.convert(5 * b2.Hz, "Hz") == pytest.approx(5.0)
    assert units.convert(0.02 / b2.ms, "1/ms") == pytest.approx(0.02)
    assert units.convert(2 * b2.mV / b2.ms, "mV/ms") == pytest.approx(2.0)
    np.testing.assert_allclose(units.convert(np.array([10.0, 20.0]) * b2.ms, "ms"), [10, 20])
    with pytest.raises(UnitError, match="expected ms"):
        units.convert(5 * b2.mV, "ms")
    with pytest.raises(UnitError, match="expected uS"):
        units.convert(1 * b2.nA, "uS")
    # and through the IR
    net = hub.Network(dt=0.1 * b2.ms, seed=1)
    net.add_population(1, hub.LIF(tau_m=10 * b2.ms, v_thresh=-52 * b2.mV), label="p")
    p = hub.resolve(net, 1.0).populations["p"].params
    assert p["tau_m"][0] == pytest.approx(10.0) and p["v_thresh"][0] == pytest.approx(-52.0)


def test_every_parameter_declares_a_known_unit():
    from hub.ir.neurons import NEURON_MODELS

    for cls in NEURON_MODELS.values():
        for p in cls.parameters:
            units.dimension_of(p.unit)
        for s in cls.state:
            units.dimension_of(s.unit)


# --- files written by earlier versions --------------------------------------------------------
DATA = __import__("pathlib").Path(__file__).resolve().parent / "data"


def test_a_format_1_file_loads_equal_to_the_network_it_was_written_from():
    back = hub.load(DATA / "network_v1.npz")
    assert back == legacy_network()
    assert back.population("native").model.resolve == "native"
    rule = back.projections[-2].synapse.rule
    assert (rule.modulator, rule.modulator_delay) == ("dopa", 2.0)


def test_a_format_1_resolved_file_loads_the_same_arrays():
    from hub.resolved_io import load_resolved

    a, b = load_resolved(DATA / "resolved_v1.npz"), hub.resolve(legacy_network(), 5.0)
    assert a.steps == b.steps and list(a.populations) == list(b.populations)
    for pa, pb in zip(a.projections, b.projections):
        for name in ("pre_idx", "post_idx", "weight", "delay_steps"):
            np.testing.assert_array_equal(getattr(pa, name), getattr(pb, name))
        assert (pa.rule is None) == (pb.rule is None)
        if pa.rule is not None:
            assert pa.rule.rule == pb.rule.rule and pa.rule.params == pb.rule.params
    for label, src in b.sources.items():
        np.testing.assert_array_equal(a.sources[label].stamps, src.stamps)
        assert a.sources[label].native == src.native
    assert [p.model for p in a.populations.values()] == [p.model for p in b.populations.values()]


# --- kinds from outside hub (plugins) ----------------------------------------------------------
class MyLIF(hub.NeuronModel):
    """A vendor's leaky integrator: tau dV/dt = v_rest - V (V mV, t ms); spike at V >= v_th."""

    kind = "vendor.MyLIF"
    parameters = (
        hub.Param("tau", "ms", 10.0, "membrane time constant", "positive"),
        hub.Param("v_th", "mV", -50.0, "threshold"),
    )
    options = {"mode": ("fast", "exact")}
    state = (hub.State("v", "mV", -65.0, "membrane potential"),)


class MyRule(hub.Rule):
    """A vendor's rule: w <- w + eta at each presynaptic spike (eta in the weight unit)."""

    kind = "vendor.MyRule"
    parameters = (hub.Param("eta", "weight", 0.01, "step", "nonneg"),)


def vendor_network():
    net = hub.Network(dt=0.1, seed=1)
    src = net.add_source(hub.PoissonSource(rate=10.0), size=3, label="in")
    cells = net.add_population(4, MyLIF(tau=np.linspace(5, 20, 4), mode="exact"), label="v")
    net.connect(src, cells, hub.AllToAll(), hub.Plastic(MyRule(eta=0.02), 0.1), label="p")
    return net


def test_a_plugin_kind_round_trips_with_extra_kinds(tmp_path):
    from hub.ir.node import kinds_of

    net = vendor_network()
    assert net.populations[1].model.label == "vendor.MyLIF[mode=exact]"
    path = hub.save(net, tmp_path / "vendor.npz")
    back = hub.load(path, extra_kinds=kinds_of([MyLIF, MyRule]))
    assert back == net
    assert type(back.populations[1].model) is MyLIF
    np.testing.assert_array_equal(back.populations[1].model.values["tau"], np.linspace(5, 20, 4))
    assert back.projections[0].synapse.rule == MyRule(eta=0.02)
    assert hub.model("vendor.MyLIF", extra_kinds={"vendor.MyLIF": MyLIF}, tau=3.0) == MyLIF(tau=3.0)


def test_a_plugin_kind_without_extra_kinds_is_a_clear_error(tmp_path):
    path = hub.save(vendor_network(), tmp_path / "vendor.npz")
    with pytest.raises(hub.HubError) as err:
        hub.load(path)
    text = str(err.value)
    assert not isinstance(err.value, KeyError)
    for expected in [
        "populations[1](v).model",
        "'vendor.MyLIF'",
        "LIF, LIFCond",
        "install the plugin that provides 'vendor.MyLIF'",
        "extra_kinds",
    ]:
        assert expected in text, (expected, text)
    with pytest.raises(hub.HubError, match="unknown Rule kind 'vendor.MyRule'"):
        hub.load(path, extra_kinds={"vendor.MyLIF": MyLIF})
    with pytest.raises(hub.ValidationError, match="unknown neuron model 'vendor.MyLIF'"):
        hub.model("vendor.MyLIF")


def test_a_kind_of_the_wrong_category_and_bad_registrations_are_errors(tmp_path):
    from hub.ir.node import kinds_of

    path = hub.save(vendor_network(), tmp_path / "vendor.npz")
    with pytest.raises(hub.ValidationError, match="not a NeuronModel or Source"):
        hub.load(path, extra_kinds={"vendor.MyLIF": MyRule, "vendor.MyRule": MyRule})
    with pytest.raises(hub.PluginError, match="registered twice"):
        kinds_of([MyLIF, type("Other", (MyLIF,), {})])
    with pytest.raises(hub.PluginError, match="shadows a built-in kind"):
        kinds_of([type("LIF2", (hub.NeuronModel,), {"kind": "LIF"})])
    with pytest.raises(hub.PluginError, match="not an IR node class"):
        kinds_of([object])


def test_a_plugin_kind_in_a_resolved_file(tmp_path):
    from hub.resolved_io import load_resolved, save_resolved

    net = hub.Network(dt=0.1, seed=1)
    net.add_population(2, MyLIF(tau=np.array([4.0, 8.0])), label="v")
    path = save_resolved(hub.resolve(net, 1.0), tmp_path / "r.npz")
    back = load_resolved(path, extra_kinds={"vendor.MyLIF": MyLIF})
    assert back.populations["v"].model == net.populations[0].model
    with pytest.raises(hub.HubError, match="vendor.MyLIF"):
        load_resolved(path, extra_kinds={})


# --- loading runs the constructors --------------------------------------------------------------
def test_loading_builds_every_object_through_its_constructor(tmp_path):
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(2, hub.LIF(), label="a")
    net.connect(a, a, hub.OneToOne(), hub.Static(0.1, "1 ms"))
    doc = net.to_dict()
    doc["projections"][0]["connector"]["seed"] = 5  # OneToOne takes no seed
    with pytest.raises(hub.ValidationError, match="OneToOne.seed: 5 cannot be set"):
        hub.ir.io.from_dict(doc)
    doc = net.to_dict()
    doc["projections"][0]["synapse"]["weigth"] = 0.2
    with pytest.raises(hub.ValidationError, match="Static has no field 'weigth'"):
        hub.ir.io.from_dict(doc)
    old = net.to_dict()  # a file from before PoissonSource had `resolve`
    net.add_source(hub.PoissonSource(rate="20 Hz"), label="p")
    doc = net.to_dict()
    del doc["populations"][1]["model"]["resolve"]
    back = hub.ir.io.from_dict(doc)
    assert back.population("p").model == hub.PoissonSource(rate="20 Hz", resolve="hub")
    assert hub.ir.io.from_dict(old) != back


def test_public_constructors_keep_their_signatures():
    assert hub.FixedProbability(0.1, seed=3) == hub.FixedProbability(p=0.1, seed=3)
    assert hub.FixedInDegree(5, False, True, 2).with_replacement is True
    assert hub.Static(0.5, 1.5).delay == 1.5 and hub.Static(weight=0.5).receptor == "excitatory"
    rule = hub.STDP()
    assert hub.Plastic(rule, 0.2, 1.0).rule is rule
    assert hub.PoissonSource(rate=20.0).stop == math.inf
    assert hub.DCSource(0.5, 1.0).start == 1.0
    assert hub.StepCurrentSource([1.0], [0.2]).amplitudes == [0.2]
    assert hub.SpikeTimes([1.0]).label == "SpikeTimes"
    assert (
        repr(hub.FixedProbability(0.1))
        == "FixedProbability(p=0.1, allow_self_connections=True, seed=None, resolve='hub')"
    )
    assert hub.LIF(synapse="alpha").label == "LIF[synapse=alpha]"
    assert hub.STDP(pairing="all").label == "STDP[pairing=all,weight_dependence=additive]"
    with pytest.raises(TypeError):
        hub.OneToOne(seed=1)


# --- the IR is the bottom layer ------------------------------------------------------------------
def test_the_ir_imports_numpy_and_hub_errors_only():
    import ast
    from pathlib import Path

    folder = Path(hub.ir.__file__).parent
    allowed = {
        "numpy",
        "__future__",
        "collections",
        "contextlib",
        "dataclasses",
        "functools",
        "hashlib",
        "json",
        "math",
        "os",
        "re",
        "sys",
        "tempfile",
        "typing",
        "zipfile",
    }
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level == 1 or (node.level == 2 and node.module == "errors"):
                    continue
                assert node.level == 0, (path.name, node.module)
                names = [node.module.split(".")[0]]
            else:
                continue
            assert set(names) <= allowed, (path.name, names)
    assert "from .io" not in (folder / "network.py").read_text()
    assert not hasattr(hub.ir.serialize, "_ARRAYS")

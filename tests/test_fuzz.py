"""Property-based tests: generated networks and files, tests/strategies.py.

* every valid network runs on the engines of its family (the reference engine, the chip,
  the ODE reference; a sample on NEST and Brian2) and gives finite results of the shape its
  probes ask for;
* every network with one broken field is a HubError naming the field, raised before any
  simulator is touched (the ``sentinel`` backend fails if it is built);
* every damaged model or results file is a HubError, or reads as a network or results that
  the hub then validates, runs or reports without a raw exception.

``make test`` runs a few hundred derandomized cases (profile ``hub-fuzz``); ``make test-slow``
the ``*_slow`` variants, over 5,000 fresh cases (profile ``hub-fuzz-slow``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import hub
from tests.conftest import SentinelPlugin, SentinelTouched
from hub.errors import HubError
from hub.plugins import make_plugin_manager, reset_plugin_manager
from hub.testing.ode_reference import ODEReferencePlugin
from hub.testing.reference import ReferencePlugin
from strategies import NAN, Case, file_damage, invalid_cases, valid_networks

_COMMON = dict(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("hub-fuzz", derandomize=True, **_COMMON)
settings.register_profile("hub-fuzz-slow", derandomize=False, **_COMMON)
FAST, SLOW = settings.get_profile("hub-fuzz"), settings.get_profile("hub-fuzz-slow")


def fast(n):
    return settings(FAST, max_examples=n)


def slow(n):
    return settings(SLOW, max_examples=n)


@pytest.fixture(scope="module", autouse=True)
def engines():
    """The installed backends plus the kit's two reference engines and the sentinel."""
    pm = make_plugin_manager(plugins=[ReferencePlugin(), ODEReferencePlugin(), SentinelPlugin()])
    reset_plugin_manager(pm)
    yield pm
    reset_plugin_manager(None)


# --- valid networks run and give finite results ----------------------------------------------
def run_and_check(case: Case, backend: str) -> hub.Results:
    net, duration = case.net, case.duration
    note(repr(case))  # the whole network as JSON, for a failing example
    resolved = hub.resolve(net, duration)
    res = hub.run(resolved, backend=backend)
    steps = resolved.steps
    wanted_spikes = {p.population for p in resolved.probes if p.variable == "spikes"}
    assert set(res.spike_trains) == wanted_spikes, (sorted(res.spike_trains), wanted_spikes)
    for label, trains in res.spike_trains.items():
        assert trains.size == resolved.size_of(label)
        if len(trains):
            assert 0 <= trains.indices.min() and trains.indices.max() < trains.size
            assert 1 <= trains.stamps.min() and trains.stamps.max() <= steps
        for rate in res.summary()[label].values():
            assert math.isfinite(rate)
    for probe in resolved.probes:
        if probe.variable == "spikes":
            continue
        sig = res.signal(probe.population, probe.variable)
        stamps = probe.sample_stamps(steps)
        values = np.asarray(sig.values, float)
        assert values.shape == (len(stamps), len(np.unique(probe.indices))) or values.shape == (
            len(stamps),
            len(probe.indices),
        ), (values.shape, len(stamps), probe.indices)
        assert np.isfinite(values).all(), f"{probe.population}.{probe.variable} not finite"
        assert np.allclose(np.asarray(sig.times), stamps * resolved.dt)
    return res


def same_shape(a: hub.Results, b: hub.Results):
    """Two backends return the same recordings (spike trains per label, signal shapes)."""
    assert sorted(a.spike_trains) == sorted(b.spike_trains)
    assert sorted(a.signals) == sorted(b.signals)
    for key, sig in a.signals.items():
        assert np.shape(sig.values) == np.shape(b.signals[key].values), key


def check_shared(case):
    same_shape(run_and_check(case, "reference"), run_and_check(case, "chip"))


def check_family(case, backend):
    first = run_and_check(case, backend)
    if case.net.seed is not None and backend == "chip":  # reruns are bit-identical
        again = hub.run(case.net, backend=backend, duration=case.duration)
        for label, trains in first.spike_trains.items():
            assert trains == again.spike_trains[label]


@fast(60)
@given(valid_networks("shared"))
def test_valid_lif_network_runs_on_reference_and_chip(case):
    check_shared(case)


@fast(50)
@given(valid_networks("reference"))
def test_valid_network_runs_on_the_reference_engine(case):
    check_family(case, "reference")


@fast(50)
@given(valid_networks("chip"))
def test_valid_network_runs_on_the_chip(case):
    check_family(case, "chip")


@fast(8)
@given(valid_networks("ode", max_neurons=12))
def test_valid_conductance_network_runs_on_the_ode_reference(case):
    check_family(case, "ode-reference")


@pytest.mark.nest
@fast(8)
@given(valid_networks("simulators", max_neurons=20))
def test_valid_network_runs_on_nest(case):
    run_and_check(case, "nest")


@pytest.mark.brian2
@fast(3)
@given(valid_networks("simulators", max_neurons=20))
def test_valid_network_runs_on_brian2(case):
    run_and_check(case, "brian2")


# --- invalid networks: a HubError naming the field, before any simulator ---------------------
def check_invalid(broken):
    with pytest.raises(HubError) as err:
        net, duration = broken.build()
        hub.run(net, backend="sentinel", duration=duration)
    error = err.value
    assert not isinstance(error.__cause__, SentinelTouched), "the backend was built"
    assert not isinstance(error, hub.BackendError), error
    text = str(error)
    for fragment in broken.where:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


@fast(250)
@given(invalid_cases())
def test_invalid_network_is_a_hub_error_naming_the_field(broken):
    check_invalid(broken)


def test_the_sentinel_is_built_for_the_valid_base_network():
    """Control: the base network of every broken case does reach build."""
    from strategies import base_network

    with pytest.raises(hub.BackendError) as err:
        hub.run(base_network(), backend="sentinel", duration=10.0)
    assert isinstance(err.value.__cause__, SentinelTouched)


# --- damaged files ---------------------------------------------------------------------------
def _small_network():
    from strategies import base_network

    return base_network()


def _small_results():
    net = hub.Network(dt=0.1, seed=2)
    src = net.add_source(hub.PoissonSource(rate=200.0), size=3, label="src")
    pop = net.add_population(4, hub.LIF(), label="p")
    net.connect(src, pop, hub.AllToAll(), hub.Static(2.0, 1.0))
    net.record(pop, "spikes", "v")
    net.record(src, "spikes")
    return hub.run(net, backend="reference", duration=20.0)


def check_network_file(tmp_path, damage, compress):
    path = tmp_path / "model.npz"
    hub.save(_small_network(), path)
    if not compress:  # the same document, uncompressed (np.savez)
        members = np.load(path, allow_pickle=False)
        np.savez(path, **{k: members[k] for k in members.files})
    damage.apply(path, "__network__", compress)
    try:
        net = hub.load(path)
    except HubError:
        return
    # a file that still reads is a network the hub validates, and runs if it is valid
    try:
        net.validate()
    except HubError:
        return
    try:
        hub.run(net, backend="sentinel", duration=5.0)
    except hub.BackendError as exc:
        assert isinstance(exc.__cause__, SentinelTouched), exc
    except HubError:
        pass


def check_results_file(tmp_path, damage, compress, results):
    path = tmp_path / "run.npz"
    results.save(path)
    damage.apply(path, "__results__", compress)
    try:
        res = hub.Results.load(path)
    except HubError:
        return
    res.summary()
    for label in res.spike_trains:
        res.spikes(label).per_neuron()
    for key in res.signals:
        res.signal(*key)


@pytest.fixture(scope="module")
def results():
    return _small_results()


@fast(120)
@given(damage=file_damage(), compress=st.booleans())
def test_damaged_network_file_is_a_hub_error(tmp_path_factory, damage, compress):
    check_network_file(tmp_path_factory.mktemp("f"), damage, compress)


@fast(80)
@given(damage=file_damage(), compress=st.booleans())
def test_damaged_results_file_is_a_hub_error(tmp_path_factory, damage, compress, results):
    check_results_file(tmp_path_factory.mktemp("f"), damage, compress, results)


# --- the long runs (make test-slow): >= 5,000 cases ------------------------------------------
@pytest.mark.slow
@slow(700)
@given(valid_networks("shared"))
def test_valid_lif_network_runs_on_reference_and_chip_slow(case):
    check_shared(case)


@pytest.mark.slow
@slow(600)
@given(valid_networks("reference"))
def test_valid_network_runs_on_the_reference_engine_slow(case):
    check_family(case, "reference")


@pytest.mark.slow
@slow(600)
@given(valid_networks("chip"))
def test_valid_network_runs_on_the_chip_slow(case):
    check_family(case, "chip")


@pytest.mark.slow
@slow(60)
@given(valid_networks("ode", max_neurons=12))
def test_valid_conductance_network_runs_on_the_ode_reference_slow(case):
    check_family(case, "ode-reference")


@pytest.mark.slow
@pytest.mark.nest
@slow(150)
@given(valid_networks("simulators", max_neurons=20))
def test_valid_network_runs_on_nest_slow(case):
    run_and_check(case, "nest")


@pytest.mark.slow
@pytest.mark.brian2
@slow(25)
@given(valid_networks("simulators", max_neurons=20))
def test_valid_network_runs_on_brian2_slow(case):
    run_and_check(case, "brian2")


@pytest.mark.slow
@slow(2000)
@given(invalid_cases())
def test_invalid_network_is_a_hub_error_naming_the_field_slow(broken):
    check_invalid(broken)


@pytest.mark.slow
@slow(800)
@given(damage=file_damage(), compress=st.booleans())
def test_damaged_network_file_is_a_hub_error_slow(tmp_path_factory, damage, compress):
    check_network_file(tmp_path_factory.mktemp("f"), damage, compress)


@pytest.mark.slow
@slow(600)
@given(damage=file_damage(), compress=st.booleans())
def test_damaged_results_file_is_a_hub_error_slow(tmp_path_factory, damage, compress, results):
    check_results_file(tmp_path_factory.mktemp("f"), damage, compress, results)


# --- regressions: the failing examples hypothesis found, kept as explicit tests ---------------
def test_regression_tiny_connection_probability_terminates():
    """FixedProbability(5e-324): the geometric gaps saturated at 2**63 - 1 and their running
    sum overflowed, so resolve looped forever (found by valid_networks('shared'))."""
    net = hub.Network(dt=0.05, seed=7369031362967)
    src = net.add_source(hub.SpikeTimes([1.0]), size=3, label="s")
    pop = net.add_population(4, hub.LIF(), label="p")
    for p in (5e-324, 1e-300, 1e-20):
        net.connect(src, pop, hub.FixedProbability(p), hub.Static(0.1, 1.0))
    net.connect(src, pop, hub.FixedProbability(0.5), hub.Static(0.1, 1.0))
    counts = [proj.n for proj in hub.resolve(net, 5.0).projections]
    assert counts[:3] == [0, 0, 0] and 0 < counts[3] < 12


@pytest.mark.parametrize("interval, times", [(3.5, [3.5, 7.0, 10.5]), (20.0, [])])
def test_regression_a_probe_of_no_neurons(interval, times):
    """record(v, indices=[]) crashed the chip (reshape of an empty sample array), and the
    reference engines when the probe had no sample either (found by valid_networks)."""
    for backend, model in [
        ("chip", hub.LIF(i_offset=1.0)),
        ("reference", hub.LIF(i_offset=1.0)),
        ("ode-reference", hub.LIFCond(i_offset=1.0)),
    ]:
        net = hub.Network(dt=0.5, seed=573)
        pop = net.add_population(1, model, label="n1")
        net.record(pop, "spikes", indices=[0])
        net.record(pop, "v", interval=interval, indices=[])
        sig = hub.run(net, backend=backend, duration=12.3).signal("n1", "v")
        assert np.shape(sig.values) == (len(times), 0) and list(sig.times) == times, backend


REGRESSIONS = [
    # (what, make the broken network, fragments of the message); each was a raw exception or
    # a silent run before the fix
    ("label not text", lambda n: setattr(n.population("izh"), "label", 5), ["(5).label"]),
    ("empty label", lambda n: setattr(n.population("izh"), "label", ""), ["().label"]),
    ("size a string", lambda n: setattr(n.population("exc"), "size", "4"), ["(exc).size"]),
    ("size None", lambda n: setattr(n.population("exc"), "size", None), ["(exc).size"]),
    (
        "bogus synapse option",
        lambda n: setattr(n.population("dlt"), "model", hub.LIF(synapse="bogus")),
        ["(dlt).synapse", "'bogus' is not a LIF synapse"],
    ),
    ("model is a string", lambda n: setattr(n.population("exc"), "model", "LIF"), ["(exc).model"]),
    ("bytes as a number", lambda n: setattr(n, "dt", b"0.1"), ["dt", "is bytes"]),
    ("dt an array", lambda n: setattr(n, "dt", np.array([0.1])), ["dt", "not a number"]),
    (
        "DC start None",
        lambda n: setattr(n.injections[0], "source", hub.DCSource(amplitude=0.1, start=None)),
        ["injections[0](exc).start", "None is not a value"],
    ),
    (
        "DC amplitude an array",
        lambda n: setattr(n.injections[0], "source", hub.DCSource(amplitude=np.zeros(3))),
        ["injections[0](exc).amplitude", "give one number"],
    ),
    (
        "step times not numbers",
        lambda n: n.inject("exc", hub.StepCurrentSource(["x"], [0.1])),
        ["injections[2](exc).times"],
    ),
    (
        "step times NaN",
        lambda n: n.inject("exc", hub.StepCurrentSource([NAN], [0.1])),
        ["injections[2](exc).times", "NaN"],
    ),
    (
        "indices not integers",
        lambda n: setattr(n.injections[0], "indices", ["a"]),
        ["injections[0](exc).indices", "not a list of neuron indices"],
    ),
    (
        "indices nested",
        lambda n: n.record("exc", "v", indices=[[0]]),
        ["probes[3](exc.v).indices", "flat list"],
    ),
    (
        "from-arrays strings",
        lambda n: n.connect("exc", "izh", hub.FromArrays(["a", "b"], [0, 1])),
        ["projections[5](exc->izh).connector.pre"],
    ),
    (
        "initial value None",
        lambda n: n.population("exc").initialize(v=None),
        ["(exc).initial_values.v", "None is not a value"],
    ),
    (
        "initial value NaN",
        lambda n: n.population("exc").initialize(v=NAN),
        ["(exc).initial_values.v", "NaN"],
    ),
    (
        "delay distribution below dt",
        lambda n: setattr(n.projections[0], "synapse", hub.Static(0.1, hub.Uniform(-1.0, 1.0))),
        ["projections[0](input->exc).synapse.delay", "below dt"],
    ),
    (
        "weight distribution against the sign rule",
        lambda n: setattr(n.projections[0], "synapse", hub.Static(hub.Uniform(-0.1, 0.1), 1.0)),
        ["projections[0](input->exc).synapse.weight", "negative weight"],
    ),
    (
        "positive parameter from a distribution reaching 0",
        lambda n: setattr(n.population("exc"), "model", hub.LIF(tau_m=hub.Uniform(0.0, 1.0))),
        ["(exc).tau_m", "draws values from 0"],
    ),
]


@pytest.mark.parametrize("what, breaks, fragments", REGRESSIONS, ids=[r[0] for r in REGRESSIONS])
def test_regression_invalid_network(what, breaks, fragments):
    from strategies import Broken, base_network

    def build():
        net = base_network()
        breaks(net)
        return net, 10.0

    check_invalid(Broken(what, build, tuple(fragments)))


def _rewrite_doc(path, key, change):
    import json

    with np.load(path, allow_pickle=False) as f:
        members = {k: f[k] for k in f.files}
    doc = json.loads(bytes(members[key]).decode())
    change(doc, members)
    members[key] = np.frombuffer(json.dumps(doc).encode(), np.uint8)
    np.savez(path, **members)


def test_regression_network_file_with_a_list_as_label(tmp_path):
    """A probe's population replaced by [] in the JSON: TypeError (unhashable) in validation."""
    path = tmp_path / "m.npz"
    hub.save(_small_network(), path)
    _rewrite_doc(path, "__network__", lambda d, m: d["probes"][0].update(population=[]))
    with pytest.raises(HubError, match=r"probes\[0\]\(\[\]\.spikes\)\.population"):
        hub.load(path).validate()


@pytest.mark.parametrize(
    "change",
    [
        lambda d, m: d.update(provenance=None),  # AttributeError in summary()
        lambda d, m: m.update(s0_i=np.zeros(3, dtype=[("a", int)])),  # ValueError in load
    ],
    ids=["provenance None", "structured spike array"],
)
def test_regression_results_file(tmp_path, results, change):
    path = tmp_path / "r.npz"
    results.save(path)
    _rewrite_doc(path, "__results__", change)
    with pytest.raises(HubError, match="malformed"):
        hub.Results.load(path)


def test_regression_network_file_with_a_list_as_projection_label(tmp_path):
    """(make test-slow) A projection's label replaced by [] in the JSON: TypeError
    (unhashable) in validation."""
    path = tmp_path / "m.npz"
    hub.save(_small_network(), path)
    _rewrite_doc(path, "__network__", lambda d, m: d["projections"][0].update(label=[]))
    with pytest.raises(HubError, match=r"projections\[0\]\(.*\)\.label: \[\] is not a text"):
        hub.load(path).validate()


@pytest.mark.parametrize("dt", [None, "0.1", 0.0, -1.0])
def test_regression_results_file_with_a_broken_dt(tmp_path, results, dt):
    """(make test-slow) A spike train's dt replaced by None: TypeError computing its times."""
    path = tmp_path / "r.npz"
    results.save(path)
    label = next(iter(results.spike_trains))
    _rewrite_doc(path, "__results__", lambda d, m: d["spikes"][label].update(dt=dt))
    with pytest.raises(HubError, match=r"\.dt: .* is not a time step"):
        hub.Results.load(path)


@pytest.mark.parametrize("seed", ["", 0.0, -1, True])
def test_regression_connector_seed(tmp_path, seed):
    """(make test-slow) A connector's seed replaced in the file passed validation and failed
    in numpy's SeedSequence while resolving; it is checked like the network's seed."""
    path = tmp_path / "m.npz"
    net = _small_network()
    hub.save(net, path)
    _rewrite_doc(
        path, "__network__", lambda d, m: d["projections"][0]["connector"].update(seed=seed)
    )
    with pytest.raises(HubError, match=r"projections\[0\]\(.*\)\.connector\.seed"):
        hub.resolve(hub.load(path), 10.0)


def test_regression_results_file_with_a_broken_duration(tmp_path, results):
    """(make test-slow) provenance.duration replaced by a mapping: TypeError in summary()."""
    path = tmp_path / "r.npz"
    results.save(path)
    _rewrite_doc(path, "__results__", lambda d, m: d["provenance"].update(duration={}))
    with pytest.raises(HubError, match="provenance duration"):
        hub.Results.load(path)


def test_regression_damaged_zip_headers(tmp_path, results):
    """(make test-slow) Bytes changed in a zip header raised NotImplementedError ('That
    compression method is not supported') from zipfile; every way a damaged archive fails to
    read is a HubError."""
    path = tmp_path / "r.npz"
    results.save(path)
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02", data.index(b"__results__") + 1)
    data[central + 10 : central + 12] = (99).to_bytes(2, "little")  # compression method 99
    path.write_bytes(bytes(data))
    with pytest.raises(HubError, match="not a readable document .NotImplementedError"):
        hub.Results.load(path)


def test_regression_a_value_of_an_unexpected_type_breaking_a_check(monkeypatch):
    """Validation itself never raises a raw exception: a check broken by a value of a type it
    does not foresee reports it as a diagnostic."""
    from hub.ir import validation

    def broken(*args):
        raise TypeError("unhashable type: 'dict'")

    monkeypatch.setattr(validation, "_check_projection", broken)
    with pytest.raises(hub.ValidationError, match="unexpected type .TypeError: unhashable"):
        _small_network().validate()


@pytest.mark.nest
def test_regression_nest_injection_into_no_neurons():
    """(make test-slow) A current injection with indices=[]: IndexError building NEST's
    step_current_generator connections.  It changes nothing, on every backend."""
    net = hub.Network(dt=0.1, seed=0)
    pop = net.add_population(1, hub.LIF(), label="n0")
    net.inject(pop, hub.DCSource(amplitude=0.0, start=1.0, stop=float("inf")), indices=[])
    net.inject(pop, hub.DCSource(amplitude=0.5, start=0.2), indices=[0])
    net.record(pop, "v")
    v = {
        b: hub.run(net, backend=b, duration=1.0).signal("n0", "v").values for b in ("nest", "chip")
    }
    alone = hub.Network(dt=0.1, seed=0)
    p2 = alone.add_population(1, hub.LIF(), label="n0")
    alone.inject(p2, hub.DCSource(amplitude=0.5, start=0.2), indices=[0])
    alone.record(p2, "v")
    np.testing.assert_array_equal(
        v["nest"], hub.run(alone, backend="nest", duration=1.0).signal("n0", "v").values
    )
    assert v["chip"].shape == v["nest"].shape


@pytest.mark.nest
def test_regression_nest_native_poisson_after_the_run_and_probes_of_no_neurons():
    """Two NEST build errors found by valid_networks('simulators'): a native Poisson source
    starting after the end of the run (poisson_generator: stop >= start required) and a spike
    or state probe of no neurons (IllegalConnection: empty NodeCollection)."""
    net = hub.Network(dt=0.1, seed=0)
    pop = net.add_population(1, hub.LIF(), label="n0")
    net.add_source(hub.PoissonSource(rate=10.0, start=1.0, resolve="native"), label="s0")
    net.connect("s0", "n0", hub.AllToAll(), hub.Static(0.5, 1.0))
    net.record(pop, "spikes", indices=[])
    net.record(pop, "v", indices=[])
    res = hub.run(net, backend="nest", duration=0.5)
    assert len(res.spikes("n0")) == 0 and np.shape(res.signal("n0", "v").values) == (5, 0)

"""The plugin host: third-party distributions made on the fly, loading failures, name clashes,
the autoload switch, and the backend registry seen from hub.run and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

import hub
from hub.cli import main
from hub.errors import HubError, PluginError
from hub.plugins import PluginLoadWarning, backend_specs, make_plugin_manager, reset_plugin_manager
from tests.conftest import TOY_PLUGIN


def chain_network():
    """source --1.0 ms--> a --0.15 ms--> b, delta synapses strong enough to fire at once."""
    net = hub.Network(dt=0.1, seed=1, label="chain")
    src = net.add_source(hub.SpikeTimes([1.0]), size=1, label="src")
    a = net.add_population(1, hub.LIF(synapse="delta"), label="a")
    b = net.add_population(2, hub.LIF(synapse="delta"), label="b")
    net.connect(src, a, hub.OneToOne(), hub.Static(weight=20.0, delay=1.0), label="in")
    net.connect(a, b, hub.AllToAll(), hub.Static(weight=20.0, delay=0.15), label="ab")
    net.record(src, "spikes")
    net.record(a, "spikes", "v")
    net.record(b, "spikes")
    return net


# --- discovery --------------------------------------------------------------------------------
def test_third_party_distribution_registers_a_backend(toy):
    specs = backend_specs(make_plugin_manager())
    assert "toy" in specs
    spec = specs["toy"]
    assert spec.distribution == "snn_hub_toy"
    assert spec.version == "0.1"
    assert spec.backend_class is toy.ToyBackend
    assert "neuron:LIF[synapse=delta]" in spec.backend_class().capabilities().features


def test_third_party_backend_runs_through_hub_run(toy):
    seen = []
    res = hub.run(chain_network(), backend="toy", duration=5.0, progress=seen.append, answer=42)
    # stamp s reaches its target in step s+D-1, so the target fires with stamp s+D
    assert list(res.spikes("src").stamps) == [10]
    assert list(res.spikes("a").stamps) == [20]  # D = 10 steps (1.0 ms)
    assert list(res.spikes("b").stamps) == [22, 22]  # D = floor(0.15*10 + 0.5) = 2 steps
    assert list(res.spikes("b").indices) == [0, 1]
    assert res.spikes("a").times[0] == pytest.approx(2.0)
    v = res.signal("a", "v")
    assert v.values.shape == (50, 1) and v.unit == "mV"
    assert v.times[0] == pytest.approx(0.1) and v.times[-1] == pytest.approx(5.0)
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)
    assert toy.RUNS[-1] == {"answer": 42}  # options reach the backend
    assert res.backend == "toy"
    assert res.provenance["versions"]["numpy"] == np.__version__
    assert set(res.timings) >= {"build_s", "run_s"}


def test_third_party_backend_runs_the_conformance_kit(toy):
    """The kit a third party runs: every applicable check passes on the toy engine."""
    testing = pytest.importorskip("hub.testing")
    outcomes = testing.check_backend("toy")
    failed = [(o.check, o.detail) for o in outcomes if o.status == "failed"]
    assert not failed
    assert any(o.status == "passed" for o in outcomes)


def test_toy_agrees_with_the_reference_engine(toy):
    reference = pytest.importorskip("hub.testing.reference")
    net = hub.Network(dt=0.1, seed=5)
    src = net.add_source(hub.PoissonSource(rate=50.0), size=30, label="input")
    cells = net.add_population(50, hub.LIF(synapse="delta", tau_refrac=2.0), label="cells")
    cells.initialize(v=hub.Uniform(-65.0, -52.0))
    net.connect(src, cells, hub.FixedProbability(0.3), hub.Static(1.5, 1.0), label="in")
    net.connect(
        cells,
        cells,
        hub.FixedProbability(0.1),
        hub.Static(hub.Uniform(0.5, 1.5), hub.Uniform(0.1, 3.0)),
        label="rec",
    )
    net.connect(
        cells,
        cells,
        hub.FixedProbability(0.05),
        hub.Static(-3.0, 0.7, receptor="inhibitory"),
        label="inh",
    )
    net.record(cells, "spikes", "v")
    res = hub.run(net, backend="toy", duration=200.0)
    ref = reference.simulate(hub.resolve(net, 200.0))
    assert len(ref.spikes("cells")) > 50
    assert res.spikes("cells") == ref.spikes("cells")
    np.testing.assert_allclose(
        res.signal("cells", "v").values, ref.signal("cells", "v").values, atol=1e-9
    )


# --- failures -----------------------------------------------------------------------------------
def test_plugin_that_raises_on_import_is_a_warning_naming_its_distribution(make_dist):
    make_dist(
        "snn_hub_broken",
        {"snn_hub_broken": "raise RuntimeError('boom at import')"},
        {"broken": "snn_hub_broken"},
    )
    make_dist("snn_hub_toy", {"snn_hub_toy": TOY_PLUGIN}, {"toy": "snn_hub_toy"})
    with pytest.warns(PluginLoadWarning, match="snn_hub_broken") as record:
        pm = make_plugin_manager()
    text = " ".join(str(w.message) for w in record)
    assert "boom at import" in text and "RuntimeError" in text
    assert "toy" in backend_specs(pm)  # the others still load


def test_plugin_that_raises_on_import_is_an_error_when_strict(make_dist):
    make_dist(
        "snn_hub_broken",
        {"snn_hub_broken": "raise RuntimeError('boom')"},
        {"broken": "snn_hub_broken"},
    )
    with pytest.raises(PluginError, match="snn_hub_broken") as err:
        make_plugin_manager(strict=True)
    assert isinstance(err.value.__cause__, RuntimeError)


def test_misspelt_hook_names_the_distribution(make_dist):
    source = """
        import hub

        @hub.hookimpl
        def hub_register_backend():   # missing 's': no such hook
            return []
    """
    make_dist("snn_hub_typo", {"snn_hub_typo": source}, {"typo": "snn_hub_typo"})
    with pytest.warns(PluginLoadWarning, match="snn_hub_typo.*hub_register_backend"):
        pm = make_plugin_manager()
    assert "snn_hub_typo:typo" not in dict(pm.list_name_plugin())
    with pytest.raises(PluginError, match="snn_hub_typo"):
        make_plugin_manager(strict=True)


def test_registration_hook_that_raises_is_a_warning(make_dist):
    source = """
        import hub

        @hub.hookimpl
        def hub_register_backends():
            raise ValueError("no licence server")
    """
    make_dist("snn_hub_flaky", {"snn_hub_flaky": source}, {"flaky": "snn_hub_flaky"})
    make_dist("snn_hub_toy", {"snn_hub_toy": TOY_PLUGIN}, {"toy": "snn_hub_toy"})
    pm = make_plugin_manager()
    with pytest.warns(PluginLoadWarning, match="snn_hub_flaky.*no licence server"):
        specs = backend_specs(pm)
    assert "toy" in specs


def test_two_distributions_with_the_same_backend_name_clash(make_dist):
    make_dist("snn_hub_toy", {"snn_hub_toy": TOY_PLUGIN}, {"toy": "snn_hub_toy"})
    make_dist("snn_hub_toy_fork", {"snn_hub_toy_fork": TOY_PLUGIN}, {"toy": "snn_hub_toy_fork"})
    pm = make_plugin_manager()
    with pytest.raises(PluginError) as err:
        backend_specs(pm)
    assert "'toy'" in str(err.value)
    assert "snn_hub_toy" in str(err.value) and "snn_hub_toy_fork" in str(err.value)


FAMILY_PLUGIN = """
from hub.backend import Backend, BackendSpec, Capabilities
from hub.hookspecs import hookimpl


class Family(Backend):
    def __init__(self, name):
        self.name = name

    def capabilities(self):
        return Capabilities(frozenset({"spike_source"}))

    def build(self, resolved, **options):
        raise NotImplementedError


@hookimpl
def hub_register_backends():
    return [BackendSpec("fam:*", Family, "a family of backends")]
"""


def test_a_backend_family_serves_every_prefixed_name(make_dist):
    """A spec named ``prefix:*`` is a family: ``prefix:<argument>`` makes its backend with
    the full name; the pattern itself is not a backend and names without an argument or
    with another prefix stay unknown, and the error shows the family's form."""
    make_dist("snn_hub_fam", {"snn_hub_fam": FAMILY_PLUGIN}, {"fam": "snn_hub_fam"})
    pm = make_plugin_manager()
    assert "fam:*" not in backend_specs(pm)
    assert pm.backend_families()["fam:*"].distribution == "snn_hub_fam"
    backend = pm.get_backend("fam:some.module")
    assert backend.name == "fam:some.module" and backend.translations == {}
    for name in ("fam:", "fam", "famx:y", "fam:*"[:-1]):
        with pytest.raises(HubError, match="unknown backend") as err:
            pm.get_backend(name)
        assert "fam:<argument>" in str(err.value)


def test_disable_autoload_switch(make_dist, monkeypatch):
    make_dist("snn_hub_toy", {"snn_hub_toy": TOY_PLUGIN}, {"toy": "snn_hub_toy"})
    monkeypatch.setenv("SNN_HUB_DISABLE_PLUGIN_AUTOLOAD", "1")
    pm = make_plugin_manager()
    assert [name for name, _ in pm.list_name_plugin()] == ["hub.core"]
    assert backend_specs(pm) == {}
    # explicit loading still works without discovery
    monkeypatch.setenv("SNN_HUB_PLUGINS", "snn_hub_toy")
    assert "toy" in backend_specs(make_plugin_manager())


def test_unknown_backend_lists_the_installed_ones(toy):
    net = chain_network()
    with pytest.raises(HubError, match="unknown backend 'toyy'") as err:
        hub.run(net, backend="toyy", duration=5.0)
    assert "must be one of" in str(err.value) and "toy" in str(err.value)


def test_capability_error_names_the_missing_feature(toy):
    net = hub.Network(dt=0.1, seed=1)
    net.add_population(3, hub.LIF(synapse="exp"), label="exc")
    with pytest.raises(hub.CapabilityError, match=r"neuron:LIF\[synapse=exp\]"):
        hub.run(net, backend="toy", duration=5.0)


def test_plugin_manager_is_made_on_first_use(fresh_hub):
    import hub.plugins as plugins

    assert plugins._DEFAULT is None
    pm = plugins.plugin_manager()
    assert plugins.plugin_manager() is pm
    reset_plugin_manager(None)
    assert plugins._DEFAULT is None


# --- the command line sees plugins ------------------------------------------------------------
def test_cli_backends_lists_the_toy(toy, capsys):
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "toy" in out and "snn_hub_toy" in out and "LIF[synapse=delta]" in out
    assert main(["backends", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["toy"]["distribution"] == "snn_hub_toy"
    assert rows["toy"]["version"] == "0.1"
    assert rows["toy"]["neuron_models"] == ["LIF[synapse=delta]"]


def test_cli_plugins_lists_the_toy(toy, capsys):
    assert main(["plugins", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {r["name"]: r for r in doc["plugins"]}
    assert rows["snn_hub_toy:toy"]["distribution"] == "snn_hub_toy"
    assert "hub_register_backends" in rows["snn_hub_toy:toy"]["hooks"]
    assert rows["hub.core"]["distribution"] == "snn-hub"


def test_cli_reports_broken_plugins_and_strict_fails(make_dist, capsys):
    make_dist(
        "snn_hub_broken",
        {"snn_hub_broken": "raise ImportError('no libfoo')"},
        {"broken": "snn_hub_broken"},
    )
    assert main(["plugins"]) == 0
    captured = capsys.readouterr()
    assert "warning" in captured.err and "snn_hub_broken" in captured.err
    assert "failed" in captured.out and "no libfoo" in captured.out
    assert main(["--strict", "backends"]) == 2
    err = capsys.readouterr().err
    assert "snn_hub_broken" in err and "Traceback" not in err
    assert main(["backends", "--strict"]) == 2

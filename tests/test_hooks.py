"""Every hook of hub/hookspecs.py, exercised through the host that calls it.

A hook without a ``test_hook_<name>`` here fails ``test_every_hook_has_a_test`` (a hook that
is declared but never called, or half-wired, cannot pass its own test).  Plugins are plain
objects registered on a fresh manager with the in-tree reference backend, so no simulator
is needed.
"""

from __future__ import annotations

import inspect
import sys

import numpy as np
import pytest

import hub
from hub import docgen, hookspecs
from hub.errors import Diagnostic, PluginError, ValidationError
from hub.plugins import PluginLoadWarning, make_plugin_manager, reset_plugin_manager
from hub.resolved_io import load_resolved, save_resolved
from hub.testing.reference import ReferenceBackend, ReferencePlugin


@pytest.fixture
def host(fresh_hub):
    """``host(*plugins)``: a default manager with the reference backend plus ``plugins``."""

    def make(*plugins):
        pm = make_plugin_manager(autoload=False, plugins=[ReferencePlugin(), *plugins])
        reset_plugin_manager(pm)
        return pm

    yield make
    reset_plugin_manager(None)


def one_cell(model=None):
    net = hub.Network(dt=0.1, seed=3, label="one")
    cell = net.add_population(1, model or hub.LIF(synapse="delta", i_offset=2.0), label="cell")
    net.record(cell, "spikes", "v")
    return net


HOOKS = sorted(
    n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("hub_")
)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    assert hasattr(sys.modules[__name__], f"test_hook_{hook}"), (
        f"hook {hook} has no test_hook_{hook} in tests/test_hooks.py"
    )


def test_every_declared_hook_is_a_hook_of_the_manager():
    assert HOOKS == sorted(
        n for n in dir(make_plugin_manager(autoload=False).hook) if n.startswith("hub_")
    )


# --- registration ------------------------------------------------------------------------------
def test_hook_hub_register_backends(host):
    calls = []

    class Twin:
        @hub.hookimpl
        def hub_register_backends(self):
            calls.append(1)
            return [hub.BackendSpec("twin", ReferenceBackend, "the reference again")]

    pm = host(Twin())
    assert set(pm.backend_specs()) == {"reference", "twin"}
    assert pm.backend_specs()["twin"].backend_class is ReferenceBackend
    res = hub.run(one_cell(), backend="twin", duration=20.0)
    ref = hub.run(one_cell(), backend="reference", duration=20.0)
    assert res.spikes("cell") == ref.spikes("cell") and len(ref.spikes("cell")) > 0
    assert calls == [1], "the registry is built once per plugin manager, not per run"


def test_hook_hub_register_backends_broken_plugin_is_a_warning(host):
    class Broken:
        @hub.hookimpl
        def hub_register_backends(self):
            raise RuntimeError("boom")

    pm = host(Broken())
    with pytest.warns(PluginLoadWarning, match="failed in hub_register_backends: RuntimeError"):
        assert set(pm.backend_specs()) == {"reference"}


def test_hook_hub_register_translations(host):
    """The host asks once per backend name and hands the merged entries to the backend
    object; the backend never calls the manager."""
    asked = []

    class Teach:
        @hub.hookimpl
        def hub_register_translations(self, backend_name):
            asked.append(backend_name)
            return {"vendor.Cell": f"entry for {backend_name}"}

    class Other:
        @hub.hookimpl
        def hub_register_translations(self):  # fewer arguments than the spec is allowed
            return None

    pm = host(Teach(), Other())
    backend = pm.get_backend("reference")
    assert backend.translations == {"vendor.Cell": "entry for reference"}
    pm.get_backend("reference")
    hub.run(one_cell(), backend="reference", duration=1.0)
    assert asked == ["reference"]
    assert hub.Backend.translations == {}, "the class default is never written"


def test_hook_hub_register_kinds(host, tmp_path):
    class MyLIF(hub.LIF):
        """A plugin's neuron kind: the hub's LIF under a namespaced name."""

        kind = "vendor.MyLIF"

    class Kinds:
        @hub.hookimpl
        def hub_register_kinds(self):
            return [MyLIF]

    pm = host(Kinds())
    assert pm.kinds() == {"vendor.MyLIF": MyLIF}
    # hub.load, hub.model, the worker's resolved files and the model docs all see the kind
    net = one_cell(MyLIF(tau_m=12.0, synapse="delta"))
    path = hub.save(net, tmp_path / "net.npz")
    back = hub.load(path)
    assert back == net and type(back.populations[0].model) is MyLIF
    assert back.populations[0].model.label == net.populations[0].model.label
    assert hub.model("vendor.MyLIF", tau_m=12.0) == MyLIF(tau_m=12.0)
    resolved = hub.resolve(net, 5.0)
    again = load_resolved(save_resolved(resolved, tmp_path / "r.npz"), pm.kinds())
    assert type(again.populations["cell"].model) is MyLIF
    assert "### `vendor.MyLIF`" in docgen.models_page(pm.kinds())
    reset_plugin_manager(make_plugin_manager(autoload=False, plugins=[ReferencePlugin()]))
    with pytest.raises(hub.HubError, match="vendor.MyLIF"):
        hub.load(path)  # without the plugin: a clear error, no KeyError

    class Unnamespaced:
        @hub.hookimpl
        def hub_register_kinds(self):
            return [hub.LIF]

    with pytest.raises(PluginError, match="namespaced"):
        host(Unnamespaced()).kinds()


# --- validation --------------------------------------------------------------------------------
def test_hook_hub_validate_network(host):
    seen = []

    class Strict:
        @hub.hookimpl
        def hub_validate_network(self, network, backend_name):
            seen.append(backend_name)
            if len(network.populations) > 0 and network.label == "one":
                return [
                    Diagnostic(
                        "label", "networks called 'one' are refused here", "rename the network"
                    )
                ]
            return []

    host(Strict())
    with pytest.raises(ValidationError, match="networks called 'one' are refused"):
        hub.run(one_cell(), backend="reference", duration=1.0)
    net = one_cell()
    net.label = "two"
    assert len(hub.run(net, backend="reference", duration=20.0).spikes("cell")) > 0
    assert seen == ["reference", "reference"]


# --- running -----------------------------------------------------------------------------------
def test_hook_hub_run_wrapper(host):
    """A wrapper sees the request (with the backend object the host made) and the results;
    the hub's own implementation runs last and stamps timings and provenance."""
    seen = {}

    class Wrap:
        @hub.hookimpl(wrapper=True)
        def hub_run_wrapper(self, request):
            seen["backend"] = request.backend
            seen["implementation"] = type(request.implementation).__name__
            results = yield
            results.extra["wrapped"] = True
            return results

    class Cache:
        @hub.hookimpl(tryfirst=True)
        def hub_run_wrapper(self, request):
            if request.resolved.label == "cached":
                return hub.Results(extra={"from": "cache"})
            return None

    host(Wrap(), Cache())
    res = hub.run(one_cell(), backend="reference", duration=20.0)
    assert seen == {"backend": "reference", "implementation": "ReferenceBackend"}
    assert res.extra["wrapped"] is True
    assert res.provenance["backend"] == "reference" and set(res.timings) >= {"build_s", "run_s"}
    v = res.signal("cell", "v")
    assert v.values.shape == (200, 1) and np.all(np.isfinite(v.values))
    net = one_cell()
    net.label = "cached"
    cached = hub.run(net, backend="reference", duration=20.0)
    assert cached.extra["from"] == "cache"  # firstresult: the cache stopped the call


# --- typed backend options, converted once by the host -------------------------------------------
def test_options_are_converted_once_by_the_host():
    opt = hub.Option("n", int, 1, "how many", minimum=1)
    assert opt.convert("3") == 3 and opt.convert(3) == 3 and opt.convert(None) is None
    with pytest.raises(hub.HubError, match=r"option n=0 must be an integer >= 1"):
        opt.convert(0)
    with pytest.raises(hub.HubError, match="must be an integer"):
        opt.convert(2.5)
    flag = hub.Option("f", bool)
    assert flag.convert("true") is True and flag.convert("0") is False
    with pytest.raises(hub.HubError, match="True or False"):
        flag.convert("maybe")
    mode = hub.Option("m", str, "a", choices=("a", "b"))
    with pytest.raises(hub.HubError, match="must be one of 'a', 'b'"):
        mode.convert("c")
    from hub.backend import convert_options

    declared = {"n": opt, "free": "an untyped option declared by its help text"}
    assert convert_options("x", declared, {"n": "2", "free": [1]}) == {"n": 2, "free": [1]}
    with pytest.raises(
        hub.HubError, match=r"x: unknown option\(s\) \['nn'\]; known: \['free', 'n'\]"
    ):
        convert_options("x", declared, {"nn": 2})


class _TextFormat:
    """A third-party model format: one LIF population, its size and tau_m as text
    (``120 20.0``), suffix ``.cells``; data only."""

    @staticmethod
    def load(spec, params=None, kinds=None):
        size, tau_m = open(spec).read().split()
        net = hub.Network(dt=0.1, seed=1, label="cells")
        net.add_population(int(size), hub.LIF(tau_m=float(tau_m)), label="cells")
        return net

    @staticmethod
    def save(network, path):
        pop = network.populations[0]
        with open(path, "w") as f:
            f.write(f"{pop.size} {pop.model.value('tau_m')}")
        return str(path)

    @hub.hookimpl
    def hub_register_formats(self):
        from hub.formats import ModelFormat

        return [ModelFormat("cells", (".cells",), self.load, self.save, description="text")]


def test_hook_hub_register_formats(host, tmp_path):
    """A plugin's format serves hub.load, hub.save and the command line's MODEL; the hub's
    own formats come through the same hook; a suffix claimed twice is a PluginError."""
    pm = host(_TextFormat())
    assert {"hub", "builder", "cells"} <= set(pm.formats())
    assert pm.formats()["hub"].distribution == "snn-hub"
    path = tmp_path / "model.cells"
    path.write_text("7 12.5")
    net = hub.load(path)
    assert net.populations[0].size == 7 and net.populations[0].model.value("tau_m") == 12.5
    assert hub.save(net, tmp_path / "copy.cells") == str(tmp_path / "copy.cells")
    assert (tmp_path / "copy.cells").read_text() == "7 12.5"
    assert hub.save(net, tmp_path / "copy.npz").endswith("copy.npz")
    assert hub.load(tmp_path / "copy.npz") == net
    from hub.api import load_model

    loaded = load_model(str(path))
    assert loaded.network == net and loaded.duration is None and loaded.source == str(path)
    with pytest.raises(hub.HubError, match="no model format writes '.txt'"):
        hub.save(net, tmp_path / "x.txt")

    class Clash:
        @hub.hookimpl
        def hub_register_formats(self):
            from hub.formats import ModelFormat

            return [ModelFormat("other", (".cells",), _TextFormat.load)]

    pm = host(_TextFormat())
    pm.register(Clash(), name="clash")
    pm.distributions["clash"] = "clash-dist"
    with pytest.raises(PluginError, match="clashes with 'cells'"):
        pm.formats()


def test_hub_load_never_runs_a_builder_module(host, tmp_path):
    host()
    builder = tmp_path / "net.py"
    builder.write_text("raise SystemExit('this must not run')\n")
    with pytest.raises(hub.HubError, match="reads data files only"):
        hub.load(builder)
    with pytest.raises(hub.HubError, match="no known model format"):
        hub.load(tmp_path / "missing.xyz")

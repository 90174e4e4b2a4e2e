"""Plugins and signals: a plugin that calls sys.exit, returns the wrong
types or whose capabilities() raises is named and the rest keeps working; `snn-hub compare`
under SIGTERM leaves no temporary folder, no worker and no half-written report behind."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import hub
from hub.cli import main
from hub.comparison import atomic_path
from hub.errors import HubError, PluginError, Terminated
from hub.plugins import (
    PluginLoadWarning,
    backend_specs,
    make_plugin_manager,
    reset_plugin_manager,
)
from tests.conftest import TOY_PLUGIN

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def chain_network():
    net = hub.Network(dt=0.1, seed=1, label="chain")
    src = net.add_source(hub.SpikeTimes([1.0]), size=1, label="src")
    a = net.add_population(2, hub.LIF(synapse="delta"), label="a")
    net.connect(src, a, hub.AllToAll(), hub.Static(weight=20.0, delay=1.0), label="in")
    net.record(a, "spikes")
    return net


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "chain.npz"
    hub.save(chain_network(), path)
    return str(path)


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- sys.exit at import and in a hook -----------------------------------------------------------
def test_sys_exit_at_import_is_a_warning_and_the_rest_works(make_dist):
    make_dist(
        "snn_hub_quits", {"snn_hub_quits": "import sys\nsys.exit(3)"}, {"quits": "snn_hub_quits"}
    )
    make_dist("snn_hub_toy", {"snn_hub_toy": TOY_PLUGIN}, {"toy": "snn_hub_toy"})
    with pytest.warns(PluginLoadWarning, match=r"snn_hub_quits.*sys\.exit\(3\)"):
        pm = make_plugin_manager()
    assert "toy" in backend_specs(pm)
    [failure] = pm.failures
    assert (failure.distribution, failure.entry_point, failure.stage) == (
        "snn_hub_quits",
        "quits",
        "import",
    )
    with pytest.raises(PluginError) as err:
        pm.get_backend("quits")
    assert str(err.value).startswith(
        "backend 'quits': plugin 'snn_hub_quits' failed to load: SystemExit: it called sys.exit(3)"
    )
    with pytest.raises(PluginError, match="snn_hub_quits"):
        make_plugin_manager(strict=True)


def test_sys_exit_at_import_under_the_cli(make_dist, saved, capsys):
    make_dist(
        "snn_hub_quits", {"snn_hub_quits": "import sys\nsys.exit(0)"}, {"quits": "snn_hub_quits"}
    )
    make_dist("snn_hub_toy", {"snn_hub_toy": TOY_PLUGIN}, {"toy": "snn_hub_toy"})
    code, out, err = cli(capsys, "run", saved, "-b", "toy", "-t", "5", "--json")
    assert code == 0 and json.loads(out)["backend"] == "toy"  # not ended silently
    assert err.count("warning: ") == 1 and "snn_hub_quits" in err  # loaded once per command
    code, out, err = cli(capsys, "run", saved, "-b", "quits", "-t", "5")
    assert code == 2 and "Traceback" not in err
    assert "backend 'quits': plugin 'snn_hub_quits' failed to load: SystemExit" in err
    assert "unknown backend" not in err
    code, out, _ = cli(capsys, "plugins", "--json")
    doc = json.loads(out)
    assert code == 0 and any("snn_hub_quits" in f and "sys.exit(0)" in f for f in doc["failed"])
    assert "snn_hub_toy:toy" in {r["name"] for r in doc["plugins"]}
    code, out, _ = cli(capsys, "backends", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and rows["quits"]["failed"] and "sys.exit" in rows["quits"]["error"]
    assert rows["toy"]["neuron_models"] == ["LIF[synapse=delta]"]
    code, out, _ = cli(capsys, "backends")
    assert code == 0 and "failed: snn-hub plugin 'snn_hub_quits:quits'" in out


def test_keyboard_interrupt_at_import_is_not_swallowed(make_dist):
    make_dist("snn_hub_ctrlc", {"snn_hub_ctrlc": "raise KeyboardInterrupt"}, {"c": "snn_hub_ctrlc"})
    with pytest.raises(KeyboardInterrupt):
        make_plugin_manager()


def test_sys_exit_in_a_registration_hook(make_dist):
    source = """
        import sys
        import hub

        @hub.hookimpl
        def hub_register_backends():
            sys.exit("no licence")
    """
    make_dist("snn_hub_exits", {"snn_hub_exits": source}, {"exits": "snn_hub_exits"})
    make_dist("snn_hub_toy", {"snn_hub_toy": TOY_PLUGIN}, {"toy": "snn_hub_toy"})
    pm = make_plugin_manager()
    with pytest.warns(PluginLoadWarning, match="snn_hub_exits.*in hub_register_backends.*licence"):
        assert set(backend_specs(pm)) >= {"toy"}
    with pytest.raises(PluginError) as err:
        pm.get_backend("exits")
    assert "plugin 'snn_hub_exits' failed to load: SystemExit" in str(err.value)
    assert "(in hub_register_backends)" in str(err.value)


# --- wrong return types -------------------------------------------------------------------------
WRONG_TYPES = """
    import hub
    from hub.backend import BackendSpec
    from snn_hub_toy import ToyBackend

    @hub.hookimpl
    def hub_register_backends():
        return ["not a spec", BackendSpec("toy2", ToyBackend, "a good one"), BackendSpec("", 5)]

    @hub.hookimpl
    def hub_register_formats():
        return {"json": "a format?"}

    @hub.hookimpl
    def hub_register_kinds():
        return [42, dict]

    @hub.hookimpl
    def hub_register_translations(backend_name):
        return ["not", "a", "dict"]
"""


def test_wrong_return_types_are_warnings_naming_the_distribution(make_dist, saved):
    make_dist("snn_hub_toy", {"snn_hub_toy": TOY_PLUGIN}, {"toy": "snn_hub_toy"})
    make_dist("snn_hub_wrong", {"snn_hub_wrong": WRONG_TYPES}, {"wrong": "snn_hub_wrong"})
    pm = make_plugin_manager()
    reset_plugin_manager(pm)
    with pytest.warns(PluginLoadWarning) as record:
        specs = backend_specs(pm)
        formats = pm.formats()
        kinds = pm.kinds()
        backend = pm.get_backend("toy2")
    text = "\n".join(str(w.message) for w in record)
    assert "'snn_hub_wrong'" in text
    assert "in hub_register_backends: returned str 'not a spec' in its list" in text
    assert "a BackendSpec needs a name" in text
    assert "in hub_register_formats: returned dict" in text and "not a list" in text
    assert "in hub_register_kinds: returned int 42" in text
    assert "returned type <class 'dict'>, not an IR node class" in text
    assert "in hub_register_translations: returned list" in text
    assert {"toy", "toy2"} <= set(specs) and "hub" in formats
    assert kinds == {} and backend.translations == {}
    res = hub.run(chain_network(), backend="toy2", duration=5.0)  # the good spec works
    assert list(res.spikes("a").stamps) == [20, 20]
    with pytest.raises(PluginError, match="backend 'wrong': plugin 'snn_hub_wrong' failed"):
        pm.get_backend("wrong")  # the entry point's name: the failure is remembered


def test_a_single_spec_instead_of_a_list(make_dist):
    source = """
        import hub
        from hub.backend import BackendSpec
        from snn_hub_toy import ToyBackend

        @hub.hookimpl
        def hub_register_backends():
            return BackendSpec("single", ToyBackend)
    """
    make_dist("snn_hub_toy", {"snn_hub_toy": TOY_PLUGIN}, {"toy": "snn_hub_toy"})
    make_dist("snn_hub_single", {"snn_hub_single": source}, {"single": "snn_hub_single"})
    pm = make_plugin_manager()
    with pytest.warns(PluginLoadWarning, match="returned BackendSpec .*not a list"):
        assert "single" not in backend_specs(pm) and "toy" in backend_specs(pm)
    with pytest.raises(PluginError, match="backend 'single': plugin 'snn_hub_single' failed"):
        pm.get_backend("single")


def test_an_unknown_name_mentions_plugins_that_failed(make_dist):
    make_dist(
        "snn_hub_quits", {"snn_hub_quits": "import sys\nsys.exit(1)"}, {"quits": "snn_hub_quits"}
    )
    with pytest.warns(PluginLoadWarning):
        pm = make_plugin_manager()
    with pytest.raises(HubError, match="unknown backend 'other'.*failed to load: snn_hub_quits"):
        pm.get_backend("other")


def test_a_validator_that_exits_or_returns_junk_is_a_warning(toy):
    class Exits:
        @hub.hookimpl
        def hub_validate_network(self, network, backend_name):
            raise SystemExit(5)

    class Junk:
        @hub.hookimpl
        def hub_validate_network(self, network, backend_name):
            return "looks fine"

    class Strict:
        @hub.hookimpl
        def hub_validate_network(self, network, backend_name):
            return [hub.Diagnostic("label", "refused by Strict", "rename it")]

    pm = hub.plugins.plugin_manager()
    for plugin, name in ((Exits(), "exits"), (Junk(), "junk")):
        pm.register(plugin, name=name)
        pm.distributions[name] = f"{name}-dist"
    with pytest.warns(PluginLoadWarning) as record:
        res = hub.run(chain_network(), backend="toy", duration=5.0)
    assert list(res.spikes("a").stamps) == [20, 20]  # the run went on
    text = "\n".join(str(w.message) for w in record)
    assert "'exits-dist' failed in hub_validate_network: SystemExit" in text
    assert "'junk-dist' failed in hub_validate_network: returned str 'looks fine'" in text
    pm.register(Strict(), name="strict")
    with pytest.warns(PluginLoadWarning), pytest.raises(hub.ValidationError, match="Strict"):
        hub.run(chain_network(), backend="toy", duration=5.0)  # a working one still judges


# --- capabilities() that raises ----------------------------------------------------------------
BROKEN_CAPS = """
    import sys
    import hub
    from hub.backend import BackendSpec
    from hub.testing.reference import ReferenceBackend

    class Raises(ReferenceBackend):
        name = "capsraise"
        def capabilities(self):
            raise RuntimeError("no licence server")

    class Exits(ReferenceBackend):
        name = "capsexit"
        def capabilities(self):
            sys.exit(4)

    class Wrong(ReferenceBackend):
        name = "capswrong"
        def capabilities(self):
            return {"features": []}

    @hub.hookimpl
    def hub_register_backends():
        return [BackendSpec(c.name, c) for c in (Raises, Exits, Wrong)]
"""


@pytest.fixture
def broken_caps(tmp_path, monkeypatch, fresh_hub):
    """tests/compare_backends.py and a plugin whose backends' capabilities() fail, loaded
    by name here and in every worker; no autoload."""
    (tmp_path / "broken_caps.py").write_text(textwrap.dedent(BROKEN_CAPS))
    for path in (str(HERE), str(tmp_path)):
        monkeypatch.syspath_prepend(path)
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join([str(HERE), str(tmp_path), os.environ.get("PYTHONPATH", "")]),
    )
    monkeypatch.setenv("SNN_HUB_PLUGINS", "compare_backends,broken_caps")
    monkeypatch.setenv("SNN_HUB_DISABLE_PLUGIN_AUTOLOAD", "1")
    yield
    sys.modules.pop("broken_caps", None)


@pytest.mark.parametrize(
    "name, why",
    [
        ("capsraise", "capabilities() failed: RuntimeError: no licence server"),
        ("capsexit", "capabilities() failed: SystemExit: it called sys.exit(4)"),
        ("capswrong", "capabilities() returned dict {'features': []}, not a hub.Capabilities"),
    ],
)
def test_capabilities_that_fail_are_plugin_errors(broken_caps, name, why, saved, capsys):
    with pytest.raises(PluginError) as err:
        hub.run(chain_network(), backend=name, duration=5.0)
    assert f"backend {name!r} (distribution 'broken_caps'): {why}" in str(err.value)
    code, _, err_text = cli(capsys, "run", saved, "-b", name, "-t", "5")
    assert code == 2 and "Traceback" not in err_text and why in err_text
    code, _, err_text = cli(capsys, "check-backend", name)
    assert code == 2 and "Traceback" not in err_text and why in err_text
    code, out, _ = cli(capsys, "backends", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and why in rows[name]["error"]
    assert rows["steady"]["neuron_models"]  # the others are still listed
    code, out, _ = cli(capsys, "backends")
    assert code == 0 and f"{name}: unusable: backend {name!r}" in out


def test_compare_reports_a_backend_whose_capabilities_fail(broken_caps, saved, capsys):
    cmp = hub.compare(chain_network(), backends=["steady", "capsraise"], duration=5.0, timeout=60)
    assert cmp.runs["steady"].ok and len(cmp.runs["steady"].results.spikes("a")) == 2
    broken = cmp.runs["capsraise"]
    assert broken.status == "error" and "no licence server" in broken.error
    assert "distribution 'broken_caps'" in broken.error and not cmp.ok
    code, out, err = cli(capsys, "compare", saved, "-b", "steady,capsexit", "-t", "5", "--json")
    assert code == 1 and "Traceback" not in err  # exit 1: a backend did not run
    runs = {r["name"]: r for r in json.loads(out)["backends"]}
    assert runs["steady"]["status"] == "ok"
    assert runs["capsexit"]["status"] == "error" and "sys.exit(4)" in runs["capsexit"]["error"]


# --- atomic writes -------------------------------------------------------------------------------
def test_atomic_path_keeps_the_old_file_when_interrupted(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old")
    for exc in (KeyboardInterrupt, Terminated, OSError):
        with pytest.raises(exc):
            with atomic_path(target) as tmp:
                assert Path(tmp).parent == tmp_path and tmp.endswith(".html")
                Path(tmp).write_text("half")
                raise exc()
        assert target.read_text() == "old" and os.listdir(tmp_path) == ["report.html"]
    with atomic_path(target) as tmp:
        Path(tmp).write_text("new")
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["report.html"]


def test_compare_save_and_html_are_atomic(broken_caps, tmp_path, monkeypatch):
    cmp = hub.compare(chain_network(), backends=["steady"], duration=5.0, timeout=60)
    out = tmp_path / "cmp.json"
    out.write_text("previous")
    monkeypatch.setattr(type(cmp), "to_json", lambda self, indent=2: "{" + 1 / 0)  # type: ignore
    with pytest.raises(ZeroDivisionError):
        cmp.save(out)
    assert out.read_text() == "previous"
    monkeypatch.undo()
    assert json.loads(Path(cmp.save(out)).read_text())["backends"][0]["name"] == "steady"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".cmp")) == []
    if importlib.util.find_spec("matplotlib") is not None:  # --plot and --html
        cmp.plot(tmp_path / "cmp.svg")
        cmp.to_html(tmp_path / "cmp.html")
        assert (tmp_path / "cmp.svg").read_text().lstrip().startswith("<?xml")
        assert "<html" in (tmp_path / "cmp.html").read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp


# --- SIGTERM ------------------------------------------------------------------------------------
BUILDER = """
    import hub

    DURATION = 10.0

    def build():
        net = hub.Network(dt=0.1, seed=3, label="small")
        inp = net.add_source(hub.PoissonSource(rate=400.0), size=10, label="input")
        cells = net.add_population(20, hub.LIF(tau_m=10.0, v_thresh=-55.0), label="cells")
        net.connect(inp, cells, hub.FixedProbability(0.5), hub.Static(weight=0.4, delay=1.0))
        net.record(cells, "spikes")
        return net
"""


def _processes_mentioning(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_text():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_sigterm_during_compare_cleans_up(tmp_path):
    """A real `snn-hub compare` of two backends ("hanger" sleeps in its run): SIGTERM once
    its worker runs ends the command with 143; the temporary folder, the worker and any
    report (final or temporary) are gone."""
    model = tmp_path / "small.py"
    model.write_text(textwrap.dedent(BUILDER))
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    env = dict(
        os.environ,
        TMPDIR=str(tmpdir),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "plugins"), str(HERE)]),
        SNN_HUB_PLUGINS="compare_backends",
        SNN_HUB_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    cmd = [sys.executable, "-m", "hub", "compare", str(model), "-b", "steady,hanger"]
    cmd += ["--timeout", "120", "--no-progress", "--save", str(out / "cmp.json")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(tmpdir.glob("*/hanger.0.progress")):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        [work] = [p for p in tmpdir.iterdir() if p.name.startswith("snn-hub-compare-")]
        assert _processes_mentioning(str(work)), "the hanger's worker is not running"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert b"terminated by SIGTERM" in err and b"Traceback" not in err
    assert list(tmpdir.iterdir()) == []  # the temporary folder is gone
    assert list(out.iterdir()) == []  # no report, no half-written temporary file
    deadline = time.monotonic() + 5
    while _processes_mentioning(str(work)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_mentioning(str(work)) == []


def test_sigterm_handler_is_only_installed_once_and_restored():
    from hub.runner import sigterm_raises

    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with pytest.raises(Terminated) as err:
        with sigterm_raises():
            outer = signal.getsignal(signal.SIGTERM)
            with sigterm_raises():  # nested: the outer handler stays
                assert signal.getsignal(signal.SIGTERM) is outer
            outer(signal.SIGTERM, None)  # what a SIGTERM runs (the real one: the test above)
    assert err.value.code == 143
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored

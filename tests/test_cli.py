"""The snn-hub command line: run, validate, backends, plugins, check-backend, demo; exit codes
and clean error messages (the progress bar: tests/test_progress.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import hub
from hub import cli, stats
from hub.cli import main, parse_key_values
from hub.errors import HubError
from tests.conftest import TOY_PLUGIN

BUILDER = """
import hub

DURATION = 5.0


def build(weight: float = 20.0, n: int = 2):
    net = hub.Network(dt=0.1, seed=1, label="chain")
    src = net.add_source(hub.SpikeTimes([1.0]), size=1, label="src")
    a = net.add_population(n, hub.LIF(synapse="delta"), label="a")
    net.connect(src, a, hub.AllToAll(), hub.Static(weight=weight, delay=1.0))
    net.record(a, "spikes")
    return net
"""


@pytest.fixture
def builder(tmp_path):
    path = tmp_path / "chain.py"
    path.write_text(BUILDER)
    return path


@pytest.fixture
def saved(tmp_path, builder):
    """The builder's network saved as .npz (duration stored in the metadata)."""
    mod = cli.load_model(str(builder))
    mod.network.metadata["duration"] = 5.0
    return hub.save(mod.network, tmp_path / "chain.npz")


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- run ------------------------------------------------------------------------------------------
def test_run_saved_model_json_and_out(toy, saved, tmp_path, capsys):
    out_file = tmp_path / "res.npz"
    code, out, err = run_cli(
        capsys,
        "run",
        saved,
        "--backend",
        "toy",
        "--duration",
        "5",
        "--json",
        "--out",
        str(out_file),
        "--option",
        "answer=42",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["backend"] == "toy" and doc["duration_ms"] == 5.0
    pops = {p["population"]: p for p in doc["populations"]}
    assert pops["a"]["neurons"] == 2 and pops["a"]["spikes"] == 2
    assert pops["a"]["rate_hz"] == pytest.approx(200.0)
    assert pops["src"]["source"] is True and pops["src"]["spikes"] is None  # not recorded
    assert set(doc["timings"]) >= {"build_s", "run_s"}
    assert toy.RUNS[-1] == {"answer": 42}
    res = hub.Results.load(out_file)
    assert list(res.spikes("a").stamps) == [20, 20]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "chain.npz",
        "chain.py",
        "res.npz",
        "site-snn_hub_toy",
    ]  # no temp files left


def test_run_builder_module_prints_a_table(toy, builder, capsys):
    code, out, err = run_cli(
        capsys, "run", str(builder), "-b", "toy", "--param", "n=3", "--no-progress"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert "on toy: 5 ms" in lines[0]  # DURATION from the module
    header = lines[1].split()
    assert header[:3] == ["population", "neurons", "spikes"] and "run" in header
    rows = {line.split()[0]: line.split() for line in lines[3:]}
    assert rows["a"][1:3] == ["3", "3"]
    assert rows["total"][2:4] == ["3", "3"]


def test_run_builder_param_changes_the_network(toy, builder, capsys):
    code, out, _ = run_cli(
        capsys, "run", str(builder), "-b", "toy", "--param", "weight=1.0", "--json"
    )
    assert code == 0
    pops = {p["population"]: p for p in json.loads(out)["populations"]}
    assert pops["a"]["spikes"] == 0


def test_run_dotted_module_name(toy, builder, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(builder.parent))
    try:
        code, out, err = run_cli(capsys, "run", "chain", "-b", "toy", "--json")
    finally:
        sys.modules.pop("chain", None)
    assert code == 0, err
    assert json.loads(out)["model"] == "chain"


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--backend", "nosuch", "--duration", "5"], "unknown backend 'nosuch'"),
        (["--backend", "toy"], "--duration: "),
        (
            ["--backend", "toy", "-t", "5", "--option", "threads"],
            "--option: 'threads' is not KEY=VALUE",
        ),
        (["--backend", "toy", "-t", "5", "--param", "n=2"], "--param: "),
    ],
)
def test_run_errors_are_one_message_and_exit_2(toy, saved, capsys, argv, fragment):
    net = hub.load(saved)
    net.metadata.pop("duration", None)
    hub.save(net, saved)
    code, out, err = run_cli(capsys, "run", saved, *argv)
    assert code == 2
    assert err.startswith("snn-hub: error: ") and fragment in err
    assert "Traceback" not in err and out == ""


def test_run_invalid_model_lists_every_problem(toy, tmp_path, capsys):
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(2, hub.LIF(synapse="delta", tau_m=-1.0), label="a")
    net.connect(a, a, hub.FixedProbability(3.0), hub.Static(1.0, 0.01))
    path = hub.save(net, tmp_path / "bad.npz")
    code, _, err = run_cli(capsys, "run", path, "-b", "toy", "-t", "5")
    assert code == 2
    assert "3 problem(s) found" in err and "tau_m" in err and "connector.p" in err
    assert "synapse.delay" in err and "Traceback" not in err


def test_run_missing_file_and_non_network_file(toy, tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", str(tmp_path / "nope.npz"), "-b", "toy", "-t", "1")
    assert code == 2 and "no such file" in err
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    code, _, err = run_cli(capsys, "run", str(junk), "-b", "toy", "-t", "1")
    assert code == 2 and "junk.npz: not an snn-hub network file (not a readable .npz" in err
    nobuild = tmp_path / "nobuild.py"
    nobuild.write_text("X = 1\n")
    code, _, err = run_cli(capsys, "run", str(nobuild), "-b", "toy", "-t", "1")
    assert code == 2 and "no build() function" in err


def test_python_dash_m_hub_error_has_no_traceback(tmp_path):
    env = {**os.environ, "SNN_HUB_DISABLE_PLUGIN_AUTOLOAD": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            "run",
            str(tmp_path / "x.npz"),
            "--backend",
            "nest",
            "-t",
            "10",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "no such file" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "hub", "--version"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("snn-hub ")


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["run", "x.npz"])  # --backend is required
    assert exc.value.code == 2


# --- validate -------------------------------------------------------------------------------------
def test_validate_ok(builder, saved, capsys):
    code, out, _ = run_cli(capsys, "validate", str(builder))
    assert code == 0 and out.startswith("OK: ")
    code, out, _ = run_cli(capsys, "validate", saved)
    assert code == 0 and "OK" in out and "2 populations" in out


def test_validate_prints_every_diagnostic_and_exits_1(tmp_path, capsys):
    net = hub.Network(dt=0.1, seed=1)
    a = net.add_population(2, hub.LIF(tau_m="5 mV", bogus=1), label="a")
    net.record(a, "vm")
    path = hub.save(net, tmp_path / "bad.npz")
    code, out, _ = run_cli(capsys, "validate", path)
    assert code == 1
    assert out.startswith("3 problem(s) in ")
    assert "populations[0](a).tau_m" in out and "populations[0](a).bogus" in out
    assert "probes[0](a.vm).variable" in out


def test_validate_builder_that_raises_validation_error(tmp_path, capsys):
    path = tmp_path / "badmodel.py"
    path.write_text("import hub\n\ndef build():\n    return hub.model('IF_curr_foo')\n")
    code, out, _ = run_cli(capsys, "validate", str(path))
    assert code == 1 and "unknown neuron model 'IF_curr_foo'" in out


def test_validate_against_a_backend(toy, tmp_path, builder, capsys):
    code, out, _ = run_cli(capsys, "validate", str(builder), "--backend", "toy")
    assert code == 0 and "runs on toy" in out
    net = hub.Network(dt=0.1, seed=1)
    net.add_population(2, hub.LIF(synapse="exp"), label="a")
    path = hub.save(net, tmp_path / "exp.npz")
    code, out, _ = run_cli(capsys, "validate", path, "--backend", "toy")
    assert code == 1 and "does not support neuron:LIF[synapse=exp]" in out
    code, _, err = run_cli(capsys, "validate", path, "--backend", "nosuch")
    assert code == 2 and "unknown backend" in err


# --- check-backend --------------------------------------------------------------------------------
def test_check_backend_runs_the_kit(toy, capsys):
    pytest.importorskip("hub.testing")
    code, out, err = run_cli(capsys, "check-backend", "toy", "--allow-partial")
    assert code == 0, out + err
    assert "check_delay_and_multiplicity" in out and "passed" in out
    assert "not applicable" in out
    assert "WARNING: toy: only 7 of" in out  # accepted, and still said


def test_check_backend_unknown_name(toy, capsys):
    code, _, err = run_cli(capsys, "check-backend", "nosuch")
    assert code == 2 and "unknown backend 'nosuch'" in err


# --- demo -----------------------------------------------------------------------------------------
def test_demo_with_no_models(tmp_path, capsys, fresh_hub):
    empty = tmp_path / "models"
    empty.mkdir()
    code, out, _ = run_cli(capsys, "demo", "--models-dir", str(empty))
    assert code == 0 and "no models in" in out


def test_demo_runs_each_model_on_each_backend(make_dist, tmp_path, capsys):
    make_dist("snn_hub_toy", {"snn_hub_toy": TOY_PLUGIN}, {"toy": "snn_hub_toy"})
    twin = TOY_PLUGIN.replace('BackendSpec("toy"', 'BackendSpec("twin"')
    make_dist("snn_hub_twin", {"snn_hub_twin": twin}, {"twin": "snn_hub_twin"})
    models = tmp_path / "models"
    models.mkdir()
    (models / "chain.py").write_text(BUILDER)
    (models / "_helpers.py").write_text("raise RuntimeError('not a model')\n")
    (models / "exp.py").write_text(
        textwrap.dedent("""
        import hub
        DURATION = 2.0
        def build():
            net = hub.Network(dt=0.1, seed=1)
            net.add_population(2, hub.LIF(synapse="exp"), label="a")
            return net
    """)
    )
    code, out, err = run_cli(
        capsys, "demo", "--models-dir", str(models), "-b", "toy", "-b", "twin", "--no-progress"
    )
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()]
    chain = [r for r in rows if r[:1] == ["chain"]]
    assert [r[1] for r in chain] == ["toy", "twin"]
    assert all(r[3:5] == ["2", "2"] and r[-1] == "ok" for r in chain)
    assert any(r[:2] == ["exp", "toy"] and "skipped:" in r for r in rows)
    assert "chain: identical spike trains on toy, twin" in out
    code, out, _ = run_cli(capsys, "demo", "--models-dir", str(models), "-b", "toy", "--json")
    doc = json.loads(out)
    assert {r["model"] for r in doc["runs"]} == {"chain", "exp"}
    code, _, err = run_cli(capsys, "demo", "--models-dir", str(models), "-b", "nosuch")
    assert code == 2 and "unknown backend" in err


# --- helpers --------------------------------------------------------------------------------------
def test_parse_key_values():
    assert parse_key_values(
        ["threads=2", "name=x", "flag=true", "rate=1.5", "l=[1, 2]", "s='quoted'", "empty="]
    ) == {
        "threads": 2,
        "name": "x",
        "flag": True,
        "rate": 1.5,
        "l": [1, 2],
        "s": "quoted",
        "empty": "",
    }
    with pytest.raises(HubError, match="KEY=VALUE"):
        parse_key_values(["=3"])


def test_table_aligns_numbers_right():
    text = cli.table(["name", "n"], [["a", "1"], ["bbb", "100"]])
    assert text.splitlines() == ["name    n", "----  ---", "a       1", "bbb   100"]


def test_demo_agreement_groups_identical_backends():
    a = hub.SpikeTrains(3, [0, 1], [5, 6], 0.1)
    b = hub.SpikeTrains(3, [0, 1], [5, 7], 0.1)
    c = hub.SpikeTrains(3, [0], [5], 0.1)
    out = stats.identical_groups("m", {"nest": {"e": a}, "brian2": {"e": a}, "chip": {"e": b}})
    assert out["identical"] is False and out["groups"] == [["brian2", "nest"], ["chip"]]
    assert out["text"] == (
        "identical spike trains on brian2, nest; chip differs from brian2: "
        "e: same 2 spikes at other times"
    )
    out = stats.identical_groups("m", {"nest": {"e": a}, "chip": {"e": c}})
    assert out["text"] == (
        "no two backends agree; nest differs from chip: e: 2 vs 1 spikes (+100.0 %)"
    )
    assert stats.identical_groups("m", {"nest": {"e": a}})["identical"] is None


def test_run_chip_json_includes_the_chip_report(capsys):
    """`snn-hub run ... --backend chip --json` carries the resource and energy report."""
    code, out, err = run_cli(
        capsys, "run", "models/synfire.py", "--backend", "chip", "--duration", "80", "--json"
    )
    assert code == 0, err
    report = json.loads(out)["extra"]["chip"]
    energy = report["energy_J"]
    assert report["cores_used"] >= 1 and report["chips_used"] == 1
    parts = ("synapse", "neuron", "network", "static", "learning")
    assert energy["total"] == pytest.approx(sum(energy[k] for k in parts))
    assert energy["synapse"] > 0 and energy["neuron"] > 0


# --- a builder module that fails: one line, exit 2 (--traceback for the rest) ---------------------
@pytest.mark.parametrize(
    "source, stage, detail",
    [
        ('raise RuntimeError("broken model")\n', "importing", "RuntimeError: broken model (line 1"),
        (
            "def build():\n    return 1 / 0\n",
            "running build() of",
            "ZeroDivisionError: division by zero (line 2",
        ),
    ],
)
def test_failing_builder_is_one_line_and_exit_2(toy, tmp_path, capsys, source, stage, detail):
    path = tmp_path / "broken_model.py"
    path.write_text(source)
    code, out, err = run_cli(capsys, "run", str(path), "-b", "toy")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"MODEL: {stage} '{path}' failed: {detail} of broken_model.py)" in err, err
    code, out, err = run_cli(capsys, "run", str(path), "-b", "toy", "--traceback")
    assert code == 2 and "Traceback (most recent call last)" in err
    assert err.rstrip().endswith("--traceback for the full traceback")


def test_formats_lists_the_hubs_own_formats(capsys):
    code, out, _ = run_cli(capsys, "formats", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["hub"]["suffixes"] == [".npz"] and rows["hub"]["writes"] and not rows["hub"]["code"]
    assert rows["builder"]["suffixes"] == [".py"] and rows["builder"]["code"]
    code, out, _ = run_cli(capsys, "formats")
    assert "code (runs it)" in out and "snn-hub network file" in out

"""The command line as a new user meets it: `snn-hub backends` shows the
simulators' versions, every backend list takes commas, `snn-hub run -b chip` prints the chip's
core and energy report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hub.cli import build_parser, main
from hub.cli.common import backend_names
from hub.cli.info import simulator_versions

BUILDER = """
import hub

DURATION = 5.0


def build():
    net = hub.Network(dt=0.1, seed=1, label="chain")
    src = net.add_source(hub.SpikeTimes([1.0]), size=1, label="src")
    a = net.add_population(2, hub.LIF(synapse="delta"), label="a")
    net.connect(src, a, hub.AllToAll(), hub.Static(weight=20.0, delay=1.0))
    net.record(a, "spikes")
    return net
"""


@pytest.fixture
def models(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "chain.py").write_text(BUILDER)
    return folder


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- (b) snn-hub backends: the simulators' versions --------------------------------------------
def test_backends_shows_each_simulators_version(toy, capsys):
    from hub_chip import __version__ as chip_version

    code, out, _ = run_cli(capsys, "backends")
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines() if line and line[0] != " "}
    assert f"numpy {np.__version__}" in rows["toy"]  # the toy's versions(): {"numpy": ...}
    assert f"hub_chip {chip_version}" in rows["chip"]
    assert "snn_hub_toy 0.1" in rows["toy"]  # the plugin's distribution and version
    if "nest" in rows:
        import nest

        assert f"nest-simulator {nest.__version__}" in rows["nest"]
        assert "nest.have_mpi" not in rows["nest"]  # build facts stay in --json
    code, out, _ = run_cli(capsys, "backends", "--json")
    doc = {r["name"]: r for r in json.loads(out)}
    assert doc["toy"]["versions"] == {"numpy": np.__version__}
    assert doc["toy"]["version"] == "0.1"


def test_simulator_versions_keeps_packages_not_build_facts():
    versions = {"nest-simulator": "3.10.0", "nest.have_mpi": "False", "chip_model": "loihi"}
    assert simulator_versions(versions) == "nest-simulator 3.10.0"
    assert simulator_versions({}) == "-"
    assert simulator_versions({"error": "ImportError: no"}) == "versions failed: ImportError: no"


# --- (c) comma lists everywhere a list of backends makes sense -----------------------------------
def test_backend_names_split_commas_and_repetitions():
    assert backend_names(["nest,brian2", " chip ", "a,,b"]) == ["nest", "brian2", "chip", "a", "b"]
    assert backend_names([]) == []


@pytest.mark.parametrize("command", [["demo"], ["compare", "m.py"], ["bench", "cuba"]])
def test_demo_compare_and_bench_parse_commas_and_repeats_alike(command):
    parser = build_parser()
    for argv in (["-b", "nest,chip"], ["-b", "nest", "-b", "chip"], ["--backends", "nest,chip"]):
        args = parser.parse_args(command + argv)
        assert backend_names(args.backends) == ["nest", "chip"], argv
    assert parser.parse_args(command + ["--backend", "chip"]).backends == ["chip"]


def test_demo_accepts_a_comma_list(toy, models, capsys):
    code, out, err = run_cli(
        capsys, "demo", "--models-dir", str(models), "-b", "toy,chip", "--json", "--no-progress"
    )
    assert code == 0, err
    runs = json.loads(out)["runs"]
    assert sorted(r["backend"] for r in runs) == ["chip", "toy"]
    assert all(r["status"] == "ok" for r in runs), runs
    code, _, err = run_cli(capsys, "demo", "--models-dir", str(models), "-b", "toy,nope")
    assert code == 2 and "unknown backend(s) ['nope']" in err


def test_run_points_a_comma_list_to_compare(models, capsys):
    """(validate takes a comma list: it estimates memory per backend, test_memory_guard.py)"""
    code, out, err = run_cli(capsys, "run", str(models / "chain.py"), "-b", "nest,chip")
    assert code == 2 and out == ""
    assert "'nest,chip' names several backends" in err
    assert "snn-hub compare MODEL -b nest,chip" in err


# --- (d) snn-hub run -b chip prints the chip's report --------------------------------------------
def test_run_on_the_chip_prints_its_core_and_energy_report(models, capsys):
    code, out, err = run_cli(capsys, "run", str(models / "chain.py"), "-b", "chip")
    assert code == 0, err
    lines = [ln for ln in out.splitlines() if ln.startswith("chip report: ")]
    assert len(lines) == 1, out
    assert "1 core(s) on 1 chip(s), 2 compartments, 2 synapses" in lines[0]
    assert "energy " in lines[0] and "estimated chip time" in lines[0]


def test_run_on_another_backend_prints_no_chip_report(toy, models, capsys):
    code, out, err = run_cli(capsys, "run", str(models / "chain.py"), "-b", "toy")
    assert code == 0, err
    assert "report" not in out

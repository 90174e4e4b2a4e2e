"""The benchmark targets' evidence rules (hub/benchmarks/freshness.py), without a benchmark
run: a report measured on other code or missing fails, and a known miss is a strict xfail
that becomes an ordinary failure beyond its floor."""

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from hub.benchmarks import freshness, suite
from hub.benchmarks.bench import BenchReport, Measurement
from hub.benchmarks.freshness import KnownMiss, Miss, TargetMissed, judge, stale_message

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tree(tmp_path):
    """A small copy of the repository's run path to fingerprint."""
    for rel in ("hub/api.py", "hub/resolve.py", "plugins/hub_nest/backend.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    return tmp_path


def _fp(root):
    files = freshness.files_of(["hub/*.py", "plugins/hub_nest/*.py"], root)
    return {"nest": freshness.fingerprint(files, ["numpy"], {"params": {}}, root)}


def _write(path, fingerprint):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"benchmark": "x", "fingerprint": fingerprint}))


def test_a_report_of_this_code_is_fresh(tree):
    report = tree / "docs" / "benchmarks" / "x.json"
    _write(report, _fp(tree))
    assert _fp(tree)["nest"]["files"].keys() == {
        "hub/api.py",
        "hub/resolve.py",
        "plugins/hub_nest/backend.py",
    }
    assert stale_message(report, _fp(tree), tree) is None


def test_a_report_measured_on_other_code_fails(tree):
    report = tree / "docs" / "benchmarks" / "x.json"
    _write(report, _fp(tree))
    with open(tree / "plugins/hub_nest/backend.py", "a") as f:
        f.write("\n# one more line\n")
    why = stale_message(report, _fp(tree), tree)
    assert why.startswith("docs/benchmarks/x.json was measured on other code; rerun make bench")
    assert "nest: changed plugins/hub_nest/backend.py" in why
    assert "hub/api.py" not in why


def test_new_files_versions_and_settings_are_part_of_the_fingerprint(tree):
    report = tree / "docs" / "benchmarks" / "x.json"
    _write(report, _fp(tree))
    (tree / "hub" / "extra.py").write_text("X = 1\n")
    assert "new hub/extra.py" in stale_message(report, _fp(tree), tree)
    recorded = _fp(tree)
    recorded["nest"] = {**recorded["nest"], "versions": {"python": "3.0", "numpy": "0.1"}}
    recorded["nest"]["digest"] = "0" * 64
    _write(report, recorded)
    why = stale_message(report, _fp(tree), tree)
    assert "numpy 0.1 -> " in why and "python 3.0 -> " in why
    other = freshness.fingerprint(
        list(_fp(tree)["nest"]["files"]), ["numpy"], {"params": {"scale": 1}}, tree
    )
    _write(report, {"nest": other})
    assert "settings {'params': {'scale': 1}} -> {'params': {}}" in stale_message(
        report, _fp(tree), tree
    )


def test_a_missing_report_or_fingerprint_fails(tree):
    report = tree / "docs" / "benchmarks" / "x.json"
    assert stale_message(report, _fp(tree), tree) == (
        "docs/benchmarks/x.json is missing; rerun make bench"
    )
    _write(report, {})
    assert "nest: no fingerprint recorded" in stale_message(report, _fp(tree), tree)


def test_the_suite_checks_every_backend_of_an_entry(tmp_path):
    entry = next(e for e in suite.SUITE if e.name == "cuba")
    current = suite.entry_fingerprints(entry)
    assert set(current) == {"nest", "brian2", "chip"}
    assert "models/vogels_abbott.py" in current["nest"]["files"]
    assert "plugins/hub_nest/backend.py" in current["nest"]["files"]
    assert "plugins/hub_nest/backend.py" not in current["chip"]["files"]
    assert current["brian2"]["settings"]["options"] == {"codegen": "numpy"}
    _write(tmp_path / "cuba.json", current)
    assert suite.stale("cuba", tmp_path) is None
    old_chip = {**current, "chip": {**current["chip"], "digest": "0" * 64}}
    _write(tmp_path / "cuba.json", old_chip)
    why = suite.stale("cuba", tmp_path)
    assert "was measured on other code; rerun make bench (chip: " in why
    assert "nest:" not in why and "brian2:" not in why
    assert "is missing" in suite.stale(suite.FIRST_RUN, tmp_path)


def _fake_bench(backends):
    def bench(benchmark, backends=(), **kwargs):
        ms = [Measurement(b, "hub", timings={"run_s": 1.0}) for b in backends]
        net = {"duration_ms": 1000.0, "neurons": 1, "synapses": 1}
        settings = {"backends": list(backends)}
        return BenchReport(benchmark, net, settings, {}, ms, {})

    return bench


def test_remeasuring_one_backend_keeps_the_others_fingerprint(tmp_path, monkeypatch):
    """``--backends brian2`` replaces brian2's measurement and fingerprint only: a kept
    backend still carries the fingerprint of the code it was measured on."""
    entry = next(e for e in suite.SUITE if e.name == "coba")
    monkeypatch.setattr(suite, "bench", _fake_bench(entry.backends))
    monkeypatch.setattr(BenchReport, "table", lambda self: "")
    suite.run_entry(entry, tmp_path)
    assert suite.stale("coba", tmp_path) is None
    doc = json.loads((tmp_path / "coba.json").read_text())
    doc["fingerprint"]["nest"]["digest"] = "old"
    doc["fingerprint"]["brian2"]["digest"] = "old"
    (tmp_path / "coba.json").write_text(json.dumps(doc))
    monkeypatch.setattr(suite, "bench", _fake_bench(["brian2"]))
    suite.run_entry(entry, tmp_path, backends=["brian2"])
    doc = json.loads((tmp_path / "coba.json").read_text())
    assert doc["fingerprint"]["nest"]["digest"] == "old"
    why = suite.stale("coba", tmp_path)
    assert "(nest: " in why and "brian2" not in why


def test_bench_report_round_trip_keeps_the_fingerprint():
    fp = {"nest": {"digest": "abc", "files": {}, "versions": {}, "settings": {}}}
    rep = BenchReport("x", {"duration_ms": 1.0}, {"backends": []}, {}, [], {}, fp)
    assert BenchReport.from_dict(json.loads(rep.to_json())).fingerprint == fp


def test_every_module_the_run_path_imports_is_fingerprinted_or_declared(monkeypatch):
    assert freshness.unclassified_imports() == {}
    monkeypatch.setattr(freshness, "NOT_MEASURED", {})
    reached = freshness.unclassified_imports()
    # each declared exception is really on the import path (else the list is stale)
    assert set(reached) >= {"hub/comparison.py", "hub/contract.py", "hub/stats.py"}
    assert "hub/textfmt.py" in reached


def test_judge_a_target_and_a_bounded_known_miss():
    miss = Miss("why", floor=2.0)
    assert judge("r", 1.0, 1.25) is None
    assert judge("r", 1.25, 1.25, miss) is None
    with pytest.raises(KnownMiss, match="the known miss: why"):
        judge("r", 1.8, 1.25, miss)
    with pytest.raises(TargetMissed, match="worse than the known miss's floor 2"):
        judge("r", 2.01, 1.25, miss)
    with pytest.raises(TargetMissed, match="misses its target 1.25"):
        judge("r", 1.3, 1.25)
    assert not issubclass(TargetMissed, KnownMiss) and not issubclass(KnownMiss, TargetMissed)


def test_a_known_miss_beyond_its_floor_is_a_failure_not_an_xfail(pytester):
    """The marks the target tests use: within the floor xfailed, beyond it failed, and a
    fixed miss fails too (strict)."""
    pytester.makepyfile(
        textwrap.dedent(
            """
            import pytest
            from hub.benchmarks.freshness import KnownMiss, Miss, judge

            @pytest.mark.xfail(strict=True, raises=KnownMiss, reason="known")
            @pytest.mark.parametrize("value", [1.5, 2.5, 1.0])
            def test_ratio(value):
                judge("ratio", value, 1.25, Miss("known", 2.0))
            """
        )
    )
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-rfx")
    outcomes = result.parseoutcomes()
    assert outcomes.get("xfailed") == 1 and outcomes.get("failed") == 2, outcomes
    result.stdout.fnmatch_lines(
        [
            "*TargetMissed: ratio = 2.500 is worse than the known miss's floor 2*",
            "*[[]XPASS(strict)[]] known*",
            "FAILED *test_ratio[[]2.5[]]*",
            "FAILED *test_ratio[[]1.0[]]*",
            "XFAIL *test_ratio[[]1.5[]]*",
        ]
    )

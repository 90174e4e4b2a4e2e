"""hub.compare: one process per backend, failures named, the JSON schema, the statistics
against hand-computed values, and a real NEST / Brian2 / chip comparison."""

import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import hub
from hub import stats
from hub.cli import backend_options, main
from hub.compare import compare_trains, schema
from hub.resolved_io import load_resolved, save_resolved

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent / "models"


# =============================================================================================
# fixtures
# =============================================================================================
@pytest.fixture
def test_backends(monkeypatch):
    """The backends of tests/compare_backends.py, in this process and in every worker (through
    SNN_HUB_PLUGINS and PYTHONPATH); no autoload, so workers start fast."""
    from hub.plugins import reset_plugin_manager

    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(
            [str(HERE)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        ),
    )
    monkeypatch.setenv("SNN_HUB_PLUGINS", "compare_backends")
    monkeypatch.setenv("SNN_HUB_DISABLE_PLUGIN_AUTOLOAD", "1")
    reset_plugin_manager(None)
    yield
    reset_plugin_manager(None)


def small_net(n=20, seed=3, model=None):
    net = hub.Network(dt=0.1, seed=seed, label="small")
    inp = net.add_source(hub.PoissonSource(rate=400.0), size=10, label="input")
    cells = net.add_population(
        n,
        model or hub.LIF(tau_m=10.0, cm=0.25, tau_syn_E=2.0, v_thresh=-55.0, tau_refrac=2.0),
        label="cells",
    )
    net.connect(inp, cells, hub.FixedProbability(0.5), hub.Static(weight=0.4, delay=1.0))
    net.record(cells, "spikes")
    net.record(inp, "spikes")
    return net


def trains(size, pairs, dt=0.1):
    """SpikeTrains from [(neuron, time_ms), ...]."""
    idx = [i for i, _ in pairs]
    st = [int(round(t / dt)) for _, t in pairs]
    return hub.SpikeTrains(size, idx, st, dt)


# =============================================================================================
# a small JSON Schema validator (jsonschema is used instead when it is installed)
# =============================================================================================
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is(value, name):
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def mini_validate(doc, sch, root=None, path="$"):
    """The subset of JSON Schema that hub/compare_schema.json uses; returns the errors."""
    root = root or sch
    if "$ref" in sch:
        node = root
        for part in sch["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return mini_validate(doc, node, root, path)
    errors = []
    types = sch.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        if not any(_is(doc, t) for t in types):
            return [f"{path}: {doc!r:.60} is not {types}"]
    if "const" in sch and doc != sch["const"]:
        errors.append(f"{path}: {doc!r} != {sch['const']!r}")
    if "enum" in sch and doc not in sch["enum"]:
        errors.append(f"{path}: {doc!r} not in {sch['enum']}")
    if _is(doc, "number"):
        if "minimum" in sch and doc < sch["minimum"]:
            errors.append(f"{path}: {doc} < {sch['minimum']}")
        if "maximum" in sch and doc > sch["maximum"]:
            errors.append(f"{path}: {doc} > {sch['maximum']}")
        if "exclusiveMinimum" in sch and doc <= sch["exclusiveMinimum"]:
            errors.append(f"{path}: {doc} <= {sch['exclusiveMinimum']}")
    if isinstance(doc, dict):
        props = sch.get("properties", {})
        errors += [f"{path}: missing {k!r}" for k in sch.get("required", []) if k not in doc]
        for k, v in doc.items():
            if k in props:
                errors += mini_validate(v, props[k], root, f"{path}.{k}")
            elif sch.get("additionalProperties") is False:
                errors.append(f"{path}: unexpected {k!r}")
            elif isinstance(sch.get("additionalProperties"), dict):
                errors += mini_validate(v, sch["additionalProperties"], root, f"{path}.{k}")
    if isinstance(doc, list):
        if len(doc) < sch.get("minItems", 0):
            errors.append(f"{path}: fewer than {sch['minItems']} items")
        if "items" in sch:
            for i, v in enumerate(doc):
                errors += mini_validate(v, sch["items"], root, f"{path}[{i}]")
    return errors


def assert_valid(doc):
    doc = json.loads(json.dumps(doc, allow_nan=False))  # what a JSON reader sees
    try:
        import jsonschema
    except ImportError:
        errors = mini_validate(doc, schema())
        assert not errors, errors[:10]
    else:
        jsonschema.validate(doc, schema())


# =============================================================================================
# statistics against hand-computed values
# =============================================================================================
def test_van_rossum_of_two_single_spikes_has_the_closed_form():
    tau = 5.0
    for t1, t2 in ((10.0, 10.0), (10.0, 12.0), (10.0, 40.0), (3.0, 1.0)):
        d = stats.van_rossum(trains(1, [(0, t1)]), trains(1, [(0, t2)]), tau)
        assert d[0] == pytest.approx(math.sqrt(2 * (1 - math.exp(-abs(t2 - t1) / tau))), abs=1e-12)
    one, none = trains(1, [(0, 10.0)]), trains(1, [])
    assert stats.van_rossum(one, none, tau)[0] == pytest.approx(1.0)
    # two spikes against none: D^2 = 1 + 1 + 2 exp(-|dt|/tau)
    two = trains(1, [(0, 10.0), (0, 13.0)])
    assert stats.van_rossum(two, none, tau)[0] == pytest.approx(
        math.sqrt(2 + 2 * math.exp(-3 / tau))
    )


def test_van_rossum_equals_the_double_sum_on_random_trains():
    rng = np.random.default_rng(0)
    a = hub.SpikeTrains(15, rng.integers(0, 15, 200), rng.integers(1, 2000, 200), 0.1)
    b = hub.SpikeTrains(15, rng.integers(0, 15, 180), rng.integers(1, 2000, 180), 0.1)
    tau = 4.0
    got = stats.van_rossum(a, b, tau)
    for i, (ta, tb) in enumerate(zip(a.per_neuron(), b.per_neuron())):
        t = np.concatenate([ta, tb])
        c = np.concatenate([np.ones(len(ta)), -np.ones(len(tb))])
        want = np.sqrt(max(0.0, np.sum(np.outer(c, c) * np.exp(-np.abs(t[:, None] - t) / tau))))
        assert got[i] == pytest.approx(want, abs=1e-9)


def test_van_rossum_agrees_with_elephant_where_installed():
    elephant = pytest.importorskip("elephant.spike_train_dissimilarity")
    neo = pytest.importorskip("neo")
    pq = pytest.importorskip("quantities")
    a, b = trains(1, [(0, 1.0), (0, 7.5)]), trains(1, [(0, 3.0)])
    ref = elephant.van_rossum_distance(
        [neo.SpikeTrain(x * pq.ms, t_stop=20 * pq.ms) for x in (a.times, b.times)],
        time_constant=5 * pq.ms,
    )[0, 1]
    assert stats.van_rossum(a, b, 5.0)[0] == pytest.approx(float(ref))


def test_identical_trains_agree_perfectly():
    a = trains(3, [(0, 1.0), (1, 2.5), (2, 2.5), (0, 9.0), (1, 9.1), (1, 15.0)])
    m = compare_trains(a, a, 20.0, 0.1, 5.0, 5.0)
    assert m["identical"] and m["first_diff_ms"] is None
    assert m["matched"] == 1.0 and m["max_dt_ms"] == 0.0
    assert m["van_rossum"] == 0.0 and m["van_rossum_norm"] == 0.0
    assert (
        m["rate_corr"] == 1.0
        and m["rate_diff_hz"] == 0.0
        and m["cv_diff"] == 0.0
        or math.isnan(m["cv_diff"])
    )


def test_shifted_spikes_match_within_the_tolerance_only():
    a = trains(2, [(0, 1.0), (0, 5.0), (1, 3.0), (1, 8.0)])
    b = trains(2, [(0, 1.1), (0, 5.0), (1, 3.5), (1, 8.0)])
    m = compare_trains(a, b, 10.0, 0.1, 5.0, 5.0)
    assert m["pairs"] == 3 and m["matched"] == pytest.approx(0.75)
    assert m["max_dt_ms"] == pytest.approx(0.1)
    # D^2 per neuron: neuron 0 2(1-e^{-0.1/5}), neuron 1 2(1-e^{-0.5/5}); spikes 4 + 4
    d0, d1 = 2 * (1 - math.exp(-0.02)), 2 * (1 - math.exp(-0.1))
    assert m["van_rossum_norm"] == pytest.approx((d0 + d1) / 8)
    assert m["van_rossum"] == pytest.approx((math.sqrt(d0) + math.sqrt(d1)) / 2)


def test_first_difference_is_where_two_runs_diverge():
    a = trains(3, [(0, 1.0), (1, 2.0), (2, 3.0), (0, 4.0)])
    assert stats.first_difference(a, a) is None
    assert stats.first_difference(
        a, trains(3, [(0, 1.0), (1, 2.0), (2, 3.1), (0, 4.0)])
    ) == pytest.approx(3.0)
    assert stats.first_difference(a, trains(3, [(0, 1.0), (2, 2.0)])) == pytest.approx(2.0)
    assert stats.first_difference(a, trains(3, [(0, 1.0), (1, 2.0)])) == pytest.approx(3.0)
    assert stats.first_difference(trains(3, []), a) == pytest.approx(1.0)


def test_fano_factor_binned_counts_and_correlation():
    # stamps 1..50 go to bin 0, 51..100 to bin 1 (5 ms bins at dt 0.1 ms)
    st = hub.SpikeTrains(2, [0, 1, 0, 1], [1, 50, 51, 100], 0.1)
    assert list(stats.binned_counts(st, 20.0, 5.0)) == [2, 2, 0, 0]
    assert stats.fano_factor([2, 2, 0, 0]) == pytest.approx(1.0)  # var 1, mean 1
    assert stats.fano_factor([3, 3, 3]) == 0.0
    assert math.isnan(stats.fano_factor([0, 0]))
    assert stats.correlation([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert stats.correlation([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert stats.correlation([0, 0], [0, 0]) == 1.0
    assert math.isnan(stats.correlation([1, 1], [1, 2]))
    assert list(
        stats.isi(hub.SpikeTrains(2, [0, 0, 1, 0], [10, 30, 40, 35], 0.1))
    ) == pytest.approx([2.0, 0.5])


def test_final_weights_are_summarised_and_compared():
    from hub.stats import weight_agreement as _weight_agreement, weight_summary as _weight_summary

    a, b = hub.Results(), hub.Results()
    a.synapse_state = {("p", "weight"): np.array([0.5, 1.0, 2.0]), ("p", "u"): np.ones(3)}
    b.synapse_state = {("p", "weight"): np.array([0.5, 1.5, 2.0])}
    assert _weight_agreement(a, b) == {"max_abs_diff": 0.5, "max_rel_diff": 0.25, "projections": 1}
    assert _weight_summary(a) == {
        "p": {
            "n": 3,
            "mean": pytest.approx(3.5 / 3),
            "std": pytest.approx(np.std([0.5, 1, 2])),
            "min": 0.5,
            "max": 2.0,
        }
    }
    assert _weight_agreement(a, hub.Results()) == {}


# =============================================================================================
# the resolved network file
# =============================================================================================
def test_resolved_network_round_trips_through_its_file(tmp_path):
    net = small_net()
    net.inject(net.populations[1], hub.DCSource(amplitude=0.1, start=5.0, stop=20.0))
    r = hub.resolve(net, 50.0)
    q = load_resolved(save_resolved(r, tmp_path / "r.npz"))
    assert (q.dt, q.seed, q.steps, q.label) == (r.dt, r.seed, r.steps, r.label)
    for k, p in r.populations.items():
        assert q.populations[k].model == p.model
        for name, v in {**p.params, **p.initial}.items():
            got = {**q.populations[k].params, **q.populations[k].initial}[name]
            assert np.array_equal(got, v) and got.dtype == v.dtype
    for a, b in zip(r.projections, q.projections):
        for f in ("pre_idx", "post_idx", "weight", "delay_steps"):
            assert np.array_equal(getattr(a, f), getattr(b, f))
    assert np.array_equal(r.sources["input"].stamps, q.sources["input"].stamps)
    assert len(q.injections) == len(r.injections) and len(q.probes) == len(r.probes)


# =============================================================================================
# failures in one backend
# =============================================================================================
def test_a_crash_a_kill_an_exception_and_a_hang_are_named_and_the_others_complete(test_backends):
    backends = ["steady", "exiter", "killed", "raiser", "hanger", "twin"]
    cmp = hub.compare(
        small_net(),
        backends=backends,
        duration=50.0,
        timeout={"hanger": 1.5, "steady": 60, "twin": 60, "exiter": 60, "killed": 60, "raiser": 60},
    )
    status = {n: r.status for n, r in cmp.runs.items()}
    assert status == {
        "steady": "ok",
        "exiter": "crashed",
        "killed": "crashed",
        "raiser": "error",
        "hanger": "timeout",
        "twin": "ok",
    }
    assert "exited with code 3" in cmp.runs["exiter"].error
    assert "SIGKILL" in cmp.runs["killed"].error and cmp.runs["killed"].exit_code == -9
    assert cmp.runs["raiser"].error == (
        "backend 'raiser' failed while running: RuntimeError: the test backend broke on purpose"
    )
    assert "RuntimeError" in cmp.runs["raiser"].detail  # the traceback is kept
    assert "1.5 s" in cmp.runs["hanger"].error
    assert not cmp.ok and set(cmp.failed) == {"exiter", "killed", "raiser", "hanger"}
    # the two good runs are complete and compared; failed ones are not paired
    assert [a.pair for a in cmp.agreement] == ["steady~twin"]
    pair = cmp.pair("steady", "twin")
    assert pair.expect == "identical" and pair.identical and pair.within_contract
    # final weights travel through the results file (twin reports 1.1 x the given 0.4 nA)
    assert pair.weights["max_abs_diff"] == pytest.approx(0.04)
    assert pair.weights["max_rel_diff"] == pytest.approx(0.1)  # of the largest |w| of a
    label = cmp.model["projections"][0]["label"]
    assert cmp.runs["twin"].to_dict()["weights"][label]["mean"] == pytest.approx(0.44)
    good = cmp.runs["steady"]
    assert good.timings["run_s"] >= 0 and good.peak_rss_mb > 10
    assert good.totals()["spikes"] > 0 and len(good.results.spikes("cells")) > 0
    text = cmp.table()
    for name in backends:
        assert name in text
    assert "raiser error: backend 'raiser' failed while running: RuntimeError" in text
    assert_valid(cmp.to_dict())


def _workers_in(directory) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(directory) in (entry / "cmdline").read_text():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_an_interrupt_leaves_no_worker_behind(test_backends, tmp_path):
    def interrupt(name, fraction):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        hub.compare(
            small_net(),
            backends=["hanger"],
            duration=10.0,
            progress=interrupt,
            workdir=tmp_path,
            timeout=60,
        )
    assert (tmp_path / "network.npz").is_file()  # a given workdir is kept
    assert _workers_in(tmp_path) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_a_killed_parent_takes_its_worker_along(test_backends, tmp_path):
    import signal
    import subprocess
    import time

    script = (
        "import hub, test_compare as t\n"
        f"hub.compare(t.small_net(), backends=['hanger'], duration=10.0, "
        f"workdir={str(tmp_path)!r}, timeout=60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 30
    while not (tmp_path / "hanger.0.progress").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _workers_in(tmp_path), "the worker did not start"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while _workers_in(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _workers_in(tmp_path) == []


def test_a_backend_without_the_model_is_unsupported_without_a_process(test_backends):
    net = small_net(model=hub.LIFCond())
    cmp = hub.compare(net, backends=["steady"], duration=10.0)
    run = cmp.runs["steady"]
    assert run.status == "unsupported" and "LIFCond" in run.error and run.exit_code is None
    assert_valid(cmp.to_dict())


def test_bad_arguments_fail_before_any_process(test_backends):
    with pytest.raises(hub.HubError, match="unknown backend 'nope'"):
        hub.compare(small_net(), backends=["steady", "nope"], duration=10.0)
    with pytest.raises(hub.HubError, match="given twice"):
        hub.compare(small_net(), backends=["steady", "steady"], duration=10.0)
    with pytest.raises(hub.HubError, match="repeat"):
        hub.compare(small_net(), backends=["steady"], duration=10.0, repeat=0)
    with pytest.raises(hub.HubError, match="not among the compared"):
        hub.compare(small_net(), backends=["steady"], duration=10.0, options={"twin": {}})


def test_the_schema_validator_is_not_vacuous(test_backends):
    cmp = hub.compare(small_net(), backends=["steady"], duration=10.0)
    doc = cmp.to_dict()
    assert_valid(doc)
    doc["backends"][0]["status"] = "fine"
    del doc["agreement"]
    errors = mini_validate(json.loads(json.dumps(doc)), schema())
    assert any("status" in e for e in errors) and any("agreement" in e for e in errors)


# =============================================================================================
# the command line
# =============================================================================================
def test_cli_compare_writes_json_html_and_figures(test_backends, tmp_path, capsys):
    builder = tmp_path / "tiny.py"
    builder.write_text(
        "import sys\nsys.path.insert(0, %r)\nfrom test_compare import small_net"
        "\nDURATION = 30.0\n\ndef build(n=12):\n    return small_net(n)\n" % str(HERE)
    )
    out = tmp_path / "c.json"
    rc = main(
        [
            "compare",
            str(builder),
            "--backends",
            "steady,raiser",
            "--json",
            "--save",
            str(out),
            "--html",
            str(tmp_path / "r.html"),
            "--plot",
            str(tmp_path / "c.png"),
            "--repeat",
            "2",
            "--param",
            "n=8",
            "--no-progress",
        ]
    )
    assert rc == 1  # a backend did not run
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads(out.read_text())
    assert_valid(doc)
    runs = {b["name"]: b for b in doc["backends"]}
    assert runs["raiser"]["status"] == "error" and runs["steady"]["status"] == "ok"
    assert runs["steady"]["repeats"] == 2 and runs["steady"]["reproducible"] is True
    assert runs["steady"]["timing_spread"]["run_s"]["n"] == 2
    assert doc["model"]["neurons"] == 8 and doc["model"]["source"] == str(builder)
    page = (tmp_path / "r.html").read_text()
    assert page.count("data:image/png;base64,") >= 2 and "RuntimeError" in page
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_compare_prints_the_table(test_backends, tmp_path, capsys):
    hub.save(small_net(), tmp_path / "net.npz")
    rc = main(
        ["compare", str(tmp_path / "net.npz"), "-b", "steady,twin", "-t", "20", "--no-progress"]
    )
    text = capsys.readouterr().out
    assert rc == 0 and "steady~twin  identical" in text and "cells" in text


def test_backend_options_are_routed():
    declared = {
        "nest": {"threads": ""},
        "brian2": {"codegen": "", "substeps": ""},
        "chip": {"chips": ""},
    }
    assert backend_options(["brian2.codegen=cython", "threads=2", "chip.chips=2"], declared) == {
        "brian2": {"codegen": "cython"},
        "nest": {"threads": 2},
        "chip": {"chips": 2},
    }
    for bad, match in (
        ("threads", "not \\[BACKEND.\\]KEY=VALUE"),
        ("pynn.x=1", "not compared"),
        ("colour=red", "no compared backend declares"),
    ):
        with pytest.raises(hub.HubError, match=match):
            backend_options([bad], declared)


def test_to_dataframe_where_pandas_is_installed(test_backends):
    pytest.importorskip("pandas")
    cmp = hub.compare(small_net(), backends=["steady"], duration=10.0)
    df = cmp.to_dataframe()
    assert set(df["label"]) == {"cells", "input"} and "run_s" in df.columns


# =============================================================================================
# the real simulators
# =============================================================================================
@pytest.mark.nest
@pytest.mark.brian2
def test_nest_brian2_and_chip_on_a_small_network(fresh_hub):
    sys.path.insert(0, str(MODELS))
    try:
        import vogels_abbott
    finally:
        sys.path.remove(str(MODELS))
    net = vogels_abbott.build(scale=0.05)  # 200 neurons
    cmp = hub.compare(net, backends=["nest", "brian2", "chip"], duration=100.0, timeout=300)
    assert cmp.ok, cmp.failed
    nb = cmp.pair("nest", "brian2")
    assert nb.expect == "identical" and nb.identical and nb.within_contract
    assert nb.totals["van_rossum_norm"] == 0.0 and nb.totals["matched"] == 1.0
    nc = cmp.pair("nest", "chip")
    assert nc.expect == "statistical" and 0 < nc.totals["spikes_b"]
    assert nc.totals["rate_corr"] > 0
    chip = cmp.runs["chip"].chip
    assert chip["energy_J"]["total"] > 0 and chip["cores_used"] >= 1
    for run in cmp.runs.values():
        assert run.timings["build_s"] > 0 and run.peak_rss_mb > 50
        assert run.versions
    assert "nest-simulator" in cmp.runs["nest"].versions
    text = cmp.table()
    assert "chip report" in text and "nest~brian2  identical" in text
    assert_valid(cmp.to_dict())

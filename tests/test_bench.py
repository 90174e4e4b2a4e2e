"""The benchmark machinery: the native scripts build the hub's network, the worker protocol,
event counting, ratios, the scaling fit and the page.  (The measurements themselves are
``make bench``; tests/benchmarks checks their targets.)"""

import json
import math

import numpy as np
import pytest

import hub
from hub import HubError
from hub.bench import BenchReport, Measurement, bench
from hub.benchmarks import BENCHMARKS, native_nest
from hub.benchmarks.suite import markdown, scaling_fits
from hub.benchmarks.worker import synaptic_events

pytest.importorskip("nest")


def _counts(results, r):
    return {
        label: np.bincount(tr.indices, minlength=tr.size)
        for label, tr in results.spike_trains.items()
        if label in r.populations
    }


@pytest.mark.parametrize(
    "name, params, duration",
    [
        ("cuba", {"scale": 0.25}, 300.0),
        ("coba", {"scale": 0.1}, 100.0),
        ("stdp", {"n_neurons": 5}, 500.0),
    ],
)
def test_native_nest_script_is_the_hub_network(name, params, duration):
    """Same arrays, same NEST models: the hand-written script and the hub path fire the same
    spikes, neuron by neuron (so the benchmark compares like with like)."""
    r = hub.resolve(BENCHMARKS[name].build(**params), duration)
    res = hub.run(r, backend="nest")
    native = native_nest.SCRIPTS[name](r)
    hub_counts = _counts(res, r)
    assert sum(c.sum() for c in hub_counts.values()) > 20
    for label, counts in hub_counts.items():
        np.testing.assert_array_equal(counts, native["counts"][label])
    if name == "stdp":
        # the hub reads the weights once the spikes stamped <= T have been delivered (one
        # more min_delay slice, docs/learning.md); the script reads right after Simulate(T)
        assert res.weights("plastic").mean() == pytest.approx(native["mean_weight"], rel=1e-3)


def test_synaptic_events_count_every_spike_times_its_out_degree():
    net = hub.Network(dt=0.1, seed=3)
    src = net.add_source(hub.SpikeTimes([[1.0, 2.0, 2.0], [5.0]]), size=2, label="src")
    a = net.add_population(3, hub.LIF(), label="a")
    b = net.add_population(2, hub.LIF(), label="b")
    net.connect(src, a, hub.FromArrays([0, 0, 1], [0, 1, 2]), hub.Static(0.1, 1.0))
    net.connect(a, b, hub.FromArrays([0, 0, 2], [0, 1, 1]), hub.Static(0.1, 1.0))
    r = hub.resolve(net, 10.0)
    # source 0: 3 spikes x 2 targets, source 1: 1 x 1; neuron 0 of a: 4 spikes x 2,
    # neuron 1: 7 x 0, neuron 2: 2 x 1
    counts = {"a": np.array([4, 7, 2]), "b": np.array([1, 1])}
    assert synaptic_events(r, counts) == 3 * 2 + 1 + 4 * 2 + 2


def test_bench_runs_alternating_processes_and_reports_ratios(tmp_path):
    rep = bench(
        "cuba",
        backends=["nest"],
        native=True,
        repeat=2,
        duration=100.0,
        params={"scale": 0.1},
        workdir=tmp_path,
    )
    hub_m, nat = rep.get("nest", "hub"), rep.get("nest", "native")
    assert hub_m.ok and nat.ok, (hub_m.error, nat.error)
    assert hub_m.repeats == nat.repeats == 2
    assert hub_m.spikes == nat.spikes and sum(hub_m.spikes.values()) > 0
    r = hub.resolve(BENCHMARKS["cuba"].build(scale=0.1), 100.0)
    assert rep.network["synapses"] == r.n_synapses
    assert hub_m.synaptic_events == pytest.approx(
        synaptic_events(r, {k: v for k, v in _counts(hub.run(r, backend="nest"), r).items()})
    )
    ratio = rep.ratio("nest", "run_s")
    assert ratio == pytest.approx(hub_m.timings["run_s"] / nat.timings["run_s"])
    doc = json.loads(rep.to_json())
    assert doc["ratios"]["nest"]["build_s"] == pytest.approx(rep.ratio("nest", "build_s"))
    assert doc["resolve"]["peak_over_arrays"] > 0
    # the order alternated: hub first in repeat 0, native first in repeat 1
    first = sorted(tmp_path.glob("nest.*.0.status.json"), key=lambda p: p.stat().st_mtime)
    second = sorted(tmp_path.glob("nest.*.1.status.json"), key=lambda p: p.stat().st_mtime)
    assert [p.name.split(".")[1] for p in first] == ["hub", "native"]
    assert [p.name.split(".")[1] for p in second] == ["native", "hub"]


def test_bench_rejects_bad_requests_before_running():
    with pytest.raises(HubError, match="'nope' is not one of"):
        bench("nope")
    net = BENCHMARKS["cuba"].build(scale=0.1)
    with pytest.raises(HubError, match="no hand-written scripts"):
        bench(net, backends=["nest"], native=True)
    with pytest.raises(HubError, match="repeat"):
        bench("cuba", repeat=0)


def _report(name, synapses, runs):
    ms = [
        Measurement(
            b,
            p,
            timings={"run_s": t, "build_s": 1.0},
            peak_rss_mb=m,
            spikes={"exc": 10},
            synaptic_events=1e6 * synapses / 1e5,
            repeats=3,
        )
        for (b, p), (t, m) in runs.items()
    ]
    return BenchReport(
        name,
        {
            "neurons": 10,
            "synapses": synapses,
            "duration_ms": 1000.0,
            "dt_ms": 0.1,
            "label": name,
            "sources": 0,
            "seed": 1,
        },
        {"backends": sorted({b for b, _ in runs}), "repeat": 3},
        {"time_s": 0.1, "peak_traced_mb": 2.0, "arrays_mb": 1.0, "peak_over_arrays": 2.0},
        ms,
        {"cpus": 2},
    )


def test_ratios_misses_scaling_fit_and_page():
    reports = {}
    for scale in (0.1, 0.25, 0.5, 1.0):
        syn = int(1.5625e7 * scale**2)
        reports[f"brunel-{scale:g}"] = _report(
            "brunel",
            syn,
            {
                ("nest", "hub"): (1e-6 * syn**1.0 * 1.1, 100 + 1e-5 * syn),
                ("nest", "native"): (1e-6 * syn, 100 + 1e-5 * syn),
                ("chip", "hub"): (2e-7 * syn**0.9, 50.0),
            },
        ).to_dict()
    rep = reports["brunel-1"]
    assert rep["ratios"]["nest"]["run_s"] == pytest.approx(1.1)
    assert BenchReport.from_dict(rep).to_dict() == rep  # what --backends merges into
    assert _report(
        "x", 10, {("nest", "hub"): (1.1, 100.0), ("nest", "native"): (1.0, 100.0)}
    ).misses() == ["x nest: run_s hub/native 1.100 > 1.05"]
    fits = {(f["backend"], f["path"]): f for f in scaling_fits(reports)}
    assert fits[("nest", "native")]["time_exponent"] == pytest.approx(1.0, abs=1e-9)
    assert fits[("chip", "hub")]["time_exponent"] == pytest.approx(0.9, abs=1e-9)
    assert fits[("chip", "hub")]["memory_exponent"] == pytest.approx(0.0, abs=1e-9)
    page = markdown(reports, list(fits.values()), [], {"cpus": 2}, "make bench")
    assert "| brunel-1 | nest | 1.000 | 1.100 | 1.000 | **no** |" in page
    assert "| nest/native | 4 | 1.000 |" in page
    assert math.isfinite(fits[("nest", "hub")]["memory_exponent"])


def run_cli(capsys, *argv):
    from hub.cli import main

    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_bench_json(capsys):
    code, out, err = run_cli(
        capsys,
        "bench",
        "cuba",
        "--param",
        "scale=0.1",
        "--backends",
        "nest",
        "--native",
        "--repeat",
        "1",
        "--duration",
        "50",
        "--json",
    )
    assert code == 0, err
    doc = json.loads(out)
    runs = {(m["backend"], m["path"]): m for m in doc["measurements"]}
    assert runs[("nest", "hub")]["spikes"] == runs[("nest", "native")]["spikes"]
    assert doc["network"]["duration_ms"] == 50.0
    code, out, err = run_cli(capsys, "bench", "models/vogels_abbott.py", "--native")
    assert code == 2 and "no hand-written scripts" in err


@pytest.mark.parametrize("name, params", [("cuba", {"scale": 0.25}), ("brunel", {"scale": 0.05})])
def test_native_brian2_script_fires_like_the_hub_network(name, params):
    """The hand-written Brian2 script builds the same network with Brian2's own conventions
    (its schedule, PoissonInput): not spike for spike, but the same rates (measured 3 % and
    1 % apart)."""
    pytest.importorskip("brian2")
    from hub.benchmarks import native_brian2

    r = hub.resolve(BENCHMARKS[name].build(**params), 300.0)
    res = hub.run(r, backend="brian2")
    native = native_brian2.SCRIPTS[name](r)
    for label, counts in native["counts"].items():
        assert counts.sum() == pytest.approx(len(res.spike_trains[label]), rel=0.10)


def test_peak_rss_of_a_worker_is_its_own_not_its_parents():
    """getrusage's ru_maxrss survives execve: a child of a 300 MiB parent reported 300 MiB.
    The workers read VmHWM instead (Linux)."""
    import subprocess
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("VmHWM is Linux's")
    ballast = np.ones(40_000_000)  # 305 MiB resident in this process
    ballast[::512] = 2.0
    out = subprocess.run(
        [sys.executable, "-c", "from hub.worker import peak_rss_mb; print(peak_rss_mb())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(out.stdout) < 150.0, out.stdout
    assert ballast.sum() > 0

"""The memory guard (hub/memory.py): the counts against what ``hub.resolve`` draws, the
estimate against the peaks ``make bench`` measured (docs/benchmarks/*.json, read here), the
refusal before anything is drawn, the override, and ``snn-hub validate -b`` printing it."""

from __future__ import annotations

import importlib.util
import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import hub
from hub import memory
from hub.benchmarks import BENCHMARKS
from hub.cli import main
from hub.errors import HubError, ResourceError

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024.0**2

HUGE = """
import hub

DURATION = 1000.0


def build(n: int = 200_000, p: float = 0.5):
    net = hub.Network(dt=0.1, seed=1, label="huge")
    a = net.add_population(n, hub.LIF(), label="a")
    net.connect(a, a, hub.FixedProbability(p), hub.Static(weight=0.01, delay=1.0))
    net.record(a, "spikes")
    return net
"""

SMALL = """
import hub

DURATION = 20.0


def build():
    net = hub.Network(dt=0.1, seed=1, label="small")
    src = net.add_source(hub.PoissonSource(rate=500.0), size=20, label="src")
    a = net.add_population(30, hub.LIF(), label="a")
    net.connect(src, a, hub.FixedProbability(0.5), hub.Static(weight=1.0, delay=1.0))
    net.record(a, "spikes")
    return net
"""


def huge(n=200_000, p=0.5):
    net = hub.Network(dt=0.1, seed=1, label="huge")
    a = net.add_population(n, hub.LIF(), label="a")
    net.connect(a, a, hub.FixedProbability(p), hub.Static(weight=0.01, delay=1.0))
    net.record(a, "spikes")
    return net


@pytest.fixture
def no_resolve(monkeypatch):
    """hub.resolve (as hub.run and hub.compare call it) fails the test if reached."""

    def touched(*args, **kwargs):
        raise AssertionError("resolve was reached: the guard came too late")

    import hub.api
    import hub.comparison

    monkeypatch.setattr(hub.api, "resolve", touched)
    monkeypatch.setattr(hub.comparison, "resolve", touched)


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the counts, against what resolve() draws ------------------------------------------------
def test_counts_match_the_resolved_network():
    net = hub.Network(dt=0.1, seed=3)
    src = net.add_source(hub.PoissonSource(rate=200.0, start=10.0, stop=60.0), 40, label="src")
    times = net.add_source(hub.SpikeTimes([1.0, 2.0, 3.0]), 5, label="times")
    a = net.add_population(300, hub.LIF(), label="a")
    b = net.add_population(200, hub.LIF(), label="b")
    net.connect(src, a, hub.FixedProbability(0.2), hub.Static(0.1, delay=2.0))
    net.connect(a, a, hub.AllToAll(allow_self_connections=False), hub.Static(0.01, delay=0.5))
    net.connect(a, b, hub.FixedInDegree(7), hub.Static(0.01, delay=hub.Uniform(0.5, 4.0)))
    net.connect(b, a, hub.FixedOutDegree(3), hub.Static(0.01))
    net.connect(times, b, hub.FromArrays([0, 1, 4], [5, 6, 7]), hub.Static(0.01))
    net.connect(b, b, hub.OneToOne(), hub.Static(0.01))
    net.record(a, "v", interval=1.0)
    net.record(b, "v", indices=[0, 1, 2])
    net.record(a, "spikes", indices=[0, 1, 2])
    net.record(a, "spikes", indices=[2, 3])
    net.record(b, "spikes")
    c = memory.count(net, 100.0)
    r = hub.resolve(net, 100.0)
    drawn = sum(len(p.pre_idx) for p in r.projections)
    fixed = drawn - len(r.projections[0].pre_idx)
    assert c.neurons == 500 and c.sources == 45 and c.steps == 1000
    assert c.spike_recorded == 4 + 200  # the union of a's spike probes, all of b
    # every connector but FixedProbability is exact; its draw is within 3 sigma of p n m
    assert c.synapses - 0.2 * 40 * 300 == fixed == 300 * 299 + 7 * 200 + 3 * 200 + 3 + 200
    assert abs(len(r.projections[0].pre_idx) - 2400) < 3 * np.sqrt(2400 * 0.8)
    # input spikes: 200 Hz x 50 ms x 40 neurons expected, 3 x 5 given
    hub_spikes = len(r.sources["src"].stamps) + len(r.sources["times"].stamps)
    assert c.input_spikes == pytest.approx(400.0 + 15.0)
    assert abs(hub_spikes - 415) < 4 * np.sqrt(400)
    # samples: 300 neurons every 10 steps, 3 neurons every step
    assert c.samples == 300 * 100 + 3 * 1000
    # ring slots: largest delay into a (2 ms = 20 steps) and into b (4 ms = 40 steps), + 2
    assert c.ring_slots == 300 * (20 + 2) + 200 * (40 + 2)
    assert max(p.delay_steps.max() for p in r.projections if p.post == "b") <= 40


def test_expected_synapses_of_every_connector():
    assert memory.expected_synapses(hub.FixedProbability(0.5), 200_000, 200_000, False) == 2e10
    assert memory.expected_synapses(hub.AllToAll(), 10, 10, True) == 90
    assert memory.expected_synapses(hub.FixedInDegree(5), 10, 20, False) == 100
    assert memory.expected_synapses(hub.FixedOutDegree(5), 10, 20, False) == 50
    assert memory.expected_synapses(object(), 10, 20, False) is None


# --- calibration: within 25 % of the peaks make bench measured --------------------------------
#: report -> (benchmark, parameters); the peaks are read from docs/benchmarks/REPORT.json
CASES = {
    "cuba": ("cuba", {}),
    "coba": ("coba", {}),
    "brunel-0.1": ("brunel", {"scale": 0.1}),
    "brunel-0.25": ("brunel", {"scale": 0.25}),
    "brunel-0.5": ("brunel", {"scale": 0.5}),
    "brunel-1": ("brunel", {"scale": 1.0}),
    "stdp": ("stdp", {}),
}


def measured_peaks():
    out = []
    for report in CASES:
        doc = json.loads((ROOT / "docs" / "benchmarks" / f"{report}.json").read_text())
        for m in doc["measurements"]:
            if m["path"] == "hub" and m["status"] == "ok":
                out.append((report, m["backend"], m["peak_rss_mb"]))
    return out


@pytest.mark.parametrize("report,backend,peak_mib", measured_peaks())
def test_estimate_within_25_percent_of_the_measured_peak(report, backend, peak_mib):
    bench, params = CASES[report]
    b = BENCHMARKS[bench]
    est = memory.estimate(b.build(**params), backend, b.duration)
    assert est.calibrated
    ratio = est.total / (peak_mib * MIB)
    assert 0.75 <= ratio <= 1.25, f"{report} on {backend}: {est.describe()} vs {peak_mib:.0f} MiB"


def _probe_module():
    spec = importlib.util.spec_from_file_location("memory_probe", ROOT / "scripts/memory_probe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: the held-out networks, which record 2.8 million spikes (a term the estimate leaves out):
#: checked per recorded spike below, not against the 25 % of the fitted cases
HELD_OUT = ("mixed", "spikes")


def probe_peaks(held_out=False):
    """(case, backend, peak MiB) of tests/data/memory_probes.json (scripts/memory_probe.py):
    the cases of the fit, or the held-out ones."""
    doc = json.loads((ROOT / "tests" / "data" / "memory_probes.json").read_text())
    return [
        (case, backend, entry[backend]["peak_rss_mb"])
        for case, entry in doc["cases"].items()
        for backend in memory.COSTS
        if "peak_rss_mb" in entry.get(backend, {}) and (case in HELD_OUT) == held_out
    ]


@pytest.mark.parametrize("case,backend,peak_mib", probe_peaks())
def test_estimate_within_25_percent_of_the_probes(case, backend, peak_mib):
    """Neurons with and without recorded spikes, recorded state, 100 ms delays and
    hub-drawn Poisson input."""
    net, duration = _probe_module().build(case)
    est = memory.estimate(net, backend, duration)
    ratio = est.total / (peak_mib * MIB)
    assert 0.75 <= ratio <= 1.25, f"{case} on {backend}: {est.describe()} vs {peak_mib:.0f} MiB"


@pytest.mark.parametrize("backend", sorted(memory.COSTS))
def test_what_the_estimate_misses_on_held_out_networks_is_the_recorded_spikes(backend):
    """The estimate leaves recorded spikes out (their number is unknown before the run).  On
    the held-out network firing at about 345 Hz (2.8 million recorded spikes), with and
    without recorded v, what the estimate misses is 40-150 bytes per recorded spike."""
    doc = json.loads((ROOT / "tests" / "data" / "memory_probes.json").read_text())
    for case in ("spikes", "mixed"):
        got = doc["cases"][case][backend]
        net, duration = _probe_module().build(case)
        missing = got["peak_rss_mb"] * MIB - memory.estimate(net, backend, duration).total
        per_spike = missing / got["recorded_spikes"]
        assert got["recorded_spikes"] > 2e6 and 40.0 <= per_spike <= 150.0, (case, per_spike)


def test_every_benchmarked_backend_is_calibrated():
    assert {backend for _, backend, _ in measured_peaks()} == set(memory.COSTS)
    assert len(measured_peaks()) == 20  # 7 reports; COBA without the chip
    # 6 probes on 3 backends; the chip cannot hold the 100 ms delays (at most 62 steps)
    assert len(probe_peaks()) == 14 and len(probe_peaks(held_out=True)) == 6


# --- the refusal, before anything is drawn ----------------------------------------------------
def test_200k_neurons_at_p_half_is_refused_before_any_allocation(sentinel, no_resolve):
    net = huge()
    tracemalloc.start()
    try:
        with pytest.raises(ResourceError) as exc:
            hub.run(net, backend="sentinel", duration=1000.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * MIB
    text = str(exc.value)
    # the hub's own arrays alone: 2e10 synapses x 32 bytes = 596 GiB ("sentinel" is uncalibrated)
    assert "needs an estimated 596 GiB" in text, text
    assert "available" in text and "memory_check=False" in text and "--no-memory-check" in text
    assert isinstance(exc.value, HubError)


@pytest.mark.parametrize("backend", ["nest", "brian2", "chip"])
def test_huge_network_refused_on_every_calibrated_backend(backend, no_resolve):
    est = memory.estimate(huge(), backend, 1000.0)
    # at least the hub's arrays (2e10 x 32 bytes) plus the backend's synapses
    per_synapse = memory.HUB_PER_SYNAPSE + memory.COSTS[backend].per_synapse
    assert est.terms["synapses"] == pytest.approx(2e10 * per_synapse)
    with pytest.raises(ResourceError, match=r"needs an estimated [\d.]+ [GT]iB"):
        hub.run(huge(), backend=backend, duration=1000.0)


def test_compare_refuses_before_any_process_starts(no_resolve, monkeypatch):
    import hub.comparison

    def spawned(*args, **kwargs):
        raise AssertionError("a worker process was started")

    monkeypatch.setattr(hub.comparison, "spawn_worker", spawned)
    with pytest.raises(ResourceError, match="comparing network 'huge' on nest, chip"):
        hub.compare(huge(), backends=["nest", "chip"], duration=1000.0)


def test_validation_problems_come_before_the_memory_estimate(sentinel, no_resolve):
    net = huge()
    net.projections[0].connector.p = 1.5
    with pytest.raises(hub.ValidationError, match="probability 1.5"):
        hub.run(net, backend="sentinel", duration=1000.0)


# --- the override, tested with a small limit instead of a large allocation --------------------
def small():
    net = hub.Network(dt=0.1, seed=1, label="small")
    src = net.add_source(hub.PoissonSource(rate=500.0), size=20, label="src")
    a = net.add_population(30, hub.LIF(), label="a")
    net.connect(src, a, hub.FixedProbability(0.5), hub.Static(weight=1.0, delay=1.0))
    net.record(a, "spikes")
    return net


@pytest.mark.nest
def test_a_small_limit_refuses_and_memory_check_false_runs(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 50 * MIB)
    est = memory.estimate(small(), "nest", 20.0)
    assert est.total > 50 * MIB  # the base alone (135 MiB)
    with pytest.raises(ResourceError, match=r"more than the 50 MiB available"):
        hub.run(small(), backend="nest", duration=20.0)
    res = hub.run(small(), backend="nest", duration=20.0, memory_check=False)
    assert len(res.spikes("a")) > 0
    monkeypatch.setattr(memory, "available_bytes", lambda: est.total + 1.0)
    assert len(hub.run(small(), backend="nest", duration=20.0).spikes("a")) > 0


def test_available_memory_is_read_from_the_system():
    total = None
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                total = float(line.split()[1]) * 1024.0
    free = memory.available_bytes()
    assert 0 < free <= total


# --- the command line ---------------------------------------------------------------------------
def test_validate_prints_the_estimate_per_backend(tmp_path, capsys):
    path = tmp_path / "small.py"
    path.write_text(SMALL)
    code, out, _ = run_cli(capsys, "validate", str(path), "-b", "nest,chip")
    assert code == 0, out
    assert out.startswith("OK: ") and "runs on nest, chip" in out
    assert "estimated peak memory of a 20 ms run" in out
    for backend in ("nest", "chip"):
        est = memory.estimate(small(), backend, 20.0)
        assert f"  {est.describe()}\n" in out
        assert est.describe().startswith(f"{backend}: {memory.size_text(est.total)} (")
    code, out, _ = run_cli(capsys, "validate", str(path), "-b", "nest", "--duration", "5000")
    assert "of a 5000 ms run" in out


def test_validate_reports_a_network_that_does_not_fit_without_resolving_it(
    tmp_path, capsys, no_resolve, monkeypatch
):
    monkeypatch.setattr(hub, "resolve", lambda *a, **k: pytest.fail("resolved"))
    path = tmp_path / "huge.py"
    path.write_text(HUGE)
    code, out, _ = run_cli(capsys, "validate", str(path))
    assert code == 0 and out.startswith("OK: ")  # no backend: the IR alone is valid
    code, out, _ = run_cli(capsys, "validate", str(path), "-b", "nest")
    assert code == 1
    assert "backend 'nest': a 1000 ms run needs an estimated" in out
    assert "--no-memory-check" in out
    assert f"  {memory.estimate(huge(), 'nest', 1000.0).describe()}\n" in out
    assert "TiB" in out


def test_run_refuses_with_exit_2_and_no_memory_check_runs(tmp_path, capsys, monkeypatch):
    path = tmp_path / "small.py"
    path.write_text(SMALL)
    monkeypatch.setattr(memory, "available_bytes", lambda: 10 * MIB)
    code, out, err = run_cli(capsys, "run", str(path), "-b", "chip", "--no-progress")
    assert code == 2 and out == ""
    assert err.startswith("snn-hub: error: memory: running network 'small' on chip needs")
    assert "more than the 10 MiB available" in err
    code, out, err = run_cli(
        capsys, "run", str(path), "-b", "chip", "--no-progress", "--no-memory-check"
    )
    assert code == 0, err
    assert "small.py on chip" in out


def test_compare_cli_refuses_with_exit_2_before_any_worker(tmp_path, capsys, no_resolve):
    path = tmp_path / "huge.py"
    path.write_text(HUGE)
    code, out, err = run_cli(capsys, "compare", str(path), "-b", "nest,chip", "--no-progress")
    assert code == 2 and out == ""
    assert err.startswith("snn-hub: error: memory: comparing network 'huge' on nest, chip needs")
    assert "--no-memory-check" in err

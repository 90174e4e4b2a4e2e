"""Progress: ``hub.run(..., progress=...)``, ``hub.compare(..., progress=...)``,
``hub.Simulation(..., progress=...)`` and the command line's bars (hub/progress.py, tqdm).

Every backend (NEST, Brian2, the chip, the kit's reference engine, hub_pynn) draws a bar to
100 % with ``progress=True`` and hands a callable strictly increasing fractions that end at
1.0; a bad value is a HubError before any simulator runs."""

from __future__ import annotations

import importlib.util
import io
import os
import time
from pathlib import Path

import pytest

import hub
from hub import progress as hp
from hub.cli import main

#: backends run in this process; pynn.nest only with PyNN and NEST installed
BACKENDS = [
    pytest.param("nest", marks=pytest.mark.nest),
    pytest.param("brian2", marks=pytest.mark.brian2),
    "chip",
    "reference",
    pytest.param(
        "pynn.nest",
        marks=[
            pytest.mark.nest,
            pytest.mark.skipif(
                importlib.util.find_spec("pyNN") is None, reason="PyNN is not installed"
            ),
        ],
    ),
]


@pytest.fixture
def backend(request, fresh_hub):
    """The backend's name; the kit's reference engine is registered for "reference"."""
    from hub.plugins import make_plugin_manager, reset_plugin_manager
    from hub.testing.reference import ReferencePlugin

    if request.param == "reference":
        reset_plugin_manager(make_plugin_manager(autoload=False, plugins=[ReferencePlugin()]))
    return request.param


def feedforward(seed=2):
    net = hub.Network(dt=0.1, seed=seed, label="ff")
    inp = net.add_source(hub.PoissonSource(rate=50.0), size=20, label="input")
    cells = net.add_population(10, hub.LIF(tau_refrac=2.0), label="cells")
    net.connect(inp, cells, hub.FixedProbability(0.5), hub.Static(weight=2.0, delay=1.0))
    net.record(cells, "spikes")
    return net


def strictly_increasing_to_one(fractions) -> bool:
    return (
        len(fractions) >= 1
        and all(0.0 <= f <= 1.0 for f in fractions)
        and all(a < b for a, b in zip(fractions, fractions[1:]))
        and fractions[-1] == 1.0
    )


# --- hub.run on every backend ----------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_progress_true_draws_a_bar_to_100_percent(backend, capsys):
    res = hub.run(feedforward(), backend=backend, duration=100.0, progress=True)
    assert res.spike_trains["cells"].size == 10
    out, err = capsys.readouterr()
    assert out == ""  # the bar goes to stderr: --json output on stdout stays clean
    assert f"{backend}: 100%" in err, err


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_a_callable_sees_increasing_fractions_ending_at_one(backend, capsys):
    seen = []
    hub.run(feedforward(), backend=backend, duration=100.0, progress=seen.append)
    assert strictly_increasing_to_one(seen), seen
    assert capsys.readouterr().err == ""  # a callback draws nothing itself


@pytest.mark.parametrize("off", [None, False])
def test_no_progress_is_silent(off, capsys):
    hub.run(feedforward(), backend="chip", duration=20.0, progress=off)
    assert capsys.readouterr().err == ""


def test_nest_reports_in_steps(capsys):
    """NEST runs in chunks when asked for progress: more than the final 1.0 arrives."""
    pytest.importorskip("nest")
    seen = []
    hub.run(feedforward(), backend="nest", duration=100.0, progress=seen.append)
    assert len(seen) >= 10 and strictly_increasing_to_one(seen)


@pytest.mark.parametrize("bad", ["yes", 1, 0.5, ["a"]])
def test_a_bad_value_is_a_hub_error_before_any_simulator_runs(sentinel, bad):
    """The sentinel backend fails the test if built: the error must come first."""
    with pytest.raises(hub.HubError, match=r"progress: .* is not True, False, None or a callable"):
        hub.run(feedforward(), backend="sentinel", duration=10.0, progress=bad)
    with pytest.raises(hub.HubError, match="progress: "):
        hub.Simulation(feedforward(), backend="sentinel", progress=bad)
    with pytest.raises(hub.HubError, match=r"progress: .* f\(backend, fraction\)"):
        hub.compare(feedforward(), backends=["sentinel"], duration=10.0, progress=bad)


def test_the_host_passes_on_only_increasing_fractions_and_closes_its_own_bar():
    seen = []
    report = hp.for_run(seen.append, "x")
    for f in [0.0, 0.2, 0.1, 0.2, "junk", 0.5, 7.0, 1.0]:
        report(f)
    report.close()  # the user's callable is not ours to close
    assert seen == [0.0, 0.2, 0.5, 1.0]
    assert hp.for_run(None) is None and hp.for_run(False) is None
    bar = hp.for_run(True, "x")
    assert isinstance(bar.callback, hp.ProgressBar) and bar.owned
    bar.close()


def test_a_simulation_shows_a_bar_per_segment(capsys):
    sim = hub.Simulation(feedforward(), backend="chip", progress=True)
    sim.run(20.0)
    sim.run(20.0)
    assert capsys.readouterr().err.count("chip: 100%") == 2


# --- the bar itself --------------------------------------------------------------------------
class TTY(io.StringIO):
    def isatty(self):
        return True


def test_a_bar_stays_where_a_failed_run_left_it():
    stream = io.StringIO()
    bar = hp.ProgressBar("nest", file=stream)
    bar(0.3)
    bar.close()
    text = stream.getvalue()
    assert "nest:  30%" in text and "100%" not in text


def test_a_bar_ignores_junk_and_a_closed_stream():
    stream = TTY()
    bar = hp.ProgressBar("x", file=stream)
    bar("not a number")
    stream.close()
    bar(0.5)
    bar.close()


def test_the_cli_bar_on_a_terminal_shows_at_once():
    stream = TTY()
    with hp.cli_bar("brian2", stream) as bar:
        bar(0.5)
        bar(1.0)
    assert "brian2: 100%" in stream.getvalue()


def test_the_cli_bar_in_a_log_is_quiet_for_short_runs():
    stream = io.StringIO()
    with hp.cli_bar("nest", stream) as bar:
        for k in range(11):
            bar(k / 10)
    assert stream.getvalue() == ""


def test_the_cli_bar_in_a_log_appears_after_its_delay(monkeypatch):
    monkeypatch.setattr(hp, "LOG_DELAY_S", 0.05)
    monkeypatch.setattr(hp, "LOG_INTERVAL_S", 0.05)
    stream = io.StringIO()
    with hp.cli_bar("nest", stream) as bar:
        bar(0.1)
        time.sleep(0.1)
        bar(1.0)
    assert "nest: 100%" in stream.getvalue()


def test_cli_run_no_progress_and_short_runs_leave_stderr_empty(toy, tmp_path, capsys):
    path = tmp_path / "chain.py"
    path.write_text(
        "import hub\nDURATION = 5.0\n\n\ndef build():\n"
        "    net = hub.Network(dt=0.1, seed=1)\n"
        "    net.record(net.add_population(2, hub.LIF(synapse='delta'), label='a'), 'spikes')\n"
        "    return net\n"
    )
    assert main(["run", str(path), "-b", "toy"]) == 0  # stderr is not a terminal here
    assert capsys.readouterr().err == ""
    assert main(["run", str(path), "-b", "toy", "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


# --- hub.compare -----------------------------------------------------------------------------
@pytest.fixture
def compare_backends(monkeypatch, fresh_hub):
    """The backends of tests/compare_backends.py, here and in every worker (as
    tests/test_compare.py's ``test_backends``)."""
    from hub.plugins import reset_plugin_manager

    here = str(Path(__file__).resolve().parent)
    monkeypatch.syspath_prepend(here)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([here] + paths))
    monkeypatch.setenv("SNN_HUB_PLUGINS", "compare_backends")
    monkeypatch.setenv("SNN_HUB_DISABLE_PLUGIN_AUTOLOAD", "1")
    reset_plugin_manager(None)


def test_compare_progress_true_draws_a_bar_per_backend(compare_backends, capsys):
    cmp = hub.compare(feedforward(), backends=["steady", "twin"], duration=10.0, progress=True)
    assert cmp.ok
    err = capsys.readouterr().err
    assert "steady: 100%" in err and "twin: 100%" in err, err


def test_compare_callable_sees_increasing_fractions_per_backend(compare_backends, capsys):
    seen: dict[str, list] = {}
    hub.compare(
        feedforward(),
        backends=["steady", "twin"],
        duration=10.0,
        progress=lambda name, f: seen.setdefault(name, []).append(f),
    )
    assert set(seen) == {"steady", "twin"}
    assert all(strictly_increasing_to_one(f) for f in seen.values()), seen
    assert capsys.readouterr().err == ""


def test_backend_bars_start_a_new_bar_for_the_next_repeat():
    made = []

    def make(name):
        made.append((name, io.StringIO()))
        return hp.ProgressBar(name, file=made[-1][1])

    bars = hp.BackendBars(make)
    for f in (0.5, 1.0, 0.2, 0.6):
        bars("nest", f)
    bars("chip", 1.0)
    bars.close()
    assert [name for name, _ in made] == ["nest", "nest", "chip"]
    texts = [stream.getvalue() for _, stream in made]
    assert "nest: 100%" in texts[0] and "nest:  60%" in texts[1] and "100%" not in texts[1]
    assert "chip: 100%" in texts[2]

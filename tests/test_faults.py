"""Simulator faults: absurd but finite input never hangs or crashes a run,
and a simulator that fails or diverges is a BackendError naming the backend, the population
and the simulation time.

Cases that used to hang or crash run in a child process with a timeout, so a regression
fails the test instead of stopping the suite.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import hub
from hub.backend import Option, cpu_bound
from hub.errors import BackendError, HubError, ValidationError
from hub.ir import limits
from hub.resolve import check_duration
from hub.results import Results, Signal, check_finite

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _child(code: str, timeout: float = 90.0, **env) -> str:
    """Run ``code`` in a fresh interpreter (``env`` added to the environment); its stdout, or
    a failure on timeout or crash."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env={**os.environ, **env},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not return within {timeout} s (a hang)")
    assert done.returncode == 0, f"crashed (exit {done.returncode}): {done.stderr[-2000:]}"
    return done.stdout


def _poisson_net(rate=20.0, size=10, native=False):
    net = hub.Network(dt=0.1, seed=1)
    e = net.add_population(2, hub.LIF(), label="e")
    src = hub.PoissonSource(rate=rate, resolve="native" if native else "hub")
    i = net.add_source(src, size=size, label="inp")
    net.connect(i, e, hub.AllToAll(), hub.Static(weight=0.5, delay=1.0))
    return net


def _cond_net(model, weight=0.01, label="e", dt=0.1, size=2):
    net = hub.Network(dt=dt, seed=1)
    e = net.add_population(size, model, label=label)
    i = net.add_source(hub.SpikeTimes([1.0, 2.0, 5.0]), size=1, label="inp")
    net.connect(i, e, hub.AllToAll(), hub.Static(weight=weight, delay=1.0))
    net.record(e, "spikes", "v")
    return net


# --- 1. duration=1e30: bounded steps and Poisson draws ---------------------------------------
def test_huge_duration_with_poisson_is_refused_before_drawing():
    out = _child(
        """
        import time, hub
        from tests.test_faults import _poisson_net
        t = time.perf_counter()
        try:
            hub.resolve(_poisson_net(), 1e30)
        except hub.ValidationError as e:
            print("REFUSED", round(time.perf_counter() - t, 3), e)
        """,
        timeout=60,
    )
    assert out.startswith("REFUSED"), out
    assert float(out.split()[1]) < 1.0  # refused, not drawn
    assert "duration" in out and str(limits.MAX_STEPS) in out


def test_step_bound_is_exact():
    dt = 0.1
    assert check_duration(limits.MAX_STEPS * dt, dt) == limits.MAX_STEPS * dt
    with pytest.raises(ValidationError, match=r"duration: .* more than the 2147483647 steps"):
        check_duration((limits.MAX_STEPS + 1) * dt, dt)


def test_poisson_draws_bound_names_the_source_and_native_passes(sentinel):
    steps = 2_000_000  # 200 s at dt = 0.1 ms: within MAX_STEPS
    size = limits.MAX_POISSON_DRAWS // steps + 1  # one source neuron too many
    net = _poisson_net(size=size)
    with pytest.raises(ValidationError) as err:
        hub.run(net, backend="sentinel", duration=steps * 0.1)
    text = str(err.value)
    assert "populations[1](inp)" in text and "resolve='native'" in text
    assert f"draw {size * steps:,} Poisson counts" in text and "10,000,000,000" in text
    # the same source drawn by the backend is not the hub's work: resolve draws nothing
    resolved = hub.resolve(_poisson_net(size=size, native=True), steps * 0.1)
    assert resolved.sources["inp"].native and len(resolved.sources["inp"].stamps) == 0
    # a source window [start, stop] counts, not the run: 1 ms of a long run is allowed
    short = hub.Network(dt=0.1, seed=1)
    short.add_source(hub.PoissonSource(rate=20.0, stop=1.0), size=size, label="inp")
    assert hub.resolve(short, steps * 0.1).sources["inp"].stamps.max() <= 10


# --- 2. ODE-integrated models: no time constant below 1 us -----------------------------------
@pytest.mark.parametrize(
    "model, weight, where",
    [
        (hub.LIFCond(tau_m=1e-30), 0.01, "populations[0](e).tau_m"),
        (hub.LIFCond(tau_syn_E=1e-30), 0.01, "populations[0](e).tau_syn_E"),
        (hub.LIFCond(), 1e30, "projections[0](inp->e).synapse.weight"),
        (hub.LIFCond(cm=1e-30), 0.01, "projections[0](inp->e).synapse.weight"),
        (hub.LIFCond(synapse="alpha"), 1e30, "projections[0](inp->e).synapse.weight"),
        (hub.LIFCond(i_offset=1e300), 0.01, "populations[0](e).i_offset"),
        (hub.AdEx(tau_m=1e-30), 0.01, "populations[0](e).tau_m"),
        (hub.AdEx(a=1e30), 0.01, "populations[0](e).a"),
        (hub.HodgkinHuxley(gbar_Na=1e30), 0.01, "populations[0](e).gbar_Na"),
        (hub.LIFCond(tau_m=hub.Uniform(1e-9, 20.0)), 0.01, "populations[0](e).tau_m"),
    ],
)
def test_stiff_parameters_are_refused_before_any_simulator(sentinel, model, weight, where):
    with pytest.raises(ValidationError) as err:
        hub.run(_cond_net(model, weight), backend="sentinel", duration=10.0)
    assert where in str(err.value)
    assert "ODE solver" in str(err.value)


def test_the_bounds_are_the_stated_numbers():
    """At the bound a network validates; just past it, it does not."""
    tau = limits.MIN_TIME_CONSTANT
    hub.LIFCond(tau_m=tau, tau_syn_E=tau, tau_syn_I=tau)  # builds
    _cond_net(hub.LIFCond(tau_m=tau, tau_syn_E=tau, tau_syn_I=tau), weight=1 / tau).validate()
    _cond_net(hub.LIFCond(i_offset=limits.MAX_VOLTAGE_RATE)).validate()
    for model, weight in [
        (hub.LIFCond(tau_m=tau * 0.99), 0.01),
        (hub.LIFCond(), 1 / tau * 1.01),
        (hub.LIFCond(i_offset=limits.MAX_VOLTAGE_RATE * 1.01), 0.01),
    ]:
        with pytest.raises(ValidationError):
            _cond_net(model, weight).validate()
    # models with exact propagators are not bounded: LIF with tau_m = 1e-6 ms is valid
    net = hub.Network(dt=0.1)
    net.add_population(1, hub.LIF(tau_m=1e-6), label="e")
    net.validate()


@pytest.mark.nest
@pytest.mark.parametrize("change", ["tau_m=1e-30", "weight=1e30", "i_offset=1e300"])
def test_lifcond_inputs_that_hung_nest_now_return(change):
    name, value = change.split("=")
    out = _child(
        f"""
        import hub
        from tests.test_faults import _cond_net
        kw = {{"{name}": {value}}} if "{name}" != "weight" else {{}}
        w = {value} if "{name}" == "weight" else 0.01
        try:
            hub.run(_cond_net(hub.LIFCond(**kw), w), backend="nest", duration=10.0)
            print("RAN")
        except hub.ValidationError as e:
            print("REFUSED", e)
        """,
        timeout=60,
    )
    assert out.startswith("REFUSED"), out


@pytest.mark.nest
def test_nest_finishes_at_the_bounds():
    """The bounds are enough for NEST's adaptive solver: every rate at its limit (time
    constants of 1 us, weights of 1000 * cm, 1e6 mV/ms of current, 500 Hz input) returns."""
    out = _child(
        """
        import hub
        net = hub.Network(dt=0.1, seed=1)
        m = hub.LIFCond(tau_m=1e-3, tau_syn_E=1e-3, tau_syn_I=1e-3, i_offset=1e6)
        e = net.add_population(3, m, label="e")
        i = net.add_source(hub.PoissonSource(rate=500.0), size=5, label="inp")
        for receptor in ("excitatory", "inhibitory"):
            net.connect(i, e, hub.AllToAll(), hub.Static(1000.0, 1.0, receptor=receptor))
        net.record(e, "spikes", "v")
        r = hub.run(net, backend="nest", duration=10.0)
        print("RAN", len(r.spikes("e")))
        """,
        timeout=60,
    )
    assert out.startswith("RAN"), out


# --- 3. options: bounded before NEST is touched ----------------------------------------------
def test_threads_100000_is_refused_on_the_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "hub", "run", "models/synfire.py", "-b", "nest"]
        + ["--option", "threads=100000"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    assert "threads=100000" in done.stderr and f"<= {cpu_bound()}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "backend, option, value",
    [("nest", "threads", 100_000), ("brian2", "jobs", 100_000), ("nest", "threads", 0)],
)
def test_count_options_are_bounded(backend, option, value):
    from hub.plugins import plugin_manager

    declared = plugin_manager().get_backend(backend).capabilities().options
    with pytest.raises(HubError) as err:
        hub.backend.convert_options(backend, declared, {option: value})
    text = str(err.value)
    assert f"{option}={value!r}" in text and backend in text
    assert ">= 1" in text and (value == 0 or f"<= {cpu_bound()}" in text)
    assert hub.backend.convert_options(backend, declared, {option: "2"}) == {option: 2}


def test_option_maximum():
    opt = Option("n", int, 1, minimum=1, maximum=4)
    assert opt.convert("4") == 4
    with pytest.raises(HubError, match=r"option n=5 must be an integer >= 1 and <= 4"):
        opt.convert(5)
    assert cpu_bound() == max(8, 4 * len(os.sched_getaffinity(0)))


@pytest.mark.brian2
def test_brian2_substeps_bounded_before_brian2():
    from hub_brian2.backend import MAX_SUBSTEPS, _substeps

    assert _substeps(MAX_SUBSTEPS)["LIFCond"] == MAX_SUBSTEPS
    with pytest.raises(HubError, match=r"substeps=101 for .* 1 <= n <= 100"):
        _substeps(MAX_SUBSTEPS + 1)


# --- 4. divergence and simulator errors are named --------------------------------------------
def _results_with(values, times, indices, population="exc"):
    res = Results()
    res.signals[(population, "v")] = Signal("v", "mV", times, indices, values)
    return res


def test_check_finite_names_backend_population_neuron_and_first_time():
    values = np.zeros((4, 3))
    values[2, 1] = np.inf
    values[3, 0] = np.nan
    res = _results_with(values, np.array([0.1, 0.2, 0.3, 0.4]), np.array([5, 7, 9]))
    with pytest.raises(BackendError) as err:
        check_finite(res, "nest")
    text = str(err.value)
    assert "'nest'" in text and "'exc'" in text and "t = 0.3 ms" in text and "neuron 7" in text
    check_finite(_results_with(np.ones((4, 3)), np.arange(4.0), np.arange(3)), "nest")
    res = Results()
    res.synapse_state[("plastic", "weight")] = np.array([0.1, math.nan])
    with pytest.raises(BackendError, match=r"'plastic' diverged: final weight of synapse 1"):
        check_finite(res, "chip")


def _hh_net(i_offset):
    net = hub.Network(dt=0.1, seed=1)
    net.add_population(2, hub.LIF(), label="quiet")
    h = net.add_population(
        3, hub.HodgkinHuxley(cm=1.0, gbar_Na=1000.0, gbar_K=1000.0, i_offset=i_offset), label="hh"
    )
    net.record(h, "spikes", "v")
    return net


@pytest.mark.nest
def test_nest_nan_state_is_a_backend_error():
    """Valid parameters at the bounds whose HH state becomes NaN in NEST (it used to come back
    as NaN samples and no spikes)."""
    with pytest.raises(BackendError) as err:
        hub.run(_hh_net(1e6), backend="nest", duration=5.0)
    text = str(err.value)
    assert "'nest'" in text and "population 'hh'" in text and "v = nan at t = 0.1 ms" in text


@pytest.mark.brian2
def test_brian2_nan_state_is_a_backend_error():
    with pytest.raises(BackendError) as err:
        hub.run(_hh_net(1e3), backend="brian2", duration=1.0, codegen="numpy")
    text = str(err.value)
    assert "'brian2'" in text and "population 'hh'" in text and "v = nan at t =" in text


@pytest.mark.nest
def test_nest_run_error_names_time_and_population():
    """NEST's NumericalInstability (AdEx whose adaptation jump b is absurd) names the
    population of that NEST model and the time NEST reached."""
    net = hub.Network(dt=0.1, seed=1)
    net.add_population(2, hub.LIF(), label="quiet")
    net.add_population(3, hub.AdEx(i_offset=5.0, b=1e6), label="adex")
    with pytest.raises(BackendError) as err:
        hub.run(net, backend="nest", duration=20.0)
    text = str(err.value)
    assert "NEST failed while running at t = " in text
    assert "(population 'adex')" in text and "NumericalInstability" in text


def _build_error(backend, model, dt) -> str:
    with pytest.raises(ValidationError) as err:
        backend.build(hub.resolve(_cond_net(model, dt=dt), 10.0))
    return str(err.value)


@pytest.mark.brian2
def test_brian2_refuses_what_its_rk4_cannot_follow():
    """tau_m = 0.01 ms at dt = 0.1 ms: RK4 with one substep is unstable (it used to fire
    every other step from round-off); the error gives the substeps that would do."""
    from hub.plugins import make_plugin_manager

    backend = make_plugin_manager().get_backend("brian2")
    resolved = hub.resolve(_cond_net(hub.LIFCond(tau_m=0.01)), 10.0)
    with pytest.raises(ValidationError) as err:
        backend.build(resolved)
    text = str(err.value)
    assert "populations(e)" in text and "1/tau_m = 100 per ms" in text
    assert "substeps=4" in text
    assert "substeps=36" in _build_error(backend, hub.LIFCond(tau_m=1e-3), 0.1)
    resolved = hub.resolve(_cond_net(hub.LIFCond(tau_m=1e-3), dt=1.0), 10.0)
    with pytest.raises(ValidationError, match="no substeps up to 100 suffice"):
        backend.build(resolved)


@pytest.mark.brian2
def test_brian2_refuses_a_conductance_weight_its_rk4_cannot_follow():
    """A single conductance jump w / cm faster than RK4 can follow is refused, naming the
    weight; the same weight into a current-based population is not a conductance and
    passes the check."""
    from hub.plugins import make_plugin_manager

    backend = make_plugin_manager().get_backend("brian2")
    with pytest.raises(ValidationError) as err:
        backend.build(hub.resolve(_cond_net(hub.LIFCond(), weight=500.0), 10.0))
    text = str(err.value)
    assert "populations(e)" in text and "weight/cm" in text
    backend.build(hub.resolve(_cond_net(hub.LIF(), weight=500.0), 10.0)).close()


@pytest.mark.brian2
def test_brian2_with_the_suggested_substeps_agrees_with_nest():
    net = _cond_net(hub.LIFCond(tau_m=0.01, i_offset=2000.0))
    pytest.importorskip("nest")
    ref = hub.run(net, backend="nest", duration=10.0)
    got = hub.run(net, backend="brian2", duration=10.0, substeps=4, codegen="numpy")
    assert len(ref.spikes("e")) > 0
    assert got.spikes("e") == ref.spikes("e")


@pytest.mark.slow
@pytest.mark.brian2
def test_brian2_compile_error_is_a_backend_error(tmp_path):
    """A C++ compiler that fails: the error names brian2, the time, the Brian2 object and
    its population, and the compiler's message (about 20 s: Cython tries to compile)."""
    out = _child(
        f"""
        import hub
        net = hub.Network(dt=0.1, seed=1)
        e = net.add_population(3, hub.LIF(i_offset=2.0), label="exc")
        net.record(e, "spikes")
        try:
            hub.run(net, backend="brian2", duration=5.0, codegen="cython",
                    cache_dir={str(tmp_path)!r})
            print("RAN")
        except hub.BackendError as e:
            print("ERROR", e)
        """,
        timeout=300,
        CC="/bin/false",
        CXX="/bin/false",
    )
    assert out.startswith("ERROR brian2: the run failed at t = 0 ms"), out
    assert "(population 'exc')" in out and "CompileError" in out


def test_numba_failure_is_a_backend_error(monkeypatch):
    pytest.importorskip("numba")
    import hub_chip.fast as fast

    def broken(threads=1):
        raise RuntimeError("numba: typing of the kernel failed")

    monkeypatch.setattr(fast, "kernel", broken)
    net = hub.Network(dt=1.0, seed=1)
    e = net.add_population(4, hub.LIF(i_offset=2.0), label="e")
    net.record(e, "spikes")
    with pytest.raises(BackendError) as err:
        hub.run(net, backend="chip", duration=20.0, engine="numba")
    assert "'chip'" in str(err.value) and "numba: typing of the kernel failed" in str(err.value)


def _chip_feedforward():
    net = hub.Network(dt=1.0, seed=1)
    e = net.add_population(20, hub.LIF(tau_syn_E=5.0), label="e")
    i = net.add_source(hub.PoissonSource(rate=50.0), size=50, label="inp")
    net.connect(i, e, hub.FixedProbability(0.3), hub.Static(weight=1.0, delay=1.0))
    net.record(e, "spikes")
    return net


def test_chip_headroom_is_bounded_where_quantization_still_works():
    """headroom=1e6 used to run and give no spikes at all (weights quantized to nothing); the
    largest accepted headroom keeps the default's rate (within 5 %) on a feedforward network."""
    from hub_chip.quantize import MAX_HEADROOM

    net = _chip_feedforward()
    default = hub.run(net, backend="chip", duration=200.0)
    widest = hub.run(net, backend="chip", duration=200.0, headroom=MAX_HEADROOM)
    n = len(default.spikes("e"))
    assert n > 100 and abs(len(widest.spikes("e")) - n) <= 0.05 * n  # the chip's rate tier
    with pytest.raises(HubError, match=r"chip: option headroom=1000000.0 .* <= 512"):
        hub.run(net, backend="chip", duration=200.0, headroom=1e6)


@pytest.mark.nest
def test_nest_build_error_names_the_population():
    """A value NEST refuses at build time (AdEx whose Delta_T would overflow at the spike)
    names the population and neuron of NEST's node ID.  Should validation learn this rule
    (hub's own check, before NEST), the error becomes a ValidationError naming delta_T."""
    net = hub.Network(dt=0.1, seed=1)
    net.add_population(2, hub.LIF(), label="quiet")
    net.add_population(3, hub.AdEx(delta_T=1e-3), label="adex")
    with pytest.raises(HubError) as err:
        hub.run(net, backend="nest", duration=5.0)
    if isinstance(err.value, BackendError):
        assert "building the network (population 'adex', neuron 0)" in str(err.value)
    else:
        assert isinstance(err.value, ValidationError) and "delta_T" in str(err.value)


def test_drawn_values_are_held_to_the_same_bounds(sentinel):
    """An unclipped Normal passes the check of its parameters; what it draws is checked when
    the network is resolved, per neuron and per synapse, before any simulator."""
    tau = hub.Normal(0.01, 0.01)  # 18 % of draws below 0.001 ms: some of 50 neurons
    with pytest.raises(ValidationError) as err:
        hub.run(_cond_net(hub.LIFCond(tau_m=tau), size=50), backend="sentinel", duration=10.0)
    assert "populations(e).tau_m: neuron" in str(err.value)
    weights = hub.Normal(1.0, 5000.0)
    with pytest.raises(ValidationError) as err:
        hub.run(_cond_net(hub.LIFCond(), weight=weights), backend="sentinel", duration=10.0)
    assert ".synapse.weight: synapse" in str(err.value) and "per ms" in str(err.value)
    # the same distributions within the bounds pass
    resolved = hub.resolve(_cond_net(hub.LIFCond(tau_m=hub.Normal(20.0, 1.0))), 10.0)
    assert resolved.populations["e"].params["tau_m"].min() > 1.0

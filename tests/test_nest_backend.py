"""The NEST backend against independent references: closed-form solutions and hand
computations written from the model equations and docs/semantics.md, never from NEST."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys

import numpy as np
import pytest

import hub
from hub.ir.neurons import NEURON_MODELS

if importlib.util.find_spec("nest") is None:  # not imported here: hub_nest imports it quietly
    pytest.skip("NEST is not installed", allow_module_level=True)
pytestmark = pytest.mark.nest

DT = 0.1


def run(net, duration, **options):
    return hub.run(net, backend="nest", duration=duration, **options)


def stamps_of(times_ms):
    return np.rint(np.asarray(times_ms) / DT).astype(int)


def crossing_steps(v0, v_inf, theta, tau):
    """Whole steps until a membrane relaxing from v0 to v_inf with time constant tau first
    reaches theta (V(m dt) >= theta), from V(t) = v_inf + (v0 - v_inf) exp(-t/tau)."""
    x = tau * math.log((v_inf - v0) / (v_inf - theta)) / DT
    assert abs(x - round(x)) > 1e-6, "choose parameters away from a step boundary"
    return math.ceil(x)


def refractory_steps(t_ref):
    """Contract §4: t_ref rounded to 1 us, then up to whole steps."""
    return math.ceil(round(t_ref * 1000) / round(DT * 1000))


# --- plugin and capabilities ---------------------------------------------------------------
def test_registration_does_not_import_nest():
    code = (
        "import sys, hub; spec = hub.backend_specs()['nest']; "
        "spec.backend_class().capabilities(); print('nest' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_capabilities_match_the_hub_models():
    caps = hub.get_backend("nest").capabilities()
    assert {
        "spike_source",
        "current:step",
        "synapse:Static",
        "receptor:inhibitory",
    } <= caps.features
    assert "neuron:LIF[synapse=exp]" in caps.features
    assert "record:LIF[synapse=exp].v" in caps.features
    assert not any("ChipLIF" in f for f in caps.features)
    labels = {}
    for cls in NEURON_MODELS.values():
        for opts in (
            [{}] if not cls.options else [{k: v} for k, vs in cls.options.items() for v in vs]
        ):
            m = cls(**opts)
            labels[m.label] = m
    # custom models: declared where NEST can compile modules, else refused with the fix
    # (tests/test_custom_nest.py)
    assert ("neuron:Custom" in caps.features) != ("neuron:Custom" in caps.refusals)
    for label in caps.neuron_models:
        if label == "Custom":
            continue
        assert label in labels, label
        assert {
            f.split(".", 1)[1] for f in caps.features if f.startswith(f"record:{label}.")
        } == set(labels[label].recordable_names())
        # GSL-integrated models: measured against the kit's ODE reference
        expected = {"LIFCond": 2, "AdEx": 3, "HodgkinHuxley": 3}.get(label.split("[")[0], 1)
        assert caps.tolerances[label].tier == expected, label
    assert "threads" in caps.options


def test_versions_report_build_facts():
    v = hub.get_backend("nest").versions()
    assert v["nest-simulator"].startswith("3.")
    assert {"nest.have_mpi", "nest.have_gsl", "nest.threads_model"} <= set(v)


# --- closed-form membrane ------------------------------------------------------------------
def test_lif_dc_membrane_is_the_closed_form():
    """V(t) = v_rest + R I (1 - exp(-t/tau_m)), R = tau_m/cm, from t = 0 (i_offset acts in
    the first step); sampled at the end of every step."""
    net = hub.Network(dt=DT)
    pop = net.add_population(
        3,
        hub.LIF(
            synapse="exp",
            tau_m=[20.0, 10.0, 5.0],
            cm=[1.0, 0.5, 0.25],
            i_offset=[0.5, 0.2, -0.3],
            v_rest=-65.0,
            v_thresh=0.0,
        ),
        label="p",
    )
    net.record(pop, "v")
    sig = run(net, 30.0).signal("p", "v")
    p = pop.model.values
    t = np.arange(1, 301) * DT
    tau, cm, i = (np.asarray(p[k])[None, :] for k in ("tau_m", "cm", "i_offset"))
    expected = -65.0 + tau / cm * i * (1 - np.exp(-t[:, None] / tau))
    assert np.allclose(sig.times, t, rtol=0, atol=1e-12)
    assert np.abs(sig.values - expected).max() < 1e-10


def test_heterogeneous_threshold_refractoriness_and_spike_times():
    """Each neuron fires at its own closed-form stamps: first crossing ceil(T0/dt), then
    every R + ceil(T1/dt) steps; V is v_reset at the spike stamp and R stamps after it."""
    thresh, t_ref, i_off = [-50.0, -52.0, -50.0], [2.0, 3.3, 0.25], [1.0, 1.0, 1.5]
    v_reset = [-65.0, -60.0, -70.0]
    net = hub.Network(dt=DT)
    pop = net.add_population(
        3,
        hub.LIF(
            synapse="exp",
            tau_m=20.0,
            cm=1.0,
            v_rest=-65.0,
            v_thresh=thresh,
            tau_refrac=t_ref,
            i_offset=i_off,
            v_reset=v_reset,
        ),
        label="p",
    )
    net.record(pop, "spikes", "v")
    res = run(net, 150.0)
    spikes, v = res.spikes("p"), res.signal("p", "v").values
    assert spikes.dt == DT and spikes.stamps.dtype.kind == "i"
    for j in range(3):
        v_inf = -65.0 + 20.0 * i_off[j]
        r = refractory_steps(t_ref[j])
        first = crossing_steps(-65.0, v_inf, thresh[j], 20.0)
        isi = r + crossing_steps(v_reset[j], v_inf, thresh[j], 20.0)
        expected = np.arange(first, 1501, isi)
        got = spikes.stamps[spikes.indices == j]
        assert np.array_equal(got, expected), (j, got, expected)
        for s in got[got + r + 1 <= 1500]:
            held = v[s - 1 : s + r, j]  # samples at stamps s .. s+R (sample k is stamp k+1)
            assert np.all(held == v_reset[j])
            assert v[s + r, j] > v_reset[j]  # integration resumes
    assert refractory_steps(3.3) == 33 and refractory_steps(0.25) == 3


# --- synaptic input ------------------------------------------------------------------------
@pytest.mark.parametrize("delay, steps", [(1.5, 15), (0.15, 2), (0.1, 1)])
def test_single_spike_psc_exp_analytic(delay, steps):
    """A source spike stamped s with D delay steps sets I = w at stamp s + D (contract §2-3);
    V stays at rest through that stamp, then follows the analytic PSP."""
    w, tau_s, tau_m, cm = 0.8, 2.0, 10.0, 0.5
    net = hub.Network(dt=DT)
    src = net.add_source(hub.SpikeTimes([1.0]), label="s")
    pop = net.add_population(
        1, hub.LIF(synapse="exp", tau_m=tau_m, cm=cm, tau_syn_E=tau_s, v_rest=-65.0), label="p"
    )
    net.connect(src, pop, hub.OneToOne(), hub.Static(weight=w, delay=delay))
    net.record(pop, "v", "isyn_exc", "isyn_inh")
    res = run(net, 20.0)
    n = np.arange(1, 201)
    arrive = 10 + steps
    lag = np.clip(n - arrive, 0, None) * DT
    on = n >= arrive
    i_exp = np.where(on, w * np.exp(-lag / tau_s), 0.0)
    v_exp = -65.0 + np.where(
        on,
        w / cm * tau_s * tau_m / (tau_m - tau_s) * (np.exp(-lag / tau_m) - np.exp(-lag / tau_s)),
        0.0,
    )
    i_rec = res.signal("p", "isyn_exc").values[:, 0]
    v_rec = res.signal("p", "v").values[:, 0]
    assert np.abs(i_rec - i_exp).max() < 1e-12
    assert np.all(v_rec[n <= arrive] == -65.0) and v_rec[arrive] > -65.0
    assert np.abs(v_rec - v_exp).max() < 1e-12
    assert np.all(res.signal("p", "isyn_inh").values == 0.0)


def test_psc_alpha_peaks_at_the_weight_and_inhibition_keeps_its_sign():
    """Alpha PSC w e/tau t exp(-t/tau) peaks at w, tau_syn after arrival; an inhibitory
    current weight shows up negative on isyn_inh."""
    net = hub.Network(dt=DT)
    src = net.add_source(hub.SpikeTimes([[1.0], [2.0]]), size=2, label="s")
    pop = net.add_population(1, hub.LIF(synapse="alpha", tau_syn_E=2.0, tau_syn_I=3.0), label="p")
    net.connect(src, pop, hub.FromArrays([0], [0]), hub.Static(weight=0.6, delay=1.0))
    net.connect(
        src,
        pop,
        hub.FromArrays([1], [0]),
        hub.Static(weight=-0.4, delay=1.0, receptor="inhibitory"),
    )
    net.record(pop, "isyn_exc", "isyn_inh")
    res = run(net, 10.0)
    exc, inh = (res.signal("p", v).values[:, 0] for v in ("isyn_exc", "isyn_inh"))
    t = np.arange(1, 101) * DT
    for rec, w, t0, tau in [(exc, 0.6, 2.0, 2.0), (inh, -0.4, 3.0, 3.0)]:
        lag = np.clip(t - t0, 0, None)
        assert np.abs(rec - w * math.e / tau * lag * np.exp(-lag / tau)).max() < 1e-12
        assert abs(rec[stamps_of(t0 + tau) - 1] - w) < 1e-12


def test_delta_input_quantization_and_multiplicity():
    """SpikeTimes are placed at stamp round(t/dt); a delta input jumps V in the arrival step;
    three spikes in one step arrive as one jump of 3 w."""
    net = hub.Network(dt=DT)
    src = net.add_source(hub.SpikeTimes([1.04, 1.06, 1.06, 1.06, 2.0]), label="s")
    pop = net.add_population(
        1, hub.LIF(synapse="delta", tau_m=10.0, v_rest=-65.0, tau_refrac=0.1), label="p"
    )
    net.connect(src, pop, hub.OneToOne(), hub.Static(weight=0.5, delay=0.3))
    net.record(src, "spikes")
    net.record(pop, "v")
    res = run(net, 4.0)
    assert res.spikes("s").stamps.tolist() == [10, 11, 11, 11, 20]
    n = np.arange(1, 41)
    expected = sum(
        jump * np.exp(-(n - at) * DT / 10.0) * (n >= at)
        for at, jump in [(13, 0.5), (14, 1.5), (23, 0.5)]
    )
    v = res.signal("p", "v").values[:, 0] + 65.0
    assert np.all(v[:12] == 0.0) and np.abs(v - expected).max() < 1e-12


def test_conductance_weights_and_inhibitory_receptor():
    """Conductance weights (uS, positive) land on their receptor at stamp s + D."""
    net = hub.Network(dt=DT)
    src = net.add_source(hub.SpikeTimes([[1.0], [2.0]]), size=2, label="s")
    pop = net.add_population(2, hub.LIFCond(synapse="exp"), label="p")
    net.connect(src, pop, hub.FromArrays([0], [0]), hub.Static(weight=0.012, delay=0.5))
    net.connect(
        src,
        pop,
        hub.FromArrays([1], [1]),
        hub.Static(weight=0.03, delay=0.5, receptor="inhibitory"),
    )
    net.record(pop, "gsyn_exc", "gsyn_inh", "v")
    res = run(net, 10.0)
    ge, gi = (res.signal("p", v).values for v in ("gsyn_exc", "gsyn_inh"))
    assert np.all(ge[:, 1] == 0) and np.all(gi[:, 0] == 0)
    ge, gi = ge[:, 0], gi[:, 1]
    assert np.all(ge[:14] == 0) and ge[14] == 0.012
    assert np.all(gi[:24] == 0) and gi[24] == 0.03
    lag = (np.arange(15, 100) - 15 + 1) * DT
    assert np.allclose(ge[15:], 0.012 * np.exp(-lag / 5.0), rtol=1e-5)
    v = res.signal("p", "v").values[-1]
    assert v[0] > -65.0 > v[1]  # towards e_rev_E = 0 mV and e_rev_I = -70 mV


# --- currents ------------------------------------------------------------------------------
@pytest.mark.parametrize("min_delay", [None, 2.0])
def test_step_current_timing(min_delay):
    """A current on from stamp s1 to stamp s2 acts in the steps ending at stamps s1+1..s2:
    y(n) = R a (1 - exp(-(n - s1) dt/tau)) for s1 <= n <= s2, then decays.  Two injections
    into one neuron add.  With min_delay the early part goes through I_e (see inputs.py)."""
    a, tau = 0.4, 10.0
    pulses = {0: [(0, 20)], 1: [(1, 2)], 2: [(5, 33)], 3: [(25, 40)], 4: [(10, 30), (20, 40)]}
    net = hub.Network(dt=DT)
    pop = net.add_population(
        5, hub.LIF(synapse="exp", tau_m=tau, cm=1.0, v_rest=-65.0, v_thresh=0.0), label="p"
    )
    net.inject(pop, hub.DCSource(a, start=0.0, stop=2.0), indices=[0])
    net.inject(pop, hub.DCSource(a, start=0.1, stop=0.2), indices=[1])
    net.inject(pop, hub.StepCurrentSource([0.5, 3.3], [a, 0.0]), indices=[2])
    net.inject(pop, hub.StepCurrentSource([2.5, 4.04], [a, 0.0]), indices=[3])
    net.inject(pop, hub.DCSource(a, start=1.0, stop=3.0), indices=[4])
    net.inject(pop, hub.DCSource(a, start=2.0, stop=4.0), indices=[4])
    if min_delay:
        silent = net.add_source(hub.SpikeTimes([50.0]), label="silent")
        net.connect(silent, pop, hub.AllToAll(), hub.Static(weight=1.0, delay=min_delay))
    net.record(pop, "v")
    res = run(net, 6.0)
    n = np.arange(1, 61)
    for j, pulse_list in pulses.items():
        expected = np.zeros(60)
        for s1, s2 in pulse_list:
            on = tau * a * (1 - np.exp(-(np.clip(n, s1, s2) - s1) * DT / tau))
            expected += on * np.exp(-np.clip(n - s2, 0, None) * DT / tau)
        got = res.signal("p", "v").values[:, j] + 65.0
        assert np.abs(got - expected).max() < 1e-12, j
    assert res.provenance["nest"]["current_generator_delay_steps"] == (20 if min_delay else 1)


# --- recording -----------------------------------------------------------------------------
@pytest.mark.parametrize("interval, duration", [(0.3, 10.0), (0.5, 10.0), (1.0, 10.0)])
def test_multimeter_samples_at_interval_multiples(interval, duration):
    """Samples at interval, 2 interval, ... <= duration: the state at the end of that step,
    including the last one (NEST delivers it one min_delay slice late)."""
    net = hub.Network(dt=DT)
    pop = net.add_population(4, hub.LIF(synapse="exp", i_offset=0.5, v_thresh=0.0), label="p")
    src = net.add_source(hub.SpikeTimes([100.0]), label="s")  # large min_delay
    net.connect(src, pop, hub.AllToAll(), hub.Static(weight=0.1, delay=3.0))
    net.record(pop, "v", interval=interval, indices=[3, 1])
    sig = run(net, duration).signal("p", "v")
    k = int(round(interval / DT))
    stamps = np.arange(k, int(round(duration / DT)) + 1, k)
    assert np.array_equal(stamps_of(sig.times), stamps)
    assert sig.indices.tolist() == [3, 1] and sig.values.shape == (len(stamps), 2)
    expected = -65.0 + 20.0 * 0.5 * (1 - np.exp(-stamps * DT / 20.0))
    assert np.abs(sig.values - expected[:, None]).max() < 1e-10


def test_spike_probe_on_a_subset():
    net = hub.Network(dt=DT)
    pop = net.add_population(4, hub.LIF(i_offset=1.0), label="p")
    net.record(pop, "spikes", indices=[1, 3])
    st = run(net, 40.0).spikes("p")
    assert st.size == 4 and set(st.indices.tolist()) == {1, 3}


# --- other models --------------------------------------------------------------------------
def test_izhikevich_forward_euler_by_hand():
    """NEST izhikevich with consistent integration, U_m from the hub's u, i_offset in nA
    read as 1000x mV/ms (hub.testing.reference convention)."""
    a, b, c, d, i_off = 0.02, 0.2, -65.0, 8.0, 0.012
    net = hub.Network(dt=DT)
    pop = net.add_population(1, hub.Izhikevich(a=a, b=b, c=c, d=d, i_offset=i_off), label="p")
    pop.initialize(v=-70.0, u=-10.0)
    net.record(pop, "v", "u", "spikes")
    res = run(net, 50.0)
    v, u, vs, us, spikes = -70.0, -10.0, [], [], []
    for k in range(500):
        v, u = (
            v + DT * (0.04 * v * v + 5.0 * v + 140.0 - u + 1000.0 * i_off),
            u + DT * a * (b * v - u),
        )
        if v >= 30.0:
            v, u = c, u + d
            spikes.append(k + 1)
        vs.append(v)
        us.append(u)
    assert spikes and res.spikes("p").stamps.tolist() == spikes
    assert np.abs(res.signal("p", "v").values[:, 0] - vs).max() < 1e-9
    assert np.abs(res.signal("p", "u").values[:, 0] - us).max() < 1e-9


def test_adex_spike_adds_b_in_nA():
    """With a = 0 the adaptation current only jumps by b (nA) at a spike and decays with
    tau_w; right after the first spike w is b up to the decay over part of one step."""
    b, tau_w = 0.05, 100.0
    net = hub.Network(dt=DT)
    pop = net.add_population(
        1, hub.AdEx(synapse="exp", a=0.0, b=b, tau_w=tau_w, i_offset=1.0), label="p"
    )
    net.record(pop, "spikes", "w")
    res = run(net, 50.0)
    first = res.spikes("p").stamps[0]
    w = res.signal("p", "w").values[:, 0]
    assert np.all(w[: first - 1] == 0.0)
    assert b * math.exp(-DT / tau_w) <= w[first - 1] <= b


@pytest.mark.parametrize(
    "label",
    sorted(set(hub.get_backend("nest").capabilities().neuron_models) - {"Custom"}),
)
def test_every_model_builds_runs_and_records(label):
    """Every translation table is accepted by NEST; every recordable comes back finite."""
    kind, _, opt = label.partition("[")
    opts = dict(o.split("=") for o in opt.rstrip("]").split(",")) if opt else {}
    model = NEURON_MODELS[kind](**opts)
    net = hub.Network(dt=DT)
    src = net.add_source(hub.SpikeTimes([1.0, 2.0]), label="s")
    pop = net.add_population(2, model, label="p")
    exc = {"voltage": 2.0, "current": 0.5, "conductance": 0.01}[model.input]
    net.connect(src, pop, hub.AllToAll(), hub.Static(weight=exc, delay=1.0))
    net.connect(
        src,
        pop,
        hub.AllToAll(),
        hub.Static(
            weight=exc if model.input == "conductance" else -exc, delay=1.0, receptor="inhibitory"
        ),
    )
    net.inject(pop, hub.DCSource(2.0 if kind != "Izhikevich" else 0.01, start=5.0))
    names = list(model.recordable_names())
    net.record(pop, "spikes", *names)
    res = run(net, 60.0)
    assert len(res.spikes("p")) > 0
    for var in names:
        sig = res.signal("p", var)
        assert sig.values.shape == (600, 2) and np.isfinite(sig.values).all()
        assert sig.unit == model.recordable_names()[var]


# --- session behaviour ---------------------------------------------------------------------
def _recurrent(seed=5):
    net = hub.Network(dt=DT, seed=seed)
    pop = net.add_population(
        40, hub.LIF(synapse="exp", i_offset=hub.Uniform(0.6, 1.2), tau_refrac=2.0), label="p"
    )
    pop.initialize(v=hub.Uniform(-65.0, -50.0))
    src = net.add_source(hub.PoissonSource(200.0), size=20, label="s")
    net.connect(src, pop, hub.FixedProbability(0.3), hub.Static(weight=0.3, delay=0.5))
    net.connect(
        pop,
        pop,
        hub.FixedProbability(0.2),
        hub.Static(weight=-0.4, delay=hub.Uniform(0.1, 2.0), receptor="inhibitory"),
    )
    net.record(pop, "spikes", "v")
    return net


def test_two_threads_are_bit_identical_and_progress_is_reported():
    fractions = []
    one = hub.run(_recurrent(), backend="nest", duration=100.0, progress=fractions.append)
    two = hub.run(_recurrent(), backend="nest", duration=100.0, threads=2)
    assert len(one.spikes("p")) > 50
    assert one.spikes("p") == two.spikes("p")
    assert np.array_equal(one.signal("p", "v").values, two.signal("p", "v").values)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 10
    assert two.provenance["nest"]["threads"] == 2


def test_options_are_checked():
    net = _recurrent()
    with pytest.raises(hub.HubError, match="threads"):
        run(net, 1.0, threads=0)
    with pytest.raises(hub.HubError, match="unknown option"):
        run(net, 1.0, bogus=1)


def test_nest_errors_become_backend_errors():
    net = hub.Network(dt=DT)
    net.add_population(1, hub.LIF(v_reset=-40.0, v_thresh=-50.0), label="p")
    with pytest.raises(hub.BackendError, match="Reset potential") as info:
        run(net, 1.0)
    assert info.value.__cause__ is not None


def test_unsettable_initial_state_is_a_capability_error():
    net = hub.Network(dt=DT)
    net.add_population(1, hub.LIF(synapse="exp"), label="p").initialize(isyn_exc=0.1)
    with pytest.raises(hub.CapabilityError, match="isyn_exc"):
        run(net, 1.0)


def test_a_newer_session_makes_the_old_one_stale():
    backend = hub.get_backend("nest")
    resolved = hub.resolve(_recurrent(), 5.0)
    old = backend.build(resolved)
    new = backend.build(resolved)
    with pytest.raises(hub.BackendError, match="stale"):
        old.run()
    new.run()
    assert len(new.results().signal("p", "v").times) == 50
    new.close()


def test_other_plugins_can_add_translation_tables():
    """``hub_register_translations(backend_name="nest")`` extends the tables."""
    from dataclasses import replace

    from hub.plugins import make_plugin_manager, reset_plugin_manager
    from hub_nest import TABLES

    class Extra:
        @hub.hookimpl
        def hub_register_translations(self, backend_name):
            if backend_name == "nest":
                return {
                    "LIF[synapse=exp]": replace(
                        TABLES["LIF[synapse=exp]"], integrator="from a plugin"
                    )
                }

    reset_plugin_manager(make_plugin_manager(plugins=[Extra()]))
    try:
        net = hub.Network(dt=DT)
        net.record(net.add_population(1, hub.LIF(), label="p"), "spikes")
        res = run(net, 1.0)
    finally:
        reset_plugin_manager(None)
    assert res.provenance["nest"]["integrators"]["p"] == "from a plugin"

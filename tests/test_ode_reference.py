"""The ODE reference (hub.testing.ode_reference) against closed forms and independent facts,
and the ODE checks (hub.testing.ode_checks) against backends that are wrong on purpose."""

import math

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.optimize import brentq

from hub import ir
from hub.resolve import resolve
from hub.testing import CheckFailed, ode_checks, tiers
from hub.testing import ode_reference as O

DT = 0.1


def _simulate(net, duration):
    return O.simulate(resolve(net, duration))


def test_lifcond_constant_conductance_closed_form():
    """With tau_syn = 1e12 ms the conductances are constant over the run (relative change
    1e-10), so V relaxes exponentially: V(t) = V_inf + (V0 - V_inf) exp(-t (g_L + g_E + g_I)
    / cm), V_inf = (g_L v_rest + g_E e_rev_E + g_I e_rev_I + i_offset) / (g_L + g_E + g_I)."""
    net = ir.Network(dt=DT, seed=1)
    g_e, g_i = np.array([0.01, 0.02, 0.0]), np.array([0.03, 0.0, 0.05])
    cells = net.add_population(
        3,
        ir.LIFCond(
            synapse="exp",
            cm=0.5,
            tau_m=10.0,
            i_offset=[0.2, 0.0, 0.4],
            tau_syn_E=1e12,
            tau_syn_I=1e12,
            v_thresh=100.0,
        ),
        label="cells",
    )
    cells.initialize(v=[-70.0, -60.0, -50.0], gsyn_exc=g_e, gsyn_inh=g_i)
    net.record(cells, "v", "gsyn_exc")
    res = _simulate(net, 50.0)
    t = np.arange(1, 501) * DT
    g_l = 0.5 / 10.0
    g_tot = g_l + g_e + g_i
    v_inf = (g_l * -65.0 + g_e * 0.0 + g_i * -70.0 + np.array([0.2, 0.0, 0.4])) / g_tot
    expected = v_inf + (np.array([-70.0, -60.0, -50.0]) - v_inf) * np.exp(-t[:, None] * g_tot / 0.5)
    err = np.abs(res.signal("cells", "v").values - expected).max()
    assert err < 1e-9, err
    assert np.abs(res.signal("cells", "gsyn_exc").values - g_e).max() < 1e-10


def test_lifcond_dc_spikes_reset_and_refractoriness_closed_form():
    """Without input V(t) = v_inf + (v0 - v_inf) exp(-t/tau_m) from each reset; a spike in
    the first step ending with V >= v_thresh, then V = v_reset for R = ceil(tau_refrac/dt)
    steps (closed form per interspike cycle, as the LIF check of the kit)."""
    net = ir.Network(dt=DT, seed=2)
    cells = net.add_population(
        2,
        ir.LIFCond(synapse="alpha", tau_m=[20.0, 10.0], i_offset=[1.5, 2.5], tau_refrac=[2.0, 0.5]),
        label="cells",
    )
    net.record(cells, "spikes", "v")
    res = _simulate(net, 100.0)
    v = res.signal("cells", "v").values
    for j, (tau, i_off, t_ref) in enumerate([(20.0, 1.5, 2.0), (10.0, 2.5, 0.5)]):
        v_inf = -65.0 + i_off * tau / 1.0  # R = tau_m / cm
        expected, stamps, v0, n0, r = [], [], -65.0, 0, 0
        for k in range(1000):
            if r > 0:
                r -= 1
                y = -65.0
                v0, n0 = y, k + 1
            else:
                y = v_inf + (v0 - v_inf) * math.exp(-(k + 1 - n0) * DT / tau)
                if y >= -50.0:
                    stamps.append(k + 1)
                    y, r = -65.0, math.ceil(round(t_ref / DT, 9))
                    v0, n0 = y, k + 1
            expected.append(y)
        sp = res.spikes("cells")
        assert [int(s) for s in sp.stamps[sp.indices == j]] == stamps
        assert len(stamps) > 5
        assert np.abs(v[:, j] - expected).max() < 1e-9


@pytest.mark.parametrize("synapse", ["exp", "alpha"])
def test_synaptic_conductance_of_one_spike(synapse):
    """A spike stamped s over D steps is added at the end of step s+D-1, i.e. at t0 = (s+D)
    dt: exp: g(t) = w exp(-(t-t0)/tau); alpha: g(t) = w (t-t0)/tau exp(1 - (t-t0)/tau)."""
    w, tau = 0.02, 3.0
    net = ir.Network(dt=DT, seed=3)
    src = net.add_source(ir.SpikeTimes([2.0]), size=1, label="src")
    cell = net.add_population(
        1, ir.LIFCond(synapse=synapse, tau_syn_I=tau, v_thresh=100.0), label="cell"
    )
    net.connect(src, cell, ir.OneToOne(), ir.Static(weight=w, delay=1.5, receptor="inhibitory"))
    net.record(cell, "gsyn_inh", "gsyn_exc")
    res = _simulate(net, 30.0)
    t = np.arange(1, 301) * DT
    s = t - (20 + 15) * DT
    on = s >= -1e-9
    if synapse == "exp":
        expected = np.where(on, w * np.exp(-s / tau), 0.0)
    else:
        expected = np.where(on, w * s / tau * np.exp(1.0 - s / tau), 0.0)
    got = res.signal("cell", "gsyn_inh").values[:, 0]
    assert np.abs(got - expected).max() < 1e-12
    assert got.max() > 0.5 * w
    assert np.abs(res.signal("cell", "gsyn_exc").values).max() == 0.0


def test_adex_without_the_spike_term_is_linear():
    """With delta_T = 1e-3 mV and V far below v_thresh the exponential term is exactly 0 in
    floating point, and (V, w) obey a linear ODE: x' = A x + c, solved exactly with expm."""
    cm, tau_m, a, tau_w, i_off, e_l = 0.25, 10.0, 4.0, 50.0, 0.3, -70.0
    net = ir.Network(dt=DT, seed=4)
    cell = net.add_population(
        1,
        ir.AdEx(
            synapse="exp",
            cm=cm,
            tau_m=tau_m,
            a=a,
            tau_w=tau_w,
            i_offset=i_off,
            v_rest=e_l,
            delta_T=1e-3,
            v_thresh=-40.0,
            v_spike=-30.0,
        ),
        label="cell",
    )
    cell.initialize(v=-75.0, w=0.05)
    net.record(cell, "v", "w")
    res = _simulate(net, 80.0)
    g_l = cm / tau_m
    # x = (V - e_l, w): V' = (-g_l x0 - w + i) / cm,  w' = (a/1000 x0 - w) / tau_w
    big = np.zeros((3, 3))
    big[0] = [-g_l / cm, -1.0 / cm, i_off / cm]
    big[1] = [a / 1000.0 / tau_w, -1.0 / tau_w, 0.0]
    step = expm(big * DT)
    x, want = np.array([-5.0, 0.05, 1.0]), []
    for _ in range(800):
        x = step @ x
        want.append(x[:2].copy())
    want = np.array(want)
    assert np.abs(res.signal("cell", "v").values[:, 0] - (want[:, 0] + e_l)).max() < 1e-9
    assert np.abs(res.signal("cell", "w").values[:, 0] - want[:, 1]).max() < 1e-10
    assert res.signal("cell", "v").values.max() < -55.0  # far below v_thresh throughout


def test_adex_spike_adds_b_and_holds_v_reset():
    """A DC-driven AdEx neuron: after each spike V = v_reset for the rest of the step and R
    more steps, and w has jumped by b (w changes by less than 1e-3 nA per step otherwise)."""
    net = ir.Network(dt=DT, seed=5)
    cell = net.add_population(
        1, ir.AdEx(synapse="alpha", i_offset=1.0, tau_refrac=0.5, b=0.1), label="cell"
    )
    net.record(cell, "spikes", "v", "w")
    res = _simulate(net, 100.0)
    stamps = res.spikes("cell").stamps
    v, w = res.signal("cell", "v").values[:, 0], res.signal("cell", "w").values[:, 0]
    assert len(stamps) >= 5
    for s in stamps:
        assert np.all(v[s - 1 : s + 5] == -70.6)  # the spike step and R = 5 steps
        assert v[s + 5] > -70.6
        assert 0.099 < w[s - 1] - w[s - 2] < 0.101
    others = np.setdiff1d(np.arange(1, len(w)), stamps - 1)
    assert np.abs(np.diff(w)[others - 1]).max() < 1e-3


def _hh_current(v, p):
    m, h, n = O.hh_gates_at_rest(v, p["v_offset"])
    return float(
        -p["gbar_Na"] * m**3 * h * (v - p["e_rev_Na"])
        - p["gbar_K"] * n**4 * (v - p["e_rev_K"])
        - p["g_leak"] * (v - p["e_rev_leak"])
    )


def test_hh_settles_at_its_resting_potential():
    """The resting potential is the stable zero of the steady-state current (brentq between
    -70 and -62.5 mV, independent of the integrator); started at e_rev_leak an unperturbed neuron
    settles there (within 1e-4 mV after 200 ms), and started there it stays (1e-9 mV)."""
    p = {par.name: par.default for par in ir.HodgkinHuxley.parameters}
    v_rest = brentq(lambda v: _hh_current(v, p), -70.0, -62.5, xtol=1e-13)
    assert -66.0 < v_rest < -63.0
    net = ir.Network(dt=DT, seed=6)
    cells = net.add_population(2, ir.HodgkinHuxley(), label="cells")
    cells.initialize(v=[p["e_rev_leak"], v_rest])
    net.record(cells, "spikes", "v")
    res = _simulate(net, 200.0)
    v = res.signal("cells", "v").values
    assert len(res.spikes("cells")) == 0
    assert abs(v[-1, 0] - v_rest) < 1e-4 < abs(v[0, 0] - v_rest)  # 0.24 mV away at the start
    assert np.abs(v[:, 1] - v_rest).max() < 1e-9


def test_hh_spikes_under_dc_and_are_detected_after_the_peak():
    """A suprathreshold DC (0.5 nA) makes regular spikes; each is registered in the first step
    whose V is below the previous one with V >= v_offset + 30 mV; a subthreshold one (0.01 nA)
    none."""
    net = ir.Network(dt=DT, seed=7)
    cells = net.add_population(2, ir.HodgkinHuxley(i_offset=[0.5, 0.01]), label="cells")
    net.record(cells, "spikes", "v")
    res = _simulate(net, 100.0)
    sp = res.spikes("cells")
    stamps = sp.stamps[sp.indices == 0]
    assert len(stamps) >= 5 and not np.any(sp.indices == 1)
    isi = np.diff(stamps)
    assert isi[1:].max() - isi[1:].min() <= 1  # regular firing
    v = np.concatenate([[-65.0], res.signal("cells", "v").values[:, 0]])
    for s in stamps:
        assert v[s] >= -33.0 and v[s] < v[s - 1] and v[s - 1] >= v[s - 2]


def test_reference_is_converged():
    """The reference at its tolerance against the same solver at rtol 1e-13 on a spiking
    AdEx and HH network: identical spikes, V within 1e-6 mV."""
    for case in ("adex_alpha", "hodgkin_huxley"):
        net = ode_checks.feedforward_network(case, n=12)
        resolved = resolve(net, 40.0)
        coarse = O.simulate(resolved)
        rtol, atol = O.RTOL, O.ATOL
        try:
            O.RTOL, O.ATOL = 1e-13, 1e-14
            fine = O.simulate(resolved)
        finally:
            O.RTOL, O.ATOL = rtol, atol
        assert len(fine.spikes("cells")) > 10
        assert coarse.spikes("cells") == fine.spikes("cells")
        err = np.abs(coarse.signal("cells", "v").values - fine.signal("cells", "v").values)
        assert err.max() < 1e-6, (case, err.max())


# --- backends that are wrong on purpose fail the ODE checks -----------------------------------
def _wrong_backends():
    import hub
    from hub.results import Results, assemble_spikes, sampled_signal

    class Shifted(O._ODESession):
        shift = 0.0
        drop = False

        def results(self):
            res = super().results()
            for (pop, var), sig in res.signals.items():
                if var == "v":
                    sig.values = sig.values + self.shift
            if self.drop:
                for label, sp in res.spike_trains.items():
                    keep = np.arange(len(sp)) % 10 != 3
                    res.spike_trains[label] = type(sp)(
                        sp.size, sp.indices[keep], sp.stamps[keep], sp.dt
                    )
            return res

    class Silent(hub.Session):
        """No spikes, every state variable 0."""

        def __init__(self, resolved):
            self.resolved = resolved

        def run(self, progress=None):
            pass

        def results(self):
            r = self.resolved
            res = Results(provenance={"backend": "silent", "dt": r.dt, "duration": r.duration})
            empty = np.zeros(0, np.int64)
            res.spike_trains.update(assemble_spikes(r, lambda label: (empty, empty)))
            for pr in r.probes:
                if pr.variable != "spikes":
                    shape = (len(pr.sample_stamps(r.steps)), len(pr.indices))
                    unit = r.populations[pr.population].model.recordable_names()[pr.variable]
                    res.signals[(pr.population, pr.variable)] = sampled_signal(
                        r, pr, unit, np.zeros(shape)
                    )
            return res

    def backend(name, session, tier, **session_attrs):
        tol = hub.Tolerance(tier, matched=0.9, spike_ms=1.0) if tier > 2 else hub.Tolerance(tier)

        class B(O.ODEReferenceBackend):
            def capabilities(self):
                caps = super().capabilities()
                return hub.Capabilities(caps.features, {k: tol for k in caps.tolerances})

            def build(self, resolved, **options):
                s = session(resolved)
                for k, v in session_attrs.items():
                    setattr(s, k, v)
                return s

        B.name = name
        return hub.BackendSpec(name, B, "wrong on purpose")

    class Plugin:
        @hub.hookimpl
        def hub_register_backends(self):
            return [
                backend("ode_exact", Shifted, 1),
                backend("ode_shift_1e_4", Shifted, 2, shift=1e-4),
                backend("ode_shift_2e_3", Shifted, 2, shift=2e-3),
                backend("ode_shift_1e_8", Shifted, 1, shift=1e-8),
                backend("ode_drop", Shifted, 3, drop=True),
                backend("silent", Silent, 3),
            ]

    return Plugin()


@pytest.fixture
def wrong(fresh_hub):
    from hub.plugins import make_plugin_manager, reset_plugin_manager

    reset_plugin_manager(make_plugin_manager(autoload=False, plugins=[_wrong_backends()]))


def test_silent_backend_fails_every_ode_check(wrong):
    """The backend that passed the whole kit before these checks existed (no spikes, state
    0) fails each of them."""
    from hub.testing import CHECKS

    names = [n for n in CHECKS if n.startswith("check_ode_")]
    assert len(names) == 5
    for name in names:
        with pytest.raises(CheckFailed, match="paired|spikes"):
            CHECKS[name]("silent")


def test_ode_check_holds_the_declared_tier(wrong):
    """The reference itself passes at tier 1; V shifted by 1e-8 mV fails tier 1 (1e-9), by
    1e-4 mV passes tier 2 (1e-3), by 2e-3 mV fails it; dropping every tenth spike fails
    tier 3 (matched 0.9 and the rate within 5 %)."""
    check = ode_checks.CHECKS_BY_CASE["lifcond_exp"]
    check("ode_exact")
    check("ode_shift_1e_4")
    with pytest.raises(CheckFailed, match=r"cells\.v against the reference \(tier 1\)"):
        check("ode_shift_1e_8")
    with pytest.raises(CheckFailed, match=r"cells\.v against the reference \(tier 2\)"):
        check("ode_shift_2e_3")
    with pytest.raises(CheckFailed, match="population rate"):
        check("ode_drop")
    assert tiers.MIN_SPIKES <= len(ode_checks.reference_results("lifcond_exp").spikes("cells"))


# --- NEST's declared notes hold on the kit's networks ----------------------------------------
@pytest.mark.nest
@pytest.mark.parametrize(
    "case", ["lifcond_exp", "lifcond_alpha", "adex_exp", "adex_alpha", "hodgkin_huxley"]
)
def test_nest_notes_state_what_the_kit_networks_measure(case):
    """The figures in NEST's Tolerance notes (the capability table) against the ODE
    reference, on the kit's network of each model: |dV| <= the stated bound, identical spikes
    where stated, else the stated fraction in the same step and every spike within one."""
    import re

    import hub
    from hub.stats import match_spikes
    from hub.testing import ode_checks as C

    label = C.CASES[case][0]().label
    note = hub.get_backend("nest").capabilities().tolerances[label].note
    ref = C.reference_results(case)
    res = hub.run(C.feedforward_network(case), backend="nest", duration=C.DURATION)
    a, b = res.spikes("cells"), ref.spikes("cells")
    if "identical spikes" in note:
        assert a == b
    else:
        same = float(re.search(r"([\d.]+) % of spikes in the same step", note).group(1)) / 100
        assert match_spikes(b, a, 0.0)["matched"] >= same
        assert "all within one step" in note and match_spikes(b, a, 0.1)["matched"] == 1.0
    bound = re.search(r"\|dV\| (?:<=|up to) ([\d.e-]+) mV", note)
    if bound:
        dv = np.max(np.abs(res.signal("cells", "v").values - ref.signal("cells", "v").values))
        assert dv <= float(bound.group(1)), (case, dv)

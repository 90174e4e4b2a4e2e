"""The reference implementation of the learning rules against closed forms and independent
numerical integration (NEST itself is compared in tests/test_plasticity_nest.py)."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

import hub
from hub.ir.rule_checks import rule_values
from hub.plasticity import simulate_projection
from hub.resolve import ResolvedRule

DT = 0.1


def resolved(rule, unit="nA", modulator_delay_steps=1):
    return ResolvedRule(
        rule,
        rule_values(rule, unit, "rule", []),
        getattr(rule, "modulator", None),
        modulator_delay_steps,
    )


def one_synapse(rule, w0, pre, post, D=10, samples=(), dopa=None, **kw):
    """Final and sampled state of one synapse 0 -> 0 with pre/post spike stamps."""
    f, s = simulate_projection(
        resolved(rule, **kw),
        [0],
        [0],
        [D],
        [w0],
        DT,
        (np.zeros(len(pre), int), pre),
        (np.zeros(len(post), int), post),
        dopa,
        samples,
    )
    return {k: v[0] for k, v in f.items()}, {k: v[:, 0] for k, v in s.items()}


# --- pair STDP ------------------------------------------------------------------------------------
def test_additive_pair_closed_form_and_lazy_read_out():
    """pre at 1 ms, post at 3 ms (reaches the synapse at 4 ms with d = 1 ms), pre at 20 ms:
    w = w0 + A+ w_max exp(-(4-1)/tau+) - A- w_max exp(-(20-4)/tau-), applied at 20 ms."""
    rule = hub.STDP(A_plus=0.1, A_minus=0.05, w_max=2.0, tau_plus=15.0, tau_minus=25.0)
    final, samp = one_synapse(rule, 0.5, [10, 200], [30], samples=[150, 199, 200, 300])
    w = 0.5 + 0.1 * 2.0 * math.exp(-3.0 / 15.0) - 0.05 * 2.0 * math.exp(-16.0 / 25.0)
    assert final["weight"] == pytest.approx(w, rel=1e-14)
    assert list(samp["weight"][:2]) == [0.5, 0.5]  # nothing changes before a presynaptic spike
    assert samp["weight"][2:] == pytest.approx([w, w], rel=1e-14)


def test_all_to_all_sums_every_earlier_presynaptic_spike():
    rule = hub.STDP(A_plus=0.01, A_minus=0.0, w_max=1.0)
    pre = [10, 50, 90, 400]
    final, _ = one_synapse(rule, 0.2, pre, [120], D=5)
    k = sum(math.exp(-((120 + 5) - s) * DT / 20.0) for s in pre[:3])
    assert final["weight"] == pytest.approx(0.2 + 0.01 * k, rel=1e-13)


def test_multiplicative_and_gutig_weight_dependence():
    for wd, mu in (("multiplicative", 1.0), ("gutig", 0.4)):
        rule = hub.STDP(
            A_plus=0.3, A_minus=0.2, w_max=1.0, weight_dependence=wd, mu_plus=mu, mu_minus=mu
        )
        final, _ = one_synapse(rule, 0.6, [10, 300], [20], D=10)
        kp, km = math.exp(-(30 - 10) * DT / 20.0), math.exp(-(300 - 30) * DT / 20.0)
        x = 0.6 + 0.3 * (1 - 0.6) ** mu * kp
        x = x - 0.2 * x**mu * km
        assert final["weight"] == pytest.approx(x, rel=1e-13), wd


def test_bounds_clip_at_zero_and_w_max():
    up = hub.STDP(A_plus=5.0, A_minus=0.0, w_max=0.7)
    assert one_synapse(up, 0.5, [10, 100], [12], D=1)[0]["weight"] == 0.7
    down = hub.STDP(A_plus=0.0, A_minus=5.0, w_max=0.7)
    assert one_synapse(down, 0.5, [100], [12], D=1)[0]["weight"] == 0.0


def test_coincident_post_spike_potentiates_but_does_not_depress():
    """A postsynaptic spike reaching the synapse exactly with the presynaptic spike counts
    for potentiation (window (t_prev, t]) but not for the depression trace (strictly before)."""
    rule = hub.STDP(A_plus=0.1, A_minus=0.1, w_max=1.0)
    final, _ = one_synapse(rule, 0.5, [10, 50], [40], D=10)
    assert final["weight"] == pytest.approx(0.5 + 0.1 * math.exp(-4.0 / 20.0), rel=1e-14)


def test_nearest_symmetric_uses_only_the_nearest_partner_and_a_phantom_pre_spike():
    rule = hub.STDP(A_plus=0.1, A_minus=0.1, w_max=1.0, pairing="nearest_symmetric")
    # posts at 3 and 6 ms (+1 ms delay), pres at 2, 5, 30 ms
    final, _ = one_synapse(rule, 0.5, [20, 50, 300], [30, 60], D=10)
    w = 0.5
    w = w - 0.1 * 0.0  # pre at 2 ms: no earlier post
    w = w + 0.1 * math.exp(-(4.0 - 2.0) / 20.0)  # post reaching at 4 ms, nearest pre 2 ms
    w = w - 0.1 * math.exp(-(5.0 - 4.0) / 20.0)  # pre at 5 ms, nearest post at 4 ms
    w = w + 0.1 * math.exp(-(7.0 - 5.0) / 20.0)  # post reaching at 7 ms, nearest pre 5 ms
    w = w - 0.1 * math.exp(-(30.0 - 7.0) / 20.0)  # pre at 30 ms, nearest post at 7 ms
    assert final["weight"] == pytest.approx(w, rel=1e-13)
    # NEST's phantom presynaptic spike at t = 0 potentiates the first postsynaptic spike
    first, _ = one_synapse(rule, 0.5, [100], [30], D=10)
    assert first["weight"] == pytest.approx(
        0.5 + 0.1 * math.exp(-4.0 / 20.0) - 0.1 * math.exp(-6.0 / 20.0), rel=1e-13
    )


def test_nearest_restricted_pairs_only_the_first_post_after_a_pre():
    """pres at 2, 10, 30 ms; posts reaching the synapse at 4 and 7 ms.  At 10 ms: potentiation
    by the first post only (paired with the pre at 2 ms), depression by the nearest (7 ms).
    At 2 and 30 ms no post arrived since the previous pre: no change at all."""
    rule = hub.STDP(A_plus=0.1, A_minus=0.1, w_max=1.0, pairing="nearest_restricted")
    final, samp = one_synapse(rule, 0.5, [20, 100, 300], [30, 60], D=10, samples=[50])
    assert samp["weight"][0] == 0.5
    w = 0.5 + 0.1 * math.exp(-(4.0 - 2.0) / 20.0) - 0.1 * math.exp(-(10.0 - 7.0) / 20.0)
    assert final["weight"] == pytest.approx(w, rel=1e-13)


# --- triplet --------------------------------------------------------------------------------------
def test_triplet_pre_post_post_pre_closed_form():
    p = dict(
        tau_plus=16.8,
        tau_plus_triplet=101.0,
        tau_minus=33.7,
        tau_minus_triplet=125.0,
        A_plus=0.01,
        A_minus=0.007,
        A_plus_triplet=0.0062,
        A_minus_triplet=0.0023,
    )
    rule = hub.TripletSTDP(w_max=10.0, **p)
    final, _ = one_synapse(rule, 1.0, [10, 500], [50, 80], D=10)
    t1, a1, a2, t2 = 1.0, 6.0, 9.0, 50.0  # pre, post arrivals (5+1, 8+1 ms), pre
    w = 1.0 - 0.0  # first pre: no post before
    w += math.exp(-(a1 - t1) / 16.8) * (0.01 + 0.0062 * 0.0)  # o2 before the first post: 0
    o2_before_second = math.exp(-(a2 - a1) / 125.0)
    w += math.exp(-(a2 - t1) / 16.8) * (0.01 + 0.0062 * o2_before_second)
    o1 = math.exp(-(t2 - a1) / 33.7) + math.exp(-(t2 - a2) / 33.7)
    r2 = math.exp(-(t2 - t1) / 101.0)
    w -= o1 * (0.007 + 0.0023 * r2)
    assert final["weight"] == pytest.approx(w, rel=1e-13)


# --- Vogels-Sprekeler -----------------------------------------------------------------------------
def test_vogels_sprekeler_symmetric_window_and_constant_depression():
    rule = hub.VogelsSprekeler(tau=20.0, eta=0.01, alpha=0.2, w_max=1.0)
    final, _ = one_synapse(rule, 0.5, [10, 200], [50], D=10)
    w = 0.5 + 0.01 * 0.0 - 0.2 * 0.01  # pre at 1 ms
    w += 0.01 * math.exp(-(6.0 - 1.0) / 20.0)  # post reaching at 6 ms
    w += 0.01 * math.exp(-(20.0 - 6.0) / 20.0) - 0.2 * 0.01  # pre at 20 ms
    assert final["weight"] == pytest.approx(w, rel=1e-13)


# --- Tsodyks-Markram ------------------------------------------------------------------------------
def test_tsodyks_markram_converges_to_the_steady_state_of_a_regular_train():
    """Depression only: x before each spike converges to
    x* = (1 - E) / (1 - (1 - U) E) with E = exp(-h/tau_rec)."""
    U, tau, h = 0.4, 300.0, 20.0
    rule = hub.TsodyksMarkram(U=U, tau_rec=tau, tau_fac=0.0)
    pre = np.arange(1, 200) * int(h / DT)
    final, samp = one_synapse(rule, 1.0, pre, [], samples=[int(h / DT), 2 * int(h / DT)])
    E = math.exp(-h / tau)
    assert final["u"] == U and final["x"] == pytest.approx((1 - E) / (1 - (1 - U) * E), rel=1e-12)
    assert samp["x"][0] == 1.0 and samp["x"][1] == pytest.approx(1 + (1 - U - 1) * E)


def test_tsodyks_markram_facilitation_recursion():
    U, tf, tr = 0.1, 500.0, 100.0
    rule = hub.TsodyksMarkram(U=U, tau_rec=tr, tau_fac=tf)
    final, _ = one_synapse(rule, 1.0, [10, 60], [])
    h = 5.0
    assert final["u"] == pytest.approx(U + U * (1 - U) * math.exp(-h / tf), rel=1e-14)
    assert final["x"] == pytest.approx(1 + (1 - U - 1) * math.exp(-h / tr), rel=1e-14)


# --- reward-modulated STDP ------------------------------------------------------------------------
def test_dopamine_weight_is_the_integral_of_c_times_n_minus_b():
    """pre at 2 ms, post at 5 ms (reaches at 6 ms), dopamine spikes reaching at 10 and 30 ms,
    pre at 50 ms: w(50) = w0 + int_6^50 c(t) (n(t) - b) dt with
    c = A+ exp(-(6-2)/tau+) exp(-(t-6)/tau_c), n = sum_d exp(-(t-t_d)/tau_n)/tau_n,
    integrated numerically (scipy quad), then c is depressed at 50 ms."""
    p = dict(
        A_plus=0.5,
        A_minus=0.3,
        tau_plus=20.0,
        tau_minus=20.0,
        tau_c=100.0,
        tau_n=40.0,
        b=0.002,
        w_min=0.0,
        w_max=10.0,
    )
    rule = hub.DopamineSTDP(modulator="dopa", modulator_delay=1.0, **p)
    final, _ = one_synapse(
        rule, 1.0, [20, 500], [50], D=10, dopa=[90, 290], modulator_delay_steps=10
    )
    c0 = 0.5 * math.exp(-4.0 / 20.0)

    def c(t):
        return c0 * math.exp(-(t - 6.0) / 100.0) if t >= 6.0 else 0.0

    def n(t):
        return sum(math.exp(-(t - td) / 40.0) / 40.0 for td in (10.0, 30.0) if t >= td)

    dw = quad(
        lambda t: c(t) * (n(t) - 0.002), 6.0, 50.0, points=[10.0, 30.0], epsabs=1e-14, epsrel=1e-13
    )[0]
    assert final["weight"] == pytest.approx(1.0 + dw, rel=1e-10)
    c_end = c(50.0) - 0.3 * math.exp(-(50.0 - 6.0) / 20.0)
    assert final["c"] == pytest.approx(c_end, rel=1e-12)


def test_dopamine_weight_clips_at_w_min():
    rule = hub.DopamineSTDP(
        modulator="d", A_plus=0.0, A_minus=5.0, w_min=0.2, w_max=1.0, tau_n=10.0
    )
    final, _ = one_synapse(rule, 0.5, [20, 40, 1000], [10], D=1, dopa=[400])
    assert final["weight"] == 0.2


# --- sign and multiplicity ------------------------------------------------------------------------
def test_inhibitory_weights_keep_their_sign_and_multiplicity_is_several_events():
    """Two presynaptic spikes in one step: two updates, the trace grows by 2."""
    rule = hub.STDP(A_plus=0.1, A_minus=0.05, w_max=1.0)
    f, _ = simulate_projection(
        resolved(rule), [0], [0], [10], [-0.5], DT, (np.zeros(3, int), [10, 10, 200]), ([0], [30])
    )
    w = 0.5 + 0.1 * 2 * math.exp(-3.0 / 20.0) - 0.05 * math.exp(-16.0 / 20.0)
    assert f["weight"][0] == pytest.approx(-w, rel=1e-14)

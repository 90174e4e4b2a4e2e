"""The reference implementation of every learning rule: event-driven numpy, written from NEST
3.10's published synapse models (``models/stdp_synapse.h``, ``stdp_nn_symm_synapse.h``,
``stdp_nn_restr_synapse.h``, ``stdp_triplet_synapse.h``, ``stdp_dopamine_synapse.h``,
``tsodyks2_synapse.h``, ``vogels_sprekeler_synapse.h`` and ``nestkernel/archiving_node.cpp``),
operation for operation, so it *defines* what "identical" means for the hub.

Given the spikes of the pre, post (and dopamine) populations, it computes each synapse's
state after every presynaptic spike; a read-out at time T is the state after the last
presynaptic spike stamped <= T (NEST updates a synapse only when a presynaptic spike is
delivered).  In stamps (integers, time = stamp * dt), for a synapse of delay D:

* the postsynaptic spikes that potentiate at presynaptic spike s are those stamped r with
  ``s_prev - D < r <= s - D`` (``s_prev`` the previous presynaptic spike, 0 before the first);
* the postsynaptic trace read at s counts the spikes stamped ``r < s - D`` (strictly);
* dopamine spikes emitted at stamp q reach the synapse at ``q + D_mod``, summed per step;
* a presynaptic spike of multiplicity m is m events at the same time (NEST's
  ``spike_train_injector`` sends it so).

The rules act on weight magnitudes; the sign of the initial weight is put back at the end.
This module is slow on purpose (a Python loop over synapses and events): it checks backends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..resolve import ResolvedRule


@dataclass
class PostHistory:
    """One neuron's spike stamps (sorted, repeated for multiplicity) and its traces right after
    each spike (NEST ArchivingNode: ``K <- K exp((t_last - t)/tau) + 1``, t_last starts at
    -1 ms, K at 0)."""

    stamps: np.ndarray
    k_minus: np.ndarray
    k_triplet: np.ndarray

    @classmethod
    def of(cls, stamps, dt, tau_minus, tau_triplet=None):
        stamps = np.sort(np.asarray(stamps, np.int64))
        k1, k3 = np.empty(stamps.size), np.empty(stamps.size)
        a, b, last = 0.0, 0.0, -1.0
        for i, s in enumerate(stamps):
            t = s * dt
            a = a * math.exp((last - t) / tau_minus) + 1.0
            if tau_triplet is not None:
                b = b * math.exp((last - t) / tau_triplet) + 1.0
            k1[i], k3[i], last = a, b, t
        return cls(stamps, k1, k3)

    def window(self, lo: int, hi: int) -> np.ndarray:
        """Positions of the spikes stamped lo < r <= hi."""
        return np.arange(
            np.searchsorted(self.stamps, lo, "right"), np.searchsorted(self.stamps, hi, "right")
        )

    def latest_before(self, stamp: int) -> int:
        """Position of the last spike stamped < stamp (-1 if none)."""
        return int(np.searchsorted(self.stamps, stamp, "left")) - 1

    def k_value(self, stamp: int, dt: float, tau: float) -> float:
        """All-to-all trace at time ``stamp * dt`` from spikes strictly before it."""
        j = self.latest_before(stamp)
        return 0.0 if j < 0 else self.k_minus[j] * math.exp((self.stamps[j] - stamp) * dt / tau)

    def nearest(self, stamp: int, dt: float, tau: float) -> float:
        """Nearest-neighbour trace ``exp(-(t - t_last)/tau)`` (0 without an earlier spike)."""
        j = self.latest_before(stamp)
        return 0.0 if j < 0 else math.exp((self.stamps[j] - stamp) * dt / tau)


# --- one synapse per rule: state after each presynaptic spike -------------------------------------
def _stdp(p, rule, w, pre, hist, D, dt):
    """NEST stdp_synapse / stdp_nn_symm_synapse / stdp_nn_restr_synapse."""
    wmax, lam, am = p["w_max"], p["A_plus"], p["A_minus"]
    tau_p, tau_m = p["tau_plus"], p["tau_minus"]
    mu_p, mu_m = rule.exponents()
    pairing = rule.option_values["pairing"]

    def fac(w, k):
        x = w / wmax + lam * (1.0 - w / wmax) ** mu_p * k
        return x * wmax if x < 1.0 else wmax

    def dep(w, k):
        x = w / wmax - am * (w / wmax) ** mu_m * k
        return x * wmax if x > 0.0 else 0.0

    k_plus, last, out = 0.0, 0, []
    for s in pre:
        t_last, t = last * dt, s * dt
        win = hist.window(last - D, s - D)
        if pairing == "all":
            for r in hist.stamps[win]:
                w = fac(w, k_plus * math.exp((t_last - (r * dt + D * dt)) / tau_p))
            w = dep(w, hist.k_value(s - D, dt, tau_m))
        elif pairing == "nearest_symmetric":
            for r in hist.stamps[win]:
                w = fac(w, math.exp((t_last - (r * dt + D * dt)) / tau_p))
            w = dep(w, hist.nearest(s - D, dt, tau_m))
        elif win.size:  # nearest_restricted
            w = fac(w, math.exp((t_last - (hist.stamps[win[0]] * dt + D * dt)) / tau_p))
            w = dep(w, hist.nearest(s - D, dt, tau_m))
        k_plus = k_plus * math.exp((t_last - t) / tau_p) + 1.0
        last = s
        out.append((w,))
    return out


def _triplet(p, rule, w, pre, hist, D, dt):
    """NEST stdp_triplet_synapse."""
    wmax = p["w_max"]
    k_plus = k_trip = 0.0
    last, out = 0, []
    for s in pre:
        t_last, t = last * dt, s * dt
        for j in hist.window(last - D, s - D):
            k = k_plus * math.exp((t_last - (hist.stamps[j] * dt + D * dt)) / p["tau_plus"])
            ky = hist.k_triplet[j] - 1.0
            w = min(w + k * (p["A_plus"] + p["A_plus_triplet"] * ky), wmax)
        k_trip *= math.exp((t_last - t) / p["tau_plus_triplet"])
        kminus = hist.k_value(s - D, dt, p["tau_minus"])
        w = max(w - kminus * (p["A_minus"] + p["A_minus_triplet"] * k_trip), 0.0)
        k_trip += 1.0
        k_plus = k_plus * math.exp((t_last - t) / p["tau_plus"]) + 1.0
        last = s
        out.append((w,))
    return out


def _vogels_sprekeler(p, rule, w, pre, hist, D, dt):
    """NEST vogels_sprekeler_synapse (the post trace uses tau as well)."""
    wmax, eta, tau = p["w_max"], p["eta"], p["tau"]
    k_plus, last, out = 0.0, 0, []
    for s in pre:
        t_last, t = last * dt, s * dt
        for r in hist.stamps[hist.window(last - D, s - D)]:
            w = min(w + eta * k_plus * math.exp((t_last - (r * dt + D * dt)) / tau), wmax)
        w = min(w + eta * hist.k_value(s - D, dt, tau), wmax)
        w = max(w - p["alpha"] * eta, 0.0)
        k_plus = k_plus * math.exp((t_last - t) / tau) + 1.0
        last = s
        out.append((w,))
    return out


def _tsodyks(p, rule, w, pre, hist, D, dt):
    """NEST tsodyks2_synapse: u, x updated from the interval before transmitting w u x."""
    U, tau_rec, tau_fac = p["U"], p["tau_rec"], p["tau_fac"]
    u, x, last, out = U, 1.0, None, []
    for s in pre:
        if last is not None:
            h = (s - last) * dt
            x_decay = math.exp(-h / tau_rec)
            u_decay = 0.0 if tau_fac == 0 else math.exp(-h / tau_fac)
            x = 1.0 + (x - x * u - 1.0) * x_decay
            u = U + u * (1.0 - U) * u_decay
        last = s
        out.append((w, u, x))
    return out


def _dopamine(p, rule, w, pre, hist, D, dt, dopa):
    """NEST stdp_dopamine_synapse without volume-transmitter triggers: w, c and n are brought
    up to date at each presynaptic spike, segment by segment.  ``dopa`` is the list of
    (arrival time ms, multiplicity), starting with NEST's pseudo spike (0.0, 0)."""
    tau_c, tau_n, b = p["tau_c"], p["tau_n"], p["b"]
    taus = (tau_c + tau_n) / (tau_c * tau_n)
    st = {"w": w, "c": 0.0, "n": 0.0, "i": 0}

    def update_weight(c0, n0, minus_dt):
        v = st["w"] - c0 * (
            n0 / taus * math.expm1(taus * minus_dt) - b * tau_c * math.expm1(minus_dt / tau_c)
        )
        st["w"] = min(max(v, p["w_min"]), p["w_max"])

    def update_dopamine():
        i = st["i"]
        st["n"] = st["n"] * math.exp((dopa[i][0] - dopa[i + 1][0]) / tau_n) + dopa[i + 1][1] / tau_n
        st["i"] = i + 1

    def due(t1):
        return len(dopa) > st["i"] + 1 and t1 - dopa[st["i"] + 1][0] > -1e-6

    def process(t0, t1):
        if due(t1):
            n0 = st["n"] * math.exp((dopa[st["i"]][0] - t0) / tau_n)
            update_weight(st["c"], n0, t0 - dopa[st["i"] + 1][0])
            update_dopamine()
            while due(t1):
                cd = st["c"] * math.exp((t0 - dopa[st["i"]][0]) / tau_c)
                update_weight(cd, st["n"], dopa[st["i"]][0] - dopa[st["i"] + 1][0])
                update_dopamine()
            cd = st["c"] * math.exp((t0 - dopa[st["i"]][0]) / tau_c)
            update_weight(cd, st["n"], dopa[st["i"]][0] - t1)
        else:
            n0 = st["n"] * math.exp((dopa[st["i"]][0] - t0) / tau_n)
            update_weight(st["c"], n0, t0 - t1)
        st["c"] = st["c"] * math.exp((t0 - t1) / tau_c)

    k_plus, last, out = 0.0, 0, []
    for s in pre:
        t_last, t = last * dt, s * dt
        t0 = t_last
        for r in hist.stamps[hist.window(last - D, s - D)]:
            t_post = r * dt + D * dt
            process(t0, t_post)
            t0 = t_post
            st["c"] += p["A_plus"] * k_plus * math.exp((t_last - t0) / p["tau_plus"])
        process(t0, t)
        st["c"] -= p["A_minus"] * hist.k_value(s - D, dt, p["tau_minus"])
        k_plus = k_plus * math.exp((t_last - t) / p["tau_plus"]) + 1.0
        last = s
        out.append((st["w"], st["c"]))
    return out


def _custom(p, rule, w, pre, hist, D, dt, teacher=None, post_at=None):
    """A rule written as statements (:mod:`hub.equations.rules`): the event order above, with
    every trace decayed lazily (``K <- K exp((t_last - t)/tau)``, +1 per spike) and the
    statements evaluated left to right in doubles."""
    from ..equations import rules as R

    prog = R.rule_program(rule)
    p = prog.working(p)
    k_pre = {x: 0.0 for x in prog.pre_traces}
    k_post = {y: 0.0 for y in prog.post_traces}
    t_q = 0.0  # arrival time of the last postsynaptic spike counted in k_post
    env = dict(p)
    env["w"] = w
    last, out = 0, []

    def count_post(t_arrival):
        nonlocal t_q
        for y, tau in prog.post_traces.items():
            k_post[y] = k_post[y] * math.exp((t_q - t_arrival) / p[tau]) + 1.0
        t_q = t_arrival

    teach = np.sort(np.asarray(teacher if teacher is not None else [], np.int64))
    deferred: list[float] = []  # arrivals with the previous presynaptic spike's stamp
    for s in pre:
        t_last, t = last * dt, s * dt
        if s > last:  # (a second spike of the same stamp still reads them as not yet there)
            for t_arr in deferred:
                count_post(t_arr)
            deferred = []
        waiting = []  # (stamp, arrival): counted once the events of its time have run
        posts = [(int(r), 0) for r in hist.stamps[hist.window(last - D, s - D)]]
        lo, hi = np.searchsorted(teach, [last - D, s - D], "right")
        events = sorted(posts + [(int(q), 1) for q in teach[lo:hi]])  # post before teacher
        for r, is_teacher in events:
            t_arr = r * dt + D * dt
            while waiting and waiting[0][0] < r:  # a teacher spike at its time reads without it
                count_post(waiting.pop(0)[1])
            env[R.SINCE_PRE] = t_arr - t_last
            for var in prog.post_state:
                env[f"{var}_post"] = post_at(var, r + D)
            for x, tau in prog.pre_traces.items():
                env[x] = k_pre[x] * math.exp((t_last - t_arr) / p[tau])
            for y, tau in prog.post_traces.items():
                env[y] = k_post[y] * math.exp((t_q - t_arr) / p[tau])
            R.apply(prog.on_teacher if is_teacher else prog.on_post, env)
            if is_teacher:
                continue
            if r + D < s:
                waiting.append((r, t_arr))
            else:  # arriving with the presynaptic spike: counted after it (strictly before)
                deferred.append(t_arr)
        for _, t_arr in waiting:
            count_post(t_arr)
        env[R.SINCE_PRE] = t - t_last
        for var in prog.post_state:
            env[f"{var}_post"] = post_at(var, s)
        for x, tau in prog.pre_traces.items():
            env[x] = k_pre[x] * math.exp((t_last - t) / p[tau])
        for y, tau in prog.post_traces.items():
            env[y] = k_post[y] * math.exp((t_q - t) / p[tau])
        R.apply(prog.on_pre, env)
        for x, tau in prog.pre_traces.items():
            k_pre[x] = k_pre[x] * math.exp((t_last - t) / p[tau]) + 1.0
        last = s
        out.append((env["w"],))
    return out


_RULES = {
    "CustomRule": _custom,
    "STDP": _stdp,
    "TripletSTDP": _triplet,
    "VogelsSprekeler": _vogels_sprekeler,
    "TsodyksMarkram": _tsodyks,
    "DopamineSTDP": _dopamine,
}
#: state variables in the order each rule function reports them
VARIABLES = {
    "CustomRule": ("weight",),
    "STDP": ("weight",),
    "TripletSTDP": ("weight",),
    "VogelsSprekeler": ("weight",),
    "TsodyksMarkram": ("weight", "u", "x"),
    "DopamineSTDP": ("weight", "c"),
}
_SIGNED = ("weight", "c")  # variables that carry the weight's sign


def _tau_minus(rule: ResolvedRule) -> tuple[float, float | None]:
    p = rule.params
    if rule.kind == "VogelsSprekeler":
        return p["tau"], None
    if rule.kind == "TripletSTDP":
        return p["tau_minus"], p["tau_minus_triplet"]
    return p.get("tau_minus", 1.0), None


def _by_neuron(indices, stamps, size):
    order = np.lexsort((stamps, indices))
    idx, st = np.asarray(indices)[order], np.asarray(stamps, np.int64)[order]
    return np.split(st, np.searchsorted(idx, np.arange(1, size)))


def simulate_projection(
    rule: ResolvedRule,
    pre_idx,
    post_idx,
    delay_steps,
    weight,
    dt: float,
    pre_spikes,
    post_spikes,
    modulator_spikes=None,
    sample_stamps=(),
    sign=None,
    transmitted=None,
    teacher_spikes=None,
    post_state=None,
):
    """Reference state of every synapse of one plastic projection.

    ``pre_spikes`` / ``post_spikes``: (indices, stamps) of the pre and post populations
    (repeats = multiplicity); ``modulator_spikes``: stamps of the dopamine population
    (DopamineSTDP); ``teacher_spikes``: (indices, stamps) of a supervised rule's teacher;
    ``post_state``: variable -> ``f(stamp, neuron)``, the postsynaptic state a rule reads.
    ``sign`` (per synapse, default the sign of the initial weight) is the sign weights carry.
    Returns ``(final, samples)``: ``final[var]`` one value per synapse,
    ``samples[var]`` of shape (len(sample_stamps), n_synapses) — the state after the last
    presynaptic spike stamped <= each sample stamp.  If ``transmitted`` is a list, one array
    per synapse is appended to it: the (signed) weight each presynaptic spike transmitted
    (``w u x`` for TsodyksMarkram), in spike order.
    """
    pre_idx, post_idx = np.asarray(pre_idx, np.int64), np.asarray(post_idx, np.int64)
    n_pre = int(max(pre_idx.max(initial=-1), np.max(pre_spikes[0], initial=-1)) + 1)
    n_post = int(max(post_idx.max(initial=-1), np.max(post_spikes[0], initial=-1)) + 1)
    pre_trains = _by_neuron(*pre_spikes, n_pre)  # multiplicity m: m events at one time
    tau_m, tau_t = _tau_minus(rule)
    histories = [PostHistory.of(s, dt, tau_m, tau_t) for s in _by_neuron(*post_spikes, n_post)]
    fn, names = _RULES[rule.kind], VARIABLES[rule.kind]
    extra = ()
    if rule.kind == "DopamineSTDP":
        arrive = np.asarray(modulator_spikes, np.int64) + rule.modulator_delay_steps
        times, counts = np.unique(arrive, return_counts=True)
        extra = ([(0.0, 0.0)] + [(float(t) * dt, float(m)) for t, m in zip(times, counts)],)
    weight = np.asarray(weight, float)
    sample_stamps = np.asarray(sample_stamps, np.int64)
    final = {v: np.empty(len(pre_idx)) for v in names}
    samples = {v: np.empty((len(sample_stamps), len(pre_idx))) for v in names}
    init_u = rule.params.get("U", 0.0)
    teachers = None
    if teacher_spikes is not None:
        n_teach = max(n_post, int(np.max(teacher_spikes[0], initial=-1)) + 1)
        teachers = _by_neuron(*teacher_spikes, n_teach)
    for k in range(len(pre_idx)):
        pre = pre_trains[pre_idx[k]]
        if rule.kind == "CustomRule":
            j = int(post_idx[k])
            extra = (
                teachers[j] if teachers is not None else None,
                (lambda var, stamp, j=j: float(post_state[var](stamp, j))) if post_state else None,
            )
        states = fn(
            rule.params,
            rule.rule,
            abs(weight[k]),
            pre,
            histories[post_idx[k]],
            int(delay_steps[k]),
            dt,
            *extra,
        )
        initial = {"weight": abs(weight[k]), "u": init_u, "x": 1.0, "c": 0.0}
        table = np.array([[initial[v] for v in names]] + [list(s) for s in states])
        sgn = (-1.0 if weight[k] < 0 else 1.0) if sign is None else float(sign[k])
        if transmitted is not None:
            sent = table[1:, 0] * (
                table[1:, 1] * table[1:, 2] if rule.kind == "TsodyksMarkram" else 1.0
            )
            transmitted.append(sgn * sent)
        pos = np.searchsorted(pre, sample_stamps, "right")  # row 0 = before any spike
        for j, v in enumerate(names):
            f = sgn if v in _SIGNED else 1.0
            final[v][k] = f * table[-1, j]
            samples[v][:, k] = f * table[pos, j]
    return final, samples

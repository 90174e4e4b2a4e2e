"""An independent ODE reference for the conductance-based and Hodgkin-Huxley models.

Like :mod:`hub.testing.reference` it exists to check backends, not to be used for science:
each step of ``dt`` integrates the models' differential equations, written here from the
equations of :mod:`hub.ir.neurons` in the hub's units, with an accurate general-purpose
solver (``scipy.integrate.solve_ivp``, DOP853, ``rtol`` = :data:`RTOL`, ``atol`` =
:data:`ATOL`); the events between steps (input, threshold, reset, refractoriness, current
switches) follow the step semantics of docs/semantics.md.  Nothing is taken from a
simulator's code: agreement with a backend is evidence, not a copy.

Supported: ``LIFCond[synapse=exp|alpha]``, ``AdEx[synapse=exp|alpha]`` and
``HodgkinHuxley``; spike sources (hub-drawn or ``resolve="native"`` Poisson, drawn here),
static synapses with delays on the excitatory and inhibitory receptors, current injection,
spike and state probes.

Units: t ms, V mV, C nF, conductances uS, currents nA (so uS * mV = nA and nA / nF =
mV/ms); the AdEx ``a`` is in nS (``a / 1000`` uS).  ``I`` is ``i_offset`` plus the injected
current of the step (nA).  Per neuron, with ``X`` in {E, I}:

LIFCond, ``g_L = cm / tau_m``::

    cm dV/dt = g_L (v_rest - V) + g_E (e_rev_E - V) + g_I (e_rev_I - V) + I

AdEx, ``g_L = cm / tau_m``::

    cm dV/dt = g_L (v_rest - V) + g_L delta_T exp((V - v_thresh) / delta_T)
               + g_E (e_rev_E - V) + g_I (e_rev_I - V) - w + I
    tau_w dw/dt = (a / 1000) (V - v_rest) - w

HodgkinHuxley (Traub and Miles), ``u = V - v_offset``::

    cm dV/dt = -gbar_Na m^3 h (V - e_rev_Na) - gbar_K n^4 (V - e_rev_K)
               - g_leak (V - e_rev_leak) + g_E (e_rev_E - V) + g_I (e_rev_I - V) + I
    dx/dt = alpha_x(u) (1 - x) - beta_x(u) x        for x in m, h, n
    alpha_n = 0.032 (15 - u) / (exp((15 - u) / 5) - 1)   beta_n = 0.5 exp((10 - u) / 40)
    alpha_m = 0.32 (13 - u) / (exp((13 - u) / 4) - 1)
    beta_m = 0.28 (u - 40) / (exp((u - 40) / 5) - 1)
    alpha_h = 0.128 exp((17 - u) / 18)                   beta_h = 4 / (1 + exp((40 - u) / 5))

    (the removable singularities z / (exp(z / k) - 1) -> k at z = 0 are taken by their limit);
    m, h and n start at their steady state x = alpha_x / (alpha_x + beta_x) at the initial V.

Synapses: ``synapse="exp"``: ``dg_X/dt = -g_X / tau_syn_X``, the summed weight ``W`` (uS) of
the spikes arriving on receptor X at the end of a step is added to ``g_X``;
``synapse="alpha"``: ``dx_X/dt = -x_X / tau_syn_X``, ``dg_X/dt = x_X - g_X / tau_syn_X``, the
arriving ``W`` adds ``W e / tau_syn_X`` to ``x_X`` (a single spike gives ``g_X(t) = W (t /
tau) exp(1 - t / tau)``, peak ``W`` at ``t = tau``).  HodgkinHuxley has exponential
synapses.  ``R`` is the refractory period in steps (:func:`reference.refractory_steps`).

One step ``k`` (from ``k dt`` to ``(k+1) dt``; a spike in it is stamped ``k+1``):

* LIFCond: if refractory (``r > 0``) V is held (dV/dt = 0) while the conductances decay;
  otherwise all state is integrated over the step.  Then the arriving input is added, and:
  if ``r > 0``: ``r -= 1``, ``V = v_reset``; elif ``V >= v_thresh``: spike, ``V = v_reset``,
  ``r = R``.  The threshold is tested at the end of the step only.
* AdEx: the spike is the instant ``V`` reaches ``v_spike`` (an event located by the solver
  inside the step): the spike is stamped ``k+1``, ``V = v_reset``, ``w += b``, and for the
  rest of that step and the ``R`` steps after it V is held at ``v_reset`` (the adaptation
  sees ``V = v_reset``); with ``R = 0`` integration simply resumes from ``v_reset`` (a second
  spike in the same step is possible).  Input is added at the end of the step.
* HodgkinHuxley: all state is integrated over the step, the input added; then if ``r > 0``:
  ``r -= 1``; elif ``V >= v_offset + 30`` and V fell over the step (``V((k+1) dt) < V(k
  dt)``, i.e. the peak of the action potential has passed): spike, ``r = R``.  V is never
  reset.

Input spikes arrive as in docs/semantics.md: a spike stamped ``s`` over a delay of ``D``
steps is added at the end of step ``s + D - 1``, so it first acts in step ``s + D``.  An
injected current switched on at stamp ``s`` acts in the steps after ``s`` (as ``i_offset``).
State is sampled at the end of the step, after input, threshold and reset.
"""

from __future__ import annotations

import math

import numpy as np

from ..resolve import ResolvedNetwork, draw_native, stream
from ..results import Results, Signal, assemble_spikes
from .reference import refractory_steps

SUPPORTED = (
    "LIFCond[synapse=exp]",
    "LIFCond[synapse=alpha]",
    "AdEx[synapse=exp]",
    "AdEx[synapse=alpha]",
    "HodgkinHuxley",
)
#: solver tolerances (solve_ivp's rtol and atol, in the state's units)
RTOL, ATOL = 1e-10, 1e-12
METHOD = "DOP853"
#: AdEx: the right-hand side sees V at most v_spike + SPIKE_CAP delta_T; the solver stops where
#: V reaches v_spike, so only the trial stages of the step that crosses it go beyond
SPIKE_CAP = 3.0


def _solve(fun, y0, t0, dt, first_step, event):
    """solve_ivp (DOP853) from t0 to dt, stopping at the first zero crossing of ``event``
    upwards; returns the solution and a first step for the next call."""
    from scipy.integrate import solve_ivp

    sol = solve_ivp(
        fun,
        (t0, dt),
        y0,
        method=METHOD,
        rtol=RTOL,
        atol=ATOL,
        events=event,
        first_step=min(first_step, dt - t0),
    )
    if sol.status < 0:  # pragma: no cover - a solver failure is a bug of this module
        raise RuntimeError(f"ODE reference: solve_ivp failed: {sol.message}")
    steps = np.diff(sol.t)
    return sol, float(steps[:-1].max()) if len(steps) > 1 else first_step


def _advance(fun, y0, dt, first_step):
    """y(dt) from y(0) = y0 with the adaptive DOP853 stepper (the method of solve_ivp,
    driven directly so that the step size found in one step of dt is the first guess of the
    next); returns (y(dt), a first step for the next call)."""
    from scipy.integrate import DOP853

    solver = DOP853(fun, 0.0, y0, dt, rtol=RTOL, atol=ATOL, first_step=first_step)
    largest = 0.0
    while solver.status == "running":
        t = solver.t
        solver.step()
        largest = max(largest, solver.t - t)
    if solver.status != "finished":  # pragma: no cover - a solver failure is a bug here
        raise RuntimeError("ODE reference: the DOP853 stepper failed")
    return solver.y, min(dt, max(largest, solver.h_abs))


# --- Hodgkin-Huxley rate functions (Traub and Miles, of u = V - v_offset, 1/ms) ----------------
def hh_rates(u):
    """(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n) at ``u = V - v_offset`` (mV), 1/ms."""
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha, beta = hh_rate_rows(np.asarray(u, float))
    return alpha[0], beta[0], alpha[1], beta[1], alpha[2], beta[2]


#: the six rates as  c z / expm1(z / k)  (ratio) or  c exp(z / k)  or  c / (1 + exp(z / k)),
#: z = z0 + sign u; rows alpha_m, alpha_n, beta_m (ratios), alpha_h, beta_n, beta_h
_Z0 = np.array([13.0, 15.0, -40.0, 17.0, 10.0, 40.0])[:, None]
_SIGN = np.array([-1.0, -1.0, 1.0, -1.0, -1.0, -1.0])[:, None]
_K = np.array([4.0, 5.0, 5.0, 18.0, 40.0, 5.0])[:, None]
_C = np.array([0.32, 0.032, 0.28, 0.128, 0.5, 4.0])[:, None]


def hh_rate_rows(u):
    """((alpha_m, alpha_h, alpha_n), (beta_m, beta_h, beta_n)) as two (3, n) arrays: all six
    rates from one exponential of a (6, n) array (the right-hand side is called often)."""
    z = _Z0 + _SIGN * u
    e = np.expm1(z / _K)
    rates = np.empty_like(z)
    rates[:3] = _C[:3] * z[:3] / e[:3]
    if not np.isfinite(rates[:3]).all():  # z = 0: the limit of z / expm1(z / k) is k
        rates[:3] = np.where(z[:3] == 0.0, _C[:3] * _K[:3], rates[:3])
    rates[3:5] = _C[3:5] * (e[3:5] + 1.0)
    rates[5] = _C[5, 0] / (e[5] + 2.0)
    return rates[[0, 3, 1]], rates[[2, 5, 4]]


def hh_gates_at_rest(v, v_offset):
    """Steady-state (m, h, n) at membrane potential ``v`` (mV)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        am, bm, ah, bh, an, bn = hh_rates(np.asarray(v, float) - np.asarray(v_offset, float))
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


# --- the models --------------------------------------------------------------------------------
class _Model:
    """One population's state ``y`` (neurons x columns) and its per-step update.  ``own`` names
    the model's columns (V first); the synaptic columns follow: (x_E, g_E, x_I, g_I) for alpha
    synapses, (g_E, g_I) for exponential ones."""

    own: tuple[str, ...] = ("V",)

    def __init__(self, pop, dt):
        self.p = {k: np.asarray(v, float) for k, v in pop.params.items()}
        if "tau_m" in self.p:  # LIFCond, AdEx: leak conductance (uS)
            self.p["g_L"] = self.p["cm"] / self.p["tau_m"]
        self.n, self.dt, self.h = pop.size, dt, dt
        self.alpha = pop.model.synapse == "alpha"
        syn = ("xE", "gE", "xI", "gI") if self.alpha else ("gE", "gI")
        self.cols = self.own + syn
        self.col = {c: i for i, c in enumerate(self.cols)}
        self.y = np.zeros((self.n, len(self.cols)))
        self.y[:, 0] = pop.initial["v"]
        self.y[:, self.col["gE"]] = pop.initial.get("gsyn_exc", 0.0)
        self.y[:, self.col["gI"]] = pop.initial.get("gsyn_inh", 0.0)
        self.r = np.zeros(self.n, np.int64)
        self.R = refractory_steps(self.p["tau_refrac"], dt)
        self.everyone = np.arange(self.n)

    def select(self, sel, current, held):
        """Make the right-hand side see neurons ``sel`` only, with injected+offset current
        ``current`` (nA, all neurons) and ``held`` (bool per selected neuron: V held)."""
        self.q = {k: v[sel] for k, v in self.p.items()}
        self.cur, self.held = current[sel], held

    def syn_rhs(self, y, f):
        """Synaptic kinetics into ``f`` (same shape as ``y``)."""
        c, q = self.col, self.q
        if self.alpha:
            for x, g, tau in (("xE", "gE", q["tau_syn_E"]), ("xI", "gI", q["tau_syn_I"])):
                f[:, c[x]] = -y[:, c[x]] / tau
                f[:, c[g]] = y[:, c[x]] - y[:, c[g]] / tau
        else:
            f[:, c["gE"]] = -y[:, c["gE"]] / q["tau_syn_E"]
            f[:, c["gI"]] = -y[:, c["gI"]] / q["tau_syn_I"]

    def i_syn(self, y, V):
        """Synaptic current (nA) at membrane potential V."""
        c, q = self.col, self.q
        return y[:, c["gE"]] * (q["e_rev_E"] - V) + y[:, c["gI"]] * (q["e_rev_I"] - V)

    def add_input(self, arriving):
        """``arriving`` (2, n): summed weights (uS) on the excitatory and inhibitory receptor."""
        p, c = self.p, self.col
        if self.alpha:
            self.y[:, c["xE"]] += math.e / p["tau_syn_E"] * arriving[0]
            self.y[:, c["xI"]] += math.e / p["tau_syn_I"] * arriving[1]
        else:
            self.y[:, c["gE"]] += arriving[0]
            self.y[:, c["gI"]] += arriving[1]

    def integrate(self, current, held):
        """Every neuron over one step (V held where ``held``); returns the new state."""
        self.select(self.everyone, current, held)
        shape = self.y.shape

        def fun(t, flat):
            y = flat.reshape(shape)
            f = np.empty_like(y)
            self.rhs(y, f)
            return f.ravel()

        y, self.h = _advance(fun, self.y.ravel(), self.dt, self.h)
        return y.reshape(shape)

    def read(self, variable):
        return self.y[
            :, self.col[{"v": "V", "w": "w", "gsyn_exc": "gE", "gsyn_inh": "gI"}[variable]]
        ]


class _LIFCond(_Model):
    def rhs(self, y, f):
        q, V = self.q, y[:, 0]
        dv = (q["g_L"] * (q["v_rest"] - V) + self.i_syn(y, V) + self.cur) / q["cm"]
        f[:, 0] = np.where(self.held, 0.0, dv)
        self.syn_rhs(y, f)

    def step(self, arriving, current):
        refr = self.r > 0
        self.y = self.integrate(current, refr)
        self.add_input(arriving)
        self.r[refr] -= 1
        self.y[refr, 0] = self.p["v_reset"][refr]
        fired = ~refr & (self.y[:, 0] >= self.p["v_thresh"])
        self.y[fired, 0] = self.p["v_reset"][fired]
        self.r[fired] = self.R[fired]
        return np.nonzero(fired)[0]


class _AdEx(_Model):
    own = ("V", "w")

    def __init__(self, pop, dt):
        super().__init__(pop, dt)
        self.y[:, 1] = pop.initial["w"]

    def rhs(self, y, f):
        q = self.q
        # held neurons see V = v_reset; the others their V (bounded: see SPIKE_CAP)
        V = np.where(
            self.held, q["v_reset"], np.minimum(y[:, 0], q["v_spike"] + SPIKE_CAP * q["delta_T"])
        )
        spike = q["g_L"] * q["delta_T"] * np.exp((V - q["v_thresh"]) / q["delta_T"])
        leak = q["g_L"] * (q["v_rest"] - V)
        dv = (leak + spike + self.i_syn(y, V) - y[:, 1] + self.cur) / q["cm"]
        f[:, 0] = np.where(self.held, 0.0, dv)
        f[:, 1] = (q["a"] / 1000.0 * (V - q["v_rest"]) - y[:, 1]) / q["tau_w"]
        self.syn_rhs(y, f)

    def step(self, arriving, current):
        p, shape = self.p, self.y.shape
        held = self.r > 0
        self.select(self.everyone, current, held)
        counts = np.zeros(self.n, np.int64)

        def fun(t, flat):
            y = flat.reshape(shape)
            f = np.empty_like(y)
            self.rhs(y, f)
            return f.ravel()

        def crossing(t, flat):  # zero when the first neuron not held reaches v_spike
            return np.max(np.where(held, -np.inf, flat.reshape(shape)[:, 0] - p["v_spike"]))

        crossing.terminal, crossing.direction = True, 1.0
        t, y = 0.0, self.y.ravel()
        while True:
            sol, self.h = _solve(fun, y, t, self.dt, self.h, crossing if not held.all() else None)
            if sol.status != 1:  # the end of the step
                y = sol.y[:, -1].reshape(shape)
                break
            t, y = float(sol.t_events[0][0]), sol.y_events[0][0].reshape(shape).copy()
            i = int(np.argmax(np.where(held, -np.inf, y[:, 0] - p["v_spike"])))
            counts[i] += 1
            y[i, 0] = p["v_reset"][i]
            y[i, 1] += p["b"][i]
            self.r[i] = self.R[i] + 1 if self.R[i] > 0 else 0
            held[i] = self.r[i] > 0
            if t >= self.dt * (1.0 - 1e-12):
                break
            y = y.ravel()
        y[held, 0] = p["v_reset"][held]
        self.y = y
        self.r[self.r > 0] -= 1
        self.add_input(arriving)
        return np.repeat(self.everyone, counts)


class _HH(_Model):
    own = ("V", "m", "h", "n")

    def __init__(self, pop, dt):
        super().__init__(pop, dt)
        self.y[:, 1:4] = np.stack(hh_gates_at_rest(self.y[:, 0], self.p["v_offset"]), axis=1)

    def rhs(self, y, f):
        q = self.q
        V, gates = y[:, 0], y[:, 1:4].T  # gates: rows m, h, n
        m, h, n = gates
        n2 = n * n
        i_ion = (
            q["gbar_Na"] * (m * m * m * h) * (q["e_rev_Na"] - V)
            + q["gbar_K"] * (n2 * n2) * (q["e_rev_K"] - V)
            + q["g_leak"] * (q["e_rev_leak"] - V)
        )
        f[:, 0] = (i_ion + self.i_syn(y, V) + self.cur) / q["cm"]
        alpha, beta = hh_rate_rows(V - q["v_offset"])
        f[:, 1:4] = (alpha - (alpha + beta) * gates).T
        self.syn_rhs(y, f)

    def step(self, arriving, current):
        v_old = self.y[:, 0].copy()
        self.y = self.integrate(current, None)
        self.add_input(arriving)
        refr = self.r > 0
        self.r[refr] -= 1
        v = self.y[:, 0]
        fired = ~refr & (v >= self.p["v_offset"] + 30.0) & (v < v_old)
        self.r[fired] = self.R[fired]
        return np.nonzero(fired)[0]


_MODELS = {
    "LIFCond[synapse=exp]": _LIFCond,
    "LIFCond[synapse=alpha]": _LIFCond,
    "AdEx[synapse=exp]": _AdEx,
    "AdEx[synapse=alpha]": _AdEx,
    "HodgkinHuxley": _HH,
}


def simulate(resolved: ResolvedNetwork) -> Results:
    """Run ``resolved`` (populations of the :data:`SUPPORTED` models) with the ODE reference;
    returns hub Results (spikes and the probed state, as every backend returns them)."""
    dt, steps = resolved.dt, resolved.steps
    pops = list(resolved.populations.values())
    unsupported = [p.model.label for p in pops if p.model.label not in SUPPORTED]
    if unsupported:
        raise NotImplementedError(f"the ODE reference has no {unsupported}")
    plastic = [j.label for j in resolved.projections if j.rule is not None]
    if plastic:
        raise NotImplementedError(f"the ODE reference has static synapses only, not {plastic}")
    models = {p.label: _MODELS[p.model.label](p, dt) for p in pops}

    # deliveries: ring[slot, receptor, neuron] of summed weights, per target population
    max_d = max([int(j.delay_steps.max()) for j in resolved.projections if j.n] + [1])
    ring = {p.label: np.zeros((max_d + 1, 2, p.size)) for p in pops}
    out_by_pre: dict[str, list] = {}
    for j in resolved.projections:
        order = np.argsort(j.pre_idx, kind="stable")
        ptr = np.searchsorted(j.pre_idx[order], np.arange(resolved.size_of(j.pre) + 1))
        rec = 1 if j.receptor == "inhibitory" else 0
        out_by_pre.setdefault(j.pre, []).append(
            (j.post, rec, ptr, j.post_idx[order], j.weight[order], j.delay_steps[order])
        )

    def deliver(pre, idx, k):
        """Spikes of ``pre`` neurons ``idx`` (repeats: multiplicity) stamped k+1."""
        for post, rec, ptr, tgt, w, d in out_by_pre.get(pre, ()):
            sel = [np.arange(ptr[i], ptr[i + 1]) for i in idx]
            sel = np.concatenate(sel) if sel else np.zeros(0, np.int64)
            if len(sel):
                np.add.at(ring[post][:, rec], ((k + d[sel]) % (max_d + 1), tgt[sel]), w[sel])

    src_events = {
        lab: (s.indices, s.stamps)
        if not getattr(s, "native", False)
        else draw_native(s, dt, stream(resolved.seed, lab, "ode-reference-native-poisson"))
        for lab, s in resolved.sources.items()
    }
    injections = [(i.target, i.indices, i.stamps, i.amplitudes) for i in resolved.injections]
    spikes = {p.label: ([], []) for p in pops}
    probes = [pr for pr in resolved.probes if pr.variable != "spikes" and pr.population in models]
    samples: dict[tuple[str, str], list] = {(pr.population, pr.variable): [] for pr in probes}

    def one_step(k):
        slot = k % (max_d + 1)
        arriving = {}
        for p in pops:
            arriving[p.label] = ring[p.label][slot].copy()
            ring[p.label][slot] = 0.0
        for p in pops:
            current = models[p.label].p["i_offset"].copy()
            for target, idx, st, amp in injections:
                on = np.searchsorted(st, k + 1, side="left") - 1  # last switch stamped <= k
                if target == p.label and on >= 0:
                    np.add.at(current, idx, amp[on])
            fired = models[p.label].step(arriving[p.label], current)
            if len(fired):
                spikes[p.label][0].append(fired)
                spikes[p.label][1].append(np.full(len(fired), k + 1))
                deliver(p.label, fired, k)
        for lab, (idx, st) in src_events.items():
            lo, hi = np.searchsorted(st, [k + 1, k + 2])
            if hi > lo:
                deliver(lab, idx[lo:hi], k)
        for pr in probes:
            if (k + 1) % pr.interval_steps == 0:
                values = models[pr.population].read(pr.variable)
                samples[(pr.population, pr.variable)].append(values[pr.indices].copy())

    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 in the HH rates: see hh_rate_rows
        for k in range(steps):
            one_step(k)

    res = Results(provenance={"backend": "ode-reference", "dt": dt, "duration": resolved.duration})

    def population_spikes(label):
        idx, st = spikes[label]
        if not idx:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        idx, st = np.concatenate(idx), np.concatenate(st)
        order = np.lexsort((idx, st))
        return idx[order], st[order]

    res.spike_trains.update(assemble_spikes(resolved, population_spikes))
    for pr in probes:
        vals = np.asarray(samples[(pr.population, pr.variable)])
        times = np.arange(pr.interval_steps, steps + 1, pr.interval_steps) * dt
        unit = resolved.populations[pr.population].model.recordable_names()[pr.variable]
        res.signals[(pr.population, pr.variable)] = Signal(
            pr.variable, unit, times, pr.indices, vals.reshape(len(times), len(pr.indices))
        )
    return res


# --- the ODE reference as a backend (used to test the kit's ODE checks) -------------------------
from ..backend import Capabilities, Tolerance  # noqa: E402
from .engine_backend import EngineBackend, EngineSession, engine_plugin  # noqa: E402


class _ODESession(EngineSession):
    simulate = staticmethod(simulate)


class ODEReferenceBackend(EngineBackend):
    """The ODE reference behind the backend contract (not registered by default)."""

    name = "ode-reference"
    session_class = _ODESession

    def capabilities(self):
        from .. import features as F
        from ..ir.neurons import model

        feats = {F.SPIKE_SOURCE, F.CURRENT_STEP, F.SYNAPSE_STATIC, F.RECEPTOR_INHIBITORY}
        for label in SUPPORTED:
            kind = label.split("[")[0]
            syn = {"synapse": label.split("=")[1][:-1]} if "[" in label else {}
            feats.add(F.neuron(label))
            feats.update(F.record(label, v) for v in model(kind, **syn).recordable_names())
        return Capabilities(frozenset(feats), {lab: Tolerance(1) for lab in SUPPORTED})


def ODEReferencePlugin():
    """Register with ``make_plugin_manager(plugins=[ODEReferencePlugin()])``."""
    return engine_plugin(ODEReferenceBackend, "hub ODE reference")

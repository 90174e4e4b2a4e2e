"""A small, slow, independent reference engine for the semantics contract (docs/semantics.md).

It exists to check backends, not to be used for science: a Python loop over steps with
numpy over neurons.  The linear models are integrated with matrix exponentials of their
ODE systems (``scipy.linalg.expm``), written from the equations, not from any simulator's
propagator code, so agreement with a backend is evidence rather than a copy.

Supported: ``LIF`` and ``LIFSubtract`` (exp, alpha, delta synapses) and ``Izhikevich``
(NEST's forward-Euler definition), static synapses, spike sources, current injections, spike
and state probes; and models written as equations (``hub.define_neuron``), whose update
statements the hub derived (:mod:`hub.equations`) run here directly on numpy arrays.

LIF, per neuron, y = V - v_rest, c = i_offset + injected current (nA), C in nF:

    dy/dt = -y/tau_m + (I_E + I_I + c)/C
    exp:    dI_X/dt = -I_X/tau_X                        (input w adds w to I_X)
    alpha:  dx_X/dt = -x_X/tau_X, dI_X/dt = x_X - I_X/tau_X   (input adds w e/tau_X to x_X)
    delta:  input w (mV) adds to y directly

after the step, y >= theta = v_thresh - v_rest spikes; then ``LIF``: y = v_reset - v_rest
(refractory steps as NEST counts them); ``LIFSubtract``: with d = v_thresh - v_reset,
k = 1 (``spikes="one"``) or k = min(max_spikes, floor((y - theta) / d) + 1) (``"many"``),
y = y - k d and k spikes (the neuron's index k times: each delivers its weight), no
refractory period.

Izhikevich (NEST izhikevich, consistent_integration=True), I = 1000 * c (mV/ms):

    v' = v + (h (0.04 v^2 + 5 v + 140 - u + I) + input);   u' = u + h a (b v - u);
    v' >= v_thresh:  v' = c, u' = u' + d
"""

from __future__ import annotations

import math

import numpy as np

from ..resolve import ResolvedNetwork, draw_native, stream
from ..results import Results, Signal, assemble_spikes

SUPPORTED = (
    *(f"LIF[synapse={syn}]" for syn in ("exp", "alpha", "delta")),
    *(
        f"LIFSubtract[spikes={spikes},synapse={syn}]"
        for spikes in ("one", "many")
        for syn in ("exp", "alpha", "delta")
    ),
    "Izhikevich",
)


def refractory_steps(tau_refrac_ms: np.ndarray, dt: float) -> np.ndarray:
    """Steps of refractoriness: t_ref rounded to 1 us, then up to whole steps."""
    tics = np.floor(np.asarray(tau_refrac_ms) * 1000.0 + 0.5)
    step_tics = math.floor(dt * 1000.0 + 0.5)
    return np.ceil(tics / step_tics).astype(np.int64)


def _propagators(params: dict, synapse: str, dt: float) -> np.ndarray:
    """Per-neuron propagator matrix over one step, for state order
    exp: [y, I_E, I_I, c];  alpha: [y, x_E, I_E, x_I, I_I, c]."""
    from scipy.linalg import expm

    n = len(params["tau_m"])
    keys = np.stack([params[k] for k in ("tau_m", "cm", "tau_syn_E", "tau_syn_I")], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    mats = []
    for tau_m, cm, te, ti in uniq:
        if synapse == "exp":
            a = np.zeros((4, 4))
            a[0] = [-1 / tau_m, 1 / cm, 1 / cm, 1 / cm]
            a[1, 1], a[2, 2] = -1 / te, -1 / ti
        else:
            a = np.zeros((6, 6))
            a[0] = [-1 / tau_m, 0, 1 / cm, 0, 1 / cm, 1 / cm]
            a[1, 1], a[2, 1], a[2, 2] = -1 / te, 1.0, -1 / te
            a[3, 3], a[4, 3], a[4, 4] = -1 / ti, 1.0, -1 / ti
        mats.append(expm(a * dt))
    return np.asarray(mats)[np.asarray(inverse).reshape(n)]


def simulate(resolved: ResolvedNetwork) -> Results:
    """Run ``resolved`` with the reference semantics; returns hub Results."""
    dt, steps = resolved.dt, resolved.steps
    pops = list(resolved.populations.values())
    unsupported = [
        p.model.label for p in pops if p.model.label not in SUPPORTED and p.kind != "Custom"
    ]
    if unsupported:
        raise NotImplementedError(f"reference engine has no {unsupported}")
    # one flat index space over all neuron populations
    offset, total = {}, 0
    for p in pops:
        offset[p.label], total = total, total + p.size
    max_d = max([int(j.delay_steps.max()) for j in resolved.projections if j.n] + [1])
    ring = np.zeros((max_d + 1, 2, total))  # [slot, receptor (0 exc / 1 inh), neuron]

    # outgoing synapses grouped by presynaptic (population, index)
    out_by_pre: dict[str, list] = {}
    for j in resolved.projections:
        tgt = offset[j.post] + j.post_idx
        rec = 1 if j.receptor == "inhibitory" else 0
        order = np.argsort(j.pre_idx, kind="stable")
        ptr = np.searchsorted(j.pre_idx[order], np.arange(resolved.size_of(j.pre) + 1))
        out_by_pre.setdefault(j.pre, []).append(
            (ptr, tgt[order], j.weight[order], j.delay_steps[order], rec)
        )

    def deliver(pre_label, idx, k):
        """Events of ``pre_label`` neurons ``idx`` stamped k+1: add to slot k+D."""
        for ptr, tgt, w, d, rec in out_by_pre.get(pre_label, ()):
            sel = (
                np.concatenate([np.arange(ptr[i], ptr[i + 1]) for i in idx])
                if len(idx)
                else np.zeros(0, np.int64)
            )
            if len(sel):
                np.add.at(ring[:, rec], ((k + d[sel]) % (max_d + 1), tgt[sel]), w[sel])

    src_events = {
        lab: (s.indices, s.stamps)
        if not getattr(s, "native", False)
        else draw_native(s, dt, stream(resolved.seed, lab, "reference-native-poisson"))
        for lab, s in resolved.sources.items()
    }  # native Poisson: own draw
    # per-step injected current (nA) for every neuron
    inj = [(offset[i.target] + i.indices, i.stamps, i.amplitudes) for i in resolved.injections]

    state = {p.label: _init(p, dt) for p in pops}
    spikes = {p.label: ([], []) for p in pops}
    rec_probes = [
        pr for pr in resolved.probes if pr.variable != "spikes" and pr.population in state
    ]
    samples = {(pr.population, pr.variable): [] for pr in rec_probes}

    for k in range(steps):
        slot = k % (max_d + 1)
        arriving = ring[slot].copy()
        ring[slot] = 0.0
        current = np.zeros(total)
        for idx, st, amp in inj:
            on = np.searchsorted(st, k + 1, side="left") - 1  # last change with stamp < k+1
            if on >= 0:
                current[idx] += amp[on]
        for p in pops:
            sl = slice(offset[p.label], offset[p.label] + p.size)
            fired = _step(state[p.label], arriving[:, sl], current[sl], dt)
            if len(fired):
                spikes[p.label][0].append(fired)
                spikes[p.label][1].append(np.full(len(fired), k + 1))
                deliver(p.label, fired, k)
        for lab, (idx, st) in src_events.items():
            lo, hi = np.searchsorted(st, [k + 1, k + 2])
            if hi > lo:
                deliver(lab, idx[lo:hi], k)
        for pr in rec_probes:
            if (k + 1) % pr.interval_steps == 0:
                samples[(pr.population, pr.variable)].append(
                    _read(state[pr.population], pr.variable)[pr.indices].copy()
                )

    res = Results(provenance={"backend": "reference", "dt": dt, "duration": resolved.duration})

    def population_spikes(label):
        idx, st = spikes[label]
        return (
            np.concatenate(idx) if idx else np.zeros(0, np.int64),
            np.concatenate(st) if st else np.zeros(0, np.int64),
        )

    # the probed neurons of populations and sources, as every backend assembles them
    res.spike_trains.update(assemble_spikes(resolved, population_spikes))
    for pr in rec_probes:
        vals = np.asarray(samples[(pr.population, pr.variable)])
        times = np.arange(pr.interval_steps, steps + 1, pr.interval_steps) * dt
        unit = resolved.populations[pr.population].model.recordable_names()[pr.variable]
        res.signals[(pr.population, pr.variable)] = Signal(
            pr.variable, unit, times, pr.indices, vals.reshape(len(times), len(pr.indices))
        )
    return res


def _init(p, dt) -> dict:
    if p.kind == "Custom":
        return _init_custom(p, dt)
    s = {"kind": p.model.label, "params": p.params, "r": np.zeros(p.size, np.int64)}
    if p.kind == "Izhikevich":
        s.update(v=p.initial["v"].copy(), u=p.initial["u"].copy())
        return s
    s["y"] = p.initial["v"] - p.params["v_rest"]
    s["theta"] = p.params["v_thresh"] - p.params["v_rest"]
    s["synapse"] = p.synapse
    if p.kind == "LIFSubtract":
        s["R"] = np.zeros(p.size, np.int64)
        s["subtract"] = p.params["v_thresh"] - p.params["v_reset"]
        s["max_spikes"] = (
            p.params["max_spikes"] if p.model.option_values["spikes"] == "many" else None
        )
    else:
        s["R"] = refractory_steps(p.params["tau_refrac"], dt)
        s["reset"] = p.params["v_reset"] - p.params["v_rest"]
    if p.synapse == "delta":
        s["p22"] = np.exp(-dt / p.params["tau_m"])
        s["p20"] = p.params["tau_m"] / p.params["cm"] * (1 - s["p22"])
    else:
        s["P"] = _propagators(p.params, p.synapse, dt)
        n_syn = 2 if p.synapse == "exp" else 4
        s["syn"] = np.zeros((p.size, n_syn))
        s["syn"][:, 0 if p.synapse == "exp" else 1] = p.initial["isyn_exc"]
        s["syn"][:, 1 if p.synapse == "exp" else 3] = p.initial["isyn_inh"]
    return s


def _init_custom(p, dt) -> dict:
    """A model written as equations: its program's statements run directly on numpy arrays
    (:func:`hub.equations.execute`), from the start values the program gives."""
    from ..equations import dims, execute, program
    from ..propagators import nest_resolution

    prog = program(p.model)
    how, factor = dims.to_working(prog.weight_unit)
    return {
        "kind": "Custom",
        "program": prog,
        "execute": execute,
        "env": prog.values(p.params, p.initial, nest_resolution(dt)),
        "scale": factor if how == "mul" else 1.0 / factor,
    }


def _step_custom(s, arriving) -> np.ndarray:
    prog, env, run = s["program"], s["env"], s["execute"]
    run(prog.update, env)
    for receptor, buf in prog.buffers.items():
        env[buf] = env[buf] + arriving[1 if receptor == "inhibitory" else 0] * s["scale"]
    run(prog.inputs, env)
    run(prog.threshold, env)
    if prog.threshold_expr is not None:
        a, op, b = prog.threshold_expr
        fired = _COMPARE[op](env[a], env[b] if isinstance(b, str) else b)
    else:
        fired = np.asarray(env["spike_now"], bool)
    run(prog.reset, env, where=fired)
    return np.nonzero(fired)[0]


_COMPARE = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}


def _step(s, arriving, current, dt) -> np.ndarray:
    if s["kind"] == "Custom":
        return _step_custom(s, arriving)
    par = s["params"]
    c = par["i_offset"] + current
    if s["kind"] == "Izhikevich":
        v, u = s["v"], s["u"]
        v_new = v + (dt * (0.04 * v * v + 5.0 * v + 140.0 - u + 1000.0 * c) + arriving.sum(0))
        u_new = u + dt * par["a"] * (par["b"] * v - u)
        fired = v_new >= par["v_thresh"]
        v_new[fired] = par["c"][fired]
        u_new[fired] += par["d"][fired]
        s["v"], s["u"] = v_new, u_new
        return np.nonzero(fired)[0]
    active = s["r"] == 0
    s["r"][~active] -= 1
    if s["synapse"] == "delta":
        y_new = s["p22"] * s["y"] + s["p20"] * c + arriving.sum(0)
        s["y"] = np.where(active, y_new, s["y"])
    else:
        full = np.concatenate([s["y"][:, None], s["syn"], c[:, None]], axis=1)
        nxt = np.einsum("nij,nj->ni", s["P"], full)
        s["y"] = np.where(active, nxt[:, 0], s["y"])
        s["syn"] = nxt[:, 1:-1]
        if s["synapse"] == "exp":
            s["syn"] += arriving.T
        else:
            tau = np.stack([par["tau_syn_E"], par["tau_syn_I"]], axis=1)
            s["syn"][:, [0, 2]] += math.e / tau * arriving.T
    fired = s["y"] >= s["theta"]
    if "subtract" in s:
        d = s["subtract"][fired]
        if s["max_spikes"] is None:
            k = np.ones(len(d), np.int64)
        else:
            over = np.floor((s["y"][fired] - s["theta"][fired]) / d) + 1.0
            k = np.minimum(s["max_spikes"][fired], over).astype(np.int64)
        s["y"][fired] -= k * d
        return np.repeat(np.nonzero(fired)[0], k)
    else:
        s["y"][fired] = s["reset"][fired]
    s["r"][fired] = s["R"][fired]
    return np.nonzero(fired)[0]


def _read(s, variable):
    if s["kind"] == "Custom":
        return s["program"].recorded(variable, s["env"][variable], s["env"])
    if s["kind"] == "Izhikevich":
        return s[variable]
    if variable == "v":
        return s["y"] + s["params"]["v_rest"]
    col = (
        {"isyn_exc": 0, "isyn_inh": 1} if s["synapse"] == "exp" else {"isyn_exc": 1, "isyn_inh": 3}
    )
    return s["syn"][:, col[variable]]


# --- the reference engine as a backend (used to test the kit's closed-form checks) ----------
from ..backend import Capabilities, Tolerance  # noqa: E402
from .engine_backend import EngineBackend, EngineSession, engine_plugin  # noqa: E402


class _ReferenceSession(EngineSession):
    simulate = staticmethod(simulate)


class ReferenceBackend(EngineBackend):
    """The reference engine behind the backend contract (not registered by default)."""

    name = "reference"
    session_class = _ReferenceSession

    def capabilities(self):
        from .. import features as F

        feats = {
            F.SPIKE_SOURCE,
            F.POISSON_NATIVE,
            F.CURRENT_STEP,
            F.SYNAPSE_STATIC,
            F.RECEPTOR_INHIBITORY,
        }
        for label in SUPPORTED:
            feats.add(F.neuron(label))
            kind = label.split("[")[0]
            variables = (
                ("v", "u")
                if kind == "Izhikevich"
                else ("v",)
                if "delta" in label
                else ("v", "isyn_exc", "isyn_inh")
            )
            feats.update(F.record(label, v) for v in variables)
        return Capabilities(
            frozenset(feats), {lab: Tolerance(1, note="the reference itself") for lab in SUPPORTED}
        )


def ReferencePlugin():
    """Register with ``make_plugin_manager(plugins=[ReferencePlugin()])``."""
    return engine_plugin(ReferenceBackend, "hub reference engine")

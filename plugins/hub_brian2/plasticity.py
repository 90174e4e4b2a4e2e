"""Learning rules as Brian2 synapse code that reproduces the hub's reference (NEST's
synapse models; docs/learning.md, docs/semantics.md).  Nothing here imports Brian2.

Event times.  The reference sees a presynaptic spike stamped s at synapse time s and a
postsynaptic spike stamped r at r + D (the whole delay is dendritic).  Brian2 processes an
event of synapse time T at the end of step T - 1 (slot ``end``, after the relay's and the
neurons' thresholds): presynaptic pathways with delay 0, postsynaptic pathways with delay
D steps.  Within one step the pathways run in NEST's order:

1. ``dopa``: dopamine arriving at this time (DopamineSTDP, all synapses of the projection);
2. ``post_fac``: potentiation by postsynaptic spikes arriving now (they count as earlier);
3. ``pre_1 .. pre_M``: the presynaptic events of this step (a source spike of multiplicity m
   is m events; pathway k acts where ``mult >= k``): depression with the postsynaptic trace
   of spikes that arrived *strictly* earlier, transmission, presynaptic trace;
4. ``post_trace``: the postsynaptic traces take the spikes arriving now.

Traces are kept per synapse as (value at the last event, time of that event) and decayed
lazily with ``exp((t_last - t)/tau)``, as NEST does.  NEST's lazy read-out (the state after
the last presynaptic spike) is kept in ``wr`` (and ``cr``), written by each presynaptic event.

Transmission: the weight leaves at the presynaptic event and must arrive D steps later while
the weight keeps changing, so each presynaptic event adds it to a per-neuron ring of delayed
inputs on the target (``pr_<buffer>_<d>``, d = 1..D_max), which the target shifts and adds
to its input buffer every step, before the buffer is applied.  Weights are magnitudes in
NEST's units (the hub weight times ``weight_scale``), as NEST's rules compute them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

import numpy as np

from hub.ir.plasticity import STDP

#: the rule labels this backend runs
LABELS = tuple(
    [
        STDP(pairing=p, weight_dependence=w).label
        for p in STDP.options["pairing"]
        for w in STDP.options["weight_dependence"]
    ]
    + ["TripletSTDP", "DopamineSTDP", "TsodyksMarkram", "VogelsSprekeler", "CustomRule"]
)

_TS = "ts = (t_in_timesteps + 1) * h_ms\n"
_POST_TRACE = _TS + "km = km * exp((tq - ts) / tau_m) + 1\ntq = ts\nhas_q = 1\n"


@dataclass
class PlasticCode:
    """Brian2 pieces of one plastic projection."""

    variables: list[str]  # per-synapse float variables
    shared: dict[str, float]  # shared constants
    initial: dict[str, object]  # per-synapse initial values (arrays or floats)
    post_fac: str
    pre: str  # one presynaptic event; ends by transmitting
    post_trace: str
    read: dict[str, str]  # hub state variable -> Brian2 variable
    dopamine: bool = False  # DopamineSTDP: see dopamine_arrival()
    scaled: tuple[str, ...] = ("weight", "c")
    extra: dict = field(default_factory=dict)
    #: the rule's name -> the Brian2 name of a variable or constant renamed (see renamed())
    names: dict[str, str] = field(default_factory=dict)

    def by_rule_name(self, values: dict) -> dict:
        """``values`` keyed by Brian2 names, keyed by the rule's names again."""
        back = {b2: name for name, b2 in self.names.items()}
        return {back.get(k, k): v for k, v in values.items()}


def renamed(code: PlasticCode, taken) -> PlasticCode:
    """``code`` with every synapse variable or shared constant whose name a connected neuron
    group uses too (``taken``) renamed ``<name>_syn``: Brian2 refuses a synaptic variable
    named as a pre- or postsynaptic one (AdEx's adaptation current ``w`` and the weight ``w``,
    Izhikevich's ``u`` and Tsodyks-Markram's ``u``)."""
    clash = sorted(n for n in (*code.variables, *code.shared) if n in taken)
    if not clash:
        return code
    names = {n: f"{n}_syn" for n in clash}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, clash)) + r")\b")

    def sub(text: str) -> str:
        return pattern.sub(lambda m: names[m.group(1)], text)

    return dataclasses.replace(
        code,
        variables=[names.get(v, v) for v in code.variables],
        shared={names.get(k, k): v for k, v in code.shared.items()},
        initial={names.get(k, k): v for k, v in code.initial.items()},
        post_fac=sub(code.post_fac),
        pre=sub(code.pre),
        post_trace=sub(code.post_trace),
        read={k: names.get(v, v) for k, v in code.read.items()},
        names=names,
    )


def _stdp(p, rule, w):
    pairing = rule.rule.option_values["pairing"]
    mu_p, mu_m = rule.rule.exponents()
    alpha = p["A_minus"] / p["A_plus"] if p["A_plus"] else 1.0
    lam = p["A_plus"]
    shared = {
        "tau_p": p["tau_plus"],
        "tau_m": p["tau_minus"],
        "lam": lam,
        "am": alpha * lam if p["A_plus"] else p["A_minus"],
        "mu_p": mu_p,
        "mu_m": mu_m,
    }
    fac = "nw = w / wmax + lam * (1 - w / wmax) ** mu_p * kx\nw = sel(nw < 1, nw * wmax, wmax)\n"
    dep = "nw = w / wmax - am * (w / wmax) ** mu_m * kmn\nw = sel(nw > 0, nw * wmax, 0.0)\n"
    if pairing == "all":
        post_fac = _TS + "kx = kp * exp((tp - ts) / tau_p)\n" + fac
        pre = _TS + "kmn = km * exp((tq - ts) / tau_m)\n" + dep
    elif pairing == "nearest_symmetric":
        post_fac = _TS + "kx = exp((tp - ts) / tau_p)\n" + fac
        pre = _TS + "kmn = has_q * exp((tq - ts) / tau_m)\n" + dep
    else:  # nearest_restricted: only the first post after a pre; depress only if one came
        post_fac = (
            _TS
            + "kx = exp((tp - ts) / tau_p)\nw0 = fcopy(w)\n"
            + fac
            + "w = sel(seen == 0, w, w0)\nseen = 1\n"
        )
        pre = (
            _TS
            + "kmn = has_q * exp((tq - ts) / tau_m)\nw0 = fcopy(w)\n"
            + dep
            + "w = sel(seen == 1, w, w0)\nseen = 0\n"
        )
    pre += "kp = kp * exp((tp - ts) / tau_p) + 1\ntp = ts\nwr = w\nwtx = w\n"
    return PlasticCode(
        ["w", "wr", "kp", "tp", "km", "tq", "has_q", "seen"],
        shared,
        {"w": w, "wr": w},
        post_fac,
        pre,
        _POST_TRACE,
        {"weight": "wr"},
    )


def _triplet(p, rule, w):
    shared = {
        "tau_p": p["tau_plus"],
        "tau_x": p["tau_plus_triplet"],
        "tau_m": p["tau_minus"],
        "tau_y": p["tau_minus_triplet"],
    }
    post_fac = _TS + (
        "kx = kp * exp((tp - ts) / tau_p)\nky = km3 * exp((tq - ts) / tau_y)\n"
        "nw = w + kx * (ap + ap3 * ky)\nw = sel(nw < wmax, nw, wmax)\n"
    )
    pre = _TS + (
        "kp3 = kp3 * exp((tp - ts) / tau_x)\nkmn = km * exp((tq - ts) / tau_m)\n"
        "nw = w - kmn * (amn + am3 * kp3)\nw = sel(nw > 0, nw, 0.0)\n"
        "kp3 = kp3 + 1\nkp = kp * exp((tp - ts) / tau_p) + 1\ntp = ts\nwr = w\n"
        "wtx = w\n"
    )
    post_trace = _POST_TRACE + "km3 = km3 * exp((tq3 - ts) / tau_y) + 1\ntq3 = ts\n"
    return PlasticCode(
        ["w", "wr", "kp", "kp3", "tp", "km", "km3", "tq", "tq3", "has_q"],
        shared,
        {"w": w, "wr": w},
        post_fac,
        pre,
        post_trace,
        {"weight": "wr"},
        extra={"weights": ("ap", "amn", "ap3", "am3")},
    )


def _vogels_sprekeler(p, rule, w):
    post_fac = _TS + (
        "kx = kp * exp((tp - ts) / tau)\nnw = w + eta * kx\nw = sel(nw < wmax, nw, wmax)\n"
    )
    pre = _TS + (
        "kmn = km * exp((tq - ts) / tau_m)\nnw = w + eta * kmn\n"
        "w = sel(nw < wmax, nw, wmax)\nnw2 = w - alpha * eta\n"
        "w = sel(nw2 > 0, nw2, 0.0)\n"
        "kp = kp * exp((tp - ts) / tau) + 1\ntp = ts\nwr = w\nwtx = w\n"
    )
    return PlasticCode(
        ["w", "wr", "kp", "tp", "km", "tq", "has_q"],
        {"tau": p["tau"], "tau_m": p["tau"], "alpha": p["alpha"]},
        {"w": w, "wr": w},
        post_fac,
        pre,
        _POST_TRACE,
        {"weight": "wr"},
        extra={"weights": ("eta",)},
    )


def _tsodyks(p, rule, w):
    on = 1.0 if p["tau_fac"] > 0 else 0.0
    pre = _TS + (
        "hh = ts - tp\nxd = exp(-hh / tau_rec)\nud = fac_on * exp(-hh / tau_fac)\n"
        "nx = 1 + (x - x * u - 1) * xd\nnu = U + u * (1 - U) * ud\n"
        "x = sel(has_p == 1, nx, x)\nu = sel(has_p == 1, nu, u)\n"
        "has_p = 1\ntp = ts\nwtx = x * u * w\n"
    )
    return PlasticCode(
        ["w", "u", "x", "tp", "has_p"],
        {
            "U": p["U"],
            "tau_rec": p["tau_rec"],
            "tau_fac": p["tau_fac"] if on else 1.0,
            "fac_on": on,
        },
        {"w": w, "u": p["U"], "x": 1.0},
        "",
        pre,
        "",
        {"weight": "w", "u": "u", "x": "x"},
    )


def _dopamine(p, rule, w):
    advance = _TS + (
        "mdt = tw - ts\n"
        "nw = w - c * (n / taus * expm1(taus * mdt) - b * tau_c * expm1(mdt / tau_c))\n"
        "w = clip(nw, wmin, wmax)\nc = c * exp(mdt / tau_c)\n"
        "n = n * exp(mdt / tau_n)\ntw = ts\n"
    )
    shared = {
        "tau_p": p["tau_plus"],
        "tau_m": p["tau_minus"],
        "tau_c": p["tau_c"],
        "tau_n": p["tau_n"],
        "b": p["b"],
        "taus": (p["tau_c"] + p["tau_n"]) / (p["tau_c"] * p["tau_n"]),
    }
    return PlasticCode(
        ["w", "wr", "c", "cr", "n", "tw", "kp", "tp", "km", "tq", "has_q"],
        shared,
        {"w": w, "wr": w},
        advance + "c = c + ap * (kp * exp((tp - ts) / tau_p))\n",
        advance
        + (
            "c = c - amn * (km * exp((tq - ts) / tau_m))\n"
            "kp = kp * exp((tp - ts) / tau_p) + 1\ntp = ts\nwr = w\ncr = c\nwtx = w\n"
        ),
        _POST_TRACE,
        {"weight": "wr", "c": "cr"},
        dopamine=True,
        extra={"weights": ("ap", "amn", "wmin")},
    )


def _custom(p, rule, w):
    """A rule written as statements (hub.equations.rules): per trace its value at the last
    event of its side (``k_<trace>``; ``tp``/``tq`` the time of that event), decayed when read;
    ``on_post`` in the pathway ``post_fac`` (the presynaptic traces as of the last presynaptic
    spike, the postsynaptic ones before this spike), ``on_pre`` in ``pre`` (the postsynaptic
    traces of the spikes that arrived strictly earlier), one operation per line."""
    from hub.equations import rules as R

    prog = R.rule_program(rule.rule)
    p = {**p, **prog.working(p)}
    rename = {"w": "w", **{x: f"k_{x}_now" for x in [*prog.pre_traces, *prog.post_traces]}}
    rename.update({k: f"par_{k}" for k in prog.param_units})
    rename[R.SINCE_PRE] = "hub_since"  # ts - tp (written below; dt_pre is Brian2's)
    rename.update({f"{v}_post": f"hubpost_{v}" for v in prog.post_state})  # plastic_code fills
    for a in [*prog.on_pre, *prog.on_post, *prog.on_teacher]:  # locals: no Brian2 clash
        if a.var != "w":
            rename[a.var] = f"hub_l_{a.var}"
    shared = {f"par_{k}": p[k] for k in prog.param_units}

    def read(traces, last):
        return "".join(
            f"k_{x}_now = k_{x} * exp(({last} - ts) / par_{tau})\n" for x, tau in traces.items()
        )

    since = "hub_since = ts - tp\n"
    post_fac = _TS + since + read(prog.pre_traces, "tp") + read(prog.post_traces, "tq")
    post_fac += R.brian2_code(prog.on_post, rename)
    pre = _TS + since + read(prog.pre_traces, "tp") + read(prog.post_traces, "tq")
    pre += R.brian2_code(prog.on_pre, rename)
    pre += "".join(
        f"k_{x} = k_{x} * exp((tp - ts) / par_{tau}) + 1\n" for x, tau in prog.pre_traces.items()
    )
    pre += "tp = ts\nwr = w\nwtx = w\n"
    post_trace = _TS + "".join(
        f"k_{y} = k_{y} * exp((tq - ts) / par_{tau}) + 1\n" for y, tau in prog.post_traces.items()
    )
    post_trace += "tq = ts\n"
    traces = [f"k_{x}" for x in [*prog.pre_traces, *prog.post_traces]]
    return PlasticCode(
        ["w", "wr", *traces, "tp", "tq"],
        shared,
        {"w": w, "wr": w},
        post_fac if prog.on_post or prog.post_traces else "",
        pre,
        post_trace if prog.post_traces else "",
        {"weight": "wr"},
        extra={"weights": tuple(f"par_{k}" for k in prog.weight_params), "program": prog},
    )


def teacher_arrival(v: dict, k: dict, prog, where: np.ndarray, ts: float) -> None:
    """Teacher spikes reach the synapses ``where`` at synapse time ``ts`` (ms): the rule's
    ``on_teacher`` statements run there, with the traces read as the pathways read them (in
    numpy, in place on the Brian2 arrays ``v``; ``k`` the shared constants by Brian2 name)."""
    from hub.equations import rules as R

    env = {name: k[f"par_{name}"] for name in prog.param_units}
    env[R.SINCE_PRE] = ts - v["tp"][where]
    for x, tau in prog.pre_traces.items():
        env[x] = v[f"k_{x}"][where] * np.exp((v["tp"][where] - ts) / k[f"par_{tau}"])
    for y, tau in prog.post_traces.items():
        env[y] = v[f"k_{y}"][where] * np.exp((v["tq"][where] - ts) / k[f"par_{tau}"])
    env["w"] = v["w"][where]
    R.apply_arrays(prog.on_teacher, env)
    v["w"][where] = env["w"]


def dopamine_arrival(v: dict, k: dict, ts: float, m: float) -> None:
    """``m`` dopamine spikes arrive at synapse time ``ts`` (ms): every synapse integrates w,
    c and n up to ts (the ``advance`` of :func:`_dopamine`, in numpy, in place on the Brian2
    arrays ``v``; ``k`` the shared constants), then n += m / tau_n.  Run by a network
    operation only in the steps dopamine arrives (a Brian2 object cannot be switched on and
    off during a run)."""
    mdt = v["tw"] - ts
    nw = v["w"] - v["c"] * (
        v["n"] / k["taus"] * np.expm1(k["taus"] * mdt)
        - k["b"] * k["tau_c"] * np.expm1(mdt / k["tau_c"])
    )
    v["w"][:] = np.clip(nw, k["wmin"], k["wmax"])
    v["c"][:] = v["c"] * np.exp(mdt / k["tau_c"])
    v["n"][:] = v["n"] * np.exp(mdt / k["tau_n"]) + m / k["tau_n"]
    v["tw"][:] = ts


_MAKERS = {
    "CustomRule": _custom,
    "STDP": _stdp,
    "TripletSTDP": _triplet,
    "VogelsSprekeler": _vogels_sprekeler,
    "TsodyksMarkram": _tsodyks,
    "DopamineSTDP": _dopamine,
}
#: weight-valued rule parameters -> Brian2 shared constant (scaled to NEST units)
_WEIGHT_PARAMS = {
    "w_max": "wmax",
    "w_min": "wmin",
    "A_plus": "ap",
    "A_minus": "amn",
    "A_plus_triplet": "ap3",
    "A_minus_triplet": "am3",
    "eta": "eta",
}


def post_reads(code: PlasticCode, table) -> PlasticCode:
    """A custom rule's reads of the postsynaptic state (``hubpost_<var>``) as Brian2
    expressions of the target group's variables: the stored variable, plus the value it is
    kept relative to (``shifted``; NEST's ``V_m = V + E_L`` for the built-in LIFs)."""
    prog = code.extra.get("program")
    if prog is None or not prog.post_state:
        return code
    from hub.errors import CapabilityError

    from .models import plus_e_l

    reads = {}
    for var in prog.post_state:
        rec = table.record.get(var)
        if rec is None:
            raise CapabilityError(
                "brian2", [f"a rule reads {var!r} of {table.label}, which has none"]
            )
        stored, transform = rec
        if stored in table.shifted:
            reads[var] = f"({stored}_post + {table.shifted[stored]}_post)"
        elif transform is plus_e_l:
            reads[var] = f"({stored}_post + E_L_post)"
        elif transform.__name__ == "_same":
            reads[var] = f"{stored}_post"
        else:
            raise CapabilityError(
                "brian2", [f"a rule reads {var!r} of {table.label}, kept in other units"]
            )
    pattern = re.compile(r"\bhubpost_(\w+)\b")

    def sub(text):
        return pattern.sub(lambda m: reads[m.group(1)], text)

    return dataclasses.replace(code, post_fac=sub(code.post_fac), pre=sub(code.pre))


def plastic_code(rule, weight: np.ndarray, scale: float, h_ms: float) -> PlasticCode:
    """The Brian2 code of ``rule`` for synapses with (hub) initial ``weight``; ``scale`` is
    the hub -> NEST weight factor (a magnitude)."""
    code = _MAKERS[rule.kind](rule.params, rule, np.abs(weight) * scale)
    for name, var in _WEIGHT_PARAMS.items():
        if name in rule.params and (name == "w_max" or var in code.extra.get("weights", ())):
            code.shared[var] = rule.params[name] * scale
    if rule.kind == "CustomRule":  # its own weight-valued parameters
        for var in code.extra["weights"]:
            code.shared[var] = rule.params[var[len("par_") :]] * scale
    code.shared["h_ms"] = h_ms
    return code

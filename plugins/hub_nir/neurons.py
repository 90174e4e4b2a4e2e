"""NIR neuron nodes as hub neuron models, and back (docs/nir.md, the node table).

Every NIR neuron node becomes a hub ``LIF`` (``LIFSubtract`` under a subtracting convention)
whose per-step update is the convention's (hub_nir.conventions) exactly:

* ``LIF``, ``IF``, ``LI``, ``I``, ``Threshold`` -> ``LIF[synapse=delta]`` (NEST
  ``iaf_psc_delta``): ``V[s] = v_rest + P22 (V[s-1] - v_rest) + sum of arriving weights``,
  with ``P22 = exp(-dt/tau_m)`` equal to the convention's decay ``a`` (``tau_m = -dt/ln a``;
  no leak: ``tau_m = 1e300`` ms, so ``P22 = 1.0`` exactly; no memory (Threshold):
  ``tau_m = 1e-300`` ms, ``P22 = 0.0``) and a weight (mV) of ``k w`` for a NIR weight w.
* ``CubaLIF``, ``CubaLI`` -> ``LIF[synapse=exp]`` (NEST ``iaf_psc_exp``): ``P11 = a_s``,
  ``P22 = a_m`` and weights ``c k_s w / P21`` (nA), so that ``P21 I`` is the convention's
  ``c I``; under "nir"/"hub" ``cm = tau_mem / r`` and the weight is the current jump
  ``w_in (1 - exp(-dt/tau_syn)) w``.
* NIR's threshold test is ``v > v_threshold``; the hub's is ``V >= v_thresh``, so
  ``v_thresh = nextafter(v_threshold, +inf)``: the same test on every float.
* No refractory period (``tau_refrac = 0``); non-spiking nodes get ``v_thresh = 1e300``.
* Reset by subtraction (conventions with ``reset="subtract"``: snnTorch's default ``Leaky``):
  the spiking nodes become ``LIFSubtract`` (same synapse, same propagators), whose spike
  subtracts ``v_thresh - v_reset``; the hub sets ``v_reset = v_thresh - d`` with ``d`` the
  threshold, or ``threshold / a`` (a: the membrane decay per step) when the convention
  subtracts in the next step (``reset_late``: ``a (v - threshold/a) = a v - threshold``).

Units: hub V in mV equals NIR's v; hub times in ms; NIR times in s (or steps: sinabs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import hub.ir as ir
from hub.errors import HubError
from hub.propagators import IAFPropagator

from .conventions import Convention

#: tau_m (ms) of a node without leak (I, IF): exp(-dt/1e300) == 1.0 in floating point
NO_LEAK_MS = 1e300
#: tau_m (ms) of a node without memory (Threshold): exp(-dt/1e-300) == 0.0
NO_MEMORY_MS = 1e-300
#: the threshold of nodes that never spike (LI, CubaLI, I)
NEVER = 1e300

SPIKING = ("LIF", "CubaLIF", "IF", "Threshold")
NEURON_TYPES = ("LIF", "CubaLIF", "IF", "LI", "CubaLI", "I", "Threshold")


@dataclass
class NeuronSpec:
    """A NIR neuron node as a hub population: ``model`` (hub LIF with per-neuron arrays),
    ``gain`` (hub weight per unit of NIR input, per neuron), ``hub_lag`` (steps from an
    arriving spike to V: 0 delta, 1 exp), ``node_lag`` (the convention's, Cuba nodes)."""

    nir_type: str
    size: int
    model: ir.NeuronModel
    gain: np.ndarray
    hub_lag: int
    node_lag: int
    spiking: bool
    info: dict = field(default_factory=dict)


def _arr(node, name, size) -> np.ndarray:
    value = getattr(node, name)
    return np.broadcast_to(np.asarray(value, float).ravel(), (size,)).astype(float)


def node_width(node) -> int:
    """Number of neurons of a NIR neuron node (the size of its parameter arrays)."""
    for name in ("v_threshold", "threshold", "tau", "tau_mem", "r"):
        if hasattr(node, name):
            return int(np.asarray(getattr(node, name)).size)
    raise HubError(f"{type(node).__name__}: cannot tell its size")


def strict_threshold(theta: np.ndarray) -> np.ndarray:
    """``v_thresh`` with ``V >= v_thresh`` exactly when ``V > theta``."""
    return np.nextafter(theta, np.inf)


def true_tau(conv: Convention, tau_s: np.ndarray) -> np.ndarray:
    """The time constants (s) an exporter meant.  Norse 1.1.0 writes ``dt / tau_inv`` =
    ``step * tau`` (10 ms at 1 ms steps is written 1e-5): under a convention with
    ``tau_times_step``, values that are all below one step (no forward-Euler time constant
    is) are divided by the step; values of a step or more are taken as written (an exporter
    without the bug)."""
    if conv.tau_times_step and conv.step_s is not None and np.all(tau_s < conv.step_s):
        return tau_s / conv.step_s
    return tau_s


def _decay(conv: Convention, tau_s: np.ndarray, dt_ms: float, where: str):
    """(a, tau_m in ms) of a leaky node: the per-step decay and the hub time constant with
    ``exp(-dt/tau_m) == a``."""
    if np.any(~(tau_s > 0)):
        raise HubError(f"{where}: time constants must be > 0 (got {tau_s.min():g})")
    if conv.step_s is None:
        tau_ms = tau_s * 1000.0
        return np.exp(-dt_ms / tau_ms), tau_ms
    if conv.tau_in_steps:
        return np.exp(-1.0 / tau_s), tau_s * dt_ms
    if not conv.euler:  # exact decay per framework step (rockpool)
        return np.exp(-conv.step_s / tau_s), tau_s / conv.step_s * dt_ms
    a = 1.0 - conv.step_s / tau_s
    if np.any(a < 0):
        raise HubError(
            f"{where}: tau = {tau_s.min():g} s is below the {conv.name} step "
            f"({conv.step_s:g} s): the forward-Euler decay 1 - dt/tau is negative"
        )
    with np.errstate(divide="ignore"):
        tau_ms = np.where(a <= 0, NO_MEMORY_MS, np.where(a >= 1, NO_LEAK_MS, -dt_ms / np.log(a)))
    return a, tau_ms


def _leak_gain(conv: Convention, r, tau_s, tau_ms, dt_ms) -> np.ndarray:
    """k of a LIF/LI: V change per unit input in one step."""
    if conv.step_s is None:
        return r * -np.expm1(-dt_ms / tau_ms)
    if conv.plain_gain:
        return r.copy()
    return r * conv.step_s / tau_s


def _integrator_gain(conv: Convention, r, dt_ms) -> np.ndarray:
    """k of an IF/I (no leak): a unit pulse of one step (``nir``) or one unit per step."""
    return r * (dt_ms / 1000.0) if conv.step_s is None else r.copy()


def subtracted(conv: Convention, theta: np.ndarray, decay: np.ndarray) -> np.ndarray | None:
    """What a spike subtracts from V (mV) under ``conv``, or None when it resets to a value:
    the threshold, or ``threshold / decay`` when the subtraction waits for the next step
    (snnTorch's ``reset_delay=True``: the next step's ``a v - threshold``)."""
    if conv.reset != "subtract":
        return None
    return theta / decay if conv.reset_late else theta.copy()


def _membrane(synapse, theta, v_reset, subtract, many=None, **params) -> ir.NeuronModel:
    """A hub LIF (``subtract`` None) or LIFSubtract with ``v_thresh = nextafter(theta)``
    (``NEVER`` for theta None) and no refractory period; ``many`` (an int: the cap): several
    spikes per step, ``LIFSubtract[spikes=many]`` with ``v_thresh = theta`` (fires on
    ``v >= theta``, k = floor((v - theta) / theta) + 1 = floor(v / theta) spikes for
    ``v_reset = 0``)."""
    if many is not None and theta is not None and subtract is not None:
        return ir.LIFSubtract(
            spikes="many",
            max_spikes=many,
            synapse=synapse,
            v_thresh=theta.copy(),
            v_reset=theta - subtract,
            i_offset=0.0,
            **params,
        )
    thresh = np.full(params["tau_m"].shape, NEVER) if theta is None else strict_threshold(theta)
    if subtract is not None:
        return ir.LIFSubtract(
            synapse=synapse, v_thresh=thresh, v_reset=thresh - subtract, i_offset=0.0, **params
        )
    return ir.LIF(
        synapse=synapse,
        v_thresh=thresh,
        v_reset=v_reset,
        tau_refrac=0.0,
        i_offset=0.0,
        **params,
    )


def _delta_model(size, tau_ms, v_leak, theta, v_reset, subtract=None, many=None):
    reset = v_leak if v_reset is None else v_reset
    tau_ms = np.broadcast_to(np.asarray(tau_ms, float), (size,))
    return _membrane("delta", theta, reset, subtract, many, tau_m=tau_ms, cm=1.0, v_rest=v_leak)


def from_node(name: str, node, conv: Convention, dt_ms: float) -> NeuronSpec:
    """The hub population for the NIR neuron node ``node`` (called ``name``)."""
    kind = type(node).__name__
    n = node_width(node)
    where = f"node {name!r} ({kind})"
    many = conv.max_spikes if conv.multi_spike else None
    zeros = np.zeros(n)
    if kind in ("LIF", "LI"):
        tau = true_tau(conv, _arr(node, "tau", n))
        a, tau_ms = _decay(conv, tau, dt_ms, where)
        r, v_leak = _arr(node, "r", n), _arr(node, "v_leak", n)
        gain = _leak_gain(conv, r, tau, tau_ms, dt_ms)
        spiking = kind == "LIF"
        theta = _arr(node, "v_threshold", n) if spiking else None
        reset = _arr(node, "v_reset", n) if spiking else None
        sub = subtracted(conv, theta, a) if spiking else None
        model = _delta_model(n, tau_ms, v_leak, theta, reset, sub, many)
        return NeuronSpec(kind, n, model, gain, 0, 0, spiking, _info(r, reset, sub))
    if kind in ("IF", "I"):
        r = _arr(node, "r", n)
        gain = _integrator_gain(conv, r, dt_ms)
        spiking = kind == "IF"
        theta = _arr(node, "v_threshold", n) if spiking else None
        reset = _arr(node, "v_reset", n) if spiking else None
        sub = subtracted(conv, theta, np.ones(n)) if spiking else None
        model = _delta_model(n, np.full(n, NO_LEAK_MS), zeros, theta, reset, sub, many)
        return NeuronSpec(kind, n, model, gain, 0, 0, spiking, _info(r, reset, sub))
    if kind == "Threshold":
        theta = _arr(node, "threshold", n)
        model = _delta_model(n, np.full(n, NO_MEMORY_MS), zeros, theta, theta - 1.0)
        return NeuronSpec(kind, n, model, np.ones(n), 0, 0, True, {})
    if kind in ("CubaLIF", "CubaLI"):
        return _cuba(name, node, conv, dt_ms, n, where)
    raise HubError(f"{where} is not a neuron node")


def _cuba(name, node, conv: Convention, dt_ms, n, where) -> NeuronSpec:
    kind = type(node).__name__
    tau_m_s = true_tau(conv, _arr(node, "tau_mem", n))
    tau_s_s = true_tau(conv, _arr(node, "tau_syn", n))
    r, v_leak, w_in = _arr(node, "r", n), _arr(node, "v_leak", n), _arr(node, "w_in", n)
    a_m, tau_m = _decay(conv, tau_m_s, dt_ms, where + ".tau_mem")
    a_s, tau_s = _decay(conv, tau_s_s, dt_ms, where + ".tau_syn")
    if np.any(a_s <= 0) or np.any(a_m <= 0) or np.any(a_s >= 1):
        raise HubError(
            f"{where}: tau_syn and tau_mem must be longer than one {conv.name} step and "
            "tau_syn finite for a current-based hub neuron"
        )
    if conv.step_s is None:
        if np.any(~(r > 0)):
            raise HubError(f"{where}: r must be > 0 (it sets the hub's cm = tau_mem / r)")
        cm = tau_m / r
        gain = w_in * -np.expm1(-dt_ms / tau_s)
    else:
        cm = np.ones(n)
        c = r if conv.plain_gain else r * conv.step_s / tau_m_s
        k_s = w_in if (conv.cuba_direct or conv.plain_gain) else w_in * conv.step_s / tau_s_s
        if conv.cuba_decayed_input:  # Rockpool: i += x, i *= a_s, v += i
            c, k_s = r * conv.step_s / (tau_m_s * a_m), w_in * a_s
        p21 = np.array(
            [IAFPropagator(ts, tm, 1.0).p32(dt_ms) for ts, tm in zip(tau_s, tau_m)], float
        )
        gain = c * k_s / p21
    spiking = kind == "CubaLIF"
    theta = _arr(node, "v_threshold", n) if spiking else None
    reset = _arr(node, "v_reset", n) if spiking else v_leak
    sub = subtracted(conv, theta, a_m) if spiking else None
    model = _membrane(
        "exp",
        theta,
        reset,
        sub,
        conv.max_spikes if conv.multi_spike else None,
        tau_m=tau_m,
        tau_syn_E=tau_s,
        tau_syn_I=tau_s,
        cm=cm,
        v_rest=v_leak,
    )
    info = {**_info(r, reset, sub), "w_in": w_in}
    return NeuronSpec(kind, n, model, gain, 1, conv.cuba_lag, spiking, info)


def _info(r, reset, subtract) -> dict:
    """What the exporter needs beyond the hub model: ``r``, and for a subtracting node the
    file's own ``v_reset`` (the hub's ``v_reset`` is ``v_thresh`` minus the subtraction)."""
    return {"r": r} if subtract is None else {"r": r, "v_reset": reset}


# --- back: hub populations as NIR nodes ("hub" convention) ---------------------------------
def to_node(nir, kind: str, params: dict, dt_ms: float, info: dict | None = None):
    """(NIR node, gain per neuron) for a resolved hub ``LIF`` population with parameter
    arrays ``params``; ``kind`` is the NIR type to write (from the import's record, or
    "LIF"/"CubaLIF" for ``synapse`` delta/exp).  NIR weights are hub weights / gain."""
    info = info or {}
    v_rest = params["v_rest"] + params["i_offset"] * params["tau_m"] / params["cm"]
    theta = np.nextafter(params["v_thresh"], -np.inf)
    tau_s = params["tau_m"] / 1000.0
    leak = -np.expm1(-dt_ms / params["tau_m"])
    if kind in ("LIF", "LI"):
        r = np.asarray(info.get("r", 1.0 / leak), float) * np.ones_like(leak)
        gain = r * leak
        if kind == "LI":
            return nir.LI(tau=tau_s, r=r, v_leak=v_rest), gain
        return nir.LIF(
            tau=tau_s, r=r, v_leak=v_rest, v_threshold=theta, v_reset=params["v_reset"]
        ), gain
    if kind in ("IF", "I"):
        r = np.asarray(info.get("r", 1000.0 / dt_ms), float) * np.ones_like(leak)
        gain = r * dt_ms / 1000.0
        if kind == "I":
            return nir.I(r=r), gain
        return nir.IF(r=r, v_threshold=theta, v_reset=params["v_reset"]), gain
    if kind == "Threshold":
        return nir.Threshold(threshold=theta), np.ones_like(theta)
    if kind in ("CubaLIF", "CubaLI"):
        tau_syn = params["tau_syn_E"]
        jump = -np.expm1(-dt_ms / tau_syn)
        r = params["tau_m"] / params["cm"]
        w_in = np.asarray(info.get("w_in", 1.0 / jump), float) * np.ones_like(jump)
        gain = w_in * jump
        common = dict(tau_syn=tau_syn / 1000.0, tau_mem=tau_s, r=r, v_leak=v_rest, w_in=w_in)
        if kind == "CubaLI":
            return nir.CubaLI(**common), gain
        return nir.CubaLIF(**common, v_threshold=theta, v_reset=params["v_reset"]), gain
    raise HubError(f"cannot write a hub population as NIR {kind}")


def never_spikes(params: dict) -> bool:
    return bool(np.all(params["v_thresh"] >= NEVER))


def is_memoryless(params: dict) -> bool:
    return bool(np.all(params["tau_m"] <= NO_MEMORY_MS))


def is_leakless(params: dict) -> bool:
    return bool(np.all(params["tau_m"] >= NO_LEAK_MS))


__all__ = ["NeuronSpec", "from_node", "to_node", "strict_threshold", "NEURON_TYPES"]

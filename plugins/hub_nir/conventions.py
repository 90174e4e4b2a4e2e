"""How each source of NIR graphs means its time constants (docs/nir.md, "Conventions").

NIR writes continuous-time equations (time constants in seconds); every framework that
exports NIR trained a *discrete* network and chose ``tau``, ``r`` and ``w_in`` so that its
own update rule comes back out.  A :class:`Convention` is that rule, per step of the
framework's ``step_s`` seconds, for a node with time constant ``tau`` (s):

    decay      a = 1 - step/tau (``euler``)   or   exp(-step/tau)
    LIF, LI    v[t] = a v[t-1] + (1 - a) v_leak + k x[t],     k = r step/tau (euler)
    IF, I      v[t] = v[t-1] + k x[t],                       k = r
    Cuba*      I[t] = a_s I[t-1] + k_s x[t],   v[t] = a_m v[t-1] + (1 - a_m) v_leak + c I[t - lag]
               k_s = w_in step/tau_syn (or w_in: ``cuba_direct``), c = r step/tau_mem

``x[t]`` is the node's input in step t (a spike is 1 for one step).  Spiking nodes fire on
``v > threshold`` and then reset to ``v_reset`` (``reset="value"``) or subtract the threshold
(``reset="subtract"``: ``v <- v - threshold``; with ``reset_late``, snnTorch's default
``reset_delay=True``, the subtraction enters the next step's sum instead,
``v[t+1] = a v[t] + k x[t+1] - threshold``).  The hub reproduces that rule exactly
(hub_nir.neurons).  A rule with several spikes per step (``multi_spike``: Rockpool's
LIFTorch, Sinabs' MultiSpike) fires on ``v >= threshold``, emits ``k = floor(v / threshold)``
spikes (at most ``max_spikes``) and subtracts ``k threshold``: the hub's
``LIFSubtract[spikes=many]`` with ``v_thresh = threshold``.  ``convention=None`` ("nir")
is NIR read as written: the hub's exact integration of the ODEs at the hub's dt, a spike
being a unit pulse one step long.  ``"hub"`` is the same reading without pipeline alignment
(graphs written by :func:`hub_nir.to_nir`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hub.errors import HubError


@dataclass(frozen=True)
class Convention:
    """One exporter's discrete reading of NIR (module docstring)."""

    name: str
    #: the framework's step in seconds; None: the hub's dt
    step_s: float | None
    #: decay per step 1 - step/tau (forward Euler) instead of exp(-step/tau)
    euler: bool
    #: time constants are counted in steps, not seconds (sinabs)
    tau_in_steps: bool = False
    #: Cuba nodes: the input of step t reaches v in step t + lag
    cuba_lag: int = 0
    #: Cuba nodes: a spike adds w_in w to I (instead of w_in w step/tau_syn)
    cuba_direct: bool = False
    #: input reaches a LIF/LI as r x (no step/tau factor)
    plain_gain: bool = False
    #: every layer of a step is computed in that step: the hub aligns the pipeline
    align: bool = True
    #: how spiking nodes reset: "value" (v <- v_reset) or "subtract" (v <- v - threshold)
    reset: str = "value"
    #: "subtract" only: the threshold is subtracted in the step after the spike (snnTorch's
    #: reset_delay=True), after the decay: v[t+1] = a v[t] + k x[t+1] - threshold
    reset_late: bool = False
    #: spiking nodes emit floor(v / threshold) spikes in a step where v >= threshold (not
    #: v > threshold), at most ``max_spikes``, and subtract that many thresholds
    multi_spike: bool = False
    #: the cap of ``multi_spike`` (Rockpool's LIFTorch default max_spikes_per_dt = 2**16)
    max_spikes: int = 2**16
    #: Cuba nodes (Rockpool's LIFTorch): ``i += x; v *= a_m; i *= a_s; v += i``, so
    #: k_s = w_in a_s and c = 1, which Rockpool writes as r = tau_mem a_m / step:
    #: c = r step / (tau_mem a_m)
    cuba_decayed_input: bool = False
    #: the exporter writes ``step * tau`` instead of ``tau`` (Norse 1.1.0: ``dt / tau_inv``);
    #: a node whose time constants are all below one step is read as ``written / step``
    tau_times_step: bool = False
    #: the hub dt (ms) used when from_nir is given none
    default_dt_ms: float = 0.1
    description: str = ""


CONVENTIONS: dict[str, Convention] = {
    "nir": Convention(
        "nir",
        None,
        euler=False,
        cuba_lag=1,
        description="NIR as written: exact integration at the hub's dt; a spike is a unit "
        "pulse one step long",
    ),
    "hub": Convention(
        "hub",
        None,
        euler=False,
        cuba_lag=1,
        align=False,
        description="graphs written by snn-hub (hub_nir.to_nir): the 'nir' reading, one step "
        "of latency per edge plus Delay nodes",
    ),
    "snntorch": Convention(
        "snntorch",
        1e-4,
        euler=True,
        description="snnTorch export_to_nir: dt = 1e-4 s, tau = dt/(1-beta), r = tau/dt, "
        "w_in = tau_syn/dt; Synaptic feeds the new current to v in the same step",
    ),
    "snntorch-subtract": Convention(
        "snntorch-subtract",
        1e-4,
        euler=True,
        reset="subtract",
        reset_late=True,
        description="snnTorch with its default reset: Leaky/Synaptic(reset_mechanism="
        "'subtract', reset_delay=True), which export_to_nir does not record (it writes "
        "v_reset = 0): U[t] = beta U[t-1] + I[t] - S[t-1] thr; otherwise as 'snntorch'. "
        "(reset_delay=False is not this rule: snnTorch then subtracts the threshold again "
        "before the spike test while the stored membrane stays above it)",
    ),
    "lava": Convention(
        "lava",
        1e-4,
        euler=True,
        description="Lava / lava-dl: dt = 1e-4 s, du = dt/tau_syn, dv = dt/tau_mem "
        "(Loihi's CUBA neuron: v uses the new u in the same step)",
    ),
    "norse": Convention(
        "norse",
        1e-3,
        euler=True,
        cuba_lag=0,
        cuba_direct=True,
        tau_times_step=True,
        default_dt_ms=1.0,
        description="Norse 1.1.0 to_nir: dt = 1e-3 s, tau written as dt/tau_inv = dt * tau "
        "(undone), r = 1, w_in = 1; LIFCell adds a spike's weight to i, then integrates v "
        "with that new current in the same step",
    ),
    "rockpool": Convention(
        "rockpool",
        1e-3,
        euler=False,
        reset="subtract",
        multi_spike=True,
        cuba_decayed_input=True,
        default_dt_ms=1.0,
        description="Rockpool 3.1.0 to_nir: dt not written (1e-3 s by default), exact "
        "decays exp(-dt/tau), r = tau exp(-dt/tau_mem)/dt; LIFTorch emits floor(v / "
        "threshold) spikes where v >= threshold (at most max_spikes_per_dt = 2**16) and "
        "subtracts them: LIFSubtract[spikes=many]",
    ),
    "sinabs": Convention(
        "sinabs",
        1.0,
        euler=False,
        tau_in_steps=True,
        plain_gain=True,
        reset="subtract",
        multi_spike=True,
        default_dt_ms=1.0,
        description="sinabs: tau_mem counted in steps, decay exp(-1/tau), input added as is; "
        "IAF/LIF (MultiSpike, MembraneSubtract) emit floor(v / threshold) spikes where v >= "
        "threshold and subtract them: LIFSubtract[spikes=many] (capped at 2**16; Sinabs "
        "has no cap)",
    ),
}


def get(name: str | None) -> Convention:
    """The convention called ``name`` (None: "nir")."""
    key = "nir" if name is None else str(name).lower()
    if key not in CONVENTIONS:
        raise HubError(
            f"convention={name!r} is unknown; use one of None, "
            + ", ".join(repr(k) for k in CONVENTIONS if k != "nir")
        )
    return CONVENTIONS[key]


def _all_nodes(graph) -> tuple[list[str], list]:
    """Names and nodes of a graph and of the graphs nested in it."""
    names, nodes = [], []
    for key, node in graph.nodes.items():
        if hasattr(node, "nodes") and hasattr(node, "edges"):  # a nested NIRGraph
            inner_names, inner_nodes = _all_nodes(node)
            names += inner_names
            nodes += inner_nodes
        else:
            names.append(str(key))
            nodes.append(node)
    return names, nodes


def fingerprint(graph) -> tuple[str, str] | None:
    """(convention, reason) when a graph without metadata carries its exporter's signature,
    else None.  None of snnTorch 1.0.0, Norse 1.1.0 and Rockpool 3.1.0 writes metadata
    (tests/data/nir/), but each leaves a mark:

    * Rockpool: node names ``<index>_<Module>Torch`` (``1_LIFTorch``);
    * snnTorch (and Lava, same rule): every LIF/LI has ``r dt / tau == 1`` and every
      CubaLIF/CubaLI ``r dt / tau_mem == w_in dt / tau_syn == 1`` at ``dt = 1e-4`` s (float32
      rounding allowed), the unit gain of forward Euler at snnTorch's fixed step;
    * Norse 1.1.0: every time constant below 1 ms (its ``dt * tau``) and ``r == 1``.
    """
    import re

    names, nodes = _all_nodes(graph)
    if any(re.fullmatch(r"\d+_\w+Torch", k) for k in names):
        return "rockpool", "node names like '1_LIFTorch' (Rockpool's to_nir)"
    neurons = [n for n in nodes if type(n).__name__ in ("LIF", "LI", "CubaLIF", "CubaLI")]
    if not neurons:
        return None

    def unit(x) -> bool:
        return bool(np.allclose(np.asarray(x, float), 1.0, rtol=0, atol=1e-5))

    def taus(n) -> list:
        return [
            np.asarray(getattr(n, k), float) for k in ("tau", "tau_mem", "tau_syn") if hasattr(n, k)
        ]

    def euler_unit(n) -> bool:
        if hasattr(n, "tau"):
            return unit(np.asarray(n.r, float) * 1e-4 / np.asarray(n.tau, float))
        return unit(np.asarray(n.r, float) * 1e-4 / np.asarray(n.tau_mem, float)) and unit(
            np.asarray(n.w_in, float) * 1e-4 / np.asarray(n.tau_syn, float)
        )

    if all(euler_unit(n) for n in neurons):
        return "snntorch", "every neuron has r dt / tau = 1 at dt = 1e-4 s (snnTorch's export)"
    if all(unit(n.r) and all(np.all(t < 1e-3) for t in taus(n)) for n in neurons):
        return "norse", "every time constant is below 1 ms and r = 1 (Norse's dt * tau)"
    return None


def detect(metadata) -> str | None:
    """The convention a graph's metadata names (``{"source": "snntorch"}``, snn-hub's
    ``{"exporter": "snn-hub"}``, ...), or None.  ``{"reset_mechanism": "subtract"}`` (or
    ``"reset": "subtract"``) beside a framework with a subtracting variant picks that variant
    (``snntorch-subtract``; not with ``"reset_delay": False``, another rule).  NIR asks
    backends not to rely on metadata: it only picks a default that ``convention=`` overrides."""
    if not isinstance(metadata, dict):
        return None
    text = {k: v.decode() if isinstance(v, bytes) else v for k, v in metadata.items()}
    for key in ("source", "framework", "library", "origin", "exporter"):
        value = text.get(key)
        if not isinstance(value, str):
            continue
        low = value.strip().lower()
        if low in ("snn-hub", "snn_hub"):
            return "hub"
        names = sorted(CONVENTIONS, key=len, reverse=True)  # the longest name that fits
        for name in names:
            if low == name or low.startswith(name + " ") or low.startswith(name + "-"):
                return _with_reset(name, text)
    return None


def _with_reset(name: str, metadata: dict) -> str:
    """``name``, or its subtracting variant when the metadata says the neurons subtract."""
    reset = str(metadata.get("reset_mechanism", metadata.get("reset", ""))).strip().lower()
    if reset != "subtract" or CONVENTIONS[name].reset == "subtract":
        return name
    if metadata.get("reset_delay", True) not in (True, 1, "true", "True"):
        return name
    variant = f"{name}-subtract"
    return variant if variant in CONVENTIONS else name

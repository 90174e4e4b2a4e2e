"""``to_nir``: a hub network as a NIR graph (docs/nir.md, "Export").

What NIR can express: spike sources (SpikeTimes, PoissonSource: an ``Input`` node each;
their spikes are data, not part of the graph), ``LIF[synapse=delta]`` (NIR ``LIF``, or the
type the network was imported from: LI, IF, I, Threshold) and ``LIF[synapse=exp]`` with
``tau_syn_E == tau_syn_I`` (``CubaLIF``/``CubaLI``), without refractory period, starting at
rest, and static projections (one ``Linear`` per (pre, post, delay) - both receptors summed
- followed by a ``Delay`` node for delays above the convention's latency).  ``LIFSubtract``
only in a network imported under a subtracting convention ("snntorch-subtract"): written
back in it, with the file's ``v_reset`` and metadata ``reset_mechanism="subtract"``.
``i_offset`` is folded into ``v_leak`` (``v_rest + i_offset tau_m / cm``: the same
dynamics).  Everything else is listed in one :class:`NIRExportError`.

The parameters are the importer's inverse (hub_nir.neurons): the NIR node is built first,
then every weight is the hub weight divided by the gain the importer would give that node,
so ``from_nir(to_nir(net))`` resolves to ``net``'s arrays.  A network that came from
``from_nir`` (``net.metadata["nir"]``) is written back in its original convention, node
types, ``r`` and ``w_in``; any other in the "hub" convention at the network's dt, or, with
``convention="snntorch"``, as snnTorch's ``import_from_nir`` reads back exactly
(:func:`_snntorch_plan`).
"""

from __future__ import annotations

import numpy as np

import hub.ir as ir
from hub.errors import HubError
from hub.propagators import refractory_steps
from hub.resolve import resolve

from . import conventions
from .graph import BIAS
from .neurons import NO_LEAK_MS, NO_MEMORY_MS, from_node, never_spikes


class NIRExportError(HubError):
    """The network uses things NIR cannot express; ``problems`` lists every one."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(
            f"to_nir: {len(problems)} part(s) of the network have no NIR form:\n  "
            + "\n  ".join(problems)
        )


def _check(net, resolved, subtracting: bool = False) -> list[str]:
    """Every part of ``net`` NIR cannot express; ``subtracting``: the network was imported
    under a convention whose spiking nodes subtract (LIFSubtract is then written back)."""
    out = []
    for pop in net.populations:
        loc = f"population {pop.label!r}"
        if pop.is_source:
            if not isinstance(pop.model, (ir.SpikeTimes, ir.PoissonSource)):
                out.append(f"{loc}: {pop.model.kind} has no NIR form")
            continue
        m = pop.model
        if isinstance(m, ir.LIFSubtract) and not subtracting:
            out.append(
                f"{loc}: LIFSubtract (NIR resets to v_reset; only a network imported under a "
                "subtracting convention, e.g. 'snntorch-subtract', is written back, in it)"
            )
            continue
        if not isinstance(m, (ir.LIF, ir.LIFSubtract)) or m.synapse not in ("delta", "exp"):
            label = f"{m.kind}[synapse={m.synapse}]" if m.synapse else m.kind
            out.append(f"{loc}: {label} (NIR has LIF[synapse=delta] and LIF[synapse=exp] only)")
            continue
        rp = resolved.populations[pop.label]
        if "tau_refrac" in rp.params and np.any(
            refractory_steps(rp.params["tau_refrac"], resolved.dt) > 0
        ):
            out.append(f"{loc}: tau_refrac > 0 (NIR neurons have no refractory period)")
        if m.synapse == "exp" and np.any(rp.params["tau_syn_E"] != rp.params["tau_syn_I"]):
            out.append(f"{loc}: tau_syn_E != tau_syn_I (a NIR CubaLIF has one synaptic current)")
        if np.any(rp.initial["v"] != rp.params["v_rest"]):
            out.append(f"{loc}: initial v differs from v_rest (NIR has no initial state)")
        for var in ("isyn_exc", "isyn_inh"):
            if var in rp.initial and np.any(rp.initial[var] != 0):
                out.append(f"{loc}: initial {var} != 0")
    for inj in net.injections:
        out.append(
            f"injection {inj.source.kind} -> {inj.target!r}: currents are input data in NIR "
            "(drop it; feed it with run_nir(input=...))"
        )
    for proj in resolved.projections:
        if proj.rule is not None:
            out.append(f"projection {proj.label!r}: plastic synapses have no NIR form")
    return out


def _invert_tau(conv, tau_ms: np.ndarray, dt: float) -> np.ndarray:
    """NIR tau (s) whose decay, read under ``conv``, is the hub's exp(-dt/tau_m)."""
    if conv.step_s is None:
        return tau_ms / 1000.0
    if conv.tau_in_steps:
        return tau_ms / dt
    if conv.euler:
        return euler_tau(np.exp(-dt / tau_ms), conv.step_s)
    # exact decay per framework step (rockpool): exp(-step/tau) = exp(-dt/tau_m)
    return np.where(tau_ms >= NO_LEAK_MS, np.inf, conv.step_s * (tau_ms / dt))


def euler_tau(a: np.ndarray, step_s: float) -> np.ndarray:
    """The float64 ``tau`` (s) for which forward Euler's decay is ``a`` to the last bit:

        1 - step_s / tau == a        (in float64, as snnTorch's import computes beta)

    ``tau = step_s / (1 - a)`` is exact in real numbers but may miss ``a`` by one ulp after
    two roundings; ``1 - step_s / tau`` rises with tau in steps finer than an ulp of ``a``
    (for ``a`` in [0.5, 1)), so a bisection over the neighbouring doubles finds the smallest
    tau that hits ``a``.  ``a >= 1`` (no leak) gives inf, ``a <= 0`` gives ``step_s``."""
    a = np.asarray(a, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = step_s / (1.0 - a)
        lo, hi = guess * (1 - 1e-12), guess * (1 + 1e-12)
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            below = (1.0 - step_s / mid) < a
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        tau = np.where((1.0 - step_s / hi) == a, hi, guess)
    return np.where(a >= 1.0, np.inf, np.where(a <= 0.0, step_s, tau))


def _node(nir, conv, kind: str, params: dict, dt: float, info: dict):
    """The NIR node of one population (importer's parameters inverted)."""
    n = params["v_rest"].size
    v_leak = params["v_rest"] + params["i_offset"] * params["tau_m"] / params["cm"]
    # NIR's v > threshold is the hub's V >= nextafter(threshold); a several-spike convention
    # fires on v >= threshold, and the hub's v_thresh is the threshold itself
    theta = (
        params["v_thresh"].copy() if conv.multi_spike else np.nextafter(params["v_thresh"], -np.inf)
    )

    def given(name, default):
        v = info.get(name)
        return np.broadcast_to(np.asarray(default if v is None else v, float), (n,)).copy()

    # a subtracting node's v_reset is the file's own (the hub's is v_thresh - subtraction)
    reset = given("v_reset", params["v_reset"])

    if kind == "Threshold":
        return nir.Threshold(threshold=theta)
    if kind in ("IF", "I"):
        r = given("r", 1.0 / (dt / 1000.0) if conv.step_s is None else 1.0)
        return nir.IF(r=r, v_threshold=theta, v_reset=reset) if kind == "IF" else nir.I(r=r)
    tau = _invert_tau(conv, params["tau_m"], dt)
    if kind in ("LIF", "LI"):
        f = -np.expm1(-dt / params["tau_m"]) if conv.step_s is None else conv.step_s / tau
        r = given("r", 1.0 if conv.plain_gain else 1.0 / f)
        if kind == "LI":
            return nir.LI(tau=tau, r=r, v_leak=v_leak)
        return nir.LIF(tau=tau, r=r, v_leak=v_leak, v_threshold=theta, v_reset=reset)
    tau_syn = _invert_tau(conv, params["tau_syn_E"], dt)
    if conv.step_s is None:
        r = params["tau_m"] / params["cm"]
        w_in = given("w_in", 1.0 / -np.expm1(-dt / params["tau_syn_E"]))
    else:
        r = given("r", tau / conv.step_s)
        w_in = given("w_in", 1.0 if conv.cuba_direct else tau_syn / conv.step_s)
    common = dict(tau_syn=tau_syn, tau_mem=tau, r=r, v_leak=v_leak, w_in=w_in)
    if kind == "CubaLI":
        return nir.CubaLI(**common)
    return nir.CubaLIF(**common, v_threshold=theta, v_reset=reset)


def _default_kind(params: dict, synapse: str) -> str:
    if synapse == "exp":
        return "CubaLI" if never_spikes(params) else "CubaLIF"
    if np.all(params["tau_m"] <= NO_MEMORY_MS):
        return "Threshold"
    leakless = np.all(params["tau_m"] >= NO_LEAK_MS)
    if never_spikes(params):
        return "I" if leakless else "LI"
    return "IF" if leakless else "LIF"


def _snntorch_plan(net, resolved) -> tuple[list[str], dict[str, int]]:
    """(problems, phi) of the ``convention="snntorch"`` export of a hub-made network.

    snnTorch 1.0.0's ``import_from_nir`` turns a NIR ``LIF`` into ``snn.Leaky`` with a fixed
    step ``dt = 1e-4`` s (it reads no metadata)::

        beta = 1 - dt / tau,     threshold = v_threshold / (r dt / tau)   (if not ~1)
        U[t] = beta U[t-1] + (W x)[t];   S[t] = U[t] > threshold;   U[t] = 0 where S[t]

    (``reset_mechanism="zero"``, ``reset_delay=False``; it asserts ``v_leak`` ~ 0 and one
    threshold per node; ``IF`` becomes a ``Leaky`` with beta 0.9, Delay nodes are not
    read).  A hub ``LIF[synapse=delta]`` runs ``V[s] = P22 V[s-1] + (1 - P22) v_rest + J[s]``
    with ``P22 = exp(-dt_hub/tau_m)``, spikes at ``V >= v_thresh`` and sets ``V = v_reset``.
    The two are the same map when ``beta == P22``, ``r dt / tau == 1`` (W = the hub's
    weights in mV), ``v_rest + i_offset tau_m / cm == 0`` and ``v_reset == 0``; the hub's
    step is then one snnTorch step whatever its dt.  snnTorch computes every layer within
    its step: a population at depth ``phi`` (inputs: 1, the input of step t being a hub
    spike stamped t + 1) must receive every projection one step after its source's depth,
    so the hub's stamp ``t + phi(p)`` is snnTorch's step t of ``p``.  Everything else is a
    problem naming its population or projection."""
    problems: list[str] = []
    phi: dict[str, int] = {}
    incoming: dict[str, list] = {}
    for proj in resolved.projections:
        incoming.setdefault(proj.post, []).append(proj)
    for pop in net.populations:
        loc = f"population {pop.label!r}"
        if pop.is_source:
            phi[pop.label] = 1
            continue
        m = pop.model
        if not isinstance(m, ir.LIF) or m.synapse != "delta":
            label = f"{m.kind}[synapse={m.synapse}]" if m.synapse else m.kind
            problems.append(
                f"{loc}: {label} (the snntorch export writes LIF[synapse=delta] as snn.Leaky only)"
            )
            continue
        p = resolved.populations[pop.label].params
        leak = p["v_rest"] + p["i_offset"] * p["tau_m"] / p["cm"]
        if np.any(leak != 0):
            problems.append(
                f"{loc}: v_rest + i_offset tau_m/cm != 0 (snnTorch's Leaky has no leak)"
            )
        if np.any(p["v_reset"] != 0):
            problems.append(f"{loc}: v_reset != 0 (snnTorch's import resets to zero)")
        if np.unique(p["v_thresh"]).size != 1 or not np.all(p["v_thresh"] > 0):
            problems.append(f"{loc}: v_thresh must be one positive value per population")
        if np.any(p["tau_m"] >= NO_LEAK_MS):
            problems.append(f"{loc}: no leak (snnTorch's import reads IF as beta = 0.9)")
    pending = {p.label for p in net.populations if not p.is_source}
    while pending:  # depth in a feed-forward graph; recurrence has no exact form here
        ready = [q for q in sorted(pending) if all(pr.pre in phi for pr in incoming.get(q, []))]
        if not ready:
            problems.append(
                "populations " + ", ".join(repr(q) for q in sorted(pending)) + ": a recurrent "
                "loop (the snntorch export writes feed-forward graphs only)"
            )
            break
        for q in ready:
            depths = {phi[pr.pre] + 1 for pr in incoming.get(q, [])}
            for pr in incoming.get(q, []):
                if np.any(pr.delay_steps != 1):
                    problems.append(
                        f"projection {pr.label!r}: delay != one step (snnTorch passes a spike "
                        "through every layer within its step and reads no Delay nodes)"
                    )
            if len(depths) > 1:
                problems.append(
                    f"population {q!r}: inputs from different depths {sorted(depths)} (a skip "
                    "connection would need a Delay node, which snnTorch does not read)"
                )
            phi[q] = max(depths, default=1)
            pending.discard(q)
    return list(dict.fromkeys(problems)), phi


def to_nir(network, dt: float | None = None, convention: str | None = None):
    """The NIR graph of ``network`` (a :class:`hub.Network`); module docstring.

    ``convention=None`` writes a network imported from NIR in its original convention and
    any other in the "hub" one.  ``convention="snntorch"`` writes a hub-made network so that
    snnTorch 1.0.0's ``import_from_nir`` reads back the hub's dynamics exactly
    (:func:`_snntorch_plan`): per LIF population ``a = exp(-dt/tau_m)``,

        tau = euler_tau(a, 1e-4)   (1 - 1e-4/tau == a in float64),   r = tau / 1e-4,
        v_leak = 0,   v_threshold = nextafter(v_thresh, -inf),   v_reset = 0,

    weights as the hub's (mV), no Delay nodes, metadata ``{"source": "snntorch"}``; a
    network outside that rule is a :class:`NIRExportError` listing every offending
    population and projection."""
    import nir

    if not isinstance(network, ir.Network):
        raise HubError(f"to_nir: {type(network).__name__} is not a hub.Network")
    if convention not in (None, "snntorch"):
        raise HubError(f"to_nir: convention={convention!r}; use None or 'snntorch'")
    dt = float(network.dt if dt is None else dt)
    resolved = resolve(network, dt)
    record = network.metadata.get("nir") if isinstance(network.metadata, dict) else None
    record = record if isinstance(record, dict) else {}
    subtracting = convention is None and (
        conventions.get(record.get("convention", "hub")).reset == "subtract"
    )
    problems = _check(network, resolved, subtracting)
    imported = bool(record)
    infos: dict = record.get("nodes", {})
    phi: dict = record.get("phi", {})
    back = {tuple(e) for e in record.get("back", [])}
    if convention == "snntorch":
        more, phi = _snntorch_plan(network, resolved)
        problems += more
        record, imported, back = {"convention": "snntorch"}, False, set()
        infos = {pop.label: {"type": "LIF"} for pop in network.populations}
    if problems:
        raise NIRExportError(problems)
    conv = conventions.get(record.get("convention", "hub"))
    nodes: dict = {}
    gains: dict[str, np.ndarray] = {}
    lags: dict[str, tuple[int, int]] = {}
    for pop in network.populations:
        if pop.label == BIAS and imported:
            continue
        if pop.is_source:
            nodes[pop.label] = nir.Input(input_type={"input": np.array([pop.size])})
            continue
        params = resolved.populations[pop.label].params
        info = infos.get(pop.label, {})
        kind = info.get("type") or _default_kind(params, pop.model.synapse)
        node = _node(nir, conv, kind, params, dt, info)
        spec = from_node(pop.label, node, conv, dt)
        nodes[pop.label], gains[pop.label] = node, spec.gain
        if convention == "snntorch":  # snnTorch adds W x unscaled (it reads r dt/tau ~ 1 as 1)
            gains[pop.label] = np.ones(pop.size)
        lags[pop.label] = (spec.node_lag, spec.hub_lag)
    edges: list[tuple[str, str]] = []
    groups: dict[tuple[str, str, int], np.ndarray] = {}
    biases: dict[str, np.ndarray] = {}
    for proj in resolved.projections:
        post_n = resolved.size_of(proj.post)
        w = proj.weight / gains[proj.post][proj.post_idx]
        if proj.pre == BIAS and imported:
            b = biases.setdefault(proj.post, np.zeros(post_n))
            np.add.at(b, proj.post_idx, w)
            continue
        if conv.align:
            g, h = lags[proj.post]
            base = phi.get(proj.post, 1) - phi.get(proj.pre, 1) + g - h
            base += 1 if (proj.pre, proj.post) in back else 0
            extra = np.maximum(proj.delay_steps - base, 0)
        else:
            extra = proj.delay_steps - 1
        for e in np.unique(extra):
            sel = extra == e
            mat = groups.setdefault(
                (proj.pre, proj.post, int(e)), np.zeros((post_n, resolved.size_of(proj.pre)))
            )
            np.add.at(mat, (proj.post_idx[sel], proj.pre_idx[sel]), w[sel])
    step_s = conv.step_s if conv.step_s is not None else dt / 1000.0
    for (pre, post, e), mat in groups.items():
        name = f"{pre}->{post}" + (f"@{e}" if e else "")
        b = biases.pop(post, None) if e == 0 else None
        nodes[name] = nir.Linear(weight=mat) if b is None else nir.Affine(weight=mat, bias=b)
        edges.append((pre, name))
        if e:
            nodes[name + ".delay"] = nir.Delay(delay=np.full(mat.shape[0], e * step_s))
            edges.append((name, name + ".delay"))
            name += ".delay"
        edges.append((name, post))
    for post, b in biases.items():
        raise NIRExportError([f"population {post!r}: a bias but no undelayed input to carry it"])
    outputs = list(record.get("outputs", {}).items()) or [
        (f"{p.population}.out", [p.population])
        for p in network.probes
        if p.population in gains and p.variable in ("spikes", "v")
    ]
    for out, srcs in outputs:
        for src in srcs:
            if src in nodes and out not in nodes:
                size = nodes[src].output_type["output"]
                nodes[out] = nir.Output(output_type={"output": np.asarray(size)})
            if src in nodes:
                edges.append((src, out))
    edges = list(dict.fromkeys(edges))
    meta = {"exporter": "snn-hub", "dt": dt / 1000.0}
    if conv.name != "hub":
        source = conv.name.removesuffix("-subtract")
        meta = {"source": source, "dt": dt / 1000.0, "exporter": f"snn-hub ({conv.name})"}
        if conv.reset == "subtract" and source != conv.name:  # the variant, as metadata
            meta.update(reset_mechanism="subtract", reset_delay=conv.reset_late)
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta, type_check=False)


__all__ = ["to_nir", "NIRExportError"]

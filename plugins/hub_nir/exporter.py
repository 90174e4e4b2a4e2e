"""``to_nir``: a hub network as a NIR graph (docs/nir.md, "Export").

What NIR can express: spike sources (SpikeTimes, PoissonSource: an ``Input`` node each;
their spikes are data, not part of the graph), ``LIF[synapse=delta]`` (NIR ``LIF``, or the
type the network was imported from: LI, IF, I, Threshold) and ``LIF[synapse=exp]`` with
``tau_syn_E == tau_syn_I`` (``CubaLIF``/``CubaLI``), without refractory period, starting at
rest, and static projections (one ``Linear`` per (pre, post, delay) - both receptors summed
- followed by a ``Delay`` node for delays above the convention's latency).  ``i_offset`` is
folded into ``v_leak`` (``v_rest + i_offset tau_m / cm``: the same dynamics).  Everything
else is listed in one :class:`NIRExportError`.

The parameters are the importer's inverse (hub_nir.neurons): the NIR node is built first,
then every weight is the hub weight divided by the gain the importer would give that node,
so ``from_nir(to_nir(net))`` resolves to ``net``'s arrays.  A network that came from
``from_nir`` (``net.metadata["nir"]``) is written back in its original convention, node
types, ``r`` and ``w_in``; any other in the "hub" convention at the network's dt.
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


def _check(net, resolved) -> list[str]:
    out = []
    for pop in net.populations:
        loc = f"population {pop.label!r}"
        if pop.is_source:
            if not isinstance(pop.model, (ir.SpikeTimes, ir.PoissonSource)):
                out.append(f"{loc}: {pop.model.kind} has no NIR form")
            continue
        m = pop.model
        if not isinstance(m, ir.LIF) or m.synapse not in ("delta", "exp"):
            label = f"{m.kind}[synapse={m.synapse}]" if m.synapse else m.kind
            out.append(f"{loc}: {label} (NIR has LIF[synapse=delta] and LIF[synapse=exp] only)")
            continue
        rp = resolved.populations[pop.label]
        if np.any(refractory_steps(rp.params["tau_refrac"], resolved.dt) > 0):
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
    a = np.exp(-dt / tau_ms)
    with np.errstate(divide="ignore"):
        return np.where(tau_ms >= NO_LEAK_MS, np.inf, conv.step_s / (1.0 - a))


def _node(nir, conv, kind: str, params: dict, dt: float, info: dict):
    """The NIR node of one population (importer's parameters inverted)."""
    n = params["v_rest"].size
    v_leak = params["v_rest"] + params["i_offset"] * params["tau_m"] / params["cm"]
    theta = np.nextafter(params["v_thresh"], -np.inf)
    reset = params["v_reset"]

    def given(name, default):
        v = info.get(name)
        return np.broadcast_to(np.asarray(default if v is None else v, float), (n,)).copy()

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


def to_nir(network, dt: float | None = None):
    """The NIR graph of ``network`` (a :class:`hub.Network`); module docstring."""
    import nir

    if not isinstance(network, ir.Network):
        raise HubError(f"to_nir: {type(network).__name__} is not a hub.Network")
    dt = float(network.dt if dt is None else dt)
    resolved = resolve(network, dt)
    problems = _check(network, resolved)
    if problems:
        raise NIRExportError(problems)
    record = network.metadata.get("nir") if isinstance(network.metadata, dict) else None
    record = record if isinstance(record, dict) else {}
    conv = conventions.get(record.get("convention", "hub"))
    infos = record.get("nodes", {})
    phi = record.get("phi", {})
    back = {tuple(e) for e in record.get("back", [])}
    nodes: dict = {}
    gains: dict[str, np.ndarray] = {}
    lags: dict[str, tuple[int, int]] = {}
    for pop in network.populations:
        if pop.label == BIAS and record:
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
        lags[pop.label] = (spec.node_lag, spec.hub_lag)
    edges: list[tuple[str, str]] = []
    groups: dict[tuple[str, str, int], np.ndarray] = {}
    biases: dict[str, np.ndarray] = {}
    for proj in resolved.projections:
        post_n = resolved.size_of(proj.post)
        w = proj.weight / gains[proj.post][proj.post_idx]
        if proj.pre == BIAS and record:
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
        meta = {"source": conv.name, "dt": dt / 1000.0, "exporter": f"snn-hub ({conv.name})"}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta, type_check=False)


__all__ = ["to_nir", "NIRExportError"]

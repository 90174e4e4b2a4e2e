"""``from_nir``: a NIR graph as a :class:`hub.Network` (docs/nir.md).

:func:`plan` reads the graph (flatten, compose linear maps, map neurons, schedule);
:func:`build` turns a :class:`Plan` into a network, with the graph inputs fed by ``input``
(spikes as ``SpikeTimes``, analog values as step-current injections) or left silent.

Timing.  Under an aligned convention (every one except "hub") node v's step t is hub stamp
``t + phi(v)`` (hub_nir.graph.schedule): the frameworks compute every layer of a step in that
step, the hub needs at least one step per synapse, so each layer runs ``phi`` steps behind
its framework twin and gets exactly its inputs.  A connection from u to v with ``e`` extra
steps (Delay nodes) gets the hub delay ``D = phi(v) - phi(u) + g_v - h_v + e`` steps (g_v:
the convention's lag of a Cuba node, h_v = 1 for an exp synapse), plus one step on a
recurrent edge (the frameworks feed a loop back with the previous step's spikes).  A
recurrent edge that would need ``D < 1`` gets ``D = 1`` and a :class:`NIRTimingWarning`.
Under "hub" every edge is ``D = 1 + e``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import hub.ir as ir
from hub.errors import HubError
from hub.propagators import delay_steps as hub_delay_steps

from . import conventions, graph as G
from .neurons import NEVER, NO_LEAK_MS, NeuronSpec, from_node
from .sparse import Sparse


class NIRTimingWarning(UserWarning):
    """A recurrent edge runs with more latency in the hub than in the source framework."""


class NIRConventionWarning(UserWarning):
    """The importer assumed what the graph does not state: its convention (no metadata names
    the exporter; read off the exporter's signature, conventions.fingerprint), or that a
    file failing NIR's type check (Rockpool's batched types) is fine to read."""


@dataclass
class Plan:
    """Everything the importer worked out about a graph (module docstring)."""

    convention: conventions.Convention
    dt: float
    specs: dict[str, NeuronSpec]
    inputs: dict[str, int]
    outputs: dict[str, int]
    maps: dict[tuple[str, str], Sparse]
    phi: dict[str, int]
    back: set
    metadata: dict = field(default_factory=dict)

    def offset(self, name: str) -> int:
        """Hub stamp of the node's step 0 (1 under the "hub" convention)."""
        return self.phi.get(name, 1) if self.convention.align else 1

    def delays(self, src: str, dst: str) -> np.ndarray:
        """Hub delay in steps of every entry of the map from ``src`` to ``dst``."""
        mat = self.maps[(src, dst)]
        if not self.convention.align:
            return 1 + mat.delays
        spec = self.specs[dst]
        d = self.phi[dst] - self.phi[src] + spec.node_lag - spec.hub_lag + mat.delays
        if (src, dst) in self.back:
            d = d + 1
            if np.any(d < 1):
                warnings.warn(
                    f"NIR edge {src!r} -> {dst!r} closes a loop through "
                    f"{self.phi[src] - self.phi[dst] + 1} hub steps; it runs with "
                    f"{int(1 - d.min())} step(s) more latency than in the {self.convention.name}"
                    " framework",
                    NIRTimingWarning,
                    stacklevel=3,
                )
                d = np.maximum(d, 1)
        return d


def read(source, nir):
    """A NIRGraph from a graph object or a ``.nir`` file (HDF5: data only)."""
    if isinstance(source, (str, Path)):
        try:
            return nir.read(str(source))
        except Exception as exc:
            first = exc
        try:  # Rockpool 3.1.0 writes batched Input/Output types: NIR's type check fails
            graph = nir.read(str(source), type_check=False)
        except Exception:
            graph = None
        if graph is None:
            raise HubError(f"cannot read NIR file {str(source)!r}: {type(first).__name__}: {first}")
        warnings.warn(
            f"{str(source)!r} fails NIR's type check ({first}); read without it (the importer "
            "checks every map's size itself)",
            NIRConventionWarning,
            stacklevel=3,
        )
        return graph
    if not isinstance(source, nir.NIRGraph):
        raise HubError(f"from_nir: {type(source).__name__} is neither a NIRGraph nor a path")
    return source


def plan(source, dt: float | None = None, convention: str | None = None) -> Plan:
    """Read ``source`` (a NIRGraph or a path) under ``convention`` (None: the one the graph's
    metadata names, else "nir") at hub time step ``dt`` (ms; default: the convention's)."""
    import nir

    graph = read(source, nir)
    meta = graph.metadata if isinstance(graph.metadata, dict) else {}
    name = convention or conventions.detect(meta)
    if name is None:
        found = conventions.fingerprint(graph)
        if found is not None:
            name = found[0]
            warnings.warn(
                f"the NIR graph's metadata names no exporter; {found[1]}: read under "
                f"convention={name!r} (pass convention= to choose; 'nir' reads NIR as written)",
                NIRConventionWarning,
                stacklevel=2,
            )
    conv = conventions.get(name)
    if dt is None:
        dt = float(meta["dt"]) * 1000.0 if conv.name == "hub" and "dt" in meta else None
    dt = float(dt if dt is not None else conv.default_dt_ms)
    if not dt > 0:
        raise HubError(f"from_nir: dt={dt!r} ms; give a positive time step")
    step_s = conv.step_s if conv.step_s is not None else dt / 1000.0

    def delay_steps(delay_s, where):
        steps = np.floor(np.asarray(delay_s, float) / step_s + 0.5).astype(np.int64)
        if np.any(steps < 0) or not np.allclose(steps * step_s, delay_s, rtol=1e-6, atol=0):
            raise HubError(
                f"node {where!r} (Delay): delays {np.unique(delay_s)[:5]} s are not whole "
                f"{conv.name} steps of {step_s:g} s"
            )
        return steps

    flat = G.flatten(graph, nir)
    maps = G.linear_maps(flat, nir, delay_steps)
    kinds = {n: G.classify(n, node, nir) for n, node in flat.nodes.items()}
    specs = {n: from_node(n, flat.nodes[n], conv, dt) for n, k in kinds.items() if k == "neuron"}
    inputs = {n: G.node_size(n, flat.nodes[n], nir) for n, k in kinds.items() if k == "input"}
    outputs = {n: G.node_size(n, flat.nodes[n], nir) for n, k in kinds.items() if k == "output"}
    for (src, dst), _ in maps.items():
        if src in specs and not specs[src].spiking and dst in specs:
            raise HubError(
                f"{specs[src].nir_type} {src!r} feeds {specs[dst].nir_type} {dst!r} with its "
                "membrane (an analog value); hub projections carry spikes, so a non-spiking "
                "node can only feed an Output (docs/nir.md, Limitations)"
            )
    neuron_edges = {k: m for k, m in maps.items() if k[1] in specs}
    producers = list(inputs) + ([G.BIAS] if any(s == G.BIAS for s, _ in maps) else [])
    producers += list(specs)
    lags = {n: (s.node_lag, s.hub_lag) for n, s in specs.items()}
    phi, back = G.schedule(producers, neuron_edges, lags)
    return Plan(conv, dt, specs, inputs, outputs, maps, phi, back, dict(meta))


def _clock(dt: float) -> ir.LIF:
    """One neuron that spikes in every step (stamps 1, 2, ...): reset to 0, then
    V = P20 i_offset = 1 mV >= 0.5 mV in the next step (P20 = tau_m/cm (1 - exp(-dt/tau_m)))."""
    tau = 10.0
    p20 = tau * -np.expm1(-dt / tau)
    return ir.LIF(
        synapse="delta", tau_m=tau, cm=1.0, v_rest=0.0, v_reset=0.0,
        v_thresh=0.5, tau_refrac=0.0, i_offset=1.0 / p20,
    )  # fmt: skip


def build(p: Plan, input=None, input_mode: str = "auto", label: str = "") -> ir.Network:
    """The hub network of plan ``p``; ``input``: None (silent inputs), an array
    ``(steps, size)`` for the only Input node, or ``{input name: array}``."""
    dt = p.dt
    net = ir.Network(dt=dt, seed=0, label=label or "nir")
    data = _input_arrays(p, input)
    if G.BIAS in [s for s, _ in p.maps]:
        net.add_population(1, _clock(dt), label=G.BIAS)
    for name, size in p.inputs.items():
        x = data.get(name)
        mode = _mode(x, input_mode, name)
        if mode == "current":
            _inject(net, p, name, x)
            continue
        net.add_source(ir.SpikeTimes(_spike_times(x, size, dt, p.offset(name))), size, name)
    for name, spec in p.specs.items():
        net.add_population(spec.size, spec.model, label=name)
    for (src, dst), mat in p.maps.items():
        if dst not in p.specs or (src in data and _mode(data[src], input_mode, src) == "current"):
            continue
        w = p.specs[dst].gain[mat.rows] * mat.vals
        d = p.delays(src, dst) * dt
        for sign, suffix, receptor in ((1, "", "excitatory"), (-1, ":inh", "inhibitory")):
            sel = np.flatnonzero(sign * w > 0)
            if sel.size:
                conn = ir.FromArrays(mat.cols[sel], mat.rows[sel], w[sel], d[sel])
                syn = ir.Static(weight=0.0, delay=dt, receptor=receptor)
                net.connect(src, dst, conn, syn, label=f"{src}->{dst}{suffix}")
    for out in p.outputs:
        for src, dst in p.maps:
            if dst == out and src in p.specs:
                var = "spikes" if p.specs[src].spiking else "v"
                if not any(pr.population == src and pr.variable == var for pr in net.probes):
                    net.record(src, var)
    net.metadata["nir"] = _record(p)
    return net


def _record(p: Plan) -> dict:
    """What the exporter and run_nir need to invert the import (JSON data)."""
    return {
        "convention": p.convention.name,
        "dt": p.dt,
        "phi": {k: int(v) for k, v in p.phi.items()} if p.convention.align else {},
        "nodes": {
            n: {"type": s.nir_type, **{k: np.asarray(v).tolist() for k, v in s.info.items()}}
            for n, s in p.specs.items()
        },
        "back": [list(e) for e in sorted(p.back)] if p.convention.align else [],
        "inputs": dict(p.inputs),
        "outputs": {o: [s for s, d in p.maps if d == o] for o in p.outputs},
    }


def _input_arrays(p: Plan, input) -> dict[str, np.ndarray]:
    if input is None:
        return {}
    if not isinstance(input, dict):
        if len(p.inputs) != 1:
            raise HubError(
                f"input: the graph has {len(p.inputs)} Input nodes ({', '.join(p.inputs)}); "
                "pass {name: array}"
            )
        input = {next(iter(p.inputs)): input}
    out = {}
    for name, x in input.items():
        if name not in p.inputs:
            raise HubError(f"input: no Input node {name!r}; the graph has {sorted(p.inputs)}")
        arr = np.asarray(x)
        arr = arr.reshape(arr.shape[0], -1) if arr.ndim >= 2 else arr.reshape(-1, 1)
        if arr.shape[1] != p.inputs[name]:
            raise HubError(
                f"input[{name!r}]: {arr.shape[1]} values per step; the Input node has "
                f"{p.inputs[name]} (pass an array of shape (steps, {p.inputs[name]}))"
            )
        if not np.all(np.isfinite(arr.astype(float))):
            raise HubError(f"input[{name!r}]: contains NaN or inf")
        out[name] = arr
    return out


def _mode(x, input_mode: str, name: str) -> str:
    if x is None:
        return "spikes"
    if input_mode not in ("auto", "spikes", "current"):
        raise HubError(f"input_mode={input_mode!r}: use 'auto', 'spikes' or 'current'")
    if input_mode == "spikes" or (input_mode == "auto" and x.dtype.kind in "biu"):
        xi = np.asarray(x, float)
        if np.any(xi < 0) or np.any(xi != np.round(xi)):
            raise HubError(
                f"input[{name!r}]: spike input must be counts (non-negative integers); use "
                "input_mode='current' for analog values or encode them (hub.encoders)"
            )
        return "spikes"
    return "current"


def _spike_times(x, size: int, dt: float, offset: int) -> list:
    """Per neuron, the times (ms) of the spikes of ``x[t]`` (counts) at stamp t + offset."""
    if x is None:
        return [[] for _ in range(size)]
    counts = np.asarray(x).astype(np.int64)
    times: list = []
    for j in range(size):
        steps = np.repeat(np.arange(counts.shape[0]), counts[:, j])
        times.append(((steps + offset) * dt).tolist())
    return times


def _inject(net: ir.Network, p: Plan, name: str, x: np.ndarray) -> None:
    """Analog input ``x[t]`` as step currents: target j of map M gets the V increment
    ``gain_j sum_k M[j, k] x[t - e, k]`` in its step t, i.e. the amplitude that increment /
    P20 (NEST's propagator of a constant current, P20 = tau_m/cm (1 - exp(-dt/tau_m))) in
    the integration step that ends at stamp ``t + e + phi``."""
    xf = np.asarray(x, float)
    for (src, dst), mat in p.maps.items():
        if src != name or dst not in p.specs:
            continue
        spec = p.specs[dst]
        if np.any(np.asarray(spec.model.value("tau_m")) >= NO_LEAK_MS):
            raise HubError(
                f"input[{name!r}] is analog and feeds {spec.nir_type} {dst!r}, which has no "
                "leak: the hub injects currents through the leak propagator P20 = tau_m/cm "
                "(1 - exp(-dt/tau_m)), which is 0 without leak; give spikes (integer counts "
                "or hub.encoders) or input_mode='spikes'"
            )
        if spec.hub_lag:
            raise HubError(
                f"input[{name!r}] is analog and feeds {spec.nir_type} {dst!r}, whose input "
                "enters a synaptic current: give spikes (integer counts, or an encoder from "
                "hub.encoders) or input_mode='spikes'"
            )
        steps = xf.shape[0] + int(mat.delays.max(initial=0))
        y = np.zeros((steps, spec.size))
        for e in np.unique(mat.delays):
            sel = mat.delays == e
            m = Sparse(mat.rows[sel], mat.cols[sel], mat.vals[sel], mat.delays[sel], mat.shape)
            y[e : e + xf.shape[0]] += xf @ m.to_dense().T
        y *= spec.gain
        tau = np.broadcast_to(np.asarray(spec.model.value("tau_m"), float), (spec.size,))
        cm = np.broadcast_to(np.asarray(spec.model.value("cm"), float), (spec.size,))
        p20 = tau / cm * -np.expm1(-p.dt / tau)
        start = p.offset(dst) - 1
        times = (np.arange(steps + 1) + start) * p.dt
        for j in np.flatnonzero(np.any(y != 0, axis=0)):
            amps = np.append(y[:, j] / p20[j], 0.0)
            net.inject(dst, ir.StepCurrentSource(times=times, amplitudes=amps), indices=[j])


def delays_in_steps(delay_ms, dt: float) -> np.ndarray:
    """The hub's own rounding of delays (docs/semantics.md section 3)."""
    return np.asarray(hub_delay_steps(delay_ms, dt))


__all__ = ["Plan", "plan", "build", "read", "NIRTimingWarning", "NIRConventionWarning", "NEVER"]

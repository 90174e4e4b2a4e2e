"""A NIR graph as populations and the linear maps between them.

Three steps, each a function:

1. :func:`flatten` inlines nested ``NIRGraph`` nodes (their nodes are named
   ``outer.inner``; an edge to the subgraph enters its Input nodes, an edge from it leaves
   its Output nodes).
2. :func:`linear_maps` composes every chain of linear nodes (Linear, Affine, Scale, Conv1d,
   Conv2d, SumPool2d, AvgPool2d, Flatten, Delay and pass-through Input/Output of
   subgraphs) between two *producers* (graph inputs and neuron nodes) and a *consumer*
   (a neuron node or a graph Output) into one :class:`~hub_nir.sparse.Sparse` map with a
   delay per entry; biases become maps from the constant producer :data:`BIAS`.
3. :func:`schedule` finds the recurrent edges (a depth-first search from the inputs: an
   edge back into the current path) and the pipeline offset of each node (hub_nir.importer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hub.errors import HubError

from . import unroll
from .neurons import NEURON_TYPES
from .sparse import Sparse

#: the constant producer of Affine and convolution biases (one neuron, always 1)
BIAS = "nir.bias"

LINEAR = ("Linear", "Affine", "Scale", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d")
PASS = ("Flatten", "Identity")


@dataclass
class Pass:
    """A subgraph's own Input or Output node, inlined: passes its input on unchanged."""

    size: int
    origin: str


@dataclass
class FlatGraph:
    nodes: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)


def _shape_size(shape) -> int | None:
    if shape is None:
        return None
    arr = np.asarray(shape).ravel()
    return int(np.prod(arr)) if arr.size else 1


def flatten(graph, nir, prefix: str = "") -> FlatGraph:
    """Inline nested graphs (module docstring, step 1)."""
    out = FlatGraph()
    sub_in: dict[str, list[str]] = {}
    sub_out: dict[str, list[str]] = {}
    for name, node in graph.nodes.items():
        full = prefix + name
        if isinstance(node, nir.NIRGraph):
            inner = flatten(node, nir, full + ".")
            for k, n in inner.nodes.items():
                if isinstance(n, (nir.Input, nir.Output)) and k.count(".") == full.count(".") + 1:
                    io = n.input_type if isinstance(n, nir.Input) else n.output_type
                    size = _shape_size(next(iter(io.values())))
                    n = Pass(size or 0, type(n).__name__)
                    (sub_in if n.origin == "Input" else sub_out).setdefault(full, []).append(k)
                out.nodes[k] = n
            out.edges.extend(inner.edges)
        else:
            out.nodes[full] = node

    def ends(name: str, table) -> list[str]:
        full = prefix + name
        if full in table:
            return table[full]
        if full in out.nodes:
            return [full]
        raise HubError(f"edge endpoint {name!r} names no node of the graph")

    for a, b in graph.edges:
        for src in ends(a, sub_out):
            for dst in ends(b, sub_in):
                out.edges.append((src, dst))
    return out


def _kind(node) -> str:
    return type(node).__name__


def _in_shape(name, node):
    shape = (node.input_type or {}).get("input") if isinstance(node.input_type, dict) else None
    if shape is None:
        raise HubError(
            f"node {name!r} ({_kind(node)}) has no input shape; give the graph an Input node "
            "with a shape (NIR infers the rest) or the node's input_shape"
        )
    return [int(x) for x in np.asarray(shape).ravel()]


def linear_op(name: str, node, delay_steps) -> tuple[Sparse, np.ndarray | None]:
    """(map, bias or None) of one linear node."""
    kind = _kind(node)
    if kind in ("Linear", "Affine"):
        w = np.asarray(node.weight, float)
        if w.ndim != 2:
            raise HubError(f"node {name!r} ({kind}): weight of shape {w.shape}; only 2-d")
        bias = np.asarray(node.bias, float).ravel() if kind == "Affine" else None
        return Sparse.dense(w), bias
    if kind == "Scale":
        return Sparse.diagonal(node.scale), None
    if kind == "Conv2d":
        mat, b, _ = unroll.conv2d(
            node.weight, node.bias, _in_shape(name, node), node.stride, node.padding,
            node.dilation, node.groups,
        )  # fmt: skip
        return mat, b
    if kind == "Conv1d":
        mat, b, _ = unroll.conv1d(
            node.weight, node.bias, _in_shape(name, node), node.stride, node.padding,
            node.dilation, node.groups,
        )  # fmt: skip
        return mat, b
    if kind in ("SumPool2d", "AvgPool2d"):
        mat, _, _ = unroll.pool2d(
            node.kernel_size, node.stride, node.padding, _in_shape(name, node),
            average=kind == "AvgPool2d",
        )  # fmt: skip
        return mat, None
    if kind == "Delay":
        d = np.asarray(node.delay, float).ravel()
        return Sparse.identity(d.size, delay_steps(d, name)), None
    raise HubError(f"node {name!r} is a {kind}, not a linear node")


def classify(name: str, node, nir) -> str:
    """'input', 'output', 'neuron', 'linear', 'pass'; anything else is a HubError."""
    if isinstance(node, Pass) or _kind(node) in PASS:
        return "pass"
    if isinstance(node, nir.Input):
        return "input"
    if isinstance(node, nir.Output):
        return "output"
    kind = _kind(node)
    if kind in NEURON_TYPES:
        return "neuron"
    if kind in LINEAR or kind == "Delay":
        return "linear"
    raise HubError(
        f"node {name!r} is a {kind}: snn-hub imports Input, Output, Affine, Linear, Scale, "
        "LIF, CubaLIF, IF, LI, CubaLI, I, Delay, Threshold, Flatten, Conv1d, Conv2d, "
        "SumPool2d, AvgPool2d and nested NIRGraphs (docs/nir.md)"
    )


def linear_maps(flat: FlatGraph, nir, delay_steps) -> dict[tuple[str, str], Sparse]:
    """``{(producer, consumer): map}`` (module docstring, step 2)."""
    kinds = {name: classify(name, node, nir) for name, node in flat.nodes.items()}
    succ: dict[str, list[str]] = {name: [] for name in flat.nodes}
    for a, b in flat.edges:
        succ[a].append(b)
    ops: dict[str, tuple[Sparse, np.ndarray | None]] = {
        n: linear_op(n, flat.nodes[n], delay_steps) for n, k in kinds.items() if k == "linear"
    }
    found: dict[tuple[str, str], Sparse] = {}

    def walk(producer: str, at: str, mat: Sparse, path: tuple[str, ...]):
        for nxt in succ[at]:
            kind = kinds[nxt]
            if kind in ("neuron", "output"):
                key = (producer, nxt)
                found[key] = found[key] + mat if key in found else mat
                continue
            if kind == "input":
                raise HubError(f"edge ({at!r}, {nxt!r}) enters the graph input {nxt!r}")
            if nxt in path:
                raise HubError(
                    "a loop of linear nodes without a neuron: " + " -> ".join(path + (nxt,))
                )
            if kind == "pass":
                walk(producer, nxt, mat, path + (nxt,))
                continue
            op, _ = ops[nxt]
            if op.shape[1] != mat.shape[0]:
                raise HubError(
                    f"edge ({at!r}, {nxt!r}): {mat.shape[0]} values into {nxt!r}, which "
                    f"takes {op.shape[1]}"
                )
            walk(producer, nxt, op @ mat, path + (nxt,))

    for name, kind in kinds.items():
        if kind in ("input", "neuron"):
            size = node_size(name, flat.nodes[name], nir)
            walk(name, name, Sparse.identity(size), (name,))
    for name, (op, bias) in ops.items():
        if bias is not None and np.any(bias != 0):
            col = Sparse.make(np.flatnonzero(bias), 0, bias[bias != 0], (bias.size, 1))
            walk(BIAS, name, col, (name,))
    for (src, dst), mat in found.items():
        want = node_size(dst, flat.nodes[dst], nir)
        if mat.shape[0] != want:
            raise HubError(f"{src!r} reaches {dst!r} with {mat.shape[0]} values; it has {want}")
    return found


def node_size(name: str, node, nir) -> int:
    """Number of neurons (or values) of a producer or consumer node."""
    if isinstance(node, nir.Input):
        size = _shape_size(node.input_type.get("input"))
    elif isinstance(node, nir.Output):
        size = _shape_size(node.output_type.get("output"))
    else:
        from .neurons import node_width

        size = node_width(node)
    if not size:
        raise HubError(f"node {name!r} ({_kind(node)}) has no shape")
    return size


def schedule(
    producers: list[str], edges: dict[tuple[str, str], Sparse], lags: dict[str, tuple[int, int]]
) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """(offset phi per node, recurrent edges).  ``lags[v] = (node_lag g, hub_lag h)``.

    A node's step t is hub stamp ``t + phi``: inputs and BIAS have phi = 1; along a forward
    edge with delays e >= e_min, ``phi(v) = max(phi(u) + 1 - g_v + h_v - e_min)``, the
    smallest offset with every hub delay ``phi(v) - phi(u) + g_v - h_v + e >= 1``."""
    succ: dict[str, list[str]] = {}
    for u, v in edges:
        succ.setdefault(u, []).append(v)
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}

    def dfs(u: str):
        state[u] = 1
        for v in succ.get(u, []):
            if state.get(v) == 1:
                back.add((u, v))
            elif v not in state:
                dfs(v)
        state[u] = 2

    for p in producers:
        if p not in state:
            dfs(p)
    nodes = list(dict.fromkeys(producers + [v for _, v in edges]))
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    for u, v in edges:
        if (u, v) not in back:
            preds[v].append(u)
    phi: dict[str, int] = {}

    def depth(v: str) -> int:
        if v not in phi:
            g, h = lags.get(v, (0, 0))
            base = 1 if v not in lags else max(1, 1 + 1 - g + h)
            phi[v] = -1  # a forward cycle cannot happen: back edges are removed
            best = base
            for u in preds[v]:
                e_min = int(edges[(u, v)].delays.min()) if len(edges[(u, v)]) else 0
                best = max(best, depth(u) + 1 - g + h - e_min)
            phi[v] = best
        return phi[v]

    for n in nodes:
        depth(n)
    return phi, back

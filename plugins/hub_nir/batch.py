"""Many samples of one NIR graph in one hub run.

A framework evaluates a batch at once; the hub runs one network.  :func:`batch` puts ``n``
copies of a graph side by side as nested subgraphs (``copy{i}``, fed by ``input{i}``, read
by ``output{i}``): the copies share nothing but the constant bias neuron, so each behaves
exactly as the graph alone (tests/test_nir_frameworks.py), and 50 digits cost one run
instead of 50.  :func:`batch_input` and :func:`unbatch` convert the arrays.
"""

from __future__ import annotations

import numpy as np

from hub.errors import HubError


def _io(graph, nir):
    """The graph's one Input and one Output node (names)."""
    ins = [k for k, v in graph.nodes.items() if isinstance(v, nir.Input)]
    outs = [k for k, v in graph.nodes.items() if isinstance(v, nir.Output)]
    if len(ins) != 1 or len(outs) != 1:
        raise HubError(
            f"batch: the graph has Input nodes {ins} and Output nodes {outs}; batching needs "
            "exactly one of each"
        )
    return graph.nodes[ins[0]], graph.nodes[outs[0]]


def batch(source, n: int):
    """A ``nir.NIRGraph`` of ``n`` copies of ``source`` (a graph or a ``.nir`` path), with the
    source's metadata (module docstring)."""
    import nir

    from .importer import read

    if int(n) < 1:
        raise HubError(f"batch: n={n!r}; give at least one copy")
    graph = read(source, nir)
    node_in, node_out = _io(graph, nir)
    nodes: dict = {}
    edges: list = []
    for i in range(int(n)):
        nodes[f"input{i}"] = nir.Input(input_type=dict(node_in.input_type))
        nodes[f"copy{i}"] = graph
        nodes[f"output{i}"] = nir.Output(output_type=dict(node_out.output_type))
        edges += [(f"input{i}", f"copy{i}"), (f"copy{i}", f"output{i}")]
    meta = dict(graph.metadata) if isinstance(graph.metadata, dict) else {}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta, type_check=False)


def batch_input(x) -> dict[str, np.ndarray]:
    """``{input{i}: x[i]}`` for samples ``x`` of shape ``(n, steps, size)``."""
    return {f"input{i}": np.asarray(xi) for i, xi in enumerate(x)}


def unbatch(outputs: dict[str, np.ndarray]) -> np.ndarray:
    """``outputs`` of a batched run (``{output{i}: (steps, size)}``) as ``(n, steps, size)``."""
    n = sum(1 for k in outputs if k.startswith("output") and k[6:].isdigit())
    return np.stack([outputs[f"output{i}"] for i in range(n)])


__all__ = ["batch", "batch_input", "unbatch"]

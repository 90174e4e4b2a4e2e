"""The versioned model file: one ``.npz`` holding the network as JSON plus its arrays.

``save(net, path)`` then ``load(path)`` gives a network equal to ``net``.  Every object in
the file is rebuilt through its class's constructor (:meth:`hub.ir.node.Node.from_dict`);
kinds from outside hub (plugins) are passed as ``extra_kinds`` (kind -> class).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping

import numpy as np

from ..errors import Diagnostic, ValidationError
from .connectors import Connector
from .network import FORMAT_VERSION, Injection, Network, Probe, Projection, SynapseProbe, canonical
from .neurons import NeuronModel
from .node import build
from .serialize import ArrayTable, decode_value
from .sources import CurrentSource, Source
from .synapses import Synapse

__all__ = ["canonical", "from_dict", "load", "save", "write_document"]


def write_document(path, key: str, doc: dict, arrays: dict, compress: bool = True) -> str:
    """Write ``doc`` (JSON under ``key``) and ``arrays`` to one ``.npz`` atomically: a temporary
    file in the same folder, renamed over ``path`` only when complete (no half-written
    files).  Shared by model, resolved-network and results files."""
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(suffix=".npz", dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    try:
        writer = np.savez_compressed if compress else np.savez
        writer(
            tmp, **{key: np.frombuffer(json.dumps(doc, default=str).encode(), np.uint8)}, **arrays
        )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def save(network: Network, path) -> str:
    """Write ``network`` to ``path`` (``.npz``) atomically; return the path."""
    table = ArrayTable()
    doc = network.to_dict(table)
    return write_document(path, "__network__", doc, table.arrays)


def load(path, extra_kinds: Mapping[str, type] | None = None) -> Network:
    """Read a network written by :func:`save`.  ``extra_kinds`` (kind -> class) are the kinds
    from outside hub the file may use (a plugin's neuron models, rules, ...); an unknown kind
    is a :class:`~hub.errors.ValidationError` naming it."""
    with np.load(path, allow_pickle=False) as f:
        if "__network__" not in f:
            raise ValidationError(
                Diagnostic(
                    str(path),
                    "not an snn-hub network file",
                    "write it with hub.save(network, path)",
                )
            )
        doc = json.loads(bytes(f["__network__"]).decode())
        arrays = {k: f[k] for k in f.files if k != "__network__"}
    if doc.get("version", 0) > FORMAT_VERSION:
        raise ValidationError(
            Diagnostic(
                str(path),
                f"file format version {doc['version']} is "
                f"newer than this snn-hub ({FORMAT_VERSION})",
                "upgrade snn-hub",
            )
        )
    return from_dict(doc, arrays, extra_kinds)


def from_dict(
    doc: Mapping,
    arrays: ArrayTable | Mapping | None = None,
    extra_kinds: Mapping[str, type] | None = None,
) -> Network:
    """The network written as ``doc`` (:meth:`Network.to_dict`) with its array table."""
    table = arrays if isinstance(arrays, ArrayTable) else ArrayTable(arrays)
    dec = lambda v: decode_value(v, table)

    def node(d, base, where):
        return build(d, base, table, extra_kinds, where)

    net = Network(doc["dt"], doc["seed"], doc.get("label", ""), doc.get("metadata"))
    for k, p in enumerate(doc["populations"]):
        model = node(p["model"], (NeuronModel, Source), f"populations[{k}]({p['label']}).model")
        net.add_population(
            p["size"], model, p["label"], {key: dec(v) for key, v in p["initial_values"].items()}
        )
    for k, j in enumerate(doc["projections"]):
        where = f"projections[{k}]({j['pre']}->{j['post']})"
        net.projections.append(
            Projection(
                j["label"],
                j["pre"],
                j["post"],
                node(j["connector"], Connector, f"{where}.connector"),
                node(j["synapse"], Synapse, f"{where}.synapse"),
            )
        )
    for k, i in enumerate(doc["injections"]):
        source = node(i["source"], CurrentSource, f"injections[{k}]({i['target']}).source")
        net.injections.append(Injection(i["target"], source, dec(i["indices"])))
    for p in doc["probes"]:
        net.probes.append(Probe(p["population"], p["variable"], p["interval"], dec(p["indices"])))
    for p in doc.get("synapse_probes", []):
        net.synapse_probes.append(
            SynapseProbe(p["projection"], p["variable"], p["interval"], dec(p["indices"]))
        )
    return net

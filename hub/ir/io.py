"""The versioned model file: one ``.npz`` holding the network as JSON plus its arrays.

``save(net, path)`` then ``load(path)`` gives a network equal to ``net``.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile

import numpy as np

from . import serialize
from .connectors import CONNECTORS
from .network import FORMAT_VERSION, Injection, Network, Probe, Projection, SynapseProbe
from .neurons import NEURON_MODELS
from .plasticity import rule_from_dict
from .sources import CURRENT_SOURCES, SPIKE_SOURCES
from .synapses import SYNAPSES


def _encode(network: Network) -> tuple[dict, list]:
    serialize._ARRAYS = []
    try:
        return network.to_dict(), serialize._ARRAYS
    finally:
        serialize._ARRAYS = None


def write_document(path, key: str, doc: dict, arrays: dict, compress: bool = True) -> str:
    """Write ``doc`` (JSON under ``key``) and ``arrays`` to one ``.npz`` atomically: a temporary
    file in the same folder, renamed over ``path`` only when complete (no half-written
    files).  Shared by model, resolved-network and results files."""
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(suffix=".npz", dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    try:
        writer = np.savez_compressed if compress else np.savez
        writer(tmp, **{key: np.frombuffer(json.dumps(doc, default=str).encode(), np.uint8)},
               **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def save(network: Network, path) -> str:
    """Write ``network`` to ``path`` (``.npz``) atomically; return the path."""
    doc, arrays = _encode(network)
    return write_document(path, "__network__", doc, {f"a{i}": a for i, a in enumerate(arrays)})


def load(path) -> Network:
    """Read a network written by :func:`save`."""
    from ..errors import Diagnostic, ValidationError

    with np.load(path, allow_pickle=False) as f:
        if "__network__" not in f:
            raise ValidationError(Diagnostic(str(path), "not an snn-hub network file",
                                             "write it with hub.save(network, path)"))
        doc = json.loads(bytes(f["__network__"]).decode())
        arrays = {k: f[k] for k in f.files if k != "__network__"}
    if doc.get("version", 0) > FORMAT_VERSION:
        raise ValidationError(Diagnostic(str(path), f"file format version {doc['version']} is "
                                         f"newer than this snn-hub ({FORMAT_VERSION})",
                                         "upgrade snn-hub"))
    return from_dict(doc, arrays)


def _obj(registry, d, arrays):
    d = {k: serialize.decode_value(v, arrays) for k, v in d.items()}
    if isinstance(d.get("rule"), dict):  # a plastic synapse's learning rule
        d["rule"] = rule_from_dict(d["rule"], lambda v: serialize.decode_value(v, arrays))
    cls = registry[d.pop("kind")]
    obj = cls.__new__(cls)
    obj.__dict__.update(d)
    return obj


def from_dict(doc: dict, arrays: dict | None = None) -> Network:
    arrays = arrays or {}
    dec = lambda v: serialize.decode_value(v, arrays)  # noqa: E731
    net = Network(doc["dt"], doc["seed"], doc.get("label", ""), doc.get("metadata"))
    for p in doc["populations"]:
        m = dict(p["model"])
        kind = m.pop("kind")
        if kind in SPIKE_SOURCES:
            model = _obj(SPIKE_SOURCES, p["model"], arrays)
        else:
            model = NEURON_MODELS[kind](**{k: dec(v) for k, v in m.items()})
        net.add_population(p["size"], model, p["label"],
                           {k: dec(v) for k, v in p["initial_values"].items()})
    for j in doc["projections"]:
        net.projections.append(Projection(j["label"], j["pre"], j["post"],
                                          _obj(CONNECTORS, j["connector"], arrays),
                                          _obj(SYNAPSES, j["synapse"], arrays)))
    for i in doc["injections"]:
        net.injections.append(Injection(i["target"], _obj(CURRENT_SOURCES, i["source"], arrays),
                                        dec(i["indices"])))
    for p in doc["probes"]:
        net.probes.append(Probe(p["population"], p["variable"], p["interval"], dec(p["indices"])))
    for p in doc.get("synapse_probes", []):
        net.synapse_probes.append(SynapseProbe(p["projection"], p["variable"], p["interval"],
                                               dec(p["indices"])))
    return net


def canonical(network: Network) -> str:
    """A stable text form (arrays replaced by content hashes) used for equality."""
    doc, arrays = _encode(network)
    digests = [hashlib.sha1(np.ascontiguousarray(a).tobytes() + str(a.dtype).encode()
                            + str(a.shape).encode()).hexdigest() for a in arrays]
    return json.dumps(doc, sort_keys=True, default=str) + "|" + ",".join(digests)

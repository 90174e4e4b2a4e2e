"""The versioned model file: one ``.npz`` holding the network as JSON plus its arrays.

``save(net, path)`` then ``load(path)`` gives a network equal to ``net``.  Every object in
the file is rebuilt through its class's constructor (:meth:`hub.ir.node.Node.from_dict`);
kinds from outside hub (plugins) are passed as ``extra_kinds`` (kind -> class).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping

import numpy as np

from ..errors import Diagnostic, HubError, ValidationError
from .connectors import Connector
from .network import FORMAT_VERSION, Injection, Network, Probe, Projection, SynapseProbe, canonical
from .neurons import NeuronModel
from .node import build
from .serialize import ArrayTable, decode_value
from .sources import CurrentSource, Source
from .synapses import Synapse

__all__ = ["canonical", "from_dict", "load", "read_document", "save", "write_document"]


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


@contextlib.contextmanager
def read_document(path, key: str, what: str, fix: str, members: str) -> Iterator[tuple]:
    """Open a file written by :func:`write_document`: yields ``(doc, arrays)``, the JSON
    document under ``key`` and the archive's arrays by name, read lazily (an array is read
    when it is used, so a member nobody refers to is never allocated).

    Anything else is a :class:`~hub.errors.ValidationError` naming the file, what is wrong
    and ``fix``: a missing file, a file that is not an ``.npz`` archive or holds pickled
    objects, no ``key`` member, a member whose name does not match the regular expression
    ``members`` (what this kind of file holds), a document that is not JSON or nests too
    deeply.  ``what`` names the kind of file ("an snn-hub network file")."""

    def bad(problem):
        return ValidationError(Diagnostic(str(path), problem, fix))

    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise bad("no such file") from None
    except IsADirectoryError:
        raise bad("is a folder") from None
    except Exception as exc:  # damaged bytes fail in zipfile in many ways
        raise bad(f"not {what} (not a readable .npz archive: {exc})") from None
    with archive:
        names = [n[:-4] if n.endswith(".npy") else n for n in archive.namelist()]
    if key not in names:
        raise bad(f"not {what} (no {key!r} member)")
    unexpected = sorted(n for n in names if n != key and not re.fullmatch(members, n))
    if unexpected:
        raise bad(f"members {unexpected[:5]} are not part of {what}")
    try:
        npz = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise bad(f"not {what} ({exc})") from None
    with npz:
        try:
            raw = npz[key]
            doc = json.loads(bytes(raw).decode())
        except Exception as exc:  # damaged bytes fail in zipfile, zlib, numpy or json
            raise bad(
                f"its {key!r} member is not a readable document ({type(exc).__name__})"
            ) from None
        if not isinstance(doc, dict):
            raise bad(f"its {key!r} member is not a document")
        arrays = _LazyArrays(npz, key, bad)
        try:
            yield doc, arrays
        except HubError:
            raise
        except (KeyError, TypeError, IndexError, AttributeError, ValueError) as exc:
            raise bad(f"malformed ({type(exc).__name__}: {exc})") from None


class _LazyArrays(Mapping):
    """The arrays of an open ``.npz``, read on access; a broken member is a HubError."""

    def __init__(self, npz, key, bad):
        self.npz, self.bad = npz, bad
        self.names = [n for n in npz.files if n != key]

    def __getitem__(self, name):
        if name not in self.names:
            raise KeyError(name)
        try:
            return self.npz[name]
        except Exception as exc:  # damaged bytes fail in zipfile, zlib or numpy's header parser
            raise self.bad(f"member {name!r} is not a readable array ({exc})") from None

    def __iter__(self):
        return iter(self.names)

    def __len__(self):
        return len(self.names)


def save(network: Network, path) -> str:
    """Write ``network`` to ``path`` (``.npz``) atomically; return the path."""
    table = ArrayTable()
    doc = network.to_dict(table)
    return write_document(path, "__network__", doc, table.arrays)


def load(path, extra_kinds: Mapping[str, type] | None = None) -> Network:
    """Read a network written by :func:`save`.  ``extra_kinds`` (kind -> class) are the kinds
    from outside hub the file may use (a plugin's neuron models, rules, ...); an unknown kind
    is a :class:`~hub.errors.ValidationError` naming it."""
    with read_document(
        path,
        "__network__",
        "an snn-hub network file",
        "write it with hub.save(network, path)",
        members=r"a\d+",
    ) as (doc, arrays):
        if doc.get("version", 0) > FORMAT_VERSION:
            raise ValidationError(
                Diagnostic(
                    str(path),
                    f"file format version {doc['version']} is "
                    f"newer than this snn-hub ({FORMAT_VERSION})",
                    "upgrade snn-hub",
                )
            )
        net = from_dict(doc, arrays, extra_kinds)
        # values of types no API call makes break the checks themselves: the file is
        # malformed (read_document says so); an invalid but well-formed network still loads
        from .validation import diagnose

        diagnose(net)
        return net


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

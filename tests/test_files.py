"""Model, results and resolved-network files: every malformed file is a HubError naming the
file, never a raw BadZipFile, KeyError, JSONDecodeError or RecursionError; members nothing
refers to are never read; results that name neurons outside their population are refused."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import hub
from hub.resolve import resolve
from hub.resolved_io import load_resolved, save_resolved


def _network():
    net = hub.Network(dt=0.1, seed=1)
    src = net.add_source(hub.SpikeTimes([[1.0, 2.0], [3.0]]), size=2, label="src")
    pop = net.add_population(3, hub.LIF(tau_m=[10.0, 20.0, 30.0]), label="p")
    net.connect(src, pop, hub.AllToAll(), hub.Static(weight=0.5, delay=1.0))
    net.record(pop, "spikes")
    return net


def _results():
    res = hub.Results()
    res.spike_trains["p"] = hub.SpikeTrains(3, np.array([0, 2]), np.array([4, 9]), 0.1)
    res.provenance["duration"] = 1.0
    return res


def _members(path):
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _rewrite(path, members):
    np.savez(path, **members)


KINDS = {
    "network": ("__network__", lambda p: hub.save(_network(), p), hub.load),
    "results": ("__results__", lambda p: _results().save(p), hub.Results.load),
    "resolved": (
        "__resolved__",
        lambda p: save_resolved(resolve(_network(), 5.0), p),
        load_resolved,
    ),
}


def _doc(members, key, text):
    members[key] = np.frombuffer(text.encode(), np.uint8)
    return members


def _pickle_first_array(path, key):
    """Replace the first array of the file by a pickled object array (never unpickled)."""
    members = _members(path)
    first = sorted(k for k in members if k != key)[0]
    members[first] = np.array([{"x": 1}], dtype=object)
    np.savez(path, **members)


BREAKAGES = {
    "missing": (lambda path, key: path.unlink(), "no such file"),
    "text": (lambda path, key: path.write_text("hello"), "not a readable .npz archive"),
    "truncated": (
        lambda path, key: path.write_bytes(path.read_bytes()[:150]),
        "not a readable .npz archive",
    ),
    "no document": (
        lambda path, key: _rewrite(path, {k: v for k, v in _members(path).items() if k != key}),
        "no '{key}' member",
    ),
    "not json": (
        lambda path, key: _rewrite(path, _doc(_members(path), key, "{not json")),
        "member is not a readable document (JSONDecodeError)",
    ),
    "too deep": (
        lambda path, key: _rewrite(path, _doc(_members(path), key, "[" * 100000 + "]" * 100000)),
        "member is not a readable document (RecursionError)",
    ),
    "a list": (
        lambda path, key: _rewrite(path, _doc(_members(path), key, "[1, 2]")),
        "member is not a document",
    ),
    "fields missing": (
        lambda path, key: _rewrite(path, _doc(_members(path), key, '{"version": 1}')),
        "malformed (KeyError",
    ),
    "unexpected member": (
        lambda path, key: _rewrite(path, {**_members(path), "payload": np.zeros(10)}),
        "members ['payload'] are not part of",
    ),
    "pickled member": (lambda path, key: _pickle_first_array(path, key), "not a readable array"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_malformed_file_is_a_hub_error(tmp_path, kind, breakage):
    key, write, load = KINDS[kind]
    path = tmp_path / "file.npz"
    write(path)
    load(path)  # control: the intact file loads
    damage, fragment = BREAKAGES[breakage]
    damage(path, key)
    with pytest.raises(hub.HubError) as err:
        load(path)
    assert str(path) in str(err.value) and fragment.format(key=key) in str(err.value), err.value


def test_a_member_nobody_refers_to_is_never_read(tmp_path, monkeypatch):
    """A member named like an array of the file but referred to by nothing (a 4 GiB payload
    in an altered file) is not allocated: only referenced members are read."""
    path = tmp_path / "net.npz"
    hub.save(_network(), path)
    members = _members(path)
    members["a999"] = np.zeros(1000)
    _rewrite(path, members)
    read = []
    original = np.lib.npyio.NpzFile.__getitem__

    def spy(self, key):
        read.append(key)
        return original(self, key)

    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", spy)
    net = hub.load(path)
    assert "a999" not in read and "__network__" in read
    assert np.asarray(net.populations[1].model.values["tau_m"]).tolist() == [10.0, 20.0, 30.0]


@pytest.mark.parametrize(
    "indices, stamps, fragment",
    [([0, 3], [4, 9], "neuron indices in [0, 3] for 3 neurons"), ([0, 1], [0, 9], "stamps from 0")],
)
def test_results_naming_neurons_outside_their_population_are_refused(
    tmp_path, indices, stamps, fragment
):
    path = tmp_path / "res.npz"
    _results().save(path)
    members = _members(path)
    members["s0_i"], members["s0_t"] = np.array(indices), np.array(stamps)
    _rewrite(path, members)
    with pytest.raises(hub.HubError) as err:
        hub.Results.load(path)
    assert "spikes of 'p'" in str(err.value) and fragment in str(err.value)


def test_results_with_an_absurd_population_size_are_refused(tmp_path):
    path = tmp_path / "res.npz"
    _results().save(path)
    members = _members(path)
    meta = json.loads(bytes(members["__results__"]).decode())
    meta["spikes"]["p"]["size"] = 10**12
    _rewrite(path, _doc(members, "__results__", json.dumps(meta)))
    with pytest.raises(hub.HubError, match="population size 1000000000000"):
        hub.Results.load(path)
    assert zipfile.is_zipfile(path)

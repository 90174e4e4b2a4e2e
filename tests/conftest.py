"""Shared fixtures: distributions made on the fly, a toy third-party backend, a sentinel
backend that fails if a simulator is touched, and automatic skips for missing simulators."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

# tests/ is a package (tests/__init__.py says why); its helper modules (doc_figures,
# pynn_scripts, ...) are imported by their own names, as from a flat directory
sys.path.insert(0, str(Path(__file__).resolve().parent))

import hub

#: pytester runs an inner pytest session (tests/test_kit_mutants.py: parametrize_with_checks)
pytest_plugins = ["pytester"]

# ---------------------------------------------------------------------------------------------
# markers: skip tests of a simulator that is not installed
# ---------------------------------------------------------------------------------------------
_SIMULATORS = {"nest": "nest", "brian2": "brian2"}


def pytest_collection_modifyitems(config, items):
    missing = {
        mark: mod for mark, mod in _SIMULATORS.items() if importlib.util.find_spec(mod) is None
    }
    for item in items:
        for mark, mod in missing.items():
            if mark in item.keywords:
                item.add_marker(pytest.mark.skip(reason=f"{mod} is not installed"))


# ---------------------------------------------------------------------------------------------
# Brian2: one Cython cache for the whole test session (each network structure compiles once)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def cython_cache(tmp_path_factory):
    """A per-session compiler cache for ``codegen="cython"`` (pass as ``cache_dir``)."""
    return str(tmp_path_factory.mktemp("brian2-cython"))


# ---------------------------------------------------------------------------------------------
# plugin manager hygiene
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def fresh_hub(monkeypatch):
    """A clean default plugin manager before and after the test; autoload on, no env plugins."""
    from hub.plugins import reset_plugin_manager

    monkeypatch.delenv("SNN_HUB_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("SNN_HUB_PLUGINS", raising=False)
    monkeypatch.delenv("SNN_HUB_TRACE", raising=False)
    reset_plugin_manager(None)
    yield
    reset_plugin_manager(None)


@pytest.fixture
def make_dist(tmp_path, monkeypatch, fresh_hub):
    """Install a distribution on the fly: ``make_dist(name, {package: source},
    {entry_point: target})`` writes ``<package>/__init__.py`` and ``<name>-<version>.dist-info``
    (METADATA, entry_points.txt in group ``snn_hub``) into a new folder on sys.path."""
    made: list[str] = []

    def make(name, packages, entry_points, version="0.1"):
        root = tmp_path / f"site-{name}"
        root.mkdir()
        for package, source in packages.items():
            (root / package).mkdir()
            (root / package / "__init__.py").write_text(textwrap.dedent(source))
            made.append(package)
        info = root / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: made by a test\n"
        )
        (info / "entry_points.txt").write_text(
            "[snn_hub]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items())
        )
        monkeypatch.syspath_prepend(str(root))
        importlib.invalidate_caches()
        return root

    yield make
    for package in made:
        for mod in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[mod]
    importlib.invalidate_caches()


# ---------------------------------------------------------------------------------------------
# the toy backend: a third-party plugin written against the public API only
# ---------------------------------------------------------------------------------------------
TOY_PLUGIN = '''
"""snn_hub_toy: a pure-numpy LIF engine with delta synapses (a third-party snn-hub backend).

It follows docs/semantics.md: per step k, (1) the membrane integrates exactly over the step
unless refractory (then V stays at v_reset and the counter goes down), (3) delta input
arriving at (k+1) dt is added to V (dropped while refractory), (4) V >= v_thresh spikes,
stamped k+1.  A spike stamped s reaches its target in step s+D-1.
"""
import math

import numpy as np

import hub

NEURON = "LIF[synapse=delta]"
RUNS = []  # every run's options, for tests


class ToySession(hub.Session):
    def __init__(self, r, options):
        self.r, self.options = r, options
        labels = list(r.populations)
        self.offset, n = {}, 0
        for label in labels:
            self.offset[label] = n
            n += r.populations[label].size
        self.n = n
        cat = lambda key: np.concatenate([r.populations[l].params[key] for l in labels]) \\
            if labels else np.zeros(0)
        self.v_rest, self.v_reset, self.v_th = cat("v_rest"), cat("v_reset"), cat("v_thresh")
        self.i_offset = cat("i_offset")
        tau_m, cm = cat("tau_m"), cat("cm")
        self.p33 = np.exp(-r.dt / tau_m)
        self.p30 = tau_m / cm * (1.0 - self.p33)          # MOhm: nA -> mV
        tics = np.floor(cat("tau_refrac") * 1000.0 + 0.5)
        self.refr_steps = np.ceil(tics / math.floor(r.dt * 1000.0 + 0.5)).astype(np.int64)
        self.v = np.concatenate([r.populations[l].initial["v"] for l in labels]) \\
            if labels else np.zeros(0)
        self.counter = np.zeros(n, np.int64)
        # one id space for senders: neurons first, then sources
        self.sender = dict(self.offset)
        m = n
        for label, src in r.sources.items():
            self.sender[label] = m
            m += src.size
        pre, post, w, d = [], [], [], []
        for p in r.projections:
            pre.append(p.pre_idx + self.sender[p.pre])
            post.append(p.post_idx + self.offset[p.post])
            w.append(p.weight)
            d.append(p.delay_steps)
        cat2 = lambda xs, t: np.concatenate(xs).astype(t) if xs else np.zeros(0, t)
        pre, self.post = cat2(pre, np.int64), cat2(post, np.int64)
        self.w, self.d = cat2(w, float), cat2(d, np.int64)
        order = np.argsort(pre, kind="stable")
        pre, self.post, self.w, self.d = pre[order], self.post[order], self.w[order], self.d[order]
        self.indptr = np.searchsorted(pre, np.arange(m + 1))
        self.ring_len = int(self.d.max()) + 1 if len(self.d) else 1
        self.ring = np.zeros((self.ring_len, n))
        ev_id = [s.indices + self.sender[l] for l, s in r.sources.items()]
        ev_st = [s.stamps for s in r.sources.values()]
        self.ev_id, self.ev_st = cat2(ev_id, np.int64), cat2(ev_st, np.int64)
        o = np.argsort(self.ev_st, kind="stable")
        self.ev_id, self.ev_st = self.ev_id[o], self.ev_st[o]
        self.inj = []
        for inj in r.injections:
            self.inj.append((inj.indices + self.offset[inj.target], inj.stamps, inj.amplitudes))
        self.spikes = {l: ([], []) for l in labels}
        self.samples = {}

    def _current(self, k):
        cur = self.i_offset.copy()
        for idx, stamps, amps in self.inj:
            j = int(np.searchsorted(stamps, k, side="right")) - 1
            if j >= 0:
                np.add.at(cur, idx, amps[j])
        return cur

    def run(self, progress=None):
        r = self.r
        probes = [p for p in r.probes if p.variable == "v" and p.population in self.offset]
        for p in probes:
            self.samples[(p.population, "v")] = ([], [])
        every = max(1, r.steps // 20)
        for k in range(r.steps):
            refr = self.counter > 0
            free = ~refr
            cur = self._current(k)
            self.v[free] = (self.v_rest[free] + (self.v[free] - self.v_rest[free])
                            * self.p33[free] + self.p30[free] * cur[free])
            self.v[refr] = self.v_reset[refr]
            self.counter[refr] -= 1
            slot = k % self.ring_len
            self.v[free] += self.ring[slot][free]
            self.ring[slot] = 0.0
            fired = np.nonzero(self.v >= self.v_th)[0]
            self.v[fired] = self.v_reset[fired]
            self.counter[fired] = self.refr_steps[fired]
            for label, off in self.offset.items():
                size = r.populations[label].size
                mine = fired[(fired >= off) & (fired < off + size)]
                self.spikes[label][0].append(mine - off)
                self.spikes[label][1].append(np.full(len(mine), k + 1))
            lo, hi = np.searchsorted(self.ev_st, [k + 1, k + 2])
            senders = np.concatenate([fired, self.ev_id[lo:hi]])
            if len(senders):
                starts, stops = self.indptr[senders], self.indptr[senders + 1]
                counts = stops - starts
                syn = np.repeat(starts - np.cumsum(counts) + counts, counts) + \\
                    np.arange(counts.sum())
                np.add.at(self.ring, ((k + self.d[syn]) % self.ring_len, self.post[syn]),
                          self.w[syn])
            for p in probes:
                if (k + 1) % p.interval_steps == 0:
                    t, vals = self.samples[(p.population, "v")]
                    t.append((k + 1) * r.dt)
                    vals.append(self.v[p.indices + self.offset[p.population]].copy())
            if progress is not None and (k + 1) % every == 0:
                progress((k + 1) / r.steps)

    def results(self):
        r = self.r
        res = hub.Results()
        wanted = {p.population for p in r.probes if p.variable == "spikes"}
        for label in wanted:
            if label in self.spikes:
                idx, st = self.spikes[label]
                res.spike_trains[label] = hub.SpikeTrains(
                    r.populations[label].size, np.concatenate(idx) if idx else [],
                    np.concatenate(st) if st else [], r.dt)
            else:
                s = r.sources[label]
                res.spike_trains[label] = hub.SpikeTrains(s.size, s.indices, s.stamps, r.dt)
        for p in r.probes:
            if (p.population, "v") in self.samples and p.variable == "v":
                t, vals = self.samples[(p.population, "v")]
                res.signals[(p.population, "v")] = hub.Signal(
                    "v", "mV", np.asarray(t), p.indices,
                    np.asarray(vals).reshape(len(t), len(p.indices)))
        return res


class ToyBackend(hub.Backend):
    name = "toy"

    def capabilities(self):
        return hub.Capabilities(frozenset({
            "neuron:" + NEURON, "record:" + NEURON + ".v", "spike_source", "current:step",
            "synapse:Static", "receptor:inhibitory"}),
            {NEURON: hub.Tolerance(2, 1e-9)},
            options={"answer": hub.Option("answer", int, None, "echoed into RUNS")})

    def build(self, resolved, **options):
        RUNS.append(dict(options))
        return ToySession(resolved, options)

    def versions(self):
        return {"numpy": np.__version__}


@hub.hookimpl
def hub_register_backends():
    return [hub.BackendSpec("toy", ToyBackend, "pure-numpy LIF, delta synapses (a test plugin)",
                            "https://example.invalid/snn-hub-toy")]
'''


@pytest.fixture
def toy(make_dist):
    """The ``snn_hub_toy`` distribution installed on the fly; the default plugin manager is a
    fresh one that discovered it.  Yields the toy module."""
    from hub.plugins import make_plugin_manager, reset_plugin_manager

    make_dist("snn_hub_toy", {"snn_hub_toy": TOY_PLUGIN}, {"toy": "snn_hub_toy"})
    pm = make_plugin_manager()
    reset_plugin_manager(pm)
    import snn_hub_toy

    yield snn_hub_toy


# ---------------------------------------------------------------------------------------------
# a sentinel backend: proves that an error came before any simulator was touched
# ---------------------------------------------------------------------------------------------
class SentinelTouched(AssertionError):
    pass


class _Everything(frozenset):
    def __contains__(self, item):
        return True


class SentinelBackend(hub.Backend):
    name = "sentinel"

    def capabilities(self):
        return hub.Capabilities(_Everything())

    def build(self, resolved, **options):
        raise SentinelTouched("the simulator was touched although the input is invalid")


class SentinelPlugin:
    """Registers backend ``sentinel``: it supports everything and fails when built."""

    __name__ = "tests.sentinel"

    @hub.hookimpl
    def hub_register_backends(self):
        return [hub.BackendSpec("sentinel", SentinelBackend, "fails if built")]


@pytest.fixture
def sentinel(fresh_hub):
    """A default plugin manager whose only backend, ``sentinel``, fails the test if built."""
    from hub.plugins import make_plugin_manager, reset_plugin_manager

    pm = make_plugin_manager(autoload=False, plugins=[SentinelPlugin()])
    reset_plugin_manager(pm)
    return pm

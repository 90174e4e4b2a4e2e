"""Hub -> NIR -> snnTorch (``make nir-roundtrip``, scripts/nir_roundtrip.py): the hub's side
against the committed result, without torch.  The graph is ``hub.to_nir(net,
convention="snntorch")``: snnTorch 1.0.0's ``import_from_nir`` reads it as ``Leaky`` layers
with ``beta = 1 - 1e-4/tau`` equal to the hub's ``exp(-dt/tau_m)`` and the threshold
unscaled (``r 1e-4/tau = 1``).  Measured: 485 output spikes in snnTorch, on NEST and on
Brian2, 0 of 600 (step, neuron) cells different.  snnTorch runs in float32: its membranes
stay within 1e-7 mV of the hub's float64 ones while no threshold decision of either layer
is closer than 2e-3 mV, so float32 changes no spike here."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from hub.errors import HubError

nir = pytest.importorskip("nir")

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "data" / "nir"


def script():
    spec = importlib.util.spec_from_file_location(
        "nir_roundtrip", ROOT / "scripts" / "nir_roundtrip.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def stored():
    with np.load(DATA / "hub_roundtrip.npz") as z:
        arrays = {k: z[k] for k in z.files}
    return arrays, json.loads((DATA / "hub_roundtrip.json").read_text())


def test_committed_graph_is_what_to_nir_writes():
    """The file snnTorch imported is ``hub.to_nir`` of the script's network today."""
    import hub

    graph = nir.read(str(DATA / "hub_roundtrip.nir"))
    again = hub.to_nir(script().network(), convention="snntorch")
    assert graph.metadata["source"] == "snntorch"
    assert sorted(graph.nodes) == sorted(again.nodes)
    assert sorted(map(tuple, graph.edges)) == sorted(map(tuple, again.edges))
    for key, node in graph.nodes.items():
        for name in ("weight", "tau", "r", "v_threshold", "v_reset", "v_leak"):
            if hasattr(node, name):
                np.testing.assert_array_equal(getattr(node, name), getattr(again.nodes[key], name))


@pytest.mark.parametrize("backend", ["nest", "brian2"])
def test_hub_side_against_snntorch(stored, backend):
    arrays, result = stored
    s = script()
    got = s.hub_outputs(arrays["inputs"], backend)
    np.testing.assert_array_equal(got, arrays[f"{backend}_spikes"])
    measured = s.agreement(arrays["snntorch_spikes"].astype(np.int64), got)
    assert measured == result[backend]
    assert measured == {
        "identical": True, "cells_differ": 0, "cells": 600, "spikes_snntorch": 485,
        "spikes_hub": 485, "max_count_diff": 0,
    }  # fmt: skip
    assert result["nest_equals_brian2"] is True
    layers = result["snntorch"]["layers"]
    # snnTorch's float32 beta is the hub's exact decay rounded to float32, the threshold 1
    exact = [np.float32(np.exp(-s.DT / tau)) for tau in s.TAU_MS]
    assert [np.float32(L["beta"][0]) for L in layers] == exact
    assert [L["threshold"] for L in layers] == [1.0, 1.0]
    assert all(L["reset_mechanism"] == "zero" and not L["reset_delay"] for L in layers)


def test_float32_cannot_flip_a_spike(stored):
    """The float64 reference of the hub's rule gives snnTorch's spikes, and snnTorch's float32
    membranes deviate from it far less than the closest threshold decision."""
    arrays, result = stored
    s = script()
    spikes, pre, _ = s.reference(arrays["inputs"])
    np.testing.assert_array_equal(spikes[-1], arrays["snntorch_spikes"])
    f32 = result["float32"]
    assert f32["reference_equals_snntorch"] is True
    margin = min(float(np.abs(v - 1.0).min()) for v in pre)
    assert margin == f32["min_margin_mV"]
    assert f32["max_float32_error_mV"] < 1e-6 < 2e-3 < margin


def snntorch_beta(node) -> np.ndarray:
    """snnTorch 1.0.0's import rule for a NIR LIF (float64, before its float32 tensor)."""
    return 1 - 1e-4 / np.asarray(node.tau, float)


def snntorch_threshold(node) -> np.ndarray:
    scale = np.asarray(node.r, float) * 1e-4 / np.asarray(node.tau, float)
    thr = np.asarray(node.v_threshold, float)
    return thr if np.allclose(scale, 1.0) else thr / np.unique(scale)[0]


@pytest.mark.parametrize("dt", [0.1, 0.025, 1.0])
def test_snntorch_export_encodes_exact_beta(dt):
    """Under snnTorch's reading rule, every LIF's beta is exp(-dt/tau_m) to the last bit,
    its input gain r dt/tau is 1 and its threshold unscaled."""
    import hub

    tau_m = np.array([2.5, 5.0, 7.3, 10.0, 20.0, 99.9, 1000.0])
    net = hub.Network(dt=dt)
    src = net.add_source(hub.SpikeTimes([[dt]] * 3), size=3, label="in")
    pops = []
    for k, tau in enumerate(tau_m):
        model = hub.LIF(synapse="delta", tau_m=float(tau), v_rest=0.0, v_reset=0.0,
                        v_thresh=0.5 + k, tau_refrac=0.0)  # fmt: skip
        pop = net.add_population(4, model, label=f"p{k}")
        net.connect(src, pop, hub.AllToAll(), hub.Static(weight=0.25, delay=dt))
        pops.append(pop)
    graph = hub.to_nir(net, convention="snntorch")
    for k, (pop, tau) in enumerate(zip(pops, tau_m)):
        node = graph.nodes[pop.label]
        assert type(node).__name__ == "LIF"
        np.testing.assert_array_equal(snntorch_beta(node), np.exp(-dt / tau))
        np.testing.assert_allclose(np.asarray(node.r) * 1e-4 / node.tau, 1.0, rtol=1e-15)
        assert np.all(node.v_leak == 0) and np.all(node.v_reset == 0)
        assert np.all(snntorch_threshold(node) == np.nextafter(0.5 + k, -np.inf))
        np.testing.assert_array_equal(graph.nodes[f"in->{pop.label}"].weight, 0.25)
    assert "Delay" not in {type(n).__name__ for n in graph.nodes.values()}


def test_snntorch_export_refuses_what_is_not_exact():
    """One NIRExportError listing every population and projection snnTorch cannot read back
    exactly."""
    import hub
    from hub_nir import NIRExportError

    net = hub.Network(dt=0.1)
    src = net.add_source(hub.SpikeTimes([[0.1]]), size=1, label="in")
    ok = dict(synapse="delta", tau_m=5.0, v_rest=0.0, v_reset=0.0, v_thresh=1.0, tau_refrac=0.0)
    a = net.add_population(2, hub.LIF(**{**ok, "v_rest": -1.0}), label="leaky_rest")
    b = net.add_population(2, hub.LIF(**{**ok, "v_reset": -0.5}), label="reset")
    c = net.add_population(2, hub.LIF(**{**ok, "synapse": "exp"}), label="cuba")
    d = net.add_population(2, hub.LIF(**{**ok, "tau_m": 1e300}), label="no_leak")
    e = net.add_population(2, hub.LIF(**ok), label="late")
    f = net.add_population(2, hub.LIF(**ok), label="skip")
    syn = hub.Static(weight=1.0, delay=0.1)
    for pop in (a, b, c, d, f):
        net.connect(src, pop, hub.AllToAll(), syn)
    net.connect(src, e, hub.AllToAll(), hub.Static(weight=1.0, delay=0.3))
    net.connect(e, f, hub.AllToAll(), syn)
    with pytest.raises(NIRExportError) as err:
        hub.to_nir(net, convention="snntorch")
    text = "\n".join(err.value.problems)
    for label in ("leaky_rest", "reset", "cuba", "no_leak", "skip"):
        assert f"population {label!r}" in text, label
    assert "delay != one step" in text
    with pytest.raises(HubError, match="convention"):
        hub.to_nir(net, convention="norse")

"""Reset by subtraction through NIR: snnTorch's default ``Leaky``/``Synaptic``
(``reset_mechanism="subtract"``, ``reset_delay=True``, convention "snntorch-subtract")
imports as ``LIFSubtract`` and gives, on Brian2, exactly the spikes of a numpy transcription
of snnTorch 1.0.0's own update (the reset decided from the stored membrane, as its
``mem_reset``); ``reset_delay=False`` is another rule (measured here: not the hub's);
NEST has no such model and refuses with a CapabilityError naming the feature; Sinabs' IAF
(several spikes per step, convention "sinabs") imports as ``LIFSubtract[spikes=many]`` and
gives on Brian2 exactly the counts of a numpy transcription of Sinabs' rule."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

nir = pytest.importorskip("nir")

import hub  # noqa: E402
import hub_nir  # noqa: E402
from hub_nir import conventions  # noqa: E402
from hub_nir.importer import NIRConventionWarning, plan  # noqa: E402

DT = 1e-4  # snnTorch's export step (s)


def snntorch_reference(x, layers, delay: bool) -> np.ndarray:
    """Output spikes (steps, n) of a chain of snnTorch layers, transcribed from snnTorch
    1.0.0's ``Leaky.forward``/``Synaptic.forward`` with ``reset_mechanism="subtract"``:
    ``reset = mem > thr`` from the stored membrane, ``syn = alpha syn + I``,
    ``mem = beta mem + (syn or I) - reset thr``, ``spk = mem > thr``; without reset delay
    ``mem -= (spk - reset) thr``."""
    state = [{"mem": np.zeros(len(L["beta"])), "syn": np.zeros(len(L["beta"]))} for L in layers]
    out = []
    for xt in x:
        h = xt.astype(float)
        for L, s in zip(layers, state):
            current = L["W"] @ h + L.get("b", 0.0)
            reset = (s["mem"] > L["thr"]).astype(float)
            if "alpha" in L:
                s["syn"] = L["alpha"] * s["syn"] + current
                current = s["syn"]
            s["mem"] = L["beta"] * s["mem"] + current - reset * L["thr"]
            spk = (s["mem"] > L["thr"]).astype(float)
            if not delay:
                s["mem"] = s["mem"] - (spk - reset) * L["thr"]
            h = spk
        out.append(h)
    return np.array(out, dtype=np.int64)


@pytest.fixture(scope="module")
def leaky_synaptic():
    """Input(6) -> Affine -> Leaky(10) -> Linear -> Synaptic(4) -> Output as snnTorch's
    export writes it (v_reset = 0: the reset is not recorded), and the layers' parameters."""
    rng = np.random.default_rng(5)
    W1, b1 = rng.normal(0.2, 0.5, (10, 6)), rng.normal(0.02, 0.05, 10)
    W2 = rng.normal(0.1, 0.4, (4, 10))
    beta1, beta2 = rng.uniform(0.7, 0.95, 10), rng.uniform(0.7, 0.95, 4)
    alpha2 = rng.uniform(0.5, 0.9, 4)
    tau1, tm2, ts2 = DT / (1 - beta1), DT / (1 - beta2), DT / (1 - alpha2)
    nodes = {
        "input": nir.Input(input_type={"input": np.array([6])}),
        "fc1": nir.Affine(weight=W1, bias=b1),
        "lif1": nir.LIF(
            tau=tau1, r=tau1 / DT, v_leak=0 * tau1, v_threshold=np.ones(10), v_reset=0 * tau1
        ),
        "fc2": nir.Linear(weight=W2),
        "lif2": nir.CubaLIF(
            tau_syn=ts2, tau_mem=tm2, r=tm2 / DT, v_leak=0 * tm2, v_threshold=np.full(4, 1.5),
            w_in=ts2 / DT,
        ),
        "output": nir.Output(output_type={"output": np.array([4])}),
    }  # fmt: skip
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2")]
    g = nir.NIRGraph(nodes=nodes, edges=[*edges, ("lif2", "output")])
    layers = [
        {"W": W1, "b": b1, "beta": beta1, "thr": 1.0},
        {"W": W2, "alpha": alpha2, "beta": beta2, "thr": 1.5},
    ]
    x = (rng.random((150, 6)) < 0.3).astype(np.int64)
    return g, layers, x


def test_snntorch_subtract_identical_on_brian2(leaky_synaptic):
    """144 output spikes in 150 steps, every one in its step; the file read as written
    (reset to zero, as snnTorch's own import does) differs in 115 of 600 cells."""
    g, layers, x = leaky_synaptic
    expected = snntorch_reference(x, layers, delay=True)
    y = hub_nir.run_nir(g, x, backend="brian2", convention="snntorch-subtract").outputs
    assert int(expected.sum()) == 144
    np.testing.assert_array_equal(y["output"], expected)
    as_written = hub_nir.run_nir(g, x, backend="brian2", convention="snntorch").outputs
    assert int(np.sum(as_written["output"] != expected)) == 115


def test_snntorch_subtract_without_reset_delay_is_another_rule(leaky_synaptic):
    """With ``reset_delay=False`` snnTorch subtracts the threshold once more before the spike
    test whenever the stored (already reduced) membrane is still above it, so it is not
    "subtract the threshold at once" (LIFSubtract with v_reset = v_thresh - threshold):
    here, where membranes climb to 4.6 thresholds, 110 of 600 output cells differ (the
    transcription was checked against snnTorch 1.0.0 itself: 144 and 159 spikes, no cell
    different, in both modes).  No convention claims it."""
    g, layers, x = leaky_synaptic
    nodelay = snntorch_reference(x, layers, delay=False)
    at_once = []  # the hub's rule: v = beta v + I; spike v > thr; v -= thr
    state = [{"mem": np.zeros(len(L["beta"])), "syn": np.zeros(len(L["beta"]))} for L in layers]
    for xt in x:
        h = xt.astype(float)
        for L, s in zip(layers, state):
            current = L["W"] @ h + L.get("b", 0.0)
            if "alpha" in L:
                s["syn"] = L["alpha"] * s["syn"] + current
                current = s["syn"]
            s["mem"] = L["beta"] * s["mem"] + current
            h = (s["mem"] > L["thr"]).astype(float)
            s["mem"] = s["mem"] - h * L["thr"]
        at_once.append(h)
    assert int(np.sum(np.array(at_once) != nodelay)) == 110
    assert "snntorch-subtract-nodelay" not in conventions.CONVENTIONS


def test_subtracting_conventions_build_lifsubtract():
    """Leaky -> LIFSubtract[spikes=one,synapse=delta]: a spike subtracts threshold / beta at
    once, so that the next step's beta (v - threshold / beta) is snnTorch's beta v -
    threshold."""
    g = nir.NIRGraph.from_list(
        nir.Input(input_type={"input": np.array([2])}),
        nir.Linear(weight=np.eye(2)),
        nir.LIF(
            tau=np.full(2, 1e-3), r=np.full(2, 10.0), v_leak=np.zeros(2),
            v_threshold=np.ones(2), v_reset=np.zeros(2),
        ),
        nir.Output(output_type={"output": np.array([2])}),
    )  # fmt: skip
    key = next(k for k, v in g.nodes.items() if type(v).__name__ == "LIF")
    m = plan(g, convention="snntorch-subtract").specs[key].model
    assert m.label == "LIFSubtract[spikes=one,synapse=delta]"
    sub = np.asarray(m.value("v_thresh")) - np.asarray(m.value("v_reset"))
    np.testing.assert_allclose(sub, 1 / 0.9, rtol=1e-15)
    assert plan(g, convention="snntorch").specs[key].model.label == "LIF[synapse=delta]"


def test_nest_refuses_subtractive_reset_naming_the_feature(leaky_synaptic):
    g, _, x = leaky_synaptic
    with pytest.raises(hub.CapabilityError) as err:
        hub_nir.run_nir(g, x, backend="nest", convention="snntorch-subtract")
    text = str(err.value)
    assert "nest" in text and "neuron:LIFSubtract[spikes=one,synapse=delta]" in text
    assert "supported by: brian2" in text


def test_metadata_can_say_the_reset():
    """No exporter writes it, but a graph whose metadata states snnTorch's reset gets the
    subtracting convention; the plain "snntorch" stays reset to zero."""
    detect = conventions.detect
    assert detect({"source": "snntorch"}) == "snntorch"
    assert detect({"source": "snntorch", "reset_mechanism": "subtract"}) == "snntorch-subtract"
    meta = {"source": "snntorch", "reset_mechanism": "subtract", "reset_delay": False}
    assert detect(meta) == "snntorch"  # another rule, no convention of its own
    assert detect({"source": "snntorch-subtract"}) == "snntorch-subtract"
    assert detect({"source": "norse", "reset": "subtract"}) == "norse"  # no such variant


def sinabs_reference(x, W, thr) -> np.ndarray:
    """Output spike counts (steps, n) of Sinabs' IAF with its default MultiSpike and
    MembraneSubtract, transcribed from Sinabs' rule: ``v += W x``; ``k = floor(v / thr)``
    where ``v >= thr`` (else 0); ``v -= k thr``."""
    v, out = np.zeros(len(thr)), []
    for xt in x:
        v = v + W @ xt
        k = np.where(v >= thr, np.floor(v / thr), 0.0)
        v = v - k * thr
        out.append(k.astype(np.int64))
    return np.asarray(out)


@pytest.mark.parametrize("backend", ["brian2", "chip"])
def test_sinabs_iaf_several_spikes_per_step(backend):
    """Sinabs' IAF (NIR ``IF``, r = 1) under convention "sinabs": LIFSubtract[spikes=many]
    with v_thresh = threshold gives, on Brian2, exactly the counts of the rule above (297
    spikes, 87 of 120 cells with 2 to 8 spikes in one step); the chip (8-bit weights) stays
    within one spike per cell (measured: 4 of 120 cells differ by one, 297 spikes)."""
    rng = np.random.default_rng(4)
    W = rng.uniform(0.2, 0.9, (4, 3))
    thr = np.array([1.0, 0.75, 0.5, 1.3])
    x = rng.integers(0, 3, (30, 3))
    g = nir.NIRGraph.from_list(
        nir.Input(input_type={"input": np.array([3])}),
        nir.Linear(weight=W),
        nir.IF(r=np.ones(4), v_threshold=thr, v_reset=np.zeros(4)),
        nir.Output(output_type={"output": np.array([4])}),
    )
    want = sinabs_reference(x, W, thr)
    assert want.max() == 8 and int(np.sum(want >= 2)) == 87 and want.sum() == 297
    net = hub_nir.from_nir(g, convention="sinabs")
    labels = {p.model.label for p in net.populations if not p.is_source}
    assert labels == {"LIFSubtract[spikes=many,synapse=delta]"}
    got = hub_nir.run_nir(g, x, backend=backend, convention="sinabs").outputs["output"]
    if backend == "brian2":
        np.testing.assert_array_equal(got, want)
    else:
        assert int(np.abs(got - want).max()) <= 1
        assert int(np.sum(got != want)) <= 12


def test_several_spikes_per_step_refused_by_nest():
    """NEST has no model that subtracts: a Sinabs or Rockpool spiking node is a
    CapabilityError naming the several-spike model and the backends that run it."""
    g = nir.NIRGraph.from_list(
        nir.Input(input_type={"input": np.array([2])}),
        nir.IF(r=np.ones(2), v_threshold=np.ones(2), v_reset=np.zeros(2)),
        nir.Output(output_type={"output": np.array([2])}),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NIRConventionWarning)
        with pytest.raises(hub.CapabilityError) as err:
            hub_nir.run_nir(g, np.ones((3, 2), np.int64), backend="nest", convention="sinabs")
    text = str(err.value)
    assert "neuron:LIFSubtract[spikes=many,synapse=delta]" in text
    assert "supported by: brian2, chip" in text


def test_rockpool_import_exports_back_to_the_same_graph():
    """Rockpool's fixture -> hub (LIFSubtract[spikes=many]) -> NIR in the "rockpool"
    convention: the thresholds as written (the frameworks' ``>=``, no nextafter), time
    constants (exact decays: tau = step tau_m / dt, formerly read back as Euler's and 5 %
    off), r, w_in, and the weights within 1e-16."""
    path = "tests/data/nir/rockpool_tiny.nir"
    g = nir.read(path, type_check=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NIRConventionWarning)
        net = hub_nir.from_nir(path)
    g2 = hub_nir.to_nir(net)
    assert g2.metadata["source"] == "rockpool"
    for node in ("1_LIFTorch", "3_LIFTorch"):
        for f in ("tau_mem", "tau_syn", "r", "w_in", "v_leak", "v_threshold", "v_reset"):
            want = np.asarray(getattr(g.nodes[node], f), float).ravel()
            np.testing.assert_array_equal(getattr(g2.nodes[node], f), want, err_msg=f)
    pairs = (("0_LinearTorch", "input->1_LIFTorch"), ("2_LinearTorch", "1_LIFTorch->3_LIFTorch"))
    for a, b in pairs:
        np.testing.assert_allclose(g2.nodes[b].weight, g.nodes[a].weight, rtol=0, atol=1e-16)


# --- export: a subtracting network goes back out in its convention -------------------------------
SUBTRACT_FIXTURE = "tests/data/nir/snntorch_digits_subtract.nir"


def test_subtracting_import_exports_back_to_the_same_graph_and_rule():
    """snnTorch's default-reset digits (the real export) -> hub (LIFSubtract) -> NIR: the same
    nodes, parameters (v_reset as the file wrote it, 0) and composed weights, and metadata
    that names the rule (``reset_mechanism="subtract"``), so reading the written graph without
    ``convention=`` gives the same hub network again."""
    from test_nir import assert_same_graph

    g = nir.read(SUBTRACT_FIXTURE)
    net = hub_nir.from_nir(g, convention="snntorch-subtract")
    kinds = {p.label: type(p.model).__name__ for p in net.populations if not p.is_source}
    assert "LIFSubtract" in kinds.values(), kinds
    g2 = hub_nir.to_nir(net)
    assert g2.metadata["source"] == "snntorch"
    assert g2.metadata["reset_mechanism"] == "subtract" and g2.metadata["reset_delay"] is True
    assert_same_graph(g2, g)
    again = hub_nir.from_nir(g2)  # the convention from the written metadata
    assert again.metadata["nir"]["convention"] == "snntorch-subtract"
    r1, r2 = hub.resolve(net, 10.0), hub.resolve(again, 10.0)
    for label, pop in r1.populations.items():
        assert type(r2.populations[label].model) is type(pop.model)
        for name, value in pop.params.items():
            np.testing.assert_allclose(
                r2.populations[label].params[name], value, rtol=1e-12, err_msg=f"{label}.{name}"
            )


def test_a_hub_made_subtracting_network_has_no_nir_form():
    """NIR resets to v_reset: a LIFSubtract population that did not come from a subtracting
    import is one of the export's listed problems."""
    net = hub.Network(dt=1.0)
    src = net.add_source(hub.SpikeTimes([1.0]), size=1, label="src")
    cells = net.add_population(2, hub.LIFSubtract(synapse="delta"), label="cells")
    net.connect(src, cells, hub.AllToAll(), hub.Static(weight=1.0, delay=1.0))
    with pytest.raises(hub_nir.NIRExportError) as err:
        hub_nir.to_nir(net)
    assert "population 'cells': LIFSubtract (NIR resets to v_reset" in str(err.value)

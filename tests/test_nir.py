"""hub_nir: NIR graphs in and out of the hub (docs/nir.md).

Every imported graph is run on NEST and Brian2 and compared with an independent numpy
reference of the source framework's update rule (``Reference`` below, written from the
conventions' equations, not from the importer); convolution and pooling are compared with
a direct convolution; the round trips compare resolved arrays and graph parameters.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

nir = pytest.importorskip("nir")

import hub  # noqa: E402
import hub_nir  # noqa: E402
from hub.cli import main  # noqa: E402
from hub_nir import unroll  # noqa: E402
from hub_nir.importer import NIRTimingWarning  # noqa: E402

BACKENDS = ["nest", "brian2"]
RNG = np.random.default_rng


# --- an independent reference: the frameworks' per-step update, layer after layer ------------
class Reference:
    """Layers computed in order within each step (snnTorch/Norse/Lava style):
    ``("LIF"|"LI", a, k, v_leak, theta, v_reset)``, ``("IF"|"I", r, theta, v_reset)``,
    ``("Cuba", a_s, k_s, a_m, c, theta, v_reset, lag)``, ``("Thr", theta)``; each with its
    input weights W, bias b and optional recurrent weights (previous step's own spikes)."""

    def __init__(self):
        self.layers = []

    def add(self, kind, W, b=None, rec=None, **p):
        self.layers.append(dict(kind=kind, W=np.asarray(W, float), b=b, rec=rec, **p))
        return self

    def run(self, x):
        n = [len(L["W"]) for L in self.layers]
        v = [np.zeros(k) for k in n]
        i = [np.zeros(k) for k in n]
        s_prev = [np.zeros(k) for k in n]
        out = [[] for _ in self.layers]
        for t in range(len(x)):
            h = np.asarray(x[t], float)
            for j, L in enumerate(self.layers):
                inp = L["W"] @ h + (0 if L["b"] is None else L["b"])
                if L["rec"] is not None:
                    inp = inp + L["rec"] @ s_prev[j]
                kind = L["kind"]
                if kind in ("LIF", "LI"):
                    v[j] = L["a"] * v[j] + (1 - L["a"]) * L["v_leak"] + L["k"] * inp
                elif kind in ("IF", "I"):
                    v[j] = v[j] + L["r"] * inp
                elif kind == "Cuba":
                    if L["lag"]:
                        v[j] = L["a_m"] * v[j] + L["c"] * i[j]
                        i[j] = L["a_s"] * i[j] + L["k_s"] * inp
                    else:
                        i[j] = L["a_s"] * i[j] + L["k_s"] * inp
                        v[j] = L["a_m"] * v[j] + L["c"] * i[j]
                if kind == "Thr":
                    s = (inp > L["theta"]).astype(float)
                elif kind in ("LI", "I"):
                    s = v[j].copy()  # analog readout
                else:
                    s = (v[j] > L["theta"]).astype(float)
                    v[j] = np.where(s > 0, L["v_reset"], v[j])
                s_prev[j] = s
                out[j].append(s)
                h = s
        return [np.array(o) for o in out]


def graph(nodes: dict, edges: list, **meta):
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)


def spikes_in(steps, n, p=0.3, seed=0):
    return (RNG(seed).random((steps, n)) < p).astype(np.int64)


def inp(n):
    return nir.Input(input_type={"input": np.array([n])})


def out(n):
    return nir.Output(output_type={"output": np.array([n])})


def run(g, x, backend, **kw):
    return hub_nir.run_nir(g, x, backend=backend, **kw).outputs


# --- snnTorch: Leaky (LIF) and Synaptic (CubaLIF) ----------------------------------------------
def snntorch_lif(beta, thr, dt=1e-4):
    tau = dt / (1 - beta)
    return nir.LIF(tau=tau, r=tau / dt, v_leak=0 * tau, v_threshold=thr, v_reset=0 * tau)


def snntorch_cuba(alpha, beta, thr, dt=1e-4):
    ts, tm = dt / (1 - alpha), dt / (1 - beta)
    return nir.CubaLIF(
        tau_syn=ts, tau_mem=tm, r=tm / dt, v_leak=0 * tm, v_threshold=thr, w_in=ts / dt
    )


@pytest.fixture(scope="module")
def two_layer():
    """Input(5) -> Affine -> Leaky(8) -> Linear -> Synaptic(3) -> Output, snnTorch's export."""
    rng = RNG(1)
    W1, b1 = rng.normal(0.5, 0.6, (8, 5)), rng.normal(0.05, 0.05, 8)
    W2 = rng.normal(0.4, 0.5, (3, 8))
    beta1 = rng.uniform(0.7, 0.95, 8)
    alpha2, beta2 = rng.uniform(0.5, 0.9, 3), rng.uniform(0.7, 0.95, 3)
    g = graph(
        {
            "input": inp(5),
            "fc1": nir.Affine(weight=W1, bias=b1),
            "lif1": snntorch_lif(beta1, np.ones(8)),
            "fc2": nir.Linear(weight=W2),
            "lif2": snntorch_cuba(alpha2, beta2, np.full(3, 1.5)),
            "output": out(3),
        },
        [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")],
        source="snntorch",
    )
    ref = Reference()
    ref.add("LIF", W1, b1, a=beta1, k=1.0, v_leak=0.0, theta=1.0, v_reset=0.0)
    ref.add("Cuba", W2, a_s=alpha2, k_s=1.0, a_m=beta2, c=1.0, theta=1.5, v_reset=0.0, lag=0)
    x = spikes_in(120, 5, seed=2)
    return g, x, ref.run(x)[-1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_snntorch_leaky_synaptic_identical_to_reference(two_layer, backend):
    g, x, expected = two_layer
    y = run(g, x, backend)["output"]  # convention detected from metadata["source"]
    assert expected.sum() > 20
    np.testing.assert_array_equal(y, expected)


def test_snntorch_on_chip_statistically(two_layer):
    g, x, expected = two_layer
    y = run(g, x, "chip")["output"]
    assert abs(y.sum() - expected.sum()) <= 0.1 * expected.sum()


def test_chip_refuses_membrane_readouts():
    g = graph(
        {"input": inp(2), "w": nir.Linear(weight=np.eye(2)),
         "li": nir.LI(tau=np.full(2, 1e-3), r=np.ones(2), v_leak=np.zeros(2)), "o": out(2)},
        [("input", "w"), ("w", "li"), ("li", "o")],
    )  # fmt: skip
    with pytest.raises(hub.HubError, match="membrane readouts"):
        run(g, np.ones((5, 2), np.int64), "chip")


# --- Norse LIFCell (CubaLIF, lag 0 as Norse 1.1.0) in a nested subgraph -------------------------
def norse_cuba(ts, tm, thr, dt=1e-3, bug=True):
    """A LIFCell as Norse 1.1.0's to_nir writes it: tau = dt / tau_inv = dt * tau (``bug``)."""
    f = dt if bug else 1.0
    n = len(ts)
    return nir.CubaLIF(
        tau_syn=ts * f, tau_mem=tm * f, r=np.ones(n), v_leak=np.zeros(n),
        v_threshold=np.full(n, thr), w_in=np.ones(n),
    )  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bug", [True, False], ids=["dt*tau", "tau"])
def test_norse_cuba_subgraph(backend, bug):
    """Norse 1.1.0's LIFCell: ``i += I[t]``, then v integrates the new i (lag 0); the written
    ``dt * tau`` is undone (and a true tau, as a fixed exporter would write it, is kept)."""
    rng = RNG(3)
    n = 6
    W = rng.normal(0.8, 0.5, (n, 4))
    tm, ts, dt = rng.uniform(0.005, 0.02, n), rng.uniform(0.002, 0.01, n), 1e-3
    sub = graph(
        {"input": inp(n), "lif": norse_cuba(ts, tm, 0.3, bug=bug), "output": out(n)},
        [("input", "lif"), ("lif", "output")],
    )
    g = graph(
        {"input": inp(4), "fc": nir.Linear(weight=W), "rnn": sub, "output": out(n)},
        [("input", "fc"), ("fc", "rnn"), ("rnn", "output")],
    )
    ref = Reference().add(
        "Cuba", W, a_s=1 - dt / ts, k_s=1.0, a_m=1 - dt / tm, c=dt / tm, theta=0.3,
        v_reset=0.0, lag=0,
    )  # fmt: skip
    x = spikes_in(150, 4, 0.4, seed=4)
    expected = ref.run(x)[0]
    y = run(g, x, backend, convention="norse")["output"]
    assert expected.sum() > 20
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("convention", ["snntorch", "norse"])
def test_recurrent_synaptic_warns_about_latency(convention):
    """snnTorch's RSynaptic and Norse 1.1.0's recurrent LIFCell: a spike reaches v in the next
    step through the synaptic current, which takes the hub two steps."""
    n = 3
    cuba = {
        "snntorch": snntorch_cuba(np.full(n, 0.8), np.full(n, 0.9), np.ones(n)),
        "norse": norse_cuba(np.full(n, 5e-3), np.full(n, 1e-2), 1.0),
    }[convention]
    sub = graph(
        {
            "input": inp(n),
            "lif": cuba,
            "rec": nir.Linear(weight=np.eye(n)),
            "output": out(n),
        },
        [("input", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "output")],
    )
    with pytest.warns(NIRTimingWarning, match="more latency"):
        net = hub_nir.from_nir(sub, convention=convention)
    assert {p.label for p in net.projections} >= {"lif->lif"}


# --- every other node type, Lava/snnTorch-style forward Euler ----------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_if_threshold_scale_delay_li_i(backend):
    """Input -> Linear -> Scale -> IF -> Linear -> Delay(2 steps) -> Threshold -> Linear ->
    LI (readout) and -> I (readout); IF reset to v_reset = -0.2."""
    rng = RNG(5)
    W1, s, W2, W3 = (
        rng.normal(0.5, 0.4, (5, 3)), rng.uniform(0.5, 1.5, 5), rng.normal(0.6, 0.4, (4, 5)),
        rng.normal(0, 1, (2, 4)),
    )  # fmt: skip
    dt, tau = 1e-4, np.array([2e-3, 5e-4])
    nodes = {
        "input": inp(3),
        "fc1": nir.Linear(weight=W1),
        "scale": nir.Scale(scale=s),
        "if": nir.IF(r=np.full(5, 0.5), v_threshold=np.ones(5), v_reset=np.full(5, -0.2)),
        "fc2": nir.Linear(weight=W2),
        "delay": nir.Delay(delay=np.full(4, 2 * dt)),
        "thr": nir.Threshold(threshold=np.full(4, 0.5)),
        "fc3": nir.Linear(weight=W3),
        "li": nir.LI(tau=tau, r=np.array([2.0, 1.0]), v_leak=np.array([0.1, -0.3])),
        "int": nir.I(r=np.array([1.0, 0.5])),
        "out_li": out(2),
        "out_i": out(2),
    }
    edges = [
        ("input", "fc1"), ("fc1", "scale"), ("scale", "if"), ("if", "fc2"), ("fc2", "delay"),
        ("delay", "thr"), ("thr", "fc3"), ("fc3", "li"), ("fc3", "int"), ("li", "out_li"),
        ("int", "out_i"),
    ]  # fmt: skip
    g = graph(nodes, edges)
    x = spikes_in(80, 3, 0.5, seed=6)
    ref = Reference()
    ref.add("IF", W1 * s[:, None], r=0.5, theta=1.0, v_reset=-0.2)
    if_spikes = ref.run(x)[0]
    delayed = np.vstack([np.zeros((2, 5)), if_spikes[:-2]])
    thr = (delayed @ W2.T > 0.5).astype(float)
    a = 1 - dt / tau
    integ = np.zeros(2)
    exp_li, exp_i = [], []
    v_li = np.array([0.1, -0.3])  # the hub starts a node at rest (v = v_leak)
    for t in range(len(x)):
        v_li = (
            a * v_li
            + (1 - a) * np.array([0.1, -0.3])
            + np.array([2.0, 1.0]) * dt / tau * (W3 @ thr[t])
        )
        integ = integ + np.array([1.0, 0.5]) * (W3 @ thr[t])
        exp_li.append(v_li.copy())
        exp_i.append(integ.copy())
    outs = run(g, x, backend, convention="lava")
    assert thr.sum() > 10
    np.testing.assert_allclose(outs["out_li"], exp_li, rtol=0, atol=1e-12)
    np.testing.assert_allclose(outs["out_i"], exp_i, rtol=0, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nir_as_written_nest_equals_brian2_and_exact_decay(backend):
    """convention None: exact integration; a LIF with v_leak = 1.2 > threshold fires alone
    at the closed-form period, and one input spike moves v by r (1 - exp(-dt/tau)) w."""
    tau, dt = 0.01, 0.1
    g = graph(
        {
            "input": inp(1),
            "w": nir.Linear(weight=np.array([[0.0], [3.0]])),
            "lif": nir.LIF(
                tau=np.full(2, tau),
                r=np.ones(2),
                v_leak=np.array([1.2, 0.0]),
                v_threshold=np.ones(2),
                v_reset=np.zeros(2),
            ),  # fmt: skip
            "o": out(2),
        },
        [("input", "w"), ("w", "lif"), ("lif", "o")],
    )
    x = np.zeros((400, 1), np.int64)
    y = run(g, x, backend, dt=dt)["o"]
    # v(t) = 1.2 (1 - exp(-t/tau)) reaches 1 at t = tau ln 6 = 17.92 ms: step 179 (0-based)
    first = int(np.argmax(y[:, 0]))
    k = np.arange(1, 400)
    v = 1.2 * (1 - np.exp(-k * dt / (tau * 1000)))
    assert first == int(np.argmax(v > 1.0))
    assert y[:, 1].sum() == 0


def test_nest_and_brian2_identical_nir_reading():
    rng = RNG(8)
    W = rng.normal(2.0, 2.0, (10, 4))
    g = graph(
        {
            "input": inp(4),
            "fc": nir.Affine(weight=W, bias=rng.normal(0, 0.5, 10)),
            "lif": nir.CubaLIF(
                tau_syn=np.full(10, 0.005),
                tau_mem=np.full(10, 0.02),
                r=np.full(10, 2.0),
                v_leak=np.zeros(10),
                v_threshold=np.full(10, 0.5),
                w_in=np.full(10, 40.0),
            ),  # fmt: skip
            "o": out(10),
        },
        [("input", "fc"), ("fc", "lif"), ("lif", "o")],
    )
    x = spikes_in(300, 4, 0.2, seed=9)
    a, b = (run(g, x, be)["o"] for be in BACKENDS)
    assert a.sum() > 20
    np.testing.assert_array_equal(a, b)


# --- convolution and pooling ------------------------------------------------------------------
def direct_conv2d(x, w, b, stride, pad, dil, groups):
    """Naive loops over the output (PyTorch's definition), zero padding."""
    c_in, h, wd = x.shape
    c_out, cg, kh, kw = w.shape
    xp = np.zeros((c_in, h + 2 * pad[0], wd + 2 * pad[1]))
    xp[:, pad[0] : pad[0] + h, pad[1] : pad[1] + wd] = x
    ho = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((c_out, ho, wo))
    per = c_out // groups
    for o in range(c_out):
        gi = o // per
        for i in range(ho):
            for j in range(wo):
                patch = xp[
                    gi * cg : (gi + 1) * cg,
                    i * stride[0] : i * stride[0] + dil[0] * (kh - 1) + 1 : dil[0],
                    j * stride[1] : j * stride[1] + dil[1] * (kw - 1) + 1 : dil[1],
                ]
                y[o, i, j] = (patch * w[o]).sum() + b[o]
    return y


@pytest.mark.parametrize(
    "stride,pad,dil,groups",
    [((1, 1), (0, 0), (1, 1), 1), ((2, 1), (1, 2), (1, 1), 1), ((1, 2), (2, 1), (2, 1), 2)],
)
def test_conv2d_unrolling_matches_direct_convolution(stride, pad, dil, groups):
    rng = RNG(10)
    x = rng.normal(size=(4, 7, 8))
    w = rng.normal(size=(6, 4 // groups, 3, 2))
    b = rng.normal(size=6)
    mat, bias, shape = unroll.conv2d(w, b, x.shape, stride, pad, dil, groups)
    y = (mat.to_dense() @ x.ravel() + bias).reshape(shape)
    np.testing.assert_allclose(y, direct_conv2d(x, w, b, stride, pad, dil, groups), atol=1e-12)


def test_conv_same_conv1d_and_pooling_match_direct_computation():
    from scipy.signal import correlate

    rng = RNG(11)
    x = rng.normal(size=(1, 6, 6))
    w = rng.normal(size=(1, 1, 3, 3))
    mat, _, shape = unroll.conv2d(w, None, x.shape, 1, "same", 1, 1)
    expected = correlate(x[0], w[0, 0], mode="same")
    np.testing.assert_allclose((mat.to_dense() @ x.ravel()).reshape(shape)[0], expected)
    x1 = rng.normal(size=(2, 9))
    w1 = rng.normal(size=(3, 2, 3))
    mat, b, shape = unroll.conv1d(w1, np.zeros(3), x1.shape, 2, 1, 1, 1)
    ref = direct_conv2d(x1[:, None, :], w1[:, :, None, :], np.zeros(3), (1, 2), (0, 1), (1, 1), 1)
    np.testing.assert_allclose((mat.to_dense() @ x1.ravel()).reshape(shape), ref[:, 0])
    xp = rng.normal(size=(3, 6, 6))
    for average in (False, True):
        mat, _, shape = unroll.pool2d((2, 2), (2, 2), (0, 0), xp.shape, average)
        pooled = xp.reshape(3, 3, 2, 3, 2).sum(axis=(2, 4)) / (4 if average else 1)
        np.testing.assert_allclose((mat.to_dense() @ xp.ravel()).reshape(shape), pooled)


@pytest.mark.parametrize("backend", BACKENDS)
def test_conv_pool_flatten_graph_runs_like_its_unrolled_reference(backend):
    """Input(1x6x6) -> Conv2d(2 ch, 3x3, bias) -> IF -> SumPool2d(2) -> Flatten ->
    AvgPool-free Linear -> LIF, Lava's convention; reference: direct convolution each step."""
    rng = RNG(12)
    w = rng.normal(0.4, 0.5, (2, 1, 3, 3))
    b = np.array([0.05, -0.02])
    lin = rng.normal(0.5, 0.5, (3, 8))
    dt = 1e-4
    nodes = {
        "input": nir.Input(input_type={"input": np.array([1, 6, 6])}),
        "conv": nir.Conv2d(
            input_shape=(6, 6), weight=w, stride=1, padding=0, dilation=1, groups=1, bias=b
        ),
        "if": nir.IF(r=np.ones((2, 4, 4)), v_threshold=np.ones((2, 4, 4))),
        "pool": nir.SumPool2d(
            kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])
        ),  # fmt: skip
        "flat": nir.Flatten(input_type={"input": np.array([2, 2, 2])}, start_dim=0),
        "fc": nir.Linear(weight=lin),
        "lif": snntorch_lif(np.full(3, 0.9), np.ones(3), dt),
        "o": out(3),
    }
    edges = [("input", "conv"), ("conv", "if"), ("if", "pool"), ("pool", "flat"),
             ("flat", "fc"), ("fc", "lif"), ("lif", "o")]  # fmt: skip
    g = nir.NIRGraph(nodes=nodes, edges=edges, metadata={}, type_check=True)
    x = spikes_in(60, 36, 0.3, seed=13)
    v_if, v_lif, expected = np.zeros((2, 4, 4)), np.zeros(3), []
    for t in range(60):
        v_if += direct_conv2d(x[t].reshape(1, 6, 6), w, b, (1, 1), (0, 0), (1, 1), 1)
        s = v_if > 1.0
        v_if[s] = 0.0
        pooled = s.astype(float).reshape(2, 2, 2, 2, 2).sum(axis=(2, 4)).ravel()
        v_lif = 0.9 * v_lif + lin @ pooled
        z = v_lif > 1.0
        v_lif[z] = 0.0
        expected.append(z.astype(float))
    y = run(g, x, backend, convention="lava")["o"]
    assert np.sum(expected) > 10
    np.testing.assert_array_equal(y, np.array(expected))


# --- errors -------------------------------------------------------------------------------------
def test_unknown_node_is_a_clear_error():
    from dataclasses import dataclass

    @dataclass(eq=False)
    class Spooky(nir.NIRNode):
        x: np.ndarray

        def __post_init__(self):
            self.input_type = {"input": np.array([2])}
            self.output_type = {"output": np.array([2])}

    g = nir.NIRGraph(
        nodes={"input": inp(2), "ghost": Spooky(np.zeros(2)), "o": out(2)},
        edges=[("input", "ghost"), ("ghost", "o")],
        type_check=False,
    )
    with pytest.raises(hub.HubError, match="node 'ghost' is a Spooky"):
        hub_nir.from_nir(g)


def test_analog_node_feeding_a_neuron_and_bad_convention_are_errors():
    g = graph(
        {
            "input": inp(2),
            "li": nir.LI(tau=np.ones(2), r=np.ones(2), v_leak=np.zeros(2)),
            "w": nir.Linear(weight=np.eye(2)),
            "lif": nir.IF(r=np.ones(2), v_threshold=np.ones(2)),
            "o": out(2),
        },
        [("input", "li"), ("li", "w"), ("w", "lif"), ("lif", "o")],
    )
    with pytest.raises(hub.HubError, match="membrane"):
        hub_nir.from_nir(g)
    with pytest.raises(hub.HubError, match="convention='brian'"):
        hub_nir.from_nir(g, convention="brian")


def test_export_lists_every_offending_part():
    net = hub.Network(dt=0.1)
    a = net.add_population(2, hub.LIF(synapse="alpha"), label="alpha")
    b = net.add_population(2, hub.LIF(tau_refrac=2.0, tau_syn_E=2.0), label="refr")
    c = net.add_population(2, hub.Izhikevich(), label="izh")
    net.connect(a, b, hub.AllToAll(), hub.Plastic(hub.STDP(), weight=0.1), label="stdp")
    net.inject(c, hub.DCSource(amplitude=1.0))
    with pytest.raises(hub_nir.NIRExportError) as info:
        hub_nir.to_nir(net)
    text = "\n".join(info.value.problems)
    for part in ("'alpha'", "tau_refrac", "tau_syn_E != tau_syn_I", "'izh'", "injection", "stdp"):
        assert part in text


# --- round trips ---------------------------------------------------------------------------------
def hub_network():
    rng = RNG(14)
    net = hub.Network(dt=0.1, seed=3)
    src = net.add_source(hub.SpikeTimes([[1.0, 2.0], [1.5]]), size=2, label="src")
    d = net.add_population(
        5, hub.LIF(synapse="delta", tau_refrac=0.0, tau_m=rng.uniform(10, 30, 5)), label="d"
    )
    e = net.add_population(
        4, hub.LIF(tau_refrac=0.0, tau_syn_E=3.0, tau_syn_I=3.0, cm=0.5), label="e"
    )
    net.connect(src, d, hub.AllToAll(), hub.Static(weight=rng.uniform(1, 5, 10), delay=0.1))
    net.connect(d, e, hub.FixedProbability(0.6), hub.Static(weight=0.7, delay=0.3))
    net.connect(
        d, e, hub.FixedProbability(0.5), hub.Static(weight=-0.4, delay=0.1, receptor="inhibitory")
    )
    net.connect(e, d, hub.OneToOne() if False else hub.AllToAll(), hub.Static(2.0, delay=1.2))
    net.record(d, "spikes")
    net.record(e, "spikes")
    return net


def connections(resolved):
    """{(pre, post): sorted rows of (pre_idx, post_idx, delay, weight summed)}."""
    out = {}
    for p in resolved.projections:
        rows = out.setdefault((p.pre, p.post), {})
        for i, j, d, w in zip(p.pre_idx, p.post_idx, p.delay_steps, p.weight):
            rows[(int(i), int(j), int(d))] = rows.get((int(i), int(j), int(d)), 0.0) + w
    return out


def test_hub_to_nir_to_hub_gives_the_same_resolved_network(tmp_path):
    net = hub_network()
    g = hub_nir.to_nir(net)
    assert g.metadata["exporter"] == "snn-hub"
    path = tmp_path / "net.nir"
    nir.write(path, g)
    back = hub_nir.from_nir(path)  # "hub" convention and dt from the file's metadata
    r1, r2 = hub.resolve(net, 10.0), hub.resolve(back, 10.0)
    assert r2.dt == r1.dt
    for label in ("d", "e"):
        p1, p2 = r1.populations[label], r2.populations[label]
        assert p1.model.synapse == p2.model.synapse
        for name, value in p1.params.items():
            if label == "d" and name == "cm":
                continue  # irrelevant to LIF[synapse=delta] without currents: written as 1
            np.testing.assert_allclose(p2.params[name], value, rtol=1e-12, err_msg=name)
    c1, c2 = connections(r1), connections(r2)
    assert c1.keys() == c2.keys()
    for key in c1:
        assert c1[key].keys() == c2[key].keys()
        np.testing.assert_allclose(
            [c2[key][k] for k in c1[key]], list(c1[key].values()), rtol=1e-12
        )


def canonical(g):
    """Neuron parameters and the composed map (weights, bias) into each neuron."""
    flat = {k: v for k, v in g.nodes.items()}
    params = {}
    for k, v in flat.items():
        if type(v).__name__ in ("LIF", "CubaLIF", "LI", "IF"):
            params[k] = {
                f: np.asarray(getattr(v, f), float)
                for f in (
                    "tau",
                    "tau_mem",
                    "tau_syn",
                    "r",
                    "v_leak",
                    "v_threshold",
                    "v_reset",
                    "w_in",
                )  # fmt: skip
                if hasattr(v, f)
            }
    weights = {}
    for a, b in g.edges:
        node = flat[b]
        if type(node).__name__ in ("Linear", "Affine"):
            (dst,) = [d for s, d in g.edges if s == b]
            bias = np.asarray(getattr(node, "bias", np.zeros(len(node.weight))))
            weights[(a, dst)] = (np.asarray(node.weight, float), bias)
    return params, weights


@pytest.mark.parametrize("convention", ["snntorch", None])
def test_nir_to_hub_to_nir_gives_the_same_graph(two_layer, convention):
    g, _, _ = two_layer
    net = hub_nir.from_nir(g, convention=convention)
    assert_same_graph(hub_nir.to_nir(net), g)


def assert_same_graph(got, expected):
    """The same neuron nodes with parameters equal to float precision, and the same composed
    weights and biases into each neuron (:func:`canonical`)."""
    p1, w1 = canonical(expected)
    p2, w2 = canonical(got)
    assert p1.keys() == p2.keys() and w1.keys() == w2.keys()
    for node in p1:
        for f, value in p1[node].items():
            np.testing.assert_allclose(p2[node][f], value, rtol=1e-9, err_msg=f"{node}.{f}")
    for key in w1:
        for x1, x2 in zip(w1[key], w2[key]):
            np.testing.assert_allclose(x2, x1, rtol=1e-9, atol=1e-15, err_msg=str(key))


# --- the .nir model format --------------------------------------------------------------------
def test_nir_format_through_load_save_and_the_command_line(tmp_path, two_layer, capsys):
    g, _, _ = two_layer
    path = tmp_path / "model.nir"
    nir.write(path, g)
    net = hub.load(path)
    assert {p.label for p in net.populations} >= {"input", "lif1", "lif2", "nir.bias"}
    saved = hub.save(net, tmp_path / "again.nir")
    assert hub_nir.from_nir(saved).metadata["nir"]["convention"] == "snntorch"
    assert main(["validate", str(path)]) == 0
    assert main(["run", str(path), "-b", "nest", "--duration", "5"]) == 0
    out = capsys.readouterr().out
    assert "lif1" in out


def test_hub_from_nir_front_end(two_layer):
    g, x, expected = two_layer
    net = hub.from_nir(g, input=x)
    assert isinstance(net, hub.Network)
    assert isinstance(hub.to_nir(net), nir.NIRGraph)


def test_current_input_into_lif_matches_reference():
    """Analog input (floats) becomes step currents: v += k W x[t] exactly."""
    rng = RNG(15)
    W = rng.normal(0.3, 0.2, (3, 2))
    beta = np.array([0.9, 0.85, 0.95])
    g = graph(
        {
            "input": inp(2),
            "w": nir.Linear(weight=W),
            "lif": snntorch_lif(beta, np.ones(3)),
            "o": out(3),
        },  # fmt: skip
        [("input", "w"), ("w", "lif"), ("lif", "o")],
    )
    x = rng.uniform(0, 1, (100, 2))
    ref = Reference().add("LIF", W, a=beta, k=1.0, v_leak=0.0, theta=1.0, v_reset=0.0)
    expected = ref.run(x)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = run(g, x, "nest", convention="snntorch")["o"]
    assert expected.sum() > 10
    np.testing.assert_array_equal(y, expected)

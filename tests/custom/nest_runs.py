"""Networks of tests/test_custom_nest.py, run in a child process whose NEST can compile
modules (a NEST built from source first on PYTHONPATH).

    python networks.py compare OUT.npz   # every case's runs, arrays saved in OUT.npz
    python networks.py cache OUT.json    # the LEAK model once; the module cache's facts
    python networks.py cli ARGS...       # snn-hub ARGS with this NEST
    python networks.py rules OUT.npz     # learning rules written as statements on NEST
    python networks.py voltage OUT.npz   # rules that read the postsynaptic state, on NEST
    python networks.py kit OUT.json      # the kit's checks of models and rules as equations
    python networks.py teacher OUT.npz   # rules with a teacher (ReSuMe), on NEST

``compare`` runs each network with NEST's built-in model on NEST, with the custom model on
NEST (through NESTML) and on Brian2; the custom LIF runs a second time on NEST at the end,
after other kernels and modules (the module is installed again after each kernel reset).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

import hub
import hub.equations as E
from hub.equations import library
import hub.plasticity as HP

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "models"))
import bcm  # noqa: E402
import brader_fusi  # noqa: E402
import resume  # noqa: E402

DURATION = 300.0  # ms
N = 20

#: the built-ins written as equations (hub.equations.library)
LIF = library.lif_exp()
IZH = library.izhikevich()

#: a small model for the cache test (its own digest: compiled once per cache directory)
LEAK = E.define_neuron(
    "leak",
    "dv/dt = (v_rest - v)/tau_m + i_offset/cm : mV",
    {
        "cm": "1 nF",
        "tau_m": "10 ms",
        "v_rest": "-65 mV",
        "v_thresh": "-55 mV",
        "i_offset": "1.2 nA",
    },  # fmt: skip
    initial={"v": "v_rest"},
    threshold="v >= v_thresh",
    reset="v = v_rest",
    on_spike={"excitatory": "v += w", "inhibitory": "v += w"},
)


def _inputs(net, p, w_ex, w_in, w_rec):
    """Excitatory and inhibitory Poisson inputs and recurrent connections."""
    s = net.add_source(hub.PoissonSource(rate=20.0), size=50, label="in")
    net.connect(s, p, hub.FixedProbability(0.3), hub.Static(weight=w_ex, delay=1.0), label="e")
    net.connect(
        s, p, hub.FixedProbability(0.2),
        hub.Static(weight=w_in, delay=1.5, receptor="inhibitory"), label="i",
    )  # fmt: skip
    net.connect(p, p, hub.FixedProbability(0.2), hub.Static(weight=w_rec, delay=1.0), label="r")


def lif(custom: bool) -> hub.Network:
    """LIF with exponential current synapses, heterogeneous parameters (the resting
    potential too: the custom model keeps v relative to it), refractoriness."""
    net = hub.Network(dt=0.1, seed=3)
    rng = np.random.default_rng(1)
    v_rest = rng.uniform(-70.0, -60.0, N)
    values = dict(
        tau_m=rng.uniform(10, 30, N),
        cm=rng.uniform(0.5, 1.5, N),
        i_offset=rng.uniform(0.5, 1.0, N),
        tau_refrac=rng.uniform(1.0, 3.0, N),
        tau_syn_E=rng.uniform(2, 6, N),
        tau_syn_I=rng.uniform(3, 8, N),
        v_rest=v_rest,
        v_reset=v_rest - rng.uniform(0.0, 5.0, N),
        v_thresh=v_rest + rng.uniform(12.0, 18.0, N),
    )
    model = LIF(**values) if custom else hub.LIF(**values)
    p = net.add_population(N, model, label="p")
    _inputs(net, p, 0.3, -0.2, 0.1)
    net.record(p, "spikes")
    net.record(p, "I_ex" if custom else "isyn_exc", "I_in" if custom else "isyn_inh")
    net.record(p, "v", interval=0.5, indices=[11, 3, 7])  # v is kept relative to v_rest
    return net


def izhikevich(custom: bool) -> hub.Network:
    net = hub.Network(dt=0.1, seed=3)
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.02, 0.1, N), rng.uniform(0.2, 0.25, N)
    c, d = rng.uniform(-65, -50, N), rng.uniform(2, 8, N)
    i = rng.uniform(0, 0.01, N)
    if custom:  # the built-in's i_offset (nA) is NEST's I_e (x1000) read as mV/ms
        model = IZH(a=a, b=b, c=c, d=d, I_e=i * 1000.0)
    else:
        model = hub.Izhikevich(a=a, b=b, c=c, d=d, i_offset=i)
    p = net.add_population(N, model, label="p")
    _inputs(net, p, 3.0, -2.0, 1.0)
    net.record(p, "spikes")
    net.record(p, "v", "u")
    return net


def leak() -> hub.Network:
    net = hub.Network(dt=0.1, seed=5)
    p = net.add_population(5, LEAK(tau_m=[8.0, 9.0, 10.0, 11.0, 12.0]), label="p")
    net.record(p, "spikes", "v")
    return net


def leak_builtin() -> hub.Network:
    """A built-in model's network of the same shape (no module needed)."""
    net = hub.Network(dt=0.1, seed=5)
    p = net.add_population(5, hub.LIF(synapse="delta", i_offset=1.2, tau_refrac=0.1), label="p")
    net.record(p, "spikes", "v")
    return net


class _Changed:
    """The LIF network run in three segments with parameter changes between them (the
    drive, then the membrane time constant: every propagator changes mid-run; and the
    resting potential, which v is kept relative to: its absolute value must stay)."""

    def __init__(self, custom: bool):
        self.custom = custom

    def run(self, backend: str):
        sim = hub.Simulation(lif(self.custom), backend=backend)
        sim.run(100.0)
        sim.set("p", i_offset=1.2)
        sim.run(100.0)
        sim.set("p", tau_m=15.0, indices=[0, 5, 13])
        sim.set("p", v_rest=-60.0, v_thresh=-47.0, indices=[3, 11])  # v keeps its value
        sim.run(DURATION - 200.0)
        return sim.results()


def _run(build, backend):
    made = build()
    if isinstance(made, _Changed):
        return made.run(backend)
    return hub.run(made, backend, DURATION)


#: (case, run) -> network builder and backend; "custom-again" runs after the other cases
RUNS = [
    ("lif", "builtin", lambda: lif(False), "nest"),
    ("lif", "custom-nest", lambda: lif(True), "nest"),
    ("lif", "custom-brian2", lambda: lif(True), "brian2"),
    ("izh", "builtin", lambda: izhikevich(False), "nest"),
    ("izh", "custom-nest", lambda: izhikevich(True), "nest"),
    ("izh", "custom-brian2", lambda: izhikevich(True), "brian2"),
    ("lif", "custom-again", lambda: lif(True), "nest"),
    ("lifchange", "builtin", lambda: _Changed(False), "nest"),
    ("lifchange", "custom-nest", lambda: _Changed(True), "nest"),
    ("lifchange", "custom-brian2", lambda: _Changed(True), "brian2"),
]

#: the built-in model's name of each recorded custom variable
BUILTIN_NAME = {"I_ex": "isyn_exc", "I_in": "isyn_inh"}


def compare(out: str) -> None:
    arrays = {}
    for case, run, build, backend in RUNS:
        res = _run(build, backend)
        trains = res.spike_trains["p"]
        arrays[f"{case}/{run}/spikes/stamps"] = trains.stamps
        arrays[f"{case}/{run}/spikes/indices"] = trains.indices
        for (label, var), signal in res.signals.items():
            var = BUILTIN_NAME.get(var, var) if run != "builtin" else var
            arrays[f"{case}/{run}/{var}"] = signal.values
    np.savez(out, **arrays)


def cache(out: str) -> None:
    from hub_nest import modules

    res = hub.run(leak(), "nest", 50.0)
    prefix, version = modules.check(["leak"])
    module = modules.module_for(E.program(LEAK), LEAK().input, prefix, version)
    facts = {
        "builds": modules.BUILDS,
        "library": str(module.library),
        "mtime_ns": module.library.stat().st_mtime_ns,
        "spikes": int(len(res.spike_trains["p"].stamps)),
        "build": json.loads((module.library.parent / "build.json").read_text()),
    }
    with open(out, "w") as f:
        json.dump(facts, f)


#: the additive all-to-all pair rule written as statements (hub.equations.library)
STDP_RULE = library.stdp_additive()
#: the same rule written with NEST's stdp_synapse arithmetic: steps relative to w_max
#: (facilitation ``w/Wmax + lambda K+``, depression ``w/Wmax - alpha lambda K-``, times Wmax)
STDP_NEST_FORM = hub.define_rule(
    "stdp_relative",
    {"tau_plus": "20 ms", "tau_minus": "20 ms", "lam": 0.01, "alpha": 1.0, "w_max": "1 weight"},
    pre_traces={"x": "tau_plus"},
    post_traces={"y": "tau_minus"},
    on_post="w = clip((w / w_max + lam * x) * w_max, 0, w_max)",
    on_pre="w = clip((w / w_max - alpha * lam * y) * w_max, 0, w_max)",
)
A_PLUS, A_MINUS, W_MAX = 0.01, 0.0105, 0.8
RULE_DURATION = 2000.0  # ms


def stdp(kind: str) -> hub.Network:
    """tests/test_custom_rules.py's STDP network twice: 40 Poisson inputs onto two
    populations of 10 LIF neurons, ``p`` and ``q``, delays uniform in [0.5, 3] ms.
    ``builtin``: NEST's stdp_synapse onto its iaf_psc_exp (both); ``custom``: STDP_RULE onto
    ``p`` and STDP_NEST_FORM onto ``q``, both LIF written as equations (one module with two
    synapses); ``builtin-post``: STDP_RULE onto NEST's iaf_psc_exp (refused).  Projections
    ``syn_p``, ``syn_q``; the weights of 5 synapses of each are sampled every 100 ms."""
    net = hub.Network(dt=0.1, seed=5)
    src = net.add_source(hub.PoissonSource(rate=15.0), size=40, label="in")
    net.record(src, "spikes")
    values = dict(i_offset=0.5, tau_refrac=2.0)
    model = hub.LIF if kind in ("builtin", "builtin-post") else LIF
    lam = A_PLUS / W_MAX  # the numbers hub_nest gives stdp_synapse
    rules = {  # NEST's stdp_synapse: lambda = A_plus, alpha = A_minus / A_plus, relative
        "p": STDP_RULE(w_max=W_MAX),
        "q": STDP_NEST_FORM(lam=lam, alpha=(A_MINUS / W_MAX) / lam, w_max=W_MAX),
    }
    if kind == "builtin":
        builtin = hub.STDP(A_plus=A_PLUS / W_MAX, A_minus=A_MINUS / W_MAX, w_max=W_MAX)
        rules = {"p": builtin, "q": builtin}
    elif kind == "builtin-post":
        del rules["q"]
    for label, rule in rules.items():
        pop = net.add_population(10, model(**values), label=label)
        delay = hub.Uniform(0.5, 3.0)
        proj = net.connect(
            src, pop, hub.FixedProbability(0.5), hub.Plastic(rule, 0.4, delay), label=f"syn_{label}"
        )
        net.record(pop, "spikes")
        net.record(proj, "weight", interval=100.0, indices=[0, 7, 50, 120, 180])
    return net


def bcm_network() -> hub.Network:
    """models/bcm.py with its LIF neurons written as equations (8 neurons), excitatory and,
    on a second projection from the slow inputs, inhibitory (the sign applied on
    transmission)."""
    net = bcm.build(n=8, neuron=LIF(tau_refrac=2.0, i_offset=0.2))
    fast, out = (next(p for p in net.populations if p.label == k) for k in ("fast", "out"))
    net.connect(
        fast,
        out,
        hub.FixedProbability(0.2),
        hub.Plastic(bcm.BCM(eta=0.001), weight=-0.05, delay=1.5, receptor="inhibitory"),
        label="fast-|out",
    )
    return net


def rules(out: str) -> None:
    """Final weights, weight samples, spikes and reference weights of the rule networks;
    the seconds each NEST build took (compilation included)."""
    from hub_nest import modules

    arrays: dict[str, np.ndarray] = {}
    for kind in ("builtin", "custom"):
        before, t0 = modules.BUILDS, time.perf_counter()
        net = stdp(kind)
        res = hub.run(net, "nest", RULE_DURATION)
        arrays[f"stdp/{kind}/seconds"] = np.array([time.perf_counter() - t0])
        arrays[f"stdp/{kind}/builds"] = np.array([modules.BUILDS - before])
        if kind == "custom":
            state, _ = HP.reference_state(hub.resolve(net, RULE_DURATION), res)
        for pop in ("p", "q"):
            key, label = f"stdp/{kind}/{pop}", f"syn_{pop}"
            arrays[f"{key}/weights"] = res.weights(label)
            arrays[f"{key}/samples"] = res.synapse_signals[(label, "weight")].values
            arrays[f"{key}/spikes"] = res.spike_trains[pop].stamps
            if kind == "custom":
                arrays[f"{key}/reference"] = state[(label, "weight")]
    for backend in ("nest", "brian2"):
        before, t0 = modules.BUILDS, time.perf_counter()
        net = bcm_network()
        options = {"codegen": "numpy"} if backend == "brian2" else {}
        res = hub.run(net, backend, bcm.DURATION, **options)
        state, _ = HP.reference_state(hub.resolve(net, bcm.DURATION), res)
        for label in ("fast->out", "slow->out", "fast-|out"):
            arrays[f"bcm/{backend}/{label}/weights"] = res.weights(label)
            arrays[f"bcm/{backend}/{label}/reference"] = state[(label, "weight")]
        arrays[f"bcm/{backend}/spikes"] = res.spike_trains["out"].stamps
        arrays[f"bcm/{backend}/seconds"] = np.array([time.perf_counter() - t0])
        arrays[f"bcm/{backend}/builds"] = np.array([modules.BUILDS - before])
    np.savez(out, **arrays)


#: a rule that reads the postsynaptic membrane potential when a postsynaptic spike reaches
#: the synapse (t_post + delay), with the presynaptic trace, and drifts with dt_pre
VOLTAGE_RULE = E.define_rule(
    "v_at_post",
    {"a": "0.0001 weight", "theta_v": "-60 mV", "w_max": "0.3 weight", "tau": "20 ms"},
    pre_traces={"x": "tau"},
    post_state={"v": "mV"},
    on_post="w = clip(w + a * x * (v_post - theta_v) / mV, 0, w_max)",
    on_pre="w = clip(w - a * dt_pre / ms * 0.01, 0, w_max)",
)
VOLTAGE_DURATION = 1000.0  # ms
VOLTAGE_LABELS = ("fast->out", "slow->out", "late->out")


def voltage_network() -> hub.Network:
    """models/brader_fusi.py (its LIF neurons are NEST built-ins: NEST runs their twin
    written as equations) with 6 neurons, and a projection with VOLTAGE_RULE (delay 1.3 ms,
    refractory period 2 ms: some postsynaptic reads fall after the refractory period)."""
    net = brader_fusi.build(n=6)
    out = next(p for p in net.populations if p.label == "out")
    late = net.add_source(hub.PoissonSource(rate=40.0), size=20, label="late")
    net.connect(late, out, hub.AllToAll(), hub.Plastic(VOLTAGE_RULE(), 0.1, 1.3), label="late->out")
    return net


def voltage(out: str) -> None:
    """Weights, reference weights and spikes of voltage_network() on NEST and Brian2."""
    arrays: dict[str, np.ndarray] = {}
    for backend in ("nest", "brian2"):
        net = voltage_network()
        res = hub.run(net, backend, VOLTAGE_DURATION)
        state, _ = HP.reference_state(hub.resolve(net, VOLTAGE_DURATION), res)
        for label in VOLTAGE_LABELS:
            arrays[f"{backend}/{label}/weights"] = res.weights(label)
            arrays[f"{backend}/{label}/reference"] = state[(label, "weight")]
        arrays[f"{backend}/spikes"] = res.spike_trains["out"].stamps
        models = res.provenance.get(backend, {}).get("models", {})
        arrays[f"{backend}/model"] = np.array([str(models.get("out", ""))])
    np.savez(out, **arrays)


#: the kit's checks that need a NEST which compiles models and rules written as equations
KIT_CHECKS = ("check_custom_lif_against_the_reference_engine", "check_plasticity_custom_pair")


def kit(out: str) -> None:
    """Run KIT_CHECKS on NEST; the outcome of each ("passed" or the failure) in OUT.json."""
    from hub.testing import CHECKS
    from hub.testing import applicable

    outcome = {}
    for name in KIT_CHECKS:
        ok, why = applicable("nest", CHECKS[name])
        if not ok:
            outcome[name] = f"not applicable: {why}"
            continue
        try:
            CHECKS[name]("nest")
            outcome[name] = "passed"
        except Exception as e:  # noqa: BLE001 - reported to the test
            outcome[name] = f"{type(e).__name__}: {e}"
    Path(out).write_text(json.dumps(outcome))


#: a rule with a teacher that reads every kind of trace: the presynaptic one, the
#: postsynaptic one (of the spikes that arrived strictly before the teacher's), dt_pre, a local
TEACHER_TRACES = E.define_rule(
    "teach_traces",
    {
        "A": "0.004 weight",
        "B": "0.006 weight",
        "tau": "10 ms",
        "tau_y": "20 ms",
        "w_max": "0.03 weight",
    },
    pre_traces={"x": "tau"},
    post_traces={"y": "tau_y"},
    on_pre="w = clip(w - B * y, 0, w_max)",
    on_post="w = clip(w + A * x, 0, w_max)",
    on_teacher="g = exp(-dt_pre / tau)\nw = clip(w - A * x * g + B * y, 0, w_max)",
)
#: a three-factor rule: a modulator (a spike source of one neuron, whose spikes reach every
#: synapse) turns the coincidence of the pre- and postsynaptic traces into potentiation
MODULATED = E.define_rule(
    "modulated",
    {"eta": "0.003 weight", "tau": "20 ms", "tau_y": "20 ms", "w_max": "0.03 weight"},
    pre_traces={"x": "tau"},
    post_traces={"y": "tau_y"},
    on_pre="w = clip(w - 0.5 * eta * y, 0, w_max)",
    on_teacher="w = clip(w + eta * x * y, 0, w_max)",
)
TEACHER_DURATION = 2000.0  # ms
TEACHER_LABELS = ("in->out", "grid->out", "traces")
MODULATED_LABEL = "modulated"


def teacher_network() -> hub.Network:
    """models/resume.py with 4 output neurons (NEST built-ins: NEST runs their twin written
    as equations) and 60 inputs, plus a second teacher made for equal times: its spikes on
    a 1 ms grid, each followed 1.1 ms later by another, and it drives the output neurons
    (200 nA, 1 ms), which then fire 1.1 ms after its first spike, with its second; 20
    inputs on a 0.5 ms grid with delays of 0.5 to 3 ms reach them with ReSuMe
    (``grid->out``, clipped at 0 often) and with TEACHER_TRACES (``traces``), so teacher
    spikes arrive with postsynaptic and with presynaptic spikes."""
    net = resume.build(n_out=4, n_in=60)
    out = next(p for p in net.populations if p.label == "out")
    rng = np.random.default_rng(11)
    times = []
    for _ in range(4):
        q = rng.choice(np.arange(5.0, TEACHER_DURATION - 5.0, 1.0), 40, replace=False)
        times.append(np.unique(np.round(np.concatenate([q, q + 1.1]), 1)))
    teacher = net.add_source(hub.SpikeTimes(times), size=4, label="ties")
    net.connect(teacher, out, hub.OneToOne(), hub.Static(weight=200.0, delay=1.0), label="drive")
    grid = [
        np.round(np.sort(rng.choice(np.arange(1.0, TEACHER_DURATION, 0.5), 60, replace=False)), 1)
        for _ in range(20)
    ]
    src = net.add_source(hub.SpikeTimes(grid), size=20, label="grid")
    delays = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0], 80)
    rule = resume.RESUME(a=0.002, A=0.004, w_max=0.01, teacher=teacher)
    net.connect(src, out, hub.AllToAll(), hub.Plastic(rule, 0.005, delays), label="grid->out")
    rule = TEACHER_TRACES(teacher=teacher)
    net.connect(src, out, hub.AllToAll(), hub.Plastic(rule, 0.015, delays[::-1]), label="traces")
    reward = np.sort(rng.choice(np.arange(2.0, TEACHER_DURATION, 0.1), 100, replace=False))
    modulator = net.add_source(hub.SpikeTimes([np.round(reward, 1)]), size=1, label="reward")
    rule = MODULATED(teacher=modulator)
    net.connect("in", out, hub.AllToAll(), hub.Plastic(rule, 0.01, 1.0), label=MODULATED_LABEL)
    for pop in (out, teacher, src, modulator):
        net.record(pop, "spikes")
    net.record(next(p for p in net.populations if p.label == "in"), "spikes")
    return net


def _equal_times(resolved, res, label: str) -> np.ndarray:
    """(teacher spikes arriving with a presynaptic spike, teacher spikes stamped with a
    postsynaptic spike), summed over the synapses of projection ``label``."""
    proj = next(p for p in resolved.projections if p.label == label)
    pre, post = res.spike_trains[proj.pre], res.spike_trains[proj.post]
    teach = res.spike_trains[proj.rule.teacher]
    out = np.zeros(2, np.int64)
    for i, j, d in zip(proj.pre_idx, proj.post_idx, proj.delay_steps):
        q = teach.stamps[teach.indices == j]
        out += [
            len(np.intersect1d(q + d, pre.stamps[pre.indices == i])),
            len(np.intersect1d(q, post.stamps[post.indices == j])),
        ]
    return out


def teacher(out: str) -> None:
    """Weights, reference weights, spikes and equal times of teacher_network() on NEST and
    Brian2 (numpy); NEST's seconds (compilation included) and model."""
    from hub_nest import modules

    arrays: dict[str, np.ndarray] = {}
    for backend in ("nest", "brian2"):
        net, t0 = teacher_network(), time.perf_counter()
        before = modules.BUILDS
        res = hub.run(
            net, backend, TEACHER_DURATION, **({"codegen": "numpy"} if backend == "brian2" else {})
        )
        arrays[f"{backend}/seconds"] = np.array([time.perf_counter() - t0])
        arrays[f"{backend}/builds"] = np.array([modules.BUILDS - before])
        resolved = hub.resolve(net, TEACHER_DURATION)
        state, _ = HP.reference_state(resolved, res)
        for label in (*TEACHER_LABELS, MODULATED_LABEL):
            arrays[f"{backend}/{label}/weights"] = res.weights(label)
            arrays[f"{backend}/{label}/reference"] = state[(label, "weight")]
        for label in TEACHER_LABELS:
            arrays[f"{backend}/{label}/equal"] = _equal_times(resolved, res, label)
        arrays[f"{backend}/stamps"] = res.spike_trains["out"].stamps
        arrays[f"{backend}/indices"] = res.spike_trains["out"].indices
        models = res.provenance.get(backend, {}).get("models", {})
        arrays[f"{backend}/model"] = np.array([str(models.get("out", ""))])
    np.savez(out, **arrays)


def cli(*args: str) -> None:
    """``snn-hub ARGS`` in this process (its NEST is the one on this path)."""
    from hub.cli import main

    code = main(list(args))
    if code:
        raise SystemExit(code)


#: the exponential integrate-and-fire neuron: a nonlinear model (forward Euler) with exp
EIF = E.define_neuron(
    "eif",
    """
    dv/dt = (v_rest - v + delta_T*exp((v - v_T)/delta_T))/tau_m + (I_ex + I_in + i_offset)/cm : mV (unless refractory)
    dI_ex/dt = -I_ex/tau_syn_E : nA
    dI_in/dt = -I_in/tau_syn_I : nA
    """,  # noqa: E501
    {
        "cm": "0.281 nF",
        "tau_m": "9.37 ms",
        "v_rest": "-70.6 mV",
        "v_T": "-50.4 mV",
        "delta_T": "2 mV",
        "v_reset": "-70.6 mV",
        "v_spike": "-40 mV",
        "tau_refrac": "2 ms",
        "i_offset": "0.3 nA",
        "tau_syn_E": "5 ms",
        "tau_syn_I": "5 ms",
    },
    initial={"v": "v_rest"},
    threshold="v >= v_spike",
    reset="v = v_reset",
    refractory="tau_refrac",
    on_spike={"excitatory": "I_ex += w", "inhibitory": "I_in += w"},
)


def eif_network() -> hub.Network:
    net = hub.Network(dt=0.1, seed=3)
    rng = np.random.default_rng(1)
    model = EIF(tau_m=rng.uniform(8, 12, 40), i_offset=rng.uniform(0.2, 0.5, 40))
    p = net.add_population(40, model, label="p")
    _inputs(net, p, 0.3, -0.2, 0.1)
    net.record(p, "spikes", "v")
    return net


def eif(out: str) -> None:
    """The EIF network on NEST (NESTML: std::exp), Brian2 with Cython (libm's exp) and Brian2
    with numpy (numpy's exp), 1 s."""
    arrays = {}
    for name, backend, options in (
        ("nest", "nest", {}),
        ("cython", "brian2", {"codegen": "cython"}),
        ("numpy", "brian2", {"codegen": "numpy"}),
    ):
        res = hub.run(eif_network(), backend, 1000.0, **options)
        arrays[f"{name}/stamps"] = res.spike_trains["p"].stamps
        arrays[f"{name}/indices"] = res.spike_trains["p"].indices
        arrays[f"{name}/v"] = res.signal("p", "v").values
    np.savez(out, **arrays)


if __name__ == "__main__":
    if sys.argv[1] == "cli":
        cli(*sys.argv[2:])
    else:
        commands = {
            "compare": compare,
            "cache": cache,
            "rules": rules,
            "eif": eif,
            "voltage": voltage,
            "kit": kit,
            "teacher": teacher,
        }
        commands[sys.argv[1]](sys.argv[2])

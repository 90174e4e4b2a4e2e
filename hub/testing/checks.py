"""The checks of the conformance kit.  Each one builds a small network, runs it on the
backend through ``hub.run`` and compares with an independent reference: a closed-form
solution, the reference engine (``hub.testing.reference``), an unfiltered run of the same
backend or an ODE solution.

Registration: :func:`needs` is how a check is declared.  It validates the feature strings
(:func:`hub.features.parse`, so a misspelt feature fails when the module is imported instead
of making the check silently inapplicable everywhere), stores them as ``check.needs`` and
adds the function to :data:`CHECKS` under its name.  The kit is therefore exactly the
``@needs``-decorated functions of the modules listed in ``hub.testing.CHECK_MODULES``, which
``hub.testing`` imports.
"""

from __future__ import annotations

import math

import numpy as np

from .. import features as F
from .. import ir
from ..api import run
from ..plugins import get_backend
from ..resolve import resolve
from ..results import SpikeTrains
from . import reference, tiers
from .expectations import expect, expect_close, expect_equal, expect_same_spikes

#: every check of the kit, {name: function}, in declaration order (filled by :func:`needs`)
CHECKS: dict = {}
LIF_KINDS = ("exp", "alpha", "delta")
LIF_EXP = ir.LIF(synapse="exp").label
LIF_DELTA = ir.LIF(synapse="delta").label
CHIP_LIF = ir.ChipLIF().label


def needs(*features):
    """Declare a check: ``@needs(F.neuron(LIF_EXP), F.SPIKE_SOURCE)`` over ``check_x(backend)``.

    Each feature must parse (:func:`hub.features.parse`); a malformed or misspelt one raises
    :class:`hub.features.FeatureError` here, at import.  The check is registered in
    :data:`CHECKS` under its ``__name__``, which must be unique."""
    for feature in features:
        try:
            F.parse(feature)
        except F.FeatureError as exc:
            raise F.FeatureError(f"@needs{features!r}: {exc}") from None

    def mark(fn):
        name = fn.__name__
        if name in CHECKS and CHECKS[name] is not fn:
            raise ValueError(f"two conformance checks are named {name!r}")
        fn.needs = tuple(features)
        CHECKS[name] = fn
        return fn

    return mark


def missing_features(caps, check) -> list[str]:
    """The features ``check`` needs that ``caps`` (a backend's Capabilities) does not
    declare: empty when the check applies."""
    return [f for f in getattr(check, "needs", ()) if f not in caps.features]


# --- the contract itself -----------------------------------------------------------------------
@needs()
def check_capabilities_declared(backend):
    """Capabilities are well formed: a Tolerance for every neuron model declared, each
    within what its tier allows (:func:`hub.testing.tiers.problems`)."""
    caps = get_backend(backend).capabilities()
    expect(caps.features, "no features declared")
    for label in caps.neuron_models:
        expect(label in caps.tolerances, f"no Tolerance declared for {label}")
    bad = [p for key, tol in caps.tolerances.items() for p in tiers.problems(key, tol)]
    expect(not bad, lambda: "; ".join(bad))


@needs()
def check_kit_coverage(backend):
    """The kit runs every neuron model of the hub the backend declares: for each, at least
    one check applies (a backend that declares too few features to be checked fails here,
    instead of passing by being checked on nothing).  Models of plugins (namespaced kinds,
    ``vendor.Name``) have no checks in the kit and are not counted."""
    caps = get_backend(backend).capabilities()
    labels = [m for m in caps.neuron_models if "." not in m.split("[")[0]]
    expect(labels, "the backend declares no neuron model of the hub: no check can run on it")
    uncovered = {}
    for label in labels:
        model_checks = [c for c in CHECKS.values() if F.neuron(label) in c.needs]
        if model_checks and not any(not missing_features(caps, c) for c in model_checks):
            uncovered[label] = sorted({f for c in model_checks for f in missing_features(caps, c)})
    expect(
        not uncovered,
        lambda: (
            "no check of the kit applies to "
            + "; ".join(f"{label} (undeclared: {', '.join(m)})" for label, m in uncovered.items())
        ),
    )


@needs(F.neuron(LIF_EXP), F.record(LIF_EXP, "v"))
def check_lif_dc_closed_form(backend):
    """V(t) = v_rest + R I (1 - exp(-t/tau_m)) with R = tau_m/cm; spikes at the first grid
    time where V >= v_thresh, then reset and R refractory steps (closed form per cycle)."""
    net = ir.Network(dt=0.1, seed=1)
    cells = net.add_population(
        3,
        ir.LIF(
            synapse="exp",
            tau_m=[20.0, 10.0, 15.0],
            cm=1.0,
            i_offset=[0.8, 2.0, 0.5],
            tau_refrac=[2.0, 0.5, 1.0],
            v_rest=-65.0,
            v_reset=[-65.0, -70.0, -65.0],
            v_thresh=-50.0,
        ),
        label="cells",
    )
    net.record(cells, "spikes", "v")
    tol = tiers.declared(backend, LIF_EXP)
    bound = tiers.state_bound(tol)
    res = run(net, backend=backend, duration=100.0)
    dt, t = 0.1, np.arange(1, 1001) * 0.1
    v = res.signal("cells", "v").values
    for j, (tau, i_off, t_ref, v_reset) in enumerate(
        [(20.0, 0.8, 2.0, -65.0), (10.0, 2.0, 0.5, -70.0), (15.0, 0.5, 1.0, -65.0)]
    ):
        v_inf = -65.0 + tau * i_off  # R I with R = tau/cm, cm = 1 nF
        expected, stamps, y, k, r = [], [], -65.0, 0, 0
        # closed form from the last reset: V = v_inf + (V0 - v_inf) exp(-n dt/tau)
        v0, n0 = -65.0, 0
        for k in range(1000):
            if r > 0:
                r -= 1
                y = v_reset
                v0, n0 = v_reset, k + 1
            else:
                y = v_inf + (v0 - v_inf) * math.exp(-(k + 1 - n0) * dt / tau)
                if y >= -50.0:
                    stamps.append(k + 1)
                    y, r = v_reset, math.ceil(round(t_ref / dt, 9))
                    v0, n0 = v_reset, k + 1
            expected.append(y)
        sp = res.spikes("cells")
        got = sp.stamps[sp.indices == j]
        expect_equal([int(s) for s in got], stamps, f"neuron {j}: spike stamps")
        expect_close(
            v[:, j],
            expected,
            bound,
            f"neuron {j}: V against the closed form (mV, tier {tol.tier})",
            strict=True,
            axes=[("t", t)],
        )
    expect_equal(v.shape[0], len(t), "number of V samples")


@needs(F.neuron(LIF_DELTA), F.SPIKE_SOURCE, F.SYNAPSE_STATIC, F.record(LIF_DELTA, "v"))
def check_delay_and_multiplicity(backend):
    """A source spike stamped s with delay D changes a delta-synapse V at exactly (s+D) dt;
    two spikes in one step add twice the weight."""
    net = ir.Network(dt=0.1, seed=2)
    src = net.add_source(ir.SpikeTimes([[1.0, 1.0, 3.0], [2.0]]), size=2, label="src")
    cell = net.add_population(1, ir.LIF(synapse="delta", tau_m=1e9, i_offset=0.0), label="cell")
    net.connect(src, cell, ir.FromArrays([0, 1], [0, 0], weight=[0.5, 0.25], delay=[1.5, 0.1]))
    net.record(cell, "v")
    v = run(net, backend=backend, duration=6.0).signal("cell", "v").values[:, 0]
    times = np.round(np.arange(1, 61) * 0.1, 6)
    jumps = {
        round(float(t), 6): round(float(d), 9)
        for t, d in zip(times, np.diff(v, prepend=-65.0))
        if abs(d) > 1e-6
    }
    expect_equal(jumps, {2.1: 0.25, 2.5: 1.0, 4.5: 0.5}, "V jumps {time (ms): size (mV)}")


@needs(F.neuron(LIF_EXP), F.CURRENT_STEP, F.record(LIF_EXP, "v"))
def check_step_current_timing(backend):
    """A DC step switched on at t applies to the steps ending after t (closed form)."""
    net = ir.Network(dt=0.1, seed=3)
    cell = net.add_population(
        1, ir.LIF(synapse="exp", tau_m=10.0, cm=1.0, v_thresh=100.0), label="cell"
    )
    net.inject(cell, ir.DCSource(amplitude=1.0, start=2.0, stop=5.0))
    net.record(cell, "v")
    v = run(net, backend=backend, duration=8.0).signal("cell", "v").values[:, 0]
    k = np.arange(1, 81)
    on = np.clip(k - 20, 0, 30)  # steps with current, up to step k
    expected = -65.0 + 10.0 * (1 - np.exp(-on * 0.1 / 10.0)) * np.exp(-(k - 20 - on) * 0.1 / 10.0)
    expected[k <= 20] = -65.0
    tol = tiers.declared(backend, LIF_EXP)
    expect_close(
        v,
        expected,
        tiers.state_bound(tol),
        f"V against the closed form (mV, tier {tol.tier})",
        strict=True,
        axes=[("t", np.round(k * 0.1, 6))],
    )


@needs(F.neuron(LIF_EXP), F.record(LIF_EXP, "v"))
def check_recording_times(backend):
    """Samples at interval, 2*interval, ..., duration, for the requested indices only."""
    net = ir.Network(dt=0.1, seed=4)
    cell = net.add_population(4, ir.LIF(), label="cell")
    net.record(cell, "v", interval=0.5, indices=[1, 3])
    sig = run(net, backend=backend, duration=10.0).signal("cell", "v")
    expect_close(sig.times, np.arange(1, 21) * 0.5, 1e-9, "sample times (ms)", rtol=1e-5)
    expect_equal(list(sig.indices), [1, 3], "recorded neurons")
    expect_equal(sig.values.shape, (20, 2), "shape of the samples (times, neurons)")


# --- recording a subset of neurons --------------------------------------------------------------
#: 602 steps: not a multiple of the 4-step sampling interval below, so the last sample
#: (stamp 600) is not at the end of the run
SUBSET_MS = 60.2


def _subset_network(**probes):
    """Five LIF(exp) neurons, each firing under its own DC drive, and a four-neuron spike
    source (with one spike of multiplicity 2) connected one-to-one to the first four.  Records
    ``probes``: {name: indices or None} with name ``cells_spikes``, ``src_spikes`` or
    ``cells_v`` (``cells_v_interval`` sets the interval of the V probe)."""
    net = ir.Network(dt=0.1, seed=7)
    src = net.add_source(
        ir.SpikeTimes([[1.0, 7.3, 15.2], [2.5, 2.5, 30.0], [4.1, 22.2], [9.9, 18.0, 33.3]]),
        size=4,
        label="src",
    )
    cells = net.add_population(
        5,
        ir.LIF(
            synapse="exp", tau_m=20.0, cm=1.0, tau_refrac=2.0, i_offset=[1.0, 1.2, 1.4, 1.6, 1.8]
        ),
        label="cells",
    )
    net.connect(src, cells, ir.FromArrays([0, 1, 2, 3], [0, 1, 2, 3], weight=0.5, delay=1.0))
    if "cells_spikes" in probes:
        net.record(cells, "spikes", indices=probes["cells_spikes"])
    if "src_spikes" in probes:
        net.record(src, "spikes", indices=probes["src_spikes"])
    if "cells_v" in probes:
        net.record(cells, "v", indices=probes["cells_v"], interval=probes.get("cells_v_interval"))
    return net


def _expect_spike_subset(part, full, wanted, what):
    """``part`` (recorded with ``indices=wanted``) holds exactly the spikes of ``wanted`` in
    ``full`` (recorded without indices)."""
    fired = set(full.indices.tolist())
    expect(
        set(wanted) <= fired and fired - set(wanted),
        f"{what}: the unfiltered recording has spikes of neurons {sorted(fired)}; the check "
        f"needs spikes of {wanted} and of other neurons to be a test",
    )
    expect_equal(part.size, full.size, f"{what}: SpikeTrains.size (neurons in the population)")
    extra = ~np.isin(part.indices, wanted)
    expect(
        not extra.any(),
        lambda: (
            f"{what}: spikes of neurons {sorted(set(part.indices[extra].tolist()))} came back "
            f"though only {wanted} were recorded (first: neuron {int(part.indices[extra][0])} at "
            f"{float(part.times[extra][0]):.6g} ms)"
        ),
    )
    keep = np.isin(full.indices, wanted)
    expect_same_spikes(
        part,
        SpikeTrains(full.size, full.indices[keep], full.stamps[keep], full.dt),
        f"{what}: spikes of neurons {wanted} against the unfiltered recording",
    )


@needs(F.neuron(LIF_EXP), F.SPIKE_SOURCE, F.SYNAPSE_STATIC)
def check_record_spikes_subset(backend):
    """``record(pop, "spikes", indices=[1, 3])`` returns the spikes of neurons 1 and 3 and no
    others, identical to theirs in an unfiltered recording of the same network."""
    full = run(_subset_network(cells_spikes=None), backend=backend, duration=SUBSET_MS)
    part = run(_subset_network(cells_spikes=[1, 3]), backend=backend, duration=SUBSET_MS)
    _expect_spike_subset(part.spikes("cells"), full.spikes("cells"), [1, 3], "cells")


@needs(F.neuron(LIF_EXP), F.SPIKE_SOURCE, F.SYNAPSE_STATIC)
def check_record_source_spikes_subset(backend):
    """``record(source, "spikes", indices=[0, 2])`` returns the spikes of source neurons 0 and
    2 and no others, identical to theirs in an unfiltered recording of the same network."""
    full = run(_subset_network(src_spikes=None), backend=backend, duration=SUBSET_MS)
    part = run(_subset_network(src_spikes=[0, 2]), backend=backend, duration=SUBSET_MS)
    _expect_spike_subset(part.spikes("src"), full.spikes("src"), [0, 2], "src")


@needs(F.neuron(LIF_EXP), F.SPIKE_SOURCE, F.SYNAPSE_STATIC, F.record(LIF_EXP, "v"))
def check_record_state_subset_unsorted(backend):
    """``record(pop, "v", indices=[3, 1], interval=0.4)``: the signal's columns are neurons 3
    and 1 in that order, sampled at stamps 4, 8, ..., 600 of the 602-step run (samples at
    iv, 2 iv, ... steps), each value equal to that neuron's at that stamp in an unfiltered
    recording (every step, every neuron) of the same network."""
    dt, iv, wanted = 0.1, 4, [3, 1]
    full = run(_subset_network(cells_v=None), backend=backend, duration=SUBSET_MS).signal(
        "cells", "v"
    )
    part = run(
        _subset_network(cells_v=wanted, cells_v_interval=iv * dt),
        backend=backend,
        duration=SUBSET_MS,
    ).signal("cells", "v")
    steps = round(SUBSET_MS / dt)
    stamps = np.arange(iv, steps + 1, iv)
    expect_equal(
        [int(i) for i in part.indices], wanted, "cells.v: recorded neurons, in the requested order"
    )
    expect_close(
        part.times,
        stamps * dt,
        1e-9,
        f"cells.v: sample times (ms), expected every {iv} steps up to step {steps}",
    )
    expect_equal(
        [int(i) for i in full.indices], list(range(5)), "unfiltered cells.v: recorded neurons"
    )
    expect_close(
        full.times,
        np.arange(1, steps + 1) * dt,
        1e-9,
        "unfiltered cells.v: sample times (ms), expected every step",
    )
    expect_close(
        part.values,
        full.values[stamps - 1][:, wanted],
        0.0,
        f"cells.v of neurons {wanted} against the unfiltered recording (mV)",
        axes=[("t", part.times), ("neuron", part.indices)],
    )


@needs(F.neuron(LIF_EXP))
def check_results_provenance(backend):
    """Results say which backend, seed, dt and versions produced them, with timings."""
    net = ir.Network(dt=0.1, seed=5)
    net.record(net.add_population(2, ir.LIF(), label="p"), "spikes")
    res = run(net, backend=backend, duration=1.0)
    p = res.provenance
    expect_equal(p.get("backend"), backend, "provenance['backend']")
    expect_equal(p.get("seed"), 5, "provenance['seed']")
    expect_equal(p.get("dt"), 0.1, "provenance['dt']")
    expect(p.get("versions"), "no versions in provenance")
    for key in ("build_s", "run_s", "collect_s"):
        expect(
            res.timings.get(key, -1) >= 0,
            f"timings[{key!r}] = {res.timings.get(key)}, expected a duration >= 0",
        )


# --- agreement with the reference engine -------------------------------------------------------
def _weights(model):
    if model.kind == "Izhikevich":
        return 3.0, -6.0
    if model.synapse == "delta":
        return 1.2, -3.0
    return 0.3, -0.9


def _heterogeneous(model, rng, n):
    key = model.kind
    if model.option_values.get("spikes") == "many":  # LIFSubtract with several spikes
        key = f"{model.kind}[spikes=many]"
    for name, lo, hi in _HETERO.get(key, ()):
        values = rng.uniform(lo, hi, n)
        model.values[name] = np.floor(values) if name == "max_spikes" else values


def random_network(model, seed, n=60, duration=300.0, heterogeneous=False, variables=None):
    """A random recurrent network of ``n`` ``model`` neurons (labelled "cells") with Poisson
    input, excitatory and inhibitory recurrence; records spikes and ``variables`` (default:
    every recordable of the model)."""
    rng = np.random.default_rng(seed)
    net = ir.Network(dt=0.1, seed=seed)
    w_exc, w_inh = _weights(model)
    if heterogeneous:
        _heterogeneous(model, rng, n)
    src = net.add_source(ir.PoissonSource(rate=40.0), size=40, label="input")
    cells = net.add_population(n, model, label="cells")
    if model.kind != "Izhikevich":
        cells.initialize(v=ir.Uniform(-65.0, -52.0))
    net.connect(
        src, cells, ir.FixedProbability(0.3), ir.Static(weight=w_exc, delay=1.0), label="in"
    )
    net.connect(
        cells,
        cells,
        ir.FixedProbability(0.1),
        ir.Static(weight=ir.Uniform(0.5 * w_exc, w_exc), delay=ir.Uniform(0.1, 3.0)),
        label="rec_exc",
    )
    net.connect(
        cells,
        cells,
        ir.FixedProbability(0.05),
        ir.Static(weight=w_inh, delay=0.7, receptor="inhibitory"),
        label="rec_inh",
    )
    if variables is None:
        variables = model.recordable_names()
    net.record(cells, "spikes", *variables)
    return net, duration


def feedforward_network(model, seed, n, duration=500.0, variables=()):
    """``n`` ``model`` neurons (labelled "cells") driven only by 50 Poisson sources through
    excitatory and inhibitory synapses with random weights and delays: no recurrence, so a
    backend's rounding moves single spikes but cannot spread."""
    rng = np.random.default_rng(seed)
    net = ir.Network(dt=0.1, seed=seed)
    w_exc, w_inh = _weights(model)
    _heterogeneous(model, rng, n)
    src = net.add_source(ir.PoissonSource(rate=30.0), size=50, label="input")
    cells = net.add_population(n, model, label="cells")
    if model.kind != "Izhikevich":
        cells.initialize(v=ir.Uniform(-65.0, -55.0))
    net.connect(
        src,
        cells,
        ir.FixedProbability(0.4),
        ir.Static(weight=ir.Uniform(0.5 * w_exc, 1.5 * w_exc), delay=ir.Uniform(0.1, 2.0)),
        label="exc",
    )
    net.connect(
        src,
        cells,
        ir.FixedProbability(0.1),
        ir.Static(weight=w_inh, delay=0.5, receptor="inhibitory"),
        label="inh",
    )
    net.record(cells, "spikes", *variables)
    return net, duration


_HETERO = {
    "LIF": [
        ("tau_m", 10.0, 30.0),
        ("v_thresh", -55.0, -48.0),
        ("v_reset", -70.0, -60.0),
        ("tau_refrac", 0.0, 5.0),
        ("tau_syn_E", 1.0, 8.0),
        ("tau_syn_I", 2.0, 10.0),
        ("i_offset", 0.0, 0.3),
        ("cm", 0.5, 1.5),
    ],
    "LIFSubtract": [
        ("tau_m", 10.0, 30.0),
        ("v_thresh", -55.0, -48.0),
        ("v_reset", -70.0, -60.0),
        ("tau_syn_E", 1.0, 8.0),
        ("tau_syn_I", 2.0, 10.0),
        ("i_offset", 0.0, 0.3),
        ("cm", 0.5, 1.5),
    ],
    # d = v_thresh - v_reset of 0.1 to 1.1 mV: a step can cross several of them
    "LIFSubtract[spikes=many]": [
        ("tau_m", 10.0, 30.0),
        ("v_thresh", -50.0, -49.5),
        ("v_reset", -50.6, -50.1),
        ("tau_syn_E", 1.0, 8.0),
        ("tau_syn_I", 2.0, 10.0),
        ("i_offset", 0.0, 0.3),
        ("cm", 0.5, 1.5),
        ("max_spikes", 1.0, 4.0),
    ],
    "Izhikevich": [
        ("a", 0.01, 0.1),
        ("b", 0.15, 0.25),
        ("c", -70.0, -50.0),
        ("d", 0.5, 8.0),
        ("i_offset", 0.0, 0.005),
    ],
}
#: networks a statistical tier (3, 4) is checked on: seeds, and sizes of the feedforward ones
STAT_SEEDS = (11, 12, 13)
FEEDFORWARD_SIZES = (50, 200)


#: reference Results of the networks above, by (check, seed, size, variables): the reference
#: does not depend on the backend, so a kit run over several backends computes each once
_REFERENCE_CACHE: dict = {}


def reference_results(key, net, duration):
    if key not in _REFERENCE_CACHE:
        _REFERENCE_CACHE[key] = reference.simulate(resolve(net, duration))
    return _REFERENCE_CACHE[key]


def recorded_variables(backend, model) -> list[str]:
    """The state variables of ``model`` the backend declares it records."""
    feats = get_backend(backend).capabilities().features
    return [v for v in model.recordable_names() if F.record(model.label, v) in feats]


def reference_check(model_factory, name, heterogeneous=False):
    model = model_factory()
    label = model.label

    def check(backend):
        tol = tiers.declared(backend, label)
        variables = recorded_variables(backend, model_factory()) if tol.tier <= 2 else []
        seeds = STAT_SEEDS if tol.tier >= 3 else STAT_SEEDS[:2]
        for seed in seeds:
            net, duration = random_network(
                model_factory(), seed, heterogeneous=heterogeneous, variables=variables
            )
            res = run(net, backend=backend, duration=duration)
            ref = reference_results((name, seed, tuple(variables)), net, duration)
            expect(
                len(ref.spikes("cells")) > 20,
                f"seed {seed}: reference network too quiet to be a test: "
                f"{len(ref.spikes('cells'))} spikes",
            )
            tiers.expect_agreement(res, ref, "cells", tol, variables, what=f"seed {seed}: ")

    check.__name__ = name
    check.__doc__ = (
        f"Random recurrent {label} networks with Poisson input"
        + (", every parameter heterogeneous" if heterogeneous else "")
        + ", against the reference engine at the declared tier: identical spikes and "
        "every recorded state variable within the tier's bound (tiers 1, 2; two seeds) or "
        "the statistical contract (tiers 3, 4; three seeds)."
    )
    return needs(F.neuron(label), F.SPIKE_SOURCE, F.SYNAPSE_STATIC, F.RECEPTOR_INHIBITORY)(check)


def feedforward_check(model_factory, name):
    model = model_factory()
    label = model.label

    def check(backend):
        tol = tiers.declared(backend, label)
        variables = recorded_variables(backend, model_factory()) if tol.tier <= 2 else []
        seeds = STAT_SEEDS if tol.tier >= 3 else STAT_SEEDS[:1]
        for n in FEEDFORWARD_SIZES:
            for seed in seeds:
                net, duration = feedforward_network(model_factory(), seed, n, variables=variables)
                res = run(net, backend=backend, duration=duration)
                ref = reference_results((name, seed, n, tuple(variables)), net, duration)
                tiers.expect_agreement(
                    res, ref, "cells", tol, variables, feedforward=True, what=f"n={n} seed {seed}: "
                )

    check.__name__ = name
    check.__doc__ = (
        f"Feedforward {label} networks (50 Poisson sources, {FEEDFORWARD_SIZES} "
        "heterogeneous neurons, no recurrence) against the reference engine at the declared "
        "tier: identical spikes and state (tiers 1, 2), or the declared fraction of spikes "
        "within the declared time and the statistical contract (tiers 3, 4; three seeds)."
    )
    return needs(F.neuron(label), F.SPIKE_SOURCE, F.SYNAPSE_STATIC, F.RECEPTOR_INHIBITORY)(check)


for _syn in LIF_KINDS:
    reference_check(
        lambda s=_syn: ir.LIF(synapse=s, tau_refrac=2.0), f"check_reference_network_lif_{_syn}"
    )
    reference_check(
        lambda s=_syn: ir.LIF(synapse=s), f"check_heterogeneous_lif_{_syn}", heterogeneous=True
    )
    feedforward_check(lambda s=_syn: ir.LIF(synapse=s), f"check_feedforward_lif_{_syn}")
reference_check(lambda: ir.Izhikevich(d=8.0, i_offset=0.004), "check_reference_network_izhikevich")
reference_check(lambda: ir.Izhikevich(), "check_heterogeneous_izhikevich", heterogeneous=True)
feedforward_check(lambda: ir.Izhikevich(), "check_feedforward_izhikevich")


# --- the chip's native compartment -------------------------------------------------------------
@needs(
    F.neuron(CHIP_LIF),
    F.SPIKE_SOURCE,
    F.SYNAPSE_STATIC,
    F.record(CHIP_LIF, "u"),
    F.record(CHIP_LIF, "v"),
)
def check_chiplif_golden_vectors(backend):
    """The ChipLIF golden vectors (from Lava's unit tests), bit for bit: an input of 128
    with du=2048 gives u = 8192, 4096, ...; du=1, dv=2048 gives v = 8192, 12286, 14331, ...;
    bias 2 << 6 with vth_mant 8 spikes at steps 5 and 10.  The input, a source spike stamped
    1 with a delay of one step, reaches u at stamp 2."""
    net = ir.Network(dt=0.1, seed=1)
    src = net.add_source(ir.SpikeTimes([0.1]), size=1, label="src")
    a = net.add_population(1, ir.ChipLIF(du=2048, dv=0, vth_mant=(1 << 17) - 1), label="a")
    b = net.add_population(1, ir.ChipLIF(du=1, dv=2048, vth_mant=(1 << 17) - 1), label="b")
    c = net.add_population(
        1, ir.ChipLIF(du=0, dv=0, bias_mant=2, bias_exp=6, vth_mant=8), label="c"
    )
    for pop in (a, b):
        net.connect(src, pop, ir.OneToOne(), ir.Static(weight=128, delay=0.1))
    net.record(a, "u")
    net.record(b, "v")
    net.record(c, "spikes", "v")
    res = run(net, backend=backend, duration=1.2)
    u = [int(x) for x in res.signal("a", "u").values[1:9, 0]]
    expect_equal(u, [8192, 4096, 2048, 1024, 512, 256, 128, 64], "u of a at stamps 2..9")
    v = [int(x) for x in res.signal("b", "v").values[1:9, 0]]
    expect_equal(
        v, [8192, 12286, 14331, 15351, 15859, 16111, 16235, 16295], "v of b at stamps 2..9"
    )
    stamps = [int(s) for s in res.spikes("c").stamps]
    expect_equal(stamps, [5, 10], "spike stamps of c")


# --- encoders: every backend receives the hub's spikes -------------------------------------------
@needs(F.neuron(LIF_DELTA), F.SPIKE_SOURCE, F.SYNAPSE_STATIC)
def check_encoded_spikes_delivered(backend):
    """Spikes made by the hub's encoders (Poisson, regular, latency, burst, rank order,
    delta) reach the network unchanged: each source neuron drives a relay neuron (LIF with
    delta synapses, a 100 mV weight, no refractoriness) that fires in exactly the step its
    input arrives, so the relay's spikes are the encoder's (index, stamp + D) events."""
    from .. import encoders as enc

    dt, duration = 0.1, 200.0
    trains = enc.stack(
        [
            enc.poisson(np.full(12, 60.0), duration, dt, seed=4),
            enc.regular([33.0, 70.0, 125.0], duration, dt, phase=[0.0, 0.3, 0.9]),
            enc.latency(np.linspace(0.05, 1.0, 6), t_max=40.0, dt=dt),
            enc.burst([0.3, 0.7, 1.0], dt, t_start=50.0),
            enc.rank_order([0.4, 0.9, 0.1, 0.6], dt, t_start=100.0, spacing=0.3),
            enc.delta(
                np.cumsum(np.random.default_rng(2).normal(0, 0.1, (400, 2)), axis=0),
                0.15,
                dt,
                sample_interval=0.5,
            ),
        ]
    )
    net = ir.Network(dt=dt, seed=6)
    src = net.add_source(trains.to_source(), size=trains.size, label="encoded")
    relay = net.add_population(
        trains.size,
        ir.LIF(
            synapse="delta", tau_m=1.0, tau_refrac=0.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0
        ),
        label="relay",
    )
    delays = np.where(np.arange(trains.size) % 2 == 0, 0.1, 1.5)
    net.connect(
        src,
        relay,
        ir.FromArrays(np.arange(trains.size), np.arange(trains.size), weight=100.0, delay=delays),
    )
    net.record(relay, "spikes")
    got = run(net, backend=backend, duration=duration + 2.0).spikes("relay")
    shift = np.rint(delays / dt).astype(np.int64)
    events = np.unique(np.stack([trains.stamps + shift[trains.indices], trains.indices]), axis=1)
    expected = SpikeTrains(trains.size, events[1], events[0], dt)
    expect(len(trains) > 150, f"encoders produced too few spikes to be a test: {len(trains)}")
    expect_same_spikes(got, expected, "relay spikes against the encoders' (index, stamp + D)")

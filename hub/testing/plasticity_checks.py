"""The identical-behaviour proof for learning rules: one check per rule, run on every
backend that declares the rule.

Each check drives plastic synapses with fixed pre- and postsynaptic spike trains: the
presynaptic side is a spike source, the postsynaptic side relay neurons (LIF with delta
synapses, no refractoriness) made to fire at chosen steps by a 100 mV input.  The trains
contain random spikes, spikes of multiplicity 2, presynaptic spikes exactly at the sampling
times, and many near-coincident pairings (a postsynaptic spike reaching the synapse one step
before, with, or one step after a presynaptic spike), over synapses with delays of 1, 10, 17
and 25 steps.  The backend must then

1. fire the relays exactly at the chosen steps (the plastic inputs stay below threshold);
2. report final and sampled synapse state equal to the reference implementation
   (``hub.plasticity.reference``), computed from the spikes the backend produced;
3. deliver, at each step, the weights the reference says the presynaptic spikes transmitted
   (the relays' membrane increments, which also proves the delay and the efficacy ``w u x``).

"Equal" is ``hub.testing.tiers.PLASTICITY_RTOL`` (1e-12) relative to the largest magnitude
of each variable (the membrane increments: relative to the largest |V|, since each is the
difference of two V samples).  A backend with quantized weights declares its weight format
under the key ``plasticity:<label>``, ``Tolerance(4, weight_bits=b, lsb_per_update=n)``;
the kit derives the weight resolution ``lsb = w_max / 2^(b-1)`` from it (or uses the
smaller per-synapse ``weight_lsb`` the backend reports) and holds its weights within
``lsb (0.5 + n k)`` of the reference (half an LSB for the initial rounding), k the number
of updates the reference applied to that synapse up to the read-out (the chip: b = 8,
n = 1).  Its membrane increments are quantized too, so step 3 is replaced by the relays'
exact spike times (step 1).
"""

from __future__ import annotations

import numpy as np

from .. import features as F
from .. import ir
from ..api import run
from ..plugins import get_backend
from ..resolve import resolve
from .checks import needs
from .expectations import expect_close, expect_equal
from .tiers import PLASTICITY_RTOL, declared, weight_lsb_bound

DT = 0.1
DURATION = 300.0
N_PRE, N_POST = 8, 4
DELAYS = (0.1, 1.0, 1.7, 2.5)  # ms: 1, 10, 17 and 25 steps
SAMPLE_MS = 2.0
W_MAX = 1.0  # mV (delta synapses)

RULES = {
    "all_additive": lambda: ir.STDP(A_plus=0.05, A_minus=0.055, w_max=W_MAX),
    "all_multiplicative": lambda: ir.STDP(
        A_plus=0.05, A_minus=0.055, w_max=W_MAX, weight_dependence="multiplicative"
    ),
    "all_gutig": lambda: ir.STDP(
        A_plus=0.05,
        A_minus=0.055,
        w_max=W_MAX,
        weight_dependence="gutig",
        mu_plus=0.4,
        mu_minus=0.6,
    ),
    "nn_symmetric_additive": lambda: ir.STDP(
        A_plus=0.05, A_minus=0.055, w_max=W_MAX, pairing="nearest_symmetric"
    ),
    "nn_symmetric_multiplicative": lambda: ir.STDP(
        A_plus=0.05,
        A_minus=0.055,
        w_max=W_MAX,
        pairing="nearest_symmetric",
        weight_dependence="multiplicative",
    ),
    "nn_symmetric_gutig": lambda: ir.STDP(
        A_plus=0.05,
        A_minus=0.055,
        w_max=W_MAX,
        pairing="nearest_symmetric",
        weight_dependence="gutig",
    ),
    "nn_restricted_additive": lambda: ir.STDP(
        A_plus=0.05, A_minus=0.055, w_max=W_MAX, pairing="nearest_restricted"
    ),
    "nn_restricted_multiplicative": lambda: ir.STDP(
        A_plus=0.05,
        A_minus=0.055,
        w_max=W_MAX,
        pairing="nearest_restricted",
        weight_dependence="multiplicative",
    ),
    "nn_restricted_gutig": lambda: ir.STDP(
        A_plus=0.05,
        A_minus=0.055,
        w_max=W_MAX,
        pairing="nearest_restricted",
        weight_dependence="gutig",
    ),
    "triplet": lambda: ir.TripletSTDP(
        A_plus=0.01, A_minus=0.012, A_plus_triplet=0.008, A_minus_triplet=0.002, w_max=W_MAX
    ),
    "dopamine": lambda: ir.DopamineSTDP(
        modulator="dopamine",
        modulator_delay=1.3,
        A_plus=0.05,
        A_minus=0.06,
        tau_c=50.0,
        tau_n=30.0,
        b=0.01,
        w_min=0.0,
        w_max=W_MAX,
    ),
    "tsodyks_markram": lambda: ir.TsodyksMarkram(U=0.3, tau_rec=50.0, tau_fac=20.0),
    "vogels_sprekeler": lambda: ir.VogelsSprekeler(tau=20.0, eta=0.01, alpha=0.2, w_max=W_MAX),
    "custom_pair": lambda: _library().stdp_additive()(a_plus=0.05, a_minus=0.055, w_max=W_MAX),
}


def _library():
    from ..equations import library

    return library


def designed_trains(seed: int = 12):
    """(pre stamps per neuron, drive stamps per relay, dopamine stamps), seeded."""
    rng = np.random.default_rng(seed)
    steps = int(round(DURATION / DT))
    pre = [list(rng.choice(np.arange(5, steps - 50), 10, replace=False)) for _ in range(N_PRE)]
    for i in range(N_PRE):  # one spike of multiplicity 2 and two at sampling times
        pre[i] += [pre[i][0]] + list(
            rng.choice(np.arange(1, 140), 2, replace=False) * int(round(SAMPLE_MS / DT))
        )
    drive = [list(rng.choice(np.arange(1, steps - 20), 8, replace=False)) for _ in range(N_POST)]
    delays = _delay_steps()
    for _ in range(60):  # near-coincident pairings: r + 1 + D - s in {-1, 0, 1}
        i, j = rng.integers(N_PRE), rng.integers(N_POST)
        s = int(rng.choice(pre[i]))
        r = s - int(delays[i * N_POST + j]) - 1 + int(rng.integers(-1, 2))
        if 1 <= r < steps - 1:
            drive[j].append(r)
    dopamine = sorted(int(x) for x in rng.choice(np.arange(1, steps), 25, replace=False))
    return ([sorted(p) for p in pre], [sorted(set(d)) for d in drive], dopamine)


def _delay_steps():
    return np.rint(np.resize(DELAYS, N_PRE * N_POST) / DT).astype(np.int64)


def plastic_network(rule, seed: int = 12):
    pre, drive, dopamine = designed_trains(seed)
    net = ir.Network(dt=DT, seed=seed)
    src = net.add_source(ir.SpikeTimes([[s * DT for s in p] for p in pre]), size=N_PRE, label="pre")
    drv = net.add_source(
        ir.SpikeTimes([[s * DT for s in d] for d in drive]), size=N_POST, label="drive"
    )
    net.add_source(ir.SpikeTimes([s * DT for s in dopamine]), size=1, label="dopamine")
    relay = net.add_population(N_POST, _relay(rule), label="post")
    pi, qi = (a.ravel() for a in np.meshgrid(np.arange(N_PRE), np.arange(N_POST), indexing="ij"))
    w0 = np.random.default_rng(seed + 1).uniform(0.2, 0.8, pi.size) * W_MAX
    proj = net.connect(
        src,
        relay,
        ir.FromArrays(pi, qi, weight=w0, delay=_delay_steps() * DT),
        ir.Plastic(rule, 0.0),
        label="plastic",
    )
    net.connect(drv, relay, ir.OneToOne(), ir.Static(weight=100.0, delay=DT), label="drive")
    net.record(relay, "spikes", "v")
    net.record(proj, *rule.state, interval=SAMPLE_MS)
    return net, [sorted({r + 1 for r in d}) for d in drive]


def _quantized(backend, label):
    """The declared weight format of a quantized plastic backend, or None (float)."""
    key = F.plasticity(label)
    if key not in get_backend(backend).capabilities().tolerances:
        return None
    tol = declared(backend, key)
    return tol if tol.weight_bits else None


def _compare(name, got, want, bound=None, axes=None):
    """Max |got - want|; within ``bound`` (array or scalar) or PLASTICITY_RTOL relative."""
    if bound is None:
        bound = PLASTICITY_RTOL * max(float(np.max(np.abs(want))) if want.size else 0.0, 1e-300)
    return expect_close(got, want, bound, f"{name}: backend against the reference", axes=axes)


def updates_until(resolved, res, stamps) -> np.ndarray:
    """(len(stamps), n) number of updates the reference applied to each synapse of the
    'plastic' projection by each read-out stamp: its presynaptic spikes and the
    postsynaptic arrivals up to its last presynaptic spike."""
    proj = next(p for p in resolved.projections if p.label == "plastic")
    src, post = resolved.sources["pre"], res.spikes("post")
    out = np.zeros((len(stamps), proj.n))
    for k in range(proj.n):
        pre = np.sort(src.stamps[src.indices == proj.pre_idx[k]])
        arrive = np.sort(post.stamps[post.indices == proj.post_idx[k]]) + proj.delay_steps[k]
        n_pre = np.searchsorted(pre, stamps, "right")
        last = np.where(n_pre > 0, pre[np.maximum(n_pre - 1, 0)], 0)
        out[:, k] = n_pre + np.where(n_pre > 0, np.searchsorted(arrive, last, "right"), 0)
    return out


def check_rule(backend, rule) -> dict[str, float]:
    """Run the proof for ``rule`` on ``backend``; return the largest differences."""
    from ..plasticity import reference_state

    net, expected_post = plastic_network(rule)
    res = run(net, backend=backend, duration=DURATION)
    resolved = resolve(net, DURATION)
    post = res.spikes("post")
    for j, want in enumerate(expected_post):
        got = sorted(post.stamps[post.indices == j].tolist())
        expect_equal(
            got,
            [s for s in want if s <= resolved.steps],
            f"relay {j}: spike stamps against the chosen ones (a difference means the "
            "plastic input is too strong or the drive was not delivered)",
        )
    sent: dict = {}
    state, signals = reference_state(resolved, res, sent)
    quantized = _quantized(backend, _key(rule))
    bounds = {"final": None, "sampled": None}
    if quantized is not None:
        reported = res.final_state("plastic", "weight_lsb") if _has_lsb(res) else None
        lsb = weight_lsb_bound(quantized, W_MAX, reported)
        per_update = quantized.lsb_per_update
        sample_stamps = np.rint(res.synapse_signal("plastic").times / DT).astype(np.int64)
        n_final = updates_until(resolved, res, [resolved.steps])[0]
        n_sampled = updates_until(resolved, res, sample_stamps)
        bounds = {
            "final": lsb * (0.5 + per_update * n_final),
            "sampled": lsb * (0.5 + per_update * n_sampled),
        }
    errors = {}
    for key, want in state.items():
        errors[f"final {key[1]}"] = _compare(
            f"final {key[1]}",
            res.final_state(*key),
            want,
            bounds["final"],
            axes=[("synapse", None)],
        )
    for key, want in signals.items():
        got = res.synapse_signal(*key)
        expect_close(got.times, want.times, 1e-9, f"sampled {key[1]}: sample times (ms)")
        errors[f"sampled {key[1]}"] = _compare(
            f"sampled {key[1]}",
            got.values,
            want.values,
            bounds["sampled"],
            axes=[("t", got.times), ("synapse", got.indices)],
        )
    if quantized is None:
        v_scale = float(np.max(np.abs(res.signal("post", "v").values)))
        errors["transmitted"] = _compare(
            "membrane increments (transmitted weights)",
            *_increments(res, resolved, sent["plastic"]),
            bound=PLASTICITY_RTOL * v_scale,
        )
    return errors


def _has_lsb(res) -> bool:
    return ("plastic", "weight_lsb") in res.synapse_state


def _increments(res, resolved, sent):
    """(observed, expected) increments of the relays' V at steps where only plastic input
    arrives: V(a) - V(a-1) = sum of the weights transmitted by spikes arriving at stamp a."""
    proj = next(p for p in resolved.projections if p.label == "plastic")
    steps = resolved.steps
    expected = np.zeros((steps + 1, N_POST))
    src = resolved.sources["pre"]
    for k in range(proj.n):
        stamps = np.sort(src.stamps[src.indices == proj.pre_idx[k]])
        arrive = stamps + proj.delay_steps[k]
        ok = arrive <= steps
        np.add.at(expected[:, proj.post_idx[k]], arrive[ok], sent[k][ok])
    v = res.signal("post", "v").values
    v = np.vstack([np.full((1, N_POST), -65.0), v])
    observed = np.diff(v, axis=0)
    mask = np.ones((steps, N_POST), bool)
    post = res.spikes("post")
    mask[post.stamps - 1, post.indices] = False  # reset at a: V(a) = v_reset
    return observed[mask], expected[1:][mask]


RELAY = dict(tau_m=1e12, tau_refrac=0.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0)


def _relay(rule):
    """The relays: LIF with delta synapses and no leak; for a rule written as statements
    the same written as equations (a backend may need the target of such a rule to be a
    model written as equations: NEST compiles the rule's synapse with it)."""
    if _key(rule) != "CustomRule":
        return ir.LIF(synapse="delta", **RELAY)
    from ..equations import define_neuron

    definition = define_neuron(
        "kit_relay",
        "dv/dt = (v_rest - v)/tau_m : mV",
        {"tau_m": "20 ms", "v_rest": "-65 mV", "v_reset": "-65 mV", "v_thresh": "-50 mV"},
        initial={"v": "v_rest"},
        threshold="v >= v_thresh",
        reset="v = v_reset",
        on_spike={"excitatory": "v += w", "inhibitory": "v += w"},
    )
    return definition(**{k: v for k, v in RELAY.items() if k != "tau_refrac"})


def _key(rule) -> str:
    """The rule's key in Capabilities (``CustomRule`` for every rule written as statements)."""
    return str(getattr(rule, "capability_key", rule.label))


def _rule_check(name, factory):
    rule = factory()

    def check(backend):
        check_rule(backend, factory())

    check.__name__ = f"check_plasticity_{name}"
    check.__doc__ = (
        f"{rule.label}: fixed pre/post trains with near-coincident pairings, "
        "multiplicity and several delays; final and sampled synapse state and the "
        "transmitted weights equal the reference implementation."
    )
    relay = _relay(rule)
    recorded = [] if relay.kind == "Custom" else [F.record(relay.label, "v")]
    return needs(
        F.plasticity(_key(rule)),
        F.RECORD_SYNAPSE,
        F.SPIKE_SOURCE,
        F.SYNAPSE_STATIC,
        F.neuron(relay.capability_key),
        *recorded,
    )(check)


for _name, _factory in RULES.items():
    _rule_check(_name, _factory)

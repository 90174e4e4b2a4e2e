"""Hypothesis strategies for hub networks and files: valid networks an
engine can run, networks with exactly one field broken, and damage done to saved files.

* :func:`valid_networks` draws a small :class:`Case` (a few to ~50 neurons, at most 50 ms) of
  the models one family of engines runs: populations with random valid parameters (scalars,
  per-neuron arrays and lists, unit strings, distributions), spike sources (``SpikeTimes``
  flat or per neuron, ``PoissonSource`` drawn by the hub or natively), every connector,
  weights and delays (scalars, distributions, per-connection arrays), current injections,
  probes on subsets and intervals, seeds and durations given in several forms.
* :func:`invalid_cases` draws a :class:`Broken` case: a valid base network with exactly one
  field broken (NaN, +-inf, None, a wrong type, a negative or zero value where a positive one
  is required, a string with the wrong unit, a duplicated label, an object of another
  Network, an absurd size, a negative seed, a bogus synapse or receptor, ...) and the
  location its error message must name.
* :func:`file_damage` draws a :class:`Damage` done to a saved model or results file: bytes
  flipped, cut or inserted, members removed, added, replaced or pickled, the JSON document
  rewritten with one value replaced or removed anywhere in its tree.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from hypothesis import strategies as st

import hub

INF, NAN = math.inf, math.nan

# --- model families: which models each engine runs -------------------------------------------
#: (kind, synapse option or None)
FAMILIES: dict[str, list[tuple[str, str | None]]] = {
    # LIF with exp and delta synapses: the reference engine and the chip both run these
    "shared": [("LIF", "exp"), ("LIF", "delta")],
    # the reference engine (hub.testing.reference)
    "reference": [
        ("LIF", "exp"),
        ("LIF", "alpha"),
        ("LIF", "delta"),
        ("LIFSubtract", "exp"),
        ("LIFSubtract", "alpha"),
        ("LIFSubtract", "delta"),
        ("Izhikevich", None),
    ],
    # the chip backend
    "chip": [("LIF", "exp"), ("LIF", "delta"), ("ChipLIF", None)],
    # the ODE reference (hub.testing.ode_reference)
    "ode": [
        ("LIFCond", "exp"),
        ("LIFCond", "alpha"),
        ("AdEx", "exp"),
        ("AdEx", "alpha"),
        ("HodgkinHuxley", None),
    ],
    # NEST and Brian2 run all of these
    "simulators": [
        ("LIF", "exp"),
        ("LIF", "alpha"),
        ("LIF", "delta"),
        ("Izhikevich", None),
        ("LIFCond", "exp"),
        ("LIFCond", "alpha"),
        ("AdEx", "exp"),
        ("HodgkinHuxley", None),
    ],
}
#: families whose engines draw a Poisson source natively (feature source.poisson_native)
NATIVE_POISSON = {"shared", "reference", "chip", "simulators"}
#: recordable state per family and model kind (what every engine of the family records)
RECORDABLE = {
    "shared": {"LIF": ("v",)},
    "reference": {
        "LIF": ("v", "isyn_exc", "isyn_inh"),
        "LIFSubtract": ("v", "isyn_exc", "isyn_inh"),
        "Izhikevich": ("v", "u"),
    },
    "chip": {"LIF": ("v",), "ChipLIF": ("u", "v")},
    "ode": {
        "LIFCond": ("v", "gsyn_exc", "gsyn_inh"),
        "AdEx": ("v", "w", "gsyn_exc", "gsyn_inh"),
        "HodgkinHuxley": ("v", "gsyn_exc", "gsyn_inh"),
    },
    "simulators": {
        "LIF": ("v",),
        "Izhikevich": ("v",),
        "LIFCond": ("v",),
        "AdEx": ("v",),
        "HodgkinHuxley": ("v",),
    },
}

# --- sensible ranges of every parameter (valid and giving finite, bounded dynamics) ----------
_LIF = {
    "cm": (0.1, 2.0),
    "tau_m": (1.0, 50.0),
    "v_rest": (-75.0, -60.0),
    "v_reset": (-80.0, -60.0),
    "v_thresh": (-55.0, -40.0),
    "tau_refrac": (0.0, 5.0),
    "i_offset": (0.0, 1.0),
    "tau_syn_E": (0.5, 10.0),
    "tau_syn_I": (0.5, 10.0),
}
RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "LIF": _LIF,
    "LIFSubtract": {k: v for k, v in _LIF.items() if k != "tau_refrac"},
    "LIFCond": {
        **_LIF,
        "i_offset": (0.0, 0.5),
        "e_rev_E": (-10.0, 10.0),
        "e_rev_I": (-90.0, -70.0),
    },
    "Izhikevich": {
        "a": (0.01, 0.1),
        "b": (0.1, 0.3),
        "c": (-70.0, -50.0),
        "d": (0.05, 8.0),
        "i_offset": (0.0, 0.015),
        "v_thresh": (25.0, 35.0),
    },
    "AdEx": {
        "cm": (0.2, 0.4),
        "tau_m": (5.0, 20.0),
        "v_rest": (-72.0, -65.0),
        "v_reset": (-72.0, -55.0),
        "v_thresh": (-52.0, -48.0),
        "v_spike": (-40.0, -20.0),
        "delta_T": (1.0, 3.0),
        "tau_refrac": (0.0, 5.0),
        "a": (0.0, 8.0),
        "b": (0.0, 0.1),
        "tau_w": (50.0, 200.0),
        "i_offset": (0.0, 0.5),
        "tau_syn_E": (1.0, 10.0),
        "tau_syn_I": (1.0, 10.0),
    },
    "HodgkinHuxley": {
        "gbar_Na": (15.0, 25.0),
        "gbar_K": (4.0, 8.0),
        "g_leak": (0.005, 0.02),
        "cm": (0.15, 0.3),
        "tau_syn_E": (0.2, 5.0),
        "tau_syn_I": (1.0, 5.0),
        "tau_refrac": (0.0, 3.0),
        "i_offset": (0.0, 0.5),
    },
    "ChipLIF": {
        "du": (0, 4096),
        "dv": (0, 4095),
        "vth_mant": (1, 2000),
        "bias_mant": (-100, 100),
        "bias_exp": (0, 6),
        "refractory_steps": (0, 20),
    },
}
#: |weight| per input kind of the target (nA, uS, mV, chip integer)
WEIGHTS = {"current": 2.0, "conductance": 0.05, "voltage": 5.0, "integer": 255}
#: |injected current| per model kind (nA); Izhikevich reads nA as 1000 mV/ms
CURRENTS = {"Izhikevich": 0.02, "ChipLIF": 0.0, "HodgkinHuxley": 0.5}
#: the units a parameter may be written in as a string ("20 ms")
STRING_UNITS = {"ms", "mV", "nA", "nF", "uS", "Hz"}


def finite(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


# --- valid networks ---------------------------------------------------------------------------
@dataclass
class Case:
    """A network and how long to run it; ``family`` names the engines that run it."""

    net: hub.Network
    duration: object
    family: str

    def __repr__(self):  # what hypothesis prints for a failing example
        doc = json.dumps(self.net.to_dict(), default=str)
        return f"Case(family={self.family!r}, duration={self.duration!r}, net={doc})"


@st.composite
def param_value(draw, model_cls, name, lo, hi, n):
    """A valid value of one parameter: a scalar, a per-neuron array or list, a unit string,
    or a distribution (neuron parameters take every form)."""
    p = model_cls.param(name)
    if p.check == "int_nonneg" or model_cls.kind == "ChipLIF":
        ints = st.integers(int(lo), int(hi))
        return draw(
            st.one_of(
                ints,
                st.lists(ints, min_size=n, max_size=n).map(np.array),
            )
        )
    scalar = finite(lo, hi)
    forms = [
        scalar,
        st.lists(scalar, min_size=n, max_size=n).map(np.array),
        st.lists(scalar, min_size=n, max_size=n),
        st.tuples(scalar, scalar).map(lambda ab: hub.Uniform(min(ab), max(ab))),
        st.tuples(scalar, finite(0.0, 1.0)).map(
            lambda ms: hub.Normal(ms[0], ms[1] * (hi - lo) / 4, low=lo, high=hi)
        ),
    ]
    if p.unit in STRING_UNITS:
        forms.append(scalar.map(lambda x: f"{x!r} {p.unit}"))
    return draw(st.one_of(forms))


@st.composite
def neuron_model(draw, kind, synapse, n):
    cls = {c.kind: c for c in hub.ir.neurons.NEURON_MODELS.values()}[kind]
    ranges = RANGES[kind]
    chosen = draw(st.lists(st.sampled_from(sorted(ranges)), unique=True, max_size=len(ranges)))
    values = {k: draw(param_value(cls, k, *ranges[k], n)) for k in sorted(chosen)}
    if kind == "HodgkinHuxley" or kind == "Izhikevich" or kind == "ChipLIF":
        return cls(**values)
    return cls(synapse=synapse, **values)


@st.composite
def spike_source(draw, n, duration, dt, native_ok):
    if draw(st.booleans()):
        # SpikeTimes: one list for every neuron, or one list per neuron
        time = finite(dt, max(dt, duration))
        if draw(st.booleans()):
            times = draw(st.lists(time, max_size=10))
        else:
            times = draw(st.lists(st.lists(time, max_size=6), min_size=n, max_size=n))
        if draw(st.booleans()):
            times = np.array(times, dtype=object if times and isinstance(times[0], list) else float)
            if times.dtype == object:  # ragged: give a list of arrays instead
                times = [np.array(t, float) for t in times]
        return hub.SpikeTimes(times)
    rate = draw(finite(0.0, 300.0))
    start = draw(finite(0.0, 20.0))
    stop = draw(st.one_of(st.just(INF), finite(start, 60.0)))
    resolve = draw(st.sampled_from(["hub", "native"] if native_ok else ["hub"]))
    rate_form = draw(
        st.sampled_from(["scalar", "string", "array"]) if resolve == "hub" else st.just("scalar")
    )
    if rate_form == "string":
        rate = f"{rate!r} Hz"
    elif rate_form == "array":
        rate = np.array(draw(st.lists(finite(0.0, 300.0), min_size=n, max_size=n)))
    return hub.PoissonSource(rate=rate, start=start, stop=stop, resolve=resolve)


def _weight_range(model, receptor):
    kind = model.input
    top = WEIGHTS[kind]
    if kind == "conductance":
        return 0.0, top
    return (0.0, top) if receptor == "excitatory" else (-top, 0.0)


@st.composite
def synapse_values(draw, model, receptor, dt, count=None, max_delay=5.0):
    """(weight, delay) for connections onto ``model``; arrays when ``count`` is known."""
    lo, hi = _weight_range(model, receptor)
    if model.input == "integer":
        w_scalar = st.integers(int(lo), int(hi))
    else:
        w_scalar = finite(lo, hi)
    d_scalar = finite(dt, max_delay)
    w_forms, d_forms = [w_scalar], [d_scalar, st.just(None), d_scalar.map(lambda d: f"{d!r} ms")]
    if model.input != "integer":
        w_forms.append(st.tuples(w_scalar, w_scalar).map(lambda ab: hub.Uniform(min(ab), max(ab))))
        w_forms.append(
            st.tuples(w_scalar, finite(0.0, 1.0)).map(
                lambda ms: hub.Normal(ms[0], ms[1] * (hi - lo) / 4, low=lo, high=hi)
            )
        )
    d_forms.append(st.tuples(d_scalar, d_scalar).map(lambda ab: hub.Uniform(min(ab), max(ab))))
    if count is not None:
        w_forms.append(st.lists(w_scalar, min_size=count, max_size=count).map(np.array))
        d_forms.append(st.lists(d_scalar, min_size=count, max_size=count).map(np.array))
    return draw(st.one_of(w_forms)), draw(st.one_of(d_forms))


@st.composite
def projection(draw, net, pre, post, dt, label, max_delay=5.0):
    n_pre, n_post = pre.size, post.size
    same = pre is post
    options = ["all", "prob", "in", "out", "total", "arrays"] + (["one"] if n_pre == n_post else [])
    which = draw(st.sampled_from(options))
    no_self = same and draw(st.booleans())
    count = None
    if which == "all":
        conn = hub.AllToAll(allow_self_connections=not no_self)
        count = None if no_self else n_pre * n_post
    elif which == "one":
        conn, count = hub.OneToOne(), n_pre
    elif which == "prob":
        conn = hub.FixedProbability(
            draw(finite(0.0, 1.0)), allow_self_connections=not no_self, seed=draw(seeds())
        )
    elif which in ("in", "out"):
        other = n_pre if which == "in" else n_post
        repl = draw(st.booleans())
        partners = other - (1 if no_self else 0)  # none but itself: only n = 0 is valid
        top = min(partners, 10) if not repl or partners == 0 else 10
        n = draw(st.integers(0, max(0, top)))
        cls = hub.FixedInDegree if which == "in" else hub.FixedOutDegree
        conn = cls(n, allow_self_connections=not no_self, with_replacement=repl)
    elif which == "total":
        repl = draw(st.booleans())
        pairs = n_pre * n_post - (n_pre if no_self else 0)
        n = draw(st.integers(0, min(pairs, 40) if not repl or pairs == 0 else 40))
        conn = hub.FixedTotalNumber(
            n, allow_self_connections=not no_self, with_replacement=repl, seed=draw(seeds())
        )
        count = n
    else:
        m = draw(st.integers(0, 30))
        pre_idx = np.array(draw(st.lists(st.integers(0, n_pre - 1), min_size=m, max_size=m)), int)
        post_idx = np.array(draw(st.lists(st.integers(0, n_post - 1), min_size=m, max_size=m)), int)
        conn, count = hub.FromArrays(pre_idx, post_idx), m
    receptor = draw(st.sampled_from(["excitatory", "inhibitory"]))
    weight, delay = draw(synapse_values(post.model, receptor, dt, count, max_delay))
    if isinstance(conn, hub.FromArrays) and draw(st.booleans()):
        # the connector carries its own per-connection values
        w2, d2 = draw(synapse_values(post.model, receptor, dt, count, max_delay))
        if isinstance(w2, np.ndarray) and isinstance(d2, np.ndarray):
            conn = hub.FromArrays(conn.pre, conn.post, w2, d2)
    syn = hub.Static(weight=weight, delay=delay, receptor=receptor)
    by_label = draw(st.booleans())
    return net.connect(
        pre.label if by_label else pre, post.label if by_label else post, conn, syn, label=label
    )


def seeds():
    return st.one_of(st.none(), st.integers(0, 2**32 - 1), st.integers(0, 2**64))


@st.composite
def valid_networks(draw, family: str, max_neurons: int = 50) -> Case:
    """A valid network of ``family``'s models (FAMILIES) with its duration."""
    dt = draw(st.sampled_from([0.1, 0.1, 0.05, 0.2, 0.25, 0.5]))
    if family == "ode":
        dt = draw(st.sampled_from([0.1, 0.05, 0.2]))
    duration = draw(finite(dt, 50.0 if family != "ode" else 20.0))
    dt_given = draw(st.sampled_from([dt, dt, f"{dt!r} ms"]))
    net = hub.Network(
        dt=dt_given, seed=draw(st.integers(0, 2**63)), label=draw(st.text(max_size=5))
    )
    budget = max_neurons
    # the chip stores delays up to 62 steps (a ResourceError beyond, naming the limit)
    max_delay = min(5.0, 60 * dt) if family in ("chip", "shared") else 5.0
    models = FAMILIES[family]
    neurons = []
    for k in range(draw(st.integers(1, 3))):
        n = draw(st.integers(1, max(1, min(20, budget - 3))))
        budget -= n
        kind, syn = draw(st.sampled_from(models))
        model = draw(neuron_model(kind, syn, n))
        pop = net.add_population(n, model, label=f"n{k}")
        if "v" in {s.name for s in model.state} and kind != "ChipLIF" and draw(st.booleans()):
            lo, hi = RANGES[kind].get("v_reset", RANGES[kind].get("c", (-70.0, -60.0)))
            pop.initialize(v=draw(st.one_of(finite(lo, hi), st.just(hub.Uniform(lo, hi)))))
        neurons.append(pop)
    sources = []
    for k in range(draw(st.integers(0, 2))):
        n = draw(st.integers(1, max(1, min(10, budget))))
        budget -= n
        src = draw(spike_source(n, duration, dt, family in NATIVE_POISSON))
        sources.append(net.add_source(src, size=n, label=f"s{k}"))
    for k in range(draw(st.integers(0, 4))):
        pre = draw(st.sampled_from(neurons + sources))
        post = draw(st.sampled_from(neurons))
        draw(projection(net, pre, post, dt, f"p{k}", max_delay))
    for _ in range(draw(st.integers(0, 2))):
        target = draw(st.sampled_from(neurons))
        top = CURRENTS.get(target.model.kind, 1.0)
        if top == 0.0:
            continue
        amp = finite(-top, top)
        if draw(st.booleans()):
            start = draw(finite(0.0, duration))
            source = hub.DCSource(
                amplitude=draw(amp),
                start=start,
                stop=draw(st.one_of(st.just(INF), finite(start, 60))),
            )
        else:
            times = sorted(draw(st.lists(finite(0.0, duration), min_size=1, max_size=4)))
            source = hub.StepCurrentSource(times, [draw(amp) for _ in times])
        indices = draw(
            st.one_of(
                st.none(),
                st.lists(st.integers(0, target.size - 1), unique=True, max_size=target.size).map(
                    lambda i: np.array(i, dtype=np.int64)
                ),
            )
        )
        net.inject(target, source, indices)
    recordable = RECORDABLE[family]
    for pop in neurons + sources:
        variables = ["spikes"]
        if not pop.is_source:
            own = pop.model.recordable_names()  # no synaptic currents with delta synapses
            variables += [v for v in recordable.get(pop.model.kind, ()) if v in own]
        elif pop.model.kind == "PoissonSource" and pop.model.native:
            continue
        chosen = draw(st.lists(st.sampled_from(variables), unique=True, max_size=3))
        for var in chosen:
            interval = draw(st.one_of(st.none(), st.integers(1, 10).map(lambda k: k * dt)))
            indices = draw(
                st.one_of(
                    st.none(),
                    st.lists(st.integers(0, pop.size - 1), unique=True, max_size=pop.size),
                )
            )
            net.record(pop, var, interval=interval if var != "spikes" else None, indices=indices)
    duration_given = draw(st.sampled_from([duration, duration, f"{duration!r} ms"]))
    return Case(net, duration_given, family)


# --- invalid networks: one field broken -------------------------------------------------------
@dataclass
class Broken:
    """A network with one broken field: ``build()`` makes it (and may raise already, e.g.
    connecting a population of another Network) and returns ``(network, duration)``; the
    error must name every fragment of ``where``."""

    what: str
    build: Callable
    where: tuple[str, ...]
    value: object = field(default=None)

    def __repr__(self):
        return f"Broken({self.what!r}, value={self.value!r}, where={self.where!r})"


class _Opaque:
    """An object that is no number, no unit and no array."""

    def __repr__(self):
        return "<opaque>"


#: values that are never a number in any unit
NOT_NUMBERS = [
    None,
    "abc",
    "5 kg",
    "",
    _Opaque(),
    {"a": 1},
    [1.0, "x"],
    b"12",
    1j,
    [[1.0], [2.0, 3.0]],
]
NON_FINITE = [NAN, INF, -INF, np.float32("nan"), np.array([1.0, NAN]), "inf ms", "nan mV"]


def base_network():
    """The valid network every broken case starts from (sentinel-safe: it is only validated)."""
    net = hub.Network(dt=0.1, seed=3)
    inp = net.add_source(hub.SpikeTimes([1.0, 2.0]), size=2, label="input")
    poi = net.add_source(hub.PoissonSource(rate=20.0), size=3, label="noise")
    exc = net.add_population(4, hub.LIF(), label="exc")
    dlt = net.add_population(3, hub.LIF(synapse="delta"), label="dlt")
    cnd = net.add_population(2, hub.LIFCond(), label="cnd")
    izh = net.add_population(2, hub.Izhikevich(), label="izh")
    net.connect(inp, exc, hub.FixedProbability(0.5), hub.Static(0.1, 1.0), label="p0")
    net.connect(poi, dlt, hub.AllToAll(), hub.Static(0.5, 1.0), label="p1")
    net.connect(inp, cnd, hub.OneToOne(), hub.Static(0.01, 1.0), label="p2")
    net.connect(exc, izh, hub.FixedInDegree(2), hub.Static(1.0, 1.5), label="p3")
    net.connect(exc, exc, hub.FromArrays([0, 1], [2, 3]), hub.Static(-0.1, 1.0, "inhibitory"))
    net.inject(exc, hub.DCSource(amplitude=0.5, start=1.0))
    net.inject(dlt, hub.StepCurrentSource([1.0, 5.0], [0.1, 0.0]))
    net.record(exc, "spikes", "v")
    net.record(inp, "spikes")
    return net


#: population index and label in base_network (sources first)
POPS = {"input": 0, "noise": 1, "exc": 2, "dlt": 3, "cnd": 4, "izh": 5}
#: (label, model kind) of the neuron populations, for parameter mutations
NEURON_POPS = {"exc": "LIF", "dlt": "LIF", "cnd": "LIFCond", "izh": "Izhikevich"}
PROJ = {"p0": "projections[0](input->exc)", "p1": "projections[1](noise->dlt)"}


def _pop_loc(label):
    return f"populations[{POPS[label]}]({label})"


def _replace_model(net, label, model):
    net.population(label).model = model
    return net


def _bad_param_values(param):
    """Values that break one declared parameter."""
    values = [*NOT_NUMBERS, *NON_FINITE]
    if param.check == "positive":
        values += [0.0, -1.0, -1e-300, np.array([1.0, -1.0]), f"-5 {param.unit}"]
        values += [hub.Uniform(0.0, 1.0), hub.Normal(1.0, 0.5, low=-1.0)]
    elif param.check in ("nonneg", "int_nonneg"):
        values += [-1.0, -1e-9, f"-2 {param.unit}", hub.Uniform(-1.0, 1.0)]
    wrong = {"ms": "5 mV", "mV": "5 ms", "nA": "5 mV", "nF": "1 ms", "uS": "1 nA", "Hz": "3 ms"}
    if param.unit in wrong:
        values.append(wrong[param.unit])
    values += [np.zeros(7), np.zeros((2, 2)), hub.Uniform(0.0, INF), hub.Normal(NAN, 1.0)]
    return values


@st.composite
def broken_neuron_parameter(draw):
    label = draw(st.sampled_from(sorted(NEURON_POPS)))
    net0 = base_network()
    model = net0.population(label).model
    param = draw(st.sampled_from(model.parameters))
    value = draw(st.sampled_from(_bad_param_values(param)))

    def build():
        net = base_network()
        old = net.population(label).model
        new = type(old)(**{**old.values, **old.option_values, param.name: value})
        return _replace_model(net, label, new), 10.0

    return Broken("neuron parameter", build, (f"{_pop_loc(label)}.{param.name}",), value)


@st.composite
def broken_model(draw):
    """A model that is no model, a bogus option (synapse), an unknown parameter."""
    label = draw(st.sampled_from(sorted(NEURON_POPS)))
    choice = draw(st.sampled_from(["option", "unknown", "not a model", "initial"]))
    value = draw(st.sampled_from(["bogus", None, 3, "", "EXP", "cond"]))

    def build():
        net = base_network()
        pop = net.population(label)
        if choice == "option":
            if not pop.model.options:
                pop.model = hub.LIF(synapse=value)
            else:
                pop.model = type(pop.model)(**{**pop.model.values, "synapse": value})
        elif choice == "unknown":
            pop.model = type(pop.model)(**{**pop.model.values, "tau_bogus": 1.0})
        elif choice == "not a model":
            pop.model = value if value is not None else "LIF"
        else:
            pop.initialize(v=draw_initial)
        return net, 10.0

    draw_initial = draw(
        st.sampled_from(
            ["5 ms", "abc", np.zeros(9), None, _Opaque(), NAN, -INF, hub.Uniform(0, NAN)]
        )
    )
    field_name = {"option": "synapse", "unknown": "tau_bogus", "not a model": "model"}.get(
        choice, "initial_values.v"
    )
    shown = draw_initial if choice == "initial" else value
    return Broken(f"model {choice}", build, (f"{_pop_loc(label)}.{field_name}",), shown)


@st.composite
def broken_size(draw):
    label = draw(st.sampled_from(sorted(POPS)))
    value = draw(
        st.sampled_from(
            [0, -1, -(10**12), 1e12, 2.5, 3.0, "4", None, True, np.float64(2), NAN, INF]
        )
    )

    def build():
        net = base_network()
        net.population(label).size = value
        return net, 10.0

    return Broken("size", build, (f"{_pop_loc(label)}.size",), value)


@st.composite
def broken_label(draw):
    """Two populations with one label, a label that is no string, an unknown label."""
    choice = draw(st.sampled_from(["duplicate", "not a string", "unknown post", "unknown probe"]))
    value = draw(st.sampled_from(["exc", "izh", "input"]))

    def build():
        net = base_network()
        if choice == "duplicate":
            net.add_population(2, hub.LIF(), label=value)
        elif choice == "not a string":
            net.population(value).label = draw_label
        elif choice == "unknown post":
            net.connect("input", "nowhere", hub.AllToAll(), hub.Static(0.1, 1.0))
        else:
            net.record("nowhere", "spikes")
        return net, 10.0

    draw_label = draw(st.sampled_from([5, None, 1.5, ("a",), ""]))
    where = {
        "duplicate": (f"populations[6]({value}).label", "used twice"),
        "not a string": ("label",),
        "unknown post": ("projections[5](input->nowhere).post", "no population 'nowhere'"),
        "unknown probe": ("probes[3](nowhere.spikes).population",),
    }[choice]
    return Broken(f"label {choice}", build, where, value)


@st.composite
def broken_global(draw):
    """dt, seed and duration."""
    choice = draw(st.sampled_from(["dt", "seed", "duration"]))
    if choice == "dt":
        value = draw(
            st.sampled_from([0.0, -0.1, *NOT_NUMBERS, NAN, INF, -INF, "0.1 mV", np.array([0.1])])
        )
    elif choice == "seed":
        value = draw(
            st.sampled_from([-1, -(2**70), 1.5, "3", True, False, NAN, _Opaque(), [1, 2], 3.0])
        )
    else:
        value = draw(
            st.sampled_from(
                [0.0, -1.0, 0.04, 1e-9, *NOT_NUMBERS, NAN, INF, -INF, "10 mV", "-5 ms", [10.0]]
            )
        )

    def build():
        net = base_network()
        if choice == "dt":
            net.dt = value
        elif choice == "seed":
            net.seed = value
        return net, value if choice == "duration" else 10.0

    return Broken(choice, build, (choice,), value)


@st.composite
def broken_connector(draw):
    choice = draw(st.sampled_from(["p", "n", "one", "arrays", "not a connector"]))
    bad_p = [-0.1, 1.5, NAN, INF, "0.5", None, _Opaque(), np.array([0.5, 0.5])]
    bad_n = [-1, 2.5, NAN, None, "2", 99, -(2**70)]
    bad_idx = [[-1, 0], [0, 99], [0.5, 1.0], ["a", "b"], [[0], [1]], [NAN, 0.0]]
    value = draw(st.sampled_from({"p": bad_p, "n": bad_n, "arrays": bad_idx}.get(choice, [None])))
    where = {
        "p": f"{PROJ['p0']}.connector.p",
        "n": "projections[5](exc->izh).connector.n",
        "one": "projections[5](exc->izh).connector",
        "arrays": "projections[5](exc->izh).connector",
        "not a connector": "projections[5](exc->izh).connector",
    }[choice]

    def build():
        net = base_network()
        if choice == "p":
            net.projections[0].connector = hub.FixedProbability(value)
        else:
            conn = {
                "n": lambda: hub.FixedInDegree(value),
                "one": hub.OneToOne,
                "arrays": lambda: hub.FromArrays(value, [0, 1]),
                "not a connector": lambda: "all-to-all",
            }[choice]()
            net.connect("exc", "izh", conn, hub.Static(1.0, 1.0))
        return net, 10.0

    return Broken(f"connector {choice}", build, (where,), value)


@st.composite
def broken_synapse(draw):
    choice = draw(st.sampled_from(["weight", "delay", "receptor", "not a synapse", "sign", "len"]))
    bad_w = [*NOT_NUMBERS[1:], *NON_FINITE, "1 mV", hub.Uniform(0.0, INF), hub.Normal(0.1, -1.0)]
    bad_w += [hub.Uniform(-0.1, 0.1), hub.Normal(0.1, 0.1, low=-1.0, high=1.0), -0.1]
    bad_d = [0.0, -1.0, 0.01, *NOT_NUMBERS[1:], *NON_FINITE, "1 mV", hub.Uniform(-1.0, 1.0)]
    bad_d += [hub.Uniform(0.05, 1.0), hub.Normal(1.0, 0.5, low=0.0), np.array([1.0, 0.0])]
    bad_r = ["bogus", None, 1, "exc", "Inhibitory"]
    value = draw(
        st.sampled_from(
            {"weight": bad_w, "delay": bad_d, "receptor": bad_r}.get(choice, ["static", None, 0.1])
        )
    )
    loc = PROJ["p0"]
    where = {
        "weight": (f"{loc}.synapse.weight",),
        "delay": (f"{loc}.synapse.delay",),
        "receptor": (f"{loc}.synapse.receptor",),
        "not a synapse": (f"{loc}.synapse",),
        "sign": (f"{loc}.synapse.weight",),
        "len": ("projection 'p0'.weight",),
    }[choice]

    def build():
        net = base_network()
        proj = net.projections[0]
        if choice == "weight":
            proj.synapse = hub.Static(value, 1.0)
        elif choice == "delay":
            proj.synapse = hub.Static(0.1, value)
        elif choice == "receptor":
            proj.synapse = hub.Static(0.1, 1.0, value)
        elif choice == "not a synapse":
            proj.synapse = value
        elif choice == "sign":
            proj.synapse = hub.Static(0.5, 1.0, "inhibitory")
        else:
            proj.connector = hub.AllToAll()
            proj.synapse = hub.Static(np.full(5, 0.1), 1.0)
        return net, 10.0

    return Broken(f"synapse {choice}", build, where, value)


@st.composite
def broken_source(draw):
    choice = draw(st.sampled_from(["rate", "start", "stop", "resolve", "times", "trains"]))
    if choice in ("rate", "start", "stop"):
        value = draw(
            st.sampled_from(
                [*NOT_NUMBERS, NAN, -INF, -1.0, "10 mV", hub.Uniform(1.0, 2.0), np.zeros(9)]
                + ([INF] if choice != "stop" else [])
            )
        )
    elif choice == "resolve":
        value = draw(st.sampled_from(["bogus", None, 1, "Hub", ""]))
    elif choice == "times":
        value = draw(st.sampled_from([[NAN], [INF], [-1.0], [0.0], ["x"], [1.0, "5 mV"], [0.01]]))
    else:
        value = draw(st.sampled_from([[[1.0]], [[1.0], [2.0], [3.0]]]))
    label = "input" if choice in ("times", "trains") else "noise"
    field_name = "times" if choice == "trains" else choice

    def build():
        net = base_network()
        pop = net.population(label)
        if label == "noise":
            kw = {"rate": 20.0, choice: value}
            pop.model = hub.PoissonSource(**kw)
        else:
            pop.model = hub.SpikeTimes(value)
        return net, 10.0

    return Broken(f"source {choice}", build, (f"{_pop_loc(label)}.{field_name}",), value)


@st.composite
def broken_injection(draw):
    choice = draw(st.sampled_from(["amplitude", "start", "indices", "target", "step", "source"]))
    value = draw(
        st.sampled_from(
            {
                "amplitude": [NAN, INF, -INF, None, "1 mV", "abc", np.zeros(3)],
                "start": [NAN, -1.0, "1 mV", None],
                "indices": [[-1], [4], [0.5], ["a"], [[0, 1]]],
                "target": ["input", "nowhere"],
                "step": [([1.0, 2.0], [0.1]), ([NAN], [0.1]), ([1.0], [INF]), (["x"], [0.1])],
                "source": [None, hub.PoissonSource(rate=1.0), "dc", 0.5],
            }[choice]
        )
    )
    where = {
        "amplitude": "injections[0](exc).amplitude",
        "start": "injections[0](exc).start",
        "indices": "injections[0](exc).indices",
        "target": "injections[2](",
        "step": "injections[2](exc)",
        "source": "injections[2](exc).source",
    }[choice]

    def build():
        net = base_network()
        if choice == "amplitude":
            net.injections[0].source = hub.DCSource(amplitude=value)
        elif choice == "start":
            net.injections[0].source = hub.DCSource(amplitude=0.1, start=value)
        elif choice == "indices":
            net.injections[0].indices = value
        elif choice == "target":
            net.inject(value, hub.DCSource(amplitude=0.1))
        elif choice == "step":
            net.inject("exc", hub.StepCurrentSource(*value))
        else:
            net.inject("exc", value)
        return net, 10.0

    return Broken(f"injection {choice}", build, (where,), value)


@st.composite
def broken_probe(draw):
    choice = draw(st.sampled_from(["variable", "interval", "indices"]))
    value = draw(
        st.sampled_from(
            {
                "variable": ["vm", "", None, "gsyn_exc", 3],
                "interval": [0.0, -0.1, 0.15, NAN, INF, "1 mV", "abc", _Opaque()],
                "indices": [[-1], [4], [0.5], ["a"], [[0]], [NAN]],
            }[choice]
        )
    )

    def build():
        net = base_network()
        if choice == "variable":
            net.record("exc", value)
        elif choice == "interval":
            net.record("exc", "v", interval=value)
        else:
            net.record("exc", "v", indices=value)
        return net, 10.0

    return Broken(f"probe {choice}", build, ("probes[3](exc.",), value)


@st.composite
def foreign_object(draw):
    """A population or projection of another Network: refused by identity."""
    call = draw(st.sampled_from(["connect pre", "connect post", "record", "inject", "projection"]))

    def build():
        net, other = base_network(), base_network()
        theirs = other.population("exc")
        if call == "connect pre":
            net.connect(theirs, "exc", hub.OneToOne())
        elif call == "connect post":
            net.connect("exc", theirs, hub.OneToOne())
        elif call == "record":
            net.record(theirs, "spikes")
        elif call == "inject":
            net.inject(theirs, hub.DCSource(amplitude=0.1))
        else:
            net.record(other.projections[0])
        return net, 10.0

    where = {
        "connect pre": "connect.pre",
        "connect post": "connect.post",
        "record": "record.population",
        "inject": "inject.target",
        "projection": "record.population",
    }[call]
    return Broken(f"foreign {call}", build, (where, "another Network"), call)


def invalid_cases():
    """One broken field of base_network(), of any kind above."""
    return st.one_of(
        broken_neuron_parameter(),
        broken_model(),
        broken_size(),
        broken_label(),
        broken_global(),
        broken_connector(),
        broken_synapse(),
        broken_source(),
        broken_injection(),
        broken_probe(),
        foreign_object(),
    )


# --- damaged files ----------------------------------------------------------------------------
@dataclass
class Damage:
    """What to do to a saved ``.npz``: ``apply(path, key)`` rewrites it (``key`` is the JSON
    document member, ``__network__`` or ``__results__``)."""

    what: str
    apply: Callable
    detail: object = None

    def __repr__(self):
        return f"Damage({self.what!r}, {self.detail!r})"


def _members(path):
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _write(path, members, compress):
    (np.savez_compressed if compress else np.savez)(path, **members)


def _json_paths(doc, prefix=()):
    """Every path to a value in a JSON tree."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _json_paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for k, v in enumerate(doc):
            yield from _json_paths(v, (*prefix, k))


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 1, 10**12, 10**30, 2**63, -(2**63) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["LIF", "Static", "AllToAll", "SpikeTimes", "a0", "a99", "s0", "v", "spikes"]),
    st.just([]),
    st.just({}),
    st.just({"__array__": [1, 2]}),
    st.just({"__array__": "a0"}),
    st.just({"__ragged__": [[1.0], "x"]}),
    st.just({"type": "Normal", "mu": 0}),
    st.just({"kind": "LIF"}),
    st.just({"kind": "Bogus"}),
    st.lists(st.integers(-3, 3), max_size=3),
)


@st.composite
def json_damage(draw):
    """Replace or delete one value anywhere in the document (found by path index)."""
    op = draw(st.sampled_from(["replace", "delete", "replace", "insert"]))
    pick = draw(st.integers(0, 10**6))
    new = draw(JSON_VALUES)

    def apply(path, key, compress):
        members = _members(path)
        doc = json.loads(bytes(members[key]).decode())
        paths = list(_json_paths(doc))
        target = paths[pick % len(paths)]
        if not target:
            doc = new if op == "replace" else {}
        else:
            parent = doc
            for step in target[:-1]:
                parent = parent[step]
            last = target[-1]
            if op == "delete":
                del parent[last]
            elif op == "insert" and isinstance(parent, dict):
                parent[f"extra_{last}"] = new
            elif op == "insert":
                parent.insert(last, new)
            else:
                parent[last] = new
        text = json.dumps(doc, allow_nan=True)
        members[key] = np.frombuffer(text.encode(), np.uint8)
        _write(path, members, compress)

    return Damage(f"json {op}", apply, (pick, new))


@st.composite
def byte_damage(draw):
    op = draw(st.sampled_from(["flip", "truncate", "insert", "empty", "zero run"]))
    where = draw(st.floats(0.0, 1.0))
    data = draw(st.binary(min_size=1, max_size=16))

    def apply(path, key, compress):
        raw = bytearray(path.read_bytes())
        at = min(len(raw) - 1, int(where * len(raw)))
        if op == "flip":
            for k, b in enumerate(data):
                if at + k < len(raw):
                    raw[at + k] ^= b or 0xFF
        elif op == "truncate":
            raw = raw[:at]
        elif op == "insert":
            raw[at:at] = data
        elif op == "empty":
            raw = bytearray()
        else:
            raw[at : at + 64] = bytes(min(64, len(raw) - at))
        path.write_bytes(bytes(raw))

    return Damage(f"bytes {op}", apply, (where, data))


@st.composite
def member_damage(draw):
    op = draw(st.sampled_from(["remove", "add", "replace", "pickle", "rename", "reshape", "dtype"]))
    pick = draw(st.integers(0, 100))
    name = draw(st.sampled_from(["payload", "a0", "a7", "s9_i", "g0_v", "x.npy", "__network__"]))
    array = draw(
        st.sampled_from(
            [
                np.zeros(0),
                np.arange(5),
                np.array([NAN, INF]),
                np.array(["x", "y"]),
                np.zeros((3, 3)),
                np.array([-1, 10**9], np.int64),
                np.array([1.5, 2.5]),
                np.zeros(3, dtype=[("a", int)]),
                np.array(7),
            ]
        )
    )

    def apply(path, key, compress):
        members = _members(path)
        names = sorted(members)
        victim = names[pick % len(names)]
        if op == "remove":
            del members[victim]
        elif op == "add":
            members[name] = array
        elif op == "replace":
            members[victim] = array
        elif op == "pickle":
            members[victim] = np.array([{"x": 1}], dtype=object)
            np.savez(path, **members)
            return
        elif op == "rename":
            members[name] = members.pop(victim)
        elif op == "reshape":
            members[victim] = np.atleast_2d(members[victim]).T.copy()
        else:
            members[victim] = members[victim].astype(np.float32 if pick % 2 else np.int8)
        _write(path, members, compress)

    return Damage(f"member {op}", apply, (pick, name, array))


def file_damage():
    return st.one_of(json_damage(), byte_damage(), member_damage())

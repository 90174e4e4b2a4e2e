"""Validation: every problem in a network at once, each with its location and its fix.

Locations read like ``projections[3](exc->inh).delay`` so a user can find the line.
"""

from __future__ import annotations

import math
from functools import singledispatch

import numpy as np

from ..errors import Diagnostic, ValidationError
from . import limits, units
from .connectors import (
    Connector,
    FixedInDegree,
    FixedOutDegree,
    FixedProbability,
    FixedTotalNumber,
    FromArrays,
    OneToOne,
    RESOLVE,
)
from .neurons import NeuronModel
from .plasticity import Rule
from .random import Distribution, Normal, Uniform
from .rule_checks import check_rule, check_synapse_probe
from .sources import CurrentSource, PoissonSource, Source, SpikeTimes, StepCurrentSource
from .synapses import RECEPTORS, Plastic, Synapse


def check(net) -> None:
    try:
        problems = diagnose(net)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        # a value of a type no check foresaw (set by hand after construction): still a
        # HubError, never a raw exception
        problems = [
            Diagnostic(
                "network",
                f"a value of an unexpected type ({type(exc).__name__}: {exc})",
                "build the network with the hub's API (hub.Network, add_population, connect) "
                "and give each field the type docs/models.md lists",
            )
        ]
    if problems:
        raise ValidationError(problems)


def diagnose(net) -> list[Diagnostic]:
    """Return every diagnostic for ``net`` (empty when valid)."""
    out: list[Diagnostic] = []
    dt = _scalar(net.dt, "ms", "dt", out, positive=True)
    _check_seed(net.seed, "seed", out)
    labels = {}
    for k, pop in enumerate(net.populations):
        loc = f"populations[{k}]({pop.label})"
        if not isinstance(pop.label, str) or not pop.label:
            out.append(
                Diagnostic(
                    f"{loc}.label",
                    f"{pop.label!r} is not a text label",
                    "give every population a unique string label",
                )
            )
        elif pop.label in labels:
            out.append(
                Diagnostic(
                    f"{loc}.label",
                    f"label {pop.label!r} is used twice",
                    "give every population a unique label",
                )
            )
        if isinstance(pop.label, str) and pop.label:
            labels[pop.label] = pop
        if _size(pop) is None:
            out.append(
                Diagnostic(
                    f"{loc}.size", f"{pop.size!r} is not a positive integer", "use a size >= 1"
                )
            )
            continue
        _check_model(pop.model, pop, loc, dt, out)
    for k, proj in enumerate(net.projections):
        loc = f"projections[{k}]({proj.pre}->{proj.post})"
        if not isinstance(proj.label, str) or not proj.label:
            out.append(
                Diagnostic(
                    f"{loc}.label",
                    f"{proj.label!r} is not a text label",
                    "give every projection a unique string label",
                )
            )
        _check_projection(proj, loc, labels, dt, out)
    for k, inj in enumerate(net.injections):
        loc = f"injections[{k}]({inj.target})"
        tgt = _get(labels, inj.target)
        if tgt is None or tgt.is_source:
            out.append(
                Diagnostic(
                    f"{loc}.target",
                    f"{inj.target!r} is not a neuron population",
                    f"use one of {_neuron_labels(labels)}",
                )
            )
        elif getattr(tgt.model, "kind", "") == "Custom":
            out.append(
                Diagnostic(
                    f"{loc}.target",
                    f"{inj.target!r} is a model written as equations, which has no input for "
                    "injected current yet",
                    "give the model a drive parameter in its equations (e.g. + i_offset/cm) "
                    "and set it",
                )
            )
        if not isinstance(inj.source, CurrentSource):
            out.append(
                Diagnostic(
                    f"{loc}.source",
                    f"{inj.source!r} is not a current source",
                    "use hub.DCSource or hub.StepCurrentSource",
                )
            )
            continue
        _check_params(inj.source, _fields(inj.source), loc, out, n=None, distributions=False)
        if tgt is not None and inj.indices is not None and _size(tgt) is not None:
            _check_indices(inj.indices, tgt.size, f"{loc}.indices", out)
        _check_current(inj.source, loc, out)
    projections = {p.label: p for p in net.projections if isinstance(p.label, str)}
    for k, probe in enumerate(net.synapse_probes):
        check_synapse_probe(
            probe, f"synapse_probes[{k}]({probe.projection}.{probe.variable})", projections, dt, out
        )
    for k, probe in enumerate(net.probes):
        loc = f"probes[{k}]({probe.population}.{probe.variable})"
        pop = _get(labels, probe.population)
        if pop is None:
            out.append(
                Diagnostic(
                    f"{loc}.population",
                    f"no population {probe.population!r}",
                    f"use one of {sorted(labels)}",
                )
            )
            continue
        if not isinstance(pop.model, (NeuronModel, Source)) or _size(pop) is None:
            continue  # reported with the population
        if probe.variable == "spikes" and _native(pop):
            out.append(
                Diagnostic(
                    f"{loc}.variable",
                    f"{pop.label!r} is a Poisson source with "
                    "resolve='native': its spikes are drawn inside each backend "
                    "and cannot be recorded",
                    "use resolve='hub' to record the "
                    "input spikes (or record the neurons it drives)",
                )
            )
            continue
        allowed = ["spikes", *pop.model.recordable_names()]
        if probe.variable not in allowed:
            out.append(
                Diagnostic(
                    f"{loc}.variable",
                    f"{pop.model.label} has no recordable {probe.variable!r}",
                    f"record one of {allowed}",
                )
            )
        if probe.interval is not None and dt:
            iv = _scalar(probe.interval, "ms", f"{loc}.interval", out, positive=True)
            if iv and abs(iv / dt - round(iv / dt)) > 1e-9:
                out.append(
                    Diagnostic(
                        f"{loc}.interval",
                        f"{iv} ms is not a multiple of dt={dt} ms",
                        "use a multiple of dt",
                    )
                )
        if probe.indices is not None:
            _check_indices(probe.indices, pop.size, f"{loc}.indices", out)
    out.extend(limits.stiffness(net))  # ODE models: no time constant below 1 us
    return out


# --- pieces ---------------------------------------------------------------------------------
def _scalar(value, unit, loc, out, positive=False):
    try:
        converted = units.convert(value, unit)
        if np.ndim(converted) != 0:
            raise TypeError("not a scalar")
        v = float(converted)
    except (units.UnitError, TypeError, ValueError) as e:
        out.append(
            Diagnostic(
                loc,
                f"{value!r} {e}"
                if isinstance(e, units.UnitError)
                else f"{value!r} is not a number",
                f"give a number in {unit}",
            )
        )
        return None
    if not math.isfinite(v) or (positive and v <= 0):
        out.append(
            Diagnostic(loc, f"{v} {unit} must be positive and finite", f"use a value > 0 {unit}")
        )
        return None
    return v


def _fields(obj) -> dict:
    """A source's declared parameters by name (their values as given)."""
    return {p.name: getattr(obj, p.name) for p in obj.parameters}


def _check_params(obj, values: dict, loc, out, n, distributions: bool = True):
    """Check the given ``values`` (name -> value) against ``obj.parameters``; a Distribution
    is accepted where ``distributions`` (neuron parameters), refused otherwise (sources)."""
    for p in obj.parameters:
        value = values.get(p.name)
        where = f"{loc}.{p.name}"
        if value is None:
            if not distributions:  # a neuron model reports None itself
                out.append(Diagnostic(where, "None is not a value", f"give a number in {p.unit}"))
            continue
        if isinstance(value, Distribution):
            if not distributions:
                out.append(
                    Diagnostic(
                        where,
                        f"{value!r}: {type(obj).__name__} takes no distribution",
                        f"give a number or one value per neuron in {p.unit} (draw them with "
                        "numpy if they are random)",
                    )
                )
            else:
                check_distribution(value, where, out)
                lowest = _support(value)[0]
                if lowest is not None and (
                    p.check == "positive" and lowest <= 0 or p.check != "any" and lowest < 0
                ):
                    out.append(
                        Diagnostic(
                            where,
                            f"{value!r} draws values from {lowest:g} {p.unit}",
                            f"bound it to {'positive' if p.check == 'positive' else 'non-negative'}"
                            f" values (low {'>' if p.check == 'positive' else '>='} 0)",
                        )
                    )
            continue
        try:
            arr = np.asarray(units.convert(value, p.unit), dtype=float)
        except units.UnitError as e:
            out.append(Diagnostic(where, f"{value!r} {e}", f"give a value in {p.unit}"))
            continue
        except (TypeError, ValueError):
            out.append(
                Diagnostic(where, f"{value!r} is not a number", f"give a number in {p.unit}")
            )
            continue
        if p.name in ("times", "amplitudes"):
            continue  # checked by the source's own rules
        if n is None and arr.ndim > 0:
            out.append(
                Diagnostic(where, f"array of shape {arr.shape}", f"give one number in {p.unit}")
            )
            continue
        if arr.ndim > 1 or (arr.ndim == 1 and n is not None and arr.size != n):
            out.append(
                Diagnostic(
                    where,
                    f"array of shape {arr.shape} for {n} neurons",
                    f"give a scalar or an array of length {n}",
                )
            )
            continue
        if not _finite(arr, where, out, allow_inf=p.default == math.inf):
            continue
        if p.check == "positive" and (arr <= 0).any():
            out.append(
                Diagnostic(where, f"{_show(arr)} {p.unit} must be > 0", f"use a positive {p.name}")
            )
        elif p.check in ("nonneg", "int_nonneg") and (arr < 0).any():
            out.append(
                Diagnostic(
                    where, f"{_show(arr)} {p.unit} must be >= 0", f"use a non-negative {p.name}"
                )
            )
        elif p.check == "int_positive" and ((arr < 1).any() or (arr != np.floor(arr)).any()):
            out.append(
                Diagnostic(
                    where,
                    f"{_show(arr)} must be a whole number >= 1",
                    f"use an integer {p.name} of at least 1",
                )
            )


def _check_teacher(rule, post, labels, loc, out) -> None:
    """A rule with ``on_teacher`` statements needs a teacher: a spike source as large as the
    postsynaptic population, or of one neuron (a modulator: its spikes reach every synapse);
    a rule without them takes none."""
    definition = getattr(rule, "definition", None)
    wants = bool(getattr(definition, "on_teacher", ""))
    teacher = getattr(rule, "teacher", None)
    if not wants:
        if teacher is not None:
            out.append(
                Diagnostic(loc, f"{rule!r} has no on_teacher statements", "leave teacher out")
            )
        return
    src = _get(labels, teacher) if isinstance(teacher, str) else None
    if src is None or not src.is_source:
        out.append(
            Diagnostic(
                loc,
                f"{teacher!r} is not a spike source of this network",
                "give teacher=<the spike source whose neuron j teaches postsynaptic neuron j>",
            )
        )
    elif post is not None and _size(post) is not None and src.size not in (1, post.size):
        out.append(
            Diagnostic(
                loc,
                f"the teacher {teacher!r} has {src.size} neurons, the postsynaptic population "
                f"{post.size}",
                "give one teacher neuron per postsynaptic neuron, or a source of one neuron "
                "(a modulator, whose spikes reach every synapse)",
            )
        )


# --- per kind of object: one function per class, found by type ---------------------------
@singledispatch
def _check_model(model, pop, loc, dt, out):
    out.append(
        Diagnostic(
            f"{loc}.model",
            f"{model!r} is not a neuron model or source",
            "use e.g. hub.LIF(...) or hub.PoissonSource(...)",
        )
    )


@_check_model.register
def _check_neuron(model: NeuronModel, pop, loc, dt, out):
    for key, val in model.unknown.items():
        out.append(
            Diagnostic(
                f"{loc}.{key}",
                f"{model.kind} has no parameter {key!r} (value {val!r})",
                f"use one of {[p.name for p in model.parameters]}",
            )
        )
    for opt, choices in model.options.items():
        if model.option_values[opt] not in choices:
            out.append(
                Diagnostic(
                    f"{loc}.{opt}",
                    f"{model.option_values[opt]!r} is not a {model.kind} {opt}",
                    f"use one of {list(choices)}",
                )
            )
    for name, value in model.values.items():
        if value is None:
            out.append(
                Diagnostic(
                    f"{loc}.{name}",
                    "None is not a value",
                    f"leave {name} out for its default ({model.param(name).default!r})",
                )
            )
    _check_params(model, model.values, loc, out, pop.size)
    if model.kind == "LIFSubtract" and model.option_values.get("spikes") == "many":
        _check_subtraction(model, loc, out)
    state = {s.name: s.unit for s in model.state}
    for key, val in pop.initial_values.items():
        if key not in state:
            out.append(
                Diagnostic(
                    f"{loc}.initial_values.{key}",
                    f"{model.kind} has no state variable {key!r}",
                    f"use one of {sorted(state)}",
                )
            )
        elif isinstance(val, Distribution):
            check_distribution(val, f"{loc}.initial_values.{key}", out)
        elif val is None:
            out.append(
                Diagnostic(
                    f"{loc}.initial_values.{key}",
                    "None is not a value",
                    f"leave {key} out for its default initial value",
                )
            )
        else:
            try:
                arr = np.asarray(units.convert(val, state[key]), float)
                if not _finite(arr, f"{loc}.initial_values.{key}", out):
                    continue
                if arr.ndim > 1 or arr.ndim == 1 and arr.size != pop.size:
                    out.append(
                        Diagnostic(
                            f"{loc}.initial_values.{key}",
                            f"{arr.size} values for {pop.size} neurons",
                            f"give {pop.size} values",
                        )
                    )
            except (units.UnitError, TypeError, ValueError) as e:
                out.append(
                    Diagnostic(
                        f"{loc}.initial_values.{key}",
                        f"{val!r} {e}",
                        f"give a value in {state[key]}",
                    )
                )


def _check_subtraction(model, loc, out):
    """``spikes="many"`` divides by d = v_thresh - v_reset: it must be > 0 (given values only;
    distributions are drawn later)."""
    vals = [model.value(k) for k in ("v_thresh", "v_reset")]
    if any(isinstance(v, Distribution) for v in vals):
        return
    try:
        thresh, reset = (np.asarray(units.convert(v, "mV"), float) for v in vals)
        bad = bool(np.any(~(thresh - reset > 0)))
    except (units.UnitError, TypeError, ValueError):
        return  # reported by _check_params
    if bad:
        out.append(
            Diagnostic(
                f"{loc}.v_reset",
                f"v_reset {_show(reset)} mV is not below v_thresh {_show(thresh)} mV",
                "spikes='many' subtracts d = v_thresh - v_reset per spike: give v_reset < v_thresh",
            )
        )


@_check_model.register
def _check_source(src: Source, pop, loc, dt, out):
    out.append(
        Diagnostic(
            f"{loc}.model",
            f"{src!r} is not a spike source hub can draw",
            "use hub.SpikeTimes(...) or hub.PoissonSource(...)",
        )
    )


@_check_model.register
def _check_poisson(src: PoissonSource, pop, loc, dt, out):
    _check_params(src, _fields(src), loc, out, pop.size, distributions=False)
    if not isinstance(src.resolve, str) or src.resolve not in PoissonSource.RESOLVE:
        out.append(
            Diagnostic(
                f"{loc}.resolve",
                f"{src.resolve!r} is not a way to draw a Poisson source",
                "use resolve='hub' (identical spikes on every backend) or "
                "resolve='native' (each backend's own RNG)",
            )
        )


@_check_model.register
def _check_spike_times(src: SpikeTimes, pop, loc, dt, out):
    times = src.times
    try:
        nested = len(times) > 0 and all(np.ndim(t) == 1 for t in times)
        trains = (
            [np.asarray(units.convert(t, "ms"), float) for t in times]
            if nested
            else [np.asarray(units.convert(times, "ms"), float)]
        )
    except (units.UnitError, TypeError, ValueError) as e:
        out.append(
            Diagnostic(
                f"{loc}.times",
                f"cannot read spike times: {e}",
                "give a list of times in ms, or one list per neuron",
            )
        )
        return
    if nested and len(trains) != pop.size:
        out.append(
            Diagnostic(
                f"{loc}.times",
                f"{len(trains)} spike trains for {pop.size} neurons",
                f"give {pop.size} lists or one list",
            )
        )
    flat = np.concatenate(trains) if trains else np.zeros(0)
    if flat.size and not np.isfinite(flat).all():
        out.append(Diagnostic(f"{loc}.times", "contains NaN or inf", "give finite times"))
    elif dt and flat.size and flat.min() < dt * (1 - 1e-9) - 0.5 * dt:
        out.append(
            Diagnostic(
                f"{loc}.times",
                f"{flat.min()} ms is before the first step (dt={dt} ms)",
                f"use spike times >= {dt} ms",
            )
        )


def _check_seed(seed, loc, out) -> None:
    """A seed is None or an integer >= 0 (the network's, or a connector's own)."""
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)):
        out.append(Diagnostic(loc, f"{seed!r} is not an integer", "use an int or None"))
    elif seed is not None and seed < 0:
        out.append(Diagnostic(loc, f"{seed} is negative", "use an int >= 0 or None"))


def _check_projection(proj, loc, labels, dt, out):
    pre, post = _get(labels, proj.pre), _get(labels, proj.post)
    if pre is not None and _size(pre) is None or post is not None and _size(post) is None:
        return  # the size is reported with its population
    if pre is None:
        out.append(
            Diagnostic(f"{loc}.pre", f"no population {proj.pre!r}", f"use one of {sorted(labels)}")
        )
    if post is None or (post is not None and post.is_source):
        what = "no population" if post is None else "a spike source cannot receive:"
        out.append(
            Diagnostic(
                f"{loc}.post", f"{what} {proj.post!r}", f"use one of {_neuron_labels(labels)}"
            )
        )
        post = None
    c = proj.connector
    _check_seed(getattr(c, "seed", None), f"{loc}.connector.seed", out)
    _check_connector(c, pre, post, f"{loc}.connector", out)
    syn = proj.synapse
    modulator = (
        syn.rule.modulator if isinstance(syn, Plastic) and isinstance(syn.rule, Rule) else None
    )
    if isinstance(syn, Plastic) and (_native(pre) or _native(_get(labels, modulator or ""))):
        out.append(
            Diagnostic(
                f"{loc}.synapse",
                "a Poisson source with resolve='native' "
                "cannot drive a plastic synapse or a modulator (its spikes are "
                "not known to the rule's bookkeeping)",
                "use resolve='hub' for this source",
            )
        )
    if not isinstance(syn, Synapse):
        out.append(
            Diagnostic(
                f"{loc}.synapse", f"{syn!r} is not a synapse", "use hub.Static(weight, delay)"
            )
        )
        return
    if syn.receptor not in RECEPTORS:
        out.append(
            Diagnostic(
                f"{loc}.synapse.receptor",
                f"{syn.receptor!r} is not a receptor",
                f"use one of {list(RECEPTORS)}",
            )
        )
    weight, delay = c.synapse_values(syn) if isinstance(c, Connector) else (syn.weight, syn.delay)
    if post is not None and _options_ok(post.model):
        unit = post.model.weight_unit
        w = _values(weight, unit, f"{loc}.synapse.weight", out)
        if w is None and isinstance(weight, Distribution):
            w = np.array([b for b in _support(weight) if b is not None], float)
        if w is not None and w.size:
            if post.model.input == "conductance" and (w < 0).any():
                out.append(
                    Diagnostic(
                        f"{loc}.synapse.weight",
                        f"{_show(w)} {unit}: conductance weights must be >= 0",
                        "give positive weights; the receptor decides the sign",
                    )
                )
            elif post.model.input != "conductance":
                if syn.receptor == "inhibitory" and (w > 0).any():
                    out.append(
                        Diagnostic(
                            f"{loc}.synapse.weight",
                            f"{_show(w)} {unit}: inhibitory current-based weights must be <= 0",
                            "use a negative weight",
                        )
                    )
                if syn.receptor == "excitatory" and (w < 0).any():
                    out.append(
                        Diagnostic(
                            f"{loc}.synapse.weight",
                            f"{_show(w)} {unit}: negative weight on the excitatory receptor",
                            "use receptor='inhibitory' for negative weights",
                        )
                    )
        if isinstance(syn, Plastic):
            check_rule(syn.rule, w, unit, f"{loc}.synapse.rule", labels, dt, out)
            _check_teacher(syn.rule, post, labels, f"{loc}.synapse.rule.teacher", out)
            if getattr(proj.connector, "resolve", "hub") == "native":
                out.append(
                    Diagnostic(
                        f"{loc}.connector.resolve",
                        "'native' connectivity with a plastic synapse: the hub could not "
                        "number the synapses whose state it reports",
                        "use resolve='hub' for plastic projections",
                    )
                )
    if isinstance(delay, Distribution) and dt:
        lowest = _support(delay)[0]
        if lowest is not None and lowest < dt * (1 - 1e-9):
            out.append(
                Diagnostic(
                    f"{loc}.synapse.delay",
                    f"{delay!r} draws delays from {lowest:g} ms, below dt={dt} ms",
                    f"use a distribution of delays >= dt ({dt} ms) (low >= {dt})",
                )
            )
    if delay is not None and dt:
        d = _values(delay, "ms", f"{loc}.synapse.delay", out)
        if d is not None and d.size and (d < dt * (1 - 1e-9)).any():
            out.append(
                Diagnostic(
                    f"{loc}.synapse.delay",
                    f"{_show(d[d < dt * (1 - 1e-9)])} ms is below dt={dt} ms",
                    f"use a delay >= dt ({dt} ms)",
                )
            )


@singledispatch
def _check_connector(c, pre, post, loc, out):
    """Problems of connector ``c`` between populations ``pre`` and ``post`` (None when those
    are invalid); one registered function per connector class."""
    out.append(Diagnostic(loc, f"{c!r} is not a connector", "use e.g. hub.FixedProbability(0.1)"))


@_check_connector.register
def _(c: Connector, pre, post, loc, out):
    pass  # AllToAll: any sizes


def _check_resolve(c, loc, out):
    if c.resolve not in RESOLVE:
        out.append(
            Diagnostic(
                f"{loc}.resolve",
                f"{c.resolve!r} is not one of {list(RESOLVE)}",
                "use 'hub' (drawn once, the same on every backend) or 'native' (each backend "
                "draws with its own rule)",
            )
        )


@_check_connector.register
def _(c: FixedProbability, pre, post, loc, out):
    _check_resolve(c, loc, out)
    if not isinstance(c.p, (int, float)) or not 0 <= c.p <= 1:
        out.append(
            Diagnostic(f"{loc}.p", f"probability {c.p!r} is outside [0, 1]", "use 0 <= p <= 1")
        )


@_check_connector.register
def _(c: FixedInDegree, pre, post, loc, out):
    _check_resolve(c, loc, out)
    other = post if isinstance(c, FixedOutDegree) else pre
    if not isinstance(c.n, (int, np.integer)) or c.n < 0:
        out.append(
            Diagnostic(f"{loc}.n", f"{c.n!r} is not a count >= 0", "use a non-negative integer")
        )
    elif other is not None:
        # onto its own population without self-connections, a neuron has one partner fewer
        no_self = pre is post and not c.allow_self_connections
        partners = other.size - (1 if no_self else 0)
        what = f"the {partners} other neurons" if no_self else f"the {other.size} neurons"
        if c.n > 0 and partners == 0:
            out.append(
                Diagnostic(
                    f"{loc}.n",
                    f"{c.n} partner(s), but {other.label!r} has no neuron other than itself",
                    "set allow_self_connections=True or use a larger population",
                )
            )
        elif not c.with_replacement and c.n > partners:
            out.append(
                Diagnostic(
                    f"{loc}.n",
                    f"{c.n} exceeds {what} of {other.label!r} without replacement",
                    "lower n or set with_replacement=True"
                    + (" (or allow_self_connections=True)" if no_self else ""),
                )
            )


@_check_connector.register
def _(c: FixedTotalNumber, pre, post, loc, out):
    _check_resolve(c, loc, out)
    if isinstance(c.n, bool) or not isinstance(c.n, (int, np.integer)) or c.n < 0:
        out.append(
            Diagnostic(
                f"{loc}.n",
                f"{c.n!r} is not a count of connections >= 0",
                "use a non-negative integer (the total number of connections)",
            )
        )
        return
    if pre is None or post is None or c.n == 0:
        return
    # onto its own population without self-connections, the n diagonal pairs are out
    no_self = pre is post and not c.allow_self_connections
    pairs = pre.size * post.size - (pre.size if no_self else 0)
    what = f"{pairs} pairs ({pre.size} x {post.size}" + (" minus the diagonal)" if no_self else ")")
    if pairs == 0:
        out.append(
            Diagnostic(
                f"{loc}.n",
                f"{c.n} connection(s), but there are no {what} to draw from",
                "set allow_self_connections=True or use larger populations",
            )
        )
    elif not c.with_replacement and c.n > pairs:
        out.append(
            Diagnostic(
                f"{loc}.n",
                f"{c.n} distinct connections exceed the {what} without replacement",
                f"lower n to at most {pairs} or set with_replacement=True"
                + (" (or allow_self_connections=True)" if no_self else ""),
            )
        )


@_check_connector.register
def _(c: OneToOne, pre, post, loc, out):
    if pre is not None and post is not None and pre.size != post.size:
        out.append(
            Diagnostic(
                loc,
                f"OneToOne needs equal sizes, got {pre.size} and {post.size}",
                "use populations of equal size",
            )
        )


@_check_connector.register
def _(c: FromArrays, pre, post, loc, out):
    if pre is not None:
        _check_indices(c.pre, pre.size, f"{loc}.pre", out)
    if post is not None:
        _check_indices(c.post, post.size, f"{loc}.post", out)
    if np.size(c.pre) != np.size(c.post):
        out.append(
            Diagnostic(
                loc,
                f"{np.size(c.pre)} pre and {np.size(c.post)} post indices",
                "give equal-length arrays",
            )
        )


@singledispatch
def _check_current(source, loc, out):
    pass  # DCSource: its parameters are all


@_check_current.register
def _(source: StepCurrentSource, loc, out):
    t = _values(source.times, "ms", f"{loc}.times", out, distributions=False)
    a = _values(source.amplitudes, "nA", f"{loc}.amplitudes", out, distributions=False)
    if t is None or a is None:
        return
    if np.ndim(source.times) > 1 or np.ndim(source.amplitudes) > 1:
        out.append(
            Diagnostic(f"{loc}.times", "times and amplitudes must be flat lists", "give lists")
        )
    elif t.shape != a.shape:
        out.append(
            Diagnostic(
                f"{loc}.amplitudes",
                f"{a.size} amplitudes for {t.size} times",
                "give one amplitude per time",
            )
        )


def _values(value, unit, loc, out, distributions=True):
    if isinstance(value, Distribution) and distributions:
        check_distribution(value, loc, out)
        return None
    try:
        arr = np.atleast_1d(np.asarray(units.convert(value, unit), dtype=float))
    except units.UnitError as e:
        out.append(Diagnostic(loc, f"{value!r} {e}", f"give a value in {unit}"))
        return None
    except (TypeError, ValueError):
        out.append(Diagnostic(loc, f"{value!r} is not a number", f"give a number in {unit}"))
        return None
    if not _finite(arr, loc, out):
        return None
    return arr


#: the least probability a clipped Normal must give its interval [low, high] (it is drawn
#: by redrawing the values outside, so a tiny interval would never finish)
MIN_CLIPPED_MASS = 1e-3


def check_distribution(d, loc, out) -> None:
    """Diagnostics for a Distribution's own numbers: finite, ordered, and for a clipped
    Normal an interval with probability >= MIN_CLIPPED_MASS."""
    if isinstance(d, Uniform):
        lo, hi = _number(d.low), _number(d.high)
        if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
            out.append(
                Diagnostic(loc, f"{d!r}: bounds must be finite numbers", "use finite bounds")
            )
        elif lo > hi:
            out.append(Diagnostic(loc, f"{d!r}: low > high", "use low <= high"))
    elif isinstance(d, Normal):
        mu, sigma, lo, hi = (_number(x) for x in (d.mu, d.sigma, d.low, d.high))
        if None in (mu, sigma, lo, hi) or not (math.isfinite(mu) and math.isfinite(sigma)):
            out.append(Diagnostic(loc, f"{d!r}: mu and sigma must be finite numbers", ""))
        elif sigma < 0:
            out.append(Diagnostic(loc, f"{d!r}: sigma < 0", "use sigma >= 0"))
        elif math.isnan(lo) or math.isnan(hi) or lo > hi:
            out.append(Diagnostic(loc, f"{d!r}: low > high", "use low <= high"))
        elif _normal_mass(mu, sigma, lo, hi) < MIN_CLIPPED_MASS:
            out.append(
                Diagnostic(
                    loc,
                    f"{d!r}: the interval [low, high] holds less than {MIN_CLIPPED_MASS:g} of "
                    "the distribution (drawing by redrawing would not finish)",
                    "widen [low, high] or move mu into it",
                )
            )


def _number(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _normal_mass(mu, sigma, lo, hi) -> float:
    if sigma == 0:
        return 1.0 if lo <= mu <= hi else 0.0

    def cdf(x):
        return 0.5 * (1 + math.erf((x - mu) / (sigma * math.sqrt(2))))

    return cdf(hi) - cdf(lo)


def _finite(arr, loc, out, allow_inf: bool = False) -> bool:
    """False (with a diagnostic) when ``arr`` holds NaN or an infinity; +inf passes where
    ``allow_inf`` (a parameter whose default is +inf, e.g. a source's ``stop``)."""
    if np.isnan(arr).any():
        out.append(Diagnostic(loc, "contains NaN", "give finite values"))
        return False
    bad = np.isinf(arr) & ~((arr > 0) & allow_inf)
    if bad.any():
        out.append(Diagnostic(loc, f"contains {_show(arr[bad])}", "give finite values"))
        return False
    return True


def _check_indices(indices, size, loc, out):
    try:
        idx = np.asarray(indices)
    except (TypeError, ValueError):  # ragged
        idx = np.asarray(None)
    if idx.ndim != 1 or idx.size and idx.dtype.kind not in "iu":
        out.append(
            Diagnostic(
                loc,
                f"{indices!r} is not a list of neuron indices",
                f"give a flat list of integers in [0, {size})",
            )
        )
    elif idx.size and (idx.min() < 0 or idx.max() >= size):
        out.append(
            Diagnostic(
                loc,
                f"indices {_show(idx)} outside 0..{size - 1}",
                f"use integer indices in [0, {size})",
            )
        )


def _get(labels, label):
    """The population named ``label`` (None for an unknown label or one that is no text)."""
    return labels.get(label) if isinstance(label, str) else None


def _size(pop) -> int | None:
    """The population's size when it is a valid count (else None: reported once)."""
    size = pop.size
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool) and size >= 1:
        return int(size)
    return None


def _options_ok(model) -> bool:
    """A neuron model whose options are valid (they choose its weight unit)."""
    return isinstance(model, NeuronModel) and all(
        isinstance(model.option_values[o], str) and model.option_values[o] in choices
        for o, choices in model.options.items()
    )


def _support(d) -> tuple[float | None, float | None]:
    """The bounds of the values a distribution draws (None: unbounded or not a number)."""
    lo, hi = (d.low, d.high) if isinstance(d, (Uniform, Normal)) else (None, None)
    lo, hi = _number(lo), _number(hi)
    return (
        lo if lo is not None and math.isfinite(lo) else None,
        hi if hi is not None and math.isfinite(hi) else None,
    )


def _native(pop) -> bool:
    return pop is not None and isinstance(pop.model, PoissonSource) and pop.model.native


def _neuron_labels(labels):
    return sorted(k for k, p in labels.items() if not p.is_source)


def _show(arr) -> str:
    arr = np.asarray(arr)
    if arr.size == 1:
        return f"{arr.reshape(-1)[0]:g}"
    return f"[{arr.min():g} .. {arr.max():g}]"

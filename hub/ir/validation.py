"""Validation: every problem in a network at once, each with its location and its fix.

Locations read like ``projections[3](exc->inh).delay`` so a user can find the line.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import Diagnostic, ValidationError
from . import units
from .connectors import (Connector, FixedInDegree, FixedOutDegree, FixedProbability,
                         FromArrays, OneToOne)
from .neurons import NeuronModel
from .random import Distribution
from .rule_checks import check_rule, check_synapse_probe
from .sources import DCSource, PoissonSource, Source, SpikeTimes, StepCurrentSource
from .synapses import RECEPTORS, Plastic, Static


def check(net) -> None:
    problems = diagnose(net)
    if problems:
        raise ValidationError(problems)


def diagnose(net) -> list[Diagnostic]:
    """Return every diagnostic for ``net`` (empty when valid)."""
    out: list[Diagnostic] = []
    dt = _scalar(net.dt, "ms", "dt", out, positive=True)
    if net.seed is not None and not isinstance(net.seed, (int, np.integer)):
        out.append(Diagnostic("seed", f"{net.seed!r} is not an integer", "use an int or None"))
    labels = {}
    for k, pop in enumerate(net.populations):
        loc = f"populations[{k}]({pop.label})"
        if pop.label in labels:
            out.append(Diagnostic(f"{loc}.label", f"label {pop.label!r} is used twice",
                                  "give every population a unique label"))
        labels[pop.label] = pop
        if not isinstance(pop.size, (int, np.integer)) or isinstance(pop.size, bool) \
                or pop.size < 1:
            out.append(Diagnostic(f"{loc}.size", f"{pop.size!r} is not a positive integer",
                                  "use a size >= 1"))
            continue
        if isinstance(pop.model, NeuronModel):
            _check_neuron(pop, loc, out)
        elif isinstance(pop.model, Source):
            _check_source(pop, loc, dt, out)
        else:
            out.append(Diagnostic(f"{loc}.model", f"{pop.model!r} is not a neuron model or source",
                                  "use e.g. hub.LIF(...) or hub.PoissonSource(...)"))
    for k, proj in enumerate(net.projections):
        _check_projection(proj, f"projections[{k}]({proj.pre}->{proj.post})", labels, dt, out)
    for k, inj in enumerate(net.injections):
        loc = f"injections[{k}]({inj.target})"
        tgt = labels.get(inj.target)
        if tgt is None or tgt.is_source:
            out.append(Diagnostic(f"{loc}.target", f"{inj.target!r} is not a neuron population",
                                  f"use one of {_neuron_labels(labels)}"))
        if not isinstance(inj.source, DCSource):
            out.append(Diagnostic(f"{loc}.source", f"{inj.source!r} is not a current source",
                                  "use hub.DCSource or hub.StepCurrentSource"))
            continue
        _check_params(inj.source, loc, out, n=None)
        if tgt is not None and inj.indices is not None:
            _check_indices(inj.indices, tgt.size, f"{loc}.indices", out)
        if isinstance(inj.source, StepCurrentSource):
            t = np.asarray(units.convert(inj.source.times, "ms"), float)
            a = np.asarray(units.convert(inj.source.amplitudes, "nA"), float)
            if t.shape != a.shape:
                out.append(Diagnostic(f"{loc}.amplitudes", f"{a.size} amplitudes for {t.size} "
                                      "times", "give one amplitude per time"))
    projections = {p.label: p for p in net.projections}
    for k, probe in enumerate(net.synapse_probes):
        check_synapse_probe(probe, f"synapse_probes[{k}]({probe.projection}.{probe.variable})",
                            projections, dt, out)
    for k, probe in enumerate(net.probes):
        loc = f"probes[{k}]({probe.population}.{probe.variable})"
        pop = labels.get(probe.population)
        if pop is None:
            out.append(Diagnostic(f"{loc}.population", f"no population {probe.population!r}",
                                  f"use one of {sorted(labels)}"))
            continue
        if probe.variable == "spikes" and _native(pop):
            out.append(Diagnostic(f"{loc}.variable", f"{pop.label!r} is a Poisson source with "
                                  "resolve='native': its spikes are drawn inside each backend "
                                  "and cannot be recorded", "use resolve='hub' to record the "
                                  "input spikes (or record the neurons it drives)"))
            continue
        allowed = ["spikes", *pop.model.recordable_names()]
        if probe.variable not in allowed:
            out.append(Diagnostic(f"{loc}.variable", f"{pop.model.label} has no recordable "
                                  f"{probe.variable!r}", f"record one of {allowed}"))
        if probe.interval is not None and dt:
            iv = _scalar(probe.interval, "ms", f"{loc}.interval", out, positive=True)
            if iv and abs(iv / dt - round(iv / dt)) > 1e-9:
                out.append(Diagnostic(f"{loc}.interval", f"{iv} ms is not a multiple of dt={dt} ms",
                                      "use a multiple of dt"))
        if probe.indices is not None:
            _check_indices(probe.indices, pop.size, f"{loc}.indices", out)
    return out


# --- pieces ---------------------------------------------------------------------------------
def _scalar(value, unit, loc, out, positive=False):
    try:
        v = float(units.convert(value, unit))
    except (units.UnitError, TypeError, ValueError) as e:
        out.append(Diagnostic(loc, f"{value!r} {e}" if isinstance(e, units.UnitError)
                              else f"{value!r} is not a number", f"give a number in {unit}"))
        return None
    if not math.isfinite(v) or (positive and v <= 0):
        out.append(Diagnostic(loc, f"{v} {unit} must be positive and finite",
                              f"use a value > 0 {unit}"))
        return None
    return v


def _check_params(obj, loc, out, n):
    for p in obj.parameters:
        value = getattr(obj, "values", obj.__dict__).get(p.name)
        if value is None:
            continue
        where = f"{loc}.{p.name}"
        if isinstance(value, Distribution):
            continue
        try:
            arr = np.asarray(units.convert(value, p.unit), dtype=float)
        except units.UnitError as e:
            out.append(Diagnostic(where, f"{value!r} {e}", f"give a value in {p.unit}"))
            continue
        except (TypeError, ValueError):
            out.append(Diagnostic(where, f"{value!r} is not a number",
                                  f"give a number in {p.unit}"))
            continue
        if p.name == "times":
            continue
        if arr.ndim > 1 or (arr.ndim == 1 and n is not None and arr.size != n):
            out.append(Diagnostic(where, f"array of shape {arr.shape} for {n} neurons",
                                  f"give a scalar or an array of length {n}"))
            continue
        if np.isnan(arr).any():
            out.append(Diagnostic(where, "contains NaN", "give finite values"))
        elif p.check == "positive" and (arr <= 0).any():
            out.append(Diagnostic(where, f"{_show(arr)} {p.unit} must be > 0",
                                  f"use a positive {p.name}"))
        elif p.check in ("nonneg", "int_nonneg") and (arr < 0).any():
            out.append(Diagnostic(where, f"{_show(arr)} {p.unit} must be >= 0",
                                  f"use a non-negative {p.name}"))


def _check_neuron(pop, loc, out):
    model = pop.model
    for key, val in model.unknown.items():
        out.append(Diagnostic(f"{loc}.{key}", f"{model.kind} has no parameter {key!r} "
                              f"(value {val!r})",
                              f"use one of {[p.name for p in model.parameters]}"))
    for opt, choices in model.options.items():
        if model.option_values[opt] not in choices:
            out.append(Diagnostic(f"{loc}.{opt}", f"{model.option_values[opt]!r} is not a "
                                  f"{model.kind} {opt}", f"use one of {list(choices)}"))
    _check_params(model, loc, out, pop.size)
    state = {s.name: s.unit for s in model.state}
    for key, val in pop.initial_values.items():
        if key not in state:
            out.append(Diagnostic(f"{loc}.initial_values.{key}", f"{model.kind} has no state "
                                  f"variable {key!r}", f"use one of {sorted(state)}"))
        elif not isinstance(val, Distribution):
            try:
                arr = np.asarray(units.convert(val, state[key]), float)
                if arr.ndim == 1 and arr.size != pop.size:
                    out.append(Diagnostic(f"{loc}.initial_values.{key}", f"{arr.size} values for "
                                          f"{pop.size} neurons", f"give {pop.size} values"))
            except (units.UnitError, TypeError, ValueError) as e:
                out.append(Diagnostic(f"{loc}.initial_values.{key}", f"{val!r} {e}",
                                      f"give a value in {state[key]}"))


def _check_source(pop, loc, dt, out):
    src = pop.model
    if isinstance(src, PoissonSource):
        _check_params(src, loc, out, pop.size)
        if not isinstance(src.resolve, str) or src.resolve not in PoissonSource.RESOLVE:
            out.append(Diagnostic(f"{loc}.resolve", f"{src.resolve!r} is not a way to draw "
                                  "a Poisson source",
                                  "use resolve='hub' (identical spikes on every backend) or "
                                  "resolve='native' (each backend's own RNG)"))
    elif isinstance(src, SpikeTimes):
        times = src.times
        try:
            nested = len(times) > 0 and all(np.ndim(t) == 1 for t in times)
            trains = [np.asarray(units.convert(t, "ms"), float) for t in times] if nested \
                else [np.asarray(units.convert(times, "ms"), float)]
        except (units.UnitError, TypeError, ValueError) as e:
            out.append(Diagnostic(f"{loc}.times", f"cannot read spike times: {e}",
                                  "give a list of times in ms, or one list per neuron"))
            return
        if nested and len(trains) != pop.size:
            out.append(Diagnostic(f"{loc}.times", f"{len(trains)} spike trains for "
                                  f"{pop.size} neurons", f"give {pop.size} lists or one list"))
        flat = np.concatenate(trains) if trains else np.zeros(0)
        if flat.size and not np.isfinite(flat).all():
            out.append(Diagnostic(f"{loc}.times", "contains NaN or inf", "give finite times"))
        elif dt and flat.size and flat.min() < dt * (1 - 1e-9) - 0.5 * dt:
            out.append(Diagnostic(f"{loc}.times", f"{flat.min()} ms is before the first step "
                                  f"(dt={dt} ms)", f"use spike times >= {dt} ms"))


def _check_projection(proj, loc, labels, dt, out):
    pre, post = labels.get(proj.pre), labels.get(proj.post)
    if pre is None:
        out.append(Diagnostic(f"{loc}.pre", f"no population {proj.pre!r}",
                              f"use one of {sorted(labels)}"))
    if post is None or (post is not None and post.is_source):
        what = "no population" if post is None else "a spike source cannot receive:"
        out.append(Diagnostic(f"{loc}.post", f"{what} {proj.post!r}",
                              f"use one of {_neuron_labels(labels)}"))
        post = None
    c = proj.connector
    if not isinstance(c, Connector):
        out.append(Diagnostic(f"{loc}.connector", f"{c!r} is not a connector",
                              "use e.g. hub.FixedProbability(0.1)"))
    elif isinstance(c, FixedProbability):
        p = c.p
        if not isinstance(p, (int, float)) or not 0 <= p <= 1:
            out.append(Diagnostic(f"{loc}.connector.p", f"probability {p!r} is outside [0, 1]",
                                  "use 0 <= p <= 1"))
    elif isinstance(c, (FixedInDegree, FixedOutDegree)):
        other = post if isinstance(c, FixedOutDegree) else pre
        if not isinstance(c.n, (int, np.integer)) or c.n < 0:
            out.append(Diagnostic(f"{loc}.connector.n", f"{c.n!r} is not a count >= 0",
                                  "use a non-negative integer"))
        elif other is not None and not c.with_replacement and c.n > other.size:
            out.append(Diagnostic(f"{loc}.connector.n", f"{c.n} exceeds the {other.size} "
                                  f"neurons of {other.label!r} without replacement",
                                  "lower n or set with_replacement=True"))
    elif isinstance(c, OneToOne) and pre is not None and post is not None \
            and pre.size != post.size:
        out.append(Diagnostic(f"{loc}.connector", f"OneToOne needs equal sizes, got {pre.size} "
                              f"and {post.size}", "use populations of equal size"))
    elif isinstance(c, FromArrays):
        if pre is not None:
            _check_indices(c.pre, pre.size, f"{loc}.connector.pre", out)
        if post is not None:
            _check_indices(c.post, post.size, f"{loc}.connector.post", out)
        if np.size(c.pre) != np.size(c.post):
            out.append(Diagnostic(f"{loc}.connector", f"{np.size(c.pre)} pre and "
                                  f"{np.size(c.post)} post indices", "give equal-length arrays"))
    syn = proj.synapse
    if isinstance(syn, Plastic) and (_native(pre) or _native(labels.get(
            getattr(syn.rule, "modulator", None) or ""))):
        out.append(Diagnostic(f"{loc}.synapse", "a Poisson source with resolve='native' "
                              "cannot drive a plastic synapse or a modulator (its spikes are "
                              "not known to the rule's bookkeeping)",
                              "use resolve='hub' for this source"))
    if not isinstance(syn, Static):
        out.append(Diagnostic(f"{loc}.synapse", f"{syn!r} is not a synapse",
                              "use hub.Static(weight, delay)"))
        return
    if syn.receptor not in RECEPTORS:
        out.append(Diagnostic(f"{loc}.synapse.receptor", f"{syn.receptor!r} is not a receptor",
                              f"use one of {list(RECEPTORS)}"))
    weight = c.weight if isinstance(c, FromArrays) and c.weight is not None else syn.weight
    delay = c.delay if isinstance(c, FromArrays) and c.delay is not None else syn.delay
    if post is not None and isinstance(post.model, NeuronModel):
        unit = post.model.weight_unit
        w = _values(weight, unit, f"{loc}.synapse.weight", out)
        if w is not None and w.size:
            if post.model.input == "conductance" and (w < 0).any():
                out.append(Diagnostic(f"{loc}.synapse.weight", f"{_show(w)} {unit}: conductance "
                                      "weights must be >= 0", "give positive weights; the "
                                      "receptor decides the sign"))
            elif post.model.input != "conductance":
                if syn.receptor == "inhibitory" and (w > 0).any():
                    out.append(Diagnostic(f"{loc}.synapse.weight", f"{_show(w)} {unit}: "
                                          "inhibitory current-based weights must be <= 0",
                                          "use a negative weight"))
                if syn.receptor == "excitatory" and (w < 0).any():
                    out.append(Diagnostic(f"{loc}.synapse.weight", f"{_show(w)} {unit}: "
                                          "negative weight on the excitatory receptor",
                                          "use receptor='inhibitory' for negative weights"))
        if isinstance(syn, Plastic):
            check_rule(syn.rule, w, unit, f"{loc}.synapse.rule", labels, dt, out)
    if delay is not None and dt:
        d = _values(delay, "ms", f"{loc}.synapse.delay", out)
        if d is not None and d.size and (d < dt * (1 - 1e-9)).any():
            out.append(Diagnostic(f"{loc}.synapse.delay", f"{_show(d[d < dt * (1 - 1e-9)])} ms "
                                  f"is below dt={dt} ms", f"use a delay >= dt ({dt} ms)"))


def _values(value, unit, loc, out):
    if isinstance(value, Distribution):
        return None
    try:
        arr = np.atleast_1d(np.asarray(units.convert(value, unit), dtype=float))
    except units.UnitError as e:
        out.append(Diagnostic(loc, f"{value!r} {e}", f"give a value in {unit}"))
        return None
    except (TypeError, ValueError):
        out.append(Diagnostic(loc, f"{value!r} is not a number", f"give a number in {unit}"))
        return None
    if np.isnan(arr).any():
        out.append(Diagnostic(loc, "contains NaN", "give finite values"))
        return None
    return arr


def _check_indices(indices, size, loc, out):
    idx = np.asarray(indices)
    if idx.size and (idx.dtype.kind not in "iu" or idx.min() < 0 or idx.max() >= size):
        out.append(Diagnostic(loc, f"indices {_show(idx)} outside 0..{size - 1}",
                              f"use integer indices in [0, {size})"))


def _native(pop) -> bool:
    return pop is not None and isinstance(pop.model, PoissonSource) and \
        getattr(pop.model, "resolve", "hub") == "native"


def _neuron_labels(labels):
    return sorted(k for k, p in labels.items() if not p.is_source)


def _show(arr) -> str:
    arr = np.asarray(arr)
    if arr.size == 1:
        return f"{arr.reshape(-1)[0]:g}"
    return f"[{arr.min():g} .. {arr.max():g}]"

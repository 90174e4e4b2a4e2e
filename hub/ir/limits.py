"""Bounds on what a run may ask for, so that absurd but finite input ends in a
:class:`~hub.errors.ValidationError` before anything is drawn or built, never in a hang.

Four bounds, each a plain number (docs/semantics.md, section 10):

* :data:`MAX_STEPS`: a run has at most 2**31 - 1 steps of ``dt`` (59.6 hours of simulated
  time at dt = 0.1 ms).  ``duration=1e30`` would otherwise make NEST refuse an infinite
  time, the chip allocate petabytes and Brian2 run zero steps.
* :data:`MAX_POISSON_DRAWS`: the hub draws one Poisson count per neuron and step of every
  hub-drawn ``PoissonSource`` (``hub.resolve``); at most 1e10 counts per run (four times
  the 200 s Song-Abbott run of docs/learning.md).  Larger inputs are drawn by the backend
  (``resolve="native"``).
* :data:`MIN_TIME_CONSTANT`: a model integrated by an ODE solver (NEST's adaptive GSL
  RKF45, Brian2's fixed-step RK4) takes a solver step per fastest time constant, so a time
  constant of 1e-30 ms never finishes.  Its declared time constants (ms) and its rates
  ``g / cm`` (a conductance parameter or a synaptic weight in uS over the capacitance in nF)
  must be >= 1e-3 ms (1 us), i.e. rates <= 1000 per ms: at most about 1000 solver steps
  per ms of simulated time and neuron.
* :data:`MAX_VOLTAGE_RATE`: in the same models, the constant current (``i_offset`` plus
  every current source injected, nA) over ``cm`` (nF) is at most 1e6 mV/ms: NEST's
  adaptive solver shrinks its step without end on huge states (``i_offset=1e300`` on a
  LIFCond never returned).

Pure functions of the IR; a value another check already refuses (not a number, NaN,
negative) is skipped here, so each problem is reported once.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import Diagnostic
from . import units
from .random import Distribution, Normal, Uniform

#: the most steps one run may have
MAX_STEPS = 2**31 - 1
#: the most Poisson counts the hub draws for one run (neurons x steps, hub-drawn sources)
MAX_POISSON_DRAWS = 10**10
#: the fastest time constant (ms) an ODE-integrated model may have (1 us)
MIN_TIME_CONSTANT = 1e-3
#: the fastest change of V (mV/ms) a constant current may drive in an ODE-integrated model:
#: a thousand times a spike's steepest upstroke (about 1000 mV/ms)
MAX_VOLTAGE_RATE = 1e6


def check_steps(duration_ms: float, dt: float) -> Diagnostic | None:
    """A diagnostic when ``duration_ms`` is more than :data:`MAX_STEPS` steps of ``dt``."""
    steps = math.floor(duration_ms / dt + 0.5)
    if steps <= MAX_STEPS:
        return None
    return Diagnostic(
        "duration",
        f"{duration_ms:g} ms is {steps:.3g} steps of dt={dt:g} ms, more than the "
        f"{MAX_STEPS} steps a run may have",
        f"run for at most {MAX_STEPS * dt:.6g} ms, or a larger dt",
    )


def poisson_draws(network, dt: float, steps: int) -> list[Diagnostic]:
    """Diagnostics for hub-drawn Poisson sources whose neurons x steps exceed
    :data:`MAX_POISSON_DRAWS` (native sources are drawn by the backend)."""
    from .sources import PoissonSource

    out = []
    total = 0
    where = []
    for k, pop in enumerate(network.populations):
        src = pop.model
        if not isinstance(src, PoissonSource) or src.native:
            continue
        try:
            start = float(units.convert(src.start, "ms"))
            stop = float(units.convert(src.stop, "ms"))
        except (units.UnitError, TypeError, ValueError):
            continue
        last = min(steps, math.floor(stop / dt + 0.5)) if math.isfinite(stop) else steps
        first = math.floor(start / dt + 0.5) + 1 if math.isfinite(start) else steps + 1
        total += int(pop.size) * max(0, last - first + 1)
        where.append(f"populations[{k}]({pop.label})")
    if total > MAX_POISSON_DRAWS:
        out.append(
            Diagnostic(
                ", ".join(where),
                f"the hub would draw {total:,} Poisson counts (neurons x steps), more "
                f"than {MAX_POISSON_DRAWS:,}",
                "shorten the run or the sources' [start, stop], or let the backend draw "
                "them: PoissonSource(..., resolve='native')",
            )
        )
    return out


def stiffness(network) -> list[Diagnostic]:
    """Diagnostics for ODE-integrated neuron models (``NeuronModel.ode_time_constants``) whose
    time constants, or rates conductance / cm, are faster than :data:`MIN_TIME_CONSTANT`."""
    out: list[Diagnostic] = []
    pops = {}
    for k, pop in enumerate(network.populations):
        model = pop.model
        pops[pop.label] = (k, pop)
        names = getattr(model, "ode_time_constants", ())
        if not names:
            continue
        loc = f"populations[{k}]({pop.label})"
        for name in names:
            low = _smallest(model.value(name), "ms")
            if low is not None and low < MIN_TIME_CONSTANT:
                out.append(
                    Diagnostic(
                        f"{loc}.{name}",
                        f"{low:g} ms is faster than the {MIN_TIME_CONSTANT:g} ms an ODE "
                        f"solver can follow ({model.kind} is integrated numerically)",
                        f"use {name} >= {MIN_TIME_CONSTANT:g} ms",
                    )
                )
        cm = _smallest(model.value("cm"), "nF") if "cm" in _params(model) else None
        # a conductance parameter g (its declared unit) is a rate g / cm (1/ms)
        for name in getattr(model, "ode_conductances", ()):
            unit = model.param(name).unit
            g = _largest(model.value(name), unit)
            g = None if g is None else g * _to_uS(unit)
            if cm and g is not None and g / cm > 1 / MIN_TIME_CONSTANT:
                out.append(
                    Diagnostic(
                        f"{loc}.{name}",
                        f"{g:g} uS over cm={cm:g} nF is a time constant of {cm / g:.3g} ms, "
                        f"faster than the {MIN_TIME_CONSTANT:g} ms an ODE solver can follow",
                        f"use {name} <= {cm / MIN_TIME_CONSTANT / _to_uS(unit):g} {unit} "
                        "(or a larger cm)",
                    )
                )
    out.extend(_currents(network))
    for k, proj in enumerate(network.projections):
        post = pops.get(proj.post)
        model = post[1].model if post else None
        if not getattr(model, "ode_time_constants", ()) or model.input != "conductance":
            continue
        cm = _smallest(model.value("cm"), "nF")
        syn, conn = proj.synapse, proj.connector
        weight = (
            conn.synapse_values(syn)[0]
            if hasattr(conn, "synapse_values")
            else getattr(syn, "weight", None)
        )
        g = _largest(weight, "uS")
        if cm and g is not None and g / cm > 1 / MIN_TIME_CONSTANT:
            out.append(
                Diagnostic(
                    f"projections[{k}]({proj.pre}->{proj.post}).synapse.weight",
                    f"{g:g} uS onto cm={cm:g} nF is a time constant of {cm / g:.3g} ms, "
                    f"faster than the {MIN_TIME_CONSTANT:g} ms an ODE solver can follow "
                    f"({model.kind} is integrated numerically)",
                    f"use weights <= {cm / MIN_TIME_CONSTANT:g} uS",
                )
            )
    return out


def _currents(network) -> list[Diagnostic]:
    """ODE-integrated populations whose |i_offset| plus injected currents (nA) over cm (nF)
    exceed :data:`MAX_VOLTAGE_RATE`."""
    out = []
    for k, pop in enumerate(network.populations):
        model = pop.model
        params = _params(model)
        if not getattr(model, "ode_time_constants", ()) or not {"cm", "i_offset"} <= params:
            continue
        cm = _smallest(model.value("cm"), "nF")
        total = _largest(model.value("i_offset"), "nA") or 0.0
        for inj in network.injections:
            if inj.target == pop.label:
                src = inj.source
                amp = getattr(src, "amplitude", getattr(src, "amplitudes", None))
                total += _largest(amp, "nA") or 0.0
        if cm and total / cm > MAX_VOLTAGE_RATE:
            out.append(
                Diagnostic(
                    f"populations[{k}]({pop.label}).i_offset",
                    f"{total:g} nA (i_offset and injected currents) over cm={cm:g} nF drives "
                    f"V at {total / cm:.3g} mV/ms, more than the {MAX_VOLTAGE_RATE:g} mV/ms an "
                    f"ODE solver can follow ({model.kind} is integrated numerically)",
                    f"use currents up to {MAX_VOLTAGE_RATE * cm:g} nA in total",
                )
            )
    return out


def _to_uS(unit: str) -> float:  # noqa: N802 - the unit's spelling
    """uS per ``unit`` (a conductance unit, e.g. 1e-3 for nS)."""
    return float(units.convert(f"1 {unit}", "uS"))


def _params(model) -> set:
    return {p.name for p in getattr(model, "parameters", ())}


def _numbers(value, unit) -> np.ndarray | None:
    """Finite values of ``value`` in ``unit`` (a Distribution: its finite bounds), or None."""
    if isinstance(value, Distribution):
        if isinstance(value, Uniform):
            value = [value.low, value.high]
        elif isinstance(value, Normal):
            value = [value.low, value.mu, value.high]
        else:
            return None
    try:
        arr = np.atleast_1d(np.asarray(units.convert(value, unit), dtype=float))
    except (units.UnitError, TypeError, ValueError):
        return None
    arr = arr[np.isfinite(arr)]
    return arr if arr.size else None


def _smallest(value, unit) -> float | None:
    """The smallest positive value of ``value`` (None if none is a positive number)."""
    arr = _numbers(value, unit)
    arr = arr[arr > 0] if arr is not None else None
    return float(arr.min()) if arr is not None and arr.size else None


def _largest(value, unit) -> float | None:
    arr = _numbers(value, unit)
    return float(np.abs(arr).max()) if arr is not None else None


def drawn(resolved) -> list[Diagnostic]:
    """The same bounds on a resolved network's drawn values (a distribution's draws, which
    :func:`stiffness` can only judge by its bounds): per neuron and per synapse."""
    out: list[Diagnostic] = []
    for label, pop in resolved.populations.items():
        model, params = pop.model, pop.params
        names = getattr(model, "ode_time_constants", ())
        if not names:
            continue
        for name in names:
            tau = np.asarray(params[name], float)
            if tau.size and tau.min() < MIN_TIME_CONSTANT:
                i = int(tau.argmin())
                out.append(
                    Diagnostic(
                        f"populations({label}).{name}",
                        f"neuron {i} drew {tau[i]:g} ms, faster than the "
                        f"{MIN_TIME_CONSTANT:g} ms an ODE solver can follow",
                        f"bound the distribution to {name} >= {MIN_TIME_CONSTANT:g} ms",
                    )
                )
        cm = np.asarray(params.get("cm", np.inf), float)
        for name in getattr(model, "ode_conductances", ()):
            rate = np.abs(np.asarray(params[name], float)) * _to_uS(model.param(name).unit) / cm
            if rate.size and rate.max() > 1 / MIN_TIME_CONSTANT:
                i = int(rate.argmax())
                out.append(
                    Diagnostic(
                        f"populations({label}).{name}",
                        f"neuron {i} drew {name} / cm = {rate.flat[i]:g} per ms, faster than "
                        f"1 / {MIN_TIME_CONSTANT:g} ms",
                        f"bound the distributions of {name} and cm",
                    )
                )
        if "i_offset" in params:
            v_rate = np.abs(np.asarray(params["i_offset"], float)) / cm
            if v_rate.size and v_rate.max() > MAX_VOLTAGE_RATE:
                i = int(v_rate.argmax())
                out.append(
                    Diagnostic(
                        f"populations({label}).i_offset",
                        f"neuron {i} drew i_offset / cm = {v_rate.flat[i]:g} mV/ms, more than "
                        f"{MAX_VOLTAGE_RATE:g} mV/ms",
                        "bound the distributions of i_offset and cm",
                    )
                )
    for proj in resolved.projections:
        post = resolved.populations.get(proj.post)
        if post is None or not proj.n or not getattr(post.model, "ode_time_constants", ()):
            continue
        if post.model.input != "conductance":
            continue
        cm = np.asarray(post.params["cm"], float)
        rate = (
            np.abs(np.asarray(proj.weight, float))
            / np.broadcast_to(cm, (post.size,))[proj.post_idx]
        )
        if rate.max() > 1 / MIN_TIME_CONSTANT:
            k = int(rate.argmax())
            out.append(
                Diagnostic(
                    f"projections({proj.label}).synapse.weight",
                    f"synapse {k} drew weight / cm = {rate[k]:g} per ms, faster than "
                    f"1 / {MIN_TIME_CONSTANT:g} ms",
                    "bound the weight distribution (or the target's cm)",
                )
            )
    return out

"""Validation of learning rules and synapse probes (part of ``hub.ir.validation``)."""

from __future__ import annotations

import math

import numpy as np

from ..errors import Diagnostic
from . import units
from .plasticity import WEIGHT, DopamineSTDP, Rule, TsodyksMarkram
from .synapses import Plastic


def rule_values(rule: Rule, weight_unit: str, loc: str, out: list) -> dict[str, float]:
    """Every parameter of ``rule`` as a float in canonical units (``weight`` parameters in
    ``weight_unit``); problems go to ``out``."""
    values = {}
    for p in rule.parameters:
        where, raw = f"{loc}.{p.name}", rule.value(p.name)
        unit = weight_unit if p.unit == WEIGHT else p.unit
        try:
            v = np.asarray(units.convert(raw, unit), dtype=float)
        except units.UnitError as e:
            out.append(Diagnostic(where, f"{raw!r} {e}", f"give a value in {unit}"))
            continue
        except (TypeError, ValueError):
            out.append(Diagnostic(where, f"{raw!r} is not a number", f"give a number in {unit}"))
            continue
        if v.ndim:
            out.append(
                Diagnostic(
                    where,
                    f"array of shape {v.shape}",
                    "rule parameters are one number per projection; use one projection per value",
                )
            )
            continue
        v = float(v)
        if not math.isfinite(v):
            out.append(Diagnostic(where, f"{v} is not finite", "give a finite value"))
        elif p.check == "positive" and v <= 0:
            out.append(Diagnostic(where, f"{v:g} {unit} must be > 0", f"use a positive {p.name}"))
        elif p.check == "nonneg" and v < 0:
            out.append(
                Diagnostic(where, f"{v:g} {unit} must be >= 0", f"use a non-negative {p.name}")
            )
        else:
            values[p.name] = v
    return values


def check_rule(rule, w, weight_unit, loc, labels, dt, out) -> None:
    if not isinstance(rule, Rule):
        out.append(
            Diagnostic(
                loc,
                f"{rule!r} is not a learning rule",
                "use e.g. hub.STDP(...), hub.TsodyksMarkram(...)",
            )
        )
        return
    for key, val in rule.unknown.items():
        out.append(
            Diagnostic(
                f"{loc}.{key}",
                f"{rule.kind} has no parameter {key!r} (value {val!r})",
                f"use one of {[p.name for p in rule.parameters]}",
            )
        )
    for opt, choices in rule.options.items():
        if rule.option_values[opt] not in choices:
            out.append(
                Diagnostic(
                    f"{loc}.{opt}",
                    f"{rule.option_values[opt]!r} is not a {rule.kind} {opt}",
                    f"use one of {list(choices)}",
                )
            )
    v = rule_values(rule, weight_unit, loc, out)
    mag = np.abs(w) if w is not None and w.size else None
    if "w_max" in v and mag is not None and (mag > v["w_max"] * (1 + 1e-12)).any():
        out.append(
            Diagnostic(
                f"{loc}.w_max",
                f"initial |weight| up to {mag.max():g} {weight_unit} exceeds w_max={v['w_max']:g}",
                "raise w_max or lower the initial weights",
            )
        )
    if isinstance(rule, DopamineSTDP):
        if "w_min" in v and "w_max" in v and v["w_min"] > v["w_max"]:
            out.append(
                Diagnostic(
                    f"{loc}.w_min", f"{v['w_min']:g} > w_max={v['w_max']:g}", "use w_min <= w_max"
                )
            )
        elif "w_min" in v and mag is not None and (mag < v["w_min"] * (1 - 1e-12)).any():
            out.append(
                Diagnostic(
                    f"{loc}.w_min",
                    f"initial |weight| down to {mag.min():g} "
                    f"{weight_unit} is below w_min={v['w_min']:g}",
                    "lower w_min or raise the initial weights",
                )
            )
        if rule.modulator not in labels:
            out.append(
                Diagnostic(
                    f"{loc}.modulator",
                    f"no population {rule.modulator!r}",
                    f"name the dopamine population, one of {sorted(labels)}",
                )
            )
        if rule.modulator_delay is not None and dt:
            try:
                d = float(units.convert(rule.modulator_delay, "ms"))
            except (units.UnitError, TypeError, ValueError):
                d = float("nan")
            if not d >= dt * (1 - 1e-9):
                out.append(
                    Diagnostic(
                        f"{loc}.modulator_delay",
                        f"{rule.modulator_delay!r} is not a delay >= dt={dt} ms",
                        f"use a delay >= {dt} ms",
                    )
                )
    if isinstance(rule, TsodyksMarkram) and v.get("U", 0.0) > 1:
        out.append(Diagnostic(f"{loc}.U", f"{v['U']:g} is above 1", "use 0 <= U <= 1"))


def check_synapse_probe(probe, loc, projections, dt, out) -> None:
    proj = projections.get(probe.projection)
    if (
        proj is None
        or not isinstance(proj.synapse, Plastic)
        or not isinstance(proj.synapse.rule, Rule)
    ):
        plastic = sorted(k for k, p in projections.items() if isinstance(p.synapse, Plastic))
        what = "no projection" if proj is None else "not a plastic projection:"
        out.append(
            Diagnostic(
                f"{loc}.projection",
                f"{what} {probe.projection!r}",
                f"record a plastic projection, one of {plastic}",
            )
        )
        return
    allowed = list(proj.synapse.rule.state)
    if probe.variable not in allowed:
        out.append(
            Diagnostic(
                f"{loc}.variable",
                f"{proj.synapse.rule.kind} synapses have no {probe.variable!r}",
                f"record one of {allowed}",
            )
        )
    if probe.interval is not None and dt:
        try:
            iv = float(units.convert(probe.interval, "ms"))
        except (units.UnitError, TypeError, ValueError):
            iv = float("nan")
        if not iv > 0 or abs(iv / dt - round(iv / dt)) > 1e-9:
            out.append(
                Diagnostic(
                    f"{loc}.interval",
                    f"{probe.interval!r} is not a positive multiple of dt={dt} ms",
                    "use a multiple of dt",
                )
            )
    if probe.indices is not None:
        idx = np.asarray(probe.indices)
        if idx.size and (idx.dtype.kind not in "iu" or idx.min() < 0):
            out.append(
                Diagnostic(
                    f"{loc}.indices",
                    "synapse indices must be integers >= 0",
                    "use positions in the resolved connection list",
                )
            )

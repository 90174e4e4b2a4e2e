"""A resolved network as one file: how ``hub.compare`` hands the same draws to every worker.

``save_resolved(resolved, path)`` writes one ``.npz``: a JSON header (``__resolved__``) with
the scalars, labels, neuron models and learning rules, and every array (parameters, initial
values, source events, connectivity, injections, probe indices) stored as it is, so
``load_resolved(path)`` gives arrays equal bit for bit to the ones written.  The neuron
model and learning rule are written with their ``to_dict`` (the model file's encoding) and
rebuilt by kind; a kind from a plugin is found in ``extra_kinds`` (by default the kinds the
plugins register with ``hub_register_kinds``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .errors import Diagnostic, ValidationError
from .ir.io import read_document, write_document
from .ir.neurons import NeuronModel
from .ir.node import build
from .ir.plasticity import rule_from_dict
from .ir.serialize import ArrayTable
from .resolve import (
    ParameterChange,
    ResolvedInjection,
    ResolvedNetwork,
    ResolvedPopulation,
    ResolvedProbe,
    ResolvedProjection,
    ResolvedRule,
    ResolvedSource,
    ResolvedSynapseProbe,
)

FORMAT = "snn-hub/resolved"
VERSION = 1


def save_resolved(resolved: ResolvedNetwork, path) -> str:
    """Write ``resolved`` to ``path`` (``.npz``) atomically; return the path."""
    resolved_arrays = ArrayTable(prefix="r")  # the resolved arrays, keys r0, r1, ...
    model_arrays = ArrayTable()  # array values of models and rules, as hub.save
    doc = _header(resolved, lambda a: f"r{resolved_arrays.put(a)}", model_arrays)
    return write_document(
        path, "__resolved__", doc, {**resolved_arrays.arrays, **model_arrays.arrays}, compress=False
    )


def _header(r: ResolvedNetwork, put, model_arrays: ArrayTable) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "dt": r.dt,
        "seed": r.seed,
        "steps": r.steps,
        "label": r.label,
        "populations": [
            {
                "label": p.label,
                "size": p.size,
                "model": p.model.to_dict(model_arrays),
                "params": {k: put(v) for k, v in p.params.items()},
                "initial": {k: put(v) for k, v in p.initial.items()},
            }
            for p in r.populations.values()
        ],
        "sources": [_source(s, put) for s in r.sources.values()],
        "projections": [
            {
                "label": p.label,
                "pre": p.pre,
                "post": p.post,
                "pre_idx": put(p.pre_idx),
                "post_idx": put(p.post_idx),
                "weight": put(p.weight),
                "delay_steps": put(p.delay_steps),
                "receptor": p.receptor,
                "rule": _rule(p.rule, put, model_arrays),
                "native": p.native,
            }
            for p in r.projections
        ],
        "injections": [
            {
                "target": i.target,
                "indices": put(i.indices),
                "stamps": put(i.stamps),
                "amplitudes": put(i.amplitudes),
            }
            for i in r.injections
        ],
        "probes": [
            {
                "population": p.population,
                "variable": p.variable,
                "interval_steps": p.interval_steps,
                "indices": put(p.indices),
            }
            for p in r.probes
        ],
        "synapse_probes": [
            {
                "projection": p.projection,
                "variable": p.variable,
                "interval_steps": p.interval_steps,
                "indices": put(p.indices),
            }
            for p in r.synapse_probes
        ],
        "changes": [
            {
                "step": int(c.step),
                "population": c.population,
                "indices": put(c.indices),
                "values": {k: put(v) for k, v in c.values.items()},
            }
            for c in r.changes
        ],
    }


def _source(s, put) -> dict:
    d = {"label": s.label, "size": s.size, "indices": put(s.indices), "stamps": put(s.stamps)}
    if s.native:  # native Poisson: rates and window, no events
        d.update(
            native=True, rate=put(s.rate), first_step=int(s.first_step), last_step=int(s.last_step)
        )
    return d


def _rule(resolved_rule, put, model_arrays: ArrayTable):
    """A projection's resolved learning rule: the rule's own dict and the resolved values."""
    if resolved_rule is None:
        return None
    params = {
        k: {"array": put(v)} if np.ndim(v) else float(v) for k, v in resolved_rule.params.items()
    }
    return {
        "rule": resolved_rule.rule.to_dict(model_arrays),
        "params": params,
        "modulator": resolved_rule.modulator,
        "modulator_delay_steps": int(resolved_rule.modulator_delay_steps),
        "teacher": resolved_rule.teacher,
    }


def load_resolved(path, extra_kinds: Mapping[str, type] | None = None) -> ResolvedNetwork:
    """Read a file written by :func:`save_resolved`.  ``extra_kinds`` (kind -> class): the
    kinds from outside hub the file may use (the worker processes pass those the installed
    plugins register, ``plugin_manager().kinds()``)."""
    with read_document(
        path,
        "__resolved__",
        "a resolved snn-hub network file",
        "write it with hub.resolved_io.save_resolved",
        members=r"[ra]\d+",
    ) as (doc, arrays):
        return _resolved_from(path, doc, arrays, extra_kinds)


def _resolved_from(path, doc, arrays, extra_kinds) -> ResolvedNetwork:
    if doc.get("version", 0) > VERSION:
        raise ValidationError(
            Diagnostic(
                str(path),
                f"resolved-network format version "
                f"{doc['version']} is newer than this snn-hub "
                f"({VERSION})",
                "upgrade snn-hub",
            )
        )
    get = arrays.__getitem__
    table = ArrayTable(arrays)
    kinds = extra_kinds or {}
    out = ResolvedNetwork(
        float(doc["dt"]), int(doc["seed"]), int(doc["steps"]), label=doc.get("label", "")
    )
    for p in doc["populations"]:
        out.populations[p["label"]] = ResolvedPopulation(
            p["label"],
            int(p["size"]),
            build(p["model"], NeuronModel, table, kinds, f"populations.{p['label']}.model"),
            {k: get(v) for k, v in p["params"].items()},
            {k: get(v) for k, v in p["initial"].items()},
        )
    for s in doc["sources"]:
        src = ResolvedSource(s["label"], int(s["size"]), get(s["indices"]), get(s["stamps"]))
        if s.get("native"):  # absent in files written before native Poisson sources
            src.native, src.rate = True, get(s["rate"])
            src.first_step, src.last_step = int(s["first_step"]), int(s["last_step"])
        out.sources[s["label"]] = src
    for p in doc["projections"]:
        proj = ResolvedProjection(
            p["label"],
            p["pre"],
            p["post"],
            get(p["pre_idx"]),
            get(p["post_idx"]),
            get(p["weight"]),
            get(p["delay_steps"]),
            p["receptor"],
            native=p.get("native"),  # absent in files written before native connectors
        )
        if p.get("rule") is not None:
            proj.rule = _load_rule(p["rule"], arrays, table, kinds)
        out.projections.append(proj)
    for i in doc["injections"]:
        out.injections.append(
            ResolvedInjection(
                i["target"], get(i["indices"]), get(i["stamps"]), get(i["amplitudes"])
            )
        )
    for p in doc["probes"]:
        out.probes.append(
            ResolvedProbe(
                p["population"], p["variable"], int(p["interval_steps"]), get(p["indices"])
            )
        )
    if doc.get("synapse_probes"):
        out.synapse_probes = [
            ResolvedSynapseProbe(
                p["projection"], p["variable"], int(p["interval_steps"]), get(p["indices"])
            )
            for p in doc["synapse_probes"]
        ]
    out.changes = [
        ParameterChange(
            int(c["step"]),
            c["population"],
            get(c["indices"]),
            {k: get(v) for k, v in c["values"].items()},
        )
        for c in doc.get("changes", ())
    ]
    return out


def _load_rule(d: dict, arrays: dict, table: ArrayTable, kinds: Mapping[str, type]):
    rule = rule_from_dict(d["rule"], table, kinds)
    params = {
        k: arrays[v["array"]] if isinstance(v, dict) else float(v) for k, v in d["params"].items()
    }
    return ResolvedRule(
        rule,
        params,
        d.get("modulator"),
        int(d.get("modulator_delay_steps", 1)),
        d.get("teacher"),
    )


__all__ = ["save_resolved", "load_resolved"]

"""The feature vocabulary: every capability a backend can declare, spelt in one place.

A backend declares what it can run as a set of feature strings
(``Capabilities.features``); the hub computes the features a network needs
(:func:`required_features`) and the conformance kit marks each check with the features it
needs (``@needs(...)``).  A missing feature is a set difference, so a misspelt string would
silently never match: build feature strings with the names below, and :func:`parse` any
string that comes from elsewhere.

Fixed features:

* :data:`SPIKE_SOURCE` ``spike_source``: spike sources (resolved spike arrays);
* :data:`CURRENT_STEP` ``current:step``: piecewise-constant current injection;
* :data:`POISSON_NATIVE` ``source.poisson_native``: ``PoissonSource(resolve="native")``, the
  backend draws the Poisson trains with its own RNG;
* :data:`CONNECT_NATIVE` ``connect.native``: random connectors with ``resolve="native"``,
  which the backend draws with its own rule (a backend without it gets the hub's draw,
  :func:`hub.resolve.materialize_native`);
* :data:`SYNAPSE_STATIC` ``synapse:Static``: static synapses;
* :data:`RECEPTOR_INHIBITORY` ``receptor:inhibitory``: inhibitory receptors;
* :data:`RECORD_SYNAPSE` ``record:synapse``: synapse state sampled during a run;
* :data:`PARAMETER_CHANGE` ``change:parameters``: neuron parameters changed between run
  segments (``ResolvedNetwork.changes``, made by :class:`hub.Simulation`);
* :data:`CHANGE_I_OFFSET` ``change:i_offset``: the same, when every change is of
  ``i_offset`` only (a backend may run it as injected current,
  :func:`hub.resolve.offset_changes_as_injections`).

Families, one feature per model or rule label (``Kind`` or ``Kind[key=value,...]`` with the
keys sorted, as ``NeuronModel.label`` and ``Rule.label`` spell them):

* :func:`neuron` ``neuron:<label>``, e.g. ``neuron:LIF[synapse=exp]``;
* :func:`record` ``record:<label>.<variable>``, e.g. ``record:LIF[synapse=exp].v``;
* :func:`plasticity` ``plasticity:<rule label>``, e.g.
  ``plasticity:STDP[pairing=all,weight_dependence=additive]`` (final weights and rule state
  per synapse come with it).

The strings are the contract: a backend may declare them as plain strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import HubError

if TYPE_CHECKING:  # pragma: no cover
    from .resolve import ResolvedNetwork

__all__ = [
    "CONNECT_NATIVE",
    "CURRENT_STEP",
    "FIXED",
    "CHANGE_I_OFFSET",
    "NEURON_CUSTOM",
    "PARAMETER_CHANGE",
    "POISSON_NATIVE",
    "RECEPTOR_INHIBITORY",
    "RECORD_SYNAPSE",
    "SPIKE_SOURCE",
    "SYNAPSE_STATIC",
    "Feature",
    "FeatureError",
    "neuron",
    "parse",
    "plasticity",
    "record",
    "required_features",
]

SPIKE_SOURCE = "spike_source"
CURRENT_STEP = "current:step"
POISSON_NATIVE = "source.poisson_native"
CONNECT_NATIVE = "connect.native"
SYNAPSE_STATIC = "synapse:Static"
RECEPTOR_INHIBITORY = "receptor:inhibitory"
RECORD_SYNAPSE = "record:synapse"
PARAMETER_CHANGE = "change:parameters"
CHANGE_I_OFFSET = "change:i_offset"
#: neuron models written as equations (hub.define_neuron; any of their state is recordable)
NEURON_CUSTOM = "neuron:Custom"

#: every feature that takes no label
FIXED = frozenset(
    {
        SPIKE_SOURCE,
        CURRENT_STEP,
        POISSON_NATIVE,
        CONNECT_NATIVE,
        SYNAPSE_STATIC,
        RECEPTOR_INHIBITORY,
        RECORD_SYNAPSE,
        PARAMETER_CHANGE,
        CHANGE_I_OFFSET,
        NEURON_CUSTOM,
    }
)

_LABEL = r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\[\]]*\])?"
_OPTION = re.compile(r"([a-z_][a-z0-9_]*)=([^,=\[\]\s]+)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FAMILY = {
    "neuron": re.compile(rf"neuron:(?P<label>{_LABEL})"),
    "record": re.compile(rf"record:(?P<label>{_LABEL})\.(?P<variable>[A-Za-z_][A-Za-z0-9_]*)"),
    "plasticity": re.compile(rf"plasticity:(?P<label>{_LABEL})"),
}


class FeatureError(HubError, ValueError):
    """A string that is not a feature of :mod:`hub.features`."""


@dataclass(frozen=True)
class Feature:
    """A parsed feature: ``kind`` is ``"neuron"``, ``"record"``, ``"plasticity"`` or, for a
    fixed feature, the feature string itself; ``label`` the model or rule label; ``variable``
    the recorded variable (``record`` only)."""

    kind: str
    label: str = ""
    variable: str = ""

    def __str__(self) -> str:
        if self.kind in FIXED:
            return self.kind
        if self.kind == "record":
            return f"record:{self.label}.{self.variable}"
        return f"{self.kind}:{self.label}"


def parse(feature: str) -> Feature:
    """The :class:`Feature` a string names; :class:`FeatureError` for anything else (a
    misspelt fixed feature, an unknown family, a malformed label)."""
    if not isinstance(feature, str):
        raise FeatureError(f"feature {feature!r}: not a string")
    if feature in FIXED:
        return Feature(feature)
    family = feature.split(":", 1)[0] if ":" in feature else ""
    pattern = _FAMILY.get(family)
    match = pattern.fullmatch(feature) if pattern else None
    if match is None:
        raise FeatureError(
            f"unknown feature {feature!r}: expected one of {sorted(FIXED)}, "
            "'neuron:<label>', 'record:<label>.<variable>' or 'plasticity:<rule label>' "
            "(label 'Kind' or 'Kind[key=value,...]'; see hub.features)"
        )
    label = match.group("label")
    _check_label(feature, label)
    return Feature(family, label, match.groupdict().get("variable") or "")


def _check_label(feature: str, label: str) -> None:
    if "[" not in label:
        return
    options = label[label.index("[") + 1 : -1].split(",")
    keys = []
    for option in options:
        m = _OPTION.fullmatch(option)
        if m is None:
            raise FeatureError(
                f"feature {feature!r}: option {option!r} of label {label!r} is not key=value"
            )
        keys.append(m.group(1))
    if keys != sorted(set(keys)):
        raise FeatureError(
            f"feature {feature!r}: the options of {label!r} must be unique and "
            f"sorted by key ({','.join(sorted(set(keys)))}), as model and rule "
            "labels spell them"
        )


# the spelling of each family, in one place (the constructors below add validation)
def _neuron(label: str) -> str:
    return f"neuron:{label}"


def _record(label: str, variable: str) -> str:
    return f"record:{label}.{variable}"


def _plasticity(rule_label: str) -> str:
    return f"plasticity:{rule_label}"


def neuron(label: str) -> str:
    """``neuron:<label>``: the backend runs neuron model ``label`` (``NeuronModel.label``)."""
    return str(parse(_neuron(label)))


def record(label: str, variable: str) -> str:
    """``record:<label>.<variable>``: the backend records ``variable`` of model ``label``."""
    return str(parse(_record(label, variable)))


def plasticity(rule_label: str) -> str:
    """``plasticity:<rule label>``: the backend runs learning rule ``rule_label``
    (``Rule.label``)."""
    return str(parse(_plasticity(rule_label)))


def declared(fixed, rules=(), models=None) -> frozenset[str]:
    """A backend's feature set: the ``fixed`` features, ``plasticity:<label>`` for each rule
    label in ``rules``, and for each ``{model label: recordable variables}`` in ``models``
    its ``neuron:`` feature and one ``record:`` feature per variable.  Every string is
    parsed, so a misspelt fixed feature fails here."""
    out = {str(parse(f)) for f in fixed}
    out.update(plasticity(label) for label in rules)
    for label, variables in (models or {}).items():
        out.add(neuron(label))
        out.update(record(label, var) for var in variables)
    return frozenset(out)


def required_features(resolved: ResolvedNetwork) -> list[str]:
    """Every feature string the resolved network needs from a backend, in a stable order.

    Built with the families' spellings but not validated: a third-party model whose label
    falls outside :func:`parse`'s grammar still gets its (never declared) feature string,
    and the run fails with the usual "backend does not support" message."""
    need = []
    for pop in resolved.populations.values():
        need.append(_neuron(pop.model.capability_key))
    if resolved.sources:
        need.append(SPIKE_SOURCE)
    if any(getattr(s, "native", False) for s in resolved.sources.values()):
        need.append(POISSON_NATIVE)
    if resolved.injections:
        need.append(CURRENT_STEP)
    if resolved.projections:
        need.append(SYNAPSE_STATIC)
    if any(p.receptor == "inhibitory" for p in resolved.projections):
        need.append(RECEPTOR_INHIBITORY)
    need += [_plasticity(p.rule.capability_key) for p in resolved.projections if p.rule is not None]
    if resolved.synapse_probes:
        need.append(RECORD_SYNAPSE)
    changes = getattr(resolved, "changes", None) or []
    if changes:
        offsets_only = all(set(c.values) <= {"i_offset"} for c in changes)
        need.append(CHANGE_I_OFFSET if offsets_only else PARAMETER_CHANGE)
    for probe in resolved.probes:
        probed = resolved.populations.get(probe.population)
        if probed is not None and probe.variable != "spikes" and probed.model.kind != "Custom":
            need.append(_record(probed.model.label, probe.variable))
    return list(dict.fromkeys(need))

"""Custom neuron models (``hub.define_neuron``) on NEST: the hub's statements through NESTML.

The table of a custom model is made from its :class:`hub.equations.NeuronProgram`, like the
Brian2 backend's (plugins/hub_brian2/custom.py): :mod:`hub_nest.nestml` writes the program
as a NESTML model, :mod:`hub_nest.modules` compiles it once into a cached NEST module, and
the :class:`NestModel` here sets every node's constants and start values as the hub
computes them (``program.values``) and reads recorded state back through
``program.recorded`` (a variable kept relative to a constant comes back plus that
constant).  One floating-point operation per statement on both backends: NEST and Brian2
compute the same doubles.

Learning rules written as statements (``hub.define_rule``) run as NESTML synapses
(:mod:`hub_nest.nestml_rules`) compiled into the module of the custom model they target:
one module per model, with the synapses of every rule onto it.

A NESTML synapse needs a NESTML neuron (NEST's own neurons do not keep the spike history it
reads): a population of ``hub.LIF`` (exponential synapses) or ``hub.Izhikevich`` that such
a rule targets runs as its twin written as equations (:mod:`hub.equations.library`, the
built-in's doubles bit for bit), :func:`with_twins`.

Refused (a :class:`CapabilityError` before anything is built): any custom model when the
imported NEST cannot compile modules or NESTML is missing (:func:`modules.check` says how to
get both); a rule written as statements onto any other built-in model, or onto a built-in
whose population needs the built-in (current injected, parameters changed between segments,
a probe of a variable the twin names otherwise); a rule that reads a postsynaptic variable
the neuron keeps in other units than declared; a teacher whose spikes NEST draws (a native
Poisson source), ``on_teacher`` statements that read the postsynaptic state, and more
teacher neurons than NEST has room for synapse models (a rule with a teacher needs one copy
of its synapse model per postsynaptic neuron: :data:`TEACHER_MODELS`).
Current injections into custom populations are refused for every backend by validation
(custom models have no current input yet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import hub.equations as E
import hub.features as F
from hub.errors import CapabilityError
from hub.equations import dims
from hub.propagators import nest_resolution
from hub.translate import Computed

from . import modules, nestml
from .models import NestModel


def is_custom(label: str) -> bool:
    return label.startswith("Custom[")


class _Values:
    """A program's per-neuron numbers from the hub's parameters, computed once per set of
    values (translation rules are applied one by one to the same parameters; a parameter
    change may alter a dictionary in place, so the values are compared, not the object)."""

    def __init__(self, program, h: float):
        self.program, self.h = program, h
        self._seen: tuple | None = None

    def constants(self, params: dict) -> dict[str, np.ndarray]:
        p = self.program
        given = {k: np.array(params[k], float) for k in p.param_units}
        seen, constants = self._seen or (None, None)
        if seen is None or not all(np.array_equal(seen[k], v) for k, v in given.items()):
            working = {k: dims.convert_to_working(v, p.param_units[k]) for k, v in given.items()}
            constants = p.constant_values(working, self.h)
            self._seen = (given, constants)
        return constants

    def start(self, merged: dict) -> dict[str, np.ndarray]:
        """Every variable's start value from the parameters and initial values together."""
        p = self.program
        params = {k: merged[k] for k in p.param_units}
        initial = {k: merged[k] for k in p.units}
        return p.values(params, initial, self.h)


@dataclass(frozen=True)
class Recorded:
    """How a recorded state variable comes back: NEST records the stored value (``dst``),
    the hub's value is ``program.recorded`` of it with the neuron's constants."""

    src: str
    dst: str
    program: object
    values: _Values

    def reverse_for(self, stored: np.ndarray, params: dict, idx: np.ndarray) -> np.ndarray:
        """The hub's values of ``stored`` (one per sample) of neurons ``idx`` of a population
        with parameters ``params`` (hub units, per neuron)."""
        constants = self.values.constants(params)
        n = len(next(iter(params.values()))) if params else 1
        at = {k: np.broadcast_to(v, (n,))[idx] for k, v in constants.items()}
        return self.program.recorded(self.src, np.asarray(stored, float), at)

    def reverse(self, value):  # pragma: no cover - the session calls reverse_for
        raise TypeError("a custom model's recorded values need the neurons' constants")


def table(model, dt: float, module=None) -> NestModel:
    """The NEST table of a custom neuron model (a ``CustomNeuron``) for resolution ``dt``,
    run by ``module`` (a :class:`modules.Module`)."""
    program = E.program(model)
    values = _Values(program, nest_resolution(dt))
    constants = [c.name for c in program.constants]
    params = tuple(
        Computed(nestml.nest_name(name), _pick(values.constants, name), "the hub's constant")
        for name in constants
    )
    initial = tuple(
        Computed(nestml.nest_name(var), _pick(values.start, var), "the hub's start value")
        for var in program.state
    )
    how, factor = dims.to_working(program.weight_unit)
    integers = tuple(
        nestml.nest_name(n) for n in [*constants, *program.state] if n in program.integers
    )
    return NestModel(
        module.model if module is not None else nestml.model_name(program),
        params,
        initial,
        {var: Recorded(var, nestml.nest_name(var), program, values) for var in program.units},
        weight_scale=factor if how == "mul" else 1.0 / factor,
        inhibitory_sign=-1.0 if model.input == "conductance" else 1.0,
        integrator="; ".join(f"{v}: {s}" for v, s in program.scheme.items())
        + " (the hub's statements, NESTML)",
        integers=integers,
        module=module,
        shifted={nestml.nest_name(v): nestml.nest_name(e) for v, e in program.shift.items()},
    )


def _pick(compute, name):
    return lambda p: compute(p)[name]


#: copies of synapse models a network may make for rules with a teacher (one per
#: postsynaptic neuron): NEST holds 511 synapse models (CopyModel fails beyond), 77 of them
#: its own (3.10), and a module adds three per NESTML synapse; the rest stays for the other
#: plastic projections (one copy each)
TEACHER_MODELS = 300


def _not_on_nest(program, proj, resolved) -> str:
    """What of a rule written as statements NEST cannot run yet ("" if nothing)."""
    from . import nestml_rules

    if any(nestml_rules.reads(program.on_teacher, f"{v}_post") for v in program.post_state or {}):
        return "the postsynaptic state in on_teacher"
    if proj.rule.teacher and resolved.sources[proj.rule.teacher].native:
        return "a teacher whose spikes NEST draws (a PoissonSource with resolve='native')"
    return ""


def _unreadable(program, neuron) -> list[str]:
    """The postsynaptic variables ``program`` reads that the NESTML neuron of ``neuron``
    (a NeuronProgram) cannot hand its synapses as the hub reads them."""
    out = []
    for var in program.post_state or {}:
        if var not in neuron.units:
            out.append(f"{var!r} (no such state variable)")
        elif float(dims.convert_from_working(1.0, neuron.units[var])) != 1.0:
            out.append(f"{var!r} (kept in other units than declared)")
    return out


def _twins() -> dict:
    """NEST's built-in models whose twin written as equations (:mod:`hub.equations.library`)
    computes the same doubles (tests/test_custom_nest.py): (kind, synapse, input) ->
    (definition, parameter -> (twin's name, factor), start value -> twin's name)."""
    from hub.equations import library

    return {
        ("LIF", "exp", "current"): (
            library.lif_exp(),
            {},
            {"isyn_exc": "I_ex", "isyn_inh": "I_in"},
        ),
        ("Izhikevich", "", "voltage"): (library.izhikevich(), {"i_offset": ("I_e", 1000.0)}, {}),
    }


def with_twins(resolved):
    """``resolved`` with every population of a NEST built-in model that a rule written as
    statements targets run as the model's twin written as equations, when it has one and
    nothing about the population needs the built-in: no current injected, no parameter
    changed between segments, no probe of a variable the twin names otherwise.  A NESTML
    synapse needs a NESTML neuron (its spike history); the twin gives NEST's built-in's
    doubles, so the network's numbers do not change.  Anything else is left for
    :func:`rules_by_model` to refuse."""
    import dataclasses

    from hub.resolve import ResolvedPopulation

    targets = {
        p.post for p in resolved.projections if p.rule is not None and p.rule.kind == "CustomRule"
    }
    twins = _twins()
    pops = dict(resolved.populations)
    changed = False
    for label in sorted(targets):
        pop = pops[label]
        twin = twins.get((pop.model.kind, pop.model.synapse, pop.model.input))
        if twin is None or _needs_builtin(resolved, label, twin[0]):
            continue
        definition, renamed, started = twin
        params = {}
        for name, values in pop.params.items():
            new, factor = renamed.get(name, (name, 1.0))
            params[new] = values * factor if factor != 1.0 else values.copy()
        initial = {started.get(k, k): v.copy() for k, v in pop.initial.items()}
        pops[label] = ResolvedPopulation(label, pop.size, definition(), params, initial)
        changed = True
    if not changed:
        return resolved
    return dataclasses.replace(resolved, populations=pops)


def _needs_builtin(resolved, label: str, definition) -> bool:
    twin_state = set(E.program(definition).units)
    return (
        any(i.target == label for i in resolved.injections)
        or any(c.population == label for c in resolved.changes)
        or any(
            p.population == label and p.variable not in twin_state | {"spikes"}
            for p in resolved.probes
        )
    )


def rules_by_model(resolved) -> dict[str, list]:
    """The learning rules written as statements (``RuleProgram``) on the projections onto
    each custom model (by label); a :class:`CapabilityError` naming the fix if one targets a
    NEST built-in model, or if a NEST spike-timing rule targets a model that such a rule
    targets too (nothing is built before)."""
    out: dict[str, dict] = {}
    refused = []
    for proj in resolved.projections:
        if proj.rule is None or proj.rule.kind != "CustomRule":
            continue
        model = resolved.populations[proj.post].model
        if not is_custom(model.label):
            refused.append(f"{proj.label!r} onto {proj.post!r} ({model.label})")
            continue
        program = E.rule_program(proj.rule.rule)
        unsupported = _not_on_nest(program, proj, resolved)
        unreadable = _unreadable(program, E.program(model))
        if unreadable:
            unsupported = "the postsynaptic " + ", ".join(unreadable)
        if unsupported:
            raise CapabilityError(
                "nest",
                [F.plasticity("CustomRule")],
                reasons={
                    F.plasticity("CustomRule"): f"{program.name} uses {unsupported}, which the "
                    "NESTML synapses of the hub do not carry yet"
                },
                alternatives={F.plasticity("CustomRule"): ["brian2"]},
            )
        out.setdefault(model.label, {})[program.digest] = program
    taught = sum(  # a modulator (a teacher of one neuron) needs one model
        1 if resolved.sources[p.rule.teacher].size == 1 else len(np.unique(p.post_idx))
        for p in resolved.projections
        if _taught(p)
    )
    if taught > TEACHER_MODELS:
        raise CapabilityError(
            "nest",
            [F.plasticity("CustomRule")],
            reasons={
                F.plasticity("CustomRule"): (
                    f"rules with a teacher reach {taught} postsynaptic neurons; on NEST each "
                    "needs a synapse model of its own (its volume transmitter), and NEST "
                    f"holds at most 511 synapse models: {TEACHER_MODELS} such neurons at most"
                )
            },
            alternatives={F.plasticity("CustomRule"): ["brian2"]},
        )
    if refused:
        raise CapabilityError(
            "nest",
            [F.plasticity("CustomRule")],
            reasons={
                F.plasticity("CustomRule"): (
                    "a learning rule written as statements runs on NEST as a NESTML synapse "
                    "compiled together with its target neuron, so the postsynaptic "
                    "population must be a model written as equations (hub.define_neuron), "
                    "not one of NEST's built-in models; hub.LIF (exponential synapses) and "
                    "hub.Izhikevich run as their twins written as equations (bit for bit "
                    "the same), unless a current is injected into them, a parameter changes "
                    "between segments or a probe records a variable the twin names "
                    "otherwise: write the target neuron with hub.define_neuron "
                    "(docs/custom_models.md); projections: " + ", ".join(refused)
                )
            },
            alternatives={F.plasticity("CustomRule"): ["brian2"]},
        )
    mixed = [
        proj
        for proj in resolved.projections
        if proj.rule is not None
        and proj.rule.kind not in ("CustomRule", "TsodyksMarkram")
        and resolved.populations[proj.post].model.label in out
    ]
    if mixed:  # the paired neuron keeps its spike history for its own synapses only
        features = list(dict.fromkeys(F.plasticity(p.rule.rule.capability_key) for p in mixed))
        why = (
            "a built-in spike-timing rule onto a model that a rule written as statements "
            "also targets: that model's NESTML neuron keeps its spike history for its own "
            "synapses, so NEST's synapse would never learn; write the rule with "
            "hub.define_rule too (projections: " + ", ".join(repr(p.label) for p in mixed) + ")"
        )
        raise CapabilityError("nest", features, reasons={f: why for f in features})
    return {label: list(programs.values()) for label, programs in out.items()}


def _taught(proj) -> bool:
    return proj.rule is not None and bool(getattr(proj.rule, "teacher", None))


def tables_for(resolved) -> dict[str, NestModel]:
    """The tables of the custom models in ``resolved`` by label, their modules compiled (or
    found in the cache) with the synapses of the learning rules written as statements that
    target them; raises :class:`CapabilityError` when they cannot run here."""
    rules = rules_by_model(resolved)
    models = {}
    for pop in resolved.populations.values():
        if is_custom(pop.model.label):
            models.setdefault(pop.model.label, pop.model)
    if not models:
        return {}
    prefix, version = modules.check(sorted(models))
    return {
        label: table(
            model,
            resolved.dt,
            modules.module_for(
                E.program(model), model.input, prefix, version, rules.get(label, ())
            ),
        )
        for label, model in models.items()
    }

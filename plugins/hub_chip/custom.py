"""Custom neuron models on the chip: those with the LIF form run as ``hub.LIF``.

The chip's compartment is a leaky integrator fed by exponentially decaying currents (or by
voltage jumps), quantized to integers (docs/chip.md).  A custom model of that form
(:func:`hub.equations.forms.lif_form`) becomes ``hub.LIF`` with the parameters its equations
give; any other is refused with a :class:`~hub.errors.CapabilityError` naming the term that
has no fixed-point form.  Recording: spikes and the leaky variable, under its own name.
"""

from __future__ import annotations

import dataclasses

from hub.errors import CapabilityError
from hub.ir.neurons import LIF


def as_lif(resolved):
    """``resolved`` with every custom population replaced by its ``hub.LIF`` (the network is
    unchanged when it has none); the probes of the leaky variable are renamed ``v``."""
    custom = {k: p for k, p in resolved.populations.items() if p.model.kind == "Custom"}
    if not custom:
        return resolved, {}
    import hub.equations as E  # (and sympy: only for networks with custom models)
    from hub.equations.forms import NoForm, lif_form, lif_parameters

    pops, renamed, missing = dict(resolved.populations), {}, []
    for label, pop in custom.items():
        program = E.program(pop.model)
        try:
            form = lif_form(program)
        except NoForm as e:
            missing.append(f"neuron:Custom ({pop.model.definition.name}: {e})")
            continue
        params, initial = lif_parameters(program, form, pop.params, pop.initial)
        pops[label] = dataclasses.replace(
            pop, model=LIF(synapse=form.synapse), params=params, initial=initial
        )
        renamed[label] = form.v
    probes = []
    for probe in resolved.probes:
        leaky = renamed.get(probe.population)
        if leaky is not None and probe.variable not in ("spikes", leaky):
            missing.append(
                f"record:{resolved.populations[probe.population].model.label}.{probe.variable} "
                f"(the chip records spikes and {renamed[probe.population]})"
            )
        if leaky is not None and probe.variable == leaky:
            probe = dataclasses.replace(probe, variable="v")
        probes.append(probe)
    if missing:
        raise CapabilityError(
            "chip",
            missing,
            {m: ["nest", "brian2"] for m in missing},
            {m: "no fixed-point form on the chip's LIF compartment" for m in missing},
        )
    return dataclasses.replace(resolved, populations=pops, probes=probes), renamed


def with_rule_bounds(resolved):
    """``resolved`` with each learning rule written as statements given the ``w_max`` the
    learning engine clips to: the weight parameter its statements clip ``w`` to
    (``w = clip(..., 0, P)``); a rule with no sum-of-products form is refused naming the
    term (plugins/hub_chip/compile_rules.py)."""
    custom = [p for p in resolved.projections if p.rule is not None and p.rule.kind == "CustomRule"]
    if not custom:
        return resolved
    from .compile_rules import custom_form

    projections = []
    for proj in resolved.projections:
        if proj.rule is not None and proj.rule.kind == "CustomRule":
            program, form = custom_form(proj.rule)
            if form.bound != "w_max" and "w_max" in proj.rule.params:
                raise CapabilityError(
                    "chip",
                    [
                        f"plasticity:CustomRule ({program.name}: w is clipped to {form.bound} "
                        "but the rule also has a parameter w_max: name the bound w_max)"
                    ],
                )
            params = {**proj.rule.params, "w_max": proj.rule.params[form.bound]}
            proj = dataclasses.replace(proj, rule=dataclasses.replace(proj.rule, params=params))
        projections.append(proj)
    return dataclasses.replace(resolved, projections=projections)

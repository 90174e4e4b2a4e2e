"""Custom neuron models: write the equations once, run them on every backend
(docs/custom_models.md).

:func:`define_neuron` reads a model written as equations (checked at once: names, units,
syntax, with the field and line of each problem) and returns its
:class:`~hub.ir.custom.NeuronDefinition`; calling the definition makes a model for a
population.  :func:`program` gives the update statements the hub derived for it
(:mod:`hub.equations.numerics`), which every backend runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from hub.ir.custom import CustomNeuron, NeuronDefinition
from hub.ir.custom_rule import RuleDefinition

from .rules import rule_program
from .program import NeuronProgram, Stmt, execute
from .syntax import parse

_PROGRAMS: dict[str, NeuronProgram] = {}


def define_neuron(
    name: str,
    equations: str,
    parameters: Mapping[str, object] | None = None,
    *,
    initial: Mapping[str, object] | None = None,
    threshold: str = "",
    reset: str = "",
    refractory: str = "",
    on_spike: Mapping[str, str] | None = None,
) -> NeuronDefinition:
    """A neuron model from equations (the fields of :class:`~hub.ir.custom.NeuronDefinition`).
    Raises :class:`hub.ValidationError` listing every problem, before anything runs::

        lif = hub.define_neuron(
            "lif",
            '''dv/dt = (v_rest - v)/tau_m + (I_ex + I_in + i_offset)/cm : mV (unless refractory)
               dI_ex/dt = -I_ex/tau_syn_E : nA
               dI_in/dt = -I_in/tau_syn_I : nA''',
            {"cm": "1 nF", "tau_m": "20 ms", ...},
            initial={"v": "v_rest"}, threshold="v >= v_thresh", reset="v = v_reset",
            refractory="tau_refrac",
            on_spike={"excitatory": "I_ex += w", "inhibitory": "I_in += w"},
        )
        pop = hub.Population(100, lif(tau_m=10.0))
    """
    definition = NeuronDefinition(
        name=name,
        equations=equations,
        parameters=dict(parameters or {}),
        initial=dict(initial or {}),
        threshold=threshold,
        reset=reset,
        refractory=refractory,
        on_spike=dict(on_spike or {}),
    )
    program(definition)  # checks everything now
    return definition


def define_rule(
    name: str,
    parameters: Mapping[str, object] | None = None,
    *,
    pre_traces: Mapping[str, str] | None = None,
    post_traces: Mapping[str, str] | None = None,
    on_pre: str = "",
    on_post: str = "",
    on_teacher: str = "",
    post_state: Mapping[str, str] | None = None,
) -> RuleDefinition:
    """A learning rule from statements (the fields of
    :class:`~hub.ir.custom_rule.RuleDefinition`; the semantics in :mod:`hub.equations.rules`).
    Raises :class:`hub.ValidationError` listing every problem::

        stdp = hub.define_rule(
            "stdp_additive",
            {"tau_plus": "20 ms", "tau_minus": "20 ms", "a_plus": "0.01 weight",
             "a_minus": "0.0105 weight", "w_max": "1 weight"},
            pre_traces={"x": "tau_plus"}, post_traces={"y": "tau_minus"},
            on_post="w = clip(w + a_plus * x, 0*w_max, w_max)",
            on_pre="w = clip(w - a_minus * y, 0*w_max, w_max)",
        )
        net.connect(a, b, hub.AllToAll(), hub.Plastic(stdp(), weight=0.5, delay=1.0))
    """
    definition = RuleDefinition(
        name=name,
        parameters=dict(parameters or {}),
        pre_traces=dict(pre_traces or {}),
        post_traces=dict(post_traces or {}),
        on_pre=on_pre,
        on_post=on_post,
        on_teacher=on_teacher,
        post_state=dict(post_state or {}),
    )
    rule_program(definition)  # checks everything now
    return definition


def program(definition: NeuronDefinition | CustomNeuron) -> NeuronProgram:
    """The update statements of ``definition`` (derived once per text)."""
    if isinstance(definition, CustomNeuron):
        definition = definition.definition
    found = _PROGRAMS.get(definition.digest)
    if found is None:
        from .numerics import derive  # sympy and mpmath: imported when a model is derived

        found = _PROGRAMS[definition.digest] = derive(parse(definition))
    return found


__all__ = [
    "NeuronProgram",
    "Stmt",
    "define_neuron",
    "define_rule",
    "execute",
    "program",
    "rule_program",
]

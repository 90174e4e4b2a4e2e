"""Learning rules written as statements (docs/custom_models.md): the definition as text.

A :class:`RuleDefinition` holds what the user wrote: the parameters with units (``weight``
is the target's weight unit), the presynaptic and postsynaptic traces (each a sum of
exponentials ``exp(-(t - t_spike)/tau)`` over the spikes of its side, +1 per spike, with its
time constant a parameter), and the statements run on a presynaptic spike (``on_pre``) and on
a postsynaptic spike reaching the synapse (``on_post``), which change the weight ``w`` (a
magnitude in the weight unit).  The timing is the one of every rule of the hub (NEST's,
:mod:`hub.ir.plasticity`).  :mod:`hub.equations.rules` parses and checks it.

``definition(**values)`` makes a rule for ``hub.Plastic``, like ``hub.STDP(**values)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from ..errors import Diagnostic, ValidationError
from . import units
from .declared import Param
from .definition_text import TextDefinition, node_from_dict
from .node import register
from .plasticity import WEIGHT, Rule


@dataclass(frozen=True)
class RuleDefinition(TextDefinition):
    """A learning rule from statements.  Fields are text, as the user wrote them:

    ``name``         a word naming the rule
    ``parameters``   name -> default with unit (``"0.01 weight"``: the target's weight unit;
                     a bare number is dimensionless)
    ``pre_traces``   trace name -> its time constant (a parameter name)
    ``post_traces``  trace name -> its time constant (a parameter name)
    ``on_pre``       statements run at each presynaptic spike, one per line
    ``on_post``      statements run at each postsynaptic spike reaching the synapse
    ``post_state``   state variable of the postsynaptic neuron -> its unit: the statements
                     read it as ``<name>_post``, its value at the event's synapse time
    ``on_teacher``   statements run at each spike of the rule's third factor, made with
                     ``teacher=<source>``: a teacher (a spike source of the post
                     population's size, neuron j teaching neuron j: supervised rules,
                     ReSuMe) or a modulator (a source of one neuron whose spikes reach
                     every synapse: three-factor rules); it reaches the synapse like a
                     postsynaptic spike
    """

    name: str
    parameters: Mapping[str, object] = field(default_factory=dict)
    pre_traces: Mapping[str, str] = field(default_factory=dict)
    post_traces: Mapping[str, str] = field(default_factory=dict)
    on_pre: str = ""
    on_post: str = ""
    on_teacher: str = ""
    post_state: Mapping[str, str] = field(default_factory=dict)
    what = "rule definition"

    def declared_parameters(self) -> tuple[tuple[str, str, float], ...]:
        """(name, unit, default) per parameter; ValidationError naming what cannot be read."""
        out, problems = [], []
        for name, value in self.parameters.items():
            where = f"{self.name}.parameters.{name}"
            if isinstance(value, str) and value.strip().endswith(" weight"):
                number, unit = value.strip()[: -len(" weight")], WEIGHT
            elif isinstance(value, str):
                try:
                    number, unit = units.split_quantity(value)
                except units.UnitError as e:
                    problems.append(Diagnostic(where, f"{value!r}: {e}", "write e.g. '20 ms'"))
                    continue
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                number, unit = value, "1"
            else:
                problems.append(Diagnostic(where, f"{value!r} is not a quantity", "e.g. '20 ms'"))
                continue
            try:
                out.append((name, unit, float(number)))
            except ValueError:
                problems.append(Diagnostic(where, f"cannot read {value!r}", "e.g. '0.5 weight'"))
        if problems:
            raise ValidationError(problems)
        return tuple(out)

    def model_class(self) -> type[CustomRule]:
        cached = _CLASSES.get(self.digest)
        if cached is None:
            params = tuple(Param(n, u, d, "") for n, u, d in self.declared_parameters())
            cached = _CLASSES[self.digest] = type(
                f"CustomRule_{self.name}", (CustomRule,), {"definition": self, "parameters": params}
            )
        return cached

    def __call__(self, **values) -> CustomRule:
        return self.model_class()(**values)


_CLASSES: dict[str, type] = {}


class CustomRule(Rule):
    """A learning rule defined by a :class:`RuleDefinition` (one subclass per definition);
    its label is ``CustomRule[digest=<digest>,name=<name>]``."""

    kind = "CustomRule"
    definition: ClassVar[RuleDefinition]
    arguments = ("teacher",)

    def __init__(self, teacher=None, **values):
        """``teacher``: the spike source (or its label) whose neuron j teaches postsynaptic
        neuron j, or of one neuron whose spikes reach every synapse (a modulator), for rules
        with ``on_teacher``."""
        super().__init__(**values)
        self.teacher = getattr(teacher, "label", teacher)

    @property
    def label(self) -> str:
        return f"CustomRule[digest={self.definition.digest},name={self.definition.name}]"

    @property
    def capability_key(self) -> str:
        return "CustomRule"

    def to_dict(self, arrays=None) -> dict:
        return {**super().to_dict(arrays), "definition": self.definition.to_dict()}

    @classmethod
    def from_dict(cls, d: Mapping, arrays=None, extra_kinds=None):
        return node_from_dict(CustomRule, RuleDefinition, d, arrays, extra_kinds)

    def __repr__(self):
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{self.definition.name}({shown})"


register(CustomRule)

"""Neuron models written as equations (docs/custom_models.md): the definition as text.

A :class:`NeuronDefinition` holds what the user wrote: the differential equations (one per
line, Brian2's syntax ``dv/dt = ... : mV (unless refractory)``), the parameters with their
defaults and units, the initial values, the threshold condition, the reset statements, the
refractory period and what a spike arriving on each receptor does (``I_ex += w``).  It is pure
data; :mod:`hub.equations` parses and checks it (no code runs) and derives the update
statements every backend executes.

``definition(**values)`` makes a model for a population, exactly like ``hub.LIF(**values)``:
the definition's class is a :class:`~hub.ir.neurons.NeuronModel` whose parameters and state
are the definition's.  It is saved with the network (the text travels in the file).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from ..errors import Diagnostic, ValidationError
from . import units
from .declared import Param, State
from .definition_text import TextDefinition, node_from_dict
from .neurons import NeuronModel
from .node import register

#: the unit categories a weight may have, by the dimension the weight adds to
_INPUT_BY_UNIT = {"nA": "current", "pA": "current", "uS": "conductance", "nS": "conductance"}


@dataclass(frozen=True)
class NeuronDefinition(TextDefinition):
    """A neuron model from equations.  Fields are text, as the user wrote them:

    ``name``         a word naming the model (used in labels and compiled-module names)
    ``equations``    one ODE per line: ``dx/dt = <expression> : <unit>``, optionally followed
                     by ``(unless refractory)`` (x is held while the neuron is refractory)
    ``parameters``   name -> default with unit, e.g. ``{"tau_m": "20 ms"}`` (a bare number is
                     dimensionless); a parameter may also be given as ``(default, doc)``
    ``initial``      state variable -> initial value: a quantity or a parameter name
                     (default 0)
    ``threshold``    a condition, e.g. ``v >= v_thresh`` (tested at the end of every step)
    ``reset``        statements run when the neuron spikes, one per line (``v = v_reset``)
    ``refractory``   a parameter name or quantity (``"2 ms"``); empty: no refractory period
    ``on_spike``     receptor (``excitatory``/``inhibitory``) -> statement with the weight
                     ``w``, e.g. ``{"excitatory": "I_ex += w"}``
    """

    name: str
    equations: str
    parameters: Mapping[str, object] = field(default_factory=dict)
    initial: Mapping[str, object] = field(default_factory=dict)
    threshold: str = ""
    reset: str = ""
    refractory: str = ""
    on_spike: Mapping[str, str] = field(default_factory=dict)
    what = "neuron definition"

    def declared_parameters(self) -> tuple[tuple[str, object, str], ...]:
        """(name, default, doc) per parameter, as given."""
        out = []
        for name, spec in self.parameters.items():
            if isinstance(spec, (tuple, list)) and len(spec) == 2:
                out.append((name, spec[0], str(spec[1])))
            else:
                out.append((name, spec, ""))
        return tuple(out)

    def model_class(self) -> type[CustomNeuron]:
        """The :class:`CustomNeuron` subclass of this definition (made once per text)."""
        cached = _CLASSES.get(self.digest)
        if cached is not None:
            return cached
        signature = self.signature()  # parameters and state with their units
        cls = type(
            f"Custom_{self.name}",
            (CustomNeuron,),
            {
                "definition": self,
                "parameters": tuple(
                    Param(name, unit, default, doc) for name, unit, default, doc in signature[0]
                ),
                "state": tuple(State(n, u, init, "") for n, u, init in signature[1]),
                "weight_units": signature[2],
            },
        )
        _CLASSES[self.digest] = cls
        return cls

    def signature(self):
        """(parameters, state, weight units) read from the text: ``(name, unit, default,
        doc)`` per parameter, ``(name, unit, initial)`` per state variable and receptor ->
        weight unit.  Raises :class:`~hub.errors.ValidationError` naming the field and line
        of what cannot be read; :mod:`hub.equations` checks the rest."""
        out: list[Diagnostic] = []
        params = []
        for name, default, doc in self.declared_parameters():
            where = f"{self.name}.parameters.{name}"
            _check_name(name, where, out)
            unit, number = _quantity_unit(default, where, out)
            params.append((name, unit, number, doc))
        state = []
        lines = [ln for ln in self.equations.splitlines()]
        for lineno, line in enumerate(lines, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            where = f"{self.name}.equations line {lineno}"
            m = ODE_LINE.match(text)
            if m is None:
                out.append(
                    Diagnostic(
                        where,
                        f"{text!r} is not an equation",
                        "write 'dx/dt = <expression> : <unit>' (optionally "
                        "'(unless refractory)' at the end)",
                    )
                )
                continue
            name, unit = m.group("var"), m.group("unit").strip()
            _check_name(name, where, out)
            if unit not in units.known_units() and not units.is_compound(unit):
                out.append(
                    Diagnostic(
                        where,
                        f"unknown unit {unit!r} of {name}",
                        f"use one of {', '.join(units.known_units())}",
                    )
                )
            init = self.initial.get(name, 0.0)
            state.append((name, unit, init))
        known_state = {n: u for n, u, _ in state}
        for name in self.initial:
            if name not in known_state:
                out.append(
                    Diagnostic(
                        f"{self.name}.initial.{name}",
                        f"{name!r} is not a state variable",
                        f"give initial values of {sorted(known_state)}",
                    )
                )
        weights = {}
        for receptor, stmt in self.on_spike.items():
            where = f"{self.name}.on_spike.{receptor}"
            m = ON_SPIKE.match(str(stmt).strip())
            if receptor not in ("excitatory", "inhibitory"):
                out.append(
                    Diagnostic(
                        where, f"{receptor!r} is not a receptor", "use excitatory or inhibitory"
                    )
                )
            elif m is None or m.group("var") not in known_state:
                out.append(
                    Diagnostic(
                        where,
                        f"{stmt!r} does not add the weight w to a state variable",
                        "write '<state variable> += w' or '<state variable> += <factor> * w'",
                    )
                )
            else:
                weights[receptor] = known_state[m.group("var")]
        if len(set(weights.values())) > 1:
            out.append(
                Diagnostic(
                    f"{self.name}.on_spike",
                    f"the receptors' weights have different units {weights}",
                    "let every receptor add to variables of one unit",
                )
            )
        if out:
            raise ValidationError(out)
        return tuple(params), tuple(state), weights

    def __call__(self, **values) -> CustomNeuron:
        """A model of this definition with the given parameter values (others: defaults)."""
        return self.model_class()(**values)


#: ``dx/dt = expression : unit`` with an optional ``(unless refractory)``
ODE_LINE = re.compile(
    r"^d(?P<var>[A-Za-z_]\w*)\s*/\s*dt\s*=\s*(?P<rhs>.+?)\s*:\s*(?P<unit>[^():]+?)\s*"
    r"(?P<flag>\(\s*unless\s+refractory\s*\))?\s*$"
)
#: ``x += w`` or ``x += <factor> * w``
ON_SPIKE = re.compile(r"^(?P<var>[A-Za-z_]\w*)\s*\+=\s*(?:(?P<factor>.+?)\s*\*\s*)?w$")
_RESERVED = {"w", "t", "dt", "h"}


def _check_name(name: str, where: str, out: list) -> None:
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        out.append(Diagnostic(where, f"{name!r} is not a name", "use letters, digits and _"))
    elif name in _RESERVED or units.is_unit(name):
        out.append(Diagnostic(where, f"{name!r} is reserved (a unit or the hub's)", "rename it"))


def _quantity_unit(value, where: str, out: list) -> tuple[str, float]:
    """The unit and number of a parameter default (``"20 ms"``, ``0.5``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        out.append(Diagnostic(where, f"{value!r} is not a quantity", "write e.g. '20 ms' or 0.5"))
        return "1", 0.0
    if not isinstance(value, str):
        return "1", float(value)
    try:
        number, unit = units.split_quantity(value)
    except units.UnitError as e:
        out.append(Diagnostic(where, f"{value!r}: {e}", "write e.g. '20 ms' (a number and a unit)"))
        return "1", 0.0
    return unit, number


_CLASSES: dict[str, type] = {}


class CustomNeuron(NeuronModel):
    """A neuron model defined by a :class:`NeuronDefinition` (one subclass per definition).
    Its label is ``Custom[digest=<digest>,name=<name>]``; weights are in the unit of the
    variable a receptor's statement adds them to."""

    kind = "Custom"
    definition: ClassVar[NeuronDefinition]
    weight_units: ClassVar[dict[str, str]] = {}

    @property
    def label(self) -> str:
        return f"Custom[digest={self.definition.digest},name={self.definition.name}]"

    @property
    def capability_key(self) -> str:
        return "Custom"

    @property
    def input(self) -> str:
        unit = next(iter(self.weight_units.values()), "mV")
        return _INPUT_BY_UNIT.get(unit, "voltage" if unit == "mV" else "other")

    @property
    def weight_unit(self) -> str:
        return next(iter(self.weight_units.values()), "1")

    def to_dict(self, arrays=None) -> dict:
        return {**super().to_dict(arrays), "definition": self.definition.to_dict()}

    @classmethod
    def from_dict(cls, d: Mapping, arrays=None, extra_kinds=None):
        return node_from_dict(CustomNeuron, NeuronDefinition, d, arrays, extra_kinds)

    def __repr__(self):
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{self.definition.name}({shown})"


register(CustomNeuron)

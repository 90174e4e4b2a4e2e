"""Custom neuron models (:func:`hub.define_neuron`) as PyNN cell types.

``sim.custom_cell_type(definition)`` is a PyNN cell type class named like the definition,
built the way PyNN builds its standard cell types and hub.pynn its own: the definition's
parameters are the ``default_parameters`` (their declared defaults) with the identity
translations (PyNN's names are the hub's, in the definition's declared units: ``units``),
its state variables are the ``default_initial_values`` and, with ``spikes``, the
``recordable`` variables, and its receptors (``on_spike``) the ``receptor_types``::

    lif = hub.define_neuron("lif", ...)
    MyLIF = sim.custom_cell_type(lif)
    cells = sim.Population(20, MyLIF(tau_m=12.0), initial_values={"v": -60.0})

A population of it becomes a hub population of ``definition(**parameters)``, one value per
neuron.  A state variable whose initial value the definition gives as a parameter name
(``initial={"v": "v_rest"}``) starts at that parameter of each neuron, as on the hub; its
``default_initial_values`` entry is the parameter's default (:class:`ParameterInitial`), and
the population takes the parameter's values when it is created.  One definition gives one
class: asking again returns it (cached by ``definition.digest``).
"""

from __future__ import annotations

from typing import ClassVar

from pyNN.standardmodels import StandardCellType, build_translations

from ..errors import HubError
from ..ir import units
from ..ir.custom import NeuronDefinition

#: the hub's unit symbols PyNN's units (the quantities package) spell otherwise
_QUANTITIES_UNITS = {"1": "dimensionless", "": "dimensionless", "steps": "dimensionless"}
_RECEPTORS = ("excitatory", "inhibitory")  # PyNN's order: the default receptor first
_CONDUCTANCE_UNITS = {"S", "mS", "uS", "nS", "pS"}


class ParameterInitial(float):
    """The default initial value of a state variable that starts at a parameter: a number
    (the parameter's default, what PyNN sees) that names the parameter (``parameter``)."""

    parameter: str

    def __new__(cls, value: float, parameter: str):
        obj = super().__new__(cls, value)
        obj.parameter = parameter
        return obj

    def __reduce__(self):
        return (type(self), (float(self), self.parameter))


class CustomCellType(StandardCellType):
    """Base of the cell types :func:`custom_cell_type` makes (one subclass per definition)."""

    definition: ClassVar[NeuronDefinition]
    hub_model = "Custom"

    def hub_neuron(self, values: dict):
        """The hub model of a population of this cell type: the definition called with
        ``values`` (hub names and units, a scalar or one value per neuron)."""
        return self.definition(**values)


_TYPES: dict[str, type] = {}


def _pynn_unit(unit: str) -> str:
    return _QUANTITIES_UNITS.get(unit, unit)


def custom_cell_type(definition: NeuronDefinition) -> type:
    """The PyNN cell type class of ``definition`` (a :class:`hub.ir.custom.NeuronDefinition`
    from :func:`hub.define_neuron`); the same class for the same definition."""
    if not isinstance(definition, NeuronDefinition):
        raise HubError(
            f"custom_cell_type({definition!r}): not a neuron definition; "
            "pass what hub.define_neuron(...) returns"
        )
    found = _TYPES.get(definition.digest)
    if found is not None:
        return found
    model = definition.model_class()
    defaults = {p.name: float(p.default) for p in model.parameters}
    initial = {}
    for s in model.state:
        if isinstance(s.initial, str) and s.initial in defaults:
            initial[s.name] = ParameterInitial(defaults[s.initial], s.initial)
        else:
            initial[s.name] = float(units.convert(s.initial, s.unit))
    weight_units = set(model.weight_units.values())
    namespace = {
        "__doc__": f"The custom neuron model {definition.name!r} (hub.define_neuron), "
        f"digest {definition.digest}.",
        "__module__": __name__,
        "definition": definition,
        "default_parameters": defaults,
        "default_initial_values": initial,
        "units": {
            **{p.name: _pynn_unit(p.unit) for p in model.parameters},
            **{s.name: _pynn_unit(s.unit) for s in model.state},
        },
        "recordable": ["spikes", *(s.name for s in model.state)],
        "receptor_types": tuple(r for r in _RECEPTORS if r in definition.on_spike),
        "conductance_based": bool(weight_units) and weight_units <= _CONDUCTANCE_UNITS,
        "translations": build_translations(*((name, name) for name in defaults)),
    }
    cls = type(definition.name, (CustomCellType,), namespace)
    _TYPES[definition.digest] = cls
    return cls


def initial_value(population, value):
    """``value``, or for a :class:`ParameterInitial` the parameter's values of the neurons
    of ``population`` (hub names, one per neuron), as they are now."""
    if isinstance(value, ParameterInitial):
        return population.native_values[value.parameter].astype(float)
    return value

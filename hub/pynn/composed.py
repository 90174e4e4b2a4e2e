"""PyNN's composed neurons (``PointNeuron``) mapped onto the hub's models.

``PointNeuron(LIF(...), excitatory=CurrExpPostSynapticResponse(tau_syn=...), inhibitory=...)``
is ``IF_curr_exp`` written in parts, and hub.pynn runs it as that model.  Every composition
that equals a hub model is accepted:

=====================================  ==============================================
neuron + two receptors of one kind      hub model
=====================================  ==============================================
``LIF`` + ``CurrExpPostSynapticResponse``   ``LIF[synapse=exp]`` (``IF_curr_exp``)
``LIF`` + ``CondExpPostSynapticResponse``   ``LIFCond[synapse=exp]`` (``IF_cond_exp``)
``LIF`` + ``CondAlphaPostSynapticResponse`` ``LIFCond[synapse=alpha]`` (``IF_cond_alpha``)
``AdExp`` + ``CondExpPostSynapticResponse`` ``AdEx[synapse=exp]`` (``EIF_cond_exp_isfa_ista``)
``AdExp`` + ``CondAlphaPostSynapticResponse``  ``AdEx[synapse=alpha]``
=====================================  ==============================================

with the receptors named ``excitatory`` and ``inhibitory``: the hub's models have those two.
Any other composition (receptors named otherwise, e.g. AMPA/NMDA/GABAA, a third receptor,
receptors of two kinds, ``CondBetaPostSynapticResponse``) is an
:class:`~hub.pynn.errors.UnsupportedError` naming it.

Names are PyNN's both ways: parameters ``tau_m``, ``excitatory.tau_syn`` (ms),
``inhibitory.e_syn`` (mV) are the hub's ``tau_m``, ``tau_syn_E``, ``e_rev_I``; recordables
and initial values ``excitatory.isyn`` (nA), ``inhibitory.gsyn`` (uS) are the hub's
``isyn_exc``, ``gsyn_inh`` (:attr:`PointNeuron.hub_variables`).  The receptor's
``locations`` (a parameter of multi-compartment cells) is not a parameter here.
"""

from __future__ import annotations

from pyNN.standardmodels import StandardModelType, cells, receptors

from .errors import unsupported
from .standardmodels import identity_type

#: (neuron component, receptor kind) -> the PyNN monolithic name of the hub model
COMPOSITIONS = {
    ("LIF", "CurrExpPostSynapticResponse"): "IF_curr_exp",
    ("LIF", "CondExpPostSynapticResponse"): "IF_cond_exp",
    ("LIF", "CondAlphaPostSynapticResponse"): "IF_cond_alpha",
    ("AdExp", "CondExpPostSynapticResponse"): "EIF_cond_exp_isfa_ista",
    ("AdExp", "CondAlphaPostSynapticResponse"): "EIF_cond_alpha_isfa_ista",
}
#: receptor name -> suffix of the hub's parameter names (tau_syn_E) and state names (isyn_exc)
RECEPTORS = {"excitatory": ("E", "exc"), "inhibitory": ("I", "inh")}
#: receptor parameter -> hub parameter prefix
RECEPTOR_PARAMETERS = {"tau_syn": "tau_syn", "e_syn": "e_rev"}


# --- components ----------------------------------------------------------------------------
LIF = identity_type(cells.LIF, __name__)
AdExp = identity_type(cells.AdExp, __name__)
CurrExpPostSynapticResponse = identity_type(
    receptors.CurrExpPostSynapticResponse, __name__, recordable=["isyn"]
)
CondExpPostSynapticResponse = identity_type(
    receptors.CondExpPostSynapticResponse, __name__, recordable=["gsyn"]
)
CondAlphaPostSynapticResponse = identity_type(
    receptors.CondAlphaPostSynapticResponse, __name__, recordable=["gsyn"]
)
# accepted as a component so that the PointNeuron using it can say why it cannot run
CondBetaPostSynapticResponse = identity_type(
    receptors.CondBetaPostSynapticResponse, __name__, recordable=["gsyn"]
)

ExpPSR = CondExpPostSynapticResponse  # PyNN's aliases (pyNN.nest has them too)
AlphaPSR = CondAlphaPostSynapticResponse
BetaPSR = CondBetaPostSynapticResponse


def _describe(neuron, receptors_: dict) -> str:
    parts = [type(neuron).__name__]
    parts += [f"{name}={type(psr).__name__}" for name, psr in receptors_.items()]
    return f"PointNeuron({', '.join(parts)})"


def hub_model_of(neuron, receptors_: dict) -> str:
    """The PyNN monolithic name of the hub model the composition equals, or an
    :class:`UnsupportedError` naming the composition."""
    what = _describe(neuron, receptors_)
    own = (LIF, AdExp, CurrExpPostSynapticResponse, CondExpPostSynapticResponse)
    own += (CondAlphaPostSynapticResponse, CondBetaPostSynapticResponse)
    foreign = [c for c in (neuron, *receptors_.values()) if not isinstance(c, own)]
    if foreign:
        raise unsupported(
            what,
            f"{type(foreign[0]).__module__}.{type(foreign[0]).__name__} is not a hub.pynn "
            "component",
            "use sim.LIF, sim.AdExp and sim.CurrExpPostSynapticResponse, ... after "
            "`import hub.pynn as sim`",
        )
    if sorted(receptors_) != sorted(RECEPTORS):
        raise unsupported(
            what,
            f"receptors {sorted(receptors_)}: the hub's neuron models have exactly two "
            "receptors, one excitatory and one inhibitory",
            "name the two receptors excitatory and inhibitory "
            "(and use one projection per receptor)",
        )
    kinds = {type(psr).__name__ for psr in receptors_.values()}
    key = (type(neuron).__name__, kinds.pop()) if len(kinds) == 1 else None
    if key not in COMPOSITIONS:
        raise unsupported(
            what,
            "no hub model has this neuron with these receptors (both receptors of one kind: "
            + "; ".join(f"{n} + {r}" for n, r in COMPOSITIONS)
            + ")",
            "use one of those compositions or the monolithic IF_curr_exp, IF_cond_exp, ...",
        )
    return COMPOSITIONS[key]


def _receptor_translation(pynn_name: str, hub_name: str) -> dict:
    """A one-to-one translation of a dotted name (PyNN evaluates a string transform as an
    expression, which a dotted name is not)."""
    return {
        "translated_name": hub_name,
        "forward_transform": lambda **p: p[pynn_name],
        "reverse_transform": lambda **p: p[hub_name],
        "type": "simple",
    }


class PointNeuron(cells.PointNeuron):
    """PyNN's composed point neuron, run as the hub model it equals (module docstring).

    Its parameters are one flat space: the neuron component's names and
    ``<receptor>.<parameter>``; ``native`` names are the hub model's."""

    def __init__(self, neuron, **post_synaptic_receptors):
        self.hub_model = hub_model_of(neuron, post_synaptic_receptors)
        super().__init__(neuron, **post_synaptic_receptors)
        defaults = dict(neuron.default_parameters)
        given = {name: value.base_value for name, value in neuron.parameter_space.items()}
        translations = dict(neuron.translations)
        self.hub_variables: dict[str, str] = {}
        for receptor, psr in post_synaptic_receptors.items():
            letter, word = RECEPTORS[receptor]
            for name, value in psr.parameter_space.items():
                if name in RECEPTOR_PARAMETERS:
                    dotted = f"{receptor}.{name}"
                    defaults[dotted] = psr.default_parameters[name]
                    given[dotted] = value.base_value
                    hub_name = f"{RECEPTOR_PARAMETERS[name]}_{letter}"
                    translations[dotted] = _receptor_translation(dotted, hub_name)
            for variable in psr.recordable:
                self.hub_variables[f"{receptor}.{variable}"] = f"{variable}_{word}"
        self.default_parameters = defaults
        self.translations = translations
        self.parameter_space = type(neuron.parameter_space)(
            given, self.get_schema(), shape=None, component=type(self)
        )

    # one flat parameter space: PyNN's per-component bookkeeping does not apply
    simple_parameters = StandardModelType.simple_parameters
    scaled_parameters = StandardModelType.scaled_parameters
    computed_parameters = StandardModelType.computed_parameters
    computed_parameters_include = StandardModelType.computed_parameters_include
    get_native_names = StandardModelType.get_native_names

    def get_parameter_names(self):
        """PyNN names of the parameters: the neuron's, then ``<receptor>.<parameter>``."""
        return list(self.default_parameters)

    def has_parameter(self, name):
        return name in self.default_parameters

    def __repr__(self):
        return _describe(self.neuron, self.post_synaptic_receptors)


__all__ = [
    "LIF",
    "AdExp",
    "PointNeuron",
    "CurrExpPostSynapticResponse",
    "CondExpPostSynapticResponse",
    "CondAlphaPostSynapticResponse",
    "CondBetaPostSynapticResponse",
    "ExpPSR",
    "AlphaPSR",
    "BetaPSR",
]

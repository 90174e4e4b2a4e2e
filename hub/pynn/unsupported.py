"""PyNN classes the hub has no counterpart for: constructing one raises
:class:`~hub.pynn.errors.UnsupportedError` naming the class and what to use instead (as
``pyNN.standardmodels.ModelNotAvailable`` does in PyNN's own backends, with a reason)."""

from __future__ import annotations

from .errors import unsupported

#: PyNN class name -> (why the hub cannot run it, what to use instead)
UNSUPPORTED = {
    # cell types
    "IF_cond_exp_gsfa_grr": (
        "the hub has no conductance-based spike-frequency adaptation model",
        "use EIF_cond_exp_isfa_ista (adaptive exponential) or write a hub plugin model",
    ),
    "IF_facets_hardware1": (
        "the hub has no model of the FACETS hardware neuron",
        "use IF_cond_exp with the same parameters",
    ),
    "GIF_cond_exp": (
        "the hub has no generalized (stochastic) integrate-and-fire model",
        "use IF_cond_exp or EIF_cond_exp_isfa_ista",
    ),
    "SpikeSourceInhGamma": (
        "the hub draws homogeneous Poisson trains only",
        "draw the trains yourself and use SpikeSourceArray",
    ),
    "MultiCompartmentNeuron": (
        "the hub simulates point neurons only",
        "use a point-neuron model such as HH_cond_exp",
    ),
    # synapses
    "ElectricalSynapse": ("the hub has no gap junctions", "use chemical synapses"),
    "SimpleStochasticSynapse": (
        "the hub's synapses transmit every spike",
        "use StaticSynapse",
    ),
    "StochasticTsodyksMarkramSynapse": (
        "the hub's short-term plasticity is deterministic",
        "use TsodyksMarkramSynapse",
    ),
    "MultiQuantalSynapse": (
        "the hub's short-term plasticity is deterministic",
        "use TsodyksMarkramSynapse",
    ),
    "Vogels2011Rule": (
        "hub.pynn does not translate PyNN's Vogels2011Rule (pyNN.nest has no reference for it)",
        "use hub.VogelsSprekeler in a hub.Network",
    ),
}


def _unavailable(name: str) -> type:
    why, instead = UNSUPPORTED[name]

    def __init__(self, *args, **kwargs):
        raise unsupported(name, why, instead)

    return type(name, (), {"__init__": __init__, "__doc__": f"Not on the hub: {why}; {instead}."})


for _name in UNSUPPORTED:
    globals()[_name] = _unavailable(_name)

__all__ = list(UNSUPPORTED)

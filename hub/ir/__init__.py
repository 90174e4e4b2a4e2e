"""The intermediate representation: pure data, imports numpy (and hub.errors) only."""

from .connectors import (
    AllToAll,
    Connector,
    FixedInDegree,
    FixedOutDegree,
    FixedProbability,
    FixedTotalNumber,
    FromArrays,
    FromList,
    OneToOne,
)
from .custom import CustomNeuron, NeuronDefinition
from .custom_rule import CustomRule, RuleDefinition
from .io import load, save
from .network import Injection, Network, Population, Probe, Projection, SynapseProbe
from .neurons import (
    NEURON_MODELS,
    AdEx,
    ChipLIF,
    HodgkinHuxley,
    Izhikevich,
    LIF,
    LIFCond,
    LIFSubtract,
    NeuronModel,
    Param,
    State,
    model,
)
from .random import Distribution, Normal, Uniform
from .sources import CurrentSource, DCSource, PoissonSource, Source, SpikeTimes, StepCurrentSource
from .plasticity import (
    RULES,
    DopamineSTDP,
    Rule,
    STDP,
    TripletSTDP,
    TsodyksMarkram,
    VogelsSprekeler,
)
from .synapses import Plastic, Static, Synapse
from .validation import diagnose

__all__ = [n for n in dir() if not n.startswith("_")]

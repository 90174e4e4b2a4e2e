"""Synapse types.  ``Static`` is a fixed weight with a transmission delay; ``Plastic`` adds a
learning rule (``hub.ir.plasticity``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .node import Node, register
from .plasticity import Rule

RECEPTORS = ("excitatory", "inhibitory")


class Synapse(Node):
    """Base class: every synapse has ``weight``, ``delay`` and ``receptor``."""

    weight: object
    delay: object
    receptor: str


@dataclass(eq=False)
class Static(Synapse):
    """A static synapse.

    weight: nA for current-based targets, uS for conductance-based, mV for delta (voltage
    jump) targets; inhibitory weights are <= 0 for current and voltage targets and >= 0 for
    conductance targets (PyNN sign rule).  delay: ms, >= dt; the hub rounds it to
    D = floor(delay/dt + 0.5) steps.  A scalar, an array (one value per connection, in the
    order of the resolved connection list) or a Distribution.
    """

    weight: object = 0.0
    delay: object = None
    receptor: str = "excitatory"
    kind = "Static"


@dataclass(eq=False)
class Plastic(Synapse):
    """A synapse whose weight (or efficacy) follows ``rule`` (a :class:`~hub.ir.plasticity.Rule`,
    e.g. ``hub.STDP(...)``).  ``weight`` is the initial weight, with the units and sign rule of
    :class:`Static`; the rule acts on its magnitude.  ``delay`` is the transmission delay,
    all of it dendritic for the rule's timing (NEST's convention, docs/learning.md).
    """

    rule: Rule = field(metadata={"node": Rule})  # saved as the rule's own dict
    weight: object = 0.0
    delay: object = None
    receptor: str = "excitatory"
    kind = "Plastic"


SYNAPSES = register(Static, Plastic)

"""Synapse types.  ``Static`` is a fixed weight with a transmission delay; ``Plastic`` adds a
learning rule (``hub.ir.plasticity``)."""
from __future__ import annotations

RECEPTORS = ("excitatory", "inhibitory")


class Static:
    """A static synapse.

    weight: nA for current-based targets, uS for conductance-based, mV for delta (voltage
    jump) targets; inhibitory weights are <= 0 for current and voltage targets and >= 0 for
    conductance targets (PyNN sign rule).  delay: ms, >= dt; the hub rounds it to
    D = floor(delay/dt + 0.5) steps.  A scalar, an array (one value per connection, in the
    order of the resolved connection list) or a Distribution.
    """

    kind = "Static"

    def __init__(self, weight=0.0, delay=None, receptor: str = "excitatory"):
        self.weight, self.delay, self.receptor = weight, delay, receptor

    def to_dict(self) -> dict:
        from .serialize import encode_value

        return {"kind": self.kind, **{k: encode_value(v) for k, v in self.__dict__.items()}}

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"Static(weight={self.weight!r}, delay={self.delay!r}, receptor={self.receptor!r})"


class Plastic(Static):
    """A synapse whose weight (or efficacy) follows ``rule`` (a :class:`~hub.ir.plasticity.Rule`,
    e.g. ``hub.STDP(...)``).  ``weight`` is the initial weight, with the units and sign rule of
    :class:`Static`; the rule acts on its magnitude.  ``delay`` is the transmission delay,
    all of it dendritic for the rule's timing (NEST's convention, docs/learning.md).
    """

    kind = "Plastic"

    def __init__(self, rule, weight=0.0, delay=None, receptor: str = "excitatory"):
        super().__init__(weight, delay, receptor)
        self.rule = rule

    def to_dict(self) -> dict:
        from .serialize import encode_value

        d = {k: encode_value(v) for k, v in self.__dict__.items() if k != "rule"}
        rule = self.rule.to_dict() if hasattr(self.rule, "to_dict") else repr(self.rule)
        return {"kind": self.kind, **d, "rule": rule}

    def __repr__(self):
        return (f"Plastic({self.rule!r}, weight={self.weight!r}, delay={self.delay!r}, "
                f"receptor={self.receptor!r})")


SYNAPSES = {"Static": Static, "Plastic": Plastic}

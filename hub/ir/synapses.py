"""Synapse types.  ``Static`` is a fixed weight with a transmission delay."""
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


SYNAPSES = {"Static": Static}

"""Declared objects: classes that list their parameters (name, unit, default, constraint)
and options once, and whose instances hold the chosen values.  Neuron models
(``hub.ir.neurons``) and learning rules (``hub.ir.plasticity``) are declared objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from .node import Node
from .serialize import ArrayTable, decode_value, encode_value


@dataclass(frozen=True)
class Param:
    """One declared parameter: canonical unit, default and the constraint validation applies."""

    name: str
    unit: str
    default: float
    doc: str
    check: str = "any"  # any | positive | nonneg | int_nonneg | int_positive


@dataclass(frozen=True)
class State:
    """A state variable: unit, initial value (a number or a parameter name) and whether it is
    recordable under that name."""

    name: str
    unit: str
    initial: float | str
    doc: str


class Declared(Node):
    """Base class.  Subclasses declare ``kind``, ``parameters`` and ``options`` (option name ->
    allowed values, the first the default); an instance keeps the given parameter values
    (``values``), the options (``option_values``) and any other keyword (``unknown``, which
    validation reports).  Values are kept as given (numbers, arrays, distributions or unit
    strings such as ``"20 ms"``); they are converted when the network is resolved."""

    parameters: ClassVar[tuple[Param, ...]] = ()
    options: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: constructor arguments besides parameters and options, saved under their own names
    arguments: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **values):
        self.values = {}
        self.option_values = {k: v[0] for k, v in self.options.items()}
        self.unknown = {}
        declared = {p.name for p in self.parameters}
        for key, val in values.items():
            if key in self.options:
                self.option_values[key] = val
            elif key in declared:
                self.values[key] = val
            else:
                self.unknown[key] = val

    @classmethod
    def param(cls, name: str) -> Param:
        """The declaration of parameter ``name`` (KeyError if there is none)."""
        for p in cls.parameters:
            if p.name == name:
                return p
        raise KeyError(f"{cls.kind} has no parameter {name!r}")

    def value(self, name: str):
        """The given value of parameter ``name``, or its default."""
        return self.values.get(name, self.param(name).default)

    @property
    def label(self) -> str:
        """Kind plus options sorted by name, e.g. ``LIF[synapse=exp]`` or
        ``STDP[pairing=all,weight_dependence=additive]``: the key of capability tables."""
        if not self.option_values:
            return self.kind
        opts = ",".join(f"{k}={v}" for k, v in sorted(self.option_values.items()))
        return f"{self.kind}[{opts}]"

    def to_dict(self, arrays: ArrayTable | None = None) -> dict:
        """``kind``, the given values, the options, unknown keywords and ``arguments``."""
        enc = lambda v: encode_value(v, arrays)
        return {
            "kind": self.kind,
            **{k: enc(v) for k, v in self.values.items()},
            **self.option_values,
            **{k: enc(v) for k, v in self.unknown.items()},
            **{k: enc(getattr(self, k)) for k in self.arguments},
        }

    @classmethod
    def from_dict(cls, d: Mapping, arrays=None, extra_kinds: Mapping[str, type] | None = None):
        return cls(**{k: decode_value(v, arrays) for k, v in d.items() if k != "kind"})

    def __repr__(self):
        shown = {
            **self.values,
            **self.option_values,
            **{k: getattr(self, k) for k in self.arguments},
        }
        return f"{self.kind}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

"""Declarative translation tables: hub parameters -> a simulator's parameters.

A backend declares, per neuron model, a tuple of rules; :func:`translate` applies them to
the resolved per-neuron arrays.  Three kinds of rule (after PyNN's ``build_translations``):

* ``Rename("tau_m", "tau_m")``            dst = src
* ``Rename("cm", "C_m", scale=1000.0)``   dst = src * scale (nF -> pF)
* ``Computed("E_L", lambda p: p["v_rest"], "...")``  any function of the hub parameters

A ``Rename`` converts both ways: :meth:`Rename.reverse` turns a simulator's value back into
the hub's (``src = dst * (1 / scale)``), so a recorded variable comes back through the
rule that sent it (:func:`recordables`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Rename:
    src: str
    dst: str
    scale: float = 1.0

    def apply(self, params):
        value = params[self.src]
        return value * self.scale if self.scale != 1.0 else value

    def reverse(self, value):
        """The hub's value of a simulator value: ``value * (1 / scale)``."""
        return value * (1.0 / self.scale) if self.scale != 1.0 else value


@dataclass(frozen=True)
class Computed:
    dst: str
    fn: Callable[[dict], np.ndarray]
    doc: str = ""

    def apply(self, params):
        return self.fn(params)


def translate(rules, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Apply ``rules`` to ``params`` (hub name -> array); returns simulator name -> array."""
    return {rule.dst: np.asarray(rule.apply(params), dtype=float) for rule in rules}


def recordables(*rules: Rename) -> dict[str, Rename]:
    """Recordable state by hub variable name: ``{rule.src: rule}``; a recorded simulator
    variable ``rule.dst`` comes back as ``rule.reverse(values)``."""
    return {rule.src: rule for rule in rules}


def uniform_or_array(values: dict[str, np.ndarray]) -> dict:
    """Collapse arrays whose entries are all equal to a scalar (cheaper for simulators that
    bake constants into code or set parameters per node)."""
    out = {}
    for k, v in values.items():
        v = np.asarray(v)
        out[k] = float(v.flat[0]) if v.size and (v == v.flat[0]).all() else v
    return out

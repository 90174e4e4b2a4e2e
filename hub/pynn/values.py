"""Values of a population as the hub takes them: one float per neuron."""

from __future__ import annotations

import numpy as np


def hub_variable(celltype, name: str) -> str:
    """The hub's name of the state variable PyNN calls ``name`` on ``celltype``: the same
    name, except on a composed neuron (``excitatory.isyn`` -> ``isyn_exc``)."""
    return getattr(celltype, "hub_variables", {}).get(name, name)


def initial_array(population, variable: str) -> np.ndarray:
    """The initial value of ``variable`` (mV, nA, uS, ...) of every neuron of ``population``
    as a float array of its size: PyNN's lazy value evaluates to a scalar for a homogeneous
    value or a one-neuron population."""
    value = population.initial_values[variable].evaluate(simplify=False)
    return np.broadcast_to(np.asarray(value, dtype=float), (population.size,)).copy()

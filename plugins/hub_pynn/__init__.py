"""snn-hub backends on PyNN 0.13's simulator modules: ``pynn.nest``, ``pynn.brian2``,
``pynn.neuron`` and the family ``pynn:<module>`` for any PyNN-compatible module.

Importing this package imports neither PyNN nor a simulator; the first build does
(``pynn.neuron`` first compiles PyNN's NMODL mechanisms into a per-user cache,
:mod:`hub_pynn.nmodl`).
"""

from hub.backend import BackendSpec
from hub.hookspecs import hookimpl

from .backend import FAMILY, PyNNBackend, backend_for
from .models import TABLES, PyNNModel
from .simulators import BUILT_IN, Simulator, Timing

__all__ = [
    "BUILT_IN",
    "PyNNBackend",
    "PyNNModel",
    "Simulator",
    "TABLES",
    "Timing",
    "hub_register_backends",
]

_URL = "https://neuralensemble.org/PyNN/"


@hookimpl
def hub_register_backends():
    specs = [
        BackendSpec(name, backend_for(name), f"PyNN 0.13 on {sim.module}: {sim.integration}", _URL)
        for name, sim in BUILT_IN.items()
    ]
    specs.append(
        BackendSpec(
            FAMILY,
            PyNNBackend,
            "PyNN 0.13 on any PyNN-compatible module: pynn:<module> (e.g. pynn:pyNN.spiNNaker)",
            _URL,
        )
    )
    return specs

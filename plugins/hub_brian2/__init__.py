"""snn-hub backend for Brian2 (2.9), registered as ``brian2``.

The hub generates NEST's own update statements (propagators computed in the hub exactly as
NEST computes them, one operation per statement, a per-step input buffer per receptor) and
runs them as Brian2 abstract code under strict IEEE arithmetic, so the linear LIF models and
Izhikevich reproduce NEST bit for bit.  Conductance models (NEST: adaptive GSL RKF45) run a
fixed-step RK4.  Importing this package does not import Brian2; the first build does.
"""

from hub.backend import BackendSpec
from hub.hookspecs import hookimpl

from .backend import OPTIONS, STRICT_GCC_FLAGS, Brian2Backend
from .models import TABLES, B2Model

__all__ = [
    "Brian2Backend",
    "B2Model",
    "TABLES",
    "OPTIONS",
    "STRICT_GCC_FLAGS",
    "hub_register_backends",
]


@hookimpl
def hub_register_backends():
    return [
        BackendSpec(
            "brian2",
            Brian2Backend,
            "Brian2: NEST's update statements as Brian2 code (bit-identical LIF "
            "and Izhikevich); RK4 for conductance models; codegen numpy or strict "
            "cython (option codegen=...)",
            "https://briansimulator.org",
        )
    ]

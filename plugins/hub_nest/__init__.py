"""snn-hub backend for the NEST simulator (NEST 3.10), registered as ``nest``.

Importing this package does not import NEST; the first build does.
"""

from hub.backend import BackendSpec
from hub.hookspecs import hookimpl

from .backend import NestBackend
from .models import TABLES, NestModel

__all__ = ["NestBackend", "NestModel", "TABLES", "hub_register_backends"]


@hookimpl
def hub_register_backends():
    return [
        BackendSpec(
            "nest",
            NestBackend,
            "NEST 3: exact propagators and GSL solvers; the reference semantics; "
            "OpenMP threads (option threads=N)",
            "https://www.nest-simulator.org",
        )
    ]

"""snn-hub's built-in neuromorphic chip backend, registered as ``chip``.

A software model of a Loihi-class fixed-point chip (docs/chip.md): the
exact integer compartment update, discretization of float LIF models onto it, mapping onto
cores and chips, weight/threshold/bias quantization, and a per-run report of resources,
activity, energy and estimated chip time (``Results.extra["chip"]``).

Modules, one job each: ``spec`` (the chip's limits), ``compartment`` (integer arithmetic),
``program`` (compiled integer network), ``engine`` (time stepping), ``discretize`` (float
models -> chip form), ``quantize`` (number formats), ``mapper`` (cores), ``compile``
(resolved network -> program), ``energy`` (profiles), ``report``, ``backend``.
"""

from hub.backend import BackendSpec
from hub.hookspecs import hookimpl
from hub.version import __version__  # the chip model ships with snn-hub

from .backend import ChipBackend, ChipSession
from .energy import DAVIES_2018, EnergyProfile, load_profile
from .spec import LOIHI, ChipSpec

__all__ = [
    "__version__",
    "ChipBackend",
    "ChipSession",
    "EnergyProfile",
    "DAVIES_2018",
    "load_profile",
    "ChipSpec",
    "LOIHI",
    "hub_register_backends",
    "hub_validate_network",
]


@hookimpl
def hub_register_backends():
    return [
        BackendSpec(
            "chip",
            ChipBackend,
            "Loihi-class fixed-point chip model: exact integer ChipLIF, LIF "
            "discretized onto it, core mapping, quantization and energy report "
            "(options chips=N, energy_profile=...)",
            "https://doi.org/10.1109/MM.2018.112130359",
        )
    ]


@hookimpl
def hub_validate_network(network, backend_name):
    """Range checks of ChipLIF's integer parameters (any backend: they are the model's)."""
    from .validation import chiplif_diagnostics

    return chiplif_diagnostics(network)

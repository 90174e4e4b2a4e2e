"""Front doors to model formats that live in plugins: ``hub.from_nir`` and ``hub.to_nir``.

The core never imports a format plugin (the import-linter contracts in pyproject.toml forbid
it): these functions import ``hub_nir`` when called and raise a :class:`HubError` saying what
to install when it is missing.  docs/nir.md describes the functions themselves.
"""

from __future__ import annotations

import importlib

from .errors import HubError


def _nir_plugin():
    try:
        return importlib.import_module("hub_nir")
    except ImportError as exc:
        raise HubError(
            f"NIR support needs the hub_nir plugin and nir ({exc}); "
            "install it with pip install 'snn-hub[nir]'"
        ) from exc


def from_nir(graph, dt=None, input=None, convention=None, input_mode="auto"):
    """``hub_nir.from_nir``: a NIR graph (or ``.nir`` path) as a :class:`hub.Network`."""
    return _nir_plugin().from_nir(
        graph, dt=dt, input=input, convention=convention, input_mode=input_mode
    )


def to_nir(network, dt=None, convention=None):
    """``hub_nir.to_nir``: a network as a ``nir.NIRGraph`` (``convention="snntorch"``: read
    back exactly by snnTorch's ``import_from_nir``)."""
    return _nir_plugin().to_nir(network, dt=dt, convention=convention)


def run_nir(graph, input, backend="nest", dt=None, convention=None, **options):
    """``hub_nir.run_nir``: run a NIR graph on ``input``; outputs per Output node."""
    return _nir_plugin().run_nir(
        graph, input, backend=backend, dt=dt, convention=convention, **options
    )


__all__ = ["from_nir", "to_nir", "run_nir"]

"""Every hook snn-hub calls, in one module (the pytest/pluggy layout).

Hook argument names are frozen API: an implementation may accept fewer arguments than
the spec; arguments are added, never renamed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from .backend import BackendSpec, RunRequest

PROJECT = "snn_hub"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------------------------
# registration: plugins return plain data, the host builds its registries from it
# --------------------------------------------------------------------------------------------
@hookspec
def hub_register_backends() -> list[BackendSpec]:
    """Return the backends this plugin provides, as a list of :class:`hub.BackendSpec`.

    Collected from every plugin.  Two distributions registering the same backend name is a
    :class:`hub.errors.PluginError` naming both.
    """


@hookspec
def hub_register_kinds() -> list:
    """Return new IR kinds: classes (e.g. :class:`hub.NeuronModel` subclasses) whose class
    attribute ``kind`` is namespaced ``"vendor.Name"``.  Collected once per plugin manager;
    ``hub.load``, ``hub.model``, the worker processes and the generated model docs find the
    kinds there.  A kind without a namespace, or claimed by two distributions, is a
    :class:`hub.errors.PluginError`."""


@hookspec
def hub_register_translations(backend_name: str) -> dict:
    """Teach backend ``backend_name`` new kinds: return ``{kind_label: translation}`` in that
    backend's table format, or None.  Collected once per plugin manager and backend name; the
    host hands the merged dict to the backend object as ``backend.translations``."""


@hookspec
def hub_register_formats() -> list:
    """Return the model formats this plugin provides, as a list of
    :class:`hub.formats.ModelFormat` (a name, the suffixes it claims, an optional sniffer, a
    loader and optionally a writer).  Collected once per plugin manager; ``hub.load``,
    ``hub.save`` and every command that takes MODEL choose among them.  Two distributions
    claiming one format name or one suffix is a :class:`hub.errors.PluginError`."""


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
@hookspec
def hub_validate_network(network, backend_name: str) -> list:
    """Return extra :class:`hub.errors.Diagnostic` objects for ``network`` on
    ``backend_name`` (empty list or None when all is well).  Collected."""


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------
@hookspec(firstresult=True)
def hub_run_wrapper(request: RunRequest):
    """Run ``request`` (resolved network, backend, duration, options) and return
    :class:`hub.Results`.  Stops at the first non-None result; the hub's own implementation
    runs last.  Implement it with ``@hookimpl(wrapper=True)`` and ``return (yield)`` for
    timing, provenance or caching around a run."""

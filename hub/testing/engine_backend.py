"""A reference engine behind the backend contract: the shared plumbing of the kit's engines
(``hub.testing.reference``, ``hub.testing.ode_reference``), so tests can run them through
``hub.run`` and wrap them into backends that are wrong on purpose.

An engine is a function ``simulate(resolved) -> Results``; a backend for it subclasses
:class:`EngineBackend` with a :class:`EngineSession` subclass whose ``simulate`` is that
function, and declares its capabilities.  Neither is registered by default: a test does it
with :func:`engine_plugin`.
"""

from __future__ import annotations

from ..backend import Backend, BackendSpec, Session
from ..hookspecs import hookimpl


class EngineSession(Session):
    """Runs the engine ``simulate`` (a static method of the subclass) on ``resolved``."""

    @staticmethod
    def simulate(resolved):  # pragma: no cover - every subclass sets it
        raise NotImplementedError

    def __init__(self, resolved):
        self.resolved, self._results = resolved, None

    def run(self, progress=None):
        self._results = type(self).simulate(self.resolved)

    def results(self):
        return self._results


class EngineBackend(Backend):
    """A backend whose sessions are ``session_class``; subclasses set ``name``,
    ``session_class`` and ``capabilities()``."""

    session_class: type[EngineSession] = EngineSession

    def build(self, resolved, **options):
        return self.session_class(resolved)

    def versions(self):
        return {self.name: "1"}


def engine_plugin(backend_class: type[EngineBackend], description: str):
    """A plugin object registering ``backend_class`` under its ``name``:
    ``make_plugin_manager(plugins=[engine_plugin(ReferenceBackend, "...")])``."""

    class Plugin:
        @hookimpl
        def hub_register_backends(self):
            return [BackendSpec(backend_class.name, backend_class, description)]

    return Plugin()

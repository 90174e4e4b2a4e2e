"""The small typed contract between the hub and the one selected backend.

A backend is one object: ``capabilities()`` (declared data), ``build(resolved) ->
Session``; a session has ``run(progress)``, ``results()`` and ``close()``.

Capabilities are a set of feature strings, so a missing feature is a set difference.  The
vocabulary (``neuron:<label>``, ``record:<label>.<variable>``, ``spike_source``,
``current:step``, ``plasticity:<rule label>``, ...) is declared in :mod:`hub.features`, with
:func:`~hub.features.required_features` (re-exported here).
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Callable

from .features import required_features  # noqa: F401  (re-exported: hub.backend API)
from .resolve import ResolvedNetwork


@dataclass(frozen=True)
class Tolerance:
    """What a backend promises against the reference semantics for one neuron model.

    tier 1: bit-identical; 2: identical spikes, state within ``v_abs`` mV; 3: close
    (spike-time difference ``spike_ms``, fraction ``matched`` of spikes); 4: statistical.
    """

    tier: int
    v_abs: float = 0.0
    spike_ms: float = 0.0
    matched: float = 1.0
    note: str = ""


@dataclass(frozen=True)
class Capabilities:
    features: frozenset[str]
    tolerances: dict[str, Tolerance] = field(default_factory=dict)
    #: conformance checks the backend is known to fail: {check name: reason}
    known_gaps: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)

    def supports(self, feature: str) -> bool:
        return feature in self.features

    @property
    def neuron_models(self) -> list[str]:
        return sorted(f.split(":", 1)[1] for f in self.features if f.startswith("neuron:"))


@dataclass(frozen=True)
class BackendSpec:
    """What a plugin registers: a name and a factory for the backend object."""

    name: str
    backend_class: Callable[[], "Backend"]
    description: str = ""
    url: str = ""
    distribution: str = ""
    version: str = ""


@dataclass
class RunRequest:
    """What ``hub_run_wrapper`` implementations see: the resolved network, the backend's name
    and the backend object the host made for this run (``implementation``), the options for
    ``build`` and the progress callback."""

    resolved: ResolvedNetwork
    backend: str
    options: dict[str, Any] = field(default_factory=dict)
    progress: Any = None
    implementation: "Backend | None" = None


class Session(abc.ABC):
    """A built network on one simulator."""

    @abc.abstractmethod
    def run(self, progress: Callable[[float], None] | None = None) -> None:
        """Simulate ``resolved.steps`` steps; call ``progress(fraction)`` now and then."""

    @abc.abstractmethod
    def results(self):
        """Return a :class:`hub.Results` with spikes and signals (timings are added by the hub)."""

    def close(self) -> None:
        """Release simulator state."""


class Backend(abc.ABC):
    """One simulator.  The host makes the object (``spec.backend_class()``) and then sets
    :attr:`translations`; a backend never reaches for the plugin manager itself."""

    name: str = ""
    #: translation-table entries other plugins registered for this backend
    #: (``hub_register_translations``), handed over by the host: ``{kind label: entry}``
    translations: dict = {}

    @abc.abstractmethod
    def capabilities(self) -> Capabilities: ...

    @abc.abstractmethod
    def build(self, resolved: ResolvedNetwork, **options) -> Session: ...

    def versions(self) -> dict[str, str]:
        """Versions of the simulator and its dependencies, for provenance."""
        return {}

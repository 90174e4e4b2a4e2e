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
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

from .features import required_features  # noqa: F401  (re-exported: hub.backend API)
from .resolve import ResolvedNetwork


@dataclass(frozen=True)
class Tolerance:
    """What a backend promises against the reference semantics for one neuron model (key:
    the model label) or one learning rule (key ``plasticity:<rule label>``).

    tier 1: identical spikes, state equal up to float round-off; 2: identical spikes, state
    close; 3: close (a fraction ``matched`` of spikes within ``spike_ms``); 4: statistical.
    The conformance kit fixes what each tier means (:mod:`hub.testing.tiers`): ``v_abs``
    may only be tighter than the tier's bound, ``matched`` and ``spike_ms`` are capped.
    A quantized plastic backend declares its weight format: ``weight_bits`` of weight
    mantissa and at most ``lsb_per_update`` LSB of error added per update.
    """

    tier: int
    v_abs: float = 0.0
    spike_ms: float = 0.0
    matched: float = 1.0
    note: str = ""
    weight_bits: int = 0
    lsb_per_update: float = 0.0


_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


@dataclass(frozen=True)
class Option:
    """One build option of a backend, declared once (pytest's ``addoption`` pattern).

    The host converts what a user gives, a Python value or a command-line string, before
    ``build`` sees it: ``int``, ``float``, ``bool`` and ``str`` options are checked and
    converted (``"2"`` -> 2, ``"true"`` -> True), then ``choices``, ``minimum`` and
    ``maximum`` are enforced; ``type=object`` passes the value on unchanged.  ``None``
    always means "the default".  A bad value is a :class:`hub.HubError` naming the
    backend, the option, the value and what it must be.
    """

    name: str
    type: type = object
    default: Any = None
    help: str = ""
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None

    def convert(self, value, backend: str = ""):
        """``value`` as this option's type, or a HubError."""
        if value is None:
            return None
        converted = self._typed(value)
        if converted is _BAD:
            raise self._error(value, f"must be {self._describe()}")
        if self.choices and converted not in self.choices:
            raise self._error(value, f"must be one of {', '.join(map(repr, self.choices))}")
        if self.minimum is not None and not converted >= self.minimum:
            raise self._error(value, f"must be {self._describe()} >= {self.minimum:g}")
        if self.maximum is not None and not converted <= self.maximum:
            low = "" if self.minimum is None else f" >= {self.minimum:g} and"
            raise self._error(value, f"must be {self._describe()}{low} <= {self.maximum:g}")
        return converted

    def _typed(self, value):
        kind = self.type
        if kind is object:
            return value
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower() if isinstance(value, (str, int)) else None
            return True if text in _TRUE else False if text in _FALSE else _BAD
        if kind is int:
            if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
                return int(value)
            ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
            return int(value) if ok else _BAD
        if kind is float:
            if isinstance(value, bool):
                return _BAD
            try:
                number = float(value)
            except (TypeError, ValueError):
                return _BAD
            return number if math.isfinite(number) else _BAD
        return value if isinstance(value, kind) else _BAD

    def _describe(self) -> str:
        return {
            int: "an integer",
            float: "a finite number",
            bool: "True or False",
            str: "a string",
        }.get(self.type, f"a {self.type.__name__}")

    def _error(self, value, problem: str):
        from .errors import HubError

        return HubError(
            f"option {self.name}={value!r} {problem}" + (f" ({self.help})" if self.help else "")
        )


_BAD = object()


def cpu_bound(per_cpu: int = 4, floor: int = 8) -> int:
    """The most threads or processes an option may ask for: ``per_cpu`` per CPU this process
    may use (``os.sched_getaffinity``, else ``os.cpu_count()``), at least ``floor``.  More
    never runs faster, and absurd counts crash simulators (NEST segfaults at 100,000
    threads)."""
    import os

    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(floor, per_cpu * cpus)


def option_table(options: dict) -> dict[str, Option]:
    """``Capabilities.options`` as Options (a plain help string declares an untyped one)."""
    return {
        name: opt if isinstance(opt, Option) else Option(name, object, None, str(opt))
        for name, opt in options.items()
    }


def convert_options(backend: str, declared: dict, given: dict) -> dict:
    """Check ``given`` against the options ``backend`` declares and convert each value once,
    for the API, the command line and the worker processes alike."""
    from .errors import HubError

    table = option_table(declared)
    unknown = sorted(set(given) - set(table))
    if unknown:
        raise HubError(f"{backend}: unknown option(s) {unknown}; known: {sorted(table)}")
    out = {}
    for name, value in given.items():
        try:
            out[name] = table[name].convert(value)
        except HubError as exc:
            raise HubError(f"{backend}: {exc}") from None
    return out


@dataclass(frozen=True)
class Capabilities:
    features: frozenset[str]
    tolerances: dict[str, Tolerance] = field(default_factory=dict)
    #: conformance checks the backend is known to fail: {check name: reason}
    known_gaps: dict[str, str] = field(default_factory=dict)
    #: build options: ``{name: Option}`` (a plain help string is an untyped option)
    options: dict[str, Option | str] = field(default_factory=dict)
    #: features the backend cannot have, with the reason (shown in CapabilityError)
    refusals: dict[str, str] = field(default_factory=dict)

    @property
    def neuron_models(self) -> list[str]:
        return sorted(f.split(":", 1)[1] for f in self.features if f.startswith("neuron:"))


@dataclass(frozen=True)
class BackendSpec:
    """What a plugin registers: a name and a factory for the backend object.

    A name ending in ``:*`` (``"pynn:*"``) registers a *family*: every name
    ``prefix:<argument>`` no other spec registers is served by it, and the host calls
    ``backend_class(full_name)`` (a plain spec's ``backend_class`` takes no argument)."""

    name: str
    backend_class: Callable[..., "Backend"]
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
        """Simulate ``resolved.steps`` steps; call ``progress(fraction)`` now and then.

        ``progress`` is None or a callable: the host turns ``progress=True`` into a bar,
        passes on only increasing fractions and reports 1.0 itself once the run finished,
        so a backend that cannot report along the way may ignore it."""

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

    #: True if one run spans every process of an MPI job, each process building its share of
    #: the network (:meth:`share`); otherwise, inside an MPI job, rank 0 runs the network
    #: alone and the other ranks receive its results
    distributed: bool = False

    def share(self, network, **options) -> dict[str, tuple[int, int]] | None:
        """This process's share of ``network`` in a distributed run: population label ->
        (lo, hi), the target neurons whose incoming connections it must hold
        (``hub.resolve(..., share=)``); None for the whole network (the default)."""
        return None

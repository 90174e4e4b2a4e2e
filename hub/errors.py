"""The one exception tree of snn-hub.

Every failure a user can cause is a :class:`HubError` that names the field, the value
and the fix.  Simulator exceptions are wrapped in :class:`BackendError` (``raise ... from``)
so no raw NEST or Brian2 traceback reaches the user as the primary error.
"""

from __future__ import annotations

from dataclasses import dataclass


class HubError(Exception):
    """Base class of every error snn-hub raises on purpose."""


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a network: where, what value, what was expected, how to fix."""

    location: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        return f"{text}; {self.fix}" if self.fix else text


class ValidationError(HubError, ValueError):
    """A network (or an argument) is invalid.  Carries *every* diagnostic found."""

    def __init__(self, diagnostics):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        lines = [str(d) for d in self.diagnostics]
        head = f"{len(lines)} problem(s) found:" if len(lines) > 1 else ""
        super().__init__("\n".join([head] + ["  " + ln for ln in lines]) if head else lines[0])


class CapabilityError(HubError):
    """The selected backend does not support a feature the network uses."""

    def __init__(self, backend: str, missing, alternatives=None, reasons=None):
        self.backend = backend
        self.missing = list(missing)
        self.alternatives = dict(alternatives or {})
        self.reasons = dict(reasons or {})
        parts = []
        for item in self.missing:
            alt = self.alternatives.get(item)
            hint = f" (supported by: {', '.join(alt)})" if alt else ""
            why = f": {self.reasons[item]}" if item in self.reasons else ""
            parts.append(f"{item}{why}{hint}")
        super().__init__(f"backend '{backend}' does not support: " + "; ".join(parts))


class PluginError(HubError):
    """A plugin failed to load or clashes with another (names distribution and entry point)."""


class BackendError(HubError):
    """A simulator raised while building or running; the original is chained as __cause__."""


class ResourceError(HubError):
    """The network does not fit the target (chip cores, memory estimate)."""


class Terminated(SystemExit):
    """SIGTERM arrived while a command that cleans up after itself was running (``compare``
    with its temporary folder and its reports): raised from the signal handler so that
    ``finally`` blocks run, then the process exits with status 143 (128 + SIGTERM).  Not a
    :class:`HubError` and never swallowed by the plugin host's guards."""

    def __init__(self, code: int = 143):
        super().__init__(code)

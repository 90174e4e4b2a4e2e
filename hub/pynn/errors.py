"""The errors hub.pynn raises on purpose: every one a :class:`hub.HubError`."""

from __future__ import annotations

from ..errors import HubError


class UnsupportedError(HubError, NotImplementedError):
    """A PyNN class, argument or operation the hub has no counterpart for.  A subclass of
    ``NotImplementedError`` too, which is what PyNN's own backends raise for a model they lack
    (``pyNN.standardmodels.ModelNotAvailable``), so a script that catches that catches this."""


def unsupported(what: str, why: str, instead: str) -> UnsupportedError:
    """``what`` (the PyNN name), why the hub cannot run it and what to use instead."""
    return UnsupportedError(f"{what}: {why}; {instead}")

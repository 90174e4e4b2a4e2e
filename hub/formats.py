"""Model formats: how a MODEL argument or a ``hub.load``/``hub.save`` path becomes a network.

A format is plain data a plugin registers (hook ``hub_register_formats``): a name, the file
suffixes it claims, an optional ``sniff(path) -> bool`` for files whose suffix says nothing,
a ``load(spec, params, kinds) -> LoadedModel`` (``params``: the builder keywords of
``--param``; ``kinds``: the IR kinds the installed plugins register) and optionally a
``save(network, path) -> str``.
``executes_code`` marks formats whose loading runs Python (builder modules): ``hub.load``
refuses them, the command line runs them (as ``python script.py`` would).  The hub's own
``.npz`` files and builder modules are formats registered like a plugin's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .errors import HubError

_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


@dataclass
class LoadedModel:
    """A network read from MODEL, its suggested duration (ms, or None) and where it came
    from."""

    network: Any
    duration: float | None
    source: str


@dataclass(frozen=True)
class ModelFormat:
    """One model format (module docstring).  ``modules``: the format also takes dotted
    Python module names (builder modules); ``distribution`` is filled in by the host."""

    name: str
    suffixes: tuple[str, ...]
    load: Callable[..., LoadedModel]
    save: Callable[..., str] | None = None
    sniff: Callable[[Path], bool] | None = None
    executes_code: bool = False
    modules: bool = False
    description: str = ""
    distribution: str = ""


def choose(spec: str, formats: dict[str, ModelFormat], purpose: str = "MODEL") -> ModelFormat:
    """The format of ``spec``: the one claiming its suffix, else the first whose ``sniff``
    accepts the file, else (no such file, no suffix) the one that takes module names."""
    path = Path(spec)
    suffix = path.suffix.lower()
    by_suffix = [f for f in formats.values() if suffix and suffix in f.suffixes]
    if by_suffix:
        return by_suffix[0]
    if path.is_file():
        for fmt in formats.values():
            try:
                if fmt.sniff is not None and fmt.sniff(path):
                    return fmt
            except Exception:  # a broken sniffer must not hide the real answer
                continue
    elif _MODULE_NAME.fullmatch(spec):
        for fmt in formats.values():
            if fmt.modules:
                return fmt
    known = sorted({s for f in formats.values() for s in f.suffixes})
    raise HubError(
        f"{purpose}: {spec!r} is in no known model format"
        + ("" if path.exists() or not suffix else " (no such file)")
        + f"; give a file ending in {', '.join(known)} or a builder module name "
        "(formats: `snn-hub formats`)"
    )


def for_saving(path, formats: dict[str, ModelFormat]) -> ModelFormat:
    """The format ``hub.save`` writes ``path`` in (by suffix; it must have a writer)."""
    suffix = Path(path).suffix.lower()
    for fmt in formats.values():
        if suffix in fmt.suffixes and fmt.save is not None:
            return fmt
    writable = sorted({s for f in formats.values() if f.save for s in f.suffixes})
    raise HubError(
        f"save: no model format writes {suffix or 'files without a suffix'!r} ({str(path)!r}); "
        f"use one of {', '.join(writable)}"
    )


__all__ = ["LoadedModel", "ModelFormat", "choose", "for_saving"]

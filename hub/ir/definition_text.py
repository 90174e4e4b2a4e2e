"""What a model or rule written as text shares: saving the text, a hash of it, and the node
of a definition that carries it into the network file."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

from ..errors import Diagnostic, ValidationError


def _plain(value):
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return list(value) if isinstance(value, tuple) else value


class TextDefinition:
    """Base of frozen dataclasses whose fields are the text a user wrote (``what`` names the
    kind of definition in messages)."""

    what = "definition"

    def to_dict(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, d: Mapping):
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        extra = set(d) - known
        if extra:
            raise ValidationError(
                Diagnostic(
                    "definition",
                    f"unknown field(s) {sorted(extra)} in a {cls.what}",
                    f"use the fields {sorted(known)}",
                )
            )
        return cls(**{k: d[k] for k in d})

    @property
    def digest(self) -> str:
        """A hash of the text (12 hex digits): equal definitions share compiled code."""
        import hashlib  # (3 ms to import: only when a definition is used)

        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def node_from_dict(base: type, definition_class: type, d: Mapping, arrays, extra_kinds):
    """The node (a ``CustomNeuron`` or ``CustomRule``) saved as ``d``: its definition's class,
    rebuilt from the saved text, made through the usual ``Declared.from_dict``."""
    if "definition" not in d:
        raise ValidationError(
            Diagnostic(
                f"{base.kind}.definition",
                f"a {base.kind} was saved without its definition",
                "the file is damaged: write it again with hub.save",
            )
        )
    definition = definition_class.from_dict(d["definition"])
    cls = definition.model_class()
    rest = {k: v for k, v in d.items() if k != "definition"}
    return super(base, cls).from_dict.__func__(cls, rest, arrays, extra_kinds)

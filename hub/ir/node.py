"""The base of IR objects that are saved with a kind tag (connectors, synapses, sources,
neuron models, learning rules) and the kind tables that rebuild them.

A node's ``to_dict(arrays)`` is its fields plus ``"kind"``; ``from_dict`` rebuilds it through
the class's constructor, so a loaded object is made exactly as a user-built one.  The kind
tables hold the built-in classes; a kind from elsewhere (a plugin's ``hub_register_kinds``)
reaches the IR only as an explicit ``extra_kinds`` mapping (kind name -> class), which the
layer above fills.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import ClassVar

from ..errors import Diagnostic, PluginError, ValidationError
from .serialize import ArrayTable, decode_value, encode_value

#: kind -> class of every built-in node (filled by :func:`register` as the modules load)
BUILTIN_KINDS: dict[str, type] = {}


class Node:
    """An IR object with a kind tag.  Subclasses are dataclasses (``eq=False``: equality is
    this class's, by content) or override :meth:`to_dict` / :meth:`from_dict`."""

    kind: ClassVar[str]
    __hash__ = None  # mutable data

    def to_dict(self, arrays: ArrayTable | None = None) -> dict:
        """The fields as JSON data plus ``"kind"``; arrays go to ``arrays`` if given."""
        return {
            "kind": self.kind,
            **{f.name: encode(getattr(self, f.name), arrays) for f in dataclasses.fields(self)},
        }

    @classmethod
    def from_dict(cls, d: Mapping, arrays=None, extra_kinds: Mapping[str, type] | None = None):
        """Rebuild from :meth:`to_dict` through the constructor.  A field the constructor
        does not take (``init=False``) must hold its default."""
        by_name = {f.name: f for f in dataclasses.fields(cls)}
        kwargs = {}
        for key, raw in d.items():
            if key == "kind":
                continue
            f = by_name.get(key)
            if f is None:
                raise ValidationError(
                    Diagnostic(
                        f"{cls.kind}.{key}",
                        f"{cls.kind} has no field {key!r} (value {raw!r})",
                        f"use the fields {sorted(by_name)}",
                    )
                )
            value = decode_field(f, raw, arrays, extra_kinds, f"{cls.kind}.{key}")
            if f.init:
                kwargs[key] = value
            elif value != f.default:
                raise ValidationError(
                    Diagnostic(
                        f"{cls.kind}.{key}",
                        f"{value!r} cannot be set on {cls.kind}",
                        f"leave it at {f.default!r}",
                    )
                )
        return cls(**kwargs)

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()


def encode(value, arrays: ArrayTable | None):
    return value.to_dict(arrays) if isinstance(value, Node) else encode_value(value, arrays)


def decode_field(f: dataclasses.Field, raw, arrays, extra_kinds, where: str):
    """A field's value from its saved form; a field with ``metadata={"node": base}`` holds a
    node of class ``base``, rebuilt by kind."""
    base = f.metadata.get("node")
    if base is not None and isinstance(raw, Mapping) and "kind" in raw:
        return build(raw, base, arrays, extra_kinds, where)
    return decode_value(raw, arrays)


def register(*classes: type) -> dict[str, type]:
    """Enter built-in node classes in :data:`BUILTIN_KINDS`; return them by kind."""
    table = {c.kind: c for c in classes}
    BUILTIN_KINDS.update(table)
    return table


def kinds_of(classes: Iterable[type]) -> dict[str, type]:
    """kind -> class for node classes from outside the IR (e.g. everything the plugins'
    ``hub_register_kinds`` hooks returned, flattened): the ``extra_kinds`` argument.  A
    class without a string ``kind``, a kind that shadows a built-in one, or two classes with
    one kind is a :class:`~hub.errors.PluginError`."""
    table: dict[str, type] = {}
    for cls in classes:
        kind = getattr(cls, "kind", None) if isinstance(cls, type) else None
        if not isinstance(kind, str) or not issubclass(cls, Node):
            raise PluginError(
                f"registered kind {cls!r} is not an IR node class with a string "
                "'kind'; subclass hub.NeuronModel, hub.Rule, hub.Connector or "
                "hub.Source and set kind = 'vendor.Name'"
            )
        if BUILTIN_KINDS.get(kind, cls) is not cls:
            raise PluginError(
                f"registered kind {kind!r} ({cls.__module__}.{cls.__qualname__}) "
                f"shadows a built-in kind; namespace it, e.g. 'vendor.{kind}'"
            )
        if table.get(kind, cls) is not cls:
            other = table[kind]
            raise PluginError(
                f"kind {kind!r} is registered twice: by "
                f"{other.__module__}.{other.__qualname__} and "
                f"{cls.__module__}.{cls.__qualname__}; uninstall one"
            )
        table[kind] = cls
    return table


def kind_class(
    kind: str,
    base: type | tuple[type, ...],
    extra_kinds: Mapping[str, type] | None = None,
    where: str = "kind",
) -> type:
    """The class of ``kind``: a built-in one or one of ``extra_kinds``, a subclass of
    ``base``.  Otherwise a :class:`~hub.errors.ValidationError` naming the kind, the known
    kinds and the fix."""
    cls = BUILTIN_KINDS.get(kind)
    if cls is None and extra_kinds is not None:
        cls = extra_kinds.get(kind)  # looked up only for kinds hub does not have
    what = " or ".join(b.__name__ for b in (base if isinstance(base, tuple) else (base,)))
    if isinstance(cls, type) and issubclass(cls, base):
        return cls
    known = sorted(
        k
        for k, c in {**(extra_kinds or {}), **BUILTIN_KINDS}.items()
        if isinstance(c, type) and issubclass(c, base)
    )
    if cls is not None:
        raise ValidationError(
            Diagnostic(
                where, f"kind {kind!r} is {cls!r}, not a {what}", f"use one of {', '.join(known)}"
            )
        )
    raise ValidationError(
        Diagnostic(
            where,
            f"unknown {what} kind {kind!r}; known kinds: {', '.join(known)}",
            f"install the plugin that provides {kind!r} and pass its kinds "
            f"(extra_kinds={{{kind!r}: <class>}}, filled from the hub_register_kinds hook)",
        )
    )


def build(
    d: Mapping,
    base: type | tuple[type, ...],
    arrays=None,
    extra_kinds: Mapping[str, type] | None = None,
    where: str = "kind",
):
    """The node written as ``d`` (a :meth:`Node.to_dict`), of class ``base``."""
    if not isinstance(d, Mapping) or not isinstance(d.get("kind"), str):
        raise ValidationError(
            Diagnostic(
                where, f"{d!r} has no kind tag", "the file is damaged: write it again with hub.save"
            )
        )
    return kind_class(d["kind"], base, extra_kinds, where).from_dict(d, arrays, extra_kinds)

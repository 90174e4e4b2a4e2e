"""Plugin manager factory and the tolerant entry-point loader.

Built-in backends and third-party ones load the same way: entry points in group
``snn_hub``.  A plugin that fails to import (an exception, or ``sys.exit``), whose
registration hook raises or returns the wrong type, is a :class:`PluginLoadWarning` naming
its distribution (a :class:`PluginError` with ``strict=True``); the manager remembers it
(:attr:`HubPluginManager.failures`), so asking for a backend it would have registered says
why it is missing.  A backend whose ``capabilities()`` raises is a :class:`PluginError`
naming the backend and its distribution.  ``SNN_HUB_DISABLE_PLUGIN_AUTOLOAD=1``
turns discovery off; ``SNN_HUB_PLUGINS=mod1,mod2`` then names modules to load explicitly.
``SNN_HUB_TRACE=1`` traces hook calls to stderr.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import sys
import warnings
from collections.abc import Mapping
from importlib import metadata

import pluggy

from . import hookspecs
from .backend import Backend, BackendSpec, Capabilities
from .errors import Diagnostic, HubError, PluginError, Terminated
from .formats import ModelFormat
from .ir.node import Node, kinds_of

GROUP = "snn_hub"


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded; the hub goes on without it."""


#: what a plugin may raise that the host still lets through: the user's Ctrl-C and the
#: hub's own SIGTERM exception (everything else, ``SystemExit`` included, is the plugin's fault)
_NOT_THE_PLUGINS = (KeyboardInterrupt, Terminated)


@dataclasses.dataclass(frozen=True)
class PluginFailure:
    """A plugin the host went on without: its plugin name, distribution and entry point
    name (for a backend plugin, by convention the backend's name), what failed and why."""

    plugin: str
    distribution: str
    entry_point: str
    stage: str  # "import", "hook check" (pluggy refused its hooks) or the hook that failed
    reason: str

    @property
    def where(self) -> str:
        """``"to load"`` (at import, or its hooks failed pluggy's check) or ``"in HOOK"``."""
        return "to load" if self.stage in ("import", "hook check") else f"in {self.stage}"

    def __str__(self) -> str:
        return (
            f"snn-hub plugin {self.plugin!r} from distribution {self.distribution!r} "
            f"failed {self.where}: {self.reason}"
        )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"SystemExit: it called sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {exc}"


class HubPluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers which distribution each plugin came from and owns the
    registries built from the registration hooks.

    Each registration hook is called once per manager (datasette's ``_register_renderers``
    pattern); registering or unregistering a plugin drops the registries, so they are rebuilt
    on next use.  Everything else (``hub.run``, the CLI, the kit) reads them from here.
    """

    def __init__(self):
        super().__init__(hookspecs.PROJECT)
        self.distributions: dict[str, str] = {}
        #: plugin name -> entry point name, for plugins found by discovery
        self.entry_points: dict[str, str] = {}
        #: every plugin the host went on without, in the order it found them
        self.failures: list[PluginFailure] = []
        self._backends: dict[str, BackendSpec] | None = None
        self._families: dict[str, BackendSpec] = {}
        self._kinds: dict[str, type] | None = None
        self._formats: dict[str, ModelFormat] | None = None
        self._translations: dict[str, dict] = {}

    def register(self, plugin, name=None):
        registered = super().register(plugin, name)
        self._forget()
        return registered

    def unregister(self, plugin=None, name=None):
        removed = super().unregister(plugin, name)
        self._forget()
        return removed

    def _forget(self) -> None:
        self._backends, self._kinds, self._translations = None, None, {}
        self._formats = None
        self.failures = [f for f in self.failures if f.stage in ("import", "hook check")]

    def fail(self, plugin: str, stage: str, reason: str, strict: bool = False, cause=None):
        """Remember that ``plugin`` failed at ``stage`` and warn (``strict``: raise a
        :class:`PluginError`) with its distribution and the reason."""
        dist = self.distributions.get(plugin, plugin)
        failure = PluginFailure(plugin, dist, self.entry_points.get(plugin, plugin), stage, reason)
        if strict:
            raise PluginError(str(failure)) from cause
        if failure not in self.failures:
            self.failures.append(failure)
        warnings.warn(str(failure), PluginLoadWarning, stacklevel=3)

    # --- registries -------------------------------------------------------------------------
    def backend_specs(self) -> dict[str, BackendSpec]:
        """Every registered backend by name, tagged with its distribution and version
        (backend families, ``prefix:*``, are in :meth:`backend_families`)."""
        if self._backends is None:
            self._backends, self._families = _collect_backends(self)
        return dict(self._backends)

    def backend_families(self) -> dict[str, BackendSpec]:
        """Registered backend families by pattern (``"pynn:*"``): a spec whose name ends in
        ``:*`` serves every name ``prefix:<argument>``; :meth:`get_backend` calls its
        ``backend_class`` with the full name."""
        self.backend_specs()
        return dict(self._families)

    def formats(self) -> dict[str, ModelFormat]:
        """Model formats registered by plugins and the hub (``hub_register_formats``), by
        name, each tagged with its distribution."""
        if self._formats is None:
            self._formats = _collect_formats(self)
        return dict(self._formats)

    def kinds(self) -> dict[str, type]:
        """IR kinds registered by plugins (``hub_register_kinds``): ``{kind name: class}``."""
        if self._kinds is None:
            self._kinds = _collect_kinds(self)
        return dict(self._kinds)

    def translations(self, backend_name: str) -> dict:
        """Translation entries other plugins register for ``backend_name``
        (``hub_register_translations``), merged in registration order."""
        if backend_name not in self._translations:
            merged: dict = {}
            hook = "hub_register_translations"
            for impl, entries in _call_each(self, hook, backend_name=backend_name):
                if entries is not None and not isinstance(entries, Mapping):
                    self.fail(
                        impl.plugin_name,
                        hook,
                        f"returned {_shown(entries)} for {backend_name!r}, not a dict "
                        "{kind label: translation}",
                    )
                    continue
                merged.update(entries or {})
            self._translations[backend_name] = merged
        return dict(self._translations[backend_name])

    def validate_network(self, network, backend_name: str) -> list[Diagnostic]:
        """Every plugin's extra diagnostics for ``network`` on ``backend_name``
        (``hub_validate_network``, in pluggy's call order).  A validator that raises (or
        calls ``sys.exit``) or returns anything but a list of :class:`Diagnostic` is a
        :class:`PluginLoadWarning` naming its plugin and distribution; what it returned is
        left out and the others still judge the network."""
        hook = "hub_validate_network"
        found: list[Diagnostic] = []
        kwargs = {"network": network, "backend_name": backend_name}
        for impl, ds in _call_each(self, hook, pluggy_order=True, **kwargs):
            found += _items(self, impl, hook, ds, Diagnostic, "hub.Diagnostic objects")
        return found

    def get_backend(self, name: str) -> Backend:
        """A new backend object for ``name``, handed its translation extras.  A name
        ``prefix:<argument>`` that no backend registers is served by the family
        ``prefix:*`` if one is registered: ``family.backend_class(name)``."""
        specs = self.backend_specs()
        spec = specs.get(name) or _family_of(name, self._families)
        if spec is None:
            raise self._unknown(name, specs)
        try:
            backend = spec.backend_class() if name in specs else spec.backend_class(name)
        except HubError:
            raise
        except BaseException as exc:
            if isinstance(exc, _NOT_THE_PLUGINS):
                raise
            raise PluginError(
                f"backend {name!r}: plugin {spec.distribution!r} failed to make its backend "
                f"object: {_describe(exc)}; fix or uninstall {spec.distribution!r}"
            ) from exc
        _guard_capabilities(backend, name, spec.distribution)
        backend.translations = self.translations(name)
        return backend

    def _unknown(self, name: str, specs: dict) -> HubError:
        """The error for a backend name nobody registers: the plugin that would have
        registered it and why it failed, else the installed names (and the failures)."""
        for failure in self.failures:
            if failure.entry_point == name:
                hook = "" if failure.where == "to load" else f" ({failure.where})"
                return PluginError(
                    f"backend {name!r}: plugin {failure.distribution!r} failed to load: "
                    f"{failure.reason}{hook}; fix or uninstall {failure.distribution!r} "
                    "(see `snn-hub plugins`)"
                )
        names = sorted(specs) + [p[:-1] + "<argument>" for p in sorted(self._families)]
        failed = sorted({f.distribution for f in self.failures})
        return HubError(
            f"backend: unknown backend {name!r}; must be one of "
            f"{', '.join(names) or '(none installed)'} (see `snn-hub backends`)"
            + (f"; plugins that failed to load: {', '.join(failed)}" if failed else "")
        )


def make_plugin_manager(
    autoload: bool | None = None, strict: bool = False, plugins=()
) -> HubPluginManager:
    """A new plugin manager with the hub's hookspecs, core hooks and discovered plugins."""
    pm = HubPluginManager()
    pm.add_hookspecs(hookspecs)
    from . import core_hooks

    pm.register(core_hooks, name="hub.core")
    if autoload is None:
        autoload = os.environ.get("SNN_HUB_DISABLE_PLUGIN_AUTOLOAD", "") not in ("1", "true")
    pm.distributions["hub.core"] = "snn-hub"
    if autoload:
        for ep in metadata.entry_points(group=GROUP):
            dist = ep.dist.name if ep.dist else "?"
            name = f"{dist}:{ep.name}"
            pm.entry_points[name] = ep.name
            _register(pm, lambda ep=ep: ep.load(), name, dist, strict)
    for mod in [*plugins, *filter(None, os.environ.get("SNN_HUB_PLUGINS", "").split(","))]:
        if isinstance(mod, str):
            _register(pm, lambda m=mod: importlib.import_module(m), mod, mod, strict)
        elif pm.get_name(mod) is None:
            name = pm.register(mod)
            if name is not None:
                pm.distributions[name] = getattr(mod, "__name__", "?")
    _check_pending(pm, strict)
    if os.environ.get("SNN_HUB_TRACE"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    return pm


def _register(pm, load, name, dist, strict):
    if pm.has_plugin(name):
        return
    try:
        plugin = load()
        if pm.is_registered(plugin):
            return
        pm.register(plugin, name=name)
        pm.distributions[name] = dist
    except BaseException as exc:  # any import-time failure of foreign code, sys.exit too
        if isinstance(exc, _NOT_THE_PLUGINS):
            raise
        pm.distributions.setdefault(name, dist)
        pm.fail(name, "import", _describe(exc), strict, exc)


def _check_pending(pm, strict):
    """A misspelt hook fails loudly, naming the plugin and its distribution; without
    ``strict`` the broken plugin is unregistered with a warning and the rest go on."""
    while True:
        try:
            pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = pm.get_name(exc.plugin) or "?"
            pm.fail(name, "hook check", str(exc), strict, exc)
            pm.unregister(exc.plugin)


_DEFAULT: HubPluginManager | None = None


def plugin_manager() -> HubPluginManager:
    """The process-wide default manager, made on first use (never at import time)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = make_plugin_manager()
    return _DEFAULT


def current_plugin_manager() -> HubPluginManager | None:
    """The process-wide default manager if one was made, else None (never makes one)."""
    return _DEFAULT


def reset_plugin_manager(pm: HubPluginManager | None = None) -> None:
    """Replace (or forget) the default manager; for tests and long-lived programs."""
    global _DEFAULT
    _DEFAULT = pm


def backend_specs(pm: HubPluginManager | None = None) -> dict[str, BackendSpec]:
    """Every registered backend by name (of ``pm``, default: the process-wide manager)."""
    return (pm or plugin_manager()).backend_specs()


def get_backend(name: str, pm: HubPluginManager | None = None) -> Backend:
    """A new backend object for ``name`` (of ``pm``, default: the process-wide manager)."""
    return (pm or plugin_manager()).get_backend(name)


def _call_each(pm, hook: str, pluggy_order: bool = False, **kwargs):
    """Call every implementation of a hook on its own (in registration order, or in the
    order pluggy calls them), so one broken plugin is a warning naming it and its
    distribution (and a :class:`PluginFailure`), not the end of the others; yield
    ``(impl, result)``.  ``sys.exit`` in a hook is such a failure too."""
    impls = getattr(pm.hook, hook).get_hookimpls()
    for impl in reversed(impls) if pluggy_order else impls:
        try:
            args = {k: v for k, v in kwargs.items() if k in impl.argnames}
            result = impl.function(**args)
        except BaseException as exc:
            if isinstance(exc, _NOT_THE_PLUGINS):
                raise
            pm.fail(impl.plugin_name, hook, _describe(exc), cause=exc)
            continue
        yield impl, result


def _items(pm, impl, hook: str, result, cls: type, what: str) -> list:
    """The items of a registration hook's ``result`` (a list or tuple of ``cls``; None is
    none); anything else is a failure of the plugin naming what it returned, and only the
    items of the right type are kept."""
    if result is None:
        return []
    if not isinstance(result, (list, tuple)):
        pm.fail(
            impl.plugin_name,
            hook,
            f"returned {_shown(result)}, not a list; return a list of {what}",
        )
        return []
    good = [item for item in result if isinstance(item, cls)]
    for item in result:
        if not isinstance(item, cls):
            pm.fail(impl.plugin_name, hook, f"returned {_shown(item)} in its list, not {what}")
    return good


def _shown(value) -> str:
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{type(value).__name__} {text}"


def _guard_capabilities(backend, name: str, dist: str) -> None:
    """Replace ``backend.capabilities`` by a call that turns anything the plugin raises
    (``sys.exit`` too) or a result that is not a :class:`Capabilities` into a
    :class:`PluginError` naming the backend and its distribution; a HubError the backend
    raises on purpose goes through unchanged."""
    declared = backend.capabilities

    def capabilities() -> Capabilities:
        try:
            caps = declared()
        except HubError:
            raise
        except BaseException as exc:
            if isinstance(exc, _NOT_THE_PLUGINS):
                raise
            raise PluginError(
                f"backend {name!r} (distribution {dist!r}): capabilities() failed: "
                f"{_describe(exc)}; the backend cannot be used until {dist!r} is fixed "
                "or uninstalled"
            ) from exc
        if not isinstance(caps, Capabilities):
            raise PluginError(
                f"backend {name!r} (distribution {dist!r}): capabilities() returned "
                f"{_shown(caps)}, not a hub.Capabilities; fix or uninstall {dist!r}"
            )
        return caps

    capabilities.__doc__ = declared.__doc__
    backend.capabilities = capabilities  # type: ignore[method-assign]


def _family_of(name: str, families: dict[str, BackendSpec]) -> BackendSpec | None:
    """The family spec serving ``name`` (``prefix:argument`` with a non-empty argument)."""
    prefix, sep, argument = name.partition(":")
    return families.get(f"{prefix}:*") if sep and argument else None


def _collect_backends(pm) -> tuple[dict[str, BackendSpec], dict[str, BackendSpec]]:
    """(backends by name, families by pattern ``prefix:*``) of every plugin."""
    found: dict[str, BackendSpec] = {}
    hook = "hub_register_backends"
    for impl, specs in _call_each(pm, hook):
        dist = pm.distributions.get(impl.plugin_name, impl.plugin_name)
        for spec in _items(pm, impl, hook, specs, BackendSpec, "hub.BackendSpec objects"):
            if not isinstance(spec.name, str) or not spec.name or not callable(spec.backend_class):
                pm.fail(
                    impl.plugin_name,
                    hook,
                    f"returned {_shown(spec)}: a BackendSpec needs a name (a non-empty "
                    "string) and a backend_class that makes the backend object",
                )
                continue
            version = spec.version or _dist_version(dist)
            spec = BackendSpec(
                spec.name,
                spec.backend_class,
                spec.description,
                spec.url,
                spec.distribution or dist,
                version,
            )
            if spec.name in found and found[spec.name].distribution != spec.distribution:
                raise PluginError(
                    f"backend name {spec.name!r} is registered by two "
                    f"distributions: {found[spec.name].distribution!r} and "
                    f"{spec.distribution!r}; uninstall one of them"
                )
            found[spec.name] = spec
    families = {name: spec for name, spec in found.items() if name.endswith(":*")}
    return {n: s for n, s in found.items() if n not in families}, families


def _collect_formats(pm) -> dict[str, ModelFormat]:
    """Every plugin's model formats by name; a name or a suffix claimed by two
    distributions is a PluginError naming both."""
    found: dict[str, ModelFormat] = {}
    owner: dict[str, ModelFormat] = {}  # suffix -> format
    hook = "hub_register_formats"
    for impl, formats in _call_each(pm, hook):
        dist = pm.distributions.get(impl.plugin_name, impl.plugin_name)
        for fmt in _items(pm, impl, hook, formats, ModelFormat, "hub.formats.ModelFormat objects"):
            fmt = dataclasses.replace(fmt, distribution=fmt.distribution or dist)
            clash = found.get(fmt.name) or next(
                (owner[s] for s in fmt.suffixes if s in owner), None
            )
            if clash is not None and clash.distribution != fmt.distribution:
                raise PluginError(
                    f"model format {fmt.name!r} ({', '.join(fmt.suffixes)}) of distribution "
                    f"{fmt.distribution!r} clashes with {clash.name!r} of "
                    f"{clash.distribution!r}; uninstall one of them"
                )
            found[fmt.name] = fmt
            owner.update({s: fmt for s in fmt.suffixes})
    return found


def _collect_kinds(pm) -> dict[str, type]:
    """Plugin IR kinds by their ``kind`` name (``hub.ir.node.kinds_of`` rules: an IR node
    class, no shadowing of a built-in kind, one class per kind); each must also be
    namespaced (``vendor.Name``) so a later built-in can never collide with it."""
    classes = []
    hook = "hub_register_kinds"
    for impl, found in _call_each(pm, hook):
        dist = pm.distributions.get(impl.plugin_name, impl.plugin_name)
        for cls in _items(pm, impl, hook, found, type, "classes"):
            if not issubclass(cls, Node):
                pm.fail(
                    impl.plugin_name,
                    hook,
                    f"returned {_shown(cls)}, not an IR node class (subclass "
                    "hub.NeuronModel, hub.Rule, hub.Connector or hub.Source)",
                )
                continue
            kind = getattr(cls, "kind", None)
            if not isinstance(kind, str) or "." not in kind:
                raise PluginError(
                    f"plugin {impl.plugin_name!r} (distribution {dist!r}) "
                    f"registers kind {kind!r} of {cls!r}: a plugin kind needs a "
                    "namespaced class attribute kind = 'vendor.Name'"
                )
            classes.append(cls)
    return kinds_of(classes)


def _dist_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""

"""Plugin manager factory and the tolerant entry-point loader.

Built-in backends and third-party ones load the same way: entry points in group
``snn_hub``.  A plugin that fails to import is a :class:`PluginLoadWarning` naming its
distribution (a :class:`PluginError` with ``strict=True``).  ``SNN_HUB_DISABLE_PLUGIN_AUTOLOAD=1``
turns discovery off; ``SNN_HUB_PLUGINS=mod1,mod2`` then names modules to load explicitly.
``SNN_HUB_TRACE=1`` traces hook calls to stderr.
"""
from __future__ import annotations

import importlib
import os
import sys
import warnings
from importlib import metadata

import pluggy

from . import hookspecs
from .backend import Backend, BackendSpec
from .errors import HubError, PluginError

GROUP = "snn_hub"


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded; the hub goes on without it."""


class HubPluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers which distribution each plugin came from."""

    def __init__(self):
        super().__init__(hookspecs.PROJECT)
        self.distributions: dict[str, str] = {}


def make_plugin_manager(autoload: bool | None = None, strict: bool = False,
                        plugins=()) -> HubPluginManager:
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
            _register(pm, lambda ep=ep: ep.load(), f"{dist}:{ep.name}", dist, ep.value, strict)
    for mod in [*plugins, *filter(None, os.environ.get("SNN_HUB_PLUGINS", "").split(","))]:
        if isinstance(mod, str):
            _register(pm, lambda m=mod: importlib.import_module(m), mod, mod, mod, strict)
        elif pm.get_name(mod) is None:
            pm.register(mod)
            pm.distributions[pm.get_name(mod)] = getattr(mod, "__name__", "?")
    _check_pending(pm, strict)
    if os.environ.get("SNN_HUB_TRACE"):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    return pm


def _register(pm, load, name, dist, target, strict):
    if pm.has_plugin(name):
        return
    try:
        plugin = load()
        if pm.is_registered(plugin):
            return
        pm.register(plugin, name=name)
        pm.distributions[name] = dist
    except Exception as exc:  # any import-time failure of foreign code
        msg = (f"snn-hub plugin {target!r} from distribution {dist!r} failed to load: "
               f"{type(exc).__name__}: {exc}")
        if strict:
            raise PluginError(msg) from exc
        warnings.warn(msg, PluginLoadWarning, stacklevel=3)


def _check_pending(pm, strict):
    """A misspelt hook fails loudly, naming the plugin and its distribution; without
    ``strict`` the broken plugin is unregistered with a warning and the rest go on."""
    while True:
        try:
            pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = pm.get_name(exc.plugin) or "?"
            dist = pm.distributions.get(name, name)
            msg = (f"snn-hub plugin {name!r} from distribution {dist!r} failed to load: "
                   f"{exc}")
            if strict:
                raise PluginError(msg) from exc
            warnings.warn(msg, PluginLoadWarning, stacklevel=3)
            pm.unregister(exc.plugin)
            pm.distributions.pop(name, None)


_DEFAULT: pluggy.PluginManager | None = None


def plugin_manager() -> pluggy.PluginManager:
    """The process-wide default manager, made on first use (never at import time)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = make_plugin_manager()
    return _DEFAULT


def reset_plugin_manager(pm: pluggy.PluginManager | None = None) -> None:
    """Replace (or forget) the default manager; for tests and long-lived programs."""
    global _DEFAULT
    _DEFAULT = pm


def backend_specs(pm: pluggy.PluginManager | None = None) -> dict[str, BackendSpec]:
    """Every registered backend by name, each tagged with its distribution and version."""
    pm = pm or plugin_manager()
    found: dict[str, BackendSpec] = {}
    for impl in pm.hook.hub_register_backends.get_hookimpls():
        dist = pm.distributions.get(impl.plugin_name, impl.plugin_name)
        try:
            specs = impl.function() or []
        except Exception as exc:
            warnings.warn(f"snn-hub plugin {impl.plugin_name!r} (distribution {dist!r}) failed "
                          f"in hub_register_backends: {exc}", PluginLoadWarning, stacklevel=2)
            continue
        for spec in specs:
            version = spec.version or _dist_version(dist)
            spec = BackendSpec(spec.name, spec.backend_class, spec.description, spec.url,
                               spec.distribution or dist, version)
            if spec.name in found and found[spec.name].distribution != spec.distribution:
                raise PluginError(f"backend name {spec.name!r} is registered by two "
                                  f"distributions: {found[spec.name].distribution!r} and "
                                  f"{spec.distribution!r}; uninstall one of them")
            found[spec.name] = spec
    return found


def get_backend(name: str, pm: pluggy.PluginManager | None = None) -> Backend:
    specs = backend_specs(pm)
    if name not in specs:
        raise HubError(f"backend: unknown backend {name!r}; must be one of "
                       f"{', '.join(sorted(specs)) or '(none installed)'}"
                       " (see `snn-hub backends`)")
    return specs[name].backend_class()


def _dist_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""

"""The user-facing entry point: ``hub.run(network, backend=..., duration=...)``."""

from __future__ import annotations

from .backend import RunRequest, convert_options, required_features
from .errors import CapabilityError, Diagnostic, HubError, ValidationError
from .formats import LoadedModel, choose, for_saving
from . import mpi
from .memory import check_run
from .plugins import plugin_manager
from .progress import check as check_progress
from .progress import for_run as progress_for_run
from .features import CONNECT_NATIVE
from .resolve import ResolvedNetwork, fresh_seed, materialize_native, resolve


def check_capabilities(backend, resolved: ResolvedNetwork, pm=None) -> None:
    """Raise :class:`CapabilityError` listing every feature ``backend`` (a name or a
    :class:`hub.Backend`) lacks and which installed backends have it."""
    pm = pm or plugin_manager()
    if isinstance(backend, str):
        backend = pm.get_backend(backend)
    need = required_features(resolved)
    caps = backend.capabilities()
    have = caps.features
    missing = [f for f in need if f not in have]
    if not missing:
        return
    others: dict[str, list[str]] = {}
    for name in pm.backend_specs():
        if name == backend.name:
            continue
        try:
            feats = pm.get_backend(name).capabilities().features
        except Exception:  # a broken third-party backend must not hide the real error
            continue
        for f in missing:
            if f in feats:
                others.setdefault(f, []).append(name)
    reasons = {f: caps.refusals[f] for f in missing if f in caps.refusals}
    raise CapabilityError(backend.name, missing, others, reasons)


def formats() -> dict:
    """Every installed model format by name (:class:`hub.formats.ModelFormat`)."""
    return plugin_manager().formats()


def load(path, extra_kinds=None):
    """Read the network in the data file ``path``, in any installed model format (the hub's
    ``.npz``, a plugin's); kinds registered by the installed plugins
    (``hub_register_kinds``) are found as well as the built-in ones.  Never executes code:
    a builder module is refused (run it with ``snn-hub run`` or :func:`load_model`)."""
    pm = plugin_manager()
    fmt = choose(str(path), pm.formats(), "load")
    if fmt.executes_code:
        raise HubError(
            f"load: {str(path)!r} is a {fmt.name} ({fmt.description}); hub.load reads data "
            "files only; run it with `snn-hub run` or hub.api.load_model"
        )
    kinds = pm.kinds() if extra_kinds is None else extra_kinds
    return _loaded(fmt, str(path), {}, kinds).network


def save(network, path) -> str:
    """Write ``network`` to ``path`` in the installed format its suffix names (``.npz``: the
    hub's own); return the path written."""
    writer = for_saving(path, plugin_manager().formats()).save
    assert writer is not None  # for_saving only returns formats with a writer
    return writer(network, path)


def load_model(spec: str, params: dict | None = None) -> LoadedModel:
    """MODEL as the command line reads it: a data file in any installed format, or a builder
    module (a ``.py`` path or a dotted module name), which runs as code with ``params``."""
    pm = plugin_manager()
    return _loaded(choose(str(spec), pm.formats()), str(spec), dict(params or {}), pm.kinds())


def _loaded(fmt, spec: str, params: dict, kinds) -> LoadedModel:
    """``fmt.load`` with its failures as HubErrors naming the file and the format."""
    from .ir import Network

    try:
        loaded = fmt.load(spec, params, kinds)
    except HubError:
        raise
    except Exception as exc:
        raise HubError(
            f"MODEL: cannot read {spec!r} as {fmt.name} ({fmt.description}): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if isinstance(loaded, Network):  # a loader may return the network alone
        loaded = LoadedModel(loaded, None, spec)
    if not isinstance(loaded, LoadedModel) or not isinstance(loaded.network, Network):
        raise HubError(
            f"MODEL: the {fmt.name} format (distribution {fmt.distribution!r}) returned "
            f"{type(loaded).__name__} for {spec!r}, not a hub.Network"
        )
    return loaded


def model(name: str, extra_kinds=None, **values):
    """A neuron model by its hub, PyNN or NEST name (``hub.model("IF_cond_exp")``), the
    installed plugins' kinds included."""
    from .ir.neurons import model as make_model

    kinds = plugin_manager().kinds() if extra_kinds is None else extra_kinds
    return make_model(name, kinds, **values)


def run(
    network,
    backend: str = "nest",
    duration: float = 1000.0,
    progress=None,
    memory_check: bool = True,
    **options,
):
    """Validate, resolve and simulate ``network`` for ``duration`` ms on ``backend``.

    Every problem with the input is raised as a :class:`HubError` before any simulator is
    touched, and a network whose estimated peak memory exceeds the available memory as a
    :class:`~hub.errors.ResourceError` before anything is drawn (``memory_check=False``
    runs it anyway; :mod:`hub.memory`).  ``options`` go to the backend (e.g. ``threads=2``
    for NEST).

    ``progress``: ``True`` shows a progress bar while the network is simulated (tqdm: on
    stderr in a terminal, a widget in Jupyter); a callable is called as
    ``progress(fraction)`` with increasing fractions in [0, 1], the last one 1.0 when the
    run has finished; ``None`` or ``False`` (the default) show nothing.
    """
    check_progress(progress)
    pm, implementation, options = prepare(network, backend, options)
    if mpi.size() > 1 and not implementation.distributed:
        # inside an MPI job a single-process backend runs on rank 0 alone
        return mpi.on_root(
            lambda: _run(
                network, pm, backend, implementation, options, duration, progress, memory_check
            )
        )
    return _run(network, pm, backend, implementation, options, duration, progress, memory_check)


def _run(network, pm, backend, implementation, options, duration, progress, memory_check):
    if progress and not mpi.is_root():
        # one bar per job, on rank 0; the other ranks get a silent callable, so the backend
        # splits the run into the same calls on every rank (NEST's Run is collective)
        progress = _silent
    given = isinstance(network, ResolvedNetwork)
    share = None if given else implementation.share(network, **options)
    if memory_check and not given and share is None:
        check_run(network, backend, duration)
    seed = None
    if share is not None and network.seed is None:  # every rank draws from one fresh seed
        seed = mpi.bcast(fresh_seed())
    resolved = network if given else resolve(network, duration, seed=seed, share=share)
    if implementation.distributed and mpi.size() > 1 and resolved.share is None:
        raise HubError(
            f"backend {backend!r} runs distributed over {mpi.size()} MPI processes: give it "
            "the network, not a resolved network, so each process draws only its share"
        )
    return run_resolved(pm, backend, implementation, resolved, options, progress)


def _silent(fraction: float) -> None:
    """A progress callback that shows nothing."""


def prepare(network, backend: str, options: dict):
    """The checks every run makes before anything is drawn: the backend exists, its options
    are valid (converted once), the plugins' validators accept the network.  Returns
    ``(plugin manager, backend object, converted options)``."""
    if not isinstance(backend, str):
        raise HubError(f"backend: {backend!r} is not a backend name; use e.g. 'nest'")
    pm = plugin_manager()
    implementation = pm.get_backend(backend)  # unknown names fail before any work
    options = convert_options(backend, implementation.capabilities().options, options)
    extra = pm.validate_network(network, backend)
    if extra:
        raise ValidationError(extra)
    return pm, implementation, options


def run_resolved(
    pm, backend: str, implementation, resolved: ResolvedNetwork, options: dict, progress=None
):
    """Run an already resolved network on ``implementation`` (the backend object of the
    backend named ``backend``) through the run hooks.  ``progress`` as in :func:`run`."""
    check_capabilities(implementation, resolved, pm)
    if CONNECT_NATIVE not in implementation.capabilities().features:
        resolved = materialize_native(resolved)  # no rule of its own: the hub's draw
    report = progress_for_run(progress, backend)
    try:
        request = RunRequest(resolved, backend, options, report, implementation)
        results = pm.hook.hub_run_wrapper(request=request)
        if report is not None:
            report(1.0)  # a backend that reports coarsely (or never) still ends at 100 %
    finally:
        if report is not None:
            report.close()
    return results


__all__ = [
    "run",
    "resolve",
    "check_capabilities",
    "load",
    "save",
    "load_model",
    "formats",
    "model",
    "Diagnostic",
]

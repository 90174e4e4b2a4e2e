"""The hub's own hook implementations, registered like any plugin.

``hub_run_wrapper`` (trylast) performs the run and times its three parts (``build_s``:
``backend.build``, ``run_s``: ``session.run``, ``collect_s``: ``session.results()``, which
gathers the recorded spikes and signals from the simulator); a wrapper around it adds
provenance, the way a third-party plugin would add caching.
"""

from __future__ import annotations

import platform
import time

from .backend import RunRequest
from .builders import BUILDER
from .errors import BackendError, HubError
from .formats import LoadedModel, ModelFormat
from .hookspecs import hookimpl
from .ir import io
from .results import check_finite
from .version import __version__


def _load_npz(spec, params=None, kinds=None) -> LoadedModel:
    """A network file written by ``hub.save``: data only, never code."""
    if params:
        raise HubError(f"--param: {spec!r} is a saved network, not a builder module; drop --param")
    net = io.load(spec, kinds)
    duration = net.metadata.get("duration") if isinstance(net.metadata, dict) else None
    return LoadedModel(net, duration, str(spec))


def _is_zip(path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"PK\x03\x04"


#: the hub's own network files (``hub.save``)
NPZ = ModelFormat(
    "hub",
    (".npz",),
    _load_npz,
    io.save,
    sniff=_is_zip,
    description="an snn-hub network file written by hub.save (data)",
)


@hookimpl
def hub_register_formats():
    """The hub's own formats, registered like a plugin's: network files and builder modules."""
    return [NPZ, BUILDER]


@hookimpl(trylast=True)
def hub_run_wrapper(request: RunRequest):
    backend = request.implementation
    if backend is None:
        raise HubError(
            "hub_run_wrapper: the RunRequest carries no backend object; make runs "
            "with hub.run, which sets RunRequest.implementation"
        )
    t0 = time.perf_counter()
    try:
        session = backend.build(request.resolved, **request.options)
    except HubError:
        raise
    except Exception as exc:
        raise BackendError(
            f"backend {request.backend!r} failed while building the network: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    t1 = time.perf_counter()
    try:
        session.run(progress=request.progress)
        t2 = time.perf_counter()
        results = session.results()
        t3 = time.perf_counter()
    except HubError:
        raise
    except Exception as exc:
        raise BackendError(
            f"backend {request.backend!r} failed while running: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        session.close()
    check_finite(results, request.backend)  # NaN or inf state: a BackendError, not output
    results.timings.update(build_s=t1 - t0, run_s=t2 - t1, collect_s=t3 - t2)
    results.provenance.setdefault("versions", {}).update(backend.versions())
    return results


@hookimpl(wrapper=True, specname="hub_run_wrapper")
def hub_run_provenance(request: RunRequest):
    """Stamp every result with what produced it."""
    results = yield
    r = request.resolved
    results.provenance.update(
        backend=request.backend,
        seed=r.seed,
        dt=r.dt,
        duration=r.duration,
        steps=r.steps,
        label=r.label,
        python=platform.python_version(),
        machine=platform.machine(),
    )
    results.provenance.setdefault("versions", {})["snn-hub"] = __version__
    results.provenance["options"] = {k: str(v) for k, v in request.options.items()}
    return results

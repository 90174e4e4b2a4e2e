"""The hub's own hook implementations, registered like any plugin.

``hub_run_wrapper`` (trylast) performs the run; a wrapper around it adds timings and
provenance, the way a third-party plugin would add caching.
"""

from __future__ import annotations

import platform
import time

from .backend import RunRequest
from .errors import BackendError, HubError
from .hookspecs import hookimpl
from .version import __version__


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
    except HubError:
        raise
    except Exception as exc:
        raise BackendError(
            f"backend {request.backend!r} failed while running: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        session.close()
    results.timings.update(build_s=t1 - t0, run_s=t2 - t1)
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

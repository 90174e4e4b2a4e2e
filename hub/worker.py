"""One backend run in its own process, for :func:`hub.compare`.

    python -m hub.worker REQUEST.json

The request names a resolved network file (:mod:`hub.resolved_io`), the backend, its
options and where to write.  The worker writes the results (``Results.save``) and a status
file (JSON) with its own measurements, then exits 0; an exception in the backend is
written to the status file with exit code 1.  A worker that dies without a status file
(a crash, a kill, a timeout) is reported by the parent from its exit code and output.

Status file fields: ``status`` ("ok" or "error"), ``error`` (one line: the first line of a
:class:`hub.HubError`'s message, or ``Type: message`` of any other exception) and
``traceback``; ``timings`` (``import_s``: loading the plugins and the simulator, ``load_s``:
reading the network, ``build_s``, ``run_s``, ``save_s``, and any other timings the backend
reports), ``peak_rss_mb`` (``getrusage(RUSAGE_SELF).ru_maxrss`` of this process), ``versions``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

T_START = time.perf_counter()

from .rss import peak_rss_mb  # noqa: E402 - after the clock starts


class _ProgressFile:
    """``progress(fraction)`` that writes the fraction to a file at most every 0.2 s."""

    def __init__(self, path):
        self.path, self.last = path, 0.0

    def __call__(self, fraction):
        now = time.monotonic()
        if self.path and (now - self.last >= 0.2 or fraction >= 1.0):
            self.last = now
            try:
                with open(self.path, "w") as f:
                    f.write(f"{float(fraction):.4f}")
            except (OSError, TypeError, ValueError):
                pass


def die_with_parent(parent_pid) -> None:
    """On Linux, ask the kernel to SIGKILL this process when its parent dies (the worker runs
    in its own session, so a parent killed by SIGTERM or SIGKILL would leave it running)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if parent_pid is not None and os.getppid() != parent_pid:  # it died before prctl
        os._exit(1)


def error_fields(exc: BaseException) -> dict:
    """``error`` (one line: a HubError's first line, else ``Type: message``) and
    ``traceback`` of the exception being handled."""
    from hub.errors import HubError

    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    message = (
        first
        if isinstance(exc, HubError) and first
        else f"{type(exc).__name__}: {first}".rstrip(": ")
    )
    return {"error": message, "traceback": traceback.format_exc()}


def _write_status(path, status: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(status, f, default=str)
    os.replace(tmp, path)


def read_request(argv=None) -> dict:
    """The request file named by the first argument; from here on this process dies with
    the parent that wrote it."""
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0]) as f:
        req = json.load(f)
    die_with_parent(req.get("parent_pid"))
    return req


def serve(work, argv=None, **status) -> int:
    """The life of a worker process: read the request, run ``work(req, status)`` (it fills
    ``status``, a dict starting from ``status``), report ``ok`` or the error of whatever it
    raised (exit 0 or 1), with the peak RSS, where the request says."""
    req = read_request(argv)
    status = {"status": "error", **status}
    try:
        work(req, status)
        status["status"] = "ok"
        code = 0
    except BaseException as exc:  # everything the backend raises is reported, then exit 1
        status.update(status="error", **error_fields(exc))
        code = 1
    return finish(req, status, code)


def _run(req: dict, status: dict) -> None:
    """One ``hub.run`` of the request's resolved network; results saved where it says."""
    timings = status["timings"]
    t0 = time.perf_counter()
    from hub.api import run
    from hub.plugins import get_backend
    from hub.resolved_io import load_resolved

    backend = get_backend(req["backend"])
    try:
        status["versions"] = backend.versions()  # imports the simulator, outside build_s
    except Exception as exc:  # versions are provenance, not a reason to fail
        status["versions"] = {"error": f"{type(exc).__name__}: {exc}"}
    t1 = time.perf_counter()
    timings["import_s"] = t1 - t0 + (t0 - T_START)
    from hub.plugins import plugin_manager

    resolved = load_resolved(req["resolved"], plugin_manager().kinds())
    t2 = time.perf_counter()
    timings["load_s"] = t2 - t1
    results = run(
        resolved,
        backend=req["backend"],
        progress=_ProgressFile(req.get("progress")),
        **req.get("options", {}),
    )
    t3 = time.perf_counter()
    results.save(req["results"])
    timings["save_s"] = time.perf_counter() - t3
    timings.update({k: float(v) for k, v in results.timings.items()})
    status["versions"] = results.provenance.get("versions", status["versions"])


def main(argv=None) -> int:
    return serve(_run, argv, timings={}, versions={})


def finish(req: dict, status: dict, code: int) -> int:
    """Add this process's peak RSS to ``status``, write it where the request says, and
    return the exit code."""
    status["peak_rss_mb"] = peak_rss_mb()
    _write_status(req["status"], status)
    return code


if __name__ == "__main__":
    sys.exit(main())

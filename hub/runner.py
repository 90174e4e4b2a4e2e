"""Worker processes: one simulator run per fresh Python process, watched from the parent.

The parent writes a request file and starts ``python -m MODULE REQUEST.json`` (by default
:mod:`hub.worker`) in its own session, relays its progress file, kills its process group on
timeout or interrupt, and turns a crash into a named status.  Used by :func:`hub.compare`
and :func:`hub.bench.bench`.  :func:`sigterm_raises` turns SIGTERM into an exception for as
long as a caller has something to clean up.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

from . import mpi
from .errors import HubError, Terminated


@contextlib.contextmanager
def sigterm_raises():
    """Within the block, SIGTERM raises :class:`hub.errors.Terminated` (a ``SystemExit``
    with status 143) in the main thread, so ``finally`` blocks run: a worker is killed
    (:func:`wait_worker`), a temporary folder removed, a half-written file deleted.  Further
    SIGTERMs are ignored while that cleanup runs; the previous handler is restored on exit.
    Does nothing outside the main thread or when SIGTERM already has a handler of its own
    (an outer block, or the embedding program's)."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def handler(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one cleanup, not a second one inside it
        raise Terminated()

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def backend_list(backends) -> list[str]:
    if isinstance(backends, str):
        backends = [b.strip() for b in backends.split(",")]
    backends = [b for b in backends if b]
    if not backends:
        raise HubError("backends: give at least one backend name, e.g. ['nest', 'brian2']")
    dup = sorted({b for b in backends if backends.count(b) > 1})
    if dup:
        raise HubError(
            f"backends: {dup} given twice; name each backend once (use repeat= for several runs)"
        )
    return list(backends)


def positive_int(name, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise HubError(f"{name}: {value!r} must be an integer >= 1")
    return int(value)


def timeout_for(timeout, name):
    value = timeout.get(name) if isinstance(timeout, dict) else timeout
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise HubError(f"timeout: {value!r} for {name!r} must be a number of seconds > 0")
    return float(value)


def spawn_worker(
    name, net_file, opts, timeout, stem, progress, module="hub.worker", request=None
) -> dict:
    """Run one worker (``python -m module REQUEST``); return its status dict (parent-side
    status for crash and timeout).  ``request`` adds fields to the request file."""
    paths = {
        "resolved": net_file,
        "backend": name,
        "options": opts,
        "parent_pid": os.getpid(),
        "results": stem + ".results.npz",
        "status": stem + ".status.json",
        "progress": stem + ".progress",
        **(request or {}),
    }
    with open(stem + ".request.json", "w") as f:
        json.dump(paths, f, default=str)
    log_path = stem + ".log"
    # the worker imports the same hub as this process, installed or not
    env = mpi.without_launcher(dict(os.environ))  # started from rank 0: a job of its own
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(
        [root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
    )
    t0 = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, stem + ".request.json"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
        timed_out = wait_worker(proc, timeout, name, paths["progress"], progress)
    wall = time.perf_counter() - t0
    status = read_json(paths["status"])
    if timed_out:
        return {
            "status": "timeout",
            "error": f"no result after {timeout:g} s; the process was killed",
            "exit_code": proc.returncode,
            "detail": log_tail(log_path),
            "timings": {"wall_s": wall},
        }
    if status is None:
        return {
            "status": "crashed",
            "error": death_message(proc.returncode, log_path),
            "exit_code": proc.returncode,
            "detail": log_tail(log_path),
            "timings": {"wall_s": wall},
        }
    status["exit_code"] = proc.returncode
    status.setdefault("timings", {})["wall_s"] = wall
    if status.get("status") == "ok":
        status["results"] = paths["results"]
    else:
        status["detail"] = status.pop("traceback", "") or log_tail(log_path)
    return status


def wait_worker(proc, timeout, name, progress_path, progress) -> bool:
    """Wait for ``proc``; on timeout kill its process group (it is the group leader: the
    worker's own children, e.g. a compiler, go with it).  Return True on timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    last = None
    try:
        while True:
            try:
                proc.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                pass
            if progress is not None:
                fraction = read_fraction(progress_path)
                # increasing only: a file read while the worker rewrites it may say "0."
                if fraction is not None and (last is None or fraction > last):
                    last = fraction
                    progress(name, fraction)
            if deadline is not None and time.monotonic() > deadline:
                kill_worker(proc)
                return True
    except BaseException:  # Ctrl-C or an error in the progress callback: no orphan worker
        kill_worker(proc)
        raise
    if progress is not None and proc.returncode == 0 and last != 1.0:
        progress(name, 1.0)
    return False


def kill_worker(proc) -> None:
    """SIGKILL the worker's process group (its own session, so Ctrl-C never reaches it)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
    proc.wait()


def read_fraction(path):
    try:
        with open(path) as f:
            return float(f.read().strip())
    except (OSError, ValueError):
        return None


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def log_tail(path, lines: int = 20, limit: int = 4000) -> str:
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])[-limit:]


def death_message(code, log_path) -> str:
    if code is not None and code < 0:
        try:
            how = f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            how = f"killed by signal {-code}"
    else:
        how = f"exited with code {code} without a result"
    last = [ln for ln in log_tail(log_path, 5).splitlines() if ln.strip()]
    return how + (f" (last output: {last[-1].strip()[:200]})" if last else "")


def timing_spread(timings: list[dict]) -> dict[str, dict]:
    """``{key: {"median", "min", "max", "n"}}`` over the repeats, for every timing key that
    every repeat reported."""
    keys = [k for k in timings[0] if all(k in t for t in timings)] if timings else []
    return {
        k: {
            "median": float(statistics.median(t[k] for t in timings)),
            "min": float(min(t[k] for t in timings)),
            "max": float(max(t[k] for t in timings)),
            "n": len(timings),
        }
        for k in keys
    }

"""Peak resident memory of this process, as the benchmarks, hub.compare and the NEST backend
report it."""

from __future__ import annotations

import resource
import sys


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB.

    On Linux ``VmHWM`` of /proc/self/status: ``getrusage().ru_maxrss`` survives ``execve``,
    so a worker spawned by a parent holding 600 MiB reported 600 MiB however small it was
    (measured).  Elsewhere ``ru_maxrss`` (KiB on Linux, bytes on macOS)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024.0 * 1024.0) if sys.platform == "darwin" else rss / 1024.0

"""Side-by-side performance runs, by their short public path.

>>> from hub.bench import bench
>>> rep = bench("cuba", backends=["nest", "brian2", "chip"], repeat=3)  # doctest: +SKIP

Defined in :mod:`hub.benchmarks.bench`, beside the benchmark networks, the hand-written
native scripts and the suite that ``make bench`` runs.
"""

from .benchmarks.bench import (
    RATIO_KEYS,
    TARGETS,
    BenchReport,
    Measurement,
    bench,
    machine,
    resolve_measured,
    resolved_nbytes,
)

__all__ = [
    "bench",
    "BenchReport",
    "Measurement",
    "machine",
    "resolve_measured",
    "resolved_nbytes",
    "RATIO_KEYS",
    "TARGETS",
]

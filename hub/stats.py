"""Spike statistics and agreement metrics between two runs of one network."""
from __future__ import annotations

import numpy as np

from .results import SpikeTrains


def match_spikes(a: SpikeTrains, b: SpikeTrains, tolerance_ms: float) -> dict:
    """Pair spikes of the same neuron in order of time, each spike used once, when their
    times differ by at most ``tolerance_ms``.

    Returns ``matched`` (pairs / max(len a, len b)), ``max_dt_ms`` and ``mean_dt_ms`` over the
    pairs, and the counts.  1.0 and 0.0 for identical trains.
    """
    pairs, dts = 0, []
    for ta, tb in zip(a.per_neuron(), b.per_neuron()):
        i = j = 0
        while i < len(ta) and j < len(tb):
            d = tb[j] - ta[i]
            if abs(d) <= tolerance_ms + 1e-9:
                pairs += 1
                dts.append(abs(d))
                i += 1
                j += 1
            elif d > 0:
                i += 1
            else:
                j += 1
    n = max(len(a), len(b))
    return {"matched": pairs / n if n else 1.0, "pairs": pairs, "n_a": len(a), "n_b": len(b),
            "max_dt_ms": float(max(dts)) if dts else 0.0,
            "mean_dt_ms": float(np.mean(dts)) if dts else 0.0}


def cv_isi(trains: SpikeTrains) -> float:
    """Mean coefficient of variation of the inter-spike intervals over neurons with >= 3
    spikes (nan when none has)."""
    cvs = [np.std(np.diff(t)) / np.mean(np.diff(t)) for t in trains.per_neuron() if len(t) >= 3]
    return float(np.mean(cvs)) if cvs else float("nan")

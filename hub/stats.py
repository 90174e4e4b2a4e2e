"""Spike statistics of one run and agreement metrics between two runs of one network.

Times are in ms, rates in Hz.  Spikes are :class:`hub.SpikeTrains` (integer stamps on the dt
grid), so equal runs give exactly the values stated for identical trains.
"""

from __future__ import annotations

import numpy as np

from .results import Results, SpikeTrains
from .textfmt import json_number


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
    return {
        "matched": pairs / n if n else 1.0,
        "pairs": pairs,
        "n_a": len(a),
        "n_b": len(b),
        "max_dt_ms": float(max(dts)) if dts else 0.0,
        "mean_dt_ms": float(np.mean(dts)) if dts else 0.0,
    }


def cv_isi(trains: SpikeTrains) -> float:
    """Mean coefficient of variation of the inter-spike intervals over neurons with >= 3
    spikes (nan when none has)."""
    cvs = [np.std(np.diff(t)) / np.mean(np.diff(t)) for t in trains.per_neuron() if len(t) >= 3]
    return float(np.mean(cvs)) if cvs else float("nan")


# --- per-run statistics -----------------------------------------------------------------------
def neuron_rates(trains: SpikeTrains, duration_ms: float) -> np.ndarray:
    """Firing rate of every neuron in Hz: ``r_i = n_i / T`` with ``T`` in seconds."""
    return trains.counts() / (duration_ms * 1e-3)


def isi(trains: SpikeTrains) -> np.ndarray:
    """Every inter-spike interval (ms) of every neuron, concatenated:
    ``t_{i,k+1} - t_{i,k}`` for consecutive spikes of neuron ``i``."""
    order = np.lexsort((trains.stamps, trains.indices))
    idx, st = trains.indices[order], trains.stamps[order]
    same = idx[1:] == idx[:-1]
    return (np.diff(st)[same] * trains.dt).astype(float)


def binned_counts(trains: SpikeTrains, duration_ms: float, bin_ms: float) -> np.ndarray:
    """Population spike counts in bins of ``B = round(bin_ms/dt)`` steps: the spike with
    stamp ``s`` (fired in step ``((s-1) dt, s dt]``) falls in bin ``floor((s-1)/B)``;
    ``ceil(steps/B)`` bins cover the run."""
    per = max(1, int(round(bin_ms / trains.dt)))
    steps = max(1, int(round(duration_ms / trains.dt)))
    n_bins = -(-steps // per)
    k = np.clip((trains.stamps - 1) // per, 0, n_bins - 1)
    return np.bincount(k, minlength=n_bins)


def fano_factor(counts: np.ndarray) -> float:
    """``F = Var[N] / E[N]`` of counts ``N`` (population variance); 1 for a Poisson process,
    >> 1 for synchronous bursts, nan when no spike was counted."""
    counts = np.asarray(counts, float)
    mean = counts.mean() if counts.size else 0.0
    return float(counts.var() / mean) if mean > 0 else float("nan")


def synchrony(trains: SpikeTrains, duration_ms: float, bin_ms: float = 5.0) -> float:
    """Fano factor of the binned population count (:func:`binned_counts`,
    :func:`fano_factor`): the population's synchrony."""
    return fano_factor(binned_counts(trains, duration_ms, bin_ms))


# --- agreement between two runs ---------------------------------------------------------------
def correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson ``r = cov(x, y) / (sd(x) sd(y))``; 1 for equal sequences (even constant ones),
    nan when exactly one is constant or they differ in length."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.size == 0:
        return float("nan")
    if np.array_equal(x, y):
        return 1.0
    sx, sy = x.std(), y.std()
    if sx == 0 or sy == 0:
        return float("nan")
    return float(np.mean((x - x.mean()) * (y - y.mean())) / (sx * sy))


def rate_correlation(
    a: SpikeTrains, b: SpikeTrains, duration_ms: float, bin_ms: float = 5.0
) -> float:
    """Correlation (:func:`correlation`) of the two binned population counts."""
    return correlation(binned_counts(a, duration_ms, bin_ms), binned_counts(b, duration_ms, bin_ms))


def van_rossum(a: SpikeTrains, b: SpikeTrains, tau_ms: float) -> np.ndarray:
    """Van Rossum (2001) distance of every neuron's two trains (same neuron, two runs).

    Each train is filtered with a causal exponential, ``f(t) = sum_k H(t - t_k)
    exp(-(t - t_k)/tau)``, and ``D^2 = (2/tau) int (f_a - f_b)^2 dt``.  With the signed train
    ``c = +1`` for the spikes of ``a`` and ``-1`` for those of ``b`` (at equal times the
    coefficients add, so identical trains give exactly 0) the integral is a double sum:

        D^2 = sum_{k,l} c_k c_l exp(-|t_k - t_l| / tau)
            = sum_k c_k^2 + 2 sum_k c_k m_k,   m_k = sum_{l<k} c_l exp(-(t_k - t_l)/tau)

    and ``m_k = exp(-(t_k - t_{k-1})/tau) (m_{k-1} + c_{k-1})`` in time order (Houghton &
    Kreuz 2012).  The recursion runs over the k-th event of all neurons at once, so the
    Python loop is as long as the busiest neuron's train.  One spike against none gives 1;
    two single spikes ``dt`` apart give ``sqrt(2 (1 - exp(-|dt|/tau)))``.
    """
    if a.size != b.size:
        raise ValueError(f"van_rossum: {a.size} neurons against {b.size}")
    neuron = np.concatenate([a.indices, b.indices])
    time = np.concatenate([a.stamps * a.dt, b.stamps * b.dt])
    coef = np.concatenate([np.ones(len(a)), -np.ones(len(b))])
    if len(neuron):  # merge events of one neuron at one time: +1 and -1 cancel
        (neuron, time), inverse = _unique_rows(neuron, time)
        coef = np.bincount(inverse, weights=coef, minlength=len(neuron))
        keep = coef != 0
        neuron, time, coef = neuron[keep], time[keep], coef[keep]
    total = np.zeros(a.size)
    np.add.at(total, neuron, coef**2)
    rank = _rank_within(neuron)
    prev_t, prev_m, prev_c = np.zeros(a.size), np.zeros(a.size), np.zeros(a.size)
    order = np.argsort(rank, kind="stable")
    cuts = np.searchsorted(rank[order], np.arange(1, rank.max() + 1 if len(rank) else 1))
    for k, ev in enumerate(np.split(order, cuts)):
        n, t, c = neuron[ev], time[ev], coef[ev]
        m = (
            np.zeros(len(ev))
            if k == 0
            else np.exp(-(t - prev_t[n]) / tau_ms) * (prev_m[n] + prev_c[n])
        )
        total[n] += 2.0 * c * m
        prev_t[n], prev_m[n], prev_c[n] = t, m, c
    return np.sqrt(np.maximum(total, 0.0))


def _unique_rows(neuron: np.ndarray, time: np.ndarray):
    """Unique (neuron, time) pairs sorted by neuron then time, and the inverse index."""
    order = np.lexsort((time, neuron))
    n, t = neuron[order], time[order]
    new = np.ones(len(n), bool)
    new[1:] = (n[1:] != n[:-1]) | (t[1:] != t[:-1])
    group = np.cumsum(new) - 1
    inverse = np.empty(len(n), np.int64)
    inverse[order] = group
    return (n[new], t[new]), inverse


def _rank_within(neuron: np.ndarray) -> np.ndarray:
    """For events sorted by neuron: 0, 1, 2, ... within each neuron's run."""
    if not len(neuron):
        return np.zeros(0, np.int64)
    start = np.ones(len(neuron), bool)
    start[1:] = neuron[1:] != neuron[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(len(neuron)), 0))
    return np.arange(len(neuron)) - first


def van_rossum_normalized(a: SpikeTrains, b: SpikeTrains, tau_ms: float) -> float:
    """Population summary of :func:`van_rossum`: ``sum_i D_i^2 / (n_a + n_b)``.  0 for
    identical runs; about 1 when no spike of one run has a partner within ``tau`` in the
    other (for sparse trains ``D_i^2`` then counts every spike once); 0 when both are empty."""
    n = len(a) + len(b)
    return float(np.sum(van_rossum(a, b, tau_ms) ** 2) / n) if n else 0.0


def first_difference(a: SpikeTrains, b: SpikeTrains) -> float | None:
    """Time (ms) of the earliest spike that is not in both runs: both trains are sorted by
    (stamp, index), and the first position ``k`` where they differ gives
    ``min(t_a[k], t_b[k])`` (or the next spike of the longer train when one is a prefix of the
    other).  None for identical trains.  In a recurrent network this is where the runs
    diverge."""
    n = min(len(a), len(b))
    differ = np.nonzero((a.stamps[:n] != b.stamps[:n]) | (a.indices[:n] != b.indices[:n]))[0]
    if len(differ):
        k = differ[0]
        return float(min(a.stamps[k] * a.dt, b.stamps[k] * b.dt))
    if len(a) == len(b):
        return None
    longer = a if len(a) > len(b) else b
    return float(longer.stamps[n] * longer.dt)


# --------------------------------------------------------------------------------------------
# whole runs: identical spikes, final weights
# --------------------------------------------------------------------------------------------
def identical_groups(model: str, spikes: dict) -> dict:
    """Group backends by identical spike trains: ``spikes`` is ``{backend: {population:
    SpikeTrains}}``; returns ``{"model", "identical", "groups", "text"}`` with the largest
    group first and a one-line account of how each other group differs from it."""
    ran = sorted(spikes)
    if len(ran) < 2:
        return {
            "model": model,
            "identical": None,
            "groups": [ran],
            "text": f"ran on {ran[0] if ran else 'no backend'} only; nothing to compare",
        }
    groups: list[list[str]] = []
    for name in ran:
        for group in groups:
            if same_spikes(spikes[group[0]], spikes[name]):
                group.append(name)
                break
        else:
            groups.append([name])
    groups.sort(key=lambda g: (-len(g), g))
    if len(groups) == 1:
        return {
            "model": model,
            "identical": True,
            "groups": groups,
            "text": f"identical spike trains on {', '.join(ran)}",
        }
    ref = groups[0]
    parts = [
        f"identical spike trains on {', '.join(ref)}" if len(ref) > 1 else "no two backends agree"
    ]
    for group in groups[1:]:
        diffs = []
        a_all, b_all = spikes[ref[0]], spikes[group[0]]
        for label in sorted(set(a_all) | set(b_all)):
            a, b = a_all.get(label), b_all.get(label)
            if a is not None and b is not None and a == b:
                continue
            na, nb = (len(a) if a is not None else 0), (len(b) if b is not None else 0)
            if na == nb:
                diffs.append(f"{label}: same {na} spikes at other times")
            else:
                change = f" ({(nb - na) / na * 100:+.1f} %)" if na else ""
                diffs.append(f"{label}: {nb} vs {na} spikes{change}")
        parts.append(
            f"{', '.join(group)} differ{'s' if len(group) == 1 else ''} from "
            f"{ref[0]}: " + "; ".join(diffs)
        )
    return {
        "model": model,
        "identical": False,
        "groups": groups,
        "text": "; ".join(p for p in parts if p),
    }


def same_spikes(a: dict, b: dict) -> bool:
    return set(a) == set(b) and all(a[k] == b[k] for k in a)


def weights_of(results: Results) -> dict[str, np.ndarray]:
    """Final weights per plastic projection (``Results.synapse_state[(projection, "weight")]``,
    one value per synapse in the resolved connection order)."""
    state = getattr(results, "synapse_state", None) or {}
    return {
        label: np.asarray(v, float)
        for (label, var), v in state.items()
        if var == "weight" and np.size(v)
    }


def weight_summary(results: Results) -> dict:
    """n, mean, std, min and max of the final weights of each plastic projection (JSON-safe)."""
    return {
        k: {
            "n": int(w.size),
            "mean": json_number(float(np.mean(w))),
            "std": json_number(float(np.std(w))),
            "min": json_number(float(np.min(w))),
            "max": json_number(float(np.max(w))),
        }
        for k, w in weights_of(results).items()
    }


def weight_agreement(a: Results, b: Results) -> dict:
    """Largest absolute and relative (to the largest |w| of ``a``) difference of the final
    weights, over the plastic projections both runs report."""
    wa, wb = weights_of(a), weights_of(b)
    common = [k for k in wa if k in wb and wa[k].shape == wb[k].shape]
    if not common:
        return {}
    diff = max(float(np.max(np.abs(wa[k] - wb[k]), initial=0.0)) for k in common)
    scale = max(float(np.max(np.abs(wa[k]), initial=0.0)) for k in common)
    return {
        "max_abs_diff": diff,
        "max_rel_diff": diff / scale if scale else 0.0,
        "projections": len(common),
    }

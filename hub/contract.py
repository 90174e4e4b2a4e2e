"""The agreement contract between two runs of one network: what the backends' declared
tolerances promise for the pair, the metrics of one population's two runs, and the verdict.

Tiers (:class:`hub.Tolerance`): a pair whose weakest tier is <= 2 promises identical spike
trains, tier 3 a fraction ``matched`` of spikes within ``spike_ms``, tier 4 statistics:
population rate within ``STAT_RATE_REL`` (relative) and CV of ISI within ``STAT_CV_ABS``.
"""

from __future__ import annotations

import math

import numpy as np

from . import stats
from .backend import Tolerance
from .resolve import ResolvedNetwork


#: the statistical contract (tier 4, docs/chip.md): population rate within 5 %, CV within 0.1
STAT_RATE_REL = 0.05

STAT_CV_ABS = 0.1


def expectation(resolved: ResolvedNetwork, cap_a, cap_b) -> tuple[str, object, object]:
    """What the contract promises for a pair: ('identical' | 'close' | 'statistical', and the
    weakest declared Tolerance of each backend over the network's neuron models)."""

    def weakest(caps):
        tols = [
            caps.tolerances.get(p.model.capability_key, Tolerance(4))
            for p in resolved.populations.values()
        ]
        return max(tols, key=lambda t: (t.tier, t.spike_ms, -t.matched)) if tols else Tolerance(1)

    ta, tb = weakest(cap_a), weakest(cap_b)
    tier = max(ta.tier, tb.tier)
    return ("identical" if tier <= 2 else "close" if tier == 3 else "statistical"), ta, tb


def compare_trains(
    a, b, duration_ms: float, tolerance_ms: float, tau_ms: float, bin_ms: float
) -> dict:
    """Every agreement metric for one population's two runs."""
    m = stats.match_spikes(a, b, tolerance_ms)
    ra, rb = a.rate(duration_ms), b.rate(duration_ms)
    cva, cvb = stats.cv_isi(a), stats.cv_isi(b)
    return {
        "identical": a == b,
        "first_diff_ms": stats.first_difference(a, b),
        "spikes_a": len(a),
        "spikes_b": len(b),
        "matched": m["matched"],
        "max_dt_ms": m["max_dt_ms"],
        "mean_dt_ms": m["mean_dt_ms"],
        "pairs": m["pairs"],
        "rate_a_hz": ra,
        "rate_b_hz": rb,
        "rate_diff_hz": rb - ra,
        "rate_rel_diff": _rel(ra, rb),
        "cv_a": cva,
        "cv_b": cvb,
        "cv_diff": cvb - cva,
        "van_rossum": float(np.mean(stats.van_rossum(a, b, tau_ms))) if a.size else 0.0,
        "van_rossum_norm": stats.van_rossum_normalized(a, b, tau_ms),
        "rate_corr": stats.rate_correlation(a, b, duration_ms, bin_ms),
    }


def pair_totals(pops: list[dict]) -> dict:
    """Pooled over populations: matched fraction of all spikes, spike-weighted van Rossum
    (normalised), the worst rate and CV differences, the mean rate correlation."""
    if not pops:
        return {}
    n = sum(max(p["spikes_a"], p["spikes_b"]) for p in pops)
    both = sum(p["spikes_a"] + p["spikes_b"] for p in pops)
    diffs = [p["first_diff_ms"] for p in pops if p["first_diff_ms"] is not None]
    return {
        "spikes_a": sum(p["spikes_a"] for p in pops),
        "spikes_b": sum(p["spikes_b"] for p in pops),
        "first_diff_ms": min(diffs) if diffs else None,
        "matched": sum(p["pairs"] for p in pops) / n if n else 1.0,
        "max_dt_ms": max(p["max_dt_ms"] for p in pops),
        "max_rate_rel_diff": _nanmax([abs(p["rate_rel_diff"]) for p in pops]),
        "max_cv_diff": _nanmax([abs(p["cv_diff"]) for p in pops]),
        "van_rossum_norm": sum(p["van_rossum_norm"] * (p["spikes_a"] + p["spikes_b"]) for p in pops)
        / both
        if both
        else 0.0,
        "rate_corr": _nanmean([p["rate_corr"] for p in pops]),
    }


def verdict(expect, identical, pops, totals, matched_min, tol) -> tuple[bool, str]:
    """The contract verdict for the pair and its reason; for 'identical' and 'close' pairs
    that miss, the reason also says whether the statistics still agree."""
    if not pops:
        return True, "no common recorded population"
    stat_ok, stat_reason = statistical_check(pops)
    if identical:
        return True, "identical spike trains" + (
            ", as promised" if expect == "identical" else " (more than promised)"
        )
    if expect == "identical":
        bad = [p["label"] for p in pops if not p["identical"]]
        return False, (
            f"spike trains differ in {', '.join(bad)} (identical promised); "
            f"statistics: {stat_reason}"
        )
    if expect == "close":
        ok = totals["matched"] >= matched_min
        return ok, (
            f"{totals['matched']:.3f} of spikes matched within {tol:g} ms "
            f"({'>=' if ok else '<'} {matched_min:g} promised)"
            + ("" if ok else f"; statistics: {stat_reason}")
        )
    return stat_ok, stat_reason


def statistical_check(pops: list[dict]) -> tuple[bool, str]:
    """The statistical contract (tier 4): every population's rate within ``STAT_RATE_REL``
    (relative) and mean CV of ISI within ``STAT_CV_ABS`` (absolute)."""
    bad = []
    for p in pops:
        if p["spikes_a"] == 0 and p["spikes_b"] == 0:
            continue
        if not abs(p["rate_rel_diff"]) <= STAT_RATE_REL:
            bad.append(f"{p['label']} rate {p['rate_rel_diff'] * 100:+.1f} %")
        if np.isfinite(p["cv_diff"]) and abs(p["cv_diff"]) > STAT_CV_ABS:
            bad.append(f"{p['label']} CV {p['cv_diff']:+.3f}")
    if bad:
        return False, (
            f"outside rates within {STAT_RATE_REL * 100:g} % and CV within "
            f"{STAT_CV_ABS:g}: " + "; ".join(bad)
        )
    return True, (
        f"rates within {STAT_RATE_REL * 100:g} % and CV within {STAT_CV_ABS:g} "
        "(statistical contract)"
    )


def _rel(a: float, b: float) -> float:
    """(b - a) / a; 0 when both are 0, inf when only a is."""
    if a == 0:
        return 0.0 if b == 0 else math.inf
    return (b - a) / a


def _nanmax(values):
    values = [v for v in values if v is not None and not np.isnan(v)]
    return max(values) if values else float("nan")


def _nanmean(values):
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")

"""What each tier of :class:`hub.Tolerance` holds a backend to.  The kit fixes the bounds;
a backend only chooses its tier (and, for tiers 3 and 4, declares figures the kit caps).

=====  =========================================================================================
tier   what the kit checks against the reference (reference engine, closed form or ODE solution)
=====  =========================================================================================
1      identical spike trains; every recorded state variable within ``STATE_ABS[1]`` = 1e-9
       (state units: mV, nA, uS): the round-off between two independent float computations of
       the same update (NEST and Brian2 measure <= 1e-12 mV against the reference engine)
2      identical spike trains; state within ``STATE_ABS[2]`` = 1e-3
3      on feedforward networks a fraction ``matched`` of spikes paired (same neuron, each spike
       once) within ``spike_ms``; on recurrent networks the statistical contract below.
       Declared figures must satisfy ``matched >= 0.9`` and ``spike_ms <= 1.0``
4      the statistical contract: population rate within ``STAT_RATE_REL`` (5 %) and mean CV of
       ISI within ``STAT_CV_ABS`` (0.1) of the reference, on every network; on feedforward
       networks also ``matched`` within ``spike_ms``, with ``matched >= 0.5`` and
       ``spike_ms <= 1.0``
=====  =========================================================================================

Plastic synapses (key ``plasticity:<rule label>``): a float backend declares nothing and is
held to ``PLASTICITY_RTOL`` relative.  A quantized backend declares its weight format,
``Tolerance(4, weight_bits=b, lsb_per_update=n)``; the kit derives the weight resolution
``lsb = w_max / 2^(b-1)`` (a mantissa of ``b`` bits whose exponent is chosen so that
``w_max`` uses the top bit) and holds the weights to ``lsb (0.5 + n k)`` after ``k`` updates,
with ``b >= 7`` and ``n <= 1`` (:data:`PLASTICITY_LIMITS`).  A smaller per-synapse resolution
reported by the backend tightens the bound; a larger one is ignored.
"""

from __future__ import annotations

import numpy as np

from ..backend import Tolerance
from ..contract import STAT_CV_ABS, STAT_RATE_REL
from ..plugins import get_backend
from ..stats import cv_isi, match_spikes
from .expectations import expect, expect_close, expect_same_spikes, fail

#: state bound of the identical tiers against the reference (state units; mV for V)
STATE_ABS = {1: 1e-9, 2: 1e-3}
#: (smallest matched, largest spike_ms) a tier-3 / tier-4 backend may declare
CLOSE_LIMITS = {3: (0.9, 1.0), 4: (0.5, 1.0)}
#: relative agreement of plastic synapse state for float backends (measured: <= 1.5e-15)
PLASTICITY_RTOL = 1e-12
#: (fewest weight bits, most LSB per update) a quantized plastic backend may declare
PLASTICITY_LIMITS = (7, 1.0)
#: a statistical comparison needs this many spikes in the reference to mean anything
MIN_SPIKES = 100

__all__ = [
    "CLOSE_LIMITS",
    "PLASTICITY_LIMITS",
    "PLASTICITY_RTOL",
    "STATE_ABS",
    "declared",
    "expect_agreement",
    "problems",
    "state_bound",
    "weight_lsb_bound",
]


def problems(key: str, tol: Tolerance) -> list[str]:
    """What is wrong with a declared Tolerance under ``key`` (a neuron model label or
    ``plasticity:<label>``): empty when it is within what its tier allows."""
    out = []
    if tol.tier not in (1, 2, 3, 4):
        return [f"{key}: tier {tol.tier!r}, expected 1, 2, 3 or 4"]
    if key.startswith("plasticity:"):
        if tol.weight_bits or tol.lsb_per_update:
            bits, per_update = PLASTICITY_LIMITS
            if tol.weight_bits < bits:
                out.append(f"{key}: weight_bits={tol.weight_bits}, the kit accepts >= {bits}")
            if not 0 < tol.lsb_per_update <= per_update:
                out.append(
                    f"{key}: lsb_per_update={tol.lsb_per_update}, the kit accepts "
                    f"0 < lsb_per_update <= {per_update}"
                )
        return out
    if tol.tier in STATE_ABS and tol.v_abs > STATE_ABS[tol.tier]:
        out.append(
            f"{key}: tier {tol.tier} with v_abs={tol.v_abs:g}; the kit holds tier {tol.tier} "
            f"to {STATE_ABS[tol.tier]:g} (declare a higher tier instead)"
        )
    if tol.tier in CLOSE_LIMITS:
        matched, spike_ms = CLOSE_LIMITS[tol.tier]
        if not tol.matched >= matched:
            out.append(f"{key}: tier {tol.tier} with matched={tol.matched}, must be >= {matched}")
        if not 0 <= tol.spike_ms <= spike_ms:
            out.append(
                f"{key}: tier {tol.tier} with spike_ms={tol.spike_ms}, must be in [0, {spike_ms}]"
            )
    return out


def state_bound(tol: Tolerance) -> float:
    """The bound on state variables a closed-form check holds a backend to: the tier's
    (``STATE_ABS``); tiers 3 and 4 promise no state trace and are held to tier 2's, so a
    statistical backend passes a closed form only when it is that close."""
    return STATE_ABS.get(tol.tier, STATE_ABS[2])


def declared(backend: str, key: str) -> Tolerance:
    """The Tolerance ``backend`` declares under ``key``; a CheckFailed when it declares none
    or one outside its tier's limits."""
    tol = get_backend(backend).capabilities().tolerances.get(key)
    if tol is None:
        fail(f"no Tolerance declared for {key}")
    bad = problems(key, tol)
    expect(not bad, lambda: "; ".join(bad))
    return tol


def expect_agreement(
    res, ref, pop: str, tol: Tolerance, variables=(), feedforward: bool = False, what: str = ""
) -> dict:
    """``res`` (the backend) against ``ref`` (the reference) for population ``pop`` at the
    tier of ``tol`` (see the module docstring); ``variables`` are the state variables both
    recorded.  Returns the measured figures."""
    label = f"{what}{pop}"
    a, b = res.spikes(pop), ref.spikes(pop)
    if tol.tier in STATE_ABS:
        expect_same_spikes(a, b, f"{label} spikes against the reference")
        errors = {}
        for var in variables:
            sa, sb = res.signal(pop, var), ref.signal(pop, var)
            expect_close(sa.times, sb.times, 1e-9, f"{label}.{var} sample times (ms)")
            expect(
                list(sa.indices) == list(sb.indices),
                f"{label}.{var}: recorded neurons {list(sa.indices)[:10]}..., expected "
                f"{list(sb.indices)[:10]}...",
            )
            errors[var] = expect_close(
                sa.values,
                sb.values,
                STATE_ABS[tol.tier],
                f"{label}.{var} against the reference (tier {tol.tier})",
                axes=[("t", sa.times), ("neuron", sa.indices)],
            )
        return errors
    expect(
        len(b) >= MIN_SPIKES,
        f"{label}: the reference fired {len(b)} spikes, too few for a statistical check "
        f"(the kit needs {MIN_SPIKES})",
    )
    out = {}
    if feedforward:
        m = match_spikes(b, a, tol.spike_ms)
        out["matched"] = m["matched"]
        expect(
            m["matched"] >= tol.matched,
            lambda: (
                f"{label}: {m['matched']:.3f} of spikes paired within {tol.spike_ms:g} ms "
                f"(backend {m['n_b']}, reference {m['n_a']} spikes); tier {tol.tier} declares "
                f">= {tol.matched:g}"
            ),
        )
    duration = float(ref.provenance["duration"])
    ra, rb = a.rate(duration), b.rate(duration)
    out["rate_rel"] = (ra - rb) / rb
    expect(
        abs(out["rate_rel"]) <= STAT_RATE_REL,
        f"{label}: population rate {ra:.4g} Hz against the reference's {rb:.4g} Hz "
        f"({out['rate_rel'] * 100:+.1f} %; the statistical contract: within "
        f"{STAT_RATE_REL * 100:g} %)",
    )
    ca, cb = cv_isi(a), cv_isi(b)
    if np.isfinite(cb):
        out["cv"] = ca - cb
        expect(
            np.isfinite(ca) and abs(ca - cb) <= STAT_CV_ABS,
            f"{label}: mean CV of ISI {ca:.4g} against the reference's {cb:.4g} (the "
            f"statistical contract: within {STAT_CV_ABS:g})",
        )
    return out


def weight_lsb_bound(tol: Tolerance, w_max: float, reported=None) -> np.ndarray | float:
    """The weight resolution the kit holds a quantized plastic backend to: ``w_max /
    2^(weight_bits-1)``, or the backend's own per-synapse ``reported`` LSB where smaller."""
    lsb = w_max / 2.0 ** (tol.weight_bits - 1)
    if reported is None:
        return lsb
    return np.minimum(np.asarray(reported, float), lsb)

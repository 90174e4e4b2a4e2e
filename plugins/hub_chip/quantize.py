"""Rounding onto the chip's number formats, and the errors it costs.

* weights: an 8-bit mantissa per synapse (|m| <= 255) and one exponent per synapse group
  (projection x core), chosen from the group's largest weight as Lava's
  ``optimize_weight_bits`` and nengo-loihi's ``discretize_weights`` do;
* threshold: a 17-bit mantissa, ``vth = vth_mant << 6``;
* bias: a 13-bit signed mantissa with a 3-bit exponent, ``bias = mant << exp``.

For float models the voltage scale (mV per unit of v) is free: :func:`choose_scale` picks,
per population, the largest scale that keeps v, u, bias and weights in range, then searches
the factor-of-two below it for the scale whose weight mantissas round best.  The
population's largest threshold distance becomes exactly ``64 M + 1`` units, so its
threshold is exact.  Discretized float models never get negative weight exponents: on the
chip they floor each step's summed input (a bias toward -inf); the engine supports them
for ChipLIF programs.
"""

from __future__ import annotations

import numpy as np

from .compartment import ACT_SHIFT, U_HALF, VTH_SHIFT
from .spec import LOIHI, ChipSpec

#: v range kept free below the reset (and above): the largest threshold distance maps to
#: at most 2^23 / HEADROOM units of v
DEFAULT_HEADROOM = 4.0
#: the most headroom the chip backend accepts: 2^(24-1) / 512 = 2^14 units of threshold
#: distance, 8 bits (a weight mantissa) above VTH_SHIFT = 6
MAX_HEADROOM = 512
#: candidates tried when searching the voltage scale
SCALE_CANDIDATES = 64
#: synapses per projection sampled when scoring a candidate scale
SAMPLE = 4096


def group_exponents(gmax: np.ndarray, allow_negative: bool, spec: ChipSpec = LOIHI):
    """Smallest exponent per group with ``max |a| / 2^e <= 255`` (clipped to the range)."""
    gmax = np.asarray(gmax, float)
    with np.errstate(divide="ignore"):
        e = np.ceil(np.log2(np.where(gmax > 0, gmax, 1.0) / spec.weight_mant_max))
    e = np.where(gmax > 0, e, 0)
    lo = spec.weight_exp_min if allow_negative else 0
    e = np.clip(e, lo, spec.weight_exp_max).astype(np.int64)
    # rounding at the top of the range: bump the exponent where 255.x would round to 256
    over = np.rint(gmax / np.exp2(e)) > spec.weight_mant_max
    return np.minimum(e + over, spec.weight_exp_max)


def weights(
    a: np.ndarray, group: np.ndarray, n_groups: int, allow_negative: bool, spec: ChipSpec = LOIHI
):
    """Mantissas and per-group exponents for targets ``a`` (in units of A, i.e. u / 64).
    Returns (mant, exp_per_group, saturated count)."""
    gmax = np.zeros(n_groups)
    if len(a):
        np.maximum.at(gmax, group, np.abs(a))
    e = group_exponents(gmax, allow_negative, spec)
    m, sat = mantissas(a, np.exp2(e[group]), spec)
    return m, e, sat


def mantissas(a: np.ndarray, step: np.ndarray, spec: ChipSpec = LOIHI):
    """Weight mantissas of targets ``a`` with mantissa steps ``step`` (``2^exponent`` of
    each synapse's group), rounded to nearest and clipped to 8 bits: (mant, saturated
    count)."""
    m = np.rint(a / step)
    sat = int(np.count_nonzero(np.abs(m) > spec.weight_mant_max))
    return np.clip(m, -spec.weight_mant_max, spec.weight_mant_max).astype(np.int64), sat


def bias(b: np.ndarray, spec: ChipSpec = LOIHI):
    """(mantissa, exponent, saturated count) for biases ``b`` in units of v per step."""
    b = np.asarray(b, float)
    with np.errstate(divide="ignore"):
        e = np.ceil(np.log2(np.maximum(np.abs(b), 1e-300) / spec.bias_mant_max))
    e = np.clip(np.where(np.abs(b) > 0, e, 0), 0, spec.bias_exp_max).astype(np.int64)
    m = np.rint(b / np.exp2(e))
    e = np.where(np.abs(m) > spec.bias_mant_max, np.minimum(e + 1, spec.bias_exp_max), e)
    m = np.rint(b / np.exp2(e))
    sat = int(np.count_nonzero(np.abs(m) > spec.bias_mant_max))
    return np.clip(m, -spec.bias_mant_max, spec.bias_mant_max).astype(np.int64), e, sat


def threshold(theta: np.ndarray, spec: ChipSpec = LOIHI) -> np.ndarray:
    """Mantissa for a real threshold ``theta`` (units of v) under the rule ``V >= theta``:
    integer v spikes when ``v > 64 m``, i.e. ``v >= 64 m + 1``."""
    m = np.rint((np.asarray(theta, float) - 1.0) / (1 << VTH_SHIFT))
    return np.clip(m, 0, spec.vth_mant_max).astype(np.int64)


def effective_threshold(mant: np.ndarray) -> np.ndarray:
    return (np.asarray(mant, np.int64) << VTH_SHIFT) + 1


class RelativeErrors:
    """max and RMS of |got - target| / |target| over the nonzero targets of everything
    :meth:`add` was given (a part at a time: the arrays need not exist at once)."""

    def __init__(self):
        self.max, self.squares, self.n = 0.0, 0.0, 0

    def add(self, target: np.ndarray, got: np.ndarray) -> None:
        target, got = np.asarray(target, float), np.asarray(got, float)
        nz = target != 0
        n = int(np.count_nonzero(nz))
        if n:
            r = np.abs(got - target)
            np.divide(r, np.abs(target), out=r, where=nz)
            r[~nz] = 0.0
            self.max = max(self.max, float(r.max()))
            self.squares += float(np.dot(r, r))
            self.n += n

    def result(self) -> dict:
        if not self.n:
            return {"max_rel": 0.0, "rms_rel": 0.0, "n": 0}
        return {"max_rel": self.max, "rms_rel": float(np.sqrt(self.squares / self.n)), "n": self.n}


def relative_errors(target: np.ndarray, got: np.ndarray) -> dict:
    """:class:`RelativeErrors` of one pair of arrays."""
    errors = RelativeErrors()
    errors.add(target, got)
    return errors.result()


def summarize_incoming(q: np.ndarray, group: np.ndarray, n_groups: int, rng) -> tuple:
    """What :func:`choose_scale` needs of one projection's weights ``q`` (mV of u / 64)
    in synapse groups ``group``: ``(largest |q|, largest |q| per group, sample of q, their
    groups)``; the sample is ``SAMPLE`` synapses drawn by ``rng`` (all of them if fewer)."""
    if not len(q):
        return 0.0, np.zeros(n_groups), q, group
    gmax = np.zeros(n_groups)
    np.maximum.at(gmax, group, np.abs(q))
    pick = rng.choice(len(q), SAMPLE, replace=False) if len(q) > SAMPLE else slice(None)
    return float(gmax.max()), gmax, q[pick], group[pick]


def choose_scale(
    span_max: float,
    drive_max: float,
    incoming: list,
    u_sums: np.ndarray | float,
    headroom: float = DEFAULT_HEADROOM,
    spec: ChipSpec = LOIHI,
):
    """The voltage scale (mV per unit of v) of one float population.

    ``incoming``: per projection into the population, :func:`summarize_incoming` of its
    weights ``q`` in mV of u divided by 64 (so ``a = q / scale``) and the synapse group of
    each synapse; ``u_sums``: the largest sum of same-sign ``64 q`` into one
    compartment (mV of u if all its inputs of one sign fire in one step);
    ``drive_max``: the largest |bias| in mV per step.
    Returns (scale, M, bounds) where the largest threshold distance is ``64 M + 1`` units.
    """
    span = span_max if span_max > 0 else 1.0
    bounds = {
        "threshold_mantissa": float(((spec.vth_mant_max) << VTH_SHIFT) + 1),
        "v_headroom": float((1 << (spec.state_bits - 1)) / headroom),
    }
    # theta units per mV of threshold distance is theta/span; each bound caps theta
    if u_sums > 0:
        bounds["u_range"] = (U_HALF - 1) * span / float(u_sums)
    if drive_max > 0:
        bounds["bias_range"] = spec.bias_mant_max * (1 << spec.bias_exp_max) * span / drive_max
    qmax = max([qm for qm, _, q, _ in incoming if len(q)] + [0.0])
    if qmax > 0:
        bounds["weight_range"] = (spec.weight_mant_max << spec.weight_exp_max) * span / qmax
    theta_hi = min(bounds.values())
    m_hi = int((theta_hi - 1) // (1 << VTH_SHIFT))
    if m_hi < 1:
        m_hi = 1
    limiting = min(bounds, key=bounds.get)
    cands = np.unique(np.linspace(max(1, m_hi // 2), m_hi, SCALE_CANDIDATES).astype(np.int64))
    samples = [(q, g, gmax) for _, gmax, q, g in incoming if len(q)]
    best_m, best_err = m_hi, np.inf
    if samples:
        for m in cands[::-1]:
            theta = float((m << VTH_SHIFT) + 1)
            k = theta / span  # units of v per mV
            errs = []
            for q, g, gmax in samples:
                a = q * k
                e = group_exponents(gmax * k, allow_negative=False, spec=spec)
                got = np.clip(
                    np.rint(a / np.exp2(e[g])), -spec.weight_mant_max, spec.weight_mant_max
                ) * np.exp2(e[g])
                nz = a != 0
                errs.append(((got[nz] - a[nz]) / a[nz]) ** 2)
            rel = np.concatenate(errs) if errs else np.zeros(0)
            err = float(np.mean(rel)) if rel.size else 0.0  # only zero weights: no error
            if err < best_err - 1e-15:
                best_m, best_err = int(m), err
    theta = float((best_m << VTH_SHIFT) + 1)
    return (
        span / theta,
        best_m,
        {"limited_by": limiting, "M": best_m, **{k: float(v) for k, v in bounds.items()}},
    )


__all__ = [
    "weights",
    "mantissas",
    "RelativeErrors",
    "bias",
    "threshold",
    "effective_threshold",
    "relative_errors",
    "choose_scale",
    "summarize_incoming",
    "group_exponents",
    "ACT_SHIFT",
    "DEFAULT_HEADROOM",
    "MAX_HEADROOM",
]

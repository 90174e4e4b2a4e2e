"""The integer arithmetic of one ChipLIF compartment step (docs/chip.md, section 1), vectorised.

    A  = sum_j w_mant[i,j] s_j(t-1-d)            per synapse group, then A << weight_exp
                                                 (>> for a negative exponent)
    u  = sign(u) ((|u| (4096 - DU)) >> 12) + (A << 6)      wrapped to 24-bit signed
    v  = sign(v) ((|v| (4096 - DV)) >> 12) + u + (bias_mant << bias_exp)
    v  = clip(v, -(2^23 - 1), 2^23 - 1)
    refractory counter > 0:  v = 0 (u keeps integrating)
    spike = v > (vth_mant << 6);  on a spike v = 0 and the counter = refractory steps

Every function works in place on int64 arrays (the products |u| (4096 - DU) need 36 bits)
and takes scratch buffers so a step allocates nothing.
"""

from __future__ import annotations

import numpy as np

DECAY_SHIFT = 12
DECAY_ONE = 1 << DECAY_SHIFT  # 4096
STATE_BITS = 24
U_HALF = 1 << (STATE_BITS - 1)  # 2^23
U_MASK = (1 << STATE_BITS) - 1
V_MAX = U_HALF - 1  # v is clipped to +-(2^23 - 1)
ACT_SHIFT = 6
VTH_SHIFT = 6


def decay(
    x: np.ndarray,
    keep: np.ndarray,
    out: np.ndarray,
    scratch: np.ndarray,
    shift: int = DECAY_SHIFT,
    half: np.ndarray | int = 0,
) -> np.ndarray:
    """``out = sign(x) ((|x| keep + half) >> shift)`` with ``keep = 2^shift - D``: rounding
    toward zero with ``half = 0`` (Loihi 1, shift 12), to nearest (ties away from zero) with
    ``half = 2^(shift-1)`` (the loihi2 mode, shift 24: |x| keep < 2^47 fits int64); ``half``
    may be one value per element.

    Done without abs/sign: ``p = x keep``; ``p + c`` is shifted arithmetically (a floor)
    with c = half for p >= 0 and c = 2^shift - 1 - half for p < 0."""
    np.multiply(x, keep, out=out)
    np.right_shift(out, 63, out=scratch)  # -1 where negative, 0 elsewhere
    if np.any(half):
        np.bitwise_and(scratch, (1 << shift) - 1 - 2 * np.asarray(half, np.int64), out=scratch)
        out += scratch
        out += half
    else:
        np.bitwise_and(scratch, (1 << shift) - 1, out=scratch)
        out += scratch
    out >>= shift
    return out


def wrap24(x: np.ndarray) -> np.ndarray:
    """Two's-complement wrap of ``x`` to 24-bit signed, in place."""
    x += U_HALF
    x &= U_MASK
    x -= U_HALF
    return x


def clip_v(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.clip(x, -V_MAX, V_MAX, out=x if out is None else out)


def shift(a, exp):
    """``a << exp`` for exp >= 0, ``a >> -exp`` (arithmetic, floor) for exp < 0; arrays ok."""
    a = np.asarray(a, np.int64)
    exp = np.asarray(exp, np.int64)
    return np.where(exp >= 0, a << np.maximum(exp, 0), a >> np.maximum(-exp, 0))

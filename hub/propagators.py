"""NEST's propagator arithmetic, reproduced operation by operation (pure Python floats).

A backend that wants to reproduce NEST 3.10 bit for bit needs the *same doubles* NEST
computes in its ``pre_run_hook``: the same formula, the same order of operations, the
same library functions.  This module computes them with :func:`math.exp` (libm, like
``std::exp``; numpy's vectorised ``np.exp`` may use its own SIMD kernels) and with NEST's
own Taylor-series ``numerics::expm1`` (the NEST wheel is built without ``HAVE_EXPM1``;
libm's ``expm1`` differs from it by one ulp for some arguments).

Nothing here imports a simulator.  Functions take scalars; :func:`per_neuron` maps them
over per-neuron arrays, evaluating each distinct parameter combination once.

Units are NEST's: ms, mV, pA, pF, nS.  Sources: ``libnestutil/iaf_propagator.cpp``,
``libnestutil/numerics.h``, ``nestkernel/nest_time.h`` and the ``pre_run_hook`` of each
model (NEST v3.10); docs/semantics.md states the rules they implement.
"""

from __future__ import annotations

import math
import sys

import numpy as np

_EPS = sys.float_info.epsilon
_LOG2 = math.log(2.0)
TICS_PER_MS = 1000.0


# --- NEST's time base ------------------------------------------------------------------------
def nest_resolution(dt_ms: float) -> float:
    """The double NEST uses as ``h``: ``MS_PER_TIC * TICS_PER_STEP``."""
    tics_per_step = math.floor(TICS_PER_MS * dt_ms + 0.5)
    return (1.0 / TICS_PER_MS) * tics_per_step


def refractory_steps(t_ref_ms, dt_ms: float):
    """``Time(Time::ms(t_ref)).get_steps()``: t_ref rounded (half up) to a tic, then rounded
    *up* to whole steps.  Works on scalars and arrays."""
    tics_per_step = int(math.floor(TICS_PER_MS * dt_ms + 0.5))
    t = np.asarray(t_ref_ms, dtype=float)
    tics = np.trunc(t * TICS_PER_MS + 0.5).astype(np.int64)
    steps = (tics + (tics_per_step - 1)) // tics_per_step
    return steps if steps.ndim else int(steps)


def delay_steps(d_ms, dt_ms: float):
    """``ld_round(d * STEPS_PER_MS)`` = floor(d/h + 0.5)."""
    steps_per_ms = 1.0 / nest_resolution(dt_ms)
    out = np.floor(np.asarray(d_ms, dtype=float) * steps_per_ms + 0.5).astype(np.int64)
    return out if out.ndim else int(out)


# --- numerics -------------------------------------------------------------------------------
def expm1(x: float) -> float:
    """NEST's ``numerics::expm1`` without ``HAVE_EXPM1``: a Taylor series for |x| <= ln 2."""
    x = float(x)
    if x == 0.0:
        return 0.0
    if abs(x) > _LOG2:
        return math.exp(x) - 1.0
    total = x
    term = x * x / 2.0
    n = 2
    while abs(term) > abs(total) * _EPS:
        total += term
        n += 1
        term *= x / float(n)
    return total


def libm_expm1(x: float) -> float:
    """The C library's expm1 (what NEST uses when built with ``HAVE_EXPM1``)."""
    return math.expm1(float(x))


_EXPM1 = {"nest": expm1, "libm": libm_expm1}


def _isnormal(x: float) -> bool:
    return math.isfinite(x) and x != 0.0 and abs(x) >= sys.float_info.min


class IAFPropagator:
    """``IAFPropagator(tau_syn, tau_m, c_m)`` of NEST 3.10 (inverses precomputed; the
    singular case tau_syn == tau_m handled the way NEST handles it)."""

    NUMERICAL_STABILITY_FACTOR = 1e-7

    def __init__(self, tau_syn: float, tau_m: float, c_m: float, expm1_impl: str = "nest"):
        self.tau_syn, self.tau_m, self.c_m = float(tau_syn), float(tau_m), float(c_m)
        self._expm1 = _EXPM1[expm1_impl]
        diff = self.tau_m - self.tau_syn
        ts, tm = self.tau_syn, self.tau_m
        self.h_min_regular = (
            self.NUMERICAL_STABILITY_FACTOR * tm * tm / abs(diff) if diff != 0.0 else math.inf
        )
        if diff != 0.0:
            self.beta = ts * tm / diff
        else:
            self.beta = math.copysign(math.inf, ts * tm)
        self.gamma = self.beta / self.c_m
        self.inv_tau_syn = 1.0 / ts
        self.inv_tau_m = 1.0 / tm
        self.inv_c_m = 1.0 / self.c_m
        self.inv_beta = diff / (ts * tm)

    def _evaluate_p32(self, h: float):
        exp_h_tau_syn = math.exp(-h * self.inv_tau_syn)
        expm1_h_tau = self._expm1(h * self.inv_beta)
        p32 = self.gamma * exp_h_tau_syn * expm1_h_tau  # inf * 0 = nan when singular
        if _isnormal(p32) and p32 > 0:
            return p32, exp_h_tau_syn, expm1_h_tau, math.nan
        exp_h_tau = math.exp(-h * self.inv_tau_m)
        return h * self.inv_c_m * exp_h_tau, exp_h_tau_syn, expm1_h_tau, exp_h_tau

    def p32(self, h: float) -> float:
        """``IAFPropagatorExp::evaluate(h)`` (P21 of iaf_psc_exp, P32 of iaf_psc_alpha)."""
        return self._evaluate_p32(h)[0]

    def p31_p32(self, h: float) -> tuple[float, float]:
        """``IAFPropagatorAlpha::evaluate(h)`` -> (P31, P32)."""
        p32, exp_h_tau_syn, expm1_h_tau, exp_h_tau = self._evaluate_p32(h)
        if h > self.h_min_regular:
            return self.gamma * exp_h_tau_syn * (self.beta * expm1_h_tau - h), p32
        if math.isnan(exp_h_tau):
            exp_h_tau = math.exp(-h * self.inv_tau_m)
        return 0.5 * h * h * self.inv_c_m * exp_h_tau, p32


# --- per-model pre_run_hook values (NEST units: ms, pF, pA) -----------------------------------
def iaf_psc_exp(h, tau_m, c_m, tau_ex, tau_in, expm1_impl="nest") -> dict[str, float]:
    p22 = math.exp(-h / tau_m)
    return {
        "P11ex": math.exp(-h / tau_ex),
        "P11in": math.exp(-h / tau_in),
        "P22": p22,
        "P21ex": IAFPropagator(tau_ex, tau_m, c_m, expm1_impl).p32(h),
        "P21in": IAFPropagator(tau_in, tau_m, c_m, expm1_impl).p32(h),
        "P20": tau_m / c_m * (1.0 - p22),
    }


def iaf_psc_alpha(h, tau_m, c_m, tau_ex, tau_in, expm1_impl="nest") -> dict[str, float]:
    em1 = _EXPM1[expm1_impl]
    p11ex = math.exp(-h / tau_ex)
    p11in = math.exp(-h / tau_in)
    p31ex, p32ex = IAFPropagator(tau_ex, tau_m, c_m, expm1_impl).p31_p32(h)
    p31in, p32in = IAFPropagator(tau_in, tau_m, c_m, expm1_impl).p31_p32(h)
    return {
        "P11ex": p11ex,
        "P22ex": p11ex,
        "P11in": p11in,
        "P22in": p11in,
        "expm1_tau_m": em1(-h / tau_m),
        "P30": -tau_m / c_m * em1(-h / tau_m),
        "P21ex": h * p11ex,
        "P21in": h * p11in,
        "P31ex": p31ex,
        "P32ex": p32ex,
        "P31in": p31in,
        "P32in": p32in,
        "EPSCInitialValue": 1.0 * math.e / tau_ex,
        "IPSCInitialValue": 1.0 * math.e / tau_in,
    }


def iaf_psc_delta(h, tau_m, c_m) -> dict[str, float]:
    p33 = math.exp(-h / tau_m)
    return {"P33": p33, "P30": 1 / c_m * (1 - p33) * tau_m}


def per_neuron(fn, columns: dict[str, np.ndarray], **fixed) -> dict[str, np.ndarray]:
    """Apply scalar function ``fn(**row, **fixed) -> dict`` to every neuron's parameters,
    once per distinct combination; returns name -> float64 array."""
    names = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    table = (
        np.column_stack([np.asarray(columns[k], float) for k in names])
        if n
        else np.zeros((0, len(names)))
    )
    bits = table.view(np.int64)
    if n and (bits == bits[0]).all():  # one combination, bit for bit (the common case)
        uniq, inverse = table[:1], np.zeros(n, np.intp)
    else:
        uniq, inverse = np.unique(table, axis=0, return_inverse=True)
    rows = [fn(**{k: float(v) for k, v in zip(names, row)}, **fixed) for row in uniq]
    keys = list(rows[0]) if rows else []
    inverse = np.asarray(inverse).reshape(-1)
    return {k: np.array([r[k] for r in rows], float)[inverse] for k in keys}


def hh_steady_state(v: np.ndarray, v_offset: np.ndarray) -> dict[str, np.ndarray]:
    """Steady-state gating (m, h, n) at membrane potential ``v`` (mV), Traub-Miles rates of
    u = v - v_offset exactly as NEST's ``hh_cond_exp_traub`` right-hand side writes them.
    The hub starts HH neurons there on every backend (NEST's own default evaluates the rates
    at -60 mV without the offset)."""
    u = np.asarray(v, float) - np.asarray(v_offset, float)
    alpha_n = 0.032 * (15.0 - u) / (np.exp((15.0 - u) / 5.0) - 1.0)
    beta_n = 0.5 * np.exp((10.0 - u) / 40.0)
    alpha_m = 0.32 * (13.0 - u) / (np.exp((13.0 - u) / 4.0) - 1.0)
    beta_m = 0.28 * (u - 40.0) / (np.exp((u - 40.0) / 5.0) - 1.0)
    alpha_h = 0.128 * np.exp((17.0 - u) / 18.0)
    beta_h = 4.0 / (1.0 + np.exp((40.0 - u) / 5.0))
    return {
        "m": alpha_m / (alpha_m + beta_m),
        "h": alpha_h / (alpha_h + beta_h),
        "n": alpha_n / (alpha_n + beta_n),
    }

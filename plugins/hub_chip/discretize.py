"""Float neuron models onto the chip's integer compartment (the float side of the mapping).

Only the *model-level* part lives here: decays, refractory steps, and the float factors that
turn weights, bias, threshold and state into chip units once a voltage scale is chosen
(quantize.py chooses it and rounds).  All factors follow NEST's exact propagators, so the
chip is a quantized copy of the integration NEST performs (docs/chip.md):

NEST (``iaf_psc_exp``), per step, x = V - v_reset:
    x[s] = P22 x[s-1] + P21 I[s-1] + D,   D = (1 - P22)(v_rest - v_reset) + P20 i_offset
    I[s] = P11 I[s-1] + (weights arriving at s)
chip, per step, in v units of ``scale`` mV:
    u[s] = (1 - DU/4096) u[s-1] + (input arriving in step s)
    v[s] = (1 - DV/4096) v[s-1] + u[s] + bias

Two mappings (the chip option ``mapping``):

``"fitted"`` (default) chooses the constants jointly for the error that matters, the
membrane's response and the f-I curve, not each constant alone:

* ``DV = round(4096 (1 - P22))``: the free membrane's decay, as exact as 12 bits allow
  (tau_m 20 ms at dt 0.1 ms runs as 20.43 ms);
* DU and a weight gain g: the pair (DU near ``4096 (1 - P11)``, g) whose PSP, the
  chip's two-pole kernel ``g P21 (a^n - b^n)/(a - b)`` with the rounded DV, is closest to
  NEST's in the least-squares sense over its whole length (searched over DU, g in closed
  form).  The kernel is symmetric in its two poles, so a DU off the nearest integer
  compensates most of DV's rounding: for tau_m 20, tau_syn 5 ms DU = 83 (not 81) and
  g = 1.008 leave 0.6 % of the PSP's norm, against 1.8 % before;
* delta synapses (kernel ``b^n``, no second pole to trade against) keep their jump exact:
  a gain below 1 would fit the kernel's sum and spread better but stop a jump of exactly
  the threshold distance from firing in NEST's step;
* the mean truncation of u (compile.py): a current fed inputs of one sign loses half a
  unit a step on average to the truncation toward zero of its decay, which the bias gives
  back (``0.5 4096/DU`` units of v a step per such current);
* the bias: where the constant drive is suprathreshold, the chip's steady state is chosen
  so that v crosses the threshold from the reset on NEST's step (the f-I curve exact at the
  neuron's own drive: a DC-driven neuron fires on NEST's steps although the chip's tau_m
  is 20.43 ms); a subthreshold drive keeps NEST's steady state.  A current source's
  amplitude is mapped the same way at each switch.

``"nearest"`` rounds each constant on its own (DU to the nearest integer, g = 1, the
steady state kept, no truncation offset): the first step of every PSP is NEST's exactly,
which keeps more spikes in the same step in sparse feedforward chains, at the price of
rates 4-7 % fast in the fluctuation-driven regime (docs/chip.md section 8 has both).

With the programmed delay ``d = D`` (one more than the hub's ``D - 1``) a weight reaches u
one step after it reaches NEST's I, so ``u[s]`` plays the part of ``P21 I[s-1]``: v and V
are integrated on the same steps and a spike has the same stamp.

``generation="loihi2"`` (a Loihi 2-class programmable neuron) keeps u, v, weights, bias
and threshold formats but computes the decays with 24 fractional bits
(``DV = round(2^24 (1 - P22))``: tau_m within 1e-5 relative) and rounds the decayed u
and v to nearest instead of toward zero, see docs/chip.md.

Delta synapses (a jump of w mV in V, added in the step it arrives, with a threshold test
in the same step) have ``DU = 4096`` (u holds only this step's input) and ``d = D - 1``.

``LIFSubtract`` has the same plan (no refractory period); its compartments subtract the
effective threshold at a spike instead of resetting v to 0 (program.py ``subtract``).

Excitatory and inhibitory currents with different decays (``tau_syn_E != tau_syn_I``
after rounding) cannot share one u: such a neuron gets a second, auxiliary compartment
that integrates the inhibitory current and is joined to the first (multi-compartment
ADD join).  It costs one more compartment per neuron; populations whose two decays round
to the same DU use one compartment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hub.propagators import IAFPropagator, per_neuron, refractory_steps

from .compartment import DECAY_ONE

NATIVE = "ChipLIF"
LIF_EXP = "LIF[synapse=exp]"
LIF_DELTA = "LIF[synapse=delta]"
#: the LIF that resets by subtraction: the same plan, and a spike subtracts the threshold
SUBTRACT_EXP = "LIFSubtract[spikes=one,synapse=exp]"
SUBTRACT_DELTA = "LIFSubtract[spikes=one,synapse=delta]"
#: the same with several spikes per step (k = min(max_spikes, v // (vth + 1)), v -= k (vth + 1))
MANY_EXP = "LIFSubtract[spikes=many,synapse=exp]"
MANY_DELTA = "LIFSubtract[spikes=many,synapse=delta]"
SUBTRACTING = (SUBTRACT_EXP, SUBTRACT_DELTA, MANY_EXP, MANY_DELTA)
FLOAT_MODELS = (LIF_EXP, LIF_DELTA, *SUBTRACTING)
SUPPORTED = (NATIVE, *FLOAT_MODELS)


@dataclass
class PopulationPlan:
    """One neuron population, discretized except for the voltage scale."""

    label: str
    size: int
    kind: str  # one of SUPPORTED
    du: np.ndarray  # int64[n] decay of u (excitatory current)
    du_aux: np.ndarray | None  # int64[n] decay of the auxiliary (inhibitory) u
    dv: np.ndarray  # int64[n]
    refractory: np.ndarray  # int64[n]
    delay_offset: int  # programmed delay = hub delay steps - 1 + offset
    # --- float models only (None for ChipLIF) ---------------------------------------------
    span: np.ndarray | None = None  # v_thresh - v_reset (mV): threshold distance
    fold_exc: np.ndarray | None = None  # u contribution (mV) per nA of excitatory weight
    fold_inh: np.ndarray | None = None  # same for inhibitory weights
    drive: np.ndarray | None = None  # bias (mV per step) without injected current
    raw_drive: np.ndarray | None = None  # NEST's D (mV per step) without injected current
    raw_per_na: np.ndarray | None = None  # NEST's P20: D per nA of injected current
    p22: np.ndarray | None = None  # NEST's membrane propagator
    fitted: bool = True  # the "fitted" mapping (f-I matched bias) or "nearest"
    decay_one: int = DECAY_ONE  # 2^(decay bits): 4096 (Loihi 1), 2^24 (loihi2 mode)
    v_reset: np.ndarray | None = None  # mV, for reading v back
    tau: dict | None = None  # requested and effective time constants (report)
    max_spikes: np.ndarray | None = None  # int64[n] spikes per step at most (None: 1)
    # --- ChipLIF only -------------------------------------------------------------------
    bias: np.ndarray | None = None  # int64[n] effective bias
    vth_mant: np.ndarray | None = None  # int64[n]

    def drive_with(self, idx, current) -> np.ndarray:
        """The bias (mV per step) of neurons ``idx`` with ``current`` nA injected."""
        raw = self.raw_drive[idx] + self.raw_per_na[idx] * current
        if self.fitted:
            return fi_drive(raw, self.p22[idx], self.dv[idx] / self.decay_one, self.span[idx])
        return raw * _steady_factor(self.dv[idx] / self.decay_one, self.p22[idx])

    @property
    def subtract(self) -> bool:
        """A spike subtracts the threshold from v (LIFSubtract) instead of setting v to 0."""
        return self.kind in SUBTRACTING

    @property
    def spike_cap(self) -> np.ndarray:
        """Spikes per neuron and step at most (1 unless ``LIFSubtract[spikes=many]``)."""
        if self.max_spikes is None:
            return np.ones(self.size, np.int64)
        return self.max_spikes

    @property
    def native(self) -> bool:
        return self.kind == NATIVE

    @property
    def split(self) -> bool:
        return self.du_aux is not None

    @property
    def compartments_per_neuron(self) -> int:
        return 2 if self.split else 1


#: the float-model mappings (chip option ``mapping``)
MAPPINGS = ("fitted", "nearest")


def decay_constant(tau_ms, dt: float, top: int, one: int = DECAY_ONE) -> np.ndarray:
    """``round(one (1 - exp(-dt/tau)))`` clipped to 0..top (exact, not one dt/tau)."""
    d = np.rint(one * -np.expm1(-dt / np.asarray(tau_ms, float)))
    return np.clip(d, 0, top).astype(np.int64)


def effective_tau(d: np.ndarray, dt: float, one: int = DECAY_ONE) -> np.ndarray:
    """The time constant a decay constant d really implements: -dt / ln(1 - d/one)."""
    d = np.asarray(d, float)
    with np.errstate(divide="ignore"):
        out = -dt / np.log1p(-d / one)
    return np.where(d <= 0, np.inf, np.where(d >= one, 0.0, out))


def plan_population(
    pop, dt: float, mapping: str = "fitted", decay_bits: int = 12
) -> PopulationPlan:
    """Discretize ``pop`` for time step ``dt``; ``mapping`` is one of MAPPINGS and
    ``decay_bits`` the decays' fractional bits (12: Loihi 1; 24: the loihi2 mode)."""
    label = pop.model.label
    if label == NATIVE:
        return _plan_native(pop, decay_bits)
    if label in FLOAT_MODELS:
        return _plan_lif(pop, dt, label, mapping == "fitted", 1 << decay_bits)
    raise ValueError(label)  # the backend's capabilities exclude every other model


def _int(a) -> np.ndarray:
    return np.rint(np.asarray(a, float)).astype(np.int64)


def _plan_native(pop, decay_bits: int = 12) -> PopulationPlan:
    """ChipLIF's 12-bit decays; with more decay bits they are shifted left, which keeps the
    arithmetic bit-identical: (|x| (4096 - d)) >> 12 == (|x| ((4096 - d) << k)) >> (12 + k)."""
    p = pop.params
    widen = decay_bits - 12
    return PopulationPlan(
        pop.label,
        pop.size,
        NATIVE,
        du=_int(p["du"]) << widen,
        du_aux=None,
        dv=_int(p["dv"]) << widen,
        refractory=_int(p["refractory_steps"]),
        delay_offset=0,
        bias=_int(p["bias_mant"]) << _int(p["bias_exp"]),
        vth_mant=_int(p["vth_mant"]),
        decay_one=1 << decay_bits,
    )


def _plan_lif(pop, dt: float, label: str, fitted: bool = True, one: int = DECAY_ONE):
    p = pop.params
    tau_m, cm = p["tau_m"], p["cm"]
    p22 = np.exp(-dt / tau_m)
    p20 = tau_m / cm * -np.expm1(-dt / tau_m)
    dv = decay_constant(tau_m, dt, one - 1, one)
    span = p["v_thresh"] - p["v_reset"]
    raw = (1 - p22) * (p["v_rest"] - p["v_reset"]) + p20 * p["i_offset"]
    if fitted:
        drive = fi_drive(raw, p22, dv / one, span)
    else:
        drive = raw * _steady_factor(dv / one, p22)
    tau = {"tau_m": (tau_m, effective_tau(dv, dt, one))}
    if label.endswith("synapse=delta]"):
        du = np.full(pop.size, one, np.int64)
        # a weight is NEST's jump, in mV: kept exact in both mappings (a jump of exactly
        # the threshold distance fires in NEST's step)
        fold_exc = fold_inh = np.ones(pop.size)
        du_aux, offset = None, 0
    else:
        fold_exc = _current_fold(tau_m, cm, p["tau_syn_E"], dt)
        fold_inh = _current_fold(tau_m, cm, p["tau_syn_I"], dt)
        if fitted:
            du_e, gain_e = fitted_current_decay(p["tau_syn_E"], tau_m, dv, dt, one)
            du_i, gain_i = fitted_current_decay(p["tau_syn_I"], tau_m, dv, dt, one)
            fold_exc, fold_inh = fold_exc * gain_e, fold_inh * gain_i
        else:
            du_e = decay_constant(p["tau_syn_E"], dt, one, one)
            du_i = decay_constant(p["tau_syn_I"], dt, one, one)
        du, du_aux, offset = du_e, (None if np.array_equal(du_e, du_i) else du_i), 1
        tau["tau_syn_E"] = (p["tau_syn_E"], effective_tau(du_e, dt, one))
        tau["tau_syn_I"] = (p["tau_syn_I"], effective_tau(du_i, dt, one))
    return PopulationPlan(
        pop.label,
        pop.size,
        label,
        du=du,
        du_aux=du_aux,
        dv=dv,
        refractory=(
            refractory_steps(p["tau_refrac"], dt).astype(np.int64)
            if "tau_refrac" in p
            else np.zeros(pop.size, np.int64)  # LIFSubtract: none
        ),
        delay_offset=offset,
        span=span,
        fold_exc=fold_exc,
        fold_inh=fold_inh,
        drive=drive,
        raw_drive=raw,
        raw_per_na=p20,
        p22=p22,
        fitted=fitted,
        decay_one=one,
        v_reset=p["v_reset"].copy(),
        tau=tau,
        max_spikes=(
            np.clip(p["max_spikes"], 1, 2**31 - 1).astype(np.int64)
            if label in (MANY_EXP, MANY_DELTA)
            else None
        ),
    )


def _steady_factor(leak, p22) -> np.ndarray:
    """``r_v = leak / (1 - P22)``: NEST's per-step drive times r_v keeps v's steady state
    at NEST's although the chip leaks ``leak = DV/one`` per step (1 where either is 0)."""
    leak, p22 = np.asarray(leak, float), np.asarray(p22, float)
    ok = (leak > 0) & (p22 < 1)
    return np.where(ok, leak / np.where(ok, 1 - p22, 1.0), 1.0)


def fi_drive(raw, p22, leak, span) -> np.ndarray:
    """The bias (mV per step) for NEST's constant drive ``raw`` (mV per step), chip leak
    ``leak = DV/one`` and threshold distance ``span`` (mV): where the drive is
    suprathreshold (NEST's steady state ``X = raw/(1 - P22)`` above ``span``), the chip's
    steady state ``V`` is chosen so that v, from the reset, crosses ``span`` on NEST's
    (continuous) step: ``1 - span/V = (1 - span/X)^(ln b / ln P22)`` with b = 1 - leak;
    elsewhere ``V = X`` (the steady state kept).  Continuous at X = span."""
    raw, p22, leak, span = (np.asarray(x, float) for x in (raw, p22, leak, span))
    b = 1 - leak
    with np.errstate(divide="ignore", invalid="ignore"):
        x_inf = raw / (1 - p22)
        supra = (x_inf > span) & (span > 0) & (leak > 0) & (p22 < 1) & (p22 > 0)
        ratio = np.log(np.where(supra, b, 0.5)) / np.log(np.where(supra, p22, 0.5))
        remain = np.power(np.where(supra, 1 - span / np.where(supra, x_inf, 1.0), 0.5), ratio)
        v_inf = np.where(supra, span / (1 - remain), x_inf)
    return np.where(supra, v_inf * leak, raw * _steady_factor(leak, p22))


def _two_pole_kernel(a: float, b: float, n: np.ndarray) -> np.ndarray:
    """``h[n] = sum_k a^k b^(n-1-k) = (a^n - b^n)/(a - b)``, n >= 1 (h[1] = 1): v's
    response to a unit step of input into u decaying by a, v decaying by b."""
    if abs(a - b) < 1e-7:
        m = 0.5 * (a + b)
        return n * m ** (n - 1.0)
    return (a**n - b**n) / (a - b)


def _cross(a, b, p, q):
    """``sum_{n>=1} h_ab[n] h_pq[n]`` in closed form (a != b, p != q, all in [0, 1))."""

    def s(z):
        return z / (1.0 - z)

    return (s(a * p) - s(a * q) - s(b * p) + s(b * q)) / ((a - b) * (p - q))


def fitted_current_decay(tau_syn, tau_m, dv, dt: float, one: int = DECAY_ONE):
    """(DU, gain) per neuron: among the DU near ``one (1 - P11)``, the one whose PSP with the
    rounded DV, scaled by its least-squares gain, is closest to NEST's over its whole length
    (relative L2 error).  The sums over the kernels are closed forms (geometric series);
    near-equal poles fall back to summing the kernels until they are below 1e-12."""

    def fit(tau_syn: float, tau_m: float, dv: float) -> dict:
        p, q = math.exp(-dt / tau_syn), math.exp(-dt / tau_m)
        b = 1.0 - dv / one
        exact = one * -math.expm1(-dt / tau_syn)
        nearest = int(np.clip(round(exact), 0, one))
        if dv <= 0 or nearest <= 0 or nearest >= one or q >= 1.0:
            return {"du": nearest, "gain": 1.0}  # no second pole to trade against
        width = max(3, int(0.08 * exact)) if one <= DECAY_ONE else 3
        du = np.arange(max(1, nearest - width), min(one - 1, nearest + width) + 1)
        a = 1.0 - du / one
        gap = 0.05 * (1.0 - max(b, q))  # poles closer than this: cancellation, sum instead
        if abs(p - q) > gap and np.min(np.abs(a - b)) > gap:
            hh, hr, rr = _cross(a, b, a, b), _cross(a, b, p, q), _cross(p, q, p, q)
        else:  # near-equal poles: sum the kernels
            slowest = max(p, q, b, float(a.max()))
            n = np.arange(1, min(int(28.0 / (1.0 - slowest)) + 2, 4_000_000), dtype=float)
            ref = _two_pole_kernel(p, q, n)
            kernels = [_two_pole_kernel(float(x), b, n) for x in a]
            hh = np.array([h @ h for h in kernels])
            hr = np.array([h @ ref for h in kernels])
            rr = float(ref @ ref)
        err = 1.0 - hr * hr / (hh * rr)  # relative residual with the best gain
        k = int(np.argmin(err))
        return {"du": int(du[k]), "gain": float(hr[k] / hh[k])}

    out = per_neuron(fit, {"tau_syn": tau_syn, "tau_m": tau_m, "dv": dv})
    return out["du"].astype(np.int64), out["gain"]


def _current_fold(tau_m, cm, tau_syn, dt) -> np.ndarray:
    """u contribution (mV per step) of 1 nA of weight: NEST's P21 (singular case included);
    the "fitted" mapping multiplies it by the PSP's least-squares gain."""
    p21 = per_neuron(
        lambda tau_m, cm, tau_syn: {"p21": IAFPropagator(tau_syn, tau_m, cm).p32(dt)},
        {"tau_m": tau_m, "cm": cm, "tau_syn": tau_syn},
    )["p21"]
    return p21


def initial_u(current_na, fold, du, one: int = DECAY_ONE) -> np.ndarray:
    """u(0) in mV for an initial synaptic current, so that u(1) plays P21 I(0)."""
    keep = (one - np.asarray(du)) / one
    return np.where(keep > 0, current_na * fold / np.where(keep > 0, keep, 1.0), 0.0)


__all__ = [
    "PopulationPlan",
    "plan_population",
    "MAPPINGS",
    "fi_drive",
    "fitted_current_decay",
    "decay_constant",
    "effective_tau",
    "initial_u",
    "SUPPORTED",
    "NATIVE",
    "LIF_EXP",
    "LIF_DELTA",
    "SUBTRACT_EXP",
    "SUBTRACT_DELTA",
    "MANY_EXP",
    "MANY_DELTA",
    "SUBTRACTING",
    "FLOAT_MODELS",
]

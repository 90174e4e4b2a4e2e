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

``DU = round(4096 (1 - P11))`` and ``DV = round(4096 (1 - P22))`` (exact decays, not
``4096 dt/tau``).  With the programmed delay ``d = D`` (one more than the hub's ``D - 1``)
a weight reaches u one step after it reaches NEST's I, so ``u[s]`` plays the part of
``P21 I[s-1]``: v and V are integrated on the same steps and a spike has the same stamp.
A weight w (nA) becomes ``w P21 / scale`` in u: the first step of every PSP is NEST's
exactly and only the tails differ through the rounding of DU and DV.  The bias is
``D r_v / scale`` with ``r_v = (DV/4096)/(1 - P22)``, which keeps the steady state of v at
NEST's although the chip's leak is DV/4096 rather than 1 - P22.

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
    drive: np.ndarray | None = None  # bias (mV per step)
    drive_per_na: np.ndarray | None = None  # bias (mV per step) per nA of injected current
    v_reset: np.ndarray | None = None  # mV, for reading v back
    tau: dict | None = None  # requested and effective time constants (report)
    max_spikes: np.ndarray | None = None  # int64[n] spikes per step at most (None: 1)
    # --- ChipLIF only -------------------------------------------------------------------
    bias: np.ndarray | None = None  # int64[n] effective bias
    vth_mant: np.ndarray | None = None  # int64[n]

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


def decay_constant(tau_ms, dt: float, top: int) -> np.ndarray:
    """``round(4096 (1 - exp(-dt/tau)))`` clipped to 0..top (exact, not 4096 dt/tau)."""
    d = np.rint(DECAY_ONE * -np.expm1(-dt / np.asarray(tau_ms, float)))
    return np.clip(d, 0, top).astype(np.int64)


def effective_tau(d: np.ndarray, dt: float) -> np.ndarray:
    """The time constant a decay constant d really implements: -dt / ln(1 - d/4096)."""
    d = np.asarray(d, float)
    with np.errstate(divide="ignore"):
        out = -dt / np.log1p(-d / DECAY_ONE)
    return np.where(d <= 0, np.inf, np.where(d >= DECAY_ONE, 0.0, out))


def plan_population(pop, dt: float) -> PopulationPlan:
    label = pop.model.label
    if label == NATIVE:
        return _plan_native(pop)
    if label in FLOAT_MODELS:
        return _plan_lif(pop, dt, label)
    raise ValueError(label)  # the backend's capabilities exclude every other model


def _int(a) -> np.ndarray:
    return np.rint(np.asarray(a, float)).astype(np.int64)


def _plan_native(pop) -> PopulationPlan:
    p = pop.params
    return PopulationPlan(
        pop.label,
        pop.size,
        NATIVE,
        du=_int(p["du"]),
        du_aux=None,
        dv=_int(p["dv"]),
        refractory=_int(p["refractory_steps"]),
        delay_offset=0,
        bias=_int(p["bias_mant"]) << _int(p["bias_exp"]),
        vth_mant=_int(p["vth_mant"]),
    )


def _plan_lif(pop, dt: float, label: str) -> PopulationPlan:
    p = pop.params
    tau_m, cm = p["tau_m"], p["cm"]
    p22 = np.exp(-dt / tau_m)
    p20 = tau_m / cm * -np.expm1(-dt / tau_m)
    dv = decay_constant(tau_m, dt, DECAY_ONE - 1)
    r_v = np.where(
        (dv > 0) & (p22 < 1), dv / DECAY_ONE / np.where(p22 < 1, -np.expm1(-dt / tau_m), 1.0), 1.0
    )
    drive = ((1 - p22) * (p["v_rest"] - p["v_reset"]) + p20 * p["i_offset"]) * r_v
    tau = {"tau_m": (tau_m, effective_tau(dv, dt))}
    if label.endswith("synapse=delta]"):
        du = np.full(pop.size, DECAY_ONE, np.int64)
        fold_exc = fold_inh = np.ones(pop.size)  # a weight is NEST's jump, in mV
        du_aux, offset = None, 0
    else:
        du_e = decay_constant(p["tau_syn_E"], dt, DECAY_ONE)
        du_i = decay_constant(p["tau_syn_I"], dt, DECAY_ONE)
        fold_exc = _current_fold(tau_m, cm, p["tau_syn_E"], dt)
        fold_inh = _current_fold(tau_m, cm, p["tau_syn_I"], dt)
        du, du_aux, offset = du_e, (None if np.array_equal(du_e, du_i) else du_i), 1
        tau["tau_syn_E"] = (p["tau_syn_E"], effective_tau(du_e, dt))
        tau["tau_syn_I"] = (p["tau_syn_I"], effective_tau(du_i, dt))
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
        span=p["v_thresh"] - p["v_reset"],
        fold_exc=fold_exc,
        fold_inh=fold_inh,
        drive=drive,
        drive_per_na=p20 * r_v,
        v_reset=p["v_reset"].copy(),
        tau=tau,
        max_spikes=(
            np.clip(p["max_spikes"], 1, 2**31 - 1).astype(np.int64)
            if label in (MANY_EXP, MANY_DELTA)
            else None
        ),
    )


def _current_fold(tau_m, cm, tau_syn, dt) -> np.ndarray:
    """u contribution (mV per step) of 1 nA of weight: NEST's P21 (singular case included).
    (Scaling it by r_u r_v to keep the PSP integral instead was measured worse: CUBA's rate
    1.2 % low instead of 0.3 %, and 86-91 % instead of 98-99 % of feedforward spikes within
    one step of NEST's.)"""
    p21 = per_neuron(
        lambda tau_m, cm, tau_syn: {"p21": IAFPropagator(tau_syn, tau_m, cm).p32(dt)},
        {"tau_m": tau_m, "cm": cm, "tau_syn": tau_syn},
    )["p21"]
    return p21


def initial_u(current_na, fold, du) -> np.ndarray:
    """u(0) in mV for an initial synaptic current, so that u(1) plays P21 I(0)."""
    keep = (DECAY_ONE - np.asarray(du)) / DECAY_ONE
    return np.where(keep > 0, current_na * fold / np.where(keep > 0, keep, 1.0), 0.0)


__all__ = [
    "PopulationPlan",
    "plan_population",
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

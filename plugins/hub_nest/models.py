"""Declarative translation tables: one :class:`NestModel` per hub model label.

Hub units (PyNN's) -> NEST units: capacitance nF -> pF (x1000), currents nA -> pA (x1000,
also ``i_offset`` -> ``I_e`` and injected currents), conductances uS -> nS (x1000, also
conductance weights), AdEx ``a`` stays nS, ``b`` nA -> pA.  Current-based weights nA -> pA;
voltage (delta, Izhikevich) weights stay mV.  NEST sorts input onto the excitatory or the
inhibitory receptor by the *sign* of the weight, so conductance weights (positive in the
hub, the receptor names the target) are negated for ``receptor="inhibitory"``; current and
voltage weights already carry their sign.

Izhikevich: the hub's ``i_offset`` (nA) becomes ``I_e`` x1000, whose number NEST uses as
mV/ms (PyNN's convention; ``hub.testing.reference`` does the same); ``consistent_integration``
is True (NEST's default forward-Euler update, a spike adds w mV to V), ``U_m`` is always set
from the hub's initial ``u`` (NEST's own default is -13 whatever ``b`` is).

HodgkinHuxley: NEST initialises the gating variables from its default E_L = -60 mV without
subtracting V_T (a quirk); the hub instead starts m, h, n at their steady state at the
initial membrane potential, with the same rate functions of u = V - v_offset as the
dynamics (:func:`hh_steady_state`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


from hub.propagators import hh_steady_state
from hub.translate import Computed, Rename, recordables

#: NEST's unit per hub unit for the quantities that change scale
PER_NANO = 1000.0  # nF -> pF, nA -> pA, uS -> nS


@dataclass(frozen=True)
class NestModel:
    """How one hub model label runs on one NEST model.

    ``params`` and ``initial`` are translation rules (``hub.translate``) over the hub's
    per-neuron parameters (``initial`` rules see parameters and initial values together);
    ``fixed`` are constant NEST parameters; ``zero_state`` lists hub state variables NEST
    cannot set (their initial value must be 0); ``record`` maps a hub variable to the rule
    that names and scales it in NEST (values come back through ``rule.reverse``); a hub
    weight becomes
    ``weight * weight_scale`` on the excitatory and ``weight * weight_scale * inhibitory_sign``
    on the inhibitory receptor.  ``integers`` names the NEST parameters and state that take
    integers (set as such); ``module`` is the extension module NEST must load for the model
    (custom models: :class:`hub_nest.modules.Module`), None for NEST's own models.
    """

    nest_model: str
    params: tuple
    initial: tuple
    record: dict[str, Rename]
    weight_scale: float = 1.0
    inhibitory_sign: float = 1.0
    fixed: dict = field(default_factory=dict)
    zero_state: tuple[str, ...] = ()
    integrator: str = "exact propagators"
    integers: tuple[str, ...] = ()
    module: object = None
    #: NEST variable -> the NEST parameter it is kept relative to: a parameter change that
    #: moves the reference moves the variable too, so its absolute value stays (custom
    #: models; NEST's own models do this for V_m and E_L themselves)
    shifted: dict = field(default_factory=dict)


def _g_leak(p):
    """Leak conductance (nS) from cm (nF) and tau_m (ms)."""
    return PER_NANO * p["cm"] / p["tau_m"]


_MEMBRANE = (
    Rename("cm", "C_m", PER_NANO),
    Rename("v_rest", "E_L"),
    Rename("v_reset", "V_reset"),
    Rename("v_thresh", "V_th"),
    Rename("tau_refrac", "t_ref"),
    Rename("i_offset", "I_e", PER_NANO),
)
_SYN_TAUS = (Rename("tau_syn_E", "tau_syn_ex"), Rename("tau_syn_I", "tau_syn_in"))
_REVERSALS = (Rename("e_rev_E", "E_ex"), Rename("e_rev_I", "E_in"))
_V = (Rename("v", "V_m"),)
_G = (Rename("gsyn_exc", "g_ex", PER_NANO), Rename("gsyn_inh", "g_in", PER_NANO))
_REC_V = recordables(*_V)
_REC_I = recordables(
    Rename("isyn_exc", "I_syn_ex", PER_NANO), Rename("isyn_inh", "I_syn_in", PER_NANO)
)
_REC_G = recordables(*_G)
_GSL = "GSL RKF45, adaptive (NEST's own)"


def _lif_current(nest_model: str, synaptic: bool) -> NestModel:
    syn = (Rename("tau_m", "tau_m"), *_SYN_TAUS) if synaptic else (Rename("tau_m", "tau_m"),)
    return NestModel(
        nest_model,
        _MEMBRANE + syn,
        _V,
        {**_REC_V, **(_REC_I if synaptic else {})},
        weight_scale=PER_NANO if synaptic else 1.0,
        zero_state=("isyn_exc", "isyn_inh") if synaptic else (),
    )


def _lif_cond(nest_model: str) -> NestModel:
    params = _MEMBRANE + _SYN_TAUS + _REVERSALS + (Computed("g_L", _g_leak, "cm/tau_m, nS"),)
    return NestModel(
        nest_model,
        params,
        _V + _G,
        {**_REC_V, **_REC_G},
        weight_scale=PER_NANO,
        inhibitory_sign=-1.0,
        integrator=_GSL,
    )


def _adex(nest_model: str) -> NestModel:
    params = (
        _MEMBRANE
        + _SYN_TAUS
        + _REVERSALS
        + (
            Computed("g_L", _g_leak, "cm/tau_m, nS"),
            Rename("v_spike", "V_peak"),
            Rename("delta_T", "Delta_T"),
            Rename("a", "a"),
            Rename("b", "b", PER_NANO),
            Rename("tau_w", "tau_w"),
        )
    )
    return NestModel(
        nest_model,
        params,
        _V + _G + (Rename("w", "w", PER_NANO),),
        {**_REC_V, **_REC_G, **recordables(Rename("w", "w", PER_NANO))},
        weight_scale=PER_NANO,
        inhibitory_sign=-1.0,
        integrator=_GSL,
    )


def _gate(name):
    return lambda p: hh_steady_state(p["v"], p["v_offset"])[name]


_HH = NestModel(
    "hh_cond_exp_traub",
    (
        Rename("gbar_Na", "g_Na", PER_NANO),
        Rename("gbar_K", "g_K", PER_NANO),
        Rename("g_leak", "g_L", PER_NANO),
        Rename("cm", "C_m", PER_NANO),
        Rename("v_offset", "V_T"),
        Rename("e_rev_Na", "E_Na"),
        Rename("e_rev_K", "E_K"),
        Rename("e_rev_leak", "E_L"),
        *_REVERSALS,
        *_SYN_TAUS,
        Rename("tau_refrac", "t_ref"),
        Rename("i_offset", "I_e", PER_NANO),
    ),
    _V
    + (
        Computed("Act_m", _gate("m"), "steady state at v"),
        Computed("Inact_h", _gate("h"), "steady state at v"),
        Computed("Act_n", _gate("n"), "steady state at v"),
    ),
    {**_REC_V, **_REC_G},
    weight_scale=PER_NANO,
    inhibitory_sign=-1.0,
    zero_state=("gsyn_exc", "gsyn_inh"),
    integrator=_GSL,
)

_IZHIKEVICH = NestModel(
    "izhikevich",
    (
        Rename("a", "a"),
        Rename("b", "b"),
        Rename("c", "c"),
        Rename("d", "d"),
        Rename("i_offset", "I_e", PER_NANO),
        Rename("v_thresh", "V_th"),
    ),
    _V + (Rename("u", "U_m"),),
    recordables(*_V, Rename("u", "U_m")),
    fixed={"consistent_integration": True},
    integrator="forward Euler (consistent_integration=True)",
)

#: hub model label -> NEST translation (ChipLIF is deliberately absent)
TABLES: dict[str, NestModel] = {
    "LIF[synapse=exp]": _lif_current("iaf_psc_exp", True),
    "LIF[synapse=alpha]": _lif_current("iaf_psc_alpha", True),
    "LIF[synapse=delta]": _lif_current("iaf_psc_delta", False),
    "LIFCond[synapse=exp]": _lif_cond("iaf_cond_exp"),
    "LIFCond[synapse=alpha]": _lif_cond("iaf_cond_alpha"),
    "AdEx[synapse=exp]": _adex("aeif_cond_exp"),
    "AdEx[synapse=alpha]": _adex("aeif_cond_alpha"),
    "HodgkinHuxley": _HH,
    "Izhikevich": _IZHIKEVICH,
}

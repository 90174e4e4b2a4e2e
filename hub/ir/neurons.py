"""Neuron models: each declared once with its parameters, units, defaults, state and equations.

Names, defaults and sign rules are PyNN's; PyNN cell-type names are accepted as aliases
(``hub.model("IF_curr_exp")``).  Every parameter may be a scalar, a per-neuron array or a
:class:`~hub.ir.random.Distribution`.  A model instance is pure data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from .declared import Declared, Param, State
from .node import kind_class, register


class NeuronModel(Declared):
    """Base class.  Subclasses declare ``kind``, ``parameters``, ``state``, ``options``, the
    ``input_kind`` and the ``equations`` (in the class docstring); instances hold the chosen
    values.  A kind from outside hub (a plugin's) is namespaced, e.g. ``vendor.MyLIF``."""

    aliases: ClassVar[dict[str, dict]] = {}
    state: ClassVar[tuple[State, ...]] = ()
    #: weight unit and sign convention per synapse option ("current", "conductance", "voltage")
    input_kind: ClassVar[str | dict] = "current"
    #: a model integrated by an ODE solver (NEST's adaptive RKF45, Brian2's RK4) names its
    #: time constants (ms) and its conductance parameters (uS, divided by ``cm``) here;
    #: validation refuses any faster than 1 us (:mod:`hub.ir.limits`)
    ode_time_constants: ClassVar[tuple[str, ...]] = ()
    ode_conductances: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def recordables(cls) -> dict[str, str]:
        """Recordable variable -> unit (``spikes`` is always recordable)."""
        return {s.name: s.unit for s in cls.state}

    def recordable_names(self) -> dict[str, str]:
        rec = self.recordables()
        if self.option_values.get("synapse") == "delta":
            rec = {k: u for k, u in rec.items() if not k.startswith(("isyn", "gsyn"))}
        return rec

    @property
    def synapse(self) -> str:
        return self.option_values.get("synapse", "")

    @property
    def capability_key(self) -> str:
        """This model's key in a backend's Capabilities: its feature ``neuron:<key>`` and its
        Tolerance (the label; ``Custom`` for every model written as equations)."""
        return self.label

    @property
    def input(self) -> str:
        """'current' (weights in nA), 'conductance' (uS), 'voltage' (mV jumps) or 'integer'
        (dimensionless chip weights, ChipLIF)."""
        if isinstance(self.input_kind, dict):
            return self.input_kind[self.synapse]
        return self.input_kind

    @property
    def weight_unit(self) -> str:
        return {"current": "nA", "conductance": "uS", "voltage": "mV", "integer": "1"}[self.input]


_MEMBRANE = (
    Param("cm", "nF", 1.0, "membrane capacitance", "positive"),
    Param("tau_m", "ms", 20.0, "membrane time constant", "positive"),
    Param("v_rest", "mV", -65.0, "resting potential"),
    Param("v_reset", "mV", -65.0, "reset potential after a spike"),
    Param("v_thresh", "mV", -50.0, "spike threshold (V >= v_thresh)"),
    Param("tau_refrac", "ms", 0.1, "refractory period (V clamped to v_reset)", "nonneg"),
    Param("i_offset", "nA", 0.0, "constant injected current"),
)
_SYN_TAUS = (
    Param("tau_syn_E", "ms", 5.0, "excitatory synaptic time constant", "positive"),
    Param("tau_syn_I", "ms", 5.0, "inhibitory synaptic time constant", "positive"),
)


class LIF(NeuronModel):
    """Leaky integrate-and-fire neuron with current-based synapses (PyNN ``IF_curr_*``).

        cm dV/dt = cm (v_rest - V) / tau_m + I_E + I_I + i_offset

    ``synapse="exp"``:  dI_X/dt = -I_X / tau_syn_X, a spike adds w (nA) to I_X.
    ``synapse="alpha"``: I_X = w e/tau_syn t exp(-t/tau_syn) per spike (peak w at t=tau_syn).
    ``synapse="delta"``: a spike adds w (mV) to V directly.
    Spike when V >= v_thresh; V = v_reset for tau_refrac; then integration resumes.
    Units: V mV, t ms, c_m nF, I nA (so dV/dt in mV/ms).  Inhibitory weights are <= 0.
    """

    kind = "LIF"
    parameters = _MEMBRANE + _SYN_TAUS
    options = {"synapse": ("exp", "alpha", "delta")}
    input_kind = {"exp": "current", "alpha": "current", "delta": "voltage"}
    aliases = {
        "IF_curr_exp": {"synapse": "exp"},
        "IF_curr_alpha": {"synapse": "alpha"},
        "IF_curr_delta": {"synapse": "delta"},
        "iaf_psc_exp": {"synapse": "exp"},
        "iaf_psc_alpha": {"synapse": "alpha"},
        "iaf_psc_delta": {"synapse": "delta"},
    }
    state = (
        State("v", "mV", "v_rest", "membrane potential"),
        State("isyn_exc", "nA", 0.0, "excitatory synaptic current"),
        State("isyn_inh", "nA", 0.0, "inhibitory synaptic current"),
    )


class LIFSubtract(NeuronModel):
    """Leaky integrate-and-fire neuron, current-based synapses, reset by subtraction (the
    reset of snnTorch's default ``Leaky``, Sinabs and Rockpool).  Between spikes exactly
    :class:`LIF`:

        cm dV/dt = cm (v_rest - V) / tau_m + I_E + I_I + i_offset

    ``synapse="exp"``:  dI_X/dt = -I_X / tau_syn_X, a spike adds w (nA) to I_X.
    ``synapse="alpha"``: I_X = w e/tau_syn t exp(-t/tau_syn) per spike (peak w at t=tau_syn).
    ``synapse="delta"``: a spike adds w (mV) to V directly.
    At the end of each step, when V >= v_thresh, with d = v_thresh - v_reset:

        spikes="one":   k = 1
        spikes="many":  k = min(max_spikes, floor((V - v_thresh) / d) + 1)
        V <- V - k d,   k spikes with the step's stamp

    so a neuron that reaches v_thresh exactly lands on v_reset (as :class:`LIF`) and one
    above it keeps the excess.  ``spikes="one"``: at most one spike per neuron and step (V
    may stay above v_thresh and spike again in the next step).  ``spikes="many"`` (Sinabs'
    and Rockpool's rule, ``floor(v / threshold)`` spikes for ``v_reset = 0``): k events in
    one step, each delivering its weight (a target receives k w); the spike train holds the
    stamp k times; ``max_spikes`` (an integer >= 1) caps k.  No refractory period.
    Units: V mV, t ms, c_m nF, I nA.  Inhibitory weights are <= 0.
    """

    kind = "LIFSubtract"
    parameters = (
        (
            Param("cm", "nF", 1.0, "membrane capacitance", "positive"),
            Param("tau_m", "ms", 20.0, "membrane time constant", "positive"),
            Param("v_rest", "mV", -65.0, "resting potential"),
            Param("v_reset", "mV", -65.0, "V after a spike from exactly v_thresh"),
            Param("v_thresh", "mV", -50.0, "spike threshold (V >= v_thresh)"),
            Param("i_offset", "nA", 0.0, "constant injected current"),
        )
        + _SYN_TAUS
        + (
            Param(
                "max_spikes",
                "1",
                65536,
                "spikes per neuron and step at most (spikes=many; 2**16 as Rockpool)",
                "int_positive",
            ),
        )
    )
    options = {"spikes": ("one", "many"), "synapse": ("exp", "alpha", "delta")}
    input_kind = {"exp": "current", "alpha": "current", "delta": "voltage"}
    state = LIF.state


class LIFCond(NeuronModel):
    """Leaky integrate-and-fire neuron with conductance-based synapses (PyNN ``IF_cond_*``).

        cm dV/dt = cm (v_rest - V) / tau_m + g_E (e_rev_E - V) + g_I (e_rev_I - V) + i_offset

    ``synapse="exp"``: dg_X/dt = -g_X/tau_syn_X, a spike adds w (uS) to g_X.
    ``synapse="alpha"``: g_X(t) = w e/tau_syn t exp(-t/tau_syn) per spike.
    Threshold, reset and refractoriness as :class:`LIF`.  Weights are >= 0.
    """

    kind = "LIFCond"
    parameters = (
        _MEMBRANE
        + _SYN_TAUS
        + (
            Param("e_rev_E", "mV", 0.0, "excitatory reversal potential"),
            Param("e_rev_I", "mV", -70.0, "inhibitory reversal potential"),
        )
    )
    options = {"synapse": ("exp", "alpha")}
    input_kind = "conductance"
    ode_time_constants = ("tau_m", "tau_syn_E", "tau_syn_I")
    aliases = {
        "IF_cond_exp": {"synapse": "exp"},
        "IF_cond_alpha": {"synapse": "alpha"},
        "iaf_cond_exp": {"synapse": "exp"},
        "iaf_cond_alpha": {"synapse": "alpha"},
    }
    state = (
        State("v", "mV", "v_rest", "membrane potential"),
        State("gsyn_exc", "uS", 0.0, "excitatory conductance"),
        State("gsyn_inh", "uS", 0.0, "inhibitory conductance"),
    )


class Izhikevich(NeuronModel):
    """Izhikevich (2003) neuron (PyNN ``Izhikevich``, NEST ``izhikevich``).

        dV/dt = 0.04 V^2 + 5 V + 140 - U + I        dU/dt = a (b V - U)

    V in mV, t in ms, I = 1000 * i_offset: i_offset is in nA and, as in PyNN and NEST, the
    equation reads it in pA as mV/ms (a 1 GOhm / 1 pF-normalised membrane).  Spike when
    V >= v_thresh; then V = c, U = U + d.  Synaptic input is a delta jump of w (mV) in V.
    Integration: NEST's default forward-Euler scheme (docs/semantics.md).
    """

    kind = "Izhikevich"
    parameters = (
        Param("a", "1/ms", 0.02, "recovery time scale"),
        Param("b", "1/ms", 0.2, "recovery sensitivity"),
        Param("c", "mV", -65.0, "reset potential"),
        Param("d", "mV/ms", 2.0, "recovery increment"),
        Param("i_offset", "nA", 0.0, "constant input (mV/ms, NEST I_e convention)"),
        Param("v_thresh", "mV", 30.0, "spike cut-off"),
    )
    input_kind = "voltage"
    aliases = {"izhikevich": {}}
    state = (
        State("v", "mV", -70.0, "membrane potential"),
        State("u", "mV/ms", -14.0, "recovery variable"),
    )


class AdEx(NeuronModel):
    """Adaptive exponential integrate-and-fire (Brette & Gerstner 2005; PyNN
    ``EIF_cond_exp_isfa_ista``, NEST ``aeif_cond_exp`` / ``aeif_cond_alpha``).

        cm dV/dt = cm/tau_m (v_rest - V + delta_T exp((V - v_thresh)/delta_T))
                   - w + g_E (e_rev_E - V) + g_I (e_rev_I - V) + i_offset
        tau_w dw/dt = a (V - v_rest) - w

    Spike when V >= v_spike: V = v_reset, w += b, refractory for tau_refrac.
    Units: a in nS, b and w in nA, conductances in uS.
    """

    kind = "AdEx"
    parameters = (
        Param("cm", "nF", 0.281, "membrane capacitance", "positive"),
        Param("tau_m", "ms", 9.3667, "membrane time constant", "positive"),
        Param("v_rest", "mV", -70.6, "resting potential"),
        Param("v_reset", "mV", -70.6, "reset potential"),
        Param("v_thresh", "mV", -50.4, "exponential threshold V_T"),
        Param("v_spike", "mV", -40.0, "spike detection threshold"),
        Param("delta_T", "mV", 2.0, "slope factor", "positive"),
        Param("tau_refrac", "ms", 0.1, "refractory period", "nonneg"),
        Param("a", "nS", 4.0, "subthreshold adaptation"),
        Param("b", "nA", 0.0805, "spike-triggered adaptation"),
        Param("tau_w", "ms", 144.0, "adaptation time constant", "positive"),
        Param("i_offset", "nA", 0.0, "constant injected current"),
        Param("e_rev_E", "mV", 0.0, "excitatory reversal potential"),
        Param("e_rev_I", "mV", -80.0, "inhibitory reversal potential"),
    ) + _SYN_TAUS
    options = {"synapse": ("exp", "alpha")}
    input_kind = "conductance"
    ode_time_constants = ("tau_m", "tau_w", "tau_syn_E", "tau_syn_I")
    ode_conductances = ("a",)  # a / cm bounds the V-w coupling, sqrt(a / (cm tau_w))
    aliases = {
        "EIF_cond_exp_isfa_ista": {"synapse": "exp"},
        "EIF_cond_alpha_isfa_ista": {"synapse": "alpha"},
        "aeif_cond_exp": {"synapse": "exp"},
        "aeif_cond_alpha": {"synapse": "alpha"},
    }
    state = (
        State("v", "mV", "v_rest", "membrane potential"),
        State("w", "nA", 0.0, "adaptation current"),
        State("gsyn_exc", "uS", 0.0, "excitatory conductance"),
        State("gsyn_inh", "uS", 0.0, "inhibitory conductance"),
    )


class HodgkinHuxley(NeuronModel):
    """Hodgkin-Huxley neuron after Traub and Miles (1991), NEST ``hh_cond_exp_traub``
    (PyNN ``HH_cond_exp``), with exponential conductance synapses.

        cm dV/dt = -gbar_Na m^3 h (V - e_rev_Na) - gbar_K n^4 (V - e_rev_K)
                   - g_leak (V - e_rev_leak) + g_E (e_rev_E - V) + g_I (e_rev_I - V) + i_offset

    with the Traub rate functions of u = V - v_offset (NEST ``hh_cond_exp_traub``).  A spike is
    registered in the first step, outside the refractory period, in which V >= v_offset + 30 mV
    and V is falling (NEST's rule: just after the peak).  m, h and n start at their steady
    state for the initial V.
    Units: conductances uS, capacitance nF, V mV.
    """

    kind = "HodgkinHuxley"
    parameters = (
        Param("gbar_Na", "uS", 20.0, "sodium conductance", "nonneg"),
        Param("gbar_K", "uS", 6.0, "potassium conductance", "nonneg"),
        Param("g_leak", "uS", 0.01, "leak conductance", "nonneg"),
        Param("cm", "nF", 0.2, "membrane capacitance", "positive"),
        Param("v_offset", "mV", -63.0, "offset of the rate functions (V_T)"),
        Param("e_rev_Na", "mV", 50.0, "sodium reversal"),
        Param("e_rev_K", "mV", -90.0, "potassium reversal"),
        Param("e_rev_leak", "mV", -65.0, "leak reversal"),
        Param("e_rev_E", "mV", 0.0, "excitatory reversal"),
        Param("e_rev_I", "mV", -80.0, "inhibitory reversal"),
        Param("tau_syn_E", "ms", 0.2, "excitatory synaptic time constant", "positive"),
        Param("tau_syn_I", "ms", 2.0, "inhibitory synaptic time constant", "positive"),
        Param("tau_refrac", "ms", 2.0, "spike-detection refractory period", "nonneg"),
        Param("i_offset", "nA", 0.0, "constant injected current"),
    )
    input_kind = "conductance"
    ode_time_constants = ("tau_syn_E", "tau_syn_I")
    ode_conductances = ("gbar_Na", "gbar_K", "g_leak")
    aliases = {"HH_cond_exp": {}, "hh_cond_exp_traub": {}}
    state = (
        State("v", "mV", "e_rev_leak", "membrane potential"),
        State("gsyn_exc", "uS", 0.0, "excitatory conductance"),
        State("gsyn_inh", "uS", 0.0, "inhibitory conductance"),
    )


class ChipLIF(NeuronModel):
    """The chip's native current-based compartment (integer state; docs/chip.md).  Per step,
    with A the sum of the arriving integer weights:

        u = sign(u) ((|u| (4096 - du)) >> 12) + (A << 6)       wrapped to 24-bit signed
        v = sign(v) ((|v| (4096 - dv)) >> 12) + u + (bias_mant << bias_exp)
        v = clip(v, -(2^23 - 1), 2^23 - 1);  v = 0 while refractory
        spike when v > vth_mant << 6; then v = 0 for refractory_steps steps

    Weights are integers (the chip quantizes |w| > 255 to an 8-bit mantissa with a shared
    exponent); a synapse with hub delay D steps is programmed with delay D - 1 (the chip adds
    one step of latency), so its input reaches u in the step the hub's contract says it
    arrives.  Runs on the ``chip`` backend.
    """

    kind = "ChipLIF"
    parameters = (
        Param("du", "1", 4095, "current decay (integer 0..4096)", "int_nonneg"),
        Param("dv", "1", 0, "voltage decay (integer 0..4095)", "int_nonneg"),
        Param(
            "vth_mant",
            "1",
            100,
            "threshold mantissa (17 bit): v > vth_mant << 6 spikes",
            "int_nonneg",
        ),
        Param("bias_mant", "1", 0, "bias mantissa (13 bit signed, -4095..4095)"),
        Param("bias_exp", "1", 0, "bias exponent (0..7)", "int_nonneg"),
        Param("refractory_steps", "1", 0, "steps v is held at 0 after a spike", "int_nonneg"),
    )
    input_kind = "integer"
    state = (
        State("u", "1", 0, "current (24-bit integer)"),
        State("v", "1", 0, "voltage (24-bit integer)"),
    )


NEURON_MODELS: dict[str, type[NeuronModel]] = register(
    LIF, LIFSubtract, LIFCond, Izhikevich, AdEx, HodgkinHuxley, ChipLIF
)


def model(name: str, extra_kinds: Mapping[str, type] | None = None, **values) -> NeuronModel:
    """Build a neuron model by hub kind or PyNN/NEST alias, e.g. ``model("IF_curr_alpha")``.
    ``extra_kinds`` (kind -> class) adds neuron models from outside hub (plugins)."""
    from ..errors import Diagnostic, ValidationError

    extra = {
        k: c
        for k, c in (extra_kinds or {}).items()
        if isinstance(c, type) and issubclass(c, NeuronModel)
    }
    if name in NEURON_MODELS or name in extra:
        return kind_class(name, NeuronModel, extra, "model")(**values)
    classes = [*NEURON_MODELS.values(), *extra.values()]
    for cls in classes:
        if name in cls.aliases:
            return cls(**{**cls.aliases[name], **values})
    known = sorted({*NEURON_MODELS, *extra}) + sorted(a for c in classes for a in c.aliases)
    raise ValidationError(
        Diagnostic(
            "model",
            f"unknown neuron model {name!r}",
            f"use one of {', '.join(known)}, or install the plugin that provides it",
        )
    )

"""The hub's built-in neuron models written as equations, and the pair rule written as
statements: starting points for your own, and the honest test of the hub's numerics (each
gives its built-in twin's doubles on every backend; tests/test_custom_models.py,
tests/test_custom_rules.py).  Parameter names, units and defaults are the built-ins'
(PyNN's)."""

from __future__ import annotations

from functools import cache

from hub.ir.custom import NeuronDefinition
from hub.ir.custom_rule import RuleDefinition

from . import define_neuron, define_rule

#: PyNN's IF_curr_* parameters with their defaults
LIF_PARAMETERS = {
    "cm": "1 nF",
    "tau_m": "20 ms",
    "v_rest": "-65 mV",
    "v_reset": "-65 mV",
    "v_thresh": "-50 mV",
    "tau_refrac": "0.1 ms",
    "i_offset": "0 nA",
    "tau_syn_E": "5 ms",
    "tau_syn_I": "5 ms",
}
_LIF_RESET = dict(
    initial={"v": "v_rest"}, threshold="v >= v_thresh", reset="v = v_reset", refractory="tau_refrac"
)


@cache
def lif_exp() -> NeuronDefinition:
    """``hub.LIF(synapse="exp")``, NEST's ``iaf_psc_exp``."""
    return define_neuron(
        "lif_exp",
        """
        dv/dt = (v_rest - v)/tau_m + (I_ex + I_in + i_offset)/cm : mV (unless refractory)
        dI_ex/dt = -I_ex/tau_syn_E : nA
        dI_in/dt = -I_in/tau_syn_I : nA
        """,
        LIF_PARAMETERS,
        on_spike={"excitatory": "I_ex += w", "inhibitory": "I_in += w"},
        **_LIF_RESET,
    )


@cache
def lif_alpha() -> NeuronDefinition:
    """``hub.LIF(synapse="alpha")``, NEST's ``iaf_psc_alpha``: a linear system that is not a
    chain of decays, solved with the matrix exponential (tier 2 against the built-in)."""
    return define_neuron(
        "lif_alpha",
        """
        dv/dt = (v_rest - v)/tau_m + (I_ex + I_in + i_offset)/cm : mV (unless refractory)
        dI_ex/dt = x_ex - I_ex/tau_syn_E : nA
        dx_ex/dt = -x_ex/tau_syn_E : nA/ms
        dI_in/dt = x_in - I_in/tau_syn_I : nA
        dx_in/dt = -x_in/tau_syn_I : nA/ms
        """,
        {**LIF_PARAMETERS, "e": 2.718281828459045},
        on_spike={"excitatory": "x_ex += e/tau_syn_E * w", "inhibitory": "x_in += e/tau_syn_I * w"},
        **_LIF_RESET,
    )


@cache
def izhikevich() -> NeuronDefinition:
    """``hub.Izhikevich``, NEST's ``izhikevich`` (forward Euler); ``I_e`` is the built-in's
    ``i_offset`` times 1000 (NEST reads pA as mV/ms)."""
    return define_neuron(
        "izhikevich",
        """
        dv/dt = 0.04/ms/mV*v*v + 5/ms*v + 140*mV/ms - u + I_e : mV
        du/dt = a*(b*v - u) : mV/ms
        """,
        {
            "a": "0.02 1/ms",
            "b": "0.2 1/ms",
            "c": "-65 mV",
            "d": "2 mV/ms",
            "I_e": "0 mV/ms",
            "v_thresh": "30 mV",
        },
        initial={"v": "-70 mV", "u": "-14 mV/ms"},
        threshold="v >= v_thresh",
        reset="v = c\nu += d",
        on_spike={"excitatory": "v += w", "inhibitory": "v += w"},
    )


@cache
def stdp_additive() -> RuleDefinition:
    """Additive all-to-all pair STDP: ``hub.STDP(pairing="all", weight_dependence="additive")``
    with ``A_plus = a_plus / w_max`` and ``A_minus = a_minus / w_max`` (NEST's
    ``stdp_synapse``, whose steps are relative to w_max: equal in exact arithmetic)."""
    return define_rule(
        "stdp_additive",
        {
            "tau_plus": "20 ms",
            "tau_minus": "20 ms",
            "a_plus": "0.01 weight",
            "a_minus": "0.0105 weight",
            "w_max": "1 weight",
        },
        pre_traces={"x": "tau_plus"},
        post_traces={"y": "tau_minus"},
        on_post="w = clip(w + a_plus * x, 0, w_max)",
        on_pre="w = clip(w - a_minus * y, 0, w_max)",
    )

"""Custom neuron models written to reproduce the hub's built-in ones, and the networks the
custom-model tests run (built-in and custom variants of one network)."""

from __future__ import annotations

import numpy as np

import hub

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

#: hub.LIF(synapse="exp") (NEST's iaf_psc_exp) written as equations
LIF_EXP = hub.define_neuron(
    "lif_exp",
    """
    dv/dt = (v_rest - v)/tau_m + (I_ex + I_in + i_offset)/cm : mV (unless refractory)
    dI_ex/dt = -I_ex/tau_syn_E : nA
    dI_in/dt = -I_in/tau_syn_I : nA
    """,
    LIF_PARAMETERS,
    initial={"v": "v_rest"},
    threshold="v >= v_thresh",
    reset="v = v_reset",
    refractory="tau_refrac",
    on_spike={"excitatory": "I_ex += w", "inhibitory": "I_in += w"},
)

#: hub.LIF(synapse="alpha") (NEST's iaf_psc_alpha) written as equations: a linear system
#: that is not a chain of decays, so the hub solves it with a matrix exponential
LIF_ALPHA = hub.define_neuron(
    "lif_alpha",
    """
    dv/dt = (v_rest - v)/tau_m + (I_ex + I_in + i_offset)/cm : mV (unless refractory)
    dI_ex/dt = x_ex - I_ex/tau_syn_E : nA
    dx_ex/dt = -x_ex/tau_syn_E : nA/ms
    dI_in/dt = x_in - I_in/tau_syn_I : nA
    dx_in/dt = -x_in/tau_syn_I : nA/ms
    """,
    {**LIF_PARAMETERS, "e": 2.718281828459045},
    initial={"v": "v_rest"},
    threshold="v >= v_thresh",
    reset="v = v_reset",
    refractory="tau_refrac",
    on_spike={"excitatory": "x_ex += e/tau_syn_E * w", "inhibitory": "x_in += e/tau_syn_I * w"},
)

#: hub.Izhikevich (NEST's izhikevich, forward Euler) written as equations; I_e is the hub's
#: i_offset times 1000 (NEST reads pA as mV/ms)
IZHIKEVICH = hub.define_neuron(
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

DURATION = 300.0
N = 20


def lif_network(custom: bool, synapse: str = "exp", seed: int = 3, record=None) -> hub.Network:
    """20 LIF neurons (heterogeneous tau_m, cm, i_offset, tau_syn_E; 2 ms refractory), 50
    Poisson inputs on both receptors and recurrent excitation; records spikes, v, I_ex."""
    net = hub.Network(dt=0.1, seed=seed)
    rng = np.random.default_rng(1)
    values = dict(
        tau_m=rng.uniform(10, 30, N),
        cm=rng.uniform(0.5, 1.5, N),
        i_offset=rng.uniform(0.5, 1.0, N),
        tau_refrac=2.0,
        tau_syn_E=rng.uniform(2, 6, N),
    )
    definition = LIF_EXP if synapse == "exp" else LIF_ALPHA
    model = definition(**values) if custom else hub.LIF(synapse=synapse, **values)
    variables = record or ["v", "I_ex" if custom else "isyn_exc"]
    return _wire(net, model, 0.3, -0.2, 0.1, list(variables))


def izhikevich_network(custom: bool, seed: int = 3) -> hub.Network:
    net = hub.Network(dt=0.1, seed=seed)
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.02, 0.1, N), rng.uniform(0.2, 0.25, N)
    c, d = rng.uniform(-65, -50, N), rng.uniform(2, 8, N)
    i = rng.uniform(0, 0.01, N)
    if custom:
        model = IZHIKEVICH(a=a, b=b, c=c, d=d, I_e=i * 1000.0)
    else:
        model = hub.Izhikevich(a=a, b=b, c=c, d=d, i_offset=i)
    return _wire(net, model, 3.0, -2.0, 1.0, ["v", "u"])


def _wire(net, model, w_exc, w_inh, w_rec, variables):
    p = net.add_population(N, model, label="p")
    s = net.add_source(hub.PoissonSource(rate=20.0), size=50, label="in")
    net.connect(s, p, hub.FixedProbability(0.3), hub.Static(weight=w_exc, delay=1.0), label="e")
    inh = hub.Static(weight=w_inh, delay=1.5, receptor="inhibitory")
    net.connect(s, p, hub.FixedProbability(0.2), inh, label="i")
    net.connect(p, p, hub.FixedProbability(0.2), hub.Static(weight=w_rec, delay=1.0), label="r")
    net.record(p, "spikes")
    net.record(p, *variables)
    return net

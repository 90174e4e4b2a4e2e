"""Custom neuron models written to reproduce the hub's built-in ones, and the networks the
custom-model tests run (built-in and custom variants of one network)."""

from __future__ import annotations

import numpy as np

import hub

from hub.equations import library

#: the built-ins written as equations (hub.equations.library)
LIF_EXP = library.lif_exp()
LIF_ALPHA = library.lif_alpha()
IZHIKEVICH = library.izhikevich()

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

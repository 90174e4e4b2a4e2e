"""A synfire chain (Diesmann, Gewaltig & Aertsen 1999, simplified to current-based LIF).

``n_groups`` groups of ``group_size`` LIF neurons (exponential current synapses); each
neuron of group k receives from every neuron of group k-1 (all-to-all between consecutive
groups, weight w, delay 5 ms).  A pulse packet of 50 spikes spread over ~1 ms at t = 10 ms
drives group 0; the volley travels down the chain, one group every ~7 ms.
"""

import numpy as np

import hub

DURATION = 200.0  # ms


def build(
    n_groups: int = 10, group_size: int = 100, weight: float = 0.2, seed: int = 7
) -> hub.Network:
    net = hub.Network(dt=0.1, seed=seed, label="synfire")
    rng = np.random.default_rng(seed)
    times = np.round(10.0 + rng.normal(0.0, 0.5, 50), 1)
    pulse = net.add_source(hub.SpikeTimes([[t] for t in times]), size=50, label="pulse")
    model = hub.LIF(
        synapse="exp",
        cm=0.25,
        tau_m=10.0,
        tau_syn_E=0.5,
        tau_syn_I=0.5,
        v_rest=-70.0,
        v_reset=-70.0,
        v_thresh=-55.0,
        tau_refrac=2.0,
    )
    groups = [net.add_population(group_size, model, label=f"g{k}") for k in range(n_groups)]
    for g in groups:
        g.initialize(v=hub.Uniform(-70.0, -66.0))
    net.connect(
        pulse, groups[0], hub.AllToAll(), hub.Static(weight=weight, delay=1.0), label="pulse->g0"
    )
    for k in range(1, n_groups):
        net.connect(
            groups[k - 1],
            groups[k],
            hub.AllToAll(),
            hub.Static(weight=weight, delay=5.0),
            label=f"g{k - 1}->g{k}",
        )
    for g in groups:
        net.record(g, "spikes")
    return net

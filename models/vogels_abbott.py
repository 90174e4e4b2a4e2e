"""Vogels & Abbott (2005) network as benchmarks 1 (COBA) and 2 (CUBA) of Brette et al. (2007).

4000 LIF neurons (3200 excitatory, 800 inhibitory), random connectivity p = 0.02 (autapses
allowed), no external input: the activity is self-sustained from random initial values.

CUBA (``variant="cuba"``, the default): current-based exponential synapses, E_L = -49 mV
(above threshold), tau_e = 5 ms, tau_i = 10 ms, weights 1.62 mV and -9 mV expressed as
current steps 16.2 pA and -90 pA into C_m = 200 pF; v ~ U(V_reset, V_th); exact integration.

COBA (``variant="coba"``): conductance-based exponential synapses, E_L = -60 mV,
E_e = 0 mV, E_i = -80 mV, weights 6 nS and 67 nS; v ~ N(-65, 5) mV, g_e ~ N(4, 1.5) g_L,
g_i ~ N(20, 12) g_L, with g_L = 10 nS.

Common: C_m = 200 pF, tau_m = 20 ms, V_th = -50 mV, V_reset = -60 mV, tau_ref = 5 ms,
dt = 0.1 ms, delay = dt (the Brian script has no delay; the contract's minimum is one step).
Sources: Brette et al. 2007 (J Comput Neurosci 23:349), benchmarks 1 (COBA) and 2 (CUBA), the
Vogels & Abbott 2005 network; Brian2's examples/CUBA.py.
"""

import hub

DURATION = 1000.0  # ms


def build(variant: str = "cuba", scale: float = 1.0, seed: int = 12345) -> hub.Network:
    n_exc, n_inh = int(3200 * scale), int(800 * scale)
    net = hub.Network(dt=0.1, seed=seed, label=f"vogels_abbott_{variant}")
    common = dict(
        cm=0.2,
        tau_m=20.0,
        v_thresh=-50.0,
        v_reset=-60.0,
        tau_refrac=5.0,
        tau_syn_E=5.0,
        tau_syn_I=10.0,
    )
    if variant == "cuba":
        model = hub.LIF(synapse="exp", v_rest=-49.0, **common)
        w_exc, w_inh = 0.0162, -0.09  # nA
    elif variant == "coba":
        model = hub.LIFCond(synapse="exp", v_rest=-60.0, e_rev_E=0.0, e_rev_I=-80.0, **common)
        w_exc, w_inh = 0.006, 0.067  # uS
    else:
        raise hub.HubError(f"variant: {variant!r} is not 'cuba' or 'coba'")
    exc = net.add_population(n_exc, model, label="exc")
    inh = net.add_population(n_inh, model, label="inh")
    for pop in (exc, inh):
        if variant == "cuba":
            pop.initialize(v=hub.Uniform(-60.0, -50.0))
        else:
            pop.initialize(
                v=hub.Normal(-65.0, 5.0),
                gsyn_exc=hub.Normal(0.04, 0.015),
                gsyn_inh=hub.Normal(0.2, 0.12),
            )
    for pre, w, receptor in ((exc, w_exc, "excitatory"), (inh, w_inh, "inhibitory")):
        for post in (exc, inh):
            net.connect(
                pre,
                post,
                hub.FixedProbability(0.02),
                hub.Static(weight=w, delay=0.1, receptor=receptor),
                label=f"{pre.label}->{post.label}",
            )
    net.record(exc, "spikes")
    net.record(inh, "spikes")
    return net

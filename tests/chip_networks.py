"""Networks for the chip-vs-NEST agreement tests (exponential-synapse LIF only: the chip
runs LIF with exp and delta synapses)."""
import math

import numpy as np

import hub


def brunel_exp(scale: float = 0.1, g: float = 5.0, eta: float = 2.0, seed: int = 1):
    """Brunel (2000) model A as models/brunel.py, with exponential PSCs (tau_syn 0.5 ms)
    scaled to the same 0.1 mV peak PSP; nu_th uses the exp kernel's charge J tau_syn."""
    order = max(1, int(round(2500 * scale)))
    n_exc, n_inh = 4 * order, order
    c_e, c_i = max(1, n_exc // 10), max(1, n_inh // 10)
    tau_m, c_m, tau_s, theta = 20.0, 250.0, 0.5, 20.0
    # peak of the PSP of a 1 pA exponential PSC (closed form)
    t_peak = math.log(tau_m / tau_s) * tau_s * tau_m / (tau_m - tau_s)
    peak = tau_s * tau_m / (c_m * (tau_m - tau_s)) * (math.exp(-t_peak / tau_m)
                                                        - math.exp(-t_peak / tau_s))
    j_ex = 0.1 / peak * 1e-3                       # nA
    nu_th = theta * c_m / (j_ex * 1e3 * c_e * tau_m * tau_s)
    rate = 1000.0 * eta * nu_th * c_e
    net = hub.Network(dt=0.1, seed=seed, label=f"brunel_exp_{scale}")
    model = hub.LIF(synapse="exp", cm=c_m * 1e-3, tau_m=tau_m, tau_syn_E=tau_s, tau_syn_I=tau_s,
                    tau_refrac=2.0, v_rest=0.0, v_reset=0.0, v_thresh=theta)
    exc = net.add_population(n_exc, model, label="exc")
    inh = net.add_population(n_inh, model, label="inh")
    noise = net.add_source(hub.PoissonSource(rate=rate), size=n_exc + n_inh, label="noise")
    net.connect(noise, exc, hub.FromArrays(np.arange(n_exc), np.arange(n_exc)),
                hub.Static(weight=j_ex, delay=1.5))
    net.connect(noise, inh, hub.FromArrays(np.arange(n_exc, n_exc + n_inh), np.arange(n_inh)),
                hub.Static(weight=j_ex, delay=1.5))
    for pre, c, w, rec in ((exc, c_e, j_ex, "excitatory"), (inh, c_i, -g * j_ex, "inhibitory")):
        for post in (exc, inh):
            net.connect(pre, post, hub.FixedInDegree(c, with_replacement=True),
                        hub.Static(weight=w, delay=1.5, receptor=rec),
                        label=f"{pre.label}->{post.label}")
    net.record(exc, "spikes")
    net.record(inh, "spikes")
    return net


def feedforward_exp(seed: int = 3, rate: float = 8.0, sizes=(300, 200)):
    """Sparse Poisson input -> LIF layers with exponential synapses (tau_syn_E 2 ms,
    tau_syn_I 4 ms), delays 1-3 ms: every spike is driven by few, well separated inputs."""
    net = hub.Network(dt=0.1, seed=seed, label="feedforward_exp")
    prev = net.add_source(hub.PoissonSource(rate=rate), size=400, label="input")
    model = hub.LIF(synapse="exp", cm=0.25, tau_m=15.0, tau_syn_E=2.0, tau_syn_I=4.0,
                    v_rest=-65.0, v_reset=-68.0, v_thresh=-55.0, tau_refrac=2.0)
    for k, n in enumerate(sizes):
        layer = net.add_population(n, model, label=f"layer{k + 1}")
        layer.initialize(v=hub.Uniform(-65.0, -58.0))
        net.connect(prev, layer, hub.FixedProbability(0.08),
                    hub.Static(weight=hub.Uniform(0.3, 0.8), delay=hub.Uniform(1.0, 3.0)),
                    label=f"exc->{layer.label}")
        net.connect(prev, layer, hub.FixedProbability(0.02),
                    hub.Static(weight=-0.4, delay=2.0, receptor="inhibitory"),
                    label=f"inh->{layer.label}")
        net.record(layer, "spikes")
        prev = layer
    return net

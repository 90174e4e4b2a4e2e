"""The BCM rule (Bienenstock, Cooper & Munro 1982) written as statements (docs/learning.md).

Rate-based BCM, dw/dt = eta x nu (nu - theta), with the sliding threshold
theta = nubar^2 / nu0 (their theta_M = (cbar/c0)^p cbar with p = 1), made spike-based: at each
presynaptic spike (x dt is a spike)

    w <- clip(w + eta (nu/nu0) (nu/nu0 - (nubar/nu0)^2), 0, w_max)

where nu = y / tau_y is the postsynaptic rate estimated by a trace of time constant tau_y
and nubar = z / tau_theta the slow average rate (a trace of time constant tau_theta).  eta is
in the weight unit (the rates are measured in units of nu0).  Synapses from inputs that fire
while the neuron is above threshold grow, the others shrink, and the threshold follows the
neuron's own average rate.

Network: 20 LIF neurons, each driven by 100 Poisson inputs, half at 20 Hz and half at 5 Hz,
50 % connectivity; 5 s.

    snn-hub run models/bcm.py -b brian2
"""

import hub

DURATION = 5000.0  # ms

BCM = hub.define_rule(
    "bcm",
    {
        "eta": "0.002 weight",
        "nu0": "10 Hz",
        "tau_y": "100 ms",
        "tau_theta": "1000 ms",
        "w_max": "0.5 weight",
    },
    post_traces={"y": "tau_y", "z": "tau_theta"},
    on_pre="w = clip(w + eta * (y/tau_y/nu0) * (y/tau_y/nu0 - (z/tau_theta/nu0)**2), 0, w_max)",
)


def build(n: int = 20, seed: int = 3, eta: float = 0.002, neuron=None):
    """The network; ``neuron`` replaces the LIF model of the output neurons (e.g. a LIF
    written as equations, which NEST needs for a rule written as statements)."""
    net = hub.Network(dt=0.1, seed=seed, label="bcm")
    fast = net.add_source(hub.PoissonSource(rate=20.0), size=50, label="fast")
    slow = net.add_source(hub.PoissonSource(rate=5.0), size=50, label="slow")
    model = neuron if neuron is not None else hub.LIF(tau_refrac=2.0, i_offset=0.2)
    out = net.add_population(n, model, label="out")
    for src in (fast, slow):
        net.connect(
            src,
            out,
            hub.FixedProbability(0.5),
            hub.Plastic(BCM(eta=eta), weight=0.2, delay=1.0),
            label=f"{src.label}->out",
        )
    net.record(out, "spikes")
    net.record(fast, "spikes")
    net.record(slow, "spikes")
    return net

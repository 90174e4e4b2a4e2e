"""A feedforward multi-layer network: Poisson input -> three LIF layers (alpha current
synapses), each layer excited by the previous one with p = 0.1 and inhibited by a local
inhibitory pool (one-to-one feedback is avoided: inhibition comes from the previous layer's
inhibitory cells).  Shows fan-in, delays and mixed receptors on a small budget.
"""

import hub

DURATION = 500.0  # ms


def build(
    sizes=(400, 200, 100), n_input: int = 200, rate: float = 15.0, seed: int = 3
) -> hub.Network:
    net = hub.Network(dt=0.1, seed=seed, label="feedforward")
    prev = net.add_source(hub.PoissonSource(rate=rate), size=n_input, label="input")
    model = hub.LIF(
        synapse="alpha",
        cm=0.25,
        tau_m=15.0,
        tau_syn_E=1.0,
        tau_syn_I=2.0,
        v_rest=-65.0,
        v_reset=-68.0,
        v_thresh=-52.0,
        tau_refrac=2.0,
    )
    for k, n in enumerate(sizes):
        layer = net.add_population(n, model, label=f"layer{k + 1}")
        layer.initialize(v=hub.Uniform(-65.0, -55.0))
        net.connect(
            prev,
            layer,
            hub.FixedProbability(0.1),
            hub.Static(weight=hub.Uniform(0.2, 0.4), delay=hub.Uniform(1.0, 3.0)),
            label=f"exc->{layer.label}",
        )
        net.connect(
            prev,
            layer,
            hub.FixedProbability(0.03),
            hub.Static(weight=-0.4, delay=2.0, receptor="inhibitory"),
            label=f"inh->{layer.label}",
        )
        net.record(layer, "spikes")
        prev = layer
    return net

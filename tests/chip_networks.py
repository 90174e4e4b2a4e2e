"""Networks for the chip-vs-NEST agreement tests (exponential-synapse LIF only: the chip
runs LIF with exp and delta synapses)."""

import hub


def feedforward_exp(seed: int = 3, rate: float = 8.0, sizes=(300, 200)):
    """Sparse Poisson input -> LIF layers with exponential synapses (tau_syn_E 2 ms,
    tau_syn_I 4 ms), delays 1-3 ms: every spike is driven by few, well separated inputs."""
    net = hub.Network(dt=0.1, seed=seed, label="feedforward_exp")
    prev = net.add_source(hub.PoissonSource(rate=rate), size=400, label="input")
    model = hub.LIF(
        synapse="exp",
        cm=0.25,
        tau_m=15.0,
        tau_syn_E=2.0,
        tau_syn_I=4.0,
        v_rest=-65.0,
        v_reset=-68.0,
        v_thresh=-55.0,
        tau_refrac=2.0,
    )
    for k, n in enumerate(sizes):
        layer = net.add_population(n, model, label=f"layer{k + 1}")
        layer.initialize(v=hub.Uniform(-65.0, -58.0))
        net.connect(
            prev,
            layer,
            hub.FixedProbability(0.08),
            hub.Static(weight=hub.Uniform(0.3, 0.8), delay=hub.Uniform(1.0, 3.0)),
            label=f"exc->{layer.label}",
        )
        net.connect(
            prev,
            layer,
            hub.FixedProbability(0.02),
            hub.Static(weight=-0.4, delay=2.0, receptor="inhibitory"),
            label=f"inh->{layer.label}",
        )
        net.record(layer, "spikes")
        prev = layer
    return net

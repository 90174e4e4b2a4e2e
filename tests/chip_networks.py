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


def readme_example(seed: int = 42, rate: float = 20.0):
    """The README's example: 100 Poisson sources -> 800 LIF (exp synapses, tau_syn_E 5 ms),
    FixedProbability(0.1), 0.5 nA, delay 1.5 ms; purely feedforward and fluctuation-driven
    (mean V about 8 mV above the reset, 7 mV below the threshold)."""
    net = hub.Network(dt=0.1, seed=seed, label="readme_example")
    exc = net.add_population(
        800, hub.LIF(tau_m=20.0, v_thresh=-50.0, v_reset=-65.0, tau_syn_E=5.0), label="exc"
    )
    inp = net.add_source(hub.PoissonSource(rate=rate), size=100, label="input")
    net.connect(inp, exc, hub.FixedProbability(0.1), hub.Static(weight=0.5, delay=1.5))
    net.record(exc, "spikes")
    return net


def fluctuation_ei(seed: int = 42, rate: float = 20.0):
    """A fluctuation-driven E/I network: 800 excitatory + 200 inhibitory LIF (exp synapses,
    tau_syn_E 5 ms, tau_syn_I 10 ms: each neuron has an inhibitory auxiliary compartment),
    100 Poisson sources at ``rate`` Hz (p = 0.1, 0.6 nA), E -> all 0.05 nA, I -> all
    -0.2 nA (p = 0.1, delays 1.5 ms).  The mean drive keeps V a few mV below the threshold
    (NEST, seed 42: mean V of the excitatory cells -58.1 mV, threshold -50 mV); spikes come
    from the fluctuations (CV of ISI about 0.65)."""
    net = hub.Network(dt=0.1, seed=seed, label="fluctuation_ei")
    model = hub.LIF(tau_m=20.0, v_thresh=-50.0, v_reset=-65.0, tau_syn_E=5.0, tau_syn_I=10.0)
    exc = net.add_population(800, model, label="exc")
    inh = net.add_population(200, model, label="inh")
    inp = net.add_source(hub.PoissonSource(rate=rate), size=100, label="input")
    for post in (exc, inh):
        net.connect(inp, post, hub.FixedProbability(0.1), hub.Static(weight=0.6, delay=1.5))
        net.connect(exc, post, hub.FixedProbability(0.1), hub.Static(weight=0.05, delay=1.5))
        net.connect(
            inh,
            post,
            hub.FixedProbability(0.1),
            hub.Static(weight=-0.2, delay=1.5, receptor="inhibitory"),
        )
    net.record(exc, "spikes")
    net.record(inh, "spikes")
    return net

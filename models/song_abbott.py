"""Song, Miller and Abbott (2000): one neuron, 1000 Poisson inputs, additive STDP.

A LIF neuron (current synapses; the paper's is conductance-based) receives 1000 excitatory
Poisson inputs at 10 Hz through additive all-to-all STDP (A_minus / A_plus = 1.05,
tau_plus = tau_minus = 20 ms) and 200 inhibitory inputs through static synapses.  Starting
from uniform weights, competition between the inputs drives the weights towards the bounds:
the distribution becomes bimodal (most weights near 0, a group near w_max) and the output
rate falls from about 35 Hz to a fluctuation-driven regime.  Runs on NEST, Brian2 and the
chip (whose learning engine runs this rule).

``python models/song_abbott.py [duration_ms] [backend]`` writes the figure
docs/figures/song_abbott.png (docs/learning.md shows the 200 s NEST run).
"""

import sys

import hub

DURATION = 2000.0  # ms (the demo); the bimodal distribution needs minutes: see the docstring


def build(
    n_exc: int = 1000,
    n_inh: int = 200,
    rate: float = 10.0,
    w_max: float = 0.1,
    w_inh: float = -0.15,
    A_plus: float = 0.01,
    ratio: float = 1.05,
    seed: int = 1,
    record_every: float = 1000.0,
    n_neurons: int = 1,
) -> hub.Network:
    """``n_neurons`` > 1 gives that many independent copies of the neuron, each receiving
    every input through its own plastic synapses (the STDP benchmark: 100 neurons, 100,000
    plastic synapses)."""
    net = hub.Network(dt=0.1, seed=seed, label="song_abbott")
    exc = net.add_source(hub.PoissonSource(rate=rate), size=n_exc, label="exc_input")
    inh = net.add_source(hub.PoissonSource(rate=10.0), size=n_inh, label="inh_input")
    cell = net.add_population(
        n_neurons,
        hub.LIF(
            synapse="exp",
            tau_m=20.0,
            cm=1.0,
            v_rest=-70.0,
            v_reset=-60.0,
            v_thresh=-54.0,
            tau_syn_E=5.0,
            tau_syn_I=5.0,
            tau_refrac=1.0,
        ),
        label="neuron",
    )
    rule = hub.STDP(
        tau_plus=20.0, tau_minus=20.0, A_plus=A_plus, A_minus=A_plus * ratio, w_max=w_max
    )
    plastic = net.connect(
        exc,
        cell,
        hub.AllToAll(),
        hub.Plastic(rule, hub.Uniform(0.0, w_max), delay=1.0),
        label="plastic",
    )
    net.connect(
        inh, cell, hub.AllToAll(), hub.Static(w_inh, 1.0, receptor="inhibitory"), label="inhibition"
    )
    net.record(cell, "spikes")
    net.record(plastic, "weight", interval=record_every)
    return net


def figure(res, path, w_max=0.1):
    """Initial and final weight histograms and the output rate over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    sig = res.synapse_signal("plastic")
    spikes = res.spike_trains["neuron"].times
    dur = res.provenance["duration"]
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    bins = np.linspace(0, w_max, 21)
    ax[0].hist(sig.values[0], bins, alpha=0.5, label=f"t = {sig.times[0] / 1000:g} s")
    ax[0].hist(res.weights("plastic"), bins, alpha=0.7, label=f"t = {dur / 1000:g} s")
    ax[0].set(xlabel="weight (nA)", ylabel="synapses", title=f"Song et al. 2000 on {res.backend}")
    ax[0].legend()
    edges = np.arange(0, dur + 1, 2000.0)
    ax[1].plot(edges[1:] / 1000, np.histogram(spikes, edges)[0] / 2.0)
    ax[1].set(xlabel="time (s)", ylabel="output rate (Hz)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    duration = float(sys.argv[1]) if len(sys.argv) > 1 else 200000.0
    backend = sys.argv[2] if len(sys.argv) > 2 else "nest"
    result = hub.run(build(), backend=backend, duration=duration)
    figure(result, "docs/figures/song_abbott.png")
    print(result.summary(), result.timings)

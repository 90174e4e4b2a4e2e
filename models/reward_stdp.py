"""Reward-modulated STDP (Izhikevich 2007; NEST ``stdp_dopamine_synapse``): a small network
learns to prefer the input pattern that is followed by reward.

Two groups of 40 Poisson inputs, A and B, take turns (each active for 100 ms at 30 Hz, with
100 ms of silence after it).  Ten LIF output neurons receive both groups through
``DopamineSTDP`` synapses that start equal.  A dopamine population fires a burst 50 ms after
every presentation of A, never after B.  Pairings of both groups leave an eligibility trace,
but only A's meet dopamine while it lasts; with a baseline b > 0 the unrewarded eligibility
of B slowly depresses.  The output ends up answering A more than B.

``build()`` is the demo (the first 20 presentations); ``python models/reward_stdp.py
[backend] [presentations] [figure.png]`` runs the experiment and prints the output's spikes
per presentation of A and of B at the start and at the end (docs/learning.md).  Runs on the
backends that run ``DopamineSTDP`` (NEST, Brian2).
"""

import sys

import numpy as np

import hub

ON, OFF = 100.0, 300.0
DURATION = 20 * (ON + OFF)


def schedule(presentations: int, n: int = 40, rate: float = 30.0, seed: int = 5):
    """Spike times of A (neurons 0..n-1) and B (n..2n-1), alternating A, B, A, ...; the
    dopamine burst times; and each presentation's (pattern, start, stop)."""
    rng = np.random.default_rng(seed)
    times = [[] for _ in range(2 * n)]
    dopamine, windows = [], []
    for k in range(presentations):
        start, pattern = k * (ON + OFF), k % 2
        for i in range(pattern * n, (pattern + 1) * n):
            t = np.cumsum(rng.exponential(1000.0 / rate, 20))
            times[i] += list(np.round(start + 0.1 + t[t < ON - 0.1], 1))
        if pattern == 0:
            dopamine.append(start + ON + 20.0)
        windows.append((pattern, start, start + ON))
    return times, dopamine, windows


def build(
    presentations: int = 20,
    n_out: int = 10,
    w0: float = 0.1,
    seed: int = 5,
    b: float = 0.012,
    A_plus: float = 0.004,
) -> hub.Network:
    times, dopamine, windows = schedule(presentations, seed=seed)
    net = hub.Network(dt=0.1, seed=seed, label="reward_stdp", metadata={"windows": windows})
    inputs = net.add_source(hub.SpikeTimes(times), size=len(times), label="inputs")
    burst = [[t + 0.1 * j for j in range(5)] for t in dopamine]
    net.add_source(hub.SpikeTimes([sorted(sum(burst, []))] * 5), size=5, label="dopamine")
    out = net.add_population(
        n_out,
        hub.LIF(synapse="exp", tau_m=20.0, tau_syn_E=5.0, tau_refrac=2.0, v_thresh=-52.0),
        label="output",
    )
    rule = hub.DopamineSTDP(
        modulator="dopamine",
        modulator_delay=1.0,
        A_plus=A_plus,
        A_minus=1.05 * A_plus,
        tau_plus=20.0,
        tau_minus=20.0,
        tau_c=200.0,
        tau_n=20.0,
        b=b,
        w_min=0.0,
        w_max=1.0,
    )
    proj = net.connect(inputs, out, hub.AllToAll(), hub.Plastic(rule, w0, 1.0), label="plastic")
    net.record(out, "spikes")
    net.record(proj, "weight", interval=ON + OFF)
    return net


def preference(res, net, first: int = 10):
    """Mean output spikes per presentation of A and of B, over the first and the last
    ``first`` presentations of each."""
    spikes = res.spikes("output")
    counts = {0: [], 1: []}
    for pattern, a, b in net.metadata["windows"]:
        counts[pattern].append(int(np.count_nonzero((spikes.times > a) & (spikes.times <= b))))
    return {
        "A_start": float(np.mean(counts[0][:first])),
        "B_start": float(np.mean(counts[1][:first])),
        "A_end": float(np.mean(counts[0][-first:])),
        "B_end": float(np.mean(counts[1][-first:])),
    }


def experiment(backend: str = "nest", presentations: int = 400, **options):
    net = build(presentations)
    res = hub.run(net, backend=backend, duration=presentations * (ON + OFF), **options)
    w = res.weights("plastic").reshape(80, -1)
    return {
        "backend": backend,
        **preference(res, net),
        "mean_weight_A": float(w[:40].mean()),
        "mean_weight_B": float(w[40:].mean()),
        "run_s": res.timings.get("run_s"),
    }, res


def figure(res, net, path):
    """Output spikes per presentation of A and of B, and the mean weights of A and B."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spikes = res.spikes("output")
    counts = {0: [], 1: []}
    for pattern, a, b in net.metadata["windows"]:
        counts[pattern].append(int(np.count_nonzero((spikes.times > a) & (spikes.times <= b))))
    sig = res.synapse_signal("plastic")
    w = sig.values.reshape(len(sig.times), 80, -1)
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.4))
    ax[0].plot(counts[0], label="A (rewarded)")
    ax[0].plot(counts[1], label="B")
    ax[0].set(
        xlabel="presentation of each pattern",
        ylabel="output spikes",
        title=f"reward-modulated STDP on {res.backend}",
    )
    ax[0].legend()
    ax[1].plot(sig.times / 1000, w[:, :40].mean(axis=(1, 2)), label="from A")
    ax[1].plot(sig.times / 1000, w[:, 40:].mean(axis=(1, 2)), label="from B")
    ax[1].set(xlabel="time (s)", ylabel="mean weight (nA)")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    args = sys.argv[1:]
    backend = args[0] if args else "nest"
    n = int(args[1]) if len(args) > 1 else 400
    summary, result = experiment(backend, n)
    print(summary)
    if len(args) > 2:
        figure(result, build(n), args[2])

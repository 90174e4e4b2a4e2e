"""ReSuMe, the Remote Supervised Method (Ponulak & Kasinski 2010, Neural Computation 22,
467-510), written as statements (docs/learning.md).

    dw/dt = [S_d(t) - S_o(t)] [a + integral of W(s) S_in(t - s) ds],  W(s) = A exp(-s/tau)

S_d is the teacher's (desired) spike train of the output neuron, S_o its own, S_in the input's.
As events: at each teacher spike w += a + A x, at each output spike w -= a + A x, with x the
presynaptic trace of time constant tau; w stays within [0, w_max].  The output neuron learns
to fire at the teacher's times.

Network: 4 output LIF neurons, 100 inputs replaying one frozen 200 ms pattern (Poisson, 10 Hz)
30 times, and a teacher that asks each output neuron for 4 spikes per period (a = 0: the
Hebbian term alone).  Measured on Brian2 (``hits``): silent in the first period, 16-17
output spikes per period (16 asked for) and about half the teacher's spikes reproduced
within 2 ms in the last ones.

    snn-hub run models/resume.py -b brian2
"""

import numpy as np

import hub

PERIOD = 200.0  # ms
REPEATS = 30
DURATION = PERIOD * REPEATS

RESUME = hub.define_rule(
    "resume",
    {"a": "0 weight", "A": "0.02 weight", "tau": "15 ms", "w_max": "1 weight"},
    pre_traces={"x": "tau"},
    on_teacher="w = clip(w + a + A * x, 0, w_max)",
    on_post="w = clip(w - (a + A * x), 0, w_max)",
)


def pattern(n: int, rate: float, seed: int) -> list[np.ndarray]:
    """``n`` frozen Poisson trains over one period (ms, on the 0.1 ms grid), repeated."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        times = np.sort(rng.uniform(1.0, PERIOD - 1.0, rng.poisson(rate * PERIOD / 1000.0)))
        times = np.unique(np.round(times, 1))
        out.append(np.concatenate([times + k * PERIOD for k in range(REPEATS)]))
    return out


def build(n_out: int = 4, n_in: int = 100, seed: int = 5):
    net = hub.Network(dt=0.1, seed=seed, label="resume")
    inputs = net.add_source(hub.SpikeTimes(pattern(n_in, 10.0, seed)), size=n_in, label="in")
    rng = np.random.default_rng(seed + 1)
    wanted = [
        np.sort(rng.choice(np.arange(20.0, PERIOD - 10.0, 10.0), 4, False)) for _ in range(n_out)
    ]
    teacher_times = [np.concatenate([w + k * PERIOD for k in range(REPEATS)]) for w in wanted]
    teacher = net.add_source(hub.SpikeTimes(teacher_times), size=n_out, label="teacher")
    out = net.add_population(n_out, hub.LIF(tau_refrac=2.0), label="out")
    net.connect(
        inputs,
        out,
        hub.AllToAll(),
        hub.Plastic(RESUME(teacher=teacher), weight=hub.Uniform(0.0, 0.2), delay=1.0),
        label="in->out",
    )
    net.record(out, "spikes")
    net.record(teacher, "spikes")
    return net


def hits(results, tolerance_ms: float = 2.0) -> list[tuple[float, int]]:
    """Per period: (the fraction of teacher spikes with an output spike of the same neuron
    within ``tolerance_ms``, the number of output spikes)."""
    out, teach = results.spike_trains["out"], results.spike_trains["teacher"]
    tol, period = round(tolerance_ms / out.dt), round(PERIOD / out.dt)
    scores = []
    for k in range(REPEATS):
        hit = n_teach = n_out = 0
        for j in range(out.size):
            o = out.stamps[(out.indices == j) & (out.stamps > k * period)]
            o = o[o <= (k + 1) * period]
            t = teach.stamps[(teach.indices == j) & (teach.stamps > k * period)]
            t = t[t <= (k + 1) * period]
            hit += sum(bool(np.any(np.abs(o - s) <= tol)) for s in t)
            n_teach, n_out = n_teach + len(t), n_out + len(o)
        scores.append((hit / n_teach, n_out))
    return scores

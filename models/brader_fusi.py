"""The spike-driven rule of Brader, Senn & Fusi (2007, Neural Computation 19, 2881-2912),
a voltage-based rule with calcium stop-learning, written as statements (docs/learning.md).

At each presynaptic spike the synaptic variable X jumps up by a if the postsynaptic membrane
potential is above theta_v and the postsynaptic calcium C is inside (c_up_lo, c_up_hi), and
down by b if V is below theta_v and C is inside (c_down_lo, c_down_hi); between spikes X
drifts to its nearest stable state, up at rate alpha above theta_x and down at rate beta below
it, within [0, w_max].  C is the calcium trace: J_c per postsynaptic spike, decaying with
tau_c.  Here X is the transmitted weight itself (the paper transmits J_max or J_min by X's
side of theta_x); the drift since the previous presynaptic spike is applied when the next
one arrives, exactly, since drift never crosses theta_x.

Network: 10 LIF neurons driven by 60 Poisson inputs, 30 at 30 Hz and 30 at 5 Hz, every
weight starting at theta_x; 3 s.  Measured on Brian2: the neurons fire at about 26 Hz, and
60 % of the synapses from the 30 Hz inputs end above theta_x against 47 % of the 5 Hz ones.
NEST (built from source, with NESTML: the LIF neurons run as their twin written as equations)
learns the same weights:

    snn-hub run models/brader_fusi.py -b brian2
    snn-hub compare models/brader_fusi.py -b nest,brian2
"""

import hub

DURATION = 3000.0  # ms

BRADER_FUSI = hub.define_rule(
    "brader_fusi",
    {
        "a": "0.01 weight",
        "b": "0.01 weight",
        "alpha": "0.0001 weight",  # per ms
        "beta": "0.0001 weight",
        "theta_x": "0.1 weight",
        "w_max": "0.2 weight",
        "theta_v": "-55 mV",
        "tau_c": "60 ms",
        "J_c": 1.0,
        "c_up_lo": 0.5,
        "c_up_hi": 4.0,
        "c_down_lo": 0.5,
        "c_down_hi": 3.0,
    },
    post_traces={"calcium": "tau_c"},
    post_state={"v": "mV"},
    on_pre="""
    drift = step(w - theta_x) * alpha * dt_pre / ms - step(theta_x - w) * beta * dt_pre / ms
    w = clip(w + drift, 0, w_max)
    c = J_c * calcium
    up = step(v_post - theta_v) * step(c - c_up_lo) * step(c_up_hi - c)
    down = step(theta_v - v_post) * step(c - c_down_lo) * step(c_down_hi - c)
    w = clip(w + a * up - b * down, 0, w_max)
    """,
)


def build(n: int = 10, seed: int = 7):
    net = hub.Network(dt=0.1, seed=seed, label="brader_fusi")
    fast = net.add_source(hub.PoissonSource(rate=30.0), size=30, label="fast")
    slow = net.add_source(hub.PoissonSource(rate=5.0), size=30, label="slow")
    out = net.add_population(n, hub.LIF(tau_refrac=2.0, i_offset=0.3), label="out")
    for src in (fast, slow):
        net.connect(
            src,
            out,
            hub.AllToAll(),
            hub.Plastic(BRADER_FUSI(), weight=0.1, delay=1.0),
            label=f"{src.label}->out",
        )
    net.record(out, "spikes", "v")  # v every step: the reference reads it
    return net

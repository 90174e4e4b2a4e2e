"""Brunel (2000) balanced random network, model A with alpha PSCs, as NEST's
``pynest/examples/brunel_alpha_nest.py``, scalable.

N_E = 4 * order, N_I = order (order = 2500 * scale), fixed in-degree C_E = 0.1 N_E,
C_I = 0.1 N_I (multapses allowed); LIF with alpha current synapses: C_m = 250 pF,
tau_m = 20 ms, tau_syn = 0.5 ms, t_ref = 2 ms, E_L = V_reset = 0 mV, V_th = 20 mV.
J = 0.1 mV peak PSP -> J_ex = J / PSP(1 pA) = 20.68 pA, J_in = -g J_ex with g = 5;
delay 1.5 ms.  External drive: one Poisson source per neuron at
nu_ext = eta nu_th C_E with eta = 2, nu_th = theta C_m / (J_ex C_E e tau_m tau_syn),
drawn in the hub (so the spikes are identical on every backend); ``poisson="native"`` lets
each backend draw them itself (``PoissonSource(resolve="native")``: NEST's
``poisson_generator``, Brian2's ``PoissonInput``, the chip's own generator), statistically
equivalent only, and the way to run scale 1 (222 million hub-drawn events per second).

``synapse="exp"`` gives the same network with exponential PSCs (tau_syn = 0.5 ms) scaled to
the same 0.1 mV peak PSP, with nu_th from the exp kernel's charge J tau_syn: the variant
the chip backend runs.
"""

import math

import numpy as np

import hub

DURATION = 200.0  # ms


def psp_peak_per_pa(tau_m=20.0, c_m=250.0, tau_syn=0.5, synapse="alpha") -> float:
    """Peak PSP (mV) of a 1 pA PSC of either kernel: exp closed form, alpha by Newton on V'."""
    if synapse == "exp":
        t_peak = math.log(tau_m / tau_syn) * tau_syn * tau_m / (tau_m - tau_syn)
        return (
            tau_syn
            * tau_m
            / (c_m * (tau_m - tau_syn))
            * (math.exp(-t_peak / tau_m) - math.exp(-t_peak / tau_syn))
        )
    a, b = 1.0 / tau_syn, 1.0 / tau_m

    def v(t):
        return (
            math.e
            / (tau_syn * c_m * (a - b))
            * ((math.exp(-b * t) - math.exp(-a * t)) / (a - b) - t * math.exp(-a * t))
        )

    ts = np.linspace(1e-6, 10 * tau_syn + tau_m, 2001)
    t = ts[int(np.argmax([v(x) for x in ts]))]
    h = 1e-6
    for _ in range(50):  # Newton on the derivative
        d1 = (v(t + h) - v(t - h)) / (2 * h)
        d2 = (v(t + h) - 2 * v(t) + v(t - h)) / h**2
        t -= d1 / d2
    return v(t)


def build(
    scale: float = 0.1,
    g: float = 5.0,
    eta: float = 2.0,
    seed: int = 1,
    synapse: str = "alpha",
    poisson: str = "hub",
) -> hub.Network:
    order = max(1, int(round(2500 * scale)))
    n_exc, n_inh = 4 * order, order
    c_e, c_i = max(1, n_exc // 10), max(1, n_inh // 10)
    tau_m, c_m, tau_syn, theta = 20.0, 250.0, 0.5, 20.0
    j_ex = 0.1 / psp_peak_per_pa(tau_m, c_m, tau_syn, synapse) * 1e-3  # nA
    j_in = -g * j_ex
    charge = math.e * tau_syn if synapse == "alpha" else tau_syn  # integral of a unit PSC
    nu_th = theta * c_m / (j_ex * 1e3 * c_e * charge * tau_m)  # 1/ms
    p_rate = 1000.0 * eta * nu_th * c_e  # Hz
    net = hub.Network(dt=0.1, seed=seed, label=f"brunel_{synapse}_scale{scale}")
    model = hub.LIF(
        synapse=synapse,
        cm=c_m * 1e-3,
        tau_m=tau_m,
        tau_syn_E=tau_syn,
        tau_syn_I=tau_syn,
        tau_refrac=2.0,
        v_rest=0.0,
        v_reset=0.0,
        v_thresh=theta,
    )
    exc = net.add_population(n_exc, model, label="exc")
    inh = net.add_population(n_inh, model, label="inh")
    noise = net.add_source(
        hub.PoissonSource(rate=p_rate, resolve=poisson), size=n_exc + n_inh, label="noise"
    )
    net.connect(
        noise,
        exc,
        hub.FromArrays(np.arange(n_exc), np.arange(n_exc)),
        hub.Static(weight=j_ex, delay=1.5),
        label="noise->exc",
    )
    net.connect(
        noise,
        inh,
        hub.FromArrays(np.arange(n_exc, n_exc + n_inh), np.arange(n_inh)),
        hub.Static(weight=j_ex, delay=1.5),
        label="noise->inh",
    )
    for pre, c, w, rec in ((exc, c_e, j_ex, "excitatory"), (inh, c_i, j_in, "inhibitory")):
        for post in (exc, inh):
            net.connect(
                pre,
                post,
                hub.FixedInDegree(c, with_replacement=True),
                hub.Static(weight=w, delay=1.5, receptor=rec),
                label=f"{pre.label}->{post.label}",
            )
    net.record(exc, "spikes")
    net.record(inh, "spikes")
    return net

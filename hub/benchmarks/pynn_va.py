"""The Vogels-Abbott benchmark written in PyNN, for any PyNN simulator module.

    import hub.pynn as sim                       # or pyNN.nest, pyNN.brian2
    sim.setup(timestep=DT, min_delay=DELAY)
    net = build(sim, rng_seed=98765)             # scale=0.25: a quarter of the neurons
    sim.run(DURATION)

Benchmark 1 (COBA, ``variant="coba"``) of Brette et al. 2007 (J Comput Neurosci 23:349) in the
variant PyNN runs: 4000 ``IF_cond_exp`` neurons (3200 excitatory, 800 inhibitory), a
``FixedProbabilityConnector`` with p = 0.02 between and within both (autapses allowed),
tau_m 20 ms, cm 0.2 nF (1 uF/cm2 on 20,000 um2), v_rest -60 mV, v_thresh -50 mV,
v_reset -60 mV, tau_refrac 5 ms, e_rev_E 0 mV, e_rev_I -80 mV, tau_syn_E 5 ms,
tau_syn_I 10 ms, weights 4 nS (excitatory) and 51 nS (inhibitory), every delay 0.2 ms (two
steps of 0.1 ms).  Initial v uniform in [v_reset, v_thresh); conductances start at 0.  A kick
starts the activity: 20 Poisson sources at 100 Hz for the first 50 ms, connected with
p = 0.01 to every neuron with the excitatory weight.  1000 ms are simulated.

Benchmark 2 (CUBA, ``variant="cuba"``): ``IF_curr_exp`` with v_rest -49 mV and PyNN's CUBA
conductances 0.27 nS and 4.5 nS turned into currents at v = -60 mV: 0.27 nS x 60 mV = 16.2 pA
(excitatory, also the kick's weight) and 4.5 nS x -20 mV = -90 pA (inhibitory).

Connections are drawn from a ``NumpyRNG`` seeded with ``rng_seed``, initial values from one
seeded with ``rng_seed + 1`` (so the connections do not depend on when a simulator module
evaluates the initial values: pyNN.brian2 draws them at another time than pyNN.nest): the
same seed gives the same connections on every simulator module.  Only PyNN API is used.
"""

from __future__ import annotations

from dataclasses import dataclass

DT = 0.1  # ms
DELAY = 0.2  # ms
DURATION = 1000.0  # ms
N_EXC, N_INH = 3200, 800
P_CONNECT = 0.02
#: the kick: sources, rate (Hz), duration (ms), connection probability
N_STIM, STIM_RATE, STIM_DURATION, P_STIM = 20, 100.0, 50.0, 0.01

COMMON = {
    "tau_m": 20.0,
    "cm": 0.2,
    "v_thresh": -50.0,
    "v_reset": -60.0,
    "tau_refrac": 5.0,
    "tau_syn_E": 5.0,
    "tau_syn_I": 10.0,
    "i_offset": 0.0,
}
#: per variant: cell type name, its extra parameters, excitatory and inhibitory weight
#: (uS for conductances, nA for currents; PyNN's sign rule: inhibitory currents negative)
VARIANTS = {
    "coba": ("IF_cond_exp", {"v_rest": -60.0, "e_rev_E": 0.0, "e_rev_I": -80.0}, 0.004, 0.051),
    "cuba": ("IF_curr_exp", {"v_rest": -49.0}, 0.27e-3 * 60.0, 4.5e-3 * -20.0),
}


@dataclass
class VANetwork:
    """The populations and projections :func:`build` made."""

    exc: object
    inh: object
    stim: object
    projections: dict


def build(sim, rng_seed: int, scale: float = 1.0, variant: str = "coba") -> VANetwork:
    """The Vogels-Abbott network on simulator module ``sim`` (after ``sim.setup``), its
    excitatory and inhibitory spikes recorded.  ``scale`` multiplies the neuron counts (the
    connection probability stays, as in PyNN's example)."""
    celltype_name, extra, w_exc, w_inh = VARIANTS[variant]
    celltype = getattr(sim, celltype_name)(**COMMON, **extra)
    rng = sim.NumpyRNG(seed=rng_seed)  # connections
    init_rng = sim.NumpyRNG(seed=rng_seed + 1)  # initial values
    exc = sim.Population(int(N_EXC * scale), celltype, label="exc")
    inh = sim.Population(int(N_INH * scale), celltype, label="inh")
    v_init = sim.RandomDistribution(
        "uniform", (COMMON["v_reset"], COMMON["v_thresh"]), rng=init_rng
    )
    exc.initialize(v=v_init)
    inh.initialize(v=v_init)
    stim = sim.Population(
        N_STIM,
        sim.SpikeSourcePoisson(rate=STIM_RATE, start=0.0, duration=STIM_DURATION),
        label="stim",
    )
    exc_syn = sim.StaticSynapse(weight=w_exc, delay=DELAY)
    inh_syn = sim.StaticSynapse(weight=w_inh, delay=DELAY)
    projections = {}
    for pre, syn, receptor in ((exc, exc_syn, "excitatory"), (inh, inh_syn, "inhibitory")):
        for post in (exc, inh):
            projections[f"{pre.label}->{post.label}"] = sim.Projection(
                pre,
                post,
                sim.FixedProbabilityConnector(P_CONNECT, rng=rng),
                syn,
                receptor_type=receptor,
                label=f"{pre.label}->{post.label}",
            )
    for post in (exc, inh):
        projections[f"stim->{post.label}"] = sim.Projection(
            stim,
            post,
            sim.FixedProbabilityConnector(P_STIM, rng=rng),
            exc_syn,
            receptor_type="excitatory",
            label=f"stim->{post.label}",
        )
    exc.record("spikes")
    inh.record("spikes")
    return VANetwork(exc, inh, stim, projections)

"""Builder module of the networks tests/test_mpi.py runs under mpirun
(``snn-hub run tests/mpi/networks.py -p network=NAME``)."""

import hub

DURATION = 300.0  # ms

LIF = dict(synapse="delta", v_thresh=-50.0, v_reset=-60.0, v_rest=-65.0, tau_refrac=2.0)


def one_block(seed=3, n_e=400, n_i=100):
    """E and I of one model (one NEST block) with delta synapses: many inputs per step, and
    excitatory and inhibitory weights summed into one buffer, so the order of the additions
    shows in the last bit.  Poisson input drawn by the hub."""
    net = hub.Network(dt=0.1, seed=seed, label="one_block")
    e = net.add_population(n_e, hub.LIF(**LIF), label="e")
    i = net.add_population(n_i, hub.LIF(**LIF), label="i")
    for pop in (e, i):
        pop.initialize(v=hub.Uniform(-65.0, -50.0))
    src = net.add_source(hub.PoissonSource(rate=800.0), size=200, label="p")
    for pop in (e, i):
        net.connect(src, pop, hub.FixedInDegree(20), hub.Static(0.9, 1.5))
        net.connect(e, pop, hub.FixedInDegree(40), hub.Static(hub.Uniform(0.1, 0.3), 1.5))
        net.connect(
            i, pop, hub.FixedInDegree(10), hub.Static(-1.0, hub.Uniform(1.0, 2.0), "inhibitory")
        )
    net.record(e, "spikes", "v")
    net.record(i, "spikes")
    return net


def two_models(seed=3):
    """One_block plus a population of another model (exponential synapses: a second NEST
    block) that projects onto E: senders of two blocks reach one target in one step."""
    net = one_block(seed)
    net.label = "two_models"
    x = net.add_population(100, hub.LIF(synapse="exp", v_thresh=-50.0, v_rest=-65.0), label="x")
    x.initialize(v=hub.Uniform(-65.0, -50.0))
    src = net.population("p")
    net.connect(src, x, hub.FixedInDegree(20), hub.Static(0.3, 1.5))
    net.connect(x, net.population("e"), hub.FixedInDegree(10), hub.Static(0.25, 1.5))
    net.record(x, "spikes")
    return net


def plastic(seed=3):
    """Poisson input through additive STDP onto 60 neurons (final weights gathered from every
    rank)."""
    net = hub.Network(dt=0.1, seed=seed, label="plastic")
    src = net.add_source(hub.PoissonSource(rate=20.0), size=100, label="p")
    post = net.add_population(60, hub.LIF(v_thresh=-55.0), label="post")
    net.connect(
        src,
        post,
        hub.FixedProbability(0.5),
        hub.Plastic(hub.STDP(w_max=1.0), 0.5, 1.0),
        label="stdp",
    )
    net.record(post, "spikes")
    return net


def native(seed=3):
    """one_block with NEST's own connection rules (resolve="native") for its recurrence."""
    net = hub.Network(dt=0.1, seed=seed, label="native")
    e = net.add_population(400, hub.LIF(**LIF), label="e")
    e.initialize(v=hub.Uniform(-65.0, -50.0))
    src = net.add_source(hub.PoissonSource(rate=800.0), size=200, label="p")
    net.connect(src, e, hub.FixedInDegree(20, resolve="native"), hub.Static(0.9, 1.5))
    net.connect(e, e, hub.FixedInDegree(40, resolve="native"), hub.Static(0.2, 1.5))
    net.record(e, "spikes")
    return net


NETWORKS = {"one_block": one_block, "two_models": two_models, "plastic": plastic, "native": native}


def build(network="one_block", seed=3):
    return NETWORKS[network](seed=int(seed))

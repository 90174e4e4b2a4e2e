"""A balanced E/I network of LIF neurons written as equations (docs/custom_models.md).

The neuron is NEST's ``iaf_psc_exp`` written by hand with :func:`hub.define_neuron`: the hub
derives its update statements (NEST's propagators) and every backend runs those, so NEST
(through NESTML) and Brian2 give identical spikes.  400 excitatory and 100 inhibitory
neurons, 10 % connectivity, Poisson drive; 1 s.

    snn-hub run models/custom_lif.py -b brian2
    snn-hub compare models/custom_lif.py -b nest,brian2     # NEST built from source + NESTML
"""

import hub

DURATION = 1000.0  # ms
PARAMETERS = dict(
    cm=0.25,
    tau_m=10.0,
    v_rest=-70.0,
    v_reset=-70.0,
    v_thresh=-55.0,
    tau_refrac=2.0,
    i_offset=0.0,
    tau_syn_E=0.5,
    tau_syn_I=0.5,
)

LIF = hub.define_neuron(
    "lif_exp",
    """
    dv/dt = (v_rest - v)/tau_m + (I_ex + I_in + i_offset)/cm : mV (unless refractory)
    dI_ex/dt = -I_ex/tau_syn_E : nA
    dI_in/dt = -I_in/tau_syn_I : nA
    """,
    {
        "cm": "1 nF",  # defaults (the network below sets its own)
        "tau_m": "20 ms",
        "v_rest": "-65 mV",
        "v_reset": "-65 mV",
        "v_thresh": "-50 mV",
        "tau_refrac": "0.1 ms",
        "i_offset": "0 nA",
        "tau_syn_E": "5 ms",
        "tau_syn_I": "5 ms",
    },
    initial={"v": "v_rest"},
    threshold="v >= v_thresh",
    reset="v = v_reset",
    refractory="tau_refrac",
    on_spike={"excitatory": "I_ex += w", "inhibitory": "I_in += w"},
)


def build(
    n_exc: int = 400, n_inh: int = 100, rate: float = 9000.0, seed: int = 11, builtin: bool = False
):
    """The network; ``builtin=True`` uses ``hub.LIF(synapse="exp")`` with the same parameters
    instead of the equations (the two give the same spikes on every backend)."""
    net = hub.Network(dt=0.1, seed=seed, label="custom_lif")
    model = hub.LIF(synapse="exp", **PARAMETERS) if builtin else LIF(**PARAMETERS)
    exc = net.add_population(n_exc, model, label="exc")
    inh = net.add_population(n_inh, model, label="inh")
    for pop in (exc, inh):
        pop.initialize(v=hub.Uniform(-70.0, -56.0))
    drive = net.add_source(hub.PoissonSource(rate=rate), size=1, label="drive")
    fp = hub.FixedProbability(0.1)
    for pop in (exc, inh):
        net.connect(
            drive,
            pop,
            hub.AllToAll(),
            hub.Static(weight=0.08, delay=1.5),
            label=f"drive->{pop.label}",
        )
        net.connect(exc, pop, fp, hub.Static(weight=0.08, delay=1.5), label=f"exc->{pop.label}")
        net.connect(
            inh,
            pop,
            fp,
            hub.Static(weight=-0.4, delay=1.5, receptor="inhibitory"),
            label=f"inh->{pop.label}",
        )
    for pop in (exc, inh):
        net.record(pop, "spikes")
    net.record(exc, "v", indices=[0, 1, 2])
    return net

"""PyNN scripts run unchanged on pyNN.nest and on hub.pynn (tests/test_pynn_frontend.py).

Each takes the simulator module (``pyNN.nest`` or ``hub.pynn``) and its ``setup`` options
and returns what it recorded.  The models are grid-constrained (pyNN.nest with
``spike_precision="on_grid"``) and every SpikeSourceArray time is a multiple of 0.5 ms:
pyNN.nest places an off-grid time such as 12.3 ms one step late.
"""

from __future__ import annotations

import numpy as np

INPUT_TIMES = [
    list(np.sort(np.random.default_rng(i).choice(np.arange(3, 400), 12, replace=False)) * 0.5)
    for i in range(40)
]


def network(sim, duration=200.0, **setup):
    """SpikeSourceArray -> IF_curr_exp (recurrent, views, an assembly) -> IF_cond_exp, with
    seeded random connectors, RandomDistribution weights, delays and initial values, a
    DCSource and a StepCurrentSource.  Returns {label: neo.Block}."""
    sim.setup(timestep=0.1, min_delay=0.5, **setup)
    rng = sim.NumpyRNG(seed=1234)
    src = sim.Population(40, sim.SpikeSourceArray(spike_times=INPUT_TIMES), label="input")
    exc = sim.Population(60, sim.IF_curr_exp(tau_refrac=2.0, v_thresh=-55.0), label="exc")
    extra = sim.Population(20, sim.IF_curr_exp(tau_m=10.0, v_thresh=-54.0), label="extra")
    cond = sim.Population(30, sim.IF_cond_exp(tau_refrac=2.0, v_thresh=-55.0), label="cond")
    exc.initialize(v=sim.RandomDistribution("uniform", (-65.0, -56.0), rng=rng))
    cond.initialize(v=np.linspace(-65.0, -56.0, 30))
    w = sim.RandomDistribution("uniform", (0.5, 1.5), rng=rng)
    d = sim.RandomDistribution("uniform", (0.5, 3.0), rng=rng)
    exc_all = exc + extra  # an Assembly
    static = sim.StaticSynapse
    sim.Projection(  # an Assembly's receptor types are a set: name the receptor
        src,
        exc_all,
        sim.FixedProbabilityConnector(0.3, rng=rng),
        static(weight=w, delay=d),
        receptor_type="excitatory",
    )
    sim.Projection(
        exc[:45], exc, sim.FixedProbabilityConnector(0.1, rng=rng), static(weight=0.4, delay=1.0)
    )
    sim.Projection(
        exc[45:],
        exc_all,
        sim.FixedNumberPreConnector(5, rng=rng),
        static(weight=-1.0, delay=1.5),
        receptor_type="inhibitory",
    )
    sim.Projection(
        exc, cond, sim.FixedProbabilityConnector(0.2, rng=rng), static(weight=0.01, delay=d)
    )
    sim.Projection(
        src,
        cond,
        sim.FixedProbabilityConnector(0.2, rng=rng),
        static(weight=0.005, delay=1.0),
        receptor_type="inhibitory",
    )
    sim.DCSource(amplitude=0.3, start=50.0, stop=150.0).inject_into(extra[::2])
    sim.StepCurrentSource(times=[20.0, 80.0, 120.0], amplitudes=[0.2, 0.6, 0.0]).inject_into(
        cond[10:20]
    )
    exc.record(["spikes", "v"])
    extra.record("spikes")
    cond.record(["spikes", "v", "gsyn_exc"], sampling_interval=0.5)
    sim.run(duration)
    blocks = {p.label: p.get_data() for p in (exc, extra, cond)}
    sim.end()
    return blocks


def stdp(sim, weight_dependence="AdditiveWeightDependence", duration=600.0, **setup):
    """Spike-pair STDP from 30 SpikeSourceArray neurons onto 5 IF_curr_exp neurons that a
    second input drives to fire.  Returns (initial weights, final weights) as arrays
    (pre x post, nA)."""
    sim.setup(timestep=0.1, min_delay=0.5, **setup)
    rng = sim.NumpyRNG(seed=77)
    times = [
        list(np.sort(np.random.default_rng(100 + i).choice(np.arange(2, 1200), 25, False)) * 0.5)
        for i in range(30)
    ]
    pre = sim.Population(30, sim.SpikeSourceArray(spike_times=times), label="pre")
    drive = sim.Population(
        5,
        sim.SpikeSourceArray(
            spike_times=[list(np.arange(10.0, duration, 15.0 + k)) for k in range(5)]
        ),
    )
    post = sim.Population(5, sim.IF_curr_exp(tau_refrac=2.0), label="post")
    sim.Projection(drive, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=4.0, delay=1.0))
    mechanism = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(
            tau_plus=16.8, tau_minus=33.7, A_plus=0.05, A_minus=0.06
        ),
        weight_dependence=getattr(sim, weight_dependence)(w_min=0.0, w_max=1.0),
        weight=sim.RandomDistribution("uniform", (0.2, 0.8), rng=rng),
        delay=sim.RandomDistribution("uniform", (0.5, 2.0), rng=rng),
        dendritic_delay_fraction=1.0,
    )
    prj = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.5, rng=rng), mechanism)
    before = prj.get("weight", format="array")
    sim.run(duration)
    after = prj.get("weight", format="array")
    sim.end()
    return before, after


def step_change(sim, **setup):
    """One IF_curr_exp neuron at rest until 100 ms, then i_offset = 1 nA until 300 ms.
    Returns its spike times (ms)."""
    sim.setup(timestep=0.1, min_delay=0.5, **setup)
    cell = sim.Population(1, sim.IF_curr_exp(tau_refrac=2.0), label="cell")
    cell.record("spikes")
    sim.run(100.0)
    cell.set(i_offset=1.0)
    sim.run(200.0)
    times = np.asarray(cell.get_data().segments[0].spiketrains[0].magnitude)
    sim.end()
    return times


RSR_TIMES = [
    list(np.sort(np.random.default_rng(500 + i).choice(np.arange(2, 560), 20, False)) * 0.5)
    for i in range(30)
]


def run_set_run(sim, t1=120.0, t2=170.0, change_after=0.0, **setup):
    """Run, set, run: SpikeSourceArray (times on the 0.5 ms grid, none in the last 10 ms)
    -> IF_curr_exp (FixedProbabilityConnector, RandomDistribution weights and delays; a
    spike-pair STDP projection with additive weights) -> IF_cond_exp
    (FixedNumberPreConnector), every connector drawn from one seeded NumpyRNG;
    ``min_delay`` 0.3 ms (3 steps of 0.1 ms).  ``run(t1 + change_after)``, then
    ``exc.set(i_offset=0.6)`` and ``cond[::2].set(i_offset=0.2)``, then run to ``t1 + t2``
    (ms).  Returns ({label: [spike times (ms) per neuron]}, initial and final STDP weights
    (pre x post, nA))."""
    sim.setup(timestep=0.1, min_delay=0.3, **setup)
    rng = sim.NumpyRNG(seed=4321)
    src = sim.Population(30, sim.SpikeSourceArray(spike_times=RSR_TIMES), label="input")
    exc = sim.Population(40, sim.IF_curr_exp(tau_refrac=2.0, v_thresh=-55.0), label="exc")
    cond = sim.Population(20, sim.IF_cond_exp(tau_refrac=2.0, v_thresh=-55.0), label="cond")
    exc.initialize(v=sim.RandomDistribution("uniform", (-65.0, -56.0), rng=rng))
    sim.Projection(
        src,
        exc,
        sim.FixedProbabilityConnector(0.3, rng=rng),
        sim.StaticSynapse(
            weight=sim.RandomDistribution("uniform", (0.5, 1.5), rng=rng),
            delay=sim.RandomDistribution("uniform", (0.3, 2.0), rng=rng),
        ),
    )
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(
            tau_plus=16.8, tau_minus=33.7, A_plus=0.05, A_minus=0.06
        ),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=2.0),
        weight=sim.RandomDistribution("uniform", (0.2, 1.0), rng=rng),
        delay=1.0,
        dendritic_delay_fraction=1.0,
    )
    plastic = sim.Projection(src, exc, sim.FixedProbabilityConnector(0.4, rng=rng), stdp)
    sim.Projection(
        exc,
        cond,
        sim.FixedNumberPreConnector(5, rng=rng),
        sim.StaticSynapse(weight=0.01, delay=0.5),
    )
    initial = plastic.get("weight", format="array")
    exc.record("spikes")
    cond.record("spikes")
    sim.run(t1 + change_after)
    exc.set(i_offset=0.6)
    cond[::2].set(i_offset=0.2)
    sim.run_until(t1 + t2)
    spikes = {
        p.label: [np.asarray(st.magnitude) for st in p.get_data().segments[0].spiketrains]
        for p in (exc, cond)
    }
    weights = plastic.get("weight", format="array")
    sim.end()
    return spikes, initial, weights


def record_late(sim, t1=50.0, late=True, **setup):
    """Five IF_curr_exp neurons driven by a SpikeSourceArray and different i_offset; spikes
    of the first two recorded from the start.  With ``late``, ``v`` of all and the spikes of
    the other three are recorded from ``t1`` ms on (``record()`` after ``run(t1)``);
    otherwise from the start.  Runs to 2 t1; returns the first segment of ``get_data()``."""
    sim.setup(timestep=0.1, min_delay=0.3, **setup)
    src = sim.Population(
        3,
        sim.SpikeSourceArray(
            spike_times=[[3.0 + 7.5 * k + 1.5 * i for k in range(13)] for i in range(3)]
        ),
    )
    cells = sim.Population(
        5, sim.IF_curr_exp(tau_refrac=2.0, i_offset=[0.0, 0.3, 0.5, 0.7, 0.9]), label="cells"
    )
    sim.Projection(src, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.5, delay=1.0))
    cells[:2].record("spikes")
    if not late:
        cells.record(["v", "spikes"])
    sim.run(t1)
    if late:
        cells.record("v")
        cells[2:].record("spikes")
    sim.run(t1)
    segment = cells.get_data().segments[0]
    sim.end()
    return segment

"""``threads``: the compiled engine with the synapses split by target compartment, one part
per thread.  Every sum is of integers, so the numbers must equal one thread's exactly."""

import numpy as np
import pytest

import hub
from hub_chip.fast import HAVE_NUMBA, split_by_target

needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed")


def network():
    """Every input path of the kernel: neuron spikes, hub-drawn and native Poisson sources,
    spike times, a current step (bias change), split inhibitory compartments (tau_syn_I
    differs from tau_syn_E) and probes of v and u."""
    net = hub.Network(dt=0.1, seed=4)
    cells = net.add_population(300, hub.LIF(tau_syn_E=2.0, tau_syn_I=6.0), label="e")
    cells.initialize(v=hub.Uniform(-70.0, -52.0))
    inh = net.add_population(80, hub.LIF(tau_syn_E=2.0, tau_syn_I=2.0), label="i")
    drive = net.add_source(hub.PoissonSource(rate=2000.0, resolve="native"), size=380)
    hub_drawn = net.add_source(hub.PoissonSource(rate=30.0), size=50, label="p")
    times = net.add_source(hub.SpikeTimes([[5.0, 7.5], [12.0]]), size=2, label="t")
    net.connect(drive, cells, hub.FixedInDegree(1), hub.Static(0.3))
    net.connect(drive, inh, hub.FixedInDegree(1), hub.Static(0.3))
    net.connect(hub_drawn, cells, hub.FixedProbability(0.2), hub.Static(0.2, delay=0.5))
    net.connect(times, inh, hub.AllToAll(), hub.Static(1.0))
    net.connect(cells, cells, hub.FixedProbability(0.1), hub.Static(0.05, delay=1.5))
    net.connect(cells, inh, hub.FixedProbability(0.1), hub.Static(0.05, delay=0.8))
    net.connect(
        inh, cells, hub.FixedProbability(0.2), hub.Static(-0.2, delay=1.0, receptor="inhibitory")
    )
    net.inject(cells, hub.StepCurrentSource([50.0, 120.0], [0.2, 0.0]))
    net.record(cells, "spikes")
    net.record(inh, "spikes")
    net.record(cells, "v", indices=[0, 7, 299])
    return net


@needs_numba
def test_two_threads_give_one_threads_numbers():
    net = network()
    one = hub.run(net, backend="chip", duration=300.0, threads=1)
    two = hub.run(net, backend="chip", duration=300.0, threads=2)
    assert one.extra["chip"]["counts"]["synaptic_ops"] > 10_000
    for label in ("e", "i"):
        a, b = one.spikes(label), two.spikes(label)
        assert len(a.times) > 100
        assert np.array_equal(a.times, b.times) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(one.signal("e", "v").values, two.signal("e", "v").values)
    assert one.extra["chip"]["counts"] == two.extra["chip"]["counts"]


def test_split_by_target_keeps_each_senders_synapses_in_order_per_part():
    ptr = np.array([0, 3, 3, 6])
    target = np.array([0, 5, 2, 4, 1, 5])
    key, weight = np.arange(6) * 10, np.arange(6) + 100
    ptrs, k, w = split_by_target(ptr, key, weight, target, n_comp=6, parts=2)
    # part 0 (compartments 0..2): synapses 0, 2 of sender 0, synapse 4 of sender 2
    assert k.tolist() == [0, 20, 40, 10, 30, 50] and w.tolist() == [100, 102, 104, 101, 103, 105]
    assert ptrs.tolist() == [[0, 2, 2, 3], [3, 4, 4, 6]]
    same = split_by_target(ptr, key, weight, target, n_comp=6, parts=1)
    assert same[0].tolist() == [ptr.tolist()] and same[1] is key and same[2] is weight


def test_threads_refused_with_plasticity_or_without_the_compiled_engine():
    net = hub.Network(dt=0.1, seed=1)
    src = net.add_source(hub.PoissonSource(rate=20.0), size=5)
    cells = net.add_population(3, hub.LIF(), label="c")
    net.connect(src, cells, hub.AllToAll(), hub.Plastic(hub.STDP(w_max=1.0), weight=0.5))
    with pytest.raises(hub.HubError, match=r"threads=2 with plastic synapses.*use threads=1"):
        hub.run(net, backend="chip", duration=10.0, threads=2)
    with pytest.raises(hub.HubError, match=r"threads=2 needs the compiled engine"):
        hub.run(net, backend="chip", duration=10.0, threads=2, engine="numpy")
    with pytest.raises(hub.HubError, match=r"threads=4096 but numba runs at most"):
        hub.run(net, backend="chip", duration=10.0, threads=4096)

"""The chip's results are assembled as every backend's are (hub.results): a spike probe on
some neurons returns exactly those neurons' spikes, of populations and of sources."""

import numpy as np

import hub


def network(pop_indices=None, src_indices=None):
    net = hub.Network(dt=0.1, seed=5)
    src = net.add_source(hub.PoissonSource(rate=400.0), size=3, label="src")
    cells = net.add_population(
        5, hub.LIF(synapse="exp", i_offset=[0.3, 0.5, 0.6, 0.7, 0.8]), label="cells"
    )
    net.connect(src, cells, hub.AllToAll(), hub.Static(weight=0.2, delay=1.0))
    net.record(cells, "spikes", indices=pop_indices)
    net.record(src, "spikes", indices=src_indices)
    return net


def test_spike_probes_on_a_subset_return_exactly_those_neurons():
    full = hub.run(network(), backend="chip", duration=100.0)
    part = hub.run(network([1, 3], [0]), backend="chip", duration=100.0)
    for label, wanted in (("cells", [1, 3]), ("src", [0])):
        everyone, probed = full.spikes(label), part.spikes(label)
        assert probed.size == everyone.size
        assert sorted(set(probed.indices.tolist())) == wanted
        assert sorted(set(everyone.indices.tolist())) == list(range(everyone.size))
        keep = np.isin(everyone.indices, wanted)
        assert np.array_equal(probed.indices, everyone.indices[keep])
        assert np.array_equal(probed.stamps, everyone.stamps[keep])

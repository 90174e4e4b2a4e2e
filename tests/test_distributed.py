"""Distributed NEST without MPI: the node layout that keeps the hub's summation order under
any split into processes and threads (plugins/hub_nest/layout.py), the MPI helpers outside a
job (hub/mpi.py), and the thread case, which the NEST wheel runs.  The runs under MPI are in
tests/test_mpi.py."""

from __future__ import annotations

import numpy as np
import pytest

import hub
from hub import mpi
from hub.errors import HubError


def delivery_order(gids: np.ndarray, processes: int, threads: int) -> np.ndarray:
    """NEST 3.10's order of spike delivery among senders ``gids`` (event_delivery_manager:
    receive buffer by sending rank; per rank the writing threads in order; per thread the
    nodes in update order, by node id), from its vp rules (vp_manager_impl.h:
    vp = id % V, rank = vp % P, thread = vp // P)."""
    vp = gids % (processes * threads)
    return gids[np.lexsort((gids, vp // processes, vp % processes))]


POPS = [("e", 700, "LIF[synapse=delta]"), ("i", 300, "LIF[synapse=delta]"),
        ("x", 50, "Izhikevich"), ("y", 20, "LIF[synapse=delta]")]  # fmt: skip


@pytest.mark.parametrize("processes,threads", [(1, 1), (2, 1), (1, 2), (2, 2), (4, 1), (3, 2)])
def test_layout_gives_block_indices_in_delivery_order(processes, threads):
    from hub_nest.layout import Layout

    layout = Layout(POPS, processes, threads)
    assert [b.labels for b in layout.blocks] == [["e", "i"], ["x"], ["y"]]
    for block in layout.blocks:
        gids = np.concatenate([layout.gids(label, np.arange(n)) for label, n, _ in POPS
                               if label in block.labels])  # fmt: skip
        np.testing.assert_array_equal(gids, delivery_order(np.sort(gids), processes, threads))
    for label, n, _ in POPS:
        idx = np.arange(n)
        np.testing.assert_array_equal(layout.index(label, layout.gids(label, idx)), idx)
    if processes * threads == 1:
        np.testing.assert_array_equal(layout.gids("i", np.arange(3)), [701, 702, 703])


@pytest.mark.parametrize("processes", [1, 2, 3, 4])
def test_shares_are_contiguous_cover_every_neuron_and_hold_the_ranks_nodes(processes):
    from hub_nest.layout import Layout

    layout = Layout(POPS, processes, 2)
    for label, n, _ in POPS:
        covered = np.zeros(n, int)
        for rank in range(processes):
            lo, hi = layout.share(rank)[label]
            covered[lo:hi] += 1
            gids = layout.gids(label, np.arange(lo, hi))
            assert ((gids % (2 * processes)) % processes == rank).all()
        assert (covered == 1).all(), label


def test_mpi_helpers_outside_a_job():
    assert (mpi.size(), mpi.rank(), mpi.is_root(), mpi.comm()) == (1, 0, True, None)
    assert mpi.allgather(3) == [3] and mpi.bcast("x") == "x"
    assert mpi.on_root(lambda: 5) == 5
    mpi.agree(None)
    with pytest.raises(HubError, match="boom"):
        mpi.agree(HubError("boom"))


@pytest.mark.parametrize(
    "environ,size",
    [
        ({}, 1),
        ({"OMPI_COMM_WORLD_SIZE": "4"}, 4),
        ({"PMI_SIZE": "2"}, 2),
        ({"SLURM_NTASKS": "8"}, 1),  # an allocation, not a job step: no srun yet
        ({"SLURM_NTASKS": "8", "SLURM_STEP_ID": "0"}, 8),
    ],
)
def test_launched_size_reads_the_launchers_environment(environ, size):
    assert mpi.launched_size(environ) == size


def brunel_like(seed=3):
    """E and I populations of one model (one NEST block) with delta synapses: many arrivals
    per step, excitatory and inhibitory weights summed in one buffer, so the order of the
    additions shows in the last bit."""
    net = hub.Network(dt=0.1, seed=seed)
    model = dict(synapse="delta", v_thresh=-50.0, v_reset=-60.0, v_rest=-65.0, tau_refrac=2.0)
    e = net.add_population(400, hub.LIF(**model), label="e")
    i = net.add_population(100, hub.LIF(**model), label="i")
    for pop in (e, i):
        pop.initialize(v=hub.Uniform(-65.0, -50.0))
    src = net.add_source(hub.PoissonSource(rate=800.0), size=200, label="p")
    for pop in (e, i):
        net.connect(src, pop, hub.FixedInDegree(20), hub.Static(0.9, 1.5))
        net.connect(e, pop, hub.FixedInDegree(40), hub.Static(0.2, 1.5))
        net.connect(i, pop, hub.FixedInDegree(10), hub.Static(-1.0, 1.5, receptor="inhibitory"))
    net.record(e, "spikes", "v")
    net.record(i, "spikes")
    return net


@pytest.mark.nest
def test_two_threads_give_the_bits_of_one():
    """NEST's delivery order with two threads is (thread, node id); the layout gives the hub's
    neurons the node ids that make it the single-thread order, so V is bit-identical.  With
    consecutive node ids it differs in the last bits here (7e-15 mV, measured)."""
    pytest.importorskip("nest")
    one = hub.run(brunel_like(), "nest", 300.0, threads=1)
    two = hub.run(brunel_like(), "nest", 300.0, threads=2)
    assert len(one.spike_trains["e"]) > 10_000
    for label in ("e", "i"):
        a, b = one.spike_trains[label], two.spike_trains[label]
        np.testing.assert_array_equal(a.stamps, b.stamps)
        np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(one.signals[("e", "v")].values, two.signals[("e", "v")].values)


@pytest.mark.nest
def test_a_share_outside_mpi_is_refused_by_nest():
    """A network resolved for a share, built by a NEST of one process."""
    pytest.importorskip("nest")
    net = brunel_like()
    part = hub.resolve(net, 10.0, share={"e": (0, 200), "i": (0, 50)})
    with pytest.raises(HubError, match="another share"):
        hub.run(part, "nest")

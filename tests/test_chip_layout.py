"""The chip compiler's synapse layout against a direct construction.

The compiler writes every synapse straight to its slot of the CSR over senders, a slice at
a time (a counting sort).  Here the same CSR is built the obvious way, from the resolved
arrays: one stable sort of all synapses by sender, the weights quantized by
``quantize.weights`` over each whole projection, the traffic runs counted with
``np.unique``.  Slices of 7 synapses make every run of a sender cross slice boundaries."""

import dataclasses

import numpy as np
import pytest

import hub
from hub.resolve import resolve
from hub_chip import compile as chip_compile
from hub_chip import quantize
from hub_chip.compartment import ACT_SHIFT
from hub_chip.compile import compile_network
from hub_chip.spec import LOIHI


def network():
    rng = np.random.default_rng(5)
    net = hub.Network(dt=0.1, seed=9)
    src = net.add_source(hub.PoissonSource(rate=40.0), size=30, label="src")
    a = net.add_population(50, hub.LIF(tau_syn_E=2.0, tau_syn_I=4.0), label="a")
    b = net.add_population(40, hub.LIF(tau_syn_E=2.0, tau_syn_I=4.0), label="b")
    net.connect(src, a, hub.FixedInDegree(6), hub.Static(weight=0.3, delay=1.0))
    net.connect(
        a,
        b,
        hub.FixedProbability(0.3),
        hub.Static(weight=hub.Normal(0.2, 0.05), delay=hub.Uniform(0.1, 3.0)),
    )
    # explicit connections in no particular order, multapses included
    pre, post = rng.integers(0, 40, 400), rng.integers(0, 50, 400)
    net.connect(
        b,
        a,
        hub.FromArrays(pre, post, weight=-rng.uniform(0.1, 0.9, 400)),
        hub.Static(delay=2.0, receptor="inhibitory"),
    )
    net.connect(
        src,
        b,
        hub.FixedProbability(0.5),
        hub.Plastic(hub.STDP(A_plus=0.01, A_minus=0.012, w_max=0.5), weight=0.2, delay=1.0),
    )
    net.connect(a, a, hub.FixedProbability(0.2), hub.Static(weight=0.1, delay=1.5))
    return net


@pytest.fixture(scope="module")
def compiled():
    r = resolve(network(), 50.0)
    # 16 compartments per core, 2 cores per tile, 4 per chip: messages cross tiles and chips
    spec = dataclasses.replace(LOIHI, compartments_per_core=16, cores_per_chip=4, cores_per_tile=2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(chip_compile, "SLICE", 7)
        return r, compile_network(r, chips=8, spec=spec)


def test_synapses_sit_where_one_stable_sort_by_sender_puts_them(compiled):
    r, c = compiled
    p, layout = c.program, c.layout
    n = p.n_neurons
    sender, target, delay, weight = [], [], [], []
    for proj in r.projections:
        lay = layout[proj.post]
        first = n + c.source_offset[proj.pre] if proj.pre in r.sources else layout[proj.pre].offset
        sender.append(first + proj.pre_idx)
        aux = proj.receptor == "inhibitory" and lay.plan.split
        target.append((lay.aux_offset if aux else lay.offset) + proj.post_idx)
        delay.append(proj.delay_steps - 1 + lay.plan.delay_offset)
        # quantized over the whole projection at once, w_max included for plastic ones
        one = 1 << ACT_SHIFT
        fold = lay.plan.fold_inh if aux or proj.receptor == "inhibitory" else lay.plan.fold_exc
        in_a = proj.weight * fold[proj.post_idx] / one / lay.scale
        core = c.mapping.core_of[proj.post][proj.post_idx]
        values = in_a
        if proj.rule is not None:
            w_max = proj.rule.params["w_max"] * fold[proj.post_idx] / one / lay.scale
            values = np.concatenate([in_a, w_max])
            core = np.concatenate([core, core])
        mant, exp, _ = quantize.weights(values, core, c.mapping.n_cores, allow_negative=False)
        weight.append(mant[: proj.n] << (ACT_SHIFT + exp[core[: proj.n]]))
    sender, target, delay, weight = map(np.concatenate, (sender, target, delay, weight))
    order = np.argsort(sender, kind="stable")
    assert np.array_equal(np.diff(p.ptr), np.bincount(sender, minlength=p.n_senders))
    assert np.array_equal(p.target, target[order])
    assert np.array_equal(p.delay, delay[order])
    assert np.array_equal(p.weight, weight[order])
    assert p.target.dtype == np.int32 and p.weight.dtype == np.int32 and p.delay.dtype == np.uint8
    # a plastic synapse's CSR position (hub order) holds its own weight
    (label,) = c.plastic
    k = [q.label for q in r.projections].index(label)
    start = sum(q.n for q in r.projections[:k])
    position = np.empty(len(order), np.int64)
    position[order] = np.arange(len(order))
    assert np.array_equal(c.plastic[label].position, position[start : start + r.projections[k].n])


def test_traffic_per_sender_counts_one_message_per_projection_and_destination_core(compiled):
    """Messages (output axons): the distinct (projection, destination core) pairs of each
    sender's synapses; hops and crossings from the cores' mesh positions."""
    r, c = compiled
    n = c.program.n_neurons
    want = {name: np.zeros(c.program.n_senders) for name in c.traffic}
    chip, tile, x, y = c.mapping.position(np.arange(c.mapping.n_cores))
    for k, proj in enumerate(r.projections):
        first = (
            n + c.source_offset[proj.pre] if proj.pre in r.sources else c.layout[proj.pre].offset
        )
        pairs = np.unique(
            np.stack([first + proj.pre_idx, c.mapping.core_of[proj.post][proj.post_idx]]), axis=1
        )
        for sender, dest in pairs.T:
            here = max(int(c.sender_core[sender]), 0)
            want["messages"][sender] += 1
            want["within_tile"][sender] += tile[here] == tile[dest] and chip[here] == chip[dest]
            want["hops_ew"][sender] += abs(x[here] - x[dest])
            want["hops_ns"][sender] += abs(y[here] - y[dest])
            want["chip_crossings"][sender] += abs(chip[here] - chip[dest])
    assert want["messages"].sum() > len(r.projections)
    assert want["within_tile"].sum() < want["messages"].sum() and want["chip_crossings"].any()
    for name, values in want.items():
        assert np.array_equal(c.traffic[name], values), name


def test_csr_writer_orders_unsorted_parts_stably(monkeypatch):
    # resolved projections come sorted by (pre, post); a part that is not is sorted stably
    monkeypatch.setattr(chip_compile, "SLICE", 3)
    rows = [np.array([2, 0, 2, 1, 0, 2]), np.array([0, 0, 1])]
    writer = chip_compile._CsrWriter([(0, rows[0]), (1, rows[1])], 3)
    slot_of = [np.empty(len(x), np.int64) for x in rows]
    for k in range(2):
        for part, slots in writer.slices(k):
            slot_of[k][part] = slots
    every = np.concatenate([rows[0], rows[1] + 1])
    want = np.empty(len(every), np.int64)
    want[np.argsort(every, kind="stable")] = np.arange(len(every))
    assert np.array_equal(np.concatenate(slot_of), want)
    assert writer.ptr.tolist() == [0, 2, 5, 9]

"""The chip engines against an independent integer reference, every step (u, v, spikes).

The reference below is written from the equations of docs/chip.md section 1 with scalar Python
integers, one neuron and one synapse at a time; it shares no code with hub_chip.
"""

import numpy as np
import pytest

import hub
from hub_chip.engine import Engine, Probe
from hub_chip.fast import HAVE_NUMBA, FastEngine
from hub_chip.program import NegativeGroups, Program

ENGINES = ["numpy"] + (["numba"] if HAVE_NUMBA else [])


# --- the reference ----------------------------------------------------------------------------
def decay(x, d):
    sign = -1 if x < 0 else 1
    return sign * ((abs(x) * (4096 - d)) >> 12)


def wrap24(x):
    return ((x + (1 << 23)) % (1 << 24)) - (1 << 23)


def clip_v(x):
    return max(-(2**23 - 1), min(2**23 - 1, x))


def reference(neurons, aux, synapses, inputs, steps, bias_changes=()):
    """neurons: dicts du, dv, bias (effective), vth_mant, refractory, u0, v0;
    aux: dicts parent, du, u0 (auxiliary current compartments, joined by adding u);
    synapses: (sender, target compartment, mant, exp, group, delay); senders are neurons
    0..N-1 then input axons N..; inputs: (input axon, stamp) pairs, one per spike.
    Returns per step lists of u (all compartments), v (neurons) and the spiking neurons."""
    n = len(neurons)
    u = [nr["u0"] for nr in neurons] + [a["u0"] for a in aux]
    v = [nr["v0"] for nr in neurons]
    du = [nr["du"] for nr in neurons] + [a["du"] for a in aux]
    counter = [0] * n
    sent = {}  # step -> list of senders that sent in that step
    for axon, stamp in inputs:
        sent.setdefault(stamp - 1, []).append(n + axon)
    bias = [nr["bias"] for nr in neurons]
    us, vs, spikes = [], [], []
    for t in range(steps):
        for step, i, b in bias_changes:
            if step == t:
                bias[i] = b
        # A per (compartment, group), from spikes sent in step t - 1 - d
        acc = {}
        for sender, target, mant, exp, group, delay in synapses:
            for s in sent.get(t - 1 - delay, []):
                if s == sender:
                    acc[(target, group, exp)] = acc.get((target, group, exp), 0) + mant
        a_total = [0] * len(u)
        for (target, group, exp), a in acc.items():
            a_total[target] += (a << exp) if exp >= 0 else (a >> -exp)
        for i in range(len(u)):
            u[i] = wrap24(decay(u[i], du[i]) + (a_total[i] << 6))
        joined = [0] * n
        for k, a in enumerate(aux):
            joined[a["parent"]] += u[n + k]
        fired = []
        for i, nr in enumerate(neurons):
            v[i] = clip_v(decay(v[i], nr["dv"]) + u[i] + joined[i] + bias[i])
            if counter[i] > 0:
                v[i] = 0
                counter[i] -= 1
            if v[i] > (nr["vth_mant"] << 6):
                v[i] = 0
                counter[i] = nr["refractory"]
                fired.append(i)
        sent.setdefault(t, []).extend(fired)
        us.append(list(u))
        vs.append(list(v))
        spikes.append(fired)
    return us, vs, spikes


# --- random ChipLIF networks through hub.run -----------------------------------------------------
def random_chiplif_network(seed, overflow=False):
    rng = np.random.default_rng(seed)
    net = hub.Network(dt=0.1, seed=seed)
    sizes = rng.integers(4, 12, 2)
    pops = []
    for k, n in enumerate(sizes):
        model = hub.ChipLIF(
            du=rng.integers(0, 4097, n),
            dv=rng.integers(0, 4096, n),
            vth_mant=rng.integers(1, 120, n),
            bias_mant=rng.integers(-40, 200, n),
            bias_exp=rng.integers(0, 4, n),
            refractory_steps=rng.integers(0, 4, n),
        )
        if overflow and k == 0:
            model = hub.ChipLIF(du=0, dv=0, vth_mant=(1 << 17) - 1, bias_mant=4095, bias_exp=7)
        pop = net.add_population(int(n), model, label=f"p{k}")
        pop.initialize(u=rng.integers(-20000, 20000, n), v=rng.integers(-5000, 5000, n))
        pops.append(pop)
    src = net.add_source(hub.PoissonSource(rate=5000.0 if overflow else 300.0), size=6, label="src")
    w_in = 255 if overflow else None
    for k, pop in enumerate(pops):
        n_syn = int(rng.integers(5, 20))
        pre, post = rng.integers(0, 6, n_syn), rng.integers(0, pop.size, n_syn)
        w = np.full(n_syn, w_in) if w_in else rng.integers(1, 256, n_syn)
        net.connect(
            src,
            pop,
            hub.FromArrays(pre, post, weight=w, delay=rng.integers(1, 6, n_syn) * 0.1),
            label=f"in{k}",
        )
    for a in range(2):
        for b in range(2):
            n_syn = int(rng.integers(5, 25))
            pre = rng.integers(0, pops[a].size, n_syn)
            post = rng.integers(0, pops[b].size, n_syn)
            for receptor, sign in (("excitatory", 1), ("inhibitory", -1)):
                net.connect(
                    pops[a],
                    pops[b],
                    hub.FromArrays(
                        pre,
                        post,
                        weight=sign * rng.integers(0, 256, n_syn),
                        delay=rng.integers(1, 8, n_syn) * 0.1,
                    ),
                    hub.Static(receptor=receptor),
                    label=f"{a}{b}{receptor}",
                )
    for pop in pops:
        net.record(pop, "spikes", "u", "v")
    return net


def reference_from_ir(net, duration):
    """The reference's inputs written straight from the IR (weights <= 255: mantissa = w,
    exponent 0; programmed delay = hub delay steps - 1)."""
    r = hub.resolve(net, duration)
    offsets, n = {}, 0
    neurons = []
    for lab, p in r.populations.items():
        offsets[lab] = n
        n += p.size
        for i in range(p.size):
            g = lambda k: int(p.params[k][i])  # noqa: E731
            neurons.append(
                {
                    "du": g("du"),
                    "dv": g("dv"),
                    "vth_mant": g("vth_mant"),
                    "bias": g("bias_mant") << g("bias_exp"),
                    "refractory": g("refractory_steps"),
                    "u0": int(p.initial["u"][i]),
                    "v0": int(p.initial["v"][i]),
                }
            )
    src_off, m = {}, 0
    for lab, s in r.sources.items():
        src_off[lab] = m
        m += s.size
    synapses = []
    for k, j in enumerate(r.projections):
        for pre, post, w, d in zip(j.pre_idx, j.post_idx, j.weight, j.delay_steps):
            sender = n + src_off[j.pre] + pre if j.pre in r.sources else offsets[j.pre] + pre
            synapses.append((int(sender), int(offsets[j.post] + post), int(w), 0, k, int(d) - 1))
    inputs = [
        (src_off[lab] + int(i), int(st))
        for lab, s in r.sources.items()
        for i, st in zip(s.indices, s.stamps)
    ]
    return r, offsets, neurons, synapses, inputs


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_chiplif_networks_equal_the_reference_every_step(engine, seed):
    net = random_chiplif_network(seed)
    duration = 30.0
    res = hub.run(net, backend="chip", duration=duration, engine=engine)
    r, offsets, neurons, synapses, inputs = reference_from_ir(net, duration)
    us, vs, spikes = reference(neurons, [], synapses, inputs, r.steps)
    us, vs = np.array(us), np.array(vs)
    total = 0
    for lab, off in offsets.items():
        size = r.populations[lab].size
        np.testing.assert_array_equal(res.signal(lab, "u").values, us[:, off : off + size])
        np.testing.assert_array_equal(res.signal(lab, "v").values, vs[:, off : off + size])
        st = res.spikes(lab)
        ref = [
            (t + 1, i - off)
            for t, fired in enumerate(spikes)
            for i in fired
            if off <= i < off + size
        ]
        assert list(zip(st.stamps.tolist(), st.indices.tolist())) == sorted(ref)
        total += len(ref)
    assert total > 10, "network too quiet to be a test"


@pytest.mark.parametrize("engine", ENGINES)
def test_overflow_wraps_u_and_clips_v_like_the_reference(engine):
    net = random_chiplif_network(7, overflow=True)
    res = hub.run(net, backend="chip", duration=60.0, engine=engine)
    r, offsets, neurons, synapses, inputs = reference_from_ir(net, 60.0)
    us, vs, _ = reference(neurons, [], synapses, inputs, r.steps)
    np.testing.assert_array_equal(
        res.signal("p0", "u").values, np.array(us)[:, : r.populations["p0"].size]
    )
    np.testing.assert_array_equal(
        res.signal("p0", "v").values, np.array(vs)[:, : r.populations["p0"].size]
    )
    counts = res.extra["chip"]["counts"]
    assert counts["u_wraps"] > 0 and counts["v_clips"] > 0


# --- random programs: auxiliary compartments and negative exponents (engine level) --------------
def random_program(seed, steps):
    rng = np.random.default_rng(seed)
    n, n_aux, n_in = 12, 5, 4
    neurons = [
        {
            "du": int(rng.integers(0, 4097)),
            "dv": int(rng.integers(0, 4096)),
            "vth_mant": int(rng.integers(1, 60)),
            "bias": int(rng.integers(-30, 120)),
            "refractory": int(rng.integers(0, 3)),
            "u0": int(rng.integers(-900, 900)),
            "v0": int(rng.integers(-900, 900)),
        }
        for _ in range(n)
    ]
    parents = rng.choice(n, n_aux, replace=False)
    aux = [{"parent": int(p), "du": int(rng.integers(0, 4097)), "u0": 0} for p in parents]
    synapses = []
    for g in range(6):  # groups: (exponent, target set)
        exp = int(rng.integers(-5, 4))
        for _ in range(15):
            sender = int(rng.integers(0, n + n_in))
            target = int(rng.integers(0, n + n_aux))
            synapses.append(
                (sender, target, int(rng.integers(-255, 256)), exp, g, int(rng.integers(0, 5)))
            )
    inputs = [
        (int(a), int(s)) for a, s in zip(rng.integers(0, n_in, 40), rng.integers(1, steps, 40))
    ]
    inputs.sort(key=lambda x: x[1])
    return n, n_in, neurons, aux, synapses, inputs


def to_program(n, n_in, neurons, aux, synapses, inputs, negative_groups=True):
    col = lambda key: np.array([x[key] for x in neurons], np.int64)  # noqa: E731
    c = n + len(aux)
    syn = np.array(synapses, np.int64).reshape(-1, 6)
    pos = syn[syn[:, 3] >= 0] if negative_groups else syn
    neg = syn[syn[:, 3] < 0] if negative_groups else syn[:0]
    n_senders = n + n_in

    def csr(rows):
        order = np.argsort(rows[:, 0], kind="stable")
        rows = rows[order]
        ptr = np.zeros(n_senders + 1, np.int64)
        np.cumsum(np.bincount(rows[:, 0], minlength=n_senders), out=ptr[1:])
        return rows, ptr

    pos, ptr = csr(pos)
    weight = pos[:, 2] << (6 + pos[:, 3])
    ng = None
    if len(neg):
        neg, nptr = csr(neg)
        slots = {}
        aux_slot = np.array(
            [slots.setdefault((g, t), len(slots)) for g, t in zip(neg[:, 4], neg[:, 1])], np.int64
        )
        keys = sorted(slots, key=slots.get)
        exp_of = {g: e for g, e in zip(neg[:, 4], neg[:, 3])}
        ng = NegativeGroups(
            nptr,
            aux_slot,
            neg[:, 5],
            neg[:, 2],
            np.array([t for _, t in keys], np.int64),
            np.array([-exp_of[g] for g, _ in keys], np.int64),
        )
    inp = np.array(inputs, np.int64).reshape(-1, 2)
    return Program(
        n,
        np.concatenate([col("du"), [a["du"] for a in aux]]).astype(np.int64),
        col("dv"),
        col("bias"),
        col("vth_mant") << 6,
        col("refractory"),
        np.concatenate([col("u0"), [a["u0"] for a in aux]]).astype(np.int64),
        col("v0"),
        np.array([a["parent"] for a in aux], np.int64),
        n_in,
        ptr,
        pos[:, 1].copy(),
        pos[:, 5].copy(),
        weight,
        ng,
        inp[:, 0].copy(),
        inp[:, 1].copy(),
    ), c


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_programs_with_aux_compartments_and_negative_exponents(seed):
    steps = 80
    n, n_in, neurons, aux, synapses, inputs = random_program(seed, steps)
    prog, c = to_program(n, n_in, neurons, aux, synapses, inputs)
    us, vs, spikes = reference(neurons, aux, synapses, inputs, steps)
    eng = Engine(prog, [Probe("u", np.arange(c)), Probe("v", np.arange(n))])
    out = eng.run(steps)
    np.testing.assert_array_equal(out.samples[0], np.array(us))
    np.testing.assert_array_equal(out.samples[1], np.array(vs))
    ref = sorted((t, i) for t, fired in enumerate(spikes) for i in fired)
    assert sorted(zip(out.spike_steps.tolist(), out.spike_neurons.tolist())) == ref
    assert len(ref) > 5


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
@pytest.mark.parametrize("seed", [21, 22])
def test_numba_engine_equals_reference_with_aux_compartments(seed):
    steps = 80
    n, n_in, neurons, aux, synapses, inputs = random_program(seed, steps)
    synapses = [(s, t, m, abs(e), g, d) for s, t, m, e, g, d in synapses]  # exponents >= 0
    prog, c = to_program(n, n_in, neurons, aux, synapses, inputs)
    us, vs, spikes = reference(neurons, aux, synapses, inputs, steps)
    out = FastEngine(prog, [Probe("u", np.arange(c)), Probe("v", np.arange(n), 2)]).run(steps)
    np.testing.assert_array_equal(out.samples[0], np.array(us))
    np.testing.assert_array_equal(out.samples[1], np.array(vs)[1::2])
    assert sorted(zip(out.spike_steps.tolist(), out.spike_neurons.tolist())) == sorted(
        (t, i) for t, fired in enumerate(spikes) for i in fired
    )


def test_discretized_lif_network_equals_reference_of_its_program():
    """A LIF network with tau_syn_E != tau_syn_I (auxiliary compartments): the engine's
    integers equal the reference run on the compiled program's integers."""
    from hub_chip.compile import compile_network

    net = hub.Network(dt=0.1, seed=5)
    src = net.add_source(hub.PoissonSource(rate=800.0), size=20, label="src")
    cells = net.add_population(
        15, hub.LIF(tau_syn_E=2.0, tau_syn_I=6.0, tau_refrac=1.0, i_offset=0.3), label="cells"
    )
    cells.initialize(v=hub.Uniform(-65.0, -52.0))
    net.connect(src, cells, hub.FixedProbability(0.4), hub.Static(weight=0.6, delay=0.5))
    net.connect(
        cells,
        cells,
        hub.FixedProbability(0.3),
        hub.Static(weight=-0.5, delay=1.0, receptor="inhibitory"),
    )
    net.inject(
        cells,
        hub.StepCurrentSource(times=[5.0, 12.0, 30.0], amplitudes=[0.4, -0.2, 0.0]),
        indices=[0, 3, 7],
    )
    net.inject(cells, hub.DCSource(amplitude=0.25, start=20.0), indices=[3, 4])
    r = hub.resolve(net, 40.0)
    p = compile_network(r).program
    n = p.n_neurons
    assert p.n_comp == 2 * n
    neurons = [
        {
            "du": int(p.du[i]),
            "dv": int(p.dv[i]),
            "vth_mant": int(p.vth[i]) >> 6,
            "bias": int(p.bias[i]),
            "refractory": int(p.refractory[i]),
            "u0": int(p.u0[i]),
            "v0": int(p.v0[i]),
        }
        for i in range(n)
    ]
    aux = [
        {"parent": int(par), "du": int(p.du[n + k]), "u0": int(p.u0[n + k])}
        for k, par in enumerate(p.join_parent)
    ]
    senders = np.repeat(np.arange(p.n_senders), np.diff(p.ptr))
    synapses = [
        (int(s), int(t), int(w) >> 6, 0, 0, int(d))
        for s, t, w, d in zip(senders, p.target, p.weight, p.delay)
    ]
    assert all(w % 64 == 0 for w in p.weight)
    inputs = list(zip(p.input_index.tolist(), p.input_stamp.tolist()))
    changes = list(zip(p.bias_step.tolist(), p.bias_index.tolist(), p.bias_value.tolist()))
    assert {s for s, _, _ in changes} == {50, 120, 200, 300}
    us, vs, spikes = reference(neurons, aux, synapses, inputs, r.steps, changes)
    for cls in [Engine] + ([FastEngine] if HAVE_NUMBA else []):
        out = cls(p, [Probe("u", np.arange(p.n_comp)), Probe("v", np.arange(n))]).run(r.steps)
        np.testing.assert_array_equal(out.samples[0], np.array(us))
        np.testing.assert_array_equal(out.samples[1], np.array(vs))
        assert sorted(zip(out.spike_steps.tolist(), out.spike_neurons.tolist())) == sorted(
            (t, i) for t, fired in enumerate(spikes) for i in fired
        )
    assert sum(map(len, spikes)) > 10

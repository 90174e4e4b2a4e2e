"""models/microcircuit.py, the Potjans-Diesmann (2014) microcircuit: its derived parameters
against closed forms, its structure, NEST against Brian2 at small scale (identical spikes),
and the population rates on NEST against the published full-scale rates (slow)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

import hub

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
import microcircuit as mc  # noqa: E402

sys.path.pop(0)


def test_the_psc_of_a_015_mv_psp_is_87_8_pa():
    """The peak of V(t) = J / C_m tau_m tau_syn / (tau_m - tau_syn) (e^(-t/tau_m) -
    e^(-t/tau_syn)), found numerically, is 0.15 mV for the model's PSC."""
    j = mc.PSP_EXC * mc.psc_over_psp()
    t = np.linspace(0.0, 10.0, 200001)
    v = (
        j
        / mc.C_M
        * mc.TAU_M
        * mc.TAU_SYN
        / (mc.TAU_M - mc.TAU_SYN)
        * (np.exp(-t / mc.TAU_M) - np.exp(-t / mc.TAU_SYN))
    )
    assert v.max() == pytest.approx(0.15, rel=1e-9)
    assert j == pytest.approx(87.81, abs=0.005)


def test_total_numbers_give_back_the_connection_probabilities():
    """C = 1 - (1 - 1/(N_i N_j))^K: the probability that a pair is connected at least once
    after K draws with replacement gives the paper's table back; 298.9 million synapses at
    full scale."""
    k = mc.full_num_synapses()
    prod = np.outer(mc.N_FULL, mc.N_FULL).astype(float)
    np.testing.assert_allclose(1 - (1 - 1 / prod) ** k, mc.CONN_PROBS, atol=1e-12)
    assert round(k.sum()) == pytest.approx(298.88e6, rel=1e-4)
    assert mc.N_FULL.sum() == 77169


def test_parameters_scale_as_nest_s_example():
    full = mc.parameters(1.0, 1.0)
    assert (full["dc"] == 0).all() and (full["k_ext"] == mc.K_EXT).all()
    psc = mc.PSP_EXC * mc.psc_over_psp()
    assert full["psc"][0, 2] == 2 * psc and full["psc"][0, 0] == psc
    assert full["psc"][3, 1] == -4 * psc
    p = mc.parameters(0.1, 0.25)
    assert (p["n"] == np.round(mc.N_FULL * 0.1)).all()
    assert (p["synapses"] == np.round(mc.full_num_synapses() * 0.025)).all()
    np.testing.assert_allclose(p["psc"], full["psc"] * 2)  # 1 / sqrt(0.25)
    # the DC restores the mean input lost by k_scale at the published rates, recurrent and
    # external: 1e-3 tau_syn (1 - sqrt k) (sum_j PSC_ij K_ij / N_i nu_j + PSC_ext K_ext 8 Hz)
    i = 4  # L5E
    rec = sum(
        full["psc"][i, j] * mc.full_num_synapses()[i, j] / mc.N_FULL[i] * mc.FULL_MEAN_RATES[j]
        for j in range(8)
    )
    ext = psc * mc.K_EXT[i] * 8.0
    assert p["dc"][i] == pytest.approx(1e-3 * 0.5 * 0.5 * (rec + ext), rel=1e-12)
    dc = mc.parameters(1.0, 1.0, background="dc")["dc"]
    np.testing.assert_allclose(dc, 1e-3 * 0.5 * 8.0 * mc.K_EXT * psc)  # 562 pA for L23E


def test_structure_at_small_scale():
    net = mc.build(0.02)
    r = hub.resolve(net, 10.0)
    p = mc.parameters(0.02)
    for i, name in enumerate(mc.POPULATIONS):
        assert r.size_of(name) == p["n"][i]
    for proj in r.projections:
        if proj.label.startswith("bg"):
            assert (proj.pre_idx.size == proj.post_idx.size) and proj.n == r.size_of(proj.post)
            continue
        src, dst = proj.label.split("->")
        i, j = mc.POPULATIONS.index(dst), mc.POPULATIONS.index(src)
        assert proj.n == p["synapses"][i, j]
        if src == dst:
            assert not (proj.pre_idx == proj.post_idx).any()
        assert (proj.weight < 0).all() if j % 2 else (proj.weight > 0).all()
        assert proj.delay_steps.min() >= 1
        if proj.n >= 1000:  # mean of a normal redrawn below dt and rounded to steps
            mean_delay = 0.75 if j % 2 else 1.5
            assert abs(proj.delay_steps.mean() * 0.1 - mean_delay) < 0.1 * mean_delay


@pytest.mark.nest
@pytest.mark.brian2
@pytest.mark.parametrize(
    "background, v0, least", [("poisson", "optimized", 1000), ("dc", "original", 300)]
)
def test_nest_and_brian2_give_identical_spikes_at_small_scale(background, v0, least):
    """Scale 0.02 (1543 neurons, about 120000 synapses), 300 ms: every spike equal (1520
    spikes with Poisson background).  With DC background and k_scale < 1 the compensating
    DC assumes the full network's recurrent input, so a network started below threshold
    (v0="optimized") stays silent and one started from v0="original" fires an initial
    burst that dies out (411 spikes): it checks the DC path, not the dynamics."""
    r = hub.resolve(mc.build(0.02, background=background, v0=v0), 300.0)
    r_nest = hub.run(r, backend="nest")
    r_b2 = hub.run(r, backend="brian2")
    total = 0
    for name in mc.POPULATIONS:
        assert r_nest.spikes(name) == r_b2.spikes(name), name
        total += len(r_nest.spikes(name))
    assert total > least, total


@pytest.mark.nest
def test_nest_draws_the_native_total_numbers():
    """connect="native": NEST's fixed_total_number makes exactly the model's synapse
    numbers, without autapses."""
    nest = pytest.importorskip("nest")
    from hub.plugins import get_backend

    r = hub.resolve(mc.build(0.02, connect="native"), 10.0)
    p = mc.parameters(0.02)
    session = get_backend("nest").build(r)
    try:
        for i, target in enumerate(mc.POPULATIONS):
            for j, source in enumerate(mc.POPULATIONS):
                c = nest.GetConnections(session.nodes[source], session.nodes[target])
                assert len(c) == p["synapses"][i, j], (source, target)
                if source == target and len(c):
                    assert not (np.asarray(c.source) == np.asarray(c.target)).any()
    finally:
        session.close()


#: scale, k_scale -> bound on |rate - published| per population, Hz (measured deviations in
#: docs/microcircuit.md; the bound leaves about 1.5 times the largest measured one)
RATE_BOUNDS = {(0.1, 0.1): 2.5, (0.25, 1.0): 1.0}


@pytest.mark.slow
@pytest.mark.nest
@pytest.mark.parametrize("scale, k_scale", sorted(RATE_BOUNDS))
def test_rates_on_nest_are_the_published_ones_within_the_bound(scale, k_scale):
    """1.5 s on NEST (native Poisson background, seed 55), rates over 0.5-1.5 s against the
    full network's (NEST's example ``full_mean_rates``, Potjans and Diesmann Fig. 6)."""
    r = hub.run(
        hub.resolve(mc.build(scale, k_scale=k_scale, poisson="native"), 1500.0), backend="nest"
    )
    got = mc.rates(r, 500.0)
    diff = {name: got[name] - mc.FULL_MEAN_RATES[i] for i, name in enumerate(mc.POPULATIONS)}
    assert max(abs(d) for d in diff.values()) < RATE_BOUNDS[(scale, k_scale)], diff
    # and the network is in its asynchronous irregular state, not silent or saturated
    assert all(0.1 < v < 20.0 for v in got.values()), got
    assert not math.isnan(sum(got.values()))

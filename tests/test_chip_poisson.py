"""The chip's native Poisson sampler (hub_chip.native): CDF tables against the closed form,
SplitMix64 against its published first output, the counts' distribution (split means
included), and the numba kernel computing the numpy engine's integers."""

import math

import numpy as np
import pytest

import hub
from hub_chip.native import MAX_TABLE_LAM, NativeInputs, cdf_table, splitmix_uniform


@pytest.mark.parametrize("lam", [1e-4, 0.05, 1.7789, 12.0, MAX_TABLE_LAM])
def test_cdf_table_is_the_poisson_cdf(lam):
    table = cdf_table(lam)
    exact = np.cumsum(
        [math.exp(-lam + j * math.log(lam) - math.lgamma(j + 1)) for j in range(len(table))]
    )
    np.testing.assert_allclose(table, np.minimum(exact, 1.0), rtol=1e-12, atol=1e-15)
    assert 1.0 - table[-1] < 1e-15  # what is left is rounding, not tail mass
    assert (np.diff(table) >= 0).all()


def test_splitmix64_first_output():
    """Vigna's splitmix64.c seeded with 0 first returns 0xE220A8397B1DCDAF."""
    u = splitmix_uniform(np.uint64(0), np.array([1], np.uint64))[0]
    assert u == (0xE220A8397B1DCDAF >> 11) / 2**53


class _Program:
    def __init__(self, lam, steps):
        k = len(lam)
        self.n_neurons, self.native_input = 0, np.arange(k)
        self.native_lam = np.asarray(lam, float)
        self.native_first, self.native_last = np.ones(k, np.int64), np.full(k, steps)
        self.native_seed = 7


def test_counts_are_poisson_including_split_means():
    lams = np.repeat([0.02, 1.7789, 9.0, 3.5 * MAX_TABLE_LAM], 40)
    nat = NativeInputs(_Program(lams, 5000))
    assert nat.parts.max() == 4
    counts = nat.rows(0, 5000)
    for lam in np.unique(lams):
        c = counts[:, lams == lam].ravel()  # 200,000 counts
        assert abs(c.mean() - lam) < 5 * math.sqrt(lam / c.size), (lam, c.mean())
        assert c.var() / c.mean() == pytest.approx(1.0, abs=0.03), lam
    # a pure function of (seed, step, axon): any block boundary gives the same counts
    np.testing.assert_array_equal(nat.rows(1234, 10), counts[1234:1244])


def test_numba_engine_draws_the_numpy_engines_counts():
    fast = pytest.importorskip("hub_chip.fast")
    if not fast.HAVE_NUMBA:
        pytest.skip("numba not installed")
    net = hub.Network(dt=0.1, seed=11)
    src = net.add_source(
        hub.PoissonSource(rate=[300.0, 9000.0, 200000.0] * 10, resolve="native"),
        size=30,
        label="src",
    )
    pop = net.add_population(30, hub.LIF(synapse="exp", tau_m=10.0), label="pop")
    net.connect(src, pop, hub.OneToOne(), hub.Static(0.05, 1.0))
    net.record(pop, "spikes")
    runs = {e: hub.run(net, backend="chip", duration=300.0, engine=e) for e in ("numpy", "numba")}
    a, b = runs["numpy"], runs["numba"]
    assert len(a.spikes("pop")) > 100
    assert a.spikes("pop") == b.spikes("pop")
    assert (
        a.extra["chip"]["counts"]["input_spikes"] == b.extra["chip"]["counts"]["input_spikes"] > 0
    )

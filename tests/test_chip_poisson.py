"""The chip's native Poisson sampler (hub_chip.native): CDF tables against the closed form,
the numba table walk against numpy's searchsorted, and the counts' distribution."""
import math

import numpy as np
import pytest

from hub_chip.native import MAX_TABLE_LAM, cdf_table, invert_numpy


@pytest.mark.parametrize("lam", [1e-4, 0.05, 1.7789, 12.0, MAX_TABLE_LAM])
def test_cdf_table_is_the_poisson_cdf(lam):
    table = cdf_table(lam)
    exact = np.cumsum([math.exp(-lam + j * math.log(lam) - math.lgamma(j + 1))
                       for j in range(len(table))])
    np.testing.assert_allclose(table, np.minimum(exact, 1.0), rtol=1e-12, atol=1e-15)
    assert 1.0 - table[-1] < 1e-15       # what is left is rounding, not tail mass
    assert (np.diff(table) >= 0).all()


def test_numba_walk_equals_numpy_searchsorted_and_counts_are_poisson():
    fast = pytest.importorskip("hub_chip.fast")
    if not fast.HAVE_NUMBA:
        pytest.skip("numba not installed")
    lams = np.array([0.3, 1.7789, 9.0])
    tables = np.ones((3, max(len(cdf_table(x)) for x in lams)))
    for g, x in enumerate(lams):
        t = cdf_table(x)
        tables[g, :len(t)] = t
    group = np.repeat(np.arange(3), 50)
    u = np.random.default_rng(5).random((4000, len(group)))
    a, b = np.empty(u.shape, np.int64), np.empty(u.shape, np.int64)
    invert_numpy(u, tables, group, a)
    fast.invert()(u, tables, group, b)
    np.testing.assert_array_equal(a, b)
    for g, x in enumerate(lams):
        counts = a[:, group == g].ravel()           # 200,000 draws
        se = math.sqrt(x / counts.size)
        assert abs(counts.mean() - x) < 5 * se, (x, counts.mean())
        assert counts.var() / counts.mean() == pytest.approx(1.0, abs=0.03)

"""Native Poisson sources (``PoissonSource(resolve="native")``) on the chip.

Each native source neuron is an input axon like any spike source; instead of a list of
(axon, stamp) events the program carries its ``lam = rate dt`` and its window of stamps
``[first, last]``, and the engine draws the count of step t (stamp t + 1) from
``Poisson(lam)``, then delivers ``count x`` the axon's integer weights exactly as a source
spike of that multiplicity (one step of synaptic latency plus the programmed delay).

The counts are a pure function of (network seed, step, axon), so both engines (numpy and
numba) compute the same integers with no stored random state and O(size) memory:

* a uniform u = SplitMix64(key + c * G) / 2^64 for the counter c = (t * K + e) * M + j + 1
  (step t, axon e of K, part j of M; G = 0x9E3779B97F4A7C15, key from the network seed):
  SplitMix64 over a counter is Steele, Lea & Flood's generator (2014, passes BigCrush);
* inversion: the count of a part is #{i : F(i) <= u}, with F the CDF of Poisson(lam / parts)
  tabulated once (F(i) = sum_{l<=i} exp(-x) x^l / l!, up to where F reaches 1 in float64;
  the mass left beyond, < 1e-15 with rounding, is dropped); the numba kernel starts its walk
  at a guide table's entry for floor(u * GUIDE) (the count of that cell's lower edge, a
  lower bound), so it rarely takes a step;
* an axon with lam above :data:`MAX_TABLE_LAM` is the sum of ``parts`` independent Poisson
  draws of lam / parts each (a sum of independent Poisson variables is Poisson), so every
  table stays short.

Cost (Brunel, lam = 1.78 per step): numpy's ``Generator.poisson`` took ~70 ns per count, a
PCG64 uniform plus a table walk over stored blocks ~20 ns; the numba kernel now hashes and
inverts inside its step loop (``fast._kernel``): ~10 ns per count in a micro-benchmark
(2 ns of it the hash), nothing stored; the Brunel 0.25 run went from 2.4 s to 1.3 s.
"""

from __future__ import annotations

import numpy as np

#: largest mean count per step of one table (larger means are split into parts)
MAX_TABLE_LAM = 16.0
#: steps per block of the numpy engine
BLOCK = 1 << 22
#: cells of the guide table: the walk starts at the count of the cell's lower edge
GUIDE = 1024
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)


def cdf_table(lam: float) -> np.ndarray:
    """Poisson(lam) CDF F(0), F(1), ... until it reaches 1.0 in float64 (or stops growing)."""
    out, p, total, j = [], float(np.exp(-lam)), 0.0, 0
    while True:
        total += p
        out.append(min(total, 1.0))
        if total >= 1.0 or (j > lam and p < 1e-17):
            break
        j += 1
        p *= lam / j
    return np.asarray(out)


def invert_numpy(u, tables, group, out):
    """``out[:, e] = #{j : tables[group[e], j] <= u[:, e]}`` (searchsorted, side right)."""
    for g in range(len(tables)):
        cols = np.flatnonzero(group == g)
        if len(cols):
            out[:, cols] = np.searchsorted(tables[g], u[:, cols], side="right")


def splitmix_uniform(key: np.uint64, counter: np.ndarray) -> np.ndarray:
    """u in [0, 1) from SplitMix64 of ``key + counter * GOLDEN`` (uint64 arithmetic wraps)."""
    with np.errstate(over="ignore"):
        z = key + np.asarray(counter, np.uint64) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * MIX1
        z = (z ^ (z >> np.uint64(27))) * MIX2
        z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


class NativeInputs:
    """Per-step Poisson counts of the native input axons of a program (module docstring)."""

    def __init__(self, program):
        p = program
        self.senders = (p.n_neurons + p.native_input).astype(np.int64)
        self.lam = np.asarray(p.native_lam, float)
        k = len(self.senders)
        self.first = np.broadcast_to(np.asarray(p.native_first, np.int64), (k,)).copy()
        self.last = np.broadcast_to(np.asarray(p.native_last, np.int64), (k,)).copy()
        self.key = np.uint64(
            int(
                np.random.SeedSequence([int(p.native_seed) % (2**63), 0x6368697020]).generate_state(
                    1, np.uint64
                )[0]
            )
        )
        self.totals = np.zeros(k, np.int64)  # counts delivered so far
        self.parts = np.maximum(1, np.ceil(self.lam / MAX_TABLE_LAM)).astype(np.int64)
        self.n_parts = int(self.parts.max()) if k else 1
        lams, group = np.unique(self.lam / self.parts, return_inverse=True)
        tables = [cdf_table(x) for x in lams]
        self.tables = np.ones((len(lams), max((len(t) for t in tables), default=1)))
        for g, t in enumerate(tables):
            self.tables[g, : len(t)] = t  # padded with F = 1
        self.group = group.astype(np.int64)
        edges = np.arange(GUIDE) / GUIDE
        self.guide = np.array(
            [np.searchsorted(t, edges, side="right") for t in self.tables], np.int64
        ).reshape(len(self.tables), GUIDE)

    def __len__(self) -> int:
        return len(self.senders)

    @property
    def max_steps(self) -> int:
        """Steps per block of :meth:`rows`."""
        return max(1, BLOCK // max(1, len(self.senders) * self.n_parts))

    def rows(self, t0: int, steps: int) -> np.ndarray:
        """Counts (steps, axons) of engine steps t0 .. t0 + steps - 1 (numpy engine)."""
        k, m = len(self.senders), self.n_parts
        out = np.zeros((steps, k), np.int64)
        if not k:
            return out
        t = np.arange(t0, t0 + steps, dtype=np.uint64)[:, None]
        cell = (t * np.uint64(k) + np.arange(k, dtype=np.uint64)[None, :]) * np.uint64(m)
        part = np.empty((steps, k), np.int64)
        for j in range(m):
            invert_numpy(
                splitmix_uniform(self.key, cell + np.uint64(j + 1)), self.tables, self.group, part
            )
            out += np.where(j < self.parts, part, 0)
        stamp = np.arange(t0, t0 + steps)[:, None] + 1
        out *= (stamp >= self.first) & (stamp <= self.last)
        return out

    def consumed(self, rows: np.ndarray) -> int:
        """Book the counts of ``rows`` as delivered; returns their sum."""
        if not rows.size:
            return 0
        s = rows.sum(axis=0)
        self.totals += s
        return int(s.sum())

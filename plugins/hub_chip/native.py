"""Native Poisson sources (``PoissonSource(resolve="native")``) on the chip.

Each native source neuron is an input axon like any spike source; instead of a list of
(axon, stamp) events the program carries its ``lam = rate dt`` and its window of stamps
``[first, last]``, and the engine draws the count of step t (stamp t + 1) from
``Poisson(lam)`` with the chip's own generator (PCG64 seeded from the network seed and the
tag ``"chip-native-poisson"``), then delivers ``count x`` the axon's integer weights exactly
as a source spike of that multiplicity (one step of synaptic latency plus the programmed
delay).  Counts are drawn in blocks of steps (at most ``BLOCK`` numbers at a time), so memory
stays O(size) and both engines (numpy, numba) see the same counts.

Sampling by inversion: one uniform u in [0, 1) per (step, axon) and the count
k = #{j : F(j) <= u}, with F the Poisson CDF of the axon's lam tabulated once
(F(j) = sum_{i<=j} exp(-lam) lam^i / i!, up to the j where F reaches 1 in float64; the mass
left beyond, < 1e-15 with rounding, is dropped).  numpy's ``Generator.poisson`` costs ~70 ns per number,
which made these draws 2/3 of the chip's Brunel run; the uniforms cost ~7 ns and the numba
engine's table walk (``fast.invert``) ~lam + 1 comparisons.  Axons with lam above
:data:`MAX_TABLE_LAM` use ``Generator.poisson``.
"""
from __future__ import annotations

import numpy as np

#: numbers drawn per block (steps x native axons)
BLOCK = 1 << 22
#: largest mean count per step sampled by table inversion (tables stay short)
MAX_TABLE_LAM = 64.0


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


class NativeInputs:
    """Per-step Poisson counts of the native input axons of a program, drawn in blocks."""

    def __init__(self, program):
        p = program
        self.senders = (p.n_neurons + p.native_input).astype(np.int64)
        self.lam = np.asarray(p.native_lam, float)
        self.first, self.last = p.native_first, p.native_last
        self.rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            [int(p.native_seed) % (2 ** 63), 0x6368697020]))) if len(self.senders) else None
        self.buf_t0 = 0
        self.buf = np.zeros((0, len(self.senders)), np.int64)
        self.totals = np.zeros(len(self.senders), np.int64)   # counts delivered so far
        lams, group = np.unique(self.lam, return_inverse=True)
        self.big = np.flatnonzero(self.lam > MAX_TABLE_LAM)
        small = [cdf_table(x) if x <= MAX_TABLE_LAM else np.ones(1) for x in lams]
        width = max((len(t) for t in small), default=1)
        self.tables = np.ones((len(lams), width))          # padded with F = 1
        for g, t in enumerate(small):
            self.tables[g, :len(t)] = t
        self.group = group.astype(np.int64)
        self.invert = invert_numpy                          # the numba engine swaps it

    def __len__(self) -> int:
        return len(self.senders)

    @property
    def max_steps(self) -> int:
        """Steps per block."""
        return max(1, BLOCK // max(1, len(self.senders)))

    def rows(self, t0: int, steps: int) -> np.ndarray:
        """Counts (steps, axons) of engine steps t0 .. t0 + steps - 1; steps are consumed in
        order (a call may repeat the unconsumed tail of the previous block)."""
        k = len(self.senders)
        if not k:
            return np.zeros((steps, 0), np.int64)
        end = self.buf_t0 + len(self.buf)
        if t0 < self.buf_t0:
            raise RuntimeError("native Poisson counts are consumed in order")
        if t0 + steps > end:
            keep = self.buf[t0 - self.buf_t0:] if t0 < end else self.buf[:0]
            start = max(t0, end)
            new = self._draw(t0 + steps - start)
            stamp = np.arange(start, t0 + steps)[:, None] + 1
            new *= (stamp >= self.first) & (stamp <= self.last)
            self.buf = np.concatenate([keep, new]) if len(keep) else new
            self.buf_t0 = t0
        return self.buf[t0 - self.buf_t0: t0 - self.buf_t0 + steps]

    def _draw(self, steps: int) -> np.ndarray:
        """Counts of ``steps`` steps for every axon (see the module docstring)."""
        k = len(self.senders)
        u = self.rng.random(size=(steps, k))
        out = np.empty((steps, k), np.int64)
        self.invert(u, self.tables, self.group, out)
        if len(self.big):
            out[:, self.big] = self.rng.poisson(self.lam[self.big], size=(steps, len(self.big)))
        return out

    def consumed(self, rows: np.ndarray) -> int:
        """Book the counts of ``rows`` as delivered; returns their sum."""
        if not rows.size:
            return 0
        s = rows.sum(axis=0)
        self.totals += s
        return int(s.sum())

"""Native Poisson sources (``PoissonSource(resolve="native")``) on the chip.

Each native source neuron is an input axon like any spike source; instead of a list of
(axon, stamp) events the program carries its ``lam = rate dt`` and its window of stamps
``[first, last]``, and the engine draws the count of step t (stamp t + 1) from
``Poisson(lam)`` with the chip's own generator (PCG64 seeded from the network seed and the
tag ``"chip-native-poisson"``), then delivers ``count x`` the axon's integer weights exactly
as a source spike of that multiplicity (one step of synaptic latency plus the programmed
delay).  Counts are drawn in blocks of steps (at most ``BLOCK`` numbers at a time), so memory
stays O(size) and both engines (numpy, numba) see the same counts.
"""
from __future__ import annotations

import numpy as np

#: numbers drawn per block (steps x native axons)
BLOCK = 1 << 22


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
            new = self.rng.poisson(self.lam, size=(t0 + steps - start, k))
            stamp = np.arange(start, t0 + steps)[:, None] + 1
            new *= (stamp >= self.first) & (stamp <= self.last)
            self.buf = np.concatenate([keep, new]) if len(keep) else new
            self.buf_t0 = t0
        return self.buf[t0 - self.buf_t0: t0 - self.buf_t0 + steps]

    def consumed(self, rows: np.ndarray) -> int:
        """Book the counts of ``rows`` as delivered; returns their sum."""
        if not rows.size:
            return 0
        s = rows.sum(axis=0)
        self.totals += s
        return int(s.sum())

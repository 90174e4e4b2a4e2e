"""The time-stepped chip engine: vectorised numpy over all compartments, integer dtypes,
event-driven synaptic delivery.

Each step ``t`` (stamp ``t + 1``):

1. ``A`` = the ring-buffer slot of step ``t`` (inputs sent earlier, already shifted into u
   units; negative-exponent groups are summed per group and shifted here);
2. u of every compartment, then v of every neuron (compartment.py), with the u of its
   auxiliary compartment (if any) joined in; v is clipped;
3. refractory compartments are held at v = 0; spikes are ``v > vth``; a spiking
   compartment is reset to 0 (or, where the program says ``subtract``, loses the effective
   threshold: ``v <- v - (vth + 1)``) and becomes refractory; a subtracting neuron with
   ``max_spikes`` above 1 emits k = min(max_spikes, v // (vth + 1)) spikes and loses
   k (vth + 1), and its CSR row is sent k times;
4. the CSR rows of the neurons that spiked, and of the input axons whose source spike has
   stamp ``t + 1`` (native Poisson axons: their count drawn for this step, native.py), are
   added to ring slot ``t + 1 + d`` (one step of synaptic latency plus the programmed
   delay d).

There is no Python loop over neurons or synapses, only over steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .compartment import ACT_SHIFT, U_HALF, V_MAX, decay, wrap24
from .native import NativeInputs
from .program import Program


@dataclass
class Probe:
    """Record ``variable`` ('u' or 'v') of ``compartments`` after every ``interval``-th step."""

    variable: str
    compartments: np.ndarray
    interval: int = 1


@dataclass
class EngineOutput:
    spike_steps: np.ndarray  # step t of each spike (stamp t + 1)
    spike_neurons: np.ndarray  # neuron index of each spike
    samples: list  # one int64 array (n_samples, n_idx) per probe
    synaptic_events: int = 0  # synapse activations delivered (the chip's synaptic ops)
    active_updates: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    u_wraps: int = 0  # compartment-steps where u left the 24-bit range
    v_clips: int = 0  # compartment-steps where v was clipped
    input_spikes: int = 0  # source spikes sent into input axons (native included)
    steps: int = 0
    #: spikes of each native Poisson axon in this run (program.native_input order)
    native_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def gather_rows(ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Indices of all CSR entries of ``rows`` (repeats allowed), concatenated."""
    starts = ptr[rows]
    lens = ptr[rows + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(lens)
    return np.arange(total, dtype=np.int64) + np.repeat(starts - ends + lens, lens)


class EngineState:
    """The state both engines (this one and fast.FastEngine) start from and keep across
    :meth:`run` calls: u and v of every compartment, the per-compartment keep factors
    ``2^decay_shift - du`` and ``2^decay_shift - dv``, the current bias, the delay ring of
    ``max_delay + 2`` slots of u increments (synapse ``s`` lands in slot column
    ``key[s] = delay[s] * n_comp + target[s]``), the step each neuron is refractory until, the
    activity counts, the native Poisson inputs and the step counter ``t``."""

    def __init__(self, program: Program, probes=(), count_activity: bool = True):
        program.validate()
        self.p = p = program
        self.probes = list(probes)
        self.count_activity = count_activity
        c, n = p.n_comp, p.n_neurons
        self.u = p.u0.astype(np.int64).copy()
        self.v = p.v0.astype(np.int64).copy()
        one = 1 << p.decay_shift  # 4096 (Loihi 1); 2^24 in the loihi2 mode
        self.keep_u = (one - p.du).astype(np.int64)
        self.keep_v = (one - p.dv).astype(np.int64)  # neurons only
        self.half_u = p.rounding
        self.half_v = self.half_u[: p.n_neurons].copy()
        self.bias = p.bias.astype(np.int64).copy()
        self.slots = p.max_delay + 2
        self.ring = np.zeros((self.slots, c), np.int64)
        # int32 while the ring fits (4 bytes per synapse instead of 8)
        kdt = np.int32 if self.slots * c < 2**31 else np.int64
        self.key = p.delay.astype(kdt) * kdt(c) + p.target.astype(kdt, copy=False)
        self.ref_until = np.full(n, -1, np.int64)
        #: what a spike subtracts from v; 0: v is reset to 0 instead
        self.drop = np.where(p.subtracting, p.vth + 1, 0).astype(np.int64)
        #: spikes per step at most (1 except LIFSubtract[spikes=many])
        self.cap = np.where(p.subtracting, p.spike_caps, 1).astype(np.int64)
        self.active = np.zeros(c, np.int64)
        self.native = NativeInputs(p)
        self.t = 0


class Engine(EngineState):
    """Runs a :class:`Program`.  State persists across :meth:`run` calls."""

    def __init__(self, program: Program, probes=(), count_activity: bool = True, learning=None):
        super().__init__(program, probes, count_activity)
        self.learning = learning  # learning.Learning: updates program.weight in place
        p, n = self.p, program.n_neurons
        self.has_bias = bool(self.bias.any()) or len(p.bias_step) > 0
        neg = p.neg
        if neg is not None and neg.n_aux:
            self.ring_neg = np.zeros((self.slots, neg.n_aux), np.int64)
            self.key_neg = neg.delay.astype(np.int64) * neg.n_aux + neg.aux
        else:
            self.ring_neg = None
        self.last_ref = -1
        # the join as (parent slice, aux slice) pairs where parents are contiguous runs
        par = p.join_parent
        cuts = np.flatnonzero(np.diff(par) != 1) + 1 if len(par) else np.zeros(0, np.int64)
        starts = np.concatenate([[0], cuts]).astype(int) if len(par) else []
        ends = np.concatenate([cuts, [len(par)]]).astype(int) if len(par) else []
        self.join = [
            (slice(int(par[a]), int(par[a]) + b - a), slice(n + a, n + b))
            for a, b in zip(starts, ends)
        ]

    # ------------------------------------------------------------------------------------------
    def run(self, steps: int, progress=None) -> EngineOutput:
        p = self.p
        n, c = p.n_neurons, p.n_comp
        L = self.slots
        ring, flat = self.ring, self.ring.reshape(-1)
        key, weight, ptr = self.key, p.weight, p.ptr
        neg = p.neg if self.ring_neg is not None else None
        if neg is not None:
            flat_neg, key_neg = self.ring_neg.reshape(-1), self.key_neg
        u, v = self.u, self.v
        nu, nv = np.empty(c, np.int64), np.empty(n, np.int64)
        scratch, scratch_n = np.empty(c, np.int64), np.empty(n, np.int64)
        keep_u, keep_v, bias, vth = self.keep_u, self.keep_v, self.bias, p.vth
        refr, ref_until = p.refractory, self.ref_until
        drop, cap = self.drop, self.cap
        subtracts = bool(drop.any())
        multi = bool((cap > 1).any())
        n_aux = c - n
        # source spikes: the ones stamped t0 + k + 1 are sent in step k
        t0 = self.t
        bounds = np.searchsorted(p.input_stamp, np.arange(t0 + 1, t0 + steps + 2))
        in_senders = n + p.input_index
        bias_bounds = np.searchsorted(p.bias_step, np.arange(t0, t0 + steps + 1))
        probes = self.probes
        samples = [
            np.zeros((steps // pr.interval, len(pr.compartments)), np.int64) for pr in probes
        ]
        spike_steps, spike_neurons = [], []
        events = u_wraps = v_clips = 0
        active = self.active
        act_buf = np.empty(c, np.int64)
        every = max(1, steps // 100)
        nat, block_len = self.native, self.native.max_steps
        nat_before, nat_spikes = nat.totals.copy(), 0
        for k in range(steps):
            t = t0 + k
            slot = t % L
            if len(nat) and k % block_len == 0:
                block = nat.rows(t, min(block_len, steps - k))
                nat_spikes += nat.consumed(block)
            b0, b1 = bias_bounds[k], bias_bounds[k + 1]
            if b1 > b0:  # current injections switching from this step on
                bias[p.bias_index[b0:b1]] = p.bias_value[b0:b1]
            # --- 1-2: u --------------------------------------------------------------------
            decay(u, keep_u, nu, scratch, p.decay_shift, self.half_u)
            nu += ring[slot]
            ring[slot] = 0
            if neg is not None:
                a = self.ring_neg[slot]
                nz = np.flatnonzero(a)
                if nz.size:
                    contrib = (a[nz] >> neg.aux_shift[nz]) << ACT_SHIFT
                    np.add.at(nu, neg.aux_target[nz], contrib)
                    a[nz] = 0
            if nu.max() >= U_HALF or nu.min() < -U_HALF:
                u_wraps += int(np.count_nonzero((nu >= U_HALF) | (nu < -U_HALF)))
                wrap24(nu)
            u, nu = nu, u
            # --- v -------------------------------------------------------------------------
            decay(v, keep_v, nv, scratch_n, p.decay_shift, self.half_v)
            nv += u[:n] if n_aux else u
            if self.has_bias:
                nv += bias
            for ps, aux in self.join:
                nv[ps] += u[aux]
            if nv.max() > V_MAX or nv.min() < -V_MAX:
                v_clips += int(np.count_nonzero((nv > V_MAX) | (nv < -V_MAX)))
                np.clip(nv, -V_MAX, V_MAX, out=nv)
            v, nv = nv, v
            # --- 3: refractory hold, threshold, reset ----------------------------------------
            vn = v
            if self.last_ref >= t:
                np.putmask(vn, ref_until >= t, 0)
            fired = np.flatnonzero(vn > vth)
            emitted = fired
            if fired.size:
                if subtracts:  # k = min(cap, v // d) spikes (v > vth means v >= d, so k >= 1)
                    d = drop[fired]
                    vf = vn[fired]
                    many = np.where(d > 0, np.minimum(cap[fired], vf // np.maximum(d, 1)), 1)
                    vn[fired] = np.where(d > 0, vf - many * d, 0)
                    if multi:
                        emitted = np.repeat(fired, many)
                else:
                    vn[fired] = 0
                until = t + refr[fired]
                ref_until[fired] = until
                self.last_ref = max(self.last_ref, int(until.max()))
                spike_steps.append(np.full(emitted.size, t, np.int64))
                spike_neurons.append(emitted)
            if self.count_activity:
                if n_aux:
                    np.bitwise_or(u[:n], v, out=act_buf[:n])
                    act_buf[n:] = u[n:]
                else:
                    np.bitwise_or(u, v, out=act_buf)
                active += act_buf != 0
            for j, pr in enumerate(probes):
                if (k + 1) % pr.interval == 0:
                    samples[j][(k + 1) // pr.interval - 1] = (u if pr.variable == "u" else v)[
                        pr.compartments
                    ]
            # --- 4: learn (weights after this step's updates are sent), deliver -----------------
            lo, hi = bounds[k], bounds[k + 1]
            if self.learning is not None:
                self.learning.step(fired, in_senders[lo:hi])
            senders = emitted if lo == hi else np.concatenate([emitted, in_senders[lo:hi]])
            if len(nat):
                row = block[k % block_len]
                nz = np.flatnonzero(row)
                if nz.size:
                    senders = np.concatenate([senders, np.repeat(nat.senders[nz], row[nz])])
            if senders.size:
                base = ((t + 1) % L) * c
                idx = gather_rows(ptr, senders)
                if idx.size:
                    events += idx.size
                    f = key[idx] + base
                    f[f >= L * c] -= L * c
                    np.add.at(flat, f, weight[idx])
                if neg is not None:
                    idx = gather_rows(neg.ptr, senders)
                    if idx.size:
                        events += idx.size
                        na = neg.n_aux
                        f = key_neg[idx] + ((t + 1) % L) * na
                        f[f >= L * na] -= L * na
                        np.add.at(flat_neg, f, neg.mant[idx])
            if progress is not None and (k + 1) % every == 0:
                progress((k + 1) / steps)
        self.u, self.v, self.t = u, v, t0 + steps
        cat = lambda xs: np.concatenate(xs) if xs else np.zeros(0, np.int64)
        return EngineOutput(
            cat(spike_steps),
            cat(spike_neurons),
            samples,
            events,
            active.copy(),
            u_wraps,
            v_clips,
            int(bounds[-1] - bounds[0]) + nat_spikes,
            steps,
            nat.totals - nat_before,
        )

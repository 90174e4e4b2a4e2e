"""The same engine as engine.py, compiled with numba (optional: ``pip install numba``).

``SNN_HUB_CHIP_NO_NUMBA=1`` disables it (to test the numpy path on a machine with numba).
It starts from the same state (:class:`hub_chip.engine.EngineState`) and performs exactly
the integer operations of :mod:`hub_chip.engine`, fused into one loop per step; it is
tested to give identical u, v and spikes (tests/test_chip_golden.py,
tests/test_chip_reference.py, tests/test_chip_report.py).  On CUBA it is about ten times
faster than the numpy engine, whose cost is dominated by ~30 array operations per step.
Programs with negative weight exponents use the numpy engine.
"""

from __future__ import annotations

import numpy as np

from ._numba import numba_available
from .compartment import U_HALF, U_MASK, V_MAX
from .engine import EngineOutput, EngineState

HAVE_NUMBA = numba_available()
if HAVE_NUMBA:  # pragma: no cover - exercised when numba is installed
    import numba
else:  # pragma: no cover
    numba = None


def _kernel(
    t0,
    steps,
    u,
    v,
    keep_u,
    keep_v,
    shift,
    rounding,
    bias,
    vth,
    refr,
    drop,
    cap_k,
    ref_until,
    aux_of,
    n,
    ring,
    ptr,
    key,
    weight,
    in_bounds,
    in_senders,
    p_comp,
    p_isu,
    p_int,
    p_base,
    p_stride,
    p_col,
    samples,
    count_activity,
    active,
    sp_step,
    sp_idx,
    sp_cnt,
    b_bounds,
    b_index,
    b_value,
    nat_senders,
    nat_key,
    nat_tables,
    nat_guide,
    nat_group,
    nat_parts,
    nat_m,
    nat_first,
    nat_last,
    nat_totals,
):
    """Run ``steps`` steps from ``t0``; returns (steps done, spikes written, events, u
    wraps, v clips, native input spikes).  Stops early when the spike buffer could
    overflow.  Native Poisson counts: SplitMix64 of the counter and table inversion, as
    :meth:`hub_chip.native.NativeInputs.rows` computes them."""
    half, mask, vmax = np.int64(U_HALF), np.int64(U_MASK), np.int64(V_MAX)
    # added before the shift: ``rounding[i]`` to p >= 0, 2^shift - 1 - rounding[i] to
    # p < 0 (truncation toward zero for 0, rounding to nearest for 2^(shift-1))
    all_ones = (np.int64(1) << shift) - 1
    L, C = ring.shape
    n_sp, events, wraps, clips, nat_spikes = 0, 0, 0, 0, 0
    cap = len(sp_idx)
    n_nat = len(nat_senders)
    width = nat_tables.shape[1]
    n_guide = nat_guide.shape[1]
    golden = np.uint64(0x9E3779B97F4A7C15)
    mix1 = np.uint64(0xBF58476D1CE4E5B9)
    mix2 = np.uint64(0x94D049BB133111EB)
    s30, s27, s31, s11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
    unit = 1.0 / 9007199254740992.0
    for k in range(steps):
        if n_sp + n > cap:
            return k, n_sp, events, wraps, clips, nat_spikes
        t = t0 + k
        slot = t % L
        for e in range(b_bounds[k], b_bounds[k + 1]):
            bias[b_index[e]] = b_value[e]
        for i in range(C):
            x = u[i] * keep_u[i]
            x += all_ones - rounding[i] if x < 0 else rounding[i]
            x = (x >> shift) + ring[slot, i]
            ring[slot, i] = 0
            if x >= half or x < -half:
                wraps += 1
                x = ((x + half) & mask) - half
            u[i] = x
        base = ((t + 1) % L) * C
        LC = L * C
        for i in range(n):
            y = v[i] * keep_v[i]
            y += all_ones - rounding[i] if y < 0 else rounding[i]
            y = (y >> shift) + u[i] + bias[i]
            a = aux_of[i]
            if a >= 0:
                y += u[a]
            if y > vmax:
                y = vmax
                clips += 1
            elif y < -vmax:
                y = -vmax
                clips += 1
            if ref_until[i] >= t:
                y = 0
            if y > vth[i]:
                many = 1
                if drop[i] > 0:
                    if cap_k[i] > 1:  # k = min(max_spikes, v // (vth + 1)) spikes
                        many = min(cap_k[i], y // drop[i])
                    y = y - many * drop[i]
                else:
                    y = 0
                ref_until[i] = t + refr[i]
                sp_step[n_sp] = t
                sp_idx[n_sp] = i
                sp_cnt[n_sp] = many
                n_sp += 1
                for s in range(ptr[i], ptr[i + 1]):
                    f = key[s] + base
                    if f >= LC:
                        f -= LC
                    ring.flat[f] += many * weight[s]
                events += many * (ptr[i + 1] - ptr[i])
            v[i] = y
        for e in range(in_bounds[k], in_bounds[k + 1]):
            snd = in_senders[e]
            for s in range(ptr[snd], ptr[snd + 1]):
                f = key[s] + base
                if f >= LC:
                    f -= LC
                ring.flat[f] += weight[s]
            events += ptr[snd + 1] - ptr[snd]
        stamp = t + 1
        for e in range(n_nat):  # native Poisson axons: count x weight
            if stamp < nat_first[e] or stamp > nat_last[e]:
                continue
            g = nat_group[e]
            cell = (np.uint64(t) * np.uint64(n_nat) + np.uint64(e)) * np.uint64(nat_m)
            m = 0
            for j in range(nat_parts[e]):
                z = nat_key + (cell + np.uint64(j + 1)) * golden
                z = (z ^ (z >> s30)) * mix1
                z = (z ^ (z >> s27)) * mix2
                z = z ^ (z >> s31)
                x = np.float64(z >> s11) * unit
                i = nat_guide[g, int(x * n_guide)]
                while i < width and nat_tables[g, i] <= x:
                    i += 1
                m += i
            nat_totals[e] += m
            nat_spikes += m
            if m > 0:
                snd = nat_senders[e]
                for s in range(ptr[snd], ptr[snd + 1]):
                    f = key[s] + base
                    if f >= LC:
                        f -= LC
                    ring.flat[f] += m * weight[s]
                events += m * (ptr[snd + 1] - ptr[snd])
        if count_activity:
            for i in range(n):
                if u[i] != 0 or v[i] != 0:
                    active[i] += 1
            for i in range(n, C):
                if u[i] != 0:
                    active[i] += 1
        for e in range(len(p_comp)):
            if (t + 1) % p_int[e] == 0:
                row = (t + 1) // p_int[e] - 1
                c = p_comp[e]
                samples[p_base[e] + row * p_stride[e] + p_col[e]] = u[c] if p_isu[e] else v[c]
    return steps, n_sp, events, wraps, clips, nat_spikes


_compiled = None


def kernel():
    global _compiled
    if _compiled is None:
        _compiled = numba.njit(cache=True, nogil=True)(_kernel)
    return _compiled


class FastEngine(EngineState):
    """Drop-in replacement for :class:`hub_chip.engine.Engine` (same state, same output)."""

    #: spikes buffered per kernel call before the kernel returns to grow the buffer
    min_spike_buffer = 1 << 20

    def __init__(self, program, probes=(), count_activity: bool = True):
        if not HAVE_NUMBA:  # pragma: no cover
            raise ImportError("numba is not installed")
        if program.neg is not None and program.neg.n_aux:
            raise ValueError("negative weight exponents: use the numpy engine")
        super().__init__(program, probes, count_activity)
        n = program.n_neurons
        self.aux_of = np.full(n, -1, np.int64)  # auxiliary compartment of each neuron
        self.aux_of[program.join_parent] = n + np.arange(program.n_comp - n)
        self.run(0)  # compile (or load from numba's cache) now, at build time

    def run(self, steps: int, progress=None) -> EngineOutput:
        p, k = self.p, kernel()
        n = p.n_neurons
        t0 = self.t
        bounds = np.searchsorted(p.input_stamp, np.arange(t0 + 1, t0 + steps + 2))
        in_senders = (n + p.input_index).astype(np.int64)
        b_bounds = np.searchsorted(p.bias_step, np.arange(t0, t0 + steps + 1)).astype(np.int64)
        b_index, b_value = p.bias_index.astype(np.int64), p.bias_value.astype(np.int64)
        sizes = [steps // pr.interval * len(pr.compartments) for pr in self.probes]
        flat = np.zeros(sum(sizes), np.int64)
        comp, isu, interval, base, stride, col = ([] for _ in range(6))
        off = 0
        for pr, size in zip(self.probes, sizes):
            m = len(pr.compartments)
            comp.append(pr.compartments)
            isu.append(np.full(m, pr.variable == "u"))
            interval.append(np.full(m, pr.interval))
            base.append(np.full(m, off - (t0 // pr.interval) * m))
            stride.append(np.full(m, m))
            col.append(np.arange(m))
            off += size
        cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)
        comp, interval, base, stride, col = (
            cat(x, np.int64) for x in (comp, interval, base, stride, col)
        )
        isu = cat(isu, np.bool_)
        cap = max(4 * n, self.min_spike_buffer)
        steps_out, neurons_out = [], []
        events = wraps = clips = 0
        done = 0
        chunk = max(1, steps // 50) if progress is not None else max(steps, 1)
        nat = self.native
        nat_before, nat_spikes = nat.totals.copy(), 0
        while True:
            todo = min(chunk, steps - done)
            sp_step = np.empty(cap, np.int64)
            sp_idx = np.empty(cap, np.int64)
            sp_cnt = np.empty(cap, np.int64)
            did, n_sp, ev, w, cl, ns = k(
                t0 + done,
                todo,
                self.u,
                self.v,
                self.keep_u,
                self.keep_v,
                np.int64(p.decay_shift),
                self.half_u,
                self.bias,
                p.vth,
                p.refractory,
                self.drop,
                self.cap,
                self.ref_until,
                self.aux_of,
                n,
                self.ring,
                p.ptr,
                self.key,
                p.weight,
                bounds[done : done + todo + 1],
                in_senders,
                comp,
                isu,
                interval,
                base,
                stride,
                col,
                flat,
                self.count_activity,
                self.active,
                sp_step,
                sp_idx,
                sp_cnt,
                b_bounds[done : done + todo + 1],
                b_index,
                b_value,
                nat.senders,
                nat.key,
                nat.tables,
                nat.guide,
                nat.group,
                nat.parts,
                nat.n_parts,
                nat.first,
                nat.last,
                nat.totals,
            )
            nat_spikes += ns
            many = sp_cnt[:n_sp]  # a neuron's k spikes of one step: k entries
            steps_out.append(np.repeat(sp_step[:n_sp], many))
            neurons_out.append(np.repeat(sp_idx[:n_sp], many))
            events, wraps, clips = events + ev, wraps + w, clips + cl
            done += did
            if did < todo:
                cap *= 2
            if progress is not None and steps:
                progress(done / steps)
            if done >= steps:
                break
        self.t = t0 + steps
        samples, off = [], 0
        for pr, size in zip(self.probes, sizes):
            # rows from the step count: a probe of no neurons has samples of width 0
            rows = steps // pr.interval
            samples.append(flat[off : off + size].reshape(rows, len(pr.compartments)))
            off += size
        return EngineOutput(
            np.concatenate(steps_out),
            np.concatenate(neurons_out),
            samples,
            int(events),
            self.active.copy(),
            int(wraps),
            int(clips),
            int(bounds[-1] - bounds[0]) + nat_spikes,
            steps,
            nat.totals - nat_before,
        )


def _step_times_kernel(
    a_step, a_sender, b_step, b_sender, fptr, fcore, fcount, steps, t_neuron, t_syn
):
    """Per step: max over cores of (synaptic ops x t_syn + t_neuron[core]); the events of
    two step-sorted lists (neuron spikes, source spikes) are merged on the fly."""
    n_cores = len(t_neuron)
    ops = np.zeros(n_cores, np.int64)
    out = np.empty(steps)
    i = j = 0
    for t in range(steps):
        while i < len(a_step) and a_step[i] == t:
            s = a_sender[i]
            for r in range(fptr[s], fptr[s + 1]):
                ops[fcore[r]] += fcount[r]
            i += 1
        while j < len(b_step) and b_step[j] == t:
            s = b_sender[j]
            for r in range(fptr[s], fptr[s + 1]):
                ops[fcore[r]] += fcount[r]
            j += 1
        best = 0.0
        for c in range(n_cores):
            x = ops[c] * t_syn + t_neuron[c]
            if x > best:
                best = x
            ops[c] = 0
        out[t] = best
    return out


_step_compiled = None


def step_times(*args):
    global _step_compiled
    if _step_compiled is None:
        _step_compiled = numba.njit(cache=True, nogil=True)(_step_times_kernel)
    return _step_compiled(*args)

"""The same engine as engine.py, compiled with numba (optional: ``pip install numba``).

``SNN_HUB_CHIP_NO_NUMBA=1`` disables it (to test the numpy path on a machine with numba).
It starts from the same state (:class:`hub_chip.engine.EngineState`) and performs exactly
the integer operations of :mod:`hub_chip.engine`, fused into one loop per step; it is
tested to give identical u, v and spikes (tests/test_chip_golden.py,
tests/test_chip_reference.py, tests/test_chip_report.py).  On CUBA it is about ten times
faster than the numpy engine, whose cost is dominated by ~30 array operations per step.
Programs with negative weight exponents use the numpy engine.

Plastic synapses with compiled product rules and deterministic rounding
(:func:`hub_chip.fast_learning.fusable`) learn inside the same loop: after a step's
neuron update, :func:`_learn_step` performs :meth:`hub_chip.learning.Learning.step`
(traces ``X <- (X d + 2048) >> 12``, reads ``x = (X + 128) >> 8``, per synapse the exact
sum of the products ``m 2^e D prod(V + C)`` whose dependency ``D`` is non-zero, rounded
half up ``(acc + 2^(k-1)) >> k``, added and clipped), then the step's spikes are delivered
with the updated weights.  It is tested to give the numpy engine's weights, read-outs,
weight-probe rows, update counts, spikes and v bit for bit
(tests/test_chip_fast_learning.py).
"""

from __future__ import annotations

import sys
import types

import numpy as np

from ._numba import numba_available
from .compartment import U_HALF, U_MASK, V_MAX
from .engine import EngineOutput, EngineState
from .fast_learning import FlatLearning, empty_args, fusable

HAVE_NUMBA = numba_available()

#: the fields of a plastic synapse's record (a row of FlatLearning.S, 64-byte aligned), kept
#: together so that a synapse's update reads one cache line (the first eight fields: all a
#: postsynaptic arrival needs) or two
S_DELAY, S_PRE, S_POST, S_W, S_W_MAX, S_ACC_W, S_MARK, S_WR = range(8)
S_POS, S_SHIFT, S_SIGN, S_TAG, S_ACC_T, S_ID = range(8, 14)
S_FIELDS = 16
if HAVE_NUMBA:  # pragma: no cover - exercised when numba is installed
    import numba
    from numba import prange
else:  # pragma: no cover
    numba = None
    prange = range


# learning.counter_draws, written for the kernel (the same numbers: tests compare engines)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
TRACE_STREAM, WEIGHT_STREAM = 1, 1 << 20


def _draw(seed, stream, T, index, bits):
    """``bits`` random bits: splitmix64's finaliser of ``seed G + stream M1 + T M2 + index``
    (mod 2^64), its top bits (:func:`hub_chip.learning.counter_draws`)."""
    z = (
        np.uint64(seed) * _GOLD
        + np.uint64(stream) * _MIX1
        + np.uint64(T) * _MIX2
        + np.uint64(index)
    )
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return np.int64(z >> np.uint64(64 - bits))


def _products(q, lo, hi, ev_s, ev_back, S, slot, x0, y0, hist, p_int, p_var, p_const, p_bank):
    """Add product ``q`` (dependency 0 x0, 1 y0, 2 u<k>) of the synapses ``ev_s[lo:hi]``
    (``ev_back``: the slot of stamp T - D of each) to their exact sums:
    ``acc += m D prod(V + C) << shift``.  V (fast_learning.VAR_CODES): x0, y0 and the
    postsynaptic traces at the slot of T - D, the presynaptic traces at ``slot``, w, t; a
    constant alone reads V = 0.  (Written without helper calls: a call per synapse costs
    more than the product.)"""
    dep, m, shift = p_int[q, 1], p_int[q, 3], p_int[q, 4]
    col = S_ACC_W if p_int[q, 0] == 0 else S_ACC_T
    nf = 0
    while nf < p_var.shape[1] and p_var[q, nf] >= 0:
        nf += 1
    for e in range(lo, hi):
        s, back = ev_s[e], ev_back[e]
        val = m
        if dep == 0:
            val *= x0[S[s, S_PRE]]
        elif dep == 1:
            val *= y0[back, S[s, S_POST]]
        for f in range(nf):
            var = p_var[q, f]
            if var == 0:
                x = x0[S[s, S_PRE]]
            elif var == 1:
                x = y0[back, S[s, S_POST]]
            elif var == 7:
                x = S[s, S_W]
            elif var == 8:
                x = S[s, S_TAG]
            elif var == 9:
                x = 0
            elif var <= 3:
                x = hist[p_bank[q, f], slot, S[s, S_PRE]]
            else:
                x = hist[p_bank[q, f], back, S[s, S_POST]]
            val *= x + p_const[q, f]
        S[s, col] += val << shift


def _apply(S, syn, lo, hi, k_w, k_t, has_t, t_min, t_max, weight, transmit, rnd):
    """Round the pending sums of synapses ``syn[lo:hi]`` (half up:
    ``(acc + 2^(k-1)) >> k``, or ``rnd = (seed, stream, T)`` non-negative: stochastically,
    ``r`` drawn by :func:`_draw` for the synapse's hub index), add, clip ``w`` to
    [0, W_max] and ``t`` to [T_MIN, T_MAX]; ``transmit``: write ``weight`` too."""
    stoch = rnd[0] >= 0
    r_w = (np.int64(1) << (k_w - 1)) if k_w > 0 else np.int64(0)
    r_t = (np.int64(1) << (k_t - 1)) if k_t > 0 else np.int64(0)
    for e in range(lo, hi):
        s = syn[e]
        if stoch and k_w > 0:
            r_w = _draw(rnd[0], rnd[1], rnd[2], S[s, S_ID], k_w)
        x = S[s, S_W] + ((S[s, S_ACC_W] + r_w) >> k_w)
        S[s, S_ACC_W] = 0
        S[s, S_W] = min(max(x, 0), S[s, S_W_MAX])
        if has_t:
            if stoch and k_t > 0:
                r_t = _draw(rnd[0], rnd[1] + 1, rnd[2], S[s, S_ID], k_t)
            x = S[s, S_TAG] + ((S[s, S_ACC_T] + r_t) >> k_t)
            S[s, S_ACC_T] = 0
            S[s, S_TAG] = min(max(x, t_min), t_max)
        if transmit:
            weight[S[s, S_POS]] = S[s, S_SIGN] * (S[s, S_W] << S[s, S_SHIFT])


def _learn_step(T, sp_idx, f_lo, f_hi, in_senders, i_lo, i_hi, weight, lrn):
    """One step of :meth:`hub_chip.learning.Learning.step` (stamp T) on the arrays of
    :class:`hub_chip.fast_learning.FlatLearning`: the neurons ``sp_idx[f_lo:f_hi]`` fired,
    the input axons ``in_senders[i_lo:i_hi]`` sent.  Traces decay, ``X <- (X d + r) >> 12``
    (r = 2048, or drawn by :func:`_draw` under stochastic rounding), and are read,
    ``x = (X + 128) >> 8``, into the
    ring; the products whose dependency is non-zero are summed exactly per synapse; the
    sums are rounded, added and clipped every step (or, ``learning_epoch = E > 1``, every
    E steps); the spikes add their impulses, ``X <- min(127 * 256, X + m impulse)``.

    The weights the delivery reads (``weight``) are written for the synapses of this
    step's senders (the only ones delivered now; ``eager``: every changed synapse, for
    senders the learning engine does not see) and by :func:`_sync_weights` after a run."""
    stats, syn_lo, S, pre_ptr, pre_order, post_ptr, post_order = lrn[:7]
    delay_lo, delays, prods, p_int, p_var, p_const, proj_int = lrn[7:14]
    bank_int, X, hist, x0, y0, past_n, past, changed, pre_list = lrn[14:23]
    pr_int, pr_syn, pr_out, consts, p_bank, ev_s, ev_back, syn_all = lrn[23:31]
    t_min, t_max = consts[0], consts[1]
    L, n = y0.shape[0], y0.shape[1]
    slot = T % L
    epoch, eager, stoch, seed = stats[2], stats[3], stats[4], stats[5]
    trace_max = np.int64(127 << 8)
    for b in range(bank_int.shape[0]):  # decay to T, remember the value before T's spikes
        d = bank_int[b, 0]
        for i in range(bank_int[b, 3]):
            r = _draw(seed, TRACE_STREAM + b, T, i, 12) if stoch else 2048
            x = (X[b, i] * d + r) >> 12
            X[b, i] = x
            hist[b, slot, i] = (x + 128) >> 8
    n_pre = 0
    for e in range(f_lo, f_hi):
        i = sp_idx[e]
        if x0[i] == 0:
            pre_list[n_pre] = i
            n_pre += 1
        x0[i] += 1
    for e in range(i_lo, i_hi):
        i = in_senders[e]
        if x0[i] == 0:
            pre_list[n_pre] = i
            n_pre += 1
        x0[i] += 1
    for i in range(n):
        y0[slot, i] = 0
    for e in range(f_lo, f_hi):
        y0[slot, sp_idx[e]] = 1
    updates = 0
    for j in range(len(syn_lo) - 1):
        a, z = syn_lo[j], syn_lo[j + 1]
        nx = n_ch = 0  # events listed; synapses changed (each once: mark = T)
        for e in range(n_pre):  # x0: the synapses of this step's senders
            snd = pre_list[e]
            for r in range(pre_ptr[j, snd], pre_ptr[j, snd + 1]):
                s = pre_order[r]
                back = (T - S[s, S_DELAY]) % L
                ev_s[nx], ev_back[nx] = s, back + L if back < 0 else back
                nx += 1
                if S[s, S_MARK] != T:
                    S[s, S_MARK] = T
                    changed[n_ch] = s
                    n_ch += 1
        ny = nx
        for c in range(delay_lo[j], delay_lo[j + 1]):  # y0: spikes of T - D arriving
            D = delays[c]
            if T - D < 1:
                continue
            ps = (T - D) % L
            for e in range(past_n[ps]):
                i = past[ps, e]
                for r in range(post_ptr[j, i], post_ptr[j, i + 1]):
                    s = post_order[r]
                    if S[s, S_DELAY] == D:
                        ev_s[ny], ev_back[ny] = s, ps
                        ny += 1
                        if S[s, S_MARK] != T:
                            S[s, S_MARK] = T
                            changed[n_ch] = s
                            n_ch += 1
        nu = ny
        due = False
        for q in range(prods[j, 2], prods[j, 3]):
            if T % (np.int64(1) << p_int[q, 2]) == 0:
                due = True
        if due:  # u<k>: every synapse
            for s in range(a, z):
                back = (T - S[s, S_DELAY]) % L
                ev_s[nu], ev_back[nu] = s, back + L if back < 0 else back
                nu += 1
                if S[s, S_MARK] != T:
                    S[s, S_MARK] = T
                    changed[n_ch] = s
                    n_ch += 1
        for d, lo, hi in ((0, 0, nx), (1, nx, ny), (2, ny, nu)):
            if hi > lo:
                for q in range(prods[j, d], prods[j, d + 1]):
                    if d < 2 or T % (np.int64(1) << p_int[q, 2]) == 0:
                        _products(
                            q,
                            lo,
                            hi,
                            ev_s,
                            ev_back,
                            S,
                            slot,
                            x0,
                            y0,
                            hist,
                            p_int,
                            p_var,
                            p_const,
                            p_bank,
                        )
        updates += n_ch
        k_w, k_t, has_t = proj_int[j, 0], proj_int[j, 1], proj_int[j, 2]
        rnd = (seed if stoch else np.int64(-1), np.int64(WEIGHT_STREAM + 2 * j), np.int64(T))
        if epoch == 1 and n_ch > 0:
            _apply(S, changed, 0, n_ch, k_w, k_t, has_t, t_min, t_max, weight, eager, rnd)
            for e in range(nx):  # read-out and transmission of the senders' synapses
                s = ev_s[e]
                S[s, S_WR] = S[s, S_W]
                weight[S[s, S_POS]] = S[s, S_SIGN] * (S[s, S_W] << S[s, S_SHIFT])
        elif epoch > 1 and T % epoch == 0:  # the epoch's end, events or not
            _apply(S, syn_all, a, z, k_w, k_t, has_t, t_min, t_max, weight, True, rnd)
            for s in range(a, z):
                S[s, S_WR] = S[s, S_W]
    for b in range(bank_int.shape[0]):  # the impulses of this step's spikes
        imp = bank_int[b, 1]
        if bank_int[b, 2]:
            for e in range(n_pre):
                i = pre_list[e]
                X[b, i] = min(trace_max, X[b, i] + x0[i] * imp)
        else:
            for e in range(f_lo, f_hi):
                i = sp_idx[e]
                X[b, i] = min(trace_max, X[b, i] + imp)
    for e in range(n_pre):
        x0[pre_list[e]] = 0
    past_n[slot] = f_hi - f_lo
    for e in range(f_lo, f_hi):
        past[slot, e - f_lo] = sp_idx[e]
    for e in range(pr_int.shape[0]):
        iv = pr_int[e, 0]
        if T % iv == 0:
            base = pr_int[e, 1] + (T // iv) * (pr_int[e, 3] - pr_int[e, 2])
            for c in range(pr_int[e, 2], pr_int[e, 3]):
                pr_out[base + c - pr_int[e, 2]] = S[pr_syn[c], S_WR]
    stats[0] = T
    stats[1] += updates


def _sync_weights(S, weight):
    """Every plastic synapse's transmitted weight from its mantissa: ``sign (w << shift)``."""
    for s in range(S.shape[0]):
        weight[S[s, S_POS]] = S[s, S_SIGN] * (S[s, S_W] << S[s, S_SHIFT])


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
    ptrs,
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
    nat_count,
    learn,
    lrn,
):
    """Run ``steps`` steps from ``t0``; returns (steps done, spikes written, events, u
    wraps, v clips, native input spikes).  Stops early when the spike buffer could
    overflow.  Native Poisson counts: SplitMix64 of the counter and table inversion, as
    :meth:`hub_chip.native.NativeInputs.rows` computes them.

    The synapses are split by target compartment into ``len(ptrs)`` parts, ``ptrs[p]``
    the CSR over senders of part ``p`` (into ``key`` and ``weight``); a part's deliveries
    write only its own compartments.  Compiled without ``parallel`` (one part: the
    program's own CSR) the ``prange`` loops run in sequence; compiled with it, the parts,
    the compartments' decays and the native counts run on numba's threads.  Every sum is
    of integers, so both give the same numbers."""
    half, mask, vmax = np.int64(U_HALF), np.int64(U_MASK), np.int64(V_MAX)
    # added before the shift: ``rounding[i]`` to p >= 0, 2^shift - 1 - rounding[i] to
    # p < 0 (truncation toward zero for 0, rounding to nearest for 2^(shift-1))
    all_ones = (np.int64(1) << shift) - 1
    L, C = ring.shape
    n_parts = ptrs.shape[0]
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
        for i in prange(C):
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
        f_lo = n_sp
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
            v[i] = y
        if learn:  # the weights after this step's updates are sent
            _learn_step(
                t + 1, sp_idx, f_lo, n_sp, in_senders, in_bounds[k], in_bounds[k + 1], weight, lrn
            )
        stamp = t + 1
        for e in prange(n_nat):  # native Poisson axons: this step's counts
            m = 0
            if nat_first[e] <= stamp <= nat_last[e]:
                g = nat_group[e]
                cell = (np.uint64(t) * np.uint64(n_nat) + np.uint64(e)) * np.uint64(nat_m)
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
            nat_count[e] = m
            nat_spikes += m
        for part in prange(n_parts):  # each part writes its own compartments only
            ptr = ptrs[part]
            for e in range(f_lo, n_sp):
                i, many = sp_idx[e], sp_cnt[e]
                for s in range(ptr[i], ptr[i + 1]):
                    f = key[s] + base
                    if f >= LC:
                        f -= LC
                    ring.flat[f] += many * weight[s]
                events += many * (ptr[i + 1] - ptr[i])
            for e in range(in_bounds[k], in_bounds[k + 1]):
                snd = in_senders[e]
                for s in range(ptr[snd], ptr[snd + 1]):
                    f = key[s] + base
                    if f >= LC:
                        f -= LC
                    ring.flat[f] += weight[s]
                events += ptr[snd + 1] - ptr[snd]
            for e in range(n_nat):  # native Poisson axons: count x weight
                m = nat_count[e]
                if m > 0:
                    snd = nat_senders[e]
                    for s in range(ptr[snd], ptr[snd + 1]):
                        f = key[s] + base
                        if f >= LC:
                            f -= LC
                        ring.flat[f] += m * weight[s]
                    events += m * (ptr[snd + 1] - ptr[snd])
        if count_activity:
            for i in prange(C):
                if u[i] != 0 or (i < n and v[i] != 0):
                    active[i] += 1
        for e in range(len(p_comp)):
            if (t + 1) % p_int[e] == 0:
                row = (t + 1) // p_int[e] - 1
                c = p_comp[e]
                samples[p_base[e] + row * p_stride[e] + p_col[e]] = u[c] if p_isu[e] else v[c]
    return steps, n_sp, events, wraps, clips, nat_spikes


_compiled = None
_parallel = None


def _renamed(func):
    """``func`` under the name ``<name>_parallel``: numba's cache keys a compiled function
    by its name, signature and bytecode, not by ``parallel``, so the parallel build of the
    same function would share the serial build's cache entry (and a serial run would load
    threaded code: NEST then crashed in ResetKernel in the same process)."""
    copy = types.FunctionType(
        func.__code__, func.__globals__, func.__name__ + "_parallel", func.__defaults__
    )
    copy.__qualname__ = func.__qualname__ + "_parallel"
    return copy


def kernel(threads: int = 1):
    """The compiled kernel: in sequence, or (``threads`` > 1) on numba's threads."""
    global _compiled, _parallel, _products, _apply, _learn_step, _draw
    global _sync_weights
    if threads > 1:
        kernel()
        if _parallel is None:
            # numba's own thread pool, not OpenMP, beside NEST's OpenMP runtime in one
            # process (snn-hub compare runs both)
            if numba.config.THREADING_LAYER == "default":
                numba.config.THREADING_LAYER = "workqueue"
            _parallel = numba.njit(cache=True, nogil=True, parallel=True)(_renamed(_kernel))
        numba.set_num_threads(threads)
        return _parallel
    if _compiled is None:
        # the learning step is compiled into the kernel (one source file: numba's cache of
        # the kernel is invalidated when this file changes)
        jit = numba.njit(nogil=True)
        _draw = numba.njit(nogil=True, inline="always")(_draw)
        _products, _apply, _learn_step = jit(_products), jit(_apply), jit(_learn_step)
        _sync_weights = numba.njit(cache=True, nogil=True)(_sync_weights)
        _compiled = numba.njit(cache=True, nogil=True)(_kernel)
    return _compiled


class FastEngine(EngineState):
    """Drop-in replacement for :class:`hub_chip.engine.Engine` (same state, same output)."""

    #: spikes buffered per kernel call before the kernel returns to grow the buffer
    min_spike_buffer = 1 << 20

    def __init__(
        self, program, probes=(), count_activity: bool = True, learning=None, threads: int = 1
    ):
        if not HAVE_NUMBA:  # pragma: no cover
            raise ImportError("numba is not installed")
        if threads > 1 and learning is not None:
            raise ValueError("threads > 1 with plastic synapses: use threads=1")
        if program.neg is not None and program.neg.n_aux:
            raise ValueError("negative weight exponents: use the numpy engine")
        if learning is not None and fusable(learning) is not None:
            raise ValueError(f"{fusable(learning)}: use the numpy engine")
        super().__init__(program, probes, count_activity)
        #: learning.Learning (fast_learning.fusable): its state is copied into flat arrays
        #: now, and back after every run
        self.learning = learning
        self.flat_learning = (
            None if learning is None else FlatLearning(learning, sys.modules[__name__])
        )
        n = program.n_neurons
        self.aux_of = np.full(n, -1, np.int64)  # auxiliary compartment of each neuron
        self.aux_of[program.join_parent] = n + np.arange(program.n_comp - n)
        self._spike_buffers = (np.zeros(0, np.int64),) * 3
        self.threads = threads
        self.ptrs, self.part_key, self.part_weight = split_by_target(
            program.ptr, self.key, program.weight, program.target, program.n_comp, threads
        )
        self.nat_count = np.zeros(len(self.native.senders), np.int64)
        self.run(0)  # compile (or load from numba's cache) now, at build time

    def run(self, steps: int, progress=None) -> EngineOutput:
        p, k = self.p, kernel(self.threads)
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
        flat_learning = self.flat_learning
        if flat_learning is not None and flat_learning.version != flat_learning.learning.version:
            # a rule was replaced (Learning.set_rule): flatten the learning state again
            flat_learning = self.flat_learning = FlatLearning(
                flat_learning.learning, sys.modules[__name__]
            )
        lrn = empty_args() if flat_learning is None else flat_learning.start(t0, steps)
        while True:
            todo = min(chunk, steps - done)
            if len(self._spike_buffers[0]) < cap:  # kept across runs (copied out below)
                self._spike_buffers = tuple(np.empty(cap, np.int64) for _ in range(3))
            sp_step, sp_idx, sp_cnt = self._spike_buffers
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
                self.ptrs,
                self.part_key,
                self.part_weight,
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
                self.nat_count,
                flat_learning is not None,
                lrn,
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
        if flat_learning is not None:
            _sync_weights(flat_learning.S, p.weight)
            flat_learning.write_back()
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


def split_by_target(ptr, key, weight, target, n_comp: int, parts: int):
    """The CSR over senders ``(ptr, key, weight)`` split into ``parts`` CSRs by target
    compartment (contiguous ranges of equal size): ``(ptrs, key, weight)`` with ``ptrs[p]``
    the row pointers of part ``p`` into the returned arrays.  One part: the arrays
    themselves (no copy)."""
    if parts <= 1:
        return ptr[None, :], key, weight
    edges = np.linspace(0, n_comp, parts + 1).astype(np.int64)[1:-1]
    part = np.searchsorted(edges, target, side="right").astype(np.uint8)
    order = np.argsort(part, kind="stable")  # senders stay in order within each part
    ptrs = np.zeros((parts, len(ptr)), np.int64)
    offset = 0
    for q in range(parts):
        inside = np.zeros(len(part) + 1, np.int64)
        np.cumsum(part == q, out=inside[1:])
        ptrs[q] = offset + inside[ptr] - inside[ptr[0]]
        offset += int(inside[-1])
    return ptrs, key[order], weight[order]


def _step_times_kernel(
    a_step, a_sender, b_step, b_sender, ptr, target, comp_core, steps, t_neuron, t_syn
):
    """Per step: max over cores of (synaptic ops x t_syn + t_neuron[core]); a spike of
    sender s costs one op on the core of each of its targets; the events of two
    step-sorted lists (neuron spikes, source spikes) are merged on the fly."""
    n_cores = len(t_neuron)
    ops = np.zeros(n_cores, np.int64)
    out = np.empty(steps)
    i = j = 0
    for t in range(steps):
        while i < len(a_step) and a_step[i] == t:
            s = a_sender[i]
            for r in range(ptr[s], ptr[s + 1]):
                ops[comp_core[target[r]]] += 1
            i += 1
        while j < len(b_step) and b_step[j] == t:
            s = b_sender[j]
            for r in range(ptr[s], ptr[s + 1]):
                ops[comp_core[target[r]]] += 1
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

"""The learning engine (learning.py) as flat integer arrays, for the compiled engine.

:class:`FlatLearning` copies the state of a :class:`hub_chip.learning.Learning` (product
rules, traces, weights, tags, exact pending sums, spike history) into arrays that the
numba kernel (``fast._learn_step``, called once per step inside ``fast._kernel``) updates
in place, and writes them back after a run, so that ``Learning``'s read-outs
(``mantissas``, probe rows, ``updates``) are the same as after the numpy engine.

Layout.  Each plastic synapse is a record, a row of ``S`` (int64, fields ``fast.S_*``:
delay, pre, post, w, W_max, exact sum of ``w``, mark, read-out; position in the program's
CSR, shift, sign, tag, exact sum of ``t``); the synapses of all projections are
concatenated (projection ``j`` owns rows ``[syn_lo[j], syn_lo[j+1])``), each projection's
rows in postsynaptic order (``perm[row]`` is the hub index, ``inv`` the reverse), with CSR
indices by sender (``pre_ptr``, ``pre_order``) and by neuron (``post_ptr``, ``post_order``).
Projection ``j``'s products of dependency ``d`` (0 ``x0``, 1 ``y0``, 2 ``u<k>``) are rows
``[prods[j, d], prods[j, d+1])`` of ``p_int`` = ``(target, dependency, k, mantissa,
shift)`` (target 0 ``w``, 1 ``t``; ``shift = rule.shift(target) + exponent``: the sum is
kept in units of 2^-rule.shift(target), so a product adds ``m D prod(V + C) << shift``),
with up to ``MAX_FACTORS`` factors ``(p_var, p_const, p_bank)`` (codes of
:data:`VAR_CODES`, -1 pads; the trace bank of a trace factor).  Traces: ``X[b, i]`` and the
7-bit reads ``hist[b, slot, i]`` of bank ``b`` (sized to the largest bank).

Only compiled product rules run here (:func:`fusable`): DopamineSTDP integrates in floating
point and stays on the numpy engine.  Stochastic rounding draws from
``learning.counter_draws`` (a hash of seed, stream, step and element, ``fast._draw`` in the
kernel), so both engines draw the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rule import T_MAX, T_MIN

VAR_CODES = {"x0": 0, "y0": 1, "x1": 2, "x2": 3, "y1": 4, "y2": 5, "y3": 6, "w": 7, "t": 8, "C": 9}
DEP_CODES = {"x0": 0, "y0": 1}
MAX_FACTORS = 4


def fusable(learning) -> str | None:
    """Why ``learning`` cannot run in the compiled engine, or None if it can."""
    if any(pj.dopa is not None for pj in learning.projections):
        return "DopamineSTDP"
    if any(len(p.factors) > MAX_FACTORS for pj in learning.projections for p in pj.rule.products):
        return f"products of more than {MAX_FACTORS} factors"
    return None


@dataclass(frozen=True)
class _Fused:
    """Products of one rule with the same target, dependency and factors, as one: the
    integer ``mantissa`` added ``<< shift`` (``shift = rule.shift(target) + exponent``)."""

    target: str
    dependency: str
    factors: tuple
    mantissa: int
    shift: int


def _merged(rule) -> list[_Fused]:
    """``rule``'s products, those that differ only in their scale summed exactly:
    ``sum m_i 2^(s_i)`` = ``(sum m_i 2^(s_i - s)) 2^s`` with s the smallest shift."""
    groups: dict = {}
    for p in rule.products:
        key = (p.target, p.dependency, p.factors)
        groups.setdefault(key, []).append((p.mantissa, rule.shift(p.target) + p.exponent))
    out = []
    for (target, dependency, factors), scales in groups.items():
        s = min(sh for _, sh in scales)
        out.append(_Fused(target, dependency, factors, sum(m << (sh - s) for m, sh in scales), s))
    return out


def _cat(xs, dtype=np.int64):
    return np.concatenate(xs).astype(dtype) if xs else np.zeros(0, dtype)


def _aligned(shape, align: int = 64) -> np.ndarray:
    """Zeros (int64) whose first byte is ``align``-byte aligned (rows on cache lines)."""
    size = int(np.prod(shape))
    raw = np.zeros(size + align // 8, np.int64)
    start = (-raw.ctypes.data % align) // 8
    return raw[start : start + size].reshape(shape)


class FlatLearning:
    """The arrays of the compiled learning step (see the module docstring).  Built once
    per engine: while the engine exists it owns the learning state, and copies it into the
    ``Learning`` object after every run (:meth:`write_back`)."""

    def __init__(self, learning, fields):
        """``fields``: the namespace that defines the record layout (``S_*``, ``S_FIELDS``):
        the kernel's module, where the layout lives so that numba's cache of the kernel is
        invalidated when it changes."""
        f = fields
        self.version = learning.version  # the Learning's rules this copy was made from

        lr = self.learning = learning
        prog = lr.program
        n, n_senders = prog.n_neurons, prog.n_senders
        self.n_proj = P = len(lr.projections)
        pjs = lr.projections
        sizes = [len(pj.w) for pj in pjs]
        self.syn_lo = lo = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        # internal order: each projection's synapses sorted by postsynaptic neuron (its
        # postsynaptic arrivals read contiguous records); perm[internal] = hub index
        self.perm = perm = _cat([pj.by_post[1] + lo[j] for j, pj in enumerate(pjs)])
        self.inv = inv = np.empty_like(perm)
        inv[perm] = np.arange(len(perm))
        self.S = S = _aligned((len(perm), f.S_FIELDS))
        for col, name in (
            (f.S_PRE, "pre"),
            (f.S_POST, "post"),
            (f.S_DELAY, "delay"),
            (f.S_W, "w"),
            (f.S_WR, "wr"),
            (f.S_W_MAX, "w_max"),
            (f.S_TAG, "tag"),
            (f.S_POS, "pos"),
            (f.S_SHIFT, "shift"),
            (f.S_SIGN, "sign"),
        ):
            S[:, col] = _cat([getattr(pj, name) for pj in pjs])[perm]
        S[:, f.S_ACC_W] = _cat([pj.acc["w"] for pj in pjs])[perm]
        S[:, f.S_ACC_T] = _cat([pj.acc["t"] for pj in pjs])[perm]
        S[:, f.S_MARK] = -1  # the last stamp the synapse changed
        S[:, f.S_ID] = perm - np.repeat(lo[:-1], sizes)  # hub index in its projection
        self.fields = f
        # CSR by sender and by neuron over internal indices
        self.pre_ptr = np.zeros((P, n_senders + 1), np.int64)
        self.post_ptr = np.zeros((P, n + 1), np.int64)
        for j, pj in enumerate(pjs):  # entries of projection j start at lo[j] in the orders
            self.pre_ptr[j] = pj.by_pre[0] + lo[j]
            self.post_ptr[j] = pj.by_post[0] + lo[j]
        self.pre_order = inv[_cat([pj.by_pre[1] + lo[j] for j, pj in enumerate(pjs)])]
        self.post_order = np.arange(len(perm), dtype=np.int64)
        delays = [pj.delays for pj in pjs]
        self.delay_lo = np.concatenate([[0], np.cumsum([len(d) for d in delays])]).astype(np.int64)
        self.delays = _cat(delays)
        # products, grouped by projection and dependency: x0, y0, u<k>; products that
        # differ only in their scale (a coefficient split into several) are evaluated as
        # one with the exact sum of their scales (the sums are exact: the same integers)
        dep = lambda p: DEP_CODES.get(p.dependency, 2)  # noqa: E731
        prods, self.prods = [], np.zeros((P, 4), np.int64)
        for j, pj in enumerate(pjs):
            group = sorted(_merged(pj.rule), key=dep)
            self.prods[j, 0] = len(prods)
            for d in range(3):
                self.prods[j, d + 1] = self.prods[j, d] + sum(dep(p) == d for p in group)
            prods += [(j, p) for p in group]
        m = len(prods)
        self.p_int = np.zeros((m, 5), np.int64)  # target, dependency, k, mantissa, shift
        self.p_var = np.full((m, MAX_FACTORS), -1, np.int64)
        self.p_const = np.zeros((m, MAX_FACTORS), np.int64)
        self.p_bank = np.full((m, MAX_FACTORS), -1, np.int64)  # trace bank of a factor
        for i, (j, p) in enumerate(prods):
            k = int(p.dependency[1:]) if dep(p) == 2 else 0
            tgt = 0 if p.target == "w" else 1
            self.p_int[i] = (tgt, dep(p), k, p.mantissa, p.shift)
            for f_i, fac in enumerate(p.factors):
                self.p_var[i, f_i] = VAR_CODES[fac.var]
                self.p_const[i, f_i] = fac.const
                self.p_bank[i, f_i] = pjs[j].trace.get(fac.var, -1)
        # per projection: k_w, k_t, has tag products
        self.proj_int = np.array(
            [
                (
                    pj.rule.shift("w"),
                    pj.rule.shift("t"),
                    int(any(p.target == "t" for p in pj.rule.products)),
                )
                for pj in pjs
            ],
            np.int64,
        ).reshape(P, 3)
        # trace banks
        B, L = len(lr.banks), lr.depth
        self.bank_int = np.array(
            [(b["d"], b["impulse"], b["side"] == "pre", len(b["X"])) for b in lr.banks], np.int64
        ).reshape(B, 4)
        self.X = np.zeros((B, n_senders), np.int64)
        self.hist = np.zeros((B, L, n_senders), np.int64)
        for b, bank in enumerate(lr.banks):
            self.X[b, : len(bank["X"])] = bank["X"]
            self.hist[b, :, : len(bank["X"])] = bank["hist"]
        self.x0 = lr.x0.copy()
        self.y0 = lr.y0.copy()
        self.past_n = np.zeros(L, np.int64)
        self.past = np.zeros((L, n), np.int64)
        for slot, ids in enumerate(lr._past):
            if ids is not None:
                self.past_n[slot] = len(ids)
                self.past[slot, : len(ids)] = ids
        # (np.full, not np.zeros: their pages are touched now, not in the first run)
        self.changed = np.full(len(perm), 0, np.int64)  # the synapses changed in a step
        self.pre_list = np.zeros(n_senders, np.int64)  # this step's presynaptic ids
        # a step's events: synapse and slot of its stamp T - D (x0, then y0, then u<k>)
        self.ev_s = np.full(3 * len(perm), 0, np.int64)
        self.ev_back = np.full(3 * len(perm), 0, np.int64)
        # a plastic synapse from a native Poisson axon (whose spikes the learning engine
        # does not see) is delivered without an x0 event: write its weight at every change
        native = n + np.asarray(prog.native_input, np.int64)
        eager = bool(len(native)) and bool(np.isin(S[:, f.S_PRE], native).any())
        self.stats = np.array([lr.t, lr.updates, lr.epoch, eager, lr.stochastic, lr.seed], np.int64)
        self.consts = np.array([T_MIN, T_MAX], np.int64)
        self.syn_all = np.arange(len(perm), dtype=np.int64)

    def start(self, t0: int, steps: int) -> tuple:
        """Prepare a run of ``steps`` steps from ``t0`` (the weight probes' rows); returns
        the kernel's learning arguments (``fast._learn_step`` unpacks them)."""
        lr, lo = self.learning, self.syn_lo
        self.stats[0], self.stats[1] = lr.t, lr.updates
        pjs = lr.projections
        # weight probes: internal synapse ids; row r of probe e at flat[base[e] + r * m_e]
        self.probes = [
            (next(j for j, pj in enumerate(pjs) if pj.label == label), iv, idx, rows)
            for label, iv, idx, rows, _ in lr.probes
        ]
        self.rows = [(t0 + steps) // iv - t0 // iv for _, iv, _, _ in self.probes]
        #: per probe: interval, base (stamp T's row at base + (T // interval) m), first and
        #: last + 1 entry in pr_syn; its rows of this run start at off[e]
        self.pr_int = np.zeros((len(self.probes), 4), np.int64)
        ids, off, self.off = [], 0, []
        for e, ((j, iv, idx, _), r) in enumerate(zip(self.probes, self.rows)):
            m, first = len(idx), sum(len(i) for i in ids)
            self.pr_int[e] = (iv, off - (t0 // iv + 1) * m, first, first + m)
            ids.append(self.inv[np.asarray(idx, np.int64) + lo[j]])
            self.off.append(off)
            off += r * m
        self.pr_syn = _cat(ids)
        self.pr_out = np.zeros(off, np.int64)
        return self.args()

    def args(self) -> tuple:
        """The kernel's learning arguments (``fast._learn_step`` unpacks them)."""
        return (
            self.stats,
            self.syn_lo,
            self.S,
            self.pre_ptr,
            self.pre_order,
            self.post_ptr,
            self.post_order,
            self.delay_lo,
            self.delays,
            self.prods,
            self.p_int,
            self.p_var,
            self.p_const,
            self.proj_int,
            self.bank_int,
            self.X,
            self.hist,
            self.x0,
            self.y0,
            self.past_n,
            self.past,
            self.changed,
            self.pre_list,
            self.pr_int,
            self.pr_syn,
            self.pr_out,
            self.consts,
            self.p_bank,
            self.ev_s,
            self.ev_back,
            self.syn_all,
        )

    def write_back(self) -> None:
        """Copy the state into the ``Learning`` object and append the probe rows."""
        lr, lo, f, S = self.learning, self.syn_lo, self.fields, self.S
        for j, pj in enumerate(lr.projections):
            rows = self.inv[lo[j] : lo[j + 1]]  # hub order
            pj.w[:] = S[rows, f.S_W]
            pj.wr[:] = S[rows, f.S_WR]
            pj.acc["w"][:] = S[rows, f.S_ACC_W]
            if self.proj_int[j, 2]:  # tags (else they stay 0)
                pj.tag[:] = S[rows, f.S_TAG]
                pj.acc["t"][:] = S[rows, f.S_ACC_T]
        for b, bank in enumerate(lr.banks):
            size = len(bank["X"])
            bank["X"] = self.X[b, :size].copy()
            bank["hist"][:] = self.hist[b, :, :size]
        lr.x0[:] = self.x0
        lr.y0[:] = self.y0
        for slot in range(lr.depth):  # never written: empty (as None, no spikes)
            lr._past[slot] = self.past[slot, : self.past_n[slot]].copy()
        lr.t, lr.updates = int(self.stats[0]), int(self.stats[1])
        for (j, _, idx, rows), r, off in zip(self.probes, self.rows, self.off):
            pj, m = lr.projections[j], len(idx)
            for row in self.pr_out[off : off + r * m].reshape(r, m):
                rows.append(pj.sign[idx] * row)


def empty_args() -> tuple:
    """Learning arguments of the right types for a network without learning."""
    z1, z2, z3 = np.zeros(0, np.int64), np.zeros((0, 0), np.int64), np.zeros((0, 0, 0), np.int64)
    one = np.zeros(1, np.int64)
    return (
        np.zeros(4, np.int64),  # stats
        one,  # syn_lo
        z2,  # S
        z2,  # pre_ptr
        z1,
        z2,  # post_ptr
        z1,
        one,  # delay_lo
        z1,
        z2,  # prods
        z2,
        z2,
        z2,
        z2,  # proj_int
        z2,  # bank_int
        z2,
        z3,  # hist
        z1,  # x0
        z2,  # y0
        z1,
        z2,  # past
        z1,
        z1,
        z2,  # pr_int
        z1,
        z1,
        np.zeros(2, np.int64),
        z2,  # p_bank
        z1,
        z1,
        z1,
    )

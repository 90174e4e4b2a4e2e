"""The learning engine (learning.py) as flat integer arrays, for the compiled engine.

:class:`FlatLearning` copies the state of a :class:`hub_chip.learning.Learning` (product
rules, traces, weights, tags, exact pending sums, spike history) into arrays that the
numba kernel (``fast._learn_step``, called once per step inside ``fast._kernel``) updates
in place, and writes them back after a run, so that ``Learning``'s read-outs
(``mantissas``, probe rows, ``updates``) are the same as after the numpy engine.

Layout.  The synapses of all projections are concatenated (projection ``j`` owns
``[syn_lo[j], syn_lo[j+1])``); the products of all rules likewise (``prod_lo``).  A product
is ``(target, dependency, k, mantissa, shift)`` with target 0 = ``w``, 1 = ``t``;
dependency 0 = ``x0``, 1 = ``y0``, 2 = ``u<k>``; ``shift = rule.shift(target) + exponent``
(the sum is kept in units of 2^-rule.shift(target), so a product adds
``m D prod(V + C) << shift``); and up to ``MAX_FACTORS`` factors ``(var, const)`` with the
codes of :data:`VAR_CODES` (``C`` alone: var 9; -1 pads).  Traces: ``X[b, i]`` and the
7-bit reads ``hist[b, slot, i]`` of bank ``b`` (sized to the largest bank), and
``trace[j, v]`` the bank of projection ``j``'s trace ``x1 x2 y1 y2 y3`` (-1: unused).

Only compiled product rules with deterministic rounding run here (:func:`fusable`):
DopamineSTDP integrates in floating point and stochastic rounding draws from numpy's
generator in the numpy engine's order, so both stay on the numpy engine.
"""

from __future__ import annotations

import numpy as np

from .rule import T_MAX, T_MIN

VAR_CODES = {"x0": 0, "y0": 1, "x1": 2, "x2": 3, "y1": 4, "y2": 5, "y3": 6, "w": 7, "t": 8, "C": 9}
TRACE_SLOTS = ("x1", "x2", "y1", "y2", "y3")
DEP_CODES = {"x0": 0, "y0": 1}
MAX_FACTORS = 4


def fusable(learning) -> str | None:
    """Why ``learning`` cannot run in the compiled engine, or None if it can."""
    if learning.stochastic:
        return "stochastic rounding"
    if any(pj.dopa is not None for pj in learning.projections):
        return "DopamineSTDP"
    if any(len(p.factors) > MAX_FACTORS for pj in learning.projections for p in pj.rule.products):
        return f"products of more than {MAX_FACTORS} factors"
    return None


def _cat(xs, dtype=np.int64):
    return np.concatenate(xs).astype(dtype) if xs else np.zeros(0, dtype)


class FlatLearning:
    """The arrays of one run of the compiled learning step (see the module docstring)."""

    def __init__(self, learning, t0: int, steps: int):
        lr = self.learning = learning
        prog = lr.program
        n, n_senders = prog.n_neurons, prog.n_senders
        self.n_proj = P = len(lr.projections)
        pjs = lr.projections
        sizes = [len(pj.w) for pj in pjs]
        self.syn_lo = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        lo = self.syn_lo
        self.pre = _cat([pj.pre for pj in pjs])
        self.post = _cat([pj.post for pj in pjs])
        self.delay = _cat([pj.delay for pj in pjs])
        self.w = _cat([pj.w for pj in pjs])
        self.wr = _cat([pj.wr for pj in pjs])
        self.w_max = _cat([pj.w_max for pj in pjs])
        self.tag = _cat([pj.tag for pj in pjs])
        self.acc_w = _cat([pj.acc["w"] for pj in pjs])
        self.acc_t = _cat([pj.acc["t"] for pj in pjs])
        self.pos = _cat([pj.pos for pj in pjs])
        self.shift = _cat([pj.shift for pj in pjs])
        self.sign = _cat([pj.sign for pj in pjs])
        # CSR by sender and by neuron, synapse ids made global
        self.pre_ptr = np.zeros((P, n_senders + 1), np.int64)
        self.post_ptr = np.zeros((P, n + 1), np.int64)
        for j, pj in enumerate(pjs):  # entries of projection j start at lo[j] in the orders
            self.pre_ptr[j] = pj.by_pre[0] + lo[j]
            self.post_ptr[j] = pj.by_post[0] + lo[j]
        self.pre_order = _cat([pj.by_pre[1] + lo[j] for j, pj in enumerate(pjs)])
        self.post_order = _cat([pj.by_post[1] + lo[j] for j, pj in enumerate(pjs)])
        delays = [np.unique(pj.delay) for pj in pjs]
        self.delay_lo = np.concatenate([[0], np.cumsum([len(d) for d in delays])]).astype(np.int64)
        self.delays = _cat(delays)
        # products
        prods = [(j, p, pj.rule) for j, pj in enumerate(pjs) for p in pj.rule.products]
        counts = [len(pj.rule.products) for pj in pjs]
        self.prod_lo = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        m = len(prods)
        self.p_int = np.zeros((m, 5), np.int64)  # target, dependency, k, mantissa, shift
        self.p_var = np.full((m, MAX_FACTORS), -1, np.int64)
        self.p_const = np.zeros((m, MAX_FACTORS), np.int64)
        for i, (_, p, rule) in enumerate(prods):
            dep = DEP_CODES.get(p.dependency, 2)
            k = int(p.dependency[1:]) if dep == 2 else 0
            tgt = 0 if p.target == "w" else 1
            self.p_int[i] = (tgt, dep, k, p.mantissa, rule.shift(p.target) + p.exponent)
            for f_i, f in enumerate(p.factors):
                self.p_var[i, f_i] = VAR_CODES[f.var]
                self.p_const[i, f_i] = f.const
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
        self.trace = np.array(
            [[pj.trace.get(s, -1) for s in TRACE_SLOTS] for pj in pjs], np.int64
        ).reshape(P, 5)
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
        for s, ids in enumerate(lr._past):
            if ids is not None:
                self.past_n[s] = len(ids)
                self.past[s, : len(ids)] = ids
        self.mark = np.full(len(self.w), -1, np.int64)  # last stamp a synapse changed
        self.changed = np.zeros(len(self.w), np.int64)  # the synapses changed in a step
        self.pre_list = np.zeros(n_senders, np.int64)  # this step's presynaptic ids
        # weight probes: global synapse ids; row r of probe e at flat[base[e] + r * m_e]
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
            ids.append(idx + lo[j])
            self.off.append(off)
            off += r * m
        self.pr_syn = _cat(ids)
        self.pr_out = np.zeros(off, np.int64)
        self.stats = np.array([lr.t, lr.updates, lr.epoch], np.int64)  # t, updates, epoch
        self.consts = np.array([T_MIN, T_MAX], np.int64)

    def args(self) -> tuple:
        """The kernel's learning arguments (``fast._learn_step`` unpacks them)."""
        return (
            self.stats,
            self.syn_lo,
            self.pre,
            self.post,
            self.delay,
            self.w,
            self.wr,
            self.w_max,
            self.tag,
            self.acc_w,
            self.acc_t,
            self.pos,
            self.shift,
            self.sign,
            self.pre_ptr,
            self.pre_order,
            self.post_ptr,
            self.post_order,
            self.delay_lo,
            self.delays,
            self.prod_lo,
            self.p_int,
            self.p_var,
            self.p_const,
            self.proj_int,
            self.trace,
            self.bank_int,
            self.X,
            self.hist,
            self.x0,
            self.y0,
            self.past_n,
            self.past,
            self.mark,
            self.changed,
            self.pre_list,
            self.pr_int,
            self.pr_syn,
            self.pr_out,
            self.consts,
        )

    def write_back(self) -> None:
        """Copy the state into the ``Learning`` object and append the probe rows."""
        lr, lo = self.learning, self.syn_lo
        for j, pj in enumerate(lr.projections):
            a, b = lo[j], lo[j + 1]
            pj.w[:] = self.w[a:b]
            pj.wr[:] = self.wr[a:b]
            pj.tag[:] = self.tag[a:b]
            pj.acc["w"][:] = self.acc_w[a:b]
            pj.acc["t"][:] = self.acc_t[a:b]
        for b, bank in enumerate(lr.banks):
            size = len(bank["X"])
            bank["X"] = self.X[b, :size].copy()
            bank["hist"][:] = self.hist[b, :, :size]
        lr.x0[:] = self.x0
        lr.y0[:] = self.y0
        T = int(self.stats[0])
        for s in range(lr.depth):  # never written: empty (as None, no spikes)
            lr._past[s] = self.past[s, : self.past_n[s]].copy()
        lr.t, lr.updates = T, int(self.stats[1])
        for (j, _, idx, rows), r, off in zip(self.probes, self.rows, self.off):
            pj, m = lr.projections[j], len(idx)
            for row in self.pr_out[off : off + r * m].reshape(r, m):
                rows.append(pj.sign[idx] * row)


def empty_args() -> tuple:
    """Learning arguments of the right types for a network without learning."""
    z1, z2, z3 = np.zeros(0, np.int64), np.zeros((0, 0), np.int64), np.zeros((0, 0, 0), np.int64)
    s = np.zeros(3, np.int64)
    return (
        s,
        np.zeros(1, np.int64),
        *(z1,) * 12,
        z2,
        z1,
        z2,
        z1,
        np.zeros(1, np.int64),
        z1,
        np.zeros(1, np.int64),
        z2,
        z2,
        z2,
        z2,
        z2,
        z2,
        z2,
        z3,
        z1,
        z2,
        z1,
        z2,
        z1,
        z1,
        z1,
        z2,
        z1,
        z1,
        np.zeros(2, np.int64),
    )

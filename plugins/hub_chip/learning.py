"""The chip's learning engine: pair STDP (all-to-all, additive) and reward-modulated STDP
(``DopamineSTDP``) on integer traces and 8-bit weight mantissas, in the event order of the
hub's reference (docs/chip.md, section 10, has both; the dopamine part is at
``_dopamine_state``).

Traces.  Every neuron that sends or receives a plastic synapse has a trace register of
7 integer and 8 fractional bits (``X`` in 0 .. 127*256 + 255).  Each step it decays with a
12-bit factor, ``X <- (X d + r) >> 12`` with ``d = round(4096 exp(-dt/tau))`` and
``r = 2048`` (deterministic rounding, the default) or ``r`` uniform in [0, 4096) from a
seeded generator (``rounding="stochastic"``); a spike adds the impulse ``I * 256``
(``I`` = ``trace_impulse`` trace units per spike, 8 fractional bits), saturating at the
top.  The learning rule reads the 7-bit value ``x = (X + 128) >> 8``, i.e. ``K ~ x / I``.

Weights.  A plastic synapse keeps its 8-bit mantissa ``W`` (0 .. W_max, W_max the mantissa
of w_max in the synapse group's exponent, which is chosen to cover w_max).  At each step,
with T the step's stamp, in the reference's order:

1. a postsynaptic spike stamped T - D reaches the synapse: ``W <- min(W_max, W +
   rnd(A_plus W_max x_pre / I))`` with the presynaptic trace before this step's spikes;
2. a presynaptic spike stamped T (m times for multiplicity m):
   ``W <- max(0, W - rnd(A_minus W_max y_post(T - D) / I))`` with the postsynaptic trace
   read at T - D before that step's spikes (kept in a ring of D_max + 1 steps);
3. the spikes of step T add their impulses; the synapse transmits ``W << (6 + exp)``.

Potentiation is applied when it happens (the transmitted weight is then the reference's);
the weight *read out* is, as in the hub's rule book, the one after the synapse's last
presynaptic spike.

``rnd`` rounds to nearest (deterministic) or stochastically.  Epochs: with
``learning_epoch = E > 1`` the changes of steps are summed and applied (and clipped) every
E steps, as a learning engine that runs once per epoch; E = 1 (default) is exact ordering.

Bound (tested, tests/test_chip_learning.py): each update is within ``0.5 + A W_max / (2 I)``
mantissa steps of the reference's (rounding plus the trace's read error), so with the
defaults (I = 32) a weight stays within 1 LSB per update of the float reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LABEL = "STDP[pairing=all,weight_dependence=additive]"
LABELS = (LABEL, "DopamineSTDP")
DOPAMINE_IMPULSE = 4  # dopamine trace units per dopamine spike
FRAC = 8  # fractional trace bits
TRACE_MAX = (127 << FRAC) + (1 << FRAC) - 1
DEFAULT_IMPULSE = 32


def decay_factor(tau_ms: float, dt: float) -> int:
    """12-bit per-step decay: round(4096 exp(-dt/tau))."""
    return int(round(4096 * np.exp(-dt / tau_ms)))


@dataclass
class _Projection:
    label: str
    pos: np.ndarray  # CSR positions
    pre: np.ndarray  # sender id of each synapse
    post: np.ndarray  # engine neuron of each synapse
    delay: np.ndarray  # hub delay steps
    shift: np.ndarray  # 6 + exponent
    sign: np.ndarray
    w: np.ndarray  # mantissa magnitude (int64)
    wr: np.ndarray  # read-out: w after the synapse's last presynaptic spike
    w_max: np.ndarray
    a_plus: float
    a_minus: float
    pre_trace: int  # trace bank index of the presynaptic side
    post_trace: int
    by_pre: tuple  # CSR over senders: (ptr, synapse order)
    by_post: tuple  # CSR over neurons
    dw: np.ndarray  # pending changes of this epoch (float)
    dopa: dict | None = None  # DopamineSTDP state (see _dopamine_state)


class Learning:
    """Pair-STDP learning of every plastic projection of a compiled network."""

    def __init__(
        self,
        compiled,
        resolved,
        impulse: int = DEFAULT_IMPULSE,
        rounding: str = "deterministic",
        epoch: int = 1,
        seed: int = 0,
    ):
        self.program = compiled.program
        self.impulse, self.epoch = int(impulse), int(epoch)
        self.stochastic = rounding == "stochastic"
        self.rng = np.random.default_rng(seed)
        dt, n_senders = resolved.dt, self.program.n_senders
        self.banks: list[dict] = []  # one trace bank per (side, tau)
        self.projections: list[_Projection] = []
        lay, src = compiled.layout, compiled.source_offset
        n = self.program.n_neurons
        for proj in resolved.projections:
            if proj.label not in compiled.plastic:
                continue
            pl, p = compiled.plastic[proj.label], proj.rule.params
            pre = (
                (n + src[proj.pre] + proj.pre_idx)
                if proj.pre in resolved.sources
                else lay[proj.pre].offset + proj.pre_idx
            )
            post = lay[proj.post].offset + proj.post_idx
            order_pre = np.argsort(pre, kind="stable")
            order_post = np.argsort(post, kind="stable")
            w = np.abs(self.program.weight[pl.position]) >> (6 + pl.exponent)
            self.projections.append(
                _Projection(
                    proj.label,
                    pl.position,
                    pre,
                    post,
                    proj.delay_steps.astype(np.int64),
                    6 + pl.exponent,
                    pl.sign,
                    w.astype(np.int64),
                    w.astype(np.int64),
                    pl.w_max_mant.astype(np.int64),
                    p["A_plus"],
                    p["A_minus"],
                    self._bank("pre", p["tau_plus"], dt, n_senders),
                    self._bank("post", p["tau_minus"], dt, n, int(proj.delay_steps.max(initial=1))),
                    (_ptr(pre[order_pre], n_senders), order_pre),
                    (_ptr(post[order_post], n), order_post),
                    np.zeros(proj.n),
                    self._dopamine_state(proj, pl, w, compiled, resolved),
                )
            )
        self._past = [None] * (
            max([int(pj.delay.max(initial=1)) for pj in self.projections] + [1]) + 1
        )
        self.t = 0
        self.updates = 0  # synaptic weight updates (for the energy report)
        self.probes: list = []  # (label, interval steps, indices, rows)

    def _dopamine_state(self, proj, pl, w, compiled, resolved):
        """DopamineSTDP: weights with 8 fractional learning bits (``wf = 256 W``), the
        eligibility ``c`` (weight LSBs, 8 fractional bits), each synapse's last update step,
        and the projection's dopamine trace (7 + 8 bits, DOPAMINE_IMPULSE per spike)."""
        if proj.rule.kind != "DopamineSTDP":
            return None
        p, lsb = proj.rule.params, pl.lsb
        mod = proj.rule.modulator
        n = self.program.n_neurons
        ids = (
            (n + compiled.source_offset[mod] + np.arange(resolved.sources[mod].size))
            if mod in resolved.sources
            else compiled.layout[mod].offset + np.arange(resolved.populations[mod].size)
        )
        return {
            "wf": w.astype(np.int64) << FRAC,
            "c": np.zeros(proj.n, np.int64),
            "t0": np.zeros(proj.n, np.int64),
            "N": 0,
            "td": 0,
            "w_min": np.rint(p["w_min"] / lsb).astype(np.int64) << FRAC,
            "a_plus": p["A_plus"] / lsb,
            "a_minus": p["A_minus"] / lsb,
            "tau_c": p["tau_c"],
            "tau_n": p["tau_n"],
            "b": p["b"],
            "modulator": np.sort(ids),
            "delay": proj.rule.modulator_delay_steps,
            "pending": {},
            "dt": resolved.dt,
            "cr": np.zeros(proj.n),
        }

    def add_probe(
        self, label: str, interval: int, indices: np.ndarray, variable: str = "weight"
    ) -> list:
        """Record ``variable`` (signed weight mantissas, or DopamineSTDP's eligibility ``c``
        in weight LSBs) of synapses ``indices`` after every ``interval``-th step; returns the
        list the rows go to."""
        rows: list = []
        self.probes.append((label, int(interval), np.asarray(indices, np.int64), rows, variable))
        return rows

    def _bank(self, side, tau, dt, size, depth=0) -> int:
        for k, b in enumerate(self.banks):
            if b["side"] == side and b["tau"] == tau:
                b["depth"] = max(b["depth"], depth)
                b["hist"] = np.zeros((b["depth"] + 1, size), np.int64)
                return k
        self.banks.append(
            {
                "side": side,
                "tau": tau,
                "d": decay_factor(tau, dt),
                "X": np.zeros(size, np.int64),
                "depth": depth,
                "hist": np.zeros((depth + 1, size), np.int64),
            }
        )
        return len(self.banks) - 1

    # ------------------------------------------------------------------------------------------
    def _round(self, x: np.ndarray) -> np.ndarray:
        if self.stochastic:
            return np.floor(x + self.rng.random(x.shape)).astype(np.int64)
        return np.floor(x + 0.5).astype(np.int64)

    def step(self, fired: np.ndarray, in_senders: np.ndarray) -> None:
        """Step ``t`` (stamp T = t + 1): ``fired`` engine neurons, ``in_senders`` the input
        axons (sender ids, repeated for multiplicity) sending this step."""
        T = self.t + 1
        for b in self.banks:  # decay to T, remember the value before T's spikes
            r = self.rng.integers(0, 4096, b["X"].shape) if self.stochastic else 2048
            b["X"] = (b["X"] * b["d"] + r) >> 12
            b["hist"][T % len(b["hist"])] = (b["X"] + (1 << (FRAC - 1))) >> FRAC
        pre_ids, pre_mult = np.unique(
            np.concatenate([fired, in_senders]).astype(np.int64), return_counts=True
        )
        I = self.impulse
        for pj in self.projections:
            if pj.dopa is not None:
                self._dopamine_step(pj, T, pre_ids, pre_mult, fired)
                continue
            # 1. postsynaptic spikes stamped T - D reach the synapse now
            for syn, x in self._post_arrivals(pj, T):
                self._change(pj, syn, pj.a_plus * pj.w_max[syn] * x / I)
            # 2. presynaptic spikes stamped T (multiplicity m: m events)
            syn, mult, y = self._pre_events(pj, T, pre_ids, pre_mult)
            if syn.size:
                for k in range(int(mult.max())):
                    more = mult > k
                    self._change(pj, syn[more], -pj.a_minus * pj.w_max[syn[more]] * y[more] / I)
                pj.wr[syn] = pj.w[syn]
            if self.epoch > 1 and T % self.epoch == 0:
                pj.w[:] = np.clip(pj.w + self._round(pj.dw), 0, pj.w_max)
                pj.dw[:] = 0
                pj.wr[:] = pj.w
                self.program.weight[pj.pos] = pj.sign * (pj.w << pj.shift)
        # 3. impulses of this step's spikes
        self._remember(T, fired)
        for b in self.banks:
            ids, m = (pre_ids, pre_mult) if b["side"] == "pre" else (fired, 1)
            if len(ids):
                b["X"][ids] = np.minimum(TRACE_MAX, b["X"][ids] + m * (I << FRAC))
        self.t = T
        for label, iv, idx, rows, var in self.probes:
            if T % iv == 0:
                pj = next(p for p in self.projections if p.label == label)
                rows.append(pj.sign[idx] * (pj.dopa["cr"][idx] if var == "c" else pj.wr[idx]))

    def _post_arrivals(self, pj, T):
        """(synapses, presynaptic 7-bit trace before this step's spikes) for each delay D
        whose postsynaptic spikes stamped T - D reach their synapses now."""
        for D in np.unique(pj.delay):
            was = self._fired_at(T - int(D))
            if was is None or not was.size:
                continue
            syn = _rows(pj.by_post, was)
            syn = syn[pj.delay[syn] == D]
            if syn.size:
                yield syn, self.banks[pj.pre_trace]["hist"][0][pj.pre[syn]]

    def _pre_events(self, pj, T, pre_ids, pre_mult):
        """(synapses whose presynaptic neuron spikes at T, multiplicities, postsynaptic
        7-bit trace at T - D before that step's spikes)."""
        syn = _rows(pj.by_pre, pre_ids)
        if not syn.size:
            return syn, syn, syn
        hist = self.banks[pj.post_trace]["hist"]
        return (
            syn,
            pre_mult[np.searchsorted(pre_ids, pj.pre[syn])],
            hist[(T - pj.delay[syn]) % len(hist), pj.post[syn]],
        )

    # --- DopamineSTDP ---------------------------------------------------------------------------
    def _fx(self, x):
        """A decay factor as the engine's 12-bit multiplier holds it."""
        return np.rint(np.asarray(x) * 4096.0) / 4096.0

    def _advance(self, pj, syn, T):
        """Integrate w and decay c of synapses ``syn`` from their last update to T:
        ``w += c0 [n0/Ts (1 - e^-Ts h) - b tau_c (1 - e^-h/tau_c)]``, clipped."""
        d = pj.dopa
        if not len(syn):
            return
        h = (T - d["t0"][syn]) * d["dt"]
        n0 = (
            d["N"]
            / 256.0
            / DOPAMINE_IMPULSE
            / d["tau_n"]
            * self._fx(np.exp(-(d["t0"][syn] - d["td"]) * d["dt"] / d["tau_n"]))
        )
        ts = 1.0 / d["tau_c"] + 1.0 / d["tau_n"]
        e_c = self._fx(np.exp(-h / d["tau_c"]))
        c0 = d["c"][syn] / 256.0
        dw = c0 * (n0 / ts * (1.0 - self._fx(np.exp(-ts * h))) - d["b"] * d["tau_c"] * (1.0 - e_c))
        d["wf"][syn] = np.clip(
            d["wf"][syn] + self._round(256.0 * dw), d["w_min"][syn], pj.w_max[syn] << FRAC
        )
        d["c"][syn] = self._round(d["c"][syn] * e_c)
        d["t0"][syn] = T

    def _dopamine_step(self, pj, T, pre_ids, pre_mult, fired):
        """The reference's order at stamp T: dopamine arriving now (every synapse), the
        postsynaptic arrivals (eligibility up), the presynaptic spikes (eligibility down,
        read-out, transmission)."""
        d, I = pj.dopa, self.impulse
        m = d["pending"].pop(T, 0)
        if m:
            self._advance(pj, np.arange(len(pj.w)), T)
            decay = self._fx(np.exp(-(T - d["td"]) * d["dt"] / d["tau_n"]))
            d["N"] = int(
                min(
                    TRACE_MAX,
                    self._round(np.array([d["N"] * decay]))[0] + m * (DOPAMINE_IMPULSE << FRAC),
                )
            )
            d["td"] = T
            self.updates += len(pj.w)
        for syn, x in self._post_arrivals(pj, T):
            self._advance(pj, syn, T)
            d["c"][syn] += self._round(256.0 * d["a_plus"][syn] * x / I)
            self.updates += len(syn)
        syn, mult, y = self._pre_events(pj, T, pre_ids, pre_mult)
        if syn.size:
            self._advance(pj, syn, T)
            for k in range(int(mult.max())):
                more = syn[mult > k]
                d["c"][more] -= self._round(256.0 * d["a_minus"][more] * y[mult > k] / I)
            self.updates += len(syn)
            pj.w[syn] = (d["wf"][syn] + (1 << (FRAC - 1))) >> FRAC
            pj.wr[syn] = pj.w[syn]
            d["cr"][syn] = d["c"][syn] / 256.0
            self.program.weight[pj.pos[syn]] = pj.sign[syn] * (pj.w[syn] << pj.shift[syn])
        count = int(pre_mult[np.isin(pre_ids, d["modulator"])].sum())  # dopamine spikes
        if count:
            d["pending"][T + d["delay"]] = d["pending"].get(T + d["delay"], 0) + count

    def eligibility(self, label: str) -> np.ndarray:
        """DopamineSTDP: eligibility (weight LSBs) after each synapse's last presynaptic
        spike."""
        pj = next(p for p in self.projections if p.label == label)
        return pj.sign * pj.dopa["cr"]

    def _change(self, pj, syn, dw):
        """One event's change of synapses ``syn`` (each at most once)."""
        self.updates += len(syn)
        if self.epoch > 1:
            np.add.at(pj.dw, syn, dw)
            return
        pj.w[syn] = np.clip(pj.w[syn] + self._round(dw), 0, pj.w_max[syn])
        self.program.weight[pj.pos[syn]] = pj.sign[syn] * (pj.w[syn] << pj.shift[syn])

    # postsynaptic spikes are needed D steps later: the last D_max + 1 steps' spikes
    def _remember(self, T, fired):
        self._past[T % len(self._past)] = np.asarray(fired, np.int64).copy()

    def _fired_at(self, stamp):
        return None if stamp < 1 else self._past[stamp % len(self._past)]

    # ------------------------------------------------------------------------------------------
    def mantissas(self, label: str) -> np.ndarray:
        """Signed weight mantissas of a projection's synapses (hub order), read as the hub
        reads weights: after each synapse's last presynaptic spike (with epochs > 1: at the
        last epoch end)."""
        pj = next(p for p in self.projections if p.label == label)
        return pj.sign * pj.wr


def _ptr(sorted_keys: np.ndarray, size: int) -> np.ndarray:
    ptr = np.zeros(size + 1, np.int64)
    np.cumsum(np.bincount(sorted_keys, minlength=size), out=ptr[1:])
    return ptr


def _rows(csr, keys) -> np.ndarray:
    """Synapse indices (hub order) of every key in ``keys`` (unique)."""
    ptr, order = csr
    keys = np.asarray(keys, np.int64)
    keys = keys[keys < len(ptr) - 1]
    if not keys.size:
        return np.zeros(0, np.int64)
    starts, ends = ptr[keys], ptr[keys + 1]
    lens = ends - starts
    total = int(lens.sum())
    if not total:
        return np.zeros(0, np.int64)
    idx = np.arange(total) + np.repeat(starts - np.cumsum(lens) + lens, lens)
    return order[idx]

"""The chip's learning engine: every plastic projection's rule as a sum of products
(``rule.py``, compiled from the hub's rule by ``compile_rules.py``) on integer traces and
8-bit weight mantissas, in the event order of the hub's reference (docs/chip.md, section
10); reward-modulated STDP (``DopamineSTDP``) keeps its own integration
(``_dopamine_state``).

Traces.  Every trace is a register of 7 integer and 8 fractional bits (``X`` in
0 .. 127 * 256), one per neuron (postsynaptic side) or sender (presynaptic side) and per
(time constant, impulse).  Each step it decays with a 12-bit factor, ``X <- (X d + r) >> 12``
with ``d = round(4096 exp(-dt/tau))`` and ``r = 2048`` (deterministic rounding, the default)
or ``r`` uniform in [0, 4096) (``rounding="stochastic"``: :func:`counter_draws` of the network
seed, the bank, the step and the element, so both engines draw alike); a spike
adds ``impulse * 256``, saturating at 127 * 256.  The rule reads ``x = (X + 128) >> 8``
(0..127).

The values a product reads at the step of stamp T (a synapse of delay D, dendritic as in
the rule book):
``x0`` the presynaptic spikes stamped T (multiplicity counts), ``y0`` the postsynaptic
spikes stamped T - D (they reach the synapse now), ``x1``/``x2`` the presynaptic traces at
T and ``y1``/``y2``/``y3`` the postsynaptic traces at T - D, each before that step's own
spikes (a ring of D_max + 1 steps), ``w`` the weight mantissa magnitude, ``t`` the tag.

Each step the products with a non-zero dependency are summed exactly per synapse, rounded
once (nearest, or stochastically), added and clipped (``w`` to [0, W_max]); the synapse
then transmits ``W << (6 + exp)``.  The weight *read out* is, as in the hub's rule book,
the one after the synapse's last presynaptic spike.  Epochs: with ``learning_epoch = E > 1``
the exact sums of E steps are rounded and applied (and clipped) every E steps, as a
learning engine that runs once per epoch; E = 1 (default) keeps every step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hub.errors import CapabilityError, HubError

from .compile_rules import COMPILED, compile_rule
from .rule import T_MAX, T_MIN, ProductRule, TraceSpec

LABELS = (*COMPILED, "DopamineSTDP", "CustomRule")  # CustomRule: of the product form
DOPAMINE_IMPULSE = 4  # dopamine trace units per dopamine spike
FRAC = 8  # fractional trace bits
TRACE_MAX = 127 << FRAC
DEFAULT_IMPULSE = 32


_GOLD, _MIX1, _MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
TRACE_STREAM, WEIGHT_STREAM = 1, 1 << 20  # + bank index; + 2 projection + (0 w, 1 t)


def counter_draws(seed: int, stream: int, T: int, index: np.ndarray, bits: int) -> np.ndarray:
    """``bits`` random bits per element of ``index`` at stamp ``T``: the top bits of
    splitmix64's finaliser applied to ``seed G + stream M1 + T M2 + index`` (mod 2^64).  A
    function of its arguments only (no generator state), so the numpy and the compiled
    engine draw the same numbers whatever order they visit the elements in."""
    base = (seed * _GOLD + stream * _MIX1 + T * _MIX2) % (1 << 64)
    z = np.asarray(index).astype(np.uint64) + np.uint64(base)
    z ^= z >> np.uint64(30)
    z *= np.uint64(_MIX1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(_MIX2)
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(64 - bits)).astype(np.int64)


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
    by_pre: tuple  # CSR over senders: (ptr, synapse order)
    by_post: tuple  # CSR over neurons
    trace: dict = field(default_factory=dict)  # x1 .. y3 -> trace bank index
    rule: ProductRule | None = None
    acc: dict = field(default_factory=dict)  # target -> exact pending sums (units 2^-k)
    tag: np.ndarray | None = None
    has_tag: bool = False  # the rule has products on the tag
    dopa: dict | None = None  # DopamineSTDP state (see _dopamine_state)
    index: int = 0  # position among the projections (its stochastic-rounding stream)

    def __post_init__(self):
        self.delays = np.unique(self.delay)  # the delays its postsynaptic spikes arrive with


class Learning:
    """The learning engine of every plastic projection of a compiled network."""

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
        self.rng = np.random.default_rng(seed)  # DopamineSTDP's stochastic rounding
        self.seed = int(seed) % (1 << 63)
        self.dt = resolved.dt
        n_senders, n = self.program.n_senders, self.program.n_neurons
        plastic = [p for p in resolved.projections if p.label in compiled.plastic]
        #: ring depth: traces and spikes of the last D_max + 1 steps
        self.depth = max([int(p.delay_steps.max(initial=1)) for p in plastic] + [1]) + 1
        self.banks: list[dict] = []  # one trace bank per (side, tau, impulse, initial)
        self.projections: list[_Projection] = []
        self.rules: dict[str, ProductRule] = {}
        lay, src = compiled.layout, compiled.source_offset
        for proj in plastic:
            pl = compiled.plastic[proj.label]
            pre = (
                (n + src[proj.pre] + proj.pre_idx)
                if proj.pre in resolved.sources
                else lay[proj.pre].offset + proj.pre_idx
            )
            post = lay[proj.post].offset + proj.post_idx
            order_pre = np.argsort(pre, kind="stable")
            order_post = np.argsort(post, kind="stable")
            w = (np.abs(self.program.weight[pl.position]) >> (6 + pl.exponent)).astype(np.int64)
            w_max = pl.w_max_mant.astype(np.int64)
            pj = _Projection(
                proj.label,
                pl.position,
                pre,
                post,
                proj.delay_steps.astype(np.int64),
                6 + pl.exponent,
                pl.sign,
                w,
                w.copy(),
                w_max,
                (_ptr(pre[order_pre], n_senders), order_pre),
                (_ptr(post[order_post], n), order_post),
            )
            if proj.rule.kind == "DopamineSTDP":
                p = proj.rule.params
                pj.trace = {
                    "x1": self._bank("pre", TraceSpec(p["tau_plus"], self.impulse), n_senders),
                    "y1": self._bank("post", TraceSpec(p["tau_minus"], self.impulse), n),
                }
                pj.dopa = self._dopamine_state(proj, pl, w, compiled, resolved)
            else:
                self._set_rule(pj, self._compile(proj, pl))
            pj.index = len(self.projections)  # its stream of stochastic rounding
            self.projections.append(pj)
        self.x0 = np.zeros(n_senders, np.int64)  # this step's presynaptic multiplicities
        self.y0 = np.zeros((self.depth, n), np.int64)  # postsynaptic spikes, last steps
        self._past = [None] * self.depth
        self.t = 0
        self.updates = 0  # synaptic weight updates (for the energy report)
        self.version = 0  # counts rule replacements (set_rule)
        self.probes: list = []  # (label, interval steps, indices, rows)

    def set_rule(self, label: str, rule: ProductRule) -> None:
        """Run projection ``label`` with ``rule`` (a :class:`rule.ProductRule`, e.g. from
        :func:`rule.parse`) instead of its compiled rule, from the current step on."""
        pj = next(p for p in self.projections if p.label == label and p.dopa is None)
        missing = sorted(rule.trace_names() - set(rule.traces))
        if missing:
            raise HubError(
                f"chip learning rule for {label!r}: traces {', '.join(missing)} are read but "
                "not defined; give each a TraceSpec(tau, impulse) in the rule's traces"
            )
        self._set_rule(pj, rule)
        self.rules[label] = rule
        self.version += 1  # the compiled engine flattens the rules again

    def _set_rule(self, pj, rule: ProductRule) -> None:
        n_senders, n = self.program.n_senders, self.program.n_neurons
        pj.rule = rule
        pj.trace = {
            name: self._bank(
                "pre" if name[0] == "x" else "post", spec, n_senders if name[0] == "x" else n
            )
            for name, spec in rule.traces.items()
        }
        pj.acc = {t: np.zeros(len(pj.w), np.int64) for t in ("w", "t")}
        pj.tag = np.zeros(len(pj.w), np.int64)
        pj.has_tag = any(p.target == "t" for p in rule.products)

    def _compile(self, proj, pl) -> ProductRule:
        w_max = np.unique(pl.w_max_mant)
        if len(w_max) == 0:  # no synapses: any rule will do
            w_max = np.array([255])
        if len(w_max) != 1:
            raise CapabilityError(
                "chip",
                [
                    f"projection {proj.label!r}: initial weights above w_max give its cores "
                    "different weight exponents (one learning rule per projection); start "
                    "the weights at or below w_max"
                ],
            )
        lsb = float(pl.lsb.max()) if len(pl.lsb) else 1.0
        rule = compile_rule(proj.rule, int(w_max[0]), lsb, self.impulse)
        for name, spec in rule.traces.items():
            if decay_factor(spec.tau, self.dt) >= 4096:
                raise CapabilityError(
                    "chip",
                    [
                        f"projection {proj.label!r}: the trace {name} of tau = {spec.tau:g} ms "
                        f"does not decay in the chip's 12-bit decay at dt = {self.dt:g} ms "
                        f"(round(4096 exp(-dt/tau)) = 4096: tau must stay below about "
                        f"{self.dt * 8191:g} ms)"
                    ],
                )
        self.rules[proj.label] = rule
        return rule

    def _dopamine_state(self, proj, pl, w, compiled, resolved):
        """DopamineSTDP: weights with 8 fractional learning bits (``wf = 256 W``), the
        eligibility ``c`` (weight LSBs, 8 fractional bits), each synapse's last update step,
        and the projection's dopamine trace (7 + 8 bits, DOPAMINE_IMPULSE per spike)."""
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

    def _bank(self, side: str, spec: TraceSpec, size: int) -> int:
        key = (side, spec.tau, spec.impulse, spec.initial)
        for k, b in enumerate(self.banks):
            if b["key"] == key:
                return k
        X = np.full(size, spec.initial << FRAC, np.int64)
        hist = np.zeros((self.depth, size), np.int64)
        hist[0] = (X + (1 << (FRAC - 1))) >> FRAC
        self.banks.append(
            {
                "key": key,
                "side": side,
                "d": decay_factor(spec.tau, self.dt),
                "impulse": spec.impulse << FRAC,
                "X": X,
                "hist": hist,
            }
        )
        return len(self.banks) - 1

    # ------------------------------------------------------------------------------------------
    def _round(self, x: np.ndarray) -> np.ndarray:
        if self.stochastic:
            return np.floor(x + self.rng.random(x.shape)).astype(np.int64)
        return np.floor(x + 0.5).astype(np.int64)

    def _round_shift(self, acc: np.ndarray, k: int, stream: int, syn, T: int) -> np.ndarray:
        """``acc / 2^k`` rounded: half up, or stochastically (``r`` uniform in [0, 2^k), drawn
        by :func:`counter_draws` for synapses ``syn`` of ``stream`` at stamp T)."""
        if k == 0:
            return acc
        if self.stochastic:
            return (acc + counter_draws(self.seed, stream, T, syn, k)) >> k
        return (acc + (1 << (k - 1))) >> k

    def step(self, fired: np.ndarray, in_senders: np.ndarray) -> None:
        """Step ``t`` (stamp T = t + 1): ``fired`` engine neurons, ``in_senders`` the input
        axons (sender ids, repeated for multiplicity) sending this step."""
        T, L = self.t + 1, self.depth
        for k, b in enumerate(self.banks):  # decay to T, remember the value before T's spikes
            r = (
                counter_draws(self.seed, TRACE_STREAM + k, T, np.arange(len(b["X"])), 12)
                if self.stochastic
                else 2048
            )
            b["X"] = (b["X"] * b["d"] + r) >> 12
            b["hist"][T % L] = (b["X"] + (1 << (FRAC - 1))) >> FRAC
        fired = np.asarray(fired, np.int64)
        pre_ids, pre_mult = np.unique(
            np.concatenate([fired, in_senders]).astype(np.int64), return_counts=True
        )
        self.x0[pre_ids] = pre_mult
        self.y0[T % L] = 0
        self.y0[T % L, fired] = 1
        for pj in self.projections:
            if pj.dopa is not None:
                self._dopamine_step(pj, T, pre_ids, pre_mult, fired)
            else:
                self._rule_step(pj, T, pre_ids)
        self.x0[pre_ids] = 0
        # the impulses of this step's spikes
        self._remember(T, fired)
        for b in self.banks:
            ids, m = (pre_ids, pre_mult) if b["side"] == "pre" else (fired, 1)
            if len(ids):
                b["X"][ids] = np.minimum(TRACE_MAX, b["X"][ids] + m * b["impulse"])
        self.t = T
        for label, iv, idx, rows, var in self.probes:
            if T % iv == 0:
                pj = next(p for p in self.projections if p.label == label)
                rows.append(pj.sign[idx] * (pj.dopa["cr"][idx] if var == "c" else pj.wr[idx]))

    def _rule_step(self, pj, T, pre_ids) -> None:
        """Evaluate ``pj``'s products on the synapses whose dependency is non-zero at T,
        then (every step, or at epoch ends) round, add and clip."""
        events = {"x0": _rows(pj.by_pre, pre_ids)}
        arrivals = list(self._post_arrivals(pj, T))
        events["y0"] = np.concatenate(arrivals) if arrivals else np.zeros(0, np.int64)
        rule = pj.rule
        for p in rule.products:
            if p.dependency[0] == "u" and T % (1 << int(p.dependency[1:])) == 0:
                events[p.dependency] = np.arange(len(pj.w))
        touched = [s for s in events.values() if len(s)]
        for p in rule.products:
            syn = events.get(p.dependency)
            if syn is None or not len(syn):
                continue
            val = np.full(len(syn), p.mantissa, np.int64)
            if p.dependency[0] != "u":
                val *= self._value(pj, p.dependency, syn, T)
            for f in p.factors:
                val *= f.const if f.var == "C" else self._value(pj, f.var, syn, T) + f.const
            pj.acc[p.target][syn] += val << (rule.shift(p.target) + p.exponent)
        if touched:
            changed = np.unique(np.concatenate(touched)) if len(touched) > 1 else touched[0]
            self.updates += len(changed)
            if self.epoch == 1:
                self._apply(pj, changed, T)
                pj.wr[events["x0"]] = pj.w[events["x0"]]
        if self.epoch > 1 and T % self.epoch == 0:  # the epoch's end, events or not
            self._apply(pj, np.arange(len(pj.w)), T)
            pj.wr[:] = pj.w

    def _value(self, pj, var: str, syn: np.ndarray, T: int) -> np.ndarray:
        """The integer ``var`` (x0 y0 x1 x2 y1 y2 y3 w t) of synapses ``syn`` at T."""
        L = self.depth
        if var == "x0":
            return self.x0[pj.pre[syn]]
        if var == "y0":
            return self.y0[(T - pj.delay[syn]) % L, pj.post[syn]]
        if var == "w":
            return pj.w[syn]
        if var == "t":
            return pj.tag[syn]
        hist = self.banks[pj.trace[var]]["hist"]
        if var[0] == "x":
            return hist[T % L][pj.pre[syn]]
        return hist[(T - pj.delay[syn]) % L, pj.post[syn]]

    def _apply(self, pj, syn, T: int) -> None:
        """Round the pending sums of ``syn``, add them and clip; transmit the new weights."""
        rule = pj.rule
        acc = pj.acc["w"]
        stream = WEIGHT_STREAM + 2 * pj.index
        dw = self._round_shift(acc[syn], rule.shift("w"), stream, syn, T)
        acc[syn] = 0
        pj.w[syn] = np.clip(pj.w[syn] + dw, 0, pj.w_max[syn])
        self.program.weight[pj.pos[syn]] = pj.sign[syn] * (pj.w[syn] << pj.shift[syn])
        if pj.has_tag:
            acc = pj.acc["t"]
            dt = self._round_shift(acc[syn], rule.shift("t"), stream + 1, syn, T)
            acc[syn] = 0
            pj.tag[syn] = np.clip(pj.tag[syn] + dt, T_MIN, T_MAX)

    def _post_arrivals(self, pj, T):
        """The synapses, for each delay D, whose postsynaptic spikes stamped T - D reach
        them now."""
        for D in pj.delays:
            was = self._fired_at(T - int(D))
            if was is None or not was.size:
                continue
            syn = _rows(pj.by_post, was)
            syn = syn[pj.delay[syn] == D]
            if syn.size:
                yield syn

    def _pre_events(self, pj, T, pre_ids, pre_mult):
        """(synapses whose presynaptic neuron spikes at T, multiplicities, postsynaptic
        7-bit trace at T - D before that step's spikes)."""
        syn = _rows(pj.by_pre, pre_ids)
        if not syn.size:
            return syn, syn, syn
        hist = self.banks[pj.trace["y1"]]["hist"]
        return (
            syn,
            pre_mult[np.searchsorted(pre_ids, pj.pre[syn])],
            hist[(T - pj.delay[syn]) % self.depth, pj.post[syn]],
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
        for syn in self._post_arrivals(pj, T):
            x = self.banks[pj.trace["x1"]]["hist"][T % self.depth][pj.pre[syn]]
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

"""Connectivity, drawn by block of target neurons.

The synapses onto the target neurons ``[b*BLOCK, (b+1)*BLOCK)`` of a projection come from a
random stream of their own, keyed by (seed, projection label, ``"connect"``, b), and their
weights and delays from (network seed, label, ``"weight"`` / ``"delay"``, b).  Block 0 leaves
the block number out, so a projection onto at most :data:`BLOCK` neurons draws exactly what
one stream per projection drew.

So a process that holds only some target neurons (a rank of a distributed NEST run) draws
only the blocks that hold them, keeps only the synapses onto its own neurons, and the union
over processes is the single-process draw, connection for connection: memory per process
falls with the number of processes.  ``FixedOutDegree`` chooses targets per *source*
neuron: it is drawn by block of source neurons, and each process goes through every block
and keeps the synapses onto its own targets (the time of one process, the memory of its
share).
``FixedTotalNumber`` draws how many of its n connections fall in each target block once, from
a stream of the projection's own (``"connect", "counts"``), so every process knows its
blocks' counts, and then each block's connections from the block's stream.

A projection's connections are ordered by (pre, post); parallel connections (multapses)
keep the order in which they were drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import singledispatch

import numpy as np

from .draws import stream, values
from .errors import Diagnostic, ValidationError
from .ir import units
from .ir.connectors import (
    AllToAll,
    FixedInDegree,
    FixedOutDegree,
    FixedProbability,
    FixedTotalNumber,
    FromArrays,
    OneToOne,
)
from .ir.random import Distribution
from .sorting import stable_argsort

#: target (or, for FixedOutDegree, source) neurons per random stream
BLOCK = 1024


@dataclass
class Drawn:
    """The connections of one projection (or of a process's share of it): index arrays,
    weights in the target's weight unit and delays in ms, ordered by (pre, post)."""

    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray
    delay: np.ndarray


def block_key(b: int) -> tuple:
    """The stream key of block ``b``: empty for block 0 (one stream per projection)."""
    return () if b == 0 else (b,)


def blocks(n: int, owned: tuple[int, int] | None = None) -> range:
    """The blocks of ``n`` neurons that hold any of the neurons ``owned = (lo, hi)`` (all
    blocks when ``owned`` is None)."""
    if owned is None:
        return range(math.ceil(n / BLOCK))
    lo, hi = max(0, owned[0]), min(n, owned[1])
    return range(lo // BLOCK, (hi - 1) // BLOCK + 1) if hi > lo else range(0)


def draw_projection(
    proj, n_pre: int, n_post: int, weight_unit: str, dt: float, seed: int, owned=None
) -> Drawn:
    """The connections of ``proj`` between ``n_pre`` and ``n_post`` neurons, weights in
    ``weight_unit`` and delays in ms (the synapse's delay, ``dt`` if it has none).

    ``owned = (lo, hi)``: only the connections onto targets ``lo <= post < hi``, exactly as
    they are in the whole projection."""
    c = proj.connector
    wv, dv = c.synapse_values(proj.synapse)
    dv = dt if dv is None else dv
    loc = f"projection {proj.label!r}"
    # a value per connection of a drawn connector is given in the order of the whole
    # projection: draw all of it, place the values, keep the share at the end
    placed = [
        not isinstance(c, FromArrays) and _is_array(v, unit)
        for v, unit in ((wv, weight_unit), (dv, "ms"))
    ]
    share = None if any(placed) else owned
    if isinstance(c, FromArrays):  # convert a value per connection once, not per block
        n_all = len(np.asarray(c.pre))
        wv, dv = (
            _per_connection(v, unit, n_all, f"{loc}.{name}") if _is_array(v, unit) else v
            for v, unit, name in ((wv, weight_unit, "weight"), (dv, "ms", "delay"))
        )
    cseed = seed if c.seed is None else c.seed
    no_self = proj.pre == proj.post and not c.allow_self_connections
    parts = []
    for b, pre, post, take in _blocks(c, n_pre, n_post, no_self, cseed, proj.label, share):
        keys = block_key(b)
        w = _block_values(
            wv,
            weight_unit,
            len(pre),
            take,
            placed[0],
            (proj.label, "weight", *keys),
            seed,
        )
        d = _block_values(
            dv,
            "ms",
            len(pre),
            take,
            placed[1],
            (proj.label, "delay", *keys),
            seed,
        )
        if share is not None:
            keep = (post >= share[0]) & (post < share[1])
            if not keep.all():
                pre, post, w, d = pre[keep], post[keep], w[keep], d[keep]
        parts.append([pre, post, w, d])
    if not parts:
        empty = np.zeros(0, np.int64)
        return Drawn(empty, empty.copy(), np.zeros(0), np.zeros(0))
    pre, post, w, d = _joined(parts)
    if len(parts) > 1 and not isinstance(c, FixedOutDegree):
        # blocks partition the targets in ascending order and each is sorted by (pre,
        # post): a stable sort by pre alone orders the whole by (pre, post)
        order = stable_argsort(pre)
        pre = pre[order]  # one array at a time: at most one copy alive besides the order
        post = post[order]
        w = w[order]
        d = d[order]
        del order
    for k, (value, unit) in enumerate(((wv, weight_unit), (dv, "ms"))):
        if placed[k]:
            arr = _per_connection(value, unit, len(pre), f"{loc}.{('weight', 'delay')[k]}")
            (w if k == 0 else d)[:] = arr
    if share is None and owned is not None:
        keep = (post >= owned[0]) & (post < owned[1])
        pre, post, w, d = pre[keep], post[keep], w[keep], d[keep]
    return Drawn(pre, post, w, d)


def _joined(parts: list) -> list[np.ndarray]:
    """The blocks' four arrays concatenated, each block's copy dropped as soon as it is
    joined (peak: the whole plus one array's blocks, not twice the whole)."""
    out = []
    for k in range(4):
        out.append(np.concatenate([p[k] for p in parts]) if len(parts) > 1 else parts[0][k])
        for p in parts:
            p[k] = None
    return out


def _is_array(value, unit) -> bool:
    return not isinstance(value, Distribution) and np.ndim(units.convert(value, unit)) > 0


def _per_connection(value, unit, n, loc) -> np.ndarray:
    arr = np.asarray(units.convert(value, unit), float)
    if arr.size != n:
        raise ValidationError(
            Diagnostic(
                loc,
                f"{arr.size} values for {n} connections",
                "give a scalar, a distribution or one value per connection",
            )
        )
    return arr


def _block_values(value, unit, n, take, placed, keys, seed) -> np.ndarray:
    """The values of one block's ``n`` connections: drawn from the block's stream, the
    scalar, a :class:`FromArrays` connector's converted array at ``take``, or a placeholder
    for values placed once the whole projection is known."""
    if placed:
        return np.empty(n)
    if take is not None and isinstance(value, np.ndarray) and value.ndim == 1:
        return value[take]
    return values(value, unit, n, keys, seed)


# --- the blocks of each connector --------------------------------------------------------------
def _blocks(c, n_pre, n_post, no_self, seed, label, owned):
    """Yield ``(block, pre, post, take)`` per block, each block's connections sorted by
    (pre, post); ``take``: positions in a :class:`FromArrays`' arrays (else None)."""
    if isinstance(c, FixedOutDegree):
        for b in blocks(n_pre):
            lo, hi = b * BLOCK, min(n_pre, (b + 1) * BLOCK)
            rng = stream(seed, label, "connect", *block_key(b))
            pre, post = fixed_degree(rng, hi - lo, n_post, c.n, no_self, c.with_replacement, lo)
            pre += lo
            order = pre_post_order(pre, post, n_post)
            yield (b, pre, post, None) if order is None else (b, pre[order], post[order], None)
        return
    if isinstance(c, FromArrays):
        yield from _explicit_blocks(c, n_post, owned)
        return
    if isinstance(c, FixedTotalNumber):
        rng = stream(seed, label, "connect", "counts")
        counts = total_number_counts(rng, c.n, n_pre, n_post, no_self, c.with_replacement)
        for b in blocks(n_post, owned):
            lo, hi = b * BLOCK, min(n_post, (b + 1) * BLOCK)
            rng = stream(seed, label, "connect", *block_key(b))
            pre, post = total_number_block(
                rng, int(counts[b]), n_pre, lo, hi, no_self, c.with_replacement
            )
            order = pre_post_order(pre, post, n_post)
            yield (b, pre, post, None) if order is None else (b, pre[order], post[order], None)
        return
    for b in blocks(n_post, owned):
        lo, hi = b * BLOCK, min(n_post, (b + 1) * BLOCK)
        rng = stream(seed, label, "connect", *block_key(b))
        pre, post = connect_block(c, n_pre, lo, hi, no_self, rng)
        order = pre_post_order(pre, post, n_post)
        yield (b, pre, post, None) if order is None else (b, pre[order], post[order], None)


def _explicit_blocks(c: FromArrays, n_post, owned):
    pre_all, post_all = np.asarray(c.pre, np.int64), np.asarray(c.post, np.int64)
    block_of = post_all // BLOCK
    by_block = stable_argsort(block_of) if len(block_of) > 1 else np.arange(len(block_of))
    cuts = np.searchsorted(block_of[by_block], np.arange(math.ceil(n_post / BLOCK) + 1))
    for b in blocks(n_post, owned):
        take = by_block[cuts[b] : cuts[b + 1]]
        pre, post = pre_all[take], post_all[take]
        order = pre_post_order(pre, post, n_post)
        if order is not None:
            pre, post, take = pre[order], post[order], take[order]
        yield b, pre, post, take


@singledispatch
def connect_block(c, n_pre: int, lo: int, hi: int, no_self: bool, rng):
    """(pre, post) index arrays of connector ``c`` onto the targets ``lo <= post < hi``
    (``no_self``: no i -> i); one registered function per connector class."""
    raise TypeError(f"no resolution for connector {c!r}")  # pragma: no cover - validated


@connect_block.register
def _(c: OneToOne, n_pre, lo, hi, no_self, rng):
    pre = np.arange(lo, hi, dtype=np.int64)
    return pre, pre.copy()


@connect_block.register
def _(c: AllToAll, n_pre, lo, hi, no_self, rng):
    pre, post = (
        a.ravel().astype(np.int64)
        for a in np.meshgrid(np.arange(n_pre), np.arange(lo, hi), indexing="ij")
    )
    if no_self:
        keep = pre != post
        pre, post = pre[keep], post[keep]
    return pre, post


@connect_block.register
def _(c: FixedProbability, n_pre, lo, hi, no_self, rng):
    pre, post = bernoulli_pairs(rng, n_pre, hi - lo, float(c.p), no_self, lo)
    return pre, post + lo


@connect_block.register
def _(c: FixedInDegree, n_pre, lo, hi, no_self, rng):
    post, pre = fixed_degree(rng, hi - lo, n_pre, c.n, no_self, c.with_replacement, lo)
    return pre, post + lo


def block_pairs(n_pre: int, lo: int, hi: int, no_self: bool) -> int:
    """The (pre, post) pairs onto the targets ``lo <= post < hi``: n_pre (hi - lo), minus
    the diagonal pairs i -> i in that range when ``no_self``."""
    diagonal = max(0, min(hi, n_pre) - lo) if no_self else 0
    return n_pre * (hi - lo) - diagonal


def total_number_counts(rng, n, n_pre, n_post, no_self, with_replacement) -> np.ndarray:
    """How many of the ``n`` connections of a :class:`FixedTotalNumber` fall onto each target
    block: with replacement a multinomial over the blocks with probabilities
    pairs_b / pairs (each of the n draws picks a pair uniformly); without, the multivariate
    hypergeometric of n distinct pairs out of the blocks' pairs_b (pairs_b:
    :func:`block_pairs`)."""
    pairs = np.array(
        [
            block_pairs(n_pre, b * BLOCK, min(n_post, (b + 1) * BLOCK), no_self)
            for b in blocks(n_post)
        ],
        dtype=np.int64,
    )
    total = int(pairs.sum())
    if n == 0 or total == 0:
        return np.zeros(len(pairs), np.int64)
    if len(pairs) == 1:
        return np.array([n], np.int64)
    if with_replacement:
        return rng.multinomial(n, pairs / total).astype(np.int64)
    return rng.multivariate_hypergeometric(pairs, n, method="marginals").astype(np.int64)


def total_number_block(rng, k, n_pre, lo, hi, no_self, with_replacement):
    """``k`` connections drawn uniformly over the pairs (pre, post) with ``lo <= post < hi``
    (``no_self``: not i -> i), in the order drawn: with replacement k independent pairs (a
    self pair is redrawn); without, k distinct pairs: candidates are drawn one by one and a
    repeat (or self pair) is dropped, which leaves a uniformly random k-subset; when k is
    more than half the pairs, a random permutation of all of them is cut at k instead."""
    size = hi - lo
    empty = np.zeros(0, np.int64)
    if k == 0:
        return empty, empty.copy()
    total = n_pre * size

    def self_pair(flat):
        return (flat // size) == (flat % size) + lo

    if not with_replacement and 2 * k > block_pairs(n_pre, lo, hi, no_self):
        flat = rng.permutation(total).astype(np.int64)
        if no_self:
            flat = flat[~self_pair(flat)]
        flat = flat[:k]
    elif with_replacement:
        flat = rng.integers(0, total, size=k, dtype=np.int64)
        while no_self:
            bad = np.nonzero(self_pair(flat))[0]
            if len(bad) == 0:
                break
            flat[bad] = rng.integers(0, total, size=len(bad), dtype=np.int64)
    else:
        flat = empty
        while len(flat) < k:
            more = rng.integers(0, total, size=k - len(flat), dtype=np.int64)
            if no_self:
                more = more[~self_pair(more)]
            flat = np.concatenate([flat, more])
            _, first = np.unique(flat, return_index=True)
            flat = flat[np.sort(first)]  # each pair at its first draw, in draw order
    pre, post = np.divmod(flat, size)
    return pre, post + lo


def pre_post_order(pre: np.ndarray, post: np.ndarray, n_post: int) -> np.ndarray | None:
    """The stable permutation that sorts connections by (pre, post), or None if they are
    sorted already.  Fixed in-degree draws come ordered by post: then a stable sort on
    ``pre`` alone suffices (:func:`hub.sorting.stable_argsort`: a radix sort for 16-bit
    keys)."""
    if len(pre) < 2:
        return None
    key = pre * n_post + post
    if (key[1:] >= key[:-1]).all():
        return None
    if (post[1:] >= post[:-1]).all():
        return stable_argsort(pre)
    return np.argsort(key, kind="stable")


def bernoulli_pairs(rng, n_pre, n_post, p, exclude_diagonal=False, post_offset=0):
    """Every pair (i, j) independently with probability p, by geometric skipping over the
    flattened n_pre*n_post grid: O(number of synapses) time and memory.  ``j`` is local:
    target ``post_offset + j``; ``exclude_diagonal`` drops i == post_offset + j."""
    total = n_pre * n_post
    if p <= 0 or total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if p >= 1:
        flat = np.arange(total, dtype=np.int64)
    else:
        parts, pos = [], -1
        expected = total * p
        while pos < total - 1:
            k = int(expected + 6 * math.sqrt(expected) + 64)
            # a gap past `total` ends the grid; clipping keeps a tiny p (whose gaps
            # saturate at 2**63 - 1) from overflowing the running sum into an endless loop
            gaps = np.minimum(rng.geometric(p, size=k).astype(np.int64), total + 1)
            cum = pos + np.cumsum(gaps)
            parts.append(cum[cum < total])
            if cum[-1] >= total:
                break
            pos = int(cum[-1])
        flat = np.concatenate(parts)
    pre, post = np.divmod(flat, n_post)
    if exclude_diagonal:
        keep = pre != post + post_offset
        pre, post = pre[keep], post[keep]
    return pre, post


def fixed_degree(rng, n_fixed, n_other, k, no_self, with_replacement, offset=0):
    """For each of ``n_fixed`` neurons, ``k`` partners among ``n_other``: returns
    (fixed_idx, partner_idx), fixed indices local (neuron ``offset + i``; ``no_self`` forbids
    partner ``offset + i``).  Without replacement, duplicate (and self) draws are redrawn
    until none is left, which is fast while k << n_other; dense cases use random keys."""
    fixed = np.repeat(np.arange(n_fixed, dtype=np.int64), k)
    if k == 0:
        return fixed, np.zeros(0, np.int64)
    if not with_replacement and k > n_other // 2:
        rows = []
        step = max(1, int(1e7 // n_other))
        for r0 in range(0, n_fixed, step):
            r1 = min(n_fixed, r0 + step)
            keys = rng.random((r1 - r0, n_other))
            if no_self:
                own = np.arange(r0, r1) + offset
                inside = (own >= 0) & (own < n_other)
                keys[np.nonzero(inside)[0], own[inside]] = 2.0
            rows.append(np.argsort(keys, axis=1)[:, :k])
        return fixed, np.concatenate(rows).ravel().astype(np.int64)
    partner = rng.integers(0, n_other, size=(n_fixed, k), dtype=np.int64)
    rows = np.arange(n_fixed)[:, None] + offset
    while True:
        bad = (partner == rows) if no_self else np.zeros(partner.shape, bool)
        if not with_replacement:
            order = np.argsort(partner, axis=1, kind="stable")
            srt = np.take_along_axis(partner, order, axis=1)
            dup_sorted = np.zeros_like(bad)
            dup_sorted[:, 1:] = srt[:, 1:] == srt[:, :-1]
            dup = np.zeros_like(bad)
            np.put_along_axis(dup, order, dup_sorted, axis=1)
            bad |= dup
        n_bad = int(bad.sum())
        if n_bad == 0:
            return fixed, partner.ravel()
        partner[bad] = rng.integers(0, n_other, size=n_bad, dtype=np.int64)

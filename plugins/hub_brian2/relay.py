"""The relay and the static synaptic pathways, with inputs summed in NEST's order.

NEST adds the inputs a neuron receives in one step in a fixed order (:func:`nest_order_key`);
Brian2 adds them per ``Synapses`` pathway, pathway after pathway, in (emission step, source
index) order.  So every sender (a neuron population or a spike source) reaches its targets
through one relay ``NeuronGroup``: one relay neuron per sender, firing in the same step as
its sender, first the sources (a source neuron i with events of L distinct multiplicities
has L relay neurons i*L + l), then the neuron populations, each in NEST's order of node ids.
A population that emits several spikes per step (``LIFSubtract[spikes=many]``: its ``fired``
is the step's count k) has L = bit_length(max_spikes) relay neurons per neuron, i*L + l
firing when bit l of k is set, with the weights times 2**l: k w reach the target in one
step, whatever the delay (a Brian2 synapse reads presynaptic variables when it delivers).
All inputs of a post population then go through the pathways of one ``Synapses`` object
whose source is the relay, sorted by relay index.  Where NEST's ``min_delay`` is more than
one step and delays differ, a spike queue that sorts each step's events in NEST's order
(:func:`ordered_queue_class`) replaces Brian2's.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import hub.propagators as P

from .context import BuildContext, b2_name, source_event_counts


@dataclass
class Relay:
    """The group every static input passes through (a neuron group may be its own relay)."""

    group: Any
    offsets: dict  # sender label -> its first relay index
    n_sources: int = 0  # relay indices below this are spike-source events
    #: source label -> (distinct multiplicities, mask (multiplicity, neuron) of those used)
    source_lanes: dict = field(default_factory=dict)
    objects: list = field(default_factory=list)


def nest_min_delay_steps(r) -> int:
    """NEST's min_delay (in steps) for the resolved network as hub_nest (or a plain PyNEST
    script) builds it: the smallest projection delay, and at most NEST's default delay of
    1 ms, which the connections to recording devices (multimeter, spike_recorder) carry."""
    delays = [int(p.delay_steps.min()) for p in r.projections if p.n]
    if r.probes:
        delays.append(P.delay_steps(1.0, r.dt))
    return max(1, min(delays)) if delays else 1


def nest_order_key(step, delay_steps, relay_idx, is_source, slice_steps):
    """The order in which NEST adds the inputs that reach a neuron in Brian2 step ``step``
    (arrays per event: Brian2 delay in steps, relay index of the sender, sender is a spike
    generator).  NEST runs in slices of ``min_delay`` steps: neurons' spikes emitted in
    slice S are delivered at the start of slice S+1, in (node id, lag) order; spike
    generators deliver theirs while they are updated, in slice S itself, after those
    deliveries.  Returns the argsort."""
    emission = step - 1 - delay_steps
    slice_ = emission // slice_steps
    phase = is_source.astype(np.int64)
    added = slice_ + 1 - phase
    return np.lexsort((emission, relay_idx, phase, added))


_QUEUE_CLASS = {}


def ordered_queue_class(b2):
    """A subclass of the spike queue Brian2 would use whose ``peek`` returns this step's
    synaptic events in NEST's order (needed when min_delay > 1 step and delays differ)."""
    if "cls" in _QUEUE_CLASS:
        return _QUEUE_CLASS["cls"]
    try:
        from brian2.synapses.cythonspikequeue import SpikeQueue as Base
    except ImportError:  # pragma: no cover - Brian2 without its compiled queue
        from brian2.synapses.spikequeue import SpikeQueue as Base

    class NestOrderedSpikeQueue(Base):
        def configure(self, slice_steps, delay_steps, relay_idx, is_source):
            """Per synapse: Brian2 delay (steps), relay index of its sender, sender is a
            source.  The order key of an event delivered in step T is
            (added slice, phase, relay index) packed in one int64:
            added = (T - 1 - d) // M + 1 - phase = (T - 1 - d % M) // M - d // M + 1 - phase,
            so only a table of M values changes with T."""
            m = int(slice_steps)
            d = np.asarray(delay_steps, np.int64)
            phase = np.asarray(is_source, np.int64)
            width = 2 * (int(np.max(relay_idx)) + 1 if len(relay_idx) else 1)
            self._hub_m, self._hub_width = m, width
            self._hub_rem = d % m
            self._hub_static = (
                (-(d // m) + 1 - phase + 2) * width
                + phase * (width // 2)
                + np.asarray(relay_idx, np.int64)
            )
            self._hub_r = np.arange(m, dtype=np.int64)
            self._hub_step = 0

        def advance(self):
            self._hub_step += 1
            return super().advance()

        def peek(self):
            events = super().peek()
            if len(events) < 3:
                return events
            table = ((self._hub_step - 1 - self._hub_r) // self._hub_m) * self._hub_width
            key = table[self._hub_rem[events]] + self._hub_static[events]
            return np.ascontiguousarray(events[np.argsort(key, kind="stable")])

    _QUEUE_CLASS["cls"] = NestOrderedSpikeQueue
    return NestOrderedSpikeQueue


#: the logger of Brian2's "threshold but neither reset nor refractory" warning
ONLY_THRESHOLD_LOGGER = "brian2.groups.neurongroup.only_threshold"


@contextlib.contextmanager
def _no_only_threshold_warning():
    """Drop Brian2's warning that the relay sets a threshold without a reset: a relay
    neuron only repeats its sender's spike, so it has no reset by design (``reset=""``
    would add a code object that runs every step for nothing).  The filter sits on that
    warning's own logger for the making of the relay group only: the same warning about
    any other group still reaches the user."""

    def keep(record) -> bool:
        return "NeuronGroup 'hub_relay" not in record.getMessage()

    logger = logging.getLogger(ONLY_THRESHOLD_LOGGER)
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


@contextlib.contextmanager
def spike_queue(b2, queue_class):
    """Synapses created inside get a ``queue_class`` spike queue (None: Brian2's own)."""
    device = b2.get_device()
    if queue_class is not None:
        device.spike_queue = lambda start, stop: queue_class(start, stop)
    try:
        yield
    finally:
        if queue_class is not None:
            del device.spike_queue


# --- the relay group --------------------------------------------------------------------------
def self_relay(ctx: BuildContext, senders: list[str]) -> Relay:
    """The senders are the populations of one group and no source: that group is its own
    relay (its indices are in NEST's node order)."""
    return Relay(ctx.span[senders[0]][0], {label: ctx.span[label][1] for label in senders})


def build_relay(ctx: BuildContext, sending: set) -> Relay:
    """The relay group of the senders ``sending``.  A neuron's relay copy fires when the
    neuron's reset set ``fired`` (a linked variable, read after the resets); a source's relay
    neurons fire where a network operation put this step's events into ``src``."""
    b2, r = ctx.b2, ctx.resolved
    relay = Relay(None, {})
    kinds, events = [], []
    n = 0
    for label, src in r.sources.items():
        if label in sending:
            stamps, relay_idx, lanes = _source_events(src, r.steps, n)
            relay.offsets[label], relay.source_lanes[label] = n, lanes
            events.append((stamps, relay_idx))
            kinds.append(np.full(src.size * len(lanes[0]), -1))
            n += src.size * len(lanes[0])
    relay.n_sources = n
    links = []  # (population, first relay index, size, bit lanes per neuron)
    bits = []  # the bit of the count each relay neuron stands for (1: any count)
    for label in r.populations:
        if label in sending:
            pop = r.populations[label]
            size, lanes = pop.size, count_lanes(ctx, label)
            relay.offsets[label] = n
            kinds.append(np.full(size * lanes, len(links)))
            links.append((label, n, size, lanes))
            if lanes > 1:
                mults = 2 ** np.arange(lanes, dtype=np.int64)
                relay.source_lanes[label] = (mults, np.ones((lanes, size), bool))
            bits.append(np.tile(2 ** np.arange(lanes, dtype=np.int64), size))
            n += size * lanes
    eqs = ["kind : integer (constant)", "src : 1"]
    eqs += [f"f{k} : integer (linked)" for k in range(len(links))]
    tests = [
        f"(kind == {k} and (f{k} // bit) % 2 == 1)" if lanes > 1 else f"(kind == {k} and f{k} > 0)"
        for k, (_, _, _, lanes) in enumerate(links)
    ]
    if any(lanes > 1 for *_, lanes in links):
        eqs.append("bit : integer (constant)")
    cond = " or ".join(tests + ["src > 0"])
    with _no_only_threshold_warning():
        group = b2.NeuronGroup(
            n, "\n".join(eqs), threshold=cond, clock=ctx.clock, name="hub_relay*"
        )
    group.thresholder["spike"].when = "after_resets"
    group.kind = np.concatenate(kinds).astype(np.int32)
    if any(lanes > 1 for *_, lanes in links):
        group.bit = np.concatenate([np.ones(relay.n_sources, np.int64), *bits]).astype(np.int32)
    for k, (label, start, size, lanes) in enumerate(links):
        fired, first, _ = ctx.span[label]
        index = np.zeros(n, np.int64)
        index[start : start + size * lanes] = first + np.repeat(np.arange(size), lanes)
        setattr(group, f"f{k}", b2.linked_var(fired, "fired", index=index))
    relay.group = group
    relay.objects.append(group)
    if events and ctx.source_feed is not None:
        relay.objects += ctx.source_feed(ctx, group, events)
    elif events:
        relay.objects.append(_source_schedule(ctx, group, events))
    return relay


def count_lanes(ctx: BuildContext, label: str) -> int:
    """Relay neurons per neuron of population ``label``: the bits of its largest spike count
    per step (max_spikes) for a model with several spikes per step, else 1."""
    if not ctx.model_of[label].count:
        return 1
    cap = int(np.max(ctx.resolved.populations[label].params["max_spikes"], initial=1))
    return max(1, min(cap, 2**31 - 1).bit_length())


def _source_events(src, steps: int, offset: int):
    """(stamps, relay indices, (multiplicities, used)) of a spike source's events: the spikes
    of one neuron in one step are one event of their multiplicity m; the neuron's events of
    the l-th distinct multiplicity go to relay neuron ``offset + i*L + l``."""
    stamps, idx, counts = source_event_counts(src, steps)
    mults = np.unique(counts) if len(counts) else np.ones(1, np.int64)
    lane = np.searchsorted(mults, counts)
    used = np.zeros((len(mults), src.size), bool)
    used[lane, idx] = True
    return stamps, offset + idx * len(mults) + lane, (mults, used)


def _source_schedule(ctx: BuildContext, group, events):
    """The network operation that sets ``src`` of the relay neurons whose events are stamped
    with the next step (they fire in this step) and clears those of the last step."""
    stamps = np.concatenate([e[0] for e in events])
    relay_idx = np.concatenate([e[1] for e in events])
    order = np.lexsort((relay_idx, stamps))
    stamps, relay_idx = stamps[order], relay_idx[order]
    cuts = np.searchsorted(stamps, np.arange(ctx.resolved.steps + 2))
    flag = group.variables["src"].get_value()
    step = [0]

    @ctx.b2.network_operation(clock=ctx.clock, when="start", name="hub_sources*")
    def source_events():
        k = step[0]
        lo, hi = cuts[k], cuts[k + 1]  # stamped k: fired last step
        if hi > lo:
            flag[relay_idx[lo:hi]] = 0.0
        lo, hi = cuts[k + 1], cuts[k + 2]  # stamped k + 1: fire in this step
        if hi > lo:
            flag[relay_idx[lo:hi]] = 1.0
        step[0] = k + 1

    return source_events


# --- the static synapses ------------------------------------------------------------------------
def connect(ctx: BuildContext, relay: Relay, codegen: str, nest_order: bool) -> list:
    """One Synapses object per post population (per buffer with numpy code, see
    :func:`_pathway_buffers`), from the relay.  A synapse carries one weight per input buffer
    of its pathway, zero for the buffers NEST does not route it to: adding 0.0 leaves a sum
    unchanged, so each buffer still sees exactly its own inputs in the same order.

    The synapses of a pathway keep the projection order (within a projection the resolved
    order, sorted by (pre, post)); they are not sorted by sender.  Brian2's spike queue
    delivers the events of one step in the order of the spiking relay neurons and, for each
    of them, in synapse index order: so a target receives its inputs by relay index, and the
    parallel connections of one sender in projection order, as NEST adds them.

    Memory: a pathway's index arrays are written once, at their final size and in the dtype
    Brian2 keeps (int32), straight from the resolved projections (no per-projection chunks,
    concatenated or sorted copies) and let go once Brian2 holds its copy; its weights and
    delays are made after ``connect``, when Brian2's own temporary copies are gone, one
    array at a time."""
    out = []
    slice_steps = nest_min_delay_steps(ctx.resolved) if nest_order else 0
    for target, table, routes in _routes_by_target(ctx, relay).values():
        for bufs in _pathway_buffers(table.buffers, codegen):
            rows = [table.buffers.index(buf) for buf in bufs]
            pieces = _pieces(relay, routes, rows)
            if pieces:
                out.append(_pathway(ctx, relay, target, bufs, rows, pieces, slice_steps))
    return out


def _routes_by_target(ctx: BuildContext, relay: Relay) -> dict:
    """Target group name -> (group, model, [(model, projection, first relay index of its
    sender, first target index, per buffer: True (every synapse), False (none) or a mask)])
    of every static projection from a relay sender, in projection order."""
    parts = {}
    for proj in ctx.resolved.projections:
        if proj.n == 0 or proj.rule is not None:  # plastic: plastic_build
            continue
        if proj.pre not in relay.offsets:  # native Poisson: native.py
            continue
        table = ctx.model_of[proj.post]
        target, post_base, _ = ctx.span[proj.post]
        masks = []
        for _, mask, _ in table.route(proj.weight, proj.receptor == "inhibitory"):
            count = int(np.count_nonzero(mask))
            masks.append(True if count == proj.n else (mask if count else False))
        parts.setdefault(target.name, (target, table, []))[2].append(
            (table, proj, relay.offsets[proj.pre], post_base, masks)
        )
    return parts


def _pathway_buffers(buffers, codegen: str) -> list[tuple[str, ...]]:
    """The buffers of each Synapses object into one target group.  Compiled code (or codegen
    "auto"): one object carrying a weight per buffer (zero where NEST does not route a
    synapse: adding 0.0 changes no sum), one module to compile.  numpy: one object per buffer
    with only its own synapses, so an event costs one scatter-add, not one per buffer."""
    if len(buffers) == 1 or codegen != "numpy":
        return [tuple(buffers)]
    return [(buf,) for buf in buffers]


def _union(masks):
    """True (every synapse), False (none) or the mask of the synapses in any of ``masks``."""
    if any(m is True for m in masks):
        return True
    arrays = [m for m in masks if m is not False]
    if not arrays:
        return False
    out = arrays[0].copy()
    for m in arrays[1:]:
        out |= m
    return True if out.all() else out


@dataclass
class _Piece:
    """The synapses of one projection (of one multiplicity lane of a spike source) in a
    pathway: ``sel`` True (all of them) or their mask, at ``part`` of the pathway."""

    table: Any
    proj: Any
    base: int  # relay index of the sender's first neuron
    post_base: int  # index of the target population's first neuron in its group
    masks: list  # per buffer of the model: True, False or a mask (_routes_by_target)
    sel: Any
    lane: int | None  # multiplicity lane of a spike source (None: a neuron population)
    lanes: int = 1  # the source's lanes L (relay neuron base + i*L + lane)
    mult: int = 1  # the lane's multiplicity (the weights are times this)
    part: slice | None = None  # set by _pieces

    def pick(self, values):
        return values if self.sel is True else values[self.sel]


def _pieces(relay: Relay, routes, rows: list[int]) -> list[_Piece]:
    """The pieces of the pathway to the buffers ``rows`` of the model, in projection order; a
    spike source's projection once per multiplicity its senders use."""
    pieces = []
    start = 0
    for table, proj, base, post_base, masks in routes:
        sel = _union([masks[k] for k in rows])
        if sel is False:
            continue
        if proj.pre not in relay.source_lanes:  # a neuron: one relay neuron each
            found = [_Piece(table, proj, base, post_base, masks, sel, None)]
        else:
            mults, used = relay.source_lanes[proj.pre]
            found = []
            for lane, m in enumerate(mults):
                lane_sel = used[lane][proj.pre_idx]
                if sel is not True:
                    lane_sel &= sel
                if lane_sel.any():
                    found.append(
                        _Piece(
                            table, proj, base, post_base, masks, lane_sel, lane, len(mults), int(m)
                        )
                    )
        for piece in found:
            size = proj.n if piece.sel is True else int(np.count_nonzero(piece.sel))
            piece.part = slice(start, start + size)
            start += size
            pieces.append(piece)
    return pieces


def _indices(pieces: list[_Piece]) -> tuple[np.ndarray, np.ndarray]:
    """(relay indices, target indices) of a pathway, int32 as Brian2 keeps them."""
    n = pieces[-1].part.stop
    i, j = np.empty(n, np.int32), np.empty(n, np.int32)
    for p in pieces:
        pre = p.pick(p.proj.pre_idx)
        if p.lane is None:
            np.add(pre, p.base, out=i[p.part], casting="unsafe")
        else:
            i[p.part] = p.base + pre * p.lanes + p.lane
        del pre
        np.add(p.pick(p.proj.post_idx), p.post_base, out=j[p.part], casting="unsafe")
    return i, j


def _delays(pieces: list[_Piece]) -> np.ndarray:
    """The Brian2 delays (steps: NEST's delay - 1) of a pathway."""
    d = np.empty(pieces[-1].part.stop, np.int32)
    for p in pieces:
        np.subtract(p.pick(p.proj.delay_steps), 1, out=d[p.part], casting="unsafe")
    return d


def _weights(pieces: list[_Piece], row: int) -> np.ndarray:
    """The model weights of a pathway into buffer ``row`` of the model (0.0 for a synapse NEST
    routes to another buffer), times the multiplicity of a source's lane."""
    w = np.empty(pieces[-1].part.stop)
    for p in pieces:
        mask = p.masks[row]
        if mask is False:
            w[p.part] = 0.0
            continue
        _, _, weight = p.table.route(p.proj.weight, p.proj.receptor == "inhibitory")[row]
        if mask is True:
            w[p.part] = p.pick(weight)
        else:
            w[p.part] = np.where(p.pick(mask), p.pick(weight), 0.0)
        del weight
        if p.lane is not None:
            w[p.part] *= p.mult
    return w


def _pathway(ctx: BuildContext, relay: Relay, target, bufs, rows, pieces, slice_steps):
    """One Synapses from the relay into ``target``: buffers ``bufs`` (rows ``rows`` of the
    model's buffers), the synapses of ``pieces``; in the NEST-order spike queue where delays
    differ and NEST's min_delay ``slice_steps`` is more than one step (0: Brian2's order)."""
    b2, ms = ctx.b2, ctx.b2.ms
    d_min = min(int(p.pick(p.proj.delay_steps).min()) for p in pieces)
    d_max = max(int(p.pick(p.proj.delay_steps).max()) for p in pieces)
    homogeneous = d_min == d_max
    queue_class = None
    if slice_steps > 1 and not homogeneous:
        queue_class = ordered_queue_class(b2)
    with spike_queue(b2, queue_class):
        syn = b2.Synapses(
            relay.group,
            target,
            model="\n".join(f"w_{buf} : 1" for buf in bufs),
            on_pre="\n".join(f"{buf}_post += w_{buf}" for buf in bufs),
            delay=((d_min - 1) * ctx.dt * ms) if homogeneous else None,
            clock=ctx.clock,
            namespace={},
            name=b2_name("hub_syn_", target.name[4:]),
        )
    i, j = _indices(pieces)
    if queue_class is not None:
        syn.pre.queue.configure(slice_steps, _delays(pieces), i, i < relay.n_sources)
    syn.connect(i=i, j=j)
    del i, j  # Brian2 holds its copies
    for buf, row in zip(bufs, rows):
        setattr(syn, f"w_{buf}", _weights(pieces, row))
    if not homogeneous:
        syn.delay = _delays(pieces) * ctx.dt * ms
    ctx.hot_code(syn.pre, target.name, syn.name, "\n".join(bufs))
    return syn

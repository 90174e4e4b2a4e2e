"""Native Poisson sources (``PoissonSource(resolve="native")``) on Brian2.

A native source's neuron i emits ``Poisson(rate[i] dt)`` spikes stamped s for
``first_step <= s <= last_step``; a spike stamped s with delay D steps is added to its
target's input buffer in Brian2 step s + D - 1 (session.py), slot ``synapses``, so it is
summed with every other input of that step before ``after_synapses`` adds the buffer.
Brian2 draws with numpy's generator, seeded from the network seed (``brian2.seed``).

* Fast path (every source neuron has at most one connection over all projections, as in
  Brunel): ``PoissonInput`` onto the target's buffer, what a Brian2 user writes.  For a
  stationary train a delay only shifts the window, so the delay is folded into the steps
  in which the input is on.  ``PoissonInput`` draws ``Binomial(N, lam / N)`` per neuron and
  step; N is chosen so that ``lam / N <= 1e-3`` (Fano factor >= 0.999 of the Poisson's 1),
  and a rate with ``lam > 4`` is split over several inputs (Brian2 would replace a
  binomial with ``N p > 5`` by a non-integer normal draw).
  One ``PoissonInput`` per (target, buffer, rate, delay, layer) where a layer holds at most
  one connection per target neuron; the weight is a constant (one weight for the whole
  group, as in Brunel) or a per-neuron ``TimedArray``, times the on-window.
* General path (a source neuron with 2+ targets sends them one train): each step a network
  operation draws the counts ``Poisson(lam)`` of every source neuron and writes them in
  binary to ``L`` lanes (neuron i*L + l fires if bit l of its count is set; counts are
  capped at 2**L - 1, L chosen so that the cap is hit with probability < 1e-12 per
  neuron-step); lane l's synapses carry ``w * 2**l`` and the delay ``D - 1``.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np

from hub.resolve import native_out_degree, native_sources

from .context import BuildContext


def build(ctx: BuildContext) -> list:
    """Brian2 objects for every native source of ``ctx.resolved``."""
    r = ctx.resolved
    found = native_sources(r)
    if not found:
        return []
    ctx.b2.seed(int(r.seed) % (2**32))
    out = []
    for label, src in found.items():
        if native_out_degree(r, label).max(initial=0) <= 1:
            out += _poisson_inputs(ctx, src)
        else:
            out += _lanes(ctx, src)
    return out


def _layers(post_idx: np.ndarray) -> np.ndarray:
    """Rank of each connection among the connections to the same target (0, 1, ...)."""
    order = np.argsort(post_idx, kind="stable")
    srt = post_idx[order]
    start = np.r_[0, np.flatnonzero(np.diff(srt)) + 1]
    rank = np.arange(len(srt)) - np.repeat(start, np.diff(np.r_[start, len(srt)]))
    out = np.empty(len(srt), np.int64)
    out[order] = rank
    return out


def _routes_from(ctx: BuildContext, src):
    """(projection, buffer, mask, NEST weights) of every non-empty route out of ``src``."""
    for proj in ctx.resolved.projections:
        if proj.pre != src.label or not proj.n:
            continue
        for buf, mask, w in ctx.model_of[proj.post].route(
            proj.weight, proj.receptor == "inhibitory"
        ):
            if mask.any():
                yield proj, buf, mask, w


def _poisson_inputs(ctx: BuildContext, src) -> list:
    b2, dt = ctx.b2, ctx.dt
    rate = np.asarray(src.rate, float)
    groups: dict = {}
    for proj, buf, mask, w in _routes_from(ctx, src):
        pre, post = proj.pre_idx[mask], proj.post_idx[mask]
        rates, d = rate[pre], proj.delay_steps[mask]
        for key in set(zip(rates.tolist(), d.tolist())):
            sel = (rates == key[0]) & (d == key[1])
            groups.setdefault((proj.post, buf) + key, []).append((post[sel], w[mask][sel]))
    out = []
    for (post, buf, hz, delay), parts in groups.items():
        if hz <= 0:
            continue
        p_idx = np.concatenate([p for p, _ in parts])
        weight = np.concatenate([w for _, w in parts])
        layer = _layers(p_idx)
        target = ctx.groups[post]
        lam = hz * dt * 1e-3
        # Brian2 replaces a binomial with N p > 5 by a (non-integer) normal draw: split
        # the rate over ``parts`` inputs with N p <= 4 each
        parts = max(1, math.ceil(lam / 4.0))
        n_in = max(1, math.ceil(lam / parts * 1000.0))
        lo = src.first_step + delay - 1  # Brian2 steps in which the input is added
        hi = src.last_step + delay - 1
        for k in range(int(layer.max()) + 1):
            sel = layer == k
            w_row = np.zeros(len(target))
            w_row[p_idx[sel]] = weight[sel]
            name = f"hub_native_{next(_NAMES)}"
            if sel.sum() == len(target) and (w_row == w_row[0]).all():
                weight = repr(float(w_row[0]))  # one weight for the whole group
            else:
                target.namespace[name + "_w"] = b2.TimedArray(
                    w_row[None, :], dt=1e9 * b2.second, name=name + "_w"
                )
                weight = f"{name}_w(t, i)"
            target.namespace[name + "_lo"] = (lo - 0.5) * dt * b2.ms
            target.namespace[name + "_hi"] = (hi + 0.5) * dt * b2.ms
            expr = f"{weight} * int(t > {name}_lo) * int(t < {name}_hi)"
            out += [
                b2.PoissonInput(
                    target, buf, n_in, hz / parts / n_in * b2.Hz, weight=expr, when="synapses"
                )
                for _ in range(parts)
            ]
    return out


_NAMES = itertools.count()


def lanes_for(lam_max: float) -> int:
    """Binary lanes for counts up to lam + 20 sqrt(lam) + 30 (far beyond P = 1e-12)."""
    cap = int(lam_max + 20.0 * math.sqrt(lam_max) + 30.0)
    return max(1, cap.bit_length())


def _lanes(ctx: BuildContext, src) -> list:
    b2, r = ctx.b2, ctx.resolved
    dt, ms = ctx.dt, ctx.b2.ms
    lam = np.asarray(src.rate, float) * dt * 1e-3
    n_lanes = lanes_for(float(lam.max(initial=0.0)))
    cap = (1 << n_lanes) - 1
    group = b2.NeuronGroup(
        src.size * n_lanes,
        "src : 1",
        threshold="src > 0",
        reset="",
        clock=ctx.clock,
        name="hub_native_" + re.sub(r"\W", "_", src.label)[:30] + "*",
    )
    flag = group.variables["src"].get_value()
    rng = np.random.default_rng(np.random.SeedSequence([int(r.seed), 0x6E6174]))
    bits = np.arange(n_lanes)
    step = [0]

    @b2.network_operation(clock=ctx.clock, when="start", name="hub_native_draw*")
    def draw():
        stamp = step[0] + 1  # spikes of Brian2 step n carry stamp n + 1
        step[0] += 1
        if src.first_step <= stamp <= src.last_step:
            counts = np.minimum(rng.poisson(lam), cap)
            flag[:] = ((counts[:, None] >> bits) & 1).ravel()
        elif stamp == src.last_step + 1:
            flag[:] = 0

    out = [group, draw]
    parts: dict = {}
    for proj, buf, mask, w in _routes_from(ctx, src):
        parts.setdefault((proj.post, buf), []).append(
            (proj.pre_idx[mask], proj.post_idx[mask], w[mask], proj.delay_steps[mask])
        )
    for (post, buf), chunks in parts.items():
        pre, post_idx, w, d = (np.concatenate(x) for x in zip(*chunks))
        i = (pre[:, None] * n_lanes + bits).ravel()
        j = np.repeat(post_idx, n_lanes)
        syn = b2.Synapses(
            group,
            ctx.groups[post],
            model="w_syn : 1",
            on_pre=f"{buf}_post += w_syn",
            clock=ctx.clock,
            namespace={},
            name="hub_native_syn*",
        )
        syn.connect(i=i, j=j)
        syn.w_syn = (w[:, None] * (1 << bits)).ravel()
        syn.delay = np.repeat(d - 1, n_lanes) * dt * ms
        out.append(syn)
    return out

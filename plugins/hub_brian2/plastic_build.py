"""Building plastic projections into a Brian2 session (the code is in ``plasticity.py``).

Pieces: the delayed-input rings on target populations, one group per spike source that
feeds a plastic projection (firing with the multiplicity of this step in ``mult``), one
``Synapses`` per plastic projection with the pathways of ``plasticity.py``, the dopamine
schedule, and the synapse-state monitors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from hub.results import sampled_signal

from .context import BuildContext, b2_name, monitor_samples, source_event_counts
from .plasticity import dopamine_arrival, plastic_code, post_reads, renamed, teacher_arrival

ORDER = {"dopa": -1, "post_fac": 0, "teacher": 1, "post_trace": 1000}


@dataclass
class PlasticSynapses:
    """One plastic projection on Brian2."""

    proj: object  # its resolved projection
    syn: object  # its Synapses
    code: object  # plasticity.PlasticCode
    scale: float  # hub weight unit -> model weight unit
    sign: float  # the sign of its hub weights


@dataclass
class Plastic:
    """What ``build`` made: the objects to add to the network, the plastic synapses per
    projection label, and (after ``monitors``) the synapse probes' monitors."""

    objects: list = field(default_factory=list)
    synapses: dict[str, PlasticSynapses] = field(default_factory=dict)
    #: (synapse probe, Brian2 variable or None, StateMonitor or None)
    monitors: list = field(default_factory=list)


def ring_layout(resolved, tables) -> dict[str, dict[str, int]]:
    """Per target population: input buffer -> longest delay (steps) of its plastic inputs."""
    out: dict[str, dict[str, int]] = {}
    for proj in resolved.projections:
        if proj.rule is None or not proj.n:
            continue
        table = tables[resolved.populations[proj.post].model.label]
        buf, _ = table.plastic_route(proj.receptor == "inhibitory")
        have = out.setdefault(proj.post, {})
        have[buf] = max(have.get(buf, 0), int(proj.delay_steps.max()))
    return out


def ring_variables(layout: dict[str, int]) -> dict[str, str]:
    return {f"pr_{buf}_{d}": "float" for buf, dmax in layout.items() for d in range(1, dmax + 1)}


def ring_code(layout: dict[str, int]) -> str:
    """Add this step's delayed plastic inputs to the buffers, then shift the rings."""
    lines = []
    for buf, dmax in layout.items():
        lines.append(f"{buf} = {buf} + pr_{buf}_1")
        lines += [f"pr_{buf}_{d} = pr_{buf}_{d + 1}" for d in range(1, dmax)]
        lines.append(f"pr_{buf}_{dmax} = 0.0")
    return "\n".join(lines)


def source_groups(ctx: BuildContext, labels) -> tuple[dict, list]:
    """A NeuronGroup per spike source in ``labels`` whose neuron i fires in the step of each of
    its events, with ``mult`` = the event's multiplicity; and the network operation that sets
    ``mult`` at the start of every step."""
    b2, r = ctx.b2, ctx.resolved
    groups, objects, schedule = {}, [], []
    for label in sorted(labels):
        src = r.sources[label]
        g = b2.NeuronGroup(
            src.size,
            "mult : 1",
            threshold="mult > 0",
            reset="",
            clock=ctx.clock,
            name=b2_name("hub_psrc_", label),
        )
        stamps, idx, counts = source_event_counts(src, r.steps)
        cuts = np.searchsorted(stamps, np.arange(r.steps + 2))
        schedule.append((g.variables["mult"].get_value(), idx, counts.astype(float), cuts))
        groups[label] = (g, int(counts.max()) if len(counts) else 1)
        objects.append(g)
    if schedule:
        step = [0]

        @b2.network_operation(clock=ctx.clock, when="start", name="hub_psources*")
        def source_events():
            k = step[0]
            for mult, idx, counts, cuts in schedule:
                mult[:] = 0.0
                lo, hi = cuts[k + 1], cuts[k + 2]  # stamped k + 1: fire in this step
                if hi > lo:
                    mult[idx[lo:hi]] = counts[lo:hi]
            step[0] = k + 1

        objects.append(source_events)
    return groups, objects


def build(ctx: BuildContext) -> Plastic:
    """Every Brian2 object the plastic projections need (to add to the network)."""
    r = ctx.resolved
    out = Plastic()
    plastic = [p for p in r.projections if p.rule is not None and p.n]
    if not plastic:
        return out
    sources, out.objects = source_groups(ctx, {p.pre for p in plastic if p.pre in r.sources})
    dopamine = []
    for proj in plastic:
        table = ctx.model_of[proj.post]
        code = post_reads(plastic_code(proj.rule, proj.weight, table.weight_scale, ctx.h), table)
        pre_group, m_max = sources.get(proj.pre) or (ctx.groups[proj.pre], 1)
        code = renamed(code, {*pre_group.variables, *ctx.groups[proj.post].variables})
        syn = _synapses(
            ctx, proj, code, pre_group, m_max, *table.plastic_route(proj.receptor == "inhibitory")
        )
        out.objects.append(syn)
        if code.dopamine:
            dopamine.append((proj, syn, code))
        if getattr(proj.rule, "teacher", None):
            out.objects.append(_teacher_schedule(ctx, proj, syn, code))
        out.synapses[proj.label] = PlasticSynapses(
            proj, syn, code, table.weight_scale, table.hub_sign(proj.receptor == "inhibitory")
        )
    if dopamine:
        out.objects.extend(_dopamine_schedule(ctx, dopamine))
    return out


def _synapses(ctx: BuildContext, proj, code, pre_group, m_max: int, buf: str, sign: float):
    """The Synapses of plastic projection ``proj`` from ``pre_group`` (firing with
    multiplicity up to ``m_max``), transmitting to the delayed-input ring of ``buf``."""
    b2 = ctx.b2
    d = proj.delay_steps.astype(np.int64)
    transmit = "\n".join(
        f"pr_{buf}_{k}_post += wtx * {sign!r} * int(dsyn == {k})" for k in np.unique(d)
    )
    on_pre = {}
    for k in range(1, m_max + 1):
        body = code.pre + transmit
        if k > 1:  # the k-th event of a multiple spike: only where mult >= k
            body = _guarded(body, f"mult_pre >= {k}", code.variables)
        on_pre[f"pre_{k}"] = body
    on_post = {n: c for n, c in (("post_fac", code.post_fac), ("post_trace", code.post_trace)) if c}
    model = "\n".join(
        [f"{v} : 1" for v in code.variables]
        + ["dsyn : integer (constant)"]
        + [f"{k} : 1 (shared)" for k in code.shared]
    )
    syn = b2.Synapses(
        pre_group,
        ctx.groups[proj.post],
        model=model,
        on_pre=on_pre,
        on_post=on_post or None,
        clock=ctx.clock,
        namespace=dict(ctx.functions),
        name=b2_name("hub_plastic_", proj.label),
    )
    syn.connect(i=proj.pre_idx, j=proj.post_idx)
    syn.dsyn = d.astype(np.int32)
    for name, value in code.shared.items():
        setattr(syn, name, value)
    for name, value in code.initial.items():
        setattr(syn, name, value)
    for name in on_pre:  # after post_fac (0) and the teacher (1)
        pathway = getattr(syn, name)
        pathway.when, pathway.order = "end", 1 + int(name.split("_")[1])
    for name in on_post:
        pathway = getattr(syn, name)
        pathway.when, pathway.order = "end", ORDER[name]
        pathway.delay = d * ctx.dt * b2.ms
    for name in [*on_pre, *on_post]:  # compiled with codegen="cython"
        ctx.hot_code(getattr(syn, name), model, on_pre, on_post)
    return syn


def _guarded(body: str, condition: str, variables) -> str:
    """``body`` acting only where ``condition`` holds: every assignment to a synapse or
    target variable keeps its old value elsewhere."""
    out = [f"on_k = {condition}"]
    for line in body.splitlines():
        if not line.strip():
            continue
        target, op, expr = re.match(r"\s*(\w+)\s*(\+?=)\s*(.*)", line).groups()
        if target in variables:
            out += [
                f"old_{target} = fcopy({target})",
                line,
                f"{target} = sel(on_k, {target}, old_{target})",
            ]
        elif op == "+=":
            out.append(f"{target} += ({expr}) * int(on_k)")
        else:
            out.append(line)
    return "\n".join(out)


def _teacher_schedule(ctx: BuildContext, proj, syn, code):
    """A network operation in slot ``end`` between the potentiation pathway and the
    presynaptic ones: the teacher spikes of a supervised rule reach each synapse like
    postsynaptic spikes (stamp + the synapse's delay) and run ``on_teacher`` there
    (``plasticity.teacher_arrival``).  The teacher is a spike source: every arrival is known
    before the run."""
    b2, r = ctx.b2, ctx.resolved
    src = r.sources[proj.rule.teacher]
    by_neuron: dict[int, np.ndarray] = {}
    for j in np.unique(proj.post_idx):  # a teacher of one neuron is a modulator: every j
        by_neuron[int(j)] = src.stamps[src.indices == (0 if src.size == 1 else j)]
    arrivals: dict[int, list[int]] = {}
    for k, (j, d) in enumerate(zip(proj.post_idx, proj.delay_steps)):
        for q in by_neuron.get(int(j), ()):
            arrivals.setdefault(int(q) + int(d), []).append(k)
    names = {v: code.names.get(v, v) for v in code.variables}
    shared = {name: float(value) for name, value in code.shared.items()}
    shared = code.by_rule_name(shared) | shared
    prog = code.extra["program"]
    step = [0]
    h_ms = shared["h_ms"]

    @b2.network_operation(clock=ctx.clock, when="end", order=ORDER["teacher"], name="hub_teach*")
    def teach():
        step[0] += 1
        due = arrivals.get(step[0])
        if due:
            values = {v: syn.variables[names[v]].get_value() for v in names}
            rest = np.asarray(due)
            while rest.size:  # a teacher spike of multiplicity m runs on_teacher m times
                once, first = np.unique(rest, return_index=True)
                teacher_arrival(values, shared, prog, once, step[0] * h_ms)
                rest = np.delete(rest, first)

    return teach


def _dopamine_schedule(ctx: BuildContext, dopamine) -> list:
    """A network operation in slot ``end`` (before the pathways) that applies the dopamine
    arriving at this step's synapse time to every synapse of each DopamineSTDP projection
    (``plasticity.dopamine_arrival``); arrivals from a spike source are known in advance,
    those of a neuron population are collected as it fires."""
    b2, r = ctx.b2, ctx.resolved
    arrivals: list[dict[int, float]] = []
    watch = []
    for proj, syn, code in dopamine:
        sched: dict[int, float] = {}
        delay = proj.rule.modulator_delay_steps
        label = proj.rule.modulator
        if label in r.sources:
            src = r.sources[label]
            for s, m in zip(*np.unique(src.stamps + delay, return_counts=True)):
                sched[int(s)] = sched.get(int(s), 0.0) + float(m)
        else:
            watch.append((ctx.span[label], delay, sched))
        arrivals.append(sched)
    arrays = [
        (
            {v: syn.variables[code.names.get(v, v)].get_value() for v in ("w", "c", "n", "tw")},
            code.by_rule_name(code.shared),
        )
        for proj, syn, code in dopamine
    ]
    step = [0]
    h = ctx.h

    @b2.network_operation(clock=ctx.clock, when="end", order=ORDER["dopa"], name="hub_dopamine*")
    def dopamine_arrivals():
        k = step[0]  # this step processes synapse time k + 1
        for (values, shared), sched in zip(arrays, arrivals):
            m = sched.pop(k + 1, 0.0)
            if m > 0:
                dopamine_arrival(values, shared, (k + 1) * h, m)
        step[0] = k + 1

    out = [dopamine_arrivals]
    if watch:
        seen = [0]

        @b2.network_operation(clock=ctx.clock, when="after_resets", name="hub_dopa_in*")
        def dopamine_spikes():
            k = seen[0]  # spikes of this step have stamp k + 1
            for (group, start, stop), delay, sched in watch:
                space = group.variables["_spikespace"].get_value()
                fired = space[: int(space[-1])]
                n = int(np.count_nonzero((fired >= start) & (fired < stop)))
                if n:
                    sched[k + 1 + delay] = sched.get(k + 1 + delay, 0.0) + n
            seen[0] = k + 1

        out.append(dopamine_spikes)
    return out


def monitors(ctx: BuildContext, plastic: Plastic) -> list:
    """StateMonitors of the synapse probes (sampled at the start of a step = after every
    event of the previous steps; kept in ``plastic.monitors``); the final state is read after
    the run."""
    out = []
    for pr in ctx.resolved.synapse_probes:
        if pr.projection not in plastic.synapses:  # a projection without synapses
            plastic.monitors.append((pr, None, None))
            continue
        ps = plastic.synapses[pr.projection]
        var = ps.code.read[pr.variable]
        mon = None
        if len(pr.indices):
            mon = ctx.b2.StateMonitor(
                ps.syn,
                var,
                record=np.asarray(pr.indices),
                when="start",
                clock=ctx.sampling_clock(pr.interval_steps),
                name=b2_name("hub_wmon_", pr.projection),
            )
            out.append(mon)
        plastic.monitors.append((pr, var, mon))
    return out


def _to_hub(ps: PlasticSynapses, variable, values):
    return values / ps.scale * ps.sign if variable in ps.code.scaled else values


def results(resolved, plastic: Plastic, res) -> None:
    """The final synapse state and the synapse signals into ``res``."""
    from hub.ir.plasticity import state_unit

    r = resolved
    for proj in r.projections:  # plastic projections without synapses
        if proj.rule is not None and not proj.n:
            for var in proj.rule.rule.state:
                res.synapse_state[(proj.label, var)] = np.zeros(0)
    for label, ps in plastic.synapses.items():
        for var, b2var in ps.code.read.items():
            values = np.asarray(getattr(ps.syn, b2var + "_"), float).copy()
            res.synapse_state[(label, var)] = _to_hub(ps, var, values)
    for pr, var, mon in plastic.monitors:
        proj = next(p for p in r.projections if p.label == pr.projection)
        values = np.zeros((r.steps // pr.interval_steps, len(pr.indices)))
        if mon is not None:
            ps = plastic.synapses[pr.projection]
            final = np.asarray(getattr(ps.syn, var + "_"))[pr.indices]
            values = _to_hub(
                ps,
                pr.variable,
                monitor_samples(getattr(mon, var + "_"), final, r.steps, pr.interval_steps),
            )
        unit = state_unit(proj.rule.rule, pr.variable, r.populations[proj.post].model.weight_unit)
        res.synapse_signals[(pr.projection, pr.variable)] = sampled_signal(r, pr, unit, values)

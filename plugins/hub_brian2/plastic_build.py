"""Building plastic projections into a Brian2 session (the code is in ``plasticity.py``).

Pieces: the delayed-input rings on target populations, one group per spike source that
feeds a plastic projection (firing with the multiplicity of this step in ``mult``), one
``Synapses`` per plastic projection with the pathways of ``plasticity.py``, the dopamine
schedule, and the synapse-state monitors.
"""
from __future__ import annotations

import re

import numpy as np

from .plasticity import dopamine_arrival, plastic_code

ORDER = {"dopa": -1, "post_fac": 0, "post_trace": 1000}


def _name(prefix, label):
    return prefix + re.sub(r"\W", "_", label)[:40] + "*"


def route(proj, table) -> tuple[str, float]:
    """(input buffer, sign) a plastic projection's transmitted magnitudes go to, as NEST
    routes its weights (see ``Brian2Session._connect_all``)."""
    inh = proj.receptor == "inhibitory"
    if table.receptor == "single":
        return "buf", -1.0 if inh else 1.0
    if table.receptor == "sign":
        return ("buf_in", -1.0) if inh else ("buf_ex", 1.0)
    return ("buf_in", 1.0) if inh else ("buf_ex", 1.0)


def ring_layout(resolved, tables) -> dict[str, dict[str, int]]:
    """Per target population: input buffer -> longest delay (steps) of its plastic inputs."""
    out: dict[str, dict[str, int]] = {}
    for proj in resolved.projections:
        if proj.rule is None or not proj.n:
            continue
        buf, _ = route(proj, tables[resolved.populations[proj.post].model.label])
        have = out.setdefault(proj.post, {})
        have[buf] = max(have.get(buf, 0), int(proj.delay_steps.max()))
    return out


def ring_variables(layout: dict[str, int]) -> dict[str, str]:
    return {f"pr_{buf}_{d}": "float" for buf, dmax in layout.items()
            for d in range(1, dmax + 1)}


def ring_code(layout: dict[str, int]) -> str:
    """Add this step's delayed plastic inputs to the buffers, then shift the rings."""
    lines = []
    for buf, dmax in layout.items():
        lines.append(f"{buf} = {buf} + pr_{buf}_1")
        lines += [f"pr_{buf}_{d} = pr_{buf}_{d + 1}" for d in range(1, dmax)]
        lines.append(f"pr_{buf}_{dmax} = 0.0")
    return "\n".join(lines)


def source_groups(session, labels) -> tuple[dict, list]:
    """A NeuronGroup per spike source in ``labels`` whose neuron i fires in the step of each of
    its events, with ``mult`` = the event's multiplicity; and the network operation that sets
    ``mult`` at the start of every step."""
    b2, r = session.b2, session.r
    groups, objects, schedule = {}, [], []
    for label in sorted(labels):
        src = r.sources[label]
        g = b2.NeuronGroup(src.size, "mult : 1", threshold="mult > 0", reset="",
                           clock=session.clock, name=_name("hub_psrc_", label))
        keep = (src.stamps >= 1) & (src.stamps <= r.steps)
        key = src.stamps[keep].astype(np.int64) * src.size + src.indices[keep]
        uniq, counts = np.unique(key, return_counts=True)
        stamps, idx = np.divmod(uniq, src.size)
        cuts = np.searchsorted(stamps, np.arange(r.steps + 2))
        schedule.append((g.variables["mult"].get_value(), idx, counts.astype(float), cuts))
        groups[label] = (g, int(counts.max()) if len(counts) else 1)
        objects.append(g)
    if schedule:
        step = [0]

        @b2.network_operation(clock=session.clock, when="start", name="hub_psources*")
        def source_events():
            k = step[0]
            for mult, idx, counts, cuts in schedule:
                mult[:] = 0.0
                lo, hi = cuts[k + 1], cuts[k + 2]      # stamped k + 1: fire in this step
                if hi > lo:
                    mult[idx[lo:hi]] = counts[lo:hi]
            step[0] = k + 1

        objects.append(source_events)
    return groups, objects


def build(session) -> list:
    """Every Brian2 object the plastic projections need (appended to the network)."""
    b2, r = session.b2, session.r
    plastic = [p for p in r.projections if p.rule is not None and p.n]
    session.plastic = {}
    if not plastic:
        return []
    sources = {p.pre for p in plastic if p.pre in r.sources}
    session.plastic_sources, objects = source_groups(session, sources)
    dopamine = []
    for proj in plastic:
        table = session.model_of[proj.post]
        code = plastic_code(proj.rule, proj.weight, table.weight_scale, session.h)
        buf, sign = route(proj, table)
        if proj.pre in session.plastic_sources:
            pre_group, m_max = session.plastic_sources[proj.pre]
        else:
            pre_group, m_max = session.groups[proj.pre], 1
        d = proj.delay_steps.astype(np.int64)
        transmit = "\n".join(f"pr_{buf}_{k}_post += wtx * {sign!r} * int(dsyn == {k})"
                             for k in np.unique(d))
        on_pre = {}
        for k in range(1, m_max + 1):
            body = code.pre + transmit
            if k > 1:   # the k-th event of a multiple spike: only where mult >= k
                body = _guarded(body, f"mult_pre >= {k}", code.variables)
            on_pre[f"pre_{k}"] = body
        on_post = {n: c for n, c in (("post_fac", code.post_fac),
                                     ("post_trace", code.post_trace)) if c}
        model = "\n".join([f"{v} : 1" for v in code.variables] + ["dsyn : integer (constant)"]
                          + [f"{k} : 1 (shared)" for k in code.shared])
        syn = b2.Synapses(pre_group, session.groups[proj.post], model=model, on_pre=on_pre,
                          on_post=on_post or None, clock=session.clock,
                          namespace=dict(session.fns), name=_name("hub_plastic_", proj.label))
        syn.connect(i=proj.pre_idx, j=proj.post_idx)
        syn.dsyn = d.astype(np.int32)
        for name, value in code.shared.items():
            setattr(syn, name, value)
        for name, value in code.initial.items():
            setattr(syn, name, value)
        for name in on_pre:
            pathway = getattr(syn, name)
            pathway.when, pathway.order = "end", int(name.split("_")[1])
        for name in on_post:
            pathway = getattr(syn, name)
            pathway.when, pathway.order = "end", ORDER[name]
            pathway.delay = d * session.dt * b2.ms
        for name in [*on_pre, *on_post]:       # compiled with codegen="cython"
            session.hot_code(getattr(syn, name), model, on_pre, on_post)
        objects.append(syn)
        if code.dopamine:
            dopamine.append((proj, syn, code))
        session.plastic[proj.label] = (proj, syn, code, table.weight_scale,
                                       _hub_sign(proj, table))
    if dopamine:
        objects.extend(_dopamine_schedule(session, dopamine))
    return objects


def _guarded(body: str, condition: str, variables) -> str:
    """``body`` acting only where ``condition`` holds: every assignment to a synapse or
    target variable keeps its old value elsewhere."""
    out = [f"on_k = {condition}"]
    for line in body.splitlines():
        if not line.strip():
            continue
        target, op, expr = re.match(r"\s*(\w+)\s*(\+?=)\s*(.*)", line).groups()
        if target in variables:
            out += [f"old_{target} = fcopy({target})", line,
                    f"{target} = sel(on_k, {target}, old_{target})"]
        elif op == "+=":
            out.append(f"{target} += ({expr}) * int(on_k)")
        else:
            out.append(line)
    return "\n".join(out)


def _hub_sign(proj, table) -> float:
    """The sign hub weights carry on this projection (current/voltage inhibitory: -1)."""
    return -1.0 if proj.receptor == "inhibitory" and table.receptor != "conductance" else 1.0


def _dopamine_schedule(session, dopamine) -> list:
    """A network operation in slot ``end`` (before the pathways) that applies the dopamine
    arriving at this step's synapse time to every synapse of each DopamineSTDP projection
    (``plasticity.dopamine_arrival``); arrivals from a spike source are known in advance,
    those of a neuron population are collected as it fires."""
    b2, r = session.b2, session.r
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
            watch.append((session.span[label], delay, sched))
        arrivals.append(sched)
    arrays = [({v: syn.variables[v].get_value() for v in ("w", "c", "n", "tw")}, code.shared)
              for proj, syn, code in dopamine]
    step = [0]
    h = session.h

    @b2.network_operation(clock=session.clock, when="end", order=ORDER["dopa"],
                          name="hub_dopamine*")
    def dopamine_arrivals():
        k = step[0]                          # this step processes synapse time k + 1
        for (values, shared), sched in zip(arrays, arrivals):
            m = sched.pop(k + 1, 0.0)
            if m > 0:
                dopamine_arrival(values, shared, (k + 1) * h, m)
        step[0] = k + 1

    out = [dopamine_arrivals]
    if watch:
        seen = [0]

        @b2.network_operation(clock=session.clock, when="after_resets", name="hub_dopa_in*")
        def dopamine_spikes():
            k = seen[0]                      # spikes of this step have stamp k + 1
            for (group, start, stop), delay, sched in watch:
                space = group.variables["_spikespace"].get_value()
                fired = space[:int(space[-1])]
                n = int(np.count_nonzero((fired >= start) & (fired < stop)))
                if n:
                    sched[k + 1 + delay] = sched.get(k + 1 + delay, 0.0) + n
            seen[0] = k + 1

        out.append(dopamine_spikes)
    return out


def monitors(session) -> list:
    """StateMonitors of the synapse probes (sampled at the start of a step = after every
    event of the previous steps); the final state is read after the run."""
    b2, r = session.b2, session.r
    session.synapse_monitors = []
    out = []
    for pr in r.synapse_probes:
        if pr.projection not in session.plastic:   # a projection without synapses
            session.synapse_monitors.append((pr, None, None))
            continue
        proj, syn, code, scale, sign = session.plastic[pr.projection]
        var = code.read[pr.variable]
        mon = None
        if len(pr.indices):
            mon = b2.StateMonitor(syn, var, record=np.asarray(pr.indices), when="start",
                                  clock=session._clock(pr.interval_steps),
                                  name=_name("hub_wmon_", pr.projection))
            out.append(mon)
        session.synapse_monitors.append((pr, var, mon))
    return out


def _to_hub(session, label, variable, values):
    proj, syn, code, scale, sign = session.plastic[label]
    return values / scale * sign if variable in code.scaled else values


def results(session, res) -> None:
    from hub import Signal
    from hub.ir.plasticity import state_unit

    r = session.r
    for proj in r.projections:       # plastic projections without synapses
        if proj.rule is not None and not proj.n:
            for var in proj.rule.rule.state:
                res.synapse_state[(proj.label, var)] = np.zeros(0)
    for label, (proj, syn, code, scale, sign) in session.plastic.items():
        for var, b2var in code.read.items():
            values = np.asarray(getattr(syn, b2var + "_"), float).copy()
            res.synapse_state[(label, var)] = _to_hub(session, label, var, values)
    for pr, var, mon in session.synapse_monitors:
        iv, n = pr.interval_steps, r.steps // pr.interval_steps
        proj = next(p for p in r.projections if p.label == pr.projection)
        values = np.zeros((n, len(pr.indices)))
        if mon is not None:
            syn = session.plastic[pr.projection][1]
            rec = np.asarray(getattr(mon, var + "_")).T[1:]
            if r.steps % iv == 0:
                final = np.asarray(getattr(syn, var + "_"))[pr.indices]
                rec = np.vstack([rec, final[None, :]])
            values = _to_hub(session, pr.projection, pr.variable, rec[:n])
        unit = state_unit(proj.rule.rule, pr.variable,
                          r.populations[proj.post].model.weight_unit)
        res.synapse_signals[(pr.projection, pr.variable)] = Signal(
            pr.variable, unit, np.arange(iv, r.steps + 1, iv) * r.dt, pr.indices,
            np.ascontiguousarray(values, dtype=float))

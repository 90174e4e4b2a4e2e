"""Learning rules: the definitions (``hub.ir.plasticity``, re-exported here) and the reference
implementation of their semantics (:mod:`hub.plasticity.reference`).

>>> import hub
>>> syn = hub.Plastic(hub.STDP(tau_plus=20.0, A_plus=0.01, A_minus=0.012, w_max=0.5),
...                   weight=0.25, delay=1.0)

:func:`reference_state` recomputes, from the spikes a run produced, what every plastic
synapse's state must be; the conformance kit compares each backend with it.
"""

from __future__ import annotations

import numpy as np

from ..ir.plasticity import (
    RULES,
    DopamineSTDP,
    Rule,
    STDP,
    TripletSTDP,
    TsodyksMarkram,
    VogelsSprekeler,
    state_unit,
)
from ..results import Signal
from .reference import VARIABLES, simulate_projection

__all__ = [
    "RULES",
    "Rule",
    "STDP",
    "TripletSTDP",
    "DopamineSTDP",
    "TsodyksMarkram",
    "VogelsSprekeler",
    "simulate_projection",
    "reference_state",
    "VARIABLES",
]


def _spikes_of(label, resolved, results):
    if label in resolved.sources:
        src = resolved.sources[label]
        return src.indices, src.stamps
    st = results.spikes(label)
    return st.indices, st.stamps


def teacher_trains(proj, resolved, spikes):
    """(indices, stamps) of the teacher spikes per postsynaptic neuron of ``proj``: the
    teacher's own, or, for a teacher of one neuron (a modulator), its spikes for every
    postsynaptic neuron."""
    indices, stamps = spikes
    if resolved.sources[proj.rule.teacher].size != 1:
        return indices, stamps
    n = resolved.populations[proj.post].size
    return np.repeat(np.arange(n), len(stamps)), np.tile(np.asarray(stamps), n)


def _post_state(proj, resolved, results):
    """The postsynaptic state a rule written as statements reads: variable -> f(stamp,
    neuron) from the run's state probe of the post population (every step, every neuron)."""
    names = getattr(getattr(proj.rule.rule, "definition", None), "post_state", None)
    if not names:
        return None
    out = {}
    for var in names:
        sig = results.signal(proj.post, var)
        stamps = np.round(np.asarray(sig.times) / resolved.dt).astype(np.int64)
        row = {int(s): k for k, s in enumerate(stamps)}
        col = {int(i): k for k, i in enumerate(sig.indices)}
        values = np.asarray(sig.values)
        out[var] = lambda stamp, j, v=values, row=row, col=col: v[row[int(stamp)], col[int(j)]]
    return out


def reference_state(resolved, results, transmitted: dict | None = None):
    """The reference final state and sampled state of every plastic projection of
    ``resolved``, computed from the spikes in ``results`` (every pre, post and dopamine
    population must have been recorded, all neurons).  Returns ``(synapse_state,
    synapse_signals)`` shaped like the fields of :class:`hub.Results`.  If ``transmitted`` is
    a dict, it receives per projection the weights each synapse's presynaptic spikes
    transmitted (see :func:`simulate_projection`)."""
    state, signals = {}, {}
    probes = {}
    for pr in resolved.synapse_probes:
        probes.setdefault(pr.projection, []).append(pr)
    for proj in resolved.projections:
        if proj.rule is None:
            continue
        mod = None
        if proj.rule.modulator is not None:
            mod = _spikes_of(proj.rule.modulator, resolved, results)[1]
        wanted = probes.get(proj.label, [])
        stamps = sorted(
            {
                int(s)
                for pr in wanted
                for s in np.arange(pr.interval_steps, resolved.steps + 1, pr.interval_steps)
            }
        )
        target = resolved.populations[proj.post].model
        negative = proj.receptor == "inhibitory" and target.input != "conductance"
        final, samples = simulate_projection(
            proj.rule,
            proj.pre_idx,
            proj.post_idx,
            proj.delay_steps,
            proj.weight,
            resolved.dt,
            _spikes_of(proj.pre, resolved, results),
            _spikes_of(proj.post, resolved, results),
            mod,
            stamps,
            sign=np.full(proj.n, -1.0 if negative else 1.0),
            transmitted=transmitted.setdefault(proj.label, []) if transmitted is not None else None,
            teacher_spikes=(
                teacher_trains(proj, resolved, _spikes_of(proj.rule.teacher, resolved, results))
                if getattr(proj.rule, "teacher", None)
                else None
            ),
            post_state=_post_state(proj, resolved, results),
        )
        for var, values in final.items():
            state[(proj.label, var)] = values
        for pr in wanted:
            rows = np.searchsorted(
                stamps, np.arange(pr.interval_steps, resolved.steps + 1, pr.interval_steps)
            )
            unit = state_unit(
                proj.rule.rule, pr.variable, resolved.populations[proj.post].model.weight_unit
            )
            signals[(proj.label, pr.variable)] = Signal(
                pr.variable,
                unit,
                np.asarray(stamps)[rows] * resolved.dt,
                pr.indices,
                samples[pr.variable][np.ix_(rows, pr.indices)],
            )
    return state, signals

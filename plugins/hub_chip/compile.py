"""Resolved network -> chip program: discretize, place, quantize, lay out the synapses.

Engine layout: the neurons of all populations in network order (so in core order), then
the auxiliary compartments of split populations; senders are those neurons followed by the
input axons of every spike-source neuron.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hub import ResourceError
from hub.sorting import stable_argsort

from . import quantize
from .compartment import ACT_SHIFT, V_MAX
from .discretize import PopulationPlan, initial_u, plan_population
from .mapper import MapPopulation, MapProjection, Mapping, place
from .program import Program
from .spec import LOIHI, ChipSpec


@dataclass
class PopulationLayout:
    plan: PopulationPlan
    offset: int                         # first engine neuron
    aux_offset: int | None              # first auxiliary compartment (split populations)
    scale: float | None = None          # mV per unit of v (float models)
    scale_info: dict = field(default_factory=dict)

    def decode_v(self, raw: np.ndarray, idx: np.ndarray) -> np.ndarray:
        if self.scale is None:
            return raw.astype(float)
        return raw * self.scale + self.plan.v_reset[idx]


@dataclass
class Compiled:
    program: Program
    mapping: Mapping
    layout: dict                        # label -> PopulationLayout
    source_offset: dict                 # label -> first input axon
    quantization: dict
    sender_core: np.ndarray             # core of each sender (-1: host input)
    fanout: tuple                       # CSR (ptr, core, count) of synapses per (sender, core)
    messages: tuple                     # CSR (ptr, core) of destination cores per sender
    #: plastic projections: label -> PlasticLayout (learning.py)
    plastic: dict = field(default_factory=dict)


@dataclass
class PlasticLayout:
    """Where a plastic projection's synapses are and what their integers mean."""

    position: np.ndarray                # CSR position of each synapse (hub order)
    exponent: np.ndarray                # weight exponent of each synapse
    w_max_mant: np.ndarray              # mantissa of w_max (per synapse, <= 255)
    lsb: np.ndarray                     # hub weight of one mantissa step (per synapse)
    sign: np.ndarray                    # +1 / -1 (inhibitory current weights)


def compile_network(resolved, chips: int = 1, headroom: float = quantize.DEFAULT_HEADROOM,
                    spec: ChipSpec = LOIHI) -> Compiled:
    dt = resolved.dt
    plans = [plan_population(p, dt) for p in resolved.populations.values()]
    layout, n = {}, 0
    for plan in plans:
        layout[plan.label] = PopulationLayout(plan, n, None)
        n += plan.size
    n_neurons, n_aux = n, 0
    for plan in plans:
        if plan.split:
            layout[plan.label].aux_offset = n_neurons + n_aux
            n_aux += plan.size
    source_offset, n_inputs = {}, 0
    for lab, src in resolved.sources.items():
        source_offset[lab] = n_inputs
        n_inputs += src.size

    # --- programmed delays, then placement ----------------------------------------------------
    projs = resolved.projections
    delays = []
    for j in projs:
        d = j.delay_steps - 1 + layout[j.post].plan.delay_offset
        if len(d) and d.max() > spec.max_delay:
            raise ResourceError(
                f"delay: projection {j.label!r} needs a programmed delay of {int(d.max())} "
                f"steps ({int(j.delay_steps.max())} steps in the hub) but the chip stores at "
                f"most {spec.max_delay} ({int(d.max()) - spec.max_delay} too many); shorten "
                f"it to <= {(spec.max_delay + 1 - layout[j.post].plan.delay_offset) * dt:g} ms")
        delays.append(d)
    mapping = place([MapPopulation(p.label, p.size, p.compartments_per_neuron) for p in plans],
                    [MapProjection(j.pre, j.post, j.pre_idx, j.post_idx, d,
                                   j.pre in resolved.sources) for j, d in zip(projs, delays)],
                    chips, spec)
    n_cores = mapping.n_cores

    # --- target values of every weight (units of A = u / 64, before the scale) ---------------
    def inhibitory(j, plan):
        return j.receptor == "inhibitory" and not plan.native

    groups = []                   # per projection: synapse group id (projection x core)
    for k, j in enumerate(projs):
        groups.append(k * n_cores + mapping.core_of[j.post][j.post_idx])
    q_by_proj, q_wmax = [], []      # q_wmax: plastic projections at w_max (their range)
    for j in projs:
        plan = layout[j.post].plan
        if plan.native:
            fold = np.ones(plan.size) * (1 << ACT_SHIFT)
        else:
            fold = plan.fold_inh if inhibitory(j, plan) else plan.fold_exc
        q_by_proj.append(j.weight * fold[j.post_idx] / (1 << ACT_SHIFT))
        if j.rule is None:
            q_wmax.append(None)
        else:
            sign = np.where(j.weight < 0, -1.0, 1.0)
            q_wmax.append(sign * j.rule.params["w_max"] * fold[j.post_idx] / (1 << ACT_SHIFT))

    # --- current injections: the bias of the targets switches at the injection stamps -------
    injected = _injections(resolved, layout)
    # --- scale per float population -----------------------------------------------------------
    for lab, lay in layout.items():
        plan = lay.plan
        if plan.native:
            continue
        incoming, sums = [], np.zeros((2, 2, plan.size))   # [aux?][sign]
        for k, j in enumerate(projs):
            if j.post != lab:
                continue
            q = q_by_proj[k] if q_wmax[k] is None else q_wmax[k]
            g = groups[k] - k * n_cores
            incoming.append((q, g, n_cores))
            row = 1 if (inhibitory(j, plan) and plan.split) else 0
            np.add.at(sums[row, 0], j.post_idx, np.maximum(q, 0))
            np.add.at(sums[row, 1], j.post_idx, np.minimum(q, 0))
        u_sum = float(np.abs(sums).max()) * (1 << ACT_SHIFT) if plan.size else 0.0
        drive_max = max([float(np.abs(plan.drive).max())] + [
            float(np.abs(plan.drive[idx] + plan.drive_per_na[idx] * cur).max())
            for _, idx, cur in injected.get(lab, []) if len(idx)])
        lay.scale, _, lay.scale_info = quantize.choose_scale(
            float(plan.span.max()), drive_max, incoming, u_sum, headroom, spec)

    # --- compartments -------------------------------------------------------------------------
    c = n_neurons + n_aux
    du = np.zeros(c, np.int64)
    u0 = np.zeros(c, np.int64)
    dv, bias, vth, refr, v0 = (np.zeros(n_neurons, np.int64) for _ in range(5))
    join = np.zeros(n_aux, np.int64)
    qreport = {"populations": {}}
    all_thr = ([], [])
    all_bias = ([], [])
    for lab, lay in layout.items():
        plan, pop = lay.plan, resolved.populations[lab]
        sl = slice(lay.offset, lay.offset + plan.size)
        du[sl], dv[sl], refr[sl] = plan.du, plan.dv, plan.refractory
        if plan.split:
            aux = slice(lay.aux_offset, lay.aux_offset + plan.size)
            du[aux] = plan.du_aux
            join[lay.aux_offset - n_neurons: lay.aux_offset - n_neurons + plan.size] = \
                np.arange(lay.offset, lay.offset + plan.size)
        if plan.native:
            bias[sl], vth[sl] = plan.bias, plan.vth_mant << 6
            u0[sl] = np.rint(pop.initial["u"]).astype(np.int64)
            v0[sl] = np.clip(np.rint(pop.initial["v"]), -V_MAX, V_MAX).astype(np.int64)
            qreport["populations"][lab] = {"kind": plan.kind, "exact": True}
            continue
        s = lay.scale
        theta = plan.span / s
        mant = quantize.threshold(theta)
        vth[sl] = mant << 6
        bm, be, bsat = quantize.bias(plan.drive / s)
        bias[sl] = bm << be
        all_thr[0].append(theta)
        all_thr[1].append(quantize.effective_threshold(mant))
        all_bias[0].append(plan.drive / s)
        all_bias[1].append(bias[sl])
        v0[sl] = np.clip(np.rint((pop.initial["v"] - plan.v_reset) / s), -V_MAX, V_MAX)
        if plan.kind.endswith("exp]"):
            ie, ii = pop.initial.get("isyn_exc", 0.0), pop.initial.get("isyn_inh", 0.0)
            ue = initial_u(ie, plan.fold_exc, plan.du) / s
            ui = initial_u(ii, plan.fold_inh, plan.du if not plan.split else plan.du_aux) / s
            if plan.split:
                u0[sl] = np.rint(ue)
                u0[lay.aux_offset: lay.aux_offset + plan.size] = np.rint(ui)
            else:
                u0[sl] = np.rint(ue + ui)
        tau = {k: {"requested_ms": _stat(a), "effective_ms": _stat(b),
                   "max_rel_error": float(np.max(np.abs(b - a) / a)) if np.all(
                       np.isfinite(b)) else None}
               for k, (a, b) in plan.tau.items()}
        qreport["populations"][lab] = {
            "kind": plan.kind, "scale_mV": s, "split_inhibitory_compartment": plan.split,
            "du": _stat(plan.du), "dv": _stat(plan.dv), "time_constants": tau,
            "scale_choice": lay.scale_info, "bias_saturated": bsat}

    # --- synapses -----------------------------------------------------------------------------
    senders, targets, dl, mants, gexp = [], [], [], [], []
    w_target, w_got, saturated = [], [], 0
    plastic_info = {}
    for k, j in enumerate(projs):
        lay = layout[j.post]
        plan = lay.plan
        unit = 1.0 if plan.native else lay.scale
        a = q_by_proj[k] / unit
        g = groups[k] - k * n_cores
        if q_wmax[k] is None:
            m, e, sat = quantize.weights(a, g, n_cores, allow_negative=False)
        else:   # the exponent covers w_max: learning moves the weights up to it
            a_max = q_wmax[k] / unit
            m, e, sat = quantize.weights(np.concatenate([a, a_max]), np.concatenate([g, g]),
                                         n_cores, allow_negative=False)
            m_max = np.abs(m[len(a):])
            m = m[:len(a)]
            with np.errstate(divide="ignore", invalid="ignore"):
                lsb = np.where(a != 0, j.weight / a, abs(j.rule.params["w_max"] / a_max)) \
                    * np.exp2(e[g])
            plastic_info[k] = (e[g], m_max, np.abs(lsb), np.where(j.weight < 0, -1, 1))
        saturated += sat
        w_target.append(a)
        w_got.append(m * np.exp2(e[g]))
        if j.pre in resolved.sources:
            snd = n_neurons + source_offset[j.pre] + j.pre_idx
        else:
            snd = layout[j.pre].offset + j.pre_idx
        if inhibitory(j, plan) and plan.split:
            tgt = lay.aux_offset + j.post_idx
        else:
            tgt = lay.offset + j.post_idx
        senders.append(snd)
        targets.append(tgt)
        dl.append(delays[k])
        mants.append(m)
        gexp.append(e[g])
    cat = (lambda xs: np.concatenate(xs).astype(np.int64) if xs else np.zeros(0, np.int64))
    snd, tgt, dly, mant, ex = (cat(x) for x in (senders, targets, dl, mants, gexp))
    order = stable_argsort(snd)
    snd, tgt, dly, mant, ex = snd[order], tgt[order], dly[order], mant[order], ex[order]
    position = np.empty(len(order), np.int64)
    position[order] = np.arange(len(order))
    starts = np.cumsum([0] + [j.n for j in projs])
    plastic = {projs[k].label: PlasticLayout(position[starts[k]:starts[k + 1]], *info)
               for k, info in plastic_info.items()}
    n_senders = n_neurons + n_inputs
    ptr = np.zeros(n_senders + 1, np.int64)
    np.cumsum(np.bincount(snd, minlength=n_senders), out=ptr[1:])
    # exponents are >= 0 here (quantize.weights(allow_negative=False)), so the shift
    # distributes over each group's sum and can be applied per synapse
    weight = mant << (ACT_SHIFT + ex)

    # --- spike sources ------------------------------------------------------------------------
    in_idx, in_st = [], []
    for lab, src in resolved.sources.items():
        in_idx.append(source_offset[lab] + src.indices)
        in_st.append(src.stamps)
    in_idx, in_st = cat(in_idx), cat(in_st)
    o = np.argsort(in_st, kind="stable")
    b_step, b_idx, b_val = [], [], []
    for lab, changes in injected.items():
        lay = layout[lab]
        for step, idx, cur in changes:
            m, e, _ = quantize.bias((lay.plan.drive[idx] + lay.plan.drive_per_na[idx] * cur)
                                    / lay.scale)
            b_step.append(np.full(len(idx), step))
            b_idx.append(lay.offset + idx)
            b_val.append(m << e)
    b_step, b_idx, b_val = cat(b_step), cat(b_idx), cat(b_val)
    ob = np.argsort(b_step, kind="stable")
    program = Program(n_neurons, du, dv, bias, vth, refr, u0, v0, join, n_inputs, ptr, tgt,
                      dly, weight, None, in_idx[o], in_st[o], b_step[ob], b_idx[ob], b_val[ob])
    _native_inputs(program, resolved, source_offset)

    qreport["weights"] = {**quantize.relative_errors(cat_f(w_target), cat_f(w_got)),
                          "saturated": saturated}
    qreport["thresholds"] = quantize.relative_errors(cat_f(all_thr[0]), cat_f(all_thr[1]))
    qreport["bias"] = quantize.relative_errors(cat_f(all_bias[0]), cat_f(all_bias[1]))

    # --- traffic tables for the report ----------------------------------------------------------
    sender_core = np.full(n_senders, -1, np.int64)
    for lab, lay in layout.items():
        sender_core[lay.offset: lay.offset + lay.plan.size] = mapping.core_of[lab]
    f_snd, f_core, f_cnt = [], [], []
    for j, runs in zip(projs, mapping.runs):
        base = n_neurons + source_offset[j.pre] if j.pre in resolved.sources else \
            layout[j.pre].offset
        f_snd.append(base + runs.pre)
        f_core.append(runs.core)
        f_cnt.append(runs.count)
    f_snd, f_core, f_cnt = cat(f_snd), cat(f_core), cat(f_cnt)
    o = stable_argsort(f_snd)
    fptr = np.zeros(n_senders + 1, np.int64)
    np.cumsum(np.bincount(f_snd, minlength=n_senders), out=fptr[1:])
    return Compiled(program, mapping, layout, source_offset, qreport, sender_core,
                    (fptr, f_core[o], f_cnt[o]), (fptr, f_core[o]), plastic)


def _native_inputs(program, resolved, source_offset) -> None:
    """Native Poisson sources: their input axons, lam = rate dt and stamp windows."""
    axon, lam, first, last = [], [], [], []
    for lab, src in resolved.sources.items():
        if not getattr(src, "native", False):
            continue
        axon.append(source_offset[lab] + np.arange(src.size, dtype=np.int64))
        lam.append(np.asarray(src.rate, float) * resolved.dt * 1e-3)
        first.append(np.full(src.size, src.first_step, np.int64))
        last.append(np.full(src.size, src.last_step, np.int64))
    if axon:
        program.native_input, program.native_lam = np.concatenate(axon), np.concatenate(lam)
        program.native_first, program.native_last = np.concatenate(first), np.concatenate(last)
        program.native_seed = int(resolved.seed)


def cat_f(xs) -> np.ndarray:
    return np.concatenate([np.asarray(x, float).ravel() for x in xs]) if xs else np.zeros(0)


def _stat(a) -> dict | float:
    a = np.asarray(a, float)
    if a.size and np.all(a == a.flat[0]):
        return float(a.flat[0])
    return {"min": float(a.min()), "max": float(a.max()), "mean": float(a.mean())} if a.size \
        else 0.0


def _injections(resolved, layout) -> dict:
    """Per target population: (step, neuron indices, total injected nA) at every step where
    the injected current of some neuron changes.  An amplitude switched at stamp s applies
    to the steps ending after s*dt, i.e. from step s on (docs/semantics.md, section 6)."""
    by_target: dict = {}
    for inj in resolved.injections:
        if layout[inj.target].plan.native:
            from hub import HubError

            raise HubError(f"chip: current injection into ChipLIF population {inj.target!r}; "
                           "ChipLIF takes a constant bias (bias_mant, bias_exp) instead")
        by_target.setdefault(inj.target, []).append(inj)
    out = {}
    for lab, injs in by_target.items():
        size = layout[lab].plan.size
        points = np.unique(np.concatenate([np.maximum(i.stamps, 0) for i in injs]))
        changes = []
        for step in points:
            total = np.zeros(size)
            touched = np.zeros(size, bool)
            for i in injs:
                k = np.searchsorted(i.stamps, step, side="right") - 1
                touched[i.indices] = True
                if k >= 0:
                    np.add.at(total, i.indices, i.amplitudes[k])
            idx = np.flatnonzero(touched)
            changes.append((int(step), idx, total[idx]))
        out[lab] = changes
    return out

"""Resolved network -> chip program: discretize, place, quantize, lay out the synapses.

Engine layout: the neurons of all populations in network order (so in core order), then
the auxiliary compartments of split populations; senders are those neurons followed by the
input axons of every spike-source neuron.

:func:`compile_network` runs the phases in order, each a function below: number the
compartments and senders, program the delays and place the neurons on cores, compute the
target value of every weight, collect the current injections, choose each float
population's voltage scale, fill the compartments, quantize and lay out the synapses, then
the source spikes and bias changes the engine replays, and the traffic tables of the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hub.errors import HubError, ResourceError
from hub.sorting import stable_argsort

from . import quantize
from .compartment import ACT_SHIFT, V_MAX
from .discretize import PopulationPlan, initial_u, plan_population
from .mapper import Mapping, MapPopulation, MapProjection, place
from .program import Program
from .spec import LOIHI, ChipSpec


@dataclass
class PopulationLayout:
    plan: PopulationPlan
    offset: int  # first engine neuron
    aux_offset: int | None  # first auxiliary compartment (split populations)
    scale: float | None = None  # mV per unit of v (float models)
    scale_info: dict = field(default_factory=dict)
    #: units of v per step added to the bias: the mean loss of truncating a one-signed u
    #: toward zero each step ("fitted" mapping with truncating decays; else 0)
    truncation: np.ndarray | float = 0.0

    def decode_v(self, raw: np.ndarray, idx: np.ndarray) -> np.ndarray:
        if self.scale is None:
            return raw.astype(float)
        return raw * self.scale + self.plan.v_reset[idx]


@dataclass
class Compiled:
    program: Program
    mapping: Mapping
    layout: dict  # label -> PopulationLayout
    source_offset: dict  # label -> first input axon
    quantization: dict
    sender_core: np.ndarray  # core of each sender (-1: host input)
    #: per sender, what one of its spikes costs the mesh (:func:`_traffic`): messages
    #: (output axons), within-tile messages, E-W and N-S hops and chip crossings
    traffic: dict
    #: plastic projections: label -> PlasticLayout (learning.py)
    plastic: dict = field(default_factory=dict)


@dataclass
class PlasticLayout:
    """Where a plastic projection's synapses are and what their integers mean."""

    position: np.ndarray  # CSR position of each synapse (hub order)
    exponent: np.ndarray  # weight exponent of each synapse
    w_max_mant: np.ndarray  # mantissa of w_max (per synapse, <= 255)
    lsb: np.ndarray  # hub weight of one mantissa step (per synapse)
    sign: np.ndarray  # +1 / -1 (inhibitory current weights)


@dataclass
class _Numbering:
    """Engine indices: neurons ``[0, n_neurons)`` population by population, then the
    ``n_aux`` auxiliary compartments; senders are the neurons, then ``n_inputs`` input
    axons (one per spike-source neuron)."""

    layout: dict  # population label -> PopulationLayout
    source_offset: dict  # source label -> its first input axon
    n_neurons: int
    n_aux: int
    n_inputs: int

    @property
    def n_senders(self) -> int:
        return self.n_neurons + self.n_inputs

    def first_sender(self, label: str) -> int:
        """Sender index of neuron 0 of population or source ``label``."""
        if label in self.source_offset:
            return self.n_neurons + self.source_offset[label]
        return self.layout[label].offset


@dataclass
class _WeightTargets:
    """Per projection (resolved order), per synapse: the weight each synapse should add to
    its compartment, in units of A = u / 64 times the population's voltage scale (mV for
    float models, 1 for ChipLIF), and the core of its target neuron (its synapse group
    within the projection).  Computed per projection and slice on demand (never all at
    once: at scale they would cost 16 bytes per synapse)."""

    projections: list
    fold: list  # per projection: u per unit of weight of each target neuron, in units of A
    mapping: Mapping

    @property
    def n_cores(self) -> int:
        return self.mapping.n_cores

    def value(self, k: int, part=slice(None)) -> np.ndarray:
        proj = self.projections[k]
        return proj.weight[part] * self.fold[k][proj.post_idx[part]]

    def at_w_max(self, k: int, part=slice(None)) -> np.ndarray | None:
        """The value of w_max (with the weight's sign) for a plastic projection, else None."""
        proj = self.projections[k]
        if proj.rule is None:
            return None
        sign = np.where(proj.weight[part] < 0, -1.0, 1.0)
        return sign * proj.rule.params["w_max"] * self.fold[k][proj.post_idx[part]]

    def core(self, k: int, part=slice(None)) -> np.ndarray:
        proj = self.projections[k]
        return self.mapping.core_of[proj.post][proj.post_idx[part]]

    def weight_range(self, k: int, part=slice(None)) -> np.ndarray:
        """The values projection ``k`` can take: w_max for plastic ones (learning moves the
        weights up to it), the weights themselves for static ones."""
        w_max = self.at_w_max(k, part)
        return self.value(k, part) if w_max is None else w_max


@dataclass
class _Compartments:
    """Integer state and parameters of every compartment (program fields) and what their
    rounding cost (thresholds and biases as (target, got) in units of v)."""

    du: np.ndarray  # int64[n_comp]
    dv: np.ndarray  # int64[n_neurons]
    bias: np.ndarray  # int64[n_neurons]
    vth: np.ndarray  # int64[n_neurons]
    refractory: np.ndarray  # int64[n_neurons]
    u0: np.ndarray  # int64[n_comp]
    v0: np.ndarray  # int64[n_neurons]
    join_parent: np.ndarray  # int64[n_aux]
    subtract: np.ndarray  # bool[n_neurons]: a spike subtracts the threshold (LIFSubtract)
    max_spikes: np.ndarray  # int64[n_neurons]: spikes per step at most (1 but spikes=many)
    report: dict  # population label -> quantization report
    thresholds: tuple  # (wanted, effective) threshold per float population
    biases: tuple  # (wanted, programmed) bias per float population


@dataclass
class _Synapses:
    """The synapse CSR over senders and what quantizing the weights cost."""

    ptr: np.ndarray  # int64[n_senders + 1]
    target: np.ndarray  # compartment of each synapse
    delay: np.ndarray  # programmed delay of each synapse
    weight: np.ndarray  # u increment of each synapse (mant << (6 + exp))
    plastic: dict  # projection label -> PlasticLayout
    errors: dict  # relative weight errors and the saturated count


def compile_network(
    resolved,
    chips: int = 1,
    headroom: float = quantize.DEFAULT_HEADROOM,
    spec: ChipSpec = LOIHI,
    *,
    mapping: str = "fitted",
) -> Compiled:
    """Compile ``resolved`` for ``chips`` chips of ``spec``; ``headroom`` is the v range
    kept beyond the threshold distance when scaling float models (quantize.choose_scale),
    ``mapping`` the float-model mapping (discretize.MAPPINGS).
    Raises ResourceError when the network does not fit (delays, cores, axons)."""
    numbering = _number_compartments(resolved, mapping, spec.decay_bits)
    layout = numbering.layout
    delays = _programmed_delays(resolved, layout, spec)
    mapping = _place(resolved, numbering, delays, chips, spec)
    sender_core, traffic = _traffic(numbering, [p.pre for p in resolved.projections], mapping)
    mapping.runs = []  # counted: let them go before the synapses are laid out
    targets = _weight_targets(resolved.projections, layout, mapping)
    injected = _injections(resolved, layout)
    _choose_scales(resolved.projections, layout, targets, injected, headroom, spec)
    compartments = _compartments(resolved, numbering)
    synapses = _synapses(resolved, numbering, delays, targets)
    input_index, input_stamp = _input_spikes(resolved, numbering.source_offset)
    bias_step, bias_index, bias_value = _bias_changes(injected, layout)
    program = Program(
        n_neurons=numbering.n_neurons,
        du=compartments.du,
        dv=compartments.dv,
        bias=compartments.bias,
        vth=compartments.vth,
        refractory=compartments.refractory,
        subtract=compartments.subtract,
        max_spikes=compartments.max_spikes,
        u0=compartments.u0,
        v0=compartments.v0,
        join_parent=compartments.join_parent,
        n_inputs=numbering.n_inputs,
        ptr=synapses.ptr,
        target=synapses.target,
        delay=synapses.delay,
        weight=synapses.weight,
        neg=None,
        input_index=input_index,
        input_stamp=input_stamp,
        bias_step=bias_step,
        bias_index=bias_index,
        bias_value=bias_value,
        decay_shift=spec.decay_bits,
        decay_half=_decay_rounding(numbering, spec),
        **_native_inputs(resolved, numbering.source_offset),
    )
    quantization = {
        "populations": compartments.report,
        "weights": synapses.errors,
        "thresholds": quantize.relative_errors(*map(_concat_float, compartments.thresholds)),
        "bias": quantize.relative_errors(*map(_concat_float, compartments.biases)),
    }
    return Compiled(
        program=program,
        mapping=mapping,
        layout=layout,
        source_offset=numbering.source_offset,
        quantization=quantization,
        sender_core=sender_core,
        traffic=traffic,
        plastic=synapses.plastic,
    )


# --- numbering, programmed delays, placement --------------------------------------------------
def _number_compartments(resolved, mapping: str = "fitted", decay_bits: int = 12) -> _Numbering:
    """Discretize every population (time step ``resolved.dt`` ms) and give its neurons,
    auxiliary compartments and the sources' input axons their engine indices."""
    plans = [
        plan_population(pop, resolved.dt, mapping, decay_bits)
        for pop in resolved.populations.values()
    ]
    layout, n_neurons = {}, 0
    for plan in plans:
        layout[plan.label] = PopulationLayout(plan, n_neurons, None)
        n_neurons += plan.size
    n_aux = 0
    for plan in plans:
        if plan.split:
            layout[plan.label].aux_offset = n_neurons + n_aux
            n_aux += plan.size
    source_offset, n_inputs = {}, 0
    for label, src in resolved.sources.items():
        source_offset[label] = n_inputs
        n_inputs += src.size
    return _Numbering(layout, source_offset, n_neurons, n_aux, n_inputs)


def _programmed_delays(resolved, layout, spec: ChipSpec) -> list:
    """Per projection, the delay each synapse is programmed with (steps, 0..spec.max_delay):
    the hub delay in steps minus the step of synaptic latency, plus the target model's
    offset.  A delay the chip cannot store is a ResourceError naming the longest it can."""
    delays = []
    for proj in resolved.projections:
        offset = layout[proj.post].plan.delay_offset
        programmed = proj.delay_steps - 1 + offset
        if len(programmed) and programmed.max() > spec.max_delay:
            longest = int(programmed.max())
            raise ResourceError(
                f"delay: projection {proj.label!r} needs a programmed delay of {longest} "
                f"steps ({int(proj.delay_steps.max())} steps in the hub) but the chip stores "
                f"at most {spec.max_delay} ({longest - spec.max_delay} too many); shorten "
                f"it to <= {(spec.max_delay + 1 - offset) * resolved.dt:g} ms"
            )
        delays.append(programmed.astype(np.uint8))  # 0..spec.max_delay (62)
    return delays


def _place(resolved, numbering: _Numbering, delays: list, chips: int, spec: ChipSpec) -> Mapping:
    """Neurons onto cores (mapper.place) with the programmed ``delays`` of each projection."""
    populations = [
        MapPopulation(lay.plan.label, lay.plan.size, lay.plan.compartments_per_neuron)
        for lay in numbering.layout.values()
    ]
    projections = [
        MapProjection(
            proj.pre, proj.post, proj.pre_idx, proj.post_idx, delay, proj.pre in resolved.sources
        )
        for proj, delay in zip(resolved.projections, delays)
    ]
    return place(populations, projections, chips, spec)


# --- weights, injections, voltage scales ------------------------------------------------------
def _inhibitory_current(proj, plan: PopulationPlan) -> bool:
    """Whether ``proj`` feeds the inhibitory current of a float model (ChipLIF has one u)."""
    return proj.receptor == "inhibitory" and not plan.native


def _into_aux(proj, plan: PopulationPlan) -> bool:
    """Whether ``proj`` targets the auxiliary compartment of a split population."""
    return _inhibitory_current(proj, plan) and plan.split


def _weight_targets(projections, layout, mapping: Mapping) -> _WeightTargets:
    """The target value of every weight, before the voltage scale: the hub weight (nA, or
    ChipLIF units) times the u it adds per unit of weight (plan.fold_*, mV per nA), in
    units of A = u / 64."""
    one = 1 << ACT_SHIFT
    fold = []
    for proj in projections:
        plan = layout[proj.post].plan
        if plan.native:
            fold.append(np.ones(plan.size))
        else:
            per_nA = plan.fold_inh if _inhibitory_current(proj, plan) else plan.fold_exc
            fold.append(per_nA / one)
    return _WeightTargets(list(projections), fold, mapping)


def _choose_scales(
    projections, layout, targets: _WeightTargets, injected: dict, headroom: float, spec: ChipSpec
) -> None:
    """Set ``scale`` (mV per unit of v) and ``scale_info`` of every float population's
    layout: the largest scale that keeps v, u, bias and weights in range, searched for the
    best-rounding weights (quantize.choose_scale).  ``injected`` is _injections' output."""
    for label, lay in layout.items():
        plan = lay.plan
        if plan.native:
            continue
        incoming = []
        same_sign_sums = np.zeros((2, 2, plan.size))  # [aux compartment?][+, -]
        rng = np.random.default_rng(0)  # quantize.choose_scale's sample of each projection
        for k, proj in enumerate(projections):
            if proj.post != label:
                continue
            weights = targets.weight_range(k)
            incoming.append(
                quantize.summarize_incoming(weights, targets.core(k), targets.n_cores, rng)
            )
            row = 1 if _into_aux(proj, plan) else 0
            for col, part in enumerate((np.maximum(weights, 0), np.minimum(weights, 0))):
                _add_at(same_sign_sums[row, col], proj.post_idx, part)
            del weights
        u_sum = float(np.abs(same_sign_sums).max()) * (1 << ACT_SHIFT) if plan.size else 0.0
        if plan.fitted and not spec.decay_round_nearest:
            lay.truncation = _truncation_compensation(plan, same_sign_sums)
        drive_max = max(
            [float(np.abs(plan.drive).max())]
            + [
                float(np.abs(plan.drive_with(idx, current)).max())
                for _, idx, current in injected.get(label, [])
                if len(idx)
            ]
        )
        lay.scale, _, lay.scale_info = quantize.choose_scale(
            float(plan.span.max()), drive_max, incoming, u_sum, headroom, spec
        )


def _decay_rounding(numbering: _Numbering, spec: ChipSpec) -> np.ndarray:
    """Per compartment, what its decay adds before the shift: 2^(bits-1) (round to nearest)
    for float models on a chip that rounds, else 0 (truncation; ChipLIF always truncates,
    which keeps it bit-identical in every mode)."""
    half = np.zeros(numbering.n_neurons + numbering.n_aux, np.int64)
    if not spec.decay_round_nearest:
        return half
    for lay in numbering.layout.values():
        if lay.plan.native:
            continue
        half[lay.offset : lay.offset + lay.plan.size] = 1 << (spec.decay_bits - 1)
        if lay.plan.split:
            half[lay.aux_offset : lay.aux_offset + lay.plan.size] = 1 << (spec.decay_bits - 1)
    return half


def _truncation_compensation(plan: PopulationPlan, same_sign_sums: np.ndarray) -> np.ndarray:
    """Units of v per step that offset, on average, the truncation toward zero of a u that
    receives inputs of one sign only: each step ``(|u| (one - DU)) >> 12`` loses half a unit
    on average, which lowers |u| by ``0.5 one/DU`` units in the steady state, and v (which
    adds u every step) by as much per step.  A compartment fed both signs gets nothing (its
    losses average out), and so does one that holds only this step's input (DU = one)."""
    out = np.zeros(plan.size)
    rows = [(0, plan.du)] + ([(1, plan.du_aux)] if plan.split else [])
    for row, du in rows:
        pos, neg = same_sign_sums[row, 0] > 0, same_sign_sums[row, 1] < 0
        sign = np.where(pos & ~neg, 1.0, np.where(neg & ~pos, -1.0, 0.0))
        decays = (du > 0) & (du < plan.decay_one)
        out += np.where(decays, sign * 0.5 * plan.decay_one / np.maximum(du, 1), 0.0)
    return out


# --- compartments -----------------------------------------------------------------------------
def _compartments(resolved, numbering: _Numbering) -> _Compartments:
    """Decays, biases, thresholds, refractory periods and initial u, v of every
    compartment, in the chip's integers (v in units of the population's scale), and the
    auxiliary compartments' parents.  Float populations need their scale chosen."""
    n_neurons, n_aux = numbering.n_neurons, numbering.n_aux
    n_comp = n_neurons + n_aux
    out = _Compartments(
        du=np.zeros(n_comp, np.int64),
        u0=np.zeros(n_comp, np.int64),
        **{
            name: np.zeros(n_neurons, np.int64)
            for name in ("dv", "bias", "vth", "refractory", "v0")
        },
        join_parent=np.zeros(n_aux, np.int64),
        subtract=np.zeros(n_neurons, bool),
        max_spikes=np.ones(n_neurons, np.int64),
        report={},
        thresholds=([], []),
        biases=([], []),
    )
    for label, lay in numbering.layout.items():
        plan, pop = lay.plan, resolved.populations[label]
        neurons = slice(lay.offset, lay.offset + plan.size)
        out.du[neurons], out.dv[neurons], out.refractory[neurons] = (
            plan.du,
            plan.dv,
            plan.refractory,
        )
        out.subtract[neurons] = plan.subtract
        out.max_spikes[neurons] = plan.spike_cap
        if plan.split:
            out.du[lay.aux_offset : lay.aux_offset + plan.size] = plan.du_aux
            first = lay.aux_offset - n_neurons
            out.join_parent[first : first + plan.size] = np.arange(
                lay.offset, lay.offset + plan.size
            )
        if plan.native:
            out.bias[neurons], out.vth[neurons] = plan.bias, plan.vth_mant << 6
            out.u0[neurons] = np.rint(pop.initial["u"]).astype(np.int64)
            out.v0[neurons] = np.clip(np.rint(pop.initial["v"]), -V_MAX, V_MAX).astype(np.int64)
            out.report[label] = {"kind": plan.kind, "exact": True}
            continue
        out.report[label] = _float_compartments(out, lay, pop, neurons)
    return out


def _float_compartments(out: _Compartments, lay: PopulationLayout, pop, neurons: slice) -> dict:
    """Fill the ``neurons`` of float population ``pop`` into ``out`` at its voltage scale
    (threshold, bias, initial v and u) and return its quantization report."""
    plan, scale = lay.plan, lay.scale
    theta = plan.span / scale
    vth_mant = quantize.threshold(theta)
    out.vth[neurons] = vth_mant << 6
    wanted_bias = plan.drive / scale + lay.truncation
    bias_mant, bias_exp, bias_saturated = quantize.bias(wanted_bias)
    out.bias[neurons] = bias_mant << bias_exp
    out.thresholds[0].append(theta)
    out.thresholds[1].append(quantize.effective_threshold(vth_mant))
    out.biases[0].append(wanted_bias)
    out.biases[1].append(out.bias[neurons])
    out.v0[neurons] = np.clip(np.rint((pop.initial["v"] - plan.v_reset) / scale), -V_MAX, V_MAX)
    if plan.kind.endswith("exp]"):
        isyn_exc, isyn_inh = pop.initial.get("isyn_exc", 0.0), pop.initial.get("isyn_inh", 0.0)
        one = plan.decay_one
        u_exc = initial_u(isyn_exc, plan.fold_exc, plan.du, one) / scale
        du_inh = plan.du if not plan.split else plan.du_aux
        u_inh = initial_u(isyn_inh, plan.fold_inh, du_inh, one) / scale
        if plan.split:
            out.u0[neurons] = np.rint(u_exc)
            out.u0[lay.aux_offset : lay.aux_offset + plan.size] = np.rint(u_inh)
        else:
            out.u0[neurons] = np.rint(u_exc + u_inh)
    tau = {
        name: {
            "requested_ms": _summarize(requested),
            "effective_ms": _summarize(effective),
            "max_rel_error": float(np.max(np.abs(effective - requested) / requested))
            if np.all(np.isfinite(effective))
            else None,
        }
        for name, (requested, effective) in plan.tau.items()
    }
    return {
        "kind": plan.kind,
        "scale_mV": scale,
        "split_inhibitory_compartment": plan.split,
        "du": _summarize(plan.du),
        "dv": _summarize(plan.dv),
        "time_constants": tau,
        "scale_choice": lay.scale_info,
        "bias_saturated": bias_saturated,
    }


# --- synapses ---------------------------------------------------------------------------------
#: synapses quantized and laid out per slice (bounds the temporaries: ~60 bytes per slot)
SLICE = 1 << 20


def _synapses(resolved, numbering: _Numbering, delays: list, targets: _WeightTargets) -> _Synapses:
    """Quantize every weight (8-bit mantissa, one exponent per projection x core) and lay
    the synapses out as a CSR over senders, in (sender, projection, hub order) order;
    plastic projections keep where their synapses went and what one mantissa step is worth
    in hub units.

    One pass per projection, a slice at a time, writing each synapse straight to its CSR
    slot (a counting sort): the layout costs the program's 9 bytes per synapse (int32
    target and weight, uint8 delay) and no sort of all synapses."""
    projections, layout = resolved.projections, numbering.layout
    n_comp = numbering.n_neurons + numbering.n_aux
    writer = _CsrWriter(
        [(numbering.first_sender(p.pre), p.pre_idx) for p in projections], numbering.n_senders
    )
    nnz = writer.nnz
    target = np.empty(nnz, _index_dtype(n_comp))
    delay = np.empty(nnz, np.uint8)
    # mantissa (<= 255) << (6 + exponent (<= 7)) < 2^21
    weight = np.empty(nnz, np.int32)
    errors, saturated, plastic = quantize.RelativeErrors(), 0, {}
    for k, proj in enumerate(projections):
        lay = layout[proj.post]
        scale = 1.0 if lay.plan.native else lay.scale
        group_exp = _group_exponents(targets, k, scale)
        first_target = lay.aux_offset if _into_aux(proj, lay.plan) else lay.offset
        rule = proj.rule
        parts = None
        if rule is not None:
            parts = {
                name: np.empty(proj.n, dt)
                for name, dt in (
                    ("position", np.int64),
                    ("exponent", np.int64),
                    ("w_max_mant", np.int64),
                    ("lsb", float),
                    ("sign", np.int64),
                )
            }
        group_step, group_shift = np.exp2(group_exp), ACT_SHIFT + group_exp
        for part, slots in writer.slices(k):
            in_a = targets.value(k, part) / scale
            core = targets.core(k, part)
            step = group_step[core]
            mant, sat = quantize.mantissas(in_a, step)
            saturated += sat
            errors.add(in_a, mant * step)
            target[slots] = first_target + proj.post_idx[part]
            delay[slots] = delays[k][part]
            # exponents are >= 0 here (allow_negative=False), so the shift distributes
            # over each group's sum and can be applied per synapse
            weight[slots] = mant << group_shift[core]
            if parts is not None:
                w_max_a = targets.at_w_max(k, part) / scale
                w_max_mant, sat = quantize.mantissas(w_max_a, step)
                saturated += sat
                with np.errstate(divide="ignore", invalid="ignore"):
                    lsb = (
                        np.where(
                            in_a != 0, proj.weight[part] / in_a, abs(rule.params["w_max"] / w_max_a)
                        )
                        * step
                    )
                parts["position"][part] = slots
                parts["exponent"][part] = group_exp[core]
                parts["w_max_mant"][part] = np.abs(w_max_mant)
                parts["lsb"][part] = np.abs(lsb)
                parts["sign"][part] = np.where(proj.weight[part] < 0, -1, 1)
        if parts is not None:
            plastic[proj.label] = PlasticLayout(**parts)
    return _Synapses(
        ptr=writer.ptr,
        target=target,
        delay=delay,
        weight=weight,
        plastic=plastic,
        errors={**errors.result(), "saturated": saturated},
    )


def _group_exponents(targets: _WeightTargets, k: int, scale: float) -> np.ndarray:
    """The weight exponent of every synapse group (core) of projection ``k`` at voltage
    ``scale``: from the largest weight of the group, or of w_max for a plastic projection
    (learning moves the weights up to it); never negative (quantize.weights)."""
    gmax = np.zeros(targets.n_cores)
    n = targets.projections[k].n
    for lo in range(0, n, SLICE):
        part = slice(lo, min(n, lo + SLICE))
        core = targets.core(k, part)
        np.maximum.at(gmax, core, np.abs(targets.value(k, part) / scale))
        w_max = targets.at_w_max(k, part)
        if w_max is not None:
            np.maximum.at(gmax, core, np.abs(w_max / scale))
    return quantize.group_exponents(gmax, allow_negative=False)


class _CsrWriter:
    """Slots of a CSR over ``n_rows`` rows filled part by part: part ``k`` is
    ``(first row, row offset of each entry)``; entries go to their row in part order, and
    within a part in their own order (a stable counting sort of all entries by row)."""

    def __init__(self, parts: list, n_rows: int):
        self.parts = parts
        counts = np.zeros(n_rows, np.int64)
        for first, rows in parts:
            if len(rows):
                c = np.bincount(rows)
                counts[first : first + len(c)] += c
        self.ptr = np.zeros(n_rows + 1, np.int64)
        np.cumsum(counts, out=self.ptr[1:])
        self.cursor = self.ptr[:-1].copy()

    @property
    def nnz(self) -> int:
        return int(self.ptr[-1])

    def slices(self, k: int):
        """``(part, slots)`` per slice of part ``k``: ``part`` indexes its entries (a slice,
        or an index array where the rows are not sorted), ``slots`` their CSR positions."""
        first, rows = self.parts[k]
        n = len(rows)
        order = None if n < 2 or bool((rows[1:] >= rows[:-1]).all()) else stable_argsort(rows)
        for lo in range(0, n, SLICE):
            hi = min(n, lo + SLICE)
            part = slice(lo, hi) if order is None else order[lo:hi]
            r = first + rows[part]  # sorted
            new = np.ones(len(r), bool)
            new[1:] = r[1:] != r[:-1]
            starts = np.flatnonzero(new)
            runs = np.diff(np.append(starts, len(r)))
            head = r[starts]
            slots = self.cursor[head].repeat(runs) + (np.arange(len(r)) - starts.repeat(runs))
            self.cursor[head] += runs
            yield part, slots


def _index_dtype(n: int):
    """int32 for indices below 2^31, else int64."""
    return np.int32 if n < 2**31 else np.int64


# --- spike sources, bias changes ---------------------------------------------------------------
def _input_spikes(resolved, source_offset: dict) -> tuple:
    """(input axon, stamp) of every source spike, sorted by stamp (stably)."""
    axon = _concat_int(
        [source_offset[label] + src.indices for label, src in resolved.sources.items()]
    )
    stamp = _concat_int([src.stamps for src in resolved.sources.values()])
    order = np.argsort(stamp, kind="stable")
    return axon[order], stamp[order]


def _bias_changes(injected: dict, layout: dict) -> tuple:
    """(step, neuron, bias) of every bias change the injections cause, sorted by step
    (stably): from that step on the neuron's bias (units of v per step) is that value."""
    steps, neurons, values = [], [], []
    for label, changes in injected.items():
        lay = layout[label]
        for step, idx, current in changes:
            mant, exp, _ = quantize.bias(lay.plan.drive_with(idx, current) / lay.scale)
            steps.append(np.full(len(idx), step))
            neurons.append(lay.offset + idx)
            values.append(mant << exp)
    steps, neurons, values = _concat_int(steps), _concat_int(neurons), _concat_int(values)
    order = np.argsort(steps, kind="stable")
    return steps[order], neurons[order], values[order]


def _native_inputs(resolved, source_offset: dict) -> dict:
    """Program fields of the native Poisson sources: their input axons, lam = rate dt,
    stamp windows and the seed of their counts (none: no fields, the Program defaults)."""
    axon, lam, first, last = [], [], [], []
    for label, src in resolved.sources.items():
        if not getattr(src, "native", False):
            continue
        axon.append(source_offset[label] + np.arange(src.size, dtype=np.int64))
        lam.append(np.asarray(src.rate, float) * resolved.dt * 1e-3)
        first.append(np.full(src.size, src.first_step, np.int64))
        last.append(np.full(src.size, src.last_step, np.int64))
    if not axon:
        return {}
    return {
        "native_input": np.concatenate(axon),
        "native_lam": np.concatenate(lam),
        "native_first": np.concatenate(first),
        "native_last": np.concatenate(last),
        "native_seed": int(resolved.seed),
    }


def _injections(resolved, layout) -> dict:
    """Per target population: (step, neuron indices, total injected nA) at every step where
    the injected current of some neuron changes.  An amplitude switched at stamp s applies
    to the steps ending after s*dt, i.e. from step s on (docs/semantics.md, section 6)."""
    by_target: dict = {}
    for inj in resolved.injections:
        if layout[inj.target].plan.native:
            raise HubError(
                f"chip: current injection into ChipLIF population {inj.target!r}; "
                "ChipLIF takes a constant bias (bias_mant, bias_exp) instead"
            )
        by_target.setdefault(inj.target, []).append(inj)
    out = {}
    for label, injs in by_target.items():
        size = layout[label].plan.size
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
        out[label] = changes
    return out


# --- traffic tables for the report --------------------------------------------------------------
def _traffic(numbering: _Numbering, pre_labels: list, mapping: Mapping) -> tuple:
    """(sender_core, traffic): the core of each sender (-1: an input axon fed by the host)
    and, per sender, what one spike of it costs the mesh, summed over its output axons (one
    per projection and destination core: mapping.runs, projection by projection, whose
    presynaptic population is ``pre_labels[k]``): ``messages``, ``within_tile``
    (messages that stay in the sender's tile), ``hops_ew``, ``hops_ns`` and
    ``chip_crossings``.  A host input is placed at core 0's position.  Runs are taken a
    slice at a time."""
    n_senders = numbering.n_senders
    sender_core = np.full(n_senders, -1, np.int64)
    for label, lay in numbering.layout.items():
        sender_core[lay.offset : lay.offset + lay.plan.size] = mapping.core_of[label]
    chip, tile, x, y = mapping.position(np.arange(mapping.n_cores))
    names = ("messages", "within_tile", "hops_ew", "hops_ns", "chip_crossings")
    traffic = {name: np.zeros(n_senders) for name in names}
    for label, runs in zip(pre_labels, mapping.runs):
        first = numbering.first_sender(label)
        for lo in range(0, len(runs.pre), SLICE):
            sender = first + runs.pre[lo : lo + SLICE]
            dest = runs.core[lo : lo + SLICE]
            here = np.maximum(sender_core[sender], 0)
            parts = {
                "messages": None,
                "within_tile": (tile[here] == tile[dest]) & (chip[here] == chip[dest]),
                "hops_ew": np.abs(x[here] - x[dest]),
                "hops_ns": np.abs(y[here] - y[dest]),
                "chip_crossings": np.abs(chip[here] - chip[dest]),
            }
            for name, value in parts.items():
                traffic[name] += np.bincount(sender, weights=value, minlength=n_senders)
    return sender_core, traffic


# --- helpers ------------------------------------------------------------------------------------
def _add_at(acc: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
    """``np.add.at(acc, index, values)``: into zeros as one bincount (which adds in array
    order too, so the sums are the same, and is ten times faster)."""
    if not acc.any():
        acc += np.bincount(index, values, minlength=len(acc))
    else:
        np.add.at(acc, index, values)


def _concat_int(parts) -> np.ndarray:
    """The arrays ``parts`` end to end as int64 (empty if there are none)."""
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def _concat_float(parts) -> np.ndarray:
    """The arrays ``parts``, flattened, end to end as float (empty if there are none)."""
    return np.concatenate([np.asarray(x, float).ravel() for x in parts]) if parts else np.zeros(0)


def _summarize(values) -> dict | float:
    """One number if all ``values`` are equal, else their min, max and mean (0.0: none)."""
    values = np.asarray(values, float)
    if values.size and np.all(values == values.flat[0]):
        return float(values.flat[0])
    return (
        {"min": float(values.min()), "max": float(values.max()), "mean": float(values.mean())}
        if values.size
        else 0.0
    )

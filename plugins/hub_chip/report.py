"""The per-run report: resources, activity counts, energy and estimated chip time.

Counts come from the run itself: synaptic ops are the synapse activations the engine
delivered; messages are one per (spike, output axon), i.e. per destination core of each
projection; hops are the Manhattan distance between the source and destination tiles in a
mesh of 8 x 4 tiles per chip, chips side by side east-west (spike sources enter at tile 0
of chip 0).  A compartment update is *active* when its u or v is nonzero after the step.

Estimated time of a step: the slowest core (its synaptic ops, and its compartments' active
and inactive updates at their mean rate) plus the barrier synchronisation of the tiles in
use.  Static energy is the static power of the cores in use over that estimated time.
"""

from __future__ import annotations

import numpy as np

from .energy import EnergyProfile
from .engine import gather_rows


def compartment_cores(compiled) -> np.ndarray:
    """The core of every compartment (an auxiliary one sits with its neuron)."""
    p = compiled.program
    comp_core = np.empty(p.n_comp, np.int64)
    comp_core[: p.n_neurons] = compiled.sender_core[: p.n_neurons]
    comp_core[p.n_neurons :] = compiled.sender_core[p.join_parent]
    return comp_core


def build_report(compiled, out, profile: EnergyProfile, duration_ms: float) -> dict:
    p, m = compiled.program, compiled.mapping
    steps = max(out.steps, 1)
    n, c = p.n_neurons, p.n_comp
    # --- spikes per sender --------------------------------------------------------------------
    spikes_per_sender = np.zeros(p.n_senders)
    spikes_per_sender[:n] = np.bincount(out.spike_neurons, minlength=n)
    sel = (p.input_stamp >= 1) & (p.input_stamp <= out.steps)
    spikes_per_sender[n:] = np.bincount(p.input_index[sel], minlength=p.n_inputs)
    native = getattr(out, "native_counts", None)
    if native is not None and len(native):  # native Poisson axons: drawn by the engine
        np.add.at(spikes_per_sender, n + p.native_input, native)
    totals = {k: float(spikes_per_sender @ v) for k, v in compiled.traffic.items()}
    active = int(out.active_updates.sum())
    updates = c * out.steps
    counts = {
        "steps": out.steps,
        "spikes": int(len(out.spike_neurons)),
        "input_spikes": int(out.input_spikes),
        "synaptic_ops": int(out.synaptic_events),
        "neuron_updates_active": active,
        "neuron_updates_inactive": updates - active,
        "messages": int(totals["messages"]),
        "messages_within_tile": int(totals["within_tile"]),
        "hops_ew": int(totals["hops_ew"]),
        "hops_ns": int(totals["hops_ns"]),
        "chip_crossings": int(totals["chip_crossings"]),
        "learning_updates": 0,
        "u_wraps": int(out.u_wraps),
        "v_clips": int(out.v_clips),
    }
    # --- time per step ------------------------------------------------------------------------
    comp_core = compartment_cores(compiled)
    n_cores = m.n_cores
    act_core = np.bincount(comp_core, weights=out.active_updates, minlength=n_cores) / steps
    comps_core = np.bincount(comp_core, minlength=n_cores)
    t_neuron = (
        act_core * profile.neuron_active_s + (comps_core - act_core) * profile.neuron_inactive_s
    )
    t_step = _step_times(compiled, out, profile, t_neuron, comp_core)
    _, tiles, _, _ = m.position(np.arange(n_cores))
    chips_used = int(m.position(np.arange(n_cores))[0].max()) + 1 if n_cores else 0
    n_tiles = len(np.unique(np.stack(m.position(np.arange(n_cores))[:2]), axis=1)) if n_cores else 0
    t_step = t_step + profile.barrier(n_tiles)
    chip_time = float(t_step.sum())
    # --- energy -------------------------------------------------------------------------------
    e_syn = counts["synaptic_ops"] * profile.synaptic_op_J
    e_neuron = active * profile.neuron_active_J + (updates - active) * profile.neuron_inactive_J
    e_net = (
        totals["within_tile"] * profile.spike_within_tile_J
        + totals["hops_ew"] * profile.hop_ew_J
        + totals["hops_ns"] * profile.hop_ns_J
    )
    e_static = profile.static_W_per_core * n_cores * chip_time
    e_learn = 0.0
    total = e_syn + e_neuron + e_net + e_static + e_learn
    return {
        "chip": m.spec.name,
        "profile": profile.name,
        "profile_source": profile.source,
        "chips_configured": m.chips,
        "chips_used": chips_used,
        "cores_used": n_cores,
        "tiles_used": n_tiles,
        "compartments": int(c),
        "neurons": int(n),
        "synapses": int(len(p.target)),
        "mapping_iterations": m.iterations,
        "utilisation": m.utilisation(),
        "quantization": compiled.quantization,
        "counts": counts,
        "energy_J": {
            "synapse": e_syn,
            "neuron": e_neuron,
            "network": e_net,
            "static": e_static,
            "learning": e_learn,
            "total": total,
        },
        "energy_per_step_J": total / steps,
        "energy_per_synaptic_op_J": total / counts["synaptic_ops"]
        if counts["synaptic_ops"]
        else None,
        "time": {
            "per_step_mean_s": chip_time / steps,
            "per_step_max_s": float(t_step.max()) if len(t_step) else 0.0,
            "total_s": chip_time,
            "realtime_factor": (duration_ms * 1e-3) / chip_time if chip_time else None,
            "static_if_realtime_J": profile.static_W_per_core * n_cores * duration_ms * 1e-3,
        },
    }


def _step_times(compiled, out, profile, t_neuron, comp_core) -> np.ndarray:
    """Per step: max over cores of (synaptic ops x op time + compartment updates); a
    spike's synaptic ops on a core are its synapses onto that core's compartments
    (``comp_core``)."""
    from .fast import HAVE_NUMBA, step_times

    p = compiled.program
    steps, n_cores = out.steps, compiled.mapping.n_cores
    native = getattr(out, "native_counts", None)
    if native is not None and len(native) and steps:
        # native Poisson input is not kept per step: its synaptic ops are spread evenly
        # over the steps (their mean per core), added to every step's compartment time
        snd = p.n_neurons + p.native_input
        rows = gather_rows(p.ptr, snd)
        per = np.repeat(native, np.diff(p.ptr)[snd])
        ops = np.bincount(comp_core[p.target[rows]], weights=per, minlength=n_cores)
        t_neuron = t_neuron + ops / steps * profile.synaptic_op_s
    sel = (p.input_stamp >= 1) & (p.input_stamp <= steps)
    if HAVE_NUMBA:
        return step_times(
            out.spike_steps,
            out.spike_neurons,
            p.input_stamp[sel] - 1,
            p.n_neurons + p.input_index[sel],
            p.ptr,
            p.target,
            comp_core,
            steps,
            t_neuron.astype(float),
            float(profile.synaptic_op_s),
        )
    ev_step = np.concatenate([out.spike_steps, p.input_stamp[sel] - 1])
    ev_sender = np.concatenate([out.spike_neurons, p.n_neurons + p.input_index[sel]])
    order = np.argsort(ev_step, kind="stable")
    ev_step, ev_sender = ev_step[order], ev_sender[order]
    result = np.empty(steps)
    chunk = max(1, int(2e7 // max(n_cores, 1)))
    base = float(t_neuron.max()) if len(t_neuron) else 0.0
    for s0 in range(0, steps, chunk):
        s1 = min(steps, s0 + chunk)
        lo, hi = np.searchsorted(ev_step, [s0, s1])
        rows = ev_sender[lo:hi]
        idx = gather_rows(p.ptr, rows)
        if not len(idx):
            result[s0:s1] = base
            continue
        step_of = np.repeat(ev_step[lo:hi] - s0, np.diff(p.ptr)[rows])
        ops = np.bincount(
            step_of * n_cores + comp_core[p.target[idx]], minlength=(s1 - s0) * n_cores
        ).reshape(s1 - s0, n_cores)
        result[s0:s1] = (ops * profile.synaptic_op_s + t_neuron[None, :]).max(axis=1)
    return result

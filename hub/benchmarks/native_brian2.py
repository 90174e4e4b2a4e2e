"""Hand-written Brian2 scripts for the benchmark networks: what a Brian2 user writes.

Each function builds one benchmark network with plain Brian2 (equations written out, one
``Synapses`` per presynaptic population as in Brian2's ``examples/CUBA.py``), from the same
connectivity arrays and initial values the hub drew (``r``), runs it and returns spike
counts per neuron.  ``target`` is Brian2's code generation target for runtime mode
(``"numpy"`` or ``"cython"``), or ``"cpp_standalone"`` (the whole simulation compiled to one
C++ program in ``directory``).

Returns ``{"build_s", "run_s", "results_s", "counts", "codegen_s"}``.  Runtime mode:
``build_s`` creates the objects and connects them, ``run_s`` is ``Network.run`` (which
includes Brian2's code generation, as on the hub path).  Standalone: ``build_s`` includes
writing and compiling the project (``codegen_s``), ``run_s`` is the compiled program's own
simulation time (``device._last_run_time``).
"""

from __future__ import annotations

import math
import time

import numpy as np


def _brian2(target, directory):
    import brian2 as b2

    b2.prefs.codegen.loop_invariant_optimisations = True
    if target == "cpp_standalone":  # one fresh worker process per measurement
        b2.set_device("cpp_standalone", build_on_run=False)
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
    else:
        b2.prefs.codegen.target = target
    b2.start_scope()
    return b2


def _neurons(b2, r, eqs, threshold, reset, refractory, method, namespace, initial):
    """One NeuronGroup for all hub populations, a subgroup per population."""
    sizes = {label: pop.size for label, pop in r.populations.items()}
    group = b2.NeuronGroup(
        sum(sizes.values()),
        eqs,
        threshold=threshold,
        reset=reset,
        refractory=refractory,
        method=method,
        namespace=namespace,
    )
    subgroups, start = {}, 0
    for label, size in sizes.items():
        subgroups[label] = group[start : start + size]
        start += size
    for var, (name, unit) in initial.items():
        setattr(
            group, var, np.concatenate([pop.initial[name] for pop in r.populations.values()]) * unit
        )
    return group, subgroups


def _synapses(b2, r, group, subgroups, on_pre, weight_unit, namespace=None):
    """One Synapses per presynaptic population and receptor; targets indexed in ``group``."""
    offsets, start = {}, 0
    for label, pop in r.populations.items():
        offsets[label] = start
        start += pop.size
    parts = {}
    for p in r.projections:
        if p.pre in subgroups and p.n:
            parts.setdefault((p.pre, p.receptor), []).append(p)
    out = []
    for (pre, receptor), projs in parts.items():
        syn = b2.Synapses(
            subgroups[pre],
            group,
            "w : " + weight_unit,
            on_pre=on_pre[receptor],
            namespace=dict(namespace or {}),
        )
        syn.connect(
            i=np.concatenate([p.pre_idx for p in projs]),
            j=np.concatenate([p.post_idx + offsets[p.post] for p in projs]),
        )
        scale = b2.nA if weight_unit == "amp" else b2.uS
        syn.w = np.concatenate([p.weight for p in projs]) * scale
        delays = np.concatenate([p.delay_steps for p in projs]) * r.dt
        syn.delay = (delays[0] if (delays == delays[0]).all() else delays) * b2.ms
        out.append(syn)
    return out


def _run(b2, r, objects, group, subgroups, target, t0, directory=None):
    monitor = b2.SpikeMonitor(group)
    net = b2.Network(*objects, monitor)
    t1 = time.perf_counter()
    duration = r.steps * r.dt * b2.ms
    out = {}
    if target == "cpp_standalone":
        net.run(duration)
        b2.device.build(directory=directory, run=True, compile=True, clean=False)
        t2 = time.perf_counter()
        out["codegen_s"] = t2 - t1 - float(b2.device._last_run_time)
        build_s, run_s = t2 - t0 - float(b2.device._last_run_time), float(b2.device._last_run_time)
    else:
        net.run(duration)
        t2 = time.perf_counter()
        build_s, run_s = t1 - t0, t2 - t1
    idx = np.asarray(monitor.i[:], np.int64)
    counts, start = {}, 0
    for label, sub in subgroups.items():
        sel = idx[(idx >= start) & (idx < start + len(sub))] - start
        counts[label] = np.bincount(sel, minlength=len(sub))
        start += len(sub)
    out.update(build_s=build_s, run_s=run_s, results_s=time.perf_counter() - t2, counts=counts)
    return out


def cuba(r, target="numpy", directory=None):
    """Brette et al. 2007 benchmark 2 with current-based exponential synapses (pA into
    200 pF), exact integration."""
    t0 = time.perf_counter()
    b2 = _brian2(target, directory)
    ns = {
        "C_m": 200 * b2.pF,
        "tau_m": 20 * b2.ms,
        "E_L": -49 * b2.mV,
        "V_th": -50 * b2.mV,
        "V_reset": -60 * b2.mV,
        "tau_e": 5 * b2.ms,
        "tau_i": 10 * b2.ms,
    }
    eqs = """dv/dt = (E_L - v)/tau_m + (I_e + I_i)/C_m : volt (unless refractory)
             dI_e/dt = -I_e/tau_e : amp
             dI_i/dt = -I_i/tau_i : amp"""
    b2.defaultclock.dt = r.dt * b2.ms
    group, subs = _neurons(
        b2, r, eqs, "v >= V_th", "v = V_reset", 5 * b2.ms, "exact", ns, {"v": ("v", b2.mV)}
    )
    syns = _synapses(
        b2, r, group, subs, {"excitatory": "I_e += w", "inhibitory": "I_i += w"}, "amp"
    )
    return _run(b2, r, [group, *syns], group, subs, target, t0, directory)


def coba(r, target="numpy", directory=None):
    """Brette et al. 2007 benchmark 1 with conductance-based exponential synapses (6 nS,
    67 nS), classical Runge-Kutta as the hub's Brian2 backend."""
    t0 = time.perf_counter()
    b2 = _brian2(target, directory)
    ns = {
        "C_m": 200 * b2.pF,
        "g_L": 10 * b2.nS,
        "E_L": -60 * b2.mV,
        "E_e": 0 * b2.mV,
        "E_i": -80 * b2.mV,
        "V_th": -50 * b2.mV,
        "V_reset": -60 * b2.mV,
        "tau_e": 5 * b2.ms,
        "tau_i": 10 * b2.ms,
    }
    eqs = """dv/dt = (g_L*(E_L - v) + g_e*(E_e - v) + g_i*(E_i - v))/C_m : volt (unless refractory)
             dg_e/dt = -g_e/tau_e : siemens
             dg_i/dt = -g_i/tau_i : siemens"""
    b2.defaultclock.dt = r.dt * b2.ms
    group, subs = _neurons(
        b2,
        r,
        eqs,
        "v >= V_th",
        "v = V_reset",
        5 * b2.ms,
        "rk4",
        ns,
        {"v": ("v", b2.mV), "g_e": ("gsyn_exc", b2.uS), "g_i": ("gsyn_inh", b2.uS)},
    )
    syns = _synapses(
        b2, r, group, subs, {"excitatory": "g_e += w", "inhibitory": "g_i += w"}, "siemens"
    )
    return _run(b2, r, [group, *syns], group, subs, target, t0, directory)


def brunel(r, target="numpy", directory=None):
    """Brunel 2000 model A (alpha PSCs, or the exp variant) with exact integration and a
    ``PoissonInput`` per neuron at nu_ext, as Brian2's Brunel examples."""
    t0 = time.perf_counter()
    b2 = _brian2(target, directory)
    synapse = r.populations["exc"].model.synapse
    tau_s = 0.5 * b2.ms
    ns = {
        "C_m": 250 * b2.pF,
        "tau_m": 20 * b2.ms,
        "tau_s": tau_s,
        "V_th": 20 * b2.mV,
        "V_reset": 0 * b2.mV,
    }
    if synapse == "alpha":
        eqs = """dv/dt = -v/tau_m + I/C_m : volt (unless refractory)
                 dI/dt = -I/tau_s + y : amp
                 dy/dt = -y/tau_s : amp/second"""
        var, factor = "y", math.e / tau_s  # PSC w e t/tau exp(-t/tau): peak w
        on_pre = "y += w * psc_factor"
    else:
        eqs = """dv/dt = -v/tau_m + I/C_m : volt (unless refractory)
                 dI/dt = -I/tau_s : amp"""
        var, factor, on_pre = "I", 1.0, "I += w"
    b2.defaultclock.dt = r.dt * b2.ms
    group, subs = _neurons(
        b2, r, eqs, "v >= V_th", "v = V_reset", 2 * b2.ms, "exact", ns, {"v": ("v", b2.mV)}
    )
    syns = _synapses(
        b2,
        r,
        group,
        subs,
        {"excitatory": on_pre, "inhibitory": on_pre},
        "amp",
        {"psc_factor": factor},
    )
    # nu_ext = eta nu_th C_E: C_E inputs at eta nu_th each, as Brian2's Brunel examples
    # (one input at 17.8 kHz would need p = rate dt > 1 in PoissonInput's binomial)
    c_e = (
        next(p.n for p in r.projections if p.pre == "exc" and p.post == "exc")
        // r.populations["exc"].size
    )
    rate = float(np.asarray(r.sources["noise"].rate).flat[0])
    w_noise = next(float(p.weight[0]) for p in r.projections if p.pre == "noise")
    inputs = b2.PoissonInput(
        group, var, N=c_e, rate=rate / c_e * b2.Hz, weight=w_noise * b2.nA * factor
    )
    return _run(b2, r, [group, *syns, inputs], group, subs, target, t0, directory)


def stdp(r, target="numpy", directory=None):
    """Song, Miller & Abbott 2000 as Brian2's ``examples/synapses/STDP.py``: the hub's drawn
    Poisson trains in ``SpikeGeneratorGroup``s (a spike repeated in one step, which Brian2's
    generator refuses, is kept once), additive all-to-all STDP with event-driven traces,
    current-based exponential synapses."""
    t0 = time.perf_counter()
    b2 = _brian2(target, directory)
    w_max = 0.1 * b2.nA
    ns = {
        "C_m": 1 * b2.nF,
        "tau_m": 20 * b2.ms,
        "E_L": -70 * b2.mV,
        "V_th": -54 * b2.mV,
        "V_reset": -60 * b2.mV,
        "tau_s": 5 * b2.ms,
        "tau_pre": 20 * b2.ms,
        "tau_post": 20 * b2.ms,
        "dA_pre": 0.01 * w_max,
        "dA_post": -0.0105 * w_max,
        "w_max": w_max,
    }
    eqs = """dv/dt = (E_L - v)/tau_m + (I_e + I_i)/C_m : volt (unless refractory)
             dI_e/dt = -I_e/tau_s : amp
             dI_i/dt = -I_i/tau_s : amp"""
    b2.defaultclock.dt = r.dt * b2.ms
    group, subs = _neurons(
        b2, r, eqs, "v >= V_th", "v = V_reset", 1 * b2.ms, "exact", ns, {"v": ("v", b2.mV)}
    )
    objects = [group]
    for p in r.projections:
        src = r.sources[p.pre]
        key = np.unique(src.stamps * src.size + src.indices)
        stamps, idx = np.divmod(key, src.size)
        gen = b2.SpikeGeneratorGroup(src.size, idx, (stamps - 1) * r.dt * b2.ms)
        if p.rule is None:
            syn = b2.Synapses(gen, group, "w : amp", on_pre="I_i += w", namespace={})
        else:
            syn = b2.Synapses(
                gen,
                group,
                """w : amp
                              dapre/dt = -apre/tau_pre : amp (event-driven)
                              dapost/dt = -apost/tau_post : amp (event-driven)""",
                on_pre="""I_e += w
                              apre += dA_pre
                              w = clip(w + apost, 0*amp, w_max)""",
                on_post="""apost += dA_post
                              w = clip(w + apre, 0*amp, w_max)""",
                namespace=ns,
            )
        syn.connect(i=p.pre_idx, j=p.post_idx)
        syn.w = p.weight * b2.nA
        syn.delay = p.delay_steps[0] * r.dt * b2.ms
        objects += [gen, syn]
    out = _run(b2, r, objects, group, subs, target, t0, directory)
    return out


SCRIPTS = {"cuba": cuba, "coba": coba, "brunel": brunel, "stdp": stdp}

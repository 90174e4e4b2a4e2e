"""Hand-written PyNEST scripts for the benchmark networks: what a NEST user writes.

Each function builds one benchmark network directly with PyNEST (literal model names and
parameters, as in NEST's own examples), from the *same* connectivity arrays and initial
values the hub drew (``r``, a :class:`hub.ResolvedNetwork`), runs it and returns the spike
counts per neuron.  The hub path (``hub.run(r, backend="nest")``) is measured against these
(``snn-hub bench --native``).  Units as NEST: pA, pF, nS, mV, ms; the hub's nA and uS
weights are multiplied by 1000.

Every function returns ``{"build_s", "run_s", "results_s", "counts": {label: spikes per
neuron}}``; ``build_s`` is Create + Connect (the arrays are already in memory, as they are
for the hub path), ``run_s`` is ``nest.Simulate``.
"""

from __future__ import annotations

import os
import time

import numpy as np

PER_NANO = 1000.0


def import_nest():
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    return nest


def _kernel(nest, r, threads=1):
    nest.ResetKernel()
    nest.set(resolution=r.dt, local_num_threads=threads, print_time=False)


def _create(nest, model, r, params, initial):
    """One population per hub population (exc first, then inh: the hub's node ids)."""
    nodes = {}
    for label, pop in r.populations.items():
        nodes[label] = nest.Create(model, pop.size, params=params)
        nodes[label].set({key: pop.initial[name] * scale for key, (name, scale) in initial.items()})
    return nodes


def _connect(nest, r, nodes, weight_sign):
    """Every projection by arrays: ``Connect(pre_ids, post_ids, 'one_to_one', arrays)``."""
    for p in r.projections:
        if p.pre not in nodes:
            continue
        w = p.weight * PER_NANO * (weight_sign if p.receptor == "inhibitory" else 1.0)
        nest.Connect(
            nodes[p.pre][0].global_id + p.pre_idx,
            nodes[p.post][0].global_id + p.post_idx,
            "one_to_one",
            syn_spec={"weight": w, "delay": p.delay_steps * r.dt},
        )


def _record_and_run(nest, r, nodes, t_build0):
    recorder = nest.Create("spike_recorder")
    for n in nodes.values():
        nest.Connect(n, recorder)
    t1 = time.perf_counter()
    nest.Simulate(r.steps * r.dt)
    t2 = time.perf_counter()
    senders = np.asarray(recorder.get("events", "senders"), np.int64)
    counts = {}
    for label, n in nodes.items():
        first = n[0].global_id
        sel = senders[(senders >= first) & (senders < first + len(n))] - first
        counts[label] = np.bincount(sel, minlength=len(n))
    return {
        "build_s": t1 - t_build0,
        "run_s": t2 - t1,
        "results_s": time.perf_counter() - t2,
        "counts": counts,
    }


def cuba(r, threads=1):
    """Brette et al. 2007 benchmark 2: ``iaf_psc_exp``, 16.2 pA / -90 pA, delay 0.1 ms."""
    nest = import_nest()
    t0 = time.perf_counter()
    _kernel(nest, r, threads)
    params = {
        "C_m": 200.0,
        "tau_m": 20.0,
        "t_ref": 5.0,
        "E_L": -49.0,
        "V_reset": -60.0,
        "V_th": -50.0,
        "tau_syn_ex": 5.0,
        "tau_syn_in": 10.0,
        "I_e": 0.0,
    }
    nodes = _create(nest, "iaf_psc_exp", r, params, {"V_m": ("v", 1.0)})
    _connect(nest, r, nodes, 1.0)
    return _record_and_run(nest, r, nodes, t0)


def coba(r, threads=1):
    """Brette et al. 2007 benchmark 1: ``iaf_cond_exp``, 6 nS / 67 nS (negative weight =
    inhibitory conductance in NEST), delay 0.1 ms."""
    nest = import_nest()
    t0 = time.perf_counter()
    _kernel(nest, r, threads)
    params = {
        "C_m": 200.0,
        "g_L": 10.0,
        "t_ref": 5.0,
        "E_L": -60.0,
        "V_reset": -60.0,
        "V_th": -50.0,
        "E_ex": 0.0,
        "E_in": -80.0,
        "tau_syn_ex": 5.0,
        "tau_syn_in": 10.0,
        "I_e": 0.0,
    }
    nodes = _create(
        nest,
        "iaf_cond_exp",
        r,
        params,
        {"V_m": ("v", 1.0), "g_ex": ("gsyn_exc", PER_NANO), "g_in": ("gsyn_inh", PER_NANO)},
    )
    _connect(nest, r, nodes, -1.0)
    return _record_and_run(nest, r, nodes, t0)


def brunel(r, threads=1):
    """Brunel 2000 model A as ``brunel_alpha_nest.py`` (or its exp-PSC variant): fixed
    in-degree recurrent connections from the arrays, and one ``poisson_generator`` at
    nu_ext connected to every neuron (NEST draws an independent train per target)."""
    nest = import_nest()
    synapse = r.populations["exc"].model.synapse
    t0 = time.perf_counter()
    _kernel(nest, r, threads)
    params = {
        "C_m": 250.0,
        "tau_m": 20.0,
        "t_ref": 2.0,
        "E_L": 0.0,
        "V_reset": 0.0,
        "V_th": 20.0,
        "tau_syn_ex": 0.5,
        "tau_syn_in": 0.5,
        "I_e": 0.0,
    }
    nodes = _create(nest, f"iaf_psc_{synapse}", r, params, {"V_m": ("v", 1.0)})
    _connect(nest, r, nodes, 1.0)
    noise = r.sources["noise"]
    rate = float(np.asarray(noise.rate).flat[0])
    generator = nest.Create("poisson_generator", params={"rate": rate})
    for p in r.projections:
        if p.pre == "noise":
            nest.Connect(
                generator,
                nodes[p.post],
                syn_spec={
                    "weight": float(p.weight[0]) * PER_NANO,
                    "delay": float(p.delay_steps[0]) * r.dt,
                },
            )
    return _record_and_run(nest, r, nodes, t0)


def stdp(r, threads=1):
    """Song, Miller & Abbott 2000 (models/song_abbott.py): Poisson inputs (the hub's drawn
    trains, as ``spike_train_injector``s, which feed plastic synapses directly) to LIF
    neurons through additive ``stdp_synapse``s; the final weights are read back."""
    nest = import_nest()
    t0 = time.perf_counter()
    _kernel(nest, r, threads)
    params = {
        "C_m": 1000.0,
        "tau_m": 20.0,
        "t_ref": 1.0,
        "E_L": -70.0,
        "V_reset": -60.0,
        "V_th": -54.0,
        "tau_syn_ex": 5.0,
        "tau_syn_in": 5.0,
        "I_e": 0.0,
        "tau_minus": 20.0,
    }
    nodes = _create(nest, "iaf_psc_exp", r, params, {"V_m": ("v", 1.0)})
    for label, src in r.sources.items():
        gens = nest.Create("spike_train_injector", src.size)
        gens.set([{"spike_times": t} for t in src.trains(r.dt)])
        nodes[label] = gens
    nest.CopyModel(
        "stdp_synapse",
        "song_stdp",
        {
            "lambda": 0.01,
            "alpha": 1.05,
            "mu_plus": 0.0,
            "mu_minus": 0.0,
            "tau_plus": 20.0,
            "Wmax": 0.1 * PER_NANO,
        },
    )
    for p in r.projections:
        nest.Connect(
            nodes[p.pre][0].global_id + p.pre_idx,
            nodes[p.post][0].global_id + p.post_idx,
            "one_to_one",
            syn_spec={
                "synapse_model": "static_synapse" if p.rule is None else "song_stdp",
                "weight": p.weight * PER_NANO,
                "delay": p.delay_steps * r.dt,
            },
        )
    out = _record_and_run(nest, r, {k: v for k, v in nodes.items() if k in r.populations}, t0)
    t = time.perf_counter()
    weights = nest.GetConnections(synapse_model="song_stdp").get("weight")
    out["results_s"] += time.perf_counter() - t
    out["mean_weight"] = float(np.mean(weights)) / PER_NANO
    return out


SCRIPTS = {"cuba": cuba, "coba": coba, "brunel": brunel, "stdp": stdp}

"""Conformance checks of the conductance-based and Hodgkin-Huxley models against the ODE
reference (:mod:`hub.testing.ode_reference`): ``LIFCond[synapse=exp|alpha]``,
``AdEx[synapse=exp|alpha]`` and ``HodgkinHuxley``.

One check per model runs a feedforward network (no recurrence: a moved spike cannot
propagate): a population with heterogeneous DC drive (``i_offset`` from below to above
rheobase) and heterogeneous refractory periods, driven by a Poisson source on the excitatory
and the inhibitory receptor (delays 0.1-2 ms) and by two synchronous volleys of a SpikeTimes
source (one excitatory, one inhibitory).  The backend's spikes and every state variable it
declares recordable are compared with the reference at the tier the backend declares
(:func:`hub.testing.tiers.expect_agreement`): tiers 1 and 2, identical spikes and state within
1e-9 / 1e-3; tiers 3 and 4, the declared fraction of spikes paired within ``spike_ms`` plus the
population rate and CV of ISI.  Each network makes the reference fire at least
``tiers.MIN_SPIKES`` spikes (checked).

The reference of a network is computed once per process (it is independent of the backend).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import features as F
from .. import ir
from ..api import run
from ..resolve import resolve
from . import ode_reference, tiers
from .checks import needs
from .expectations import expect

#: (model factory, i_offset range in nA, excitatory and inhibitory weight in uS, seed)
CASES = {
    "lifcond_exp": (lambda: ir.LIFCond(synapse="exp"), (0.6, 2.0), 0.006, 0.03, 21),
    "lifcond_alpha": (lambda: ir.LIFCond(synapse="alpha"), (0.6, 2.0), 0.004, 0.02, 22),
    "adex_exp": (lambda: ir.AdEx(synapse="exp"), (0.6, 1.6), 0.006, 0.03, 23),
    "adex_alpha": (lambda: ir.AdEx(synapse="alpha"), (0.6, 1.6), 0.004, 0.02, 24),
    "hodgkin_huxley": (lambda: ir.HodgkinHuxley(), (0.0, 0.5), 0.03, 0.05, 25),
}
N_CELLS, DURATION = 60, 100.0


def feedforward_network(case: str, seed: int | None = None, n: int = N_CELLS):
    """The network of check ``case`` (a key of :data:`CASES`), optionally at another seed.
    LIFCond and AdEx also get heterogeneous synaptic time constants (1-6 ms, 2-10 ms)."""
    factory, (i_lo, i_hi), w_exc, w_inh, default_seed = CASES[case]
    seed = default_seed if seed is None else seed
    rng = np.random.default_rng(seed)
    model = factory()
    model.values["i_offset"] = np.linspace(i_lo, i_hi, n)
    model.values["tau_refrac"] = rng.uniform(0.1, 3.0, n)
    if model.kind != "HodgkinHuxley":
        model.values["tau_syn_E"] = rng.uniform(1.0, 6.0, n)
        model.values["tau_syn_I"] = rng.uniform(2.0, 10.0, n)
    net = ir.Network(dt=0.1, seed=seed)
    noise = net.add_source(ir.PoissonSource(rate=40.0), size=40, label="noise")
    volleys = net.add_source(ir.SpikeTimes([[30.0], [60.0]]), size=2, label="volleys")
    cells = net.add_population(n, model, label="cells")
    delays = ir.Uniform(0.1, 2.0)
    net.connect(noise, cells, ir.FixedProbability(0.3), ir.Static(weight=w_exc, delay=delays))
    net.connect(
        noise,
        cells,
        ir.FixedProbability(0.15),
        ir.Static(weight=w_inh, delay=delays, receptor="inhibitory"),
    )
    idx = np.arange(n)
    net.connect(volleys, cells, ir.FromArrays(np.zeros(n, int), idx), ir.Static(4 * w_exc, 1.0))
    net.connect(
        volleys,
        cells,
        ir.FromArrays(np.ones(n, int), idx),
        ir.Static(weight=4 * w_inh, delay=0.5, receptor="inhibitory"),
    )
    net.record(cells, "spikes", *model.recordable_names())
    return net


@lru_cache(maxsize=None)
def reference_results(case: str, seed: int | None = None):
    """The ODE reference's Results for :func:`feedforward_network` (cached per process)."""
    return ode_reference.simulate(resolve(feedforward_network(case, seed), DURATION))


def _ode_check(case: str):
    model = CASES[case][0]()
    label = model.label
    variables = list(model.recordable_names())

    def check(backend):
        tol = tiers.declared(backend, label)
        ref = reference_results(case)
        n_ref = len(ref.spikes("cells"))
        expect(
            n_ref >= tiers.MIN_SPIKES,
            f"the reference fired {n_ref} spikes, the check needs {tiers.MIN_SPIKES}",
        )
        res = run(feedforward_network(case), backend=backend, duration=DURATION)
        tiers.expect_agreement(res, ref, "cells", tol, variables, feedforward=True)

    check.__name__ = f"check_ode_{case}"
    check.__doc__ = (
        f"A feedforward {label} network (heterogeneous DC drive and refractory periods, "
        f"Poisson and volley input on both receptors) against the ODE reference, at the "
        f"declared tier: spikes and {', '.join(variables)}."
    )
    feats = [
        F.neuron(label),
        F.SPIKE_SOURCE,
        F.SYNAPSE_STATIC,
        F.RECEPTOR_INHIBITORY,
        *[F.record(label, v) for v in variables],
    ]
    return needs(*feats)(check)


#: the check of each case of :data:`CASES`
CHECKS_BY_CASE = {case: _ode_check(case) for case in CASES}

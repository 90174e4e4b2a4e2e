"""Conformance checks of neuron models written as equations (``hub.define_neuron``).

The kit writes NEST's ``iaf_psc_exp`` as equations itself and runs it on the backend; the
reference is the kit's reference engine running the built-in ``hub.LIF`` twin of the same
network (matrix exponentials of the equations, no propagator code shared with the hub's
numerics).  A backend that declares ``neuron:Custom`` is held to the tier it declares for
``Custom``: identical spikes and V within the tier's bound (tiers 1, 2), or the statistical
contract (tiers 3, 4).
"""

from __future__ import annotations

import numpy as np

from .. import features as F
from .. import ir
from ..api import run
from ..equations import library
from . import tiers
from .checks import STAT_SEEDS, needs, reference_results, random_network
from .expectations import expect


def custom_lif():
    """``iaf_psc_exp`` as equations (:func:`hub.equations.library.lif_exp`)."""
    return library.lif_exp()


def _twin_values(seed: int, n: int = 60) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "tau_m": rng.uniform(8.0, 30.0, n),
        "cm": rng.uniform(0.5, 1.5, n),
        "i_offset": rng.uniform(0.0, 0.5, n),
        "tau_refrac": rng.uniform(0.5, 3.0, n),
        "tau_syn_E": rng.uniform(1.0, 8.0, n),
        "tau_syn_I": rng.uniform(1.0, 8.0, n),
        "v_reset": rng.uniform(-70.0, -60.0, n),
    }


@needs(F.NEURON_CUSTOM, F.SPIKE_SOURCE, F.SYNAPSE_STATIC, F.RECEPTOR_INHIBITORY)
def check_custom_lif_against_the_reference_engine(backend):
    """Random recurrent networks of NEST's iaf_psc_exp written as equations (every parameter
    heterogeneous, Poisson input, excitatory and inhibitory recurrence) against the reference
    engine running the built-in LIF twin, at the tier declared for ``Custom``."""
    tol = tiers.declared(backend, "Custom")
    variables = ["v"] if tol.tier <= 2 else []
    definition = custom_lif()
    seeds = STAT_SEEDS if tol.tier >= 3 else STAT_SEEDS[:2]
    for seed in seeds:
        values = _twin_values(seed)
        net, duration = random_network(definition(**values), seed, variables=variables)
        twin, _ = random_network(ir.LIF(synapse="exp", **values), seed, variables=variables)
        res = run(net, backend=backend, duration=duration)
        ref = reference_results(("custom_lif", seed, tuple(variables)), twin, duration)
        expect(
            len(ref.spikes("cells")) > 20,
            f"seed {seed}: reference network too quiet to be a test: "
            f"{len(ref.spikes('cells'))} spikes",
        )
        tiers.expect_agreement(res, ref, "cells", tol, variables, what=f"seed {seed}: custom ")

"""Checks of ``LIFSubtract``, the LIF that resets by subtraction (docs/models.md).

The membrane between spikes is :class:`hub.ir.LIF`'s; what these checks pin is the reset.
Under a constant current I (nA) and no input, the exact solution over n steps from V0 is

    V = v_inf + (V0 - v_inf) exp(-n dt / tau_m),      v_inf = v_rest + tau_m I / cm  (mV)

and at the end of a step with V >= v_thresh the neuron spikes once and V <- V - (v_thresh -
v_reset): the excess above threshold is kept, and a neuron driven hard enough spikes in every
step with V above threshold (a reset to ``v_reset`` would give other spikes and another V).
With ``spikes="many"`` the step ends with k = min(max_spikes, floor((V - v_thresh) / d) + 1)
spikes (d = v_thresh - v_reset) and V <- V - k d: a neuron whose V climbs by more than d per
step spikes several times in a step, and one capped by ``max_spikes`` keeps climbing to where
the step's rise equals max_spikes d.
"""

from __future__ import annotations

import math

import numpy as np

from .. import features as F
from .. import ir
from ..api import run
from . import tiers
from .checks import feedforward_check, reference_check, needs
from .expectations import expect, expect_close, expect_equal

SYNAPSES = ("exp", "alpha", "delta")
#: (tau_m ms, i_offset nA, v_reset mV) per neuron; cm = 1 nF, v_rest = -65, v_thresh = -50 mV
DC_CELLS = ((20.0, 0.8, -65.0), (10.0, 2.0, -70.0), (15.0, 30.0, -52.0))
V_REST, V_THRESH, DT, STEPS = -65.0, -50.0, 0.1, 600


#: spikes="many": (tau_m ms, i_offset nA, v_reset mV, max_spikes); neuron 1 rises about
#: 2.8 mV per step over d = 1 mV (2 or 3 spikes a step), neuron 2 the same capped at 2
DC_CELLS_MANY = ((20.0, 0.8, -65.0, 65536), (10.0, 30.0, -51.0, 65536), (10.0, 30.0, -51.0, 2))


def closed_form(
    tau: float,
    i_off: float,
    v_reset: float,
    max_spikes: int | None = None,
    steps: int = STEPS,
    dt: float = DT,
):
    """(spike stamps, V after each step) of one DC-driven ``LIFSubtract`` neuron (cm = 1 nF),
    from the exact solution between spikes, restarted from each post-spike V; ``max_spikes``
    None: ``spikes="one"``, else ``"many"`` with that cap (a stamp repeated per spike)."""
    v_inf = V_REST + tau * i_off
    d = V_THRESH - v_reset
    stamps, trace = [], []
    v0, n0 = V_REST, 0
    for k in range(steps):
        v = v_inf + (v0 - v_inf) * math.exp(-(k + 1 - n0) * dt / tau)
        if v >= V_THRESH:
            n = 1 if max_spikes is None else min(max_spikes, math.floor((v - V_THRESH) / d) + 1)
            stamps.extend([k + 1] * n)
            v -= n * d
            v0, n0 = v, k + 1
        trace.append(v)
    return stamps, np.asarray(trace)


def _against_closed_form(backend, label: str, cells, spikes: str, synapse: str):
    """Run one ``LIFSubtract`` per row of ``cells`` ((tau_m, i_offset, v_reset[, max_spikes])
    per neuron) under DC and hold each neuron's stamps (with their multiplicity) and V to
    :func:`closed_form`; returns (V samples, spike trains)."""
    net = ir.Network(dt=DT, seed=1)
    columns = [list(x) for x in zip(*cells)]
    caps = {"max_spikes": columns[3]} if len(columns) > 3 else {}
    pop = net.add_population(
        len(cells),
        ir.LIFSubtract(
            spikes=spikes,
            synapse=synapse,
            tau_m=columns[0],
            cm=1.0,
            i_offset=columns[1],
            v_rest=V_REST,
            v_reset=columns[2],
            v_thresh=V_THRESH,
            **caps,
        ),
        label="cells",
    )
    net.record(pop, "spikes", "v")
    tol = tiers.declared(backend, label)
    res = run(net, backend=backend, duration=STEPS * DT)
    v = res.signal("cells", "v").values
    expect_equal(v.shape, (STEPS, len(cells)), "V samples (steps, neurons)")
    sp = res.spikes("cells")
    for j, cell in enumerate(cells):
        stamps, trace = closed_form(*cell)
        got = sorted(int(s) for s in sp.stamps[sp.indices == j])
        expect_equal(got, stamps, f"neuron {j}: spike stamps (a stamp once per spike)")
        expect_close(
            v[:, j],
            trace,
            tiers.state_bound(tol),
            f"neuron {j}: V against the closed form (mV, tier {tol.tier})",
            strict=True,
            axes=[("t", np.round(np.arange(1, STEPS + 1) * DT, 6))],
        )
    return v, sp


def _dc_check(synapse: str):
    label = ir.LIFSubtract(synapse=synapse).label

    def check(backend):
        v, sp = _against_closed_form(backend, label, DC_CELLS, "one", synapse)
        # the driven neuron ends above threshold, spiking in every step: the reset kept the
        # excess (a reset to v_reset would put it at -52 mV after each spike)
        last = [int(s) for s in sp.stamps[sp.indices == 2]][-50:]
        expect(last == list(range(STEPS - 49, STEPS + 1)), "neuron 2 spikes in every step")
        expect(v[-1, 2] > V_THRESH, f"neuron 2 ends above threshold (V = {v[-1, 2]:.3f} mV)")

    check.__name__ = f"check_lif_subtract_dc_closed_form_{synapse}"
    check.__doc__ = (
        f"{label} under constant currents against the closed form (module docstring): "
        "identical spike stamps and V within the tier's bound; one neuron driven above "
        "threshold spikes in every step and keeps the excess."
    )
    return needs(F.neuron(label), F.record(label, "v"))(check)


def _dc_check_many(synapse: str):
    label = ir.LIFSubtract(spikes="many", synapse=synapse).label

    def check(backend):
        v, sp = _against_closed_form(backend, label, DC_CELLS_MANY, "many", synapse)
        per_step = np.bincount(sp.stamps[sp.indices == 1], minlength=STEPS + 1)
        expect(per_step.max() >= 3, f"neuron 1 spikes 3 times in a step ({per_step.max()})")
        capped = np.bincount(sp.stamps[sp.indices == 2], minlength=STEPS + 1)
        expect(capped.max() == 2, f"neuron 2 capped at 2 spikes a step ({capped.max()})")
        expect(v[-1, 2] > 0.0, f"neuron 2 climbs above 0 mV when capped (V = {v[-1, 2]:.3f})")

    check.__name__ = f"check_lif_subtract_many_dc_closed_form_{synapse}"
    check.__doc__ = (
        f"{label} under constant currents against the closed form (module docstring): "
        "identical spike stamps with their multiplicity (2 and 3 spikes in a step) and V "
        "within the tier's bound; max_spikes=2 caps the spikes and V climbs."
    )
    return needs(F.neuron(label), F.record(label, "v"))(check)


def _many(synapse: str) -> ir.LIFSubtract:
    return ir.LIFSubtract(spikes="many", synapse=synapse)


for _syn in SYNAPSES:
    _dc_check(_syn)
    _dc_check_many(_syn)
    reference_check(
        lambda s=_syn: _many(s),
        f"check_reference_network_lif_subtract_many_{_syn}",
        heterogeneous=True,
    )
    feedforward_check(lambda s=_syn: _many(s), f"check_feedforward_lif_subtract_many_{_syn}")
    reference_check(
        lambda s=_syn: ir.LIFSubtract(synapse=s),
        f"check_reference_network_lif_subtract_{_syn}",
        heterogeneous=True,
    )
    feedforward_check(
        lambda s=_syn: ir.LIFSubtract(synapse=s), f"check_feedforward_lif_subtract_{_syn}"
    )

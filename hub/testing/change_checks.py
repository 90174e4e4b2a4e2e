"""The kit's checks of runs in segments (:class:`hub.Simulation`): a parameter change made
between segments applies from the first step of the next segment, keeps the state, and
touches only the neurons it names."""

from __future__ import annotations

import math

import numpy as np

from .. import features as F
from .. import ir
from ..simulation import Simulation
from . import tiers
from .checks import LIF_EXP, needs
from .expectations import expect_close, expect_equal

DT = 0.1
#: the neurons of both checks: subthreshold (v_thresh 100 mV) unless a change lowers it
BASE = dict(v_rest=-65.0, v_reset=-65.0, v_thresh=100.0, tau_m=10.0, i_offset=1.0, tau_refrac=2.0)
#: the steps of the three segments (3, 2 and 3 ms)
SEGMENTS = (30, 20, 30)
#: i_offset of neuron 0 per segment in the offset check (nA)
OFFSETS = (1.0, 0.3, 2.0)


def lif_dc_trajectory(segments, steps_each, cm=1.0):
    """V (mV) after each step and the spike stamps of one LIF neuron without synaptic input,
    in exact per-step relaxation ``V <- v_inf + (V - v_inf) exp(-dt/tau_m)``,
    ``v_inf = v_rest + tau_m i_offset / cm``; spike when V >= v_thresh, then V = v_reset for
    ceil(tau_refrac/dt) steps.  ``segments``: one parameter dict per segment."""
    v, r, out, stamps, k = segments[0]["v_rest"], 0, [], [], 0
    for p, n in zip(segments, steps_each):
        v_inf = p["v_rest"] + p["tau_m"] * p["i_offset"] / cm
        decay = math.exp(-DT / p["tau_m"])
        for _ in range(n):
            k += 1
            if r > 0:
                r -= 1
                v = p["v_reset"]
            else:
                v = v_inf + (v - v_inf) * decay
                if v >= p["v_thresh"]:
                    stamps.append(k)
                    v, r = p["v_reset"], math.ceil(round(p["tau_refrac"] / DT, 9))
            out.append(v)
    return np.asarray(out), stamps


def _expect_trajectories(backend, v, plans, spikes=None):
    """V of neuron j (column j of ``v``) and, given ``spikes``, its spike stamps against the
    closed form of ``plans[j]`` (one parameter dict per segment)."""
    tol = tiers.declared(backend, LIF_EXP)
    times = np.round(np.arange(1, sum(SEGMENTS) + 1) * DT, 6)
    for j, plan in enumerate(plans):
        expected, stamps = lif_dc_trajectory(plan, SEGMENTS)
        if spikes is not None:
            got = [int(s) for s in spikes.stamps[spikes.indices == j]]
            expect_equal(got, stamps, f"neuron {j}: spike stamps")
        expect_close(
            v[:, j],
            expected,
            tiers.state_bound(tol),
            f"neuron {j}: V against the closed form (mV, tier {tol.tier})",
            strict=True,
            axes=[("t", times)],
        )


def offset_change_run(backend) -> np.ndarray:
    """V (mV; rows: samples every step, columns: 2 neurons) of the offset check's run:
    neuron 0 gets i_offset :data:`OFFSETS` in the three segments, neuron 1 keeps 1 nA."""
    net = ir.Network(dt=DT, seed=6)
    cells = net.add_population(2, ir.LIF(synapse="exp", cm=1.0, **BASE), label="cells")
    net.record(cells, "v")
    sim = Simulation(net, backend=backend)
    for k, steps in enumerate(SEGMENTS):
        if k:
            sim.set(cells, [0], i_offset=OFFSETS[k])
        sim.run(steps * DT)
    return sim.results().signal("cells", "v").values


@needs(F.neuron(LIF_EXP), F.record(LIF_EXP, "v"), F.PARAMETER_CHANGE)
def check_parameter_change_closed_form(backend):
    """Three segments (3, 2 and 3 ms); between them neuron 0 gets a new v_rest, tau_m and
    i_offset, neuron 1 a lower v_thresh (it fires in the first step after the change) and
    then a new i_offset; neuron 2 is never changed.  V and spikes against the closed form."""
    net = ir.Network(dt=DT, seed=5)
    cells = net.add_population(3, ir.LIF(synapse="exp", cm=1.0, **BASE), label="cells")
    net.record(cells, "spikes", "v")
    sim = Simulation(net, backend=backend)
    sim.run(3.0)
    sim.set(cells, [0], v_rest=-60.0, tau_m=5.0, i_offset=0.4)
    sim.set(cells, [1], v_thresh=-64.0)
    sim.run(2.0)
    sim.set("cells", [1], i_offset=2.0)
    sim.run(3.0)
    res = sim.results()
    moved = {**BASE, "v_rest": -60.0, "tau_m": 5.0, "i_offset": 0.4}
    lowered = {**BASE, "v_thresh": -64.0}
    plans = [[BASE, moved, moved], [BASE, lowered, {**lowered, "i_offset": 2.0}], [BASE] * 3]
    sp = res.spikes("cells")
    _expect_trajectories(backend, res.signal("cells", "v").values, plans, sp)
    expect_equal(sp.stamps[sp.indices == 1][:1].tolist(), [31], "first spike after the change")


@needs(F.neuron(LIF_EXP), F.record(LIF_EXP, "v"), F.CHANGE_I_OFFSET)
def check_offset_change_closed_form(backend):
    """``i_offset`` changed twice (to 0.3 nA at 3 ms, to 2.0 nA at 5 ms) on neuron 0 only;
    V of both neurons against the closed form (the change a backend without
    ``change:parameters`` may run as injected current)."""
    plans = [[{**BASE, "i_offset": i} for i in OFFSETS], [BASE] * 3]
    _expect_trajectories(backend, offset_change_run(backend), plans)

"""The RK4 stability check: refuse, before Brian2 is touched, an ODE-integrated population
whose fastest linear decay the fixed-step RK4 of this backend cannot follow.

Brian2 integrates LIFCond, AdEx and HodgkinHuxley with classical RK4 at a fixed step
``h = dt / substeps`` (ms).  For a decay ``dx/dt = -r x`` RK4 is stable only when
``h r <= 2.785`` (its stability interval on the negative real axis); beyond it the error
grows by a factor of up to hundreds per step and the run produces spikes from round-off
(a LIFCond with tau_m = 0.01 ms at dt = 0.1 ms fires every other step) or NaN.

The rates checked, per neuron (1/ms): ``1 / tau`` for each of the model's
``ode_time_constants`` and, for a conductance-based model, ``w / cm`` for the largest
single weight (uS) it receives (capacitance in nF).  These are necessary conditions, not
sufficient ones: summed conductances and the spike upstroke of AdEx and HodgkinHuxley are
faster still, which is what the default substeps cover.
"""

from __future__ import annotations

import math

import numpy as np

from hub.errors import Diagnostic, ValidationError

#: RK4's stability limit h * rate on the negative real axis (2.785..., rounded down)
RK4_LIMIT = 2.78


def check_rk4(resolved, substeps: dict[str, int], max_substeps: int) -> None:
    """Raise a :class:`ValidationError` naming every population whose fastest rate exceeds
    ``RK4_LIMIT / h``, with the substeps that would do (or that none up to
    ``max_substeps`` would)."""
    incoming = _fastest_weight_rates(
        resolved,
        {
            label
            for label, pop in resolved.populations.items()
            if getattr(pop.model, "ode_time_constants", ())
            and pop.model.kind in substeps
            and pop.model.input == "conductance"
            and "cm" in pop.params
        },
    )
    problems = []
    for label, pop in resolved.populations.items():
        names = getattr(pop.model, "ode_time_constants", ())
        if not names or pop.model.kind not in substeps:
            continue
        rates = {f"1/{n}": 1.0 / np.asarray(pop.params[n], float) for n in names}
        if label in incoming and pop.model.input == "conductance" and "cm" in pop.params:
            rates["weight/cm"] = incoming[label]
        what, rate = max(((k, float(np.max(v))) for k, v in rates.items()), key=lambda x: x[1])
        n = substeps[pop.model.kind]
        h = resolved.dt / n
        if not h * rate > RK4_LIMIT:
            continue
        need = math.ceil(resolved.dt * rate / RK4_LIMIT)
        fix = (
            f"use --option substeps={need} (or substeps={{{pop.model.kind!r}: {need}}})"
            if need <= max_substeps
            else f"no substeps up to {max_substeps} suffice: use a smaller dt, a slower "
            "parameter, or the nest backend (adaptive steps)"
        )
        problems.append(
            Diagnostic(
                f"populations({label})",
                f"{what} = {rate:.3g} per ms is too fast for Brian2's RK4 at h = dt/substeps "
                f"= {resolved.dt:g}/{n} ms (stable only for h * rate <= {RK4_LIMIT})",
                fix,
            )
        )
    if problems:
        raise ValidationError(problems)


def _fastest_weight_rates(resolved, targets: set) -> dict[str, float]:
    """Per target population in ``targets`` (the conductance-based ones checked: a pass over
    the synapses of the others would be wasted), the largest ``|w| / cm`` of one synapse
    (1/ms).  Dividing by a positive cm keeps the order of correctly rounded values, so this
    is the largest over neurons of (largest |w| the neuron receives) / its cm, without a
    per-neuron scatter."""
    out: dict[str, float] = {}
    for proj in resolved.projections:
        pop = resolved.populations.get(proj.post)
        if pop is None or not proj.n or proj.post not in targets:
            continue
        w = np.asarray(proj.weight, float)
        cm = np.broadcast_to(np.asarray(pop.params["cm"], float), (pop.size,))
        if cm.min() == cm.max():  # one capacitance: the largest |w| alone
            rate = max(float(w.max()), -float(w.min())) / float(cm[0])
        else:
            rate = float(np.max(np.abs(w) / cm[proj.post_idx]))
        out[proj.post] = max(out.get(proj.post, 0.0), rate)
    return out

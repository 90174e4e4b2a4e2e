"""Parameter changes between run segments (``ResolvedNetwork.changes``) on Brian2.

A change at stamp S applies to the integration steps from S on: a network operation at the
start of step S (after the state monitors have sampled the end of step S-1) writes the
group variables the model's table derives from the new parameters (propagators included).
State variables keep their values; a table that keeps V relative to E_L (NEST's
``iaf_psc_*``; a custom model's ``shifted`` variables likewise) moves V by
``-(E_L_new - E_L_old)``, NEST's own update when E_L changes.

A variable is a parameter here when the table's value for it does not depend on the
initial state (checked by computing the table twice); the others are state.
"""

from __future__ import annotations

import numpy as np

from .models import Context, plus_e_l


class ParameterSchedule:
    """The changes of one run and the table values in force over time, per population."""

    def __init__(self, session):
        self.session = session
        self.by_step: dict[int, list] = {}
        for change in session.resolved.changes:
            self.by_step.setdefault(int(change.step), []).append(change)
        self.hub_params: dict[str, dict[str, np.ndarray]] = {}
        #: label -> [(first stamp the values are sampled with, table values)]
        self.history: dict[str, list] = {}

    def network_operation(self):
        """The Brian2 network operation that applies the changes (None without changes)."""
        if not self.by_step:
            return None
        pending = sorted(self.by_step)
        step = [0]
        b2, ctx = self.session.b2, self.session.ctx

        @b2.network_operation(clock=ctx.clock, when="start", order=10, name="hub_changes*")
        def apply_changes():
            while pending and pending[0] <= step[0]:
                self.apply(pending.pop(0))
            step[0] += 1

        return apply_changes

    def apply(self, step: int) -> None:
        s, r = self.session, self.session.resolved
        for change in self.by_step[step]:
            label = change.population
            pop = r.populations[label]
            params = self.hub_params.setdefault(label, {k: v.copy() for k, v in pop.params.items()})
            for name, values in change.values.items():
                params[name][change.indices] = values
            table = s.ctx.model_of[label]
            mctx = Context(s.dt, s.h, s.substeps.get(pop.model.kind, 1))
            new = table.params(params, pop.initial, mctx)
            bumped = table.params(params, {k: v + 1.0 for k, v in pop.initial.items()}, mctx)
            old = s.params[label]
            group, start, stop = s.ctx.span[label]
            for name, value in new.items():
                if name not in table.variables or name in table.state:
                    continue
                target = group.variables[name].get_value()
                full = np.broadcast_to(np.asarray(value), (pop.size,))
                if np.array_equal(full, np.broadcast_to(np.asarray(bumped[name]), (pop.size,))):
                    target[start:stop] = full.astype(target.dtype)
            v_rule = table.record.get("v")
            if v_rule is not None and v_rule[1] is plus_e_l:
                name = v_rule[0]
                target = group.variables[name].get_value()
                target[start:stop] -= np.asarray(new["E_L"]) - np.asarray(old["E_L"])
            for name, reference in table.shifted.items():
                target = group.variables[name].get_value()
                target[start:stop] -= np.asarray(new[reference]) - np.asarray(old[reference])
            fresh = {k: np.array(v, copy=True) for k, v in new.items()}  # new may alias params
            self.history.setdefault(label, [(0, old)]).append((step + 1, fresh))
            s.params[label] = fresh

    def transform(self, label, transform, samples: np.ndarray, stamps: np.ndarray, idx):
        """Recorded ``samples`` (rows at ``stamps``) of ``label`` in hub units, each row with
        the table values in force when it was sampled."""
        history = self.history.get(label)
        if not history:
            return transform(samples, self.session.params[label], idx)
        out = np.empty(samples.shape, float)
        firsts = [first for first, _ in history] + [np.iinfo(np.int64).max]
        for (first, values), until in zip(history, firsts[1:]):
            rows = (stamps >= first) & (stamps < until)
            if rows.any():
                out[rows] = transform(samples[rows], values, idx)
        return out

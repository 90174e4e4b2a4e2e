"""Resolved inputs -> NEST device settings (pure numpy; no NEST import).

Spike sources: one ``spike_generator`` per source neuron, spike times ``stamp * dt`` (ms,
on the grid), repeated (index, stamp) pairs sent as one event of that multiplicity
(``spike_multiplicities``), so NEST adds ``w * m`` once, as the contract says.

Currents: the contract applies amplitude ``a_k`` to the integration steps ``k'`` (0-based;
the step ends at ``(k'+1) dt``) with ``k' >= stamps[k]``, entering the membrane update like
``i_offset``.  A ``step_current_generator`` change at time ``t = n dt`` sent with a delay of
``G`` steps first acts in neuron step ``n + G`` (measured; NEST models read a current at the
end of a step and use it in the next one), and ``n >= 1``.  So:

* changes at stamps ``s > G`` go to a generator at ``(s - G) dt`` with delay ``G dt``;
* the amplitude in force during steps ``0 .. G`` is added to the neuron's ``I_e``, which
  the session updates between ``Run`` calls at each such change (``bias``);
* the generator then carries ``a(k') - a(G)`` for ``k' > G``.

``G`` is the smallest projection delay, so the generators never lower NEST's ``min_delay``
(which would slow every run down).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .models import PER_NANO


def generator_settings(indices: np.ndarray, stamps: np.ndarray, size: int, dt: float) -> list[dict]:
    """``spike_generator`` status for each of ``size`` source neurons: ``spike_times`` (ms)
    and, where a spike repeats, ``spike_multiplicities``."""
    out = [{"spike_times": []} for _ in range(size)]
    if not len(indices):
        return out
    key = np.asarray(indices, np.int64) * (int(stamps.max()) + 1) + stamps
    uniq, counts = np.unique(key, return_counts=True)
    idx, st = np.divmod(uniq, int(stamps.max()) + 1)
    cuts = np.searchsorted(idx, np.arange(size + 1))
    for i in np.unique(idx):
        sl = slice(cuts[i], cuts[i + 1])
        out[i] = {"spike_times": st[sl] * dt}
        if (counts[sl] > 1).any():
            out[i]["spike_multiplicities"] = counts[sl]
    return out


def amplitude_at(stamps: np.ndarray, amplitudes: np.ndarray, step: int) -> float:
    """Amplitude (nA) in force during integration step ``step`` (0 before the first change;
    of several changes with one stamp the last wins)."""
    k = np.searchsorted(stamps, step, side="right") - 1
    return float(amplitudes[k]) if k >= 0 else 0.0


@dataclass
class CurrentGenerator:
    """One ``step_current_generator``: times (ms) and amplitudes (pA), to ``indices`` of
    population ``target``."""

    target: str
    indices: np.ndarray
    times: np.ndarray
    amplitudes: np.ndarray


@dataclass
class CurrentPlan:
    """``bias[step][population]``: extra ``I_e`` (pA, per neuron) in force from integration
    step ``step`` on; ``generators`` carry the later changes with delay ``delay_steps``."""

    delay_steps: int
    bias: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    generators: list[CurrentGenerator] = field(default_factory=list)


def plan_currents(injections, sizes: dict[str, int], delay_steps: int, dt: float) -> CurrentPlan:
    """Split resolved injections into an ``I_e`` schedule and step-current generators."""
    g = int(delay_steps)
    plan = CurrentPlan(g)
    by_target: dict[str, list] = {}
    for inj in injections:
        by_target.setdefault(inj.target, []).append(inj)
    for target, injs in by_target.items():
        early = {0} | {int(s) for inj in injs for s in inj.stamps if 1 <= s <= g}
        for step in sorted(early):
            extra = np.zeros(sizes[target])
            for inj in injs:
                np.add.at(
                    extra, inj.indices, PER_NANO * amplitude_at(inj.stamps, inj.amplitudes, step)
                )
            plan.bias.setdefault(step, {})[target] = extra
        for inj in injs:
            late = np.unique(inj.stamps[inj.stamps > g])
            if not len(late):
                continue
            base = amplitude_at(inj.stamps, inj.amplitudes, g)
            amps = [amplitude_at(inj.stamps, inj.amplitudes, int(s)) - base for s in late]
            plan.generators.append(
                CurrentGenerator(
                    target,
                    np.asarray(inj.indices, np.int64),
                    (late - g) * dt,
                    PER_NANO * np.asarray(amps),
                )
            )
    return plan

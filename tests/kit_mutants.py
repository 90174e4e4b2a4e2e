"""Backends that are wrong on purpose, to prove the conformance kit fails them.

Each mutant wraps a real backend (NEST, or the chip) and changes one thing: what it
declares, the network it builds, or the results it returns.  ``MutantPlugin`` registers all
of them as plugins, the way a third party registers a backend; tests/test_kit_mutants.py
runs the kit on each and requires it to be reported as failing.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np

import hub
from hub import features as F
from hub.backend import Backend, BackendSpec, Capabilities, Session, Tolerance
from hub.hookspecs import hookimpl
from hub.plugins import get_backend

#: neuron kinds the liar does not simulate (it returns no spikes and V = 0 for them)
LIAR_SKIPS = ("LIFCond", "AdEx", "HodgkinHuxley")


@dataclass
class Mutation:
    """What a mutant changes on top of ``base``: ``caps`` rewrites the declared
    capabilities, ``network`` the resolved network before the base builds it, ``results``
    the Results (given the resolved network the mutant was asked to run)."""

    base: str
    description: str
    caps: Callable[[Capabilities], Capabilities] = lambda caps: caps
    network: Callable = lambda resolved: resolved
    results: Callable = lambda res, resolved: res
    build: Callable | None = None


class _MutantSession(Session):
    def __init__(self, inner, mutation, resolved):
        self.inner, self.mutation, self.resolved = inner, mutation, resolved

    def run(self, progress=None):
        self.inner.run(progress)

    def results(self):
        return self.mutation.results(self.inner.results(), self.resolved)

    def close(self):
        self.inner.close()


def mutant_class(name: str, mutation: Mutation):
    """A Backend class named ``name`` that is ``mutation.base`` with ``mutation`` applied."""

    class Mutant(Backend):
        def capabilities(self):
            return mutation.caps(get_backend(mutation.base).capabilities())

        def build(self, resolved, **options):
            if mutation.build is not None:
                return mutation.build(resolved, **options)
            inner = get_backend(mutation.base).build(
                mutation.network(copy.deepcopy(resolved)), **options
            )
            return _MutantSession(inner, mutation, resolved)

        def versions(self):
            return get_backend(mutation.base).versions()

    Mutant.name = name
    Mutant.__name__ = f"Mutant_{name}"
    return Mutant


# --- the mutations ---------------------------------------------------------------------------
def _empty_caps(caps):
    return Capabilities(frozenset({F.SPIKE_SOURCE}))


def _raise(resolved, **options):
    raise RuntimeError("this backend builds nothing")


def _liar_results(res, resolved):
    """No spikes and V = 0 for the models the liar does not simulate."""
    for label, pop in resolved.populations.items():
        if pop.model.kind not in LIAR_SKIPS:
            continue
        if label in res.spike_trains:
            empty = np.zeros(0, np.int64)
            res.spike_trains[label] = hub.SpikeTrains(pop.size, empty, empty, resolved.dt)
        for (name, var), sig in res.signals.items():
            if name == label:
                sig.values = np.zeros_like(sig.values)
    return res


def _shift_v(res, resolved):
    for (_, var), sig in res.signals.items():
        if var == "v":
            sig.values = sig.values + 0.5
    return res


def _sloppy_caps(caps):
    tolerances = {
        k: Tolerance(1, v_abs=1.0) if not k.startswith("plasticity:") else t
        for k, t in caps.tolerances.items()
    }
    return dataclasses.replace(caps, tolerances=tolerances)


def _tier2_caps(caps):
    tolerances = {k: Tolerance(2) for k in caps.tolerances}
    return dataclasses.replace(caps, tolerances=tolerances)


def _lsb_cheat(res, resolved):
    for (proj, var), values in list(res.synapse_state.items()):
        if var == "weight":
            res.synapse_state[(proj, var)] = np.full_like(values, 0.123)
        if var == "weight_lsb":
            res.synapse_state[(proj, var)] = np.full_like(values, 1e6)
    for (proj, var), sig in res.synapse_signals.items():
        if var == "weight":
            sig.values = np.full_like(sig.values, 0.123)
    return res


def _late_delays(resolved):
    for proj in resolved.projections:
        proj.delay_steps = proj.delay_steps + 1
    return resolved


def _shift_window(res, resolved):
    """Each state sample is the one of the step before (a sampling window one step early)."""
    for sig in res.signals.values():
        sig.values = np.concatenate([sig.values[:1], sig.values[:-1]])
    return res


def _floor_refractoriness(resolved):
    """Refractory time rounded down to whole steps (the contract rounds up)."""
    for pop in resolved.populations.values():
        if "tau_refrac" in pop.params:
            t = np.asarray(pop.params["tau_refrac"], float)
            pop.params = dict(pop.params, tau_refrac=np.floor(t / resolved.dt + 1e-9) * resolved.dt)
    return resolved


def _flip_depression(resolved):
    """Depression becomes potentiation: the sign of A_minus flipped in every pair rule."""
    for proj in resolved.projections:
        if proj.rule is not None and "A_minus" in proj.rule.params:
            proj.rule = dataclasses.replace(
                proj.rule, params=dict(proj.rule.params, A_minus=-proj.rule.params["A_minus"])
            )
    return resolved


def _late_changes(resolved):
    """Parameter changes between segments applied one step late."""
    for change in resolved.changes:
        change.step += 1 if change.step else 0
    return resolved


def _custom_without_refractoriness(resolved):
    """Models written as equations run without their refractory period (a backend that
    ignores ``(unless refractory)``)."""
    out = copy.copy(resolved)
    out.populations = {
        label: dataclasses.replace(
            pop, params={**pop.params, "tau_refrac": 0.0 * pop.params["tau_refrac"]}
        )
        if pop.model.kind == "Custom" and "tau_refrac" in pop.params
        else pop
        for label, pop in resolved.populations.items()
    }
    return out


MUTANTS: dict[str, Mutation] = {
    "empty": Mutation(
        "nest", "declares one feature; build() raises", caps=_empty_caps, build=_raise
    ),
    "crash": Mutation("nest", "declares NEST's features; build() raises", build=_raise),
    "liar": Mutation(
        "nest",
        "declares NEST's features; no spikes and V = 0 for LIFCond, AdEx and HH",
        results=_liar_results,
    ),
    "sloppy_v": Mutation(
        "nest",
        "V shifted by +0.5 mV, declared tier 1 with v_abs=1.0",
        _sloppy_caps,
        results=_shift_v,
    ),
    "sloppy_v_tier2": Mutation(
        "nest", "V shifted by +0.5 mV, declared tier 2", _tier2_caps, results=_shift_v
    ),
    "lsb_cheat": Mutation(
        "chip", "every plastic weight 0.123, reported weight_lsb 1e6", results=_lsb_cheat
    ),
    "late_delay": Mutation("nest", "every delay one step longer", network=_late_delays),
    "shifted_window": Mutation("nest", "state samples taken one step early", results=_shift_window),
    "refrac_floor": Mutation(
        "nest", "refractory period rounded down to whole steps", network=_floor_refractoriness
    ),
    "late_change": Mutation(
        "nest", "parameter changes between segments one step late", network=_late_changes
    ),
    "custom_no_refractory": Mutation(
        "brian2",
        "custom models without their refractory period",
        network=_custom_without_refractoriness,
    ),
    "flipped_rule": Mutation(
        "nest", "the sign of A_minus flipped in every pair rule", network=_flip_depression
    ),
}


class MutantPlugin:
    """Registers every mutant as a backend named ``mutant_<name>``."""

    @hookimpl
    def hub_register_backends(self):
        return [
            BackendSpec(f"mutant_{name}", mutant_class(f"mutant_{name}", m), m.description)
            for name, m in MUTANTS.items()
        ]

"""Native Poisson sources (``PoissonSource(resolve="native")``) on NEST: ``poisson_generator``.

A native source's neuron i emits ``Poisson(rate[i] dt)`` spikes stamped s for
``first_step <= s <= last_step``.  NEST's ``poisson_generator`` emits spikes stamped s for
``start + dt < s dt <= stop + dt`` (measured: one step later than a ``spike_generator``
with the same window), so it gets ``start = (first_step - 2) dt`` and
``stop = (last_step - 1) dt``; with ``start`` 0 (``first_step`` 1) NEST cannot emit in the
first step, so stamp 1 carries no input there (as in a hand-written NEST script).  There is
one generator per distinct rate of a source (a generator sends its own independent train
to every target).  NEST's ``rng_seed`` is set from the network seed.

* Fast path (every source neuron has at most one connection over all projections, as in
  Brunel's one-to-one noise): the generators are connected straight to the targets with
  the projections' weights and delays, one bulk ``Connect`` per projection.  Exact
  semantics: each target's train is a Poisson train of its source neuron's rate.
* General path (a source neuron with 2+ targets must send them one train): generator ->
  one ``parrot_neuron`` per source neuron -> the projections (built by the session as for
  any population).  A parrot repeats a spike one step later (its input connection has the
  one-step minimum delay), so when every outgoing delay is >= 2 steps the session shortens
  them by one step; otherwise the generator window moves one step earlier (clipped at 0).
"""

from __future__ import annotations

import numpy as np
from hub.errors import CapabilityError
from hub.resolve import native_out_degree, native_sources

from .distributed import smallest, summed


def rng_seed(seed: int) -> int:
    """NEST's ``rng_seed`` (1 .. 2**31 - 1) for the network seed."""
    return int(seed) % (2**31 - 2) + 1


def plan(resolved) -> dict[str, bool]:
    """label -> True (fast path) / False (general path) for every native source (out-degrees
    summed over the ranks of a distributed run; a source with native connectivity, whose
    degrees NEST draws, takes the general path)."""
    drawn_by_nest = {p.pre for p in resolved.projections if p.native is not None}
    return {
        label: label not in drawn_by_nest
        and bool(summed(native_out_degree(resolved, label)).max(initial=0) <= 1)
        for label in native_sources(resolved)
    }


def _generators(nest, src, dt, shift: int = 0):
    """One poisson_generator per distinct rate; returns (node ids, index per neuron)."""
    rates, inverse = np.unique(np.asarray(src.rate, float), return_inverse=True)
    start = max(0, src.first_step - 2 - shift) * dt
    # a source starting after the run has no window (NEST requires stop >= start)
    stop = max(0, src.last_step - 1 - shift, src.first_step - 2 - shift) * dt
    gens = nest.Create("poisson_generator", len(rates), params={"start": start, "stop": stop})
    gens.set([{"rate": float(r)} for r in rates])
    first = gens[0].global_id
    return first + np.arange(len(rates), dtype=np.int64), inverse


def create_general(nest, src, resolved) -> tuple[object, int]:
    """Generators -> parrots for a general-path source; returns (parrots, delay shift in
    steps the session subtracts from the parrots' outgoing delays)."""
    dt = resolved.dt
    delays = [int(p.delay_steps.min()) for p in resolved.projections if p.pre == src.label and p.n]
    least = smallest(min(delays, default=None))
    shift = 1 if (1 if least is None else least) >= 2 else 0
    gen_ids, inverse = _generators(nest, src, dt, shift=1 - shift)
    parrots = nest.Create("parrot_neuron", src.size)
    nest.Connect(
        gen_ids[inverse],
        parrots[0].global_id + np.arange(src.size, dtype=np.int64),
        "one_to_one",
        syn_spec={"weight": np.ones(src.size), "delay": np.full(src.size, dt)},
    )
    return parrots, shift


def connect_direct(nest, src, resolved, gids, tables) -> int:
    """Fast path: generators straight to the targets of every projection from ``src``;
    returns the number of connections made."""
    dt = resolved.dt
    gen_ids, inverse = _generators(nest, src, dt)
    made = 0
    for proj in resolved.projections:
        if proj.pre != src.label or not proj.n:
            continue
        table = tables[resolved.populations[proj.post].model.label]
        sign = table.inhibitory_sign if proj.receptor == "inhibitory" else 1.0
        nest.Connect(
            gen_ids[inverse[proj.pre_idx]],
            gids(proj.post, proj.post_idx),
            "one_to_one",
            syn_spec={
                "synapse_model": "static_synapse",
                "weight": proj.weight * (table.weight_scale * sign),
                "delay": proj.delay_steps * dt,
            },
        )
        made += proj.n
    return made


#: hub connector -> NEST connection rule and the name of its count
RULES = {
    "FixedProbability": ("pairwise_bernoulli", "p"),
    "FixedInDegree": ("fixed_indegree", "indegree"),
    "FixedOutDegree": ("fixed_outdegree", "outdegree"),
    "FixedTotalNumber": ("fixed_total_number", "N"),
}


def connect_rule(nest, proj, pre_nodes, post_nodes, factor: float) -> None:
    """A projection with ``resolve="native"``: NEST's own rule draws the connections, and NEST
    draws distributed weights and delays (``nest.random``), with its per-thread RNGs.
    ``factor`` converts the hub's weight to NEST's (unit and sign)."""
    spec = proj.native
    c = spec["connector"]
    if c["kind"] == "FixedTotalNumber" and not c["with_replacement"]:
        what = f"FixedTotalNumber(with_replacement=False, resolve='native') ({proj.label!r})"
        raise CapabilityError(
            "nest",
            [what],
            reasons={
                what: "NEST's fixed_total_number cannot suppress multapses; use "
                "resolve='hub' (the hub draws n distinct pairs) or with_replacement=True"
            },
        )
    rule_name, count = RULES[c["kind"]]
    rule = {"rule": rule_name, count: float(c["p"]) if count == "p" else int(c["n"])}
    if count != "p":
        rule["allow_multapses"] = bool(c["with_replacement"])
    if proj.pre == proj.post:
        rule["allow_autapses"] = bool(c["allow_self_connections"])
    syn = {
        "synapse_model": "static_synapse",
        "weight": _parameter(nest, spec["weight"], factor),
        "delay": _parameter(nest, spec["delay"], 1.0),
    }
    nest.Connect(pre_nodes, post_nodes, rule, syn)


def _parameter(nest, value, factor: float):
    """A number, or a NEST random parameter for a hub distribution, times ``factor``."""
    if not isinstance(value, dict):
        return float(value) * factor
    if value["type"] == "Uniform":
        a, b = sorted((value["low"] * factor, value["high"] * factor))
        return nest.random.uniform(min=a, max=b)
    param = nest.random.normal(mean=value["mu"] * factor, std=value["sigma"] * abs(factor))
    low, high = sorted((value["low"] * factor, value["high"] * factor))
    if np.isfinite(low) or np.isfinite(high):  # the hub's normal_clipped redraws too
        param = nest.math.redraw(param, min=low, max=high)
    return param


def least_delay_steps(spec: dict, dt: float) -> int:
    """The smallest delay (steps) a native projection can draw: its delay, or the lower end
    of its distribution (validated to be >= dt)."""
    delay = spec["delay"]
    low = delay.get("low", dt) if isinstance(delay, dict) else delay
    return max(1, int(np.floor(float(low) * (1.0 / dt) + 0.5))) if np.isfinite(low) else 1

"""Connectors: rules that say which pre neuron connects to which post neuron.

The draw happens in ``hub.resolve`` from the network seed (or the connector's own seed),
so every backend receives the same concrete (pre, post) arrays.  Every connector has the
fields ``allow_self_connections`` and ``seed`` (fixed to True and None where they mean
nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .node import Node, register


class Connector(Node):
    """Base class.  Subclasses are dataclasses declaring at least ``allow_self_connections``
    and ``seed``."""

    allow_self_connections: bool
    seed: int | None

    def synapse_values(self, synapse) -> tuple[object, object]:
        """(weight, delay) of the connections: the synapse's, unless the connector carries
        its own (:class:`FromArrays`)."""
        return synapse.weight, synapse.delay


@dataclass(eq=False)
class AllToAll(Connector):
    """Every pre neuron to every post neuron."""

    allow_self_connections: bool = True
    seed: int | None = None
    kind = "AllToAll"


@dataclass(eq=False)
class OneToOne(Connector):
    """Pre neuron i to post neuron i (equal sizes)."""

    allow_self_connections: bool = field(default=True, init=False)
    seed: int | None = field(default=None, init=False)
    kind = "OneToOne"


#: accepted values of a random connector's ``resolve``
RESOLVE = ("hub", "native")


@dataclass(eq=False)
class FixedProbability(Connector):
    """Each (pre, post) pair independently with probability ``p``.

    ``resolve="native"``: the backend draws the connections with its own rule and RNG
    (NEST's ``pairwise_bernoulli``): the same statistics, another realization; backends
    without a rule of their own get the hub's draw."""

    p: float
    allow_self_connections: bool = True
    seed: int | None = None
    resolve: str = "hub"
    kind = "FixedProbability"

    @property
    def native(self) -> bool:
        return self.resolve == "native"


@dataclass(eq=False)
class FixedInDegree(Connector):
    """Each post neuron receives from exactly ``n`` pre neurons (PyNN ``FixedNumberPre``).
    ``resolve="native"`` as in :class:`FixedProbability` (NEST's ``fixed_indegree``)."""

    n: int
    allow_self_connections: bool = True
    with_replacement: bool = False
    seed: int | None = None
    resolve: str = "hub"
    kind = "FixedInDegree"

    @property
    def native(self) -> bool:
        return self.resolve == "native"


@dataclass(eq=False)
class FixedOutDegree(FixedInDegree):
    """Each pre neuron projects to exactly ``n`` post neurons (PyNN ``FixedNumberPost``).
    ``resolve="native"``: NEST's ``fixed_outdegree``."""

    kind = "FixedOutDegree"


@dataclass(eq=False)
class FixedTotalNumber(Connector):
    """Exactly ``n`` connections drawn uniformly over the pre x post pairs (PyNN
    ``FixedTotalNumberConnector``, NEST's ``fixed_total_number``).

    ``with_replacement=True``: n independent draws, each pair with probability
    1 / n_pairs, so a pair may be drawn twice (multapses); without: a uniformly random set
    of n distinct pairs (n <= n_pairs).  n_pairs = n_pre n_post, minus the diagonal pairs
    i -> i (one per neuron) of a projection onto its own population with
    ``allow_self_connections=False``.  A post neuron's in-degree is Binomial(n, 1 / n_post)
    with replacement.  ``resolve="native"``: NEST's ``fixed_total_number`` (``N``,
    ``allow_multapses``, ``allow_autapses``), with replacement only (NEST cannot suppress
    its multapses)."""

    n: int
    allow_self_connections: bool = True
    with_replacement: bool = True
    seed: int | None = None
    resolve: str = "hub"
    kind = "FixedTotalNumber"

    @property
    def native(self) -> bool:
        return self.resolve == "native"


@dataclass(eq=False)
class FromArrays(Connector):
    """Explicit connections: arrays ``pre`` and ``post`` of neuron indices (optionally the
    synapse's weights and delays per connection, overriding the synapse's)."""

    pre: object
    post: object
    weight: object = None
    delay: object = None
    allow_self_connections: bool = field(default=True, init=False)
    seed: int | None = field(default=None, init=False)
    kind = "FromArrays"

    def synapse_values(self, synapse) -> tuple[object, object]:
        return (
            synapse.weight if self.weight is None else self.weight,
            synapse.delay if self.delay is None else self.delay,
        )


def FromList(conn_list):  # noqa: N802 - PyNN spelling
    """PyNN ``FromListConnector``: a list of (pre, post[, weight[, delay]]) tuples."""
    rows = np.asarray(conn_list, dtype=float)
    if rows.ndim != 2 or rows.shape[1] < 2:
        rows = rows.reshape(-1, 2) if rows.size == 0 else rows
    cols = [rows[:, k] for k in range(rows.shape[1])]
    return FromArrays(
        cols[0].astype(int),
        cols[1].astype(int),
        cols[2] if len(cols) > 2 else None,
        cols[3] if len(cols) > 3 else None,
    )


CONNECTORS = register(
    AllToAll,
    OneToOne,
    FixedProbability,
    FixedInDegree,
    FixedOutDegree,
    FixedTotalNumber,
    FromArrays,
)

"""Connectors: rules that say which pre neuron connects to which post neuron.

The draw happens in ``hub.resolve`` from the network seed (or the connector's own seed),
so every backend receives the same concrete (pre, post) arrays.
"""
from __future__ import annotations

from typing import ClassVar


class Connector:
    kind: ClassVar[str]

    def __init__(self, allow_self_connections: bool = True, seed: int | None = None):
        self.allow_self_connections = allow_self_connections
        self.seed = seed

    def to_dict(self) -> dict:
        from .serialize import encode_value

        return {"kind": self.kind, **{k: encode_value(v) for k, v in self.__dict__.items()}}

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"{self.kind}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


class AllToAll(Connector):
    """Every pre neuron to every post neuron."""

    kind = "AllToAll"


class OneToOne(Connector):
    """Pre neuron i to post neuron i (equal sizes)."""

    kind = "OneToOne"

    def __init__(self):
        super().__init__(True, None)


class FixedProbability(Connector):
    """Each (pre, post) pair independently with probability ``p``."""

    kind = "FixedProbability"

    def __init__(self, p: float, allow_self_connections: bool = True, seed: int | None = None):
        super().__init__(allow_self_connections, seed)
        self.p = p


class FixedInDegree(Connector):
    """Each post neuron receives from exactly ``n`` pre neurons (PyNN ``FixedNumberPre``)."""

    kind = "FixedInDegree"

    def __init__(self, n: int, allow_self_connections: bool = True,
                 with_replacement: bool = False, seed: int | None = None):
        super().__init__(allow_self_connections, seed)
        self.n, self.with_replacement = n, with_replacement


class FixedOutDegree(FixedInDegree):
    """Each pre neuron projects to exactly ``n`` post neurons (PyNN ``FixedNumberPost``)."""

    kind = "FixedOutDegree"


class FromArrays(Connector):
    """Explicit connections: arrays ``pre`` and ``post`` of neuron indices (optionally the
    synapse's weights and delays per connection, overriding the synapse's)."""

    kind = "FromArrays"

    def __init__(self, pre, post, weight=None, delay=None):
        super().__init__(True, None)
        self.pre, self.post, self.weight, self.delay = pre, post, weight, delay


def FromList(conn_list):  # noqa: N802 - PyNN spelling
    """PyNN ``FromListConnector``: a list of (pre, post[, weight[, delay]]) tuples."""
    import numpy as np

    rows = np.asarray(conn_list, dtype=float)
    if rows.ndim != 2 or rows.shape[1] < 2:
        rows = rows.reshape(-1, 2) if rows.size == 0 else rows
    cols = [rows[:, k] for k in range(rows.shape[1])]
    return FromArrays(cols[0].astype(int), cols[1].astype(int),
                      cols[2] if len(cols) > 2 else None, cols[3] if len(cols) > 3 else None)


CONNECTORS = {c.kind: c for c in (AllToAll, OneToOne, FixedProbability, FixedInDegree,
                                  FixedOutDegree, FromArrays)}

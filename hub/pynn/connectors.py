"""PyNN connectors hub.pynn changes: ``FixedTotalNumberConnector``.

PyNN 0.13's ``FixedTotalNumberConnector`` draws n (source, target) pairs, each source
uniform over the pre-synaptic neurons and each target uniform over the post-synaptic ones,
and ignores its ``allow_self_connections`` and ``with_replacement`` arguments (its backends,
pyNN.nest included, make autapses and multapses whatever the script says).  hub.pynn draws
the same pairs with the same calls on the script's RNG, and honours the two arguments by
rejection: a pair it forbids (i -> i of a projection onto its own population with
``allow_self_connections=False``; a pair drawn before with ``with_replacement=False``) is
drawn again, so the n pairs are uniform over the allowed ones (as ``hub.FixedTotalNumber``).
With both arguments at their defaults (True) the connections are PyNN's, draw for draw.
"""

from __future__ import annotations

import numpy as np
from pyNN import connectors
from pyNN.errors import ConnectionError
from pyNN.random import RandomDistribution

from .errors import unsupported


class FixedTotalNumberConnector(connectors.FixedTotalNumberConnector):
    __doc__ = connectors.FixedTotalNumberConnector.__doc__

    def connect(self, projection):
        if self.allow_self_connections is True and self.with_replacement:
            return super().connect(projection)
        if self.allow_self_connections == "NoMutual":
            raise unsupported(
                "FixedTotalNumberConnector(allow_self_connections='NoMutual')",
                "the hub draws total numbers without the mutual-connection rule",
                "use allow_self_connections=True or False",
            )
        if not isinstance(self.n, (int, np.integer)):
            raise unsupported(
                f"FixedTotalNumberConnector(n={self.n!r})",
                "the hub draws a fixed integer number of connections",
                "give n as an integer",
            )
        n_pre, n_post = projection.pre.size, projection.post.size
        no_self = not self.allow_self_connections and projection.pre == projection.post
        pairs = n_pre * n_post - (min(n_pre, n_post) if no_self else 0)
        if self.n > 0 and pairs == 0 or (not self.with_replacement and self.n > pairs):
            raise ConnectionError(
                f"FixedTotalNumberConnector: {self.n} connections from {pairs} allowed pairs "
                f"{'with' if self.with_replacement else 'without'} replacement"
            )
        # PyNN's split of n over the MPI processes (its binomial draws come first)
        rank = projection._simulator.state.mpi_rank
        processes = projection._simulator.state.num_processes
        if processes > 1:
            raise unsupported(
                "FixedTotalNumberConnector without autapses or multapses on several processes",
                "the hub draws it in one process",
                "run the script in one process",
            )
        share = int(n_post / processes)
        bino = RandomDistribution("binomial", [self.n, share / n_post], rng=self.rng)
        counts, given, left = np.zeros(processes, dtype=int), 0, 0
        for k in range(processes):
            bino.parameters["p"] = share / (n_post - given)
            bino.parameters["n"] = self.n - left
            counts[k] = bino.next()
            given += share
            left += counts[k]
        connections = [[] for _ in range(n_post)]
        targets = np.arange(n_post)[projection.post._mask_local]
        seen: set[tuple[int, int]] = set()
        made = 0
        while made < counts[rank]:  # the calls of PyNN's own draw, one pair at a time
            source = int(self.rng.next(1, "uniform_int", {"low": 0, "high": n_pre}, mask=None)[0])
            target = int(self.rng.choice(targets, size=1)[0])
            if no_self and source == target:
                continue
            if not self.with_replacement:
                if (source, target) in seen:
                    continue
                seen.add((source, target))
            connections[target].append(source)
            made += 1

        def targets_of(mask):
            return np.arange(n_post)[mask]

        def build_source_masks(mask=None):
            rows = connections if mask is None else [connections[i] for i in targets_of(mask)]
            return [np.array(x, dtype=int) for x in rows]

        self._standard_connect(projection, build_source_masks)

"""Where NEST puts each neuron, and the node ids that keep the hub's summation order.

NEST numbers nodes from 1 in creation order and gives node id g to virtual process
``vp = g % V`` (V = P processes x T threads), vp to rank ``vp % P`` and thread ``vp // P``.
A neuron's spikes of one ``min_delay`` slice reach their targets in the order (sending
rank, sending thread, node id): the order depends on the layout, and with three or more
inputs in one step so does the floating-point sum.

The hub's order is the single-process one: populations in creation order, neurons by
index.  To keep it under any layout, each run of adjacent populations of one model is
created by one ``Create`` call (a *block*), and hub neuron j of the block gets the j-th node
id of the block in NEST's delivery order.  With V = 1 that is node id ``first + j``; with
V > 1 every rank holds a contiguous range of each block's hub indices (its *share*), the
neurons whose incoming synapses only that rank needs.  Senders of different blocks (other
neuron models, ``spike_train_injector``s, parrot neurons) still interleave by layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Block:
    """Adjacent populations of one model, created by one ``Create`` call."""

    model: str  # hub model label
    labels: list[str]
    offsets: list[int]  # first hub index of each population within the block
    first: int  # node id of the block's first node
    size: int
    gid: np.ndarray  # node id of block index j (hub order)
    ranks: np.ndarray  # rank of block index j (non-decreasing)


class Layout:
    """Node ids and shares of the neuron populations for ``processes`` x ``threads``.

    ``populations``: (label, size, model label) in creation order; the populations are
    created first, from node id 1."""

    def __init__(self, populations, processes: int = 1, threads: int = 1):
        self.processes, self.threads = int(processes), int(threads)
        vps = self.processes * self.threads
        self.blocks: list[Block] = []
        self.where: dict[str, tuple[Block, int, int]] = {}  # label -> (block, offset, size)
        first = 1
        for label, size, model in populations:
            if not self.blocks or self.blocks[-1].model != model:
                self.blocks.append(Block(model, [], [], first, 0, np.zeros(0), np.zeros(0)))
            block = self.blocks[-1]
            block.labels.append(label)
            block.offsets.append(block.size)
            self.where[label] = (block, block.size, int(size))
            block.size += int(size)
            first += int(size)
        for block in self.blocks:
            gids = np.arange(block.first, block.first + block.size, dtype=np.int64)
            vp = gids % vps
            rank, thread = vp % self.processes, vp // self.processes
            order = np.lexsort((gids, thread, rank))
            block.gid, block.ranks = gids[order], rank[order]

    @property
    def n_nodes(self) -> int:
        """Nodes of all populations (the first node id after them is ``n_nodes + 1``)."""
        return sum(b.size for b in self.blocks)

    def gids(self, label: str, idx) -> np.ndarray:
        """Node ids of neurons ``idx`` of population ``label``."""
        block, offset, _ = self.where[label]
        if self.identity:  # consecutive ids: an addition, not a gather over every synapse
            return block.first + offset + np.asarray(idx, np.int64)
        return block.gid[offset + np.asarray(idx, np.int64)]

    def index(self, label: str, gids) -> np.ndarray:
        """Hub indices in ``label`` of the neurons with node ids ``gids`` (inverse of
        :meth:`gids`)."""
        block, offset, _ = self.where[label]
        if self.identity:
            return np.asarray(gids, np.int64) - block.first - offset
        inverse = self._inverse(block)
        return inverse[np.asarray(gids, np.int64) - block.first] - offset

    def _inverse(self, block: Block) -> np.ndarray:
        if not hasattr(block, "inverse"):
            inverse = np.empty(block.size, np.int64)
            inverse[block.gid - block.first] = np.arange(block.size)
            block.inverse = inverse  # type: ignore[attr-defined]
        return block.inverse  # type: ignore[attr-defined]

    def node_order(self, label: str) -> np.ndarray:
        """Positions of the population's neurons (hub order) in its sorted node ids: an array
        ``a`` given per hub index is ``out[node_order] = a`` in node-id order."""
        gids = self.gids(label, np.arange(self.where[label][2]))
        return np.argsort(np.argsort(gids, kind="stable"), kind="stable")

    def in_node_order(self, label: str, values):
        """``values`` per hub index (an array, or a scalar left as it is) in the order of the
        population's sorted node ids."""
        arr = np.asarray(values)
        if arr.ndim == 0 or self.identity:
            return values
        out = np.empty_like(arr)
        out[self.node_order(label)] = arr
        return out

    @property
    def identity(self) -> bool:
        """True when node id = first + hub index (one virtual process)."""
        return self.processes * self.threads == 1

    def share(self, rank: int) -> dict[str, tuple[int, int]]:
        """Per population, the range (lo, hi) of hub indices that live on ``rank``."""
        out = {}
        for label, (block, offset, size) in self.where.items():
            lo = int(np.searchsorted(block.ranks, rank, "left"))
            hi = int(np.searchsorted(block.ranks, rank, "right"))
            a, b = max(lo, offset), min(hi, offset + size)
            out[label] = (a - offset, b - offset) if b > a else (0, 0)
        return out


def populations_of(network_or_resolved) -> list[tuple[str, int, str]]:
    """(label, size, model label) of the neuron populations, in creation order, from a
    ``hub.Network`` or a resolved network."""
    pops = getattr(network_or_resolved, "populations")
    if isinstance(pops, dict):  # resolved
        return [(label, p.size, p.model.label) for label, p in pops.items()]
    return [(p.label, p.size, p.model.label) for p in pops if not p.is_source]

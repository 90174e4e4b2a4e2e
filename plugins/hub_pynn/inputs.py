"""Resolved spike sources -> PyNN ``SpikeSourceArray`` layers (pure numpy; no PyNN import).

A hub source event ``(neuron, stamp s)`` behaves like a neuron spike stamped ``s``: it reaches
a target over ``D`` steps at ``(s + D) dt`` (docs/semantics.md).  Each PyNN module needs the
event at its own time, ``(s - lead) dt`` (:class:`hub_pynn.simulators.Timing`):

* a spike of multiplicity ``m`` (the same pair ``m`` times) is split over ``m`` *layers*,
  copies of the source whose k-th layer carries every event's k-th occurrence, each
  connected like the source: the target receives ``m`` spikes in one step and adds ``m w``
  (a ``SpikeSourceArray`` cannot hold a time twice on every simulator);
* an event earlier than the module's ``first_stamp`` (pyNN.nest relays a
  ``SpikeSourceArray`` through parrot neurons that cost one step, so a spike stamped 1 would
  need a generator time of 0) is *advanced*: it goes to a layer emitting it ``shift`` steps
  later whose connections are ``shift`` steps shorter; a connection of ``shift`` steps or
  fewer cannot be shortened, which is a :class:`hub.CapabilityError` naming the source.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SourceLayer:
    """One PyNN ``SpikeSourceArray`` population for part of a hub source: ``stamps[i]`` are
    the stamps neuron ``i`` emits in this layer (already advanced by ``shift``); its
    connections are ``shift`` steps shorter than the hub's."""

    source: str
    copy: int  # which occurrence of a repeated event (0: the first)
    shift: int  # steps the events are advanced by
    stamps: list[np.ndarray]

    @property
    def neurons(self) -> np.ndarray:
        """Neurons with at least one event in this layer."""
        return np.flatnonzero([len(s) > 0 for s in self.stamps])

    def times(self, dt: float, lead: float) -> list[np.ndarray]:
        """Spike times (ms) per neuron for a module that wants ``(s - lead) dt``."""
        return [(s - lead) * dt for s in self.stamps]


def occurrence(indices: np.ndarray, stamps: np.ndarray) -> np.ndarray:
    """For events sorted by (stamp, index): 0 for the first event of each (index, stamp)
    pair, 1 for its repeat, ..."""
    n = len(indices)
    if not n:
        return np.zeros(0, np.int64)
    new = np.ones(n, bool)
    new[1:] = (indices[1:] != indices[:-1]) | (stamps[1:] != stamps[:-1])
    start = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    return np.arange(n) - start


def layers(source, first_stamp: int = 1) -> list[SourceLayer]:
    """The layers of a resolved (non-native) source (module docstring); none when the source
    never fires."""
    idx, st = np.asarray(source.indices, np.int64), np.asarray(source.stamps, np.int64)
    copy = occurrence(idx, st)
    shift = np.maximum(0, first_stamp - st)
    out = []
    for c, k in sorted(set(zip(copy.tolist(), shift.tolist()))):
        sel = (copy == c) & (shift == k)
        per = [np.sort(st[sel][idx[sel] == i] + k) for i in range(source.size)]
        out.append(SourceLayer(source.label, c, k, per))
    return out

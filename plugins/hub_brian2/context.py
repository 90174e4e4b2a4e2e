"""What the builders of one Brian2 session share: :class:`BuildContext`.

``session.py`` makes the neuron groups, then hands a ``BuildContext`` to the modules that add
the rest of the network (``relay.py``, ``plastic_build.py``, ``native.py``); each returns the
objects it built, and the session keeps them.  Nothing else of a session is visible to them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def b2_name(prefix: str, label: str) -> str:
    """A Brian2 object name from a hub label (Brian2 appends a number after ``*``)."""
    return prefix + re.sub(r"\W", "_", label)[:40] + "*"


def monitor_samples(recorded, final, steps: int, interval_steps: int) -> np.ndarray:
    """A StateMonitor's record (``recorded``: (neurons, samples) at the start of steps 0, iv,
    2 iv, ...) as (samples, neurons) at stamps iv, 2 iv, ... <= ``steps``: the state at the
    start of step k is the state at stamp k, and ``final`` (the state after the run) is the
    last sample when ``steps`` is a multiple of ``interval_steps``."""
    rec = np.asarray(recorded).T[1:]  # drop t = 0
    if steps % interval_steps == 0:
        rec = np.vstack([rec, np.asarray(final)[None, :]])
    return rec[: steps // interval_steps]


def source_event_counts(src, steps: int):
    """(stamps, neurons, multiplicities) of the events of spike source ``src`` in a run of
    ``steps`` steps, sorted by (stamp, neuron): a neuron's spikes in one step are one event."""
    keep = (src.stamps >= 1) & (src.stamps <= steps)
    key = src.stamps[keep].astype(np.int64) * src.size + src.indices[keep]
    uniq, counts = np.unique(key, return_counts=True)
    stamps, idx = np.divmod(uniq, src.size)
    return stamps, idx, counts


_CLOCK_CLASS: dict = {}


def make_clock(b2, dt, name: str):
    """A Brian2 ``Clock`` of step ``dt`` (a quantity) whose text is computed once per dt:
    Brian2 formats the clock into a diagnostic message for every object it creates, whatever
    the log level (``in_best_unit``, 0.1-0.3 ms a time: 7 of the 60 ms of the STDP
    benchmark's build, 25 objects).  The text is Brian2's own."""
    if "cls" not in _CLOCK_CLASS:

        def __repr__(self):
            dt_, text = self.__dict__.get("_hub_text", (None, ""))
            if dt_ != self.dt_:
                dt_, text = self.dt_, b2.Clock.__repr__(self)
                self.__dict__["_hub_text"] = (dt_, text)
            return text

        # Brian2 lets an instance set only the properties in its own class's __dict__
        # (``clock.dt = ...``): the subclass repeats Clock's
        namespace = {k: v for k, v in vars(b2.Clock).items() if isinstance(v, property)}
        _CLOCK_CLASS["cls"] = type("HubClock", (b2.Clock,), {**namespace, "__repr__": __repr__})
    return _CLOCK_CLASS["cls"](dt=dt, name=name)


@dataclass
class BuildContext:
    b2: Any  # the brian2 module
    resolved: Any  # hub.resolve.ResolvedNetwork
    dt: float  # hub dt (ms)
    h: float  # NEST's resolution (the double NEST uses)
    clock: Any  # the clock of every per-step object
    functions: dict  # sel, fmin, fcopy (namespace of the model code)
    #: population -> its NeuronGroup, or the subgroup of a merged NeuronGroup
    groups: dict = field(default_factory=dict)
    #: population -> (its NeuronGroup, first index, stop index)
    span: dict = field(default_factory=dict)
    #: population -> its B2Model
    model_of: dict = field(default_factory=dict)
    #: registers a runner with per-step work that grows with the network (``hot_code``)
    hot_code: Callable[..., None] = lambda runner, *code: None
    #: Brian2's C++ standalone device (no network operations): the objects that feed the
    #: source events into the relay (standalone.source_feed); None: a network operation does
    source_feed: Callable[..., list] | None = None
    _clocks: dict = field(default_factory=dict)

    def sampling_clock(self, interval_steps: int):
        """The clock of monitors sampling every ``interval_steps`` steps (one per interval,
        made when first asked for)."""
        if interval_steps == 1:
            return self.clock
        if interval_steps not in self._clocks:
            self._clocks[interval_steps] = make_clock(
                self.b2, interval_steps * self.dt * self.b2.ms, "hub_rec_clock*"
            )
        return self._clocks[interval_steps]

"""Recording through PyNN's own :class:`pyNN.recording.Recorder`: it makes the Neo blocks
(segments, SpikeTrains with ``source_population``, ``channel_id`` and ``source_index``,
AnalogSignals with their units); this module hands it the data of the hub's
:class:`hub.Results`.

Spike times are the hub's stamps times dt (ms).  A signal starts with the initial value at
t = 0 and continues with the hub's samples at ``sampling_interval, 2 sampling_interval, ...``
(the state at the end of each step), the layout pyNN.nest gives.

``record()`` between runs adds the recording to the running engine (``hub.Simulation``
takes recordings between segments): the signal of that variable starts at the time of the
call, t0 (``t_start``; first sample: the state at t0), and the spike trains of the neurons
it adds hold the spikes after t0 (``t_start`` t0).  Times in ms.
"""

from __future__ import annotations

import numpy as np
import quantities as pq
from pyNN import recording
from pyNN.recording import Variable

from . import simulator
from .errors import UnsupportedError
from .values import hub_variable, initial_array


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self._cleared_at = 0.0  # ms: data up to here was cleared by get_data(clear=True)
        self._started: dict[str, float] = {}  # signal -> ms it was recorded from, if > 0
        self._late_spikes: dict[int, float] = {}  # ID -> ms its spikes are recorded from, > 0

    def record(self, variables, ids, sampling_interval=None, locations=None):
        if locations is not None:
            raise UnsupportedError(
                f"record({variables!r}, locations=...): the hub simulates point neurons; "
                "record without locations"
            )
        state = simulator.state
        before = {v.name: set(i) for v, i in self.recorded.items()}
        super().record(variables, ids, sampling_interval, locations)
        if state.built:
            for variable, now in self.recorded.items():
                self._record_from_now(variable.name, before.get(variable.name, set()), now)

    def _record_from_now(self, name: str, before: set, now: set) -> None:
        """Add the neurons ``now - before`` recorded for ``name`` to the running engine, from
        the current time on."""
        new = now - before
        if not new:
            return
        state, label = simulator.state, self.population.label
        if before and name != "spikes":
            self.recorded[Variable(name=name, location=None, label=None)] = before
            raise UnsupportedError(
                f"{label}.record({name!r}) at t = {state.t:g} ms for more neurons: the hub "
                "has one recording of each variable per population; record them all before "
                "the first run(), or call reset() first"
            )
        if name == "spikes":
            self._late_spikes.update(dict.fromkeys((int(i) for i in new), state.t))
        else:  # the first sample on the interval's grid at or after now
            step = self.sampling_interval
            self._started[name] = np.ceil(round(state.t / step, 9)) * step
        interval = None if name == "spikes" else self.sampling_interval
        state.engine.network.record(
            self.population.hub_label,
            hub_variable(self.population.celltype, name),
            interval=interval,
            indices=np.sort(self._indices(new)),
        )

    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None and variable.name != "spikes":
            self.sampling_interval = sampling_interval

    def _reset(self):
        simulator.state.refuse_after_build(f"{self.population.label}.record(None)")

    def _get_current_segment(self, filter_ids=None, variables="all", clear=False):
        """PyNN's segment, with ``t_start`` the time of the ``record()`` call for what was
        recorded between runs (PyNN gives every signal and train the recorder's start)."""
        segment = super()._get_current_segment(filter_ids, variables, clear)
        for signal in segment.analogsignals:
            if signal.name in self._started:
                signal.t_start = self._started[signal.name] * pq.ms
        for train in segment.spiketrains:
            since = self._late_spikes.get(int(train.annotations.get("channel_id", -1)))
            if since is not None:
                train.t_start = since * pq.ms
        return segment

    # --- data for PyNN's Neo assembly --------------------------------------------------------
    def _indices(self, ids) -> np.ndarray:
        return np.asarray(self.population.id_to_index(np.asarray(list(ids), dtype=int)), int)

    def _get_spiketimes(self, ids, clear=False):
        """(ids, times in ms) of the recorded spikes of ``ids`` in the current segment."""
        results = simulator.state.results()
        ids = np.asarray(list(ids), dtype=int)
        if results is None or not len(ids):
            return np.zeros(0, dtype=int), np.zeros(0)
        trains = results.spikes(self.population.hub_label)
        keep = np.isin(trains.indices, self._indices(ids)) & (trains.times > self._cleared_at)
        first = int(self.population.first_id)
        return trains.indices[keep] + first, np.array(trains.times[keep], dtype=float)

    def _get_all_signals(self, variable, ids, clear=False):
        """Samples x neurons ``ids``; rows: t = 0 (the initial value), then every sampling
        interval (ms), or from the time of a record() call made between runs."""
        ids = list(ids)
        if not ids:
            return np.array([]), None
        idx = self._indices(ids)
        t0 = self._started.get(variable.name, 0.0)
        rows = [] if t0 else [initial_array(self.population, variable.name)[idx][np.newaxis, :]]
        results = simulator.state.results()
        name = hub_variable(self.population.celltype, variable.name)
        key = (self.population.hub_label, name)  # not there if added after the last run
        if results is not None and key in results.signals and len(results.signals[key].times):
            sig = results.signal(self.population.hub_label, name)
            rows.append(sig.values[:, np.searchsorted(sig.indices, idx)])
        values = np.vstack(rows) if rows else np.zeros((0, len(idx)))
        if self._cleared_at > 0:
            times = t0 + np.arange(len(values)) * self.sampling_interval
            values = values[times >= self._cleared_at - 1e-9]
        return values, None

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        found, _ = self._get_spiketimes(ids)
        counts = dict.fromkeys((int(i) for i in ids), 0)
        for i, n in zip(*np.unique(found, return_counts=True)):
            counts[int(i)] = int(n)
        return counts

    def _clear_simulator(self):
        self._cleared_at = simulator.state.t

    def store_to_cache(self, annotations=None):
        super().store_to_cache(annotations)
        self._cleared_at = 0.0
        self._started, self._late_spikes = {}, {}  # a new segment records from t = 0

    @property
    def metadata(self):
        """PyNN's block annotations, and the hub backend that ran the segment."""
        return {**super().metadata, "backend": simulator.state.backend}

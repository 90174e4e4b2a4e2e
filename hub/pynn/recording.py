"""Recording through PyNN's own :class:`pyNN.recording.Recorder`: it makes the Neo blocks
(segments, SpikeTrains with ``source_population``, ``channel_id`` and ``source_index``,
AnalogSignals with their units); this module hands it the data of the hub's
:class:`hub.Results`.

Spike times are the hub's stamps times dt (ms).  A signal starts with the initial value at
t = 0 and continues with the hub's samples at ``sampling_interval, 2 sampling_interval, ...``
(the state at the end of each step), the layout pyNN.nest gives.
"""

from __future__ import annotations

import numpy as np
from pyNN import recording

from . import simulator
from .errors import UnsupportedError
from .values import hub_variable, initial_array


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self._cleared_at = 0.0  # ms: data up to here was cleared by get_data(clear=True)

    def record(self, variables, ids, sampling_interval=None, locations=None):
        simulator.state.refuse_after_build(f"{self.population.label}.record({variables!r})")
        if locations is not None:
            raise UnsupportedError(
                f"record({variables!r}, locations=...): the hub simulates point neurons; "
                "record without locations"
            )
        super().record(variables, ids, sampling_interval, locations)

    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None and variable.name != "spikes":
            self.sampling_interval = sampling_interval

    def _reset(self):
        simulator.state.refuse_after_build(f"{self.population.label}.record(None)")

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
        """Samples (rows: t = 0, then every sampling interval) x neurons ``ids``."""
        ids = list(ids)
        if not ids:
            return np.array([]), None
        idx = self._indices(ids)
        rows = [initial_array(self.population, variable.name)[idx][np.newaxis, :]]
        results = simulator.state.results()
        name = hub_variable(self.population.celltype, variable.name)
        if results is not None and len(results.signal(self.population.hub_label, name).times):
            sig = results.signal(self.population.hub_label, name)
            rows.append(sig.values[:, np.searchsorted(sig.indices, idx)])
        values = np.vstack(rows)
        if self._cleared_at > 0:
            times = np.arange(len(values)) * self.sampling_interval
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

    @property
    def metadata(self):
        """PyNN's block annotations, and the hub backend that ran the segment."""
        return {**super().metadata, "backend": simulator.state.backend}

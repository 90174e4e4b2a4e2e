"""Decoders: spike trains -> numbers (docs/encoders.md).

Each takes a :class:`hub.SpikeTrains` (from an encoder or ``Results.spikes(pop)``) and a
window ``(t_start, t_stop]`` in ms: a spike at time t = stamp * dt counts when
``t_start < t <= t_stop`` (default: every spike).  Results are per neuron, in neuron order.
"""

from __future__ import annotations

import numpy as np

from .encoders import checked_data, input_error
from .results import SpikeTrains

__all__ = ["spike_count", "rate", "first_spike_time", "population_vector", "phase_value"]


def _window(trains: SpikeTrains, t_start, t_stop, where: str) -> np.ndarray:
    if not isinstance(trains, SpikeTrains):
        input_error(
            f"{where}.trains",
            f"{type(trains).__name__} is not a hub.SpikeTrains",
            "pass an encoder's output or Results.spikes(population)",
        )
    lo = -np.inf if t_start is None else float(t_start)
    hi = np.inf if t_stop is None else float(t_stop)
    if not lo < hi:
        input_error(f"{where}.t_stop", f"window ({lo}, {hi}] ms is empty", "use t_stop > t_start")
    t = trains.times
    return (t > lo + 1e-9 * trains.dt) & (t <= hi + 1e-9 * trains.dt)


def spike_count(trains: SpikeTrains, t_start=None, t_stop=None) -> np.ndarray:
    """``n_i`` = number of spikes of neuron i in the window (multiplicity counted)."""
    sel = _window(trains, t_start, t_stop, "spike_count")
    return np.bincount(trains.indices[sel], minlength=trains.size)


def rate(trains: SpikeTrains, t_start: float, t_stop: float) -> np.ndarray:
    """Firing rate ``r_i = 1000 n_i / (t_stop - t_start)`` in Hz over the window (ms)."""
    return spike_count(trains, t_start, t_stop) * 1000.0 / (float(t_stop) - float(t_start))


def first_spike_time(trains: SpikeTrains, t_start=None, t_stop=None) -> np.ndarray:
    """Time (ms) of each neuron's first spike in the window, ``inf`` for silent neurons.
    The inverse of :func:`hub.encoders.latency` (linear): ``x = 1 - (t - t_min)/(t_max - t_min)``.
    """
    sel = _window(trains, t_start, t_stop, "first_spike_time")
    out = np.full(trains.size, np.inf)
    np.minimum.at(out, trains.indices[sel], trains.times[sel])
    return out


def population_vector(
    trains: SpikeTrains, preferred, t_start=None, t_stop=None, *, circular: bool = False
) -> float:
    """Population-vector estimate from spike counts n_i and preferred values mu_i:

        linear:    x = sum_i n_i mu_i / sum_i n_i
        circular:  x = atan2(sum_i n_i sin mu_i, sum_i n_i cos mu_i)   (mu in radians)

    ``nan`` when no neuron spiked."""
    mu = checked_data(preferred, "population_vector.preferred")
    if mu.size != trains.size:
        input_error(
            "population_vector.preferred",
            f"{mu.size} preferred values for {trains.size} neurons",
            "give one preferred value per neuron",
        )
    n = spike_count(trains, t_start, t_stop).astype(float)
    if n.sum() == 0:
        return float("nan")
    if circular:
        return float(np.arctan2((n * np.sin(mu)).sum(), (n * np.cos(mu)).sum()))
    return float((n * mu).sum() / n.sum())


def phase_value(trains: SpikeTrains, bits: int = 8, phase_steps: int = 1) -> np.ndarray:
    """Inverse of :func:`hub.encoders.phase` over the first period: ``x = sum_k b_k 2^-(k+1)``
    with b_k = 1 iff the neuron spiked at the first step of phase k."""
    period = bits * phase_steps
    sel = trains.stamps <= period
    k = (trains.stamps[sel] - 1) // phase_steps
    on = ((trains.stamps[sel] - 1) % phase_steps) == 0
    out = np.zeros(trains.size)
    np.add.at(out, trains.indices[sel][on], 2.0 ** -(k[on] + 1))
    return out

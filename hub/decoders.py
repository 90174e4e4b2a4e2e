"""Decoders: spike trains -> numbers (docs/encoders.md).

Each takes a :class:`hub.SpikeTrains` (from an encoder or ``Results.spikes(pop)``) and a
window ``(t_start, t_stop]`` in ms: a spike at time t = stamp * dt counts when
``t_start < t <= t_stop`` (default: every spike).  The window is two arguments,
``rate(trains, 0, 100)``, or one pair, ``rate(trains, (0, 100))``.  Results are per neuron,
in neuron order.  A bad argument is a :class:`hub.ValidationError` naming it.
"""

from __future__ import annotations

import numpy as np

from .encoders import checked_data, input_error
from .results import SpikeTrains

__all__ = ["spike_count", "rate", "first_spike_time", "population_vector", "phase_value"]


def _trains(trains, where: str) -> SpikeTrains:
    if not isinstance(trains, SpikeTrains):
        input_error(
            f"{where}.trains",
            f"{type(trains).__name__} is not a hub.SpikeTrains",
            "pass an encoder's output or Results.spikes(population)",
        )
    return trains


def _bounds(t_start, t_stop, where: str) -> tuple[float, float]:
    """The window ``(lo, hi]`` in ms from ``t_start, t_stop`` or from a pair given as
    ``t_start``; None is unbounded."""
    if isinstance(t_start, (tuple, list)):
        if t_stop is not None or len(t_start) != 2:
            input_error(
                f"{where}.t_start",
                f"window {t_start!r} given with t_stop={t_stop!r}"
                if t_stop is not None
                else f"window {t_start!r} is not a pair (t_start, t_stop)",
                "give the window as one pair (t_start, t_stop) or as two numbers, "
                f"e.g. {where}(trains, 0.0, 100.0)",
            )
        t_start, t_stop = t_start
    out = []
    for name, value, default in (("t_start", t_start, -np.inf), ("t_stop", t_stop, np.inf)):
        if value is None:
            out.append(default)
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            input_error(
                f"{where}.{name}",
                f"{value!r} is not a time in ms",
                f"give a number of ms, e.g. {where}(trains, 0.0, 100.0)",
            )
        if np.isnan(value):
            input_error(f"{where}.{name}", "is NaN", "give a number of ms")
        out.append(float(value))
    lo, hi = out
    if not lo < hi:
        input_error(f"{where}.t_stop", f"window ({lo}, {hi}] ms is empty", "use t_stop > t_start")
    return lo, hi


def _window(trains: SpikeTrains, t_start, t_stop, where: str) -> np.ndarray:
    trains = _trains(trains, where)
    lo, hi = _bounds(t_start, t_stop, where)
    t = trains.times
    return (t > lo + 1e-9 * trains.dt) & (t <= hi + 1e-9 * trains.dt)


def spike_count(trains: SpikeTrains, t_start=None, t_stop=None) -> np.ndarray:
    """``n_i`` = number of spikes of neuron i in the window (multiplicity counted)."""
    sel = _window(trains, t_start, t_stop, "spike_count")
    return np.bincount(trains.indices[sel], minlength=trains.size)


def rate(trains: SpikeTrains, t_start=None, t_stop=None) -> np.ndarray:
    """Firing rate ``r_i = 1000 n_i / (t_stop - t_start)`` in Hz over the window (ms), which
    must be bounded: ``rate(trains, 0, 100)`` or ``rate(trains, (0, 100))``."""
    lo, hi = _bounds(t_start, t_stop, "rate")
    for name, value in (("t_start", lo), ("t_stop", hi)):
        if not np.isfinite(value):
            input_error(
                f"rate.{name}",
                "the window is unbounded, so a rate has no duration",
                "give both ends in ms, e.g. rate(trains, 0.0, 100.0)",
            )
    return spike_count(trains, lo, hi) * 1000.0 / (hi - lo)


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
    trains = _trains(trains, "population_vector")
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
    trains = _trains(trains, "phase_value")
    for name, value in (("bits", bits), ("phase_steps", phase_steps)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            input_error(f"phase_value.{name}", f"{value!r} is not an integer >= 1", "e.g. 8")
    period = bits * phase_steps
    sel = trains.stamps <= period
    k = (trains.stamps[sel] - 1) // phase_steps
    on = ((trains.stamps[sel] - 1) % phase_steps) == 0
    out = np.zeros(trains.size)
    np.add.at(out, trains.indices[sel][on], 2.0 ** -(k[on] + 1))
    return out

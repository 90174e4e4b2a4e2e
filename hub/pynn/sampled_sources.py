"""PyNN's ``ACSource`` and ``NoisyCurrentSource``, lowered exactly to the hub's
``StepCurrentSource``: one amplitude per time step (per noise interval), generated run by
run (a source's ``stop`` may be 1e12 ms) and injected for the steps of the coming run.

``ACSource(amplitude, offset, frequency, phase, start, stop)`` (nA, nA, Hz, degrees, ms, ms):
the step starting at t (``start <= t < stop``, times on the grid as for ``DCSource``)
receives ``offset + amplitude * sin(2 pi frequency (t - start) / 1000 + phase pi / 180)``:
the phase holds at ``start`` (PyNN's definition), the sine is sampled at the start of each
step, as NEST's ac_generator does (measured: the same V as pyNN.nest with
``min_delay == timestep``, the case compared).

``NoisyCurrentSource(mean, stdev, dt, start, stop)`` (nA, nA, ms, ms, ms): from ``start``
on, every ``dt`` (a multiple of the time step) a new amplitude ``mean + stdev * z``, z
standard normal, until ``stop``; each target neuron receives its own train of amplitudes (as
from NEST's noise_generator), drawn in hub.pynn from the network seed (``setup(rng_seed)``),
the source and the neuron: identical on every hub backend, statistically equivalent to NEST's
(which draws inside NEST).  A new draw in each segment after ``reset()``.
"""

from __future__ import annotations

import numpy as np
from pyNN.standardmodels import build_translations, electrodes

from .. import ir
from . import simulator
from .seeds import segment_seed
from .electrodes import HubCurrentSource


class SampledCurrentSource(HubCurrentSource):
    """A current whose amplitude is computed step by step: injected run by run, for the steps
    of each run (``injections``), so a change between runs acts from the current time on."""

    sampled = True

    def window(self) -> tuple[int, int]:
        """The steps [first, last) the source is on."""
        dt = simulator.state.dt
        return int(round(self.native["start"] / dt)), int(round(self.native["stop"] / dt))

    def samples(self, k: np.ndarray, neuron: int) -> np.ndarray:
        """The current (nA) of target neuron ``neuron`` (0, 1, ... over the targets) in the
        steps ``k`` (inside the window)."""
        raise NotImplementedError

    def changes(self, a: int, b: int) -> np.ndarray:
        """The steps in [a, b) at which the current may change (every step by default)."""
        return np.arange(a, b)

    def trace(self, k: np.ndarray) -> np.ndarray:
        first, last = self.window()
        on = (k >= first) & (k < last)
        out = np.zeros(len(k))
        out[on] = self.samples(k[on], 0)
        return out

    def steps(self):
        return np.zeros(0), np.zeros(0)  # nothing beyond the current time is injected yet

    def _inject_change(self, old, targets) -> None:
        """Nothing: the steps after the current time are injected at the next run."""

    def injections(self, k0: int, k1: int) -> list[tuple]:
        first, last = self.window()
        a, b = max(k0, first), min(k1, last)
        if a >= b:
            return []
        dt = simulator.state.dt
        k = self.changes(a, b)
        times = np.r_[k, b] * dt
        out, neuron = [], 0
        for root, indices in self.targets:
            for part in self._parts(indices):
                values = self.samples(k, neuron)
                neuron += len(part)
                source = ir.StepCurrentSource(times=times, amplitudes=np.r_[values, 0.0])
                out.append((root, part, source))
        return out

    def _parts(self, indices: np.ndarray) -> list[np.ndarray]:
        """Neurons receiving the same current: all of them (one sine for every target)."""
        return [indices]

    def hub_source(self):  # never injected whole
        raise NotImplementedError


class ACSource(SampledCurrentSource, electrodes.ACSource):
    __doc__ = electrodes.ACSource.__doc__
    translations = build_translations(
        *((name, name) for name in ("amplitude", "offset", "frequency", "phase", "start", "stop"))
    )

    def samples(self, k, neuron):
        n = self.native
        t = np.asarray(k, float) * simulator.state.dt
        omega = 2 * np.pi * n["frequency"] / 1000.0  # rad/ms
        return n["offset"] + n["amplitude"] * np.sin(
            omega * (t - n["start"]) + n["phase"] * np.pi / 180
        )


class NoisyCurrentSource(SampledCurrentSource, electrodes.NoisyCurrentSource):
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = build_translations(
        *((name, name) for name in ("mean", "stdev", "dt", "start", "stop"))
    )

    def __init__(self, **parameters):
        object.__setattr__(self, "_draws", {})  # (segment, neuron) -> standard normals
        super().__init__(**parameters)

    def interval(self) -> int:
        """Steps per noise interval (``dt`` must be a multiple of the time step)."""
        ratio = self.native["dt"] / simulator.state.dt
        if ratio < 1 - 1e-9 or abs(ratio - round(ratio)) > 1e-9:
            raise ValueError(
                f"NoisyCurrentSource dt={self.native['dt']!r} ms: must be a multiple of the "
                f"time step {simulator.state.dt!r} ms"
            )
        return int(round(ratio))

    def changes(self, a, b):
        first, n = self.window()[0], self.interval()
        j0, j1 = (a - first) // n, (b - 1 - first) // n
        return np.maximum(first + np.arange(j0, j1 + 1) * n, a)

    def samples(self, k, neuron):
        first, n = self.window()[0], self.interval()
        j = (np.asarray(k) - first) // n
        z = self._normals(neuron, int(j.max()) + 1 if len(j) else 0)
        return self.native["mean"] + self.native["stdev"] * z[j]

    def _parts(self, indices):
        return [indices[i : i + 1] for i in range(len(indices))]  # one train per neuron

    def _normals(self, neuron: int, count: int) -> np.ndarray:
        """The first ``count`` standard normals of target ``neuron`` in this segment, drawn
        from (network seed, segment, source number, neuron) and kept."""
        state = simulator.state
        key = (state.segment_counter, neuron)
        drawn = self._draws.get(key, np.zeros(0))
        if len(drawn) < count:
            seed = segment_seed(state.seed, state.segment_counter)
            rng = np.random.default_rng([seed, self.number, neuron])
            drawn = rng.standard_normal(max(count, 2 * len(drawn)))
            self._draws[key] = drawn
        return drawn

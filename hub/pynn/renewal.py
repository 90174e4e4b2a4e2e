"""``SpikeSourceGamma`` and ``SpikeSourcePoissonRefractory`` as explicit spike times.

The hub draws Poisson trains only, so hub.pynn draws these renewal processes itself and
gives the hub ``SpikeTimes``: from ``start`` on, spike k + 1 follows spike k after an
inter-spike interval (ms)

- ``SpikeSourceGamma(alpha, beta)``: gamma distributed, shape ``alpha``, rate ``beta`` (Hz):
  mean ``1000 alpha / beta``;
- ``SpikeSourcePoissonRefractory(rate, tau_refrac)``: ``tau_refrac`` plus an exponential
  interval of mean ``1000 / rate - tau_refrac``: mean rate ``rate`` (Hz), dead time
  ``tau_refrac`` (ms),

until ``start + duration``.  Each spike is then placed on the grid as the hub places its
Poisson spikes (a spike at t in ((s-1) dt, s dt] gets step s).  The intervals are drawn from
the network seed (``setup(rng_seed)``), the population and the neuron, so the trains are the
same on every hub backend and statistically equivalent to NEST's ``gamma_sup_generator`` and
``ppd_sup_generator`` (which draw inside NEST).  ``duration`` may be 1e10 ms: the trains are
drawn run by run, up to the end of each run, the same however the runs are split.
"""

from __future__ import annotations

import numpy as np

from .seeds import segment_seed


class RenewalSpikeSource:
    """A spike-source cell type whose trains hub.pynn draws (``isi``)."""

    hub_model = "SpikeTimes"
    drawn = True

    @staticmethod
    def isi(rng: np.random.Generator, params: dict[str, float], n: int) -> np.ndarray:
        """``n`` inter-spike intervals (ms) for one neuron's native ``params``."""
        raise NotImplementedError


def trains(state, population, until: float) -> list[np.ndarray]:
    """The spike times (ms, on the grid) of every neuron of ``population`` in
    (start, min(stop, until)], drawn as needed and kept for the current segment."""
    cache = population.__dict__.setdefault("_renewal", {})
    if cache.get("segment") != state.segment_counter:
        cache.clear()
        cache["segment"] = state.segment_counter
        seed = segment_seed(state.seed, state.segment_counter)
        number = next(k for k, p in enumerate(state.populations) if p is population)
        cache["rngs"] = [np.random.default_rng([seed, number, i]) for i in range(population.size)]
        cache["times"] = [np.zeros(0) for _ in range(population.size)]
    dt = state.dt
    params = population.native_values
    out = []
    for i, rng in enumerate(cache["rngs"]):
        p = {name: float(values[i]) for name, values in params.items()}
        end = min(p["stop"], until)
        times = cache["times"][i]
        while (times[-1] if len(times) else p["start"]) < end:
            last = times[-1] if len(times) else p["start"]
            isi = population.celltype.isi(rng, p, 64)
            if not np.all(np.isfinite(isi)):
                break  # rate 0: no spike
            times = np.concatenate([times, last + np.cumsum(isi)])
        cache["times"][i] = times
        kept = times[times <= p["stop"]]
        stamps = np.ceil(kept / dt - 1e-9)
        out.append(stamps[stamps <= round(until / dt)] * dt)
    return out

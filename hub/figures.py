"""Figures of one run: :meth:`hub.Results.plot` (docs/results.md).

Three kinds of panel, stacked on one time axis (ms):

* ``"raster"``: one panel per recorded population, a mark at ``(t, i)`` for every spike of
  neuron ``i`` at ``t = stamp * dt`` (neurons ``i < max_neurons``);
* ``"traces"``: one panel per recorded signal (``Results.signals``, then the synapse
  signals), the first ``max_traces`` recorded neurons (or synapses), y in the signal's unit;
* ``"rates"``: one panel, the population rate of each recorded population in ``bin_ms``
  bins, ``r = counts / neurons / bin`` in Hz (the binning of ``hub.stats.binned_counts``:
  the spike with stamp ``s`` falls in bin ``floor((s - 1) / B)``, ``B = round(bin_ms / dt)``).

The figure is a :class:`matplotlib.figure.Figure`, closed in pyplot before it is returned
(pyplot keeps no reference to it; the matplotlib backend is left as it is), shown by
Jupyter as the value of a cell, written with ``savefig``.  matplotlib is optional
(``pip install 'snn-hub[plot]'``); without it, plotting is a :class:`hub.HubError` and
nothing else changes.  This module imports only
numpy and the hub's errors so :mod:`hub.results` may import it.
"""

from __future__ import annotations

import os

import numpy as np

from .errors import HubError

#: the kinds of panel, in the order they are drawn
KINDS = ("raster", "traces", "rates")


def _new_figure(**kwargs):
    """A pyplot figure, closed at once: pyplot keeps no reference (nothing piles up, nothing
    is shown twice), and importing pyplot lets Jupyter's inline backend register its
    display of figures, so a notebook shows the figure returned as a cell's value (a figure
    made without pyplot shows there as text)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # the plot extra is optional
        raise HubError(
            "plot: matplotlib is not installed; pip install 'snn-hub[plot]' (or matplotlib), "
            "or read the arrays (Results.spikes, Results.signal) directly"
        ) from exc
    fig = plt.figure(**kwargs)
    plt.close(fig)
    return fig


def _kinds(kinds, results) -> list[str]:
    have = {
        "raster": bool(results.spike_trains),
        "traces": bool(results.signals or results.synapse_signals),
        "rates": bool(results.spike_trains),
    }
    if kinds is None:
        chosen = [k for k in KINDS if have[k]]
        if not chosen:
            raise HubError(
                "plot: nothing was recorded; record spikes or a state variable, e.g. "
                "net.record(pop, 'spikes', 'v')"
            )
        return chosen
    if isinstance(kinds, str):
        kinds = [kinds]
    try:
        chosen = list(kinds)
    except TypeError:
        raise HubError(
            f"plot.kinds: {kinds!r} is not a kind or a list of kinds; choose from {list(KINDS)}"
        ) from None
    bad = [k for k in chosen if k not in KINDS]
    if bad or not chosen:
        raise HubError(
            f"plot.kinds: {bad or chosen!r} {'is not a kind' if bad else 'is empty'}; "
            f"choose from {list(KINDS)}, e.g. kinds=['raster', 'rates']"
        )
    for k in chosen:
        if not have[k]:
            what, example = ("state variable", "'v'") if k == "traces" else ("spikes", "'spikes'")
            raise HubError(
                f"plot.kinds: {k!r} needs recorded {what}, and this run recorded none; "
                f"record them (net.record(pop, {example})) or choose from "
                f"{[x for x in KINDS if have[x]]}"
            )
    return [k for k in KINDS if k in chosen]


def _populations(populations, results) -> list[str]:
    recorded = list(dict.fromkeys([*results.spike_trains, *(p for p, _ in results.signals)]))
    if populations is None:
        return recorded
    if isinstance(populations, str):
        populations = [populations]
    chosen = list(populations)
    bad = [p for p in chosen if p not in recorded]
    if bad or not chosen:
        raise HubError(
            f"plot.populations: {bad or chosen!r} {'not recorded' if bad else 'is empty'}; "
            f"choose from the recorded populations {recorded}"
        )
    return chosen


def _count(name: str, value, floor: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < floor:
        raise HubError(f"plot.{name}: {value!r} is not an integer >= {floor}; e.g. {name}=200")
    return int(value)


def _duration(results) -> float:
    dur = results.provenance.get("duration")
    if dur:
        return float(dur)
    ends = [st.times.max() for st in results.spike_trains.values() if len(st)]
    ends += [s.times.max() for s in results.signals.values() if len(s.times)]
    return float(max(ends, default=1.0))


def population_rate(trains, duration_ms: float, bin_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """``(edges_ms, rate_hz)``: the population rate of ``trains`` in bins of
    ``B = round(bin_ms / dt)`` steps (the last bin ends at the run's end)."""
    per = max(1, int(round(bin_ms / trains.dt)))
    steps = max(1, int(round(duration_ms / trains.dt)))
    n_bins = -(-steps // per)
    k = np.clip((trains.stamps - 1) // per, 0, n_bins - 1)
    counts = np.bincount(k, minlength=n_bins)
    edges = np.minimum(np.arange(n_bins + 1) * per, steps) * trains.dt
    return edges, counts / max(trains.size, 1) / (np.diff(edges) * 1e-3)


def plot_results(
    results,
    kinds=None,
    populations=None,
    *,
    max_neurons: int = 500,
    max_traces: int = 5,
    bin_ms: float = 5.0,
    path=None,
    dpi: int = 100,
):
    """The figure of :meth:`hub.Results.plot` (module docstring); saved to ``path`` (a file
    name in any format matplotlib writes, or a binary file object: PNG) when given.
    Returns the :class:`matplotlib.figure.Figure`."""
    kinds = _kinds(kinds, results)
    pops = _populations(populations, results)
    max_neurons = _count("max_neurons", max_neurons)
    max_traces = _count("max_traces", max_traces)
    if isinstance(bin_ms, bool) or not isinstance(bin_ms, (int, float)) or not bin_ms > 0:
        raise HubError(f"plot.bin_ms: {bin_ms!r} is not a number of ms > 0; e.g. bin_ms=5.0")
    duration = _duration(results)
    rasters = [p for p in pops if p in results.spike_trains] if "raster" in kinds else []
    traces: list[tuple[str, object, bool]] = []  # (name, signal, of synapses)
    if "traces" in kinds:
        traces = [(f"{p}.{v}", s, False) for (p, v), s in results.signals.items() if p in pops]
        if populations is None:
            traces += [(f"{p}.{v}", s, True) for (p, v), s in results.synapse_signals.items()]
    rated = [p for p in pops if p in results.spike_trains] if "rates" in kinds else []
    n = len(rasters) + len(traces) + (1 if rated else 0)
    if not n:
        raise HubError(
            f"plot: the populations {pops} have nothing of the kinds {kinds} recorded; "
            "choose other populations or kinds"
        )
    fig = _new_figure(figsize=(8.0, 1.2 + 2.3 * n), layout="constrained")
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    k = 0
    for label in rasters:
        _raster(axes[k], label, results.spike_trains[label], max_neurons)
        k += 1
    for name, sig, synapses in traces:
        _traces(axes[k], name, sig, max_traces, synapses)
        k += 1
    if rated:
        ax = axes[k]
        for label in rated:
            edges, rate = population_rate(results.spike_trains[label], duration, bin_ms)
            ax.stairs(rate, edges, label=label)
        ax.set_ylabel(f"rate (Hz, {bin_ms:g} ms bins)")
        ax.set_title("population rate")
        ax.legend(fontsize=8, loc="upper right")
    axes[-1].set_xlabel("time (ms)")
    axes[-1].set_xlim(0.0, duration)
    label = results.provenance.get("label") or "network"
    backend = results.provenance.get("backend")
    fig.suptitle(f"{label}" + (f" on {backend}" if backend else "") + f", {duration:g} ms")
    if path is not None:
        fig.savefig(path if hasattr(path, "write") else os.fspath(path), dpi=dpi)
    return fig


def _raster(ax, label: str, trains, max_neurons: int) -> None:
    shown = min(trains.size, max_neurons)
    sel = trains.indices < shown
    ax.scatter(
        trains.times[sel],
        trains.indices[sel],
        s=float(np.clip(400.0 / max(shown, 1), 1.5, 25.0)),
        marker="|",
        linewidths=1.0 if shown <= 100 else 0.6,
        rasterized=True,
    )
    ax.set_ylim(-0.5, max(shown, 1) - 0.5)
    ax.set_ylabel("neuron")
    part = f", neurons 0-{shown - 1} shown" if shown < trains.size else ""
    ax.set_title(f"{label}: {len(trains)} spikes, {trains.size} neurons{part}")
    if not len(trains):
        ax.text(0.5, 0.5, "no spikes", ha="center", va="center", transform=ax.transAxes)


def _traces(ax, name: str, sig, max_traces: int, synapses: bool) -> None:
    what = "synapse" if synapses else "neuron"
    shown = min(len(sig.indices), max_traces)
    for j in range(shown):
        ax.plot(sig.times, sig.values[:, j], lw=0.8, label=f"{what} {sig.indices[j]}")
    ax.set_ylabel(f"{sig.variable} ({sig.unit})" if sig.unit else sig.variable)
    ax.set_title(f"{name}: {shown} of {len(sig.indices)} recorded {what}s")
    if shown:
        ax.legend(fontsize=7, loc="upper right", ncols=min(shown, 5))

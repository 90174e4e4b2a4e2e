"""Figures of a comparison (matplotlib with the headless Agg backend).

* rasters side by side, one panel per backend that ran (the first ``max_neurons`` neurons,
  shared among the populations by size, so the panels show the same neurons);
* population rate over time (binned), per-neuron rate histogram and ISI histogram, every
  backend overlaid;
* weight histograms: the resolved weights of each projection (what every backend was
  given) and any recorded final weights, one panel per weight unit (the unit of the target
  model's input), every histogram of a panel on the same bin edges.
"""

from __future__ import annotations

import os

import numpy as np

from . import stats


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _colors(names):
    plt = _pyplot()
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {n: cycle[k % len(cycle)] for k, n in enumerate(names)}


def _styles(names):
    """Line styles per backend, so identical runs drawn on top of each other stay visible."""
    return {n: ("-", "--", ":", "-.")[k % 4] for k, n in enumerate(names)}


def _ran(cmp):
    return [r for r in cmp.runs.values() if r.ok]


def _neuron_pops(cmp, run):
    sources = set(cmp.resolved.sources) if cmp.resolved is not None else set()
    return [(k, st) for k, st in run.results.spike_trains.items() if k not in sources]


def draw_rasters(cmp, axes, max_neurons: int = 400) -> None:
    """One raster per backend on ``axes`` (same neurons in every panel)."""
    runs = _ran(cmp)
    colors = _colors(list(cmp.runs))
    for ax, run in zip(axes, runs):
        pops = _neuron_pops(cmp, run)
        total = sum(st.size for _, st in pops) or 1
        offset, ticks = 0, []
        for label, st in pops:
            show = (
                max(1, int(round(max_neurons * st.size / total)))
                if total > max_neurons
                else st.size
            )
            sel = st.indices < show
            ax.scatter(
                st.times[sel],
                st.indices[sel] + offset,
                s=1.5,
                marker="|",
                color=colors[run.name],
                rasterized=True,
                linewidths=0.6,
            )
            ticks.append((offset + show / 2, label))
            offset += show
            ax.axhline(offset - 0.5, color="0.8", lw=0.5)
        ax.set_title(run.name)
        ax.set_xlim(0, cmp.model["duration_ms"])
        ax.set_ylim(-0.5, max(offset, 1) - 0.5)
        ax.set_xlabel("time (ms)")
        ax.set_yticks([t for t, _ in ticks], [lab for _, lab in ticks])
    if len(axes):
        axes[0].set_ylabel("neuron (first of each population)")


def draw_population_rate(cmp, ax) -> None:
    """Population rate (Hz per neuron) over time in ``bin_ms`` bins, backends overlaid."""
    bin_ms = cmp.settings["bin_ms"]
    colors = _colors(list(cmp.runs))
    dur = cmp.model["duration_ms"]
    for run in _ran(cmp):
        pops = _neuron_pops(cmp, run)
        if not pops:
            continue
        counts = sum(stats.binned_counts(st, dur, bin_ms) for _, st in pops)
        n = sum(st.size for _, st in pops)
        edges = np.arange(len(counts) + 1) * bin_ms
        ax.stairs(
            counts / n / (bin_ms * 1e-3),
            np.minimum(edges, dur),
            label=run.name,
            color=colors[run.name],
            linestyle=_styles(list(cmp.runs))[run.name],
        )
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"population rate (Hz, {bin_ms:g} ms bins)")
    ax.legend(fontsize=8)


def draw_rate_histogram(cmp, ax) -> None:
    """Per-neuron rates; bins are whole multiples of the rate quantum 1/T (one spike)."""
    colors = _colors(list(cmp.runs))
    dur = cmp.model["duration_ms"]
    rates = {
        r.name: np.concatenate(
            [stats.neuron_rates(st, dur) for _, st in _neuron_pops(cmp, r)] or [np.zeros(0)]
        )
        for r in _ran(cmp)
    }
    top = max([x.max() for x in rates.values() if x.size] or [1.0])
    quantum = 1000.0 / dur
    width = quantum * max(1, int(np.ceil(top / 40 / quantum)))
    bins = (np.arange(int(top / width) + 2) - 0.5) * width
    for name, x in rates.items():
        ax.hist(
            x,
            bins=bins,
            histtype="step",
            label=name,
            color=colors[name],
            linestyle=_styles(list(cmp.runs))[name],
        )
    ax.set_xlabel("firing rate (Hz)")
    ax.set_ylabel("neurons")
    ax.legend(fontsize=8)


def draw_isi_histogram(cmp, ax) -> None:
    colors = _colors(list(cmp.runs))
    isis = {
        r.name: np.concatenate([stats.isi(st) for _, st in _neuron_pops(cmp, r)] or [np.zeros(0)])
        for r in _ran(cmp)
    }
    isis = {k: v for k, v in isis.items() if v.size}
    if not isis:
        ax.text(0.5, 0.5, "no neuron fired twice", ha="center", transform=ax.transAxes)
    top = max([np.percentile(x, 99) for x in isis.values()] or [1.0])
    bins = np.linspace(0, max(top, 1.0), 51)
    for name, x in isis.items():
        ax.hist(
            x,
            bins=bins,
            histtype="step",
            label=name,
            color=colors[name],
            density=True,
            linestyle=_styles(list(cmp.runs))[name],
        )
    ax.set_xlabel("inter-spike interval (ms)")
    ax.set_ylabel("density")
    if isis:
        ax.legend(fontsize=8)


def projection_units(cmp) -> dict[str, str]:
    """``{projection label: weight unit}``: the unit of the target model's input (mV for a
    delta synapse, nA for a current-based synapse, uS for a conductance, 1 for the chip's
    integer weights; ``hub.ir.neurons.NeuronModel.weight_unit``)."""
    if cmp.resolved is None:
        return {}
    out = {}
    for proj in cmp.resolved.projections:
        post = cmp.resolved.populations.get(proj.post)
        if post is not None:
            out[proj.label] = post.model.weight_unit
    return out


def weight_panels(cmp) -> dict[str, dict]:
    """The weight histograms, one panel per weight unit: ``{unit: {"series": [(label,
    values, backend or None), ...], "edges": bins, "single": [text, ...]}}``.  Every series
    of a panel is counted on the same bin edges (40 bins over the range of all of them);
    ``backend`` is None for the resolved weights every backend was given.  Projections
    with one weight value are listed in ``single`` instead of drawn."""
    units = projection_units(cmp)
    panels: dict[str, dict] = {}

    def panel(unit):
        return panels.setdefault(unit, {"series": [], "edges": None, "single": []})

    if cmp.resolved is not None:
        for proj in cmp.resolved.projections:
            unit = units.get(proj.label)
            if not proj.n or unit is None:
                continue
            w = np.asarray(proj.weight, float)
            lo, hi = float(w.min()), float(w.max())
            if lo == hi:
                panel(unit)["single"].append(f"{proj.label}: {lo:g} {unit} x {proj.n}")
            else:
                panel(unit)["series"].append((proj.label, w, None))
    for run in _ran(cmp):
        for label, w in stats.weights_of(run.results).items():
            panel(units.get(label, "unit of the target"))["series"].append(
                (label, np.ravel(w), run.name)
            )
    for p in panels.values():
        if p["series"]:
            values = np.concatenate([v for _, v, _ in p["series"]])
            lo, hi = float(values.min()), float(values.max())
            if lo == hi:
                lo, hi = lo - 0.5 * (abs(lo) or 1.0), hi + 0.5 * (abs(hi) or 1.0)
            p["edges"] = np.linspace(lo, hi, 41)
    return panels


def draw_weights(cmp, ax, unit: str | None = None) -> bool:
    """Histograms of the weights of one unit (the first, when ``unit`` is None; see
    :func:`weight_panels`): the resolved weights of each projection with more than one
    value and the recorded final weights of each backend, all on the same bin edges;
    projections with one weight are listed as text.  False when there is nothing to show."""
    panels = weight_panels(cmp)
    if not panels:
        return False
    unit = unit if unit is not None else next(iter(panels))
    p = panels[unit]
    colors = _colors(list(cmp.runs))
    styles = _styles(list(cmp.runs))
    for label, values, backend in p["series"]:
        counts, _ = np.histogram(values, bins=p["edges"])
        if backend is None:
            ax.stairs(counts, p["edges"], label=f"{label} (given)", color="0.3", lw=1.2)
        else:
            ax.stairs(
                counts,
                p["edges"],
                label=f"{label} on {backend} (final)",
                color=colors[backend],
                linestyle=styles[backend],
                fill=False,
                lw=1.2,
            )
    if p["series"]:
        width = p["edges"][1] - p["edges"][0]
        ax.set_xlabel(f"weight ({unit}; {len(p['edges']) - 1} bins of {width:.3g} {unit})")
        ax.set_ylabel("synapses")
        ax.legend(fontsize=7)
    others = [u for u in panels if u != unit]
    notes = p["single"] + [f"weights in {u}: another panel" for u in others]
    if notes:
        ax.text(
            0.02,
            0.98,
            ("one weight per projection:\n" if p["single"] else "") + "\n".join(notes),
            transform=ax.transAxes,
            va="top",
            fontsize=8,
        )
        if not p["series"]:
            ax.set_xticks([])
            ax.set_yticks([])
    ax.set_title(f"weights ({unit})")
    return True


def comparison_figures(cmp, max_neurons: int = 400) -> dict:
    """``{title: Figure}``: 'Rasters', 'Activity' (population rate, rate and ISI
    histograms) and 'Weights' when some projection has more than one weight value or a
    backend recorded final weights (one panel per unit)."""
    plt = _pyplot()
    runs = _ran(cmp)
    figs = {}
    if not runs:
        return figs
    fig, axes = plt.subplots(
        1, len(runs), figsize=(4.5 * len(runs), 4), sharey=True, squeeze=False, layout="constrained"
    )
    draw_rasters(cmp, axes[0], max_neurons)
    figs["Rasters"] = fig
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8), layout="constrained")
    draw_population_rate(cmp, axes[0])
    draw_rate_histogram(cmp, axes[1])
    draw_isi_histogram(cmp, axes[2])
    figs["Activity"] = fig
    panels = [u for u, p in weight_panels(cmp).items() if p["series"]]
    if panels:
        fig, axes = plt.subplots(
            1, len(panels), figsize=(7 * len(panels), 3.8), squeeze=False, layout="constrained"
        )
        for ax, unit in zip(axes[0], panels):
            draw_weights(cmp, ax, unit)
        figs["Weights"] = fig
    return figs


def plot_comparison(cmp, path=None, max_neurons: int = 400, dpi: int = 100):
    """Every panel in one figure; saved to ``path`` (any format matplotlib writes)."""
    plt = _pyplot()
    runs = _ran(cmp)
    n = max(len(runs), 1)
    fig = plt.figure(figsize=(max(4.5 * n, 16), 8.5), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 1])
    if runs:
        axes = top.subplots(1, len(runs), sharey=True, squeeze=False)[0]
        draw_rasters(cmp, axes, max_neurons)
        low = bottom.subplots(1, 4)
        draw_population_rate(cmp, low[0])
        draw_rate_histogram(cmp, low[1])
        draw_isi_histogram(cmp, low[2])
        if not draw_weights(cmp, low[3]):
            low[3].set_axis_off()
    else:
        top.text(
            0.5,
            0.5,
            "no backend ran: " + "; ".join(f"{k} {v}" for k, v in cmp.failed.items()),
            ha="center",
            wrap=True,
        )
    label = cmp.model.get("label") or "network"
    fig.suptitle(f"{label}: " + ", ".join(f"{r.name} {r.status}" for r in cmp.runs.values()))
    if path is not None:
        fig.savefig(os.fspath(path), dpi=dpi, bbox_inches="tight")
        plt.close(fig)
    return fig

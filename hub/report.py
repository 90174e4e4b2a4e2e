"""Text and HTML renderings of a :class:`hub.compare.Comparison`.

The HTML page is self-contained: the text tables, the figures of :mod:`hub.plot` embedded
as base64 PNG, and the JSON document in a collapsible block.
"""

from __future__ import annotations

import base64
import html
import io
from . import stats
from .textfmt import fmt, si, table


def header(cmp) -> str:
    m = cmp.model
    return (
        f"{m.get('label') or 'network'}: {m['neurons']} neurons, {m['synapses']} synapses, "
        f"{m['duration_ms']:g} ms at dt = {m['dt_ms']:g} ms, seed {m['seed']}"
    )


def backend_rows(cmp) -> list[list[str]]:
    rows = []
    for r in cmp.runs.values():
        t = r.timings
        if r.ok:
            tot = r.totals()
            chip = r.chip
            energy = si(chip["energy_J"]["total"], "J") if chip else "-"
            rows.append(
                [
                    r.name,
                    r.status,
                    fmt(t.get("import_s"), ".2f"),
                    fmt(t.get("build_s"), ".3f"),
                    fmt(t.get("run_s"), ".3f"),
                    fmt(t.get("wall_s"), ".2f"),
                    fmt(r.peak_rss_mb, ".0f"),
                    str(tot["spikes"]),
                    fmt(tot["rate_hz"], ".2f"),
                    fmt(tot["cv_isi"], ".3f"),
                    fmt(tot["fano"], ".2f"),
                    energy,
                ]
            )
        else:
            rows.append(
                [
                    r.name,
                    r.status,
                    "-",
                    "-",
                    "-",
                    fmt(t.get("wall_s"), ".2f"),
                    fmt(r.peak_rss_mb, ".0f"),
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                ]
            )
    return rows


def comparison_table(cmp) -> str:
    """The report :meth:`Comparison.table` prints."""
    out = [header(cmp), ""]
    out.append(
        table(
            [
                "backend",
                "status",
                "import s",
                "build s",
                "run s",
                "wall s",
                "peak MiB",
                "spikes",
                "rate Hz",
                "CV ISI",
                "Fano",
                "energy",
            ],
            backend_rows(cmp),
        )
    )
    for r in cmp.runs.values():
        if not r.ok:
            out.append(f"  {r.name} {r.status}: {r.error}")
    pop_rows = [
        [
            p.label + (" (source)" if p.source else ""),
            r.name,
            str(p.neurons),
            str(p.spikes),
            fmt(p.rate_hz, ".2f"),
            fmt(p.cv_isi, ".3f"),
            fmt(p.fano, ".2f"),
        ]
        for r in cmp.runs.values()
        if r.ok
        for p in r.populations
    ]
    if pop_rows:
        pop_rows.sort(key=lambda row: row[0])
        out += [
            "",
            table(
                ["population", "backend", "neurons", "spikes", "rate Hz", "CV ISI", "Fano"],
                pop_rows,
            ),
        ]
    if any(r.repeats > 1 for r in cmp.runs.values()):
        out += ["", spread_table(cmp)]
    weights = weight_lines(cmp)
    if weights:
        out += ["", *weights]
    if cmp.agreement:
        out += ["", agreement_table(cmp)]
        out += [f"  {a.pair}: {a.reason}" for a in cmp.agreement]
        out += [
            f"  {a.pair} final weights: max |dw| {a.weights['max_abs_diff']:.3g} "
            f"({a.weights['max_rel_diff'] * 100:.3g} % of the largest |w|) over "
            f"{a.weights['projections']} plastic projection(s)"
            for a in cmp.agreement
            if a.weights
        ]
    for r in cmp.runs.values():
        if r.ok and r.chip:
            out += ["", chip_lines(r.name, r.chip)]
    out += [
        "",
        "times: import = loading the plugins and the simulator, wall = the whole "
        "process; peak MiB = peak RSS of the backend's process; Fano = variance/mean "
        f"of {cmp.settings['bin_ms']:g} ms population counts; van Rossum normalised "
        f"(tau {cmp.settings['tau_ms']:g} ms): 0 identical, ~1 unrelated",
    ]
    return "\n".join(out)


def weight_lines(cmp) -> list[str]:
    """Final weights of the plastic projections, per backend."""

    out = []
    for r in cmp.runs.values():
        if r.ok:
            for label, w in stats.weight_summary(r.results).items():
                out.append(
                    f"{r.name} final weights {label}: mean {w['mean']:.4g}, std "
                    f"{w['std']:.4g}, range [{w['min']:.4g}, {w['max']:.4g}], "
                    f"{w['n']} synapses"
                )
    return out


def spread_table(cmp) -> str:
    def cell(r, key):
        s = r.spread.get(key)
        if not s:
            return "-"
        return f"{s['median']:.3f} [{s['min']:.3f}, {s['max']:.3f}]"

    rows = [
        [
            r.name,
            str(r.repeats),
            cell(r, "build_s"),
            cell(r, "run_s"),
            cell(r, "wall_s"),
            {True: "yes", False: "NO", None: "-"}[r.reproducible],
        ]
        for r in cmp.runs.values()
        if r.ok
    ]
    return table(
        [
            "backend",
            "repeats",
            "build s median [min, max]",
            "run s median [min, max]",
            "wall s median [min, max]",
            "same spikes",
        ],
        rows,
    )


def agreement_table(cmp) -> str:
    rows = []
    for a in cmp.agreement:
        t = a.totals
        rows.append(
            [
                a.pair,
                a.expect,
                "yes"
                if a.identical
                else f"from {t['first_diff_ms']:g} ms"
                if t.get("first_diff_ms") is not None
                else "no",
                fmt(t.get("matched"), ".3f"),
                fmt(t.get("max_dt_ms"), ".2f"),
                fmt(
                    None if t.get("max_rate_rel_diff") is None else t["max_rate_rel_diff"] * 100,
                    ".2f",
                ),
                fmt(t.get("max_cv_diff"), ".3f"),
                fmt(t.get("van_rossum_norm"), ".3f"),
                fmt(t.get("rate_corr"), ".3f"),
                "ok" if a.within_contract else "FAIL",
                "ok" if a.statistical_ok else "no",
            ]
        )
    return table(
        [
            "pair",
            "expect",
            "identical",
            "matched",
            "max dt ms",
            "|rate diff| %",
            "|CV diff|",
            "van Rossum",
            "rate corr",
            "contract",
            "stats",
        ],
        rows,
    )


def chip_lines(name: str, chip: dict) -> str:
    e = chip.get("energy_J", {})
    total = e.get("total") or 0.0
    parts = ", ".join(
        f"{k} {v / total * 100:.0f} %" for k, v in e.items() if k != "total" and total and v
    )
    c = chip.get("counts", {})
    t = chip.get("time", {})
    rt = t.get("realtime_factor")
    return (
        f"{name} report: {chip.get('cores_used')} core(s) on {chip.get('chips_used')} chip(s), "
        f"{chip.get('compartments')} compartments, {chip.get('synapses')} synapses; "
        f"{c.get('synaptic_ops', 0):,} synaptic ops, {c.get('spikes', 0):,} spikes; "
        f"energy {si(total, 'J')} ({parts}); estimated chip time "
        f"{si(t.get('total_s'), 's')}" + (f" ({rt:.1f}x real time)" if rt else "")
    )


# =============================================================================================
# HTML
# =============================================================================================
_CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}
pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:13px}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}.fail{color:#b00}.ok{color:#070}"""


def figure_png(fig) -> str:
    """A matplotlib figure as a base64 PNG string (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def comparison_html(cmp) -> str:
    from .plot import comparison_figures

    esc = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>snn-hub compare: {esc(cmp.model.get('label') or 'network')}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>snn-hub compare</h1><p>{esc(header(cmp))}</p>",
    ]
    failed = [r for r in cmp.runs.values() if not r.ok]
    for r in failed:
        parts.append(
            f"<p class='fail'><b>{esc(r.name)}</b> {esc(r.status)}: {esc(r.error or '')}</p>"
        )
    parts.append(f"<h2>Report</h2><pre>{esc(cmp.table())}</pre>")
    for a in cmp.agreement:
        cls = "ok" if a.within_contract else "fail"
        parts.append(f"<p class='{cls}'>{esc(a.pair)} ({esc(a.expect)}): {esc(a.reason)}</p>")
    for title, fig in comparison_figures(cmp).items():
        parts.append(
            f"<h2>{esc(title)}</h2><img alt='{esc(title)}' "
            f"src='data:image/png;base64,{figure_png(fig)}'>"
        )
    for r in failed:
        if r.detail:
            parts.append(
                f"<details><summary>{esc(r.name)}: output of the failed process"
                f"</summary><pre>{esc(r.detail)}</pre></details>"
            )
    parts.append(
        "<details><summary>JSON (schema snn-hub/compare)</summary>"
        f"<pre>{esc(cmp.to_json())}</pre></details>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)

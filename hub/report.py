"""Text and HTML renderings of a :class:`hub.compare.Comparison`.

The HTML page is self-contained (no external resource, no script): HTML tables of the
timings, memory, activity per population and agreement of every pair, the figures of
:mod:`hub.plot` embedded as base64 PNG, the versions and the machine from the provenance,
the command that reproduces the comparison, and the JSON document in a collapsible block.
"""

from __future__ import annotations

import base64
import html
import io
import shlex

import numpy as np

from . import stats
from .contract import statistical_check
from .plot import projection_units
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
    units = projection_units(cmp)
    for r in cmp.runs.values():
        if r.ok:
            for label, w in stats.weight_summary(r.results).items():
                name = f"{label} ({units[label]})" if label in units else label
                out.append(
                    f"{r.name} final weights {name}: "
                    f"mean {w['mean']:.4g}, std {w['std']:.4g}, range [{w['min']:.4g}, "
                    f"{w['max']:.4g}], {w['n']} synapses"
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
_CSS = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1200px;
margin:1.5em auto;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:14px}
caption{caption-side:top;text-align:left;color:#555;padding:.2em 0}
th,td{padding:.25em .55em;border-bottom:1px solid #e2e2e2;text-align:left;vertical-align:top}
th{background:#f3f3f3;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
pre,code{white-space:pre-wrap;overflow-wrap:anywhere}
pre{background:#f6f6f6;padding:.8em;font-size:13px}
img{max-width:100%;height:auto;border:1px solid #ddd;margin:.5em 0}
.fail{color:#b00;font-weight:600}.ok{color:#070}.note{color:#555;font-size:14px}"""

#: timings of a run, in the order the report shows them (others a backend reports follow)
TIMING_COLUMNS = {
    "import_s": "import",
    "load_s": "load network",
    "build_s": "build",
    "run_s": "run",
    "collect_s": "collect",
    "save_s": "save results",
    "wall_s": "wall",
    "compile_s": "compile (in build)",
}


def figure_png(fig) -> str:
    """A matplotlib figure as a base64 PNG string (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _num(value, spec: str) -> str:
    """A number cell's text: thousands separators for integers, ``spec`` otherwise."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and spec == ",":
        return f"{value:,}"
    return fmt(value, spec)


def html_table(headers, rows, caption: str = "", numeric=()) -> str:
    """An HTML table; ``rows`` are lists of cell texts (escaped here) or ``(html, )`` tuples
    (inserted as they are); columns whose index is in ``numeric`` align right."""
    esc = html.escape
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            text = c[0] if isinstance(c, tuple) else esc(str(c))
            cls = " class='num'" if i in numeric else ""
            cells.append(f"<td{cls}>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _verdict(ok, yes: str = "ok", no: str = "FAIL") -> tuple:
    if ok is None:
        return ("-",)
    return (f"<span class='ok'>{yes}</span>",) if ok else (f"<span class='fail'>{no}</span>",)


def timing_rows(cmp) -> tuple[list[str], list[list]]:
    """Headers and rows of the time and memory table: per backend every timing (median
    [min, max] over the repeats) and the peak resident memory of its process."""
    keys = [k for k in TIMING_COLUMNS if any(k in r.timings for r in cmp.runs.values())]
    keys += sorted({k for r in cmp.runs.values() for k in r.timings if k not in TIMING_COLUMNS})
    headers = ["backend", "status", "repeats"]
    headers += [f"{TIMING_COLUMNS.get(k, k.removesuffix('_s'))} s" for k in keys]
    headers += ["peak memory MiB"]
    rows = []
    for r in cmp.runs.values():
        row = [r.name, _verdict(r.ok, r.status, r.status), str(r.repeats)]
        for k in keys:
            sp = r.spread.get(k)
            if sp and r.repeats > 1:
                row.append(
                    (f"{sp['median']:.3f}<br><small>[{sp['min']:.3f}, {sp['max']:.3f}]</small>",)
                )
            else:
                row.append(fmt(r.timings.get(k), ".3f"))
        row.append(fmt(r.peak_rss_mb, ".0f"))
        rows.append(row)
    return headers, rows


def population_rows(cmp) -> list[list]:
    """One row per (population, backend): neurons, spikes, rate, CV of ISI, Fano factor."""
    models = {p["label"]: p["model"] for p in cmp.model.get("populations", [])}
    rows = []
    for r in cmp.runs.values():
        if not r.ok:
            continue
        for p in r.populations:
            rows.append(
                [
                    p.label,
                    models.get(p.label, "spike source" if p.source else ""),
                    r.name,
                    _num(p.neurons, ","),
                    _num(p.spikes, ","),
                    fmt(p.rate_hz, ".3f"),
                    fmt(p.cv_isi, ".3f"),
                    fmt(p.fano, ".2f"),
                ]
            )
    order = {label: i for i, label in enumerate(models)}
    rows.sort(key=lambda row: order.get(row[0], len(order)))
    return rows


def agreement_rows(cmp) -> list[list]:
    """One row per pair: what the contract promises, the pooled metrics and the verdicts."""
    rows = []
    for a in cmp.agreement:
        t = a.totals
        rate = t.get("max_rate_rel_diff")
        rows.append(
            [
                a.pair,
                a.expect,
                "yes" if a.identical else "no",
                fmt(t.get("first_diff_ms"), ".1f"),
                fmt(t.get("matched"), ".3f"),
                fmt(a.tolerance_ms, "g"),
                fmt(t.get("max_dt_ms"), ".2f"),
                fmt(None if rate is None else rate * 100, ".2f"),
                fmt(t.get("max_cv_diff"), ".3f"),
                fmt(t.get("van_rossum_norm"), ".3f"),
                fmt(t.get("rate_corr"), ".3f"),
                _verdict(a.within_contract),
                _verdict(a.statistical_ok, "ok", "no"),
            ]
        )
    return rows


def population_agreement_rows(cmp) -> list[list]:
    """One row per (population, pair): spike-level agreement and the statistical verdict of
    that population (rate within 5 %, CV of ISI within 0.1)."""
    rows = []
    for a in cmp.agreement:
        for p in a.populations:
            ok, _ = statistical_check([p])
            rows.append(
                [
                    p["label"],
                    a.pair,
                    f"{p['spikes_a']:,} / {p['spikes_b']:,}",
                    "yes" if p["identical"] else "no",
                    fmt(p.get("first_diff_ms"), ".1f"),
                    fmt(p["matched"], ".3f"),
                    fmt(p["rate_a_hz"], ".3f"),
                    fmt(p["rate_b_hz"], ".3f"),
                    fmt(p["rate_rel_diff"] * 100, "+.2f"),
                    fmt(p["cv_diff"], "+.3f"),
                    fmt(p["van_rossum_norm"], ".3f"),
                    fmt(p["rate_corr"], ".3f"),
                    _verdict(ok, "ok", "no"),
                ]
            )
    return rows


def weight_rows(cmp) -> list[list]:
    """Final weights of the plastic projections per backend, in the target's unit."""
    units = projection_units(cmp)
    return [
        [
            label,
            r.name,
            units.get(label, "-"),
            _num(w["n"], ","),
            fmt(w["mean"], ".5g"),
            fmt(w["std"], ".4g"),
            fmt(w["min"], ".5g"),
            fmt(w["max"], ".5g"),
        ]
        for r in cmp.runs.values()
        if r.ok
        for label, w in stats.weight_summary(r.results).items()
    ]


def projection_rows(cmp) -> list[list]:
    """One row per projection: what every backend was given (the resolved weights, in the
    unit of the target model's input, and the delays)."""
    r = cmp.resolved
    if r is None:
        return []
    rows = []
    for proj in r.projections:
        post = r.populations.get(proj.post)
        if post is None:
            continue
        w = np.asarray(proj.weight, float)
        d = np.asarray(proj.delay_steps) * r.dt
        rows.append(
            [
                proj.label,
                f"{proj.pre} -> {proj.post}",
                post.model.label,
                proj.receptor,
                _num(int(proj.n), ","),
                post.model.weight_unit,
                fmt(float(w.min()) if w.size else None, ".4g"),
                fmt(float(w.mean()) if w.size else None, ".4g"),
                fmt(float(w.max()) if w.size else None, ".4g"),
                "-"
                if not d.size
                else f"{d.min():g}"
                if d.min() == d.max()
                else f"{d.min():g} - {d.max():g}",
                "plastic" if proj.rule is not None else "static",
            ]
        )
    return rows


def chip_rows(cmp) -> list[list]:
    rows = []
    for r in cmp.runs.values():
        chip = r.chip if r.ok else None
        if not chip:
            continue
        e = chip.get("energy_J", {})
        total = e.get("total") or 0.0
        parts = ", ".join(
            f"{k} {v / total * 100:.0f} %" for k, v in e.items() if k != "total" and total and v
        )
        c, t = chip.get("counts", {}), chip.get("time", {})
        rt = t.get("realtime_factor")
        rows.append(
            [
                r.name,
                f"{chip.get('cores_used')} on {chip.get('chips_used')}",
                _num(chip.get("compartments"), ","),
                _num(chip.get("synapses"), ","),
                _num(c.get("synaptic_ops", 0), ","),
                si(total, "J"),
                parts or "-",
                si(t.get("total_s"), "s") + (f" ({rt:.1f}x real time)" if rt else ""),
            ]
        )
    return rows


def version_rows(cmp) -> tuple[list[str], list[list]]:
    """Simulator and library versions each backend's process reported (its results'
    provenance), one column per backend."""
    names = list(cmp.runs)
    keys: list[str] = []
    for r in cmp.runs.values():
        keys += [k for k in r.versions if k not in keys]
    rows = [[k] + [str(cmp.runs[n].versions.get(k, "-")) for n in names] for k in keys]
    return ["package", *names], rows


def machine_rows(cmp) -> list[list]:
    p = cmp.provenance
    mem = p.get("memory_gb")
    rows = [
        ["processor", p.get("cpu") or "-"],
        ["cores", fmt(p.get("cpus"))],
        ["memory", "-" if mem is None else f"{mem:g} GiB"],
        ["architecture", p.get("machine", "-")],
        ["operating system", p.get("platform", "-")],
        ["Python", p.get("python", "-")],
        ["snn-hub", p.get("snn-hub", "-")],
        ["created", p.get("created", "-")],
    ]
    libs = p.get("libraries") or {}
    if libs:
        rows.append(
            ["libraries (comparing process)", ", ".join(f"{k} {v}" for k, v in libs.items())]
        )
    return rows


def reproduce_command(cmp) -> str:
    """The ``snn-hub compare`` command line that reruns this comparison: the model file and
    its ``--param`` values as given, the backends with their options, the duration and every
    setting that is not the default.  A network given from Python appears as ``model.npz``
    (what ``hub.save(net, "model.npz")`` writes)."""
    m, s = cmp.model, cmp.settings
    args = ["snn-hub", "compare", m.get("source") or "model.npz"]
    for k, v in (m.get("params") or {}).items():
        args += ["--param", f"{k}={v}"]
    args += ["--backends", ",".join(s["backends"]), "--duration", f"{s['duration_ms']:g}"]
    if s.get("repeat", 1) != 1:
        args += ["--repeat", str(s["repeat"])]
    timeout = s.get("timeout_s")
    if isinstance(timeout, (int, float)) and timeout != 1800:
        args += ["--timeout", f"{timeout:g}"]
    if s.get("tolerance_ms") is not None:
        args += ["--tolerance", f"{s['tolerance_ms']:g}"]
    for flag, key in (("--tau", "tau_ms"), ("--bin", "bin_ms")):
        if s.get(key, 5.0) != 5.0:
            args += [flag, f"{s[key]:g}"]
    for name, r in cmp.runs.items():
        for k, v in r.options.items():
            args += ["--option", f"{name}.{k}={v}"]
    return shlex.join(args)


def weights_note(cmp) -> str:
    """One line per weight panel: its unit and the bin edges every histogram of it shares."""
    from .plot import weight_panels

    lines = []
    for unit, p in weight_panels(cmp).items():
        e = p["edges"]
        if e is not None:
            lines.append(
                f"weights in {unit}: {len(e) - 1} bins of {e[1] - e[0]:.4g} {unit} from "
                f"{e[0]:.4g} to {e[-1]:.4g} {unit}, the same edges for every backend"
            )
    return "; ".join(lines)


def comparison_html(cmp) -> str:
    """The report as one self-contained HTML page: tables, figures as base64 PNG, no
    external resource and no script."""
    from .plot import comparison_figures

    esc = html.escape
    label = cmp.model.get("label") or "network"
    s = cmp.settings
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>snn-hub compare: {esc(label)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>snn-hub compare: {esc(label)}</h1><p>{esc(header(cmp))}; backends "
        f"{esc(', '.join(s['backends']))}</p>",
    ]
    if cmp.agreement:
        parts.append("<h2 id='verdict'>Verdict</h2><ul>")
        for a in cmp.agreement:
            cls = "ok" if a.within_contract else "fail"
            word = "within the contract" if a.within_contract else "OUTSIDE the contract"
            parts.append(
                f"<li><b>{esc(a.pair)}</b>: promised {esc(a.expect)}; "
                f"<span class='{cls}'>{word}</span>: {esc(a.reason)}</li>"
            )
        parts.append("</ul>")
    for r in cmp.runs.values():
        if not r.ok:
            parts.append(f"<p class='fail'>{esc(r.name)} {esc(r.status)}: {esc(r.error or '')}</p>")
    headers, rows = timing_rows(cmp)
    parts.append("<h2 id='timings'>Time and memory</h2>")
    parts.append(
        html_table(
            headers,
            rows,
            "seconds per backend (median [min, max] over the repeats); peak memory = peak "
            "resident set of the backend's process",
            numeric=range(2, len(headers)),
        )
    )
    pops = population_rows(cmp)
    if pops:
        parts.append("<h2 id='populations'>Activity per population</h2>")
        parts.append(
            html_table(
                [
                    "population",
                    "model",
                    "backend",
                    "neurons",
                    "spikes",
                    "rate Hz",
                    "CV ISI",
                    "Fano",
                ],
                pops,
                f"rate = spikes / neurons / {cmp.model['duration_ms']:g} ms; CV of ISI over "
                f"neurons with >= 3 spikes; Fano = variance / mean of "
                f"{s['bin_ms']:g} ms population counts",
                numeric=range(3, 8),
            )
        )
    if cmp.agreement:
        parts.append("<h2 id='agreement'>Agreement</h2>")
        parts.append(
            html_table(
                [
                    "pair",
                    "promised",
                    "identical",
                    "first diff ms",
                    "matched",
                    "tolerance ms",
                    "max dt ms",
                    "|rate diff| %",
                    "|CV diff|",
                    "van Rossum",
                    "rate corr",
                    "contract",
                    "statistics",
                ],
                agreement_rows(cmp),
                "pooled over the neuron populations; matched = fraction of spikes paired "
                "within the tolerance; van Rossum normalised (tau "
                f"{s['tau_ms']:g} ms): 0 identical, about 1 unrelated",
                numeric=range(3, 11),
            )
        )
        parts.append(
            html_table(
                [
                    "population",
                    "pair",
                    "spikes a / b",
                    "identical",
                    "first diff ms",
                    "matched",
                    "rate a Hz",
                    "rate b Hz",
                    "rate diff %",
                    "CV diff",
                    "van Rossum",
                    "rate corr",
                    "statistics",
                ],
                population_agreement_rows(cmp),
                "per population; statistics ok = rate within 5 % and CV of ISI within 0.1",
                numeric=(2, *range(4, 12)),
            )
        )
        weights = [a for a in cmp.agreement if a.weights]
        if weights:
            parts.append(
                html_table(
                    ["pair", "plastic projections", "max |dw|", "relative to the largest |w|"],
                    [
                        [
                            a.pair,
                            str(a.weights["projections"]),
                            fmt(a.weights["max_abs_diff"], ".3g"),
                            fmt(a.weights["max_rel_diff"] * 100, ".3g") + " %",
                        ]
                        for a in weights
                    ],
                    "final weights compared",
                    numeric=(1, 2, 3),
                )
            )
    crows = chip_rows(cmp)
    if crows:
        parts.append("<h2 id='chip'>Chip</h2>")
        parts.append(
            html_table(
                [
                    "backend",
                    "cores on chips",
                    "compartments",
                    "synapses",
                    "synaptic ops",
                    "energy",
                    "energy by part",
                    "estimated chip time",
                ],
                crows,
                numeric=(2, 3, 4),
            )
        )
    figures = comparison_figures(cmp)
    weights_fig = figures.pop("Weights", None)
    if figures:
        parts.append("<h2 id='figures'>Figures</h2>")
    for title, fig in figures.items():
        parts.append(
            f"<h3>{esc(title)}</h3><img alt='{esc(title)}' "
            f"src='data:image/png;base64,{figure_png(fig)}'>"
        )
    prows, wrows = projection_rows(cmp), weight_rows(cmp)
    if prows or wrows:
        parts.append("<h2 id='weights'>Weights</h2>")
    if prows:
        parts.append(
            html_table(
                [
                    "projection",
                    "pre -> post",
                    "target model",
                    "receptor",
                    "synapses",
                    "unit",
                    "min",
                    "mean",
                    "max",
                    "delay ms",
                    "synapse",
                ],
                prows,
                "the weights every backend was given, in the unit of the target model's "
                "input: mV for a delta synapse, nA for a current, uS for a conductance",
                numeric=(4, 6, 7, 8),
            )
        )
    if wrows:
        parts.append(
            html_table(
                ["projection", "backend", "unit", "synapses", "mean", "std", "min", "max"],
                wrows,
                "final weights of the plastic projections",
                numeric=range(3, 8),
            )
        )
    if weights_fig is not None:
        parts.append(
            "<img alt='Weights' "
            f"src='data:image/png;base64,{figure_png(weights_fig)}'>"
            f"<p class='note'>{esc(weights_note(cmp))}</p>"
        )
    parts.append("<h2 id='provenance'>Provenance</h2>")
    parts.append("<p>To reproduce:</p>")
    parts.append(f"<pre><code>{esc(reproduce_command(cmp))}</code></pre>")
    if not cmp.model.get("source"):
        parts.append(
            "<p class='note'>The network was given from Python: "
            '<code>hub.save(net, "model.npz")</code> writes the file this command reads '
            "(the seed and every random draw come from the network).</p>"
        )
    vh, vrows = version_rows(cmp)
    if vrows:
        parts.append(
            html_table(
                vh, vrows, "versions each backend's process reported (simulators, libraries)"
            )
        )
    parts.append(html_table(["machine", ""], machine_rows(cmp)))
    parts.append(
        "<p class='note'>import = loading the plugins and the simulator in the backend's "
        "fresh process; wall = the whole process from spawn to exit; every backend ran in "
        "its own process, one after the other.</p>"
    )
    for r in cmp.runs.values():
        if not r.ok and r.detail:
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

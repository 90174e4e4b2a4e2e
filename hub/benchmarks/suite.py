"""``make bench``: the whole benchmark suite, written to docs/benchmarks.md.

    python -m hub.benchmarks.suite [--only NAME ...] [--repeat N] [--out docs/benchmarks.md]

Each entry of :data:`SUITE` is measured with :func:`hub.bench.bench` and its report saved to
``docs/benchmarks/NAME.json``; the markdown page (tables of medians and ratios, the targets,
the chip against NEST and Brian2 standalone, hub.pynn against PyNN's own backends
(:mod:`hub.benchmarks.pynn_cost`), the scaling fit across the Brunel scales, the machine, the
command) and the scaling plot ``docs/figures/scaling.png`` are then written from
every saved report, so ``--only`` re-measures one entry and keeps the others.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..textfmt import fmt
from . import BENCHMARKS
from .bench import RATIO_KEYS, TARGETS, BenchReport, bench, machine
from .freshness import backend_fingerprint, pynn_fingerprint, stale_message

ROOT = Path(__file__).resolve().parents[2]
BRUNEL_SCALES = (0.1, 0.25, 0.5, 1.0)
#: chip targets: synaptic events per second against NEST (x3) and Brian2 standalone (x1)
CHIP_VS_NEST = 3.0
CHIP_VS_STANDALONE = 1.0
#: scaling target: exponent of time and memory against synapse count
SCALING_EXPONENT = 1.05


@dataclass(frozen=True)
class Entry:
    name: str
    benchmark: str
    backends: tuple
    params: dict = field(default_factory=dict)
    standalone: bool = False
    repeat: int = 3
    options: dict = field(default_factory=dict)
    #: measure the backends' hand-written scripts too (none exists for the microcircuit)
    native: bool = True


#: Brian2 in the hub / native comparisons: the numpy target on both paths (the native
#: script's Cython build compiles every code object with Brian2's cache: minutes per
#: network, measured); Cython's first run is measured apart (FIRST_RUN below)
BRIAN2 = {"brian2": {"codegen": "numpy"}}
#: the full Brunel network needs 33 chips' synapse memory (128 KB per core)
CHIPS = {"chip": {"chips": 64}, **BRIAN2}
#: chips configured for the full microcircuit (the report says how many it used)
MICROCIRCUIT_CHIPS = 1024
#: its in-degree scale: fan-in within a core's 4096 input axons (at 0.7 the mean L4I
#: in-degree is 4,122)
MICROCIRCUIT_K_SCALE = 0.6

SUITE = [
    Entry("cuba", "cuba", ("nest", "brian2", "chip"), standalone=True, options=BRIAN2),
    Entry("coba", "coba", ("nest", "brian2"), options=BRIAN2),
    *(
        Entry(
            f"brunel-{s:g}",
            "brunel",
            ("nest", "brian2", "chip"),
            {"scale": s},
            standalone=s in (0.25, 1.0),
            options=CHIPS,
        )
        for s in BRUNEL_SCALES
    ),
    Entry("stdp", "stdp", ("nest", "brian2", "chip"), options=BRIAN2),
    # every core of this machine: the chip's threads against NEST's (script and hub path)
    Entry(
        "brunel-1-threads2",
        "brunel",
        ("nest", "chip"),
        {"scale": 1.0},
        options={"nest": {"threads": 2}, "chip": {"chips": 64, "threads": 2}},
    ),
    # the microcircuit's full neuron count on the chip alone (NEST needs ~23 GiB for it
    # here: its published figures stand beside it); once, it takes minutes.  In-degrees at
    # MICROCIRCUIT_K_SCALE: at 1 an L4I neuron has more distinct senders than a core has
    # input axons (4096), and the chip refuses it (ResourceError)
    Entry(
        "microcircuit-1",
        "microcircuit",
        ("chip",),
        {"scale": 1.0, "k_scale": MICROCIRCUIT_K_SCALE},
        repeat=1,
        options={"chip": {"chips": MICROCIRCUIT_CHIPS}},
        native=False,
    ),
]


def entry_fingerprints(entry: Entry) -> dict:
    """``{backend: fingerprint}`` of the code that measures ``entry`` (its report records it;
    the target tests compare it with the current code)."""
    out = {}
    for backend in entry.backends:
        settings = {
            "benchmark": entry.benchmark,
            "params": dict(entry.params),
            "options": dict(entry.options.get(backend, {})),
            "standalone": entry.standalone and backend == "brian2",
        }
        out[backend] = backend_fingerprint(backend, BENCHMARKS[entry.benchmark].model, settings)
    return out


def first_run_fingerprints() -> dict:
    """The fingerprint of Brian2's first-run measurement (FIRST_RUN below)."""
    extra = ("hub/benchmarks/brian2_first_run.py",)
    return {"brian2": backend_fingerprint("brian2", "vogels_abbott", {}, extra)}


def pynn_cost_fingerprints() -> dict:
    """``{backend: fingerprint}`` of the PyNN-cost measurement (PYNN_COST below)."""
    from .pynn_cost import DEFAULTS

    return {b: pynn_fingerprint(b, {**DEFAULTS, "pair": b}) for b in DEFAULTS["scales"]}


def stale(name: str, out_dir: Path = ROOT / "docs" / "benchmarks") -> str | None:
    """Why ``out_dir/NAME.json`` is missing or was measured on other code (``None``: it is
    a measurement of this code)."""
    if name == FIRST_RUN:
        current = first_run_fingerprints()
    elif name == PYNN_COST:
        current = pynn_cost_fingerprints()
    else:
        current = entry_fingerprints(next(e for e in SUITE if e.name == name))
    return stale_message(out_dir / f"{name}.json", current)


def run_entry(
    entry: Entry, out_dir: Path, repeat: int | None = None, backends: list | None = None
) -> dict:
    """Measure ``entry`` and save its report; with ``backends``, measure only those and
    replace their measurements in the saved report (the others are kept)."""
    t0 = time.perf_counter()

    def progress(text):
        print(f"  [{entry.name}] {text} ({time.perf_counter() - t0:.0f} s)", flush=True)

    names = [b for b in entry.backends if not backends or b in backends]
    current = entry_fingerprints(entry)
    rep = bench(
        entry.benchmark,
        backends=names,
        native=entry.native,
        standalone=entry.standalone,
        repeat=repeat or entry.repeat,
        params=dict(entry.params),
        options=dict(entry.options),
        progress=progress,
    )
    print(rep.table(), flush=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{entry.name}.json"
    if backends and path.is_file():
        old = BenchReport.from_dict(json.loads(path.read_text()))
        keep = [m for m in old.measurements if m.backend not in names]
        rep.measurements = keep + rep.measurements
        rep.settings["backends"] = list(entry.backends)
        # the kept backends keep the fingerprint of the code they were measured on
        rep.fingerprint = {b: fp for b, fp in old.fingerprint.items() if b not in names}
    rep.fingerprint.update({b: current[b] for b in names})
    rep.save(path)
    return rep.to_dict()


#: Brian2's first run on CUBA (import, code generation, compilation; cold and warm cache)
FIRST_RUN = "brian2-first-run"
#: its targets: a cold first run under 20 s, a warm one under 3 s (build + run)
FIRST_RUN_COLD_S, FIRST_RUN_WARM_S = 20.0, 3.0


def run_first_run(out_dir: Path, repeat: int | None = None) -> list[dict]:
    from .brian2_first_run import measure

    print(f"  [{FIRST_RUN}] numpy, cython cold and warm (fresh processes)", flush=True)
    current = first_run_fingerprints()
    rows = measure(["numpy", "cython"], ["cold", "warm"], repeat or 3)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f"{FIRST_RUN}.json.tmp"
    doc = {"network": "cuba", "rows": rows, "machine": machine(), "fingerprint": current}
    tmp.write_text(json.dumps(doc, indent=2))
    os.replace(tmp, out_dir / f"{FIRST_RUN}.json")
    return rows


#: the PyNN path: hub.pynn against pyNN.nest and pyNN.brian2 on the Vogels-Abbott benchmark
#: written in PyNN (targets in hub.benchmarks.pynn_cost.TARGETS)
PYNN_COST = "pynn-cost"


def run_pynn_cost(out_dir: Path, repeat: int | None = None) -> dict:
    from .pynn_cost import DEFAULTS, activity_problems, measure, save

    def progress(text):
        print(f"  [{PYNN_COST}] {text}", flush=True)

    current = pynn_cost_fingerprints()
    doc = measure(dict(DEFAULTS), repeat or 3, progress=progress)
    doc["fingerprint"] = current
    out_dir.mkdir(parents=True, exist_ok=True)
    save(doc, out_dir / f"{PYNN_COST}.json")
    for line in activity_problems(doc):
        print(f"  [{PYNN_COST}] WARNING: {line}", flush=True)
    return doc


def load_pynn_cost(out_dir: Path) -> dict | None:
    path = out_dir / f"{PYNN_COST}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def load_first_run(out_dir: Path) -> list[dict]:
    path = out_dir / f"{FIRST_RUN}.json"
    return json.loads(path.read_text())["rows"] if path.is_file() else []


def load_reports(out_dir: Path) -> dict[str, dict]:
    reports = {}
    for entry in SUITE:
        path = out_dir / f"{entry.name}.json"
        if path.is_file():
            reports[entry.name] = json.loads(path.read_text())
    return reports


# ---------------------------------------------------------------------------------------------
# derived figures
# ---------------------------------------------------------------------------------------------
def _m(report: dict, backend: str, path: str) -> dict | None:
    return next(
        (
            m
            for m in report["measurements"]
            if m["backend"] == backend and m["path"] == path and m["status"] == "ok"
        ),
        None,
    )


def chip_comparison(reports: dict) -> list[dict]:
    """Synaptic events per second of the chip against NEST's hand-written script (one
    thread) and Brian2 C++ standalone, per network where they were measured."""
    rows = []
    for name, rep in reports.items():
        chip = _m(rep, "chip", "hub")
        if chip is None:
            continue
        nest, sa = _m(rep, "nest", "native"), _m(rep, "brian2", "standalone")
        row = {
            "benchmark": name,
            "chip_events_per_s": chip["events_per_s"],
            "chip_run_s": chip["timings"]["run_s"],
        }
        if nest:
            row["nest_events_per_s"] = nest["events_per_s"]
            row["vs_nest"] = chip["events_per_s"] / nest["events_per_s"]
            row["nest_run_s"] = nest["timings"]["run_s"]
        if sa:
            row["standalone_events_per_s"] = sa["events_per_s"]
            row["vs_standalone"] = chip["events_per_s"] / sa["events_per_s"]
        rows.append(row)
    return rows


def scaling_fits(reports: dict) -> list[dict]:
    """log-log least-squares slope of run time and peak memory against the synapse count,
    per (backend, path), across the Brunel scales measured."""
    series: dict = {}
    for s in BRUNEL_SCALES:
        rep = reports.get(f"brunel-{s:g}")
        if rep is None:
            continue
        syn = rep["network"]["synapses"]
        for m in rep["measurements"]:
            if m["status"] == "ok":
                series.setdefault((m["backend"], m["path"]), []).append(
                    (syn, m["timings"]["run_s"], m["peak_rss_mb"])
                )
    out = []
    for (backend, path), pts in series.items():
        if len(pts) < 2:
            continue
        syn, run, mem = (np.array(x, float) for x in zip(*pts))
        out.append(
            {
                "backend": backend,
                "path": path,
                "points": len(pts),
                "synapses": syn.tolist(),
                "run_s": run.tolist(),
                "peak_rss_mb": mem.tolist(),
                "time_exponent": float(np.polyfit(np.log(syn), np.log(run), 1)[0]),
                "memory_exponent": float(np.polyfit(np.log(syn), np.log(mem), 1)[0]),
            }
        )
    return out


def plot_scaling(fits: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for fit in fits:
        label = f"{fit['backend']}/{fit['path']}"
        axes[0].loglog(
            fit["synapses"], fit["run_s"], "o-", label=f"{label} (slope {fit['time_exponent']:.2f})"
        )
        axes[1].loglog(
            fit["synapses"],
            fit["peak_rss_mb"],
            "o-",
            label=f"{label} (slope {fit['memory_exponent']:.2f})",
        )
    for ax, what in zip(axes, ("run time per simulated second (s)", "peak RSS (MiB)")):
        ax.set_xlabel("synapses (Brunel, scale 0.1 .. 1)")
        ax.set_ylabel(what)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Brunel 2000 (exp PSCs), 1 s simulated, one thread")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# the page
# ---------------------------------------------------------------------------------------------


def _ok(value, limit):
    if value is None:
        return "-"
    return "yes" if value <= limit else "**no**"


def markdown(
    reports: dict,
    fits: list[dict],
    chip_rows: list[dict],
    info: dict,
    command: str,
    first_run: list[dict] = (),
    pynn_cost: dict | None = None,
) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m hub.benchmarks.suite`); do not edit by hand.",
        "Every number is a median over fresh processes that alternate between the hub path "
        "(`hub.run`) and a hand-written native script building the same connectivity "
        "arrays (hub/benchmarks/native_nest.py, native_brian2.py). The machine is shared, "
        "so compare ratios, not absolute times.",
        "",
        "Reproduce: `" + command + "` (one entry: `python -m hub.benchmarks.suite --only "
        "cuba`; one network from the command line: `snn-hub bench cuba --backends "
        "nest,brian2,chip --native --standalone`).",
        "",
        "## Machine",
        "",
    ]
    for key, value in info.items():
        lines.append(f"- {key}: {value}")
    lines += [
        "",
        "## Hub overhead against native scripts (hub / native, medians)",
        "",
        f"Targets: build <= {TARGETS['build_s']}, simulate <= {TARGETS['run_s']}, "
        f"peak memory <= {TARGETS['peak_rss_mb']}.",
        "",
        "| benchmark | backend | build | simulate | peak memory | all targets |",
        "|---|---|---|---|---|---|",
    ]
    for name, rep in reports.items():
        for backend, row in rep.get("ratios", {}).items():
            ok = all(row[k] is None or row[k] <= TARGETS[k] for k in RATIO_KEYS)
            lines.append(
                f"| {name} | {backend} | {fmt(row['build_s'], '.3f')} | "
                f"{fmt(row['run_s'], '.3f')} | {fmt(row['peak_rss_mb'], '.3f')} | "
                f"{'yes' if ok else '**no**'} |"
            )
    lines += [
        "",
        "## Chip: synaptic events per second",
        "",
        f"Targets: at least {CHIP_VS_NEST:g}x NEST (one thread, native script) on Brunel "
        f"and at least Brian2 C++ standalone's; no slower than NEST on CUBA.",
        "",
        "| benchmark | chip ev/s | NEST ev/s | chip / NEST | Brian2 standalone ev/s | "
        "chip / standalone | chip run s | NEST run s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in chip_rows:
        lines.append(
            f"| {row['benchmark']} | {fmt(row['chip_events_per_s'], '.3g')} | "
            f"{fmt(row.get('nest_events_per_s'), '.3g')} | "
            f"{fmt(row.get('vs_nest'), '.2f')} | "
            f"{fmt(row.get('standalone_events_per_s'), '.3g')} | "
            f"{fmt(row.get('vs_standalone'), '.2f')} | {fmt(row['chip_run_s'], '.2f')} | "
            f"{fmt(row.get('nest_run_s'), '.2f')} |"
        )
    lines += microcircuit_lines(reports.get("microcircuit-1"))
    lines += [
        "",
        "## Brian2: first run of CUBA (code generation and compilation)",
        "",
        f"Targets: a cold first run (empty compiler cache) under {FIRST_RUN_COLD_S:g} s, a "
        f"warm one under {FIRST_RUN_WARM_S:g} s (build + run, `import brian2` apart). "
        "Fresh processes; `python -m hub.benchmarks.brian2_first_run`; which target "
        "the backend picks per use: [brian2.md](brian2.md).",
        "",
        "| codegen | cache | import s | build s | run s | build + run s | modules "
        "compiled | runs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in first_run:
        med = row["median"]
        lines.append(
            f"| {row['codegen']} | {row['mode']} | {med['import']:.2f} | "
            f"{med['build']:.2f} | {med['run']:.2f} | {med['total']:.2f} | "
            f"{med['compiles']:.0f} | "
            f"{' / '.join(f'{t:.2f}' for t in row['totals'])} |"
        )
    lines += pynn_cost_lines(pynn_cost)
    lines += [
        "",
        "## Scaling across the Brunel scales",
        "",
        f"Exponent of a log-log fit against the synapse count (target <= "
        f"{SCALING_EXPONENT}). Plot: [figures/scaling.png](figures/scaling.png).",
        "",
        "| run | points | time exponent | memory exponent |",
        "|---|---|---|---|",
    ]
    for fit in fits:
        lines.append(
            f"| {fit['backend']}/{fit['path']} | {fit['points']} | "
            f"{fit['time_exponent']:.3f} | {fit['memory_exponent']:.3f} |"
        )
    lines += [
        "",
        "![scaling](figures/scaling.png)",
        "",
        "## resolve()",
        "",
        "| benchmark | synapses | time s | peak traced MiB | arrays MiB | peak / arrays |",
        "|---|---|---|---|---|---|",
    ]
    for name, rep in reports.items():
        r = rep["resolve"]
        lines.append(
            f"| {name} | {rep['network']['synapses']} | {r['time_s']:.2f} | "
            f"{r['peak_traced_mb']:.0f} | {r['arrays_mb']:.0f} | "
            f"{r['peak_over_arrays']:.2f} |"
        )
    lines += ["", "## Every measurement", ""]
    for name, rep in reports.items():
        net = rep["network"]
        lines += [
            f"### {name}",
            "",
            f"{net['neurons']} neurons, {net['synapses']} synapses, "
            f"{net['duration_ms']:g} ms, dt {net['dt_ms']} ms; {rep['settings']['repeat']} "
            f"repeats; load average at the end {rep['machine'].get('load_avg')}.",
            "",
            "| run | import s | build s | simulate s | peak MiB | spikes | syn events/s "
            "| RT factor |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for m in rep["measurements"]:
            t = m["timings"]
            if m["status"] != "ok":
                lines.append(
                    f"| {m['backend']}/{m['path']} | {m['status']}: {m.get('error')} | | | | | | |"
                )
                continue
            lines.append(
                f"| {m['backend']}/{m['path']} | {fmt(t.get('import_s'), '.2f')} | "
                f"{fmt(t.get('build_s'), '.2f')} | {fmt(t.get('run_s'), '.2f')} | "
                f"{fmt(m['peak_rss_mb'], '.0f')} | {sum(m['spikes'].values())} | "
                f"{fmt(m['events_per_s'], '.3g')} | {fmt(m['realtime_factor'], '.2f')} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


#: NEST on the full microcircuit, published: Kurth, Finnerty, Terhorst, Pronold, Senk and
#: Diesmann, "Sub realtime simulation of a full density cortical microcircuit model on a
#: single compute node" (Forschungszentrum Juelich, FZJ-2021-03144, 2021): NEST 2.14 on one
#: node of two 64-core AMD EPYC Rome, faster than real time (sub-realtime), 0.26 uJ per
#: synaptic event; on two such nodes 1.7 times faster than real time
NEST_MICROCIRCUIT = {"cores": 128, "energy_per_event_J": 0.26e-6, "faster_than_realtime": ">1"}


def microcircuit_rates(rep: dict) -> dict[str, tuple[float, float]]:
    """Per population of a microcircuit report: (rate over the whole run, published rate)
    in Hz.  The published rates are the full network's (models/microcircuit.py)."""
    import importlib.util

    from ..builders import default_models_dir

    path = default_models_dir() / "microcircuit.py"
    spec = importlib.util.spec_from_file_location("hub_models_microcircuit", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    m = _m(rep, "chip", "hub")
    seconds = rep["network"]["duration_ms"] * 1e-3
    sizes = rep["network"]["populations"]
    return {
        label: (m["spikes"][label] / (sizes[label] * seconds), float(published))
        for label, published in zip(module.POPULATIONS, module.FULL_MEAN_RATES)
    }


def microcircuit_lines(rep: dict | None) -> list[str]:
    """The page's section on the full-scale microcircuit on the chip (empty without one)."""
    m = rep and _m(rep, "chip", "hub")
    if not m:
        return []
    net, chip, params = rep["network"], m["chip"], rep["settings"]["params"]
    seconds = net["duration_ms"] * 1e-3
    modeled = chip["time"]["total_s"]
    lines = [
        "",
        "## The cortical microcircuit at full scale on the chip",
        "",
        f"Potjans & Diesmann (2014), `models/microcircuit.py` at scale "
        f"{params.get('scale', 1.0):g}, k_scale {params.get('k_scale', 1.0):g}: "
        f"{net['neurons']:,} neurons, {net['synapses']:,} synapses, "
        f"{net['duration_ms']:g} ms, native Poisson background, one run "
        "(`python -m hub.benchmarks.suite --only microcircuit-1`). With every in-degree "
        "(k_scale 1, 298.9 M synapses) the chip refuses the network: an L4I neuron receives "
        "from 5,654 distinct neurons, and a core has 4,096 input axons (at k_scale 0.7 the "
        "mean L4I in-degree is still 4,122 synapses). k_scale 0.6 fits; NEST's example's DC "
        "compensation restores the lost mean input (docs/microcircuit.md). "
        f"Placed on {chip['cores_used']:,} cores of {chip['chips_used']} chips "
        f"({chip['mapping_iterations']} mapping passes). The simulation runs on one core of "
        "this machine; the chip's own time and energy are its model's (docs/chip.md). "
        "NEST's are published (Kurth et al. 2021, on one 128-core node; NEST needs about "
        "23 GiB for this network here, more than the machine has free).",
        "",
        "| | this machine (chip engine, 1 core) | chip model | NEST, published |",
        "|---|---|---|---|",
        f"| wall time per simulated second | {m['timings']['run_s'] / seconds:.1f} s | "
        f"{modeled / seconds:.3g} s | < 1 s (128 cores) |",
        f"| synaptic events per second | {m['events_per_s']:.3g} | "
        f"{m['synaptic_events'] / modeled:.3g} | |",
        f"| energy per synaptic event | | "
        f"{chip['energy_per_synaptic_op_J'] * 1e6:.3g} uJ | "
        f"{NEST_MICROCIRCUIT['energy_per_event_J'] * 1e6:g} uJ |",
        f"| build (resolved network to chip program) | {m['timings']['build_s']:.0f} s | | |",
        f"| peak memory | {m['peak_rss_mb'] / 1024:.1f} GiB | | |",
        "",
        "| population | rate Hz (whole run) | published Hz |",
        "|---|---|---|",
    ]
    for label, (got, published) in microcircuit_rates(rep).items():
        lines.append(f"| {label} | {got:.2f} | {published:.2f} |")
    return lines


def pynn_cost_lines(doc: dict | None) -> list[str]:
    """The page's section on the PyNN path (empty without a report)."""
    if not doc:
        return []
    from .pynn_cost import PAIRS, TARGETS, activity_problems, rates

    st = doc["settings"]
    lines = [
        "",
        "## PyNN path: hub.pynn against pyNN.nest and pyNN.brian2",
        "",
        f"The Vogels-Abbott benchmark ({st['variant'].upper()}) written in PyNN "
        "(hub/benchmarks/pynn_va.py), the same script on each simulator module, "
        f"{st['duration_ms']:g} ms, seed {st['seed']}; {st['repeat']} fresh processes per "
        "path, alternating; `python -m hub.benchmarks.pynn_cost`. Build: setup() to the end "
        "of the script's construction (PyNN's connectors draw every connection there, on "
        "every path), plus for hub.pynn the lazy build in the first run() (the hub network, "
        "resolve, the backend's build). Simulate: the simulator's run call. Brian2 runs the "
        "numpy target on both paths; pyNN.nest runs on the grid (`spike_precision='on_grid'`).",
        "",
        "Targets: on NEST build at least "
        f"{1 / TARGETS['nest']['build_s']:g}x faster, simulate within "
        f"{(TARGETS['nest']['run_s'] - 1) * 100:g} %; on Brian2 build at least "
        f"{1 / TARGETS['brian2']['build_s']:g}x faster.",
        "",
        "| backend | scale | build speed-up (PyNN / hub.pynn) | simulate hub.pynn / PyNN | "
        "peak memory hub.pynn / PyNN | targets met |",
        "|---|---|---|---|---|---|",
    ]
    for backend, row in doc["ratios"].items():
        ok = all(row[k] <= limit for k, limit in TARGETS[backend].items())
        scale = doc["paths"][PAIRS[backend][0]]["scale"]
        lines.append(
            f"| {backend} | {scale:g} | {1 / row['build_s']:.1f}x | {row['run_s']:.3f} | "
            f"{row['peak_rss_mb']:.3f} | {'yes' if ok else '**no**'} |"
        )
    lines += [
        "",
        "| path | scale | import s | construct s | first-run build s | build s | simulate s "
        "| peak MiB | spikes exc / inh | rate exc / inh Hz | spikes digest |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for path, m in doc["paths"].items():
        if m["status"] != "ok":
            lines.append(f"| {path} | {m['scale']:g} | {m['status']}: {m.get('error')} |||||||||")
            continue
        t, sp = m["timings"], m["spikes"]
        r = rates(m, st["duration_ms"])
        lines.append(
            f"| {path} | {m['scale']:g} | {t['import_s']:.2f} | {t['construct_s']:.2f} | "
            f"{t['first_run_build_s']:.2f} | {t['build_s']:.2f} | {t['run_s']:.2f} | "
            f"{m['peak_rss_mb']:.0f} | {sp['exc']} / {sp['inh']} | "
            f"{r['exc']:.1f} / {r['inh']:.1f} | `{m['spikes_digest'][:12]}` |"
        )
    same = doc.get("identical_spikes_nest_brian2")
    lines += [
        "",
        f"hub.pynn on NEST and on Brian2: {'identical' if same else 'different'} spikes "
        "(equal digests are identical (neuron, step) pairs).",
    ]
    problems = activity_problems(doc)
    if problems:
        lines += ["", "**Activity problems in this measurement** (the target tests fail):", ""]
        lines += [f"- {line}" for line in problems]
    return lines


def write_page(out: Path, reports_dir: Path, command: str) -> None:
    reports = load_reports(reports_dir)
    fits = scaling_fits(reports)
    if fits:
        plot_scaling(fits, out.parent / "figures" / "scaling.png")
    info = machine()
    text = markdown(
        reports,
        fits,
        chip_comparison(reports),
        info,
        command,
        load_first_run(reports_dir),
        load_pynn_cost(reports_dir),
    )
    tmp = out.with_suffix(".md.tmp")
    tmp.write_text(text)
    os.replace(tmp, out)
    print(f"wrote {out}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hub.benchmarks.suite", description=__doc__)
    names = [e.name for e in SUITE] + [FIRST_RUN, PYNN_COST]
    ap.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"measure only these entries ({', '.join(names)})",
    )
    ap.add_argument("--repeat", type=int, default=None, help="override every entry's repeats")
    ap.add_argument(
        "--backends",
        default=None,
        metavar="A,B",
        help="re-measure only these backends; keep the others' saved numbers",
    )
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument(
        "--page-only", action="store_true", help="only rewrite the page from the saved reports"
    )
    args = ap.parse_args(argv)
    out = Path(args.out)
    reports_dir = out.parent / "benchmarks"
    unknown = set(args.only) - set(names)
    if unknown:
        ap.error(f"--only: unknown {sorted(unknown)}")
    if not args.page_only:
        for entry in SUITE:
            if args.only and entry.name not in args.only:
                continue
            print(f"== {entry.name}", flush=True)
            run_entry(
                entry, reports_dir, args.repeat, args.backends.split(",") if args.backends else None
            )
        if not args.only or FIRST_RUN in args.only:
            print(f"== {FIRST_RUN}", flush=True)
            run_first_run(reports_dir, args.repeat)
        if not args.only or PYNN_COST in args.only:
            print(f"== {PYNN_COST}", flush=True)
            run_pynn_cost(reports_dir, args.repeat)
    write_page(out, reports_dir, "make bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())

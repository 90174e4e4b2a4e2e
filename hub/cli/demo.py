"""``snn-hub demo``: every model in models/ on every installed backend."""

from __future__ import annotations

import json
from pathlib import Path

from ..api import load_model
from ..builders import default_models_dir
from ..errors import HubError
from ..stats import identical_groups
from ..textfmt import fmt, table
from .common import (
    EXIT_OK,
    add_backends,
    add_duration,
    add_json,
    add_no_progress,
    backend_names,
    progress_bar,
)


def add_parsers(sub, common) -> None:
    p = sub.add_parser(
        "demo",
        parents=[common],
        help="run every model in models/ on every installed backend",
        description="Run each builder module in models/ on every installed "
        "backend; print spike counts, times and agreement.",
    )
    p.add_argument(
        "--models-dir",
        metavar="DIR",
        help="default: ./models, else the one next to the hub package",
    )
    add_duration(p, "override each model's DURATION")
    add_backends(p, "only these backends (default: all installed)")
    add_json(p)
    add_no_progress(p)
    p.set_defaults(func=cmd_demo)


def cmd_demo(args) -> int:
    import hub

    from ..plugins import backend_specs

    models_dir = Path(args.models_dir) if args.models_dir else default_models_dir()
    files = (
        sorted(p for p in models_dir.glob("*.py") if not p.name.startswith("_"))
        if models_dir.is_dir()
        else []
    )
    if not files:
        print(
            f"no models in {models_dir}/ yet: add a builder module there (a .py file with "
            "build(**kwargs) -> hub.Network and DURATION in ms)"
        )
        return EXIT_OK
    pm = args.ctx.plugin_manager()
    names = sorted(backend_specs(pm))
    wanted = backend_names(args.backends)
    if wanted:
        unknown = [b for b in wanted if b not in names]
        if unknown:
            raise HubError(
                f"--backend: unknown backend(s) {unknown}; must be one of "
                f"{', '.join(names) or '(none installed)'}"
            )
        names = [b for b in names if b in wanted]
    if not names:
        print("no backends installed; run `pip install -e '.[test]'` (or `make demo`)")
        return EXIT_OK
    rows, agreement = [], []
    for path in files:
        try:
            model = load_model(str(path))
            duration = float(
                args.duration if args.duration is not None else model.duration or 1000.0
            )
        except HubError as exc:
            rows.append(demo_row(path.stem, "-", status=f"cannot load: {exc}"))
            continue
        spikes = {}
        for backend in names:
            bar = progress_bar(args, f"{path.stem} on {backend}")
            try:
                res = hub.run(model.network, backend=backend, duration=duration, progress=bar)
            except HubError as exc:
                first = str(exc).splitlines()[0]
                rows.append(demo_row(path.stem, backend, status=f"skipped: {first}"))
                continue
            finally:
                if bar is not None:
                    bar.close()
            spikes[backend] = res.spike_trains
            n = sum(st.size for st in res.spike_trains.values())
            count = sum(len(st) for st in res.spike_trains.values())
            rows.append(
                demo_row(
                    path.stem,
                    backend,
                    duration,
                    n,
                    count,
                    count / n / (duration * 1e-3) if n else 0.0,
                    res.timings.get("build_s"),
                    res.timings.get("run_s"),
                    "ok",
                )
            )
        agreement.append(identical_groups(path.stem, spikes))
    if args.json:
        print(json.dumps({"runs": rows, "agreement": agreement}, indent=2, default=str))
        return EXIT_OK
    print(
        table(
            [
                "model",
                "backend",
                "ms",
                "neurons",
                "spikes",
                "rate Hz",
                "build s",
                "run s",
                "status",
            ],
            [
                [
                    r["model"],
                    r["backend"],
                    fmt(r["duration_ms"], "g"),
                    fmt(r["neurons"]),
                    fmt(r["spikes"]),
                    fmt(r["rate_hz"], ".2f"),
                    fmt(r["build_s"], ".3f"),
                    fmt(r["run_s"], ".3f"),
                    r["status"],
                ]
                for r in rows
            ],
        )
    )
    for a in agreement:
        print(f"{a['model']}: {a['text']}")
    return EXIT_OK


def demo_row(
    model,
    backend,
    duration=None,
    neurons=None,
    spikes=None,
    rate=None,
    build_s=None,
    run_s=None,
    status="",
):
    return {
        "model": model,
        "backend": backend,
        "duration_ms": duration,
        "neurons": neurons,
        "spikes": spikes,
        "rate_hz": rate,
        "build_s": build_s,
        "run_s": run_s,
        "status": status,
    }

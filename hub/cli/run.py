"""``snn-hub run`` and ``snn-hub validate``: one model, one backend."""

from __future__ import annotations

import json

from .. import mpi
from ..api import load_model
from ..formats import LoadedModel
from ..errors import ValidationError
from ..runner import sigterm_raises
from ..textfmt import fmt, table
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    add_duration,
    add_json,
    add_model,
    add_no_memory_check,
    add_no_progress,
    add_option,
    add_param,
    model_duration,
    one_backend,
    parse_key_values,
    progress_bar,
)


def add_parsers(sub, common) -> None:
    p = sub.add_parser(
        "run",
        parents=[common],
        help="simulate a model on one backend",
        description="Simulate MODEL on one backend and print a summary.",
    )
    add_model(p)
    p.add_argument("--backend", "-b", required=True, help="backend name (see `snn-hub backends`)")
    add_duration(p)
    p.add_argument("--out", "-o", metavar="FILE", help="save the results (.npz) atomically")
    add_json(p, "print the summary as JSON")
    add_option(p)
    add_param(p)
    add_no_progress(p)
    add_no_memory_check(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "validate",
        parents=[common],
        help="check a model; exit 1 on problems",
        description="Print OK or every problem in MODEL (exit code 1); with --backend, "
        "also the estimated peak memory of a run on each backend (hub.memory).",
    )
    add_model(p)
    p.add_argument(
        "--backend",
        "-b",
        metavar="NAME[,NAME...]",
        help="also check each backend's capabilities, its plugins' extra validation and "
        "whether the run's estimated peak memory fits the available memory",
    )
    add_duration(
        p, "simulated time of the memory estimate in ms (default: the module's DURATION, else 1000)"
    )
    add_param(p)
    p.set_defaults(func=cmd_validate)


def cmd_run(args) -> int:
    import hub

    one_backend(args.backend)
    options = parse_key_values(args.option, "--option")
    model = load_model(args.model, parse_key_values(args.param, "--param"))
    duration = model_duration(args.duration, model)
    args.ctx.plugin_manager()
    bar = progress_bar(args, args.backend)
    try:
        results = hub.run(
            model.network,
            backend=args.backend,
            duration=duration,
            progress=bar,
            memory_check=not args.no_memory_check,
            **options,
        )
    finally:
        if bar is not None:
            bar.close()
    if args.out and mpi.is_root():  # one file per job, from rank 0
        with sigterm_raises():  # the temporary file of the atomic write goes too
            results.save(args.out)
    summary = run_summary(model, results, args.backend, duration, args.out)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(
            f"{model.source} on {args.backend}: {duration:g} ms at dt={model.network.dt} ms, "
            f"seed {results.provenance.get('seed', model.network.seed)}"
        )
        print(format_run_table(summary))
        if isinstance(results.extra.get("chip"), dict):  # the chip's resources and energy
            from ..report import chip_lines

            print(chip_lines(args.backend, results.extra["chip"]))
        if args.out:
            print(f"results written to {args.out}")
    return EXIT_OK


def run_summary(model: LoadedModel, results, backend: str, duration: float, out=None) -> dict:
    pops = []
    for pop in model.network.populations:
        st = results.spike_trains.get(pop.label)
        pops.append(
            {
                "population": pop.label,
                "neurons": int(pop.size),
                "source": bool(pop.is_source),
                "spikes": None if st is None else len(st),
                "rate_hz": None if st is None else st.rate(duration),
            }
        )
    return {
        "model": model.source,
        "backend": backend,
        "duration_ms": duration,
        "dt_ms": model.network.dt,
        "seed": results.provenance.get("seed"),
        "timings": dict(results.timings),
        "populations": pops,
        "out": out,
        "provenance": results.provenance,
        "extra": results.extra,
    }


def format_run_table(summary: dict) -> str:
    rows = []
    for p in summary["populations"]:
        label = p["population"] + (" (source)" if p["source"] else "")
        rows.append([label, p["neurons"], fmt(p["spikes"]), fmt(p["rate_hz"], ".2f"), "", ""])
    recorded = [p for p in summary["populations"] if p["spikes"] is not None]
    t = summary["timings"]
    total_n = sum(p["neurons"] for p in recorded)
    total_s = sum(p["spikes"] for p in recorded)
    rate = total_s / total_n / (summary["duration_ms"] * 1e-3) if total_n else None
    rows.append(
        [
            "total (recorded)",
            total_n,
            total_s,
            fmt(rate, ".2f"),
            fmt(t.get("build_s"), ".3f"),
            fmt(t.get("run_s"), ".3f"),
        ]
    )
    return table(["population", "neurons", "spikes", "rate Hz", "build s", "run s"], rows)


def cmd_validate(args) -> int:
    from ..ir.validation import diagnose

    names = [b.strip() for b in (args.backend or "").split(",") if b.strip()]
    found: dict = {"estimates": [], "resolved": None}
    try:
        model = load_model(args.model, parse_key_values(args.param, "--param"))
        problems = diagnose(model.network)
        if not problems and names:
            duration = args.duration if args.duration is not None else model.duration
            duration = 1000.0 if duration is None else float(duration)
            for name in names:
                problems += backend_problems(args, model, name, duration, found)
    except ValidationError as exc:
        problems = exc.diagnostics
        source = args.model
    else:
        source = model.source
    if not problems:
        net = model.network
        print(
            f"OK: {source} ({len(net.populations)} populations, {len(net.projections)} "
            f"projections, {sum(p.size for p in net.populations)} neurons"
            + (f"; runs on {', '.join(names)}" if names else "")
            + ")"
        )
        print_estimates(found["estimates"])
        return EXIT_OK
    print(f"{len(problems)} problem(s) in {source}:")
    for d in problems:
        print(f"  {d}")
    print_estimates(found["estimates"])
    return EXIT_PROBLEMS


def print_estimates(estimates) -> None:
    """One line per backend: the estimated peak memory of the run and its terms."""
    if not estimates:
        return
    from ..memory import available_bytes, size_text

    duration, _ = estimates[0]
    print(
        f"estimated peak memory of a {duration:g} ms run "
        f"({size_text(available_bytes())} available):"
    )
    for _, est in estimates:
        print(f"  {est.describe()}")


def backend_problems(args, model, backend: str, duration: float, found: dict) -> list:
    """Problems of running ``model`` on ``backend``: its plugins' validation, the memory
    estimate (appended to ``found["estimates"]`` as ``(duration, Estimate)``; a network that
    does not fit is not resolved), its capabilities (on the network resolved for one step,
    kept in ``found["resolved"]`` for the next backend)."""
    import hub

    from ..errors import CapabilityError, Diagnostic
    from ..memory import OVERRIDE, available_bytes, estimate, size_text
    from ..plugins import get_backend

    pm = args.ctx.plugin_manager()
    get_backend(backend, pm)  # unknown name: a HubError (exit 2), not a model problem
    extra = pm.validate_network(model.network, backend)
    if extra:
        return extra
    est = estimate(model.network, backend, duration)
    found["estimates"].append((duration, est))
    free = available_bytes()
    if est.total > free:
        return [
            Diagnostic(
                f"backend {backend!r}",
                f"a {duration:g} ms run needs an estimated {size_text(est.total)} of memory, "
                f"more than the {size_text(free)} available",
                f"make the network smaller, or run it with {OVERRIDE}",
            )
        ]
    from ..ir import units

    net = model.network
    # one step is enough to know which features the network needs
    if found["resolved"] is None:
        found["resolved"] = hub.resolve(net, float(units.convert(net.dt, "ms")))
    resolved = found["resolved"]
    try:
        hub.check_capabilities(backend, resolved, pm)
    except CapabilityError as exc:
        return [
            Diagnostic(
                f"backend {backend!r}",
                f"does not support {m}",
                f"use one of {exc.alternatives[m]}"
                if exc.alternatives.get(m)
                else "change the model or the backend",
            )
            for m in exc.missing
        ]
    return []

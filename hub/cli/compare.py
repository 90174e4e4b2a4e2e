"""``snn-hub compare``: one model on several backends, one process each, compared."""

from __future__ import annotations


from .. import mpi
from ..api import load_model
from ..errors import HubError, PluginError
from ..runner import sigterm_raises
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    add_backends,
    add_duration,
    add_json,
    add_model,
    add_no_memory_check,
    add_no_progress,
    add_option,
    add_param,
    backend_names,
    backend_options,
    model_duration,
    need_matplotlib,
    parse_key_values,
)


def add_parsers(sub, common) -> None:
    p = sub.add_parser(
        "compare",
        parents=[common],
        help="run a model on several backends (one process each) and compare",
        description="Run MODEL on each backend in its own process; print times, "
        "peak memory, rates, CV, synchrony, the agreement of every pair and the "
        "chip's energy. Exit 1 if a backend did not run (the others are still "
        "reported).",
    )
    add_model(p)
    add_backends(p, "backend names (default: every installed backend)")
    add_duration(p)
    add_json(p, "print the JSON document (schema hub/compare_schema.json) instead of the table")
    p.add_argument("--save", metavar="FILE", help="write the JSON document to FILE")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument("--plot", metavar="FILE", help="write the figures (PNG, SVG or PDF)")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run each backend N times; report median, min and max of the timings",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        metavar="S",
        help="kill a backend's process after S seconds (default 1800)",
    )
    add_option(
        p,
        "[BACKEND.]KEY=VALUE",
        "backend option, e.g. --option brian2.codegen=cython; "
        "without a backend it goes to every compared backend that declares KEY "
        "(repeatable)",
    )
    add_param(p)
    p.add_argument(
        "--tolerance",
        type=float,
        default=None,
        metavar="MS",
        help="spike pairing tolerance (default: declared by the backends, >= dt)",
    )
    p.add_argument(
        "--tau",
        type=float,
        default=5.0,
        metavar="MS",
        help="van Rossum time constant (default 5 ms)",
    )
    p.add_argument(
        "--bin",
        type=float,
        default=5.0,
        metavar="MS",
        help="bin of the population counts for Fano factor and rate correlation (default 5 ms)",
    )
    add_no_progress(p)
    add_no_memory_check(p)
    p.set_defaults(func=cmd_compare)


def cmd_compare(args) -> int:
    """SIGTERM anywhere in the command (:func:`hub.runner.sigterm_raises`) kills the workers,
    removes the temporary folder and any report being written, and exits 143."""
    with sigterm_raises():
        return _compare(args)


def _compare(args) -> int:
    import hub

    from ..plugins import backend_specs, get_backend

    model = load_model(args.model, parse_key_values(args.param, "--param"))
    duration = model_duration(args.duration, model)
    pm = args.ctx.plugin_manager()
    names = backend_names(args.backends) or sorted(backend_specs(pm))
    if not names:
        raise HubError("--backends: no backends installed; pip install 'snn-hub[nest]'")
    declared = {name: declared_options(get_backend(name, pm)) for name in names}
    options = backend_options(args.option, declared)
    from ..progress import BackendBars, cli_bar

    bars = None if args.no_progress else BackendBars(cli_bar)
    try:
        cmp = hub.compare(
            model.network,
            backends=names,
            duration=duration,
            timeout=args.timeout,
            repeat=args.repeat,
            options=options,
            tolerance_ms=args.tolerance,
            tau_ms=args.tau,
            bin_ms=args.bin,
            progress=bars,
            memory_check=not args.no_memory_check,
        )
    finally:
        if bars is not None:
            bars.close()
    cmp.model["source"] = model.source
    if args.param:  # as typed, for the report's command that reproduces the run
        pairs = (kv.partition("=") for kv in args.param)
        cmp.model["params"] = {k.strip(): v.strip() for k, _, v in pairs}
    writer = mpi.is_root()  # inside an MPI job rank 0 writes the files
    if args.save and writer:
        cmp.save(args.save)
    if args.plot and writer:
        need_matplotlib("--plot")
        cmp.plot(args.plot)
    if args.html and writer:
        need_matplotlib("--html")
        cmp.to_html(args.html)
    if args.json:
        print(cmp.to_json())
    else:
        print(cmp.table())
        for flag, path in (("JSON", args.save), ("figures", args.plot), ("report", args.html)):
            if path:
                print(f"{flag} written to {path}")
    return EXIT_OK if cmp.ok else EXIT_PROBLEMS


def declared_options(backend) -> dict:
    """The options ``backend`` declares; none when its ``capabilities()`` fails (a
    PluginError), which hub.compare then reports as that backend's error."""
    try:
        return backend.capabilities().options
    except PluginError:
        return {}

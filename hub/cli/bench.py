"""``snn-hub bench``: a model timed on backends, the hub path against native scripts."""

from __future__ import annotations

import sys

from ..api import load_model
from ..errors import HubError
from ..textfmt import table
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    add_backends,
    add_duration,
    add_json,
    add_model,
    add_option,
    add_param,
    backend_names,
    backend_options,
    model_duration,
    parse_key_values,
)


def add_parsers(sub, common) -> None:
    p = sub.add_parser(
        "bench",
        parents=[common],
        help="time a model on backends, hub path against native scripts",
        description="Measure MODEL (a benchmark name, see --list, or a builder "
        "module) on each backend in fresh processes: import, build, run, peak "
        "memory, synaptic events per second; with --native also the hand-written "
        "NEST and Brian2 scripts of the benchmark, alternating with the hub path, "
        "and the ratios hub / native. Exit 1 if a run failed.",
    )
    add_model(p, nargs="?", help="benchmark name (cuba, coba, brunel) or a builder module")
    p.add_argument("--list", action="store_true", help="list the benchmark networks")
    add_backends(p, "backend names (default: nest)")
    p.add_argument(
        "--native",
        action="store_true",
        help="also run the hand-written native script of each backend",
    )
    p.add_argument(
        "--standalone",
        action="store_true",
        help="also run the native Brian2 script as cpp_standalone",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="measurements per path (median reported; default 3)",
    )
    add_duration(p, None)
    add_param(p, "builder parameter, e.g. --param scale=0.25 (repeatable)")
    add_option(
        p, "[BACKEND.]KEY=VALUE", "backend option for the hub path (and the native Brian2 target)"
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="S",
        help="kill a measurement after S seconds (default 3600)",
    )
    add_json(p, "print the JSON report")
    p.add_argument("--save", metavar="FILE", help="write the JSON report to FILE")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args) -> int:
    from .. import bench as benchmod
    from ..benchmarks import BENCHMARKS
    from ..plugins import get_backend

    if args.list:
        print(
            table(
                ["name", "model", "parameters", "description"],
                [
                    [
                        b.name,
                        f"models/{b.model}.py",
                        " ".join(f"{k}={v}" for k, v in b.params.items()),
                        b.description,
                    ]
                    for b in BENCHMARKS.values()
                ],
            )
        )
        return EXIT_OK
    if not args.model:
        raise HubError("MODEL: give a benchmark name (snn-hub bench --list) or a builder module")
    params = parse_key_values(args.param, "--param")
    names = backend_names(args.backends) or ["nest"]
    pm = args.ctx.plugin_manager()
    declared = {name: get_backend(name, pm).capabilities().options for name in names}
    options = backend_options(args.option, declared)
    if args.model in BENCHMARKS:
        network, benchmark, duration = args.model, args.model, args.duration
    else:
        model = load_model(args.model, params)
        network, benchmark, duration = model.network, None, model_duration(args.duration, model)
        params = None

    def progress(text):
        if not args.json:
            print(f"  {text}", file=sys.stderr, flush=True)

    rep = benchmod.bench(
        network,
        backends=names,
        native=args.native,
        standalone=args.standalone,
        repeat=args.repeat,
        duration=duration,
        options=options,
        benchmark=benchmark,
        params=params,
        timeout=args.timeout,
        progress=progress,
    )
    if args.save:
        rep.save(args.save)
    print(rep.to_json() if args.json else rep.table())
    return EXIT_OK if all(m.ok for m in rep.measurements) else EXIT_PROBLEMS

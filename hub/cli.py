"""The ``snn-hub`` command line (also ``python -m hub``).

    snn-hub run MODEL --backend NAME [--duration MS] [--out FILE] [--json] [--option k=v]...
    snn-hub validate MODEL [--backend NAME]
    snn-hub backends [--json]
    snn-hub plugins [--json]
    snn-hub check-backend NAME
    snn-hub demo [--models-dir DIR] [--duration MS] [--json]
    snn-hub compare MODEL [--backends a,b,c] [--duration MS] [--json] [--save FILE.json]
                    [--html FILE] [--plot FILE] [--repeat N] [--timeout S]
                    [--option [BACKEND.]KEY=VALUE]...
    snn-hub bench NAME|MODEL [--backends a,b,c] [--native] [--standalone] [--repeat N]
                  [--param k=v] [--option [BACKEND.]KEY=VALUE] [--json] [--save FILE]
    snn-hub bench --list

MODEL is a network file written by ``hub.save`` (``.npz``) or a Python builder module
(a path such as ``models/vogels_abbott.py``, or a dotted module name) that defines
``build(**kwargs) -> hub.Network`` and optionally ``DURATION`` (ms).

Exit codes: 0 success; 1 ``validate`` found problems (or ``check-backend`` failed checks, or
a backend of ``compare`` or a run of ``bench`` did not run);
2 an error (every :class:`hub.HubError` is printed as one message on stderr, without a
traceback; so is a usage error).  ``--strict`` turns plugin load warnings into errors.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path

from .builders import LoadedModel, default_models_dir, load_model
from .errors import HubError, ValidationError
from .stats import identical_groups
from .textfmt import fmt, table

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
PROG = "snn-hub"


# =============================================================================================
# entry point
# =============================================================================================
def main(argv=None) -> int:
    """Run the command line; return the exit code (``python -m hub`` raises SystemExit)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = _Context(strict=getattr(args, "strict", False))
    args.ctx = ctx
    from . import plugins

    saved_default = plugins.current_plugin_manager()
    with warnings.catch_warnings():
        warnings.showwarning = ctx.showwarning
        warnings.simplefilter("error" if ctx.strict else "always", plugins.PluginLoadWarning)
        try:
            return int(args.func(args) or 0)
        except HubError as exc:
            _error(str(exc))
            return EXIT_ERROR
        except plugins.PluginLoadWarning as exc:  # only raised under --strict
            _error(f"{exc} (--strict)")
            return EXIT_ERROR
        except KeyboardInterrupt:
            _error("interrupted")
            return 130
        except BrokenPipeError:  # e.g. `snn-hub backends | head -1`
            return EXIT_OK
        finally:
            plugins.reset_plugin_manager(saved_default)


class _Context:
    """Per-invocation state: the plugin manager (made on first use) and load failures."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.pm = None
        self.load_failures: list[str] = []
        self._original_showwarning = warnings.showwarning

    def plugin_manager(self):
        if self.pm is None:
            from .plugins import make_plugin_manager, reset_plugin_manager

            self.pm = make_plugin_manager(strict=self.strict)
            reset_plugin_manager(self.pm)  # hub.run uses the default manager
        return self.pm

    def showwarning(self, message, category, filename, lineno, file=None, line=None):
        from .plugins import PluginLoadWarning

        if issubclass(category, PluginLoadWarning):
            self.load_failures.append(str(message))
            print(f"{PROG}: warning: {message}", file=sys.stderr)
        else:
            self._original_showwarning(message, category, filename, lineno, file, line)


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


# =============================================================================================
# argument parsing
# =============================================================================================
def build_parser() -> argparse.ArgumentParser:
    from .version import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--strict",
        action="store_true",
        default=argparse.SUPPRESS,
        help="treat a plugin that fails to load as an error",
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        description="Write a spiking network once; run it on NEST, Brian2 or another "
        "installed backend with the same spikes.",
        epilog="Errors exit with code 2 and one message on stderr.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "run",
        parents=[common],
        help="simulate a model on one backend",
        description="Simulate MODEL on one backend and print a summary.",
    )
    p.add_argument(
        "model",
        metavar="MODEL",
        help="a .npz written by hub.save, or a builder "
        "module (path.py or dotted.name) with build(**kwargs) -> hub.Network",
    )
    p.add_argument("--backend", "-b", required=True, help="backend name (see `snn-hub backends`)")
    p.add_argument(
        "--duration",
        "-t",
        type=float,
        default=None,
        metavar="MS",
        help="simulated time in ms (default: the module's DURATION)",
    )
    p.add_argument("--out", "-o", metavar="FILE", help="save the results (.npz) atomically")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="backend option, e.g. --option threads=2 (repeatable)",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keyword argument for the builder's build() (repeatable)",
    )
    p.add_argument("--no-progress", action="store_true", help="never draw a progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "validate",
        parents=[common],
        help="check a model; exit 1 on problems",
        description="Print OK or every problem in MODEL (exit code 1).",
    )
    p.add_argument("model", metavar="MODEL")
    p.add_argument(
        "--backend",
        "-b",
        help="also check the backend's capabilities and its plugins' extra validation",
    )
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("backends", parents=[common], help="list installed backends")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_backends)

    p = sub.add_parser("plugins", parents=[common], help="list loaded plugins")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser(
        "check-backend", parents=[common], help="run the conformance kit (hub.testing) on a backend"
    )
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_check_backend)

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
    p.add_argument(
        "--duration",
        "-t",
        type=float,
        default=None,
        metavar="MS",
        help="override each model's DURATION",
    )
    p.add_argument(
        "--backend",
        "-b",
        action="append",
        default=[],
        metavar="NAME",
        help="only these backends (repeatable; default: all installed)",
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "compare",
        parents=[common],
        help="run a model on several backends (one process each) and compare",
        description="Run MODEL on each backend in its own process; print times, "
        "peak memory, rates, CV, synchrony, the agreement of every "
        "pair and the chip's energy. Exit 1 if a backend did not "
        "run (the others are still reported).",
    )
    p.add_argument(
        "model",
        metavar="MODEL",
        help="a .npz written by hub.save, or a builder module (path.py or dotted.name)",
    )
    p.add_argument(
        "--backends",
        "-b",
        metavar="A,B,C",
        help="comma-separated backend names (default: every installed backend)",
    )
    p.add_argument(
        "--duration",
        "-t",
        type=float,
        default=None,
        metavar="MS",
        help="simulated time in ms (default: the module's DURATION)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the JSON document (schema hub/compare_schema.json) instead of the table",
    )
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
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="[BACKEND.]KEY=VALUE",
        help="backend option, e.g. --option brian2.codegen=cython; without a "
        "backend it goes to every compared backend that declares KEY (repeatable)",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keyword argument for the builder's build() (repeatable)",
    )
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
    p.add_argument("--no-progress", action="store_true", help="never draw a progress bar")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser(
        "bench",
        parents=[common],
        help="time a model on backends, hub path against native scripts",
        description="Measure MODEL (a benchmark name, see --list, or a builder "
        "module) on each backend in fresh processes: import, "
        "build, run, peak memory, synaptic events per second; with "
        "--native also the hand-written NEST and Brian2 scripts of "
        "the benchmark, alternating with the hub path, and the "
        "ratios hub / native. Exit 1 if a run failed.",
    )
    p.add_argument(
        "model",
        metavar="MODEL",
        nargs="?",
        help="benchmark name (cuba, coba, brunel) or a builder module",
    )
    p.add_argument("--list", action="store_true", help="list the benchmark networks")
    p.add_argument(
        "--backends",
        "-b",
        metavar="A,B,C",
        default="nest",
        help="comma-separated backend names (default: nest)",
    )
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
    p.add_argument("--duration", "-t", type=float, default=None, metavar="MS")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="builder parameter, e.g. --param scale=0.25 (repeatable)",
    )
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="[BACKEND.]KEY=VALUE",
        help="backend option for the hub path (and the native Brian2 target)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="S",
        help="kill a measurement after S seconds (default 3600)",
    )
    p.add_argument("--json", action="store_true", help="print the JSON report")
    p.add_argument("--save", metavar="FILE", help="write the JSON report to FILE")
    p.set_defaults(func=cmd_bench)
    return parser


def parse_key_values(items, flag: str = "--option") -> dict:
    """``["threads=2", "name=x"]`` -> ``{"threads": 2, "name": "x"}`` (Python/JSON literals
    are parsed, anything else stays a string)."""
    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise HubError(f"{flag}: {item!r} is not KEY=VALUE; write e.g. {flag} threads=2")
        out[key] = _literal(raw.strip())
    return out


def _literal(text: str):
    lowered = {"true": True, "false": False, "none": None, "null": None}
    if text.lower() in lowered:
        return lowered[text.lower()]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


# =============================================================================================
# commands
# =============================================================================================
def cmd_run(args) -> int:
    import hub

    options = parse_key_values(args.option, "--option")
    model = load_model(args.model, parse_key_values(args.param, "--param"))
    duration = _duration(args.duration, model)
    args.ctx.plugin_manager()
    bar = _progress_bar(args, args.backend)
    try:
        results = hub.run(
            model.network, backend=args.backend, duration=duration, progress=bar, **options
        )
    finally:
        if bar is not None:
            bar.close()
    if args.out:
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
        if args.out:
            print(f"results written to {args.out}")
    return EXIT_OK


def _duration(value, model: LoadedModel) -> float:
    duration = value if value is not None else model.duration
    if duration is None:
        raise HubError(f"--duration: {model.source!r} sets no DURATION; give --duration MS")
    return float(duration)


def _progress_bar(args, label):
    if getattr(args, "no_progress", False):
        return None
    from .progress import ProgressBar

    return ProgressBar(label)


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
    from .ir.validation import diagnose

    try:
        model = load_model(args.model, parse_key_values(args.param, "--param"))
        problems = diagnose(model.network)
        if not problems and args.backend:
            problems = _backend_problems(args, model)
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
            + (f"; runs on {args.backend}" if args.backend else "")
            + ")"
        )
        return EXIT_OK
    print(f"{len(problems)} problem(s) in {source}:")
    for d in problems:
        print(f"  {d}")
    return EXIT_PROBLEMS


def _backend_problems(args, model) -> list:
    import hub

    from .errors import CapabilityError, Diagnostic
    from .plugins import get_backend

    pm = args.ctx.plugin_manager()
    get_backend(args.backend, pm)  # unknown name: a HubError (exit 2), not a model problem
    extra = [
        d
        for ds in pm.hook.hub_validate_network(network=model.network, backend_name=args.backend)
        for d in (ds or [])
    ]
    if extra:
        return extra
    from .ir import units

    net = model.network
    # one step is enough to know which features the network needs
    resolved = hub.resolve(net, float(units.convert(net.dt, "ms")))
    try:
        hub.check_capabilities(args.backend, resolved, pm)
    except CapabilityError as exc:
        return [
            Diagnostic(
                f"backend {args.backend!r}",
                f"does not support {m}",
                f"use one of {exc.alternatives[m]}"
                if exc.alternatives.get(m)
                else "change the model or the backend",
            )
            for m in exc.missing
        ]
    return []


def cmd_backends(args) -> int:
    from .plugins import backend_specs

    pm = args.ctx.plugin_manager()
    rows = []
    for name, spec in sorted(backend_specs(pm).items()):
        try:
            caps = pm.get_backend(name).capabilities()
            models, error = caps.neuron_models, None
        except Exception as exc:  # a broken backend must not hide the others
            models, error = [], f"{type(exc).__name__}: {exc}"
        rows.append(
            {
                "name": name,
                "version": spec.version,
                "distribution": spec.distribution,
                "neuron_models": models,
                "description": spec.description,
                "url": spec.url,
                **({"error": error} if error else {}),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("no backends installed; install one, e.g. pip install 'snn-hub[nest]'")
        return EXIT_OK
    print(
        table(
            ["backend", "version", "distribution", "description"],
            [[r["name"], r["version"] or "-", r["distribution"], r["description"]] for r in rows],
        )
    )
    for r in rows:
        what = (
            f"capabilities failed: {r['error']}"
            if "error" in r
            else ", ".join(r["neuron_models"]) or "(none)"
        )
        print(f"  {r['name']} neuron models: {what}")
    return EXIT_OK


def cmd_plugins(args) -> int:
    from importlib import metadata

    pm = args.ctx.plugin_manager()
    rows = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = pm.distributions.get(name, "?")
        try:
            version = metadata.version(dist)
        except (metadata.PackageNotFoundError, ValueError):
            version = ""
        hooks = sorted({h.name for h in pm.get_hookcallers(plugin) or []})
        rows.append(
            {
                "name": name,
                "distribution": dist,
                "version": version,
                "hooks": hooks,
                "module": getattr(plugin, "__name__", type(plugin).__name__),
            }
        )
    if args.json:
        print(json.dumps({"plugins": rows, "failed": args.ctx.load_failures}, indent=2))
        return EXIT_OK
    print(
        table(
            ["plugin", "distribution", "version", "hooks"],
            [
                [r["name"], r["distribution"], r["version"] or "-", ", ".join(r["hooks"])]
                for r in rows
            ],
        )
    )
    for failure in args.ctx.load_failures:
        print(f"  failed: {failure}")
    if os.environ.get("SNN_HUB_DISABLE_PLUGIN_AUTOLOAD", "") in ("1", "true"):
        print("  (plugin discovery is off: SNN_HUB_DISABLE_PLUGIN_AUTOLOAD is set)")
    return EXIT_OK


def cmd_check_backend(args) -> int:
    from .plugins import get_backend
    from .testing import check_backend

    get_backend(args.name, args.ctx.plugin_manager())  # unknown names fail with the list
    outcomes = check_backend(args.name)
    print(
        table(
            ["check", "status", "detail"],
            [[o.check, o.status, _one_line(o.detail)] for o in outcomes],
        )
    )
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    print(f"{args.name}: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
    return EXIT_PROBLEMS if counts.get("failed") else EXIT_OK


def _one_line(text, limit: int = 100) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def cmd_demo(args) -> int:
    import hub

    from .plugins import backend_specs

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
    if args.backend:
        unknown = [b for b in args.backend if b not in names]
        if unknown:
            raise HubError(
                f"--backend: unknown backend(s) {unknown}; must be one of "
                f"{', '.join(names) or '(none installed)'}"
            )
        names = [b for b in names if b in args.backend]
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
            rows.append(_demo_row(path.stem, "-", status=f"cannot load: {exc}"))
            continue
        spikes = {}
        for backend in names:
            bar = _progress_bar(args, f"{path.stem} on {backend}")
            try:
                res = hub.run(model.network, backend=backend, duration=duration, progress=bar)
            except HubError as exc:
                first = str(exc).splitlines()[0]
                rows.append(_demo_row(path.stem, backend, status=f"skipped: {first}"))
                continue
            finally:
                if bar is not None:
                    bar.close()
            spikes[backend] = res.spike_trains
            n = sum(st.size for st in res.spike_trains.values())
            count = sum(len(st) for st in res.spike_trains.values())
            rows.append(
                _demo_row(
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


def _demo_row(
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


def cmd_compare(args) -> int:
    import hub

    from .plugins import backend_specs, get_backend

    model = load_model(args.model, parse_key_values(args.param, "--param"))
    duration = _duration(args.duration, model)
    pm = args.ctx.plugin_manager()
    names = (
        [b.strip() for b in args.backends.split(",") if b.strip()]
        if args.backends
        else sorted(backend_specs(pm))
    )
    if not names:
        raise HubError("--backends: no backends installed; pip install 'snn-hub[nest]'")
    declared = {name: get_backend(name, pm).capabilities().options for name in names}
    options = backend_options(args.option, declared)
    bars = {}

    def progress(name, fraction):
        if args.no_progress:
            return
        bar = bars.get(name)
        if bar is not None and fraction < bar.fraction:  # the next repeat: a new bar
            bar.close()
            bar = None
        if bar is None:
            from .progress import ProgressBar

            bar = bars[name] = ProgressBar(name)
        bar(fraction)

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
            progress=progress,
        )
    finally:
        for bar in bars.values():
            bar.close()
    cmp.model["source"] = model.source
    if args.save:
        cmp.save(args.save)
    if args.plot:
        _need_matplotlib("--plot")
        cmp.plot(args.plot)
    if args.html:
        _need_matplotlib("--html")
        cmp.to_html(args.html)
    if args.json:
        print(cmp.to_json())
    else:
        print(cmp.table())
        for flag, path in (("JSON", args.save), ("figures", args.plot), ("report", args.html)):
            if path:
                print(f"{flag} written to {path}")
    return EXIT_OK if cmp.ok else EXIT_PROBLEMS


def cmd_bench(args) -> int:
    from . import bench as benchmod
    from .benchmarks import BENCHMARKS
    from .plugins import get_backend

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
    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    pm = args.ctx.plugin_manager()
    declared = {name: get_backend(name, pm).capabilities().options for name in names}
    options = backend_options(args.option, declared)
    if args.model in BENCHMARKS:
        network, benchmark, duration = args.model, args.model, args.duration
    else:
        model = load_model(args.model, params)
        network, benchmark, duration = model.network, None, _duration(args.duration, model)
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


def backend_options(items, declared: dict) -> dict:
    """``["brian2.codegen=cython", "threads=2"]`` -> ``{"brian2": {"codegen": "cython"},
    "nest": {"threads": 2}}``: a KEY without a backend goes to every backend in ``declared``
    (``{backend: {option: help}}``) that declares it."""
    out: dict = {}
    for item in items:
        key, sep, raw = item.partition("=")
        backend, dot, name = key.strip().rpartition(".")
        if not sep or not name.isidentifier() or (dot and not backend):
            raise HubError(
                f"--option: {item!r} is not [BACKEND.]KEY=VALUE; write e.g. "
                "--option brian2.codegen=cython"
            )
        value = _literal(raw.strip())
        if backend:
            if backend not in declared:
                raise HubError(
                    f"--option: {item!r} names backend {backend!r}, which is not "
                    f"compared ({', '.join(declared)})"
                )
            out.setdefault(backend, {})[name] = value
            continue
        targets = [b for b, opts in declared.items() if name in opts]
        if not targets:
            raise HubError(
                f"--option: no compared backend declares {name!r}; write "
                f"BACKEND.{name}=... or see `snn-hub backends`"
            )
        for b in targets:
            out.setdefault(b, {})[name] = value
    return out


def _need_matplotlib(flag: str) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        raise HubError(f"{flag}: matplotlib is not installed; pip install 'snn-hub[plot]'")


__all__ = ["main", "build_parser", "load_model", "parse_key_values", "table"]

"""``snn-hub backends``, ``snn-hub formats``, ``snn-hub plugins`` and ``snn-hub
check-backend``: what is installed and whether it keeps the contract."""

from __future__ import annotations

import json
import os
import textwrap

from ..errors import HubError
from ..textfmt import table
from .common import EXIT_OK, EXIT_PROBLEMS, add_json, error


def add_parsers(sub, common) -> None:
    p = sub.add_parser("backends", parents=[common], help="list installed backends")
    add_json(p)
    p.set_defaults(func=cmd_backends)

    p = sub.add_parser("formats", parents=[common], help="list installed model formats")
    add_json(p)
    p.set_defaults(func=cmd_formats)

    p = sub.add_parser("plugins", parents=[common], help="list loaded plugins")
    add_json(p)
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser(
        "check-backend", parents=[common], help="run the conformance kit (hub.testing) on a backend"
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--allow-known-gaps",
        action="store_true",
        help="exit 0 when the only failures are checks the backend declares as known gaps",
    )
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="exit 0 although most checks were not applicable (the backend declares few "
        "features); without it such a partial run fails",
    )
    p.add_argument("-k", dest="select", metavar="TEXT", help="run only checks whose name has TEXT")
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print every failure's detail in full (the table cuts details to one short line)",
    )
    p.set_defaults(func=cmd_check_backend)


def cmd_backends(args) -> int:
    from ..plugins import backend_specs

    pm = args.ctx.plugin_manager()
    rows = []
    for name, spec in sorted(backend_specs(pm).items()):
        try:
            backend = pm.get_backend(name)
            models, problem = backend.capabilities().neuron_models, None
        except HubError as exc:  # a broken backend (a PluginError) must not hide the others
            backend, models, problem = None, [], str(exc)
        try:  # imports the simulator
            versions = backend.versions() if backend is not None else {}
        except Exception as exc:
            versions = {"error": f"{type(exc).__name__}: {exc}"}
        rows.append(
            {
                "name": name,
                "version": spec.version,
                "versions": versions,
                "distribution": spec.distribution,
                "neuron_models": models,
                "description": spec.description,
                "url": spec.url,
                **({"error": problem} if problem else {}),
            }
        )
    failed = [
        {"name": f.entry_point, "distribution": f.distribution, "error": str(f)}
        for f in pm.failures
    ]
    if args.json:
        print(json.dumps(rows + [{**f, "failed": True} for f in failed], indent=2))
        return EXIT_OK
    if not rows:
        print("no backends installed; install one, e.g. pip install 'snn-hub[nest]'")
    else:
        print(
            table(
                ["backend", "simulator", "plugin", "description"],
                [
                    [
                        r["name"],
                        simulator_versions(r["versions"]),
                        f"{r['distribution']} {r['version']}".strip() or "-",
                        r["description"],
                    ]
                    for r in rows
                ],
            )
        )
    for r in rows:
        if "error" in r:
            print(f"  {r['name']}: unusable: {r['error']}")
        else:
            print(f"  {r['name']} neuron models: {', '.join(r['neuron_models']) or '(none)'}")
    for f in failed:
        print(f"  failed: {f['error']}")
    return EXIT_OK


def simulator_versions(versions: dict) -> str:
    """``{"nest-simulator": "3.10.0", "nest.have_mpi": "False"}`` -> ``"nest-simulator
    3.10.0"``: the packages of ``Backend.versions()`` (keys without a dot, values that are
    version numbers), not build facts."""
    if "error" in versions:
        return f"versions failed: {versions['error']}"
    shown = [f"{k} {v}" for k, v in versions.items() if "." not in k and str(v)[:1].isdigit()]
    return ", ".join(shown) or "-"


def cmd_formats(args) -> int:
    rows = [
        {
            "name": fmt.name,
            "suffixes": list(fmt.suffixes),
            "code": fmt.executes_code,
            "writes": fmt.save is not None,
            "distribution": fmt.distribution,
            "description": fmt.description,
        }
        for fmt in sorted(args.ctx.plugin_manager().formats().values(), key=lambda f: f.name)
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    print(
        table(
            ["format", "suffixes", "reads", "writes", "distribution", "description"],
            [
                [
                    r["name"],
                    " ".join(r["suffixes"]),
                    "code (runs it)" if r["code"] else "data",
                    "yes" if r["writes"] else "no",
                    r["distribution"],
                    r["description"],
                ]
                for r in rows
            ],
        )
    )
    return EXIT_OK


def cmd_plugins(args) -> int:
    from importlib import metadata

    pm = args.ctx.plugin_manager()
    for registry in (pm.backend_specs, pm.formats, pm.kinds):  # runs the registration hooks
        try:
            registry()
        except HubError as exc:  # a clash between two distributions
            error(str(exc))
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
        failed = [str(f) for f in pm.failures]
        print(json.dumps({"plugins": rows, "failed": failed}, indent=2))
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
    for failure in pm.failures:
        print(f"  failed: {failure}")
    if os.environ.get("SNN_HUB_DISABLE_PLUGIN_AUTOLOAD", "") in ("1", "true"):
        print("  (plugin discovery is off: SNN_HUB_DISABLE_PLUGIN_AUTOLOAD is set)")
    return EXIT_OK


def cmd_check_backend(args) -> int:
    """The kit's outcome per check, a summary with how much of the kit applied, and exit 1
    unless the run proves the backend (:func:`hub.testing.verdict`).  Details are cut to one
    line in the table; ``-v`` prints those of every failure, known gap and unexpected pass in
    full below it."""
    from ..plugins import get_backend
    from ..testing import check_backend, is_partial, summary, undeclared, verdict

    name = args.name
    # an unknown name fails with the list, a plugin that failed with its reason, a
    # capabilities() that fails with the backend and its distribution (PluginError)
    get_backend(name, args.ctx.plugin_manager()).capabilities()
    outcomes = check_backend(name, select=args.select)
    findings = [o for o in outcomes if o.status not in ("passed", "not applicable")]

    def shown(o):
        if not args.verbose:
            return one_line(o.detail)
        return "(in full below)" if o in findings else one_line(o.detail, limit=None)

    print(table(["check", "status", "detail"], [[o.check, o.status, shown(o)] for o in outcomes]))
    cut = [o for o in findings if one_line(o.detail) != o.detail]
    if args.verbose:
        for o in findings:
            print(f"\n{o.check} ({o.status}):")
            print(textwrap.indent(o.detail.rstrip() or "(no detail)", "  "))
        if findings:
            print()
    elif cut:
        print(
            f"({len(cut)} detail(s) cut to one line; `snn-hub check-backend {name} -v` "
            "prints them in full)"
        )
    counts = summary(outcomes)
    print(coverage_line(name, outcomes, counts))
    missing = undeclared(outcomes)
    if missing:
        print(f"{name}: not applicable because the backend does not declare {why_missing(missing)}")
    ok, why = verdict(
        outcomes, allow_known_gaps=args.allow_known_gaps, allow_partial=args.allow_partial
    )
    if is_partial(outcomes):
        print(
            f"WARNING: {name}: only {counts['applied']} of {len(outcomes)} checks applied; "
            f"a partial run does not show that {name} keeps the contract.  Declare every "
            "feature the backend supports (docs/plugins.md), or pass --allow-partial to "
            "accept a partial run."
        )
    if not ok:
        print(f"{name} does not pass the kit: {why}")
    return EXIT_OK if ok else EXIT_PROBLEMS


def coverage_line(name: str, outcomes, counts: dict) -> str:
    """``NAME: 7 of 53 checks applied (7 passed), 46 not applicable``."""
    counts = dict(counts)
    applied = counts.pop("applied")
    not_applicable = counts.pop("not applicable", 0)
    ran = ", ".join(f"{n} {status}" for status, n in counts.items())
    return (
        f"{name}: {applied} of {len(outcomes)} checks applied"
        + (f" ({ran})" if ran else "")
        + f", {not_applicable} not applicable"
    )


def why_missing(counts: dict, shown: int = 5) -> str:
    """The undeclared features that kept most checks from applying, with their counts."""
    items = [f"{feature} ({n} check{'s' if n > 1 else ''})" for feature, n in counts.items()]
    more = len(items) - shown
    return ", ".join(items[:shown]) + (f" and {more} more feature(s)" if more > 0 else "")


def one_line(text, limit: int | None = 100) -> str:
    """``text`` on one line, cut to ``limit`` characters (None: not cut)."""
    text = " ".join(str(text).split())
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."

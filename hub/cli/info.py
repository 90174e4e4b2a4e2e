"""``snn-hub backends``, ``snn-hub formats``, ``snn-hub plugins`` and ``snn-hub
check-backend``: what is installed and whether it keeps the contract."""

from __future__ import annotations

import json
import os

from ..textfmt import table
from .common import EXIT_OK, EXIT_PROBLEMS, add_json


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
    p.add_argument("-k", dest="select", metavar="TEXT", help="run only checks whose name has TEXT")
    p.set_defaults(func=cmd_check_backend)


def cmd_backends(args) -> int:
    from ..plugins import backend_specs

    pm = args.ctx.plugin_manager()
    rows = []
    for name, spec in sorted(backend_specs(pm).items()):
        try:
            backend = pm.get_backend(name)
            models, error = backend.capabilities().neuron_models, None
        except Exception as exc:  # a broken backend must not hide the others
            backend, models, error = None, [], f"{type(exc).__name__}: {exc}"
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
        what = (
            f"capabilities failed: {r['error']}"
            if "error" in r
            else ", ".join(r["neuron_models"]) or "(none)"
        )
        print(f"  {r['name']} neuron models: {what}")
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
    """The kit's outcome per check, a summary with how much of the kit applied, and exit 1
    unless the run proves the backend (:func:`hub.testing.verdict`)."""
    from ..plugins import get_backend
    from ..testing import check_backend, summary, verdict

    get_backend(args.name, args.ctx.plugin_manager())  # unknown names fail with the list
    outcomes = check_backend(args.name, select=args.select)
    print(
        table(
            ["check", "status", "detail"],
            [[o.check, o.status, one_line(o.detail)] for o in outcomes],
        )
    )
    counts = summary(outcomes)
    applied = counts.pop("applied")
    print(
        f"{args.name}: "
        + ", ".join(f"{n} {status}" for status, n in counts.items())
        + f"; {applied} of {len(outcomes)} checks applied"
    )
    ok, why = verdict(outcomes, allow_known_gaps=args.allow_known_gaps)
    if not ok:
        print(f"{args.name} does not pass the kit: {why}")
    return EXIT_OK if ok else EXIT_PROBLEMS


def one_line(text, limit: int = 100) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."

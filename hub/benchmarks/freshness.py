"""Is a saved benchmark report still a measurement of this code?  And how bad may a known miss
get?

Every report the suite writes (docs/benchmarks/*.json) records a *fingerprint* per backend:
a hash of each source file that takes part in the measured run, the versions of the
libraries that run it and the entry's settings.  The target tests (tests/benchmarks)
recompute it and fail when it differs, so a number measured on other code cannot pass as a
measurement of this code.

The files are chosen on purpose, not "everything": :data:`COMMON` (the hub's run path: the
IR, ``resolve``, the plugin host, results, the worker processes, the benchmark harness),
each backend's plugin package and native script, and the benchmark's model.  Modules of the
hub that the run path imports but that take no part in the timed work are listed in
:data:`NOT_MEASURED` with the reason; :func:`unclassified_imports` finds any module reached
from the run path that is in neither list (a test keeps it empty), so a new module cannot
slip out of the fingerprint unnoticed.

A *known miss* is a target a measurement is known to miss (the reason is documented); it
carries a *floor*, the worst value still accepted as that known miss.  :func:`judge` says
whether a value meets its target, is the known miss (:class:`KnownMiss`) or is a failure
(:class:`TargetMissed`), also when a known miss got worse than its floor.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import platform
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: the hub's part of every measured run (paths relative to the repository; globs allowed)
COMMON = (
    "hub/__init__.py",
    "hub/api.py",
    "hub/backend.py",
    "hub/core_hooks.py",
    "hub/errors.py",
    "hub/features.py",
    "hub/formats.py",
    "hub/hookspecs.py",
    "hub/ir/*.py",
    "hub/equations/*.py",
    "hub/plugins.py",
    "hub/propagators.py",
    "hub/resolve.py",
    "hub/resolved_io.py",
    "hub/results.py",
    "hub/runner.py",
    "hub/sorting.py",
    "hub/translate.py",
    "hub/version.py",
    "hub/worker.py",
    "hub/builders.py",
    "hub/connectivity.py",
    "hub/draws.py",
    "hub/mpi.py",
    "hub/rss.py",
    "hub/benchmarks/__init__.py",
    "hub/benchmarks/bench.py",
    "hub/benchmarks/worker.py",
)
#: per backend: its plugin and its hand-written native script
BACKEND_FILES = {
    "nest": ("plugins/hub_nest/*.py", "hub/benchmarks/native_nest.py"),
    "brian2": ("plugins/hub_brian2/*.py", "hub/benchmarks/native_brian2.py"),
    "chip": ("plugins/hub_chip/*.py",),
}
#: per backend: the distributions whose version is part of the fingerprint
BACKEND_VERSIONS = {
    "nest": ("nest-simulator",),
    "brian2": ("brian2", "cython"),
    "chip": ("numba",),
}
#: the PyNN path: hub.pynn, the engine it runs on (hub.Simulation) and the PyNN-cost benchmark
#: (the Vogels-Abbott script in PyNN, its worker and harness)
PYNN = (
    "hub/pynn/*.py",
    "hub/simulation.py",
    "hub/segments.py",
    "hub/benchmarks/pynn_va.py",
    "hub/benchmarks/pynn_worker.py",
    "hub/benchmarks/pynn_cost.py",
)
#: the distributions of the PyNN path (PyNN's own backends are part of the measurement)
PYNN_VERSIONS = ("PyNN", "neo", "lazyarray")
#: modules the run path imports that take no part in what is timed
NOT_MEASURED = {
    "hub/comparison.py": "imported by hub/__init__.py for hub.compare; not called by a run",
    "hub/contract.py": "agreement verdicts of hub.compare; not called by a run",
    "hub/stats.py": "statistics of hub.compare; not called by a run",
    "hub/textfmt.py": "formats the report's tables and JSON after the measurement",
    "hub/simulation.py": "runs in segments (hub.Simulation); the suite's runs go through hub.run",
    "hub/segments.py": "resolved-network edits of hub.Simulation; not called by hub.run",
    "hub/interop.py": "hub.from_nir/to_nir/run_nir (imports hub_nir when called); not run",
    "hub/progress.py": "the progress argument and its tqdm bars; the suite runs without one",
    "hub/figures.py": "Results.plot (imported when a run is plotted); not called by a run",
    "hub/memory.py": "the memory guard of hub.run and hub.compare: it checks an unresolved "
    "hub.Network only; the suite runs resolved networks",
}


def files_of(patterns, root: Path = ROOT) -> list[str]:
    """The files matched by ``patterns`` (relative to ``root``), sorted, as posix paths."""
    out = set()
    for pattern in patterns:
        out.update(p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_file())
    return sorted(out)


def versions(distributions) -> dict:
    """Installed version of each distribution (``None`` when absent), and Python's."""
    out = {"python": platform.python_version()}
    for name in distributions:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def fingerprint(files, distributions, settings: dict, root: Path = ROOT) -> dict:
    """``{"digest", "files": {path: sha256}, "versions", "settings"}`` of a measurement."""
    hashes = {f: hashlib.sha256((root / f).read_bytes()).hexdigest() for f in sorted(files)}
    vers = versions(distributions)
    whole = json.dumps([hashes, vers, settings], sort_keys=True, default=str)
    return {
        "digest": hashlib.sha256(whole.encode()).hexdigest(),
        "files": hashes,
        "versions": vers,
        "settings": settings,
    }


def backend_fingerprint(
    backend: str, model: str | None, settings: dict, extra=(), root: Path = ROOT
) -> dict:
    """The fingerprint of a run of ``backend`` on the benchmark model ``models/MODEL.py``
    (``extra``: more files, e.g. the first-run script)."""
    patterns = [*COMMON, *BACKEND_FILES.get(backend, ()), *extra]
    if model:
        patterns.append(f"models/{model}.py")
    return fingerprint(
        files_of(patterns, root),
        ("numpy", *BACKEND_VERSIONS.get(backend, ())),
        settings,
        root,
    )


def pynn_fingerprint(backend: str, settings: dict, root: Path = ROOT) -> dict:
    """The fingerprint of the PyNN-cost measurement on ``backend``: hub.pynn and PyNN's
    module for it, against each other (:data:`PYNN`, the backend's plugin, the hub's run
    path, and PyNN's version with the backend's)."""
    plugin = [p for p in BACKEND_FILES.get(backend, ()) if p.startswith("plugins/")]
    return fingerprint(
        files_of([*COMMON, *plugin, *PYNN], root),
        ("numpy", *BACKEND_VERSIONS.get(backend, ()), *PYNN_VERSIONS),
        settings,
        root,
    )


def differences(recorded: dict | None, current: dict) -> list[str]:
    """What differs between a recorded fingerprint and the current one, one item each."""
    if not recorded or "digest" not in recorded:
        return ["no fingerprint recorded"]
    if recorded["digest"] == current["digest"]:
        return []
    out = []
    old, new = recorded.get("files", {}), current["files"]
    out += [f"changed {f}" for f in sorted(set(old) & set(new)) if old[f] != new[f]]
    out += [f"new {f}" for f in sorted(set(new) - set(old))]
    out += [f"gone {f}" for f in sorted(set(old) - set(new))]
    ov, nv = recorded.get("versions", {}), current["versions"]
    out += [
        f"{k} {ov.get(k)} -> {nv.get(k)}"
        for k in sorted(set(ov) | set(nv))
        if ov.get(k) != nv.get(k)
    ]
    if recorded.get("settings") != current["settings"]:
        out.append(f"settings {recorded.get('settings')} -> {current['settings']}")
    return out or ["digest differs"]


def stale_message(path: Path, current: dict, root: Path = ROOT) -> str | None:
    """Why the report at ``path`` is not a measurement of the current code (``current``:
    ``{backend: fingerprint}``), or ``None`` when it is."""
    try:
        name = path.resolve().relative_to(root).as_posix()
    except ValueError:
        name = str(path)
    if not path.is_file():
        return f"{name} is missing; rerun make bench"
    recorded = json.loads(path.read_text()).get("fingerprint") or {}
    why = []
    for backend, fp in sorted(current.items()):
        diff = differences(recorded.get(backend), fp)
        if diff:
            shown = "; ".join(diff[:6]) + (f"; {len(diff) - 6} more" if len(diff) > 6 else "")
            why.append(f"{backend}: {shown}")
    if not why:
        return None
    return f"{name} was measured on other code; rerun make bench ({' | '.join(why)})"


# ---------------------------------------------------------------------------------------------
# the run path's imports: every hub module it reaches is fingerprinted or declared unmeasured
# ---------------------------------------------------------------------------------------------
def _module_file(module: str, root: Path) -> str | None:
    parts = module.split(".")
    base = {"hub": root}.get(parts[0], root / "plugins")
    path = base.joinpath(*parts)
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate.relative_to(root).as_posix()
    return None


def _imports(rel: str, root: Path) -> set[str]:
    """Files of the hub and its plugins imported (anywhere, lazily too) by file ``rel``."""
    tree = ast.parse((root / rel).read_text())
    package = rel[: -len(".py")].replace("/", ".").removeprefix("plugins.")
    if not rel.endswith("__init__.py"):
        package = package.rpartition(".")[0]
    else:
        package = package.removesuffix(".__init__")
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.append(base)
            names += [f"{base}.{a.name}" for a in node.names]
    out = set()
    for name in names:
        if name.split(".")[0] in ("hub", "hub_nest", "hub_brian2", "hub_chip"):
            found = _module_file(name, root)
            if found:
                out.add(found)
    return out


def unclassified_imports(root: Path = ROOT) -> dict[str, set[str]]:
    """Hub and plugin files reached by imports from the fingerprinted files that are
    neither fingerprinted nor in :data:`NOT_MEASURED`: ``{file: {importers}}``."""
    covered = set(files_of(COMMON, root)) | set(files_of(PYNN, root))
    for patterns in BACKEND_FILES.values():
        covered.update(files_of(patterns, root))
    todo, seen, out = sorted(covered), set(covered), {}
    while todo:
        rel = todo.pop()
        for dep in _imports(rel, root):
            if dep in covered or dep in NOT_MEASURED:
                continue
            out.setdefault(dep, set()).add(rel)
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return out


# ---------------------------------------------------------------------------------------------
# targets and known misses
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Miss:
    """A target known to be missed: why (docs/performance.md), and the worst value still
    accepted as this miss; a value beyond ``floor`` is a failure."""

    reason: str
    floor: float


class KnownMiss(Exception):
    """The value misses its target, within its known miss's floor (a strict xfail expects
    exactly this exception)."""


class TargetMissed(AssertionError):
    """The value misses its target (and any known miss's floor)."""


def judge(what: str, value: float, target: float, miss: Miss | None = None) -> None:
    """Return when ``value <= target``; raise :class:`KnownMiss` when ``miss`` covers it
    (``value <= miss.floor``), else :class:`TargetMissed`."""
    if value <= target:
        return
    if miss is None:
        raise TargetMissed(f"{what} = {value:.3f} misses its target {target:g}")
    if value <= miss.floor:
        raise KnownMiss(f"{what} = {value:.3f} > {target:g}, the known miss: {miss.reason}")
    raise TargetMissed(
        f"{what} = {value:.3f} is worse than the known miss's floor {miss.floor:g} "
        f"(target {target:g}; known: {miss.reason})"
    )
